// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The FFI edge: the per-thread re-entrancy guard, errno, and [`intercept`], which every interposed function goes
//! through so that no panic crosses into C and the shim's own libc calls never recurse into the shim.

use core::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// Set while this thread runs shim code: libc calls made by the shim itself (and by the driver and model it
    /// calls) then go straight to libc.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Proof that this thread is inside the shim; leaving clears the flag.
struct Inside(());

impl Inside {
    /// Enters the shim, or `None` when this thread is already inside it (or is tearing down its thread-locals).
    fn enter() -> Option<Self> {
        INSIDE
            .try_with(|c| {
                if c.get() {
                    None
                } else {
                    c.set(true);
                    Some(Inside(()))
                }
            })
            .ok()
            .flatten()
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = INSIDE.try_with(|c| c.set(false));
    }
}

/// Sets the calling thread's `errno`.
pub(crate) fn set_errno(e: i32) {
    // SAFETY: `__errno_location` returns the calling thread's errno slot, valid for the life of the thread.
    unsafe { *libc::__errno_location() = e };
}

/// The calling thread's `errno`.
pub(crate) fn errno() -> i32 {
    // SAFETY: as in `set_errno`.
    unsafe { *libc::__errno_location() }
}

/// What an interposed function decided.
pub(crate) enum Outcome<R> {
    /// Not the shim's business: call libc with the original arguments.
    Pass,
    /// Handled; return this.
    Done(R),
    /// Handled and failed: return the function's failure value with this errno.
    Fail(i32),
}

/// Runs `body` for an interposed call, inside the re-entrancy guard and `catch_unwind`: a panic becomes `fail` with
/// `EIO`. Calls made while this thread is already inside the shim, and calls `body` passes on, go to `real`
/// (outside the guard, so a signal handler interrupting a blocking libc call still sees the shim).
pub(crate) fn intercept<R>(
    fail: R,
    real: impl FnOnce() -> R,
    body: impl FnOnce() -> Outcome<R>,
) -> R {
    let outcome = {
        let Some(_inside) = Inside::enter() else {
            return real();
        };
        catch_unwind(AssertUnwindSafe(body)).unwrap_or(Outcome::Fail(libc::EIO))
    };
    match outcome {
        Outcome::Pass => real(),
        Outcome::Done(r) => r,
        Outcome::Fail(e) => {
            set_errno(e);
            fail
        }
    }
}

/// A C string argument as UTF-8, or `None` for NULL or non-UTF-8 (neither can name a fake path).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn c_str<'a>(p: *const libc::c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    unsafe { core::ffi::CStr::from_ptr(p) }.to_str().ok()
}
