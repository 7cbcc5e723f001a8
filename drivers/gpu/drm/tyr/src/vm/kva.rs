// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The kernel auto-VA area of a VM (`PANTHOR_VM_KERNEL_AUTO_VA`): where kernel BOs get their VAs.

use core::ops::Range;

use kernel::error::code::{EBUSY, EINVAL, ENOMEM};
use kernel::error::Result;

use super::{Vm, PAGE};

impl Vm {
    /// Allocates `size` bytes (a multiple of 4 KiB) of the VM's kernel auto-VA area, first fit, aligned to `align`
    /// (a power of two; `panthor_vm_alloc_va` with `PANTHOR_VM_KERNEL_AUTO_VA`). `ENOMEM` when it is full.
    pub(crate) fn alloc_kernel_va(&self, size: u64, align: u64) -> Result<u64> {
        if size == 0 || !size.is_multiple_of(PAGE) || !align.is_power_of_two() {
            return Err(EINVAL);
        }
        let mut kva = self.kva.lock();
        let area = self.auto_va.clone();
        let mut at = area.start.next_multiple_of(align.max(PAGE));
        for (&start, &end) in kva.iter() {
            if end <= at {
                continue;
            }
            if start >= at && start - at >= size {
                break;
            }
            at = end.next_multiple_of(align.max(PAGE));
        }
        if at.checked_add(size).is_none_or(|e| e > area.end) {
            return Err(ENOMEM);
        }
        kernel::alloc::check()?;
        kva.insert(at, at + size);
        Ok(at)
    }

    /// Reserves the fixed range `[va, va + size)` of the kernel auto-VA area (a firmware section at its own VA);
    /// ranges outside the area need no reservation. `EBUSY` if it overlaps an allocation.
    pub(crate) fn reserve_kernel_va(&self, va: u64, size: u64) -> Result {
        let end = va.checked_add(size).ok_or(EINVAL)?;
        if end <= self.auto_va.start || va >= self.auto_va.end {
            return Ok(());
        }
        let mut kva = self.kva.lock();
        if kva.range(..end).next_back().is_some_and(|(_, &e)| e > va) {
            return Err(EBUSY);
        }
        kernel::alloc::check()?;
        kva.insert(va, end);
        Ok(())
    }

    /// Gives back the kernel VA range that starts at `va`.
    pub(crate) fn free_kernel_va(&self, va: u64) {
        self.kva.lock().remove(&va);
    }

    /// The kernel auto-VA area.
    pub(crate) fn kernel_va_area(&self) -> Range<u64> {
        self.auto_va.clone()
    }
}
