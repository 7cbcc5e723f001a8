// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Register-level behaviour of GPU_CONTROL, the IRQ blocks, power, reset, cache flush and time, with no driver.

mod common;

use common::*;
use hw_mali::fields::JobIrq;
use hw_mali::regs::{block, gpu, gpu_irq, gpu_status, irq, mmu};
use hw_mali::{BusError, IrqKind, Timing};

const GPU_RAWSTAT: u32 = gpu::IRQ_BASE + irq::RAWSTAT;
const GPU_CLEAR: u32 = gpu::IRQ_BASE + irq::CLEAR;
const GPU_MASK: u32 = gpu::IRQ_BASE + irq::MASK;
const GPU_STAT: u32 = gpu::IRQ_BASE + irq::STAT;
const L2_PWRON: u32 = gpu::L2_PRESENT + gpu::PWR_ON_DELTA;
const L2_PWROFF: u32 = gpu::L2_PRESENT + gpu::PWR_OFF_DELTA;
const L2_READY: u32 = gpu::L2_PRESENT + gpu::PWR_READY_DELTA;
const L2_PWRTRANS: u32 = gpu::L2_PRESENT + gpu::PWR_TRANS_DELTA;

#[test]
fn id_registers_report_rk3588_g610_mp4() {
    let r = rig();
    let expect: &[(u32, u32)] = &[
        (gpu::GPU_ID, 0xA867_0005),
        (gpu::L2_FEATURES, 0x0712_0306),
        (gpu::CORE_FEATURES, 0),
        (gpu::TILER_FEATURES, 0x809),
        (gpu::MEM_FEATURES, 0x301),
        (gpu::MMU_FEATURES, 0x2830),
        (gpu::AS_PRESENT, 0xFF),
        (gpu::CSF_ID, 0x040A_0412),
        (gpu::THREAD_MAX_THREADS, 2048),
        (gpu::THREAD_MAX_WORKGROUP_SIZE, 1024),
        (gpu::THREAD_MAX_BARRIER_SIZE, 1024),
        (gpu::THREAD_FEATURES, 0x0401_0000),
        (gpu::TEXTURE_FEATURES_0, 0xC1FF_FF9E),
        (gpu::GPU_REVID, 0),
        (gpu::COHERENCY_FEATURES, 0),
    ];
    for &(off, v) in expect {
        assert_eq!(r.r32(off), v, "offset {off:#x}");
    }
    assert_eq!(r.r64(gpu::SHADER_PRESENT), 0x5_0005);
    assert_eq!(r.r64(gpu::TILER_PRESENT), 1);
    assert_eq!(r.r64(gpu::L2_PRESENT), 1);
    assert_eq!(r.r64(gpu::STACK_PRESENT), 0x55);
    assert_eq!(r.r64(gpu::GPU_FEATURES), 0);
}

#[test]
fn fresh_model_has_quiet_status_and_irqs() {
    let r = rig();
    assert_eq!(r.r32(gpu::GPU_STATUS), 0);
    assert_eq!(r.r32(GPU_RAWSTAT), 0);
    assert_eq!(r.r32(gpu::MCU_STATUS), 0);
    assert_eq!(r.r64(L2_READY), 0);
    for k in IrqKind::ALL {
        assert!(!r.gpu.irq_line(k).is_asserted());
    }
}

#[test]
fn rawstat_write_forces_bits_on_and_clear_removes_them() {
    let r = rig();
    r.w32(GPU_RAWSTAT, gpu_irq::RESET_COMPLETED | gpu_irq::FAULT);
    r.w32(GPU_RAWSTAT, 0);
    assert_eq!(
        r.r32(GPU_RAWSTAT),
        gpu_irq::RESET_COMPLETED | gpu_irq::FAULT
    );
    r.w32(GPU_CLEAR, gpu_irq::FAULT);
    assert_eq!(r.r32(GPU_RAWSTAT), gpu_irq::RESET_COMPLETED);
}

#[test]
fn status_is_rawstat_masked_and_drives_the_line() {
    let r = rig();
    let line = r.gpu.irq_line(IrqKind::Gpu);
    r.w32(GPU_RAWSTAT, gpu_irq::RESET_COMPLETED);
    assert_eq!(r.r32(GPU_STAT), 0);
    assert!(!line.is_asserted());
    r.w32(GPU_MASK, gpu_irq::RESET_COMPLETED);
    assert_eq!(r.r32(GPU_STAT), gpu_irq::RESET_COMPLETED);
    assert!(line.is_asserted());
    r.w32(GPU_MASK, 0);
    assert!(!line.is_asserted(), "masking drops a level-triggered line");
}

#[test]
fn line_stays_high_until_every_status_bit_is_cleared() {
    let r = rig();
    r.w32(GPU_MASK, 0xFFFF_FFFF);
    r.w32(
        GPU_RAWSTAT,
        gpu_irq::FAULT | gpu_irq::CLEAN_CACHES_COMPLETED,
    );
    r.w32(GPU_CLEAR, gpu_irq::FAULT);
    assert!(r.gpu.irq_line(IrqKind::Gpu).is_asserted());
    r.w32(GPU_CLEAR, gpu_irq::CLEAN_CACHES_COMPLETED);
    assert!(!r.gpu.irq_line(IrqKind::Gpu).is_asserted());
}

#[test]
fn doorbell_mirror_cannot_be_cleared() {
    let r = rig();
    r.w32(GPU_RAWSTAT, gpu_irq::DOORBELL_MIRROR);
    r.w32(GPU_CLEAR, 0xFFFF_FFFF);
    assert_eq!(r.r32(GPU_RAWSTAT), gpu_irq::DOORBELL_MIRROR);
}

#[test]
fn job_and_mmu_blocks_have_the_same_irq_semantics() {
    let r = rig();
    for (base, kind) in [
        (block::JOB_CONTROL, IrqKind::Job),
        (mmu::IRQ_BASE, IrqKind::Mmu),
    ] {
        r.w32(base + irq::MASK, 0xFFFF_FFFF);
        assert_eq!(
            r.r32(base + irq::MASK),
            0xFFFF_FFFF,
            "masks store all 32 bits"
        );
        r.w32(base + irq::RAWSTAT, 1);
        assert_eq!(r.r32(base + irq::STAT), 1);
        assert!(r.gpu.irq_line(kind).is_asserted());
        r.w32(base + irq::CLEAR, 1);
        assert!(!r.gpu.irq_line(kind).is_asserted());
    }
}

#[test]
fn unknown_offset_is_a_counted_bus_error() {
    let r = rig();
    assert_eq!(
        r.gpu.read32(0x0F80),
        Err(BusError::Unmapped { offset: 0x0F80 })
    );
    assert_eq!(
        r.gpu.write32(0x3000, 1),
        Err(BusError::Unmapped { offset: 0x3000 })
    );
    assert_eq!(
        r.gpu.read32(0x40_0000),
        Err(BusError::Unmapped { offset: 0x40_0000 })
    );
    let s = r.gpu.bus_stats();
    assert_eq!((s.unmapped_reads, s.unmapped_writes), (2, 1));
}

#[test]
fn misaligned_access_is_a_counted_bus_error() {
    let r = rig();
    assert_eq!(r.gpu.read32(0x2), Err(BusError::Misaligned { offset: 0x2 }));
    assert_eq!(
        r.gpu.read64(0x104),
        Err(BusError::Misaligned { offset: 0x104 })
    );
    assert_eq!(r.gpu.bus_stats().misaligned, 2);
}

#[test]
fn absent_address_spaces_are_holes() {
    let r = rig();
    assert!(r.gpu.read32(as_reg(7, mmu::STATUS)).is_ok());
    assert_eq!(
        r.gpu.read32(as_reg(8, mmu::STATUS)),
        Err(BusError::Unmapped {
            offset: as_reg(8, mmu::STATUS)
        })
    );
}

#[test]
fn writes_to_read_only_registers_are_ignored_and_counted() {
    let r = rig();
    r.w32(gpu::GPU_ID, 0);
    r.w32(gpu::SHADER_PRESENT, 0);
    assert_eq!(r.r32(gpu::GPU_ID), 0xA867_0005);
    assert_eq!(r.r64(gpu::SHADER_PRESENT), 0x5_0005);
    assert_eq!(r.gpu.bus_stats().ignored_writes, 2);
}

#[test]
fn l2_power_up_shows_pwrtrans_then_ready() {
    let r = rig();
    r.w32(L2_PWRON, 1);
    assert_eq!(r.r64(L2_PWRTRANS), 1);
    assert_eq!(r.r64(L2_READY), 0);
    assert_ne!(r.r32(gpu::GPU_STATUS) & gpu_status::PWR_ACTIVE, 0);
    r.gpu.advance(Timing::DEFAULT.power_ns - 1);
    assert_eq!(r.r64(L2_READY), 0, "not before the latency");
    r.gpu.advance(1);
    assert_eq!(r.r64(L2_PWRTRANS), 0);
    assert_eq!(r.r64(L2_READY), 1);
    assert_eq!(r.r32(gpu::GPU_STATUS) & gpu_status::PWR_ACTIVE, 0);
}

#[test]
fn power_transition_completion_raises_power_changed_irqs() {
    let r = rig();
    r.w32(L2_PWRON, 1);
    r.gpu.run_until_idle();
    assert_eq!(
        r.r32(GPU_RAWSTAT),
        gpu_irq::POWER_CHANGED_SINGLE | gpu_irq::POWER_CHANGED_ALL
    );
}

#[test]
fn power_off_clears_ready_after_the_latency() {
    let r = rig();
    r.w32(L2_PWRON, 1);
    r.gpu.run_until_idle();
    r.w32(L2_PWROFF, 1);
    assert_eq!(r.r64(L2_PWRTRANS), 1);
    assert_eq!(r.r64(L2_READY), 1);
    r.gpu.run_until_idle();
    assert_eq!(r.r64(L2_READY), 0);
}

#[test]
fn power_requests_for_absent_units_do_nothing() {
    let r = rig();
    r.w64(gpu::SHADER_PWRON, 0xFFFF_FFFF_FFFF_FFFF);
    assert_eq!(r.r64(gpu::SHADER_PWRTRANS), 0x5_0005);
    r.gpu.run_until_idle();
    assert_eq!(r.r64(gpu::SHADER_READY), 0x5_0005);
}

#[test]
fn soft_reset_completes_after_its_latency_with_reset_completed() {
    let r = rig();
    r.w32(GPU_MASK, 0x2_0103);
    r.w32(gpu::GPU_COMMAND, 0x101);
    assert_ne!(r.r32(gpu::GPU_STATUS) & gpu_status::ACTIVE, 0);
    assert!(!r.gpu.irq_line(IrqKind::Gpu).is_asserted());
    r.gpu.advance(Timing::DEFAULT.reset_ns);
    assert_eq!(r.r32(GPU_RAWSTAT), gpu_irq::RESET_COMPLETED);
    assert!(r.gpu.irq_line(IrqKind::Gpu).is_asserted());
    assert_eq!(r.r32(gpu::GPU_STATUS) & gpu_status::ACTIVE, 0);
}

#[test]
fn soft_reset_keeps_irq_masks_and_clears_everything_else() {
    let r = rig();
    r.w32(GPU_MASK, 0x2_0103);
    r.w32(mmu::IRQ_BASE + irq::MASK, 0xFFFF);
    r.w32(block::JOB_CONTROL + irq::MASK, 0xFFFF_FFFF);
    r.w32(mmu::IRQ_BASE + irq::RAWSTAT, 1);
    r.w32(L2_PWRON, 1);
    r.w64(as_reg(3, mmu::TRANSTAB), 0x1000);
    r.w64(gpu::TIMESTAMP_OFFSET, 0x55);
    r.gpu.run_until_idle();
    r.w32(gpu::GPU_COMMAND, 0x101);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(GPU_MASK), 0x2_0103);
    assert_eq!(r.r32(mmu::IRQ_BASE + irq::MASK), 0xFFFF);
    assert_eq!(r.r32(block::JOB_CONTROL + irq::MASK), 0xFFFF_FFFF);
    assert_eq!(r.r32(mmu::IRQ_BASE + irq::RAWSTAT), 0);
    assert_eq!(r.r64(L2_READY), 0, "soft reset leaves the L2 powered down");
    assert_eq!(r.r64(as_reg(3, mmu::TRANSTAB)), 0);
    assert_eq!(r.r64(gpu::TIMESTAMP_OFFSET), 0x55);
}

#[test]
fn hard_reset_also_completes_with_reset_completed() {
    let r = rig();
    r.w32(gpu::GPU_COMMAND, 0x201);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(GPU_RAWSTAT), gpu_irq::RESET_COMPLETED);
}

#[test]
fn commands_during_reset_are_ignored_and_counted() {
    let r = rig();
    r.w32(gpu::GPU_COMMAND, 0x101);
    r.w32(gpu::GPU_COMMAND, 0x3304);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(GPU_RAWSTAT) & gpu_irq::CLEAN_CACHES_COMPLETED, 0);
    assert_eq!(r.gpu.bus_stats().commands_during_reset, 1);
}

#[test]
fn cache_flush_raises_clean_caches_completed_after_its_latency() {
    let r = rig();
    r.w32(gpu::GPU_COMMAND, 0x3304);
    assert_eq!(r.r32(GPU_RAWSTAT), 0);
    r.gpu.advance(Timing::DEFAULT.cache_flush_ns);
    assert_eq!(r.r32(GPU_RAWSTAT), gpu_irq::CLEAN_CACHES_COMPLETED);
}

#[test]
fn cache_flush_advances_latest_flush_id() {
    let r = rig();
    let before = r.r32(block::USER);
    assert_ne!(before, 0, "0 would mean 'always flush'");
    r.w32(gpu::GPU_COMMAND, 0x304);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(block::USER), before + 1);
}

#[test]
fn timestamp_counts_24mhz_ticks_of_model_time_plus_offset() {
    let r = rig();
    r.gpu.advance(1_000_000); // 1 ms
    assert_eq!(r.r64(gpu::TIMESTAMP), 24_000);
    r.w64(gpu::TIMESTAMP_OFFSET, 1_000);
    assert_eq!(r.r64(gpu::TIMESTAMP), 25_000);
}

#[test]
fn cycle_counter_runs_only_while_enabled_by_time_command() {
    let r = rig();
    r.gpu.advance(1_000);
    assert_eq!(r.r64(gpu::CYCLE_COUNT), 0);
    r.w32(gpu::GPU_COMMAND, 0x103);
    assert_ne!(r.r32(gpu::GPU_STATUS) & gpu_status::CYCLE_COUNT_ACTIVE, 0);
    r.gpu.advance(1_000_000);
    r.w32(gpu::GPU_COMMAND, 0x003);
    r.gpu.advance(1_000_000);
    assert_eq!(r.r64(gpu::CYCLE_COUNT), 198_000);
}

#[test]
fn instant_timing_completes_inside_the_write() {
    let r = rig_with(Timing::INSTANT);
    r.w32(L2_PWRON, 1);
    assert_eq!(r.r64(L2_READY), 1);
    r.w32(gpu::GPU_COMMAND, 0x101);
    assert_eq!(r.r32(GPU_RAWSTAT), gpu_irq::RESET_COMPLETED);
}

#[test]
fn pwr_override_needs_the_key() {
    let r = rig();
    r.w32(gpu::PWR_OVERRIDE0, 7);
    assert_eq!(r.r32(gpu::PWR_OVERRIDE0), 0);
    r.w32(gpu::PWR_KEY, gpu::PWR_KEY_UNLOCK);
    r.w32(gpu::PWR_OVERRIDE0, 7);
    assert_eq!(r.r32(gpu::PWR_OVERRIDE0), 7);
}

#[test]
fn coherency_protocol_stores_what_is_written() {
    let r = rig();
    r.w32(gpu::COHERENCY_PROTOCOL, 31);
    assert_eq!(r.r32(gpu::COHERENCY_PROTOCOL), 31);
    r.w32(gpu::COHERENCY_PROTOCOL, 0);
    assert_eq!(r.r32(gpu::COHERENCY_PROTOCOL), 0);
}

#[test]
fn waiting_thread_wakes_on_reset_completion_from_the_model_thread() {
    let r = rig();
    r.w32(GPU_MASK, gpu_irq::RESET_COMPLETED);
    let _t = hw_mali::ModelThread::spawn(&r.gpu).unwrap();
    r.w32(gpu::GPU_COMMAND, 0x101);
    assert!(r
        .gpu
        .irq_line(IrqKind::Gpu)
        .wait_asserted(std::time::Duration::from_secs(10)));
    assert_eq!(r.r32(GPU_STAT), gpu_irq::RESET_COMPLETED);
}

#[test]
fn job_irq_glb_bit_is_bit_31() {
    assert_eq!(JobIrq::GLB.0, 0x8000_0000);
}

#[test]
fn register_dump_of_a_fresh_model_lists_ids_and_address_spaces() {
    let r = rig();
    let dump = r.gpu.register_dump();
    let find = |n: &str| {
        dump.iter()
            .find(|d| d.name == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    assert_eq!(find("GPU_ID").value, Some(0xA867_0005));
    assert_eq!(find("SHADER_PRESENT").value, Some(0x5_0005));
    assert_eq!(find("GPU_COMMAND").value, None);
    assert_eq!(find("AS7_STATUS").value, Some(0));
    assert_eq!(find("AS0_TRANSCFG").offset, 0x2430);
    assert!(find("GPU_ID").to_string().contains("0xa8670005"));
    assert_eq!(
        r.gpu.bus_stats(),
        hw_mali::BusStats::default(),
        "dumping is not a bus error"
    );
}
