// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Allocation-failure sweeps: for each uAPI operation, the 1st, 2nd, … allocation point it reaches is made
//! to fail in turn (`kernel::alloc::fault::fail_nth`) until the operation succeeds. Every failure must be `ENOMEM` and
//! leave everything as it was: every file's snapshot (handles, syncobjs, VMs and VAs) unchanged, the consistency
//! checker passing, and exact frame accounting (no frame leaked, none freed twice).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use kernel::alloc::fault;
use kernel::code::ENOMEM;
use tyr::debugfs::{check_files, Baseline, FileSnapshot};
use tyr::drm_device::TyrDrmFile;
use tyr::uapi::ioctl::*;
use tyr::uapi::sync_flags;
use tyr::uapi::*;

/// More allocation points than any uAPI operation reaches: past it a sweep fails instead of spinning forever.
const SWEEP_LIMIT: u64 = 10_000;

/// Sweeps `op` on `files`; returns the number of allocation points it reaches when nothing fails.
fn sweep(
    b: &Board,
    base: &Baseline,
    files: &[&Arc<TyrDrmFile>],
    name: &str,
    op: &dyn Fn() -> kernel::Result,
) -> u64 {
    let refs: Vec<&TyrDrmFile> = files.iter().map(|f| &***f).collect();
    for n in 0..SWEEP_LIMIT {
        let before: Vec<FileSnapshot> = refs.iter().map(|f| FileSnapshot::take(f)).collect();
        let res = {
            let _g = fault::fail_nth(n);
            op()
        };
        match res {
            Ok(()) => {
                check_files(&refs).unwrap_or_else(|e| panic!("{name}: after success: {e}"));
                return n;
            }
            Err(e) => {
                assert_eq!(e, ENOMEM, "{name}: allocation point {n} failed with {e:?}");
                for (a, f) in before.iter().zip(&refs) {
                    assert_eq!(
                        a.diff(&FileSnapshot::take(f)),
                        None,
                        "{name}: allocation point {n} changed state"
                    );
                }
                base.check(&refs, &b.dev, Duration::from_secs(5))
                    .unwrap_or_else(|e| panic!("{name}: allocation point {n}: {e}"));
            }
        }
    }
    panic!(
        "{name}: still ENOMEM after {SWEEP_LIMIT} allocation points: the operation never succeeds"
    )
}

#[test]
fn every_allocation_failure_is_enomem_and_changes_nothing() {
    let b = Board::boot();
    let base = Baseline::capture(&b.dev);
    let (f, g) = (b.open(), b.open());
    let mut total = 0;
    let mut run = |name: &str, files: &[&Arc<TyrDrmFile>], op: &dyn Fn() -> kernel::Result| {
        let n = sweep(&b, &base, files, name, op);
        eprintln!("{name:<40} {n} allocation points");
        total += n;
    };

    let vm = std::cell::Cell::new(0);
    run("VM_CREATE", &[&f], &|| {
        let mut a = drm_panthor_vm_create::default();
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut a).map(|()| vm.set(a.id))
    });
    let vm = vm.get();
    let bo = std::cell::Cell::new(0);
    run("BO_CREATE 12 KiB", &[&f], &|| {
        try_bo_create(&f, 12 * K, 0).map(|h| bo.set(h))
    });
    run("BO_CREATE exclusive", &[&f], &|| {
        try_bo_create(&f, 8 * K, vm).map(drop)
    });
    let big = std::cell::Cell::new(0);
    run("BO_CREATE 4 MiB", &[&f], &|| {
        try_bo_create(&f, 4 * M, 0).map(|h| big.set(h))
    });
    let (bo, big) = (bo.get(), big.get());
    run("BO_MMAP_OFFSET", &[&f], &|| {
        let mut a = drm_panthor_bo_mmap_offset {
            handle: bo,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut a)
    });
    // One op per synchronous VM_BIND: with several, a failure keeps the ops before it (`Documentation/uapi.md#vm_bind`,
    // `ops.count` says how many), which is a change by design.
    run("VM_BIND map", &[&f], &|| {
        bind(&f, vm, &[map_op(bo, 0, 0x10_0000, 12 * K, 0)])
    });
    run("VM_BIND map 2 MiB blocks", &[&f], &|| {
        bind(&f, vm, &[map_op(big, 0, 2 * M, 4 * M, 0)])
    });
    run("VM_BIND unmap splitting a block", &[&f], &|| {
        bind(&f, vm, &[unmap_op(3 * M + 4 * K, 8 * K)])
    });
    run("VM_BIND remap over a mapping", &[&f], &|| {
        bind(&f, vm, &[map_op(bo, 0, 0x10_1000, 4 * K, 0)])
    });

    let sync = std::cell::Cell::new(0);
    run("SYNCOBJ_CREATE", &[&f], &|| {
        let mut a = drm_syncobj_create {
            handle: 0,
            flags: 0,
        };
        ioctl(&f, DRM_IOCTL_SYNCOBJ_CREATE, &mut a).map(|()| sync.set(a.handle))
    });
    let sync = sync.get();
    run("VM_BIND async map signalling a syncobj", &[&f], &|| {
        let s = [drm_panthor_sync_op {
            flags: sync_flags::SIGNAL,
            handle: sync,
            timeline_value: 0,
        }];
        let mut op = map_op(bo, 0, 0x40_0000, 4 * K, 0);
        op.syncs = arr(&s);
        let ops = [op];
        let mut a = drm_panthor_vm_bind {
            vm_id: vm,
            flags: 1,
            ops: arr(&ops),
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut a)
    });
    run("SYNCOBJ_TIMELINE_SIGNAL", &[&f], &|| {
        let (h, p) = ([sync], [3u64]);
        let mut a = drm_syncobj_timeline_array {
            handles: h.as_ptr() as u64,
            points: p.as_ptr() as u64,
            count_handles: 1,
            flags: 0,
        };
        ioctl(&f, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &mut a)
    });
    let fd = std::cell::Cell::new(-1);
    run("PRIME_HANDLE_TO_FD", &[&f], &|| {
        let mut a = drm_prime_handle {
            handle: bo,
            flags: 0,
            fd: -1,
        };
        ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut a).map(|()| fd.set(a.fd))
    });
    run("PRIME_FD_TO_HANDLE in another file", &[&f, &g], &|| {
        let mut a = drm_prime_handle {
            handle: 0,
            flags: 0,
            fd: fd.get(),
        };
        ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut a)
    });
    // SAFETY: closing the descriptor PRIME_HANDLE_TO_FD gave this test.
    unsafe { libc::close(fd.get()) };
    run("BO_SET_LABEL", &[&f], &|| {
        let label = c"sweep";
        let mut a = drm_panthor_bo_set_label {
            handle: bo,
            pad: 0,
            label: label.as_ptr() as u64,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut a)
    });
    let group = std::cell::Cell::new(0);
    let qs = [drm_panthor_queue_create {
        priority: 0,
        ringbuf_size: 4096,
        ..Default::default()
    }];
    run("GROUP_CREATE", &[&f], &|| {
        let mut a = simple_group(&qs, vm);
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut a).map(|()| group.set(a.group_handle))
    });
    run("GROUP_SUBMIT signalling a syncobj", &[&f], &|| {
        let s = [drm_panthor_sync_op {
            flags: sync_flags::SIGNAL,
            handle: sync,
            timeline_value: 0,
        }];
        let subs = [drm_panthor_queue_submit {
            queue_index: 0,
            stream_size: 8,
            stream_addr: 0x10_0000,
            syncs: arr(&s),
            ..Default::default()
        }];
        let mut a = drm_panthor_group_submit {
            group_handle: group.get(),
            pad: 0,
            queue_submits: arr(&subs),
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut a)
    });
    run("TILER_HEAP_CREATE (first heap of the VM)", &[&f], &|| {
        let mut a = drm_panthor_tiler_heap_create {
            vm_id: vm,
            initial_chunk_count: 2,
            chunk_size: 0x2_0000,
            max_chunks: 4,
            target_in_flight: 1,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &mut a)
    });
    // The group (whose job faulted on purpose: nothing is mapped at its stream) goes before the VM.
    let mut d = drm_panthor_group_destroy {
        group_handle: group.get(),
        pad: 0,
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d).unwrap();
    tyr::debugfs::device::settle(&b.dev, Duration::from_secs(5));
    run("VM_DESTROY with mappings", &[&f], &|| {
        let mut a = drm_panthor_vm_destroy { id: vm, pad: 0 };
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_DESTROY, &mut a)
    });
    run("GEM_CLOSE", &[&f], &|| gem_close(&f, big));
    eprintln!("allocation points swept: {total}");
    assert!(
        total > 50,
        "the sweep reached the allocation points ({total})"
    );
    drop((f, g));
    base.check(&[], &b.dev, Duration::from_secs(5)).unwrap();
}
