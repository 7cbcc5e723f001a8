// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `ARM_64_LPAE_S1` with a 4 KiB granule: [`ArmLpaeS1`].
//!
//! The operations follow `drivers/iommu/io-pgtable-arm.c` (`arm_lpae_map_pages`, `__arm_lpae_map`,
//! `arm_lpae_init_pte`, `__arm_lpae_unmap`, `__arm_lpae_free_pgtable`, `arm_lpae_iova_to_phys`) rule for rule: which
//! entries a call may touch, which errors it reports and when, which tables it allocates and frees. The one deliberate
//! difference is the return value of an unmap that meets an empty entry: upstream returns `-ENOENT` through a `size_t`;
//! here it is 0 bytes, which every caller (Panthor compares against the requested size) reads the same way.

//!
//! Files: `desc` the format's bits and the prot-to-attribute rules, `pte` the [`Pte`] descriptor type, `walk` the one
//! read-side walker and what it reports, `update` map and unmap, `cache` the last-level and level-2 tables the previous
//! call reached and the 4 KiB fast paths through them.

mod cache;
mod desc;
mod pte;
mod update;
mod walk;

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

use hw_mem::{PhysAddr, Ram};

pub use desc::PteAttrs;
use desc::{lvl_shift, mair_value, prot_to_pte, BITS_PER_LEVEL, GRANULE_SHIFT, MAX_LEVELS};
pub use pte::{EntryKind, Pte};
pub use walk::{Leaf, PtStats, Visit, Walk, WalkEntry};

use super::{
    Config, FlushOps, IoPageTable, IotlbGather, NoFlush, PtAlloc, RamPtAlloc, SZ_1G, SZ_2M, SZ_4K,
};
use crate::error::code::{EFAULT, EINVAL, ERANGE};
use crate::error::Result;

/// The translation-control fields the table's configuration implies (`cfg->arm_lpae_s1_cfg.tcr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcr {
    /// Intermediate physical size: 0 = 32, 1 = 36, 2 = 40, 3 = 42, 4 = 44, 5 = 48 bits.
    pub ips: u8,
    /// Granule: 0 = 4 KiB.
    pub tg: u8,
    /// Shareability of table walks: 2 outer (non-coherent), 3 inner (coherent).
    pub sh: u8,
    /// Outer cacheability of table walks: 0 non-cacheable, 1 write-back write-allocate.
    pub orgn: u8,
    /// Inner cacheability of table walks.
    pub irgn: u8,
    /// `64 - ias`.
    pub tsz: u8,
}

/// An ARM LPAE stage-1 page table with a 4 KiB granule, its tables in [`Ram`].
///
/// `A` supplies table pages (the kernel's `cfg->alloc`/`free`); `F` receives TLB maintenance requests (the kernel's
/// `cfg->tlb`). Both are the table's "cookie" and can be reached with [`ArmLpaeS1::alloc_mut`] and
/// [`ArmLpaeS1::flush_ops_mut`], e.g. to refill a [`super::ReservedPtPool`] before a bind.
///
/// # Invariants
/// * `pgd` is a frame of `ram`, obtained from `alloc`, holding the root table at `start_level`.
/// * Every table entry reachable from `pgd` points to a frame obtained from `alloc` and not yet freed; `tables_live`
///   counts those frames, the root included.
/// * `cfg` is restricted as the kernel restricts it: `pgsize_bitmap` contains 4 KiB and only 4K/2M/1G,
///   `13 <= ias <= 48`, `oas` one of the TCR.IPS sizes up to 48.
/// * `ram` is never replaced, so the entry views `walk_cache` and `upper_cache` keep stay inside its mapping; they name
///   a live last-level and level-2 table of this tree (see `cache::WalkCache`).
/// * `freed` is empty between operations: a table page leaves `tables_live` when it is queued there and reaches
///   `alloc` before the operation returns.
pub struct ArmLpaeS1<A: PtAlloc = RamPtAlloc, F: FlushOps = NoFlush> {
    ram: Arc<Ram>,
    cfg: Config,
    geom: Geometry,
    pgd: PhysAddr,
    tcr: Tcr,
    mair: u64,
    tables_live: usize,
    /// The last-level table the previous update walked to, keyed by the IOVA bits above it: consecutive calls in the
    /// same 2 MiB skip the upper levels. Dropped whenever any table is freed, so it only ever names a live table.
    walk_cache: Option<cache::LastCache>,
    /// The level-2 table the previous update walked through, the same way: calls in the same 1 GiB start there.
    upper_cache: Option<cache::UpperCache>,
    /// Tables unlinked by the operation under way, not yet given back to `alloc` (empty between operations).
    freed: update::FreeBatch,
    alloc: A,
    flush: F,
}

impl<A: PtAlloc, F: FlushOps> ArmLpaeS1<A, F> {
    /// Creates a table (`alloc_io_pgtable_ops(ARM_64_LPAE_S1, ...)`): restricts `cfg` as the kernel does, derives the TCR
    /// fields and MAIR, and allocates the root table through `alloc`.
    ///
    /// Errors: `EINVAL` when the configuration is unusable (no 4 KiB page size, an `oas` with no TCR.IPS encoding, an
    /// `ias` below 13 bits), `ENOMEM` when no root table page can be had.
    pub fn new(ram: Arc<Ram>, cfg: Config, mut alloc: A, flush: F) -> Result<Self> {
        // arm_lpae_restrict_pgsizes(): the granule is the host page size (4 KiB) when offered; only its block sizes stay.
        if cfg.pgsize_bitmap & SZ_4K == 0 {
            return Err(EINVAL);
        }
        let mut cfg = cfg;
        cfg.pgsize_bitmap &= SZ_4K | SZ_2M | SZ_1G;
        cfg.ias = cfg.ias.min(48);
        cfg.oas = cfg.oas.min(48);
        let ips = match cfg.oas {
            32 => 0,
            36 => 1,
            40 => 2,
            42 => 3,
            44 => 4,
            48 => 5,
            _ => return Err(EINVAL),
        };
        if cfg.ias <= GRANULE_SHIFT {
            return Err(EINVAL);
        }
        let va_bits = cfg.ias - GRANULE_SHIFT;
        let levels = va_bits.div_ceil(BITS_PER_LEVEL);
        let start_level = MAX_LEVELS - levels;
        let pgd_bits = va_bits - BITS_PER_LEVEL * (levels - 1);
        let (sh, rgn) = if cfg.coherent_walk { (3, 1) } else { (2, 0) };
        let tcr = Tcr {
            ips,
            tg: 0,
            sh,
            orgn: rgn,
            irgn: rgn,
            tsz: (64 - cfg.ias) as u8,
        };

        let pgd = alloc.alloc_pt(&ram)?;
        let Some(view) = cache::TableView::new(&ram, pgd) else {
            alloc.free_pt(&ram, pgd);
            return Err(EFAULT);
        };
        update::clear_table(view, ram.dirty_lines(pgd));
        fence(Ordering::Release);
        let geom = Geometry {
            start_level,
            pgd_bits,
        };
        Ok(Self {
            ram,
            cfg,
            geom,
            pgd,
            tcr,
            mair: mair_value(),
            tables_live: 1,
            walk_cache: None,
            upper_cache: None,
            freed: update::FreeBatch::new(),
            alloc,
            flush,
        })
    }

    /// The configuration after the kernel's restrictions.
    pub fn cfg(&self) -> &Config {
        &self.cfg
    }

    /// Physical address of the root table (`cfg->arm_lpae_s1_cfg.ttbr`), what goes into AS_TRANSTAB.
    pub fn ttbr(&self) -> PhysAddr {
        self.pgd
    }

    /// The TCR fields.
    pub fn tcr(&self) -> Tcr {
        self.tcr
    }

    /// The MAIR value (`cfg->arm_lpae_s1_cfg.mair`), sign-extended as the kernel computes it.
    pub fn mair(&self) -> u64 {
        self.mair
    }

    /// The level of the root table (0 for a 48-bit IOVA space).
    pub fn start_level(&self) -> u32 {
        self.geom.start_level
    }

    /// Table pages in use, the root included.
    pub fn tables_live(&self) -> usize {
        self.tables_live
    }

    /// The RAM the tables live in.
    pub fn ram(&self) -> &Arc<Ram> {
        &self.ram
    }

    /// The table-page allocator.
    pub fn alloc_mut(&mut self) -> &mut A {
        &mut self.alloc
    }

    /// The TLB maintenance callbacks.
    pub fn flush_ops_mut(&mut self) -> &mut F {
        &mut self.flush
    }
}

/// Where the levels start and how wide the root index is.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    start_level: u32,
    pgd_bits: u32,
}

impl Geometry {
    /// Index of `iova`'s entry in the table at `lvl` (`ARM_LPAE_LVL_IDX`): the root level uses only `pgd_bits`.
    #[inline]
    fn idx(self, iova: usize, lvl: u32) -> usize {
        (iova >> lvl_shift(lvl)) & ((1 << self.bits(lvl)) - 1)
    }

    #[inline]
    fn bits(self, lvl: u32) -> u32 {
        if lvl == self.start_level {
            self.pgd_bits
        } else {
            BITS_PER_LEVEL
        }
    }

    /// Entries of a table at `lvl`.
    #[inline]
    fn entries(self, lvl: u32) -> usize {
        1 << self.bits(lvl)
    }

    /// The IOVA bits the levels index (`ias` of them).
    #[inline]
    fn va_mask(self) -> usize {
        (1 << (lvl_shift(self.start_level) + self.pgd_bits)) - 1
    }
}

impl<A: PtAlloc, F: FlushOps> IoPageTable for ArmLpaeS1<A, F> {
    fn map_pages(
        &mut self,
        iova: usize,
        paddr: PhysAddr,
        pgsize: usize,
        pgcount: usize,
        prot: u32,
    ) -> (usize, Result) {
        if pgsize == 0 || pgsize & self.cfg.pgsize_bitmap != pgsize {
            return (0, Err(EINVAL));
        }
        let iaext = (iova as i64) >> self.cfg.ias;
        if iaext != 0 || paddr >> self.cfg.oas != 0 {
            return (0, Err(ERANGE));
        }
        if prot & (super::prot::READ | super::prot::WRITE) == 0 {
            return (0, Err(EINVAL));
        }
        let attrs = prot_to_pte(prot);
        if pgsize == SZ_4K {
            if let Some(n) = self.map_cached(iova, paddr, pgcount, attrs) {
                fence(Ordering::Release);
                return (n, Ok(()));
            }
        }
        let res = self.updater().map(iova, paddr, pgsize, pgcount, attrs);
        // Every entry of the new mapping is visible before anything can start a walk for it (`wmb`).
        fence(Ordering::Release);
        match res {
            Ok(n) => (n, Ok(())),
            Err(e) => (0, Err(e)),
        }
    }

    fn unmap_pages(
        &mut self,
        iova: usize,
        pgsize: usize,
        pgcount: usize,
        gather: Option<&mut IotlbGather>,
    ) -> usize {
        if pgsize == 0 || pgsize & self.cfg.pgsize_bitmap != pgsize || pgcount == 0 {
            return 0;
        }
        if (iova as i64) >> self.cfg.ias != 0 {
            return 0;
        }
        let mut gather = gather;
        if pgsize == SZ_4K {
            if let Some(n) = self.unmap_cached(iova, pgcount, &mut gather) {
                return n;
            }
        }
        self.updater().unmap(iova, pgsize, pgcount, gather)
    }

    fn iova_to_phys(&self, iova: usize) -> PhysAddr {
        self.walk(iova).phys
    }
}

impl<A: PtAlloc, F: FlushOps> Drop for ArmLpaeS1<A, F> {
    fn drop(&mut self) {
        let (lvl, pgd) = (self.geom.start_level, self.pgd);
        self.updater().free_pgtable(lvl, pgd);
    }
}

impl<A: PtAlloc, F: FlushOps> core::fmt::Debug for ArmLpaeS1<A, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ArmLpaeS1")
            .field("cfg", &self.cfg)
            .field("ttbr", &format_args!("{:#x}", self.pgd))
            .field("tables_live", &self.tables_live)
            .finish_non_exhaustive()
    }
}

/// A table with the default allocator and no flush callbacks, for tools and tests.
impl ArmLpaeS1<RamPtAlloc, NoFlush> {
    /// Creates a table whose pages come straight from `ram`.
    pub fn with_ram(ram: Arc<Ram>, cfg: Config) -> Result<Self> {
        Self::new(ram, cfg, RamPtAlloc, NoFlush)
    }
}
