// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! TLB and AS-command behaviour: what a driver sees when it does, or forgets, its MMU maintenance.

mod common;

use std::time::Duration;

use common::pte::*;
use common::*;
use hw_mali::regs::{as_command, mmu};
use hw_mali::{MaliConfig, PortError, Timing};

const VA: u64 = 0x100_0000;

/// AS 1 live, VA mapped to a frame of 0x11 bytes, translation cached by one read.
fn cached() -> (Rig, u64) {
    let r = rig();
    let pt = Pt::new(&r.ram);
    pt.page(VA, frame_of(&r.ram, 0x11), RW_CACHED);
    let root = pt.root;
    r.enable_as(1, root);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x1111_1111);
    (r, root)
}

fn remap(r: &Rig, root: u64, va: u64, byte: u8) {
    Pt { ram: &r.ram, root }.page(va, frame_of(&r.ram, byte), RW_CACHED);
}

#[test]
fn stale_translation_survives_a_pte_change_without_flush() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    assert_eq!(
        r.gpu.gpu_read_u32(1, VA).unwrap(),
        0x1111_1111,
        "the TLB still holds the old page"
    );
}

#[test]
fn lock_flush_pt_drops_the_stale_translation() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.lock_and(1, VA | 0xE, as_command::FLUSH_PT);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn lock_unlock_drops_the_stale_translation() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.lock_and(1, VA | 0xE, as_command::UNLOCK);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn lock_flush_mem_drops_the_stale_translation() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.lock_and(1, VA | 0xE, as_command::FLUSH_MEM);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn flush_of_another_region_keeps_the_stale_translation() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.lock_and(1, (VA + 0x8000) | 0xE, as_command::FLUSH_PT);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x1111_1111);
}

#[test]
fn flush_drops_only_translations_inside_the_locked_region() {
    let (r, root) = cached();
    let other = VA + 0x10_0000;
    remap(&r, root, other, 0x33);
    r.gpu.gpu_read_u32(1, other).unwrap();
    remap(&r, root, VA, 0x22);
    remap(&r, root, other, 0x44);
    r.lock_and(1, VA | 0xE, as_command::FLUSH_PT);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
    assert_eq!(r.gpu.gpu_read_u32(1, other).unwrap(), 0x3333_3333);
}

#[test]
fn update_drops_every_cached_translation() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.as_cmd(1, as_command::UPDATE);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn cached_translation_of_one_as_is_not_seen_by_another() {
    let (r, _) = cached();
    let pt2 = Pt::new(&r.ram);
    pt2.page(VA, frame_of(&r.ram, 0x55), RW_CACHED);
    r.enable_as(2, pt2.root);
    assert_eq!(r.gpu.gpu_read_u32(2, VA).unwrap(), 0x5555_5555);
}

#[test]
fn update_with_new_transtab_switches_tables() {
    let (r, _) = cached();
    let pt2 = Pt::new(&r.ram);
    pt2.page(VA, frame_of(&r.ram, 0x66), RW_CACHED);
    r.enable_as(1, pt2.root);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x6666_6666);
}

#[test]
fn unmapped_page_stays_readable_until_flushed() {
    let (r, root) = cached();
    Pt { ram: &r.ram, root }.set(VA, 3, 0);
    assert!(r.gpu.gpu_read_u32(1, VA).is_ok());
    r.lock_and(1, VA | 0xE, as_command::FLUSH_PT);
    assert!(matches!(
        r.gpu.gpu_read_u32(1, VA),
        Err(PortError::Fault { .. })
    ));
}

#[test]
fn tlb_is_bounded_and_evicts() {
    let ram = std::sync::Arc::new(hw_mem::Ram::new(hw_mem::RamConfig::default()).unwrap());
    let gpu = hw_mali::Mali::new(
        ram.clone(),
        MaliConfig {
            tlb_entries: 4,
            ..MaliConfig::default()
        },
    );
    let r = Rig { ram, gpu };
    let pt = Pt::new(&r.ram);
    for i in 0..8u64 {
        pt.page(VA + i * 0x1000, frame_of(&r.ram, i as u8), RW_CACHED);
    }
    r.enable_as(1, pt.root);
    for i in 0..8u64 {
        r.gpu.gpu_read_u32(1, VA + i * 0x1000).unwrap();
    }
    assert_eq!(r.gpu.tlb_len(1), 4);
    // The first page was evicted: a PTE change there is seen without a flush; the last page's is not.
    remap(&r, pt.root, VA, 0x77);
    remap(&r, pt.root, VA + 7 * 0x1000, 0x77);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x7777_7777);
    assert_eq!(r.gpu.gpu_read_u32(1, VA + 7 * 0x1000).unwrap(), 0x0707_0707);
}

#[test]
fn as_status_is_active_while_a_command_runs() {
    let (r, _) = cached();
    r.w32(as_reg(1, mmu::COMMAND), as_command::UPDATE);
    assert_eq!(r.r32(as_reg(1, mmu::STATUS)), mmu::STATUS_ACTIVE);
    r.gpu.advance(Timing::DEFAULT.as_command_ns);
    assert_eq!(r.r32(as_reg(1, mmu::STATUS)), 0);
}

#[test]
fn command_written_while_busy_is_dropped_and_counted() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.w64(as_reg(1, mmu::LOCKADDR), VA | 0xE);
    r.w32(as_reg(1, mmu::COMMAND), as_command::LOCK);
    r.w32(as_reg(1, mmu::COMMAND), as_command::FLUSH_PT); // not waiting for idle: dropped
    r.gpu.run_until_idle();
    assert_eq!(r.gpu.bus_stats().dropped_as_commands, 1);
    assert!(
        matches!(r.gpu.gpu_read_u32(1, VA), Err(PortError::Stalled { .. })),
        "the region is still locked"
    );
}

#[test]
fn locked_region_stalls_accesses_inside_it_only() {
    let (r, root) = cached();
    let outside = VA + 0x10_0000;
    remap(&r, root, outside, 0x33);
    r.w64(as_reg(1, mmu::LOCKADDR), VA | 0xE);
    r.as_cmd(1, as_command::LOCK);
    assert!(matches!(
        r.gpu.gpu_read_u32(1, VA + 0x7FFC),
        Err(PortError::Stalled { .. })
    ));
    assert_eq!(r.gpu.gpu_read_u32(1, outside).unwrap(), 0x3333_3333);
    r.as_cmd(1, as_command::UNLOCK);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x1111_1111);
}

#[test]
fn gpu_cache_flush_does_not_unlock_an_address_space() {
    let (r, _) = cached();
    r.w64(as_reg(1, mmu::LOCKADDR), VA | 0xE);
    r.as_cmd(1, as_command::LOCK);
    r.w32(hw_mali::regs::gpu::GPU_COMMAND, 0x23304);
    r.gpu.run_until_idle();
    assert!(matches!(
        r.gpu.gpu_read_u32(1, VA),
        Err(PortError::Stalled { .. })
    ));
}

#[test]
fn stalled_access_resumes_when_the_model_thread_completes_the_unlock() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.w64(as_reg(1, mmu::LOCKADDR), VA | 0xE);
    r.as_cmd(1, as_command::LOCK);
    let gpu = r.gpu.clone();
    let reader = std::thread::spawn(move || {
        let mut b = [0u8; 4];
        gpu.gpu_read_wait(1, VA, &mut b, Duration::from_secs(30))
            .map(|_| u32::from_le_bytes(b))
    });
    let _t = hw_mali::ModelThread::spawn(&r.gpu).unwrap();
    r.w32(as_reg(1, mmu::COMMAND), as_command::FLUSH_PT);
    assert_eq!(reader.join().unwrap(), Ok(0x2222_2222));
}

#[test]
fn soft_reset_drops_cached_translations_and_unconfigures_the_as() {
    let (r, _) = cached();
    r.w32(hw_mali::regs::gpu::GPU_COMMAND, 0x101);
    r.gpu.run_until_idle();
    assert_eq!(r.gpu.tlb_len(1), 0);
    assert!(matches!(
        r.gpu.gpu_read_u32(1, VA),
        Err(PortError::Fault { .. })
    ));
}

#[test]
fn flush_pt_without_lock_uses_lockaddr_region() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.w64(as_reg(1, mmu::LOCKADDR), VA | 0xE);
    r.as_cmd(1, as_command::FLUSH_PT);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn full_space_lockaddr_flushes_everything() {
    let (r, root) = cached();
    remap(&r, root, VA, 0x22);
    r.lock_and(1, 0x3F, as_command::FLUSH_MEM);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn panthor_atomic_update_sequence_shows_the_new_mapping() {
    // Generation C (`Documentation/hardware.md#driver-sequences`): LOCK, edit PTEs, GPU FLUSH_CACHES 0x23304, UNLOCK.
    let (r, root) = cached();
    r.w64(as_reg(1, mmu::LOCKADDR), VA | 0xE);
    r.as_cmd(1, as_command::LOCK);
    remap(&r, root, VA, 0x22);
    r.w32(hw_mali::regs::gpu::GPU_COMMAND, 0x23304);
    r.gpu.run_until_idle();
    r.as_cmd(1, as_command::UNLOCK);
    assert_eq!(r.gpu.gpu_read_u32(1, VA).unwrap(), 0x2222_2222);
}

#[test]
fn panthor_disable_sequence_makes_every_access_fault() {
    // `Documentation/hardware.md#driver-sequences`: TRANSTAB 0, MEMATTR 0, TRANSCFG UNMAPPED, UPDATE.
    let (r, _) = cached();
    r.enable_as_with(1, 0, 0, hw_mali::regs::transcfg::ADRMODE_UNMAPPED);
    assert!(matches!(
        r.gpu.gpu_read_u32(1, VA),
        Err(PortError::Fault { .. })
    ));
    assert_eq!(r.faultstatus(1) & 0xFF, 0xC0);
}
