// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Syncobjs and descriptors as a client sees them: SYNCOBJ_HANDLE_TO_FD / FD_TO_HANDLE (syncobj files and
//! sync_files, with the timeline-point forms), SYNCOBJ_EVENTFD, the sync_file ioctls on the exported descriptors,
//! and the dma-buf EXPORT/IMPORT_SYNC_FILE ioctls, each with upstream's errnos.
//!
//! Every wait for an event is a `poll` with a generous timeout whose expiry fails the test; "not yet" is a `poll`
//! with timeout 0.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use kernel::code::{EBADF, EINVAL, EIO, ENOENT, ENOTTY};
use kernel::dma_buf::{
    self, dma_buf_sync_file, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
};
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::{DmaResv, DmaResvUsage};
use kernel::drm::syncobj::fd::{self as sfd, drm_syncobj_handle};
use kernel::drm::syncobj::{ioctl, SyncobjTable};
use kernel::sync_file::{
    self, sync_file_info, sync_merge_data, SyncFile, SYNC_IOC_FILE_INFO, SYNC_IOC_MERGE,
};
use kernel::uaccess::UserPtr;
use kernel::uapi::{
    drm_syncobj_create, drm_syncobj_eventfd, drm_syncobj_wait,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
};

/// A `poll` timeout that never expires on a working kernel, however slow the machine.
const GENEROUS_MS: i32 = 30_000;

fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

fn create(t: &SyncobjTable, flags: u32) -> u32 {
    let mut a = drm_syncobj_create { handle: 0, flags };
    ioctl::create(t, &mut a).unwrap();
    a.handle
}

fn close(fd: RawFd) {
    // SAFETY: closing a descriptor the test owns.
    unsafe { libc::close(fd) };
}

/// Polls `fd` for `events` for up to `ms` milliseconds; the returned events.
fn poll(fd: RawFd, events: i16, ms: i32) -> i16 {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    assert!(n >= 0);
    p.revents
}

fn readable_now(fd: RawFd) -> bool {
    poll(fd, libc::POLLIN, 0) & libc::POLLIN != 0
}

fn becomes_readable(fd: RawFd) -> bool {
    poll(fd, libc::POLLIN, GENEROUS_MS) & libc::POLLIN != 0
}

fn to_fd(t: &SyncobjTable, handle: u32, flags: u32, point: u64) -> Result<RawFd, kernel::Error> {
    let mut a = drm_syncobj_handle {
        handle,
        flags,
        fd: -1,
        pad: 0,
        point,
    };
    sfd::handle_to_fd_ioctl(t, &mut a).map(|()| a.fd)
}

fn from_fd(
    t: &SyncobjTable,
    fd: RawFd,
    handle: u32,
    flags: u32,
    point: u64,
) -> Result<u32, kernel::Error> {
    let mut a = drm_syncobj_handle {
        handle,
        flags,
        fd,
        pad: 0,
        point,
    };
    sfd::fd_to_handle_ioctl(t, &mut a).map(|()| a.handle)
}

fn status(fd: RawFd) -> i32 {
    let file = SyncFile::from_fd(fd).unwrap();
    let mut i = sync_file_info::default();
    sync_file::ioctl(
        &file,
        SYNC_IOC_FILE_INFO,
        UserPtr(&mut i as *mut _ as usize),
    )
    .unwrap();
    i.status
}

fn wait(t: &SyncobjTable, handles: &[u32], timeout_nsec: i64) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_wait {
        handles: handles.as_ptr() as u64,
        timeout_nsec,
        count_handles: handles.len() as u32,
        ..Default::default()
    };
    ioctl::wait(t, &mut a)
}

fn eventfd() -> RawFd {
    // SAFETY: plain eventfd creation.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    assert!(fd >= 0);
    fd
}

fn eventfd_read(fd: RawFd) -> Option<u64> {
    let mut v = 0u64;
    // SAFETY: reads 8 bytes into a live local.
    let n = unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) };
    (n == 8).then_some(v)
}

fn register_eventfd(
    t: &SyncobjTable,
    handle: u32,
    point: u64,
    fd: RawFd,
    flags: u32,
) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_eventfd {
        handle,
        flags,
        point,
        fd,
        pad: 0,
    };
    sfd::eventfd_ioctl(t, &mut a)
}

// ---- syncobj files ----

#[test]
fn a_syncobj_file_imports_as_the_same_syncobj_on_another_file() {
    let (a, b) = (SyncobjTable::new(), SyncobjTable::new());
    let h = create(&a, 0);
    let fd = to_fd(&a, h, 0, 0).unwrap();
    // SAFETY: F_GETFD on an open descriptor.
    let fd_flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(fd_flags & libc::FD_CLOEXEC != 0, "always close-on-exec");
    let hb = from_fd(&b, fd, 0, 0, 0).unwrap();
    assert!(Arc::ptr_eq(&a.lookup(h).unwrap(), &b.lookup(hb).unwrap()));
    let f = fence();
    b.lookup(hb).unwrap().replace_fence(Some(f.clone()));
    assert_eq!(wait(&a, &[h], 0), Err(kernel::code::ETIME));
    f.signal().unwrap();
    assert_eq!(
        wait(&a, &[h], 0),
        Ok(()),
        "signalled through one file, seen through the other"
    );
    // Importing twice gives a second handle to the same object, as the IDR upstream does.
    let hb2 = from_fd(&b, fd, 0, 0, 0).unwrap();
    assert_ne!(hb, hb2);
    assert!(Arc::ptr_eq(&b.lookup(hb).unwrap(), &b.lookup(hb2).unwrap()));
    close(fd);
}

#[test]
fn a_syncobj_lives_through_its_file_after_every_handle_is_gone() {
    let a = SyncobjTable::new();
    let h = create(&a, 0);
    let weak = Arc::downgrade(&a.lookup(h).unwrap());
    let fd = to_fd(&a, h, 0, 0).unwrap();
    a.destroy(h).unwrap();
    assert!(weak.upgrade().is_some(), "the file holds it");
    let b = SyncobjTable::new();
    let hb = from_fd(&b, fd, 0, 0, 0).unwrap();
    assert!(Arc::ptr_eq(
        &weak.upgrade().unwrap(),
        &b.lookup(hb).unwrap()
    ));
    b.destroy(hb).unwrap();
    close(fd);
    // The next file made releases the ones nobody holds.
    let other = to_fd(&a, create(&a, 0), 0, 0).unwrap();
    assert!(weak.upgrade().is_none(), "freed with its last descriptor");
    close(other);
}

#[test]
fn handle_to_fd_errnos() {
    let t = SyncobjTable::new();
    let h = create(&t, 1);
    let mut a = drm_syncobj_handle {
        handle: h,
        pad: 1,
        ..Default::default()
    };
    assert_eq!(sfd::handle_to_fd_ioctl(&t, &mut a), Err(EINVAL));
    assert_eq!(to_fd(&t, h, 4, 0), Err(EINVAL), "unknown flag");
    assert_eq!(
        to_fd(&t, 99, 0, 0),
        Err(EINVAL),
        "unknown handle of a plain export is EINVAL"
    );
    assert_eq!(
        to_fd(&t, 99, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0),
        Err(ENOENT)
    );
    assert_eq!(
        to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_TIMELINE, 3),
        Err(EINVAL),
        "a point needs a sync_file"
    );
    // Without TIMELINE the point field is not read at all.
    let fd = to_fd(&t, h, 0, 3).unwrap();
    close(fd);
    let fd = to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_TIMELINE, 0).unwrap();
    close(fd);
}

#[test]
fn fd_to_handle_errnos() {
    let t = SyncobjTable::new();
    let h = create(&t, 1);
    let mut a = drm_syncobj_handle {
        pad: 1,
        ..Default::default()
    };
    assert_eq!(sfd::fd_to_handle_ioctl(&t, &mut a), Err(EINVAL));
    assert_eq!(from_fd(&t, 0, 0, 4, 0), Err(EINVAL), "unknown flag");
    let not_ours = std::fs::File::open("/proc/self/status").unwrap();
    assert_eq!(
        from_fd(&t, not_ours.as_raw_fd(), 0, 0, 0),
        Err(EINVAL),
        "not a syncobj file"
    );
    assert_eq!(
        from_fd(&t, -1, 0, 0, 0),
        Err(EINVAL),
        "not open: EINVAL too (fdget fails)"
    );
    let sync = to_fd(&t, h, sfd::HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, 0).unwrap();
    assert_eq!(
        from_fd(&t, sync, 0, 0, 0),
        Err(EINVAL),
        "a sync_file is not a syncobj file"
    );
    let obj_fd = to_fd(&t, h, 0, 0).unwrap();
    let flags = sfd::FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
    assert_eq!(
        from_fd(&t, obj_fd, h, flags, 0),
        Err(EINVAL),
        "a syncobj file is not a sync_file"
    );
    assert_eq!(from_fd(&t, sync, 99, flags, 0), Err(ENOENT));
    assert_eq!(
        from_fd(&t, obj_fd, 0, sfd::FD_TO_HANDLE_FLAGS_TIMELINE, 2),
        Err(EINVAL)
    );
    close(sync);
    close(obj_fd);
}

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

// ---- SYNCOBJ_EVENTFD ----

#[test]
fn eventfd_fires_when_the_point_signals() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let efd = eventfd();
    register_eventfd(&t, h, 0, efd, 0).unwrap();
    assert_eq!(eventfd_read(efd), None, "no fence yet");
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    assert_eq!(eventfd_read(efd), None, "a fence, not signalled");
    let signaller = std::thread::spawn(move || f.signal().unwrap());
    assert!(becomes_readable(efd));
    signaller.join().unwrap();
    assert_eq!(eventfd_read(efd), Some(1));
    close(efd);
}

#[test]
fn eventfd_wait_available_fires_when_the_point_is_submitted() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let efd = eventfd();
    register_eventfd(&t, h, 2, efd, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE).unwrap();
    let obj = t.lookup(h).unwrap();
    obj.add_point(fence(), 1).unwrap();
    assert_eq!(eventfd_read(efd), None, "point 1 is not point 2");
    obj.add_point(fence(), 2).unwrap();
    assert_eq!(
        eventfd_read(efd),
        Some(1),
        "submitted (unsignalled) is enough"
    );
    // Already there at registration: fires at once; two registrations count twice.
    register_eventfd(&t, h, 1, efd, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE).unwrap();
    register_eventfd(&t, h, 2, efd, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE).unwrap();
    assert_eq!(eventfd_read(efd), Some(2));
    close(efd);
}

#[test]
fn eventfd_on_an_already_signalled_point_fires_at_once() {
    let t = SyncobjTable::new();
    let h = create(&t, 1);
    let efd = eventfd();
    register_eventfd(&t, h, 0, efd, 0).unwrap();
    assert_eq!(eventfd_read(efd), Some(1));
    close(efd);
}

#[test]
fn eventfd_errnos() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let efd = eventfd();
    assert_eq!(
        register_eventfd(&t, h, 0, efd, 2),
        Err(EINVAL),
        "flags beyond WAIT_AVAILABLE"
    );
    let mut a = drm_syncobj_eventfd {
        handle: h,
        fd: efd,
        pad: 1,
        ..Default::default()
    };
    assert_eq!(sfd::eventfd_ioctl(&t, &mut a), Err(EINVAL));
    assert_eq!(register_eventfd(&t, 99, 0, efd, 0), Err(ENOENT));
    assert_eq!(register_eventfd(&t, h, 0, -1, 0), Err(EBADF));
    let not_eventfd = std::fs::File::open("/proc/self/status").unwrap();
    assert_eq!(
        register_eventfd(&t, h, 0, not_eventfd.as_raw_fd(), 0),
        Err(EINVAL)
    );
    close(efd);
}

#[test]
fn an_eventfd_keeps_working_after_the_caller_closes_its_descriptor() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let efd = eventfd();
    // SAFETY: dup of an open descriptor.
    let keep = unsafe { libc::dup(efd) };
    register_eventfd(&t, h, 0, efd, 0).unwrap();
    close(efd);
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    f.signal().unwrap();
    assert_eq!(eventfd_read(keep), Some(1));
    close(keep);
}

#[test]
fn epoll_sees_the_eventfd() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let efd = eventfd();
    // SAFETY: plain epoll calls on descriptors the test owns.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: 7,
    };
    // SAFETY: as above.
    let added = unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, efd, &mut ev) };
    assert_eq!(added, 0);
    register_eventfd(&t, h, 0, efd, 0).unwrap();
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    let mut out = [libc::epoll_event { events: 0, u64: 0 }];
    // SAFETY: as above.
    assert_eq!(unsafe { libc::epoll_wait(ep, out.as_mut_ptr(), 1, 0) }, 0);
    let signaller = std::thread::spawn(move || f.signal().unwrap());
    // SAFETY: as above.
    let ready = unsafe { libc::epoll_wait(ep, out.as_mut_ptr(), 1, GENEROUS_MS) };
    assert_eq!(ready, 1);
    signaller.join().unwrap();
    let got = out[0].u64;
    assert_eq!(got, 7);
    close(ep);
    close(efd);
}

// ---- dma-buf sync_file ioctls ----

/// A registered dma-buf: a memfd standing for the file, over `resv`.
fn dmabuf(resv: &Arc<DmaResv>) -> (std::fs::File, dma_buf::Registration) {
    // SAFETY: plain memfd creation with a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"test-dmabuf".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: the descriptor was just made and is owned by nobody else.
    let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let reg = dma_buf::register(kernel::anon_file::key_of(fd).unwrap(), resv).unwrap();
    (file, reg)
}

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

// ---- through the DRM core's dispatcher ----

struct File(SyncobjTable);

impl ioctl::SyncobjFile for File {
    fn syncobjs(&self) -> &SyncobjTable {
        &self.0
    }
}

#[test]
fn a_6_12_client_passes_the_16_byte_handle_struct_and_the_point_reads_as_zero() {
    use kernel::drm::ioctl::{dispatch, Caller, IoctlTables};
    use kernel::uapi::ioctl::{iowr, DRM_IOCTL_SYNCOBJ_EVENTFD};

    let core = ioctl::ioctl_descs::<File>();
    let tables = IoctlTables {
        core: &core,
        driver: &[],
    };
    let file = File(SyncobjTable::new());
    let render = Caller {
        render_node: true,
        ..Caller::default()
    };
    let h = create(&file.0, 1);
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
    dispatch(
        &tables,
        &file,
        render,
        iowr(0xc1, 16),
        UserPtr(&mut old as *mut _ as usize),
    )
    .unwrap();
    assert!(readable_now(old.fd));
    let sync = old.fd;
    let mut old = Old {
        handle: h,
        flags: 0,
        fd: -1,
        pad: 0,
    };
    dispatch(
        &tables,
        &file,
        render,
        iowr(0xc1, 16),
        UserPtr(&mut old as *mut _ as usize),
    )
    .unwrap();
    let obj_fd = old.fd;
    let mut back = Old {
        handle: 0,
        flags: 0,
        fd: obj_fd,
        pad: 0,
    };
    dispatch(
        &tables,
        &file,
        render,
        iowr(0xc2, 16),
        UserPtr(&mut back as *mut _ as usize),
    )
    .unwrap();
    assert!(Arc::ptr_eq(
        &file.0.lookup(back.handle).unwrap(),
        &file.0.lookup(h).unwrap()
    ));
    let efd = eventfd();
    let mut e = drm_syncobj_eventfd {
        handle: h,
        flags: 0,
        point: 0,
        fd: efd,
        pad: 0,
    };
    dispatch(
        &tables,
        &file,
        render,
        DRM_IOCTL_SYNCOBJ_EVENTFD,
        UserPtr(&mut e as *mut _ as usize),
    )
    .unwrap();
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
