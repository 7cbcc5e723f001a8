// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The errno values the models report (Linux's `include/uapi/asm-generic/errno-base.h` numbers).

/// Entry exists.
pub const EEXIST: i32 = 17;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Result out of range.
pub const ERANGE: i32 = 34;
/// Out of memory.
pub const ENOMEM: i32 = 12;
