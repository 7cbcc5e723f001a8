// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! io-pgtable ARM LPAE S1: the read-only views tools use — the range visitor and the per-level statistics.

use std::sync::Arc;

use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::*;

const RW: u32 = READ | WRITE;

fn table() -> ArmLpaeS1 {
    ArmLpaeS1::with_ram(
        Arc::new(Ram::new(RamConfig::rk3588(256 << 20)).unwrap()),
        Config::PANTHOR_RK3588,
    )
    .unwrap()
}

#[test]
fn stats_count_tables_per_level_and_leaves_per_size() {
    let mut pt = table();
    assert_eq!(
        pt.map_pages(0x1000, 0x10_0000, SZ_4K, 3, RW),
        (3 * SZ_4K, Ok(()))
    );
    assert_eq!(
        pt.map_pages(0x40_0000, 0x20_0000, SZ_2M, 2, RW),
        (2 * SZ_2M, Ok(()))
    );
    let s = pt.stats();
    assert_eq!(
        s.tables,
        [1, 1, 1, 1],
        "root, one L1, one L2, and one L3 under the 4K pages"
    );
    assert_eq!((s.pages_4k, s.blocks_2m, s.blocks_1g), (3, 2, 0));
    assert_eq!(s.tables_total(), pt.tables_live());
    assert_eq!(s.mapped_bytes(), (3 * SZ_4K + 2 * SZ_2M) as u64);
}

#[test]
fn visit_goes_table_first_in_iova_order_and_stays_in_the_range() {
    let mut pt = table();
    assert_eq!(
        pt.map_pages(0x1000, 0x10_0000, SZ_4K, 3, RW),
        (3 * SZ_4K, Ok(()))
    );
    assert_eq!(
        pt.map_pages(0x40_0000, 0x20_0000, SZ_2M, 1, RW),
        (SZ_2M, Ok(()))
    );
    let mut seen = Vec::new();
    pt.visit(0x2000..0x40_1000, |v| seen.push((v.level, v.iova, v.kind)));
    assert_eq!(
        seen,
        [
            (0, 0, EntryKind::Table),
            (1, 0, EntryKind::Table),
            (2, 0, EntryKind::Table),
            (3, 0x2000, EntryKind::Page),
            (3, 0x3000, EntryKind::Page),
            (2, 0x40_0000, EntryKind::Block),
        ]
    );
}
