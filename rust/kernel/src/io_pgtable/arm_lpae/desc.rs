// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The ARM LPAE (VMSAv8-64 long-descriptor) format with a 4 KiB granule: descriptor bits, levels, and how the kernel
//! turns IOMMU prot flags into leaf attributes (`arm_lpae_prot_to_pte` in `drivers/iommu/io-pgtable-arm.c`).

use crate::io_pgtable::prot;

/// The deepest level; it holds pages, never tables.
pub(crate) const MAX_LEVELS: u32 = 4;
/// log2 of the granule.
pub(crate) const GRANULE_SHIFT: u32 = 12;
/// Index bits per level: a 4 KiB table holds 512 eight-byte entries.
pub(crate) const BITS_PER_LEVEL: u32 = 9;
/// Entries in a full table.
pub(crate) const PTES_PER_TABLE: usize = 1 << BITS_PER_LEVEL;

/// Descriptor type field, bits [1:0].
pub(crate) const TYPE_MASK: u64 = 0b11;
/// Block descriptor (levels 1 and 2).
pub(crate) const TYPE_BLOCK: u64 = 0b01;
/// Table descriptor (levels 0–2) or page descriptor (level 3).
pub(crate) const TYPE_TABLE: u64 = 0b11;
/// Page descriptor (level 3).
pub(crate) const TYPE_PAGE: u64 = 0b11;

/// Output address bits [47:12].
pub(crate) const ADDR_MASK: u64 = ((1 << 48) - 1) & !((1 << GRANULE_SHIFT) - 1);

/// AttrIndx, bits [4:2]: index into MAIR.
pub(crate) const ATTRINDX_SHIFT: u32 = 2;
/// MAIR index of normal non-cacheable memory (the default).
pub(crate) const MAIR_IDX_NC: u64 = 0;
/// MAIR index of normal write-back memory (`IOMMU_CACHE`).
pub(crate) const MAIR_IDX_CACHE: u64 = 1;
/// MAIR index of device memory (`IOMMU_MMIO`).
pub(crate) const MAIR_IDX_DEV: u64 = 2;
/// MAIR index of inner non-cacheable, outer write-back memory.
pub(crate) const MAIR_IDX_INC_OCACHE: u64 = 3;

bitflags::bitflags! {
    /// Attribute bits of a leaf (and the software bit of table) descriptor, outside the type and address fields.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PteAttrs: u64 {
        /// AttrIndx bit 0.
        const ATTRINDX0 = 1 << 2;
        /// AttrIndx bit 1.
        const ATTRINDX1 = 1 << 3;
        /// AttrIndx bit 2.
        const ATTRINDX2 = 1 << 4;
        /// NS: non-secure output address (unused by Panthor).
        const NS = 1 << 5;
        /// AP[1]: accessible at EL0 ("unprivileged"); set unless `IOMMU_PRIV`.
        const AP_UNPRIV = 1 << 6;
        /// AP[2]: read-only; set when readable but not `IOMMU_WRITE`.
        const AP_RDONLY = 1 << 7;
        /// SH[0].
        const SH0 = 1 << 8;
        /// SH[1].
        const SH1 = 1 << 9;
        /// Outer shareable (SH = 0b10).
        const SH_OS = 0b10 << 8;
        /// Inner shareable (SH = 0b11), used with `IOMMU_CACHE`.
        const SH_IS = 0b11 << 8;
        /// Access flag; always set on leaves so the walker never takes an access-flag fault.
        const AF = 1 << 10;
        /// Not global; always set on stage-1 leaves.
        const NG = 1 << 11;
        /// Privileged execute-never.
        const PXN = 1 << 53;
        /// (Unprivileged) execute-never.
        const UXN = 1 << 54;
        /// Both execute-never bits (`ARM_LPAE_PTE_XN`), set for `IOMMU_NOEXEC`.
        const XN = (1 << 53) | (1 << 54);
        /// Software bit 55 on **table** entries: the kernel's "this table's contents were synced" mark for
        /// non-coherent walks (`ARM_LPAE_PTE_SW_SYNC`).
        const SW_SYNC = 1 << 55;
    }
}

/// Shift of the VA bits that index a table at `lvl`.
#[inline]
pub(crate) const fn lvl_shift(lvl: u32) -> u32 {
    GRANULE_SHIFT + BITS_PER_LEVEL * (MAX_LEVELS - 1 - lvl)
}

/// Bytes covered by one entry at `lvl` (a block at levels 1–2, a page at level 3).
#[inline]
pub(crate) const fn block_size(lvl: u32) -> usize {
    1 << lvl_shift(lvl)
}

/// The leaf attributes for IOMMU `prot` flags in a stage-1 table, without the type bits. Flags above `PRIV` mean
/// nothing to the format and are ignored, as in the kernel; the six that matter index a table built at compile time.
#[inline]
pub(crate) fn prot_to_pte(p: u32) -> PteAttrs {
    PteAttrs::from_bits_retain(PROT_TO_PTE[(p & 0x3f) as usize])
}

/// [`prot_to_pte_slow`] for every combination of the six IOMMU prot flags.
static PROT_TO_PTE: [u64; 64] = {
    let mut t = [0u64; 64];
    let mut p = 0;
    while p < 64 {
        t[p] = prot_to_pte_slow(p as u32).bits();
        p += 1;
    }
    t
};

/// `arm_lpae_prot_to_pte` for stage 1, rule by rule.
const fn prot_to_pte_slow(p: u32) -> PteAttrs {
    let mut a = PteAttrs::NG.bits();
    if p & prot::WRITE == 0 && p & prot::READ != 0 {
        a |= PteAttrs::AP_RDONLY.bits();
    }
    if p & prot::PRIV == 0 {
        a |= PteAttrs::AP_UNPRIV.bits();
    }
    let idx = if p & prot::MMIO != 0 {
        MAIR_IDX_DEV
    } else if p & prot::CACHE != 0 {
        MAIR_IDX_CACHE
    } else {
        MAIR_IDX_NC
    };
    a |= idx << ATTRINDX_SHIFT;
    // Shareability follows CACHE alone, even when MMIO overrode the memory type.
    a |= if p & prot::CACHE != 0 {
        PteAttrs::SH_IS.bits()
    } else {
        PteAttrs::SH_OS.bits()
    };
    if p & prot::NOEXEC != 0 {
        a |= PteAttrs::XN.bits();
    }
    PteAttrs::from_bits_retain(a | PteAttrs::AF.bits())
}

/// MAIR attribute encodings (`ARM_LPAE_MAIR_ATTR_*`).
pub(crate) mod mair {
    /// Normal memory, inner and outer non-cacheable.
    pub const NC: u64 = 0x44;
    /// Normal memory, write-back read/write-allocate.
    pub const WBRWA: u64 = 0xff;
    /// Device-nGnRE.
    pub const DEVICE: u64 = 0x04;
    /// Inner non-cacheable, outer write-back read/write-allocate.
    pub const INC_OWBRWA: u64 = 0xf4;
}

/// The MAIR value for the four attribute indices.
///
/// The kernel composes it from `int` constants shifted by `8 * idx`; `0xf4 << 24` overflows into the sign bit and the
/// value is sign-extended when widened to 64 bits, so the top four bytes read `0xff`. Reproduced on purpose: it is what
/// `cfg->arm_lpae_s1_cfg.mair` holds and what Panthor converts into MEMATTR.
pub(crate) const fn mair_value() -> u64 {
    const fn shift(v: u64, idx: u64) -> u64 {
        (((v as u32) << (8 * idx)) as i32) as i64 as u64
    }
    shift(mair::NC, MAIR_IDX_NC)
        | shift(mair::WBRWA, MAIR_IDX_CACHE)
        | shift(mair::DEVICE, MAIR_IDX_DEV)
        | shift(mair::INC_OWBRWA, MAIR_IDX_INC_OCACHE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io_pgtable::prot::*;

    fn leaf(p: u32) -> u64 {
        prot_to_pte(p).bits() | TYPE_PAGE
    }

    #[test]
    fn mair_is_sign_extended_like_the_kernels() {
        assert_eq!(mair_value(), 0xffff_ffff_f404_ff44);
    }

    #[test]
    fn leaf_attributes_match_the_kernels_worked_examples() {
        assert_eq!(leaf(READ | WRITE | CACHE), 0xf47);
        assert_eq!(prot_to_pte(READ | WRITE | CACHE).bits() | TYPE_BLOCK, 0xf45);
        assert_eq!(leaf(READ | CACHE), 0xfc7);
        assert_eq!(leaf(READ), 0xec3);
        assert_eq!(prot_to_pte(READ | WRITE).bits() | TYPE_BLOCK, 0xe41);
        assert_eq!(leaf(READ | WRITE | CACHE | NOEXEC), 0x0060_0000_0000_0f47);
        assert_eq!(leaf(READ | WRITE | CACHE | PRIV), 0xf07);
    }

    #[test]
    fn mmio_wins_over_cache_but_shareability_follows_cache() {
        assert_eq!(leaf(READ | WRITE | MMIO) & 0x1c, MAIR_IDX_DEV << 2);
        assert_eq!(leaf(READ | WRITE | MMIO | CACHE) & 0x1c, MAIR_IDX_DEV << 2);
        assert_eq!(leaf(READ | WRITE | MMIO | CACHE) & 0x300, 0x300);
        assert_eq!(leaf(READ | WRITE | MMIO) & 0x300, 0x200);
    }

    #[test]
    fn the_table_agrees_with_the_rules_and_ignores_unknown_flags() {
        for p in 0..64 {
            assert_eq!(prot_to_pte(p), prot_to_pte_slow(p));
        }
        assert_eq!(prot_to_pte(READ | WRITE | 0x100), prot_to_pte(READ | WRITE));
    }

    #[test]
    fn write_only_is_not_read_only() {
        assert_eq!(leaf(WRITE) & PteAttrs::AP_RDONLY.bits(), 0);
    }

    #[test]
    fn level_geometry_is_4k_granule() {
        assert_eq!(block_size(3), 4096);
        assert_eq!(block_size(2), 2 << 20);
        assert_eq!(block_size(1), 1 << 30);
        assert_eq!(lvl_shift(0), 39);
    }
}
