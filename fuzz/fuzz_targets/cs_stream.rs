// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Command streams run by the modelled CSF through a real group: GROUP_SUBMIT of a stream built from the input
//! (valid v10 opcodes with fuzzed fields, MOVE48s of addresses that are mapped read-write, mapped read-only,
//! unmapped or wild, and raw words) on a device booted once per process. Every job must end — completed, faulted or
//! timed out — within a bound past the job timeout, its fence signalled exactly once; the group's state is readable;
//! the consistency checker passes; nothing panics (driver, scheduler or model); and when the file closes every frame
//! comes back.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use arbitrary::Arbitrary;
use kernel::uaccess::UserPtr;
use libfuzzer_sys::fuzz_target;
use rk3588_platform::Rk3588;
use tyr::debugfs::{self, Baseline};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

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

struct Device {
    dev: Arc<TyrDrmDevice>,
    baseline: Baseline,
    _soc: Rk3588,
}

thread_local! {
    static DEVICE: Device = {
        let soc = Rk3588::new().expect("board");
        let dev = probe(soc.gpu()).expect("probe");
        debugfs::device::set_job_timeout(&dev, JOB_TIMEOUT);
        let baseline = Baseline::capture(&dev);
        Device { dev, baseline, _soc: soc }
    };
}

fn ioctl<T>(f: &TyrDrmFile, cmd: u32, arg: &mut T) -> kernel::Result {
    f.ioctl(cmd, UserPtr(arg as *mut T as usize))
}

fn arr<E>(v: &[E]) -> drm_panthor_obj_array {
    drm_panthor_obj_array {
        stride: size_of::<E>() as u32,
        count: v.len() as u32,
        array: v.as_ptr() as u64,
    }
}

fn bo_at(f: &TyrDrmFile, vm: u32, va: u64, flags: u32) -> u32 {
    let mut bo = drm_panthor_bo_create {
        size: BO_SIZE,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut bo).expect("BO_CREATE");
    let ops = [drm_panthor_vm_bind_op {
        flags,
        bo_handle: bo.handle,
        va,
        size: BO_SIZE,
        ..Default::default()
    }];
    let mut bind = drm_panthor_vm_bind {
        vm_id: vm,
        ops: arr(&ops),
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &mut bind).expect("VM_BIND");
    bo.handle
}

fuzz_target!(|input: Input| {
    let words: Vec<u64> = input.words.iter().take(512).map(encode).collect();
    DEVICE.with(|d| {
        let f = TyrDrmFile::open(&d.dev, RENDER_CLIENT).expect("open");
        let mut vm = drm_panthor_vm_create::default();
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).expect("VM_CREATE");
        let stream = bo_at(&f, vm.id, STREAM_VA, 0);
        bo_at(&f, vm.id, DATA_VA, 0);
        bo_at(&f, vm.id, RO_VA, 1); // MAP_READONLY
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let obj = f.objects().lookup(stream).expect("BO");
        let pa = debugfs::gems::sg_range(&obj, 0, BO_SIZE).expect("pages");
        let mut at = 0usize;
        for (run, len) in pa {
            let n = (len as usize).min(bytes.len().saturating_sub(at));
            if n == 0 {
                break;
            }
            d.dev.data().ram().write(run, &bytes[at..at + n]).expect("RAM");
            at += n;
        }
        // The file's handle keeps the BO; a reference held here would outlive the file.
        drop(obj);

        let queues = [drm_panthor_queue_create { priority: 0, ringbuf_size: 4096, ..Default::default() }];
        let mut g = drm_panthor_group_create {
            queues: arr(&queues),
            max_compute_cores: 1,
            max_fragment_cores: 1,
            max_tiler_cores: 1,
            priority: 1,
            compute_core_mask: 1,
            fragment_core_mask: 1,
            tiler_core_mask: 1,
            vm_id: vm.id,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut g).expect("GROUP_CREATE");

        let jobs = usize::from(input.jobs % 4) + 1;
        let per = words.len().div_ceil(jobs).max(1);
        let mut outs = Vec::new();
        for j in 0..jobs {
            let start = (j * per).min(words.len());
            let len = per.min(words.len() - start);
            let mut c = drm_syncobj_create::default();
            ioctl(&f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c).expect("SYNCOBJ_CREATE");
            let syncs = [drm_panthor_sync_op { flags: 1 << 31, handle: c.handle, timeline_value: 0 }];
            let subs = [drm_panthor_queue_submit {
                queue_index: 0,
                stream_size: (len * 8) as u32,
                stream_addr: if len == 0 { 0 } else { STREAM_VA + (start * 8) as u64 },
                syncs: arr(&syncs),
                ..Default::default()
            }];
            let mut s = drm_panthor_group_submit { group_handle: g.group_handle, pad: 0, queue_submits: arr(&subs) };
            // A group that already faulted refuses more work; that is an answer, not a failure.
            if ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut s).is_ok() {
                outs.push(c.handle);
            }
        }
        let deadline = kernel::time::ktime_get_ns() + HANG_MS * 1_000_000;
        let mut w = drm_syncobj_wait {
            handles: outs.as_ptr() as u64,
            count_handles: outs.len() as u32,
            timeout_nsec: deadline as i64,
            flags: 1, // WAIT_ALL
            ..Default::default()
        };
        if !outs.is_empty() {
            if let Err(e) = ioctl(&f, DRM_IOCTL_SYNCOBJ_WAIT, &mut w) {
                panic!("jobs not finished {HANG_MS} ms after submission ({e:?}): the stream hangs past the job timeout");
            }
        }
        let mut st = drm_panthor_group_get_state { group_handle: g.group_handle, ..Default::default() };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut st).expect("GROUP_GET_STATE");
        if let Err(e) = debugfs::check_files(&[&f]) {
            panic!("consistency checker: {e}");
        }
        let mut destroy = drm_panthor_group_destroy { group_handle: g.group_handle, pad: 0 };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut destroy).expect("GROUP_DESTROY");
        drop(f);
        if let Err(e) = d.baseline.check(&[], &d.dev, Duration::from_secs(5)) {
            panic!("after closing the file: {e}");
        }
    });
});
