// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `open` and its 64-bit and fortified variants, `fopen`: DRM nodes, fake files and directories, and `/proc/self/fd` re-opens.

use super::*;

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
