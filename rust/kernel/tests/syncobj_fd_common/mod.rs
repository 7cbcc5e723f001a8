// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Helpers of the descriptor tests (`syncobj_fd.rs`, `sync_file_fd.rs`, `syncobj_fd_core.rs`): syncobj files,
//! sync_files, eventfds and dma-bufs as real descriptors of this process, polled with bounded timeouts.

#![allow(dead_code, unused_imports)]

pub use std::os::fd::{AsRawFd, RawFd};
pub use std::sync::Arc;

pub use kernel::code::{EBADF, EINVAL, EIO, ENOENT, ENOTTY};
pub use kernel::dma_buf::{
    self, dma_buf_sync_file, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
};
pub use kernel::dma_fence::DmaFence;
pub use kernel::dma_resv::{DmaResv, DmaResvUsage};
pub use kernel::drm::syncobj::fd::{self as sfd, drm_syncobj_handle};
pub use kernel::drm::syncobj::{ioctl, SyncobjTable};
pub use kernel::sync_file::{
    self, sync_file_info, sync_merge_data, SyncFile, SYNC_IOC_FILE_INFO, SYNC_IOC_MERGE,
};
pub use kernel::uaccess::UserPtr;
pub use kernel::uapi::{
    drm_syncobj_create, drm_syncobj_eventfd, drm_syncobj_wait,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
};

/// A `poll` timeout that never expires on a working kernel, however slow the machine.
pub const GENEROUS_MS: i32 = 30_000;

pub fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

pub fn create(t: &SyncobjTable, flags: u32) -> u32 {
    let mut a = drm_syncobj_create { handle: 0, flags };
    ioctl::create(t, &mut a).unwrap();
    a.handle
}

pub fn close(fd: RawFd) {
    // SAFETY: closing a descriptor the test owns.
    unsafe { libc::close(fd) };
}

/// Polls `fd` for `events` for up to `ms` milliseconds; the returned events.
pub fn poll(fd: RawFd, events: i16, ms: i32) -> i16 {
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

pub fn readable_now(fd: RawFd) -> bool {
    poll(fd, libc::POLLIN, 0) & libc::POLLIN != 0
}

pub fn becomes_readable(fd: RawFd) -> bool {
    poll(fd, libc::POLLIN, GENEROUS_MS) & libc::POLLIN != 0
}

pub fn to_fd(
    t: &SyncobjTable,
    handle: u32,
    flags: u32,
    point: u64,
) -> Result<RawFd, kernel::Error> {
    let mut a = drm_syncobj_handle {
        handle,
        flags,
        fd: -1,
        pad: 0,
        point,
    };
    sfd::handle_to_fd_ioctl(t, &mut a).map(|()| a.fd)
}

pub fn from_fd(
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

pub fn status(fd: RawFd) -> i32 {
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

pub fn wait(t: &SyncobjTable, handles: &[u32], timeout_nsec: i64) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_wait {
        handles: handles.as_ptr() as u64,
        timeout_nsec,
        count_handles: handles.len() as u32,
        ..Default::default()
    };
    ioctl::wait(t, &mut a)
}

pub fn eventfd() -> RawFd {
    // SAFETY: plain eventfd creation.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    assert!(fd >= 0);
    fd
}

pub fn eventfd_read(fd: RawFd) -> Option<u64> {
    let mut v = 0u64;
    // SAFETY: reads 8 bytes into a live local.
    let n = unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) };
    (n == 8).then_some(v)
}

pub fn register_eventfd(
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

/// A registered dma-buf: a memfd standing for the file, over `resv`.
pub fn dmabuf(resv: &Arc<DmaResv>) -> (std::fs::File, dma_buf::Registration) {
    // SAFETY: plain memfd creation with a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"test-dmabuf".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: the descriptor was just made and is owned by nobody else.
    let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let reg = dma_buf::register(kernel::anon_file::key_of(fd).unwrap(), resv).unwrap();
    (file, reg)
}
