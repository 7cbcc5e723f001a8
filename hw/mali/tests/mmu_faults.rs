// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Every MMU fault class at every level it can occur (`Documentation/hardware.md#mmu-translation`), each read back the
//! way Panthor's handler reads it: AS_FAULTSTATUS (exception type, access type), AS_FAULTADDRESS, the AS's MMU IRQ bit,
//! and the AS refusing further translation until MMU_IRQ_CLEAR. Tables are built by hand in RAM for each case.

mod common;

use common::pte::*;
use common::*;
use hw_mali::mmu::AccessType;
use hw_mali::regs::{irq, mmu, transcfg};
use hw_mali::PortError;

const AS: usize = 2;
/// A VA whose L1 index is non-zero, so a 1 GiB block can sit at it: 1 GiB + 2 MiB + 0x1234.
const VA: u64 = 0x4020_1234;
/// A PA just beyond the G610's 40-bit output range.
const BEYOND_40_BITS: u64 = 1 << 40;
/// A PA inside RK3588's peripheral window: no RAM behind it.
const UNBACKED: u64 = 0xF800_0000;
/// MEMATTR with AttrIndx 1 set to type 3 ("fault").
const MEMATTR_FAULT_AT_1: u64 = (MEMATTR & !0xFF00) | 0xC000;

struct Case {
    name: &'static str,
    /// Builds the tables (root already exists) and returns (MEMATTR, TRANSCFG) for the AS.
    build: fn(&Pt<'_>) -> (u64, u64),
    access: AccessType,
    code: u32,
}

/// A 1 GiB-aligned PA inside 40 bits for block leaves (the fault cases never reach memory through it).
const GIB_PA: u64 = 0x4000_0000;
/// A 2 MiB-aligned PA inside 40 bits.
const MIB2_PA: u64 = 0x20_0000;

fn page_frame(pt: &Pt<'_>) -> u64 {
    pt.ram.alloc_frame().unwrap()
}

const STD: (u64, u64) = (MEMATTR, TRANSCFG);

fn cases() -> Vec<Case> {
    use AccessType::*;
    vec![
        // Translation: an invalid descriptor at each level; a block where the level forbids one.
        Case {
            name: "invalid L0",
            build: |_| STD,
            access: Read,
            code: 0xC0,
        },
        Case {
            name: "invalid L1",
            build: |pt| {
                pt.entry_addr(VA, 1, 0);
                STD
            },
            access: Read,
            code: 0xC1,
        },
        Case {
            name: "invalid L2",
            build: |pt| {
                pt.entry_addr(VA, 2, 0);
                STD
            },
            access: Read,
            code: 0xC2,
        },
        Case {
            name: "invalid L3 (0b10)",
            build: |pt| {
                pt.set(VA, 3, page_frame(pt) | 0b10 | RW_CACHED);
                STD
            },
            access: Read,
            code: 0xC3,
        },
        Case {
            name: "block at L0",
            build: |pt| {
                pt.set(VA, 0, BLOCK | RW_CACHED);
                STD
            },
            access: Read,
            code: 0xC0,
        },
        Case {
            name: "block encoding at L3",
            build: |pt| {
                pt.set(VA, 3, page_frame(pt) | BLOCK | RW_CACHED);
                STD
            },
            access: Read,
            code: 0xC3,
        },
        // Permission: write / atomic to read-only, fetch from no-exec, at each leaf level.
        Case {
            name: "write to RO 1 GiB block",
            build: |pt| {
                pt.block1g(VA, GIB_PA, RW_CACHED | AP_RO);
                STD
            },
            access: Write,
            code: 0xC9,
        },
        Case {
            name: "atomic to RO 2 MiB block",
            build: |pt| {
                pt.block2m(VA, MIB2_PA, RW_CACHED | AP_RO);
                STD
            },
            access: Atomic,
            code: 0xCA,
        },
        Case {
            name: "fetch from XN page",
            build: |pt| {
                pt.page(VA, page_frame(pt), RW_CACHED | XN | PXN);
                STD
            },
            access: Execute,
            code: 0xCB,
        },
        // Access flag clear, at each leaf level.
        Case {
            name: "AF clear on 1 GiB block",
            build: |pt| {
                pt.block1g(VA, GIB_PA, RW_CACHED & !AF);
                STD
            },
            access: Read,
            code: 0xD9,
        },
        Case {
            name: "AF clear on 2 MiB block",
            build: |pt| {
                pt.block2m(VA, MIB2_PA, RW_CACHED & !AF);
                STD
            },
            access: Write,
            code: 0xDA,
        },
        Case {
            name: "AF clear on page",
            build: |pt| {
                pt.page(VA, page_frame(pt), RW_CACHED & !AF);
                STD
            },
            access: Read,
            code: 0xDB,
        },
        // Memory attribute: AttrIndx selecting a MEMATTR byte of type 3, at each leaf level.
        Case {
            name: "memattr fault on 1 GiB block",
            build: |pt| {
                pt.block1g(VA, GIB_PA, RW_CACHED);
                (MEMATTR_FAULT_AT_1, TRANSCFG)
            },
            access: Read,
            code: 0xE9,
        },
        Case {
            name: "memattr fault on 2 MiB block",
            build: |pt| {
                pt.block2m(VA, MIB2_PA, RW_CACHED);
                (MEMATTR_FAULT_AT_1, TRANSCFG)
            },
            access: Read,
            code: 0xEA,
        },
        Case {
            name: "memattr fault on page",
            build: |pt| {
                pt.page(VA, page_frame(pt), RW_CACHED);
                (MEMATTR_FAULT_AT_1, TRANSCFG)
            },
            access: Read,
            code: 0xEB,
        },
        // Address size: input beyond INA_BITS; output (leaf) beyond 40 bits at each leaf level.
        Case {
            name: "output beyond 40 bits, 1 GiB block",
            build: |pt| {
                pt.block1g(VA, BEYOND_40_BITS, RW_CACHED);
                STD
            },
            access: Read,
            code: 0xE5,
        },
        Case {
            name: "output beyond 40 bits, 2 MiB block",
            build: |pt| {
                pt.block2m(VA, BEYOND_40_BITS, RW_CACHED);
                STD
            },
            access: Read,
            code: 0xE6,
        },
        Case {
            name: "output beyond 40 bits, page",
            build: |pt| {
                pt.page(VA, BEYOND_40_BITS, RW_CACHED);
                STD
            },
            access: Read,
            code: 0xE7,
        },
        // Bus error reading a table, at each level the table is read.
        Case {
            name: "L1 table unbacked",
            build: |pt| {
                pt.set(VA, 0, UNBACKED | TABLE);
                STD
            },
            access: Read,
            code: 0xD1,
        },
        Case {
            name: "L2 table unbacked",
            build: |pt| {
                pt.set(VA, 1, UNBACKED | TABLE);
                STD
            },
            access: Read,
            code: 0xD2,
        },
        Case {
            name: "L3 table unbacked",
            build: |pt| {
                pt.set(VA, 2, UNBACKED | TABLE);
                STD
            },
            access: Read,
            code: 0xD3,
        },
        // A mode that translates nothing: UNMAPPED, and the 64 KiB granule the model does not implement.
        Case {
            name: "UNMAPPED adrmode",
            build: |_| (MEMATTR, transcfg::ADRMODE_UNMAPPED),
            access: Write,
            code: 0xC0,
        },
        Case {
            name: "AArch64 64K adrmode",
            build: |_| {
                (
                    MEMATTR,
                    (TRANSCFG & !transcfg::ADRMODE_MASK) | transcfg::ADRMODE_AARCH64_64K,
                )
            },
            access: Read,
            code: 0xC0,
        },
    ]
}

fn access_at(r: &Rig, va: u64, access: AccessType) -> Result<(), PortError> {
    let mut b = [0u8; 4];
    match access {
        AccessType::Read => r.gpu.gpu_read(AS, va, &mut b),
        AccessType::Execute => r.gpu.gpu_fetch(AS, va, &mut b),
        AccessType::Write => r.gpu.gpu_write(AS, va, &b),
        AccessType::Atomic => r.gpu.gpu_translate(AS, va, AccessType::Atomic).map(|_| ()),
    }
}

#[test]
fn every_fault_class_reports_its_code_access_level_and_address() {
    for case in cases() {
        let r = rig();
        r.w32(mmu::IRQ_BASE + irq::MASK, 0xFFFF);
        let pt = Pt::new(&r.ram);
        let (memattr, transcfg) = (case.build)(&pt);
        r.enable_as_with(AS, pt.root, memattr, transcfg);

        let err = access_at(&r, VA, case.access).expect_err(case.name);
        assert!(
            matches!(
                err,
                PortError::Fault {
                    as_nr: AS,
                    va: VA,
                    ..
                }
            ),
            "{}: {err:?}",
            case.name
        );
        let status = r.faultstatus(AS);
        assert_eq!(status & 0xFF, case.code, "{}: exception type", case.name);
        assert_eq!(
            (status >> 8) & 3,
            case.access as u32,
            "{}: access type",
            case.name
        );
        assert_eq!(
            r.faultaddress(AS),
            VA,
            "{}: the faulting VA, not page-aligned",
            case.name
        );
        assert_eq!(
            r.r32(mmu::IRQ_BASE + irq::RAWSTAT),
            1 << AS,
            "{}: only this AS's bit",
            case.name
        );
        assert_eq!(r.r32(mmu::IRQ_BASE + irq::STAT), 1 << AS, "{}", case.name);

        // Stopped until cleared: even a different, otherwise harmless access is refused.
        assert_eq!(
            r.gpu.gpu_read_u32(AS, VA + 0x10),
            Err(PortError::AsFaulted { as_nr: AS }),
            "{}",
            case.name
        );
        r.w32(mmu::IRQ_BASE + irq::CLEAR, 1 << AS);
        assert_eq!(r.r32(mmu::IRQ_BASE + irq::RAWSTAT), 0, "{}", case.name);
        assert!(
            matches!(access_at(&r, VA, case.access), Err(PortError::Fault { .. })),
            "{}: after CLEAR the AS translates again (and faults again on the same tables)",
            case.name
        );
    }
}

#[test]
fn input_beyond_ina_bits_is_address_size_fault_in_for_every_access() {
    for access in [
        AccessType::Read,
        AccessType::Write,
        AccessType::Execute,
        AccessType::Atomic,
    ] {
        let r = rig();
        let pt = Pt::new(&r.ram);
        r.enable_as(AS, pt.root);
        let va = 0x1_0000_0000_0000 | 0x40;
        let mut b = [0u8; 4];
        let res = match access {
            AccessType::Read => r.gpu.gpu_read(AS, va, &mut b),
            AccessType::Execute => r.gpu.gpu_fetch(AS, va, &mut b),
            AccessType::Write => r.gpu.gpu_write(AS, va, &b),
            AccessType::Atomic => r.gpu.gpu_translate(AS, va, access).map(|_| ()),
        };
        assert!(res.is_err());
        assert_eq!(
            r.faultstatus(AS) & 0x3FF,
            0xE0 | (access as u32) << 8,
            "{access:?}"
        );
        assert_eq!(r.faultaddress(AS), va);
    }
}

#[test]
fn a_faulting_access_in_one_as_leaves_the_others_translating() {
    let r = rig();
    let good = Pt::new(&r.ram);
    let frame = frame_of(&r.ram, 0x5A);
    good.page(VA & !0xFFF, frame, RW_CACHED);
    r.enable_as(1, good.root);
    r.enable_as(AS, Pt::new(&r.ram).root);
    assert!(r.gpu.gpu_read_u32(AS, VA).is_err());
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x5A5A_5A5A);
    assert_eq!(r.r32(mmu::IRQ_BASE + irq::RAWSTAT), 1 << AS);
    assert_eq!(
        r.r32(mmu::IRQ_BASE + irq::RAWSTAT) & 0xFFFF_0000,
        0,
        "bits 31:16 are never raised"
    );
}
