// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! [`WalkCache`]: the last-level (and level-2) table the previous update reached, with a view of its entries, so that
//! consecutive calls in the same 2 MiB (1 GiB) neither walk from the root nor check the table's address in RAM again;
//! the 4 KiB map and unmap fast paths that work in the last-level table alone; and [`TableView`], a table's entries
//! with its dirty-line hint.

use core::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use hw_mem::{PhysAddr, Ram};

use super::desc::{lvl_shift, PteAttrs, GRANULE_SHIFT, MAX_LEVELS, PTES_PER_TABLE};
use super::{ArmLpaeS1, Pte};
use crate::io_pgtable::{FlushOps, IotlbGather, PtAlloc, SZ_4K};

/// A table an update last reached at level `LVL` (the last one, or level 2).
///
/// # Invariants
/// * `table` is a live table at level `LVL` of the [`super::ArmLpaeS1`] that holds the cache, below its root (the
///   cache is dropped whenever a table is freed), covering the IOVAs whose bits from `lvl_shift(LVL - 1)` up are
///   `key`.
/// * `ptes` points to `table`'s 512 entries and `hint` to its line hint, as `Ram::frame_u64s_hinted` returned them
///   for the [`Ram`] that table holds, which it keeps alive and never replaces.
#[derive(Clone, Copy, Debug)]
pub(super) struct WalkCache<const LVL: u32> {
    key: usize,
    table: PhysAddr,
    ptes: NonNull<[AtomicU64; PTES_PER_TABLE]>,
    hint: NonNull<AtomicU64>,
}

/// A table's entries and its line hint ([`Ram::line_hint`]): what a writer of the table needs.
#[derive(Clone, Copy, Debug)]
pub(super) struct TableView<'a> {
    /// The 512 entries.
    pub(super) ptes: &'a [AtomicU64; PTES_PER_TABLE],
    /// Which 64-byte lines of the table may be non-zero.
    pub(super) hint: &'a AtomicU64,
}

impl<'a> TableView<'a> {
    /// The view of the table at `table` in `ram`.
    #[inline]
    pub(super) fn new(ram: &'a Ram, table: PhysAddr) -> Option<Self> {
        let (ptes, hint) = ram.frame_u64s_hinted(table).ok()?;
        Some(Self { ptes, hint })
    }

    /// Records that entries `first..first + n` may now be non-zero.
    #[inline]
    pub(super) fn mark(&self, first: usize, n: usize) {
        let m = lines(first, n);
        let old = self.hint.load(Ordering::Relaxed);
        if old & m != m {
            // Only the table's owner writes its hint, and it holds the table mutably: no update can be lost.
            self.hint.store(old | m, Ordering::Relaxed);
        }
    }
}

/// The bits of the 64-byte lines that entries `first..first + n` of a table occupy (eight entries a line).
#[inline]
pub(super) fn lines(first: usize, n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    // Entries of a 512-entry table: lines 0..=63.
    let (a, b) = ((first / 8) % 64, ((first + n - 1) / 8) % 64);
    (u64::MAX << a) & (u64::MAX >> (63 - b))
}

// SAFETY: `ptes` points into a `Ram` mapping, which is shared between threads by design (`Ram: Send + Sync`, accessed
// only through atomics); the cache itself holds no thread-bound state.
unsafe impl<const LVL: u32> Send for WalkCache<LVL> {}
// SAFETY: as for `Send`.
unsafe impl<const LVL: u32> Sync for WalkCache<LVL> {}

/// The last level: 4 KiB pages.
const LAST: u32 = MAX_LEVELS - 1;

/// The cache of the last-level table.
pub(super) type LastCache = WalkCache<LAST>;
/// The cache of the level-2 table.
pub(super) type UpperCache = WalkCache<{ LAST - 1 }>;

impl<const LVL: u32> WalkCache<LVL> {
    /// The cache entry for the table `table` at `LVL` covering `iova`, whose entries and hint `view` holds.
    #[inline]
    pub(super) fn new(iova: usize, table: PhysAddr, view: TableView<'_>) -> Self {
        Self {
            key: Self::key(iova),
            table,
            ptes: NonNull::from(view.ptes),
            hint: NonNull::from(view.hint),
        }
    }

    /// The IOVA bits above level `LVL`: equal for every IOVA one table at `LVL` covers.
    #[inline]
    fn key(iova: usize) -> usize {
        iova >> lvl_shift(LVL - 1)
    }

    /// The cached table and its entries when it covers `iova`.
    ///
    /// # Safety
    /// `ram` is the RAM of the table that holds the cache.
    #[inline]
    pub(super) unsafe fn lookup<'a>(
        &self,
        _ram: &'a Ram,
        iova: usize,
    ) -> Option<(PhysAddr, TableView<'a>)> {
        if self.key != Self::key(iova) {
            return None;
        }
        // SAFETY: `ptes` and `hint` came from `ram.frame_u64s_hinted` (type invariant; `ram` is that RAM
        // by the caller's promise), so they point to 512 atomics inside the mapping and to the frame's hint word, both
        // of which live as long as `ram` is borrowed.
        let view = unsafe {
            TableView {
                ptes: self.ptes.as_ref(),
                hint: self.hint.as_ref(),
            }
        };
        Some((self.table, view))
    }
}

impl<A: PtAlloc, F: FlushOps> ArmLpaeS1<A, F> {
    /// A 4 KiB map inside the cached last-level table: when the cache covers `iova` and every target entry is empty,
    /// writes the leaves (what the full walk would do there) and returns the bytes mapped; otherwise writes nothing
    /// and returns `None` for the full path (`__arm_lpae_map` and its checks) to handle the call.
    #[inline(always)]
    pub(super) fn map_cached(
        &self,
        iova: usize,
        paddr: PhysAddr,
        pgcount: usize,
        attrs: PteAttrs,
    ) -> Option<usize> {
        let cache = self.walk_cache.as_ref()?;
        // SAFETY: `self.ram` is the RAM of the table that holds the cache.
        let (_, view) = unsafe { cache.lookup(&self.ram, iova) }?;
        let idx = (iova >> GRANULE_SHIFT) % PTES_PER_TABLE;
        let n = pgcount.min(PTES_PER_TABLE - idx);
        let run = &view.ptes[idx..idx + n];
        if run.iter().any(|e| e.load(Ordering::Relaxed) != 0) {
            return None;
        }
        view.mark(idx, n);
        let mut pte = Pte::leaf(paddr, LAST, attrs);
        for e in run {
            e.store(pte.bits(), Ordering::Relaxed);
            pte = pte.advanced(SZ_4K as u64);
        }
        Some(n * SZ_4K)
    }

    /// The last-level table covering `iova` as the caches have it: the cached one, or the one the cached level-2
    /// table's entry points to (which then becomes the cached one). `None` when neither cache covers `iova` or the level-2 entry is not a table.
    #[inline(always)]
    fn last_level(&mut self, iova: usize) -> Option<TableView<'_>> {
        if let Some(c) = self.walk_cache {
            // SAFETY: `self.ram` is the RAM of the table that holds the cache.
            if let Some((_, view)) = unsafe { c.lookup(&self.ram, iova) } {
                return Some(view);
            }
        }
        let upper = self.upper_cache?;
        // SAFETY: as above.
        let (_, parent) = unsafe { upper.lookup(&self.ram, iova) }?;
        let pte =
            Pte::from_bits(parent.ptes[self.geom.idx(iova, LAST - 1)].load(Ordering::Relaxed));
        if !pte.is_table(LAST - 1) {
            return None;
        }
        let view = TableView::new(&self.ram, pte.paddr())?;
        self.walk_cache = Some(WalkCache::new(iova, pte.paddr(), view));
        Some(view)
    }

    /// A 4 KiB unmap inside the cached last-level table, or the one the cached level-2 table leads to: clears the run
    /// of page leaves from `iova` (up to `pgcount`, within the table, until an empty entry) and gathers them, as the
    /// full path would. An entry that is neither empty nor a page is left, with the rest of the call, to the full
    /// path; `None` when the caches do not cover `iova`.
    #[inline(always)]
    pub(super) fn unmap_cached(
        &mut self,
        iova: usize,
        pgcount: usize,
        gather: &mut Option<&mut IotlbGather>,
    ) -> Option<usize> {
        let view = self.last_level(iova)?;
        let idx = (iova >> GRANULE_SHIFT) % PTES_PER_TABLE;
        let n = pgcount.min(PTES_PER_TABLE - idx);
        let mut cleared = 0;
        let mut rest = 0;
        for e in &view.ptes[idx..idx + n] {
            let pte = Pte::from_bits(e.load(Ordering::Relaxed));
            if pte.is_empty() {
                break;
            }
            if !pte.is_leaf(LAST) {
                if cleared == 0 {
                    return None;
                }
                rest = n - cleared;
                break;
            }
            e.store(0, Ordering::Relaxed);
            cleared += 1;
        }
        if let Some(g) = gather.as_deref_mut() {
            for j in 0..cleared {
                self.flush.tlb_add_page(g, iova + j * SZ_4K, SZ_4K);
            }
        }
        let mut bytes = cleared * SZ_4K;
        if rest != 0 {
            bytes += self
                .updater()
                .unmap(iova + bytes, SZ_4K, rest, gather.as_deref_mut());
        }
        Some(bytes)
    }
}
