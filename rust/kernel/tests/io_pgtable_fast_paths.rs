// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! io-pgtable ARM LPAE S1: the fast paths keep the kernel's behaviour — a table made for the leaves it holds, the
//! cached last-level table, leaves cleared a group at a time, tables freed in batches.

use std::sync::Arc;

use hw_mem::{PhysAddr, Ram, RamConfig};
use kernel::error::code::*;
use kernel::error::Result;
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::*;

const RW: u32 = READ | WRITE;

fn ram() -> Arc<Ram> {
    Arc::new(Ram::new(RamConfig::rk3588(512 << 20)).unwrap())
}

/// Every leaf as (iova, level, pte).
fn leaves<A: PtAlloc, F: FlushOps>(pt: &ArmLpaeS1<A, F>) -> Vec<(usize, u32, u64)> {
    let mut v = Vec::new();
    pt.for_each_leaf(|l| v.push((l.iova, l.level, l.pte.bits())));
    v
}

/// Records the walk flushes and gathered pages asked for.
#[derive(Default)]
struct Recorder {
    walks: Vec<(usize, usize)>,
    pages: usize,
}

impl FlushOps for Recorder {
    fn tlb_flush_walk(&mut self, iova: usize, size: usize, _granule: usize) {
        self.walks.push((iova, size));
    }
    fn tlb_add_page(&mut self, gather: &mut IotlbGather, iova: usize, granule: usize) {
        self.pages += 1;
        gather.add_range(iova, granule);
    }
}

/// Hands out frames full of ones, as a reused page can be.
struct Dirty;

impl PtAlloc for Dirty {
    fn alloc_pt(&mut self, ram: &Ram) -> Result<PhysAddr> {
        let pa = ram.alloc_frame().map_err(|_| ENOMEM)?;
        ram.fill(pa, 4096, 0xff).unwrap();
        Ok(pa)
    }
    fn free_pt(&mut self, ram: &Ram, pa: PhysAddr) {
        ram.free_frame(pa).unwrap();
    }
}

#[test]
fn a_whole_table_unmap_frees_every_last_level_table_flushing_each_walk() {
    let ram = ram();
    let free = ram.stats().free_frames;
    let mut pt = ArmLpaeS1::new(
        ram.clone(),
        Config::PANTHOR_RK3588,
        RamPtAlloc,
        Recorder::default(),
    )
    .unwrap();
    // 70 regions of pages (more tables than one batch of frees), then one 2M x 70 unmap... in two calls, as a call
    // stops at the end of its L2 table: 1 GiB - 20 * 2M is where the first starts.
    let base = (1 << 30) - 20 * SZ_2M;
    for r in 0..70 {
        let iova = base + r * SZ_2M;
        assert_eq!(
            pt.map_pages(iova, 0x100_0000, SZ_4K, 512, RW),
            (SZ_2M, Ok(()))
        );
    }
    assert_eq!(pt.tables_live(), 1 + 1 + 2 + 70);
    let mut gather = IotlbGather::default();
    assert_eq!(
        pt.unmap_pages(base, SZ_2M, 70, Some(&mut gather)),
        20 * SZ_2M
    );
    assert_eq!(
        pt.unmap_pages(1 << 30, SZ_2M, 50, Some(&mut gather)),
        50 * SZ_2M
    );
    assert!(leaves(&pt).is_empty());
    assert_eq!(
        pt.tables_live(),
        1 + 1 + 2,
        "every L3 table freed, the L2 tables kept"
    );
    let walks = &pt.flush_ops_mut().walks;
    assert_eq!(walks.len(), 70);
    assert!(walks
        .iter()
        .enumerate()
        .all(|(i, &w)| w == (base + i * SZ_2M, SZ_2M)));
    assert_eq!(pt.flush_ops_mut().pages, 70);
    assert_eq!(
        (gather.start, gather.end, gather.pgsize),
        (base, base + 70 * SZ_2M - 1, SZ_2M)
    );
    let mut reachable = 0;
    pt.for_each_table(|pa| {
        assert!(ram.is_allocated(pa));
        reachable += 1;
    });
    assert_eq!(reachable, pt.tables_live());
    assert_eq!(
        ram.stats().free_frames,
        free - 4,
        "the freed tables went back to RAM"
    );
    drop(pt);
    assert_eq!(ram.stats().free_frames, free);
}

#[test]
fn a_run_of_blocks_and_tables_is_cleared_entry_by_entry_up_to_the_first_hole() {
    let mut pt = ArmLpaeS1::with_ram(ram(), Config::PANTHOR_RK3588).unwrap();
    let base = 1 << 30;
    // Entries 0..20 of one L2 table: blocks, with a table of pages at 3 and 9 and nothing at 13.
    for i in (0..20).filter(|&i| i != 13) {
        let iova = base + i * SZ_2M;
        let r = if i == 3 || i == 9 {
            pt.map_pages(iova + 5 * SZ_4K, 0x200_0000, SZ_4K, 7, RW)
        } else {
            pt.map_pages(iova, 0x4000_0000 + (i * SZ_2M) as u64, SZ_2M, 1, RW)
        };
        assert!(r.1.is_ok(), "{i}");
    }
    let tables = pt.tables_live();
    assert_eq!(pt.unmap_pages(base, SZ_2M, 20, None), 13 * SZ_2M);
    assert_eq!(pt.tables_live(), tables - 2);
    let left = leaves(&pt);
    assert_eq!(left.len(), 6);
    assert!(left
        .iter()
        .all(|&(iova, lvl, _)| lvl == 2 && iova >= base + 14 * SZ_2M));
    // Inside a group of eight: leaves at 0..5 of a table, a hole at 5, leaves after.
    assert_eq!(
        pt.map_pages(0x40_0000, 0x10_0000, SZ_4K, 5, RW),
        (5 * SZ_4K, Ok(()))
    );
    assert_eq!(
        pt.map_pages(0x40_6000, 0x10_0000, SZ_4K, 20, RW),
        (20 * SZ_4K, Ok(()))
    );
    assert_eq!(pt.unmap_pages(0x40_0000, SZ_4K, 26, None), 5 * SZ_4K);
    assert_eq!(pt.iova_to_phys(0x40_6000), 0x10_0000);
    assert_eq!(pt.unmap_pages(0x40_6000, SZ_4K, 40, None), 20 * SZ_4K);
    assert_eq!(leaves(&pt).len(), 6);
}

#[test]
fn a_table_made_for_its_leaves_holds_nothing_else_even_from_a_dirty_page() {
    let ram = ram();
    let mut pt = ArmLpaeS1::new(ram.clone(), Config::PANTHOR_RK3588, Dirty, NoFlush).unwrap();
    // A run in the middle of a fresh L3 table, then a block in a fresh L2 table.
    assert_eq!(
        pt.map_pages(0x20_3000, 0x7000_0000, SZ_4K, 9, RW),
        (9 * SZ_4K, Ok(()))
    );
    assert_eq!(
        pt.map_pages(0x80_0000_0000, 0x4000_0000, SZ_2M, 3, RW),
        (3 * SZ_2M, Ok(()))
    );
    let l = leaves(&pt);
    assert_eq!(l.len(), 12);
    assert_eq!(l[0], (0x20_3000, 3, 0x7000_0000 | 0xe43));
    assert_eq!(l[8].0, 0x20_b000);
    assert_eq!(l[9], (0x80_0000_0000, 2, 0x4000_0000 | 0xe41));
    let s = pt.stats();
    assert_eq!(
        (s.pages_4k, s.blocks_2m, s.tables_total()),
        (9, 3, pt.tables_live())
    );
    assert_eq!(pt.iova_to_phys(0x20_2000), 0);
    assert_eq!(pt.iova_to_phys(0x20_c000), 0);
}

#[test]
fn calls_in_the_cached_table_keep_every_check() {
    let mut pt = ArmLpaeS1::with_ram(ram(), Config::PANTHOR_RK3588).unwrap();
    assert_eq!(
        pt.map_pages(0x1000, 0x10_0000, SZ_4K, 4, RW),
        (4 * SZ_4K, Ok(()))
    );
    // Into the same table: a run that meets an existing page is refused whole.
    assert_eq!(pt.map_pages(0x0, 0x20_0000, SZ_4K, 3, RW), (0, Err(EEXIST)));
    assert_eq!(pt.iova_to_phys(0x0), 0);
    // A run is cut at the end of its table.
    assert_eq!(
        pt.map_pages(0x1f_e000, 0x30_0000, SZ_4K, 5, RW),
        (2 * SZ_4K, Ok(()))
    );
    assert_eq!(pt.unmap_pages(0x1f_e000, SZ_4K, 5, None), 2 * SZ_4K);
    // An unmap stops at the first hole; one at a hole unmaps nothing.
    assert_eq!(pt.unmap_pages(0x2000, SZ_4K, 8, None), 3 * SZ_4K);
    assert_eq!(pt.unmap_pages(0x2000, SZ_4K, 1, None), 0);
    assert_eq!(pt.iova_to_phys(0x1000), 0x10_0000);
    // A page map in the cached table over a leaf, and a block over the table the cache points to.
    assert_eq!(
        pt.map_pages(0x1000, 0x10_0000, SZ_4K, 1, RW),
        (0, Err(EEXIST))
    );
    assert_eq!(pt.map_pages(0, 0x4000_0000, SZ_2M, 1, RW), (SZ_2M, Ok(())));
    assert_eq!(
        pt.map_pages(0x5000, 0x10_0000, SZ_4K, 1, RW),
        (0, Err(EEXIST)),
        "the cache went with the table"
    );
    assert_eq!(
        pt.unmap_pages(0x5000, SZ_4K, 1, None),
        0,
        "no splitting a block"
    );
    assert_eq!(leaves(&pt), [(0, 2, 0x4000_0000 | 0xe41)]);
}
