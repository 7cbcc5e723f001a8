// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Bind ops in two halves (see the [module documentation](super)): the fallible, allocating `prepare_*` in the
//! ioctl, and [`Vm::apply`]/[`Vm::execute`], which cannot fail or allocate, in the bind job.

use core::ops::Range;
use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::drm::gpuvm::{GpuVmBo, GpuVmCore, OpMapRequest, VmBoRef};
use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::io_pgtable::ReservedPtPool;

use super::cache::OpResources;
use super::update::PtUpdateContext;
use super::{flags_to_prot, Vm, VmData, BLOCK, PAGE};
use crate::gem::{SgView, TyrObject};
use crate::uapi::map_flags;

/// What a prepared op does.
pub(super) enum OpKind {
    /// A map of `vm_bo`'s object from `bo_offset`, whose pages were pinned when the op was prepared.
    Map {
        vm_bo: VmBoRef<VmData>,
        bo_offset: u64,
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

/// A bind op checked, its BO's pages pinned and its vm_bo obtained, before its VA nodes and page-table pages are
/// taken: [`Vm::reserve`] makes it a [`PreparedOp`], or a synchronous bind applies it at once
/// ([`Vm::execute_pending`]).
pub(crate) struct PendingOp {
    kind: OpKind,
    va: u64,
    size: u64,
}

impl PendingOp {
    /// The op's span in traces.
    pub(super) fn span(&self, vm: &Vm) -> tracing::Span {
        op_span(vm.id, &self.kind, self.va, self.size)
    }

    /// What the op does.
    pub(super) fn kind(&self) -> &OpKind {
        &self.kind
    }

    /// Its first address.
    pub(super) fn va(&self) -> u64 {
        self.va
    }

    /// Its length.
    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// The VA nodes and page-table pages the op can need.
    pub(super) fn needs(&self) -> (usize, usize) {
        (
            Vm::va_nodes_for(&self.kind),
            Vm::pt_pages_for(&self.kind, self.va, self.size),
        )
    }
}

/// A bind op with everything it needs allocated: [`Vm::execute`] applies it without failing or allocating.
pub(crate) struct PreparedOp {
    kind: OpKind,
    va: u64,
    size: u64,
    res: OpResources,
}

/// The span of an op of VM `vm` in traces.
fn op_span(vm: u32, kind: &OpKind, va: u64, size: u64) -> tracing::Span {
    tracing::debug_span!(
        "vm_bind_op",
        vm,
        op = kind.name(),
        va,
        size,
        result = tracing::field::Empty
    )
}

/// The range an op over `[va, va + size)` locks in the MMU: widened to 2 MiB boundaries (a block split at either end
/// re-maps inside them).
fn lock_range(va: u64, size: u64) -> Range<u64> {
    let start = va & !(BLOCK - 1);
    let end = va.saturating_add(size).saturating_add(BLOCK - 1) & !(BLOCK - 1);
    start..end.max(start)
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

    /// VA nodes an op can need: a map, the new VA and the two pieces of a VA it splits; an unmap, the two pieces of a
    /// VA it splits (each piece's node comes back before the next split).
    fn va_nodes_for(kind: &OpKind) -> usize {
        match kind {
            OpKind::Unmap => 2,
            _ => 3,
        }
    }

    /// Takes what `op` can need: VA nodes and table pages left over by earlier ops first (slab caches in the
    /// kernel), then fresh ones. On failure nothing changed but the vm_bo reference `op` holds, which goes.
    pub(crate) fn reserve(&self, op: PendingOp) -> Result<PreparedOp> {
        let (nodes, pages) = op.needs();
        let res = self.take_op_resources(nodes, pages)?;
        let PendingOp { kind, va, size } = op;
        Ok(PreparedOp {
            kind,
            va,
            size,
            res,
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
        let op = self.pending_map(bo.clone(), bo_offset, va, size, flags)?;
        self.reserve(op)
    }

    /// [`Self::prepare_map`] without its VA nodes and pages, given a reference to the BO to keep: a new vm_bo takes
    /// it over (VM_BIND passes the one its handle lookup took).
    pub(crate) fn pending_map(
        self: &Arc<Self>,
        bo: Arc<TyrObject>,
        bo_offset: u64,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PendingOp> {
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
        let op = self.prepare_map_any(bo.clone(), 0, va, size, flags)?;
        self.reserve(op)
    }

    fn prepare_map_any(
        self: &Arc<Self>,
        bo: Arc<TyrObject>,
        bo_offset: u64,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PendingOp> {
        if flags & !(map_flags::READONLY | map_flags::NOEXEC | map_flags::UNCACHED) != 0 {
            return Err(EINVAL);
        }
        let bo_size = bo.gem().size();
        if !bo_offset.is_multiple_of(PAGE) || size > bo_size || bo_offset > bo_size - size {
            return Err(EINVAL);
        }
        // A BO exclusive to a VM shares that VM's resv: exclusive to another VM, it is external here — refused.
        if bo.exclusive_vm().is_some() && self.gpuvm.is_extobj(&bo) {
            return Err(EINVAL);
        }
        self.check_range(va, size)?;
        if self.is_unusable() {
            return Err(EINVAL);
        }
        // The pages are pinned now; the job reads their chunks in place.
        bo.sg_view(bo_offset, size)?;
        let vm_bo = {
            // The VM resv alone guards the VM's vm_bo lists, as in `panthor_vm_prepare_map_op_ctx`.
            let mut resv = self.gpuvm.resv().lock();
            GpuVmBo::obtain_owned(&self.gpuvm, bo, (), &mut resv)?
        };
        Ok(PendingOp {
            kind: OpKind::Map {
                vm_bo,
                bo_offset,
                flags,
            },
            va,
            size,
        })
    }

    /// Prepares a sparse map of `[va, va + size)`: every page reads the VM's dummy page. `flags` must hold SPARSE and
    /// NOEXEC.
    #[cfg(test)]
    pub(crate) fn prepare_map_sparse(
        self: &Arc<Self>,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        let op = self.pending_map_sparse(va, size, flags)?;
        self.reserve(op)
    }

    /// [`Self::prepare_map_sparse`] without its VA nodes and pages.
    pub(crate) fn pending_map_sparse(&self, va: u64, size: u64, flags: u32) -> Result<PendingOp> {
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
        Ok(PendingOp {
            kind: OpKind::MapSparse { flags },
            va,
            size,
        })
    }

    /// Prepares the unmap of `[va, va + size)`.
    pub(crate) fn prepare_unmap(self: &Arc<Self>, va: u64, size: u64) -> Result<PreparedOp> {
        let op = self.pending_unmap(va, size)?;
        self.reserve(op)
    }

    /// [`Self::prepare_unmap`] without its VA nodes and pages.
    pub(crate) fn pending_unmap(&self, va: u64, size: u64) -> Result<PendingOp> {
        self.check_user_range(va, size)?;
        Ok(PendingOp {
            kind: OpKind::Unmap,
            va,
            size,
        })
    }

    /// Prepares the unmap of a kernel BO's range (anywhere in the VA space).
    pub(crate) fn prepare_unmap_kernel(self: &Arc<Self>, va: u64, size: u64) -> Result<PreparedOp> {
        self.check_range(va, size)?;
        self.reserve(PendingOp {
            kind: OpKind::Unmap,
            va,
            size,
        })
    }

    /// Applies a prepared op in the fence-signalling path (the bind job): a [`PtUpdateContext`] locks the region in
    /// the MMU, GPUVM's steps write the page tables, the context flushes and unlocks the region. Nothing here
    /// allocates or takes a resv lock (the steps take the BOs' gpuva locks, which is allowed, and spare pages and VA
    /// nodes go back to the VM's caches under their locks, under which nothing ever allocates); the vm_bos the op
    /// released wait for [`Self::deferred_cleanup`], which the caller runs once it has signalled. A failure (which preparation rules out, but for an MMU that does not
    /// answer) marks the VM unusable.
    pub(crate) fn apply(&self, op: PreparedOp) -> Result {
        let span = op_span(self.id, &op.kind, op.va, op.size);
        let _entered = span.enter();
        let PreparedOp {
            kind,
            va,
            size,
            mut res,
        } = op;
        let result = self.apply_locked(&mut self.core(), &kind, va, size, &mut res);
        // Pages and VA nodes the op did not use (and those its steps freed) go back to the caches: fixed room, no
        // allocation.
        self.give_back_op_resources(res);
        // The op's vm_bo reference goes here: a last one only queues the pair for `deferred_cleanup`.
        drop(kind);
        self.note_result(&span, result)
    }

    /// A failed op (which preparation rules out, but for an MMU that does not answer) makes the VM unusable.
    pub(super) fn note_result(&self, span: &tracing::Span, result: Result) -> Result {
        if let Err(e) = result {
            span.record("result", e.to_errno());
            tracing::warn!(vm = self.id, "bind op failed: VM unusable");
            self.mark_unusable();
        }
        result
    }

    /// The op's page-table update, with the op lock held (`core`): a [`PtUpdateContext`] locks the region in the
    /// MMU, GPUVM's steps write the page tables drawing on `res`, the context flushes and unlocks the region. Neither
    /// allocates nor takes a resv lock.
    pub(super) fn apply_locked(
        &self,
        core: &mut GpuVmCore<VmData>,
        kind: &OpKind,
        va: u64,
        size: u64,
        res: &mut OpResources,
    ) -> Result {
        let lock_range = lock_range(va, size);
        // A map's chunks, read in place: the pages were pinned when the op was prepared.
        let (sg, prot) = match kind {
            OpKind::Map {
                vm_bo,
                bo_offset,
                flags,
            } => (
                vm_bo.obj().pinned_sg_view(*bo_offset, size),
                flags_to_prot(*flags),
            ),
            OpKind::MapSparse { flags } => (Some(SgView::default()), flags_to_prot(*flags)),
            OpKind::Unmap => (Some(SgView::default()), 0),
        };
        // Preparation pinned them; were they not, the op fails before anything is touched.
        let Some(sg) = sg else {
            return Err(EINVAL);
        };
        core::mem::swap(core.data().pt.alloc_mut(), &mut res.pt_pages);
        let result =
            PtUpdateContext::new(self, lock_range, &mut res.vas, sg, prot).and_then(|mut ctx| {
                let stepped = match kind {
                    OpKind::Map {
                        vm_bo,
                        bo_offset,
                        flags,
                    } => {
                        let req = OpMapRequest {
                            addr: va,
                            range: size,
                            gem_offset: *bo_offset,
                            vm_bo: Some(vm_bo),
                            flags: *flags,
                        };
                        core.sm_map(req, &mut ctx)
                    }
                    OpKind::MapSparse { flags } => {
                        let req = OpMapRequest {
                            addr: va,
                            range: size,
                            gem_offset: 0,
                            vm_bo: None,
                            flags: *flags,
                        };
                        core.sm_map(req, &mut ctx)
                    }
                    OpKind::Unmap => core.sm_unmap(va, size, &mut ctx),
                };
                // The flush runs whatever the steps did: a half-applied op must not stay cached either.
                let flushed = ctx.finish();
                stepped.and(flushed)
            });
        core::mem::swap(core.data().pt.alloc_mut(), &mut res.pt_pages);
        result
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
