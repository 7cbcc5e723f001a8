// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Syncobjs and file descriptors (`drivers/gpu/drm/drm_syncobj.c`, newest upstream): SYNCOBJ_HANDLE_TO_FD and
//! SYNCOBJ_FD_TO_HANDLE, as syncobj files or as sync_files (with the timeline-point forms added after 6.12), and
//! SYNCOBJ_EVENTFD.
//!
//! A syncobj file is an [`crate::anon_file`] holding a reference on the syncobj, so the syncobj lives while a handle
//! or a descriptor of it exists; importing it on any DRM file of the process gives a handle to the same object, as
//! upstream, which does not look at the device either.

use std::os::fd::RawFd;

use super::eventfd::EventfdEntry;
use super::{chain, stub, SyncobjTable, WaitFlags};
use crate::anon_file::{self, AnonObject};
use crate::error::code::EINVAL;
use crate::error::Result;
use crate::sync_file::SyncFile;
use crate::uapi::drm_syncobj_eventfd;
use crate::uapi::ioctl::iowr;

/// `struct drm_syncobj_handle` as newest upstream has it (24 bytes: `point` was added after 6.12, whose 16-byte
/// form the DRM core's dispatcher zero-extends, so old callers pass point 0).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct drm_syncobj_handle {
    /// The syncobj handle (in for HANDLE_TO_FD and for IMPORT_SYNC_FILE, out for a plain FD_TO_HANDLE).
    pub handle: u32,
    /// `DRM_SYNCOBJ_{HANDLE_TO_FD,FD_TO_HANDLE}_FLAGS_*`.
    pub flags: u32,
    /// The descriptor (out for HANDLE_TO_FD, in for FD_TO_HANDLE).
    pub fd: i32,
    /// Must be 0.
    pub pad: u32,
    /// Timeline point, used with the `TIMELINE` flag.
    pub point: u64,
}

crate::impl_uapi_pod!(
    drm_syncobj_handle {
        handle,
        flags,
        fd,
        pad,
        point
    },
    drm_syncobj_eventfd {
        handle,
        flags,
        point,
        fd,
        pad
    },
);

/// DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD with the newest struct.
pub const DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: u32 =
    iowr(0xc1, core::mem::size_of::<drm_syncobj_handle>());
/// DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE with the newest struct.
pub const DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: u32 =
    iowr(0xc2, core::mem::size_of::<drm_syncobj_handle>());

/// HANDLE_TO_FD: export a sync_file of the syncobj's fence instead of the syncobj.
pub const HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE: u32 = 1 << 0;
/// HANDLE_TO_FD: `point` names a timeline point.
pub const HANDLE_TO_FD_FLAGS_TIMELINE: u32 = 1 << 1;
/// FD_TO_HANDLE: import a sync_file's fence into an existing syncobj.
pub const FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE: u32 = 1 << 0;
/// FD_TO_HANDLE: `point` names a timeline point.
pub const FD_TO_HANDLE_FLAGS_TIMELINE: u32 = 1 << 1;

/// `drm_syncobj_get_fd`: a new syncobj file (close-on-exec) for the syncobj behind `handle`; `EINVAL` for an unknown
/// handle (not `ENOENT`: upstream's `drm_syncobj_handle_to_fd`).
fn handle_to_fd(table: &SyncobjTable, handle: u32) -> Result<RawFd> {
    let obj = table.lookup(handle).map_err(|_| EINVAL)?;
    anon_file::install(AnonObject::Syncobj(obj), None)
}

/// `drm_syncobj_export_sync_file`: `ENOENT` for an unknown handle, `EINVAL` if there is no fence for `point`. A
/// timeline point's sync_file lists (FILE_INFO) the fences of that point and of the earlier unsignalled ones, as
/// unwrapping the chain node upstream does; a point already collected gives a signalled stub.
fn export_sync_file(table: &SyncobjTable, handle: u32, point: u64) -> Result<RawFd> {
    let obj = table.lookup(handle)?;
    match obj.find_slot(point)? {
        Some(slot) => SyncFile::create_fd_unwrapped(slot.fence().clone(), chain::unwrap(&slot)?),
        None => SyncFile::create_fd(&stub()?),
    }
}

/// DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: `EINVAL` for `pad`, unknown flags, or (without `EXPORT_SYNC_FILE`) a point given
/// with `TIMELINE`; `point` is only read with `TIMELINE`. Writes `fd`.
pub fn handle_to_fd_ioctl(table: &SyncobjTable, args: &mut drm_syncobj_handle) -> Result {
    if args.pad != 0 {
        return Err(EINVAL);
    }
    if args.flags & !(HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE | HANDLE_TO_FD_FLAGS_TIMELINE) != 0 {
        return Err(EINVAL);
    }
    let point = if args.flags & HANDLE_TO_FD_FLAGS_TIMELINE != 0 {
        args.point
    } else {
        0
    };
    if args.flags & HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE != 0 {
        args.fd = export_sync_file(table, args.handle, point)?;
        return Ok(());
    }
    if point != 0 {
        return Err(EINVAL);
    }
    args.fd = handle_to_fd(table, args.handle)?;
    Ok(())
}

/// `drm_syncobj_import_sync_file_fence`: `EINVAL` if `fd` is not a sync_file, `ENOENT` for an unknown handle; point
/// 0 replaces the fence, another point adds a timeline point.
fn import_sync_file(table: &SyncobjTable, fd: RawFd, handle: u32, point: u64) -> Result {
    let fence = SyncFile::get_fence(fd).ok_or(EINVAL)?;
    let obj = table.lookup(handle)?;
    if point != 0 {
        obj.add_point(fence, point)
    } else {
        obj.replace_fence(Some(fence));
        Ok(())
    }
}

/// `drm_syncobj_fd_to_handle`: `EINVAL` if `fd` is not open or not a syncobj file; a new handle to that syncobj.
fn fd_to_handle(table: &SyncobjTable, fd: RawFd) -> Result<u32> {
    match anon_file::lookup(fd) {
        Some(AnonObject::Syncobj(obj)) => table.insert(obj),
        _ => Err(EINVAL),
    }
}

/// DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: the checks of [`handle_to_fd_ioctl`] with the import flags; writes `handle` for
/// a syncobj file.
pub fn fd_to_handle_ioctl(table: &SyncobjTable, args: &mut drm_syncobj_handle) -> Result {
    if args.pad != 0 {
        return Err(EINVAL);
    }
    if args.flags & !(FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE | FD_TO_HANDLE_FLAGS_TIMELINE) != 0 {
        return Err(EINVAL);
    }
    let point = if args.flags & FD_TO_HANDLE_FLAGS_TIMELINE != 0 {
        args.point
    } else {
        0
    };
    if args.flags & FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE != 0 {
        return import_sync_file(table, args.fd, args.handle, point);
    }
    if point != 0 {
        return Err(EINVAL);
    }
    args.handle = fd_to_handle(table, args.fd)?;
    Ok(())
}

/// DRM_IOCTL_SYNCOBJ_EVENTFD: `EINVAL` for flags beyond `WAIT_AVAILABLE` or nonzero `pad`, `ENOENT` for an unknown
/// handle, `EBADF` if `fd` is not open, `EINVAL` if it is not an eventfd.
pub fn eventfd_ioctl(table: &SyncobjTable, args: &mut drm_syncobj_eventfd) -> Result {
    if args.flags & !WaitFlags::WAIT_AVAILABLE.bits() != 0 || args.pad != 0 {
        return Err(EINVAL);
    }
    let obj = table.lookup(args.handle)?;
    let available = args.flags != 0;
    let entry = EventfdEntry::new(args.fd, args.point, available)?;
    obj.add_eventfd(entry)
}
