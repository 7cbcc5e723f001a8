// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Isolation between files and between VMs: handles, VM ids and syncobjs are per file and can never be
//! named from another; a GPU access outside a VM's mappings faults and never reaches another VM's memory (checked
//! through the modelled GPU's memory port); a BO freed while mapped elsewhere lives until its last mapping goes; and a
//! file closed while an asynchronous bind is waiting tears down cleanly.

mod common;

use std::time::Duration;

use common::*;
use kernel::code::{EACCES, EINVAL, ENOENT};
use kernel::dma_fence::DmaFence;
use kernel::drm::gem::IntoGemObject;
use tyr::debugfs::{check_files, Baseline, FileSnapshot};
use tyr::uapi::ioctl::*;
use tyr::uapi::sync_flags;
use tyr::uapi::*;

fn syncobj(f: &tyr::drm_device::TyrDrmFile) -> u32 {
    let mut c = drm_syncobj_create {
        handle: 0,
        flags: 0,
    };
    ioctl(f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c).unwrap();
    c.handle
}

#[test]
fn a_file_cannot_name_another_files_handles_vms_or_syncobjs() {
    let b = Board::boot();
    let (f, g) = (b.open(), b.open());
    let vm = vm_create(&f);
    let bo = bo_create(&f, 4 * K);
    let s = syncobj(&f);
    let mut off = drm_panthor_bo_mmap_offset {
        handle: bo,
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut off).unwrap();
    let before = FileSnapshot::take(&f);

    // g holds nothing: every one of f's names is unknown there, with the errno each ioctl uses for that.
    assert_eq!(
        bind(&g, vm, &[map_op(bo, 0, 0x10000, 4 * K, 0)]),
        Err(EINVAL),
        "f's VM id"
    );
    let mut st = drm_panthor_vm_get_state {
        vm_id: vm,
        state: 0,
    };
    assert_eq!(
        ioctl(&g, DRM_IOCTL_PANTHOR_VM_GET_STATE, &mut st),
        Err(EINVAL)
    );
    let mut d = drm_panthor_vm_destroy { id: vm, pad: 0 };
    assert_eq!(ioctl(&g, DRM_IOCTL_PANTHOR_VM_DESTROY, &mut d), Err(EINVAL));
    let gvm = vm_create(&g);
    assert_eq!(
        gvm, vm,
        "ids are per file: g's first VM has the same number"
    );
    assert_eq!(
        bind(&g, gvm, &[map_op(bo, 0, 0x10000, 4 * K, 0)]),
        Err(EINVAL),
        "f's BO handle"
    );
    let mut m = drm_panthor_bo_mmap_offset {
        handle: bo,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&g, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m),
        Err(ENOENT)
    );
    let mut q = drm_panthor_bo_query_info {
        handle: bo,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&g, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &mut q),
        Err(ENOENT)
    );
    assert_eq!(gem_close(&g, bo), Err(EINVAL));
    let mut p = drm_prime_handle {
        handle: bo,
        flags: 0,
        fd: -1,
    };
    assert_eq!(ioctl(&g, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p), Err(ENOENT));
    let hs = [s];
    let mut a = drm_syncobj_array {
        handles: hs.as_ptr() as u64,
        count_handles: 1,
        pad: 0,
    };
    assert_eq!(ioctl(&g, DRM_IOCTL_SYNCOBJ_SIGNAL, &mut a), Err(ENOENT));
    let mut sd = drm_syncobj_destroy { handle: s, pad: 0 };
    assert_eq!(ioctl(&g, DRM_IOCTL_SYNCOBJ_DESTROY, &mut sd), Err(EINVAL));
    let sync = [drm_panthor_sync_op {
        flags: sync_flags::SIGNAL,
        handle: s,
        timeline_value: 0,
    }];
    let mut op = unmap_op(0x10000, 4 * K);
    op.syncs = arr(&sync);
    let ops = [op];
    let mut ab = drm_panthor_vm_bind {
        vm_id: gvm,
        flags: 1,
        ops: arr(&ops),
    };
    assert_eq!(
        ioctl(&g, DRM_IOCTL_PANTHOR_VM_BIND, &mut ab),
        Err(EINVAL),
        "f's syncobj in g's async bind"
    );
    assert_eq!(
        g.mmap_object(off.offset, 4 * K).err(),
        Some(EACCES),
        "f's mmap offset"
    );

    assert_eq!(
        before.diff(&FileSnapshot::take(&f)),
        None,
        "nothing g did reached f"
    );
    check_files(&[&f, &g]).unwrap();
}

fn f_pages(f: &tyr::drm_device::TyrDrmFile, h: u32) -> Vec<u64> {
    f.objects().lookup(h).unwrap().gem().get_pages().unwrap()
}

#[test]
fn a_bo_freed_while_mapped_elsewhere_lives_until_its_last_mapping_goes() {
    let b = Board::boot();
    let base = Baseline::capture(&b.dev);
    let (f, g) = (b.open(), b.open());
    let h = bo_create(&f, 8 * K);
    let pages = f_pages(&f, h);
    let mut p = drm_prime_handle {
        handle: h,
        flags: 0,
        fd: -1,
    };
    ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p).unwrap();
    let mut i = drm_prime_handle {
        handle: 0,
        flags: 0,
        fd: p.fd,
    };
    ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut i).unwrap();
    // SAFETY: the descriptor PRIME_HANDLE_TO_FD gave this test.
    unsafe { libc::close(p.fd) };
    let vm = vm_create(&g);
    bind(&g, vm, &[map_op(i.handle, 0, 0x40000, 8 * K, 0)]).unwrap();
    gem_close(&g, i.handle).unwrap();
    drop(f);
    // No handle names the BO any more; its mapping in g keeps it, frames and all.
    let ram = b.soc.gpu().ram().clone();
    assert!(pages.iter().all(|&pa| ram.is_allocated(pa)));
    let v = base.check(&[&g], &b.dev, Duration::from_secs(5)).unwrap();
    assert_eq!((v.bos, v.vas), (1, 1));
    bind(&g, vm, &[unmap_op(0x40000, 8 * K)]).unwrap();
    base.check(&[&g], &b.dev, Duration::from_secs(5)).unwrap();
    assert!(
        pages.iter().all(|&pa| !ram.is_allocated(pa)),
        "freed with its last mapping"
    );
}

#[test]
fn closing_a_file_with_an_async_bind_in_flight_tears_down_cleanly() {
    let b = Board::boot();
    let base = Baseline::capture(&b.dev);
    let mut gates = Vec::new();
    for round in 0..3 {
        let f = b.open();
        let vm = vm_create(&f);
        let bo = bo_create(&f, 2 * M);
        let (wait, done) = (syncobj(&f), syncobj(&f));
        // An unsignalled fence from "another engine" gates the bind.
        let gate = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        f.syncobjs()
            .lookup(wait)
            .unwrap()
            .replace_fence(Some(gate.clone()));
        let syncs = [
            drm_panthor_sync_op {
                flags: 0,
                handle: wait,
                timeline_value: 0,
            },
            drm_panthor_sync_op {
                flags: sync_flags::SIGNAL,
                handle: done,
                timeline_value: 0,
            },
        ];
        let mut op = map_op(bo, 0, 2 * M, 2 * M, 0);
        op.syncs = arr(&syncs);
        let ops = [op];
        let mut a = drm_panthor_vm_bind {
            vm_id: vm,
            flags: 1,
            ops: arr(&ops),
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut a).unwrap();
        let out = f.syncobjs().lookup(done).unwrap().fence().unwrap();
        assert!(!out.is_signaled(), "in flight");
        drop(f);
        // The job is cancelled with the file's VM: its fence signals with an error, nothing is left mapped.
        out.wait_timeout(Duration::from_secs(5)).unwrap();
        assert!(
            out.error().is_some(),
            "round {round}: the cancelled bind reports an error"
        );
        // The other engine finishing later finds nobody waiting.
        if round == 1 {
            gate.signal().unwrap();
        }
        gates.push(gate);
    }
    base.check(&[], &b.dev, Duration::from_secs(5)).unwrap();
}
