// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `mmap` and `munmap`: BO mappings and the flush-ID page.

use super::*;

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
