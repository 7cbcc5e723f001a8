// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Dirty-line hints: for each frame, which of its 64 cache lines (64 bytes each) may hold non-zero bytes, so that a
//! page-table allocator can hand a freed table page to a new table and have only those lines zeroed, instead of the
//! whole 4 KiB being written or read back.
//!
//! A hint is worth something only while everything that writes the frame keeps it up to date. So a frame is
//! **tracked** or not:
//! * A frame that was never written is tracked with a clean hint (the memfd starts as a hole, which reads as zero); a
//!   tracked frame that [`Ram::zero`] clears whole gets a clean hint again.
//! * [`Ram::alloc_tracked_frame`] hands a frame to an owner that promises to record in the hint every line it stores a
//!   non-zero value in through the raw views ([`Ram::u64_slice`], [`Ram::frame_u64s`]): a page table. The frame stays
//!   tracked through [`Ram::free_tracked_frames`], the hint travelling with it to its next tracked owner.
//! * Every other way a frame is handed out or taken back ([`Ram::alloc_frame`], [`Ram::alloc_frames`],
//!   [`Ram::free_frame`], [`Ram::free_frames`], [`Ram::free_frame_list`]) and every non-zero store through RAM's own
//!   accessors ([`Ram::write`], [`Ram::fill`], `write_u8`..`write_u64`) leaves the frame untracked: its contents are
//!   then unknown, and [`Ram::dirty_lines`] says every line may be dirty until a tracked owner writes a fresh hint.
//!
//! So a stale line is never reported clean unless something stores into a tracked frame through a raw view without
//! recording it, or into a free frame through a mapping of the memfd: both break the contract of those interfaces.
//! None of it is needed for soundness; a wrong hint can only leave stale bytes in a frame.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{MemError, PhysAddr, Ram, Result, FRAME_SHIFT, FRAME_SIZE};

/// Every line of a frame: what [`Ram::dirty_lines`] reports for an untracked frame.
pub const ALL_LINES: u64 = !0;

/// Bytes per line of a hint.
pub const LINE_SIZE: u64 = FRAME_SIZE / 64;

/// The hint words and the tracked bits, one of each per frame of RAM.
///
/// # Invariants
/// `lines` has one word per frame and `tracked` one bit per frame (rounded up to whole words).
pub(crate) struct LineHints {
    lines: Box<[AtomicU64]>,
    tracked: Box<[AtomicU64]>,
}

impl LineHints {
    /// Hints for `nframes` never-written frames: all tracked, all clean. The hint words are allocated zeroed, so the
    /// host commits memory for them only where a frame's hint is written (8 bytes per table page).
    pub(crate) fn new(nframes: u64) -> Self {
        let words = nframes.div_ceil(64) as usize;
        Self {
            lines: zeroed_atomics(nframes as usize),
            tracked: (0..words).map(|_| AtomicU64::new(!0)).collect(),
        }
    }

    #[inline]
    fn is_tracked(&self, f: u64) -> bool {
        self.tracked[(f / 64) as usize].load(Ordering::Relaxed) & (1 << (f % 64)) != 0
    }

    /// Makes frame `f` tracked, its hint every line if it was not tracked.
    pub(crate) fn track(&self, f: u64) {
        if !self.is_tracked(f) {
            self.lines[f as usize].store(ALL_LINES, Ordering::Relaxed);
            self.tracked[(f / 64) as usize].fetch_or(1 << (f % 64), Ordering::Relaxed);
        }
    }

    /// Gives the tracked frames among `first..first + count`, which now read zero, a clean hint.
    pub(crate) fn clear_tracked(&self, first: u64, count: u64) {
        for f in first..first + count {
            if self.is_tracked(f) {
                self.lines[f as usize].store(0, Ordering::Relaxed);
            }
        }
    }

    /// Makes frames `first..first + count` untracked, a word of the bitmap at a time.
    pub(crate) fn untrack(&self, first: u64, count: u64) {
        let (mut f, end) = (first, first + count);
        while f < end {
            let bit = f % 64;
            let n = (64 - bit).min(end - f);
            let mask = if n == 64 {
                !0
            } else {
                ((1u64 << n) - 1) << bit
            };
            let w = &self.tracked[(f / 64) as usize];
            if w.load(Ordering::Relaxed) & mask != 0 {
                w.fetch_and(!mask, Ordering::Relaxed);
            }
            f += n;
        }
    }
}

/// `n` atomics, all zero, from a zeroed allocation (which the host backs lazily).
fn zeroed_atomics(n: usize) -> Box<[AtomicU64]> {
    let v: Box<[u64]> = vec![0u64; n].into_boxed_slice();
    let raw = Box::into_raw(v);
    // SAFETY: `AtomicU64` has the same size, alignment and bit validity as `u64`, so a boxed slice of one is a boxed
    // slice of the other with the same layout; `raw` came from `Box::into_raw` and is turned back into a box once.
    unsafe { Box::from_raw(raw as *mut [AtomicU64]) }
}

impl Ram {
    /// The frame number of `pa`, which must be a frame-aligned address of RAM.
    fn hint_frame(&self, pa: PhysAddr) -> Result<u64> {
        if !pa.is_multiple_of(FRAME_SIZE) {
            return Err(MemError::Misaligned {
                pa,
                align: FRAME_SIZE,
            });
        }
        if !self.contains(pa, FRAME_SIZE) {
            return Err(MemError::OutOfRange {
                pa,
                len: FRAME_SIZE,
            });
        }
        Ok(pa >> FRAME_SHIFT)
    }

    /// Hands out one frame to an owner that keeps its dirty-line hint ([`Ram::line_hint`]) up to date: a page table.
    /// The frame stays tracked; if it was not, its hint becomes every line. Contents are whatever was last written.
    pub fn alloc_tracked_frame(&self) -> Result<PhysAddr> {
        let f = self
            .frames
            .lock()
            .alloc_one()
            .ok_or(MemError::OutOfMemory { count: 1 })?;
        self.hints.track(f);
        Ok(f << FRAME_SHIFT)
    }

    /// Returns frames that a tracked owner held ([`Ram::alloc_tracked_frame`]) under one lock, keeping their hints; the
    /// errors and skipping rules are [`Ram::free_frame_list`]'s.
    pub fn free_tracked_frames(&self, pas: &[PhysAddr]) -> Result<()> {
        self.free_list(pas, false)
    }

    /// The hint word of the frame at `pa`: bit `i` set when line `i` (bytes `64 * i..64 * i + 64`) may be non-zero. Only
    /// the frame's tracked owner writes it, setting the bits of every line it stores a non-zero value in and clearing
    /// those of lines it made zero. Meaningless while the frame is untracked (read [`Ram::dirty_lines`]).
    ///
    /// Errors: `pa` not a frame-aligned address of RAM.
    pub fn line_hint(&self, pa: PhysAddr) -> Result<&AtomicU64> {
        let f = self.hint_frame(pa)?;
        Ok(&self.hints.lines[f as usize])
    }

    /// [`Ram::frame_u64s`] and [`Ram::line_hint`] of the frame at `pa` together, checked once: what a page-table
    /// walker that may write the frame needs.
    #[inline]
    pub fn frame_u64s_hinted(&self, pa: PhysAddr) -> Result<(&[AtomicU64; 512], &AtomicU64)> {
        let ptes = self.frame_u64s(pa)?;
        // `frame_u64s` checked that `pa` is a frame-aligned address of RAM, so its frame has a hint word.
        Ok((ptes, &self.hints.lines[(pa >> FRAME_SHIFT) as usize]))
    }

    /// The lines of the frame at `pa` that may hold non-zero bytes: its hint while it is tracked, every line
    /// ([`ALL_LINES`]) otherwise, or when `pa` is not a frame-aligned address of RAM.
    pub fn dirty_lines(&self, pa: PhysAddr) -> u64 {
        match self.hint_frame(pa) {
            Ok(f) if self.hints.is_tracked(f) => {
                self.hints.lines[f as usize].load(Ordering::Relaxed)
            }
            _ => ALL_LINES,
        }
    }

    /// Whether the frame at `pa` is tracked (for tests and checkers).
    pub fn is_tracked(&self, pa: PhysAddr) -> bool {
        self.hint_frame(pa).is_ok_and(|f| self.hints.is_tracked(f))
    }

    /// Forgets the hints of the frames `[pa, pa + len)` touches (a store RAM's accessors made); `len` > 0 and the range
    /// inside RAM.
    #[inline]
    pub(crate) fn untrack_range(&self, pa: PhysAddr, len: u64) {
        let first = pa >> FRAME_SHIFT;
        let last = (pa + len - 1) >> FRAME_SHIFT;
        self.hints.untrack(first, last - first + 1);
    }
}
