// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The firmware across a suspend (`panthor_fw_suspend` = `panthor_fw_pre_reset(ptdev, false)`,
//! `panthor_fw_resume` = `panthor_fw_post_reset`).
//!
//! Suspend halts the MCU gracefully: GLB HALT, doorbell 0, MCU_STATUS polled for HALT (every 10 µs, up to
//! 100 ms). A clean halt makes the resume a *fast* one: the MCU keeps its memory, so it is simply started again. A
//! failed halt makes it a *slow* one (the GPU block soft-resets the GPU in between). Either way the JOB interrupt is
//! masked.
//!
//! Resume makes the MCU's VM live in AS 0 again, clears the HALT request on a fast resume (the firmware acts on
//! HALT's 0 → 1 edge) or reloads every section from the image on a slow one (the GPU reset's path), boots the MCU (MCU_CONTROL AUTO, wait for the GLB interrupt) and runs the global-interface
//! init again, which Panthor does even on a fast resume.

use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::page::Ram;

use super::iface::glb;
use super::{boot_mcu, Firmware};
use crate::mmu::MCU_AS;
use crate::regs::{irq, JOB_IRQ_BASE};

impl Firmware {
    /// `panthor_fw_suspend`: halts the MCU and masks the JOB interrupt; returns whether the halt was clean (a fast
    /// resume is possible).
    pub(crate) fn suspend(&self) -> bool {
        let fast = match self.halt() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(errno = e.to_errno(), "Failed to cleanly suspend MCU");
                false
            }
        };
        // `panthor_job_irq_suspend`.
        let _ = self.run.io.write32(JOB_IRQ_BASE + irq::MASK, 0);
        fast
    }

    /// `panthor_fw_resume` (= `panthor_fw_post_reset`): AS 0 for the MCU's VM; on a fast resume the HALT request
    /// cleared (the firmware acts on HALT's 0 → 1 edge), on a slow one every section reloaded from the image (`ram`
    /// is where they live), in case the halt that failed left memory corrupt; the MCU booted, the global interface
    /// set up again (Panthor does that even on a fast resume). Errors: those of [`Firmware::load`]'s boot and init
    /// steps (`ETIMEDOUT`, `EIO`), `EBUSY`/`EINVAL` if AS 0 cannot be programmed.
    pub(crate) fn resume(&self, fast: bool, ram: &Ram) -> Result {
        if self.mcu_vm.vm.activate()? != MCU_AS as u32 {
            return Err(EINVAL);
        }
        tracing::debug!(fast, "MCU resume");
        if fast {
            self.glb.update_reqs(glb::Req(0), glb::Req::HALT)?;
        } else {
            self.reload_sections(ram)?;
        }
        boot_mcu(&self.run.io, &self.irq)?;
        self.glb.init(&self.irq, &self.glb_config)
    }
}
