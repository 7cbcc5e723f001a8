// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU block's soft reset and L2 power sequences (`panthor_gpu_soft_reset`, `panthor_gpu_block_power_on/off`),
//! shared by probe, the GPU reset and runtime suspend/resume.

use std::time::Duration;

use kernel::error::code::ETIMEDOUT;
use kernel::error::Result;
use kernel::io::IoMem;

use crate::regs::{gpu, irq};

/// How long a soft reset may take before Panthor looks at RAWSTAT (`panthor_gpu_soft_reset`: 100 ms).
pub(crate) const SOFT_RESET_TIMEOUT: Duration = Duration::from_millis(100);
/// Power-transition timeout and poll interval (`panthor_gpu_block_power_on/off`: 20 ms, 100 µs).
pub(crate) const POWER_TIMEOUT: Duration = Duration::from_millis(20);
pub(crate) const POWER_POLL: Duration = Duration::from_micros(100);
/// L2_PWROFF (64-bit): L2_PRESENT + 0xC0.
const L2_PWROFF: usize = 0x1e0;

/// `panthor_gpu_soft_reset`: RESET_COMPLETED cleared, SOFT_RESET issued, then `wait` is given
/// [`SOFT_RESET_TIMEOUT`] to see the GPU interrupt however the caller receives it (probe: the raw IRQ line; a running
/// device: its GPU interrupt handler; a suspending one, whose interrupt is about to be masked: polling RAWSTAT) and
/// says whether it did. Not seen, the reset still counts as done if RAWSTAT shows it; either way RESET_COMPLETED is
/// cleared. `ETIMEDOUT` otherwise.
pub(crate) fn soft_reset(io: &IoMem, wait: impl FnOnce(Duration) -> bool) -> Result {
    let done = gpu::irq::RESET_COMPLETED;
    io.write32(gpu::IRQ_BASE + irq::CLEAR, done)?;
    io.write32(gpu::COMMAND, gpu::command::SOFT_RESET)?;
    let seen = wait(SOFT_RESET_TIMEOUT);
    if !seen && io.read32(gpu::IRQ_BASE + irq::RAWSTAT)? & done == 0 {
        return Err(ETIMEDOUT);
    }
    io.write32(gpu::IRQ_BASE + irq::CLEAR, done)
}

/// A [`soft_reset`] waiter that polls RAWSTAT (for a GPU whose interrupt is masked).
pub(crate) fn poll_reset_completed(io: &IoMem) -> impl FnOnce(Duration) -> bool + '_ {
    move |timeout| {
        io.poll32(
            gpu::IRQ_BASE + irq::RAWSTAT,
            |v| v & gpu::irq::RESET_COMPLETED != 0,
            POWER_POLL,
            timeout,
        )
        .is_ok()
    }
}

/// `panthor_gpu_block_power_on` for the L2 (mask = L2_PRESENT): wait for no transition, request power, wait for
/// READY (20 ms each, polled every 100 µs).
pub(crate) fn l2_power_on(io: &IoMem, mask: u32) -> Result {
    l2_transition(io, mask, gpu::L2_PWRON, mask)
}

/// `panthor_gpu_power_off` for the L2: wait for no transition, request the power-down, wait for READY to clear.
pub(crate) fn l2_power_off(io: &IoMem, mask: u32) -> Result {
    l2_transition(io, mask, L2_PWROFF, 0)
}

fn l2_transition(io: &IoMem, mask: u32, command: usize, ready: u32) -> Result {
    io.poll32(
        gpu::L2_PWRTRANS,
        |v| v & mask == 0,
        POWER_POLL,
        POWER_TIMEOUT,
    )?;
    io.write32(command, mask)?;
    io.poll32(
        gpu::L2_READY,
        |v| v & mask == ready,
        POWER_POLL,
        POWER_TIMEOUT,
    )?;
    Ok(())
}
