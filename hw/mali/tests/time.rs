// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Model time: explicit stepping is deterministic, and waiting on the model uses its condition variable with a timeout
//! (no sleeps, no polling loops) whether a model thread or another thread moves the clock.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hw_mali::regs::{as_command, gpu, gpu_irq, irq, mmu};
use hw_mali::{ModelThread, Timing};

const GPU_RAWSTAT: u32 = gpu::IRQ_BASE + irq::RAWSTAT;
const L2_PWRON: u32 = gpu::L2_PRESENT + gpu::PWR_ON_DELTA;
const L2_READY: u32 = gpu::L2_PRESENT + gpu::PWR_READY_DELTA;
const WAIT: Duration = Duration::from_secs(30);

#[test]
fn step_completes_one_deadline_at_a_time() {
    let r = rig();
    r.w32(L2_PWRON, 1); // 2 µs
    r.w32(gpu::GPU_COMMAND, 0x304); // FLUSH_CACHES, 1 µs
    assert_eq!(r.gpu.next_event_ns(), Some(Timing::DEFAULT.cache_flush_ns));
    assert_eq!(r.gpu.step(), Some(1_000));
    assert_eq!(
        r.r32(GPU_RAWSTAT),
        gpu_irq::CLEAN_CACHES_COMPLETED,
        "the flush is done, the power-up is not"
    );
    assert_eq!(r.r64(L2_READY), 0);
    assert_eq!(r.gpu.step(), Some(2_000));
    assert_eq!(r.r64(L2_READY), 1);
    assert_eq!(r.gpu.step(), None);
    assert_eq!(
        r.gpu.now_ns(),
        2_000,
        "an empty step leaves the clock alone"
    );
}

#[test]
fn events_due_at_the_same_instant_complete_in_one_step() {
    let r = rig();
    r.w32(as_reg(1, mmu::COMMAND), as_command::UPDATE);
    r.w32(as_reg(2, mmu::COMMAND), as_command::UPDATE);
    assert_eq!(r.gpu.step(), Some(Timing::DEFAULT.as_command_ns));
    assert_eq!(r.r32(as_reg(1, mmu::STATUS)), 0);
    assert_eq!(
        r.r32(as_reg(2, mmu::STATUS)),
        0,
        "both were due, both completed in the one step"
    );
}

/// The same register traffic gives the same sequence of (time, RAWSTAT) on every run.
#[test]
fn stepping_is_deterministic() {
    let run = || {
        let r = rig();
        r.w32(gpu::IRQ_BASE + irq::MASK, 0xFFFF_FFFF);
        r.w32(L2_PWRON, 1);
        r.w32(gpu::SHADER_PWRON, 0x5_0005);
        r.w32(gpu::GPU_COMMAND, 0x3304);
        let mut trace = Vec::new();
        while let Some(t) = r.gpu.step() {
            trace.push((t, r.r32(GPU_RAWSTAT)));
            r.w32(gpu::IRQ_BASE + irq::CLEAR, 0xFFFF_FFFF);
        }
        trace
    };
    let first = run();
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first, run());
}

#[test]
fn wait_until_returns_when_the_model_thread_completes_a_reset() {
    let r = rig();
    let _thread = ModelThread::spawn(&r.gpu).unwrap();
    r.w32(gpu::GPU_COMMAND, 0x101);
    assert!(r
        .gpu
        .wait_until(WAIT, || r.r32(GPU_RAWSTAT) & gpu_irq::RESET_COMPLETED != 0));
}

#[test]
fn wait_until_polls_as_status_without_spinning() {
    let r = rig();
    let _thread = ModelThread::spawn(&r.gpu).unwrap();
    r.w32(as_reg(0, mmu::COMMAND), as_command::UPDATE);
    assert!(r
        .gpu
        .wait_until(WAIT, || r.r32(as_reg(0, mmu::STATUS)) & mmu::STATUS_ACTIVE
            == 0));
}

#[test]
fn wait_until_wakes_when_another_thread_steps_the_clock() {
    let r = rig();
    r.w32(L2_PWRON, 1);
    let gpu = Arc::clone(&r.gpu);
    let stepper = std::thread::spawn(move || gpu.run_until_idle());
    assert!(r.gpu.wait_until(WAIT, || r.r64(L2_READY) == 1));
    stepper.join().unwrap();
}

#[test]
fn wait_until_sees_a_register_written_by_another_thread() {
    let r = rig();
    let gpu = Arc::clone(&r.gpu);
    let writer = std::thread::spawn(move || gpu.write32(gpu::L2_CONFIG, 0x0012_0000).unwrap());
    assert!(r
        .gpu
        .wait_until(WAIT, || r.r32(gpu::L2_CONFIG) == 0x0012_0000));
    writer.join().unwrap();
}

#[test]
fn wait_until_times_out_when_nothing_moves_the_clock() {
    let r = rig();
    r.w32(gpu::GPU_COMMAND, 0x101);
    assert!(!r
        .gpu
        .wait_until(Duration::from_millis(20), || r.r32(GPU_RAWSTAT)
            & gpu_irq::RESET_COMPLETED
            != 0));
    assert_eq!(r.gpu.now_ns(), 0, "a manual clock does not move by itself");
}

#[test]
fn dropping_the_model_thread_returns_to_manual_time() {
    let r = rig();
    let thread = ModelThread::spawn(&r.gpu).unwrap();
    drop(thread);
    let t = r.gpu.now_ns();
    r.w32(L2_PWRON, 1);
    assert!(!r
        .gpu
        .wait_until(Duration::from_millis(20), || r.r64(L2_READY) == 1));
    assert_eq!(r.gpu.now_ns(), t);
    r.gpu.run_until_idle();
    assert_eq!(r.r64(L2_READY), 1);
}
