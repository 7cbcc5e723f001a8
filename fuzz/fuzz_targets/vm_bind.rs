// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Synchronous VM_BIND op arrays on a booted device against the reference model `tyr_models::va_space`. After every
//! call: the result and the rewritten `ops.count` match the model (the first refused op, the earlier ones applied);
//! the VM's VA list (debugfs `gpuvas`) is the model's mappings; the consistency checker finds the page table exactly
//! what the VA list says; and the first and last page of every mapping translate to the right page of the right BO
//! (or to the VM's dummy page for a sparse mapping). At the end the file is closed and every frame comes back.
//!
//! A call may be asynchronous (DRM_PANTHOR_VM_BIND_ASYNC): it signals a binary syncobj of its own or the next point
//! of a timeline syncobj, and may wait on an earlier asynchronous call's signal (binary or timeline point), so that
//! bind jobs queue behind each other, or name a syncobj that does not exist. A refused asynchronous call changes
//! nothing (the model is not applied, `ops.count` is not rewritten) and a call with a bad sync fails whatever its
//! ops; an accepted one is applied by the model at once, since its jobs run in submission order. Before a
//! synchronous call and at the end, every outstanding signal is waited for (bounded) and the checks above run.
//!
//! The device is booted once per process; each input opens its own file, so inputs start from the same baseline.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tyr::debugfs;
use tyr::drm_device::TyrDrmFile;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_fuzz::{ioctl, vm_create, Device};
use tyr_models::va_space::{RawOp, VaSpace, PAGE};

/// Where the ops' VAs fall: a 1 MiB window at 16 MiB most of the time, so mappings overlap.
const WINDOW: u64 = 16 << 20;

#[derive(Arbitrary, Debug)]
struct FuzzOp {
    /// 0 MAP, 1 UNMAP, 2 SYNC_ONLY, 3.. other types.
    kind: u8,
    flags: u8,
    bo: u8,
    offset_pages: u8,
    va: Va,
    size_pages: u8,
    /// Misalign the size (or the offset) by one byte.
    misalign: u8,
}

#[derive(Arbitrary, Debug)]
enum Va {
    /// A page of the window.
    Window(u8),
    /// Near the end of the user VA range.
    End(u8),
    /// Anything.
    Raw(u64),
}

#[derive(Arbitrary, Debug)]
enum Mode {
    Sync,
    Async { signal: Signal, wait: Wait },
}

#[derive(Arbitrary, Debug)]
enum Signal {
    /// A new binary syncobj.
    Binary,
    /// The next point of the input's timeline syncobj.
    Timeline,
}

#[derive(Arbitrary, Debug)]
enum Wait {
    None,
    /// The signal of the asynchronous call this many back (1 + this).
    Earlier(u8),
    /// A handle no syncobj has.
    Bogus,
}

#[derive(Arbitrary, Debug)]
struct Call {
    mode: Mode,
    ops: Vec<FuzzOp>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Sizes of the BOs, in pages (1..=64).
    bos: Vec<u8>,
    calls: Vec<Call>,
}

/// How long an asynchronous call's jobs may take.
const ASYNC_BOUND_NS: u64 = 5_000_000_000;

/// Waits for every `(handle, point)` of `pending` (a binary syncobj has point 0) and empties it; panics past
/// [`ASYNC_BOUND_NS`].
fn settle(f: &TyrDrmFile, pending: &mut Vec<(u32, u64)>) {
    if pending.is_empty() {
        return;
    }
    let handles: Vec<u32> = pending.iter().map(|p| p.0).collect();
    let points: Vec<u64> = pending.iter().map(|p| p.1).collect();
    let mut w = drm_syncobj_timeline_wait {
        handles: handles.as_ptr() as u64,
        points: points.as_ptr() as u64,
        timeout_nsec: (kernel::time::ktime_get_ns() + ASYNC_BOUND_NS) as i64,
        count_handles: handles.len() as u32,
        flags: DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
        ..Default::default()
    };
    if let Err(e) = ioctl(f, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &mut w) {
        panic!("asynchronous binds {pending:?} not done after 5 s: {e:?}");
    }
    pending.clear();
}

thread_local! {
    static DEVICE: Device = Device::boot(None);
}

fn raw_op(op: &FuzzOp, handles: &[u32], limit: u64) -> RawOp {
    let ty = match op.kind % 8 {
        0..=3 => 0,
        4 | 5 => 1,
        6 => 2,
        _ => u32::from(op.kind >> 3) % 13 + 3,
    };
    // Mostly the known flags, sometimes an unknown bit.
    let flags = if op.flags & 0x80 != 0 {
        u32::from(op.flags) << 4
    } else {
        u32::from(op.flags & 0xf)
    };
    let bo = match op.bo % 8 {
        0 => 0,
        i if usize::from(i) <= handles.len() => handles[usize::from(i) - 1],
        _ => u32::from(op.bo),
    };
    let va = match op.va {
        Va::Window(p) => WINDOW + u64::from(p) * PAGE,
        Va::End(p) => limit.wrapping_sub(u64::from(p) * PAGE),
        Va::Raw(v) => v,
    };
    let mut size = u64::from(op.size_pages % 40) * PAGE;
    let mut offset = u64::from(op.offset_pages % 72) * PAGE;
    match op.misalign % 16 {
        0 => size += 1,
        1 => offset += 1,
        _ => {}
    }
    RawOp {
        flags: (ty << 28) | flags,
        bo,
        offset,
        va,
        size,
    }
}

/// The uAPI op of `r`, with `syncs`.
fn bind_op(r: &RawOp, syncs: &[drm_panthor_sync_op]) -> drm_panthor_vm_bind_op {
    drm_panthor_vm_bind_op {
        flags: r.flags,
        bo_handle: r.bo,
        bo_offset: r.offset,
        va: r.va,
        size: r.size,
        syncs: tyr_fuzz::arr(syncs),
    }
}

/// The sync ops every op of an asynchronous call carries: a signal (a new binary syncobj, or `point` of `timeline`)
/// then a wait, if any; and whether the wait names a handle that does not exist.
fn async_syncs(
    f: &TyrDrmFile,
    signal: &Signal,
    wait: &Wait,
    timeline: u32,
    point: u64,
    signals: &[(u32, u64)],
) -> (Vec<drm_panthor_sync_op>, bool) {
    let sig = match signal {
        Signal::Binary => drm_panthor_sync_op {
            flags: sync_flags::SIGNAL | sync_flags::SYNCOBJ,
            handle: tyr_fuzz::syncobj(f),
            timeline_value: 0,
        },
        Signal::Timeline => drm_panthor_sync_op {
            flags: sync_flags::SIGNAL | sync_flags::TIMELINE_SYNCOBJ,
            handle: timeline,
            timeline_value: point,
        },
    };
    let mut syncs = vec![sig];
    let mut bogus = false;
    match *wait {
        Wait::None => {}
        Wait::Earlier(back) if !signals.is_empty() => {
            let (handle, point) = signals[signals.len() - 1 - usize::from(back) % signals.len()];
            syncs.push(drm_panthor_sync_op {
                flags: if point == 0 {
                    sync_flags::SYNCOBJ
                } else {
                    sync_flags::TIMELINE_SYNCOBJ
                },
                handle,
                timeline_value: point,
            });
        }
        Wait::Earlier(_) => {}
        Wait::Bogus => {
            bogus = true;
            syncs.push(drm_panthor_sync_op {
                flags: sync_flags::SYNCOBJ,
                handle: 0xdead,
                timeline_value: 0,
            });
        }
    }
    (syncs, bogus)
}

fn check(f: &TyrDrmFile, vm_id: u32, model: &VaSpace, handles: &[u32], when: &str) {
    let view = debugfs::vm(f, vm_id).expect("VM");
    let bo_of = |obj: &Option<Arc<tyr::gem::TyrObject>>| -> u32 {
        let Some(obj) = obj else { return 0 };
        *handles
            .iter()
            .find(|&&h| f.objects().lookup(h).is_ok_and(|o| Arc::ptr_eq(&o, obj)))
            .expect("a VA maps a BO the file has no handle for")
    };
    let got: Vec<(u64, u64, u32, u64, u32)> = view
        .vas()
        .iter()
        .map(|v| (v.addr, v.size, bo_of(&v.bo), v.offset, v.flags))
        .collect();
    let want: Vec<(u64, u64, u32, u64, u32)> = model
        .mappings()
        .iter()
        .map(|m| (m.va, m.size, m.bo, m.offset, m.flags))
        .collect();
    assert_eq!(got, want, "VA list {when}");
    if let Err(e) = view.check() {
        panic!("page table vs VA list {when}: {e:?}");
    }
    for m in model.mappings() {
        for va in [m.va, m.va + m.size - PAGE] {
            let want = if m.bo == 0 {
                view.dummy_page()
            } else {
                let obj = f.objects().lookup(m.bo).expect("BO");
                let off = m.offset + (va - m.va);
                debugfs::gems::sg_range(&obj, off, PAGE).expect("BO pages")[0].0
            };
            assert_eq!(view.iova_to_phys(va), want, "translation of {va:#x} {when}");
        }
    }
}

fuzz_target!(|input: Input| {
    DEVICE.with(|d| {
        let f = d.open();
        let vm = vm_create(&f);
        let view = debugfs::vm(&f, vm).expect("VM");
        let mut model = VaSpace::new(view.kernel_area().start.min(view.va_range().end));
        let mut handles = Vec::new();
        for &pages in input.bos.iter().take(6) {
            let size = (u64::from(pages) % 64 + 1) * PAGE;
            let mut bo = drm_panthor_bo_create {
                size,
                ..Default::default()
            };
            ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut bo).expect("BO_CREATE");
            model.bos.insert(bo.handle, size);
            handles.push(bo.handle);
        }
        let timeline = tyr_fuzz::syncobj(&f);
        let mut point = 0u64;
        // Every asynchronous call's signal, in order, and those not yet waited for.
        let mut signals: Vec<(u32, u64)> = Vec::new();
        let mut pending: Vec<(u32, u64)> = Vec::new();
        for (n, call) in input.calls.iter().take(16).enumerate() {
            let raw: Vec<RawOp> = call
                .ops
                .iter()
                .take(16)
                .map(|op| raw_op(op, &handles, model.limit))
                .collect();
            if let Mode::Async { signal, wait } = &call.mode {
                let (sig, bogus) = async_syncs(&f, signal, wait, timeline, point + 1, &signals);
                let ops: Vec<drm_panthor_vm_bind_op> =
                    raw.iter().map(|r| bind_op(r, &sig)).collect();
                let mut args = drm_panthor_vm_bind {
                    vm_id: vm,
                    flags: 1, // ASYNC
                    ops: tyr_fuzz::arr(&ops),
                };
                let got = ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut args);
                let mut after = model.clone();
                let want = after.bind_raw(&raw);
                assert_eq!(
                    args.ops.count as usize,
                    ops.len(),
                    "call {n}: an asynchronous VM_BIND rewrote ops.count"
                );
                // The model reads ops as a synchronous VM_BIND does; an asynchronous one checks size-0 ops instead
                // of skipping them and takes SYNC_ONLY ops with syncs, so around those only the outcome is compared.
                let special = raw
                    .iter()
                    .any(|r| r.size == 0 || r.flags & op_type::MASK == op_type::SYNC_ONLY);
                match (got, want) {
                    // No ops: nothing to check or run; the call's answer is all there is.
                    (Ok(()), Ok(())) if ops.is_empty() => {}
                    (Ok(()), Ok(())) if !bogus => {
                        model = after;
                        let s = sig[0];
                        let at = (s.handle, s.timeline_value);
                        if s.flags & sync_flags::TIMELINE_SYNCOBJ != 0 {
                            point += 1;
                        }
                        signals.push(at);
                        pending.push(at);
                    }
                    (Err(e), Err((_, errno))) if !special => {
                        assert_eq!(-e.to_errno(), errno, "call {n} (async): {raw:?}")
                    }
                    (Err(_), Err(_)) => {}
                    // A wait on a handle that does not exist: ENOENT once every op passed its checks.
                    (Err(e), Ok(())) if bogus && !special => {
                        assert_eq!(e, kernel::error::code::ENOENT, "call {n}: a bogus wait")
                    }
                    (Err(_), Ok(())) if bogus || special => {}
                    (got, want) => panic!(
                        "call {n} (async, bogus wait {bogus}): {raw:?}: driver {got:?}, model {want:?}"
                    ),
                }
                continue;
            }
            settle(&f, &mut pending);
            check(&f, vm, &model, &handles, &format!("before call {n}"));
            let ops: Vec<drm_panthor_vm_bind_op> =
                raw.iter().map(|r| bind_op(r, &[])).collect();
            let mut args = drm_panthor_vm_bind {
                vm_id: vm,
                ops: drm_panthor_obj_array {
                    stride: size_of::<drm_panthor_vm_bind_op>() as u32,
                    count: ops.len() as u32,
                    array: ops.as_ptr() as u64,
                },
                ..Default::default()
            };
            let got = ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut args);
            let want = model.bind_raw(&raw);
            match (got, want) {
                (Ok(()), Ok(())) => assert_eq!(
                    args.ops.count as usize,
                    ops.len(),
                    "count rewritten on success"
                ),
                (Err(e), Err((i, errno))) => {
                    assert_eq!(-e.to_errno(), errno, "call {n}: {raw:?}");
                    assert_eq!(
                        args.ops.count as usize, i,
                        "call {n}: the failing op's index"
                    );
                }
                (got, want) => panic!("call {n}: {raw:?}: driver {got:?}, model {want:?}"),
            }
            check(&f, vm, &model, &handles, &format!("after call {n}"));
        }
        settle(&f, &mut pending);
        check(&f, vm, &model, &handles, "at the end");
        drop(view);
        d.close_and_check(f);
    });
});
