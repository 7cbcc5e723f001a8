// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The exported libc entry points. Each unpacks its arguments and goes through [`intercept`]: calls the shim does not
//! answer for (ordinary paths and descriptors, and every call the shim itself makes) reach libc unchanged.
//!
//! The C prototypes of `open`, `openat`, `fcntl` and `ioctl` are variadic; stable Rust cannot define variadic
//! functions, so they are defined with the optional argument as a fixed one. On the Linux calling conventions of
//! x86_64 and AArch64 a variadic caller passes it in the same register a fixed parameter uses; when the caller
//! passed none, the value read is garbage and, as in libc, is only looked at when the flags say it is there.

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

use libc::{mode_t, off_t, size_t, ssize_t, DIR, FILE};

use crate::drm;
use crate::ffi::{c_str, errno, intercept, Outcome};
use crate::fs;
use crate::real;

fn check(r: c_int) -> Outcome<c_int> {
    if r < 0 {
        Outcome::Fail(errno())
    } else {
        Outcome::Done(r)
    }
}

// ---- open ------------------------------------------------------------------------------------------------------

/// Opens `path` relative to `dirfd`: DRM nodes and fake sysfs files are the shim's, everything else is libc's.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
unsafe fn open_at(dirfd: c_int, path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::openat64(dirfd, path, flags, mode) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated (caller's contract).
            let abs = fs::at_path(dirfd, unsafe { c_str(path) });
            // SAFETY: `c` is a NUL-terminated rewritten path.
            fs::open(abs.as_deref(), flags, |c| unsafe {
                real::openat64(libc::AT_FDCWD, c, flags, mode)
            })
        },
    )
}

/// `open(2)`.
///
/// # Safety
/// As for libc's `open`.
#[no_mangle]
pub unsafe extern "C" fn open(path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(libc::AT_FDCWD, path, flags, mode) }
}

/// `open64(2)`.
///
/// # Safety
/// As for libc's `open64`.
#[no_mangle]
pub unsafe extern "C" fn open64(path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(libc::AT_FDCWD, path, flags, mode) }
}

/// `openat(2)`.
///
/// # Safety
/// As for libc's `openat`.
#[no_mangle]
pub unsafe extern "C" fn openat(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mode: mode_t,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(dirfd, path, flags, mode) }
}

/// `openat64(2)`.
///
/// # Safety
/// As for libc's `openat64`.
#[no_mangle]
pub unsafe extern "C" fn openat64(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mode: mode_t,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(dirfd, path, flags, mode) }
}

/// `_FORTIFY_SOURCE`'s `open` without a mode.
///
/// # Safety
/// As for libc's `__open_2`.
#[no_mangle]
pub unsafe extern "C" fn __open_2(path: *const c_char, flags: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(libc::AT_FDCWD, path, flags, 0) }
}

/// `_FORTIFY_SOURCE`'s `open64` without a mode.
///
/// # Safety
/// As for libc's `__open64_2`.
#[no_mangle]
pub unsafe extern "C" fn __open64_2(path: *const c_char, flags: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(libc::AT_FDCWD, path, flags, 0) }
}

/// `_FORTIFY_SOURCE`'s `openat` without a mode.
///
/// # Safety
/// As for libc's `__openat_2`.
#[no_mangle]
pub unsafe extern "C" fn __openat_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(dirfd, path, flags, 0) }
}

/// `_FORTIFY_SOURCE`'s `openat64` without a mode.
///
/// # Safety
/// As for libc's `__openat64_2`.
#[no_mangle]
pub unsafe extern "C" fn __openat64_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { open_at(dirfd, path, flags, 0) }
}

/// `fopen(3)`: fake sysfs files read through a real `FILE`.
///
/// # Safety
/// As for libc's `fopen`.
#[no_mangle]
pub unsafe extern "C" fn fopen(path: *const c_char, mode: *const c_char) -> *mut FILE {
    intercept(
        core::ptr::null_mut(),
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::fopen(path, mode) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated (the caller's contract).
            let path = unsafe { c_str(path) };
            // SAFETY: `mode` is NULL or NUL-terminated (the caller's contract).
            let mode_str = unsafe { c_str(mode) };
            // SAFETY: `c` is a rewritten NUL-terminated path; `mode` is the caller's.
            fs::fopen(path, mode_str, |c| unsafe { real::fopen(c, mode) })
        },
    )
}

/// `fopen64(3)`.
///
/// # Safety
/// As for libc's `fopen64`.
#[no_mangle]
pub unsafe extern "C" fn fopen64(path: *const c_char, mode: *const c_char) -> *mut FILE {
    intercept(
        core::ptr::null_mut(),
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::fopen64(path, mode) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated (the caller's contract).
            let path = unsafe { c_str(path) };
            // SAFETY: `mode` is NULL or NUL-terminated (the caller's contract).
            let mode_str = unsafe { c_str(mode) };
            // SAFETY: `c` is a rewritten NUL-terminated path; `mode` is the caller's.
            fs::fopen(path, mode_str, |c| unsafe { real::fopen64(c, mode) })
        },
    )
}

// ---- descriptors -----------------------------------------------------------------------------------------------

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

// ---- memory ----------------------------------------------------------------------------------------------------

/// `mmap(2)`: on a DRM descriptor, a BO or the flush-ID page.
///
/// # Safety
/// As for libc's `mmap`.
#[no_mangle]
pub unsafe extern "C" fn mmap(
    addr: *mut c_void,
    len: size_t,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: off_t,
) -> *mut c_void {
    intercept(
        libc::MAP_FAILED,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::mmap(addr, len, prot, flags, fd, off) },
        || match drm::mmap(addr, len, prot, flags, fd, off) {
            Outcome::Pass if flags & libc::MAP_FIXED != 0 => {
                // SAFETY: as above.
                let r = unsafe { real::mmap(addr, len, prot, flags, fd, off) };
                if r == libc::MAP_FAILED {
                    return Outcome::Fail(errno());
                }
                drm::unmapped(r, len);
                Outcome::Done(r)
            }
            o => o,
        },
    )
}

/// `mmap64(2)` (the same as `mmap` on 64-bit Linux).
///
/// # Safety
/// As for libc's `mmap64`.
#[no_mangle]
pub unsafe extern "C" fn mmap64(
    addr: *mut c_void,
    len: size_t,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: off_t,
) -> *mut c_void {
    // SAFETY: forwarded contract.
    unsafe { mmap(addr, len, prot, flags, fd, off) }
}

/// `munmap(2)`: unmapping the last page of a BO mapping releases the BO.
///
/// # Safety
/// As for libc's `munmap`.
#[no_mangle]
pub unsafe extern "C" fn munmap(addr: *mut c_void, len: size_t) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::munmap(addr, len) },
        || {
            // SAFETY: as above.
            let r = unsafe { real::munmap(addr, len) };
            if r == 0 {
                drm::unmapped(addr, len);
            }
            check(r)
        },
    )
}

// ---- stat ------------------------------------------------------------------------------------------------------

/// # Safety
/// `path` NULL or NUL-terminated; `buf` valid for a `struct stat`.
unsafe fn stat_at(dirfd: c_int, path: *const c_char, buf: *mut libc::stat, flags: c_int) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::fstatat(dirfd, path, buf, flags) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated.
            let p = unsafe { c_str(path) };
            if flags & libc::AT_EMPTY_PATH != 0 && p == Some("") {
                return match fs::stat_fd(dirfd) {
                    // SAFETY: `buf` is valid for a `struct stat` (caller's contract).
                    Some(s) => unsafe { filled(&s, buf) },
                    None => Outcome::Pass,
                };
            }
            let abs = fs::at_path(dirfd, p);
            fs::stat_path(
                abs.as_deref(),
                flags & libc::AT_SYMLINK_NOFOLLOW == 0,
                // SAFETY: `buf` is valid for a `struct stat` (caller's contract).
                |s| s.fill(unsafe { &mut *buf }),
                // SAFETY: `c` is a rewritten NUL-terminated path; `buf` as above.
                |c| unsafe { real::fstatat(libc::AT_FDCWD, c, buf, flags) },
            )
        },
    )
}

/// Writes fake stat `s` to `buf`.
///
/// # Safety
/// `buf` is valid for writing a `struct stat`.
unsafe fn filled(s: &crate::vfs::FakeStat, buf: *mut libc::stat) -> Outcome<c_int> {
    // SAFETY: the caller's contract.
    s.fill(unsafe { &mut *buf });
    Outcome::Done(0)
}

/// # Safety
/// `buf` valid for a `struct stat`.
unsafe fn stat_fd(fd: c_int, buf: *mut libc::stat) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::fstat(fd, buf) },
        || match fs::stat_fd(fd) {
            // SAFETY: `buf` is valid for a `struct stat` (caller's contract).
            Some(s) => unsafe { filled(&s, buf) },
            None => Outcome::Pass,
        },
    )
}

macro_rules! stat_fns {
    ($($name:ident, $xname:ident, $flags:expr;)*) => {$(
        /// `stat`-family call on a path: fake nodes are character devices, directories, links and files.
        ///
        /// # Safety
        /// As for libc's function of the same name.
        #[no_mangle]
        pub unsafe extern "C" fn $name(path: *const c_char, buf: *mut libc::stat) -> c_int {
            // SAFETY: forwarded contract.
            unsafe { stat_at(libc::AT_FDCWD, path, buf, $flags) }
        }

        /// The pre-2.33 glibc name of the same call (`_STAT_VER` is the kernel's `struct stat` on 64-bit Linux).
        ///
        /// # Safety
        /// As for libc's function of the same name.
        #[no_mangle]
        pub unsafe extern "C" fn $xname(_ver: c_int, path: *const c_char, buf: *mut libc::stat) -> c_int {
            // SAFETY: forwarded contract.
            unsafe { stat_at(libc::AT_FDCWD, path, buf, $flags) }
        }
    )*};
}

stat_fns! {
    stat, __xstat, 0;
    stat64, __xstat64, 0;
    lstat, __lxstat, libc::AT_SYMLINK_NOFOLLOW;
    lstat64, __lxstat64, libc::AT_SYMLINK_NOFOLLOW;
}

/// `fstat(2)`: DRM descriptors are the node's character device.
///
/// # Safety
/// As for libc's `fstat`.
#[no_mangle]
pub unsafe extern "C" fn fstat(fd: c_int, buf: *mut libc::stat) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_fd(fd, buf) }
}

/// `fstat64(2)`.
///
/// # Safety
/// As for libc's `fstat64`.
#[no_mangle]
pub unsafe extern "C" fn fstat64(fd: c_int, buf: *mut libc::stat) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_fd(fd, buf) }
}

/// Pre-2.33 glibc `fstat`.
///
/// # Safety
/// As for libc's `__fxstat`.
#[no_mangle]
pub unsafe extern "C" fn __fxstat(_ver: c_int, fd: c_int, buf: *mut libc::stat) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_fd(fd, buf) }
}

/// Pre-2.33 glibc `fstat64`.
///
/// # Safety
/// As for libc's `__fxstat64`.
#[no_mangle]
pub unsafe extern "C" fn __fxstat64(_ver: c_int, fd: c_int, buf: *mut libc::stat) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_fd(fd, buf) }
}

/// `fstatat(2)`.
///
/// # Safety
/// As for libc's `fstatat`.
#[no_mangle]
pub unsafe extern "C" fn fstatat(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_at(dirfd, path, buf, flags) }
}

/// `fstatat64(2)`.
///
/// # Safety
/// As for libc's `fstatat64`.
#[no_mangle]
pub unsafe extern "C" fn fstatat64(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_at(dirfd, path, buf, flags) }
}

/// Pre-2.33 glibc `fstatat`.
///
/// # Safety
/// As for libc's `__fxstatat`.
#[no_mangle]
pub unsafe extern "C" fn __fxstatat(
    _ver: c_int,
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_at(dirfd, path, buf, flags) }
}

/// Pre-2.33 glibc `fstatat64`.
///
/// # Safety
/// As for libc's `__fxstatat64`.
#[no_mangle]
pub unsafe extern "C" fn __fxstatat64(
    _ver: c_int,
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { stat_at(dirfd, path, buf, flags) }
}

/// `statx(2)`.
///
/// # Safety
/// As for libc's `statx`.
#[no_mangle]
pub unsafe extern "C" fn statx(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mask: c_uint,
    buf: *mut libc::statx,
) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::statx(dirfd, path, flags, mask, buf) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated.
            let p = unsafe { c_str(path) };
            if flags & libc::AT_EMPTY_PATH != 0 && p == Some("") {
                return match fs::stat_fd(dirfd) {
                    Some(s) => {
                        // SAFETY: `buf` is valid for a `struct statx` (caller's contract).
                        s.fill_statx(unsafe { &mut *buf });
                        Outcome::Done(0)
                    }
                    None => Outcome::Pass,
                };
            }
            let abs = fs::at_path(dirfd, p);
            fs::stat_path(
                abs.as_deref(),
                flags & libc::AT_SYMLINK_NOFOLLOW == 0,
                // SAFETY: `buf` is valid for a `struct statx` (caller's contract).
                |s| s.fill_statx(unsafe { &mut *buf }),
                // SAFETY: `c` is a rewritten NUL-terminated path; `buf` as above.
                |c| unsafe { real::statx(libc::AT_FDCWD, c, flags, mask, buf) },
            )
        },
    )
}

// ---- links, access ---------------------------------------------------------------------------------------------

/// `readlink(2)`: fake links, and `/proc/self/fd/N` of DRM descriptors naming their node.
///
/// # Safety
/// As for libc's `readlink`.
#[no_mangle]
pub unsafe extern "C" fn readlink(path: *const c_char, buf: *mut c_char, len: size_t) -> ssize_t {
    // SAFETY: forwarded contract.
    unsafe { readlinkat(libc::AT_FDCWD, path, buf, len) }
}

/// `readlinkat(2)`.
///
/// # Safety
/// As for libc's `readlinkat`.
#[no_mangle]
pub unsafe extern "C" fn readlinkat(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut c_char,
    len: size_t,
) -> ssize_t {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::readlinkat(dirfd, path, buf, len) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated.
            let abs = fs::at_path(dirfd, unsafe { c_str(path) });
            // SAFETY: `c` is a rewritten NUL-terminated path; `buf` has `len` bytes (caller's contract).
            fs::readlink(abs.as_deref(), buf, len, |c| unsafe {
                real::readlinkat(libc::AT_FDCWD, c, buf, len)
            })
        },
    )
}

/// `realpath(3)`.
///
/// # Safety
/// As for libc's `realpath`.
#[no_mangle]
pub unsafe extern "C" fn realpath(path: *const c_char, out: *mut c_char) -> *mut c_char {
    intercept(
        core::ptr::null_mut(),
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::realpath(path, out) },
        // SAFETY: `path` is NULL or NUL-terminated.
        || fs::realpath(unsafe { c_str(path) }, out),
    )
}

/// `_FORTIFY_SOURCE`'s `realpath`.
///
/// # Safety
/// As for libc's `__realpath_chk`; `out` has `PATH_MAX` bytes.
#[no_mangle]
pub unsafe extern "C" fn __realpath_chk(
    path: *const c_char,
    out: *mut c_char,
    _len: size_t,
) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { realpath(path, out) }
}

/// `canonicalize_file_name(3)`.
///
/// # Safety
/// As for libc's `canonicalize_file_name`.
#[no_mangle]
pub unsafe extern "C" fn canonicalize_file_name(path: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { realpath(path, core::ptr::null_mut()) }
}

/// `access(2)`.
///
/// # Safety
/// As for libc's `access`.
#[no_mangle]
pub unsafe extern "C" fn access(path: *const c_char, mode: c_int) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::access(path, mode) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated (the caller's contract).
            let path = unsafe { c_str(path) };
            // SAFETY: `c` is a rewritten NUL-terminated path; the other arguments are the caller's.
            fs::access(path, mode, |c| unsafe { real::access(c, mode) })
        },
    )
}

/// `faccessat(2)`.
///
/// # Safety
/// As for libc's `faccessat`.
#[no_mangle]
pub unsafe extern "C" fn faccessat(
    dirfd: c_int,
    path: *const c_char,
    mode: c_int,
    flags: c_int,
) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::faccessat(dirfd, path, mode, flags) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated.
            let abs = fs::at_path(dirfd, unsafe { c_str(path) });
            // SAFETY: `c` is a rewritten NUL-terminated path.
            fs::access(abs.as_deref(), mode, |c| unsafe {
                real::faccessat(libc::AT_FDCWD, c, mode, flags)
            })
        },
    )
}

/// `chmod(2)`: fake nodes keep the new permission bits (root or CAP_FOWNER only, as for a root-owned node).
///
/// # Safety
/// As for libc's `chmod`.
#[no_mangle]
pub unsafe extern "C" fn chmod(path: *const c_char, mode: mode_t) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::chmod(path, mode) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated (the caller's contract).
            let path = unsafe { c_str(path) };
            // SAFETY: `c` is a rewritten NUL-terminated path; the other arguments are the caller's.
            fs::chmod(path, mode, |c| unsafe { real::chmod(c, mode) })
        },
    )
}

/// `fchmodat(2)`.
///
/// # Safety
/// As for libc's `fchmodat`.
#[no_mangle]
pub unsafe extern "C" fn fchmodat(
    dirfd: c_int,
    path: *const c_char,
    mode: mode_t,
    flags: c_int,
) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::fchmodat(dirfd, path, mode, flags) },
        || {
            // SAFETY: `path` is NULL or NUL-terminated.
            let abs = fs::at_path(dirfd, unsafe { c_str(path) });
            // SAFETY: `c` is a rewritten NUL-terminated path.
            fs::chmod(abs.as_deref(), mode, |c| unsafe {
                real::fchmodat(libc::AT_FDCWD, c, mode, flags)
            })
        },
    )
}

// ---- directories -----------------------------------------------------------------------------------------------

/// `opendir(3)`: fake directories list their fake entries.
///
/// # Safety
/// As for libc's `opendir`.
#[no_mangle]
pub unsafe extern "C" fn opendir(path: *const c_char) -> *mut DIR {
    intercept(
        core::ptr::null_mut(),
        // SAFETY: the caller's argument, passed on unchanged.
        || unsafe { real::opendir(path) },
        // SAFETY: `path` is NULL or NUL-terminated.
        || fs::opendir(unsafe { c_str(path) }),
    )
}

/// `fdopendir(3)`.
///
/// # Safety
/// As for libc's `fdopendir`.
#[no_mangle]
pub unsafe extern "C" fn fdopendir(fd: c_int) -> *mut DIR {
    // SAFETY: the caller's argument, passed on unchanged.
    intercept(
        core::ptr::null_mut(),
        || unsafe { real::fdopendir(fd) },
        || fs::fdopendir(fd),
    )
}

/// `readdir(3)`.
///
/// # Safety
/// As for libc's `readdir`.
#[no_mangle]
pub unsafe extern "C" fn readdir(dir: *mut DIR) -> *mut libc::dirent {
    intercept(
        core::ptr::null_mut(),
        // SAFETY: the caller's argument, passed on unchanged.
        || unsafe { real::readdir(dir) },
        || match fs::readdir(dir) {
            Outcome::Done(e) => Outcome::Done(e.cast()),
            Outcome::Fail(e) => Outcome::Fail(e),
            Outcome::Pass => Outcome::Pass,
        },
    )
}

/// `readdir64(3)`.
///
/// # Safety
/// As for libc's `readdir64`.
#[no_mangle]
pub unsafe extern "C" fn readdir64(dir: *mut DIR) -> *mut libc::dirent64 {
    // SAFETY: the caller's argument, passed on unchanged.
    intercept(
        core::ptr::null_mut(),
        || unsafe { real::readdir64(dir) },
        || fs::readdir(dir),
    )
}

/// `closedir(3)`.
///
/// # Safety
/// As for libc's `closedir`.
#[no_mangle]
pub unsafe extern "C" fn closedir(dir: *mut DIR) -> c_int {
    // SAFETY: the caller's argument, passed on unchanged.
    intercept(-1, || unsafe { real::closedir(dir) }, || fs::closedir(dir))
}

/// `rewinddir(3)`.
///
/// # Safety
/// As for libc's `rewinddir`.
#[no_mangle]
pub unsafe extern "C" fn rewinddir(dir: *mut DIR) {
    // SAFETY: the caller's argument, passed on unchanged.
    intercept(
        (),
        || unsafe { real::rewinddir(dir) },
        || fs::rewinddir(dir),
    )
}

/// `dirfd(3)`.
///
/// # Safety
/// As for libc's `dirfd`.
#[no_mangle]
pub unsafe extern "C" fn dirfd(dir: *mut DIR) -> c_int {
    // SAFETY: the caller's argument, passed on unchanged.
    intercept(-1, || unsafe { real::dirfd(dir) }, || fs::dirfd(dir))
}
