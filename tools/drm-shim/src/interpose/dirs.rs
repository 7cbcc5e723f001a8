// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Directory streams over fake directories.

use super::*;

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
