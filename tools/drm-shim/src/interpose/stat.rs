// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The `stat` family, with the 64-bit and pre-2.33 `__xstat` names, and `statx`.

use super::*;

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
