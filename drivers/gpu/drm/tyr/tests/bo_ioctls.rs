// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The BO ioctls and the mmap lookup through `File::ioctl`: mmap offsets (stable, taken at create), labels, BO_SYNC
//! and BO_QUERY_INFO, the user MMIO offset, a synchronous VM_BIND's failing index, and what `mmap` grants, each with
//! the errnos `Documentation/uapi.md#per-ioctl-checks` lists.

use std::sync::Arc;

use kernel::code::{E2BIG, EACCES, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, EPERM};
use tyr::drm_device::TyrDrmFile;
use tyr::uapi::bo_flags;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::drm::{bo_create, setup};
use common::{ioctl, K};

#[test]
fn bo_mmap_offsets_are_stable_per_object_and_checked_at_mmap() {
    let s = setup();
    let f = s.open();
    let g = s.open();
    let a = bo_create(&f, 3 * K, 0);
    let b = bo_create(&f, K, 0);
    let off = |f: &TyrDrmFile, h: u32| {
        let mut m = drm_panthor_bo_mmap_offset {
            handle: h,
            ..Default::default()
        };
        ioctl(f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).map(|()| m.offset)
    };
    let oa = off(&f, a).unwrap();
    assert!(
        oa > 0x1_0000_0000,
        "fake offsets start at 4 GiB, where the firmware's BOs sit"
    );
    assert_eq!(off(&f, a), Ok(oa));
    let ob = off(&f, b).unwrap();
    assert_ne!(oa, ob);

    let mut m = drm_panthor_bo_mmap_offset {
        handle: 99,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m),
        Err(ENOENT)
    );
    assert_eq!(
        m.offset, 0,
        "untouched on failure (IGT bo_mmap_offset_invalid_handle)"
    );
    let mut m = drm_panthor_bo_mmap_offset {
        handle: a,
        pad: 1,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m),
        Err(EINVAL)
    );
    let nommap = bo_create(&f, K, bo_flags::NO_MMAP);
    assert_eq!(off(&f, nommap), Err(EPERM));

    let bo = f.mmap_object(oa, 3 * K).unwrap();
    assert!(Arc::ptr_eq(&bo, &f.objects().lookup(a).unwrap()));
    assert_eq!(
        f.mmap_object(oa, 4 * K).err(),
        Some(EINVAL),
        "longer than the object"
    );
    assert_eq!(
        f.mmap_object(oa + K, K).err(),
        Some(EINVAL),
        "not the start of a node"
    );
    assert_eq!(
        g.mmap_object(oa, K).err(),
        Some(EACCES),
        "another file without a handle"
    );
}

/// Found by IGT's own `panthor_gem` `bo_mmap_offset`, which checks `igt_assert_neq(offset, 0)` through an `int` and so
/// sees only the low 32 bits: Tyr handed out offsets on first BO_MMAP_OFFSET, so a fresh device gave its first client
/// BO exactly 4 GiB (low half 0). Panthor's BOs are shmem objects and `drm_gem_shmem_create` takes each one's fake
/// offset when it creates it, the firmware sections' at probe included, so the first client BO lands above those.
#[test]
fn bo_offsets_are_taken_at_create_in_a_space_the_firmware_already_uses() {
    let s = setup();
    let f = s.open();
    let off = |h: u32| {
        let mut m = drm_panthor_bo_mmap_offset {
            handle: h,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m)
            .map(|()| m.offset)
            .unwrap()
    };
    let a = bo_create(&f, 3 * K, 0);
    let nommap = bo_create(&f, K, bo_flags::NO_MMAP);
    let b = bo_create(&f, K, 0);
    // Asked in the reverse order: the offsets still follow creation, NO_MMAP objects taking theirs too.
    let ob = off(b);
    let oa = off(a);
    assert!(
        oa > 0x1_0000_0000,
        "the firmware's sections hold the first offsets"
    );
    assert_ne!(oa as u32, 0, "the low half IGT's int comparison sees");
    assert_eq!(ob, oa + 4 * K);
    // A closed object gives its offset back; the next one of the same size takes the hole.
    let mut c = drm_gem_close {
        handle: nommap,
        pad: 0,
    };
    ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut c).unwrap();
    let d = bo_create(&f, K, 0);
    assert_eq!(off(d), oa + 3 * K);
}

/// Sizes no fake-offset space can hold: past MAX_LFS_FILESIZE the shmem file is refused (`EINVAL`); below it the
/// object exists but `drm_vma_offset_add` finds no hole (`ENOSPC`). Found by the ioctls libFuzzer target: the offset
/// search overflowed on a size near 2^64.
#[test]
fn bo_create_sizes_past_the_offset_space_fail_cleanly() {
    let s = setup();
    let f = s.open();
    let create = |size: u64| {
        let mut c = drm_panthor_bo_create {
            size,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut c).map(|()| c.handle)
    };
    assert_eq!(create(u64::MAX - 0xfff), Err(EINVAL));
    assert_eq!(create(u64::MAX), Err(EINVAL));
    assert_eq!(create(1 << 63), Err(EINVAL));
    assert_eq!(create(i64::MAX as u64 & !0xfff), Err(ENOSPC));
    assert_eq!(create(1 << 47), Err(ENOSPC));
    assert!(create(K).is_ok(), "the device still creates objects");
}

#[test]
fn bo_label_query_sync_and_user_mmio_offset() {
    let s = setup();
    let f = s.open();
    let h = bo_create(&f, K, bo_flags::WB_MMAP);
    let label = b"vertex buffer\0";
    let mut l = drm_panthor_bo_set_label {
        handle: h,
        pad: 0,
        label: label.as_ptr() as u64,
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l).unwrap();
    assert_eq!(
        tyr::debugfs::gems::label(&f.objects().lookup(h).unwrap()).as_deref(),
        Some("vertex buffer")
    );
    let long = vec![b'x'; 4096];
    l.label = long.as_ptr() as u64;
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l),
        Err(E2BIG)
    );
    l.label = 0x10;
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l),
        Err(EFAULT)
    );
    assert_eq!(
        tyr::debugfs::gems::label(&f.objects().lookup(h).unwrap()).as_deref(),
        Some("vertex buffer"),
        "failures change nothing"
    );
    l.label = 0;
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l).unwrap();
    assert_eq!(
        tyr::debugfs::gems::label(&f.objects().lookup(h).unwrap()),
        None,
        "a null label clears it"
    );
    l.pad = 1;
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l),
        Err(EINVAL)
    );
    let mut l = drm_panthor_bo_set_label {
        handle: 42,
        pad: 0,
        label: 0,
    };
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l),
        Err(ENOENT)
    );

    let mut qi = drm_panthor_bo_query_info {
        handle: h,
        pad: 9,
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &mut qi).unwrap();
    assert_eq!(
        (qi.extra_flags, qi.create_flags, qi.pad),
        (0, bo_flags::WB_MMAP, 0)
    );
    qi.handle = 42;
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &mut qi),
        Err(ENOENT)
    );

    let sync = |ops: &[drm_panthor_bo_sync_op]| {
        let mut a = drm_panthor_bo_sync {
            ops: drm_panthor_obj_array {
                stride: 24,
                count: ops.len() as u32,
                array: ops.as_ptr() as u64,
            },
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SYNC, &mut a)
    };
    assert_eq!(sync(&[]), Ok(()));
    assert_eq!(
        sync(&[drm_panthor_bo_sync_op {
            handle: h,
            type_: 1,
            offset: 0,
            size: K
        }]),
        Ok(())
    );
    assert_eq!(
        sync(&[drm_panthor_bo_sync_op {
            handle: h,
            type_: 2,
            offset: 0,
            size: K
        }]),
        Err(EINVAL)
    );
    assert_eq!(
        sync(&[drm_panthor_bo_sync_op {
            handle: 42,
            type_: 0,
            offset: 0,
            size: K
        }]),
        Err(ENOENT)
    );
    // The range is checked before the type, and must lie inside the BO (`panthor_gem_sync`).
    let op = |offset, size, type_| drm_panthor_bo_sync_op {
        handle: h,
        type_,
        offset,
        size,
    };
    assert_eq!(
        sync(&[op(K, 0, 0)]),
        Ok(()),
        "an empty range at the end is fine"
    );
    assert_eq!(sync(&[op(K, 1, 0)]), Err(EINVAL), "one byte past the end");
    assert_eq!(
        sync(&[op(u64::MAX, 2, 0)]),
        Err(EINVAL),
        "offset + size wraps"
    );
    assert_eq!(
        sync(&[op(0, 2 * K, 7)]),
        Err(EINVAL),
        "out of range and a bad type"
    );
    assert_eq!(
        sync(&[op(0, K, 0), op(0, 2 * K, 0)]),
        Err(EINVAL),
        "the second op fails"
    );

    let mut m = drm_panthor_set_user_mmio_offset { offset: 1 << 43 };
    ioctl(&f, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mut m).unwrap();
    assert_eq!(
        tyr::debugfs::FileSnapshot::take(&f).user_mmio_offset,
        1 << 43
    );
    m.offset = 1 << 44;
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mut m),
        Err(EINVAL)
    );
    assert_eq!(
        tyr::debugfs::FileSnapshot::take(&f).user_mmio_offset,
        1 << 43
    );
}

#[test]
fn sync_vm_bind_through_the_ioctl_writes_the_failing_index_back() {
    let s = setup();
    let f = s.open();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let h = bo_create(&f, 4 * K, 0);
    let op = |va| drm_panthor_vm_bind_op {
        bo_handle: h,
        va,
        size: K,
        ..Default::default()
    };
    let ops = [op(0x1000), op(0x2800)];
    let mut b = drm_panthor_vm_bind {
        vm_id: vm.id,
        flags: 0,
        ops: drm_panthor_obj_array {
            stride: 48,
            count: 2,
            array: ops.as_ptr() as u64,
        },
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b), Err(EINVAL));
    assert_eq!(
        b.ops.count, 1,
        "the copy-back carries the failing op's index"
    );
    assert_eq!(tyr::debugfs::vm(&f, vm.id).unwrap().vas().len(), 1);
}

#[test]
fn mmap_grants_bo_runs_and_the_flush_id_page_by_panthors_rules() {
    use tyr::mmap::{mmap, CacheMode, CpuMapping, MmapRequest};
    let s = setup();
    let f = s.open();
    let h = bo_create(&f, 2 * K, bo_flags::WB_MMAP);
    let wc = bo_create(&f, K, 0);
    let off = |h: u32| {
        let mut m = drm_panthor_bo_mmap_offset {
            handle: h,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).unwrap();
        m.offset
    };
    let req = |offset, len| MmapRequest {
        offset,
        len,
        write: true,
        exec: false,
        shared: true,
    };
    let Ok(CpuMapping::Bo { obj, runs, cache }) = mmap(&f, req(off(h), 2 * K)) else {
        panic!("BO mapping refused")
    };
    assert_eq!(cache, CacheMode::WriteBack);
    assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), 2 * K);
    // The runs are the BO's own pages: what the CPU writes there, the BO holds.
    let ram = s.dev.data().ram();
    ram.write(runs[0].0, b"cpu").unwrap();
    let first = tyr::debugfs::gems::sg_range(&obj, 0, K).unwrap()[0].0;
    let mut b = [0u8; 3];
    ram.read(first, &mut b).unwrap();
    assert_eq!(&b, b"cpu");
    let Ok(CpuMapping::Bo { cache, .. }) = mmap(&f, req(off(wc), 100)) else {
        panic!("short length")
    };
    assert_eq!(
        cache,
        CacheMode::WriteCombine,
        "no WB_MMAP: write-combined on a non-coherent GPU"
    );
    assert_eq!(
        mmap(
            &f,
            MmapRequest {
                shared: false,
                ..req(off(h), K)
            }
        )
        .err(),
        Some(EINVAL),
        "MAP_PRIVATE"
    );
    assert_eq!(
        mmap(&f, req(off(h), 3 * K)).err(),
        Some(EINVAL),
        "longer than the BO"
    );
    // Found by the `ioctls` fuzz target (the length rounding overflowed): `do_mmap`'s own check comes first.
    assert_eq!(
        mmap(&f, req(off(h), u64::MAX - 10)).err(),
        Some(ENOMEM),
        "a length that rounds up past the address space"
    );

    let ro = |offset, len| MmapRequest {
        offset,
        len,
        write: false,
        exec: false,
        shared: true,
    };
    let Ok(CpuMapping::FlushId { phys }) = mmap(&f, ro(1 << 56, K)) else {
        panic!("flush id page refused")
    };
    assert_eq!(phys, 0xfb01_0000);
    assert_eq!(mmap(&f, req(1 << 56, K)).err(), Some(EINVAL), "writable");
    assert_eq!(
        mmap(
            &f,
            MmapRequest {
                exec: true,
                ..ro(1 << 56, K)
            }
        )
        .err(),
        Some(EINVAL),
        "executable"
    );
    assert_eq!(
        mmap(&f, ro(1 << 56, 2 * K)).err(),
        Some(EINVAL),
        "two pages"
    );
    assert_eq!(
        mmap(&f, ro((1 << 56) + K, K)).err(),
        Some(EINVAL),
        "past the only page"
    );
    assert_eq!(
        mmap(
            &f,
            MmapRequest {
                shared: false,
                ..ro(1 << 56, K)
            }
        )
        .err(),
        Some(EINVAL),
        "private"
    );
    let mut m = drm_panthor_set_user_mmio_offset { offset: 1 << 43 };
    ioctl(&f, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mut m).unwrap();
    assert!(matches!(
        mmap(&f, ro(1 << 43, K)),
        Ok(CpuMapping::FlushId { .. })
    ));
}

/// Regression (the `ioctls` fuzz target ran out of memory on a mutated IGT seed): a BO of 2.6 GiB — legal in the
/// board's 4 GiB — had its pages cleared by writing them, which committed that much host memory at BO_CREATE. Fresh
/// pages read as zero without costing the host anything until written, as shmem's do.
#[test]
fn a_large_bo_reads_zero_and_commits_no_host_memory_until_written() {
    let s = setup();
    let f = s.open();
    let ram = s.dev.data().ram().clone();
    let before = ram.committed();
    let h = bo_create(&f, 0xa600_1000, 0);
    assert!(
        ram.committed() < before + (64 << 20),
        "{} bytes committed for an untouched BO",
        ram.committed() - before
    );
    let obj = f.objects().lookup(h).unwrap();
    let pages = {
        use kernel::drm::gem::IntoGemObject;
        obj.gem().get_pages().unwrap()
    };
    let mut b = [0xffu8; 8];
    for pa in [pages[0], pages[pages.len() / 2], *pages.last().unwrap()] {
        ram.read(pa, &mut b).unwrap();
        assert_eq!(b, [0; 8]);
    }
}

/// Regression (the `ioctls` fuzz target under AddressSanitizer, which aborts on an allocation it cannot serve rather
/// than failing it): a BO larger than RAM asked the allocator for a page list as large as the object (0x1a00002000
/// bytes for this one) before finding RAM too small. It fails with ENOMEM first, and leaves RAM as it was.
#[test]
fn a_bo_larger_than_ram_is_enomem_before_any_page_list() {
    let s = setup();
    let f = s.open();
    let free = s.dev.data().ram().stats().free_frames;
    let mut a = drm_panthor_bo_create {
        size: 0x1a00002000 / 8 * 4096,
        ..Default::default()
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a), Err(ENOMEM));
    assert_eq!(s.dev.data().ram().stats().free_frames, free);
}
