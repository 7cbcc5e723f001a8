// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Dirty-line hints: a frame keeps a precise hint only while tracked owners hold it; every other way of handing it out,
//! taking it back or writing it makes every line dirty.

use std::sync::atomic::Ordering;

use hw_mem::{Ram, RamConfig, ALL_LINES};

fn ram() -> Ram {
    Ram::new(RamConfig::rk3588(16 << 20)).unwrap()
}

/// A tracked frame whose hint says only line 3 is dirty, as a page table leaves it.
fn tracked_with_line_3(ram: &Ram) -> u64 {
    let pa = ram.alloc_tracked_frame().unwrap();
    ram.frame_u64s(pa).unwrap()[3 * 8].store(0x1234, Ordering::Relaxed);
    ram.line_hint(pa).unwrap().store(1 << 3, Ordering::Relaxed);
    pa
}

#[test]
fn a_never_written_frame_is_tracked_and_clean() {
    let ram = ram();
    let pa = ram.alloc_tracked_frame().unwrap();
    assert!(ram.is_tracked(pa));
    assert_eq!(ram.dirty_lines(pa), 0);
}

#[test]
fn the_hint_travels_with_a_frame_freed_and_taken_again_by_tracked_owners() {
    let ram = ram();
    let pa = tracked_with_line_3(&ram);
    ram.free_tracked_frames(&[pa]).unwrap();
    assert_eq!(
        ram.alloc_tracked_frame().unwrap(),
        pa,
        "lowest free frame first"
    );
    assert_eq!(ram.dirty_lines(pa), 1 << 3);
}

#[test]
fn untracked_allocation_or_freeing_forgets_the_hint() {
    let ram = ram();
    let pa = tracked_with_line_3(&ram);
    ram.free_frame(pa).unwrap();
    assert!(!ram.is_tracked(pa));
    assert_eq!(ram.dirty_lines(pa), ALL_LINES);
    // Taken by a tracked owner again: every line counts as dirty until that owner writes a hint.
    assert_eq!(ram.alloc_tracked_frame().unwrap(), pa);
    assert!(ram.is_tracked(pa));
    assert_eq!(ram.dirty_lines(pa), ALL_LINES);

    let pa = tracked_with_line_3(&ram);
    ram.free_frame_list(&[pa]).unwrap();
    assert_eq!(ram.dirty_lines(pa), ALL_LINES);

    let pa = tracked_with_line_3(&ram);
    ram.free_tracked_frames(&[pa]).unwrap();
    assert_eq!(ram.alloc_frame().unwrap(), pa);
    assert_eq!(
        ram.dirty_lines(pa),
        ALL_LINES,
        "a buffer may be written untracked"
    );

    // A run of frames, some of them tracked before.
    let run = ram.alloc_frames(4, 4096).unwrap();
    for i in 0..4 {
        assert!(!ram.is_tracked(run + i * 4096));
    }
}

/// A store into the frame at the given address.
type Write = dyn Fn(&Ram, u64);

#[test]
fn non_zero_stores_through_the_accessors_forget_the_hint() {
    let ram = ram();
    let writes: [&Write; 5] = [
        &|r, pa| r.write_u64(pa + 0x200, 7).unwrap(),
        &|r, pa| r.write_u32(pa + 0x204, 7).unwrap(),
        &|r, pa| r.write_u8(pa + 0x7ff, 1).unwrap(),
        &|r, pa| r.write(pa + 0xff8, &[1, 2, 3]).unwrap(),
        &|r, pa| r.fill(pa + 0x100, 8, 0xaa).unwrap(),
    ];
    for w in writes {
        let pa = tracked_with_line_3(&ram);
        w(&ram, pa);
        assert!(!ram.is_tracked(pa));
        assert_eq!(ram.dirty_lines(pa), ALL_LINES);
        ram.free_tracked_frames(&[pa]).unwrap();
    }
    // Stores of zero cannot leave a stale entry: the hint stays.
    let pa = tracked_with_line_3(&ram);
    ram.write_u64(pa + 0x200, 0).unwrap();
    ram.fill(pa, 4096, 0).unwrap();
    assert_eq!(ram.dirty_lines(pa), 1 << 3);
}

#[test]
fn a_write_spanning_frames_forgets_each() {
    let ram = ram();
    let a = ram.alloc_tracked_frame().unwrap();
    let b = ram.alloc_tracked_frame().unwrap();
    assert_eq!(b, a + 4096);
    ram.write(a + 4090, &[1; 12]).unwrap();
    assert!(!ram.is_tracked(a) && !ram.is_tracked(b));
}

#[test]
fn bad_addresses_report_every_line_dirty() {
    let ram = ram();
    assert_eq!(ram.dirty_lines(0x1008), ALL_LINES);
    assert_eq!(ram.dirty_lines(64 << 20), ALL_LINES);
    assert!(ram.line_hint(0x1008).is_err());
    assert!(ram.frame_u64s_hinted(64 << 20).is_err());
}

#[test]
fn zeroing_whole_frames_cleans_the_tracked_ones_only() {
    let ram = ram();
    // Sixteen tracked frames (64 KiB, which `zero` gives back to the host where it can), then one untracked.
    let first = tracked_with_line_3(&ram);
    for i in 1..16 {
        assert_eq!(tracked_with_line_3(&ram), first + i * 4096);
    }
    let buffer = ram.alloc_frame().unwrap();
    assert_eq!(buffer, first + 16 * 4096);
    ram.zero(first, 17 * 4096).unwrap();
    // And one zeroed by a fill (under 64 KiB).
    let small = tracked_with_line_3(&ram);
    ram.zero(small, 4096).unwrap();
    assert_eq!(ram.dirty_lines(small), 0);
    for i in 0..16 {
        assert_eq!(ram.dirty_lines(first + i * 4096), 0);
        assert_eq!(ram.read_u64(first + i * 4096 + 3 * 64).unwrap(), 0);
    }
    assert_eq!(ram.dirty_lines(buffer), ALL_LINES);
}
