// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Fault injection and the progress timer (`Documentation/hardware.md#fault-injection`): each injected hang or fault
//! shows as the hardware would show it, and a GPU soft reset clears it. Time is stepped explicitly; nothing sleeps.

mod common;

use common::csq::op::*;
use common::csq::*;
use common::*;
use hw_mali::csf::{self, csg, glb, GLB_INPUT_VA, GLB_OUTPUT_VA};
use hw_mali::fields::CsgReq;
use hw_mali::fields::{GlbReq, JobIrq};
use hw_mali::mmu::AccessType;
use hw_mali::regs::{gpu, gpu_irq, irq, mcu, mmu};
use hw_mali::InjectState;

/// The MCU latches `progress_timer` = `units` (× 1024 GPU cycles) as Panthor's init does it.
fn set_progress_timer(t: &Gpu, units: u32) {
    t.wr(GLB_INPUT_VA + glb::PROGRESS_TIMER, units);
    let req = t.rd(GLB_INPUT_VA + glb::REQ);
    let ack = t.rd(GLB_OUTPUT_VA + glb::ACK);
    let bit = GlbReq::CFG_PROGRESS_TIMER.0;
    t.wr(GLB_INPUT_VA + glb::REQ, (req & !bit) | (!ack & bit));
    t.ring_doorbell(0);
    t.settle();
    assert_eq!(t.r.gpu.mcu_latched().progress_timer, units);
}

/// Soft reset, stepped to completion.
fn soft_reset(t: &Gpu) {
    t.r.w32(gpu::GPU_COMMAND, 0x101);
    t.r.gpu.run_until_idle();
    assert_ne!(
        t.r.r32(gpu::IRQ_BASE + irq::RAWSTAT) & gpu_irq::RESET_COMPLETED,
        0
    );
}

/// 100 units of 1024 cycles at 198 MHz: about 517 µs.
const PERIOD_UNITS: u32 = 100;
const PERIOD_NS: u64 = 100 * 1024 * 1_000_000_000 / 198_000_000;

#[test]
fn a_stream_looping_without_progress_trips_the_progress_timer() {
    let t = Gpu::new();
    set_progress_timer(&t, PERIOD_UNITS);
    t.start_group(0, 1);
    t.submit(0, 0, &[branch(0, 6, -1)]);
    t.r.gpu.advance(PERIOD_NS / 2);
    assert_eq!(
        t.csg_events(0, CsgReq::PROGRESS_TIMER_EVENT.0),
        0,
        "half a period"
    );
    t.r.gpu.advance(PERIOD_NS);
    assert_ne!(
        t.csg_events(0, CsgReq::PROGRESS_TIMER_EVENT.0),
        0,
        "a whole period without progress"
    );
    assert_ne!(
        t.r.r32(JOB_RAWSTAT) & JobIrq::csg_slot(0).0,
        0,
        "with the slot's JOB IRQ"
    );
}

#[test]
fn a_stream_that_keeps_retiring_ring_work_does_not_trip_it() {
    let t = Gpu::new();
    set_progress_timer(&t, PERIOD_UNITS);
    t.start_group(0, 1);
    // Many short jobs for several periods: each retires at ring level.
    for i in 0..40u32 {
        t.submit(
            0,
            0,
            &[
                move48(0, RESULT_VA),
                move32(2, i),
                stm(2, 0, 1, 0),
                wait(0xFF),
            ],
        );
        t.r.gpu.advance(PERIOD_NS / 8);
    }
    assert_eq!(t.mem32(RESULT_VA), 39);
    assert_eq!(t.csg_events(0, CsgReq::PROGRESS_TIMER_EVENT.0), 0);
}

#[test]
fn an_injected_spin_trips_the_progress_timer_until_a_reset() {
    let t = Gpu::new();
    set_progress_timer(&t, PERIOD_UNITS);
    t.start_group(0, 1);
    assert!(!t.r.gpu.inject_cs_spin(0, 1), "CS 1 was never started");
    assert!(t.r.gpu.inject_cs_spin(0, 0));
    t.r.gpu.advance(2 * PERIOD_NS);
    assert_ne!(t.csg_events(0, CsgReq::PROGRESS_TIMER_EVENT.0), 0);
    soft_reset(&t);
    assert_eq!(t.r.r32(gpu::MCU_STATUS), mcu::STATUS_DISABLED);
    assert_eq!(t.r.gpu.next_event_ns(), None, "nothing spins any more");
}

#[test]
fn a_stuck_mcu_acknowledges_nothing_until_a_reset() {
    let t = Gpu::new();
    t.r.gpu.inject_mcu_stuck();
    assert_eq!(
        t.r.gpu.injected(),
        InjectState {
            mcu_stuck: true,
            stuck_as: 0,
            boot_failures: 0
        }
    );
    t.program_group(0, 1);
    t.csg_request(0, csg::STATE_START, CsgReq::ENDPOINT_CONFIG.0, 1);
    t.settle();
    let (input, output) = csf::csg_iface(0);
    assert_ne!(
        (t.rd(input + csg::REQ) ^ t.rd(output + csg::ACK)) & CsgReq::STATE.0,
        0,
        "START is not acknowledged"
    );
    assert!(!t.r.gpu.csg_latched(0).unwrap().running);
    assert_eq!(
        t.r.r32(gpu::MCU_STATUS),
        mcu::STATUS_ENABLED,
        "still looks alive"
    );
    soft_reset(&t);
    assert_eq!(t.r.gpu.injected(), InjectState::default());
    assert_eq!(
        t.r.r32(gpu::MCU_STATUS),
        mcu::STATUS_DISABLED,
        "the reset stopped the MCU; the driver boots it again"
    );
}

#[test]
fn a_stuck_as_keeps_its_command_active_until_a_reset() {
    let t = Gpu::new();
    assert!(!t.r.gpu.inject_as_stuck(8));
    assert!(t.r.gpu.inject_as_stuck(GROUP_AS));
    t.r.w32(as_reg(GROUP_AS, mmu::COMMAND), 4); // FLUSH_PT
    t.r.gpu.run_until_idle();
    assert_eq!(
        t.r.r32(as_reg(GROUP_AS, mmu::STATUS)) & 1,
        1,
        "ACTIVE stays set"
    );
    let dropped = t.r.gpu.bus_stats().dropped_as_commands;
    t.r.w32(as_reg(GROUP_AS, mmu::COMMAND), 3);
    assert_eq!(
        t.r.gpu.bus_stats().dropped_as_commands,
        dropped + 1,
        "a command written while busy is dropped"
    );
    assert_eq!(t.r.r32(as_reg(0, mmu::STATUS)) & 1, 0, "other ASes work");
    soft_reset(&t);
    assert_eq!(t.r.r32(as_reg(GROUP_AS, mmu::STATUS)) & 1, 0);
    t.r.w32(as_reg(GROUP_AS, mmu::COMMAND), 1);
    t.r.gpu.run_until_idle();
    assert_eq!(
        t.r.r32(as_reg(GROUP_AS, mmu::STATUS)) & 1,
        0,
        "commands complete again"
    );
}

#[test]
fn a_bus_fault_reads_as_gpu_bus_fault_with_its_irq_until_a_reset() {
    let t = Gpu::new();
    t.r.w32(gpu::IRQ_BASE + irq::CLEAR, !0);
    t.r.gpu.inject_bus_fault(0x1234_5000, AccessType::Write);
    let status = t.r.r32(gpu::GPU_FAULTSTATUS);
    assert_eq!(status & 0xff, 0x80, "GPU_BUS_FAULT");
    assert_eq!((status >> 8) & 3, 3, "write access");
    assert_ne!(status & (1 << 10), 0, "address valid");
    assert_eq!(t.r.r64(gpu::GPU_FAULTADDRESS), 0x1234_5000);
    assert_ne!(t.r.r32(gpu::IRQ_BASE + irq::RAWSTAT) & gpu_irq::FAULT, 0);
    soft_reset(&t);
    assert_eq!(t.r.r32(gpu::GPU_FAULTSTATUS), 0);
    assert_eq!(t.r.r32(gpu::IRQ_BASE + irq::RAWSTAT) & gpu_irq::FAULT, 0);
}

#[test]
fn failed_mcu_boots_read_fatal_without_an_interrupt_and_outlive_resets() {
    let t = Gpu::new();
    t.r.gpu.inject_mcu_boot_failures(2);
    // What the driver brings back after a reset before it boots the MCU: the MCU's AS 0 and the L2.
    let root = t.r.r64(as_reg(0, mmu::TRANSTAB));
    let soft_reset = |t: &Gpu| {
        soft_reset(t);
        t.r.enable_as(0, root);
        t.r.w32(gpu::L2_PRESENT + gpu::PWR_ON_DELTA, 1);
        t.r.gpu.run_until_idle();
    };
    let boot = || {
        t.r.w32(JOB_CLEAR, !0);
        t.r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
        t.r.gpu.run_until_idle();
        (
            t.r.r32(gpu::MCU_STATUS),
            t.r.r32(JOB_RAWSTAT) & JobIrq::GLB.0 != 0,
        )
    };
    for left in [1, 0] {
        soft_reset(&t);
        assert_eq!(
            t.r.gpu.injected().boot_failures,
            left + 1,
            "a reset keeps it"
        );
        assert_eq!(boot(), (mcu::STATUS_FATAL, false));
        assert_eq!(t.r.gpu.injected().boot_failures, left);
    }
    soft_reset(&t);
    assert_eq!(boot(), (mcu::STATUS_ENABLED, true), "the third boot works");
    assert_eq!(t.r.gpu.injected(), InjectState::default());
}
