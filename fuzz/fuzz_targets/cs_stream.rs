// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Command streams run by the modelled CSF through a real group: GROUP_SUBMIT of a stream built from the input
//! (valid v10 opcodes with fuzzed fields, MOVE48s of addresses that are mapped read-write, mapped read-only,
//! unmapped or wild, and raw words) on a device booted once per process. Every job must end — completed, faulted or
//! timed out — within a bound past the job timeout, its fence signalled exactly once; the group's state is readable;
//! the consistency checker passes; nothing panics (driver, scheduler or model); and when the file closes every frame
//! comes back.
//!
//! Optionally beside it: a tiler heap whose context a further job latches (HEAP_SET) while the firmware reports
//! TILER_OOM on running streams, more often than the heap may grow, so that it runs out of chunks; and rival groups at
//! low, medium and high priority, on the same VM or VMs of their own, each spinning until the job timeout, so that
//! with more busy groups than CSG slots or VMs than address spaces the scheduler evicts, rotates, suspends and
//! resumes them.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_fuzz::*;

const STREAM_VA: u64 = 0x100_0000;
const DATA_VA: u64 = 0x200_0000;
const RO_VA: u64 = 0x300_0000;
const HOLE_VA: u64 = 0x400_0000;
/// A stream that spins (BRANCH to itself), for rival groups.
const SPIN_VA: u64 = 0x500_0000;
/// The heap job's stream.
const HEAP_JOB_VA: u64 = 0x600_0000;
/// BRANCH always, by -1: to itself.
const SPIN: u64 = 0x1600_0000_6000_FFFF;
/// The register pair the heap job latches the heap context from.
const HEAP_REG: u64 = 68;
const BO_SIZE: u64 = 0x1_0000;
/// The scheduler's job timeout while fuzzing: a spinning stream costs this much.
const JOB_TIMEOUT: Duration = Duration::from_millis(100);
/// How long a job may take before the run counts as a hang.
const HANG_MS: u64 = 5_000;

#[derive(Arbitrary, Debug)]
enum Word {
    /// An instruction with a known opcode and fuzzed fields (registers mostly in range).
    Instr {
        op: u8,
        a: u8,
        b: u8,
        c: u8,
        imm: u32,
    },
    /// MOVE48 of an address into an even register pair.
    Addr { reg: u8, at: Addr, offset: u16 },
    /// Anything.
    Raw(u64),
}

#[derive(Arbitrary, Debug)]
enum Addr {
    Data,
    ReadOnly,
    Hole,
    Stream,
    Wild(u64),
}

#[derive(Arbitrary, Debug)]
struct Heap {
    /// Chunks at creation (1 + this % 3).
    initial: u8,
    /// Chunks it may grow by (this % 3).
    growth: u8,
    /// TILER_OOM reports (1 + this % 6).
    ooms: u8,
}

#[derive(Arbitrary, Debug)]
struct Rivals {
    /// How many (this % 13): past 7, more busy groups than the 8 CSG slots.
    count: u8,
    /// Rival i's GROUP_CREATE priority: bits 2i..2i+2, modulo 3 (low, medium, high).
    priorities: u32,
    /// Rival i on a VM of its own (bit i) rather than the fuzzed stream's: past 7 VMs, more than address spaces.
    own_vm: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    words: Vec<Word>,
    /// Jobs on the same queue, each the next slice of the words.
    jobs: u8,
    /// A tiler heap and a job that latches it while TILER_OOMs come.
    heap: Option<Heap>,
    /// Spinning groups beside the fuzzed one.
    rivals: Option<Rivals>,
}

/// v10 opcodes (`Documentation/hardware.md#cs-instructions`), drawn most of the time.
const OPCODES: [u8; 36] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 16, 17, 20, 21, 22, 32, 33, 34, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 48, 49, 50, 51, 52, 53, 54, 55,
];

fn encode(w: &Word) -> u64 {
    match *w {
        Word::Instr { op, a, b, c, imm } => {
            let op = if op & 0xc0 == 0xc0 {
                op & 0x3f
            } else {
                OPCODES[usize::from(op) % OPCODES.len()]
            };
            let reg = |r: u8| u64::from(if r & 0x80 != 0 { r } else { r % 96 });
            u64::from(op) << 56 | reg(a) << 48 | reg(b) << 40 | reg(c) << 32 | u64::from(imm)
        }
        Word::Addr {
            reg,
            ref at,
            offset,
        } => {
            let base = match *at {
                Addr::Data => DATA_VA,
                Addr::ReadOnly => RO_VA,
                Addr::Hole => HOLE_VA,
                Addr::Stream => STREAM_VA,
                Addr::Wild(v) => v & ((1 << 48) - 1),
            };
            let va = base.wrapping_add(u64::from(offset) & !3) & ((1 << 48) - 1);
            1 << 56 | u64::from(reg % 48 * 2) << 48 | va
        }
        Word::Raw(v) => v,
    }
}

thread_local! {
    static DEVICE: Device = Device::boot(Some(JOB_TIMEOUT));
}

fuzz_target!(|input: Input| {
    let words: Vec<u64> = input.words.iter().take(512).map(encode).collect();
    DEVICE.with(|d| {
        let f = d.open();
        let vm = vm_create(&f);
        let stream = bo_at(&f, vm, STREAM_VA, BO_SIZE, 0);
        bo_at(&f, vm, DATA_VA, BO_SIZE, 0);
        bo_at(&f, vm, RO_VA, BO_SIZE, 1); // MAP_READONLY
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        d.write_bo(&f, stream, &bytes);
        let g = group(&f, vm);

        let jobs = usize::from(input.jobs % 4) + 1;
        let per = words.len().div_ceil(jobs).max(1);
        let mut outs = Vec::new();
        for j in 0..jobs {
            let start = (j * per).min(words.len());
            let len = per.min(words.len() - start);
            let out = syncobj(&f);
            let addr = if len == 0 {
                0
            } else {
                STREAM_VA + (start * 8) as u64
            };
            // A group that already faulted refuses more work; that is an answer, not a failure.
            if submit(&f, g, addr, (len * 8) as u32, out).is_ok() {
                outs.push(out);
            }
        }
        let mut groups = vec![g];
        let rivals = input
            .rivals
            .as_ref()
            .map_or(0, |r| usize::from(r.count % 13));
        if rivals > 0 {
            let spin = bo_at(&f, vm, SPIN_VA, 0x1000, 0);
            d.write_bo(&f, spin, &SPIN.to_le_bytes());
        }
        for i in 0..rivals {
            let r = input.rivals.as_ref().expect("rivals > 0");
            let rvm = if r.own_vm >> i & 1 != 0 {
                let v = vm_create(&f);
                let b = bo_at(&f, v, SPIN_VA, 0x1000, 0);
                d.write_bo(&f, b, &SPIN.to_le_bytes());
                v
            } else {
                vm
            };
            let Ok(rg) = group_at(&f, rvm, (r.priorities >> (2 * i) & 3) as u8 % 3) else {
                continue;
            };
            groups.push(rg);
            let out = syncobj(&f);
            if submit(&f, rg, SPIN_VA, 8, out).is_ok() {
                outs.push(out);
            }
        }
        let mut heap_handle = None;
        if let Some(h) = &input.heap {
            let initial = 1 + u32::from(h.initial % 3);
            if let Ok((handle, ctx)) =
                tiler_heap(&f, vm, initial, initial + u32::from(h.growth % 3))
            {
                heap_handle = Some(handle);
                let job = bo_at(&f, vm, HEAP_JOB_VA, 0x1000, 0);
                let words = [
                    1 << 56 | HEAP_REG << 48 | ctx,
                    48 << 56 | HEAP_REG << 40,
                    SPIN,
                ];
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                d.write_bo(&f, job, &bytes);
                let out = syncobj(&f);
                if submit(&f, g, HEAP_JOB_VA, 24, out).is_ok() {
                    outs.push(out);
                    // The firmware reports an OOM on a running stream only (the heap job's, or whichever other
                    // stream is running then); each waits until some stream takes it, or the jobs are over.
                    let gpu = d.gpu();
                    for _ in 0..1 + h.ooms % 6 {
                        if !gpu.wait_until(Duration::from_millis(150), || {
                            (0..8).any(|slot| gpu.inject_tiler_oom(slot, 0))
                        }) {
                            break;
                        }
                    }
                }
            }
        }
        wait_all_or_hang(&f, &outs, HANG_MS);
        for &g in &groups {
            group_state_and_check(&f, g);
        }
        if let Some(handle) = heap_handle {
            let mut destroy = drm_panthor_tiler_heap_destroy { handle, pad: 0 };
            ioctl(&f, DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, &mut destroy)
                .expect("TILER_HEAP_DESTROY");
        }
        for g in groups {
            let mut destroy = drm_panthor_group_destroy {
                group_handle: g,
                pad: 0,
            };
            ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut destroy).expect("GROUP_DESTROY");
        }
        d.close_and_check(f);
    });
});
