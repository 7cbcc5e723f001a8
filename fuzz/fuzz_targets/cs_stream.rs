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
//! low, medium and high priority, on the same VM or VMs of their own, so that with more busy groups than CSG slots or
//! VMs than address spaces the scheduler evicts, rotates, suspends and resumes them.
//!
//! Rivals and the heap job are bounded by the harness, not by the job timeout: a rival counts itself in a control BO
//! mapped into every VM when it starts (SYNC_ADD32 on its priority's count), then waits for its priority's stop word
//! there (SYNC_WAIT32: its job stays in flight, the model does not run it meanwhile). Once the fuzzed jobs have
//! ended, the harness stops the rivals priority by priority, high first, each time once every rival of that priority
//! has run at least once (which, past the CSG slots or address spaces, takes evictions, rotations and suspensions of
//! lower priorities), with a job on a stopper group that sets the stop word (SYNC_SET32); the heap job, which polls a
//! word so that its stream keeps running for the TILER_OOMs, is stopped last by a CPU write.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_cli::client;
use tyr_fuzz::*;

const STREAM_VA: u64 = 0x100_0000;
const DATA_VA: u64 = 0x200_0000;
const RO_VA: u64 = 0x300_0000;
const HOLE_VA: u64 = 0x400_0000;
/// The rival groups' stream ([`rival`]).
const SPIN_VA: u64 = 0x500_0000;
/// The heap job's stream.
const HEAP_JOB_VA: u64 = 0x600_0000;
/// The control BO, in every VM: 32-bit sync objects (value, status): the heap job's stop word at +0, at
/// +[`STARTED`] + 8p the count of started rivals of priority p (0 low, 1 medium, 2 high), at +[`STOP`] + 8p their
/// stop word.
const CTRL_VA: u64 = 0x700_0000;
const STARTED: u64 = 0x20;
const STOP: u64 = 0x40;
/// The stopper's streams, one per priority, in the rivals' BO.
const STOPPER_AT: u64 = 0x800;
/// The register pair the heap job latches the heap context from.
const HEAP_REG: u64 = 68;
const BO_SIZE: u64 = 0x1_0000;
/// The scheduler's job timeout while fuzzing (the driver's knob, Panthor's is 5 s): a fuzzed stream that never ends,
/// or a heap job whose heap ran out of chunks, costs this much. Three ticks: a rival keeps its slot for a full slice
/// before rotation, and waits on its stop word off-slot (its timer suspended) otherwise.
const JOB_TIMEOUT: Duration = Duration::from_millis(30);
/// How long a job may take before the run counts as a hang.
const HANG_MS: u64 = 5_000;
/// How long the harness waits for the rivals of one priority to have started before stopping them anyway (those
/// that never got a slot then end by the job timeout instead; not an error).
const RIVALS_START: Duration = Duration::from_secs(2);

/// The heap job's tail: polls the word at `va` until it is non-zero, then ends (MOVE48 r88 = `va`; LOAD_MULTIPLE r90
/// from it; WAIT; BRANCH back to the load while r90 is zero). It keeps the stream running, so that TILER_OOMs land.
fn until_stop(va: u64) -> [u64; 4] {
    [
        0x0158_0000_0000_0000 | va,
        0x145A_5800_0001_0000,
        0x0300_0000_00FF_0000,
        0x1600_5A00_2000_FFFD,
    ]
}

/// The stream of a rival of priority `p`: SYNC_ADD32 of 1 to its priority's started count (MOVE48 r86 = count;
/// MOVE32 r84 = 1), then SYNC_WAIT32 until its priority's stop word is greater than 0 (MOVE48 r88 = stop word;
/// MOVE32 r90 = 0; reject mode). Blocked in SYNC_WAIT, its job stays in flight (a busy group to the scheduler) while
/// the model does not run it until a sync object is written.
fn rival(p: u8) -> Vec<u64> {
    vec![
        0x0156_0000_0000_0000 | (CTRL_VA + STARTED + 8 * u64::from(p)),
        0x0254_0000_0000_0001,
        0x2500_5654_0000_0000,
        0x0158_0000_0000_0000 | (CTRL_VA + STOP + 8 * u64::from(p)),
        0x025A_0000_0000_0000,
        0x2700_585A_1000_0001,
    ]
}

/// The stopper's stream for priority `p`: SYNC_SET32 of 1 to that priority's stop word, which wakes its rivals.
fn stopper(p: u8) -> [u64; 3] {
    [
        0x0156_0000_0000_0000 | (CTRL_VA + STOP + 8 * u64::from(p)),
        0x0254_0000_0000_0001,
        0x2600_5654_0000_0000,
    ]
}

/// Where the rival stream of priority `p` sits in the rivals' BO.
fn rival_va(p: u8) -> u64 {
    SPIN_VA + 0x100 * u64::from(p)
}

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

/// Whether the fence syncobj `h` of `f` holds has signalled.
fn signalled(f: &tyr::drm_device::TyrDrmFile, h: u32) -> bool {
    f.syncobjs()
        .lookup(h)
        .ok()
        .and_then(|s| s.fence())
        .is_some_and(|fence| fence.is_signaled())
}

fn words_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

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
        d.write_bo(&f, stream, &words_bytes(&words));
        let g = group(&f, vm);

        // Every group, VM and heap first, so that creating them does not compete with running streams.
        let rivals = input
            .rivals
            .as_ref()
            .map_or(0, |r| usize::from(r.count % 13));
        let ctrl = client::bo_create(&f, 0x1000).expect("BO_CREATE");
        client::map(&f, vm, ctrl, CTRL_VA, 0x1000, 0).expect("VM_BIND");
        let spin = (rivals > 0).then(|| {
            let spin = bo_at(&f, vm, SPIN_VA, 0x1000, 0);
            for p in 0..3 {
                d.write_bo_at(
                    &f,
                    spin,
                    (rival_va(p) - SPIN_VA) as usize,
                    &words_bytes(&rival(p)),
                );
                let at = (STOPPER_AT + 0x40 * u64::from(p)) as usize;
                d.write_bo_at(&f, spin, at, &words_bytes(&stopper(p)));
            }
            spin
        });
        // The stopper: a high-priority group (medium if that is refused) on a VM of its own, which a fault of the
        // fuzzed stream's VM leaves alone.
        let stopper_group = spin.map(|spin| {
            let v = vm_create(&f);
            client::map(&f, v, spin, SPIN_VA, 0x1000, 0).expect("VM_BIND");
            client::map(&f, v, ctrl, CTRL_VA, 0x1000, 0).expect("VM_BIND");
            group_at(&f, v, 2).unwrap_or_else(|_| group(&f, v))
        });
        let mut groups: Vec<u32> = [g].into_iter().chain(stopper_group).collect();
        let mut priorities = vec![];
        for i in 0..rivals {
            let r = input.rivals.as_ref().expect("rivals > 0");
            let rvm = if r.own_vm >> i & 1 != 0 {
                let v = vm_create(&f);
                let spin = spin.expect("rivals > 0");
                client::map(&f, v, spin, SPIN_VA, 0x1000, 0).expect("VM_BIND");
                client::map(&f, v, ctrl, CTRL_VA, 0x1000, 0).expect("VM_BIND");
                v
            } else {
                vm
            };
            let p = (r.priorities >> (2 * i) & 3) as u8 % 3;
            if let Ok(rg) = group_at(&f, rvm, p) {
                groups.push(rg);
                priorities.push(p);
            }
        }
        let heap = input.heap.as_ref().and_then(|h| {
            let initial = 1 + u32::from(h.initial % 3);
            let (handle, ctx) =
                tiler_heap(&f, vm, initial, initial + u32::from(h.growth % 3)).ok()?;
            let job = bo_at(&f, vm, HEAP_JOB_VA, 0x1000, 0);
            let mut words = vec![1 << 56 | HEAP_REG << 48 | ctx, 48 << 56 | HEAP_REG << 40];
            words.extend_from_slice(&until_stop(CTRL_VA));
            d.write_bo(&f, job, &words_bytes(&words));
            Some((handle, (words.len() * 8) as u32, h.ooms))
        });

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
        let fuzzed = outs.len();
        // Each priority's submitted rivals' out syncobjs.
        let mut rival_outs: [Vec<u32>; 3] = Default::default();
        let rival_groups = &groups[1 + usize::from(stopper_group.is_some())..];
        for (&rg, &p) in rival_groups.iter().zip(&priorities) {
            let out = syncobj(&f);
            if submit(&f, rg, rival_va(p), (rival(p).len() * 8) as u32, out).is_ok() {
                outs.push(out);
                rival_outs[usize::from(p)].push(out);
            }
        }
        if let Some((_, len, ooms)) = heap {
            let out = syncobj(&f);
            if submit(&f, g, HEAP_JOB_VA, len, out).is_ok() {
                outs.push(out);
                // The firmware reports an OOM on a running stream only (the heap job's, or whichever other
                // stream is running then); each waits until some stream takes it, or the jobs are over.
                let gpu = d.gpu();
                for _ in 0..1 + ooms % 6 {
                    let mut taken = false;
                    d.wait_for(Duration::from_millis(150), || {
                        taken = (0..8).any(|slot| gpu.inject_tiler_oom(slot, 0));
                        taken || signalled(&f, out)
                    });
                    if !taken {
                        break;
                    }
                }
            }
        }
        // The fuzzed jobs end first (completed, faulted or timed out). Then, from high priority to low, the rivals
        // of a priority have each had a slot at least once (past the CSG slots or address spaces, after evictions
        // and rotations; lower priorities suspended for higher ones) and are stopped; then the heap job.
        wait_all_or_hang(&f, &outs[..fuzzed], HANG_MS);
        for p in (0..3).rev() {
            // A rival that ended without counting itself (its VM faulted, it timed out waiting) is not waited for.
            let mine = &rival_outs[p as usize];
            d.wait_for(RIVALS_START, || {
                let ended = mine.iter().filter(|&&o| signalled(&f, o)).count();
                d.read_bo_u32(&f, ctrl, (STARTED + 8 * p) as usize) as usize + ended >= mine.len()
            });
            if let Some(sg) = stopper_group {
                let out = syncobj(&f);
                if submit(&f, sg, SPIN_VA + STOPPER_AT + 0x40 * p, 24, out).is_ok() {
                    outs.push(out);
                }
            }
        }
        d.write_bo_at(&f, ctrl, 0, &1u32.to_le_bytes());
        wait_all_or_hang(&f, &outs, HANG_MS);
        for &g in &groups {
            group_state_and_check(&f, g);
        }
        if let Some((handle, _, _)) = heap {
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
