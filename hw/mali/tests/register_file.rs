// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The whole register file, register by register from the map's own tables: reset values as `Documentation/hardware.md`
//! gives them, read-only / write-only / read-write behaviour, W1C on every bit of the three IRQ blocks, and power
//! sequencing of every domain. No driver.

mod common;

use common::*;
use hw_mali::regs::{block, gpu, gpu_irq, gpu_status, irq, mmu, Access, AS_REGISTERS, REGISTERS};
use hw_mali::Timing;

/// Power-on value of every readable register (`Documentation/hardware.md#identity-registers`; \[inf\] zeros where the
/// documentation says so).
const RESET: &[(&str, u64)] = &[
    ("GPU_ID", 0xA867_0005),
    ("L2_FEATURES", 0x0712_0306),
    ("CORE_FEATURES", 0),
    ("TILER_FEATURES", 0x809),
    ("MEM_FEATURES", 0x301),
    ("MMU_FEATURES", 0x2830),
    ("AS_PRESENT", 0xFF),
    ("CSF_ID", 0x040A_0412),
    ("GPU_IRQ_RAWSTAT", 0),
    ("GPU_IRQ_MASK", 0),
    ("GPU_IRQ_STATUS", 0),
    ("GPU_STATUS", 0),
    ("GPU_FAULTSTATUS", 0),
    ("GPU_FAULTADDRESS", 0),
    ("L2_CONFIG", 0),
    ("PWR_OVERRIDE0", 0),
    ("PWR_OVERRIDE1", 0),
    ("GPU_FEATURES", 0),
    ("PRFCNT_FEATURES", 0),
    ("TIMESTAMP_OFFSET", 0),
    ("CYCLE_COUNT", 0),
    ("TIMESTAMP", 0),
    ("THREAD_MAX_THREADS", 2048),
    ("THREAD_MAX_WORKGROUP_SIZE", 1024),
    ("THREAD_MAX_BARRIER_SIZE", 1024),
    ("THREAD_FEATURES", 0x0401_0000),
    ("TEXTURE_FEATURES_0", 0xC1FF_FF9E),
    ("TEXTURE_FEATURES_1", 0),
    ("TEXTURE_FEATURES_2", 0),
    ("TEXTURE_FEATURES_3", 0),
    ("SHADER_PRESENT", 0x5_0005),
    ("TILER_PRESENT", 1),
    ("L2_PRESENT", 1),
    ("SHADER_READY", 0),
    ("TILER_READY", 0),
    ("L2_READY", 0),
    ("SHADER_PWRTRANS", 0),
    ("TILER_PWRTRANS", 0),
    ("L2_PWRTRANS", 0),
    ("SHADER_PWRACTIVE", 0),
    ("TILER_PWRACTIVE", 0),
    ("L2_PWRACTIVE", 0),
    ("GPU_REVID", 0),
    ("ASN_HASH_0", 0),
    ("ASN_HASH_1", 0),
    ("ASN_HASH_2", 0),
    ("COHERENCY_FEATURES", 0),
    ("COHERENCY_PROTOCOL", 31),
    ("THREAD_TLS_ALLOC", 0),
    ("MCU_CONTROL", 0),
    ("MCU_STATUS", 0),
    ("STACK_PRESENT", 0x55),
    ("STACK_READY", 0),
    ("STACK_PWRTRANS", 0),
    ("CSF_CONFIG", 0),
    ("SHADER_CONFIG", 0),
    ("TILER_CONFIG", 0),
    ("L2_MMU_CONFIG", 0),
    ("JOB_IRQ_RAWSTAT", 0),
    ("JOB_IRQ_MASK", 0),
    ("JOB_IRQ_STATUS", 0),
    ("MMU_IRQ_RAWSTAT", 0),
    ("MMU_IRQ_MASK", 0),
    ("MMU_IRQ_STATUS", 0),
    ("LATEST_FLUSH_ID", 1),
];

fn read(r: &Rig, off: u32, is64: bool) -> u64 {
    if is64 {
        r.r64(off)
    } else {
        u64::from(r.r32(off))
    }
}

#[test]
fn every_readable_register_powers_on_at_its_spec_value() {
    let r = rig();
    for reg in REGISTERS.iter().filter(|g| g.access != Access::Wo) {
        let want = RESET
            .iter()
            .find(|(n, _)| *n == reg.name)
            .unwrap_or_else(|| panic!("{} has no reset value", reg.name));
        assert_eq!(read(&r, reg.offset, reg.is64), want.1, "{}", reg.name);
    }
    assert_eq!(
        RESET.len(),
        REGISTERS.iter().filter(|g| g.access != Access::Wo).count(),
        "no stale entries"
    );
}

#[test]
fn every_address_space_register_powers_on_at_zero() {
    let r = rig();
    for n in 0..8 {
        for reg in AS_REGISTERS.iter().filter(|g| g.access != Access::Wo) {
            assert_eq!(
                read(&r, as_reg(n, reg.offset), reg.is64),
                0,
                "AS{n} {}",
                reg.name
            );
        }
    }
}

#[test]
fn write_only_registers_read_zero_after_a_write() {
    let r = rig_with(Timing::INSTANT);
    for reg in REGISTERS
        .iter()
        .chain(AS_REGISTERS)
        .filter(|g| g.access == Access::Wo)
    {
        let off = if reg.name.starts_with("AS_") {
            as_reg(3, reg.offset)
        } else {
            reg.offset
        };
        // NOP-like values: PWR_KEY garbage, a power request for no unit, IRQ clears, AS/GPU NOP commands.
        r.w32(off, 0);
        assert_eq!(r.r32(off), 0, "{}", reg.name);
    }
}

#[test]
fn read_only_registers_ignore_writes_and_count_them() {
    let r = rig();
    let ro: Vec<_> = REGISTERS
        .iter()
        .filter(|g| g.access == Access::Ro)
        .collect();
    for reg in &ro {
        let before = read(&r, reg.offset, reg.is64);
        r.w32(reg.offset, !(before as u32));
        assert_eq!(read(&r, reg.offset, reg.is64), before, "{}", reg.name);
    }
    assert_eq!(r.gpu.bus_stats().ignored_writes, ro.len() as u64);
}

#[test]
fn plain_read_write_registers_hold_every_bit_written() {
    let r = rig();
    // Registers with no side effect on write (MCU_CONTROL starts the MCU, PWR_OVERRIDE needs the key, IRQ RAWSTAT only
    // forces bits on: those have their own tests).
    let plain = [
        "L2_CONFIG",
        "ASN_HASH_0",
        "ASN_HASH_1",
        "ASN_HASH_2",
        "COHERENCY_PROTOCOL",
        "CSF_CONFIG",
        "L2_MMU_CONFIG",
    ];
    for name in plain {
        let reg = REGISTERS.iter().find(|g| g.name == name).unwrap();
        for v in [0xFFFF_FFFF, 0xA5A5_5A5A, 0] {
            r.w32(reg.offset, v);
            assert_eq!(r.r32(reg.offset), v, "{name}");
        }
    }
    r.w64(gpu::TIMESTAMP_OFFSET, 0x1234_5678_9ABC_DEF0);
    assert_eq!(r.r64(gpu::TIMESTAMP_OFFSET), 0x1234_5678_9ABC_DEF0);
    for reg in AS_REGISTERS.iter().filter(|g| g.access == Access::Rw) {
        r.w64(as_reg(5, reg.offset), 0xFEDC_BA98_7654_3210);
        assert_eq!(
            r.r64(as_reg(5, reg.offset)),
            0xFEDC_BA98_7654_3210,
            "{}",
            reg.name
        );
        assert_eq!(
            r.r64(as_reg(4, reg.offset)),
            0,
            "{}: another AS is untouched",
            reg.name
        );
    }
}

#[test]
fn every_bit_of_every_irq_block_is_write_one_to_clear() {
    let r = rig();
    for (name, base, sticky) in [
        ("GPU", gpu::IRQ_BASE, gpu_irq::DOORBELL_MIRROR),
        ("JOB", block::JOB_CONTROL, 0),
        ("MMU", mmu::IRQ_BASE, 0),
    ] {
        r.w32(base + irq::MASK, 0xFFFF_FFFF);
        for bit in 0..32 {
            let b = 1u32 << bit;
            r.w32(base + irq::RAWSTAT, b);
            assert_eq!(
                r.r32(base + irq::RAWSTAT) & b,
                b,
                "{name} bit {bit} forced on"
            );
            r.w32(base + irq::CLEAR, 0);
            assert_eq!(
                r.r32(base + irq::RAWSTAT) & b,
                b,
                "{name} bit {bit}: writing 0 clears nothing"
            );
            r.w32(base + irq::CLEAR, b);
            let left = if b & sticky != 0 { b } else { 0 };
            assert_eq!(
                r.r32(base + irq::RAWSTAT) & b,
                left,
                "{name} bit {bit} after CLEAR"
            );
        }
        r.w32(base + irq::MASK, 0);
    }
}

#[test]
fn every_power_domain_sequences_present_units_through_pwrtrans_to_ready() {
    // (name, PRESENT offset, units present)
    let domains = [
        ("SHADER", gpu::SHADER_PRESENT, 0x5_0005u64),
        ("TILER", gpu::TILER_PRESENT, 1),
        ("L2", gpu::L2_PRESENT, 1),
    ];
    let stack = ("STACK", gpu::STACK_PRESENT, 0x55u64);
    for (name, present, mask) in domains.into_iter().chain([stack]) {
        let r = rig();
        let (ready, pwron, pwroff, trans) = if name == "STACK" {
            (
                gpu::STACK_READY,
                gpu::STACK_PWRON,
                gpu::STACK_PWROFF,
                gpu::STACK_PWRTRANS,
            )
        } else {
            (
                present + gpu::PWR_READY_DELTA,
                present + gpu::PWR_ON_DELTA,
                present + gpu::PWR_OFF_DELTA,
                present + gpu::PWR_TRANS_DELTA,
            )
        };
        assert_eq!(r.r64(present), mask, "{name}");
        // Ask for every unit: only present ones move.
        r.w64(pwron, u64::MAX);
        assert_eq!(r.r64(trans), mask, "{name}: PWRTRANS while powering up");
        assert_eq!(r.r64(ready), 0, "{name}: not ready before the latency");
        assert_ne!(r.r32(gpu::GPU_STATUS) & gpu_status::PWR_ACTIVE, 0, "{name}");
        r.gpu.advance(Timing::DEFAULT.power_ns - 1);
        assert_eq!(r.r64(ready), 0, "{name}");
        r.gpu.advance(1);
        assert_eq!(
            (r.r64(ready), r.r64(trans)),
            (mask, 0),
            "{name}: ready after the latency"
        );
        assert_eq!(r.r32(gpu::GPU_STATUS) & gpu_status::PWR_ACTIVE, 0, "{name}");
        r.w64(pwroff, mask);
        assert_eq!(r.r64(trans), mask, "{name}: PWRTRANS while powering down");
        r.gpu.run_until_idle();
        assert_eq!((r.r64(ready), r.r64(trans)), (0, 0), "{name}: off");
    }
}

#[test]
fn shader_cores_power_individually_from_either_half() {
    let r = rig();
    r.w32(gpu::SHADER_PWRON, 0x4); // core 2 only
    r.w32(gpu::SHADER_PWRON + 4, 0xFFFF_FFFF); // HI half: no cores there
    r.gpu.run_until_idle();
    assert_eq!(r.r64(gpu::SHADER_READY), 0x4);
    r.w32(gpu::SHADER_PWRON, 0x1_0000);
    r.gpu.run_until_idle();
    assert_eq!(r.r64(gpu::SHADER_READY), 0x1_0004);
}

#[test]
fn a_request_for_units_in_transition_is_ignored() {
    let r = rig();
    let (l2_on, l2_off, l2_ready) = (
        gpu::L2_PRESENT + gpu::PWR_ON_DELTA,
        gpu::L2_PRESENT + gpu::PWR_OFF_DELTA,
        gpu::L2_PRESENT + gpu::PWR_READY_DELTA,
    );
    r.w32(l2_on, 1);
    r.w32(l2_off, 1); // while powering up: Panthor waits for PWRTRANS to clear first
    r.gpu.run_until_idle();
    assert_eq!(r.r64(l2_ready), 1);
}

#[test]
fn power_changed_all_rises_only_when_every_domain_settled() {
    let r = rig();
    r.w32(gpu::L2_PRESENT + gpu::PWR_ON_DELTA, 1);
    r.gpu.advance(1_000);
    r.w32(gpu::SHADER_PWRON, 0x5_0005);
    r.gpu.advance(1_000); // L2 done, shaders still moving
    let raw = r.r32(gpu::IRQ_BASE + irq::RAWSTAT);
    assert_eq!(
        raw & (gpu_irq::POWER_CHANGED_SINGLE | gpu_irq::POWER_CHANGED_ALL),
        gpu_irq::POWER_CHANGED_SINGLE
    );
    r.gpu.run_until_idle();
    assert_ne!(
        r.r32(gpu::IRQ_BASE + irq::RAWSTAT) & gpu_irq::POWER_CHANGED_ALL,
        0
    );
}

#[test]
fn fast_reset_keeps_power_domains_on_and_soft_reset_does_not() {
    for (cmd, l2_after) in [(0x001, 1), (0x101, 0), (0x201, 0)] {
        let r = rig();
        r.w32(gpu::L2_PRESENT + gpu::PWR_ON_DELTA, 1);
        r.gpu.run_until_idle();
        r.w32(gpu::GPU_COMMAND, cmd);
        assert_ne!(
            r.r32(gpu::GPU_STATUS) & gpu_status::ACTIVE,
            0,
            "{cmd:#x}: busy while resetting"
        );
        r.gpu.run_until_idle();
        assert_eq!(
            r.r64(gpu::L2_PRESENT + gpu::PWR_READY_DELTA),
            l2_after,
            "GPU_COMMAND {cmd:#x}"
        );
        assert_eq!(
            r.r32(gpu::IRQ_BASE + irq::RAWSTAT),
            gpu_irq::RESET_COMPLETED,
            "{cmd:#x}"
        );
        assert_eq!(r.r32(gpu::GPU_STATUS), 0, "{cmd:#x}");
    }
}

#[test]
fn gpu_status_is_active_exactly_while_a_cache_flush_runs() {
    let r = rig();
    r.w32(gpu::GPU_COMMAND, 0x23304);
    assert_eq!(
        r.r32(gpu::GPU_STATUS) & gpu_status::ACTIVE,
        gpu_status::ACTIVE
    );
    r.gpu.advance(Timing::DEFAULT.cache_flush_ns - 1);
    assert_eq!(
        r.r32(gpu::GPU_STATUS) & gpu_status::ACTIVE,
        gpu_status::ACTIVE
    );
    r.gpu.advance(1);
    assert_eq!(r.r32(gpu::GPU_STATUS) & gpu_status::ACTIVE, 0);
}

#[test]
fn as_status_is_active_for_exactly_the_command_latency() {
    let r = rig();
    r.w32(as_reg(6, mmu::COMMAND), hw_mali::regs::as_command::UPDATE);
    r.gpu.advance(Timing::DEFAULT.as_command_ns - 1);
    assert_eq!(r.r32(as_reg(6, mmu::STATUS)), mmu::STATUS_ACTIVE);
    r.gpu.advance(1);
    assert_eq!(r.r32(as_reg(6, mmu::STATUS)), 0);
}
