// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! IOMMU page tables: the `io-pgtable` library of `drivers/iommu/`, as Panthor and Tyr use it.
//!
//! [`IoPageTable`] is the operations table (`struct io_pgtable_ops`): [`IoPageTable::map_pages`],
//! [`IoPageTable::unmap_pages`] and [`IoPageTable::iova_to_phys`]. [`ArmLpaeS1`] implements it for the ARM LPAE stage-1
//! format with a 4 KiB granule (`ARM_64_LPAE_S1`), bit for bit as `drivers/iommu/io-pgtable-arm.c` writes descriptors;
//! the reference vectors in `tests/vectors/pgtable` hold it to that.
//!
//! Table pages live in the modelled system RAM ([`hw_mem::Ram`]) and are obtained through a [`PtAlloc`] the caller
//! supplies (the kernel's `io_pgtable_cfg::alloc`/`free`), so that a driver can reserve pages up front and have the map
//! consume them without allocating ([`ReservedPtPool`], Panthor's pattern); TLB maintenance requests go to a
//! [`FlushOps`] (the kernel's `iommu_flush_ops`).

mod alloc;
mod arm_lpae;

pub use alloc::{PtAlloc, RamPtAlloc, ReservedPtPool};
pub use arm_lpae::{
    ArmLpaeS1, EntryKind, Leaf, PtStats, Pte, PteAttrs, Tcr, Visit, Walk, WalkEntry,
};

use hw_mem::PhysAddr;

use crate::error::Result;

/// IOMMU protection flags (`include/linux/iommu.h`), as passed to [`IoPageTable::map_pages`].
pub mod prot {
    /// Readable (`IOMMU_READ`).
    pub const READ: u32 = 1 << 0;
    /// Writable (`IOMMU_WRITE`).
    pub const WRITE: u32 = 1 << 1;
    /// Cacheable, coherent with the CPU's caches (`IOMMU_CACHE`).
    pub const CACHE: u32 = 1 << 2;
    /// Not executable (`IOMMU_NOEXEC`).
    pub const NOEXEC: u32 = 1 << 3;
    /// Device memory, e.g. MMIO (`IOMMU_MMIO`); takes precedence over [`CACHE`].
    pub const MMIO: u32 = 1 << 4;
    /// Privileged-only (`IOMMU_PRIV`).
    pub const PRIV: u32 = 1 << 5;
}

/// 4 KiB.
pub const SZ_4K: usize = 1 << 12;
/// 2 MiB.
pub const SZ_2M: usize = 1 << 21;
/// 1 GiB.
pub const SZ_1G: usize = 1 << 30;

/// Page-table configuration (the parts of `struct io_pgtable_cfg` a driver fills in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Page and block sizes the caller may use; restricted to what the granule allows (for 4 KiB: 4K | 2M | 1G).
    pub pgsize_bitmap: usize,
    /// Input (IOVA) address size in bits; at most 48.
    pub ias: u32,
    /// Output (physical) address size in bits; one of 32, 36, 40, 42, 44, 48.
    pub oas: u32,
    /// Whether the walker snoops the CPU caches (`coherent_walk`). Decides the TCR walk attributes and whether table
    /// entries carry the software "synced" bit.
    pub coherent_walk: bool,
}

impl Config {
    /// What Panthor uses on an RK3588 Mali-G610: 48-bit VA, 40-bit PA, 4K|2M pages, non-coherent walk.
    pub const PANTHOR_RK3588: Config = Config {
        pgsize_bitmap: SZ_4K | SZ_2M,
        ias: 48,
        oas: 40,
        coherent_walk: false,
    };
}

/// An IOTLB gather: the range of IOVAs whose TLB entries a batch of unmaps invalidated (`struct iommu_iotlb_gather`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IotlbGather {
    /// First IOVA of the gathered range (meaningless while `end == 0`).
    pub start: usize,
    /// Last IOVA of the gathered range, inclusive; 0 while nothing was gathered.
    pub end: usize,
    /// The page size of the gathered entries, 0 if mixed or none.
    pub pgsize: usize,
}

impl IotlbGather {
    /// Widens the gather to cover `[iova, iova + size)`, as `iommu_iotlb_gather_add_range` does.
    pub fn add_range(&mut self, iova: usize, size: usize) {
        let end = iova + size - 1;
        if self.end == 0 {
            self.start = iova;
            self.end = end;
            self.pgsize = size;
            return;
        }
        if self.pgsize != size {
            self.pgsize = 0;
        }
        self.start = self.start.min(iova);
        self.end = self.end.max(end);
    }
}

/// TLB maintenance the page table asks of its user (`struct iommu_flush_ops`). The defaults do nothing, which is what
/// Panthor's callbacks do: it flushes the whole changed range itself (AS LOCK, FLUSH_PT, UNLOCK) after each batch.
pub trait FlushOps {
    /// Invalidate every TLB entry of this table.
    fn tlb_flush_all(&mut self) {}
    /// A table covering `[iova, iova + size)` was freed: walk caches over it must go.
    fn tlb_flush_walk(&mut self, _iova: usize, _size: usize, _granule: usize) {}
    /// A leaf at `iova` of size `granule` was cleared and may be invalidated lazily through `gather`.
    fn tlb_add_page(&mut self, gather: &mut IotlbGather, iova: usize, granule: usize) {
        gather.add_range(iova, granule);
    }
}

/// Flush callbacks that do nothing (Panthor's).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFlush;

impl FlushOps for NoFlush {}

/// The operations on an IOMMU page table (`struct io_pgtable_ops`).
pub trait IoPageTable {
    /// Maps up to `pgcount` pages of `pgsize` bytes from `iova` to `paddr` with `prot` ([`prot`] flags), never crossing
    /// the end of the table that holds the first entry. Returns the number of bytes mapped and the result; on error,
    /// what was mapped before the failing entry stays mapped.
    ///
    /// Errors: `EINVAL` (bad `pgsize`, or neither READ nor WRITE), `ERANGE` (`iova` beyond `ias` or `paddr` beyond
    /// `oas`), `EEXIST` (a leaf is already there), `ENOMEM` (no table page).
    fn map_pages(
        &mut self,
        iova: usize,
        paddr: PhysAddr,
        pgsize: usize,
        pgcount: usize,
        prot: u32,
    ) -> (usize, Result);

    /// Unmaps up to `pgcount` pages of `pgsize` bytes from `iova`, with the same table-boundary rule, and returns the
    /// number of bytes unmapped: fewer than asked when a hole, or a larger leaf that would have to be split, stops it.
    fn unmap_pages(
        &mut self,
        iova: usize,
        pgsize: usize,
        pgcount: usize,
        gather: Option<&mut IotlbGather>,
    ) -> usize;

    /// The physical address `iova` translates to, or 0 if it is not mapped.
    fn iova_to_phys(&self, iova: usize) -> PhysAddr;
}
