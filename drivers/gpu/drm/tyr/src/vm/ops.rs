// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Bind ops in two halves (see the [module documentation](super)): the fallible, allocating `prepare_*` in the
//! ioctl, and [`Vm::apply`]/[`Vm::execute`], which cannot fail or allocate, in the bind job.

use core::ops::Range;
use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::drm::gpuvm::{GpuVmBo, OpMapRequest, VmBoRef};
use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::io_pgtable::ReservedPtPool;

use super::cache::OpResources;
use super::update::PtUpdateContext;
use super::{flags_to_prot, Vm, VmData, BLOCK, PAGE};
use crate::gem::{SgView, TyrObject};
use crate::uapi::map_flags;

/// What a prepared op does.
enum OpKind {
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

/// A bind op with everything it needs allocated: [`Vm::execute`] applies it without failing or allocating.
pub(crate) struct PreparedOp {
    kind: OpKind,
    va: u64,
    size: u64,
    res: OpResources,
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

    fn prepare(&self, kind: OpKind, va: u64, size: u64) -> Result<PreparedOp> {
        // VA nodes and table pages left over by earlier ops first (slab caches in the kernel), then fresh ones.
        let res = self.take_op_resources(
            Self::va_nodes_for(&kind),
            Self::pt_pages_for(&kind, va, size),
        )?;
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
        // The pages are pinned now; the job reads their chunks in place.
        bo.sg_view(bo_offset, size)?;
        let vm_bo = {
            // The VM resv alone guards the VM's vm_bo lists, as in `panthor_vm_prepare_map_op_ctx`.
            let mut resv = self.gpuvm.resv().lock();
            GpuVmBo::obtain(&self.gpuvm, bo, (), &mut resv)?
        };
        self.prepare(
            OpKind::Map {
                vm_bo,
                bo_offset,
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
    pub(crate) fn apply(&self, op: PreparedOp) -> Result {
        let span = tracing::debug_span!(
            "vm_bind_op",
            vm = self.id,
            op = op.kind.name(),
            va = op.va,
            size = op.size,
            result = tracing::field::Empty
        );
        let _entered = span.enter();
        let PreparedOp {
            kind,
            va,
            size,
            mut res,
        } = op;
        let lock_range = lock_range(va, size);
        // A map's chunks, read in place: the pages were pinned when the op was prepared.
        let (sg, prot) = match &kind {
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
        let result = match sg {
            // Preparation pinned them; were they not, the op fails before anything is touched.
            None => Err(EINVAL),
            Some(sg) => {
                let mut core = self.core();
                core::mem::swap(core.data().pt.alloc_mut(), &mut res.pt_pages);
                let result = PtUpdateContext::new(self, lock_range, &mut res.vas, sg, prot)
                    .and_then(|mut ctx| {
                        let stepped = match &kind {
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
        };
        // Pages and VA nodes the op did not use (and those its steps freed) go back to the caches: fixed room, no
        // allocation.
        self.give_back_op_resources(res);
        // The op's vm_bo reference goes here: a last one only queues the pair for `deferred_cleanup`.
        drop(kind);
        if let Err(e) = result {
            span.record("result", e.to_errno());
            tracing::warn!(vm = self.id, "bind op failed: VM unusable");
            self.mark_unusable();
        }
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
