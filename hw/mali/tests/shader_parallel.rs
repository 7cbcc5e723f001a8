// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Workgroups of a dispatch on several host threads (`Documentation/hardware.md#parallel-workgroups`): the same
//! bytes as one worker, atomics that stay atomic under contention, and the lowest faulting workgroup reported every
//! time. Each test runs the same dispatch with 1, 2 and 4 workers; the worker count is process-wide, so the tests
//! take turns.

mod common;

use hw_mali::fields::CsReq;
use std::sync::Mutex;

use common::csq::op::*;
use common::csq::*;
use common::pte::*;
use common::shaders::SHARED_REVERSE;
use common::{as_reg, frame_of, Pt};
use hw_mali::csf::cs;
use hw_mali::regs::mmu;
use hw_mali::shader::parallel::{set_workers, workers};

/// Serialises the tests: the worker count is a process-wide setting.
static MODE: Mutex<()> = Mutex::new(());

const SPD: u64 = CODE_VA + 0x1000;
const FAU: u64 = SPD + 0x100;
/// Buffers mapped by [`map`]: input and output.
const IN: u64 = 0x4000_0000;
const OUT: u64 = 0x4100_0000;

/// out[i] = in[i] * 3 + global_id.x (`shader_compute.rs`).
const TRIPLE: [u64; 6] = [
    0x01A3_C200_0027_3C80, // SHADDX.u64 r2, u0, r60, shift:2
    0x0860_8482_1800_0002, // LOAD.i32.unsigned.slot0.wait0 @r4, r2, offset:0
    0x00A0_C500_1C0A_C804, // IMUL.i32 r5, r4, 0x3020100.b3
    0x00A0_C500_0000_3C05, // IADD.u32 r5, r5, r60
    0x01A3_C600_0027_3C82, // SHADDX.u64 r6, u2, r60, shift:2
    0x7861_4502_1800_0006, // STORE.i32.slot0.end @r5, r6, offset:0
];

/// out[i] = atomicAdd(counter at u0, 1) (each thread gets a distinct ticket).
const TICKETS: [u64; 3] = [
    0x0069_8402_1800_0080, // ATOM1_RETURN.i32.slot0.ainc @r4, u0, offset:0
    0x01A3_C600_0027_3C82, // SHADDX.u64 r6, u2, r60, shift:2
    0x7861_4402_1800_0006, // STORE.i32.slot0.end @r4, r6, offset:0
];

/// A started queue with `binary`, a compute SPD and FAU words u0:u1 = `a`, u2:u3 = `b`; `pages` 4 KiB pages mapped
/// at IN and at OUT, except the OUT pages in `holes`. Returns the input and output pages' PAs.
fn setup(binary: &[u64], a: u64, b: u64, pages: u64, holes: &[u64]) -> (Gpu, Vec<u64>, Vec<u64>) {
    let t = Gpu::compute_queue(CODE_VA, binary, SPD);
    t.set64(FAU, a);
    t.set64(FAU + 8, b);
    let root = t.r.r64(as_reg(GROUP_AS, mmu::TRANSTAB)) & 0x0000_FFFF_FFFF_F000;
    let pt = Pt {
        ram: &t.r.ram,
        root,
    };
    let (mut ins, mut out) = (Vec::new(), Vec::new());
    for p in 0..pages {
        let input = frame_of(&t.r.ram, 0);
        ins.push(input);
        for k in 0..1024u64 {
            let i = p * 1024 + k;
            t.r.ram
                .write_u32(input + 4 * k, (i as u32) ^ 0x5A5A)
                .unwrap();
        }
        pt.page(IN + 0x1000 * p, input, RW_CACHED | XN | PXN);
        if !holes.contains(&p) {
            let pa = frame_of(&t.r.ram, 0xEE);
            pt.page(OUT + 0x1000 * p, pa, RW_CACHED | XN | PXN);
            out.push(pa);
        }
    }
    (t, ins, out)
}

/// Runs `groups` workgroups of `local` threads along X as one job and settles.
fn dispatch(t: &Gpu, local: u32, groups: u32) {
    let stream = [
        move48(0, 0),
        move48(8, FAU),
        move32(9, 2 << 24),
        move48(16, SPD),
        move48(24, 0),
        move32(33, local - 1),
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
}

fn bytes(t: &Gpu, pages: &[u64]) -> Vec<u8> {
    let mut v = vec![0u8; 4096 * pages.len()];
    for (chunk, pa) in v.chunks_mut(4096).zip(pages) {
        t.r.ram.read(*pa, chunk).unwrap();
    }
    v
}

/// Runs `f` with 1, 2 and 4 workers and returns what each run gave.
fn in_each_mode<T>(mut f: impl FnMut() -> T) -> Vec<T> {
    let _turn = MODE.lock().unwrap_or_else(|e| e.into_inner());
    let before = workers();
    let r = [1, 2, 4]
        .iter()
        .map(|&n| {
            set_workers(n);
            assert_eq!(workers(), n);
            f()
        })
        .collect();
    set_workers(before);
    r
}

#[test]
fn several_workers_write_the_bytes_one_worker_writes() {
    // 256 workgroups of 64 threads (64 KiB of output, 16 pages), three times each way.
    let runs = in_each_mode(|| {
        (0..3)
            .map(|_| {
                let (t, _, out) = setup(&TRIPLE, IN, OUT, 16, &[]);
                dispatch(&t, 64, 256);
                assert_eq!(t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0), 0);
                bytes(&t, &out)
            })
            .collect::<Vec<_>>()
    });
    let expected: Vec<u8> = (0..16 * 1024u32)
        .flat_map(|i| ((i ^ 0x5A5A).wrapping_mul(3).wrapping_add(i)).to_le_bytes())
        .collect();
    for (mode, r) in runs.iter().enumerate() {
        for bytes in r {
            assert!(*bytes == expected, "mode {mode}: output differs");
        }
    }
}

#[test]
fn atomics_stay_atomic_across_workers() {
    // 8192 threads take a ticket each from one counter (at IN): every ticket is handed out exactly once.
    let n = 8192u32;
    in_each_mode(|| {
        let (t, input, out) = setup(&TICKETS, IN, OUT, 8, &[]);
        let counter_pa = input[0];
        t.r.ram.write_u32(counter_pa, 0).unwrap();
        dispatch(&t, 32, n / 32);
        assert_eq!(t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0), 0);
        assert_eq!(t.r.ram.read_u32(counter_pa).unwrap(), n, "every increment");
        let b = bytes(&t, &out);
        let mut tickets: Vec<u32> = b
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        tickets.sort_unstable();
        assert!(
            tickets.iter().copied().eq(0..n),
            "each ticket handed out once"
        );
    });
}

#[test]
fn the_lowest_faulting_workgroup_is_reported_every_time() {
    // 64 workgroups of 64 threads (one page of output per 16 workgroups): pages 1 and 3 of the output are unmapped,
    // so workgroups 16..32 and 48..64 fault; workgroup 16's first store is the fault, whatever ran first.
    let runs = in_each_mode(|| {
        (0..3)
            .map(|_| {
                let (t, _, _) = setup(&TRIPLE, IN, OUT, 4, &[1, 3]);
                dispatch(&t, 64, 64);
                (
                    t.cs_events(0, 0, CsReq::FAULT.0) != 0,
                    t.cs_out(0, 0, cs::FAULT_WORD),
                    t.cs_out64(0, 0, cs::FAULT_INFO),
                    t.r.r32(MMU_RAWSTAT) & (1 << GROUP_AS) != 0,
                    t.r.faultstatus(GROUP_AS),
                    t.r.faultaddress(GROUP_AS),
                )
            })
            .collect::<Vec<_>>()
    });
    let first = runs[0][0];
    assert!(first.0, "the job faulted");
    assert_eq!(first.1 & 0xF8, 0xC0, "a translation fault");
    assert_eq!(first.2, OUT + 0x1000, "at workgroup 16's first store");
    assert!(first.3, "the MMU IRQ is raised");
    assert_eq!(first.5, OUT + 0x1000, "the AS recorded it");
    for (mode, r) in runs.iter().enumerate() {
        for got in r {
            assert_eq!(*got, first, "mode {mode}");
        }
    }
}

#[test]
fn workgroups_sharing_a_local_storage_instance_take_turns() {
    // 64 workgroups over 2 WLS instances of 256 bytes, resources as panvk binds them (SRT entry 1: IN, OUT).
    let srt = SPD + 0x400;
    let set0 = SPD + 0x800;
    let wls = RESULT_VA;
    let n = 64 * 64u32;
    in_each_mode(|| {
        for _ in 0..3 {
            let (t, _, out) = setup(&SHARED_REVERSE, 0, 0, 4, &[]);
            t.set32(FAU + 16, 7);
            t.set32(SPD + 0x40 + 4, 1 | 9 << 8);
            t.set64(SPD + 0x40 + 16, wls);
            t.set64(srt + 16, set0 | 1 << 56);
            t.set64(srt + 24, 64);
            for (k, va) in [IN, OUT].into_iter().enumerate() {
                let desc = set0 + 32 * k as u64;
                t.set32(desc, 9 | 1 << 4);
                t.set32(desc + 4, 4 * n);
                t.set64(desc + 8, va);
            }
            let stream = [
                move48(0, srt | 2),
                move48(8, FAU),
                move32(9, 4 << 24),
                move48(16, SPD),
                move48(24, SPD + 0x40),
                move32(33, 63),
                move32(34, 0),
                move32(35, 0),
                move32(36, 0),
                move32(37, n / 64),
                move32(38, 1),
                move32(39, 1),
                run_compute(0),
                wait(0xFF),
            ];
            t.code(STREAM_VA, &stream);
            t.submit(
                0,
                0,
                &preamble(0, STREAM_VA, 8 * stream.len() as u32, SYNC_VA),
            );
            t.settle();
            assert_eq!(t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0), 0);
            let b = bytes(&t, &out);
            for g in 0..n {
                let (wg, l) = (g / 64, g % 64);
                let want = ((wg * 64 + 63 - l) ^ 0x5A5A) + l * 7 + wg;
                let at = 4 * g as usize;
                let got = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
                assert_eq!(got, want, "workers {}: out[{g}]", workers());
            }
        }
    });
}

#[test]
fn a_budget_fault_is_the_same_with_every_worker_count() {
    // Every workgroup loops forever: the first workgroup's warp uses up its budget, at the branch.
    let spin = [
        0x001F_C007_FFFF_FFC1, // BRANCHZ 0xFFFFFFFF, offset:-1
        0x7800_C000_0000_0000, // NOP.end
    ];
    let runs = in_each_mode(|| {
        let (t, _, _) = setup(&spin, 0, 0, 1, &[]);
        dispatch(&t, 1, 8);
        (
            t.cs_events(0, 0, CsReq::FATAL.0) != 0,
            t.cs_out(0, 0, cs::FATAL_WORD) & 0xFF,
            t.cs_out64(0, 0, cs::FATAL_INFO),
        )
    });
    assert_eq!(
        runs[0],
        (
            true,
            u32::from(hw_mali::shader::exception::CS_UNRECOVERABLE),
            CODE_VA
        )
    );
    assert!(runs.iter().all(|r| *r == runs[0]), "{runs:?}");
}
