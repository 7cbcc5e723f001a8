// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The device's power state as a `tyr pm` view shows it: the runtime-PM status and usage, who holds the GPU awake,
//! and what the transitions cost.

use std::time::Duration;

use crate::drm_device::TyrDrmDevice;
use crate::pm::{PmStats, RpmStatus};

/// A snapshot of the device's power management.
#[derive(Clone, Debug)]
pub struct PmView {
    /// The runtime status.
    pub status: RpmStatus,
    /// What `power/runtime_status` reads (`error` after a failed transition, `unsupported` during a system sleep).
    pub runtime_status: String,
    /// The usage count (`power/runtime_usage`).
    pub usage_count: i32,
    /// `power/control` is "auto" (runtime suspend allowed).
    pub runtime_auto: bool,
    /// `power/autosuspend_delay_ms`.
    pub autosuspend_delay_ms: i32,
    /// The scheduler holds its reference (jobs in flight).
    pub sched_has_ref: bool,
    /// Any MMU address space in use (none while suspended).
    pub as_in_use: bool,
    /// Time spent active and suspended since probe.
    pub active_time: Duration,
    /// See [`Self::active_time`].
    pub suspended_time: Duration,
    /// Transition counts and latencies.
    pub stats: PmStats,
}

/// The power-management snapshot of `dev`.
pub fn pm(dev: &TyrDrmDevice) -> PmView {
    let d = dev.data();
    let rpm = d.pm().runtime();
    let text = kernel::pm_runtime::sysfs::runtime_status_show(rpm);
    PmView {
        status: rpm.status(),
        runtime_status: text.trim_end().to_string(),
        usage_count: rpm.usage_count(),
        runtime_auto: rpm.runtime_auto(),
        autosuspend_delay_ms: rpm.autosuspend().1,
        sched_has_ref: d.sched().pm_has_ref(),
        as_in_use: d.mmu().any_slot_in_use(),
        active_time: Duration::from_nanos(rpm.active_time_ns()),
        suspended_time: Duration::from_nanos(rpm.suspended_time_ns()),
        stats: d.pm().stats(),
    }
}

/// Waits up to `timeout` for the runtime status to become `want` (a transition the PM worker makes, such as the
/// autosuspend); whether it did.
pub fn wait_for_status(dev: &TyrDrmDevice, want: RpmStatus, timeout: Duration) -> bool {
    dev.data().pm().runtime().wait_for_status(want, timeout)
}
