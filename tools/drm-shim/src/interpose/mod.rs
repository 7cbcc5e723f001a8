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

pub(super) fn check(r: c_int) -> Outcome<c_int> {
    if r < 0 {
        Outcome::Fail(errno())
    } else {
        Outcome::Done(r)
    }
}

mod descriptors;
mod dirs;
mod links;
mod memory;
mod open;
mod signals;
mod stat;
mod sysfs_io;
mod sysinfo;
