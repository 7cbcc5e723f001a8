// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The physical frame allocator: one bit per 4 KiB frame.
//!
//! Single frames are taken lowest-first from a search hint, so recently freed (and therefore host-resident) frames are
//! reused before untouched ones; runs are found first-fit with the requested alignment. Frames that are not usable RAM
//! (holes, reserved firmware areas) are marked allocated once at start-up and can never be freed.

/// Bitmap of frames: bit set = in use (or not usable).
///
/// # Invariants
/// * `words.len() * 64 >= nframes`; bits at or beyond `nframes` are set, so they are never handed out.
/// * `free` equals the number of clear bits.
/// * every word below `hint` is full (all bits set).
pub(crate) struct FrameBitmap {
    words: Vec<u64>,
    nframes: u64,
    free: u64,
    hint: usize,
}

impl FrameBitmap {
    /// A bitmap of `nframes` frames, all free.
    pub(crate) fn new(nframes: u64) -> Self {
        let nwords = nframes.div_ceil(64) as usize;
        let mut words = vec![0u64; nwords];
        let tail = nframes % 64;
        if tail != 0 {
            words[nwords - 1] = !0u64 << tail;
        }
        Self {
            words,
            nframes,
            free: nframes,
            hint: 0,
        }
    }

    /// Number of free frames.
    pub(crate) fn free(&self) -> u64 {
        self.free
    }

    /// Whether frame `f` is in use.
    pub(crate) fn is_used(&self, f: u64) -> bool {
        f >= self.nframes || self.words[(f / 64) as usize] & (1 << (f % 64)) != 0
    }

    /// Marks `[first, first + count)` used, whatever its state (start-up reservation of holes).
    pub(crate) fn mark_used(&mut self, first: u64, count: u64) {
        for f in first..(first + count).min(self.nframes) {
            if !self.is_used(f) {
                self.words[(f / 64) as usize] |= 1 << (f % 64);
                self.free -= 1;
            }
        }
    }

    /// Takes the lowest free frame.
    pub(crate) fn alloc_one(&mut self) -> Option<u64> {
        let (i, w) = self.words[self.hint..]
            .iter()
            .enumerate()
            .find(|(_, w)| **w != !0)?;
        let i = i + self.hint;
        let bit = (!*w).trailing_zeros() as u64;
        self.words[i] |= 1 << bit;
        self.free -= 1;
        self.hint = i;
        Some(i as u64 * 64 + bit)
    }

    /// Takes the first run of `count` free frames whose first frame is a multiple of `align` (a power of two).
    pub(crate) fn alloc_run(&mut self, count: u64, align: u64) -> Option<u64> {
        debug_assert!(align.is_power_of_two());
        if count == 0 || count > self.free {
            return None;
        }
        if count == 1 && align == 1 {
            return self.alloc_one();
        }
        let mut start = (self.hint as u64 * 64).next_multiple_of(align);
        while start + count <= self.nframes {
            // Find the first used frame inside the candidate run, if any.
            match (start..start + count).rev().find(|&f| self.is_used(f)) {
                None => {
                    for f in start..start + count {
                        self.words[(f / 64) as usize] |= 1 << (f % 64);
                    }
                    self.free -= count;
                    self.advance_hint();
                    return Some(start);
                }
                Some(used) => start = (used + 1).next_multiple_of(align),
            }
        }
        None
    }

    /// Whether every frame of `[first, first + count)` is in use (frames beyond the end count as in use).
    pub(crate) fn all_used(&self, first: u64, count: u64) -> bool {
        let end = (first + count).min(self.nframes);
        let mut f = first;
        while f < end {
            let (w, bit) = ((f / 64) as usize, f % 64);
            let n = (64 - bit).min(end - f);
            let mask = (!0u64 >> (64 - n)) << bit;
            if self.words[w] & mask != mask {
                return false;
            }
            f += n;
        }
        true
    }

    /// Returns `[first, first + count)`, a word of the bitmap at a time; every frame must be in use (checked by the
    /// caller).
    pub(crate) fn release(&mut self, first: u64, count: u64) {
        debug_assert!(self.all_used(first, count));
        let end = first + count;
        let mut f = first;
        while f < end {
            let (w, bit) = ((f / 64) as usize, f % 64);
            let n = (64 - bit).min(end - f);
            self.words[w] &= !((!0u64 >> (64 - n)) << bit);
            f += n;
        }
        self.free += count;
        self.hint = self.hint.min((first / 64) as usize);
    }

    /// Returns frame `f` if it is in use (a valid frame number); whether it was.
    #[inline]
    pub(crate) fn release_one(&mut self, f: u64) -> bool {
        let Some(w) = self.words.get_mut((f / 64) as usize) else {
            return false;
        };
        let bit = 1 << (f % 64);
        if f >= self.nframes || *w & bit == 0 {
            return false;
        }
        *w &= !bit;
        self.free += 1;
        self.hint = self.hint.min((f / 64) as usize);
        true
    }

    fn advance_hint(&mut self) {
        while self.hint < self.words.len() && self.words[self.hint] == !0 {
            self.hint += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_bits_are_never_handed_out() {
        let mut b = FrameBitmap::new(70);
        let got: Vec<u64> = std::iter::from_fn(|| b.alloc_one()).collect();
        assert_eq!(got, (0..70).collect::<Vec<_>>());
        assert_eq!(b.free(), 0);
    }

    #[test]
    fn freed_frames_are_reused_lowest_first() {
        let mut b = FrameBitmap::new(256);
        for _ in 0..200 {
            b.alloc_one().unwrap();
        }
        b.release(130, 1);
        b.release(7, 1);
        assert_eq!(b.alloc_one(), Some(7));
        assert_eq!(b.alloc_one(), Some(130));
        assert_eq!(b.alloc_one(), Some(200));
    }

    #[test]
    fn runs_respect_alignment_and_skip_used_frames() {
        let mut b = FrameBitmap::new(4096);
        b.mark_used(300, 1);
        assert_eq!(b.alloc_run(512, 512), Some(512));
        assert_eq!(b.alloc_run(3, 1), Some(0));
        assert_eq!(b.alloc_run(600, 1), Some(1024));
        assert_eq!(b.free(), 4096 - 1 - 512 - 3 - 600);
        assert_eq!(b.alloc_run(5000, 1), None);
    }

    #[test]
    fn word_wise_checks_and_releases_match_frame_by_frame() {
        let mut b = FrameBitmap::new(300);
        assert_eq!(b.alloc_run(300, 1), Some(0));
        assert!(
            b.all_used(0, 300) && b.all_used(290, 20),
            "frames past the end count as used"
        );
        b.release(60, 70);
        assert_eq!(b.free(), 70);
        assert!((60..130).all(|f| !b.is_used(f)));
        assert!(b.is_used(59) && b.is_used(130));
        assert!(
            !b.all_used(0, 61) && b.all_used(0, 60) && !b.all_used(129, 2) && b.all_used(130, 170)
        );
        assert!(b.release_one(200) && !b.release_one(200) && !b.release_one(300));
        assert_eq!(b.alloc_one(), Some(60));
    }
}
