// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The page-table walker: translates one VA of an address space by reading its tables from RAM.
//!
//! Written from the VMSAv8-64 stage-1 rules as `Documentation/hardware.md#mmu-translation` states them (4 KiB granule,
//! up to four levels, table/block/page descriptors, hierarchical table permissions, access flag, AttrIndx → MEMATTR).
//! It is deliberately independent of `kernel::io_pgtable`: the two are held against each other by tests.
//!
//! Fault priority (`Documentation/hardware.md#mmu-translation`): input size → walk (address size / bus / translation,
//! level by level) → access flag → memory attribute. Permission is checked per access by [`Translation::check`], so
//! that a cached translation enforces it too.

use hw_mem::Ram;

use super::desc::{
    level_index, level_shift, memattr_type, DescBits, DescKind, Descriptor, MemType,
};
use super::fault::{AccessType, FaultClass, MmuFault};
use crate::fields::AsTranscfg;
use crate::regs::transcfg;

/// The configuration an address space translates with: what UPDATE latched from its registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkConfig {
    /// AS_TRANSTAB: root table PA (bits 3:0 taken as 0).
    pub transtab: u64,
    /// AS_MEMATTR: one attribute byte per AttrIndx.
    pub memattr: u64,
    /// AS_TRANSCFG.
    pub transcfg: u64,
}

impl WalkConfig {
    /// ADRMODE (TRANSCFG bits 3:0).
    pub fn adrmode(&self) -> u64 {
        AsTranscfg(self.transcfg).adrmode()
    }

    /// Width of the input address: min(hardware VA bits, 55 − INA_BITS) (Tyr's rule).
    pub fn input_bits(&self, hw_va_bits: u32) -> u32 {
        let ina = AsTranscfg(self.transcfg).ina_bits() as u32;
        hw_va_bits.min(55 - ina)
    }

    fn has(&self, bit: u64) -> bool {
        self.transcfg & bit != 0
    }
}

/// What a successful walk found: the leaf, the VA span it maps, and the permissions accumulated on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// First VA of the span the leaf maps (aligned to `1 << size_log2`).
    pub va_base: u64,
    /// log2 of the span: 12 (page), 21 (2 MiB block) or 30 (1 GiB block).
    pub size_log2: u32,
    /// PA of `va_base`.
    pub pa_base: u64,
    /// Level of the leaf (1..=3).
    pub level: u8,
    /// Writes and atomics are refused (AP\[2\] on the leaf, or APTable\[1\] on a table above it).
    pub read_only: bool,
    /// Instruction fetches are refused (XN on the leaf, XNTable above it, or WXN on a writable page).
    pub no_exec: bool,
    /// The leaf's AttrIndx.
    pub attr_index: u8,
    /// The AS_MEMATTR byte AttrIndx selected.
    pub memattr: u8,
}

impl Translation {
    /// Whether `va` is inside the span.
    pub fn covers(&self, va: u64) -> bool {
        va >> self.size_log2 == self.va_base >> self.size_log2
    }

    /// The PA of `va` (which must be inside the span).
    pub fn pa_of(&self, va: u64) -> u64 {
        self.pa_base + (va - self.va_base)
    }

    /// Permission check for one access: write/atomic to read-only and fetch from no-exec are PERMISSION faults at the
    /// leaf's level. Reads are always allowed (AP\[1\] is ignored by the GPU,
    /// `Documentation/hardware.md#mmu-translation`).
    pub fn check(&self, access: AccessType) -> Result<(), MmuFault> {
        let denied = match access {
            AccessType::Write | AccessType::Atomic => self.read_only,
            AccessType::Execute => self.no_exec,
            AccessType::Read => false,
        };
        if denied {
            Err(MmuFault::new(FaultClass::Permission, self.level))
        } else {
            Ok(())
        }
    }
}

/// The walker: stateless apart from the GPU's address widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walker {
    /// Hardware VA width (MMU_FEATURES 7:0; 48 on G610).
    pub va_bits: u32,
    /// Physical address width (MMU_FEATURES 15:8; 40 on G610).
    pub pa_bits: u32,
}

impl Walker {
    /// A walker for a GPU with these address widths.
    pub fn new(va_bits: u32, pa_bits: u32) -> Self {
        Self {
            va_bits: va_bits.min(48),
            pa_bits: pa_bits.min(48),
        }
    }

    fn beyond_pa(&self, pa: u64) -> bool {
        pa >> self.pa_bits != 0
    }

    /// Translates `va` under `cfg`, reading tables from `ram`.
    pub fn walk(&self, ram: &Ram, cfg: &WalkConfig, va: u64) -> Result<Translation, MmuFault> {
        // An AS that is not in AArch64 4K mode translates nothing. UNMAPPED has no documented code
        // (`Documentation/hardware.md#mmu-translation` [?]); like the documented model choice, every such access is a
        // level-0 translation fault.
        if cfg.adrmode() != transcfg::ADRMODE_AARCH64_4K {
            return Err(MmuFault::new(FaultClass::Translation, 0));
        }
        let ia_bits = cfg.input_bits(self.va_bits);
        if ia_bits < 64 && va >> ia_bits != 0 {
            return Err(MmuFault::new(FaultClass::AddressSizeIn, 0));
        }
        // Levels needed to resolve ia_bits − 12 bits, 9 per level; the walk starts that many levels above L3.
        let levels = (ia_bits.saturating_sub(12)).div_ceil(9).clamp(1, 4) as u8;
        let start = 4 - levels;

        let mut table = cfg.transtab & !0xF;
        let mut read_only = false;
        let mut no_exec = false;
        let hier = !cfg.has(transcfg::DISABLE_HIER_AP);
        for level in start..=3 {
            if self.beyond_pa(table) {
                return Err(MmuFault::new(FaultClass::AddressSizeOut, level));
            }
            let entry_pa = table + 8 * level_index(va, level) as u64;
            let raw = ram
                .read_u64(entry_pa)
                .map_err(|_| MmuFault::new(FaultClass::TranstabBus, level))?;
            let desc = Descriptor(raw);
            let bits = desc.bits();
            match desc.kind(level) {
                DescKind::Invalid => return Err(MmuFault::new(FaultClass::Translation, level)),
                DescKind::Table => {
                    if hier {
                        read_only |= bits.contains(DescBits::AP_TABLE_RO);
                        no_exec |= bits.contains(DescBits::XN_TABLE);
                    }
                    table = desc.table_address();
                }
                DescKind::Leaf => {
                    let shift = level_shift(level);
                    let pa_base = desc.leaf_address(level);
                    if self.beyond_pa(pa_base) {
                        return Err(MmuFault::new(FaultClass::AddressSizeOut, level));
                    }
                    if !bits.contains(DescBits::AF) && !cfg.has(transcfg::DISABLE_AF_FAULT) {
                        return Err(MmuFault::new(FaultClass::AccessFlag, level));
                    }
                    let attr_index = desc.attr_index();
                    let memattr = (cfg.memattr >> (8 * u32::from(attr_index))) as u8;
                    if memattr_type(memattr) == MemType::Fault {
                        return Err(MmuFault::new(FaultClass::MemAttr, level));
                    }
                    read_only |= bits.contains(DescBits::AP_RO);
                    no_exec |= bits.contains(DescBits::XN);
                    if cfg.has(transcfg::WXN) && !read_only {
                        no_exec = true;
                    }
                    return Ok(Translation {
                        va_base: va & !((1u64 << shift) - 1),
                        size_log2: shift,
                        pa_base,
                        level,
                        read_only,
                        no_exec,
                        attr_index,
                        memattr,
                    });
                }
            }
        }
        // Level 3 never yields a table, so the loop always returns; keep a defined answer regardless.
        Err(MmuFault::new(FaultClass::Translation, 3))
    }
}
