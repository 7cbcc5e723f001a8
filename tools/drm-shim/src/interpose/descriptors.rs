// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `close`, the `dup` family, `fcntl` and `ioctl`: DRM files and the kernel's other descriptors.

use super::*;

/// `close(2)`: the last descriptor of a DRM file closes it.
///
/// # Safety
/// As for libc's `close`.
#[no_mangle]
pub unsafe extern "C" fn close(fd: c_int) -> c_int {
    // SAFETY: the caller's argument, passed on unchanged.
    intercept(-1, || unsafe { real::close(fd) }, || drm::close(fd))
}

/// `dup(2)`.
///
/// # Safety
/// As for libc's `dup`.
#[no_mangle]
pub unsafe extern "C" fn dup(fd: c_int) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's argument, passed on unchanged.
        || unsafe { real::dup(fd) },
        || {
            // SAFETY: as above.
            let r = unsafe { real::dup(fd) };
            drm::duplicated(fd, r);
            check(r)
        },
    )
}

/// `dup2(2)`.
///
/// # Safety
/// As for libc's `dup2`.
#[no_mangle]
pub unsafe extern "C" fn dup2(fd: c_int, new: c_int) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::dup2(fd, new) },
        || {
            // SAFETY: as above.
            let r = unsafe { real::dup2(fd, new) };
            drm::duplicated(fd, r);
            check(r)
        },
    )
}

/// `dup3(2)`.
///
/// # Safety
/// As for libc's `dup3`.
#[no_mangle]
pub unsafe extern "C" fn dup3(fd: c_int, new: c_int, flags: c_int) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::dup3(fd, new, flags) },
        || {
            // SAFETY: as above.
            let r = unsafe { real::dup3(fd, new, flags) };
            drm::duplicated(fd, r);
            check(r)
        },
    )
}

fn fcntl_with(
    fd: c_int,
    cmd: c_int,
    arg: c_ulong,
    f: unsafe fn(c_int, c_int, c_ulong) -> c_int,
) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged to libc's fcntl.
        || unsafe { f(fd, cmd, arg) },
        || {
            if cmd != libc::F_DUPFD && cmd != libc::F_DUPFD_CLOEXEC {
                return Outcome::Pass;
            }
            // SAFETY: as above.
            let r = unsafe { f(fd, cmd, arg) };
            drm::duplicated(fd, r);
            check(r)
        },
    )
}

/// `fcntl(2)`: `F_DUPFD` and `F_DUPFD_CLOEXEC` duplicate DRM descriptors.
///
/// # Safety
/// As for libc's `fcntl`.
#[no_mangle]
pub unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    fcntl_with(fd, cmd, arg, real::fcntl)
}

/// `fcntl64(2)`.
///
/// # Safety
/// As for libc's `fcntl64`.
#[no_mangle]
pub unsafe extern "C" fn fcntl64(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    fcntl_with(fd, cmd, arg, real::fcntl64)
}

/// `ioctl(2)`: on a DRM descriptor, the driver's ioctl entry point; on a sync_file or dma-buf the kernel handed
/// out, that file's ioctls.
///
/// # Safety
/// As for libc's `ioctl`. For the shim's descriptors `arg` is only ever accessed through checked copies, so a bad
/// pointer is `EFAULT`.
#[no_mangle]
pub unsafe extern "C" fn ioctl(fd: c_int, req: c_ulong, arg: *mut c_void) -> c_int {
    // SAFETY: the caller's arguments, passed on unchanged.
    intercept(
        -1,
        || unsafe { real::ioctl(fd, req, arg) },
        || drm::ioctl(fd, req, arg),
    )
}

/// `lseek(2)`: on a dma-buf, `dma_buf_llseek`'s rules.
///
/// # Safety
/// As for libc's `lseek`.
#[no_mangle]
pub unsafe extern "C" fn lseek(fd: c_int, off: off_t, whence: c_int) -> off_t {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::lseek64(fd, off, whence) },
        || drm::lseek(fd, off, whence),
    )
}

/// `lseek64` (the same as `lseek` on 64-bit Linux).
///
/// # Safety
/// As for libc's `lseek64`.
#[no_mangle]
pub unsafe extern "C" fn lseek64(fd: c_int, off: off_t, whence: c_int) -> off_t {
    // SAFETY: forwarded contract.
    unsafe { lseek(fd, off, whence) }
}
