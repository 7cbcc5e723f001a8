// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The scheduler's side of power management (`panthor_sched_suspend`, `panthor_sched_resume` and the scheduler's
//! runtime-PM reference in `tick_work` / `queue_run_job`).
//!
//! * Each worker round that may touch the GPU runs under a runtime-PM reference (`tick_work`:
//!   `panthor_device_resume_and_get` … `pm_runtime_put_autosuspend`). When the device is not active, a round takes
//!   one only if work needs the GPU (a group that can run has jobs in flight on its ring), resuming the device from
//!   the worker; otherwise it does what needs no GPU and leaves the device asleep. A round that did nothing drops
//!   its reference without marking the device busy, so an idle worker's periodic look does not keep it awake.
//! * Beyond that, the scheduler holds one reference while any group has jobs in flight, and drops it (with the
//!   autosuspend mark) once none has (`sched->pm.has_ref`): an idle device then suspends after the autosuspend
//!   delay even with idle groups still on slots.
//! * [`Scheduler::suspend`] (runtime or system suspend) takes every resident group off its slot with a CSG SUSPEND,
//!   so the firmware saves its state in the group's suspend buffer; a group whose suspend the firmware does not
//!   acknowledge is terminated, as Panthor does. [`Scheduler::resume`] forces a round, which gives the runnable
//!   groups slots again (RESUME from their suspend buffers).

use crate::pm::GpuRpm;
use kernel::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Scheduler;

/// The scheduler's link to the device's runtime PM.
pub(super) struct PmLink {
    pm: Option<GpuRpm>,
    /// Whether the scheduler holds its "groups are active" reference (`sched->pm.has_ref`).
    has_ref: Mutex<bool>,
    /// Between [`Scheduler::suspend`] and [`Scheduler::resume`]: no round touches the GPU, whatever reference it
    /// got (during a system sleep runtime PM is disabled, and a resume request on a still-ACTIVE device succeeds
    /// without waking anything).
    suspended: AtomicBool,
}

impl PmLink {
    pub(super) fn new(pm: Option<GpuRpm>) -> Self {
        Self {
            pm,
            has_ref: Mutex::new(false),
            suspended: AtomicBool::new(false),
        }
    }
}

impl Scheduler {
    /// Whether some group that can run has jobs in flight: the GPU is needed to run (or finish) them.
    pub(super) fn needs_gpu(&self) -> bool {
        self.inner()
            .groups
            .iter()
            .any(|g| g.can_run() && g.queues.iter().any(|q| q.has_in_flight()))
    }

    /// Takes the round's runtime-PM reference if the device is active, or resumes it if work needs the GPU; whether
    /// the round may touch the GPU. Called without the scheduler's lock: the suspend callback takes it.
    pub(super) fn pm_get(&self) -> bool {
        let Some(pm) = &self.pm.pm else { return true };
        if pm.get_if_active() {
            return true;
        }
        if self.needs_gpu() {
            return match pm.resume_and_get() {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(errno = e.to_errno(), "scheduler: resuming the GPU failed");
                    false
                }
            };
        }
        false
    }

    /// Ends a round that held a reference: takes or drops the scheduler's own reference as jobs are in flight or
    /// not, then drops the round's (marking the device busy if the round did anything).
    pub(super) fn pm_put(&self, did: bool) {
        let Some(pm) = &self.pm.pm else { return };
        let active = self
            .inner()
            .groups
            .iter()
            .any(|g| g.queues.iter().any(|q| q.has_in_flight()));
        {
            let mut has_ref = self.pm.has_ref.lock();
            if active && !*has_ref {
                pm.get_noresume();
                *has_ref = true;
            } else if !active && *has_ref {
                let _ = pm.put_autosuspend();
                *has_ref = false;
            }
        }
        let _ = if did { pm.put_autosuspend() } else { pm.put() };
    }

    /// `panthor_sched_suspend`: every resident group is SUSPENDed off its slot (terminated if the firmware does not
    /// acknowledge). The MCU must still run.
    pub(crate) fn suspend(&self) {
        let mut inner = self.inner();
        self.pm.suspended.store(true, Ordering::Release);
        for s in 0..inner.slots.len() {
            if inner.slots[s].is_some() {
                // A failed suspend has terminated the group (its fences fail); nothing else to undo.
                let _ = self.evict(&mut inner, s, false);
            }
        }
    }

    /// `panthor_sched_resume`: a round at once, which schedules the runnable groups again.
    pub(crate) fn resume(&self) {
        {
            let _inner = self.inner();
            self.pm.suspended.store(false, Ordering::Release);
        }
        self.kick();
    }

    /// Whether the scheduler is suspended (read under the scheduler's lock for a decision that touches the GPU).
    pub(super) fn is_suspended(&self) -> bool {
        self.pm.suspended.load(Ordering::Acquire)
    }

    /// Drops the scheduler's own reference (`panthor_sched_unplug`), before the device goes away.
    pub(crate) fn pm_unplug(&self) {
        if let Some(pm) = &self.pm.pm {
            let mut has_ref = self.pm.has_ref.lock();
            if core::mem::take(&mut *has_ref) {
                pm.put_noidle();
            }
        }
    }

    /// Whether the scheduler holds its reference now (debugfs).
    pub(crate) fn pm_has_ref(&self) -> bool {
        *self.pm.has_ref.lock()
    }
}
