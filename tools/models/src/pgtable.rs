// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! An ARM LPAE stage-1 page table with a 4 KiB granule, 48-bit input and 40-bit output addresses, as Panthor
//! configures `io-pgtable-arm` (`Documentation/hardware.md#page-table-format`), reduced to what a caller can observe:
//! per 2 MiB slot either a block or a (possibly empty) last-level table and its pages, and which L1/L2 tables exist.
//!
//! [`Model::map`] and [`Model::unmap`] follow `map_pages`/`unmap_pages` of the kernel's `io-pgtable-arm.c`: a call
//! never crosses the end of the table holding its first entry; a map over an existing leaf fails with `EEXIST`; an
//! unmap stops at a hole or at a leaf of another size (no block splitting); table pages are only freed when a block
//! replaces them.

use std::collections::{BTreeMap, BTreeSet};

use crate::errno::{EEXIST, EINVAL, ERANGE};

/// 4 KiB page.
pub const SZ_4K: usize = 1 << 12;
/// 2 MiB block.
pub const SZ_2M: usize = 1 << 21;
const SLOT: u64 = SZ_2M as u64;

/// `IOMMU_*` protection flags, as `io_pgtable_ops::map_pages` takes them.
pub mod prot {
    /// Readable.
    pub const READ: u32 = 1 << 0;
    /// Writable.
    pub const WRITE: u32 = 1 << 1;
    /// Cacheable.
    pub const CACHE: u32 = 1 << 2;
    /// Not executable.
    pub const NOEXEC: u32 = 1 << 3;
    /// Device memory.
    pub const MMIO: u32 = 1 << 4;
    /// Privileged only.
    pub const PRIV: u32 = 1 << 5;
}
use prot::*;

/// The lower and upper attributes of a leaf for `prot`, per the documented descriptor format: nG, AF, shareability,
/// AP\[2\] read-only, AP\[1\] unprivileged, the MAIR index (0 non-cacheable, 1 cacheable, 2 device) and XN/PXN.
pub fn leaf_attrs(prot: u32) -> u64 {
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
    /// A 2 MiB block descriptor.
    Block(u64),
    /// A last-level table: page index to descriptor.
    Table(BTreeMap<u64, u64>),
}

/// The observable state of one page table.
#[derive(Default, Debug, Clone)]
pub struct Model {
    slots: BTreeMap<u64, Slot>,
    l1: BTreeSet<u64>,
    l2: BTreeSet<u64>,
}

impl Model {
    /// Table pages in use, the root included.
    pub fn tables_live(&self) -> usize {
        1 + self.l1.len()
            + self.l2.len()
            + self
                .slots
                .values()
                .filter(|s| matches!(s, Slot::Table(_)))
                .count()
    }

    /// Every leaf as (iova, level, descriptor), in address order.
    pub fn leaves(&self) -> Vec<(usize, u32, u64)> {
        let mut v = Vec::new();
        for (&s, slot) in &self.slots {
            match slot {
                Slot::Block(pte) => v.push(((s * SLOT) as usize, 2, *pte)),
                Slot::Table(pages) => v.extend(
                    pages
                        .iter()
                        .map(|(&i, &pte)| ((s * SLOT + i * 4096) as usize, 3, pte)),
                ),
            }
        }
        v
    }

    /// What `iova` translates to, 0 when unmapped (`iova_to_phys`). Unlike map and unmap, `iova_to_phys` does not
    /// check the input size: the walk indexes the root table with the bits it covers, so bits above the 48-bit IAS
    /// are ignored and the address wraps.
    pub fn lookup(&self, iova: u64) -> u64 {
        let iova = iova & ((1 << 48) - 1);
        match self.slots.get(&(iova / SLOT)) {
            Some(Slot::Block(pte)) => (pte & 0xffff_ffff_f000 & !(SLOT - 1)) | (iova % SLOT),
            Some(Slot::Table(p)) => p
                .get(&((iova % SLOT) / 4096))
                .map_or(0, |pte| (pte & 0xffff_ffff_f000) | (iova & 0xfff)),
            None => 0,
        }
    }

    /// `map_pages(iova, pa, pgsize, n, prot)`: bytes mapped and the result. `pgsize` is [`SZ_4K`] or [`SZ_2M`] and
    /// `iova`/`pa` are aligned to it (the callers' contract, checked by the kernel with a warning only).
    pub fn map(
        &mut self,
        iova: u64,
        pa: u64,
        pgsize: usize,
        n: usize,
        prot: u32,
    ) -> (usize, Result<(), i32>) {
        if iova >> 48 != 0 || pa >> 40 != 0 {
            return (0, Err(ERANGE));
        }
        if prot & (READ | WRITE) == 0 {
            return (0, Err(EINVAL));
        }
        // The descent creates the L1 and L2 tables before anything can fail.
        self.l1.insert(iova >> 39);
        self.l2.insert(iova >> 30);
        let a = leaf_attrs(prot);
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

    /// `unmap_pages(iova, pgsize, n)`: bytes unmapped.
    pub fn unmap(&mut self, iova: u64, pgsize: usize, n: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_match_the_worked_examples() {
        assert_eq!(leaf_attrs(READ | WRITE | CACHE) | 3, 0xf47);
        assert_eq!(leaf_attrs(READ) | 3, 0xec3);
        assert_eq!(leaf_attrs(READ | CACHE) | 3, 0xfc7);
    }

    #[test]
    fn a_block_over_a_table_fails_and_a_partial_unmap_stops_at_a_hole() {
        let mut m = Model::default();
        assert_eq!(m.map(0x20_0000, 0, SZ_2M, 1, READ), (SZ_2M, Ok(())));
        assert_eq!(m.map(0x20_0000, 0, SZ_4K, 1, READ), (0, Err(EEXIST)));
        assert_eq!(m.map(0x1000, 0x1000, SZ_4K, 2, READ), (2 * SZ_4K, Ok(())));
        assert_eq!(m.unmap(0x1000, SZ_4K, 3), 2 * SZ_4K);
        assert_eq!(m.tables_live(), 4, "root, L1, L2 and the emptied L3 stay");
        assert_eq!(m.lookup(0x20_0123), 0x123);
        assert_eq!(
            m.lookup((1 << 48) | 0x20_0123),
            0x123,
            "iova_to_phys ignores bits above the IAS"
        );
    }
}
