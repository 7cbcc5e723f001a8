// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The page-table half of GPUVM's steps: [`VmData`], the VM's data in GPUVM, writes the page tables in each map,
//! unmap and remap step as GPUVM hands it over (`panthor_gpuva_sm_step_*`), splitting 2 MiB blocks where a remap
//! cuts through one and pointing sparse mappings at the dummy page.

use core::ops::Range;
use std::sync::Arc;

use kernel::drm::gpuvm::{DriverGpuVm, OpMap, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped};
use kernel::error::code::ENOMEM;
use kernel::error::Result;
use kernel::io_pgtable::{prot, ArmLpaeS1, EntryKind, IoPageTable, ReservedPtPool};
use kernel::page::{PhysAddr, Ram};

use super::cache::OpResources;
use super::pgtable::{map_range, map_sg, unmap_range};
use super::update::PtUpdateContext;
use super::{BLOCK, PAGE};
use crate::gem::TyrDriver;

/// The VM's own part of GPUVM: the page table, the dummy page of sparse mappings, and what the last synchronous op
/// left over.
///
/// # Invariants
/// `dummy` is a frame of `ram` owned by this VM, freed when it drops.
pub(crate) struct VmData {
    pub(crate) pt: ArmLpaeS1<ReservedPtPool>,
    pub(super) ram: Arc<Ram>,
    pub(crate) dummy: PhysAddr,
    /// VA nodes and page-table pages the last synchronous op did not use, kept under the op lock for the next one
    /// ([`super::Vm::execute_pending`]). It refers to the VM's GPUVM, so the VM empties it when it goes.
    pub(crate) sync_spare: Option<OpResources>,
}

impl Drop for VmData {
    fn drop(&mut self) {
        if self.ram.free_frame(self.dummy).is_err() {
            tracing::error!(
                frame = self.dummy,
                "VM dummy page: freeing it failed, the frame is leaked"
            );
        }
    }
}

/// Per-VA driver data: the protection the VA was mapped with (re-used when a remap re-maps surviving pieces).
#[derive(Clone, Copy, Debug)]
pub(crate) struct VaInfo {
    /// io-pgtable protection.
    pub(crate) prot: u32,
}

impl VmData {
    /// Maps `[iova, iova + size)` to the dummy page, page by page.
    fn map_dummy(&mut self, iova: u64, size: u64, prot: u32) -> Result {
        let mut off = 0;
        while off < size {
            if let Err(e) = map_range(&mut self.pt, iova + off, self.dummy, PAGE, prot) {
                // Only what this call mapped is removed, which cannot fail; if it did, the caller's failure already
                // makes the VM unusable.
                if let Err(r) = unmap_range(&mut self.pt, iova, off) {
                    tracing::error!(
                        iova,
                        size = off,
                        errno = r.to_errno(),
                        "sparse map rollback failed"
                    );
                }
                return Err(e);
            }
            off += PAGE;
        }
        Ok(())
    }

    /// Whether `iova` is mapped by a 2 MiB block.
    fn in_block(&self, iova: u64) -> bool {
        self.pt
            .walk(iova as usize)
            .entries()
            .last()
            .is_some_and(|e| e.kind == EntryKind::Block)
    }

    /// Unmaps `range` of a VA mapped with `prot`, widening either end that falls inside a 2 MiB block to the block
    /// and re-mapping what lies outside `range` (physically contiguous inside a block) with 4 KiB pages.
    fn unmap_widened(&mut self, range: Range<u64>, prot: u32) -> Result {
        let (start, end) = (range.start, range.end);
        let head = (start % BLOCK != 0 && self.in_block(start)).then(|| {
            let base = start & !(BLOCK - 1);
            (base, self.pt.iova_to_phys(base as usize))
        });
        let tail = (end % BLOCK != 0 && self.in_block(end - 1))
            .then(|| (end, self.pt.iova_to_phys(end as usize)));
        let wstart = head.map_or(start, |(b, _)| b);
        let wend = tail.map_or(end, |(e, _)| (e + BLOCK - 1) & !(BLOCK - 1));
        unmap_range(&mut self.pt, wstart, wend - wstart)?;
        if let Some((base, pa)) = head {
            map_range(&mut self.pt, base, pa, start - base, prot)?;
        }
        if let Some((at, pa)) = tail {
            map_range(&mut self.pt, at, pa, wend - at, prot)?;
        }
        Ok(())
    }
}

impl DriverGpuVm for VmData {
    type Driver = TyrDriver;
    type VaData = VaInfo;
    type VmBoData = ();
    type SmContext<'ctx> = PtUpdateContext<'ctx>;

    fn sm_step_map<'op>(
        &mut self,
        op: OpMap<'op, Self>,
        ctx: &mut PtUpdateContext<'_>,
    ) -> Result<OpMapped<'op, Self>> {
        let va = ctx.vas.take().ok_or(ENOMEM)?;
        let (addr, range, prot) = (op.addr(), op.length(), ctx.prot);
        tracing::trace!(target: "tyr::gpuvm", va = addr, size = range, sparse = op.vm_bo().is_none(), "sm_step_map");
        match op.vm_bo() {
            None => self.map_dummy(addr, range, prot)?,
            Some(_) => map_sg(&mut self.pt, addr, ctx.chunks.chunks(), prot)?,
        }
        Ok(op.insert(va, VaInfo { prot }))
    }

    fn sm_step_unmap<'op>(
        &mut self,
        op: OpUnmap<'op, Self>,
        ctx: &mut PtUpdateContext<'_>,
    ) -> Result<OpUnmapped<'op, Self>> {
        let r = op.va().range();
        tracing::trace!(target: "tyr::gpuvm", va = r.start, size = r.end - r.start, "sm_step_unmap");
        unmap_range(&mut self.pt, r.start, r.end - r.start)?;
        let (done, removed) = op.remove();
        ctx.keep_va(removed.into_parts().1);
        Ok(done)
    }

    fn sm_step_remap<'op>(
        &mut self,
        op: OpRemap<'op, Self>,
        ctx: &mut PtUpdateContext<'_>,
    ) -> Result<OpRemapped<'op, Self>> {
        let info = op.va_to_unmap().data().copied().unwrap_or(VaInfo {
            prot: prot::READ | prot::WRITE,
        });
        let r = op.unmap_range();
        tracing::trace!(target: "tyr::gpuvm", va = r.start, size = r.end - r.start, "sm_step_remap");
        // The nodes first: nothing is touched if they are missing (they never are: every bind pre-allocates them).
        let allocs = ctx.vas.take_pair().ok_or(ENOMEM)?;
        self.unmap_widened(op.unmap_range(), info.prot)?;
        let (done, ret) = op.remap(allocs, info, info);
        ctx.keep_va(ret.unmapped_va.into_parts().1);
        if let Some(unused) = ret.unused_va {
            ctx.keep_va(unused);
        }
        Ok(done)
    }
}
