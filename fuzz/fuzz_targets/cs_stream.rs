// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Command streams run by the modelled CSF through a real group: GROUP_SUBMIT of a stream built from the input
//! (valid v10 opcodes with fuzzed fields, MOVE48s of addresses that are mapped read-write, mapped read-only,
//! unmapped or wild, and raw words) on a device booted once per process. Every job must end — completed, faulted or
//! timed out — within a bound past the job timeout, its fence signalled exactly once; the group's state is readable;
//! the consistency checker passes; nothing panics (driver, scheduler or model); and when the file closes every frame
//! comes back.
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
struct Input {
    words: Vec<Word>,
    /// Jobs on the same queue, each the next slice of the words.
    jobs: u8,
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
        wait_all_or_hang(&f, &outs, HANG_MS);
        group_state_and_check(&f, g);
        let mut destroy = drm_panthor_group_destroy {
            group_handle: g,
            pad: 0,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut destroy).expect("GROUP_DESTROY");
        d.close_and_check(f);
    });
});
