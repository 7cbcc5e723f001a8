// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The device's own state as debugfs shows it: identity and firmware (what Panthor logs at probe), the AS slots,
//! the CSG slots and the MCU's VM.

use core::ops::Range;
use std::time::Duration;

use kernel::drm::gem::IntoGemObject;

use super::vms::VmView;
use crate::drm_device::TyrDrmDevice;
use crate::fw::firmware_name;
use crate::gpu::GpuId;
use crate::uapi::{drm_panthor_csif_info, drm_panthor_gpu_info};

/// What the driver learnt at probe: the GPU's identity and the firmware it booted.
#[derive(Clone, Debug)]
pub struct DeviceInfo {
    /// What DEV_QUERY GPU_INFO reports.
    pub gpu_info: drm_panthor_gpu_info,
    /// GPU_ID, decoded.
    pub gpu_id: GpuId,
    /// The firmware file requested (`arm/mali/arch<major>.<minor>/mali_csffw.bin`).
    pub firmware: String,
    /// The image's version: (major, minor, git hash).
    pub image_version: (u8, u8, u32),
    /// The sections the image loaded, in image order.
    pub sections: Vec<FirmwareSection>,
    /// The global interface's version, `major.minor.patch`.
    pub glb_version: String,
    /// The global interface's feature word.
    pub glb_features: u32,
    /// The global interface's instrumentation features.
    pub glb_instr_features: u32,
}

/// One firmware section as loaded in the MCU's VM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmwareSection {
    /// Its name from the image.
    pub name: String,
    /// The MCU VAs it occupies.
    pub va: Range<u32>,
    /// Its image flags (`CSF_FW_BINARY_IFACE_ENTRY_*`).
    pub flags: u32,
    /// Bytes of memory behind it.
    pub size: u64,
}

/// The probe-time facts of `dev`.
pub fn info(dev: &TyrDrmDevice) -> DeviceInfo {
    let hw = dev.data().hw();
    let fw = hw.fw();
    let img = fw.image_version();
    let glb = &fw.interfaces().glb;
    let gpu_id = hw.gpu_id();
    DeviceInfo {
        gpu_info: *hw.gpu_info(),
        gpu_id,
        firmware: firmware_name(&gpu_id),
        image_version: (img.major, img.minor, img.version_hash),
        sections: fw
            .sections()
            .iter()
            .map(|s| FirmwareSection {
                name: s.name.clone(),
                va: s.va.clone(),
                flags: s.flags.bits(),
                size: s.bo.gem().size(),
            })
            .collect(),
        glb_version: fw.glb_version().to_string(),
        glb_features: glb.features,
        glb_instr_features: glb.instr_features,
    }
}

/// What DEV_QUERY CSIF_INFO reports (the CSG slots the scheduler uses).
pub fn csif_info(dev: &TyrDrmDevice) -> drm_panthor_csif_info {
    *dev.data().sched().csif()
}

/// The address-space slots in use: `(slot, active count)`, the MCU's AS 0 first.
pub fn as_slots(dev: &TyrDrmDevice) -> Vec<(u32, usize)> {
    dev.data().mmu().slots()
}

/// The MCU's VM (firmware sections, suspend buffers, queue user-I/O pages).
pub fn mcu_vm(dev: &TyrDrmDevice) -> VmView {
    VmView::without_heaps(dev.data().sched().mcu_vm().clone())
}

/// CSG requests the firmware acknowledged only after Panthor's 100 ms.
pub fn late_acks(dev: &TyrDrmDevice) -> u64 {
    dev.data().sched().late_acks()
}

/// Waits up to `timeout` until every destroyed group has been terminated and its buffers released (the asynchronous
/// part of GROUP_DESTROY and file close), for callers that compare state between calls; `false` on timeout.
pub fn settle(dev: &TyrDrmDevice, timeout: Duration) -> bool {
    dev.data().sched().settle(timeout)
}

/// Sets how long a job may run before its group is timed out (Panthor's fixed `JOB_TIMEOUT_MS`, 5 s, here a knob so
/// that tests of the timeout path need not wait that long).
pub fn set_job_timeout(dev: &TyrDrmDevice, timeout: Duration) {
    dev.data().sched().set_job_timeout(timeout);
}

/// The GPU resets so far: how many, how many failed, whether one is pending, and the last one (cause, latency from
/// detection to scheduling resumed, what happened to the resident groups).
pub fn resets(dev: &TyrDrmDevice) -> crate::sched::ResetStats {
    dev.data().sched().reset_stats()
}

/// Schedules a GPU reset, as a hang would (for tools and tests; the reset runs on the scheduler's worker).
pub fn schedule_reset(dev: &TyrDrmDevice) {
    dev.data()
        .sched()
        .schedule_reset(crate::sched::ResetCause::Requested);
}

/// Sets how often the firmware watchdog pings the MCU (Panthor's fixed 12 s, here a knob so that tests of an idle
/// firmware that hangs need not wait that long).
pub fn set_ping_interval(dev: &TyrDrmDevice, interval: Duration) {
    dev.data().sched().set_ping_interval(interval);
}

/// How many times the firmware's sections were loaded again from the image since probe (a slow resume after an
/// unclean halt, and every GPU reset, as `panthor_reload_fw_sections`).
pub fn firmware_reloads(dev: &TyrDrmDevice) -> u64 {
    dev.data().hw().fw().reloads()
}

/// GPU faults (GPU_FAULTSTATUS, e.g. a bus fault) the GPU interrupt reported since probe, and the last one.
pub fn gpu_faults(dev: &TyrDrmDevice) -> (u64, Option<crate::gpu_irq::GpuFault>) {
    dev.data().hw().gpu_irq().faults()
}

/// Programs the firmware's progress timer to `units` × 1024 GPU cycles (Panthor programs 2 560 000, about 13 s at
/// the G610's 198 MHz; a knob so that tests of a stream that makes no progress need not wait that long). A GPU reset
/// puts Panthor's value back. `ETIMEDOUT` when the firmware does not acknowledge it.
pub fn set_progress_timer(dev: &TyrDrmDevice, units: u32) -> kernel::error::Result {
    let fw = dev.data().hw().fw();
    fw.glb().set_progress_timer(fw.job_irq(), units)
}

/// The scheduler as text: CSG slots, every group (state, queues with their pending and in-flight jobs, timers, ring
/// positions and sync objects) and the resets. Never waits for the scheduler's worker.
pub fn sched_dump(dev: &TyrDrmDevice) -> String {
    dev.data().sched().dump()
}
