// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `sigaction` and `signal` for `SIGSEGV` and `SIGBUS`: once the driver's user-copy fault handler is installed
//! (`kernel::uaccess::fixup`, on the first ioctl copy), a program's handler for those signals becomes the one faults
//! outside the copy routine are forwarded to, instead of replacing the fixup's. IGT installs crash handlers for both
//! (and restores SIG_DFL before re-raising); without this, its first handler would take the fixup's place and a test
//! of a bad pointer would crash instead of getting `EFAULT`. Every other signal, and these two before installation,
//! reach libc unchanged.

use super::*;

use kernel::uaccess::fixup;

/// `sigaction(2)`.
///
/// # Safety
/// As for libc's `sigaction`.
#[no_mangle]
pub unsafe extern "C" fn sigaction(
    sig: c_int,
    act: *const libc::sigaction,
    oldact: *mut libc::sigaction,
) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::sigaction(sig, act, oldact) },
        || {
            // SAFETY: the caller's pointers, as libc's contract has them.
            if unsafe { fixup::chain_sigaction(sig, act, oldact) } {
                Outcome::Done(0)
            } else {
                Outcome::Pass
            }
        },
    )
}

/// `signal(3)` (glibc's BSD semantics: the handler stays installed, interrupted calls restart).
///
/// # Safety
/// As for libc's `signal`.
#[no_mangle]
pub unsafe extern "C" fn signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    intercept(
        libc::SIG_ERR,
        // SAFETY: the caller's arguments, passed on unchanged.
        || unsafe { real::signal(sig, handler) },
        || {
            // SAFETY: an all-zero `sigaction` is a valid value (empty mask, no flags).
            let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
            act.sa_sigaction = handler;
            act.sa_flags = libc::SA_RESTART;
            // SAFETY: as above.
            let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
            // SAFETY: both point to valid actions.
            if unsafe { fixup::chain_sigaction(sig, &act, &mut old) } {
                Outcome::Done(old.sa_sigaction)
            } else {
                Outcome::Pass
            }
        },
    )
}
