// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The ARMv8 stage-1 long-descriptor *format* (4 KiB granule): descriptor bits as a typed value, levels, and the memory
//! attribute bytes of AS_MEMATTR. Written from the Arm ARM rules summarised in
//! `Documentation/hardware.md#mmu-translation`; no walking here.

use bitflags::bitflags;

bitflags! {
    /// The named bits of a translation-table descriptor (table, block or page). Address and AttrIndx fields are read
    /// through [`Descriptor`]'s accessors.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct DescBits: u64 {
        /// Bit 0: the descriptor is valid.
        const VALID = 1 << 0;
        /// Bit 1: table (levels 0–2) or page (level 3) when set; block when clear.
        const TABLE_OR_PAGE = 1 << 1;
        /// Bit 5: NS (ignored by the GPU).
        const NS = 1 << 5;
        /// Bit 6: AP\[1\], unprivileged access (ignored by the GPU).
        const AP_UNPRIV = 1 << 6;
        /// Bit 7: AP\[2\], read-only.
        const AP_RO = 1 << 7;
        /// Bit 10: the access flag.
        const AF = 1 << 10;
        /// Bit 11: not-global (ignored: no ASIDs).
        const NG = 1 << 11;
        /// Bit 52: contiguous hint (ignored).
        const CONTIGUOUS = 1 << 52;
        /// Bit 53: PXN.
        const PXN = 1 << 53;
        /// Bit 54: UXN/XN, the bit that makes a leaf non-executable for the GPU.
        const XN = 1 << 54;
        /// Bit 59: PXNTable (table descriptors).
        const PXN_TABLE = 1 << 59;
        /// Bit 60: UXNTable/XNTable: nothing below is executable.
        const XN_TABLE = 1 << 60;
        /// Bit 61: APTable\[0\]: no unprivileged access below (ignored, like AP\[1\]).
        const AP_TABLE_NO_UNPRIV = 1 << 61;
        /// Bit 62: APTable\[1\]: everything below is read-only.
        const AP_TABLE_RO = 1 << 62;
        /// Bit 63: NSTable (ignored).
        const NS_TABLE = 1 << 63;

        // Every other bit is a field or ignored; keep them so nothing is silently dropped.
        const _ = !0;
    }
}

/// Translation levels of the 4 KiB granule.
pub const LEVELS: u8 = 4;

/// log2 of the span of one entry at `level` (0..=3): 39, 30, 21, 12.
pub const fn level_shift(level: u8) -> u32 {
    12 + 9 * (3 - level as u32)
}

/// Index of `va` into the table at `level`.
pub const fn level_index(va: u64, level: u8) -> usize {
    ((va >> level_shift(level)) & 0x1FF) as usize
}

/// Bits 47:12 of a descriptor: the output address of a page or the next table.
const OA_MASK: u64 = 0x0000_FFFF_FFFF_F000;

/// What a descriptor is, at the level it was read from (`Documentation/hardware.md#mmu-translation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescKind {
    /// Bit 0 clear, or an encoding the level does not allow (block at L0, 0b01 at L3).
    Invalid,
    /// Points to the next-level table.
    Table,
    /// A leaf: a 1 GiB (L1) or 2 MiB (L2) block, or a 4 KiB page (L3).
    Leaf,
}

/// One 64-bit descriptor as read from a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor(pub u64);

impl Descriptor {
    /// The typed bits.
    pub fn bits(self) -> DescBits {
        DescBits::from_bits_retain(self.0)
    }

    /// Classifies the descriptor read at `level`.
    pub fn kind(self, level: u8) -> DescKind {
        let b = self.bits();
        if !b.contains(DescBits::VALID) {
            return DescKind::Invalid;
        }
        match (b.contains(DescBits::TABLE_OR_PAGE), level) {
            (true, 3) => DescKind::Leaf,
            (true, _) => DescKind::Table,
            (false, 1 | 2) => DescKind::Leaf,
            (false, _) => DescKind::Invalid,
        }
    }

    /// Next-level table address (bits 47:12).
    pub fn table_address(self) -> u64 {
        self.0 & OA_MASK
    }

    /// Output address of a leaf at `level` (bits 47:shift; lower bits of a block's field are ignored).
    pub fn leaf_address(self, level: u8) -> u64 {
        self.0 & OA_MASK & !((1u64 << level_shift(level)) - 1)
    }

    /// AttrIndx (bits 4:2): which AS_MEMATTR byte applies.
    pub fn attr_index(self) -> u8 {
        ((self.0 >> 2) & 7) as u8
    }
}

/// Memory type of an AS_MEMATTR byte (bits 7:6, `Documentation/hardware.md#mmu_control-and-address-spaces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemType {
    /// 0: shared.
    Shared,
    /// 1: inner/outer non-cacheable.
    NonCacheable,
    /// 2: inner/outer write-back.
    WriteBack,
    /// 3: any access faults with MEMORY_ATTRIBUTE_FAULT.
    Fault,
}

/// Decodes the memory type of one AS_MEMATTR byte.
pub fn memattr_type(byte: u8) -> MemType {
    match byte >> 6 {
        0 => MemType::Shared,
        1 => MemType::NonCacheable,
        2 => MemType::WriteBack,
        _ => MemType::Fault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_va_indexes() {
        let va = 0x7F12_3456_7ABC;
        assert_eq!(
            [0, 1, 2, 3].map(|l| level_index(va, l)),
            [254, 72, 418, 359]
        );
    }

    #[test]
    fn classification_follows_level_rules() {
        assert_eq!(Descriptor(0x3).kind(0), DescKind::Table);
        assert_eq!(Descriptor(0x1).kind(0), DescKind::Invalid);
        assert_eq!(Descriptor(0x1).kind(1), DescKind::Leaf);
        assert_eq!(Descriptor(0x1).kind(2), DescKind::Leaf);
        assert_eq!(Descriptor(0x1).kind(3), DescKind::Invalid);
        assert_eq!(Descriptor(0x3).kind(3), DescKind::Leaf);
        assert_eq!(Descriptor(0x2).kind(3), DescKind::Invalid);
    }

    #[test]
    fn worked_leaf_examples_decode() {
        let d = Descriptor(0x8000_0000 | 0xFC7);
        assert_eq!(d.attr_index(), 1);
        assert!(d.bits().contains(DescBits::AP_RO | DescBits::AF));
        assert_eq!(d.leaf_address(3), 0x8000_0000);
        assert_eq!(Descriptor(0x8020_0000 | 0xF45).leaf_address(2), 0x8020_0000);
    }

    #[test]
    fn memattr_bytes_panthor_writes_are_not_faulting() {
        assert_eq!(memattr_type(0x4C), MemType::NonCacheable);
        assert_eq!(memattr_type(0x8F), MemType::WriteBack);
        assert_eq!(memattr_type(0xC0), MemType::Fault);
    }
}
