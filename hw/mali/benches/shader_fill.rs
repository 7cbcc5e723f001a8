// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shader-core throughput: a 64 MiB fill as panvk's `vkCmdFillBuffer` shader does it (one 16-byte store per
//! thread, workgroups of 64 threads), launched by RUN_COMPUTE on the modelled GPU through a group's AS mapped in
//! 4 KiB pages, with one worker and with every host core; beside the host CPU's memset of the same 64 MiB of model
//! RAM in the same run. Reports thread-instructions per second and ns per MiB (the best of the runs).
//!
//! `cargo bench -p hw-mali --bench shader_fill` (or `make bench`); `TYR_BENCH_RUNS` sets the runs (default 5).

#[path = "../tests/common/mod.rs"]
mod common;

use hw_mali::fields::CsReq;
use std::time::Instant;

use common::csq::op::*;
use common::csq::*;
use common::pte::*;
use common::{as_reg, Pt};
use hw_mali::regs::mmu;
use hw_mali::shader::parallel::{set_workers, workers};

const SPD: u64 = CODE_VA + 0x1000;
const FAU: u64 = SPD + 0x100;
/// The filled buffer.
const BUF: u64 = 0x4000_0000;
const BYTES: u64 = 64 << 20;
const LOCAL: u64 = 64;
const VALUE: u32 = 0xF00D_CAFE;

/// r4..r7 = u0; r8:r9 = u4:u5 + global_id.x · 16; one 16-byte store: 6 thread-instructions per thread.
const FILL: [u64; 6] = [
    0x0091_C400_0000_0080, // MOV.i32 r4, u0
    0x0091_C500_0000_0080, // MOV.i32 r5, u0
    0x0091_C600_0000_0080, // MOV.i32 r6, u0
    0x0091_C700_0000_0080, // MOV.i32 r7, u0
    0x01A3_C800_0047_3C84, // SHADDX.u64 r8, u4, r60, shift:4
    0x7861_4408_3800_0008, // STORE.i128.slot0.end @r4:r5:r6:r7, r8, offset:0
];
const INSTRS_PER_THREAD: u64 = FILL.len() as u64;

/// A started queue with the fill shader and BYTES of 4 KiB pages at BUF; returns the pages' PAs.
fn setup() -> (Gpu, Vec<u64>) {
    let t = Gpu::new();
    t.start_group(0, 1);
    t.r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    t.code(CODE_VA, &FILL);
    t.set32(SPD, 8 | 1 << 4);
    t.set32(SPD + 4, 0x7F80);
    t.set64(SPD + 8, CODE_VA);
    t.set32(FAU, VALUE);
    t.set64(FAU + 16, BUF);
    let root = t.r.r64(as_reg(GROUP_AS, mmu::TRANSTAB)) & 0x0000_FFFF_FFFF_F000;
    let pt = Pt {
        ram: &t.r.ram,
        root,
    };
    let pages: Vec<u64> = (0..BYTES / 4096)
        .map(|p| {
            let pa = t.r.ram.alloc_frame().expect("frame");
            pt.page(BUF + 4096 * p, pa, RW_CACHED | XN | PXN);
            pa
        })
        .collect();
    let groups = (BYTES / 16 / LOCAL) as u32;
    let stream = [
        move48(0, 0),
        move48(8, FAU),
        move32(9, 3 << 24),
        move48(16, SPD),
        move48(24, 0),
        move32(33, LOCAL as u32 - 1),
        move32(34, 0),
        move32(35, 0),
        move32(36, 0),
        move32(37, groups),
        move32(38, 1),
        move32(39, 1),
        run_compute(0),
        wait(0xFF),
    ];
    t.code(STREAM_VA, &stream);
    (t, pages)
}

/// Seconds one fill takes (submit to settled), checked.
fn fill(t: &Gpu, pages: &[u64], len: u32) -> f64 {
    for pa in pages.iter().step_by(97) {
        t.r.ram.write_u32(*pa, 0).unwrap();
    }
    let start = Instant::now();
    t.submit(0, 0, &preamble(0, STREAM_VA, len, SYNC_VA));
    t.settle();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(
        t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0),
        0,
        "the fill faulted"
    );
    for pa in pages.iter().step_by(97) {
        assert_eq!(t.r.ram.read_u32(*pa).unwrap(), VALUE, "filled");
    }
    secs
}

fn main() {
    let runs: usize = std::env::var("TYR_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    record_reset();
    let host = workers();
    let (t, pages) = setup();
    let len = 8 * 14;
    let threads = BYTES / 16;
    let mib = (BYTES >> 20) as f64;

    // The host's memset of the same frames (the model RAM's own fill, page by page).
    let memset = (0..runs)
        .map(|_| {
            let start = Instant::now();
            for pa in &pages {
                t.r.ram.fill(*pa, 4096, 0xA5).unwrap();
            }
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "shader_fill: host memset of {mib} MiB: {:.0} ns/MiB ({:.2} GB/s)",
        memset * 1e9 / mib,
        BYTES as f64 / memset / 1e9
    );

    let mut per_mode = Vec::new();
    for (mode, n) in [("sequential", 1), ("parallel", host)] {
        set_workers(n);
        let best = (0..runs)
            .map(|_| fill(&t, &pages, len))
            .fold(f64::INFINITY, f64::min);
        let rate = (threads * INSTRS_PER_THREAD) as f64 / best;
        println!(
            "shader_fill: {mode} ({n} worker{}): {:.1} ms, {:.1} M thread-instructions/s, {:.0} ns/MiB ({:.1}x memset)",
            if n == 1 { "" } else { "s" },
            best * 1e3,
            rate / 1e6,
            best * 1e9 / mib,
            best / memset
        );
        record(
            "fill-64m",
            &format!("{mode} ({n})"),
            "ns/MiB",
            best * 1e9 / mib,
            memset * 1e9 / mib,
            "host memset",
        );
        per_mode.push(rate);
    }
    record(
        "fill-64m",
        &format!("thread-instr/s, {host} vs 1 worker"),
        "M/s",
        per_mode[1] / 1e6,
        per_mode[0] / 1e6,
        "1 worker",
    );
    set_workers(host);
}

/// Appends one row for `tyr bench`'s report to `$TYR_BENCH_OUT/shader.jsonl` (nothing when the variable is unset).
fn record(workload: &str, op: &str, unit: &str, ours: f64, peer: f64, peer_name: &str) {
    use std::io::Write as _;
    let Some(dir) = std::env::var_os("TYR_BENCH_OUT") else {
        return;
    };
    let _ = std::fs::create_dir_all(&dir);
    let row = format!(
        "{{\"bench\":\"shader\",\"workload\":{workload:?},\"op\":{op:?},\"warmth\":null,\"unit\":{unit:?},\"x\":null,\"ours\":{ours},\"peer\":{peer},\"peer_name\":{peer_name:?}}}\n"
    );
    let path = std::path::Path::new(&dir).join("shader.jsonl");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(row.as_bytes());
    }
}

/// Starts this bench's rows afresh.
fn record_reset() {
    if let Some(dir) = std::env::var_os("TYR_BENCH_OUT") {
        let _ = std::fs::remove_file(std::path::Path::new(&dir).join("shader.jsonl"));
    }
}
