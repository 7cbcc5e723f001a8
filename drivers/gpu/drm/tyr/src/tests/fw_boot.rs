// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Firmware load and MCU boot in probe, on the modelled RK3588: what the modelled MCU sees (its status, the global
//! interface words through AS 0, what it latched), how the sections are mapped in AS 0 (through the model's own MMU),
//! and that every failure and the teardown leave the GPU quiet: MCU stopped, AS 0 unmapped, interrupts masked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::driver::TyrDevice;
use crate::fw::global::GlbConfig;
use hw_mali::csf::{glb, CODE_VA, GLB_INPUT_VA, GLB_OUTPUT_VA, SHARED_VA};
use hw_mali::fields::GlbReq;
use hw_mali::mmu::FaultClass;
use hw_mali::regs::{block, gpu as mgpu, irq as mirq, mcu, mmu as mmmu};
use hw_mali::{Mali, PortError};
use kernel::code::{EINVAL, EIO, ENOENT};
use rk3588_platform::Rk3588;

/// The init requests whose ack must match req: the three CFG toggles and the IDLE_EN / COUNTER_EN levels.
const INIT_BITS: u32 = GlbReq::CFG_ALLOC_EN.0
    | GlbReq::CFG_POWEROFF_TIMER.0
    | GlbReq::CFG_PROGRESS_TIMER.0
    | GlbReq::IDLE_EN.0
    | GlbReq::COUNTER_EN.0;
/// AS 0's TRANSCFG register.
const AS0_TRANSCFG: u32 = mmmu::AS_BASE + 0x30;

fn mali(soc: &Rk3588) -> &Arc<Mali> {
    soc.board().gpu()
}

fn mcu_status(soc: &Rk3588) -> u32 {
    mali(soc).read32(mgpu::MCU_STATUS).unwrap()
}

fn mask(soc: &Rk3588, base: u32) -> u32 {
    mali(soc).read32(base + mirq::MASK).unwrap()
}

fn as0_word(soc: &Rk3588, va: u64) -> u32 {
    mali(soc).gpu_read_u32(0, va).unwrap()
}

/// The GPU after a device went away or never probed: MCU stopped, AS 0 not translating, no interrupt unmasked.
fn assert_quiet(soc: &Rk3588) {
    assert_eq!(mcu_status(soc), mcu::STATUS_DISABLED, "MCU stopped");
    let transcfg = mali(soc).read64(AS0_TRANSCFG).unwrap();
    assert!(
        transcfg == 0 || transcfg == 1,
        "AS 0 unmapped (TRANSCFG {transcfg:#x})"
    );
    assert!(
        mali(soc).gpu_read_u32(0, SHARED_VA).is_err(),
        "the MCU can no longer reach the shared section"
    );
    for base in [block::JOB_CONTROL, mmmu::IRQ_BASE, mgpu::IRQ_BASE] {
        assert_eq!(mask(soc, base), 0, "IRQ block {base:#x} masked");
    }
}

/// Polls `cond` until it holds, failing after 5 s with `what`. For state the driver's IRQ handler thread sets, which
/// offers nothing to block on; model state is waited for with `Mali::wait_until`.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn probe_boots_the_mcu() {
    let soc = Rk3588::new().unwrap();
    let _dev = TyrDevice::probe(soc.gpu()).unwrap();
    assert_eq!(mcu_status(&soc), mcu::STATUS_ENABLED);
    assert_eq!(
        mali(&soc).read32(mgpu::MCU_CONTROL).unwrap(),
        mcu::CONTROL_AUTO
    );
    assert_eq!(
        mask(&soc, block::JOB_CONTROL),
        0xffff_ffff,
        "JOB IRQ unmasked as Panthor's MCU start does"
    );
}

#[test]
fn global_init_is_acknowledged_for_every_init_bit() {
    let soc = Rk3588::new().unwrap();
    let _dev = TyrDevice::probe(soc.gpu()).unwrap();
    let req = as0_word(&soc, GLB_INPUT_VA + glb::REQ);
    let ack = as0_word(&soc, GLB_OUTPUT_VA + glb::ACK);
    assert_eq!(req & INIT_BITS, ack & INIT_BITS);
    assert_eq!(
        req & (GlbReq::IDLE_EN.0 | GlbReq::COUNTER_EN.0),
        GlbReq::IDLE_EN.0 | GlbReq::COUNTER_EN.0
    );
    assert_eq!(req & GlbReq::HALT.0, 0);
    assert_eq!(
        as0_word(&soc, GLB_INPUT_VA + glb::ACK_IRQ_MASK),
        glb::PANTHOR_ACK_IRQ_MASK
    );
}

#[test]
fn the_mcu_latched_what_the_driver_wrote() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let cfg = *dev.fw().glb_config();
    assert_eq!(
        cfg,
        GlbConfig::panthor(0x50005, rk3588_platform::ARCH_TIMER_HZ)
    );
    let l = mali(&soc).mcu_latched();
    assert_eq!(
        (
            l.core_en_mask,
            l.poweroff_timer,
            l.progress_timer,
            l.idle_timer
        ),
        (
            cfg.core_en_mask,
            cfg.poweroff_timer,
            cfg.progress_timer,
            cfg.idle_timer
        )
    );
    assert_eq!(
        (
            l.core_en_mask,
            l.poweroff_timer,
            l.progress_timer,
            l.idle_timer
        ),
        (0x50005, 235, 2_560_000, 19)
    );
    assert!(l.idle_en && l.counter_en);
}

#[test]
fn csif_info_reports_what_the_mcu_published() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let c = dev.csif_info();
    assert_eq!(
        (
            c.csg_slot_count,
            c.cs_slot_count,
            c.cs_reg_count,
            c.scoreboard_slot_count,
            c.unpreserved_cs_reg_count
        ),
        (8, 8, 96, 8, 4)
    );
    assert_eq!(dev.fw().glb_version().to_string(), "1.1.0");
    let ifaces = dev.fw().interfaces();
    assert_eq!(ifaces.csgs.len(), 8);
    assert!(ifaces
        .csgs
        .iter()
        .all(|g| g.streams.len() == 8 && g.suspend_size == 0x2000));
    assert_eq!(
        ifaces.glb.pages.input,
        GLB_INPUT_VA - SHARED_VA,
        "input VA translated to the shared BO's offset"
    );
    assert_eq!(ifaces.glb.pages.output, GLB_OUTPUT_VA - SHARED_VA);
}

#[test]
fn the_mcu_vm_is_32_bit_and_holds_as_0() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let vm = dev.fw().vm();
    assert_eq!(vm.layout().full(), 0..1 << 32);
    assert_eq!(vm.as_nr(), Some(0));
    assert_eq!(dev.mmu().slots(), [(0, 1)]);
    let names: Vec<&str> = dev
        .fw()
        .sections()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["shared", "code"]);
}

#[test]
fn the_code_section_is_readable_and_executable_in_as_0_with_the_image_bytes() {
    let soc = Rk3588::new().unwrap();
    let _dev = TyrDevice::probe(soc.gpu()).unwrap();
    let mut b = [0u8; 20];
    mali(&soc).gpu_fetch(0, CODE_VA, &mut b).unwrap();
    assert_eq!(&b, b"tyr native MCU model");
    let mut rest = [0xffu8; 16];
    mali(&soc).gpu_read(0, CODE_VA + 0xff0, &mut rest).unwrap();
    assert_eq!(rest, [0; 16], "the page beyond the data reads as zero");
}

#[test]
fn the_code_section_is_read_only_in_as_0() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let err = mali(&soc).gpu_write_u32(0, CODE_VA, 0).unwrap_err();
    assert!(
        matches!(err, PortError::Fault { as_nr: 0, fault, .. } if fault.class == FaultClass::Permission)
    );
    // The fault reaches the MCU VM through the MMU interrupt.
    wait_for("the AS 0 fault report", || {
        dev.fw().vm().last_fault().is_some()
    });
    assert_eq!(dev.fw().vm().last_fault().unwrap().addr, CODE_VA);
}

#[test]
fn the_shared_section_is_writable_but_not_executable_in_as_0() {
    let soc = Rk3588::new().unwrap();
    let _dev = TyrDevice::probe(soc.gpu()).unwrap();
    let scratch = SHARED_VA + 0xf000;
    mali(&soc).gpu_write_u32(0, scratch, 0x1234_5678).unwrap();
    assert_eq!(as0_word(&soc, scratch), 0x1234_5678);
    let err = mali(&soc).gpu_fetch(0, SHARED_VA, &mut [0; 4]).unwrap_err();
    assert!(
        matches!(err, PortError::Fault { as_nr: 0, fault, .. } if fault.class == FaultClass::Permission)
    );
}

#[test]
fn the_driver_and_the_mcu_see_the_same_shared_words() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let glb = dev.fw().glb();
    assert_eq!(
        glb.req().unwrap().0,
        as0_word(&soc, GLB_INPUT_VA + glb::REQ)
    );
    assert_eq!(
        glb.ack().unwrap().0,
        as0_word(&soc, GLB_OUTPUT_VA + glb::ACK)
    );
}

#[test]
fn a_ping_is_acknowledged() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    dev.fw().glb().ping(dev.fw().job_irq()).unwrap();
    assert_eq!(mali(&soc).mcu_latched().pings, 1);
}

#[test]
fn a_glb_idle_event_is_acknowledged_by_the_job_irq_handler() {
    let soc = Rk3588::new().unwrap();
    let _dev = TyrDevice::probe(soc.gpu()).unwrap();
    // IDLE_EN is on with an ~800 µs idle timer: the MCU reports IDLE, the handler copies ack.IDLE into req.
    assert!(
        mali(&soc).wait_until(Duration::from_secs(5), || mali(&soc)
            .mcu_latched()
            .idle_reports
            >= 1),
        "no IDLE report within 5 s"
    );
    wait_for("the IDLE acknowledgement", || {
        let req = as0_word(&soc, GLB_INPUT_VA + glb::REQ);
        let ack = as0_word(&soc, GLB_OUTPUT_VA + glb::ACK);
        (req ^ ack) & GlbReq::IDLE.0 == 0 && ack & GlbReq::IDLE.0 != 0
    });
}

#[test]
fn halt_halts_the_mcu_through_the_global_interface() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    dev.fw().halt().unwrap();
    assert_eq!(mcu_status(&soc), mcu::STATUS_HALT);
    assert_ne!(
        as0_word(&soc, GLB_INPUT_VA + glb::REQ) & GlbReq::HALT.0,
        0,
        "HALT requested in req"
    );
    assert_eq!(
        as0_word(&soc, GLB_OUTPUT_VA + glb::HALT_STATUS),
        glb::HALT_STATUS_OK
    );
    dev.fw().halt().unwrap();
    assert_eq!(
        mcu_status(&soc),
        mcu::STATUS_HALT,
        "halting a halted MCU changes nothing"
    );
}

#[test]
fn teardown_halts_and_stops_the_mcu_and_releases_as_0() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    dev.fw().halt().unwrap();
    drop(dev);
    assert_quiet(&soc);
}

#[test]
fn teardown_of_a_running_mcu_leaves_the_gpu_quiet() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    drop(dev);
    assert_quiet(&soc);
    // The model saw no HALT request it did not serve: the MCU reached DISABLED without going FATAL.
    assert_eq!(
        mali(&soc).read32(mgpu::MCU_CONTROL).unwrap(),
        mcu::CONTROL_DISABLE
    );
}

#[test]
fn a_device_can_be_probed_again_after_teardown() {
    let soc = Rk3588::new().unwrap();
    drop(TyrDevice::probe(soc.gpu()).unwrap());
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    assert_eq!(mcu_status(&soc), mcu::STATUS_ENABLED);
    assert_eq!(dev.csif_info().csg_slot_count, 8);
}

#[test]
fn missing_firmware_is_enoent_and_leaves_the_gpu_quiet() {
    let soc = Rk3588::with_gpu_firmware(None).unwrap();
    assert_eq!(TyrDevice::probe(soc.gpu()).err(), Some(ENOENT));
    assert_quiet(&soc);
}

#[test]
fn a_malformed_image_is_einval_and_leaves_the_gpu_quiet() {
    let mut img = hw_mali::csf::firmware_image();
    img[0] ^= 1; // magic
    let soc = Rk3588::with_gpu_firmware(Some(img)).unwrap();
    assert_eq!(TyrDevice::probe(soc.gpu()).err(), Some(EINVAL));
    assert_quiet(&soc);
}

#[test]
fn an_image_with_an_unknown_section_flag_is_einval() {
    let mut img = hw_mali::csf::firmware_image();
    img[24 + 1] |= 1 << 4; // first IFACE entry's flags: bit 12
    let soc = Rk3588::with_gpu_firmware(Some(img)).unwrap();
    assert_eq!(TyrDevice::probe(soc.gpu()).err(), Some(EINVAL));
    assert_quiet(&soc);
}

#[test]
fn an_mcu_that_cannot_reach_its_interfaces_fails_probe_and_is_stopped() {
    // The shared section shrunk to one page: the MCU faults in AS 0 publishing the CSG blocks and reports FATAL.
    let mut img = hw_mali::csf::firmware_image();
    img[32..36].copy_from_slice(&((SHARED_VA + 0x1000) as u32).to_le_bytes());
    let soc = Rk3588::with_gpu_firmware(Some(img)).unwrap();
    let started = Instant::now();
    assert_eq!(TyrDevice::probe(soc.gpu()).err(), Some(EIO));
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "FATAL is noticed before the boot timeout"
    );
    assert_quiet(&soc);
}
