// SPDX-License-Identifier: GPL-2.0-only OR MIT
use super::*;
use crate::anon_file::readable;
use crate::error::code::{ECANCELED, EFAULT, EIO};

fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

fn close(fd: RawFd) {
    // SAFETY: closing a descriptor the test owns.
    unsafe { libc::close(fd) };
}

fn at<T>(v: &mut T) -> UserPtr {
    UserPtr(v as *mut T as usize)
}

fn info(fd: RawFd, out: &mut [sync_fence_info]) -> Result<sync_file_info> {
    let file = SyncFile::from_fd(fd).expect("a sync_file");
    let mut i = sync_file_info {
        num_fences: out.len() as u32,
        sync_fence_info: out.as_mut_ptr() as u64,
        ..Default::default()
    };
    ioctl(&file, SYNC_IOC_FILE_INFO, at(&mut i))?;
    Ok(i)
}

fn blank() -> sync_fence_info {
    sync_fence_info {
        obj_name: [0; 32],
        driver_name: [0; 32],
        status: 7,
        flags: 7,
        timestamp_ns: 7,
    }
}

fn merge_fds(a: RawFd, b: RawFd, name: &str) -> Result<RawFd> {
    let file = SyncFile::from_fd(a).expect("a sync_file");
    let mut m = sync_merge_data {
        fd2: b,
        fence: -1,
        ..Default::default()
    };
    m.name[..name.len()].copy_from_slice(name.as_bytes());
    ioctl(&file, SYNC_IOC_MERGE, at(&mut m))?;
    Ok(m.fence)
}

fn cstr(b: &[u8]) -> &str {
    core::str::from_utf8(&b[..b.iter().position(|&c| c == 0).unwrap()]).unwrap()
}

#[test]
fn commands_and_sizes_match_the_header() {
    assert_eq!(size_of::<sync_merge_data>(), 48);
    assert_eq!(size_of::<sync_fence_info>(), 80);
    assert_eq!(size_of::<sync_file_info>(), 56);
    assert_eq!(SYNC_IOC_MERGE, 0xC0303E03);
    assert_eq!(SYNC_IOC_FILE_INFO, 0xC0383E04);
    assert_eq!(SYNC_IOC_SET_DEADLINE, 0x40103E05);
}

#[test]
fn readable_exactly_once_the_fence_signals_and_file_info_follows() {
    let f = fence();
    let fd = SyncFile::create_fd(&f).unwrap();
    assert!(!readable(fd));
    let i = info(fd, &mut []).unwrap();
    assert_eq!((i.status, i.num_fences), (0, 1));
    assert_eq!(cstr(&i.name), format!("tyr-tyr{}-1", f.context()));
    f.signal().unwrap();
    assert!(readable(fd));
    assert!(readable(fd), "stays readable");
    let mut out = [blank(), blank()];
    let i = info(fd, &mut out).unwrap();
    assert_eq!((i.status, i.num_fences), (1, 1));
    assert_eq!(cstr(&out[0].obj_name), "tyr");
    assert_eq!(cstr(&out[0].driver_name), "tyr");
    assert_eq!((out[0].status, out[0].flags), (1, 0));
    assert_eq!(out[0].timestamp_ns, f.timestamp_ns().unwrap() as u64);
    assert_eq!(out[1], blank(), "only num_fences entries are written");
    close(fd);
}

#[test]
fn an_already_signalled_fence_is_readable_at_once() {
    let f = fence();
    f.signal().unwrap();
    let fd = SyncFile::create_fd(&f).unwrap();
    assert!(readable(fd));
    close(fd);
}

#[test]
fn an_error_shows_in_both_statuses() {
    let f = fence();
    let fd = SyncFile::create_fd(&f).unwrap();
    f.signal_error(ECANCELED).unwrap();
    assert!(readable(fd));
    assert_eq!(info(fd, &mut []).unwrap().status, -libc::ECANCELED);
    let mut out = [blank()];
    assert_eq!(info(fd, &mut out).unwrap().status, -libc::ECANCELED);
    assert_eq!(out[0].status, -libc::ECANCELED);
    close(fd);
}

#[test]
fn file_info_argument_errors() {
    let f = fence();
    let fd = SyncFile::create_fd(&f).unwrap();
    let file = SyncFile::from_fd(fd).unwrap();
    let mut i = sync_file_info {
        flags: 1,
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_FILE_INFO, at(&mut i)), Err(EINVAL));
    let mut i = sync_file_info {
        pad: 1,
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_FILE_INFO, at(&mut i)), Err(EINVAL));
    assert_eq!(ioctl(&file, SYNC_IOC_FILE_INFO, UserPtr(16)), Err(EFAULT));
    let mut i = sync_file_info {
        num_fences: 1,
        sync_fence_info: 16,
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_FILE_INFO, at(&mut i)), Err(EFAULT));
    assert_eq!(
        ioctl(&file, SYNC_IOC_FILE_INFO - 1, at(&mut i)),
        Err(ENOTTY)
    );
    let mut d = sync_set_deadline {
        deadline_ns: 5,
        pad: 1,
    };
    assert_eq!(ioctl(&file, SYNC_IOC_SET_DEADLINE, at(&mut d)), Err(EINVAL));
    d.pad = 0;
    assert_eq!(ioctl(&file, SYNC_IOC_SET_DEADLINE, at(&mut d)), Ok(()));
    close(fd);
}

#[test]
fn merge_waits_for_both_and_reports_the_first_error() {
    let (a, b) = (fence(), fence());
    let (fa, fb) = (
        SyncFile::create_fd(&a).unwrap(),
        SyncFile::create_fd(&b).unwrap(),
    );
    let m = merge_fds(fa, fb, "both").unwrap();
    let i = info(m, &mut []).unwrap();
    assert_eq!((i.status, i.num_fences, cstr(&i.name)), (0, 2, "both"));
    b.signal_error(EIO).unwrap();
    assert!(!readable(m));
    let mut out = [blank(), blank()];
    let i = info(m, &mut out).unwrap();
    assert_eq!(
        i.status, 0,
        "the first non-positive status: a is still active"
    );
    a.signal().unwrap();
    assert!(readable(m));
    assert_eq!(info(m, &mut []).unwrap().status, -libc::EIO);
    let i = info(m, &mut out).unwrap();
    assert_eq!(i.status, -libc::EIO);
    let mut too_small = [blank()];
    assert_eq!(info(m, &mut too_small).err(), Some(EINVAL));
    assert_eq!(too_small[0], blank());
    // The merged fence is an array: importers see its names.
    let merged = SyncFile::get_fence(m).unwrap();
    assert_eq!(merged.names(), FenceNames::ARRAY);
    for fd in [fa, fb, m] {
        close(fd);
    }
}

#[test]
fn merge_drops_signalled_fences_and_keeps_the_latest_per_context() {
    let ctx = DmaFence::context_alloc();
    let (early, late) = (
        DmaFence::new(ctx, 1).unwrap(),
        DmaFence::new(ctx, 2).unwrap(),
    );
    let done = fence();
    done.signal_error(EIO).unwrap();
    let fds = [early.clone(), late.clone(), done].map(|f| SyncFile::create_fd(&f).unwrap());
    let m = merge_fds(fds[0], fds[1], "").unwrap();
    assert!(
        SyncFile::get_fence(m).unwrap().ptr_eq(&late),
        "one context left: that fence itself"
    );
    let m2 = merge_fds(m, fds[2], "x").unwrap();
    let i = info(m2, &mut []).unwrap();
    assert_eq!(
        (i.num_fences, i.status),
        (1, 0),
        "the signalled (failed) fence is dropped, as upstream"
    );
    let done_fd = fds[2];
    let both_done = merge_fds(done_fd, done_fd, "").unwrap();
    let i = info(both_done, &mut []).unwrap();
    assert_eq!(
        (i.num_fences, i.status),
        (1, 1),
        "nothing pending: a signalled stub"
    );
    assert!(cstr(&i.name).starts_with("stub-stub"));
    assert!(readable(both_done));
    for fd in fds.into_iter().chain([m, m2, both_done]) {
        close(fd);
    }
}

#[test]
fn merge_argument_errors() {
    let f = fence();
    let fd = SyncFile::create_fd(&f).unwrap();
    let file = SyncFile::from_fd(fd).unwrap();
    let mut m = sync_merge_data {
        fd2: fd,
        flags: 1,
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_MERGE, at(&mut m)), Err(EINVAL));
    let mut m = sync_merge_data {
        fd2: fd,
        pad: 1,
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_MERGE, at(&mut m)), Err(EINVAL));
    let not_sync = std::fs::File::open("/proc/self/status").unwrap();
    let mut m = sync_merge_data {
        fd2: std::os::fd::AsRawFd::as_raw_fd(&not_sync),
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_MERGE, at(&mut m)), Err(ENOENT));
    let mut m = sync_merge_data {
        fd2: -1,
        ..Default::default()
    };
    assert_eq!(ioctl(&file, SYNC_IOC_MERGE, at(&mut m)), Err(ENOENT));
    assert_eq!(ioctl(&file, SYNC_IOC_MERGE, UserPtr(16)), Err(EFAULT));
    close(fd);
}

#[test]
fn signalling_a_sync_files_fence_allocates_nothing() {
    let (a, b) = (fence(), fence());
    let fds = [
        SyncFile::create_fd(&a).unwrap(),
        SyncFile::create_fd(&b).unwrap(),
    ];
    let m = merge_fds(fds[0], fds[1], "").unwrap();
    let before = alloc::fault::violations();
    a.signal().unwrap();
    b.signal().unwrap();
    assert_eq!(alloc::fault::violations(), before);
    assert!(readable(m));
    for fd in fds.into_iter().chain([m]) {
        close(fd);
    }
}
