//! The page-table update context (upstream Tyr's `PtUpdateContext`): the only way to change a VM's page table.
//!
//! Creating one locks the op's region in the VM's address space (AS LOCK); dropping it — or [`PtUpdateContext::finish`],
//! which also returns the outcome — flushes the region's translations and unlocks it (FLUSH_PT). It is the GPUVM step
//! context: `sm_map`/`sm_unmap` hand it to every step, and the steps are where the page table is written, so no
//! page-table change can happen outside a locked region.
//!
//! A LOCK or FLUSH that fails (the AS does not answer) is handled as Panthor's `panthor_vm_declare_unusable` does:
//! the VM is marked unusable, so every later bind and job on it fails, and its AS is disabled, which stops the jobs
//! running on it. Nothing here allocates: the context lives in the fence-signalling path of bind jobs.

use core::ops::Range;

use kernel::drm::gpuvm::{GpuVaAlloc, VaPrealloc};
use kernel::error::{Error, Result};

use super::{Vm, VmData};

/// An open page-table update over a locked region of a VM's address space.
pub struct PtUpdateContext<'a> {
    vm: &'a Vm,
    region: Range<u64>,
    /// VA nodes preallocated for the op's steps; the steps put back the nodes they free.
    pub(super) vas: &'a mut VaPrealloc<VmData>,
    /// The BO's physically contiguous chunks `(address, length)`, for a map of a BO.
    pub(super) chunks: &'a [(u64, u64)],
    /// The io-pgtable protection of a map.
    pub(super) prot: u32,
    /// Whether the region has been flushed and unlocked (or the flush was tried and failed).
    ended: bool,
}

impl<'a> PtUpdateContext<'a> {
    /// Locks `region` of `vm`'s address space (AS LOCK) and opens the update. A LOCK that fails marks the VM
    /// unusable, disables its AS and returns the error; nothing was changed.
    pub(super) fn new(
        vm: &'a Vm,
        region: Range<u64>,
        vas: &'a mut VaPrealloc<VmData>,
        chunks: &'a [(u64, u64)],
        prot: u32,
    ) -> Result<Self> {
        if let Err(e) = vm.mmu.lock_region(region.start, region.end - region.start) {
            vm.update_failed("LOCK", e);
            return Err(e);
        }
        Ok(PtUpdateContext { vm, region, vas, chunks, prot, ended: false })
    }

    /// The region locked.
    pub fn region(&self) -> Range<u64> {
        self.region.clone()
    }

    /// Puts a VA node a step freed back among the preallocated ones; when those are full, the node is freed
    /// (freeing is allowed while signalling).
    pub(super) fn keep_va(&mut self, node: GpuVaAlloc<VmData>) {
        if let Err(spare) = self.vas.put(node) {
            drop(spare);
        }
    }

    /// Flushes and unlocks the region (FLUSH_PT) and ends the update, returning whether the flush worked. On failure
    /// the VM has been marked unusable and its AS disabled.
    pub fn finish(mut self) -> Result {
        self.end()
    }

    fn end(&mut self) -> Result {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        self.vm.mmu.unlock_region().inspect_err(|&e: &Error| self.vm.update_failed("FLUSH_PT", e))
    }
}

impl Drop for PtUpdateContext<'_> {
    fn drop(&mut self) {
        // An update left without `finish` (an early return) still flushes and unlocks; a failure was handled by
        // `end` (VM unusable, AS disabled), so only its trace is left to write here.
        if let Err(e) = self.end() {
            tracing::debug!(vm = self.vm.id(), errno = e.to_errno(), "update context dropped after a failed flush");
        }
    }
}
