// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The hardware half of a GPU reset (`panthor_device_reset_work` between the scheduler's pre-reset and post-reset):
//! firmware pre-reset, MMU pre-reset, GPU soft reset, L2 power-up, MMU post-reset, firmware post-reset, in
//! Panthor's order. The scheduler decides when (`crate::sched` with its reset module: a reset is scheduled, runs
//! once, one at a time) and does the scheduling half around this.

use std::sync::{Arc, Weak};

use kernel::error::code::ENODEV;
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::page::Ram;

use crate::fw::Firmware;
use crate::gpu_irq::GpuIrq;
use crate::gpu_power::{l2_power_on, soft_reset};
use crate::mmu::Mmu;
use crate::regs::gpu;

/// What a reset of the running device needs: its registers, RAM, MMU, firmware and GPU interrupt.
pub(crate) struct HwReset {
    io: IoMem,
    ram: Arc<Ram>,
    mmu: Arc<Mmu>,
    /// Weak: the device owns the firmware and tears it down; a reset only runs while the device lives (the
    /// scheduler, which runs it, is shut down first).
    fw: Weak<Firmware>,
    gpu_irq: Arc<GpuIrq>,
    l2_present: u32,
}

impl HwReset {
    /// The reset of the device made of these parts.
    pub(crate) fn new(
        io: IoMem,
        ram: Arc<Ram>,
        mmu: Arc<Mmu>,
        fw: Weak<Firmware>,
        gpu_irq: Arc<GpuIrq>,
        l2_present: u32,
    ) -> Self {
        Self {
            io,
            ram,
            mmu,
            fw,
            gpu_irq,
            l2_present,
        }
    }

    /// Resets the GPU and brings the firmware back: `panthor_fw_pre_reset(on_hang)`, `panthor_mmu_pre_reset`,
    /// `panthor_gpu_soft_reset`, `panthor_gpu_l2_power_on`, `panthor_mmu_post_reset`, `panthor_fw_post_reset`.
    /// An error means the GPU did not come back (the soft reset or the L2 timed out, the MCU did not boot or did
    /// not acknowledge the global init): `ETIMEDOUT`, `EIO`, `ENODEV` once the device is gone.
    pub(crate) fn run(&self) -> Result {
        let fw = self.fw.upgrade().ok_or(ENODEV)?;
        fw.pre_reset();
        self.mmu.around_reset(|| {
            self.gpu_irq.expect(gpu::irq::RESET_COMPLETED);
            soft_reset(&self.io, |t| {
                self.gpu_irq.wait(gpu::irq::RESET_COMPLETED, t)
            })?;
            l2_power_on(&self.io, self.l2_present)
        })?;
        fw.post_reset(&self.ram)
    }
}
