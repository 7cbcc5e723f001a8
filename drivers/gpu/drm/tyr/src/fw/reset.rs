// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The firmware around a GPU reset (`panthor_fw_pre_reset`, `panthor_fw_post_reset`).
//!
//! The reset work always treats the firmware as hung (`panthor_fw_pre_reset(ptdev, true)`): the MCU is not asked to
//! halt, only stopped, so the reset is a slow one. After it the MCU's VM is made active again (AS 0), every
//! section is loaded again from the image, read-only ones included (`panthor_reload_fw_sections`), so the shared
//! section starts zeroed, the MCU boots, and the global interface is initialised again. The interfaces are not
//! discovered again: the model's firmware publishes them at the same addresses, and Panthor keeps its pointers too.

use kernel::error::Result;
use kernel::page::Ram;

use super::image::Image;
use super::{fill_section, Firmware, STOP_POLL, STOP_TIMEOUT};
use crate::regs::{gpu, irq, JOB_IRQ_BASE};

impl Firmware {
    /// `panthor_fw_pre_reset` on a hang: the JOB IRQ masked (`panthor_job_irq_suspend`) and the MCU stopped
    /// (`panthor_fw_stop`: MCU_CONTROL DISABLE, MCU_STATUS polled for DISABLED; a stop that does not complete is
    /// left to the reset).
    pub(crate) fn pre_reset(&self) {
        let io = &self.run.io;
        let _ = io.write32(JOB_IRQ_BASE + irq::MASK, 0);
        let _ = io.write32(gpu::MCU_CONTROL, gpu::mcu::CONTROL_DISABLE);
        let _ = io.poll32(
            gpu::MCU_STATUS,
            |s| s & gpu::mcu::MASK == gpu::mcu::STATUS_DISABLED,
            STOP_POLL,
            STOP_TIMEOUT,
        );
    }

    /// `panthor_fw_post_reset` after a slow reset: [`Firmware::resume`] with `fast` false — AS 0 for the MCU's VM,
    /// the sections loaded again from the image into the BOs they already have (`ram` is where they live), the MCU
    /// booted (`ETIMEDOUT`, `EIO` as at probe) and the global interface initialised again (`ETIMEDOUT` when the MCU
    /// does not acknowledge it).
    pub(crate) fn post_reset(&self, ram: &Ram) -> Result {
        self.resume(false, ram)
    }

    /// `panthor_reload_fw_sections(ptdev, true)`: every section, read-only ones included, filled again from the
    /// image.
    pub(super) fn reload_sections(&self, ram: &Ram) -> Result {
        let img = Image::parse(&self.raw)?;
        let sections = img.sections.iter().filter(|s| !s.va.is_empty());
        for (s, loaded) in sections.zip(&self.mcu_vm.sections) {
            fill_section(s, &loaded.bo, ram)?;
        }
        self.reloads
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}
