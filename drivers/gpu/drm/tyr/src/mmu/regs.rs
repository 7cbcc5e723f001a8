// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The MMU's registers and encodings: the per-AS register block and commands, AS_TRANSCFG values, and how a
//! page table's MAIR and a locked region become AS_MEMATTR and AS_LOCKADDR.

/// Per-AS registers, at `0x2400 + n * 0x40`.
pub(crate) mod as_reg {
    /// Base of AS `n`'s registers.
    pub(crate) const fn base(n: usize) -> usize {
        0x2400 + n * 0x40
    }
    /// Root table address.
    pub(crate) const TRANSTAB: usize = 0x00;
    /// Memory attributes, one byte per AttrIndx.
    pub(crate) const MEMATTR: usize = 0x08;
    /// Lock region.
    pub(crate) const LOCKADDR: usize = 0x10;
    /// Command.
    pub(crate) const COMMAND: usize = 0x18;
    /// Fault status.
    pub(crate) const FAULTSTATUS: usize = 0x1c;
    /// Faulting address.
    pub(crate) const FAULTADDRESS: usize = 0x20;
    /// Status ([`super::AsStatus`]).
    pub(crate) const STATUS: usize = 0x28;
    /// Translation configuration.
    pub(crate) const TRANSCFG: usize = 0x30;
}

kernel::register_fields! {
    /// AS_FAULTSTATUS (`AS_FAULTSTATUS_*` of `panthor_regs.h`).
    pub(crate) struct AsFaultStatus(u32) {
        /// The exception type.
        7:0 exception_type, set_exception_type;
        /// The access type (atomic, execute, read, write).
        9:8 access_type, set_access_type;
        /// The requester's source id.
        31:16 source_id, set_source_id;
    }
}

/// AS_COMMAND values.
pub(crate) mod as_cmd {
    /// Make TRANSTAB/MEMATTR/TRANSCFG live.
    pub(crate) const UPDATE: u32 = 1;
    /// Lock the region in LOCKADDR.
    pub(crate) const LOCK: u32 = 2;
    /// Clean+invalidate L2, flush the region's translations, unlock.
    pub(crate) const FLUSH_PT: u32 = 4;
    /// Also clean+invalidate L1s, then as FLUSH_PT.
    pub(crate) const FLUSH_MEM: u32 = 5;
}

/// AS_TRANSCFG of an enabled AS on RK3588: AARCH64_4K, INA_BITS(55 − 48), PTW_MEMATTR write-back, PTW_RA.
pub(crate) const TRANSCFG_ENABLED: u64 = 0x0000_0000_4200_01C6;
/// AS_TRANSCFG of a disabled AS: ADRMODE UNMAPPED.
pub(crate) const TRANSCFG_UNMAPPED: u64 = 0x1;
kernel::register_fields! {
    /// An MMU IRQ word (RAWSTAT/CLEAR/MASK/STATUS): one page-fault and one bus-error bit per AS. Panthor enables,
    /// clears and handles the page-fault bits ([`MmuIrqBits::PAGE_FAULTS`]).
    pub(crate) struct MmuIrqBits(u32) {
        /// Page faults, AS `n` at bit `n`.
        15:0 page_faults, set_page_faults = PAGE_FAULTS;
        /// Bus errors, AS `n` at bit `16 + n`.
        31:16 bus_errors, set_bus_errors;
    }
}

kernel::register_fields! {
    /// AS_STATUS.
    pub(crate) struct AsStatus(u32) {
        /// A command is being processed.
        0:0 active, set_active = ACTIVE;
    }
}

/// Panthor's `mair_to_memattr`: the io-pgtable MAIR turned into AS_MEMATTR bytes for a non-coherent GPU.
pub(crate) fn mair_to_memattr(mair: u64) -> u64 {
    let mut memattr = 0u64;
    for i in 0..8 {
        let byte = (mair >> (8 * i)) & 0xff;
        let (inner, outer) = (byte & 0xf, byte >> 4);
        // Write-back iff the outer nibble is write-back (bit 2 and allocate bits 1:0) and the inner one cacheable.
        let outer_wb = outer & 0x4 != 0 && outer & 0x3 != 0;
        let attr = if outer_wb && inner & 0x4 != 0 {
            // Memory type WB (2 << 6), explicit allocate (3 << 2), inner R/W allocate from the MAIR byte, coherency 0.
            (2 << 6) | (3 << 2) | (inner & 0x3)
        } else {
            // Non-cacheable with explicit no-allocate.
            (1 << 6) | (3 << 2)
        };
        memattr |= attr << (8 * i);
    }
    memattr
}

/// AS_LOCKADDR for `[start, start + size)`: the smallest naturally aligned power-of-two region covering it, at
/// least 32 KiB (`lock_region`). 0 for an empty range (no lock).
pub(crate) fn lockaddr(start: u64, size: u64) -> u64 {
    if size == 0 {
        return 0;
    }
    let end = start.saturating_add(size - 1);
    // Position of the highest bit that differs between the first and last byte, at least 15.
    let width = (64 - (start ^ end).leading_zeros()).max(15) as u64;
    let base = start & !((1u64 << (width - 1)) - 1);
    (base & !0xfff) | (width - 1)
}
