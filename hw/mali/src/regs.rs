// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The Mali-G610 register map as data: block bases, register offsets, field layouts and command codes.
//!
//! Offsets are relative to the GPU's MMIO base (`0xFB00_0000` on RK3588). Every register is a 32-bit little-endian word; a
//! "64-bit" register is a LO word at `+0` and a HI word at `+4` (`Documentation/hardware.md#register-map`). Nothing in
//! this module has behaviour: the register file ([`crate::Mali`]) interprets these numbers.

/// Block bases and sizes inside the 2 MiB MMIO window (`Documentation/hardware.md#register-map`).
pub mod block {
    /// GPU_CONTROL: IDs, GPU IRQ, commands, power, MCU control.
    pub const GPU_CONTROL: u32 = 0x0_0000;
    /// JOB_CONTROL: on CSF parts only the JOB IRQ block.
    pub const JOB_CONTROL: u32 = 0x0_1000;
    /// MMU_CONTROL: the MMU IRQ block, then the address spaces.
    pub const MMU_CONTROL: u32 = 0x0_2000;
    /// The USER page (LATEST_FLUSH_ID), mappable read-only by user space.
    pub const USER: u32 = 0x1_0000;
    /// Doorbell 0; doorbell `i` is at `DOORBELL_BASE + i * DOORBELL_STRIDE`.
    pub const DOORBELL_BASE: u32 = 0x8_0000;
    /// Distance between two doorbell pages (one 64 KiB page each, so each can be mapped alone).
    pub const DOORBELL_STRIDE: u32 = 0x1_0000;
    /// Doorbells that fit in the RK3588's 2 MiB window: (0x20_0000 − 0x8_0000) / 0x1_0000.
    pub const DOORBELL_COUNT: u32 = 24;
    /// Size of the whole MMIO window.
    pub const WINDOW_SIZE: u32 = 0x20_0000;
}

/// Layout shared by the three interrupt blocks (GPU at 0x20, JOB at 0x1000, MMU at 0x2000).
pub mod irq {
    /// Raw interrupt sources; writing forces bits on, never clears them.
    pub const RAWSTAT: u32 = 0x0;
    /// Write-only, write-1-to-clear of RAWSTAT bits.
    pub const CLEAR: u32 = 0x4;
    /// Read/write enable mask.
    pub const MASK: u32 = 0x8;
    /// Read-only `RAWSTAT & MASK`; the IRQ line is high while it is non-zero.
    pub const STAT: u32 = 0xC;
}

/// GPU_CONTROL register offsets (`Documentation/hardware.md#gpu_control`).
pub mod gpu {
    /// GPU_ID.
    pub const GPU_ID: u32 = 0x000;
    /// L2_FEATURES.
    pub const L2_FEATURES: u32 = 0x004;
    /// CORE_FEATURES.
    pub const CORE_FEATURES: u32 = 0x008;
    /// TILER_FEATURES.
    pub const TILER_FEATURES: u32 = 0x00C;
    /// MEM_FEATURES.
    pub const MEM_FEATURES: u32 = 0x010;
    /// MMU_FEATURES.
    pub const MMU_FEATURES: u32 = 0x014;
    /// AS_PRESENT.
    pub const AS_PRESENT: u32 = 0x018;
    /// CSF_ID.
    pub const CSF_ID: u32 = 0x01C;
    /// Base of the GPU IRQ block (RAWSTAT/CLEAR/MASK/STATUS, see [`super::irq`]).
    pub const IRQ_BASE: u32 = 0x020;
    /// GPU_COMMAND (write-only).
    pub const GPU_COMMAND: u32 = 0x030;
    /// GPU_STATUS.
    pub const GPU_STATUS: u32 = 0x034;
    /// GPU_FAULTSTATUS.
    pub const GPU_FAULTSTATUS: u32 = 0x03C;
    /// GPU_FAULTADDRESS (64-bit).
    pub const GPU_FAULTADDRESS: u32 = 0x040;
    /// L2_CONFIG.
    pub const L2_CONFIG: u32 = 0x048;
    /// PWR_KEY (write-only).
    pub const PWR_KEY: u32 = 0x050;
    /// PWR_OVERRIDE0.
    pub const PWR_OVERRIDE0: u32 = 0x054;
    /// PWR_OVERRIDE1.
    pub const PWR_OVERRIDE1: u32 = 0x058;
    /// GPU_FEATURES (64-bit).
    pub const GPU_FEATURES: u32 = 0x060;
    /// PRFCNT_FEATURES.
    pub const PRFCNT_FEATURES: u32 = 0x068;
    /// TIMESTAMP_OFFSET (64-bit, RW).
    pub const TIMESTAMP_OFFSET: u32 = 0x088;
    /// CYCLE_COUNT (64-bit).
    pub const CYCLE_COUNT: u32 = 0x090;
    /// TIMESTAMP (64-bit).
    pub const TIMESTAMP: u32 = 0x098;
    /// THREAD_MAX_THREADS.
    pub const THREAD_MAX_THREADS: u32 = 0x0A0;
    /// THREAD_MAX_WORKGROUP_SIZE.
    pub const THREAD_MAX_WORKGROUP_SIZE: u32 = 0x0A4;
    /// THREAD_MAX_BARRIER_SIZE.
    pub const THREAD_MAX_BARRIER_SIZE: u32 = 0x0A8;
    /// THREAD_FEATURES.
    pub const THREAD_FEATURES: u32 = 0x0AC;
    /// TEXTURE_FEATURES_0 (then _1.._3 at +4 each).
    pub const TEXTURE_FEATURES_0: u32 = 0x0B0;
    /// SHADER_PRESENT (64-bit). The other power registers of a domain follow at the strides below.
    pub const SHADER_PRESENT: u32 = 0x100;
    /// TILER_PRESENT (64-bit).
    pub const TILER_PRESENT: u32 = 0x110;
    /// L2_PRESENT (64-bit).
    pub const L2_PRESENT: u32 = 0x120;
    /// SHADER_READY (64-bit).
    pub const SHADER_READY: u32 = 0x140;
    /// SHADER_PWRON (64-bit, write-only).
    pub const SHADER_PWRON: u32 = 0x180;
    /// SHADER_PWROFF (64-bit, write-only).
    pub const SHADER_PWROFF: u32 = 0x1C0;
    /// SHADER_PWRTRANS (64-bit).
    pub const SHADER_PWRTRANS: u32 = 0x200;
    /// SHADER_PWRACTIVE (64-bit).
    pub const SHADER_PWRACTIVE: u32 = 0x240;
    /// GPU_REVID.
    pub const GPU_REVID: u32 = 0x280;
    /// ASN_HASH(0) (then (1), (2) at +4 each).
    pub const ASN_HASH_0: u32 = 0x2C0;
    /// COHERENCY_FEATURES.
    pub const COHERENCY_FEATURES: u32 = 0x300;
    /// COHERENCY_PROTOCOL (Tyr/kbase: COHERENCY_ENABLE).
    pub const COHERENCY_PROTOCOL: u32 = 0x304;
    /// THREAD_TLS_ALLOC.
    pub const THREAD_TLS_ALLOC: u32 = 0x310;
    /// MCU_CONTROL.
    pub const MCU_CONTROL: u32 = 0x700;
    /// MCU_STATUS.
    pub const MCU_STATUS: u32 = 0x704;
    /// STACK_PRESENT (64-bit) \[kbase\].
    pub const STACK_PRESENT: u32 = 0xE00;
    /// STACK_READY (64-bit) \[kbase\].
    pub const STACK_READY: u32 = 0xE10;
    /// STACK_PWRON (64-bit) \[kbase\].
    pub const STACK_PWRON: u32 = 0xE20;
    /// STACK_PWROFF (64-bit) \[kbase\].
    pub const STACK_PWROFF: u32 = 0xE30;
    /// STACK_PWRTRANS (64-bit) \[kbase\].
    pub const STACK_PWRTRANS: u32 = 0xE40;
    /// CSF_CONFIG \[kbase\] (then SHADER_CONFIG, TILER_CONFIG, L2_MMU_CONFIG at +4 each).
    pub const CSF_CONFIG: u32 = 0xF00;

    /// Offset of a power domain's READY register from its PRESENT register.
    pub const PWR_READY_DELTA: u32 = 0x40;
    /// Offset of a power domain's PWRON register from its PRESENT register.
    pub const PWR_ON_DELTA: u32 = 0x80;
    /// Offset of a power domain's PWROFF register from its PRESENT register.
    pub const PWR_OFF_DELTA: u32 = 0xC0;
    /// Offset of a power domain's PWRTRANS register from its PRESENT register.
    pub const PWR_TRANS_DELTA: u32 = 0x100;
    /// Offset of a power domain's PWRACTIVE register from its PRESENT register.
    pub const PWR_ACTIVE_DELTA: u32 = 0x140;
    /// The value that unlocks PWR_OVERRIDE0/1 when written to PWR_KEY.
    pub const PWR_KEY_UNLOCK: u32 = 0x2968_A819;
}

/// GPU IRQ bits (`Documentation/hardware.md#gpu_control`).
pub mod gpu_irq {
    /// A GPU fault was recorded in GPU_FAULTSTATUS/ADDRESS.
    pub const FAULT: u32 = 1 << 0;
    /// A GPU fault in protected mode.
    pub const PROTM_FAULT: u32 = 1 << 1;
    /// A GPU_COMMAND reset finished.
    pub const RESET_COMPLETED: u32 = 1 << 8;
    /// One power domain finished a transition.
    pub const POWER_CHANGED_SINGLE: u32 = 1 << 9;
    /// All pending power transitions finished.
    pub const POWER_CHANGED_ALL: u32 = 1 << 10;
    /// A GPU_COMMAND FLUSH_CACHES finished.
    pub const CLEAN_CACHES_COMPLETED: u32 = 1 << 17;
    /// Mirrors the doorbell line; cannot be cleared through GPU_IRQ_CLEAR \[kbase\].
    pub const DOORBELL_MIRROR: u32 = 1 << 18;
    /// The MCU needs attention.
    pub const MCU_STATUS_CHANGED: u32 = 1 << 19;
    /// Every bit the model can raise (RAWSTAT writes outside it are ignored).
    pub const IMPLEMENTED: u32 = FAULT
        | PROTM_FAULT
        | RESET_COMPLETED
        | POWER_CHANGED_SINGLE
        | POWER_CHANGED_ALL
        | CLEAN_CACHES_COMPLETED
        | DOORBELL_MIRROR
        | MCU_STATUS_CHANGED;
}

/// GPU_COMMAND encoding (`Documentation/hardware.md#gpu_control`): code in bits 7:0, payload from bit 8.
pub mod gpu_command {
    /// Mask of the command code.
    pub const CODE_MASK: u32 = 0xFF;
    /// NOP.
    pub const NOP: u32 = 0;
    /// RESET; payload bits 11:8 select the kind.
    pub const RESET: u32 = 1;
    /// PRFCNT (sample/clear); accepted and ignored.
    pub const PRFCNT: u32 = 2;
    /// TIME: payload 1 starts the cycle counter, 0 stops it.
    pub const TIME: u32 = 3;
    /// FLUSH_CACHES: L2 mode 11:8, LSC mode 15:12, other 19:16.
    pub const FLUSH_CACHES: u32 = 4;
    /// SET_PROTECTED_MODE; accepted and ignored.
    pub const SET_PROTECTED_MODE: u32 = 5;
    /// FINISH_HALT; accepted and ignored.
    pub const FINISH_HALT: u32 = 6;
    /// CLEAR_FAULT: clears GPU_FAULTSTATUS/ADDRESS.
    pub const CLEAR_FAULT: u32 = 7;
    /// RESET payload: fast reset.
    pub const RESET_FAST: u32 = 0;
    /// RESET payload: soft reset (0x101).
    pub const RESET_SOFT: u32 = 1;
    /// RESET payload: hard reset (0x201).
    pub const RESET_HARD: u32 = 2;
}

/// GPU_STATUS bits (`Documentation/hardware.md#gpu_control`).
pub mod gpu_status {
    /// The GPU is busy (a reset, flush or MCU work is in progress).
    pub const ACTIVE: u32 = 1 << 0;
    /// The power manager is busy (a power transition is in progress).
    pub const PWR_ACTIVE: u32 = 1 << 1;
    /// An MMU fault is active on some address space.
    pub const PAGE_FAULT: u32 = 1 << 4;
    /// The cycle counter is running.
    pub const CYCLE_COUNT_ACTIVE: u32 = 1 << 6;
}

/// MCU_CONTROL / MCU_STATUS values (`Documentation/hardware.md#gpu_control`).
pub mod mcu {
    /// MCU_CONTROL: stop the MCU.
    pub const CONTROL_DISABLE: u32 = 0;
    /// MCU_CONTROL: run.
    pub const CONTROL_ENABLE: u32 = 1;
    /// MCU_CONTROL: run, and reboot by itself after a fast reset.
    pub const CONTROL_AUTO: u32 = 2;
    /// MCU_STATUS: disabled.
    pub const STATUS_DISABLED: u32 = 0;
    /// MCU_STATUS: running.
    pub const STATUS_ENABLED: u32 = 1;
    /// MCU_STATUS: halted in an orderly way.
    pub const STATUS_HALT: u32 = 2;
    /// MCU_STATUS: hit an error it cannot continue from.
    pub const STATUS_FATAL: u32 = 3;
}

/// MMU_CONTROL and the per-AS registers (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub mod mmu {
    /// Base of the MMU IRQ block (RAWSTAT/CLEAR/MASK/STATUS, see [`super::irq`]).
    pub const IRQ_BASE: u32 = 0x2000;
    /// Address space 0's registers; AS `n` is at `AS_BASE + n * AS_STRIDE`.
    pub const AS_BASE: u32 = 0x2400;
    /// Distance between two address spaces' register blocks.
    pub const AS_STRIDE: u32 = 0x40;
    /// Address-space register blocks the map reserves room for (16); only [`crate::AS_COUNT`] are present.
    pub const AS_SLOTS: u32 = 16;
    /// Mask of the per-AS page-fault bits in the MMU IRQ registers (bits 31:16 are never raised by the model).
    pub const FAULT_BITS: u32 = 0xFFFF;

    /// AS_TRANSTAB (64-bit RW).
    pub const TRANSTAB: u32 = 0x00;
    /// AS_MEMATTR (64-bit RW).
    pub const MEMATTR: u32 = 0x08;
    /// AS_LOCKADDR (64-bit RW).
    pub const LOCKADDR: u32 = 0x10;
    /// AS_COMMAND (WO).
    pub const COMMAND: u32 = 0x18;
    /// AS_FAULTSTATUS (RO).
    pub const FAULTSTATUS: u32 = 0x1C;
    /// AS_FAULTADDRESS (64-bit RO).
    pub const FAULTADDRESS: u32 = 0x20;
    /// AS_STATUS (RO).
    pub const STATUS: u32 = 0x28;
    /// AS_TRANSCFG (64-bit RW).
    pub const TRANSCFG: u32 = 0x30;
    /// AS_FAULTEXTRA (64-bit RO).
    pub const FAULTEXTRA: u32 = 0x38;

    /// AS_STATUS bit 0: a command written to AS_COMMAND is being processed.
    pub const STATUS_ACTIVE: u32 = 1 << 0;
}

/// AS_COMMAND codes (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub mod as_command {
    /// Nothing.
    pub const NOP: u32 = 0;
    /// Make TRANSTAB/MEMATTR/TRANSCFG live and drop every cached translation of the AS.
    pub const UPDATE: u32 = 1;
    /// Lock the region in AS_LOCKADDR.
    pub const LOCK: u32 = 2;
    /// Drop cached translations of the locked region and release it.
    pub const UNLOCK: u32 = 3;
    /// Clean+invalidate L2, drop cached translations of the region, unlock.
    pub const FLUSH_PT: u32 = 4;
    /// Wait for accesses, clean+invalidate caches, drop cached translations of the region, unlock.
    pub const FLUSH_MEM: u32 = 5;
}

/// AS_TRANSCFG fields (`Documentation/hardware.md#mmu_control-and-address-spaces`).
pub mod transcfg {
    /// ADRMODE, bits 3:0.
    pub const ADRMODE_MASK: u64 = 0xF;
    /// ADRMODE: legacy (treated as unmapped by the model).
    pub const ADRMODE_LEGACY: u64 = 0;
    /// ADRMODE: every access fails.
    pub const ADRMODE_UNMAPPED: u64 = 1;
    /// ADRMODE: identity (deprecated; treated as unmapped by the model).
    pub const ADRMODE_IDENTITY: u64 = 2;
    /// ADRMODE: AArch64 4 KiB granule.
    pub const ADRMODE_AARCH64_4K: u64 = 6;
    /// ADRMODE: AArch64 64 KiB granule (not modelled: faults).
    pub const ADRMODE_AARCH64_64K: u64 = 8;
    /// Shift of INA_BITS (bits 10:6).
    pub const INA_BITS_SHIFT: u32 = 6;
    /// Mask of INA_BITS after shifting.
    pub const INA_BITS_MASK: u64 = 0x1F;
    /// Ignore hierarchical (table-level) permissions.
    pub const DISABLE_HIER_AP: u64 = 1 << 33;
    /// Do not fault on AF = 0.
    pub const DISABLE_AF_FAULT: u64 = 1 << 34;
    /// No execution from writable pages.
    pub const WXN: u64 = 1 << 35;
    /// The value Panthor writes for an enabled AS on RK3588.
    pub const PANTHOR_ENABLED: u64 = 0x4200_01C6;
}

/// How software may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read-only: writes are ignored (and counted).
    Ro,
    /// Write-only: reads return 0.
    Wo,
    /// Read/write.
    Rw,
}

/// One named register of the map, for dumps and tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg {
    /// Arm's name for it.
    pub name: &'static str,
    /// Offset from the MMIO base (of the LO word for a 64-bit register).
    pub offset: u32,
    /// Access rights.
    pub access: Access,
    /// Whether it is a LO/HI pair.
    pub is64: bool,
}

const fn r(name: &'static str, offset: u32, access: Access) -> Reg {
    Reg {
        name,
        offset,
        access,
        is64: false,
    }
}

const fn r64(name: &'static str, offset: u32, access: Access) -> Reg {
    Reg {
        name,
        offset,
        access,
        is64: true,
    }
}

use Access::{Ro, Rw, Wo};

/// GPU_CONTROL, JOB and MMU IRQ registers, in address order (the per-AS registers are in [`AS_REGISTERS`]).
pub static REGISTERS: &[Reg] = &[
    r("GPU_ID", gpu::GPU_ID, Ro),
    r("L2_FEATURES", gpu::L2_FEATURES, Ro),
    r("CORE_FEATURES", gpu::CORE_FEATURES, Ro),
    r("TILER_FEATURES", gpu::TILER_FEATURES, Ro),
    r("MEM_FEATURES", gpu::MEM_FEATURES, Ro),
    r("MMU_FEATURES", gpu::MMU_FEATURES, Ro),
    r("AS_PRESENT", gpu::AS_PRESENT, Ro),
    r("CSF_ID", gpu::CSF_ID, Ro),
    r("GPU_IRQ_RAWSTAT", gpu::IRQ_BASE + irq::RAWSTAT, Rw),
    r("GPU_IRQ_CLEAR", gpu::IRQ_BASE + irq::CLEAR, Wo),
    r("GPU_IRQ_MASK", gpu::IRQ_BASE + irq::MASK, Rw),
    r("GPU_IRQ_STATUS", gpu::IRQ_BASE + irq::STAT, Ro),
    r("GPU_COMMAND", gpu::GPU_COMMAND, Wo),
    r("GPU_STATUS", gpu::GPU_STATUS, Ro),
    r("GPU_FAULTSTATUS", gpu::GPU_FAULTSTATUS, Ro),
    r64("GPU_FAULTADDRESS", gpu::GPU_FAULTADDRESS, Ro),
    r("L2_CONFIG", gpu::L2_CONFIG, Rw),
    r("PWR_KEY", gpu::PWR_KEY, Wo),
    r("PWR_OVERRIDE0", gpu::PWR_OVERRIDE0, Rw),
    r("PWR_OVERRIDE1", gpu::PWR_OVERRIDE1, Rw),
    r64("GPU_FEATURES", gpu::GPU_FEATURES, Ro),
    r("PRFCNT_FEATURES", gpu::PRFCNT_FEATURES, Ro),
    r64("TIMESTAMP_OFFSET", gpu::TIMESTAMP_OFFSET, Rw),
    r64("CYCLE_COUNT", gpu::CYCLE_COUNT, Ro),
    r64("TIMESTAMP", gpu::TIMESTAMP, Ro),
    r("THREAD_MAX_THREADS", gpu::THREAD_MAX_THREADS, Ro),
    r(
        "THREAD_MAX_WORKGROUP_SIZE",
        gpu::THREAD_MAX_WORKGROUP_SIZE,
        Ro,
    ),
    r("THREAD_MAX_BARRIER_SIZE", gpu::THREAD_MAX_BARRIER_SIZE, Ro),
    r("THREAD_FEATURES", gpu::THREAD_FEATURES, Ro),
    r("TEXTURE_FEATURES_0", gpu::TEXTURE_FEATURES_0, Ro),
    r("TEXTURE_FEATURES_1", gpu::TEXTURE_FEATURES_0 + 4, Ro),
    r("TEXTURE_FEATURES_2", gpu::TEXTURE_FEATURES_0 + 8, Ro),
    r("TEXTURE_FEATURES_3", gpu::TEXTURE_FEATURES_0 + 12, Ro),
    r64("SHADER_PRESENT", gpu::SHADER_PRESENT, Ro),
    r64("TILER_PRESENT", gpu::TILER_PRESENT, Ro),
    r64("L2_PRESENT", gpu::L2_PRESENT, Ro),
    r64("SHADER_READY", gpu::SHADER_READY, Ro),
    r64("TILER_READY", gpu::TILER_PRESENT + gpu::PWR_READY_DELTA, Ro),
    r64("L2_READY", gpu::L2_PRESENT + gpu::PWR_READY_DELTA, Ro),
    r64("SHADER_PWRON", gpu::SHADER_PWRON, Wo),
    r64("TILER_PWRON", gpu::TILER_PRESENT + gpu::PWR_ON_DELTA, Wo),
    r64("L2_PWRON", gpu::L2_PRESENT + gpu::PWR_ON_DELTA, Wo),
    r64("SHADER_PWROFF", gpu::SHADER_PWROFF, Wo),
    r64("TILER_PWROFF", gpu::TILER_PRESENT + gpu::PWR_OFF_DELTA, Wo),
    r64("L2_PWROFF", gpu::L2_PRESENT + gpu::PWR_OFF_DELTA, Wo),
    r64("SHADER_PWRTRANS", gpu::SHADER_PWRTRANS, Ro),
    r64(
        "TILER_PWRTRANS",
        gpu::TILER_PRESENT + gpu::PWR_TRANS_DELTA,
        Ro,
    ),
    r64("L2_PWRTRANS", gpu::L2_PRESENT + gpu::PWR_TRANS_DELTA, Ro),
    r64("SHADER_PWRACTIVE", gpu::SHADER_PWRACTIVE, Ro),
    r64(
        "TILER_PWRACTIVE",
        gpu::TILER_PRESENT + gpu::PWR_ACTIVE_DELTA,
        Ro,
    ),
    r64("L2_PWRACTIVE", gpu::L2_PRESENT + gpu::PWR_ACTIVE_DELTA, Ro),
    r("GPU_REVID", gpu::GPU_REVID, Ro),
    r("ASN_HASH_0", gpu::ASN_HASH_0, Rw),
    r("ASN_HASH_1", gpu::ASN_HASH_0 + 4, Rw),
    r("ASN_HASH_2", gpu::ASN_HASH_0 + 8, Rw),
    r("COHERENCY_FEATURES", gpu::COHERENCY_FEATURES, Ro),
    r("COHERENCY_PROTOCOL", gpu::COHERENCY_PROTOCOL, Rw),
    r("THREAD_TLS_ALLOC", gpu::THREAD_TLS_ALLOC, Ro),
    r("MCU_CONTROL", gpu::MCU_CONTROL, Rw),
    r("MCU_STATUS", gpu::MCU_STATUS, Ro),
    r64("STACK_PRESENT", gpu::STACK_PRESENT, Ro),
    r64("STACK_READY", gpu::STACK_READY, Ro),
    r64("STACK_PWRON", gpu::STACK_PWRON, Wo),
    r64("STACK_PWROFF", gpu::STACK_PWROFF, Wo),
    r64("STACK_PWRTRANS", gpu::STACK_PWRTRANS, Ro),
    r("CSF_CONFIG", gpu::CSF_CONFIG, Rw),
    r("SHADER_CONFIG", gpu::CSF_CONFIG + 4, Rw),
    r("TILER_CONFIG", gpu::CSF_CONFIG + 8, Rw),
    r("L2_MMU_CONFIG", gpu::CSF_CONFIG + 12, Rw),
    r("JOB_IRQ_RAWSTAT", block::JOB_CONTROL + irq::RAWSTAT, Rw),
    r("JOB_IRQ_CLEAR", block::JOB_CONTROL + irq::CLEAR, Wo),
    r("JOB_IRQ_MASK", block::JOB_CONTROL + irq::MASK, Rw),
    r("JOB_IRQ_STATUS", block::JOB_CONTROL + irq::STAT, Ro),
    r("MMU_IRQ_RAWSTAT", mmu::IRQ_BASE + irq::RAWSTAT, Rw),
    r("MMU_IRQ_CLEAR", mmu::IRQ_BASE + irq::CLEAR, Wo),
    r("MMU_IRQ_MASK", mmu::IRQ_BASE + irq::MASK, Rw),
    r("MMU_IRQ_STATUS", mmu::IRQ_BASE + irq::STAT, Ro),
    r("LATEST_FLUSH_ID", block::USER, Ro),
];

/// The registers of one address space, offsets relative to its block (`mmu::AS_BASE + n * mmu::AS_STRIDE`).
pub static AS_REGISTERS: &[Reg] = &[
    r64("AS_TRANSTAB", mmu::TRANSTAB, Rw),
    r64("AS_MEMATTR", mmu::MEMATTR, Rw),
    r64("AS_LOCKADDR", mmu::LOCKADDR, Rw),
    r("AS_COMMAND", mmu::COMMAND, Wo),
    r("AS_FAULTSTATUS", mmu::FAULTSTATUS, Ro),
    r64("AS_FAULTADDRESS", mmu::FAULTADDRESS, Ro),
    r("AS_STATUS", mmu::STATUS, Ro),
    r64("AS_TRANSCFG", mmu::TRANSCFG, Rw),
    r64("AS_FAULTEXTRA", mmu::FAULTEXTRA, Ro),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_table_is_sorted_and_word_aligned() {
        for w in REGISTERS.windows(2) {
            assert!(
                w[0].offset < w[1].offset,
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        assert!(REGISTERS
            .iter()
            .chain(AS_REGISTERS)
            .all(|r| r.offset % 4 == 0));
    }

    #[test]
    fn as_register_table_fits_in_one_as_block() {
        assert!(AS_REGISTERS
            .iter()
            .all(|r| r.offset + if r.is64 { 8 } else { 4 } <= mmu::AS_STRIDE));
    }
}
