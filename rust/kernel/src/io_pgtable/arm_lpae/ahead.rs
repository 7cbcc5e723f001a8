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
        // The first time a stride repeats, the next `BATCH` steps; then, every `BATCH` steps, the batch `AHEAD` on.
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

#[cfg(test)]
mod tests {
    use super::*;

    const MB2: usize = 2 << 20;

    #[test]
    fn a_steady_stride_asks_for_a_batch_every_batch_steps() {
        let mut s = Stride::default();
        let base = 1 << 30;
        let got: Vec<_> = (0..10).map(|i| s.advance(base + i * MB2)).collect();
        // The first walk has no step yet and the second no repeat; from the third on the stride holds.
        assert_eq!(got[..2], [None, None]);
        assert_eq!(got[2], Some((base + 3 * MB2, MB2)));
        let batches: Vec<_> = (3..10).filter_map(|i| got[i].map(|b| (i, b))).collect();
        assert_eq!(
            batches,
            [
                (5, (base + (5 + AHEAD) * MB2, MB2)),
                (9, (base + (9 + AHEAD) * MB2, MB2))
            ]
        );
    }

    #[test]
    fn descending_strides_count_and_short_long_or_broken_ones_do_not() {
        let mut s = Stride::default();
        let top = 1 << 30;
        assert!(
            (0..3).map(|i| s.advance(top - i * MB2)).last().flatten()
                == Some((top - 3 * MB2, MB2.wrapping_neg()))
        );
        let mut s = Stride::default();
        assert!(
            (0..8).all(|i| s.advance(i * 4096).is_none()),
            "inside one last-level table"
        );
        let mut s = Stride::default();
        assert!(
            (0..8).all(|i| s.advance(i << 30).is_none()),
            "a level-2 table apart"
        );
        let mut s = Stride::default();
        for i in 0..3 {
            s.advance(i * MB2);
        }
        assert_eq!(s.advance(7 * MB2), None, "the stride broke");
        assert_eq!(s.advance(11 * MB2), None, "a new one has not repeated yet");
        assert!(s.advance(15 * MB2).is_some());
    }
}
