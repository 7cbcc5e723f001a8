// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `read` and `write`: on a live sysfs attribute they reach the driver's `show` and `store` (`sysfs_attr`); on any
//! other descriptor they are libc's, after one atomic load.

use super::*;
use crate::sysfs_attr;

/// `read(2)`.
///
/// # Safety
/// As for libc's `read`.
#[no_mangle]
pub unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, len: size_t) -> ssize_t {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::read(fd, buf, len) },
        || sysfs_attr::read(fd, buf, len),
    )
}

/// `write(2)`.
///
/// # Safety
/// As for libc's `write`.
#[no_mangle]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, len: size_t) -> ssize_t {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::write(fd, buf, len) },
        || sysfs_attr::write(fd, buf, len),
    )
}
