//! `ARM_64_LPAE_S1` with a 4 KiB granule: [`ArmLpaeS1`].
//!
//! The operations follow `drivers/iommu/io-pgtable-arm.c` (`arm_lpae_map_pages`, `__arm_lpae_map`,
//! `arm_lpae_init_pte`, `__arm_lpae_unmap`, `__arm_lpae_free_pgtable`, `arm_lpae_iova_to_phys`) rule for rule: which
//! entries a call may touch, which errors it reports and when, which tables it allocates and frees. The one deliberate
//! difference is the return value of an unmap that meets an empty entry: upstream returns `-ENOENT` through a `size_t`;
//! here it is 0 bytes, which every caller (Panthor compares against the requested size) reads the same way.

mod desc;

use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::Arc;

use hw_mem::{PhysAddr, Ram};

use desc::*;
pub use desc::{Pte, PteAttrs};

use super::{Config, FlushOps, IoPageTable, IotlbGather, NoFlush, PtAlloc, RamPtAlloc, SZ_1G, SZ_2M, SZ_4K};
use crate::error::code::{EEXIST, EFAULT, EINVAL, ERANGE};
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

/// What one level of a walk found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// An empty entry: the walk stops.
    Invalid,
    /// A pointer to a next-level table.
    Table,
    /// A block leaf (1 GiB at level 1, 2 MiB at level 2).
    Block,
    /// A page leaf (level 3).
    Page,
}

/// One entry visited by [`ArmLpaeS1::walk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkEntry {
    /// Level of the table holding the entry (0–3).
    pub level: u32,
    /// Index of the entry in its table.
    pub index: usize,
    /// The descriptor.
    pub pte: Pte,
    /// How the walker reads it.
    pub kind: EntryKind,
}

/// The result of walking one IOVA: every entry visited, root first, and the translation.
#[derive(Clone, Copy, Debug)]
pub struct Walk {
    /// The IOVA walked.
    pub iova: usize,
    /// Its translation, or 0 (what [`IoPageTable::iova_to_phys`] returns).
    pub phys: PhysAddr,
    entries: [WalkEntry; MAX_LEVELS as usize],
    len: usize,
}

impl Walk {
    /// The entries visited, root level first.
    pub fn entries(&self) -> &[WalkEntry] {
        &self.entries[..self.len]
    }
}

/// A leaf of the table, as [`ArmLpaeS1::for_each_leaf`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// First IOVA the leaf maps.
    pub iova: usize,
    /// Level of the table holding it: 3 for pages, 1–2 for blocks.
    pub level: u32,
    /// The descriptor.
    pub pte: Pte,
}

impl Leaf {
    /// Bytes the leaf maps.
    pub fn size(&self) -> usize {
        block_size(self.level)
    }

    /// The physical address it maps to.
    pub fn paddr(&self) -> PhysAddr {
        pte_to_paddr(self.pte)
    }

    /// Its attribute bits.
    pub fn attrs(&self) -> PteAttrs {
        PteAttrs::from_bits_truncate(self.pte)
    }
}

/// One non-empty entry met by [`ArmLpaeS1::visit`], in IOVA order, a table entry before what lies under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    /// Level of the table holding the entry (0–3).
    pub level: u32,
    /// Index of the entry in its table.
    pub index: usize,
    /// Physical address of the table holding the entry.
    pub table: PhysAddr,
    /// First IOVA the entry covers.
    pub iova: usize,
    /// Bytes the entry covers (a table entry: all that its next-level table can map).
    pub size: usize,
    /// The descriptor.
    pub pte: Pte,
    /// How the walker reads it: [`EntryKind::Table`], [`EntryKind::Block`] or [`EntryKind::Page`].
    pub kind: EntryKind,
}

impl Visit {
    /// For a table entry, the next-level table; for a leaf, the physical address it maps.
    pub fn paddr(&self) -> PhysAddr {
        pte_to_paddr(self.pte)
    }
}

/// What a page table holds, level by level (the figures of `tyr vm` and `tyr pgtable`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PtStats {
    /// Table pages at each level (0–3), the root included at its level.
    pub tables: [usize; MAX_LEVELS as usize],
    /// 4 KiB pages mapped (level-3 leaves).
    pub pages_4k: usize,
    /// 2 MiB blocks mapped (level-2 leaves).
    pub blocks_2m: usize,
    /// 1 GiB blocks mapped (level-1 leaves).
    pub blocks_1g: usize,
}

impl PtStats {
    /// Table pages at every level.
    pub fn tables_total(&self) -> usize {
        self.tables.iter().sum()
    }

    /// Bytes mapped by the leaves.
    pub fn mapped_bytes(&self) -> u64 {
        self.pages_4k as u64 * SZ_4K as u64
            + self.blocks_2m as u64 * SZ_2M as u64
            + self.blocks_1g as u64 * SZ_1G as u64
    }
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
    walk_cache: Option<(usize, PhysAddr)>,
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
        let tcr = Tcr { ips, tg: 0, sh, orgn: rgn, irgn: rgn, tsz: (64 - cfg.ias) as u8 };

        let pgd = alloc.alloc_pt(&ram)?;
        if ram.zero(pgd, SZ_4K as u64).is_err() {
            alloc.free_pt(&ram, pgd);
            return Err(EFAULT);
        }
        fence(Ordering::Release);
        let geom = Geometry { start_level, pgd_bits };
        Ok(Self { ram, cfg, geom, pgd, tcr, mair: mair_value(), tables_live: 1, walk_cache: None, alloc, flush })
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

    /// Walks `iova` from the root, reporting each entry visited (for `walk` dumps and debugfs-style views).
    pub fn walk(&self, iova: usize) -> Walk {
        let blank = WalkEntry { level: 0, index: 0, pte: 0, kind: EntryKind::Invalid };
        let mut w = Walk { iova, phys: 0, entries: [blank; MAX_LEVELS as usize], len: 0 };
        let mut table = self.pgd;
        for lvl in self.geom.start_level..MAX_LEVELS {
            let Ok(ptes) = self.ram.frame_u64s(table) else { break };
            let index = self.geom.idx(iova, lvl);
            let pte = ptes[index].load(Ordering::Relaxed);
            let kind = if pte == 0 {
                EntryKind::Invalid
            } else if is_leaf(pte, lvl) {
                if lvl == MAX_LEVELS - 1 {
                    EntryKind::Page
                } else {
                    EntryKind::Block
                }
            } else {
                EntryKind::Table
            };
            w.entries[w.len] = WalkEntry { level: lvl, index, pte, kind };
            w.len += 1;
            match kind {
                EntryKind::Invalid => break,
                EntryKind::Table => table = pte_to_paddr(pte),
                EntryKind::Block | EntryKind::Page => {
                    w.phys = pte_to_paddr(pte) | (iova & (block_size(lvl) - 1)) as u64;
                    break;
                }
            }
        }
        w
    }

    /// Calls `f` for every leaf, in IOVA order.
    pub fn for_each_leaf(&self, mut f: impl FnMut(Leaf)) {
        self.leaves_under(self.pgd, self.geom.start_level, 0, &mut f);
    }

    /// Calls `f` with the physical address of every table page reachable from the root, the root included (what
    /// [`Self::tables_live`] should count: a checker compares the two to find leaked or lost tables).
    pub fn for_each_table(&self, mut f: impl FnMut(PhysAddr)) {
        self.tables_under(self.pgd, self.geom.start_level, &mut f);
    }

    fn tables_under(&self, table: PhysAddr, lvl: u32, f: &mut impl FnMut(PhysAddr)) {
        f(table);
        let Ok(ptes) = self.ram.frame_u64s(table) else { return };
        if lvl >= MAX_LEVELS - 1 {
            return;
        }
        for e in &ptes[..self.geom.entries(lvl)] {
            let pte = e.load(Ordering::Relaxed);
            if pte != 0 && !is_leaf(pte, lvl) {
                self.tables_under(pte_to_paddr(pte), lvl + 1, f);
            }
        }
    }

    fn leaves_under(&self, table: PhysAddr, lvl: u32, base: usize, f: &mut impl FnMut(Leaf)) {
        let Ok(ptes) = self.ram.frame_u64s(table) else { return };
        for (i, e) in ptes[..self.geom.entries(lvl)].iter().enumerate() {
            let pte = e.load(Ordering::Relaxed);
            let iova = base + (i << lvl_shift(lvl));
            if pte == 0 {
                continue;
            }
            if is_leaf(pte, lvl) {
                f(Leaf { iova, level: lvl, pte });
            } else if lvl < MAX_LEVELS - 1 {
                self.leaves_under(pte_to_paddr(pte), lvl + 1, iova, f);
            }
        }
    }

    /// Calls `f` for every non-empty entry whose IOVA span meets `range`, in IOVA order, each table entry before the
    /// entries of the table it points to: the one walk behind `tyr pgtable`'s dump and [`Self::stats`].
    pub fn visit(&self, range: core::ops::Range<usize>, mut f: impl FnMut(Visit)) {
        if range.start < range.end {
            self.visit_under(self.pgd, self.geom.start_level, 0, &range, &mut f);
        }
    }

    fn visit_under(
        &self,
        table: PhysAddr,
        lvl: u32,
        base: usize,
        range: &core::ops::Range<usize>,
        f: &mut impl FnMut(Visit),
    ) {
        let Ok(ptes) = self.ram.frame_u64s(table) else { return };
        let size = block_size(lvl);
        for (index, e) in ptes[..self.geom.entries(lvl)].iter().enumerate() {
            let iova = base + (index << lvl_shift(lvl));
            if iova >= range.end || iova.saturating_add(size) <= range.start {
                continue;
            }
            let pte = e.load(Ordering::Relaxed);
            if pte == 0 {
                continue;
            }
            let leaf = is_leaf(pte, lvl);
            let kind = match (leaf, lvl == MAX_LEVELS - 1) {
                (true, true) => EntryKind::Page,
                (true, false) => EntryKind::Block,
                (false, _) => EntryKind::Table,
            };
            f(Visit { level: lvl, index, table, iova, size, pte, kind });
            if !leaf && lvl < MAX_LEVELS - 1 {
                self.visit_under(pte_to_paddr(pte), lvl + 1, iova, range, f);
            }
        }
    }

    /// Table pages per level and leaves per size over the whole table.
    pub fn stats(&self) -> PtStats {
        let mut s = PtStats::default();
        s.tables[self.geom.start_level as usize] = 1;
        self.visit(0..usize::MAX, |v| match (v.kind, v.level) {
            (EntryKind::Table, l) => s.tables[l as usize + 1] += 1,
            (EntryKind::Page, _) => s.pages_4k += 1,
            (EntryKind::Block, 2) => s.blocks_2m += 1,
            (EntryKind::Block, _) => s.blocks_1g += 1,
            (EntryKind::Invalid, _) => {}
        });
        s
    }

    /// Splits `self` into the parts an update needs, so the hot paths borrow fields instead of cloning the `Arc`.
    fn updater(&mut self) -> Updater<'_, A, F> {
        Updater {
            ram: &self.ram,
            geom: self.geom,
            coherent: self.cfg.coherent_walk,
            pgd: self.pgd,
            alloc: &mut self.alloc,
            flush: &mut self.flush,
            tables_live: &mut self.tables_live,
            walk_cache: &mut self.walk_cache,
        }
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
}

/// The mutable view of an [`ArmLpaeS1`] that map and unmap work through.
struct Updater<'a, A, F> {
    ram: &'a Ram,
    geom: Geometry,
    coherent: bool,
    pgd: PhysAddr,
    alloc: &'a mut A,
    flush: &'a mut F,
    tables_live: &'a mut usize,
    walk_cache: &'a mut Option<(usize, PhysAddr)>,
}

impl<A: PtAlloc, F: FlushOps> Updater<'_, A, F> {
    /// Where the kernel cleans CPU caches over freshly written entries so a non-coherent walker sees them
    /// (`__arm_lpae_sync_pte`). The modelled RAM is coherent, so there is nothing to clean; the call stays at the
    /// kernel's places to keep the structure (and a future cost model) honest.
    #[inline(always)]
    fn sync_ptes(&self, _table: PhysAddr, _first: usize, _count: usize) {}

    /// A zeroed table page from the allocator, counted live.
    fn alloc_table(&mut self) -> Result<PhysAddr> {
        let pa = self.alloc.alloc_pt(self.ram)?;
        if self.ram.zero(pa, SZ_4K as u64).is_err() {
            self.alloc.free_pt(self.ram, pa);
            return Err(EFAULT);
        }
        *self.tables_live += 1;
        Ok(pa)
    }

    /// Frees the table at `lvl` and every table below it (`__arm_lpae_free_pgtable`).
    fn free_pgtable(&mut self, lvl: u32, table: PhysAddr) {
        *self.walk_cache = None;
        if lvl < MAX_LEVELS - 1 {
            if let Ok(ptes) = self.ram.frame_u64s(table) {
                for e in &ptes[..self.geom.entries(lvl)] {
                    let pte = e.load(Ordering::Relaxed);
                    if pte != 0 && !is_leaf(pte, lvl) {
                        self.free_pgtable(lvl + 1, pte_to_paddr(pte));
                    }
                }
            }
        }
        self.alloc.free_pt(self.ram, table);
        *self.tables_live -= 1;
    }

    /// Where a walk for a `pgsize` entry at `iova` may start: the cached last-level table when it covers `iova`, the
    /// root otherwise. Skipping the upper levels changes nothing observable: a cached table is live, so every entry
    /// above it is the table entry the full walk would follow.
    #[inline]
    fn start(&self, iova: usize, pgsize: usize) -> (PhysAddr, u32) {
        const LAST: u32 = MAX_LEVELS - 1;
        match *self.walk_cache {
            Some((key, table)) if pgsize == block_size(LAST) && key == iova >> lvl_shift(LAST - 1) => (table, LAST),
            _ => (self.pgd, self.geom.start_level),
        }
    }

    /// Caches `table` when it is a last-level table reached below the root.
    #[inline]
    fn remember(&mut self, iova: usize, lvl: u32, table: PhysAddr) {
        if lvl == MAX_LEVELS - 1 && lvl != self.geom.start_level {
            *self.walk_cache = Some((iova >> lvl_shift(lvl - 1), table));
        }
    }

    /// `__arm_lpae_map` from the root: descends to the level whose entries are `pgsize` bytes, creating tables on the
    /// way, then writes up to `pgcount` leaves in that one table.
    fn map(&mut self, iova: usize, paddr: PhysAddr, pgsize: usize, pgcount: usize, attrs: Pte) -> Result<usize> {
        let ram = self.ram;
        let (mut table, mut lvl) = self.start(iova, pgsize);
        loop {
            let ptes = ram.frame_u64s(table).map_err(|_| EFAULT)?;
            let idx = self.geom.idx(iova, lvl);
            if pgsize == block_size(lvl) {
                self.remember(iova, lvl, table);
                let n = pgcount.min(PTES_PER_TABLE - idx);
                self.init_ptes(ptes, table, iova, idx, lvl, n, paddr, attrs)?;
                return Ok(n * pgsize);
            }
            // No tables below the last level: `pgsize` matched no level (e.g. several bits set).
            if lvl >= MAX_LEVELS - 1 {
                return Err(EINVAL);
            }
            let mut pte = ptes[idx].load(Ordering::Relaxed);
            if pte == 0 {
                let next = self.alloc_table()?;
                pte = paddr_to_pte(next) | TYPE_TABLE;
                if !self.coherent {
                    // arm_lpae_install_table(): after syncing the new entry, mark it so later walks skip the sync.
                    pte |= PteAttrs::SW_SYNC.bits();
                }
                // Release: the zeroed table must be visible before the entry that points at it (`dma_wmb`).
                ptes[idx].store(pte, Ordering::Release);
                self.sync_ptes(table, idx, 1);
            } else if is_leaf(pte, lvl) {
                // A block is in the way: the caller must unmap first.
                return Err(EEXIST);
            } else if !self.coherent && pte & PteAttrs::SW_SYNC.bits() == 0 {
                self.sync_ptes(table, idx, 1);
            }
            table = pte_to_paddr(pte);
            lvl += 1;
        }
    }

    /// `arm_lpae_init_pte`: refuses if any target entry already holds a leaf (checking in order, and removing any
    /// next-level table met before it, as the kernel does), then writes `n` leaves.
    #[allow(clippy::too_many_arguments)]
    fn init_ptes(
        &mut self,
        ptes: &[AtomicU64; PTES_PER_TABLE],
        table: PhysAddr,
        iova: usize,
        idx: usize,
        lvl: u32,
        n: usize,
        paddr: PhysAddr,
        attrs: Pte,
    ) -> Result {
        let sz = block_size(lvl);
        let targets = &ptes[idx..idx + n];
        for (i, e) in targets.iter().enumerate() {
            let old = e.load(Ordering::Relaxed);
            if is_leaf(old, lvl) {
                return Err(EEXIST);
            }
            if pte_type(old) == TYPE_TABLE {
                // A block replaces a whole next-level table: unmap it (and everything under it) first.
                e.store(0, Ordering::Relaxed);
                self.sync_ptes(table, idx + i, 1);
                self.flush.tlb_flush_walk(iova + i * sz, sz, SZ_4K);
                self.free_pgtable(lvl + 1, pte_to_paddr(old));
            }
        }
        let leaf_type = if lvl == MAX_LEVELS - 1 { TYPE_PAGE } else { TYPE_BLOCK };
        let mut pte = attrs | leaf_type | paddr_to_pte(paddr);
        for e in targets {
            e.store(pte, Ordering::Relaxed);
            pte += sz as u64;
        }
        self.sync_ptes(table, idx, n);
        Ok(())
    }

    /// `__arm_lpae_unmap` from the root.
    fn unmap(&mut self, iova: usize, pgsize: usize, pgcount: usize, mut gather: Option<&mut IotlbGather>) -> usize {
        let ram = self.ram;
        let (mut table, start) = self.start(iova, pgsize);
        for lvl in start..MAX_LEVELS {
            let Ok(ptes) = ram.frame_u64s(table) else { return 0 };
            let idx = self.geom.idx(iova, lvl);
            let pte = ptes[idx].load(Ordering::Relaxed);
            if pte == 0 {
                // Upstream: WARN and -ENOENT through size_t; nothing was unmapped either way.
                return 0;
            }
            if pgsize == block_size(lvl) {
                self.remember(iova, lvl, table);
                let n = pgcount.min(PTES_PER_TABLE - idx);
                let mut cleared = 0;
                for (i, e) in ptes[idx..idx + n].iter().enumerate() {
                    let pte = e.load(Ordering::Relaxed);
                    if pte == 0 {
                        break;
                    }
                    if !is_leaf(pte, lvl) {
                        // A table where a leaf of this size would sit: the whole table goes.
                        e.store(0, Ordering::Relaxed);
                        self.sync_ptes(table, idx + i, 1);
                        self.flush.tlb_flush_walk(iova + i * pgsize, pgsize, SZ_4K);
                        self.free_pgtable(lvl + 1, pte_to_paddr(pte));
                    }
                    cleared += 1;
                }
                for e in &ptes[idx..idx + cleared] {
                    e.store(0, Ordering::Relaxed);
                }
                self.sync_ptes(table, idx, cleared);
                if let Some(g) = gather.as_deref_mut() {
                    for j in 0..cleared {
                        self.flush.tlb_add_page(g, iova + j * pgsize, pgsize);
                    }
                }
                return cleared * pgsize;
            }
            if is_leaf(pte, lvl) {
                // Current upstream refuses to split a larger leaf ("Unmap of a partial large IOPTE is not allowed").
                return 0;
            }
            table = pte_to_paddr(pte);
        }
        0
    }
}

impl<A: PtAlloc, F: FlushOps> IoPageTable for ArmLpaeS1<A, F> {
    fn map_pages(&mut self, iova: usize, paddr: PhysAddr, pgsize: usize, pgcount: usize, prot: u32) -> (usize, Result) {
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
        let attrs = prot_to_pte(prot).bits();
        let res = self.updater().map(iova, paddr, pgsize, pgcount, attrs);
        // Every entry of the new mapping is visible before anything can start a walk for it (`wmb`).
        fence(Ordering::Release);
        match res {
            Ok(n) => (n, Ok(())),
            Err(e) => (0, Err(e)),
        }
    }

    fn unmap_pages(&mut self, iova: usize, pgsize: usize, pgcount: usize, gather: Option<&mut IotlbGather>) -> usize {
        if pgsize == 0 || pgsize & self.cfg.pgsize_bitmap != pgsize || pgcount == 0 {
            return 0;
        }
        if (iova as i64) >> self.cfg.ias != 0 {
            return 0;
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
