// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU block across a suspend (`panthor_gpu_suspend`, `panthor_gpu_resume`): the L2 powered down (after a
//! clean MCU halt) or the GPU soft-reset (after a failed one), the GPU interrupt masked; on resume the interrupt
//! unmasked and the L2 powered up again. The firmware powers the shader cores and the tiler itself.

use kernel::error::Result;
use kernel::io::IoMem;

use crate::driver::irq_resume;
use crate::gpu_power::{l2_power_off, l2_power_on, poll_reset_completed, soft_reset};
use crate::regs::{gpu, irq};

/// `panthor_gpu_suspend`: after a clean halt (`fast`) the L2 is powered down, else the GPU is soft-reset (which
/// also leaves it powered down); then the GPU interrupt is masked. Failures are logged: the device is going down
/// either way.
pub(super) fn suspend(io: &IoMem, l2_present: u32, fast: bool) {
    let r = if fast {
        l2_power_off(io, l2_present)
    } else {
        soft_reset(io, poll_reset_completed(io))
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
