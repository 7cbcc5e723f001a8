// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! [`Stride`]: fetching the last-level entries of a stream of scattered updates into the CPU cache ahead of the calls.

use std::sync::atomic::{AtomicU64, Ordering};

use hw_mem::Ram;

use super::desc::{lvl_shift, MAX_LEVELS, PTES_PER_TABLE};
use super::{Geometry, Pte};

/// The last level: 4 KiB pages.
const LAST: u32 = MAX_LEVELS - 1;

/// How many steps of a stride ahead [`Stride`] has the next last-level entries fetched.
const AHEAD: usize = 16;
/// How many entries [`Stride`] has fetched at once, every that many steps: fetches issued together translate their
/// addresses in parallel, where one per call each wait for their own page walk.
const BATCH: usize = 4;

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

/// A walk reached the last-level table for `iova` through `parent`, the level-2 table: when the walks step by a fixed
/// stride ([`Stride`]), fetches the last-level entries a few steps ahead into the CPU cache where `parent` leads to
/// them. Reads `parent`'s entries only; writes nothing.
#[inline]
pub(super) fn fetch_ahead(
    stride: &mut Stride,
    ram: &Ram,
    geom: Geometry,
    iova: usize,
    parent: &[AtomicU64; PTES_PER_TABLE],
) {
    const L2: u32 = LAST - 1;
    let Some((first, step)) = stride.advance(iova) else {
        return;
    };
    for k in 0..BATCH {
        let next = first.wrapping_add(step.wrapping_mul(k));
        if next >> lvl_shift(L2 - 1) != iova >> lvl_shift(L2 - 1) {
            return;
        }
        let pte = Pte::from_bits(parent[geom.idx(next, L2)].load(Ordering::Relaxed));
        if pte.is_table(L2) {
            if let Ok(ptes) = ram.frame_u64s(pte.paddr()) {
                prefetch(&ptes[geom.idx(next, L2 + 1)]);
            }
        }
    }
}
