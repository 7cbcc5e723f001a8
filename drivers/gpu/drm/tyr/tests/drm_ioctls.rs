// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The DRM core ioctls on the modelled RK3588 through `File::ioctl` with the real command numbers and real user
//! pointers, as the drm-shim makes them: VERSION, GET_CAP, unknown numbers, GEM_CLOSE, PRIME between files through
//! real descriptors, and an unplugged device (`Documentation/uapi.md#per-ioctl-checks`). The BO ioctls are in
//! `bo_ioctls.rs`, DEV_QUERY in `dev_query.rs`, the whole core table and the master model in `drm_core_table.rs`.

use std::sync::Arc;

use kernel::code::{EBADF, EFAULT, EINVAL, ENODEV, ENOENT, ENOTTY, EOPNOTSUPP};
use kernel::uaccess::UserPtr;
use tyr::drm_device::{TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::drm::{bo_create, close, setup};
use common::{ioctl, K};

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
