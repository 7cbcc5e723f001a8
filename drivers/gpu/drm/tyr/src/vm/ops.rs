// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Bind ops in two halves (see the [module documentation](super)): the fallible, allocating `prepare_*` in the
//! ioctl, and [`Vm::apply`]/[`Vm::execute`], which cannot fail or allocate, in the bind job.

use core::ops::Range;
use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::drm::gpuvm::{GpuVmBo, OpMapRequest, VaPrealloc, VmBoRef};
use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::io_pgtable::ReservedPtPool;

use super::update::PtUpdateContext;
use super::{flags_to_prot, Vm, VmData, BLOCK, PAGE};
use crate::gem::TyrObject;
use crate::uapi::map_flags;

/// What a prepared op does.
enum OpKind {
    Map {
        vm_bo: VmBoRef<VmData>,
        bo_offset: u64,
        chunks: Vec<(u64, u64)>,
        flags: u32,
    },
    MapSparse {
        flags: u32,
    },
    Unmap,
}

impl OpKind {
    /// The op's name in traces.
    fn name(&self) -> &'static str {
        match self {
            OpKind::Map { .. } => "map",
            OpKind::MapSparse { .. } => "map_sparse",
            OpKind::Unmap => "unmap",
        }
    }
}

/// A bind op with everything it needs allocated: [`Vm::execute`] applies it without failing or allocating.
pub(crate) struct PreparedOp {
    kind: OpKind,
    va: u64,
    size: u64,
    vas: VaPrealloc<VmData>,
    pt_pages: ReservedPtPool,
}

impl PreparedOp {
    /// The range the op locks in the MMU: the op's range widened to 2 MiB boundaries (a block split at either end
    /// re-maps inside them).
    pub(crate) fn lock_range(&self) -> Range<u64> {
        let start = self.va & !(BLOCK - 1);
        let end = self.va.saturating_add(self.size).saturating_add(BLOCK - 1) & !(BLOCK - 1);
        start..end.max(start)
    }
}

impl Vm {
    fn check_range(&self, va: u64, size: u64) -> Result {
        if size == 0 || !(va | size).is_multiple_of(PAGE) || !self.gpuvm.range_valid(va, size) {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// A user bind's range: valid for GPUVM and entirely below the kernel area (a MAP reaching into it is refused,
    /// as the IGT subtest `vm_bind_intersect_kbo_range` requires; so is an UNMAP).
    fn check_user_range(&self, va: u64, size: u64) -> Result {
        self.check_range(va, size)?;
        if va + size > self.layout.kernel_start {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Page-table pages an op can need: a map, the tables of its own range; any op, the tables of the 2 MiB blocks
    /// at either end of the range that a split re-maps with 4 KiB pages (Panthor's `panthor_vm_op_ctx_prealloc_pts`).
    fn pt_pages_for(kind: &OpKind, va: u64, size: u64) -> usize {
        let edges = 2 * ReservedPtPool::pages_needed(0, BLOCK);
        match kind {
            OpKind::Unmap => edges,
            _ => ReservedPtPool::pages_needed(va, size) + edges,
        }
    }

    fn prepare(&self, kind: OpKind, va: u64, size: u64) -> Result<PreparedOp> {
        // VA nodes left over by earlier ops first (a slab cache in the kernel), then fresh ones.
        let mut vas = VaPrealloc::empty(&self.gpuvm);
        {
            let mut cache = self.va_cache.lock();
            while let Some(node) = cache.take() {
                // Both hold at most three, so `vas` is never full here; were it, the spare node would just be freed.
                if let Err(spare) = vas.put(node) {
                    drop(spare);
                    break;
                }
            }
        }
        vas.top_up(3)?;
        // Table pages: what the cache holds, taken under its lock without allocating (the bind job takes that lock
        // while signalling, so nothing may ever allocate under it), then fresh frames for the rest, outside it.
        let needed = Self::pt_pages_for(&kind, va, size);
        let mut pt_pages = ReservedPtPool::new(self.ram.clone());
        pt_pages.reserve_slots(needed)?;
        let taken = pt_pages.take_from(&mut self.pt_cache.lock(), needed);
        if let Err(e) = pt_pages.reserve(needed - taken) {
            // Back to the cache (within its capacity, no allocation), so that a failed prepare leaves it as it was.
            pt_pages.drain_into(&mut self.pt_cache.lock());
            return Err(e);
        }
        Ok(PreparedOp {
            kind,
            va,
            size,
            vas,
            pt_pages,
        })
    }

    /// Prepares the map of `[va, va + size)` to `bo` at `bo_offset` with VM_BIND `flags` (no SPARSE): checks what
    /// Panthor checks (alignment, range, BO bounds, exclusivity), pins the BO's pages and obtains the vm_bo.
    pub(crate) fn prepare_map(
        self: &Arc<Self>,
        bo: &Arc<TyrObject>,
        bo_offset: u64,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        self.check_user_range(va, size)?;
        self.prepare_map_any(bo, bo_offset, va, size, flags)
    }

    /// Prepares the map of a kernel BO (ring buffers, sync objects, firmware sections) anywhere in the VA space,
    /// the kernel area included.
    pub(crate) fn prepare_map_kernel(
        self: &Arc<Self>,
        bo: &Arc<TyrObject>,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        self.prepare_map_any(bo, 0, va, size, flags)
    }

    fn prepare_map_any(
        self: &Arc<Self>,
        bo: &Arc<TyrObject>,
        bo_offset: u64,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        if flags & !(map_flags::READONLY | map_flags::NOEXEC | map_flags::UNCACHED) != 0 {
            return Err(EINVAL);
        }
        let bo_size = bo.gem().size();
        if !bo_offset.is_multiple_of(PAGE) || size > bo_size || bo_offset > bo_size - size {
            return Err(EINVAL);
        }
        // A BO exclusive to a VM shares that VM's resv: exclusive to another VM, it is external here — refused.
        if bo.exclusive_vm().is_some() && self.gpuvm.is_extobj(bo) {
            return Err(EINVAL);
        }
        self.check_range(va, size)?;
        if self.is_unusable() {
            return Err(EINVAL);
        }
        let chunks = bo.sg_range(bo_offset, size)?;
        let vm_bo = {
            let mut exec = self.gpuvm.exec_lock(1, &[bo.gem().resv()])?;
            GpuVmBo::obtain(&self.gpuvm, bo, (), &mut exec)?
        };
        self.prepare(
            OpKind::Map {
                vm_bo,
                bo_offset,
                chunks,
                flags,
            },
            va,
            size,
        )
    }

    /// Prepares a sparse map of `[va, va + size)`: every page reads the VM's dummy page. `flags` must hold SPARSE and
    /// NOEXEC.
    pub(crate) fn prepare_map_sparse(
        self: &Arc<Self>,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        let allowed =
            map_flags::READONLY | map_flags::NOEXEC | map_flags::UNCACHED | map_flags::SPARSE;
        if flags & !allowed != 0
            || flags & (map_flags::SPARSE | map_flags::NOEXEC)
                != map_flags::SPARSE | map_flags::NOEXEC
        {
            return Err(EINVAL);
        }
        self.check_user_range(va, size)?;
        if self.is_unusable() {
            return Err(EINVAL);
        }
        self.prepare(OpKind::MapSparse { flags }, va, size)
    }

    /// Prepares the unmap of `[va, va + size)`.
    pub(crate) fn prepare_unmap(self: &Arc<Self>, va: u64, size: u64) -> Result<PreparedOp> {
        self.check_user_range(va, size)?;
        self.prepare(OpKind::Unmap, va, size)
    }

    /// Prepares the unmap of a kernel BO's range (anywhere in the VA space).
    pub(crate) fn prepare_unmap_kernel(self: &Arc<Self>, va: u64, size: u64) -> Result<PreparedOp> {
        self.check_range(va, size)?;
        self.prepare(OpKind::Unmap, va, size)
    }

    /// Applies a prepared op in the fence-signalling path (the bind job): a [`PtUpdateContext`] locks the region in
    /// the MMU, GPUVM's steps write the page tables, the context flushes and unlocks the region. Nothing here
    /// allocates or takes a resv lock (the steps take the BOs' gpuva locks, which is allowed, and spare pages and VA
    /// nodes go back to the VM's caches under their locks, under which nothing ever allocates); the vm_bos the op
    /// released wait for [`Self::deferred_cleanup`], which the caller runs once it has signalled. A failure (which preparation rules out, but for an MMU that does not
    /// answer) marks the VM unusable.
    pub(crate) fn apply(&self, mut op: PreparedOp) -> Result {
        let span = tracing::debug_span!(
            "vm_bind_op",
            vm = self.id,
            op = op.kind.name(),
            va = op.va,
            size = op.size,
            result = tracing::field::Empty
        );
        let _entered = span.enter();
        let res = {
            let mut core = self.core();
            core::mem::swap(core.data().pt.alloc_mut(), &mut op.pt_pages);
            let (chunks, prot): (&[(u64, u64)], u32) = match &op.kind {
                OpKind::Map { chunks, flags, .. } => (chunks, flags_to_prot(*flags)),
                OpKind::MapSparse { flags } => (&[], flags_to_prot(*flags)),
                OpKind::Unmap => (&[], 0),
            };
            let res = PtUpdateContext::new(self, op.lock_range(), &mut op.vas, chunks, prot)
                .and_then(|mut ctx| {
                    let res = match &op.kind {
                        OpKind::Map {
                            vm_bo,
                            bo_offset,
                            flags,
                            ..
                        } => {
                            let req = OpMapRequest {
                                addr: op.va,
                                range: op.size,
                                gem_offset: *bo_offset,
                                vm_bo: Some(vm_bo),
                                flags: *flags,
                            };
                            core.sm_map(req, &mut ctx)
                        }
                        OpKind::MapSparse { flags } => {
                            let req = OpMapRequest {
                                addr: op.va,
                                range: op.size,
                                gem_offset: 0,
                                vm_bo: None,
                                flags: *flags,
                            };
                            core.sm_map(req, &mut ctx)
                        }
                        OpKind::Unmap => core.sm_unmap(op.va, op.size, &mut ctx),
                    };
                    // The flush runs whatever the steps did: a half-applied op must not stay cached either.
                    let flushed = ctx.finish();
                    res.and(flushed)
                });
            core::mem::swap(core.data().pt.alloc_mut(), &mut op.pt_pages);
            res
        };
        // Pages the op did not use go back to the cache (within its capacity: no allocation here) or to RAM.
        op.pt_pages.drain_into(&mut self.pt_cache.lock());
        {
            // Unused VA nodes (and those the steps freed) back to the cache: fixed slots, no allocation.
            let mut cache = self.va_cache.lock();
            while let Some(node) = op.vas.take() {
                if let Err(spare) = cache.put(node) {
                    // The cache is full: the node is freed (freeing is allowed while signalling).
                    drop(spare);
                    break;
                }
            }
        }
        if let Err(e) = res {
            span.record("result", e.to_errno());
            tracing::warn!(vm = self.id, "bind op failed: VM unusable");
            self.mark_unusable();
        }
        res
    }

    /// Applies a prepared op outside any fence-signalling path (a synchronous bind, kernel BOs, VM destruction):
    /// [`Self::apply`], then [`Self::deferred_cleanup`] at once (`panthor_vm_exec_op` followed by
    /// `panthor_vm_cleanup_op_ctx`).
    pub(crate) fn execute(&self, op: PreparedOp) -> Result {
        let res = self.apply(op);
        self.deferred_cleanup();
        res
    }
}
