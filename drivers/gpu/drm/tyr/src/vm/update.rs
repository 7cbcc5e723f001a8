// SPDX-License-Identifier: GPL-2.0-only OR MIT
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
use crate::gem::SgView;

/// An open page-table update over a locked region of a VM's address space.
pub(crate) struct PtUpdateContext<'a> {
    vm: &'a Vm,
    /// VA nodes preallocated for the op's steps; the steps put back the nodes they free.
    pub(super) vas: &'a mut VaPrealloc<VmData>,
    /// The BO's physically contiguous chunks, for a map of a BO (empty otherwise).
    pub(super) chunks: SgView<'a>,
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
        chunks: SgView<'a>,
        prot: u32,
    ) -> Result<Self> {
        if let Err(e) = vm.mmu.lock_region(region.start, region.end - region.start) {
            vm.update_failed("LOCK", e);
            return Err(e);
        }
        Ok(PtUpdateContext {
            vm,
            vas,
            chunks,
            prot,
            ended: false,
        })
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
    pub(crate) fn finish(mut self) -> Result {
        self.end()
    }

    fn end(&mut self) -> Result {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        self.vm
            .mmu
            .unlock_region()
            .inspect_err(|&e: &Error| self.vm.update_failed("FLUSH_PT", e))
    }
}

impl Drop for PtUpdateContext<'_> {
    fn drop(&mut self) {
        // An update left without `finish` (an early return) still flushes and unlocks; a failure was handled by
        // `end` (VM unusable, AS disabled), so only its trace is left to write here.
        if let Err(e) = self.end() {
            tracing::debug!(
                vm = self.vm.id(),
                errno = e.to_errno(),
                "update context dropped after a failed flush"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use hw_mem::{Ram, RamConfig};
    use kernel::error::code::ETIMEDOUT;

    use super::*;
    use crate::gem::TyrObject;
    use crate::vm::{VaLayout, VmMmu};

    /// An MMU whose LOCK or FLUSH_PT can be made to fail, recording the commands it got.
    #[derive(Default)]
    struct ScriptedMmu {
        fail_lock: bool,
        fail_flush: bool,
        calls: Mutex<Vec<&'static str>>,
    }

    impl ScriptedMmu {
        fn note(&self, what: &'static str, fail: bool) -> Result {
            self.calls.lock().unwrap().push(what);
            if fail {
                Err(ETIMEDOUT)
            } else {
                Ok(())
            }
        }

        fn calls(&self) -> Vec<&'static str> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl VmMmu for ScriptedMmu {
        fn lock_region(&self, _iova: u64, _size: u64) -> Result {
            self.note("lock", self.fail_lock)
        }
        fn unlock_region(&self) -> Result {
            self.note("flush", self.fail_flush)
        }
        fn disable_after_failed_update(&self) -> Result {
            self.note("disable", false)
        }
    }

    fn setup(mmu: ScriptedMmu) -> (Arc<Ram>, Arc<ScriptedMmu>, Arc<Vm>) {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(32 << 20)).unwrap());
        let mmu = Arc::new(mmu);
        let vm = Vm::new(1, VaLayout::new(48, 0, 1 << 48).unwrap(), &ram, mmu.clone()).unwrap();
        (ram, mmu, vm)
    }

    #[test]
    fn an_op_is_bracketed_by_one_lock_and_one_flush() {
        let (ram, mmu, vm) = setup(ScriptedMmu::default());
        let bo = TyrObject::new(&ram, 0x4000, 0, None).unwrap();
        vm.execute(vm.prepare_map(&bo, 0, 0x10_0000, 0x4000, 0).unwrap())
            .unwrap();
        vm.execute(vm.prepare_unmap(0x10_0000, 0x1000).unwrap())
            .unwrap();
        assert_eq!(mmu.calls(), ["lock", "flush", "lock", "flush"]);
        assert!(!vm.is_unusable());
        assert_eq!(vm.leaves().len(), 3);
    }

    #[test]
    fn a_lock_that_fails_changes_nothing_and_makes_the_vm_unusable_with_its_as_disabled() {
        let (ram, mmu, vm) = setup(ScriptedMmu {
            fail_lock: true,
            ..Default::default()
        });
        let bo = TyrObject::new(&ram, 0x4000, 0, None).unwrap();
        let op = vm.prepare_map(&bo, 0, 0x10_0000, 0x4000, 0).unwrap();
        assert_eq!(vm.execute(op), Err(ETIMEDOUT));
        assert_eq!(
            mmu.calls(),
            ["lock", "disable"],
            "no flush of a region never locked"
        );
        assert!(vm.is_unusable());
        assert!(
            vm.leaves().is_empty(),
            "no page-table change outside a locked region"
        );
        assert!(vm.vas().is_empty());
    }

    #[test]
    fn a_flush_that_fails_makes_the_vm_unusable_with_its_as_disabled() {
        let (ram, mmu, vm) = setup(ScriptedMmu {
            fail_flush: true,
            ..Default::default()
        });
        let bo = TyrObject::new(&ram, 0x4000, 0, None).unwrap();
        let op = vm.prepare_map(&bo, 0, 0x10_0000, 0x4000, 0).unwrap();
        assert_eq!(vm.execute(op), Err(ETIMEDOUT));
        assert_eq!(mmu.calls(), ["lock", "flush", "disable"]);
        assert!(vm.is_unusable());
    }

    #[test]
    fn dropping_the_context_flushes_once_and_handles_a_failure() {
        let (_ram, mmu, vm) = setup(ScriptedMmu {
            fail_flush: true,
            ..Default::default()
        });
        let mut vas = VaPrealloc::empty(vm.gpuvm());
        drop(PtUpdateContext::new(&vm, 0..0x1000, &mut vas, SgView::default(), 0).unwrap());
        assert_eq!(mmu.calls(), ["lock", "flush", "disable"]);
        assert!(vm.is_unusable());

        let (_ram, mmu, vm) = setup(ScriptedMmu::default());
        let mut vas = VaPrealloc::empty(vm.gpuvm());
        let ctx = PtUpdateContext::new(&vm, 0..0x1000, &mut vas, SgView::default(), 0).unwrap();
        assert_eq!(ctx.finish(), Ok(()));
        assert_eq!(
            mmu.calls(),
            ["lock", "flush"],
            "finish flushed; the drop after it did not flush again"
        );
        assert!(!vm.is_unusable());
    }
}
