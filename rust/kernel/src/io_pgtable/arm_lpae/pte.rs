// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! [`Pte`], one descriptor of the format, with typed accessors in place of shift-and-mask on bare `u64`s, and
//! [`EntryKind`], how a walker reads it at a given level.

use hw_mem::PhysAddr;

use super::desc::{
    PteAttrs, ADDR_MASK, GRANULE_SHIFT, MAX_LEVELS, TYPE_BLOCK, TYPE_MASK, TYPE_PAGE, TYPE_TABLE,
};

/// What one entry is, read at its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// An empty entry: the walk stops.
    Invalid,
    /// A pointer to a next-level table.
    Table,
    /// A block leaf (1 GiB at level 1, 2 MiB at level 2).
    Block,
    /// A page leaf (level 3).
    Page,
}

/// A descriptor as stored in a table (a 64-bit little-endian word).
///
/// The emptiness test is the kernel's (`!pte`, any non-zero word is present), not the architecture's valid bit: the
/// table code follows `io-pgtable-arm.c`, which never writes a non-zero invalid descriptor.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Pte(u64);

impl Pte {
    /// The empty descriptor.
    pub const EMPTY: Self = Self(0);

    /// The descriptor whose bits are `bits`, as read from a table.
    #[inline]
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The descriptor's bits, as stored in a table.
    #[inline]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether the entry is empty (all zero), the kernel's test for "nothing here".
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The architectural valid bit (bit 0).
    #[inline]
    pub const fn is_valid(self) -> bool {
        self.0 & 1 != 0
    }

    /// The two type bits (`[1:0]`).
    #[inline]
    pub(crate) const fn type_bits(self) -> u64 {
        self.0 & TYPE_MASK
    }

    /// Whether the entry is a leaf at `lvl`: a page at level 3, a block above it (`iopte_leaf`).
    #[inline]
    pub const fn is_leaf(self, lvl: u32) -> bool {
        if lvl == MAX_LEVELS - 1 {
            self.type_bits() == TYPE_PAGE
        } else {
            self.type_bits() == TYPE_BLOCK
        }
    }

    /// Whether the entry points to a next-level table at `lvl`: present, not a leaf, and above the last level (a
    /// non-page entry at level 3 leads nowhere).
    #[inline]
    pub const fn is_table(self, lvl: u32) -> bool {
        !self.is_empty() && !self.is_leaf(lvl) && lvl < MAX_LEVELS - 1
    }

    /// How a walker reads the entry at `lvl`. A present entry at level 3 that is not a page is [`EntryKind::Invalid`]:
    /// there is no level below for it to point to.
    #[inline]
    pub const fn kind(self, lvl: u32) -> EntryKind {
        if self.is_leaf(lvl) {
            if lvl == MAX_LEVELS - 1 {
                EntryKind::Page
            } else {
                EntryKind::Block
            }
        } else if self.is_table(lvl) {
            EntryKind::Table
        } else {
            EntryKind::Invalid
        }
    }

    /// The output address field: the next-level table of a table entry, the mapped address of a leaf
    /// (`iopte_to_paddr` for a 4 KiB granule).
    #[inline]
    pub const fn paddr(self) -> PhysAddr {
        self.0 & ADDR_MASK
    }

    /// The attribute bits outside the type and address fields (unknown bits dropped).
    #[inline]
    pub const fn attrs(self) -> PteAttrs {
        PteAttrs::from_bits_truncate(self.0)
    }

    /// A table entry pointing at `next`, with the software "synced" mark when `sw_sync` (`arm_lpae_install_table`).
    #[inline]
    pub(crate) const fn table(next: PhysAddr, sw_sync: bool) -> Self {
        let sync = if sw_sync { PteAttrs::SW_SYNC.bits() } else { 0 };
        Self(paddr_to_field(next) | TYPE_TABLE | sync)
    }

    /// A leaf at `lvl` mapping `paddr` with `attrs` (`__arm_lpae_init_pte`).
    #[inline]
    pub(crate) const fn leaf(paddr: PhysAddr, lvl: u32, attrs: PteAttrs) -> Self {
        let ty = if lvl == MAX_LEVELS - 1 {
            TYPE_PAGE
        } else {
            TYPE_BLOCK
        };
        Self(attrs.bits() | ty | paddr_to_field(paddr))
    }

    /// The same leaf with its output address `bytes` further on: the next entry of a run of contiguous leaves.
    #[inline]
    pub(crate) const fn advanced(self, bytes: u64) -> Self {
        Self(self.0 + bytes)
    }
}

/// Places `paddr` in the address field (`paddr_to_iopte`): bits [51:48] of a 52-bit address would fold into [15:12];
/// with at most 48 output bits that contributes nothing, and bits outside [47:12] are dropped.
#[inline]
pub(crate) const fn paddr_to_field(paddr: PhysAddr) -> u64 {
    (paddr | (paddr >> (48 - GRANULE_SHIFT))) & ADDR_MASK
}

impl core::fmt::Debug for Pte {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Pte({:#018x})", self.0)
    }
}

/// Formats the bits, so `{:#018x}` prints a descriptor as before it had a type.
impl core::fmt::LowerHex for Pte {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::LowerHex::fmt(&self.0, f)
    }
}

impl From<Pte> for u64 {
    fn from(p: Pte) -> u64 {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_field_keeps_bits_47_to_12_only() {
        assert_eq!(paddr_to_field(0xff_ffff_f123), 0xff_ffff_f000);
        assert_eq!(
            Pte::from_bits(0x0060_00ab_cdef_0f47).paddr(),
            0xab_cdef_0000
        );
    }

    #[test]
    fn kinds_follow_the_level() {
        let page = Pte::from_bits(TYPE_PAGE | 0x1000);
        let block = Pte::from_bits(TYPE_BLOCK | 0x20_0000);
        assert_eq!(page.kind(3), EntryKind::Page);
        assert_eq!(
            page.kind(2),
            EntryKind::Table,
            "type 0b11 above level 3 is a table"
        );
        assert_eq!(block.kind(2), EntryKind::Block);
        assert_eq!(
            block.kind(3),
            EntryKind::Invalid,
            "a block-type entry at level 3 is reserved, not a leaf"
        );
        assert_eq!(Pte::EMPTY.kind(1), EntryKind::Invalid);
        assert!(!Pte::EMPTY.is_valid() && page.is_valid() && block.is_valid());
        assert!(!block.is_table(3) && !block.is_leaf(3));
    }

    #[test]
    fn constructors_place_type_address_and_attributes() {
        let t = Pte::table(0x1234_5000, true);
        assert_eq!(
            t.bits(),
            0x1234_5000 | TYPE_TABLE | PteAttrs::SW_SYNC.bits()
        );
        assert_eq!(Pte::table(0x1234_5000, false).bits(), 0x1234_5003);
        let l = Pte::leaf(0x40_0000, 2, PteAttrs::AF | PteAttrs::NG);
        assert_eq!(l.bits(), 0x40_0c01);
        assert_eq!(l.attrs(), PteAttrs::AF | PteAttrs::NG);
        assert_eq!(l.advanced(0x20_0000).paddr(), 0x60_0000);
        assert_eq!(
            Pte::leaf(0x7000, 3, PteAttrs::empty()).kind(3),
            EntryKind::Page
        );
    }

    #[test]
    fn hex_formatting_shows_the_bits() {
        assert_eq!(
            format!("{:#018x}", Pte::from_bits(0xf47)),
            "0x0000000000000f47"
        );
        assert_eq!(
            format!("{:?}", Pte::from_bits(0xf47)),
            "Pte(0x0000000000000f47)"
        );
    }
}
