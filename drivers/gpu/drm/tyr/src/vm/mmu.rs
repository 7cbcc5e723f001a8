// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What a VM needs of the MMU: the fault it reports and the address-space slot client ([`VmMmu`]).

use std::sync::Arc;

use kernel::error::Result;
use kernel::page::PhysAddr;

/// A GPU page fault in a VM's address space, as the MMU interrupt reported it
/// (`Documentation/hardware.md#mmu_control-and-address-spaces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmuFault {
    /// The address space that faulted.
    pub as_nr: u32,
    /// The faulting GPU VA.
    pub addr: u64,
    /// AS_FAULTSTATUS bits 7:0 (e.g. 0xC0 | level for a translation fault, 0xC8 | level for a permission fault).
    pub exception_type: u32,
    /// AS_FAULTSTATUS bits 9:8: 0 atomic, 1 execute, 2 read, 3 write.
    pub access_type: u32,
    /// AS_FAULTSTATUS bits 31:16.
    pub source_id: u32,
}

/// What a VM asks of the MMU (its address-space slot client, [`crate::mmu::AsClient`]): an address-space slot while
/// the GPU runs work on it, and around page-table updates the region lock (AS LOCK) before and the flush (FLUSH_PT,
/// which also unlocks) after. A VM that holds no slot has nothing cached and the lock calls do nothing.
///
/// The VM calls [`VmMmu::lock_region`] and [`VmMmu::unlock_region`] with its op lock held, and [`VmMmu::activate`]
/// with it held too: a VM without a slot at the start of an update cannot get one before its end.
pub(crate) trait VmMmu: Send + Sync {
    /// Locks `[iova, iova + size)` of this VM's address space, if it has one. An error when the AS did not take
    /// the command (`ETIMEDOUT`).
    fn lock_region(&self, iova: u64, size: u64) -> Result;
    /// Flushes the page-table caches over the locked region and unlocks it. An error when the AS did not take the
    /// command.
    fn unlock_region(&self) -> Result;
    /// Disables the AS after a LOCK or FLUSH that failed, which stops the jobs on it (`panthor_mmu_as_disable` from
    /// `panthor_vm_declare_unusable`).
    fn disable_after_failed_update(&self) -> Result {
        Ok(())
    }
    /// Where faults in this VM's address space are reported.
    fn set_fault_handler(&self, _f: Box<dyn Fn(MmuFault) + Send + Sync>) {}
    /// Takes (or keeps) a slot programmed with the root table `transtab` and the memory attributes of the page
    /// table's `mair` (the MMU encodes them as the slot's MEMATTR); returns its number.
    fn activate(self: Arc<Self>, _transtab: PhysAddr, _mair: u64) -> Result<u32> {
        Err(kernel::error::code::ENODEV)
    }
    /// One user of the slot fewer.
    fn idle(&self) {}
    /// The slot held, if any.
    fn as_nr(&self) -> Option<u32> {
        None
    }
    /// Whether a fault in this VM's address space has not been handled by re-activating it.
    fn has_unhandled_faults(&self) -> bool {
        false
    }
    /// Handles now any fault the MMU raised and its interrupt thread has not handled yet.
    fn sync_faults(&self) {}
    /// Whether [`VmMmu::activate`] would find a slot now.
    fn can_activate(&self) -> bool {
        false
    }
    /// Sets who the MMU tells, device-wide, after it handled faults (the scheduler).
    fn set_fault_notify(&self, _f: Option<Arc<dyn Fn() + Send + Sync>>) {}
}

/// An MMU hook for a VM that is never made active (tests of the VA and page-table logic alone).
#[cfg(test)]
pub(crate) struct NoMmu;

#[cfg(test)]
impl VmMmu for NoMmu {
    fn lock_region(&self, _iova: u64, _size: u64) -> Result {
        Ok(())
    }
    fn unlock_region(&self) -> Result {
        Ok(())
    }
}
