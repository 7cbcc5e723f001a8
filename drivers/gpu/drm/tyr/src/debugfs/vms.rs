// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A file's VMs as debugfs shows them (`gpuvas`, the page table, the AS slot, the last fault, the tiler heaps).

use core::ops::Range;
use std::sync::Arc;

use kernel::error::Result;
use kernel::io_pgtable::{PtStats, Visit};
use kernel::page::PhysAddr;

use super::vm_check::{check_vm, Inconsistency};
use crate::drm_device::TyrDrmFile;
use crate::sched::heap::HeapSlot;
use crate::vm::{MmuFault, Vm};

pub use crate::vm::VaView;

/// A read-only view of one VM.
#[derive(Clone)]
pub struct VmView {
    pub(crate) vm: Arc<Vm>,
    /// Its tiler heaps (a user VM that has a heap slot).
    heaps: Option<Arc<HeapSlot>>,
}

impl VmView {
    /// The view of `vm`, one of `f`'s.
    fn of_file(f: &TyrDrmFile, vm: Arc<Vm>) -> VmView {
        let heaps = f.data().find_heap_slot(&vm);
        VmView { vm, heaps }
    }

    /// The view of a VM that has no heaps (the MCU's).
    pub(crate) fn without_heaps(vm: Arc<Vm>) -> VmView {
        VmView { vm, heaps: None }
    }
}

/// The VMs of `f`, by id.
pub fn vms(f: &TyrDrmFile) -> Vec<VmView> {
    f.data()
        .vms()
        .all()
        .into_iter()
        .map(|vm| VmView::of_file(f, vm))
        .collect()
}

/// The VM `id` of `f` (`EINVAL` when there is none, as VM_GET_STATE says).
pub fn vm(f: &TyrDrmFile, id: u32) -> Result<VmView> {
    f.data().vms().get(id).map(|vm| VmView::of_file(f, vm))
}

impl VmView {
    /// The VM id (the handle VM_CREATE returned; 0 for the MCU's VM).
    pub fn id(&self) -> u32 {
        self.vm.id()
    }

    /// The GPUVM's name.
    pub fn name(&self) -> &'static str {
        self.vm.gpuvm().name()
    }

    /// The whole VA space.
    pub fn va_range(&self) -> Range<u64> {
        self.vm.gpuvm().va_range()
    }

    /// The kernel's part of the VA space (above the user VA range the VM was created with).
    pub fn kernel_area(&self) -> Range<u64> {
        self.vm.layout().kernel()
    }

    /// Where kernel BOs get their VAs in this VM (`kernel_auto_va`).
    pub fn kernel_auto_va(&self) -> Range<u64> {
        self.vm.kernel_va_area()
    }

    /// Whether the VM is unusable (`VM_GET_STATE`).
    pub fn is_unusable(&self) -> bool {
        self.vm.is_unusable()
    }

    /// The AS slot the VM holds, if any.
    pub fn as_nr(&self) -> Option<u32> {
        self.vm.as_nr()
    }

    /// The last MMU fault in this VM's address space.
    pub fn last_fault(&self) -> Option<MmuFault> {
        self.vm.last_fault()
    }

    /// Bind jobs queued and not yet run.
    pub fn pending_binds(&self) -> usize {
        self.vm.pending_binds()
    }

    /// The VA list, in address order (debugfs `gpuvas`).
    pub fn vas(&self) -> Vec<VaView> {
        self.vm.vas()
    }

    /// The physical address `iova` translates to, 0 when unmapped.
    pub fn iova_to_phys(&self, iova: u64) -> PhysAddr {
        self.vm.iova_to_phys(iova)
    }

    /// Page-table figures: tables per level, pages and blocks.
    pub fn pt_stats(&self) -> PtStats {
        self.vm.pt_stats()
    }

    /// The page-table entries over `range`, level by level.
    pub fn pt_entries(&self, range: Range<u64>) -> Vec<Visit> {
        self.vm.pt_entries(range)
    }

    /// The root table.
    pub fn pt_root(&self) -> PhysAddr {
        self.vm.pt_root()
    }

    /// The page every page of a sparse mapping reads.
    pub fn dummy_page(&self) -> PhysAddr {
        self.vm.dummy_page()
    }

    /// The chunks of the VM's tiler heap `id`, newest first, or `None` when there is no such heap.
    pub fn heap_chunks(&self, id: u32) -> Option<Vec<u64>> {
        let slot = self.heaps.as_ref()?;
        let pool = slot.lock();
        pool.as_ref().and_then(|p| p.chunks(id))
    }

    /// The consistency checker on this VM alone: the page table is exactly what the VA list says.
    pub fn check(&self) -> core::result::Result<(), Inconsistency> {
        check_vm(&self.vm)
    }

    /// Runs the GPUVM's deferred vm_bo cleanup now (what the next bind would do first), so that a test sees the
    /// state after a failed call without a second call.
    pub fn deferred_cleanup(&self) {
        self.vm.gpuvm().deferred_cleanup();
    }
}
