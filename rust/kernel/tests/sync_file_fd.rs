// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! sync_files exported from and imported into syncobjs, merged and polled, and the dma-buf sync_file ioctls.
//!
//! Descriptors are real ones of this process; every poll is bounded, so a lost wake-up fails instead of hanging.

mod syncobj_fd_common;
use syncobj_fd_common::*;

// ---- sync_files ----

#[test]
fn export_sync_file_polls_readable_when_the_syncobj_fence_signals() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    assert_eq!(
        to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0),
        Err(EINVAL),
        "no fence: EINVAL"
    );
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    let fd = to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    assert!(!readable_now(fd));
    assert_eq!(status(fd), 0);
    let signaller = std::thread::spawn(move || f.signal().unwrap());
    assert!(becomes_readable(fd));
    signaller.join().unwrap();
    assert_eq!(status(fd), 1);
    close(fd);
}

#[test]
fn export_and_import_at_a_timeline_point() {
    let t = SyncobjTable::new();
    let tl = create(&t, 0);
    let (f1, f2) = (fence(), fence());
    let obj = t.lookup(tl).unwrap();
    obj.add_point(f1.clone(), 1).unwrap();
    obj.add_point(f2.clone(), 2).unwrap();
    let flags = sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | sfd::HANDLE_TO_FD_FLAGS_TIMELINE;
    assert_eq!(to_fd(&t, tl, flags, 3), Err(EINVAL), "point not submitted");
    let p1 = to_fd(&t, tl, flags, 1).unwrap();
    let p2 = to_fd(&t, tl, flags, 2).unwrap();
    f1.signal().unwrap();
    assert!(becomes_readable(p1));
    assert!(!readable_now(p2));
    // Import p2 as point 5 of another timeline, and as the binary fence of a third syncobj.
    let (other, binary) = (create(&t, 0), create(&t, 0));
    let iflags = sfd::FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE | sfd::FD_TO_HANDLE_FLAGS_TIMELINE;
    from_fd(&t, p2, other, iflags, 5).unwrap();
    from_fd(&t, p2, binary, sfd::FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE, 0).unwrap();
    let q = to_fd(&t, other, flags, 5).unwrap();
    assert!(!readable_now(q));
    assert_eq!(wait(&t, &[binary], 0), Err(kernel::code::ETIME));
    f2.signal().unwrap();
    assert!(becomes_readable(q));
    assert_eq!(wait(&t, &[binary], 0), Ok(()));
    for fd in [p1, p2, q] {
        close(fd);
    }
}

#[test]
fn a_fence_that_failed_shows_in_the_sync_file_while_syncobj_wait_succeeds() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    let fd = to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    f.signal_error(EIO).unwrap();
    assert!(becomes_readable(fd));
    assert_eq!(status(fd), -libc::EIO);
    // drm_syncobj_array_wait_timeout only asks whether the fence signalled.
    assert_eq!(wait(&t, &[h], 0), Ok(()));
    close(fd);
}

#[test]
fn merged_sync_files_of_two_syncobjs() {
    let t = SyncobjTable::new();
    let (a, b) = (create(&t, 0), create(&t, 0));
    let (fa, fb) = (fence(), fence());
    t.lookup(a).unwrap().replace_fence(Some(fa.clone()));
    t.lookup(b).unwrap().replace_fence(Some(fb.clone()));
    let xa = to_fd(&t, a, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    let xb = to_fd(&t, b, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    let mut m = sync_merge_data {
        fd2: xb,
        ..Default::default()
    };
    sync_file::ioctl(
        &SyncFile::from_fd(xa).unwrap(),
        SYNC_IOC_MERGE,
        UserPtr(&mut m as *mut _ as usize),
    )
    .unwrap();
    fa.signal().unwrap();
    assert!(!readable_now(m.fence));
    fb.signal().unwrap();
    assert!(becomes_readable(m.fence));
    for fd in [xa, xb, m.fence] {
        close(fd);
    }
}

#[test]
fn other_ioctls_on_a_sync_file_are_enotty() {
    let t = SyncobjTable::new();
    let h = create(&t, 1);
    let fd = to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    assert_eq!(
        dma_buf::file_ioctl(fd, 0x3e00, UserPtr(0)),
        Some(Err(ENOTTY))
    );
    assert!(
        dma_buf::file_ioctl(fd, 0x6400, UserPtr(0)).is_none(),
        "not a sync_file command: not ours"
    );
    let obj_fd = to_fd(&t, h, 0, 0).unwrap();
    assert!(
        dma_buf::file_ioctl(obj_fd, SYNC_IOC_FILE_INFO, UserPtr(0)).is_none(),
        "a syncobj file has no ioctls"
    );
    close(fd);
    close(obj_fd);
}

// ---- dma-buf sync_file ioctls ----

fn dmabuf_ioctl(fd: RawFd, cmd: u32, flags: u32, sync_fd: RawFd) -> Result<RawFd, kernel::Error> {
    let mut a = dma_buf_sync_file { flags, fd: sync_fd };
    dma_buf::file_ioctl(fd, cmd, UserPtr(&mut a as *mut _ as usize))
        .expect("a dma-buf")
        .map(|()| a.fd)
}

#[test]
fn dma_buf_export_reads_implicit_fences_only() {
    let resv = DmaResv::new().unwrap();
    let (buf, _reg) = dmabuf(&resv);
    let (job, writer, reader) = (fence(), fence(), fence());
    {
        let mut g = resv.lock();
        g.fences().reserve(3).unwrap();
        g.fences().add(&job, DmaResvUsage::Bookkeep).unwrap();
        g.fences().add(&writer, DmaResvUsage::Write).unwrap();
        g.fences().add(&reader, DmaResvUsage::Read).unwrap();
    }
    let fd = buf.as_raw_fd();
    for bad in [0, 4, 5] {
        assert_eq!(
            dmabuf_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, bad, -1),
            Err(EINVAL),
            "flags {bad}"
        );
    }
    // To read, wait for the writer; to write, for the reader too. Never for the BOOKKEEP job fence.
    let for_read = dmabuf_ioctl(
        fd,
        DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
        dma_buf::DMA_BUF_SYNC_READ,
        -1,
    )
    .unwrap();
    let for_write = dmabuf_ioctl(
        fd,
        DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
        dma_buf::DMA_BUF_SYNC_WRITE,
        -1,
    )
    .unwrap();
    assert!(SyncFile::get_fence(for_read).unwrap().ptr_eq(&writer));
    assert_eq!(SyncFile::from_fd(for_write).unwrap().fences().len(), 2);
    writer.signal().unwrap();
    assert!(becomes_readable(for_read));
    assert!(!readable_now(for_write));
    reader.signal().unwrap();
    assert!(becomes_readable(for_write));
    // Only the job fence is left: it is BOOKKEEP, so an export is a signalled stub.
    let stub = dmabuf_ioctl(
        fd,
        DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
        dma_buf::DMA_BUF_SYNC_RW,
        -1,
    )
    .unwrap();
    assert!(readable_now(stub));
    assert!(!job.is_signaled());
    for f in [for_read, for_write, stub] {
        close(f);
    }
}

#[test]
fn dma_buf_import_adds_the_sync_file_fences_with_the_asked_usage() {
    let resv = DmaResv::new().unwrap();
    let (buf, _reg) = dmabuf(&resv);
    let fd = buf.as_raw_fd();
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    let sync = to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    assert_eq!(
        dmabuf_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, 0, sync),
        Err(EINVAL)
    );
    assert_eq!(
        dmabuf_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, 8, sync),
        Err(EINVAL)
    );
    assert_eq!(
        dmabuf_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, 1, buf.as_raw_fd()),
        Err(EINVAL),
        "not a sync_file"
    );
    assert_eq!(resv.lock().fences().len(), 0, "failed imports add nothing");
    dmabuf_ioctl(
        fd,
        DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
        dma_buf::DMA_BUF_SYNC_READ,
        sync,
    )
    .unwrap();
    {
        let mut g = resv.lock();
        assert!(g.fences().iter(DmaResvUsage::Read).any(|x| x.ptr_eq(&f)));
        assert!(
            !g.fences().iter(DmaResvUsage::Write).any(|x| x.ptr_eq(&f)),
            "a reader, not a writer"
        );
    }
    let for_write = dmabuf_ioctl(
        fd,
        DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
        dma_buf::DMA_BUF_SYNC_WRITE,
        -1,
    )
    .unwrap();
    assert!(SyncFile::get_fence(for_write).unwrap().ptr_eq(&f));
    close(sync);
    close(for_write);
}

#[test]
fn dma_buf_sync_and_set_name() {
    let resv = DmaResv::new().unwrap();
    let (buf, _reg) = dmabuf(&resv);
    let fd = buf.as_raw_fd();
    let mut s = dma_buf::dma_buf_sync { flags: 1 | 4 };
    assert_eq!(
        dma_buf::file_ioctl(
            fd,
            dma_buf::DMA_BUF_IOCTL_SYNC,
            UserPtr(&mut s as *mut _ as usize)
        ),
        Some(Ok(()))
    );
    s.flags = 4;
    assert_eq!(
        dma_buf::file_ioctl(
            fd,
            dma_buf::DMA_BUF_IOCTL_SYNC,
            UserPtr(&mut s as *mut _ as usize)
        ),
        Some(Err(EINVAL))
    );
    s.flags = 8 | 1;
    assert_eq!(
        dma_buf::file_ioctl(
            fd,
            dma_buf::DMA_BUF_IOCTL_SYNC,
            UserPtr(&mut s as *mut _ as usize)
        ),
        Some(Err(EINVAL))
    );
    let name = c"scanout";
    let r = dma_buf::file_ioctl(
        fd,
        dma_buf::DMA_BUF_SET_NAME_B,
        UserPtr(name.as_ptr() as usize),
    );
    assert_eq!(r, Some(Ok(())));
    assert_eq!(dma_buf::lookup(fd).unwrap().name(), "scanout");
    let long = [b'x'; 40];
    let r = dma_buf::file_ioctl(
        fd,
        dma_buf::DMA_BUF_SET_NAME_B,
        UserPtr(long.as_ptr() as usize),
    );
    assert_eq!(r, Some(Err(EINVAL)));
    assert_eq!(
        dma_buf::lookup(fd).unwrap().name(),
        "scanout",
        "a failed SET_NAME changes nothing"
    );
}
