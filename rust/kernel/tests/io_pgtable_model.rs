// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Property tests: random `map_pages`/`unmap_pages` calls on [`ArmLpaeS1`] against a small independent model of the
//! kernel's rules, written from `Documentation/hardware.md#page-table-format` rather than from the implementation.
//!
//! The model keeps what matters for observable behaviour: per 2 MiB slot, either a block or a (possibly empty) page
//! table with its pages; which L1/L2 tables exist. After every call the table's leaves (address, level, descriptor),
//! `iova_to_phys` at probe points, `tables_live` and the RAM frames in use must equal the model's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hw_mem::{Ram, RamConfig};
use kernel::error::code::{EEXIST, EINVAL, ERANGE};
use kernel::error::Error;
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::{ArmLpaeS1, Config, IoPageTable, SZ_2M, SZ_4K};
use proptest::prelude::*;

const SLOT: u64 = SZ_2M as u64;

/// Leaf attributes per the documented table (`Documentation/hardware.md#page-table-format`), computed independently of
/// the crate.
fn attrs(prot: u32) -> u64 {
    let mut a = 0x800 | 0x400; // nG, AF
    a |= if prot & CACHE != 0 { 0x300 } else { 0x200 };
    if prot & READ != 0 && prot & WRITE == 0 {
        a |= 0x80;
    }
    if prot & PRIV == 0 {
        a |= 0x40;
    }
    a |= if prot & MMIO != 0 {
        2 << 2
    } else if prot & CACHE != 0 {
        1 << 2
    } else {
        0
    };
    if prot & NOEXEC != 0 {
        a |= 0x0060_0000_0000_0000;
    }
    a
}

#[derive(Clone, Debug)]
enum Slot {
    Block(u64),
    Table(BTreeMap<u64, u64>),
}

#[derive(Default, Debug)]
struct Model {
    slots: BTreeMap<u64, Slot>,
    l1: BTreeSet<u64>,
    l2: BTreeSet<u64>,
}

impl Model {
    fn tables_live(&self) -> usize {
        1 + self.l1.len()
            + self.l2.len()
            + self
                .slots
                .values()
                .filter(|s| matches!(s, Slot::Table(_)))
                .count()
    }

    fn leaves(&self) -> Vec<(usize, u32, u64)> {
        let mut v = Vec::new();
        for (&s, slot) in &self.slots {
            match slot {
                Slot::Block(pte) => v.push(((s * SLOT) as usize, 2, *pte)),
                Slot::Table(pages) => {
                    v.extend(
                        pages
                            .iter()
                            .map(|(&i, &pte)| ((s * SLOT + i * 4096) as usize, 3, pte)),
                    );
                }
            }
        }
        v
    }

    fn lookup(&self, iova: u64) -> u64 {
        match self.slots.get(&(iova / SLOT)) {
            Some(Slot::Block(pte)) => (pte & 0xffff_ffff_f000 & !(SLOT - 1)) | (iova % SLOT),
            Some(Slot::Table(p)) => p
                .get(&((iova % SLOT) / 4096))
                .map_or(0, |pte| (pte & 0xffff_ffff_f000) | (iova & 0xfff)),
            None => 0,
        }
    }

    fn map(
        &mut self,
        iova: u64,
        pa: u64,
        pgsize: usize,
        n: usize,
        prot: u32,
    ) -> (usize, Result<(), Error>) {
        if iova >> 48 != 0 || pa >> 40 != 0 {
            return (0, Err(ERANGE));
        }
        if prot & (READ | WRITE) == 0 {
            return (0, Err(EINVAL));
        }
        // The descent creates the L1 and L2 tables before anything can fail.
        self.l1.insert(iova >> 39);
        self.l2.insert(iova >> 30);
        let a = attrs(prot);
        let slot0 = iova / SLOT;
        if pgsize == SZ_4K {
            let idx = (iova % SLOT) / 4096;
            let cnt = (n as u64).min(512 - idx);
            let slot = self
                .slots
                .entry(slot0)
                .or_insert_with(|| Slot::Table(BTreeMap::new()));
            let Slot::Table(pages) = slot else {
                return (0, Err(EEXIST));
            };
            if (idx..idx + cnt).any(|i| pages.contains_key(&i)) {
                return (0, Err(EEXIST));
            }
            for i in 0..cnt {
                pages.insert(idx + i, (pa + i * 4096) | a | 3);
            }
            ((cnt * 4096) as usize, Ok(()))
        } else {
            let idx = slot0 % 512;
            let cnt = (n as u64).min(512 - idx);
            for s in slot0..slot0 + cnt {
                match self.slots.get(&s) {
                    Some(Slot::Block(_)) => return (0, Err(EEXIST)),
                    // Tables met before a block stay removed even when the call then fails.
                    Some(Slot::Table(_)) => {
                        self.slots.remove(&s);
                    }
                    None => {}
                }
            }
            for i in 0..cnt {
                self.slots
                    .insert(slot0 + i, Slot::Block((pa + i * SLOT) | a | 1));
            }
            ((cnt * SLOT) as usize, Ok(()))
        }
    }

    fn unmap(&mut self, iova: u64, pgsize: usize, n: usize) -> usize {
        if iova >> 48 != 0 || !self.l1.contains(&(iova >> 39)) || !self.l2.contains(&(iova >> 30)) {
            return 0;
        }
        let slot0 = iova / SLOT;
        if pgsize == SZ_2M {
            let cnt = (n as u64).min(512 - slot0 % 512);
            let mut cleared = 0;
            for s in slot0..slot0 + cnt {
                if self.slots.remove(&s).is_none() {
                    break;
                }
                cleared += 1;
            }
            return cleared * SZ_2M;
        }
        let idx = (iova % SLOT) / 4096;
        let Some(Slot::Table(pages)) = self.slots.get_mut(&slot0) else {
            return 0;
        };
        let cnt = (n as u64).min(512 - idx);
        let mut cleared = 0;
        for i in idx..idx + cnt {
            if pages.remove(&i).is_none() {
                break;
            }
            cleared += 1;
        }
        cleared * SZ_4K
    }
}

#[derive(Clone, Debug)]
enum Op {
    Map {
        iova: u64,
        pa: u64,
        big: bool,
        n: usize,
        prot: u32,
    },
    Unmap {
        iova: u64,
        big: bool,
        n: usize,
    },
}

/// IOVAs that collide often: a 16 MiB window at 0, one across the 1 GiB boundary, one across 512 GiB.
fn iova(big: bool) -> impl Strategy<Value = u64> {
    let align = if big { SLOT } else { 4096 };
    (
        prop_oneof![
            Just(0u64),
            Just((1 << 30) - (8 << 20)),
            Just((1 << 39) - (8 << 20))
        ],
        0..(16u64 << 20),
    )
        .prop_map(move |(base, off)| (base + off) / align * align)
}

fn op() -> impl Strategy<Value = Op> {
    let prot = prop_oneof![
        Just(READ | WRITE | CACHE),
        Just(READ),
        Just(READ | WRITE | NOEXEC),
        Just(READ | MMIO | PRIV)
    ];
    prop_oneof![
        3 => any::<bool>().prop_flat_map(move |big| {
            (iova(big), 0..(1u64 << 28), if big { 1..5usize } else { 1..700usize }, prot.clone())
                .prop_map(move |(iova, pa, n, prot)| {
                    let align = if big { SLOT } else { 4096 };
                    Op::Map { iova, pa: pa / align * align, big, n, prot }
                })
        }),
        2 => any::<bool>().prop_flat_map(|big| {
            (iova(big), if big { 1..5usize } else { 1..700usize }).prop_map(move |(iova, n)| Op::Unmap { iova, big, n })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn table_behaves_like_the_model(ops in prop::collection::vec(op(), 1..40)) {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
        let free0 = ram.stats().free_frames;
        let mut pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588).unwrap();
        let mut m = Model::default();
        for op in &ops {
            match *op {
                Op::Map { iova, pa, big, n, prot } => {
                    let pgsize = if big { SZ_2M } else { SZ_4K };
                    let got = pt.map_pages(iova as usize, pa, pgsize, n, prot);
                    prop_assert_eq!(got, m.map(iova, pa, pgsize, n, prot), "{:?}", op);
                }
                Op::Unmap { iova, big, n } => {
                    let pgsize = if big { SZ_2M } else { SZ_4K };
                    prop_assert_eq!(pt.unmap_pages(iova as usize, pgsize, n, None), m.unmap(iova, pgsize, n), "{:?}", op);
                }
            }
            let mut leaves = Vec::new();
            pt.for_each_leaf(|l| leaves.push((l.iova, l.level, l.pte.bits())));
            prop_assert_eq!(leaves, m.leaves(), "after {:?}", op);
            prop_assert_eq!(pt.tables_live(), m.tables_live(), "after {:?}", op);
            prop_assert_eq!(ram.stats().free_frames + pt.tables_live() as u64, free0, "table pages leaked or double-freed");
        }
        // Probe translations at and around every leaf and in the gaps.
        let probes: Vec<u64> = m.leaves().iter().flat_map(|&(i, _, _)| [i as u64, i as u64 + 0x123, i as u64 + 0x1f_f000]).collect();
        for p in probes {
            prop_assert_eq!(pt.iova_to_phys(p as usize), m.lookup(p), "iova {:#x}", p);
        }
        drop(pt);
        prop_assert_eq!(ram.stats().free_frames, free0);
    }
}

#[test]
fn the_model_agrees_with_the_worked_examples() {
    assert_eq!(attrs(READ | WRITE | CACHE) | 3, 0xf47);
    assert_eq!(attrs(READ) | 3, 0xec3);
    assert_eq!(attrs(READ | CACHE) | 3, 0xfc7);
}
