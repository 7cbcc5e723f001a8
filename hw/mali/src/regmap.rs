// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The register map as a bring-up engineer reads it: the blocks of the MMIO window and the bit fields of each register,
//! as data (`Documentation/hardware.md#register-map`). [`decode`] is the one piece of logic: it splits a value along a
//! field table.
//!
//! Offsets and codes live in [`crate::regs`]; this module only names what the bits of a value mean, so that dumps and
//! tools (`tyr hw regs`) print `arch_major=10` rather than a bare `0xa8670005`.

use crate::regs::{block, mmu};

/// One block of the MMIO window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Arm's name for it.
    pub name: &'static str,
    /// Offset of its first byte from the MMIO base.
    pub base: u32,
    /// Size in bytes.
    pub size: u32,
    /// What it holds, in one line.
    pub summary: &'static str,
}

impl Block {
    /// Whether `offset` falls inside the block.
    pub fn contains(&self, offset: u32) -> bool {
        offset >= self.base && offset - self.base < self.size
    }
}

/// The blocks the G610 decodes, in address order (`Documentation/hardware.md#register-map`). PWR_CONTROL (arch ≥ 14)
/// and IPA control are absent.
pub static BLOCKS: &[Block] = &[
    Block {
        name: "GPU_CONTROL",
        base: block::GPU_CONTROL,
        size: 0x1000,
        summary: "IDs, GPU IRQ, commands, power, MCU",
    },
    Block {
        name: "JOB_CONTROL",
        base: block::JOB_CONTROL,
        size: 0x1000,
        summary: "JOB IRQ block (CSF global and CSG)",
    },
    Block {
        name: "MMU_CONTROL",
        base: block::MMU_CONTROL,
        size: 0x1000,
        summary: "MMU IRQ block; address space n at 0x2400 + 0x40·n",
    },
    Block {
        name: "USER",
        base: block::USER,
        size: 0x1000,
        summary: "LATEST_FLUSH_ID (user-mappable, read-only)",
    },
    Block {
        name: "DOORBELL",
        base: block::DOORBELL_BASE,
        size: block::DOORBELL_COUNT * block::DOORBELL_STRIDE,
        summary: "doorbell i at 0x80000 + 0x10000·i; write 1 to ring",
    },
];

/// The block that decodes `offset`, if any.
pub fn block_of(offset: u32) -> Option<&'static Block> {
    BLOCKS.iter().find(|b| b.contains(offset))
}

/// How a field's value reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A count or small number, printed in decimal.
    Dec,
    /// An identifier or mask, printed in hex.
    Hex,
    /// The log2 of a size: printed as the size (`2^v`).
    Log2,
    /// A single-bit flag.
    Flag,
    /// An address field: its value is the masked bits in place (not shifted down), printed in hex.
    Addr,
    /// One of a set of named codes.
    Enum(&'static [(u64, &'static str)]),
}

/// A bit field of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Name, lower case as in Tyr's `regs.rs`.
    pub name: &'static str,
    /// Lowest bit.
    pub lsb: u8,
    /// Width in bits (1..=64).
    pub width: u8,
    /// How to read it.
    pub kind: FieldKind,
}

impl Field {
    /// The bits of the field, in place.
    pub fn mask(&self) -> u64 {
        let w = if self.width >= 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        };
        w << self.lsb
    }

    /// The field's value in `v`: shifted down, except for [`FieldKind::Addr`], which stays in place.
    pub fn extract(&self, v: u64) -> u64 {
        match self.kind {
            FieldKind::Addr => v & self.mask(),
            _ => (v & self.mask()) >> self.lsb,
        }
    }

    /// The value as text: decimal, hex, `2^n` sizes, flag `0/1`, or the code's name (`?` + number when unknown).
    pub fn render(&self, value: u64) -> String {
        match self.kind {
            FieldKind::Dec | FieldKind::Flag => value.to_string(),
            FieldKind::Hex | FieldKind::Addr => format!("{value:#x}"),
            FieldKind::Log2 => match 1u64.checked_shl(value as u32) {
                Some(n) => format!("2^{value} ({n})"),
                None => format!("2^{value}"),
            },
            FieldKind::Enum(names) => match names.iter().find(|(c, _)| *c == value) {
                Some((_, n)) => (*n).to_string(),
                None => format!("?{value}"),
            },
        }
    }
}

/// One field of a value, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The field.
    pub field: Field,
    /// Its value ([`Field::extract`]).
    pub value: u64,
    /// Its value as text ([`Field::render`]).
    pub text: String,
}

/// Splits `value` along `fields`.
pub fn decode(fields: &[Field], value: u64) -> Vec<Decoded> {
    fields
        .iter()
        .map(|f| {
            let v = f.extract(value);
            Decoded {
                field: *f,
                value: v,
                text: f.render(v),
            }
        })
        .collect()
}

/// Bits of `value` that no field names (a decoder shows them so that nothing set goes unseen).
pub fn unnamed_bits(fields: &[Field], value: u64) -> u64 {
    value & !fields.iter().fold(0, |m, f| m | f.mask())
}

const fn f(name: &'static str, lsb: u8, width: u8, kind: FieldKind) -> Field {
    Field {
        name,
        lsb,
        width,
        kind,
    }
}

const fn flag(name: &'static str, bit: u8) -> Field {
    Field {
        name,
        lsb: bit,
        width: 1,
        kind: FieldKind::Flag,
    }
}

use FieldKind::{Addr, Dec, Enum, Hex, Log2};

/// GPU_ID (`Documentation/hardware.md#gpu_control`).
pub static GPU_ID: &[Field] = &[
    f("version_status", 0, 4, Dec),
    f("version_minor", 4, 8, Dec),
    f("version_major", 12, 4, Dec),
    f("product_major", 16, 4, Dec),
    f("arch_rev", 20, 4, Dec),
    f("arch_minor", 24, 4, Dec),
    f("arch_major", 28, 4, Dec),
];

/// L2_FEATURES: sizes are log2 (line in bytes, slice size in bytes, bus width in bits).
pub static L2_FEATURES: &[Field] = &[
    f("line_size", 0, 8, Log2),
    f("associativity", 8, 8, Dec),
    f("cache_size", 16, 8, Log2),
    f("bus_width", 24, 8, Log2),
];

/// CORE_FEATURES.
pub static CORE_FEATURES: &[Field] = &[f("core_variant", 0, 8, Dec)];

/// TILER_FEATURES.
pub static TILER_FEATURES: &[Field] = &[f("bin_size", 0, 6, Log2), f("max_levels", 8, 4, Dec)];

/// MEM_FEATURES (`l2_slices` is the slice count − 1).
pub static MEM_FEATURES: &[Field] = &[
    flag("coherent_core_group", 0),
    flag("coherent_super_group", 1),
    f("l2_slices", 8, 4, Dec),
];

/// MMU_FEATURES.
pub static MMU_FEATURES: &[Field] = &[f("va_bits", 0, 8, Dec), f("pa_bits", 8, 8, Dec)];

/// CSF_ID.
pub static CSF_ID: &[Field] = &[
    f("mcu_rev", 0, 4, Dec),
    f("mcu_minor", 4, 6, Dec),
    f("mcu_major", 10, 6, Dec),
    f("cshw_rev", 16, 4, Dec),
    f("cshw_minor", 20, 6, Dec),
    f("cshw_major", 26, 6, Dec),
];

/// GPU IRQ bits (RAWSTAT/MASK/STATUS, `Documentation/hardware.md#gpu_control`).
pub static GPU_IRQ: &[Field] = &[
    flag("FAULT", 0),
    flag("PROTM_FAULT", 1),
    flag("RESET_COMPLETED", 8),
    flag("POWER_CHANGED_SINGLE", 9),
    flag("POWER_CHANGED_ALL", 10),
    flag("CLEAN_CACHES_COMPLETED", 17),
    flag("DOORBELL_MIRROR", 18),
    flag("MCU_STATUS_CHANGED", 19),
];

/// GPU_STATUS (`Documentation/hardware.md#gpu_control`).
pub static GPU_STATUS: &[Field] = &[
    flag("ACTIVE", 0),
    flag("PWR_ACTIVE", 1),
    flag("PRFCNT_ACTIVE", 2),
    flag("PAGE_FAULT", 4),
    flag("CYCLE_COUNT_ACTIVE", 6),
    flag("PROTM_ACTIVE", 7),
    flag("DBG_ENABLED", 8),
];

/// Access types of GPU_FAULTSTATUS and AS_FAULTSTATUS bits 9:8.
pub static ACCESS_TYPES: &[(u64, &str)] =
    &[(0, "ATOMIC"), (1, "EXECUTE"), (2, "READ"), (3, "WRITE")];

/// GPU_FAULTSTATUS (`Documentation/hardware.md#gpu_control`).
pub static GPU_FAULTSTATUS: &[Field] = &[
    f("exception_type", 0, 8, Hex),
    f("access_type", 8, 2, Enum(ACCESS_TYPES)),
    flag("address_valid", 10),
    flag("jasid_valid", 11),
    f("jasid", 12, 4, Dec),
    f("source_id", 16, 16, Hex),
];

/// L2_CONFIG.
pub static L2_CONFIG: &[Field] = &[f("cache_size", 16, 8, Log2), f("hash_function", 24, 8, Hex)];

/// THREAD_FEATURES.
pub static THREAD_FEATURES: &[Field] = &[
    f("max_registers", 0, 22, Dec),
    f(
        "implementation_technology",
        22,
        2,
        Enum(&[
            (0, "UNSPECIFIED"),
            (1, "SILICON"),
            (2, "FPGA"),
            (3, "MODEL"),
        ]),
    ),
    f("max_task_queue", 24, 8, Dec),
];

/// COHERENCY_FEATURES.
pub static COHERENCY_FEATURES: &[Field] = &[flag("ACE_LITE", 0), flag("ACE", 1)];

/// COHERENCY_PROTOCOL.
pub static COHERENCY_PROTOCOL: &[Field] = &[f(
    "protocol",
    0,
    5,
    Enum(&[(0, "ACE_LITE"), (1, "ACE"), (31, "NONE")]),
)];

/// MCU_CONTROL (`Documentation/hardware.md#gpu_control`).
pub static MCU_CONTROL: &[Field] = &[f(
    "req",
    0,
    2,
    Enum(&[(0, "DISABLE"), (1, "ENABLE"), (2, "AUTO")]),
)];

/// MCU_STATUS (`Documentation/hardware.md#gpu_control`).
pub static MCU_STATUS: &[Field] = &[f(
    "status",
    0,
    2,
    Enum(&[(0, "DISABLED"), (1, "ENABLED"), (2, "HALT"), (3, "FATAL")]),
)];

/// JOB IRQ bits (`Documentation/hardware.md#job_control`): CSG slots 0..7 (the G610's eight) and the global interface.
pub static JOB_IRQ: &[Field] = &[
    flag("CSG0", 0),
    flag("CSG1", 1),
    flag("CSG2", 2),
    flag("CSG3", 3),
    flag("CSG4", 4),
    flag("CSG5", 5),
    flag("CSG6", 6),
    flag("CSG7", 7),
    flag("GLB", 31),
];

/// MMU IRQ bits (`Documentation/hardware.md#mmu_control-and-address-spaces`): a page fault in each present address
/// space.
pub static MMU_IRQ: &[Field] = &[
    flag("AS0", 0),
    flag("AS1", 1),
    flag("AS2", 2),
    flag("AS3", 3),
    flag("AS4", 4),
    flag("AS5", 5),
    flag("AS6", 6),
    flag("AS7", 7),
];

/// AS_TRANSTAB: the root table PA (bits 3:0 are ignored).
pub static AS_TRANSTAB: &[Field] = &[f("base", 4, 44, Addr)];

/// AS_MEMATTR: one attribute byte per AttrIndx (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub static AS_MEMATTR: &[Field] = &[
    f("attr0", 0, 8, Hex),
    f("attr1", 8, 8, Hex),
    f("attr2", 16, 8, Hex),
    f("attr3", 24, 8, Hex),
    f("attr4", 32, 8, Hex),
    f("attr5", 40, 8, Hex),
    f("attr6", 48, 8, Hex),
    f("attr7", 56, 8, Hex),
];

/// AS_LOCKADDR (`Documentation/hardware.md#mmu_control-and-address-spaces`): region of 2^(size+1) bytes at base.
pub static AS_LOCKADDR: &[Field] = &[f("size", 0, 6, Dec), f("base", 12, 52, Addr)];

/// AS_FAULTSTATUS (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub static AS_FAULTSTATUS: &[Field] = &[
    f("exception_type", 0, 8, Hex),
    f("access_type", 8, 2, Enum(ACCESS_TYPES)),
    flag("decoder_fault", 10),
    f("source_id", 16, 16, Hex),
];

/// AS_STATUS (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub static AS_STATUS: &[Field] = &[flag("ACTIVE", 0), flag("ACTIVE_INT", 1)];

/// AS_TRANSCFG (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub static AS_TRANSCFG: &[Field] = &[
    f(
        "adrmode",
        0,
        4,
        Enum(&[
            (0, "LEGACY"),
            (1, "UNMAPPED"),
            (2, "IDENTITY"),
            (6, "AARCH64_4K"),
            (8, "AARCH64_64K"),
        ]),
    ),
    f("ina_bits", 6, 5, Dec),
    f("outa_bits", 14, 5, Dec),
    flag("sl_concat", 22),
    f(
        "ptw_memattr",
        24,
        2,
        Enum(&[(0, "INVALID"), (1, "NON_CACHEABLE"), (2, "WRITE_BACK")]),
    ),
    f(
        "ptw_sh",
        28,
        2,
        Enum(&[
            (0, "NON_SHAREABLE"),
            (2, "OUTER_SHAREABLE"),
            (3, "INNER_SHAREABLE"),
        ]),
    ),
    flag("ptw_ra", 30),
    flag("disable_hier_ap", 33),
    flag("disable_af_fault", 34),
    flag("wxn", 35),
    flag("xreadable", 36),
    f("ptw_pbha", 60, 4, Hex),
];

/// The field table of the register Arm calls `name` (per-AS registers by their `AS_` name, e.g. `AS_TRANSCFG`);
/// empty for registers whose value is a plain number or bitmap (IDs of power domains, counters, timestamps).
pub fn fields_of(name: &str) -> &'static [Field] {
    match name {
        "GPU_ID" => GPU_ID,
        "L2_FEATURES" => L2_FEATURES,
        "CORE_FEATURES" => CORE_FEATURES,
        "TILER_FEATURES" => TILER_FEATURES,
        "MEM_FEATURES" => MEM_FEATURES,
        "MMU_FEATURES" => MMU_FEATURES,
        "CSF_ID" => CSF_ID,
        "GPU_IRQ_RAWSTAT" | "GPU_IRQ_MASK" | "GPU_IRQ_STATUS" => GPU_IRQ,
        "GPU_STATUS" => GPU_STATUS,
        "GPU_FAULTSTATUS" => GPU_FAULTSTATUS,
        "L2_CONFIG" => L2_CONFIG,
        "THREAD_FEATURES" => THREAD_FEATURES,
        "COHERENCY_FEATURES" => COHERENCY_FEATURES,
        "COHERENCY_PROTOCOL" => COHERENCY_PROTOCOL,
        "MCU_CONTROL" => MCU_CONTROL,
        "MCU_STATUS" => MCU_STATUS,
        "JOB_IRQ_RAWSTAT" | "JOB_IRQ_MASK" | "JOB_IRQ_STATUS" => JOB_IRQ,
        "MMU_IRQ_RAWSTAT" | "MMU_IRQ_MASK" | "MMU_IRQ_STATUS" => MMU_IRQ,
        "AS_TRANSTAB" => AS_TRANSTAB,
        "AS_MEMATTR" => AS_MEMATTR,
        "AS_LOCKADDR" => AS_LOCKADDR,
        "AS_FAULTSTATUS" => AS_FAULTSTATUS,
        "AS_STATUS" => AS_STATUS,
        "AS_TRANSCFG" => AS_TRANSCFG,
        _ => &[],
    }
}

/// The field table of the register at `offset` (per-AS registers included), by way of the register tables.
pub fn fields_at(offset: u32) -> &'static [Field] {
    if let Some(r) = crate::regs::REGISTERS.iter().find(|r| r.offset == offset) {
        return fields_of(r.name);
    }
    let Some(rel) = offset.checked_sub(mmu::AS_BASE) else {
        return &[];
    };
    if rel >= mmu::AS_SLOTS * mmu::AS_STRIDE {
        return &[];
    }
    crate::regs::AS_REGISTERS
        .iter()
        .find(|r| r.offset == rel % mmu::AS_STRIDE)
        .map_or(&[], |r| fields_of(r.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regs::{AS_REGISTERS, REGISTERS};

    fn all_tables() -> Vec<(&'static str, &'static [Field])> {
        REGISTERS
            .iter()
            .chain(AS_REGISTERS)
            .map(|r| (r.name, fields_of(r.name)))
            .collect()
    }

    #[test]
    fn fields_of_a_register_do_not_overlap_and_fit_its_width() {
        for reg in REGISTERS.iter().chain(AS_REGISTERS) {
            let width = if reg.is64 { 64 } else { 32 };
            let mut seen = 0u64;
            for fl in fields_of(reg.name) {
                assert!(
                    fl.width >= 1 && u32::from(fl.lsb) + u32::from(fl.width) <= width,
                    "{}.{}",
                    reg.name,
                    fl.name
                );
                assert_eq!(seen & fl.mask(), 0, "{}.{} overlaps", reg.name, fl.name);
                seen |= fl.mask();
            }
        }
    }

    #[test]
    fn registers_with_bit_fields_have_tables() {
        let tables = all_tables();
        for name in [
            "GPU_ID",
            "CSF_ID",
            "GPU_IRQ_RAWSTAT",
            "MCU_STATUS",
            "JOB_IRQ_STATUS",
            "MMU_IRQ_MASK",
            "AS_TRANSCFG",
        ] {
            assert!(
                tables.iter().any(|(n, t)| *n == name && !t.is_empty()),
                "{name} has no field table"
            );
        }
        assert!(
            fields_of("TIMESTAMP").is_empty(),
            "a counter is a plain number"
        );
    }

    #[test]
    fn gpu_id_decodes_to_arch_10_8_product_7() {
        let d = decode(GPU_ID, 0xA867_0005);
        let get = |n: &str| d.iter().find(|x| x.field.name == n).unwrap().value;
        assert_eq!(
            (get("arch_major"), get("arch_minor"), get("arch_rev")),
            (10, 8, 6)
        );
        assert_eq!(
            (
                get("product_major"),
                get("version_major"),
                get("version_status")
            ),
            (7, 0, 5)
        );
    }

    #[test]
    fn panthor_transcfg_decodes_to_aarch64_4k_48_bit_write_back_walks() {
        let d = decode(AS_TRANSCFG, 0x4200_01C6);
        let text = |n: &str| d.iter().find(|x| x.field.name == n).unwrap().text.clone();
        assert_eq!(text("adrmode"), "AARCH64_4K");
        assert_eq!(text("ina_bits"), "7");
        assert_eq!(text("ptw_memattr"), "WRITE_BACK");
        assert_eq!(text("ptw_ra"), "1");
    }

    #[test]
    fn l2_line_size_reads_as_a_power_of_two() {
        assert_eq!(
            L2_FEATURES[0].render(L2_FEATURES[0].extract(0x0712_0306)),
            "2^6 (64)"
        );
    }

    #[test]
    fn lockaddr_base_stays_in_place() {
        let d = decode(AS_LOCKADDR, 0x20_0014);
        assert_eq!((d[0].value, d[1].value), (0x14, 0x20_0000));
    }

    #[test]
    fn unnamed_bits_are_reported() {
        assert_eq!(unnamed_bits(JOB_IRQ, 0x8000_1001), 0x1000);
        assert_eq!(unnamed_bits(GPU_IRQ, 0x100), 0);
    }

    #[test]
    fn per_as_offsets_find_their_tables() {
        assert_eq!(
            fields_at(mmu::AS_BASE + 3 * mmu::AS_STRIDE + mmu::TRANSCFG),
            AS_TRANSCFG
        );
        assert_eq!(fields_at(crate::regs::gpu::GPU_ID), GPU_ID);
        assert!(fields_at(0x1_2345).is_empty());
    }

    #[test]
    fn blocks_are_disjoint_and_inside_the_window() {
        for w in BLOCKS.windows(2) {
            assert!(w[0].base + w[0].size <= w[1].base);
        }
        let last = BLOCKS.last().unwrap();
        assert!(last.base + last.size <= block::WINDOW_SIZE);
        assert_eq!(block_of(0x2440).map(|b| b.name), Some("MMU_CONTROL"));
        assert_eq!(block_of(0x9_0000).map(|b| b.name), Some("DOORBELL"));
        assert!(block_of(0x4_0000).is_none());
    }
}
