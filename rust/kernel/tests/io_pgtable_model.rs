// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Property tests: random `map_pages`/`unmap_pages` calls on [`ArmLpaeS1`] against the independent reference model
//! `tyr_models::pgtable` (written from `Documentation/hardware.md#page-table-format`, shared with the fuzz targets).
//! After every call the table's leaves (address, level, descriptor), `iova_to_phys` at probe points, `tables_live`
//! and the RAM frames in use must equal the model's, and every table page's dirty-line hint must cover its non-zero
//! lines.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::{ArmLpaeS1, Config, IoPageTable, SZ_2M, SZ_4K};
use proptest::prelude::*;
use tyr_models::pgtable::Model;

const SLOT: u64 = SZ_2M as u64;

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

/// Every (table, line) holding a non-zero entry that the table page's dirty-line hint calls clean: a page reused
/// with such a line would keep a stale entry.
fn lines_missing_from_hints(ram: &Ram, pt: &ArmLpaeS1) -> Vec<(u64, usize)> {
    let mut missing = Vec::new();
    pt.for_each_table(|t| {
        let dirty = ram.dirty_lines(t);
        let ptes = ram.frame_u64s(t).unwrap();
        for (line, entries) in ptes.chunks(8).enumerate() {
            let nonzero = entries.iter().any(|e| e.load(Ordering::Relaxed) != 0);
            if nonzero && dirty & (1 << line) == 0 {
                missing.push((t, line));
            }
        }
    });
    missing
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
                    let got = (got.0, got.1.map_err(|e| -e.to_errno()));
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
            prop_assert_eq!(lines_missing_from_hints(&ram, &pt), Vec::<(u64, usize)>::new(), "after {:?}", op);
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
