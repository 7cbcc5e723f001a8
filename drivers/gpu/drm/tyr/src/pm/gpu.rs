// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU block across a suspend (`panthor_gpu_suspend`, `panthor_gpu_resume`): the L2 powered down (after a
//! clean MCU halt) or the GPU soft-reset (after a failed one), the GPU interrupt masked; on resume the interrupt
//! unmasked and the L2 powered up again. The firmware powers the shader cores and the tiler itself.

use std::time::Duration;

use kernel::error::code::ETIMEDOUT;
use kernel::error::Result;
use kernel::io::IoMem;

use crate::driver::{irq_resume, l2_power_on, POWER_POLL, POWER_TIMEOUT};
use crate::regs::{gpu, irq};

/// L2_PWROFF (64-bit): L2_PRESENT + 0xC0.
const L2_PWROFF: usize = 0x1e0;
/// How long a soft reset may take (`panthor_gpu_soft_reset`: 100 ms).
const RESET_TIMEOUT: Duration = Duration::from_millis(100);

/// `panthor_gpu_power_off` for the L2: wait for no transition, request the power-down, wait for READY to clear
/// (20 ms each, polled every 100 µs).
fn l2_power_off(io: &IoMem, mask: u32) -> Result {
    io.poll32(
        gpu::L2_PWRTRANS,
        |v| v & mask == 0,
        POWER_POLL,
        POWER_TIMEOUT,
    )?;
    io.write32(L2_PWROFF, mask)?;
    io.poll32(gpu::L2_READY, |v| v & mask == 0, POWER_POLL, POWER_TIMEOUT)?;
    Ok(())
}

/// `panthor_gpu_soft_reset`, polled: clear RESET_COMPLETED, SOFT_RESET, wait for RAWSTAT's RESET_COMPLETED (the
/// GPU interrupt is about to be masked, so nothing else would see it).
fn soft_reset(io: &IoMem) -> Result {
    let done = gpu::irq::RESET_COMPLETED;
    io.write32(gpu::IRQ_BASE + irq::CLEAR, done)?;
    io.write32(gpu::COMMAND, gpu::command::SOFT_RESET)?;
    io.poll32(
        gpu::IRQ_BASE + irq::RAWSTAT,
        |v| v & done != 0,
        POWER_POLL,
        RESET_TIMEOUT,
    )
    .map_err(|_| ETIMEDOUT)?;
    io.write32(gpu::IRQ_BASE + irq::CLEAR, done)
}

/// `panthor_gpu_suspend`: after a clean halt (`fast`) the L2 is powered down, else the GPU is soft-reset (which
/// also leaves it powered down); then the GPU interrupt is masked. Failures are logged: the device is going down
/// either way.
pub(super) fn suspend(io: &IoMem, l2_present: u32, fast: bool) {
    let r = if fast {
        l2_power_off(io, l2_present)
    } else {
        soft_reset(io)
    };
    if let Err(e) = r {
        tracing::error!(
            fast,
            errno = e.to_errno(),
            "GPU suspend: powering down failed"
        );
    }
    // `panthor_gpu_irq_suspend`.
    let _ = io.write32(gpu::IRQ_BASE + irq::MASK, 0);
}

/// `panthor_gpu_resume`: the GPU interrupt cleared and unmasked, the L2 powered up.
pub(super) fn resume(io: &IoMem, l2_present: u32) -> Result {
    irq_resume(io, gpu::IRQ_BASE, gpu::irq::PANTHOR_MASK)?;
    l2_power_on(io, l2_present)
}
