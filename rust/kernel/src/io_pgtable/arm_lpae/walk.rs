// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Reading a table: one walker, [`ArmLpaeS1::for_each_entry`], behind the single-IOVA [`ArmLpaeS1::walk`] (and so
//! `iova_to_phys`), the range visitor [`ArmLpaeS1::visit`] (the `tyr pgtable` dump), [`ArmLpaeS1::for_each_leaf`],
//! [`ArmLpaeS1::for_each_table`] and [`ArmLpaeS1::stats`].

use core::ops::Range;
use std::sync::atomic::Ordering;

use hw_mem::PhysAddr;

use super::desc::{block_size, lvl_shift, PteAttrs, MAX_LEVELS};
use super::{ArmLpaeS1, EntryKind, Pte};
use crate::io_pgtable::{FlushOps, PtAlloc, SZ_1G, SZ_2M, SZ_4K};

/// One entry visited by [`ArmLpaeS1::walk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkEntry {
    /// Level of the table holding the entry (0–3).
    pub level: u32,
    /// Index of the entry in its table.
    pub index: usize,
    /// The descriptor.
    pub pte: Pte,
    /// How the walker reads it.
    pub kind: EntryKind,
}

/// The result of walking one IOVA: every entry visited, root first, and the translation.
#[derive(Clone, Copy, Debug)]
pub struct Walk {
    /// The IOVA walked.
    pub iova: usize,
    /// Its translation, or 0 (what [`crate::io_pgtable::IoPageTable::iova_to_phys`] returns).
    pub phys: PhysAddr,
    entries: [WalkEntry; MAX_LEVELS as usize],
    len: usize,
}

impl Walk {
    /// The entries visited, root level first.
    pub fn entries(&self) -> &[WalkEntry] {
        &self.entries[..self.len]
    }
}

/// A leaf of the table, as [`ArmLpaeS1::for_each_leaf`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// First IOVA the leaf maps.
    pub iova: usize,
    /// Level of the table holding it: 3 for pages, 1–2 for blocks.
    pub level: u32,
    /// The descriptor.
    pub pte: Pte,
}

impl Leaf {
    /// Bytes the leaf maps.
    pub fn size(&self) -> usize {
        block_size(self.level)
    }

    /// The physical address it maps to.
    pub fn paddr(&self) -> PhysAddr {
        self.pte.paddr()
    }

    /// Its attribute bits.
    pub fn attrs(&self) -> PteAttrs {
        self.pte.attrs()
    }
}

/// One non-empty entry met by [`ArmLpaeS1::visit`], in IOVA order, a table entry before what lies under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    /// Level of the table holding the entry (0–3).
    pub level: u32,
    /// Index of the entry in its table.
    pub index: usize,
    /// Physical address of the table holding the entry.
    pub table: PhysAddr,
    /// First IOVA the entry covers.
    pub iova: usize,
    /// Bytes the entry covers (a table entry: all that its next-level table can map).
    pub size: usize,
    /// The descriptor.
    pub pte: Pte,
    /// How the walker reads it: [`EntryKind::Table`], [`EntryKind::Block`] or [`EntryKind::Page`].
    pub kind: EntryKind,
}

impl Visit {
    /// For a table entry, the next-level table; for a leaf, the physical address it maps.
    pub fn paddr(&self) -> PhysAddr {
        self.pte.paddr()
    }
}

/// What a page table holds, level by level (the figures of `tyr vm` and `tyr pgtable`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PtStats {
    /// Table pages at each level (0–3), the root included at its level.
    pub tables: [usize; MAX_LEVELS as usize],
    /// 4 KiB pages mapped (level-3 leaves).
    pub pages_4k: usize,
    /// 2 MiB blocks mapped (level-2 leaves).
    pub blocks_2m: usize,
    /// 1 GiB blocks mapped (level-1 leaves).
    pub blocks_1g: usize,
}

impl PtStats {
    /// Table pages at every level.
    pub fn tables_total(&self) -> usize {
        self.tables.iter().sum()
    }

    /// Bytes mapped by the leaves.
    pub fn mapped_bytes(&self) -> u64 {
        self.pages_4k as u64 * SZ_4K as u64
            + self.blocks_2m as u64 * SZ_2M as u64
            + self.blocks_1g as u64 * SZ_1G as u64
    }
}

impl<A: PtAlloc, F: FlushOps> ArmLpaeS1<A, F> {
    /// Walks `iova` from the root, reporting each entry visited (for `walk` dumps and debugfs-style views).
    ///
    /// Like the kernel's `ARM_LPAE_LVL_IDX`, only the low `ias` bits of `iova` select entries.
    pub fn walk(&self, iova: usize) -> Walk {
        let blank = WalkEntry {
            level: 0,
            index: 0,
            pte: Pte::EMPTY,
            kind: EntryKind::Invalid,
        };
        let mut w = Walk {
            iova,
            phys: 0,
            entries: [blank; MAX_LEVELS as usize],
            len: 0,
        };
        let at = iova & self.geom.va_mask();
        // A one-address range meets exactly one entry per level, so at most `MAX_LEVELS` are reported.
        self.for_each_entry(at..at + 1, &mut |v: Visit| {
            w.entries[w.len] = WalkEntry {
                level: v.level,
                index: v.index,
                pte: v.pte,
                kind: v.kind,
            };
            w.len += 1;
            if matches!(v.kind, EntryKind::Block | EntryKind::Page) {
                w.phys = v.pte.paddr() | (iova & (v.size - 1)) as u64;
            }
        });
        w
    }

    /// Calls `f` for every leaf, in IOVA order.
    pub fn for_each_leaf(&self, mut f: impl FnMut(Leaf)) {
        self.visit(0..usize::MAX, |v| {
            if matches!(v.kind, EntryKind::Block | EntryKind::Page) {
                f(Leaf {
                    iova: v.iova,
                    level: v.level,
                    pte: v.pte,
                });
            }
        });
    }

    /// Calls `f` with the physical address of every table page reachable from the root, the root included (what
    /// [`Self::tables_live`] should count: a checker compares the two to find leaked or lost tables).
    pub fn for_each_table(&self, mut f: impl FnMut(PhysAddr)) {
        f(self.pgd);
        self.visit(0..usize::MAX, |v| {
            if v.kind == EntryKind::Table {
                f(v.pte.paddr());
            }
        });
    }

    /// Calls `f` for every non-empty entry whose IOVA span meets `range`, in IOVA order, each table entry before the
    /// entries of the table it points to: what `tyr pgtable`'s dump, [`Self::for_each_leaf`],
    /// [`Self::for_each_table`] and [`Self::stats`] read.
    pub fn visit(&self, range: Range<usize>, mut f: impl FnMut(Visit)) {
        self.for_each_entry(range, &mut |v: Visit| {
            if v.kind != EntryKind::Invalid {
                f(v);
            }
        });
    }

    /// Table pages per level and leaves per size over the whole table.
    pub fn stats(&self) -> PtStats {
        let mut s = PtStats::default();
        s.tables[self.geom.start_level as usize] = 1;
        self.visit(0..usize::MAX, |v| match (v.kind, v.level) {
            (EntryKind::Table, l) => s.tables[l as usize + 1] += 1,
            (EntryKind::Page, _) => s.pages_4k += 1,
            (EntryKind::Block, 2) => s.blocks_2m += 1,
            (EntryKind::Block, _) => s.blocks_1g += 1,
            (EntryKind::Invalid, _) => {}
        });
        s
    }

    /// The one walker: calls `f` for every entry, empty ones included, whose IOVA span meets `range`, in IOVA order,
    /// and descends through each [`EntryKind::Table`] entry right after reporting it. Only the entries that meet
    /// `range` are read; a table page outside RAM ends that branch.
    fn for_each_entry(&self, range: Range<usize>, f: &mut impl FnMut(Visit)) {
        if range.start < range.end {
            self.entries_under(self.pgd, self.geom.start_level, 0, &range, f);
        }
    }

    fn entries_under(
        &self,
        table: PhysAddr,
        lvl: u32,
        base: usize,
        range: &Range<usize>,
        f: &mut impl FnMut(Visit),
    ) {
        let Ok(ptes) = self.ram.frame_u64s(table) else {
            return;
        };
        let shift = lvl_shift(lvl);
        let size = block_size(lvl);
        // The caller only descends into an entry that meets `range`, so `base < range.end` here.
        let first = range.start.saturating_sub(base) >> shift;
        let last = ((range.end - 1).saturating_sub(base) >> shift).min(self.geom.entries(lvl) - 1);
        if first > last {
            return;
        }
        for (index, e) in (first..).zip(&ptes[first..=last]) {
            let iova = base + (index << shift);
            let pte = Pte::from_bits(e.load(Ordering::Relaxed));
            let kind = pte.kind(lvl);
            f(Visit {
                level: lvl,
                index,
                table,
                iova,
                size,
                pte,
                kind,
            });
            if kind == EntryKind::Table {
                self.entries_under(pte.paddr(), lvl + 1, iova, range, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hw_mem::{Ram, RamConfig};

    use super::*;
    use crate::io_pgtable::{prot, Config, IoPageTable};

    fn table() -> ArmLpaeS1 {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
        let cfg = Config {
            pgsize_bitmap: SZ_4K | SZ_2M | SZ_1G,
            ias: 48,
            oas: 48,
            coherent_walk: true,
        };
        ArmLpaeS1::with_ram(ram, cfg).unwrap()
    }

    #[test]
    fn visit_reads_only_the_entries_meeting_the_range() {
        let mut pt = table();
        // Pages at 1 MiB and 3 MiB + 4 KiB, a block at 4 MiB.
        assert!(pt
            .map_pages(0x10_0000, 0x100_0000, SZ_4K, 1, prot::READ)
            .1
            .is_ok());
        assert!(pt
            .map_pages(0x30_1000, 0x101_0000, SZ_4K, 1, prot::READ)
            .1
            .is_ok());
        assert!(pt
            .map_pages(0x40_0000, 0x120_0000, SZ_2M, 1, prot::READ)
            .1
            .is_ok());
        let mut seen = Vec::new();
        pt.visit(0x30_0000..0x40_0001, |v| {
            seen.push((v.level, v.iova, v.kind))
        });
        assert_eq!(
            seen,
            [
                (0, 0, EntryKind::Table),
                (1, 0, EntryKind::Table),
                (2, 0x20_0000, EntryKind::Table),
                (3, 0x30_1000, EntryKind::Page),
                (2, 0x40_0000, EntryKind::Block),
            ]
        );
        let mut leaves = Vec::new();
        pt.for_each_leaf(|l| leaves.push((l.iova, l.size())));
        assert_eq!(
            leaves,
            [(0x10_0000, SZ_4K), (0x30_1000, SZ_4K), (0x40_0000, SZ_2M)]
        );
        let mut tables = 0;
        pt.for_each_table(|_| tables += 1);
        assert_eq!(tables, pt.tables_live());
        assert_eq!(pt.stats().tables_total(), pt.tables_live());
    }

    #[test]
    fn walk_uses_the_low_ias_bits_and_stops_at_an_empty_entry() {
        let mut pt = table();
        assert!(pt
            .map_pages(0x7000, 0x200_0000, SZ_4K, 1, prot::READ)
            .1
            .is_ok());
        let w = pt.walk(0x7123);
        assert_eq!(w.phys, 0x200_0123);
        assert_eq!(w.entries().len(), 4);
        assert_eq!(
            pt.walk(0x7123 | 1 << 48).phys,
            0x200_0123,
            "bits above ias select nothing"
        );
        let miss = pt.walk(0x8000);
        assert_eq!(
            (miss.phys, miss.entries().last().map(|e| e.kind)),
            (0, Some(EntryKind::Invalid))
        );
        assert!(pt.walk(usize::MAX).entries().len() <= MAX_LEVELS as usize);
    }

    #[test]
    fn a_reserved_entry_at_level_3_is_not_a_table() {
        let mut pt = table();
        assert!(pt
            .map_pages(0x7000, 0x200_0000, SZ_4K, 1, prot::READ)
            .1
            .is_ok());
        let l3 = pt.walk(0x7000).entries()[2].pte.paddr();
        // Corrupt the neighbouring level-3 entry into a block-type descriptor, which level 3 reserves.
        pt.ram().write_u64(l3 + 8 * 8, 0x300_0001).unwrap();
        assert_eq!(pt.walk(0x8000).entries()[3].kind, EntryKind::Invalid);
        assert_eq!(
            pt.stats().pages_4k,
            1,
            "stats neither count nor descend into it"
        );
    }
}
