// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The layout of a VM's address space: the user area and the kernel area above it.

use core::ops::Range;

use kernel::error::code::EINVAL;
use kernel::error::Result;

/// The layout of a VM's address space (`VM_CREATE`: `Documentation/uapi.md#vm_create` and
/// `Documentation/uapi.md#gpu-va-layout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VaLayout {
    /// Bits of GPU VA (`mmu_features` bits 7:0).
    pub(crate) va_bits: u32,
    /// Start of the kernel area; the user area is `[0, kernel_start)`.
    pub(crate) kernel_start: u64,
}

impl VaLayout {
    /// Computes the layout for a `VM_CREATE` asking for `user_va_range` (0: the default) from a task whose address
    /// space is `task_size` bytes. `EINVAL` as Panthor refuses.
    pub(crate) fn new(va_bits: u32, user_va_range: u64, task_size: u64) -> Result<VaLayout> {
        const SZ_256M: u64 = 256 << 20;
        if va_bits >= 64 {
            return Err(EINVAL);
        }
        let full = 1u64 << va_bits;
        if full < SZ_256M {
            return Err(EINVAL);
        }
        let max_user = full - SZ_256M;
        if user_va_range > max_user {
            return Err(EINVAL);
        }
        let mut user = if user_va_range != 0 {
            user_va_range
        } else if task_size < full {
            task_size
        } else if full <= 1 << 32 {
            full - SZ_256M
        } else {
            full / 2
        };
        user = user.min(max_user);
        let kernel_range = prev_power_of_two(full - user);
        Ok(VaLayout {
            va_bits,
            kernel_start: full - kernel_range,
        })
    }

    /// The whole VA space.
    pub(crate) fn full(&self) -> Range<u64> {
        0..1u64 << self.va_bits
    }

    /// The kernel area.
    pub(crate) fn kernel(&self) -> Range<u64> {
        self.kernel_start..1u64 << self.va_bits
    }
}

fn prev_power_of_two(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        1 << (63 - x.leading_zeros())
    }
}
