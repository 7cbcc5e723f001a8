// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Naturally aligned power-of-two VA regions and the AS_LOCKADDR encoding
//! (`Documentation/hardware.md#mmu_control-and-address-spaces`).

use crate::fields::AsLockaddr;

/// Smallest region the hardware locks: 32 KiB (a 64-byte line of PTEs = 8 pages; `AS_LOCK_REGION_MIN_SIZE`).
pub const LOCK_REGION_MIN_LOG2: u32 = 15;

/// A naturally aligned VA region of `2^size_log2` bytes (`size_log2` ≤ 64).
///
/// # Invariants
/// `size_log2 <= 64` and `base` is a multiple of `2^size_log2` (0 when `size_log2 == 64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    base: u64,
    size_log2: u32,
}

impl Region {
    /// The region of `2^size_log2` bytes that contains `va` (`size_log2` is clamped to 64).
    pub fn containing(va: u64, size_log2: u32) -> Self {
        let size_log2 = size_log2.min(64);
        let base = if size_log2 >= 64 {
            0
        } else {
            va & !((1u64 << size_log2) - 1)
        };
        Self { base, size_log2 }
    }

    /// Decodes an AS_LOCKADDR value: SIZE (bits 5:0) = log2(bytes) − 1, BASE = bits 63:12. Base bits below the region
    /// size are ignored, as the hardware does; SIZE values under the 32 KiB minimum lock 32 KiB \[inf: the minimum is a
    /// hardware property, so a smaller request can only round up].
    pub fn from_lockaddr(lockaddr: u64) -> Self {
        let la = AsLockaddr(lockaddr);
        let log2 = (la.size() as u32 + 1).max(LOCK_REGION_MIN_LOG2);
        Self::containing(la.base() << 12, log2)
    }

    /// First address.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// log2 of the size in bytes.
    pub fn size_log2(&self) -> u32 {
        self.size_log2
    }

    /// One past the last address, as a `u128` so that the whole 64-bit space is representable.
    pub fn end(&self) -> u128 {
        u128::from(self.base) + (1u128 << self.size_log2)
    }

    /// Whether `va` is inside.
    pub fn contains(&self, va: u64) -> bool {
        va >= self.base && u128::from(va) < self.end()
    }

    /// Whether the two regions share at least one byte.
    pub fn overlaps(&self, other: &Region) -> bool {
        u128::from(self.base) < other.end() && u128::from(other.base) < self.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panthor_lockaddr_table_decodes_to_the_locked_regions() {
        // `Documentation/hardware.md#driver-sequences`: (LOCKADDR, base, log2 size).
        let rows: &[(u64, u64, u32)] = &[
            (0xE, 0, 15),
            (0x20_0014, 0x20_0000, 21),
            (0x15, 0, 22),
            (0x7FFF_FFFF_C00E, 0x7FFF_FFFF_8000, 15),
            (0x7FFF_FFFF_800E, 0x7FFF_FFFF_8000, 15),
            (0x400_0019, 0x400_0000, 26),
            (0x2F, 0, 48),
            (0x3F, 0, 64),
        ];
        for &(la, base, log2) in rows {
            let r = Region::from_lockaddr(la);
            assert_eq!((r.base(), r.size_log2()), (base, log2), "LOCKADDR {la:#x}");
        }
    }

    #[test]
    fn whole_space_region_contains_the_top_address() {
        assert!(Region::from_lockaddr(0x3F).contains(u64::MAX));
    }

    #[test]
    fn sizes_below_the_minimum_round_up_to_32k() {
        assert_eq!(Region::from_lockaddr(0x1000).size_log2(), 15);
    }

    #[test]
    fn adjacent_regions_do_not_overlap() {
        let a = Region::containing(0, 15);
        let b = Region::containing(0x8000, 15);
        assert!(!a.overlaps(&b));
        assert!(Region::containing(0, 16).overlaps(&b));
    }
}
