// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The native MCU: boot, interface discovery through AS 0, and the global REQ/ACK protocol on doorbell 0.

mod common;

use common::pte::*;
use common::*;
use hw_mali::csf::{self, glb, values, GLB_INPUT_VA, GLB_OUTPUT_VA, SHARED_SIZE, SHARED_VA};
use hw_mali::fields::CsgReq;
use hw_mali::fields::{GlbReq, JobIrq};
use hw_mali::regs::{as_command, block, gpu, irq, mcu, mmu};
use hw_mali::{IrqKind, PortError};

const JOB_RAWSTAT: u32 = block::JOB_CONTROL + irq::RAWSTAT;
const JOB_CLEAR: u32 = block::JOB_CONTROL + irq::CLEAR;
const JOB_MASK: u32 = block::JOB_CONTROL + irq::MASK;

/// AS 0 maps the shared section, as the driver's firmware loader would.
fn with_shared_section() -> Rig {
    let r = rig();
    let pt = Pt::new(&r.ram);
    for off in (0..SHARED_SIZE).step_by(4096) {
        pt.page(SHARED_VA + off, frame_of(&r.ram, 0), RW_CACHED | XN | PXN);
    }
    r.enable_as(0, pt.root);
    r
}

fn booted() -> Rig {
    let r = with_shared_section();
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    r.w32(JOB_MASK, 0xFFFF_FFFF);
    r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
    r.gpu.run_until_idle();
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    r
}

fn rd(r: &Rig, va: u64) -> u32 {
    r.gpu.gpu_read_u32(0, va).unwrap()
}

fn wr(r: &Rig, va: u64, v: u32) {
    r.gpu.gpu_write_u32(0, va, v).unwrap()
}

/// Toggles `bits` of GLB req relative to ack, as `panthor_fw_toggle_reqs` does, and rings doorbell 0.
fn toggle_and_ring(r: &Rig, bits: u32) {
    let req = rd(r, GLB_INPUT_VA + glb::REQ);
    let ack = rd(r, GLB_OUTPUT_VA + glb::REQ);
    wr(
        r,
        GLB_INPUT_VA + glb::REQ,
        ((ack ^ bits) & bits) | (req & !bits),
    );
    r.w32(block::DOORBELL_BASE, 1);
    r.gpu.run_until_idle();
}

#[test]
fn mcu_start_reports_enabled_and_raises_the_glb_job_irq() {
    let r = with_shared_section();
    r.w32(JOB_MASK, 0xFFFF_FFFF);
    r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
    assert_eq!(
        r.r32(gpu::MCU_STATUS),
        mcu::STATUS_DISABLED,
        "booting takes time"
    );
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
    assert_eq!(r.r32(JOB_RAWSTAT), JobIrq::GLB.0);
    assert!(r.gpu.irq_line(IrqKind::Job).is_asserted());
}

#[test]
fn booted_mcu_publishes_the_global_control_block() {
    let r = booted();
    assert_eq!(rd(&r, SHARED_VA + glb::VERSION), values::GLB_VERSION);
    assert_eq!(rd(&r, SHARED_VA + glb::INPUT_VA) as u64, GLB_INPUT_VA);
    assert_eq!(rd(&r, SHARED_VA + glb::OUTPUT_VA) as u64, GLB_OUTPUT_VA);
    assert_eq!(rd(&r, SHARED_VA + glb::GROUP_NUM), 8);
    assert_eq!(rd(&r, SHARED_VA + glb::GROUP_STRIDE), 0x100);
}

#[test]
fn booted_mcu_publishes_csg_and_cs_control_blocks_inside_the_section() {
    let r = booted();
    for i in 0..values::GROUP_NUM {
        let c = csf::csg_control_va(i);
        assert_eq!(rd(&r, c + csf::csg::STREAM_NUM), 8);
        assert_eq!(rd(&r, c + csf::csg::STREAM_STRIDE), 0xC);
        assert_ne!(rd(&r, c + csf::csg::SUSPEND_SIZE), 0);
        let input = rd(&r, c + csf::csg::INPUT_VA) as u64;
        assert!((SHARED_VA..SHARED_VA + SHARED_SIZE).contains(&input));
        for j in 0..values::STREAM_NUM {
            let cs = csf::cs_control_va(i, j);
            assert_eq!(rd(&r, cs + csf::cs::FEATURES), 0x0007_085F);
            let out = rd(&r, cs + csf::cs::OUTPUT_VA) as u64;
            assert!((SHARED_VA..SHARED_VA + SHARED_SIZE).contains(&out));
        }
    }
}

#[test]
fn mcu_start_without_a_shared_section_mapping_is_fatal() {
    let r = rig();
    let pt = Pt::new(&r.ram);
    r.enable_as(0, pt.root);
    r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_FATAL);
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
    assert_eq!(
        r.faultaddress(0),
        SHARED_VA,
        "the MCU's failed access is on record in AS 0"
    );
}

#[test]
fn ping_is_acknowledged_with_a_glb_irq() {
    let r = booted();
    wr(&r, GLB_INPUT_VA + glb::ACK_IRQ_MASK, 0x0400_050E);
    toggle_and_ring(&r, GlbReq::PING.0);
    let (req, ack) = (
        rd(&r, GLB_INPUT_VA + glb::REQ),
        rd(&r, GLB_OUTPUT_VA + glb::REQ),
    );
    assert_eq!(req & GlbReq::PING.0, ack & GlbReq::PING.0);
    assert_eq!(r.r32(JOB_RAWSTAT), JobIrq::GLB.0);
    assert_eq!(r.gpu.mcu_latched().pings, 1);
}

#[test]
fn ack_outside_the_irq_mask_raises_no_irq() {
    let r = booted();
    wr(&r, GLB_INPUT_VA + glb::ACK_IRQ_MASK, 0);
    toggle_and_ring(&r, GlbReq::PING.0);
    assert_eq!(
        rd(&r, GLB_OUTPUT_VA + glb::REQ) & GlbReq::PING.0,
        rd(&r, GLB_INPUT_VA + glb::REQ) & GlbReq::PING.0
    );
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
}

#[test]
fn global_init_latches_timers_and_core_mask() {
    let r = booted();
    wr(&r, GLB_INPUT_VA + glb::CORE_EN_MASK, 0x5_0005);
    wr(&r, GLB_INPUT_VA + glb::POWEROFF_TIMER, 235);
    wr(&r, GLB_INPUT_VA + glb::PROGRESS_TIMER, 2_560_000);
    wr(&r, GLB_INPUT_VA + glb::IDLE_TIMER, 19);
    let req = rd(&r, GLB_INPUT_VA + glb::REQ) | GlbReq::IDLE_EN.0;
    wr(&r, GLB_INPUT_VA + glb::REQ, req);
    toggle_and_ring(
        &r,
        GlbReq::CFG_ALLOC_EN.0 | GlbReq::CFG_POWEROFF_TIMER.0 | GlbReq::CFG_PROGRESS_TIMER.0,
    );
    let l = r.gpu.mcu_latched();
    assert_eq!(
        (
            l.core_en_mask,
            l.poweroff_timer,
            l.progress_timer,
            l.idle_timer
        ),
        (0x5_0005, 235, 2_560_000, 19)
    );
    let mask = GlbReq::REQS.0 & !GlbReq::HALT.0;
    assert_eq!(
        rd(&r, GLB_OUTPUT_VA + glb::REQ) & mask,
        rd(&r, GLB_INPUT_VA + glb::REQ) & mask,
        "all requests acked"
    );
}

#[test]
fn halt_request_halts_the_mcu_without_acknowledging_halt() {
    let r = booted();
    let req = rd(&r, GLB_INPUT_VA + glb::REQ);
    wr(&r, GLB_INPUT_VA + glb::REQ, req | GlbReq::HALT.0);
    r.w32(block::DOORBELL_BASE, 1);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_HALT);
    assert_eq!(rd(&r, GLB_OUTPUT_VA + glb::REQ) & GlbReq::HALT.0, 0);
    assert_eq!(rd(&r, GLB_OUTPUT_VA + glb::HALT_STATUS), 0);
}

#[test]
fn mcu_restarts_after_halt_when_control_is_written_again() {
    let r = booted();
    let req = rd(&r, GLB_INPUT_VA + glb::REQ);
    wr(&r, GLB_INPUT_VA + glb::REQ, req | GlbReq::HALT.0);
    r.w32(block::DOORBELL_BASE, 1);
    r.gpu.run_until_idle();
    wr(&r, GLB_INPUT_VA + glb::REQ, req & !GlbReq::HALT.0);
    r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
    toggle_and_ring(&r, GlbReq::PING.0);
    assert_eq!(r.gpu.mcu_latched().pings, 1);
}

#[test]
fn mcu_disable_reports_disabled() {
    let r = booted();
    r.w32(gpu::MCU_CONTROL, mcu::CONTROL_DISABLE);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_DISABLED);
}

#[test]
fn csg_start_is_acknowledged_on_its_glb_doorbell_bit() {
    let r = booted();
    let (input, output) = csf::csg_iface(2);
    wr(&r, input + csf::csg::ACK_IRQ_MASK, 0xFFFF_FFFF);
    wr(&r, input + csf::csg::REQ, 1 | CsgReq::ENDPOINT_CONFIG.0); // START + toggle
    let db = rd(&r, GLB_INPUT_VA + glb::DOORBELL);
    wr(&r, GLB_INPUT_VA + glb::DOORBELL, db ^ (1 << 2));
    r.w32(block::DOORBELL_BASE, 1);
    r.gpu.run_until_idle();
    assert_eq!(rd(&r, output + csf::csg::REQ) & 0x17, 0x11);
    assert_eq!(
        rd(&r, GLB_OUTPUT_VA + glb::DOORBELL) & 4,
        rd(&r, GLB_INPUT_VA + glb::DOORBELL) & 4
    );
    assert_eq!(r.r32(JOB_RAWSTAT), JobIrq::csg_slot(2).0);
}

#[test]
fn doorbell_before_boot_is_ignored() {
    let r = with_shared_section();
    r.w32(block::DOORBELL_BASE, 1);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_DISABLED);
}

#[test]
fn csg_doorbells_reach_the_running_mcu() {
    let r = booted();
    r.w32(block::DOORBELL_BASE + 3 * block::DOORBELL_STRIDE, 1);
    r.gpu.run_until_idle();
    assert_eq!(r.gpu.cs_doorbell_rings(), 1);
}

#[test]
fn mcu_reads_interface_memory_through_as0_only() {
    let r = booted();
    // Nothing is mapped in AS 1: the interface VA means nothing there.
    assert!(matches!(
        r.gpu.gpu_read_u32(1, SHARED_VA),
        Err(PortError::Fault { .. })
    ));
}

#[test]
fn soft_reset_stops_the_mcu() {
    let r = booted();
    r.w32(gpu::GPU_COMMAND, 0x101);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_DISABLED);
}

#[test]
fn a_doorbell_served_while_the_host_locks_the_shared_section_waits_for_the_unlock() {
    // The host edits the MCU VM's page tables (LOCK over a 2 MiB region holding the shared section) while the MCU
    // has a PING to serve: the MCU's interface accesses stall until UNLOCK instead of killing the MCU.
    let r = booted();
    wr(&r, GLB_INPUT_VA + glb::ACK_IRQ_MASK, 0x0400_050E);
    let req = rd(&r, GLB_INPUT_VA + glb::REQ);
    let ack = rd(&r, GLB_OUTPUT_VA + glb::REQ);
    wr(
        &r,
        GLB_INPUT_VA + glb::REQ,
        ((ack ^ GlbReq::PING.0) & GlbReq::PING.0) | (req & !GlbReq::PING.0),
    );
    r.w64(as_reg(0, mmu::LOCKADDR), SHARED_VA | 20);
    r.as_cmd_nowait(0, as_command::LOCK);
    r.w32(block::DOORBELL_BASE, 1);
    for _ in 0..200 {
        r.gpu.step();
    }
    assert_eq!(
        r.r32(gpu::MCU_STATUS),
        mcu::STATUS_ENABLED,
        "a stalled access is not fatal"
    );
    assert_eq!(
        r.gpu.mcu_latched().pings,
        0,
        "the ping waits for the unlock"
    );
    r.w32(as_reg(0, mmu::COMMAND), as_command::UNLOCK);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
    assert_eq!(r.gpu.mcu_latched().pings, 1);
}
