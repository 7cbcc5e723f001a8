// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Copies between RAM and ordinary memory made only of relaxed atomic accesses to RAM, as `vm-memory` does for guest
//! memory: the GPU model and the driver touch the same bytes from other threads with atomics, so a plain
//! `copy_nonoverlapping` or `write_bytes` on RAM would be a data race. The aligned middle of a range moves a 64-bit
//! word per access (relaxed atomics compile to plain moves, so this stays close to `memcpy`); the unaligned edges move
//! a byte per access.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

const WORD: usize = size_of::<u64>();

/// Splits `len` bytes at `p` into an unaligned head, a run of whole aligned words and a tail: returns (head bytes,
/// words).
fn split(p: *const u8, len: usize) -> (usize, usize) {
    let head = p.align_offset(WORD).min(len);
    (head, (len - head) / WORD)
}

/// Copies `dst.len()` bytes of RAM at `src` into `dst`.
///
/// # Safety
/// `src..src + dst.len()` must lie inside a live mapping that is accessed only through atomics or these functions for
/// the duration of the call.
pub(crate) unsafe fn read(src: *const u8, dst: &mut [u8]) {
    let (head, words) = split(src, dst.len());
    let (dst_head, rest) = dst.split_at_mut(head);
    let (dst_words, dst_tail) = rest.split_at_mut(words * WORD);
    for (i, d) in dst_head.iter_mut().enumerate() {
        // SAFETY: in bounds (caller); bytes need no alignment; only atomic accesses touch RAM (caller).
        *d = unsafe { AtomicU8::from_ptr(src.add(i).cast_mut()) }.load(Ordering::Relaxed);
    }
    // SAFETY: `head <= len` stays in bounds.
    let src_words = unsafe { src.add(head) };
    for (i, d) in dst_words.chunks_exact_mut(WORD).enumerate() {
        // SAFETY: `src_words` is 8-aligned (`split`) and word `i` lies inside the range (caller); only atomic accesses
        // touch RAM (caller).
        let w = unsafe { AtomicU64::from_ptr(src_words.add(i * WORD).cast::<u64>().cast_mut()) }
            .load(Ordering::Relaxed);
        d.copy_from_slice(&w.to_ne_bytes());
    }
    // SAFETY: still inside the range: `head + words * WORD <= len`.
    let src_tail = unsafe { src_words.add(words * WORD) };
    for (i, d) in dst_tail.iter_mut().enumerate() {
        // SAFETY: as for the head.
        *d = unsafe { AtomicU8::from_ptr(src_tail.add(i).cast_mut()) }.load(Ordering::Relaxed);
    }
}

/// Copies `src` into RAM at `dst`.
///
/// # Safety
/// As for [`read`], for `dst..dst + src.len()`.
pub(crate) unsafe fn write(dst: *mut u8, src: &[u8]) {
    let (head, words) = split(dst, src.len());
    let (src_head, rest) = src.split_at(head);
    let (src_words, src_tail) = rest.split_at(words * WORD);
    for (i, s) in src_head.iter().enumerate() {
        // SAFETY: in bounds (caller); bytes need no alignment; only atomic accesses touch RAM (caller).
        unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(*s, Ordering::Relaxed);
    }
    // SAFETY: `head <= len` stays in bounds.
    let dst_words = unsafe { dst.add(head) };
    for (i, s) in src_words.chunks_exact(WORD).enumerate() {
        let w = u64::from_ne_bytes(s.try_into().expect("chunks_exact yields whole words"));
        // SAFETY: `dst_words` is 8-aligned (`split`) and word `i` lies inside the range (caller).
        unsafe { AtomicU64::from_ptr(dst_words.add(i * WORD).cast::<u64>()) }
            .store(w, Ordering::Relaxed);
    }
    // SAFETY: still inside the range.
    let dst_tail = unsafe { dst_words.add(words * WORD) };
    for (i, s) in src_tail.iter().enumerate() {
        // SAFETY: as for the head.
        unsafe { AtomicU8::from_ptr(dst_tail.add(i)) }.store(*s, Ordering::Relaxed);
    }
}

/// Sets `len` bytes of RAM at `dst` to `byte`.
///
/// # Safety
/// As for [`read`], for `dst..dst + len`.
pub(crate) unsafe fn fill(dst: *mut u8, len: usize, byte: u8) {
    let (head, words) = split(dst, len);
    let w = u64::from_ne_bytes([byte; WORD]);
    for i in 0..head {
        // SAFETY: in bounds (caller); only atomic accesses touch RAM (caller).
        unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(byte, Ordering::Relaxed);
    }
    // SAFETY: `head <= len`.
    let dst_words = unsafe { dst.add(head) };
    for i in 0..words {
        // SAFETY: 8-aligned (`split`) and inside the range (caller).
        unsafe { AtomicU64::from_ptr(dst_words.add(i * WORD).cast::<u64>()) }
            .store(w, Ordering::Relaxed);
    }
    let tail = len - head - words * WORD;
    // SAFETY: still inside the range.
    let dst_tail = unsafe { dst_words.add(words * WORD) };
    for i in 0..tail {
        // SAFETY: as for the head.
        unsafe { AtomicU8::from_ptr(dst_tail.add(i)) }.store(byte, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset and length around the word edges, against a plain copy.
    #[test]
    fn every_alignment_and_length_copies_exactly() {
        let mut ram = vec![0u64; 8];
        let base = ram.as_mut_ptr().cast::<u8>();
        let pattern: Vec<u8> = (0..64u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(1))
            .collect();
        for off in 0..16 {
            for len in 0..40 {
                // SAFETY: `off + len <= 56 < 64`, inside `ram`, touched only through these functions here.
                unsafe {
                    fill(base, 64, 0xee);
                    write(base.add(off), &pattern[..len]);
                    let mut out = vec![0u8; 64];
                    read(base, &mut out);
                    assert!(
                        out[..off].iter().all(|&b| b == 0xee),
                        "head clobbered at {off}/{len}"
                    );
                    assert_eq!(&out[off..off + len], &pattern[..len], "{off}/{len}");
                    assert!(
                        out[off + len..].iter().all(|&b| b == 0xee),
                        "tail clobbered at {off}/{len}"
                    );
                    fill(base.add(off), len, 0x5a);
                    let mut back = vec![0u8; len];
                    read(base.add(off), &mut back);
                    assert!(back.iter().all(|&b| b == 0x5a));
                }
            }
        }
    }
}
