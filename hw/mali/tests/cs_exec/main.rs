// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Command streams executed by the native MCU, driven as a driver drives them: CSG/CS programming in the shared section,
//! rings and BOs in the group's AS, doorbells over MMIO, results read back from RAM
//! (`Documentation/hardware.md#csg-and-cs-interfaces`, `Documentation/hardware.md#cs-instructions`). Time is stepped
//! explicitly; nothing sleeps.

mod faults;
mod groups;
mod instructions;
mod submit;

#[path = "../common/mod.rs"]
mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::cs::exception;
use hw_mali::csf::{self, cs, csg, EXEC_BATCH_NS};
use hw_mali::fields::{CsReq, CsgReq, JobIrq};
use hw_mali::regs::{block, mmu};

/// Runs `stream` (a user stream at CODE_VA) as one job of queue 0 of group 0, behind Panthor's preamble, and lets
/// the model settle.
fn run_job(t: &Gpu, stream: &[u64]) {
    t.code(CODE_VA, stream);
    t.submit(
        0,
        0,
        &preamble(0, CODE_VA, 8 * stream.len() as u32, SYNC_VA),
    );
    t.settle();
}

/// Runs `ring` directly in queue 0's ring (no preamble) and settles.
fn run_ring(t: &Gpu, ring: &[u64]) {
    t.submit(0, 0, ring);
    t.settle();
}

fn regs(t: &Gpu) -> [u32; 96] {
    t.r.gpu.cs_registers(0, 0).unwrap()
}
