// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! io-pgtable ARM LPAE S1: reusing table pages through their dirty-line hints (only the lines the last table wrote
//! are zeroed, a page written by anything else is zeroed whole), the level-2 walk cache, and streams of scattered
//! calls (whose entries are fetched ahead) behaving as single calls do.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use hw_mem::{PhysAddr, Ram, RamConfig, ALL_LINES};
use kernel::error::code::*;
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::*;

const RW: u32 = READ | WRITE;
/// A 2 MiB region in the second GiB, and the next one.
const A: usize = 0x4000_0000;
const B: usize = A + SZ_2M;

fn table() -> (Arc<Ram>, ArmLpaeS1) {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    let pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588).unwrap();
    (ram, pt)
}

/// The last-level table that maps `iova`.
fn l3_of(pt: &ArmLpaeS1, iova: usize) -> PhysAddr {
    pt.walk(iova).entries()[2].pte.paddr()
}

/// The indices of the non-zero entries of the table page at `pa`.
fn nonzero(ram: &Ram, pa: PhysAddr) -> Vec<usize> {
    let ptes = ram.frame_u64s(pa).unwrap();
    (0..512)
        .filter(|&i| ptes[i].load(Ordering::Relaxed) != 0)
        .collect()
}

/// Maps 4 KiB pages at entries 0, 9, 100 and 511 of `A`'s table, then unmaps `A` as one 2 MiB call, which frees the
/// table with its leaves still in it (as the kernel does). Returns the freed page.
fn free_a_table_with_leaves(pt: &mut ArmLpaeS1) -> PhysAddr {
    for i in [0usize, 9, 100, 511] {
        let iova = A + i * SZ_4K;
        assert_eq!(
            pt.map_pages(iova, 0x10_0000 + (i * SZ_4K) as u64, SZ_4K, 1, RW),
            (SZ_4K, Ok(()))
        );
    }
    let l3 = l3_of(pt, A);
    assert_eq!(pt.unmap_pages(A, SZ_2M, 1, None), SZ_2M);
    l3
}

#[test]
fn a_reused_table_page_is_cleared_where_its_last_table_wrote() {
    let (ram, mut pt) = table();
    let old = free_a_table_with_leaves(&mut pt);
    assert_eq!(nonzero(&ram, old), [0, 9, 100, 511], "freed as it was");
    assert_eq!(
        ram.dirty_lines(old),
        1 | 1 << 1 | 1 << 12 | 1 << 63,
        "the hint names the lines the leaves were in"
    );

    assert_eq!(
        pt.map_pages(B + 5 * SZ_4K, 0x20_0000, SZ_4K, 1, RW),
        (SZ_4K, Ok(()))
    );
    assert_eq!(l3_of(&pt, B), old, "the freed page was the one reused");
    assert_eq!(nonzero(&ram, old), [5]);
    assert_eq!(ram.dirty_lines(old), 1);
    let mut leaves = Vec::new();
    pt.for_each_leaf(|l| leaves.push(l.iova));
    assert_eq!(leaves, [B + 5 * SZ_4K]);
}

#[test]
fn only_the_lines_the_hint_names_are_touched() {
    let (ram, mut pt) = table();
    let old = free_a_table_with_leaves(&mut pt);
    // A store the hint does not know of (through the raw view, which the contract forbids): the reuse does not even
    // read that line, which is what makes it cheap.
    ram.frame_u64s(old).unwrap()[300].store(0x55, Ordering::Relaxed);
    assert_eq!(pt.map_pages(B, 0x20_0000, SZ_4K, 1, RW), (SZ_4K, Ok(())));
    assert_eq!(l3_of(&pt, B), old);
    assert_eq!(nonzero(&ram, old), [0, 300]);
}

#[test]
fn a_table_page_written_through_the_accessors_is_zeroed_whole() {
    let (ram, mut pt) = table();
    assert_eq!(pt.map_pages(A, 0x10_0000, SZ_4K, 1, RW), (SZ_4K, Ok(())));
    let l3 = l3_of(&pt, A);
    // A debugging tool plants an entry in a line the table never wrote.
    ram.write_u64(l3 + 8 * 300, 0x30_0000 | 0x743).unwrap();
    assert_eq!(ram.dirty_lines(l3), ALL_LINES);
    assert_eq!(pt.unmap_pages(A, SZ_2M, 1, None), SZ_2M);

    assert_eq!(
        pt.map_pages(B + 7 * SZ_4K, 0x20_0000, SZ_4K, 1, RW),
        (SZ_4K, Ok(()))
    );
    assert_eq!(l3_of(&pt, B), l3);
    assert_eq!(nonzero(&ram, l3), [7], "the planted entry is gone");
    assert_eq!(pt.iova_to_phys(B + 300 * SZ_4K), 0);
}

#[test]
fn a_new_root_is_cleared_whatever_the_page_held() {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    // The lowest free frame, dirtied through the accessors, then freed: the root will be that page.
    let pa = ram.alloc_frame().unwrap();
    ram.fill(pa, 4096, 0x5a).unwrap();
    ram.free_frame(pa).unwrap();
    let pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588).unwrap();
    assert_eq!(pt.ttbr(), pa);
    assert!(nonzero(&ram, pa).is_empty());
    assert_eq!(ram.dirty_lines(pa), 0);
}

#[test]
fn a_block_over_a_cached_level_2_table_is_walked_to_afterwards() {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    let cfg = Config {
        pgsize_bitmap: SZ_4K | SZ_2M | SZ_1G,
        ..Config::PANTHOR_RK3588
    };
    let mut pt = ArmLpaeS1::with_ram(ram, cfg).unwrap();
    // Two pages in different 2 MiB of the same GiB: the second starts its walk at the cached level-2 table.
    assert_eq!(
        pt.map_pages(SZ_1G, 0x10_0000, SZ_4K, 1, RW),
        (SZ_4K, Ok(()))
    );
    assert_eq!(
        pt.map_pages(SZ_1G + SZ_2M, 0x11_0000, SZ_4K, 1, RW),
        (SZ_4K, Ok(()))
    );
    assert_eq!(pt.tables_live(), 5);
    // A 1 GiB block replaces that level-2 table (and its two last-level tables).
    assert_eq!(
        pt.map_pages(SZ_1G, 0x4000_0000, SZ_1G, 1, RW),
        (SZ_1G, Ok(()))
    );
    assert_eq!(pt.tables_live(), 2);
    // Neither the freed level-2 table nor its last-level tables are written again.
    assert_eq!(
        pt.map_pages(SZ_1G + 2 * SZ_2M, 0x12_0000, SZ_4K, 1, RW),
        (0, Err(EEXIST))
    );
    assert_eq!(
        pt.map_pages(SZ_1G + SZ_2M + SZ_4K, 0x12_0000, SZ_4K, 1, RW),
        (0, Err(EEXIST))
    );
    assert_eq!(
        pt.unmap_pages(SZ_1G + 2 * SZ_2M, SZ_4K, 1, None),
        0,
        "a block is not split"
    );
    assert_eq!(pt.iova_to_phys(SZ_1G + 0x1234), 0x4000_1234);
}

/// Maps one page every `step` bytes from `start` (`count` of them, `step` may be negative), each in its own
/// last-level table, then unmaps them in the same order; every call must do what it does alone.
fn scattered_stream(start: usize, step: isize, count: usize, holes: &[usize]) {
    let (ram, mut pt) = table();
    let iova = |i: usize| start.wrapping_add_signed(step * i as isize);
    for i in (0..count).filter(|i| !holes.contains(i)) {
        let pa = 0x100_0000 + (i * SZ_4K) as u64;
        assert_eq!(pt.map_pages(iova(i), pa, SZ_4K, 1, RW), (SZ_4K, Ok(())));
    }
    for i in 0..count {
        let want = if holes.contains(&i) { 0 } else { SZ_4K };
        assert_eq!(pt.unmap_pages(iova(i), SZ_4K, 1, None), want, "call {i}");
        assert_eq!(pt.iova_to_phys(iova(i)), 0);
    }
    let mut leaves = 0;
    pt.for_each_leaf(|_| leaves += 1);
    assert_eq!(leaves, 0);
    // Unmapping a page frees no table (as upstream): every table made by the maps is still there.
    let tables = pt.tables_live();
    drop(pt);
    assert!(tables > count - holes.len());
    assert_eq!(ram.stats().free_frames, ram.stats().usable_frames);
}

#[test]
fn a_scattered_stream_across_a_gib_boundary_unmaps_page_by_page() {
    scattered_stream(SZ_1G - 40 * SZ_2M, SZ_2M as isize, 100, &[]);
}

#[test]
fn a_descending_stream_and_one_with_holes_too() {
    scattered_stream(SZ_1G + 60 * SZ_2M, -(SZ_2M as isize), 100, &[]);
    scattered_stream(SZ_1G - 20 * SZ_2M, 3 * SZ_2M as isize, 60, &[7, 30, 31, 59]);
}

#[test]
fn a_page_unmap_through_the_cached_level_2_table_meets_blocks_and_holes_as_a_walk_does() {
    let (_ram, mut pt) = table();
    // A page at `A` leaves `A`'s level-2 table cached; `B` holds a 2 MiB block, the region after it nothing.
    assert_eq!(pt.map_pages(A, 0x10_0000, SZ_4K, 1, RW), (SZ_4K, Ok(())));
    assert_eq!(pt.map_pages(B, 0x20_0000, SZ_2M, 1, RW), (SZ_2M, Ok(())));
    assert_eq!(
        pt.map_pages(A + SZ_4K, 0x11_0000, SZ_4K, 1, RW),
        (SZ_4K, Ok(()))
    );
    assert_eq!(
        pt.unmap_pages(B + SZ_4K, SZ_4K, 1, None),
        0,
        "a block is not split"
    );
    assert_eq!(pt.iova_to_phys(B + SZ_4K), 0x20_1000);
    assert_eq!(pt.unmap_pages(B + SZ_2M, SZ_4K, 1, None), 0, "a hole");
    // Back in `A`'s table from elsewhere: a run stops at its first hole.
    let mut gather = IotlbGather::default();
    assert_eq!(pt.unmap_pages(A, SZ_4K, 3, Some(&mut gather)), 2 * SZ_4K);
    assert_eq!((gather.start, gather.end), (A, A + 2 * SZ_4K - 1));
    assert_eq!(pt.iova_to_phys(A), 0);
    assert_eq!(pt.iova_to_phys(B), 0x20_0000);
}
