// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The whole ioctl path on the modelled RK3588: probe, open render-node files, and call `File::ioctl` with the real
//! command numbers and real user pointers, as the drm-shim will. Covers the DRM core ioctls (VERSION, GET_CAP,
//! GEM_CLOSE, PRIME), DEV_QUERY, the BO ioctls and the mmap lookup, each with the errnos
//! `Documentation/uapi.md#per-ioctl-checks` lists.

use std::os::fd::RawFd;
use std::sync::Arc;

use kernel::code::{
    E2BIG, EACCES, EBADF, EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, ENOTTY, EOPNOTSUPP, EPERM,
};
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, PRIMARY_CLIENT, RENDER_CLIENT};
use tyr::uapi::bo_flags;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::ioctl;

const K: u64 = 0x1000;

struct Setup {
    dev: Arc<TyrDrmDevice>,
    /// Dropped last: the device's teardown still talks to the board.
    _soc: Rk3588,
}

fn setup() -> Setup {
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    Setup { _soc: soc, dev }
}

impl Setup {
    fn open(&self) -> Arc<TyrDrmFile> {
        TyrDrmFile::open(&self.dev, RENDER_CLIENT).unwrap()
    }
}

fn bo_create(f: &TyrDrmFile, size: u64, flags: u32) -> u32 {
    let mut a = drm_panthor_bo_create {
        size,
        flags,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a).unwrap();
    a.handle
}

fn close(fd: RawFd) {
    // SAFETY: closing a descriptor this test received from PRIME_HANDLE_TO_FD.
    assert_eq!(unsafe { libc::close(fd) }, 0);
}

#[test]
fn version_reports_panthor_1_9_with_drm_copy_field_rules() {
    let s = setup();
    let f = s.open();
    let mut name = [0xAAu8; 16];
    let mut desc = [0xAAu8; 4];
    let mut v = drm_version {
        name_len: name.len() as _,
        name: name.as_mut_ptr().cast(),
        desc_len: desc.len() as _,
        desc: desc.as_mut_ptr().cast(),
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_VERSION, &mut v).unwrap();
    assert_eq!(
        (v.version_major, v.version_minor, v.version_patchlevel),
        (1, 9, 0)
    );
    assert_eq!(v.name_len, 7);
    assert_eq!(&name[..8], b"panthor\xAA", "no NUL written");
    assert_eq!(
        v.desc_len as usize,
        "Panthor DRM driver".len(),
        "the full length, whatever the buffer"
    );
    assert_eq!(&desc, b"Pant", "truncated to the caller's buffer");
    assert_eq!(
        v.date_len, 1,
        "date is \"0\"; a null pointer only gets the length"
    );

    let mut bad = drm_version {
        name_len: 7,
        name: 0x10 as *mut _,
        ..Default::default()
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_VERSION, &mut bad), Err(EFAULT));
}

#[test]
fn get_cap_answers_what_a_render_driver_has() {
    let s = setup();
    let f = s.open();
    let cap = |c: u32| {
        let mut a = drm_get_cap {
            capability: c.into(),
            value: 77,
        };
        ioctl(&f, DRM_IOCTL_GET_CAP, &mut a).map(|()| a.value)
    };
    assert_eq!(cap(DRM_CAP_TIMESTAMP_MONOTONIC), Ok(1));
    assert_eq!(cap(DRM_CAP_PRIME), Ok(3));
    assert_eq!(cap(DRM_CAP_SYNCOBJ), Ok(1));
    assert_eq!(cap(DRM_CAP_SYNCOBJ_TIMELINE), Ok(1));
    assert_eq!(cap(DRM_CAP_DUMB_BUFFER), Err(EOPNOTSUPP));
}

#[test]
fn unknown_commands_follow_the_core_rules() {
    let s = setup();
    let f = s.open();
    let mut buf = [0u64; 4];
    let p = UserPtr(buf.as_mut_ptr() as usize);
    assert_eq!(
        f.ioctl(iowr(0x40 + 17, 16), p),
        Err(EINVAL),
        "past Panthor's table"
    );
    assert_eq!(
        f.ioctl(iowr(0x03, 16), p),
        Err(EINVAL),
        "a core number without a handler"
    );
    assert_eq!(
        f.ioctl((3 << 30) | (16 << 16) | (u32::from(b'x') << 8), p),
        Err(ENOTTY)
    );
}

#[test]
fn gem_close_drops_the_handle_and_unknown_handles_are_einval() {
    let s = setup();
    let f = s.open();
    let h = bo_create(&f, K, 0);
    let mut c = drm_gem_close {
        handle: h,
        pad: 0xdead,
    };
    ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut c).unwrap();
    assert_eq!(ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut c), Err(EINVAL));
    assert_eq!(bo_create(&f, K, 0), h, "the lowest free handle is reused");
}

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

#[test]
fn prime_shares_objects_between_files_through_real_fds() {
    let s = setup();
    let f = s.open();
    let g = s.open();
    let h = bo_create(&f, 2 * K, 0);
    let mut p = drm_prime_handle {
        handle: h,
        flags: DRM_CLOEXEC | DRM_RDWR,
        fd: -1,
    };
    ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p).unwrap();
    let fd = p.fd;
    assert!(fd >= 0);
    // SAFETY: F_GETFD on a descriptor this test owns.
    let fd_flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert_eq!(fd_flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);

    let mut q = drm_prime_handle {
        fd,
        ..Default::default()
    };
    ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut q).unwrap();
    assert!(Arc::ptr_eq(
        &g.objects().lookup(q.handle).unwrap(),
        &f.objects().lookup(h).unwrap()
    ));
    let mut again = drm_prime_handle {
        fd,
        ..Default::default()
    };
    ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut again).unwrap();
    assert_eq!(again.handle, q.handle, "one handle per object per file");
    let mut own = drm_prime_handle {
        fd,
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut own).unwrap();
    assert_eq!(own.handle, h, "the exporter gets its original handle back");

    // The dma-buf keeps the object alive after the exporter closes its handle.
    ioctl(
        &f,
        DRM_IOCTL_GEM_CLOSE,
        &mut drm_gem_close { handle: h, pad: 0 },
    )
    .unwrap();
    let mut late = drm_prime_handle {
        fd,
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut late).unwrap();
    assert_eq!(s.dev.dma_buf_count(), 1);
    close(fd);
    assert_eq!(
        s.dev.dma_buf_count(),
        0,
        "the last descriptor closed: the dma-buf is gone"
    );

    let mut p = drm_prime_handle {
        handle: h,
        flags: 1,
        fd: -1,
    };
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p),
        Err(EINVAL),
        "unknown flag"
    );
    let mut p = drm_prime_handle {
        handle: 77,
        flags: 0,
        fd: -1,
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p), Err(ENOENT));
    let mut q = drm_prime_handle {
        fd: 1 << 20,
        ..Default::default()
    };
    assert_eq!(ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut q), Err(EBADF));
    let file = std::fs::File::open("/proc/self/status").unwrap();
    let mut q = drm_prime_handle {
        fd: std::os::fd::AsRawFd::as_raw_fd(&file),
        ..Default::default()
    };
    assert_eq!(
        ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut q),
        Err(EINVAL),
        "not a dma-buf"
    );
}

#[test]
fn a_bo_private_to_a_vm_cannot_be_exported() {
    let s = setup();
    let f = s.open();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let mut b = drm_panthor_bo_create {
        size: K,
        exclusive_vm_id: vm.id,
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut b).unwrap();
    let mut p = drm_prime_handle {
        handle: b.handle,
        flags: 0,
        fd: -1,
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p), Err(EINVAL));
    assert_eq!(p.fd, -1);
    assert_eq!(s.dev.dma_buf_count(), 0);
}

fn query<T: AsBytes + FromBytes + Default>(f: &TyrDrmFile, kind: u32) -> (kernel::Result, T) {
    let mut out = T::default();
    let mut q = drm_panthor_dev_query {
        type_: kind,
        size: size_of::<T>() as u32,
        pointer: &mut out as *mut T as u64,
    };
    let r = ioctl(f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q);
    (r, out)
}

#[test]
fn dev_query_sizes_and_payloads() {
    let s = setup();
    let f = s.open();
    for (kind, size) in [(0, 112), (1, 24), (2, 56), (3, 4), (4, 8)] {
        let mut q = drm_panthor_dev_query {
            type_: kind,
            size: 3,
            pointer: 0,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
        assert_eq!(q.size, size, "type {kind}");
    }
    let mut q = drm_panthor_dev_query {
        type_: 5,
        size: 0,
        pointer: 0,
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), Err(EINVAL));

    let (r, gpu) = query::<drm_panthor_gpu_info>(&f, 0);
    r.unwrap();
    assert_eq!(gpu.gpu_id, 0xa867_0005);
    assert_eq!(
        (gpu.as_present, gpu.shader_present, gpu.mmu_features),
        (0xff, 0x50005, 0x2830)
    );
    let (r, mmu) = query::<drm_panthor_mmu_info>(&f, 4);
    r.unwrap();
    assert_eq!(mmu.page_size_bitmap, 0x20_1000);
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&f, 3);
    r.unwrap();
    assert_eq!(
        prio.allowed_mask, 0x3,
        "an unprivileged client gets LOW and MEDIUM"
    );
    // The first primary-node file of the device is its master.
    let master = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0xf);
}

#[test]
fn timestamp_info_samples_what_its_flags_ask_for() {
    let s = setup();
    let f = s.open();
    let ts_query = |input: drm_panthor_timestamp_info, size: u32| {
        let mut out = input;
        let mut q = drm_panthor_dev_query {
            type_: 2,
            size,
            pointer: &mut out as *mut _ as u64,
        };
        (ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), out)
    };
    let (r, a) = ts_query(Default::default(), 56);
    r.unwrap();
    assert_eq!(a.timestamp_frequency, 24_000_000, "the RK3588 arch timer");
    assert_eq!(
        (a.cycle_count, a.cpu_timestamp_sec, a.duration_nsec),
        (0, 0, 0),
        "not asked for"
    );
    let all = timestamp_flags::GPU
        | timestamp_flags::CPU_MONOTONIC
        | timestamp_flags::GPU_OFFSET
        | timestamp_flags::FREQ
        | timestamp_flags::DURATION;
    // The GPU timestamp follows real time at 24 MHz: query again until it has moved on, within a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let b = loop {
        let (r, b) = ts_query(
            drm_panthor_timestamp_info {
                flags: all,
                ..Default::default()
            },
            56,
        );
        r.unwrap();
        if b.current_timestamp > a.current_timestamp {
            break b;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the GPU timestamp did not advance within 5 s"
        );
    };
    assert!(b.cpu_timestamp_sec > 0 || b.cpu_timestamp_nsec > 0);
    assert_eq!(b.flags, all, "flags go back as given");

    for bad in [
        0x100,
        timestamp_flags::GPU | 0x6,
        timestamp_flags::GPU | 0x8,
    ] {
        let (r, _) = ts_query(
            drm_panthor_timestamp_info {
                flags: bad,
                ..Default::default()
            },
            56,
        );
        assert_eq!(r, Err(EINVAL), "flags {bad:#x}");
    }
    let mut big = [0u64; 8];
    big[7] = 1;
    let mut q = drm_panthor_dev_query {
        type_: 2,
        size: 64,
        pointer: big.as_mut_ptr() as u64,
    };
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q),
        Err(E2BIG),
        "non-zero bytes past the struct"
    );
    let (r, _) = ts_query(Default::default(), 8);
    assert_eq!(r, Err(EINVAL), "below the mandatory 16 bytes");
    let (r, old) = ts_query(Default::default(), 24);
    r.unwrap();
    assert_ne!(
        old.current_timestamp, 0,
        "a 1.1 client's 24-byte struct still gets the three values"
    );
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
fn an_unplugged_device_refuses_ioctls_and_opens() {
    let s = setup();
    let f = s.open();
    s.dev.unplug();
    let mut c = drm_get_cap {
        capability: DRM_CAP_PRIME.into(),
        value: 0,
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_GET_CAP, &mut c), Err(ENODEV));
    assert_eq!(TyrDrmFile::open(&s.dev, RENDER_CLIENT).err(), Some(ENODEV));
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

// ---- The whole core table, and the master and authentication model ------------------------------------------------

/// What a core number must answer, on a render file, on the primary master and on a primary file that is neither
/// master nor authenticated, when called with an all-zero argument (`DRM_IOWR(nr, 0)`: nothing copied in or out).
#[derive(Clone, Copy, Debug)]
enum Exp {
    /// Exactly this result.
    Is(kernel::Result),
    /// Past `drm_ioctl_permit` into a handler this test does not pin down (syncobj waits, PRIME import of fd 0, and
    /// SYNCOBJ_FD_TO_HANDLE of fd 0, whatever the test's stdin is): anything but `EACCES`.
    Ran,
}

use Exp::{Is, Ran};

const OK: Exp = Is(Ok(()));
const INVAL: Exp = Is(Err(EINVAL));
const ACCES: Exp = Is(Err(EACCES));
const NOTSUPP: Exp = Is(Err(EOPNOTSUPP));
const NOSYS: Exp = Is(Err(kernel::code::ENOSYS));
const NOENT: Exp = Is(Err(ENOENT));

/// Upstream's `drm_ioctls[]` as it stands (Linux 6.18 stable, GEM_CHANGE_HANDLE turned into `drm_invalid_op`), for
/// Panthor (render, GEM, syncobj, timeline; no modesetting, no `dumb_create`), with each entry's flags. Numbers not
/// listed have no entry: `EINVAL` on every file, before any copy or permission check.
#[rustfmt::skip]
const CORE_TABLE: &[(u32, &str, &str, Exp, Exp, Exp)] = &[
    //  nr    name                    upstream flags            render   master   other primary
    (0x00, "VERSION",               "RENDER_ALLOW",            OK,      OK,      OK),
    (0x01, "GET_UNIQUE",            "0",                       ACCES,   OK,      OK),
    (0x02, "GET_MAGIC",             "0",                       ACCES,   OK,      OK),
    (0x05, "GET_CLIENT",            "0",                       ACCES,   OK,      OK),
    (0x06, "GET_STATS",             "0",                       ACCES,   OK,      OK),
    (0x07, "SET_VERSION",           "MASTER",                  ACCES,   INVAL,   ACCES),
    (0x09, "GEM_CLOSE",             "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0x0a, "GEM_FLINK",             "AUTH",                    ACCES,   NOENT,   ACCES),
    (0x0b, "GEM_OPEN",              "AUTH",                    ACCES,   NOENT,   ACCES),
    (0x0c, "GET_CAP",               "RENDER_ALLOW",            NOTSUPP, NOTSUPP, NOTSUPP),
    (0x0d, "SET_CLIENT_CAP",        "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x10, "SET_UNIQUE",            "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x11, "AUTH_MAGIC",            "MASTER",                  ACCES,   INVAL,   ACCES),
    (0x12, "BLOCK",                 "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x13, "UNBLOCK",               "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x1e, "SET_MASTER",            "0",                       ACCES,   OK,      ACCES),
    (0x1f, "DROP_MASTER",           "0",                       ACCES,   OK,      ACCES),
    (0x27, "ADD_DRAW",              "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x28, "RM_DRAW",               "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0x2c, "FINISH",                "AUTH",                    ACCES,   OK,      ACCES),
    (0x2d, "PRIME_HANDLE_TO_FD",    "RENDER_ALLOW",            NOENT,   NOENT,   NOENT),
    (0x2e, "PRIME_FD_TO_HANDLE",    "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0x3a, "WAIT_VBLANK",           "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x3b, "CRTC_GET_SEQUENCE",     "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x3c, "CRTC_QUEUE_SEQUENCE",   "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0x3f, "UPDATE_DRAW",           "AUTH|MASTER|ROOT_ONLY",   ACCES,   ACCES,   ACCES),
    (0xa0, "MODE_GETRESOURCES",     "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa1, "MODE_GETCRTC",          "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa2, "MODE_SETCRTC",          "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xa3, "MODE_CURSOR",           "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xa4, "MODE_GETGAMMA",         "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa5, "MODE_SETGAMMA",         "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xa6, "MODE_GETENCODER",       "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa7, "MODE_GETCONNECTOR",     "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xa8, "MODE_ATTACHMODE",       "MASTER (drm_noop)",       ACCES,   OK,      ACCES),
    (0xa9, "MODE_DETACHMODE",       "MASTER (drm_noop)",       ACCES,   OK,      ACCES),
    (0xaa, "MODE_GETPROPERTY",      "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xab, "MODE_SETPROPERTY",      "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xac, "MODE_GETPROPBLOB",      "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xad, "MODE_GETFB",            "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xae, "MODE_ADDFB",            "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xaf, "MODE_RMFB",             "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xb0, "MODE_PAGE_FLIP",        "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xb1, "MODE_DIRTYFB",          "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xb2, "MODE_CREATE_DUMB",      "0 (no dumb_create)",      ACCES,   NOSYS,   NOSYS),
    (0xb3, "MODE_MAP_DUMB",         "0 (no dumb_create)",      ACCES,   NOSYS,   NOSYS),
    (0xb4, "MODE_DESTROY_DUMB",     "0 (no dumb_create)",      ACCES,   NOSYS,   NOSYS),
    (0xb5, "MODE_GETPLANERESOURCES", "0",                      ACCES,   NOTSUPP, NOTSUPP),
    (0xb6, "MODE_GETPLANE",         "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xb7, "MODE_SETPLANE",         "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xb8, "MODE_ADDFB2",           "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xb9, "MODE_OBJ_GETPROPERTIES", "0",                      ACCES,   NOTSUPP, NOTSUPP),
    (0xba, "MODE_OBJ_SETPROPERTY",  "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xbb, "MODE_CURSOR2",          "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xbc, "MODE_ATOMIC",           "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xbd, "MODE_CREATEPROPBLOB",   "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xbe, "MODE_DESTROYPROPBLOB",  "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xbf, "SYNCOBJ_CREATE",        "RENDER_ALLOW",            OK,      OK,      OK),
    (0xc0, "SYNCOBJ_DESTROY",       "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc1, "SYNCOBJ_HANDLE_TO_FD",  "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc2, "SYNCOBJ_FD_TO_HANDLE",  "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0xc3, "SYNCOBJ_WAIT",          "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0xc4, "SYNCOBJ_RESET",         "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc5, "SYNCOBJ_SIGNAL",        "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xc6, "MODE_CREATE_LEASE",     "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xc7, "MODE_LIST_LESSEES",     "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xc8, "MODE_GET_LEASE",        "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xc9, "MODE_REVOKE_LEASE",     "MASTER",                  ACCES,   NOTSUPP, ACCES),
    (0xca, "SYNCOBJ_TIMELINE_WAIT", "RENDER_ALLOW",            Ran,     Ran,     Ran),
    (0xcb, "SYNCOBJ_QUERY",         "RENDER_ALLOW",            INVAL,   INVAL,   INVAL),
    (0xcc, "SYNCOBJ_TRANSFER",      "RENDER_ALLOW",            NOENT,   NOENT,   NOENT),
    (0xcd, "SYNCOBJ_TIMELINE_SIGNAL", "RENDER_ALLOW",          INVAL,   INVAL,   INVAL),
    (0xce, "MODE_GETFB2",           "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xcf, "SYNCOBJ_EVENTFD",       "RENDER_ALLOW",            NOENT,   NOENT,   NOENT),
    (0xd0, "MODE_CLOSEFB",          "0",                       ACCES,   NOTSUPP, NOTSUPP),
    (0xd1, "SET_CLIENT_NAME",       "RENDER_ALLOW",            OK,      OK,      OK),
    (0xd2, "GEM_CHANGE_HANDLE",     "RENDER_ALLOW (drm_invalid_op)", INVAL, INVAL, INVAL),
];

fn check_exp(what: &str, exp: Exp, got: kernel::Result) {
    match exp {
        Is(e) => assert_eq!(got, e, "{what}"),
        Ran => assert_ne!(got, Err(EACCES), "{what}: the handler must run"),
    }
}

/// A device with its first primary file (the master), a second primary file and a render file, all unprivileged.
fn three_files(s: &Setup) -> [Arc<TyrDrmFile>; 3] {
    let master = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    let other = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    [s.open(), master, other]
}

#[test]
fn every_core_number_answers_as_upstream_on_render_master_and_unauthenticated_files() {
    let s = setup();
    let files = three_files(&s);
    assert!(
        files[1].caller().master && !files[2].caller().master && !files[2].caller().authenticated
    );
    let core_numbers = (0x00..0x40u32).chain(0xa0..0x100);
    for nr in core_numbers {
        let row = CORE_TABLE.iter().find(|r| r.0 == nr);
        for (i, f) in files.iter().enumerate() {
            let mut buf = [0u64; 32];
            let got = f.ioctl(iowr(nr, 0), UserPtr(buf.as_mut_ptr() as usize));
            let which = ["render", "master", "other primary"][i];
            match row {
                None => assert_eq!(got, Err(EINVAL), "{nr:#04x} has no entry ({which})"),
                Some(&(_, name, flags, r, m, o)) => {
                    check_exp(
                        &format!("{nr:#04x} {name} [{flags}] on the {which} file"),
                        [r, m, o][i],
                        got,
                    );
                }
            }
            if nr == 0x1f && i == 1 {
                // DROP_MASTER worked: take it back for the rest of the sweep (the file was master before).
                assert_eq!(
                    f.ioctl(iowr(0x1e, 0), UserPtr(buf.as_mut_ptr() as usize)),
                    Ok(())
                );
            }
        }
    }
    // The driver range is the driver's table, not the core's.
    let mut buf = [0u64; 4];
    assert_eq!(
        files[2].ioctl(iowr(0x40 + 17, 16), UserPtr(buf.as_mut_ptr() as usize)),
        Err(EINVAL)
    );
}

#[test]
fn the_order_is_empty_slot_copy_in_then_permission() {
    let s = setup();
    let [render, _master, other] = three_files(&s);
    let bad = UserPtr(0x10);
    assert_eq!(
        render.ioctl(iowr(0x03, 16), bad),
        Err(EINVAL),
        "no entry: before the copy"
    );
    assert_eq!(
        render.ioctl(DRM_IOCTL_GET_UNIQUE, bad),
        Err(EFAULT),
        "copy-in before drm_ioctl_permit"
    );
    assert_eq!(other.ioctl(DRM_IOCTL_GEM_FLINK, bad), Err(EFAULT));
    assert_eq!(
        render.ioctl(DRM_IOCTL_SET_MASTER, bad),
        Err(EACCES),
        "DRM_IO copies nothing"
    );
    s.dev.unplug();
    assert_eq!(
        render.ioctl(DRM_IOCTL_VERSION, bad),
        Err(ENODEV),
        "unplugged first of all"
    );
}

#[test]
fn get_cap_clears_the_value_before_the_lookup() {
    let s = setup();
    let f = s.open();
    for cap in [
        0u64,
        DRM_CAP_DUMB_BUFFER.into(),
        0x15,
        1 << 32 | u64::from(DRM_CAP_PRIME),
    ] {
        let mut a = drm_get_cap {
            capability: cap,
            value: 0xdead_beef,
        };
        assert_eq!(
            ioctl(&f, DRM_IOCTL_GET_CAP, &mut a),
            Err(EOPNOTSUPP),
            "cap {cap:#x}"
        );
        assert_eq!(
            a.value, 0,
            "cap {cap:#x}: cleared and copied back with the error"
        );
    }
}

#[test]
fn a_second_primary_client_authenticates_through_the_masters_magic() {
    let s = setup();
    let [render, master, other] = three_files(&s);
    let h = bo_create(&master, K, 0);
    let mut fl = drm_gem_flink { handle: h, name: 0 };
    ioctl(&master, DRM_IOCTL_GEM_FLINK, &mut fl).unwrap();
    assert_eq!(fl.name, 1, "names start at 1");
    let mut op = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op),
        Err(EACCES),
        "DRM_AUTH: not authenticated yet"
    );

    let mut client = drm_client::default();
    ioctl(&other, DRM_IOCTL_GET_CLIENT, &mut client).unwrap();
    assert_eq!(
        (client.auth, client.uid, client.pid),
        (0, 65534, u64::from(std::process::id()))
    );

    let mut magic = drm_auth::default();
    ioctl(&other, DRM_IOCTL_GET_MAGIC, &mut magic).unwrap();
    assert_ne!(magic.magic, 0);
    let mut again = drm_auth::default();
    ioctl(&other, DRM_IOCTL_GET_MAGIC, &mut again).unwrap();
    assert_eq!(again.magic, magic.magic, "a file keeps its magic");
    assert_eq!(
        ioctl(&other, DRM_IOCTL_AUTH_MAGIC, &mut magic.clone()),
        Err(EACCES),
        "only the master authenticates"
    );
    assert_eq!(
        ioctl(
            &master,
            DRM_IOCTL_AUTH_MAGIC,
            &mut drm_auth {
                magic: magic.magic + 7
            }
        ),
        Err(EINVAL)
    );
    ioctl(&master, DRM_IOCTL_AUTH_MAGIC, &mut magic.clone()).unwrap();
    assert_eq!(
        ioctl(&master, DRM_IOCTL_AUTH_MAGIC, &mut magic.clone()),
        Err(EINVAL),
        "a magic works once"
    );

    ioctl(&other, DRM_IOCTL_GET_CLIENT, &mut client).unwrap();
    assert_eq!(client.auth, 1);
    ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op).unwrap();
    assert_eq!(op.size, K);
    assert_ne!(op.handle, 0);
    let mut op2 = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op2).unwrap();
    assert_ne!(op2.handle, op.handle, "GEM_OPEN always makes a new handle");
    let mut fl2 = drm_gem_flink {
        handle: op.handle,
        name: 0,
    };
    ioctl(&other, DRM_IOCTL_GEM_FLINK, &mut fl2).unwrap();
    assert_eq!(fl2.name, fl.name, "one name per object");
    assert_eq!(
        ioctl(
            &other,
            DRM_IOCTL_GEM_OPEN,
            &mut drm_gem_open {
                name: 9,
                ..Default::default()
            }
        ),
        Err(ENOENT)
    );
    assert_eq!(
        ioctl(&render, DRM_IOCTL_GEM_OPEN, &mut op.clone()),
        Err(EACCES),
        "not RENDER_ALLOW"
    );

    // The name goes with the object's last handle, even while a dma-buf keeps the object alive.
    let mut exp = drm_prime_handle {
        handle: h,
        flags: 0,
        fd: -1,
    };
    ioctl(&master, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut exp).unwrap();
    let mut c = drm_gem_close { handle: h, pad: 0 };
    ioctl(&master, DRM_IOCTL_GEM_CLOSE, &mut c).unwrap();
    let mut op3 = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut op3).unwrap();
    for handle in [op.handle, op2.handle, op3.handle] {
        ioctl(
            &other,
            DRM_IOCTL_GEM_CLOSE,
            &mut drm_gem_close { handle, pad: 0 },
        )
        .unwrap();
    }
    let mut gone = drm_gem_open {
        name: fl.name,
        ..Default::default()
    };
    assert_eq!(ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut gone), Err(ENOENT));
    let mut imp = drm_prime_handle {
        fd: exp.fd,
        ..Default::default()
    };
    ioctl(&other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut imp).unwrap();
    assert_eq!(
        ioctl(&other, DRM_IOCTL_GEM_OPEN, &mut gone),
        Err(ENOENT),
        "a lost name does not come back"
    );
    close(exp.fd);
}

#[test]
fn drop_and_set_master_follow_the_was_master_rule() {
    let s = setup();
    let [_render, master, other] = three_files(&s);
    // SET/DROP_MASTER are DRM_IO: nothing is copied, any pointer does.
    let io = |f: &TyrDrmFile, cmd: u32| f.ioctl(cmd, UserPtr(0));
    assert_eq!(
        io(&other, DRM_IOCTL_DROP_MASTER),
        Err(EACCES),
        "never master, no CAP_SYS_ADMIN"
    );
    assert_eq!(io(&other, DRM_IOCTL_SET_MASTER), Err(EACCES));
    let root = TyrDrmFile::open(
        &s.dev,
        kernel::drm::auth::Opener {
            sys_admin: true,
            ..PRIMARY_CLIENT
        },
    )
    .unwrap();
    assert!(
        !root.caller().master && root.caller().authenticated,
        "root opens authenticated, not master"
    );
    assert_eq!(
        io(&root, DRM_IOCTL_SET_MASTER),
        Err(EBUSY),
        "CAP_SYS_ADMIN, but the device has a master"
    );
    assert_eq!(io(&master, DRM_IOCTL_SET_MASTER), Ok(()), "already master");
    assert_eq!(io(&master, DRM_IOCTL_DROP_MASTER), Ok(()));
    assert!(!master.caller().master);
    assert_eq!(
        io(&master, DRM_IOCTL_DROP_MASTER),
        Err(EINVAL),
        "not master any more"
    );
    assert_eq!(
        io(&other, DRM_IOCTL_SET_MASTER),
        Err(EACCES),
        "no master now, but this file never was one"
    );
    assert_eq!(
        io(&root, DRM_IOCTL_SET_MASTER),
        Ok(()),
        "CAP_SYS_ADMIN may take a free master"
    );
    assert!(root.caller().master && !master.caller().master);
    assert_eq!(io(&master, DRM_IOCTL_SET_MASTER), Err(EBUSY));
    drop(root);
    let next = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    assert!(
        next.caller().master,
        "closing the master leaves it to the next primary opener (drm_master_open)"
    );
    drop(next);
    assert_eq!(
        io(&master, DRM_IOCTL_SET_MASTER),
        Ok(()),
        "a former master may take it back when it is free"
    );
    assert!(master.caller().master);
    // Panthor's REALTIME priority follows the master as it moves.
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0xf);
    io(&master, DRM_IOCTL_DROP_MASTER).unwrap();
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0x3);
}

#[test]
fn get_unique_is_empty_until_set_version_ties_the_platform_name_to_the_master() {
    let s = setup();
    let [_render, master, other] = three_files(&s);
    let mut buf = [0xAAu8; 32];
    let mut u = drm_unique {
        unique_len: buf.len() as _,
        unique: buf.as_mut_ptr().cast(),
    };
    ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut u).unwrap();
    assert_eq!(
        u.unique_len, 0,
        "libdrm's drmOpenByName relies on an empty unique before SET_VERSION"
    );
    let mut sv = drm_set_version {
        drm_di_major: 1,
        drm_di_minor: 5,
        drm_dd_major: -1,
        drm_dd_minor: -1,
    };
    assert_eq!(
        ioctl(&master, DRM_IOCTL_SET_VERSION, &mut sv),
        Err(EINVAL),
        "interface 1.5 does not exist"
    );
    assert_eq!(
        (
            sv.drm_di_major,
            sv.drm_di_minor,
            sv.drm_dd_major,
            sv.drm_dd_minor
        ),
        (1, 4, 1, 9),
        "reported anyway"
    );
    let mut sv = drm_set_version {
        drm_di_major: -1,
        drm_di_minor: 0,
        drm_dd_major: 1,
        drm_dd_minor: 10,
    };
    assert_eq!(
        ioctl(&master, DRM_IOCTL_SET_VERSION, &mut sv),
        Err(EINVAL),
        "driver 1.10 is newer than 1.9"
    );
    let mut sv = drm_set_version {
        drm_di_major: 1,
        drm_di_minor: 4,
        drm_dd_major: 1,
        drm_dd_minor: 9,
    };
    ioctl(&master, DRM_IOCTL_SET_VERSION, &mut sv).unwrap();
    let mut short = drm_unique {
        unique_len: 3,
        unique: buf.as_mut_ptr().cast(),
    };
    ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut short).unwrap();
    assert_eq!(
        short.unique_len, 12,
        "the length, and nothing copied into a short buffer"
    );
    assert_eq!(buf[0], 0xAA);
    u.unique_len = buf.len() as _;
    ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut u).unwrap();
    assert_eq!(u.unique_len, 12);
    assert_eq!(
        &buf[..13],
        b"fb000000.gpu\xAA",
        "the platform device's name, without a NUL"
    );
    let mut bad = drm_unique {
        unique_len: 12,
        unique: 0x10 as *mut _,
    };
    assert_eq!(ioctl(&other, DRM_IOCTL_GET_UNIQUE, &mut bad), Err(EFAULT));
}

#[test]
fn set_client_name_checks_the_name_and_mode_numbers_answer_without_modesetting() {
    let s = setup();
    let [render, master, _other] = three_files(&s);
    let name = |f: &TyrDrmFile, n: &[u8]| {
        let mut a = drm_set_client_name {
            name_len: n.len() as u64,
            name: n.as_ptr() as u64,
        };
        ioctl(f, DRM_IOCTL_SET_CLIENT_NAME, &mut a)
    };
    name(&render, b"panvk").unwrap();
    assert_eq!(render.client_name().as_deref(), Some("panvk"));
    assert_eq!(name(&render, b"two words"), Err(EINVAL));
    assert_eq!(name(&render, b"nul\0in"), Err(EINVAL));
    assert_eq!(
        name(&render, &[b'x'; 65]),
        Err(EINVAL),
        "more than DRM_CLIENT_NAME_MAX_LEN"
    );
    let mut a = drm_set_client_name {
        name_len: 4,
        name: 0x10,
    };
    assert_eq!(
        ioctl(&render, DRM_IOCTL_SET_CLIENT_NAME, &mut a),
        Err(EFAULT)
    );
    assert_eq!(
        render.client_name().as_deref(),
        Some("panvk"),
        "failures leave the name"
    );
    name(&render, b"").unwrap();
    assert_eq!(render.client_name(), None);

    // CREATE_DUMB: ENOSYS, and the outputs cleared (the kernel's copy of them goes back).
    let mut dumb = [7u32; 8];
    let r = master.ioctl(iowr(0xb2, 32), UserPtr(dumb.as_mut_ptr() as usize));
    assert_eq!(r, Err(kernel::code::ENOSYS));
    assert_eq!(dumb, [7, 7, 7, 7, 0, 0, 0, 0]);
    let mut closefb = [1u32, 1];
    let r = master.ioctl(iowr(0xd0, 8), UserPtr(closefb.as_mut_ptr() as usize));
    assert_eq!(r, Err(EOPNOTSUPP), "DRIVER_MODESET is checked before pad");
    let mut client_cap = [2u64, 1];
    assert_eq!(
        ioctl(&master, DRM_IOCTL_SET_CLIENT_CAP, &mut client_cap),
        Err(EOPNOTSUPP)
    );
}
