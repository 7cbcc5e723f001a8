// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A file's VMs as debugfs shows them (`gpuvas`, the page table, the AS slot, the last fault, the tiler heaps).

use core::ops::Range;
use std::sync::Arc;

use kernel::error::Result;
use kernel::io_pgtable::{PtStats, Visit};
use kernel::page::PhysAddr;

use super::vm_check::{check_vm, Inconsistency};
use crate::drm_device::TyrDrmFile;
use crate::vm::bind::MAX_VMS_PER_FILE;
use crate::vm::{MmuFault, Vm};

pub use crate::vm::VaView;

/// A read-only view of one VM.
#[derive(Clone)]
pub struct VmView(pub(crate) Arc<Vm>);

/// The VMs of `f`, by id.
pub fn vms(f: &TyrDrmFile) -> Vec<VmView> {
    (1..=MAX_VMS_PER_FILE as u32)
        .filter_map(|id| f.data().vms().get(id).ok().map(VmView))
        .collect()
}

/// The VM `id` of `f` (`EINVAL` when there is none, as VM_GET_STATE says).
pub fn vm(f: &TyrDrmFile, id: u32) -> Result<VmView> {
    f.data().vms().get(id).map(VmView)
}

impl VmView {
    /// The VM id (the handle VM_CREATE returned; 0 for the MCU's VM).
    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// The GPUVM's name.
    pub fn name(&self) -> &'static str {
        self.0.gpuvm().name()
    }

    /// The whole VA space.
    pub fn va_range(&self) -> Range<u64> {
        self.0.gpuvm().va_range()
    }

    /// The kernel's part of the VA space (above the user VA range the VM was created with).
    pub fn kernel_area(&self) -> Range<u64> {
        self.0.layout().kernel()
    }

    /// Where kernel BOs get their VAs in this VM (`kernel_auto_va`).
    pub fn kernel_auto_va(&self) -> Range<u64> {
        self.0.kernel_va_area()
    }

    /// Whether the VM is unusable (`VM_GET_STATE`).
    pub fn is_unusable(&self) -> bool {
        self.0.is_unusable()
    }

    /// The AS slot the VM holds, if any.
    pub fn as_nr(&self) -> Option<u32> {
        self.0.as_nr()
    }

    /// The last MMU fault in this VM's address space.
    pub fn last_fault(&self) -> Option<MmuFault> {
        self.0.last_fault()
    }

    /// Bind jobs queued and not yet run.
    pub fn pending_binds(&self) -> usize {
        self.0.pending_binds()
    }

    /// The VA list, in address order (debugfs `gpuvas`).
    pub fn vas(&self) -> Vec<VaView> {
        self.0.vas()
    }

    /// The physical address `iova` translates to, 0 when unmapped.
    pub fn iova_to_phys(&self, iova: u64) -> PhysAddr {
        self.0.iova_to_phys(iova)
    }

    /// Page-table figures: tables per level, pages and blocks.
    pub fn pt_stats(&self) -> PtStats {
        self.0.pt_stats()
    }

    /// The page-table entries over `range`, level by level.
    pub fn pt_entries(&self, range: Range<u64>) -> Vec<Visit> {
        self.0.pt_entries(range)
    }

    /// The root table.
    pub fn pt_root(&self) -> PhysAddr {
        self.0.pt_root()
    }

    /// The page every page of a sparse mapping reads.
    pub fn dummy_page(&self) -> PhysAddr {
        self.0.dummy_page()
    }

    /// The chunks of the VM's tiler heap `id`, newest first, or `None` when there is no such heap.
    pub fn heap_chunks(&self, id: u32) -> Option<Vec<u64>> {
        self.0.heaps().as_ref().and_then(|p| p.chunks(id))
    }

    /// The consistency checker on this VM alone: the page table is exactly what the VA list says.
    pub fn check(&self) -> core::result::Result<(), Inconsistency> {
        check_vm(&self.0)
    }

    /// Runs the GPUVM's deferred vm_bo cleanup now (what the next bind would do first), so that a test sees the
    /// state after a failed call without a second call.
    pub fn deferred_cleanup(&self) {
        self.0.gpuvm().deferred_cleanup();
    }
}
