// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Test helpers: a model on fresh RAM, MMIO shorthands, and a hand-written page-table encoder built from the ARM
//! long-descriptor rules (deliberately not `kernel::io_pgtable`).
#![allow(dead_code)]

pub mod csq;
pub mod shaders;

use std::sync::Arc;

use hw_mali::regs::{as_command, mmu};
use hw_mali::{Mali, MaliConfig, Timing};
use hw_mem::{Ram, RamConfig};

/// The AS_MEMATTR Panthor programs on RK3588.
pub const MEMATTR: u64 = 0x8F8F_8F8F_8C4C_8F4C;
/// The AS_TRANSCFG Panthor programs for an enabled AS on RK3588.
pub const TRANSCFG: u64 = 0x4200_01C6;

/// Descriptor bits, spelled out from the Arm ARM.
pub mod pte {
    pub const VALID: u64 = 1;
    pub const TABLE: u64 = 0b11;
    pub const PAGE: u64 = 0b11;
    pub const BLOCK: u64 = 0b01;
    pub const ATTR_WB: u64 = 1 << 2; // AttrIndx 1
    pub const AP_UNPRIV: u64 = 1 << 6;
    pub const AP_RO: u64 = 1 << 7;
    pub const SH_INNER: u64 = 3 << 8;
    pub const AF: u64 = 1 << 10;
    pub const NG: u64 = 1 << 11;
    pub const PXN: u64 = 1 << 53;
    pub const XN: u64 = 1 << 54;
    pub const AP_TABLE_RO: u64 = 1 << 62;
    pub const XN_TABLE: u64 = 1 << 60;
    /// A read/write cached leaf's low bits, as io-pgtable writes them (0xF47 for a page, 0xF45 for a block).
    pub const RW_CACHED: u64 = ATTR_WB | AP_UNPRIV | SH_INNER | AF | NG;
}

pub struct Rig {
    pub ram: Arc<Ram>,
    pub gpu: Arc<Mali>,
}

pub fn rig_with(timing: Timing) -> Rig {
    let ram = Arc::new(Ram::new(RamConfig::default()).expect("ram"));
    let gpu = Mali::new(
        ram.clone(),
        MaliConfig {
            timing,
            ..MaliConfig::default()
        },
    );
    Rig { ram, gpu }
}

/// A model with the real latencies, stepped by the test.
pub fn rig() -> Rig {
    rig_with(Timing::DEFAULT)
}

pub fn as_reg(n: usize, r: u32) -> u32 {
    mmu::AS_BASE + n as u32 * mmu::AS_STRIDE + r
}

impl Rig {
    pub fn r32(&self, off: u32) -> u32 {
        self.gpu.read32(off).expect("mmio read")
    }

    pub fn w32(&self, off: u32, v: u32) {
        self.gpu.write32(off, v).expect("mmio write")
    }

    pub fn r64(&self, off: u32) -> u64 {
        self.gpu.read64(off).expect("mmio read64")
    }

    pub fn w64(&self, off: u32, v: u64) {
        self.gpu.write64(off, v).expect("mmio write64")
    }

    /// Issues an AS command and completes it (waits for AS_STATUS idle by stepping the clock).
    pub fn as_cmd(&self, n: usize, cmd: u32) {
        assert_eq!(
            self.r32(as_reg(n, mmu::STATUS)) & mmu::STATUS_ACTIVE,
            0,
            "AS {n} busy before command"
        );
        self.w32(as_reg(n, mmu::COMMAND), cmd);
        self.gpu.run_until_idle();
        assert_eq!(self.r32(as_reg(n, mmu::STATUS)) & mmu::STATUS_ACTIVE, 0);
    }

    /// Issues an AS command and lets only it complete (steps the clock until AS_STATUS is idle), leaving other
    /// events pending.
    pub fn as_cmd_nowait(&self, n: usize, cmd: u32) {
        self.w32(as_reg(n, mmu::COMMAND), cmd);
        for _ in 0..64 {
            if self.r32(as_reg(n, mmu::STATUS)) & mmu::STATUS_ACTIVE == 0 {
                return;
            }
            self.gpu.step();
        }
        panic!("AS {n} command {cmd} never completed");
    }

    /// Programs AS `n` the way Panthor enables it and makes it live.
    pub fn enable_as(&self, n: usize, root: u64) {
        self.enable_as_with(n, root, MEMATTR, TRANSCFG);
    }

    pub fn enable_as_with(&self, n: usize, root: u64, memattr: u64, transcfg: u64) {
        self.w64(as_reg(n, mmu::TRANSTAB), root);
        self.w64(as_reg(n, mmu::MEMATTR), memattr);
        self.w64(as_reg(n, mmu::TRANSCFG), transcfg);
        self.as_cmd(n, as_command::UPDATE);
    }

    /// LOCK the region LOCKADDR describes, run `cmd` (FLUSH_PT/FLUSH_MEM/UNLOCK) after it.
    pub fn lock_and(&self, n: usize, lockaddr: u64, cmd: u32) {
        self.w64(as_reg(n, mmu::LOCKADDR), lockaddr);
        self.as_cmd(n, as_command::LOCK);
        self.as_cmd(n, cmd);
    }

    pub fn faultstatus(&self, n: usize) -> u32 {
        self.r32(as_reg(n, mmu::FAULTSTATUS))
    }

    pub fn faultaddress(&self, n: usize) -> u64 {
        self.r64(as_reg(n, mmu::FAULTADDRESS))
    }
}

/// A 4-level page table in RAM, encoded by hand.
pub struct Pt<'a> {
    pub ram: &'a Ram,
    pub root: u64,
}

impl<'a> Pt<'a> {
    pub fn new(ram: &'a Ram) -> Self {
        let root = ram.alloc_frame().expect("frame");
        ram.zero(root, 4096).unwrap();
        Self { ram, root }
    }

    fn index(va: u64, level: u8) -> u64 {
        (va >> (12 + 9 * (3 - level as u32))) & 0x1FF
    }

    /// The address of the entry for `va` at `level`, creating tables above it (with `table_bits` ORed in).
    pub fn entry_addr(&self, va: u64, level: u8, table_bits: u64) -> u64 {
        let mut table = self.root;
        for l in 0..level {
            let e = table + 8 * Self::index(va, l);
            let d = self.ram.read_u64(e).unwrap();
            if d & 0b11 == pte::TABLE {
                table = d & 0x0000_FFFF_FFFF_F000;
            } else {
                let t = self.ram.alloc_frame().expect("frame");
                self.ram.zero(t, 4096).unwrap();
                self.ram.write_u64(e, t | pte::TABLE | table_bits).unwrap();
                table = t;
            }
        }
        table + 8 * Self::index(va, level)
    }

    pub fn set(&self, va: u64, level: u8, desc: u64) {
        let a = self.entry_addr(va, level, 0);
        self.ram.write_u64(a, desc).unwrap();
    }

    pub fn page(&self, va: u64, pa: u64, bits: u64) {
        self.set(va, 3, pa | pte::PAGE | bits);
    }

    pub fn block2m(&self, va: u64, pa: u64, bits: u64) {
        self.set(va, 2, pa | pte::BLOCK | bits);
    }

    pub fn block1g(&self, va: u64, pa: u64, bits: u64) {
        self.set(va, 1, pa | pte::BLOCK | bits);
    }
}

/// A fresh RAM frame filled with `byte`.
pub fn frame_of(ram: &Ram, byte: u8) -> u64 {
    let f = ram.alloc_frame().unwrap();
    ram.fill(f, 4096, byte).unwrap();
    f
}
