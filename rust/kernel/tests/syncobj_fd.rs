// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Syncobj files (SYNCOBJ_HANDLE_TO_FD / FD_TO_HANDLE) and SYNCOBJ_EVENTFD.
//!
//! Descriptors are real ones of this process; every poll is bounded, so a lost wake-up fails instead of hanging.

mod syncobj_fd_common;
use syncobj_fd_common::*;

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
