// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shaders exactly as Mesa 25.0.7 compiles them for panvk, run on the modelled GPU the way panvk launches them: the
//! resource table (entry 0 the driver set, entry 1 descriptor set 0 with two storage-buffer descriptors), push
//! constants in the FAU after the base-workgroup sysval, workgroup-local storage from the thread storage descriptor
//! (`Documentation/hardware.md#shader-core`). The words are the compiler's disassembly (`BIFROST_MESA_DEBUG=shaders`)
//! put back through Mesa's assembler (`asm.py`); the GLSL is in each constant's comment.

mod flow;
mod shared_atomics;
mod subgroups;

#[path = "../common/mod.rs"]
mod common;

use common::csq::op::*;
use common::csq::*;
use common::shaders::SHARED_REVERSE;
use hw_mali::fields::CsReq;

const BINARY: u64 = CODE_VA;
const SPD: u64 = CODE_VA + 0x1000;
const TSD: u64 = SPD + 0x40;
const FAU: u64 = SPD + 0x100;
const SRT: u64 = SPD + 0x400;
const SET0: u64 = SPD + 0x800;
const INPUT: u64 = CODE_VA + 0x2000;
const OUTPUT: u64 = CODE_VA + 0x3000;
/// Workgroup-local storage: two instances of 256 bytes.
const WLS: u64 = RESULT_VA;

/// A started queue with `binary`, an SPD preloading r55..r62, the SRT and set 0 (binding 0 = INPUT, 1 = OUTPUT), the
/// FAU (u0..u3 sysvals, u4 the first push constant = 7) and a TSD with two 256-byte WLS instances.
fn setup(binary: &[u64]) -> Gpu {
    let t = Gpu::compute_queue(BINARY, binary, SPD);
    // WLS: instances log2 1, size scale 9 (2^8 bytes); base.
    t.set32(TSD + 4, 1 | 9 << 8);
    t.set64(TSD + 16, WLS);
    t.set32(FAU + 16, 7);
    // Resource entries: address, contains-descriptors (bit 24 of word 1), size.
    t.set64(SRT + 16, SET0 | 1 << 56);
    t.set64(SRT + 24, 64);
    for (k, va) in [INPUT, OUTPUT].into_iter().enumerate() {
        let desc = SET0 + 32 * k as u64;
        t.set32(desc, 9 | 1 << 4);
        t.set32(desc + 4, 0x1000);
        t.set64(desc + 8, va);
    }
    t
}

/// Runs `groups` workgroups of `local` threads as panvk's dispatch does, behind Panthor's preamble.
fn dispatch(t: &Gpu, local: u32, groups: u32) {
    dispatch_2d(t, local, 1, groups);
}

/// Runs `groups` workgroups of `x` by `y` threads (r33 = `Compute size workgroup`).
fn dispatch_2d(t: &Gpu, x: u32, y: u32, groups: u32) {
    let stream = [
        move48(0, SRT | 2),
        move48(8, FAU),
        move32(9, 4 << 24),
        move48(16, SPD),
        move48(24, TSD),
        move32(32, 0),
        move32(33, (x - 1) | (y - 1) << 10),
        move32(34, 0),
        move32(35, 0),
        move32(36, 0),
        move32(37, groups),
        move32(38, 1),
        move32(39, 1),
        run_compute(0),
        wait(0xFF),
    ];
    t.run_job(&stream);
    assert_eq!(
        t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0),
        0,
        "no fault"
    );
    assert_eq!(
        (t.mem64(SYNC_VA), t.mem32(SYNC_VA + 8)),
        (1, 0),
        "job done without error"
    );
}
