// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Behaviour of the modelled system RAM.

use hw_mem::{MemError, Ram, RamConfig, FRAME_SIZE};

fn small() -> Ram {
    Ram::new(RamConfig {
        size: 64 << 20,
        holes: vec![0x100_0000..0x110_0000],
        reserved: vec![0..0x1000],
    })
    .unwrap()
}

#[test]
fn default_layout_is_4gib_with_the_rk3588_peripheral_hole() {
    let ram = Ram::new(RamConfig::default()).unwrap();
    assert_eq!(ram.size(), 4 << 30);
    assert!(ram.contains(0xEFFF_F000, 0x1000));
    assert!(
        !ram.contains(0xFB00_0000, 4),
        "the Mali's MMIO window is not RAM"
    );
    assert!(
        !ram.contains(0xEFFF_F000, 0x2000),
        "an access straddling into the hole is refused"
    );
    let s = ram.stats();
    assert_eq!(
        s.usable_frames,
        ((4u64 << 30) - (0x1000_0000) - FRAME_SIZE) / FRAME_SIZE
    );
    assert_eq!(s.free_frames, s.usable_frames);
}

#[test]
fn scalar_accessors_are_little_endian() {
    let ram = small();
    ram.write_u64(0x2000, 0x0102_0304_0506_0708).unwrap();
    assert_eq!(ram.read_u8(0x2000).unwrap(), 0x08);
    assert_eq!(ram.read_u16(0x2000).unwrap(), 0x0708);
    assert_eq!(ram.read_u32(0x2004).unwrap(), 0x0102_0304);
    let mut b = [0u8; 8];
    ram.read(0x2000, &mut b).unwrap();
    assert_eq!(b, [8, 7, 6, 5, 4, 3, 2, 1]);
    // Unaligned scalars work too (as byte copies).
    ram.write_u32(0x3003, 0xdead_beef).unwrap();
    assert_eq!(ram.read_u32(0x3003).unwrap(), 0xdead_beef);
    assert_eq!(ram.read_u8(0x3006).unwrap(), 0xde);
}

#[test]
fn accesses_outside_ram_are_errors_not_panics() {
    let ram = small();
    assert!(matches!(
        ram.read_u32(64 << 20),
        Err(MemError::OutOfRange { .. })
    ));
    assert!(matches!(
        ram.read_u64((64 << 20) - 4),
        Err(MemError::OutOfRange { .. })
    ));
    assert!(matches!(
        ram.write_u8(0x100_0800, 1),
        Err(MemError::OutOfRange { .. })
    ));
    assert!(matches!(
        ram.read(u64::MAX - 2, &mut [0; 8]),
        Err(MemError::OutOfRange { .. })
    ));
    assert!(matches!(
        ram.write(0xff_f000, &[0; 0x2000]),
        Err(MemError::OutOfRange { .. })
    ));
    assert!(matches!(
        ram.frame_u64s(0x2008),
        Err(MemError::Misaligned { .. })
    ));
    assert!(matches!(
        ram.u64_slice(0x2004, 1),
        Err(MemError::Misaligned { .. })
    ));
    assert!(matches!(
        ram.zero(0x3ff_f000, 0x2000),
        Err(MemError::OutOfRange { .. })
    ));
}

#[test]
fn frames_never_come_from_holes_or_reserved_ranges() {
    let ram = small();
    let mut got = Vec::new();
    while let Ok(pa) = ram.alloc_frame() {
        assert!(pa >= FRAME_SIZE, "PA 0 is reserved");
        assert!(
            !(0x100_0000..0x110_0000).contains(&pa),
            "{pa:#x} is in the hole"
        );
        got.push(pa);
    }
    assert_eq!(got.len() as u64, ram.stats().usable_frames);
    assert!(matches!(
        ram.alloc_frame(),
        Err(MemError::OutOfMemory { count: 1 })
    ));
    ram.free_frame(got[10]).unwrap();
    assert_eq!(ram.alloc_frame().unwrap(), got[10]);
}

#[test]
fn contiguous_runs_are_aligned_and_disjoint() {
    let ram = small();
    let a = ram.alloc_frames(512, 2 << 20).unwrap();
    let b = ram.alloc_frames(512, 2 << 20).unwrap();
    assert_eq!(a % (2 << 20), 0);
    assert_eq!(b % (2 << 20), 0);
    assert!(a + (2 << 20) <= b || b + (2 << 20) <= a);
    let c = ram.alloc_frames(3, FRAME_SIZE).unwrap();
    assert!(
        c + 3 * FRAME_SIZE <= a.min(b)
            || c >= a.max(b) + (2 << 20)
            || (c >= a + (2 << 20) && c + 0x3000 <= b)
    );
    // A run can never span the hole.
    let big = ram.alloc_frames(0x200, FRAME_SIZE).unwrap();
    assert!(big + 0x20_0000 <= 0x100_0000 || big >= 0x110_0000);
    assert!(matches!(
        ram.alloc_frames(1 << 20, FRAME_SIZE),
        Err(MemError::OutOfMemory { .. })
    ));
    assert!(matches!(
        ram.alloc_frames(1, 0x1800),
        Err(MemError::Misaligned { .. })
    ));
}

#[test]
fn bad_frees_change_nothing() {
    let ram = small();
    let a = ram.alloc_frames(4, FRAME_SIZE).unwrap();
    let before = ram.stats();
    assert!(matches!(
        ram.free_frames(a, 5),
        Err(MemError::NotAllocated { .. })
    ));
    assert!(matches!(
        ram.free_frame(0),
        Err(MemError::NotAllocated { pa: 0 })
    ));
    assert!(matches!(
        ram.free_frame(a + 1),
        Err(MemError::Misaligned { .. })
    ));
    assert!(matches!(
        ram.free_frame(0x100_0000),
        Err(MemError::OutOfRange { .. })
    ));
    assert_eq!(ram.stats(), before);
    ram.free_frames(a, 4).unwrap();
    assert!(
        matches!(ram.free_frame(a), Err(MemError::NotAllocated { .. })),
        "double free is refused"
    );
    assert_eq!(ram.stats().free_frames, before.free_frames + 4);
}

#[test]
fn the_memfd_shows_the_same_bytes_at_file_offset_pa() {
    use std::os::fd::AsRawFd;
    let ram = small();
    ram.write_u32(0x5000, 0x1234_5678).unwrap();
    let file = std::fs::File::open(format!("/proc/self/fd/{}", ram.memfd().as_raw_fd())).unwrap();
    // SAFETY: the memfd is sealed against shrinking, so the mapping cannot be truncated under us.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(0x5000)
            .len(0x1000)
            .map(&file)
    }
    .unwrap();
    assert_eq!(&map[..4], &0x1234_5678u32.to_le_bytes());
}

#[test]
fn bad_configurations_are_refused() {
    assert!(matches!(
        Ram::new(RamConfig {
            size: 0,
            holes: vec![],
            reserved: vec![]
        }),
        Err(MemError::Config(_))
    ));
    assert!(matches!(
        Ram::new(RamConfig {
            size: 0x1800,
            holes: vec![],
            reserved: vec![]
        }),
        Err(MemError::Config(_))
    ));
    let bad_hole = RamConfig {
        size: 1 << 20,
        holes: vec![0x800..0x2000],
        reserved: vec![],
    };
    assert!(matches!(Ram::new(bad_hole), Err(MemError::Config(_))));
}

#[test]
fn is_allocated_follows_alloc_and_free() {
    let ram = small();
    let a = ram.alloc_frame().unwrap();
    assert!(ram.is_allocated(a));
    assert!(ram.is_allocated(a + 0x123), "any byte of the frame");
    ram.free_frame(a).unwrap();
    assert!(!ram.is_allocated(a));
    assert!(
        !ram.is_allocated(0),
        "reserved frames were never handed out"
    );
    assert!(!ram.is_allocated(!0xfff), "outside RAM");
}

#[test]
fn first_unallocated_agrees_with_is_allocated_frame_by_frame() {
    let ram = small();
    let a = ram.alloc_frame().unwrap();
    let b = ram.alloc_frame().unwrap();
    assert_eq!(ram.first_unallocated([a, b + 0x10]), None);
    assert_eq!(ram.first_unallocated([]), None);
    ram.free_frame(a).unwrap();
    assert_eq!(ram.first_unallocated([b, a, b]), Some(a));
    assert_eq!(ram.first_unallocated([b, 0]), Some(0), "reserved");
    assert_eq!(
        ram.first_unallocated([!0xfff, b]),
        Some(!0xfff),
        "outside RAM"
    );
    ram.free_frame(b).unwrap();
}

/// Copies out of RAM are made of 64-bit atomic loads where aligned: a reader racing a writer of whole aligned words
/// (as the GPU model writes page-table entries and ring pointers) never sees half of one word and half of another.
#[test]
fn copies_never_tear_aligned_words_written_concurrently() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let ram = Ram::new(RamConfig::rk3588(1 << 20)).unwrap();
    let pa = ram.alloc_frame().unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut v = 0u64;
            while !stop.load(Ordering::Relaxed) {
                v = !v;
                for i in 0..512 {
                    ram.write_u64(pa + i * 8, v).unwrap();
                }
            }
        });
        let mut buf = vec![0u8; FRAME_SIZE as usize];
        for _ in 0..2000 {
            ram.read(pa, &mut buf).unwrap();
            for w in buf.chunks_exact(8) {
                assert!(
                    w.iter().all(|&b| b == w[0]) && (w[0] == 0 || w[0] == 0xff),
                    "torn word {w:02x?}"
                );
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn populate_keeps_contents_and_refuses_what_is_not_ram() {
    let ram = small();
    ram.write_u64(0x3008, 0xdead_beef).unwrap();
    ram.populate(0x3000, 3 * FRAME_SIZE).unwrap();
    ram.populate(0x3004, 1).unwrap();
    ram.populate(0x5000, 0).unwrap();
    assert_eq!(ram.read_u64(0x3008).unwrap(), 0xdead_beef);
    assert_eq!(ram.read_u64(0x4000).unwrap(), 0);
    assert!(matches!(
        ram.populate(0x0FF_F000, 2 * FRAME_SIZE),
        Err(MemError::OutOfRange { .. })
    ));
    assert!(ram.populate(ram.size() - FRAME_SIZE, FRAME_SIZE).is_ok());
    assert!(ram.populate(ram.size(), 1).is_err());
}

#[test]
fn free_frame_list_frees_the_good_frames_and_reports_the_first_bad_one() {
    let ram = small();
    let before = ram.stats().free_frames;
    let a = ram.alloc_frame().unwrap();
    let b = ram.alloc_frame().unwrap();
    let c = ram.alloc_frame().unwrap();
    ram.free_frame_list(&[a, b]).unwrap();
    assert!(!ram.is_allocated(a) && !ram.is_allocated(b) && ram.is_allocated(c));
    // A duplicate, a reserved frame, a hole, a misaligned address: each skipped, the first one reported.
    let r = ram.free_frame_list(&[c, c, 0, 0x100_0000, c + 8]);
    assert!(matches!(r, Err(MemError::NotAllocated { pa }) if pa == c));
    assert!(!ram.is_allocated(c));
    assert_eq!(ram.stats().free_frames, before);
    assert!(ram.free_frame_list(&[]).is_ok());
}

#[test]
fn free_frame_list_takes_runs_either_way_and_checks_them_whole() {
    let ram = small();
    let before = ram.stats().free_frames;
    let run = ram.alloc_frames(8, FRAME_SIZE).unwrap();
    let up: Vec<u64> = (0..4).map(|i| run + i * FRAME_SIZE).collect();
    let down: Vec<u64> = (4..8).rev().map(|i| run + i * FRAME_SIZE).collect();
    ram.free_frame_list(&down).unwrap();
    assert!((4..8).all(|i| !ram.is_allocated(run + i * FRAME_SIZE)));
    assert!((0..4).all(|i| ram.is_allocated(run + i * FRAME_SIZE)));
    // A run with one frame already free: the others still go, the free one is reported.
    ram.free_frame(up[2]).unwrap();
    let r = ram.free_frame_list(&up);
    assert!(matches!(r, Err(MemError::NotAllocated { pa }) if pa == up[2]));
    assert_eq!(ram.stats().free_frames, before);
    // A run reaching into the reserved first frame frees nothing reserved.
    let low = ram.alloc_frame().unwrap();
    assert_eq!(low, FRAME_SIZE, "lowest free frame first");
    assert!(ram.free_frame_list(&[FRAME_SIZE, 0]).is_err());
    assert!(!ram.is_allocated(FRAME_SIZE) && !ram.is_allocated(0));
    assert_eq!(ram.stats().free_frames, before);
}

/// Regression (the `ioctls` fuzz target ran out of memory on a BO_CREATE of 2.6 GiB): zeroing whole frames, as a new
/// object's pages are cleared, used to write every byte and so commit host memory for all of them.
#[test]
fn zeroing_whole_frames_gives_their_memory_back_and_reads_zero() {
    let ram = Ram::new(RamConfig {
        size: 64 << 20,
        holes: Vec::new(),
        reserved: Vec::new(),
    })
    .unwrap();
    let before = ram.committed();
    let pa = 8 << 20;
    let len = 16 << 20;
    ram.fill(pa, len, 0xAA).unwrap();
    assert!(
        ram.committed() >= before + len,
        "filled frames are committed"
    );
    // Partial frames at both ends are written, the whole frames between them released.
    ram.zero(pa + 100, len - 200).unwrap();
    assert!(ram.committed() < before + 2 * FRAME_SIZE + hw_mem::RELEASE_MIN);
    let mut b = [0u8; 4];
    ram.read(pa + 96, &mut b).unwrap();
    assert_eq!(b, [0xAA; 4]);
    for at in [pa + 100, pa + 4096, pa + len / 2, pa + len - 204] {
        ram.read(at, &mut b).unwrap();
        assert_eq!(b, [0; 4], "at {at:#x}");
    }
    ram.read(pa + len - 96, &mut b).unwrap();
    assert_eq!(b, [0xAA; 4]);
    // A small range is written, not released.
    ram.fill(pa, 3 * FRAME_SIZE, 0x55).unwrap();
    ram.zero(pa, 3 * FRAME_SIZE).unwrap();
    ram.read(pa + FRAME_SIZE, &mut b).unwrap();
    assert_eq!(b, [0; 4]);
}
