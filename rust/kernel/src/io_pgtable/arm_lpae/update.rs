// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Map and unmap: the [`Updater`], the mutable view of an [`ArmLpaeS1`] that `__arm_lpae_map`, `arm_lpae_init_pte`,
//! `__arm_lpae_unmap` and `__arm_lpae_free_pgtable` work through, with its cache of the last-level table last walked.

use std::sync::atomic::{AtomicU64, Ordering};

use hw_mem::{PhysAddr, Ram};

use super::cache::{lines, LastCache, TableView, UpperCache, WalkCache};
use super::desc::{block_size, PteAttrs, MAX_LEVELS, PTES_PER_TABLE, TYPE_MASK, TYPE_TABLE};
use super::{ArmLpaeS1, Geometry, Pte};
use crate::error::code::{EEXIST, EFAULT, EINVAL};
use crate::error::Result;
use crate::io_pgtable::{FlushOps, IotlbGather, PtAlloc, SZ_4K};

impl<A: PtAlloc, F: FlushOps> ArmLpaeS1<A, F> {
    /// Splits `self` into the parts an update needs, so the hot paths borrow fields instead of cloning the `Arc`.
    pub(super) fn updater(&mut self) -> Updater<'_, A, F> {
        Updater {
            ram: &self.ram,
            geom: self.geom,
            coherent: self.cfg.coherent_walk,
            pgd: self.pgd,
            alloc: &mut self.alloc,
            flush: &mut self.flush,
            tables_live: &mut self.tables_live,
            walk_cache: &mut self.walk_cache,
            upper_cache: &mut self.upper_cache,
            freed: &mut self.freed,
        }
    }
}

/// The last level, whose tables [`WalkCache`] keeps in `walk_cache`.
const LAST: u32 = MAX_LEVELS - 1;
/// The level whose tables it keeps in `upper_cache`.
const UPPER: u32 = MAX_LEVELS - 2;

/// How many unlinked table pages an update holds before handing them to the allocator in one call.
const FREE_BATCH: usize = 64;

/// Table pages an update has unlinked and not yet handed back: an unmap that frees a run of tables gives them to
/// [`PtAlloc::free_pts`] together instead of one call per table. Always empty between operations (the
/// [`Updater`] empties it when it drops).
#[derive(Debug)]
pub(super) struct FreeBatch {
    len: usize,
    pas: [PhysAddr; FREE_BATCH],
}

impl FreeBatch {
    /// An empty batch.
    pub(super) const fn new() -> Self {
        Self {
            len: 0,
            pas: [0; FREE_BATCH],
        }
    }
}

/// The mutable view of an [`ArmLpaeS1`] that map and unmap work through.
pub(super) struct Updater<'a, A: PtAlloc, F> {
    ram: &'a Ram,
    geom: Geometry,
    coherent: bool,
    pgd: PhysAddr,
    alloc: &'a mut A,
    flush: &'a mut F,
    tables_live: &'a mut usize,
    walk_cache: &'a mut Option<LastCache>,
    upper_cache: &'a mut Option<UpperCache>,
    freed: &'a mut FreeBatch,
}

impl<A: PtAlloc, F> Drop for Updater<'_, A, F> {
    /// Hands the tables the operation unlinked back to the allocator, so none is held past the operation.
    fn drop(&mut self) {
        self.flush_freed();
    }
}

impl<A: PtAlloc, F> Updater<'_, A, F> {
    /// Gives the batched table pages to the allocator.
    #[inline]
    fn flush_freed(&mut self) {
        if self.freed.len != 0 {
            self.alloc
                .free_pts(self.ram, &self.freed.pas[..self.freed.len]);
            self.freed.len = 0;
        }
    }

    /// Queues `table`, no longer referenced by the table tree, for the allocator.
    #[inline]
    fn release_table(&mut self, table: PhysAddr) {
        if self.freed.len == FREE_BATCH {
            self.flush_freed();
        }
        self.freed.pas[self.freed.len] = table;
        self.freed.len += 1;
        *self.tables_live -= 1;
    }
}

impl<'a, A: PtAlloc, F: FlushOps> Updater<'a, A, F> {
    /// Where the kernel cleans CPU caches over freshly written entries so a non-coherent walker sees them
    /// (`__arm_lpae_sync_pte`). The modelled RAM is coherent, so there is nothing to clean; the call stays at the
    /// kernel's places to keep the structure (and a future cost model) honest.
    #[inline(always)]
    fn sync_ptes(&self, _table: PhysAddr, _first: usize, _count: usize) {}

    /// Drops the cached tables: done whenever a table is freed, so that a cache only ever names a live table.
    #[inline]
    fn forget_walks(&mut self) {
        *self.walk_cache = None;
        *self.upper_cache = None;
    }

    /// Frees the table at `lvl` and every table below it (`__arm_lpae_free_pgtable`).
    pub(super) fn free_pgtable(&mut self, lvl: u32, table: PhysAddr) {
        self.forget_walks();
        if lvl < MAX_LEVELS - 1 {
            if let Ok(ptes) = self.ram.frame_u64s(table) {
                for e in &ptes[..self.geom.entries(lvl)] {
                    let pte = Pte::from_bits(e.load(Ordering::Relaxed));
                    if pte.is_table(lvl) {
                        self.free_pgtable(lvl + 1, pte.paddr());
                    }
                }
            }
        }
        self.release_table(table);
    }

    /// Where a walk for a `pgsize` entry at `iova` may start: the cached last-level table, with its entries, when it
    /// covers `iova`; the root otherwise. Skipping the upper levels changes nothing observable: a cached table is live,
    /// so every entry above it is the table entry the full walk would follow.
    #[inline]
    fn start(&self, iova: usize, pgsize: usize) -> (PhysAddr, u32, Option<TableView<'a>>) {
        if pgsize == block_size(LAST) {
            if let Some(c) = *self.walk_cache {
                // SAFETY: `self.ram` is the RAM of the table the cache belongs to (`ArmLpaeS1::updater`).
                if let Some((table, view)) = unsafe { c.lookup(self.ram, iova) } {
                    return (table, LAST, Some(view));
                }
            }
        }
        if pgsize <= block_size(UPPER) {
            if let Some(c) = *self.upper_cache {
                // SAFETY: as above.
                if let Some((table, view)) = unsafe { c.lookup(self.ram, iova) } {
                    return (table, UPPER, Some(view));
                }
            }
        }
        (self.pgd, self.geom.start_level, None)
    }

    /// Caches `table`, whose entries and hint `view` holds, when it is a last-level or level-2 table reached below the
    /// root.
    #[inline]
    fn remember(&mut self, iova: usize, lvl: u32, table: PhysAddr, view: TableView<'_>) {
        if lvl == self.geom.start_level {
            return;
        }
        if lvl == LAST {
            *self.walk_cache = Some(WalkCache::new(iova, table, view));
        } else if lvl == UPPER {
            *self.upper_cache = Some(WalkCache::new(iova, table, view));
        }
    }

    /// `__arm_lpae_map` from the root: descends to the level whose entries are `pgsize` bytes, creating tables on the
    /// way, then writes up to `pgcount` leaves in that one table.
    ///
    /// A table created for the leaves themselves is filled whole (the leaves, zeros around them) before its table
    /// entry is written, where the kernel installs it zeroed and then writes the leaves: the same end state, every
    /// store a single 64-bit store, and a walker that races the map sees either no table or the finished one — one
    /// of the orders it could already see — while the page is written once instead of zeroed, read back and written.
    /// Of a new table page only the lines its RAM line hint calls dirty are zeroed ([`fill_table`]); every store into a
    /// table here records its line in the table's hint.
    pub(super) fn map(
        &mut self,
        iova: usize,
        paddr: PhysAddr,
        pgsize: usize,
        pgcount: usize,
        attrs: PteAttrs,
    ) -> Result<usize> {
        let ram = self.ram;
        let (mut table, mut lvl, mut cached) = self.start(iova, pgsize);
        loop {
            let view = match cached.take() {
                Some(view) => view,
                None => {
                    let view = TableView::new(ram, table).ok_or(EFAULT)?;
                    if lvl == UPPER {
                        self.remember(iova, lvl, table, view);
                    }
                    view
                }
            };
            let ptes = view.ptes;
            let idx = self.geom.idx(iova, lvl);
            if pgsize == block_size(lvl) {
                self.remember(iova, lvl, table, view);
                let n = pgcount.min(PTES_PER_TABLE - idx);
                self.init_ptes(view, table, iova, idx, lvl, n, paddr, attrs)?;
                return Ok(n * pgsize);
            }
            // No tables below the last level: `pgsize` matched no level (e.g. several bits set).
            if lvl >= MAX_LEVELS - 1 {
                return Err(EINVAL);
            }
            let mut pte = Pte::from_bits(ptes[idx].load(Ordering::Relaxed));
            if pte.is_empty() {
                let next = self.alloc.alloc_pt(ram)?;
                let Some(next_view) = TableView::new(ram, next) else {
                    self.alloc.free_pt(ram, next);
                    return Err(EFAULT);
                };
                *self.tables_live += 1;
                let dirty = ram.dirty_lines(next);
                let leaves = pgsize == block_size(lvl + 1);
                let n = if leaves {
                    let first = self.geom.idx(iova, lvl + 1);
                    let n = pgcount.min(PTES_PER_TABLE - first);
                    fill_table(
                        next_view,
                        dirty,
                        first,
                        n,
                        Pte::leaf(paddr, lvl + 1, attrs),
                        pgsize,
                    );
                    n
                } else {
                    clear_table(next_view, dirty);
                    0
                };
                // arm_lpae_install_table(): with a non-coherent walk, the new entry is marked synced so later walks
                // skip the sync.
                pte = Pte::table(next, !self.coherent);
                view.mark(idx, 1);
                // Release: the table's contents must be visible before the entry that points at it (`dma_wmb`).
                ptes[idx].store(pte.bits(), Ordering::Release);
                self.sync_ptes(table, idx, 1);
                if leaves {
                    self.sync_ptes(next, 0, PTES_PER_TABLE);
                    self.remember(iova, lvl + 1, next, next_view);
                    return Ok(n * pgsize);
                }
            } else if pte.is_leaf(lvl) {
                // A block is in the way: the caller must unmap first.
                return Err(EEXIST);
            } else if !self.coherent && !pte.attrs().contains(PteAttrs::SW_SYNC) {
                self.sync_ptes(table, idx, 1);
            }
            table = pte.paddr();
            lvl += 1;
        }
    }

    /// `arm_lpae_init_pte`: refuses if any target entry already holds a leaf (checking in order, and removing any
    /// next-level table met before it, as the kernel does), then writes `n` leaves.
    #[allow(clippy::too_many_arguments)]
    fn init_ptes(
        &mut self,
        view: TableView<'_>,
        table: PhysAddr,
        iova: usize,
        idx: usize,
        lvl: u32,
        n: usize,
        paddr: PhysAddr,
        attrs: PteAttrs,
    ) -> Result {
        let sz = block_size(lvl);
        let targets = &view.ptes[idx..idx + n];
        for (i, e) in targets.iter().enumerate() {
            let old = Pte::from_bits(e.load(Ordering::Relaxed));
            if old.is_empty() {
                continue;
            }
            if old.is_leaf(lvl) {
                return Err(EEXIST);
            }
            if old.type_bits() == TYPE_TABLE {
                // A block replaces a whole next-level table: unmap it (and everything under it) first.
                e.store(0, Ordering::Relaxed);
                self.sync_ptes(table, idx + i, 1);
                self.flush.tlb_flush_walk(iova + i * sz, sz, SZ_4K);
                self.free_pgtable(lvl + 1, old.paddr());
            }
        }
        view.mark(idx, n);
        let mut pte = Pte::leaf(paddr, lvl, attrs);
        for e in targets {
            e.store(pte.bits(), Ordering::Relaxed);
            pte = pte.advanced(sz as u64);
        }
        self.sync_ptes(table, idx, n);
        Ok(())
    }

    /// `__arm_lpae_unmap` from the root.
    ///
    /// At the target level each entry is cleared as it is checked (a table entry before its table is freed, as the
    /// kernel does), where the kernel checks the run and then clears it: the same entries end empty, and tables
    /// unlinked by the run reach the allocator together when the operation ends.
    pub(super) fn unmap(
        &mut self,
        iova: usize,
        pgsize: usize,
        pgcount: usize,
        mut gather: Option<&mut IotlbGather>,
    ) -> usize {
        let ram = self.ram;
        let (mut table, start, mut cached) = self.start(iova, pgsize);
        for lvl in start..MAX_LEVELS {
            let view = match cached.take() {
                Some(view) => view,
                None => {
                    let Some(view) = TableView::new(ram, table) else {
                        return 0;
                    };
                    if lvl == UPPER {
                        self.remember(iova, lvl, table, view);
                    }
                    view
                }
            };
            let ptes = view.ptes;
            let idx = self.geom.idx(iova, lvl);
            let pte = Pte::from_bits(ptes[idx].load(Ordering::Relaxed));
            if pte.is_empty() {
                // Upstream: WARN and -ENOENT through size_t; nothing was unmapped either way.
                return 0;
            }
            if pgsize == block_size(lvl) {
                self.remember(iova, lvl, table, view);
                let n = pgcount.min(PTES_PER_TABLE - idx);
                let cleared = self.clear_run(&ptes[idx..idx + n], table, iova, idx, lvl);
                self.sync_ptes(table, idx, cleared);
                if let Some(g) = gather.as_deref_mut() {
                    for j in 0..cleared {
                        self.flush.tlb_add_page(g, iova + j * pgsize, pgsize);
                    }
                }
                return cleared * pgsize;
            }
            if pte.is_leaf(lvl) {
                // Current upstream refuses to split a larger leaf ("Unmap of a partial large IOPTE is not allowed").
                return 0;
            }
            table = pte.paddr();
        }
        0
    }
}

impl<A: PtAlloc, F: FlushOps> Updater<'_, A, F> {
    /// The target level of `__arm_lpae_unmap`: clears the entries of `run` (entries `idx..` of the table at `lvl`
    /// that maps `iova`) until an empty one, freeing the next-level table of each table entry met (cleared first, as
    /// the kernel does), and returns how many it cleared.
    ///
    /// Entries are read eight at a time: a group of eight leaves, the common case, is cleared with one test for the
    /// group; any other group is taken entry by entry from the values read.
    fn clear_run(
        &mut self,
        run: &[AtomicU64],
        table: PhysAddr,
        iova: usize,
        idx: usize,
        lvl: u32,
    ) -> usize {
        const GROUP: usize = 8;
        let leaf = Pte::leaf(0, lvl, PteAttrs::empty()).type_bits();
        let pgsize = block_size(lvl);
        let mut cleared = 0;
        let mut groups = run.chunks_exact(GROUP);
        for group in groups.by_ref() {
            let mut v = [0u64; GROUP];
            for (x, e) in v.iter_mut().zip(group) {
                *x = e.load(Ordering::Relaxed);
            }
            let all = v.iter().fold(!0, |a, x| a & x);
            let any = v.iter().fold(0, |a, x| a | x);
            if all & TYPE_MASK == leaf && any & TYPE_MASK == leaf {
                for e in group {
                    e.store(0, Ordering::Relaxed);
                }
                cleared += GROUP;
                continue;
            }
            for (e, &bits) in group.iter().zip(&v) {
                if !self.clear_entry(
                    e,
                    Pte::from_bits(bits),
                    table,
                    iova,
                    idx,
                    cleared,
                    lvl,
                    pgsize,
                ) {
                    return cleared;
                }
                cleared += 1;
            }
        }
        for e in groups.remainder() {
            let pte = Pte::from_bits(e.load(Ordering::Relaxed));
            if !self.clear_entry(e, pte, table, iova, idx, cleared, lvl, pgsize) {
                break;
            }
            cleared += 1;
        }
        cleared
    }

    /// One entry of [`Self::clear_run`], the `i`-th of the run, which read `pte`: false (and nothing done) if it is
    /// empty; otherwise clears it and, if it is a table, frees the table. A last-level table holds no tables, so it is
    /// freed without being read.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn clear_entry(
        &mut self,
        e: &AtomicU64,
        pte: Pte,
        table: PhysAddr,
        iova: usize,
        idx: usize,
        i: usize,
        lvl: u32,
        pgsize: usize,
    ) -> bool {
        if pte.is_empty() {
            return false;
        }
        e.store(0, Ordering::Relaxed);
        if !pte.is_leaf(lvl) {
            self.sync_ptes(table, idx + i, 1);
            self.flush.tlb_flush_walk(iova + i * pgsize, pgsize, SZ_4K);
            if lvl + 1 == MAX_LEVELS - 1 {
                self.forget_walks();
                self.release_table(pte.paddr());
            } else {
                self.free_pgtable(lvl + 1, pte.paddr());
            }
        }
        true
    }
}

/// Writes a whole table that no walker can reach yet: `n` leaves from `first`, starting with `leaf` and each `size`
/// bytes further on, and zero in every other entry; then sets the table's line hint to the lines of the leaves.
///
/// `dirty` are the lines that may hold stale bytes (the page's [`hw_mem::Ram::dirty_lines`]); the others read zero
/// already and are not touched at all, so reusing a table page costs what its last owner wrote into it rather than
/// 4 KiB. In a dirty line, an entry outside the leaves that already reads zero is not written either (a line that
/// came back clean is only read, with no fetch for ownership and no write-back).
#[inline]
fn fill_table(view: TableView<'_>, dirty: u64, first: usize, n: usize, leaf: Pte, size: usize) {
    let ptes = view.ptes;
    let end = first + n;
    // Lines wholly covered by the leaves are overwritten below.
    let mut stale = dirty & !full_lines(first, n);
    while stale != 0 {
        let line = stale.trailing_zeros() as usize;
        stale &= stale - 1;
        let (lo, hi) = (line * 8, line * 8 + 8);
        if hi <= first || lo >= end {
            zero_entries(&ptes[lo..hi]);
        } else {
            zero_entries(&ptes[lo..first.max(lo)]);
            zero_entries(&ptes[end.min(hi)..hi]);
        }
    }
    let mut pte = leaf;
    for e in &ptes[first..end] {
        e.store(pte.bits(), Ordering::Relaxed);
        pte = pte.advanced(size as u64);
    }
    view.hint.store(lines(first, n), Ordering::Relaxed);
}

/// Makes every entry of a table that no walker can reach zero, touching only the `dirty` lines, and its hint clean.
pub(super) fn clear_table(view: TableView<'_>, dirty: u64) {
    fill_table(view, dirty, 0, 0, Pte::EMPTY, 0);
}

/// The bits of the lines that entries `first..first + n` fill entirely.
#[inline]
fn full_lines(first: usize, n: usize) -> u64 {
    let (a, b) = (first.div_ceil(8), (first + n) / 8);
    if a >= b {
        0
    } else {
        lines(a * 8, (b - a) * 8)
    }
}

/// Makes every entry of `ptes` zero, writing only those that are not; read eight at a time, with one test per
/// group.
#[inline]
fn zero_entries(ptes: &[AtomicU64]) {
    let mut groups = ptes.chunks_exact(8);
    for group in groups.by_ref() {
        if group.iter().fold(0, |a, e| a | e.load(Ordering::Relaxed)) != 0 {
            zero_dirty(group);
        }
    }
    zero_dirty(groups.remainder());
}

/// Stores zero in each entry of `ptes` that is not zero.
fn zero_dirty(ptes: &[AtomicU64]) {
    for e in ptes {
        if e.load(Ordering::Relaxed) != 0 {
            e.store(0, Ordering::Relaxed);
        }
    }
}
