// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The kernel's io-pgtable-arm.c (the peer) and ours on the same calls: same bytes mapped and unmapped, same errnos,
//! same leaves (level, IOVA and every descriptor bit), same translations — so that the benchmark compares equals.
//! Only 4K pages and whole 2M blocks are used: 6.12 still splits a block on a partial unmap, which upstream has since
//! dropped and ours does not do.

use std::sync::Arc;

use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::{ArmLpaeS1, Config, IoPageTable};
use tyr_kpeer::{available, KernelPgtable, PagePool};

const PROT: u32 = 1 | 2 | 4;

fn ours() -> ArmLpaeS1 {
    let ram = Arc::new(Ram::new(RamConfig::default()).unwrap());
    ArmLpaeS1::with_ram(ram, Config::PANTHOR_RK3588).unwrap()
}

fn our_leaves(pt: &ArmLpaeS1) -> Vec<(u32, u64, u64)> {
    let mut v = Vec::new();
    pt.for_each_leaf(|l| v.push((l.level, l.iova as u64, l.pte.bits())));
    v
}

fn peer_leaves(pt: &KernelPgtable<'_>) -> Vec<(u32, u64, u64)> {
    pt.leaves()
        .into_iter()
        .map(|l| (l.level, l.iova, l.pte))
        .collect()
}

fn errno(r: Result<(), tyr_kpeer::Error>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(tyr_kpeer::Error::Errno(e)) => e,
        Err(e) => panic!("{e}"),
    }
}

/// A small seeded generator (xorshift), so the sequence is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn random_page_maps_and_unmaps_agree_call_by_call() {
    if !available() {
        return;
    }
    let pool = PagePool::new(64 << 20).unwrap();
    let mut peer = KernelPgtable::new(&pool).unwrap();
    let mut pt = ours();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A window of 2048 pages straddling 2M (L3 table) and 1G (L2 table) boundaries.
    let base = (1u64 << 30) - (1 << 22);
    for step in 0..3000 {
        let iova = base + rng.below(2048) * 0x1000;
        let long = rng.below(4) == 0;
        let n = 1 + rng.below(if long { 700 } else { 8 }) as usize;
        if rng.below(100) < 55 {
            let pa = 0x8000_0000 + rng.below(1 << 16) * 0x1000;
            let (a, ra) = pt.map_pages(iova as usize, pa, 0x1000, n, PROT);
            let (b, rb) = peer.map_pages(iova, pa, 0x1000, n, PROT);
            assert_eq!(
                (a, ra.err().map_or(0, |e| e.to_errno().abs())),
                (b, errno(rb)),
                "step {step}: map {iova:#x} {n}"
            );
        } else {
            let a = pt.unmap_pages(iova as usize, 0x1000, n, None);
            let b = peer.unmap_pages(iova, 0x1000, n);
            assert_eq!(a, b, "step {step}: unmap {iova:#x} {n}");
        }
        if step % 250 == 0 {
            assert_eq!(our_leaves(&pt), peer_leaves(&peer), "step {step}");
        }
    }
    let leaves = our_leaves(&pt);
    assert!(
        leaves.len() > 100,
        "the sequence leaves a populated table: {}",
        leaves.len()
    );
    assert_eq!(leaves, peer_leaves(&peer));
    for i in 0..2048 {
        let iova = base + i * 0x1000 + 0x123;
        assert_eq!(
            pt.iova_to_phys(iova as usize),
            peer.iova_to_phys(iova),
            "{iova:#x}"
        );
    }
}

#[test]
fn blocks_bad_arguments_and_every_prot_agree() {
    if !available() {
        return;
    }
    let pool = PagePool::new(16 << 20).unwrap();
    let mut peer = KernelPgtable::new(&pool).unwrap();
    let mut pt = ours();
    let calls: &[(u64, u64, usize, usize, u32)] = &[
        (0x4000_0000, 0x1_0000_0000, 0x20_0000, 3, PROT),
        (0x4020_0000, 0x1_0000_0000, 0x20_0000, 1, PROT),
        (0x4060_0000, 0x2000, 0x1000, 2, 1),
        (0x4060_2000, 0x2000, 0x1000, 1, 2 | 8),
        (0x4060_3000, 0x3000, 0x1000, 1, 1 | 16),
        (0x4060_4000, 0x4000, 0x1000, 1, 1 | 32),
        (0x4060_5000, 0x4000, 0x1000, 1, 4),
        (0x4060_6000, 0x4000, 0x2000, 1, PROT),
        (1 << 48, 0, 0x1000, 1, PROT),
        (0x4060_7000, 1 << 40, 0x1000, 1, PROT),
        (0x4060_8000, 0x8000, 0x1000, 0, PROT),
        (0x7fe0_0000, 0x7fe0_0000, 0x20_0000, 2, PROT),
    ];
    for &(iova, pa, size, n, prot) in calls {
        let (a, ra) = pt.map_pages(iova as usize, pa, size, n, prot);
        let (b, rb) = peer.map_pages(iova, pa, size, n, prot);
        let ra = ra.err().map_or(0, |e| e.to_errno().abs());
        assert_eq!(
            (a, ra),
            (b, errno(rb)),
            "map {iova:#x} {pa:#x} {size:#x} {n} {prot:#x}"
        );
    }
    assert_eq!(our_leaves(&pt), peer_leaves(&peer));
    for &(iova, size, n) in &[
        (0x4000_0000u64, 0x20_0000usize, 2usize),
        (0x4060_0000, 0x1000, 8),
        (0x7fe0_0000, 0x20_0000, 2),
    ] {
        assert_eq!(
            pt.unmap_pages(iova as usize, size, n, None),
            peer.unmap_pages(iova, size, n),
            "unmap {iova:#x}"
        );
    }
    assert_eq!(our_leaves(&pt), peer_leaves(&peer));
}

#[test]
fn pages_blocks_and_whole_table_unmaps_agree_call_by_call() {
    if !available() {
        return;
    }
    let pool = PagePool::new(64 << 20).unwrap();
    let mut peer = KernelPgtable::new(&pool).unwrap();
    let mut pt = ours();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // Sixteen 2M regions straddling a 1G boundary, mapped with pages and blocks, unmapped by pages and by whole 2M
    // entries (which free the L3 tables under them).
    let base = (1u64 << 30) - (8 << 21);
    let blocks = 16;
    for step in 0..4000 {
        let region = base + rng.below(blocks) * 0x20_0000;
        let page = region + rng.below(512) * 0x1000;
        let pa = 0x8000_0000 + rng.below(1 << 14) * 0x20_0000;
        match rng.below(100) {
            0..=39 => {
                let max = if rng.below(3) == 0 { 700 } else { 16 };
                let n = 1 + rng.below(max) as usize;
                let (a, ra) = pt.map_pages(page as usize, pa, 0x1000, n, PROT);
                let (b, rb) = peer.map_pages(page, pa, 0x1000, n, PROT);
                assert_eq!(
                    (a, ra.err().map_or(0, |e| e.to_errno().abs())),
                    (b, errno(rb)),
                    "step {step}: map {page:#x} {n}"
                );
            }
            40..=54 => {
                let n = 1 + rng.below(4) as usize;
                let (a, ra) = pt.map_pages(region as usize, pa, 0x20_0000, n, PROT);
                let (b, rb) = peer.map_pages(region, pa, 0x20_0000, n, PROT);
                assert_eq!(
                    (a, ra.err().map_or(0, |e| e.to_errno().abs())),
                    (b, errno(rb)),
                    "step {step}: map block {region:#x} {n}"
                );
            }
            55..=84 => {
                // Not inside a block: 6.12 would split it (see the module comment).
                let in_block = pt
                    .walk(page as usize)
                    .entries()
                    .iter()
                    .any(|e| e.kind == kernel::io_pgtable::EntryKind::Block);
                if in_block {
                    continue;
                }
                let max = if rng.below(3) == 0 { 700 } else { 16 };
                let n = 1 + rng.below(max) as usize;
                let a = pt.unmap_pages(page as usize, 0x1000, n, None);
                let b = peer.unmap_pages(page, 0x1000, n);
                assert_eq!(a, b, "step {step}: unmap {page:#x} {n}");
            }
            _ => {
                let n = 1 + rng.below(4) as usize;
                let a = pt.unmap_pages(region as usize, 0x20_0000, n, None);
                let b = peer.unmap_pages(region, 0x20_0000, n);
                assert_eq!(a, b, "step {step}: unmap block {region:#x} {n}");
            }
        }
        assert_eq!(pt.tables_live(), peer.tables_live(), "step {step}");
        if step % 100 == 0 {
            assert_eq!(our_leaves(&pt), peer_leaves(&peer), "step {step}");
        }
    }
    let leaves = our_leaves(&pt);
    assert!(
        leaves.iter().any(|l| l.0 == 2) && leaves.iter().any(|l| l.0 == 3),
        "the sequence ends with both blocks and pages mapped"
    );
    assert_eq!(leaves, peer_leaves(&peer));
}
