// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! How the shim answers for DRM descriptors: ioctl, mmap, close and the dup family; and for the ioctls of the other
//! descriptors the kernel hands out (sync_files, dma-bufs).

use core::ffi::{c_int, c_void};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use kernel::uaccess::UserPtr;
use tyr::mmap::{mmap as drm_mmap, read_flush_id, CpuMapping, MmapRequest};

use crate::device::{
    self, add_mapping, lookup, track, untrack, DrmOpen, Mapping, SwSyncOpen, Tracked,
};
use crate::ffi::{errno, Outcome};
use crate::fs::fd_key;
use crate::real;
use crate::trace;

const PAGE: usize = 4096;

/// The DRM file behind `fd`, if `fd` is a DRM descriptor of the shim. A tracked number whose real descriptor is no
/// longer ours (closed behind the shim's back and reused) is forgotten.
fn drm_of(fd: c_int) -> Option<Arc<DrmOpen>> {
    let Some(Tracked::Drm(d)) = lookup(fd) else {
        return None;
    };
    if fd_key(fd) != Some(d.key) {
        untrack(fd);
        return None;
    }
    Some(d)
}

/// `ioctl` on a DRM descriptor: the whole DRM ioctl path of the driver (`drm_ioctl`). On the kernel's other files
/// (sync_files, dma-bufs) their own ioctls; anything else is libc's.
pub fn ioctl(fd: c_int, req: u64, arg: *mut c_void) -> Outcome<c_int> {
    // One look in the descriptor table, one check that the number is still ours.
    let d = match lookup(fd) {
        Some(Tracked::Drm(d)) if fd_key(fd) == Some(d.key) => d,
        Some(Tracked::SwSync(t)) if fd_key(fd) == Some(t.key) => {
            return sw_sync_ioctl(fd, &t, req, arg);
        }
        Some(Tracked::Drm(_) | Tracked::SwSync(_)) => {
            untrack(fd);
            return file_ioctl(fd, req, arg);
        }
        _ => return file_ioctl(fd, req, arg),
    };
    // The kernel's ioctl command is an `unsigned int`; glibc passes the caller's `unsigned long` through.
    let cmd = req as u32;
    let out = if !d.is_current() {
        Outcome::Fail(libc::ENODEV)
    } else {
        match d.ioctl(cmd, UserPtr(arg as usize)) {
            Ok(()) => Outcome::Done(0),
            Err(e) => Outcome::Fail(-e.to_errno()),
        }
    };
    trace::call!(out, "ioctl({fd}, {}, {arg:?})", trace::ioctl_name(cmd));
    out
}

/// `sw_sync_ioctl` (a reused number was forgotten before, as for DRM files): CREATE_FENCE and INC on the timeline; a timeline inherited across fork answers `ENODEV` (its
/// fences and their waiters stayed with the parent).
fn sw_sync_ioctl(fd: c_int, t: &SwSyncOpen, req: u64, arg: *mut c_void) -> Outcome<c_int> {
    let cmd = req as u32;
    let out = if !t.is_current() {
        Outcome::Fail(libc::ENODEV)
    } else {
        match t.timeline.ioctl(cmd, UserPtr(arg as usize)) {
            Ok(()) => Outcome::Done(0),
            Err(e) => Outcome::Fail(-e.to_errno()),
        }
    };
    trace::call!(out, "ioctl({fd}, sw_sync {cmd:#x}, {arg:?})");
    out
}

/// `ioctl` on a sync_file or dma-buf the kernel handed out (`sync_file_ioctl`, `dma_buf_ioctl`); `Pass` for any
/// other descriptor, including syncobj files, which have no ioctls (the real pipe answers `ENOTTY` as upstream).
fn file_ioctl(fd: c_int, req: u64, arg: *mut c_void) -> Outcome<c_int> {
    let cmd = req as u32;
    let out = match kernel::dma_buf::file_ioctl(fd, cmd, UserPtr(arg as usize)) {
        None => return Outcome::Pass,
        Some(Ok(())) => Outcome::Done(0),
        Some(Err(e)) => Outcome::Fail(-e.to_errno()),
    };
    trace::call!(out, "ioctl({fd}, {cmd:#x}, {arg:?})");
    out
}

/// `lseek` on a dma-buf the kernel handed out, as `dma_buf_llseek`: only `SEEK_END` (giving the buffer's size) and
/// `SEEK_SET`, both with offset 0; anything else is `EINVAL`. `Pass` for any other descriptor.
pub fn lseek(fd: c_int, off: i64, whence: c_int) -> Outcome<i64> {
    if kernel::dma_buf::lookup(fd).is_none() {
        return crate::sysfs_attr::lseek(fd, off, whence);
    }
    let out = if off != 0 || (whence != libc::SEEK_END && whence != libc::SEEK_SET) {
        Outcome::Fail(libc::EINVAL)
    } else {
        // The dma-buf's file is as large as the buffer (`kernel::drm::prime`).
        // SAFETY: plain lseek of the caller's descriptor.
        let r = unsafe { real::lseek64(fd, 0, whence) };
        if r < 0 {
            Outcome::Fail(errno())
        } else {
            Outcome::Done(r)
        }
    };
    trace::call!(out, "lseek({fd}, {off}, {whence}) on a dma-buf");
    out
}

/// `close`: the last descriptor of a DRM file closes the file.
pub fn close(fd: c_int) -> Outcome<c_int> {
    if !untrack(fd) {
        return Outcome::Pass;
    }
    // SAFETY: plain close of the caller's descriptor.
    let r = unsafe { real::close(fd) };
    let out = if r < 0 {
        Outcome::Fail(errno())
    } else {
        Outcome::Done(r)
    };
    trace::call!(out, "close({fd})");
    out
}

/// After a successful `dup`-like call made `new` a copy of `old`: `new` now refers to whatever `old` does (and no
/// longer to what it referred to before, as `dup2` closes it).
pub fn duplicated(old: c_int, new: c_int) {
    if new < 0 || old == new {
        return;
    }
    match lookup(old) {
        Some(t) => {
            trace::line(format_args!("dup({old}) = {new}"));
            track(new, t)
        }
        None => {
            untrack(new);
        }
    }
}

fn round_up(len: usize) -> usize {
    len.next_multiple_of(PAGE)
}

/// `mmap` on a DRM descriptor (`panthor_mmap`): a BO's RAM runs mapped from the RAM memfd into one reservation, or a
/// read-only page holding LATEST_FLUSH_ID.
pub fn mmap(
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: i64,
) -> Outcome<*mut c_void> {
    if flags & libc::MAP_ANONYMOUS != 0 || fd < 0 {
        return Outcome::Pass;
    }
    if kernel::dma_buf::lookup(fd).is_some() {
        // A dma-buf's file does not hold the buffer's bytes here; mapping one is not modelled (upstream maps the
        // object), so refuse rather than hand out pages that are not the buffer's.
        let out = Outcome::Fail(libc::ENODEV);
        trace::call!(
            out,
            "mmap({addr:?}, {len:#x}, {prot:#x}, {flags:#x}, {fd}, {off:#x}) of a dma-buf"
        );
        return out;
    }
    let Some(d) = drm_of(fd) else {
        return Outcome::Pass;
    };
    let out = if !d.is_current() {
        Outcome::Fail(libc::ENODEV)
    } else {
        map(&d, addr, len, prot, flags, off)
    };
    trace::call!(
        out,
        "mmap({addr:?}, {len:#x}, {prot:#x}, {flags:#x}, {fd}, {off:#x})"
    );
    out
}

fn map(
    d: &DrmOpen,
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    off: i64,
) -> Outcome<*mut c_void> {
    let map_type = flags & 0x0f;
    let req = MmapRequest {
        offset: off as u64,
        len: len as u64,
        write: prot & libc::PROT_WRITE != 0,
        exec: prot & libc::PROT_EXEC != 0,
        shared: map_type == libc::MAP_SHARED || map_type == libc::MAP_SHARED_VALIDATE,
    };
    if off < 0 {
        return Outcome::Fail(libc::EINVAL);
    }
    let granted = match drm_mmap(&d.file, req) {
        Ok(m) => m,
        Err(e) => return Outcome::Fail(-e.to_errno()),
    };
    let total = round_up(len);
    let placement = flags & (libc::MAP_FIXED | libc::MAP_FIXED_NOREPLACE);
    let reserve = |p: c_int| {
        // SAFETY: an anonymous private mapping at the caller's hint (or fixed address, as the caller asked: replacing
        // what was there is what the caller's MAP_FIXED means).
        unsafe {
            real::mmap(
                addr,
                total,
                p,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | placement,
                -1,
                0,
            )
        }
    };
    match granted {
        CpuMapping::Bo { obj, runs, .. } => {
            let base = reserve(libc::PROT_NONE);
            if base == libc::MAP_FAILED {
                return Outcome::Fail(errno());
            }
            let ram = d.file.device().data().ram().memfd().as_raw_fd();
            let mut at = 0usize;
            for (phys, rlen) in runs {
                if at >= total {
                    break;
                }
                let n = (rlen as usize).min(total - at);
                // SAFETY: `base + at .. + n` lies inside the reservation made above, which this call replaces;
                // `ram` is the RAM memfd and `phys..phys + n` a run of the BO's pages in it.
                let p = unsafe {
                    real::mmap(
                        base.cast::<u8>().add(at).cast(),
                        n,
                        prot,
                        libc::MAP_SHARED | libc::MAP_FIXED,
                        ram,
                        phys as i64,
                    )
                };
                if p == libc::MAP_FAILED {
                    let e = errno();
                    // SAFETY: the reservation is ours, not yet handed out.
                    unsafe { real::munmap(base, total) };
                    return Outcome::Fail(e);
                }
                at += n;
            }
            device::unmap_range(base as usize, base as usize + total);
            add_mapping(Mapping::new(base as usize, total, Some(obj)));
            Outcome::Done(base)
        }
        CpuMapping::FlushId { .. } => {
            // A snapshot of LATEST_FLUSH_ID: an older value than the register's only makes the kernel flush caches
            // it could have skipped, never skip one it needs.
            let id = read_flush_id(&d.file);
            let page = reserve(libc::PROT_READ | libc::PROT_WRITE);
            if page == libc::MAP_FAILED {
                return Outcome::Fail(errno());
            }
            // SAFETY: `page` is a fresh, writable, page-sized anonymous mapping; then made read-only as the
            // register page is.
            unsafe {
                page.cast::<u32>().write(id);
                libc::mprotect(page, total, libc::PROT_READ);
            }
            device::unmap_range(page as usize, page as usize + total);
            add_mapping(Mapping::new(page as usize, total, None));
            Outcome::Done(page)
        }
    }
}

/// After a successful `munmap`, or a fixed mapping over `[addr, addr + len)`: the BOs mapped there are released.
pub fn unmapped(addr: *mut c_void, len: usize) {
    device::unmap_range(addr as usize, addr as usize + round_up(len));
}
