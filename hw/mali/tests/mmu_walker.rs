// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The walker, seen through the memory port and the fault registers, against page tables built by hand in RAM.

mod common;

use common::pte::*;
use common::*;
use hw_mali::mmu::{AccessType, FaultClass, MmuFault};
use hw_mali::regs::{irq, mmu, transcfg};
use hw_mali::{IrqKind, PortError};

const VA: u64 = 0x10_0000;

fn fault_of(e: PortError) -> MmuFault {
    match e {
        PortError::Fault { fault, .. } => fault,
        other => panic!("expected an MMU fault, got {other:?}"),
    }
}

/// A rig with AS 1 live on a fresh table.
fn setup() -> (Rig, u64) {
    let r = rig();
    let root = Pt::new(&r.ram).root;
    r.enable_as(1, root);
    (r, root)
}

#[test]
fn page_descriptor_translates_and_reads_memory() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let f = frame_of(&r.ram, 0xAB);
    r.ram.write_u32(f + 0x10, 0xDEAD_BEEF).unwrap();
    pt.page(VA, f, RW_CACHED);
    assert_eq!(r.gpu.gpu_read_u32(1, VA + 0x10).unwrap(), 0xDEAD_BEEF);
    assert_eq!(
        r.gpu
            .gpu_translate(1, VA + 0x123, AccessType::Read)
            .unwrap(),
        f + 0x123
    );
}

#[test]
fn write_through_the_port_lands_in_the_mapped_frame() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let f = frame_of(&r.ram, 0);
    pt.page(VA, f, RW_CACHED);
    r.gpu
        .gpu_write_u64(1, VA + 8, 0x1122_3344_5566_7788)
        .unwrap();
    assert_eq!(r.ram.read_u64(f + 8).unwrap(), 0x1122_3344_5566_7788);
}

#[test]
fn access_spanning_two_pages_uses_both_translations() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let (a, b) = (frame_of(&r.ram, 0x11), frame_of(&r.ram, 0x22));
    pt.page(VA, a, RW_CACHED);
    pt.page(VA + 0x1000, b, RW_CACHED);
    let mut buf = [0u8; 4];
    r.gpu.gpu_read(1, VA + 0xFFE, &mut buf).unwrap();
    assert_eq!(buf, [0x11, 0x11, 0x22, 0x22]);
}

#[test]
fn level2_block_maps_2mib() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let pa = r.ram.alloc_frames(512, 2 << 20).unwrap();
    pt.block2m(0x20_0000, pa, RW_CACHED);
    assert_eq!(
        r.gpu.gpu_translate(1, 0x3F_F123, AccessType::Read).unwrap(),
        pa + 0x1F_F123
    );
}

#[test]
fn level1_block_maps_1gib() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.block1g(0x40_0000_0000, 0x4000_0000, RW_CACHED);
    assert_eq!(
        r.gpu
            .gpu_translate(1, 0x40_0123_4567, AccessType::Read)
            .unwrap(),
        0x4123_4567
    );
}

#[test]
fn invalid_leaf_is_translation_fault_level_3() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.set(VA, 3, 0x8000_0000 | 0xF46); // bits 1:0 = 0b10
    let e = r.gpu.gpu_read_u32(1, VA + 4).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::Translation, 3));
    assert_eq!(r.faultstatus(1) & 0xFF, 0xC3);
    assert_eq!(r.faultaddress(1), VA + 4);
}

#[test]
fn empty_root_is_translation_fault_level_0() {
    let (r, _) = setup();
    let e = r.gpu.gpu_read_u32(1, VA).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::Translation, 0));
}

#[test]
fn missing_level2_entry_is_translation_fault_level_2() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(0x4000_0000, frame_of(&r.ram, 0), RW_CACHED); // builds L1/L2 tables for another 2 MiB... same L1
    let e = r.gpu.gpu_read_u32(1, 0x4060_0000).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::Translation, 2));
}

#[test]
fn block_at_level0_is_a_translation_fault() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.set(0, 0, BLOCK | RW_CACHED);
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(1, 0).unwrap_err()),
        MmuFault::new(FaultClass::Translation, 0)
    );
}

#[test]
fn block_encoding_at_level3_is_a_translation_fault() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.set(VA, 3, frame_of(&r.ram, 0) | BLOCK | RW_CACHED);
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(1, VA).unwrap_err()),
        MmuFault::new(FaultClass::Translation, 3)
    );
}

#[test]
fn write_to_read_only_page_is_permission_fault_with_write_access() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let f = frame_of(&r.ram, 7);
    pt.page(VA, f, RW_CACHED | AP_RO); // 0xFC7
    assert_eq!(
        r.gpu.gpu_read_u32(1, VA).unwrap(),
        0x0707_0707,
        "reads are allowed"
    );
    let e = r.gpu.gpu_write_u32(1, VA, 0).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::Permission, 3));
    assert_eq!(
        r.faultstatus(1) & 0x3FF,
        0x3CB,
        "PERM_FAULT_3, access WRITE"
    );
    assert_eq!(
        r.ram.read_u32(f).unwrap(),
        0x0707_0707,
        "the write did not happen"
    );
}

#[test]
fn fetch_from_no_exec_page_is_permission_fault_with_execute_access() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(VA, frame_of(&r.ram, 0), RW_CACHED | PXN | XN);
    let mut b = [0u8; 8];
    r.gpu.gpu_read(1, VA, &mut b).unwrap();
    let e = r.gpu.gpu_fetch(1, VA, &mut b).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::Permission, 3));
    assert_eq!((r.faultstatus(1) >> 8) & 3, AccessType::Execute as u32);
}

#[test]
fn fetch_from_executable_page_succeeds() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(VA, frame_of(&r.ram, 0x5A), RW_CACHED);
    let mut b = [0u8; 2];
    r.gpu.gpu_fetch(1, VA, &mut b).unwrap();
    assert_eq!(b, [0x5A, 0x5A]);
}

#[test]
fn permission_fault_inside_a_block_reports_level_2() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let pa = r.ram.alloc_frames(512, 2 << 20).unwrap();
    pt.block2m(0x20_0000, pa, RW_CACHED | AP_RO);
    let e = r.gpu.gpu_write_u32(1, 0x20_1000, 0).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::Permission, 2));
    assert_eq!(r.faultstatus(1) & 0xFF, 0xCA);
}

#[test]
fn clear_access_flag_is_access_flag_fault() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(VA, frame_of(&r.ram, 0), RW_CACHED & !AF); // 0xB47
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(1, VA).unwrap_err()),
        MmuFault::new(FaultClass::AccessFlag, 3)
    );
    assert_eq!(r.faultstatus(1) & 0xFF, 0xDB);
}

#[test]
fn disable_af_fault_lets_af_clear_pages_translate() {
    let r = rig();
    let pt = Pt::new(&r.ram);
    pt.page(VA, frame_of(&r.ram, 3), RW_CACHED & !AF);
    r.enable_as_with(2, pt.root, MEMATTR, TRANSCFG | transcfg::DISABLE_AF_FAULT);
    assert_eq!(r.gpu.gpu_read_u32(2, VA).unwrap(), 0x0303_0303);
}

#[test]
fn attr_index_selecting_a_fault_memattr_byte_is_memory_attribute_fault() {
    let r = rig();
    let pt = Pt::new(&r.ram);
    pt.page(VA, frame_of(&r.ram, 0), RW_CACHED); // AttrIndx 1
    r.enable_as_with(2, pt.root, MEMATTR | 0xC0 << 8, TRANSCFG);
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(2, VA).unwrap_err()),
        MmuFault::new(FaultClass::MemAttr, 3)
    );
    assert_eq!(r.faultstatus(2) & 0xFF, 0xEB);
}

#[test]
fn va_above_48_bits_is_address_size_fault_in() {
    let (r, _) = setup();
    let e = r.gpu.gpu_read_u32(1, 1 << 48).unwrap_err();
    assert_eq!(fault_of(e), MmuFault::new(FaultClass::AddressSizeIn, 0));
    assert_eq!(r.faultstatus(1) & 0xFF, 0xE0);
}

#[test]
fn output_address_beyond_40_bits_is_address_size_fault_out() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(VA, 1 << 40, RW_CACHED);
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(1, VA).unwrap_err()),
        MmuFault::new(FaultClass::AddressSizeOut, 3)
    );
    assert_eq!(r.faultstatus(1) & 0xFF, 0xE7);
}

#[test]
fn table_in_unbacked_memory_is_a_transtab_bus_fault() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    // L0 entry points at an L1 table inside the MMIO hole: reading it fails on the bus.
    pt.set(VA, 0, 0xF800_0000 | TABLE);
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(1, VA).unwrap_err()),
        MmuFault::new(FaultClass::TranstabBus, 1)
    );
    assert_eq!(r.faultstatus(1) & 0xFF, 0xD1);
}

#[test]
fn read_only_table_makes_everything_below_read_only() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let a = pt.entry_addr(VA, 3, AP_TABLE_RO);
    r.ram
        .write_u64(a, frame_of(&r.ram, 0) | PAGE | RW_CACHED)
        .unwrap();
    r.gpu.gpu_read_u32(1, VA).unwrap();
    assert_eq!(
        fault_of(r.gpu.gpu_write_u32(1, VA, 1).unwrap_err()),
        MmuFault::new(FaultClass::Permission, 3)
    );
}

#[test]
fn xn_table_makes_everything_below_non_executable() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    let a = pt.entry_addr(VA, 3, XN_TABLE);
    r.ram
        .write_u64(a, frame_of(&r.ram, 0) | PAGE | RW_CACHED)
        .unwrap();
    let mut b = [0u8; 4];
    assert_eq!(
        fault_of(r.gpu.gpu_fetch(1, VA, &mut b).unwrap_err()),
        MmuFault::new(FaultClass::Permission, 3)
    );
}

#[test]
fn unmapped_adrmode_faults_every_access() {
    let r = rig();
    let pt = Pt::new(&r.ram);
    pt.page(VA, frame_of(&r.ram, 0), RW_CACHED);
    r.enable_as_with(3, pt.root, MEMATTR, transcfg::ADRMODE_UNMAPPED);
    assert_eq!(
        fault_of(r.gpu.gpu_read_u32(3, VA).unwrap_err()),
        MmuFault::new(FaultClass::Translation, 0)
    );
}

#[test]
fn registers_written_without_update_are_not_used() {
    let r = rig();
    let pt = Pt::new(&r.ram);
    pt.page(VA, frame_of(&r.ram, 0), RW_CACHED);
    r.w64(as_reg(4, mmu::TRANSTAB), pt.root);
    r.w64(as_reg(4, mmu::MEMATTR), MEMATTR);
    r.w64(as_reg(4, mmu::TRANSCFG), TRANSCFG);
    assert!(
        r.gpu.gpu_read_u32(4, VA).is_err(),
        "the AS still has its reset configuration"
    );
}

#[test]
fn fault_raises_the_mmu_irq_bit_of_its_address_space() {
    let (r, _) = setup();
    r.w32(mmu::IRQ_BASE + irq::MASK, 0xFFFF);
    r.gpu.gpu_read_u32(1, VA).unwrap_err();
    assert_eq!(r.r32(mmu::IRQ_BASE + irq::RAWSTAT), 1 << 1);
    assert!(r.gpu.irq_line(IrqKind::Mmu).is_asserted());
}

#[test]
fn faulted_address_space_stops_translating_until_cleared() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    r.gpu.gpu_read_u32(1, VA).unwrap_err();
    pt.page(VA, frame_of(&r.ram, 9), RW_CACHED);
    assert_eq!(
        r.gpu.gpu_read_u32(1, VA),
        Err(PortError::AsFaulted { as_nr: 1 })
    );
    r.w32(mmu::IRQ_BASE + irq::CLEAR, 1 << 1);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x0909_0909);
}

#[test]
fn second_fault_before_clear_keeps_the_first_fault_record() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(VA, frame_of(&r.ram, 0), RW_CACHED | AP_RO);
    r.gpu.gpu_write_u32(1, VA + 0x40, 0).unwrap_err();
    let first = (r.faultstatus(1), r.faultaddress(1));
    let _ = r.gpu.gpu_read_u32(1, 0x7000_0000);
    assert_eq!((r.faultstatus(1), r.faultaddress(1)), first);
}

#[test]
fn gpu_status_reports_page_fault_while_a_fault_is_pending() {
    let (r, _) = setup();
    r.gpu.gpu_read_u32(1, VA).unwrap_err();
    assert_ne!(
        r.r32(hw_mali::regs::gpu::GPU_STATUS) & hw_mali::regs::gpu_status::PAGE_FAULT,
        0
    );
    r.w32(mmu::IRQ_BASE + irq::CLEAR, 1 << 1);
    assert_eq!(
        r.r32(hw_mali::regs::gpu::GPU_STATUS) & hw_mali::regs::gpu_status::PAGE_FAULT,
        0
    );
}

#[test]
fn translation_into_unbacked_memory_is_a_gpu_bus_fault() {
    let (r, root) = setup();
    let pt = Pt { ram: &r.ram, root };
    pt.page(VA, 0xF800_0000, RW_CACHED);
    assert_eq!(
        r.gpu.gpu_read_u32(1, VA + 4),
        Err(PortError::BusFault { pa: 0xF800_0004 })
    );
    let gpu = hw_mali::regs::gpu::GPU_FAULTSTATUS;
    assert_eq!(r.r32(gpu) & 0xFF, 0x80);
    assert_eq!(r.r64(hw_mali::regs::gpu::GPU_FAULTADDRESS), 0xF800_0004);
    r.w32(hw_mali::regs::gpu::GPU_COMMAND, 7); // CLEAR_FAULT
    assert_eq!(r.r32(gpu), 0);
}

#[test]
fn absent_address_space_is_refused_by_the_port() {
    let (r, _) = setup();
    assert_eq!(r.gpu.gpu_read_u32(8, 0), Err(PortError::NoSuchAs(8)));
}
