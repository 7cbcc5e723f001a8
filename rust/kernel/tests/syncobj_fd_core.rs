// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The descriptor ioctls through the DRM core's dispatcher, and allocation failures that must leave every syncobj,
//! sync_file and dma-buf as it was.
//!
//! Descriptors are real ones of this process; every poll is bounded, so a lost wake-up fails instead of hanging.

mod syncobj_dispatch;
mod syncobj_fd_common;
use syncobj_dispatch::RenderFile;
use syncobj_fd_common::*;

// ---- through the DRM core's dispatcher ----

#[test]
fn a_6_12_client_passes_the_16_byte_handle_struct_and_the_point_reads_as_zero() {
    use kernel::uapi::ioctl::{iowr, DRM_IOCTL_SYNCOBJ_EVENTFD};

    let file = RenderFile::new();
    let h = create(file.table(), 1);
    /// 6.12's `struct drm_syncobj_handle`.
    #[repr(C)]
    struct Old {
        handle: u32,
        flags: u32,
        fd: i32,
        pad: u32,
    }
    let mut old = Old {
        handle: h,
        flags: sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
        fd: -1,
        pad: 0,
    };
    file.call(iowr(0xc1, 16), &mut old).unwrap();
    assert!(readable_now(old.fd));
    let sync = old.fd;
    let mut old = Old {
        handle: h,
        flags: 0,
        fd: -1,
        pad: 0,
    };
    file.call(iowr(0xc1, 16), &mut old).unwrap();
    let obj_fd = old.fd;
    let mut back = Old {
        handle: 0,
        flags: 0,
        fd: obj_fd,
        pad: 0,
    };
    file.call(iowr(0xc2, 16), &mut back).unwrap();
    assert!(Arc::ptr_eq(
        &file.table().lookup(back.handle).unwrap(),
        &file.table().lookup(h).unwrap()
    ));
    let efd = eventfd();
    let mut e = drm_syncobj_eventfd {
        handle: h,
        flags: 0,
        point: 0,
        fd: efd,
        pad: 0,
    };
    file.call(DRM_IOCTL_SYNCOBJ_EVENTFD, &mut e).unwrap();
    assert_eq!(eventfd_read(efd), Some(1));
    for fd in [sync, obj_fd, efd] {
        close(fd);
    }
}

#[test]
fn a_timeline_points_sync_file_lists_the_unsignalled_fences_up_to_it() {
    let t = SyncobjTable::new();
    let tl = create(&t, 0);
    let f = [fence(), fence(), fence()];
    let obj = t.lookup(tl).unwrap();
    for (i, x) in f.iter().enumerate() {
        obj.add_point(x.clone(), i as u64 + 1).unwrap();
    }
    f[0].signal().unwrap();
    let flags = sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | sfd::HANDLE_TO_FD_FLAGS_TIMELINE;
    let p2 = to_fd(&t, tl, flags, 2).unwrap();
    let listed = SyncFile::from_fd(p2).unwrap().fences().to_vec();
    assert_eq!(listed.len(), 1, "point 1 signalled and is walked past");
    assert!(listed[0].ptr_eq(&f[1]));
    let p3 = to_fd(&t, tl, flags, 3).unwrap();
    let listed = SyncFile::from_fd(p3).unwrap().fences().to_vec();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].ptr_eq(&f[2]) && listed[1].ptr_eq(&f[1]));
    // The file's own fence is the chain node: names as dma_fence_chain's.
    assert_eq!(
        SyncFile::get_fence(p3).unwrap().names(),
        kernel::dma_fence::FenceNames::CHAIN
    );
    f[1].signal_error(EIO).unwrap();
    assert!(becomes_readable(p2));
    // Without an array FILE_INFO reports the chain node's status, which carries no error (as dma_fence_chain's);
    // with one, the first non-positive fence status: the failed point's.
    assert_eq!(status(p2), 1);
    let mut out = [sync_file::sync_fence_info {
        obj_name: [0; 32],
        driver_name: [0; 32],
        status: 0,
        flags: 0,
        timestamp_ns: 0,
    }];
    let mut i = sync_file_info {
        num_fences: 1,
        sync_fence_info: out.as_mut_ptr() as u64,
        ..Default::default()
    };
    sync_file::ioctl(
        &SyncFile::from_fd(p2).unwrap(),
        SYNC_IOC_FILE_INFO,
        UserPtr(&mut i as *mut _ as usize),
    )
    .unwrap();
    assert_eq!((i.status, out[0].status), (-libc::EIO, -libc::EIO));
    for fd in [p2, p3] {
        close(fd);
    }
}

// ---- allocation failures leave everything as it was ----

/// Runs `op` failing its `n`-th allocation for n = 0, 1, … until it succeeds; every failure must be `ENOMEM` and
/// pass `unchanged`. Returns how many allocations could fail.
fn sweep<R>(mut op: impl FnMut() -> Result<R, kernel::Error>, unchanged: impl Fn()) -> u64 {
    use kernel::alloc::fault;
    // More allocation points than any operation here reaches: past it the sweep fails instead of spinning forever.
    const SWEEP_LIMIT: u64 = 10_000;
    for n in 0..SWEEP_LIMIT {
        let r = {
            let _f = fault::fail_nth(n);
            op()
        };
        match r {
            Ok(_) => return n,
            Err(e) => {
                assert_eq!(e, kernel::code::ENOMEM, "allocation {n}");
                unchanged();
            }
        }
    }
    panic!("still ENOMEM after {SWEEP_LIMIT} allocation points: the operation never succeeds")
}

#[test]
fn failed_allocations_change_no_syncobj_and_register_nothing() {
    let t = SyncobjTable::new();
    let (src, dst) = (create(&t, 0), create(&t, 0));
    let f = fence();
    t.lookup(src).unwrap().replace_fence(Some(f.clone()));
    let before = t.lookup(dst).unwrap().fence();
    assert!(before.is_none());
    let flags = sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
    let n = sweep(|| to_fd(&t, src, flags, 0), || {});
    assert!(n > 0, "export allocates");
    let sync = to_fd(&t, src, flags, 0).unwrap();
    let iflags = sfd::FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE | sfd::FD_TO_HANDLE_FLAGS_TIMELINE;
    sweep(
        || from_fd(&t, sync, dst, iflags, 4),
        || assert!(t.lookup(dst).unwrap().fence().is_none()),
    );
    assert_eq!(
        t.lookup(dst)
            .unwrap()
            .query(kernel::drm::syncobj::QueryFlags::LAST_SUBMITTED),
        4
    );
    // SYNCOBJ_EVENTFD: a failed registration never fires.
    let efd = eventfd();
    sweep(|| register_eventfd(&t, src, 0, efd, 0), || {});
    f.signal().unwrap();
    assert_eq!(
        eventfd_read(efd),
        Some(1),
        "exactly the one registration that succeeded"
    );
    // FD_TO_HANDLE of a syncobj file: no handle on failure.
    let obj_fd = to_fd(&t, src, 0, 0).unwrap();
    let b = SyncobjTable::new();
    sweep(
        || from_fd(&b, obj_fd, 0, 0, 0),
        || assert!(b.handles().is_empty()),
    );
    assert_eq!(b.handles().len(), 1);
    for fd in [sync, efd, obj_fd] {
        close(fd);
    }
}

#[test]
fn failed_allocations_in_merge_and_dma_buf_import_change_nothing() {
    let (a, b) = (fence(), fence());
    let (fa, fb) = (
        SyncFile::create_fd(&a).unwrap(),
        SyncFile::create_fd(&b).unwrap(),
    );
    let file = SyncFile::from_fd(fa).unwrap();
    let mut m = sync_merge_data {
        fd2: fb,
        ..Default::default()
    };
    sweep(
        || sync_file::ioctl(&file, SYNC_IOC_MERGE, UserPtr(&mut m as *mut _ as usize)),
        || {},
    );
    assert!(m.fence >= 0);
    let resv = DmaResv::new().unwrap();
    let (buf, _reg) = dmabuf(&resv);
    let mut imp = dma_buf_sync_file {
        flags: dma_buf::DMA_BUF_SYNC_WRITE,
        fd: m.fence,
    };
    let cmd = DMA_BUF_IOCTL_IMPORT_SYNC_FILE;
    sweep(
        || dma_buf::file_ioctl(buf.as_raw_fd(), cmd, UserPtr(&mut imp as *mut _ as usize)).unwrap(),
        || assert_eq!(resv.lock().fences().len(), 0),
    );
    assert_eq!(resv.lock().fences().len(), 2, "both fences of the merge");
    for fd in [fa, fb, m.fence] {
        close(fd);
    }
}

#[test]
fn signalling_what_sync_files_and_eventfds_wait_on_allocates_nothing() {
    use kernel::alloc::fault;
    let t = SyncobjTable::new();
    let tl = create(&t, 0);
    let obj = t.lookup(tl).unwrap();
    let f = [fence(), fence()];
    obj.add_point(f[0].clone(), 1).unwrap();
    obj.add_point(f[1].clone(), 2).unwrap();
    let efd = eventfd();
    register_eventfd(&t, tl, 2, efd, 0).unwrap();
    let flags = sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | sfd::HANDLE_TO_FD_FLAGS_TIMELINE;
    let sync = to_fd(&t, tl, flags, 2).unwrap();
    let before = fault::violations();
    f[1].signal().unwrap();
    f[0].signal().unwrap();
    assert_eq!(
        fault::violations(),
        before,
        "an allocation in the fence-signalling path"
    );
    assert!(readable_now(sync));
    assert_eq!(eventfd_read(efd), Some(1));
    close(sync);
    close(efd);
}
