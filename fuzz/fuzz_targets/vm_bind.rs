// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Synchronous VM_BIND op arrays on a booted device against the reference model `tyr_models::va_space`. After every
//! call: the result and the rewritten `ops.count` match the model (the first refused op, the earlier ones applied);
//! the VM's VA list (debugfs `gpuvas`) is the model's mappings; the consistency checker finds the page table exactly
//! what the VA list says; and the first and last page of every mapping translate to the right page of the right BO
//! (or to the VM's dummy page for a sparse mapping). At the end the file is closed and every frame comes back.
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
struct Input {
    /// Sizes of the BOs, in pages (1..=64).
    bos: Vec<u8>,
    calls: Vec<Vec<FuzzOp>>,
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
        for (n, call) in input.calls.iter().take(16).enumerate() {
            let raw: Vec<RawOp> = call
                .iter()
                .take(16)
                .map(|op| raw_op(op, &handles, model.limit))
                .collect();
            let ops: Vec<drm_panthor_vm_bind_op> = raw
                .iter()
                .map(|r| drm_panthor_vm_bind_op {
                    flags: r.flags,
                    bo_handle: r.bo,
                    bo_offset: r.offset,
                    va: r.va,
                    size: r.size,
                    ..Default::default()
                })
                .collect();
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
        drop(view);
        d.close_and_check(f);
    });
});
