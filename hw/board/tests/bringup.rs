// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A Panthor-shaped bring-up through the board's MMIO and IRQ lines only, with the model on its own thread: IRQ setup,
//! L2 power-up, AS 0 for the MCU, MCU boot and the first global request. Waits block on IRQ lines, never sleep.

use hw_board::hw_mali::fields::{GlbReq, JobIrq};
use std::time::Duration;

use hw_board::hw_mali::csf::{self, glb, GLB_INPUT_VA, GLB_OUTPUT_VA, SHARED_SIZE, SHARED_VA};
use hw_board::hw_mali::regs::{as_command, block, gpu, gpu_irq, irq, mcu, mmu};
use hw_board::{Board, MALI_BASE};
use hw_mali::IrqKind;
use hw_mem::Ram;

const WAIT: Duration = Duration::from_secs(30);

fn reg(off: u32) -> u64 {
    MALI_BASE + u64::from(off)
}

/// Maps `[va, va + len)` read/write, no-exec, cached, with hand-encoded 4-level tables; returns the root.
fn map_rw(ram: &Ram, va: u64, len: u64) -> u64 {
    let new_table = || {
        let t = ram.alloc_frame().unwrap();
        ram.zero(t, 4096).unwrap();
        t
    };
    let root = new_table();
    for page in (va..va + len).step_by(4096) {
        let mut table = root;
        for level in 0..3u32 {
            let e = table + 8 * ((page >> (39 - 9 * level)) & 0x1FF);
            let d = ram.read_u64(e).unwrap();
            table = if d & 3 == 3 {
                d & 0x0000_FFFF_FFFF_F000
            } else {
                let t = new_table();
                ram.write_u64(e, t | 3).unwrap();
                t
            };
        }
        let frame = new_table();
        // Page | AttrIndx 1 | AP[1] | SH inner | AF | nG | PXN | UXN.
        ram.write_u64(table + 8 * ((page >> 12) & 0x1FF), frame | 0xF47 | 3 << 53)
            .unwrap();
    }
    root
}

fn wait_as_idle(b: &Board, n: u32) {
    // AS commands have no completion IRQ: like Panthor's readl_poll_timeout, check AS_STATUS until a deadline — but
    // sleeping on the model's condition variable between checks, woken when the model thread completes the command.
    let status = reg(mmu::AS_BASE + n * mmu::AS_STRIDE + mmu::STATUS);
    let idle = b.gpu().wait_until(WAIT, || {
        b.io().read32(status).unwrap() & mmu::STATUS_ACTIVE == 0
    });
    assert!(idle, "AS_ACTIVE stuck");
}

#[test]
fn panthor_style_bring_up_boots_the_mcu_and_answers_a_ping() {
    let b = Board::rk3588().unwrap();
    let _model = b.start_model_thread().unwrap();
    let io = b.io();

    // GPU IRQ: clear + mask 0x20103; MMU IRQ: 0xFFFF.
    io.write32(reg(gpu::IRQ_BASE + irq::CLEAR), 0x2_0103)
        .unwrap();
    io.write32(
        reg(gpu::IRQ_BASE + irq::MASK),
        0x2_0103 | gpu_irq::POWER_CHANGED_ALL,
    )
    .unwrap();
    io.write32(reg(mmu::IRQ_BASE + irq::CLEAR), 0xFFFF).unwrap();
    io.write32(reg(mmu::IRQ_BASE + irq::MASK), 0xFFFF).unwrap();

    // L2 power-up: PWRON then READY, signalled by POWER_CHANGED_ALL.
    io.write32(reg(gpu::L2_PRESENT + gpu::PWR_ON_DELTA), 1)
        .unwrap();
    assert!(b.irq(IrqKind::Gpu).wait_asserted(WAIT));
    assert_eq!(
        io.read64(reg(gpu::L2_PRESENT + gpu::PWR_READY_DELTA))
            .unwrap(),
        1
    );
    io.write32(reg(gpu::IRQ_BASE + irq::CLEAR), 0xFFFF_FFFF)
        .unwrap();

    // AS 0 for the MCU VM: TRANSTAB, MEMATTR, TRANSCFG, UPDATE.
    let root = map_rw(b.ram(), SHARED_VA, SHARED_SIZE);
    let as0 = mmu::AS_BASE;
    io.write64(reg(as0 + mmu::TRANSTAB), root).unwrap();
    io.write64(reg(as0 + mmu::MEMATTR), 0x8F8F_8F8F_8C4C_8F4C)
        .unwrap();
    io.write64(reg(as0 + mmu::TRANSCFG), 0x4200_01C6).unwrap();
    wait_as_idle(&b, 0);
    io.write32(reg(as0 + mmu::COMMAND), as_command::UPDATE)
        .unwrap();
    wait_as_idle(&b, 0);

    // MCU boot: JOB IRQ CLEAR/MASK all, MCU_CONTROL AUTO, wait for JOB IRQ bit 31.
    io.write32(reg(block::JOB_CONTROL + irq::CLEAR), 0xFFFF_FFFF)
        .unwrap();
    io.write32(reg(block::JOB_CONTROL + irq::MASK), 0xFFFF_FFFF)
        .unwrap();
    io.write32(reg(gpu::MCU_CONTROL), mcu::CONTROL_AUTO)
        .unwrap();
    assert!(b.irq(IrqKind::Job).wait_asserted(WAIT));
    assert_eq!(
        io.read32(reg(block::JOB_CONTROL + irq::STAT)).unwrap(),
        JobIrq::GLB.0
    );
    assert_eq!(
        io.read32(reg(gpu::MCU_STATUS)).unwrap(),
        mcu::STATUS_ENABLED
    );
    io.write32(reg(block::JOB_CONTROL + irq::CLEAR), JobIrq::GLB.0)
        .unwrap();

    // Discovery: the CPU reads the control block the MCU wrote (through the RAM behind AS 0's mapping).
    let gpu = b.gpu();
    assert_eq!(gpu.gpu_read_u32(0, SHARED_VA + glb::GROUP_NUM).unwrap(), 8);
    assert_eq!(
        gpu.gpu_read_u32(0, csf::csg_control_va(0) + csf::csg::STREAM_NUM)
            .unwrap(),
        8
    );

    // PING: toggle, ring doorbell 0, the JOB IRQ brings the ack.
    gpu.gpu_write_u32(0, GLB_INPUT_VA + glb::ACK_IRQ_MASK, 0x0400_050E)
        .unwrap();
    let ack = gpu.gpu_read_u32(0, GLB_OUTPUT_VA + glb::REQ).unwrap();
    gpu.gpu_write_u32(0, GLB_INPUT_VA + glb::REQ, ack ^ GlbReq::PING.0)
        .unwrap();
    io.write32(reg(block::DOORBELL_BASE), 1).unwrap();
    assert!(b.irq(IrqKind::Job).wait_asserted(WAIT));
    assert_eq!(
        gpu.gpu_read_u32(0, GLB_OUTPUT_VA + glb::REQ).unwrap() & GlbReq::PING.0,
        (ack ^ GlbReq::PING.0) & GlbReq::PING.0
    );
    assert_eq!(io.stats(), hw_board::IoStats::default());
}
