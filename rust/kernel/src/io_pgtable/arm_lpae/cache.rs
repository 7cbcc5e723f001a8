// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! [`WalkCache`]: the last-level (and level-2) table the previous update reached, with a view of its entries, so that
//! consecutive calls in the same 2 MiB (1 GiB) neither walk from the root nor check the table's address in RAM again;
//! the 4 KiB map and unmap fast paths that work in the last-level table alone; [`TableView`], a table's entries with
//! its dirty-line hint; and [`Stride`], which fetches the entries of a stream of scattered updates ahead.

use core::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use hw_mem::{PhysAddr, Ram};

use super::desc::{lvl_shift, PteAttrs, GRANULE_SHIFT, MAX_LEVELS, PTES_PER_TABLE};
use super::{ArmLpaeS1, Pte};
use crate::io_pgtable::{FlushOps, IotlbGather, PtAlloc, SZ_4K};

/// A table an update last reached at a given level (the last one, or level 2).
///
/// # Invariants
/// * `table` is a live table at level `lvl` of the [`super::ArmLpaeS1`] that holds the cache, below its root (the
///   cache is dropped whenever a table is freed), covering the IOVAs whose bits from `lvl_shift(lvl - 1)` up are
///   `key`.
/// * `ptes` points to `table`'s 512 entries, as `Ram::frame_u64s` returned them for the [`Ram`] that table holds,
///   which it keeps alive and never replaces; `hint` to its line hint, as `Ram::line_hint` returned it there.
#[derive(Clone, Copy, Debug)]
pub(super) struct WalkCache {
    key: usize,
    lvl: u32,
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

/// How many steps of a stride ahead [`Stride`] has the next last-level entries fetched.
const AHEAD: usize = 16;
/// How many entries [`Stride`] has fetched at once, every that many steps: fetches issued together translate their
/// addresses in parallel, where one per call each wait for their own page walk.
pub(super) const BATCH: usize = 4;

/// The step between the IOVAs of consecutive updates that each had to walk from the root, so that a stream of them
/// (unmapping pages scattered at a fixed distance, each in its own last-level table) can have the entries a few calls
/// ahead fetched into the CPU cache while this one runs: the hardware prefetchers do not follow a stream across
/// 4 KiB pages, and without it every call waits for one memory access of its own. A hint only: it changes no entry.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Stride {
    last: usize,
    step: usize,
    run: usize,
}

impl Stride {
    /// Records a walk to `iova`; when the last walks stepped by the same amount, at least a last-level table's span
    /// (either way) and under 1 GiB, returns the step and, every [`BATCH`] steps, the first IOVA of the next batch
    /// to fetch ([`AHEAD`] steps on).
    #[inline]
    pub(super) fn advance(&mut self, iova: usize) -> Option<(usize, usize)> {
        let step = iova.wrapping_sub(self.last);
        let same = step == self.step;
        self.last = iova;
        self.step = step;
        let span = step.min(step.wrapping_neg());
        if !same || !(SPAN_L3..SPAN_L2).contains(&span) {
            self.run = 0;
            return None;
        }
        self.run += 1;
        // The first time, everything up to `AHEAD`; then a batch every `BATCH` steps.
        let from = if self.run == 1 {
            1
        } else if self.run.is_multiple_of(BATCH) {
            AHEAD
        } else {
            return None;
        };
        Some((iova.wrapping_add(step.wrapping_mul(from)), step))
    }
}

/// IOVA span of a last-level table (2 MiB) and of a level-2 table (1 GiB).
const SPAN_L3: usize = 1 << lvl_shift(LAST - 1);
const SPAN_L2: usize = 1 << lvl_shift(LAST - 2);

/// Asks the CPU to fetch the cache line at `p` (a hint: it reads nothing and cannot fault).
#[inline(always)]
pub(super) fn prefetch(p: *const AtomicU64) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE, which the instruction needs, is part of the x86_64 baseline; a prefetch reads nothing
        // architecturally and cannot fault, whatever address it is given.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The bits of the 64-byte lines that entries `first..first + n` of a table occupy (eight entries a line).
#[inline]
pub(super) fn lines(first: usize, n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    let (a, b) = (first / 8, (first + n - 1) / 8);
    let upto = if b >= 63 { !0 } else { (1u64 << (b + 1)) - 1 };
    upto & !((1u64 << a) - 1)
}

// SAFETY: `ptes` points into a `Ram` mapping, which is shared between threads by design (`Ram: Send + Sync`, accessed
// only through atomics); the cache itself holds no thread-bound state.
unsafe impl Send for WalkCache {}
// SAFETY: as for `Send`.
unsafe impl Sync for WalkCache {}

/// The last level: 4 KiB pages.
const LAST: u32 = MAX_LEVELS - 1;

impl WalkCache {
    /// The cache entry for the table `table` at `lvl` (at least 1) covering `iova`, whose entries and hint `view`
    /// holds.
    #[inline]
    pub(super) fn new(iova: usize, lvl: u32, table: PhysAddr, view: TableView<'_>) -> Self {
        Self {
            key: Self::key(iova, lvl),
            lvl,
            table,
            ptes: NonNull::from(view.ptes),
            hint: NonNull::from(view.hint),
        }
    }

    /// The IOVA bits above level `lvl`: equal for every IOVA one table at `lvl` covers.
    #[inline]
    fn key(iova: usize, lvl: u32) -> usize {
        iova >> lvl_shift(lvl - 1)
    }

    /// The level of the cached table.
    #[inline]
    pub(super) fn level(&self) -> u32 {
        self.lvl
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
        if self.key != Self::key(iova, self.lvl) {
            return None;
        }
        // SAFETY: `ptes` came from `ram.frame_u64s` and `hint` from `ram.line_hint` (type invariant; `ram` is that RAM
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
    #[inline]
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

    /// A 4 KiB unmap inside the cached last-level table: clears the run of page leaves from `iova` (up to `pgcount`,
    /// within the table, until an empty entry) and gathers them, as the full path would. An entry that is neither
    /// empty nor a page is left, with the rest of the call, to the full path; `None` when the cache does not cover
    /// `iova`.
    #[inline]
    pub(super) fn unmap_cached(
        &mut self,
        iova: usize,
        pgcount: usize,
        gather: &mut Option<&mut IotlbGather>,
    ) -> Option<usize> {
        let cache = self.walk_cache.as_ref()?;
        // SAFETY: `self.ram` is the RAM of the table that holds the cache.
        let (_, view) = unsafe { cache.lookup(&self.ram, iova) }?;
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
