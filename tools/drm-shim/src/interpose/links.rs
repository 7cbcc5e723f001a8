// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `readlink`, `realpath` and `canonicalize_file_name`, `access`, `chmod`.

use super::*;

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
