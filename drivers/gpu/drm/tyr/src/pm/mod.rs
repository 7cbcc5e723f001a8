// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Power management as Panthor does it (`panthor_device.c`: `panthor_device_suspend` / `panthor_device_resume`,
//! the runtime-PM setup in `panthor_device_init`, and `panthor_pm_ops`).
//!
//! The device's runtime PM ([`kernel::pm_runtime::PmRuntime`]) runs with autosuspend after
//! [`AUTOSUSPEND_DELAY_MS`] (Panthor's "~3 frames"). Probe holds a reference while it brings the GPU up and drops it
//! with `pm_runtime_put_autosuspend` once the device is registered. Who holds references afterwards:
//!
//! * the scheduler, in each round that touches the GPU and while jobs are in flight (`crate::sched`'s `suspend`
//!   module): a submission to a sleeping GPU resumes it from the scheduler's worker, transparently to the client;
//! * DEV_QUERY TIMESTAMP_INFO, which reads GPU registers (`panthor_query_timestamp_info`);
//! * user space, through `power/control` = "on" (`pm_runtime_forbid`) or a negative `power/autosuspend_delay_ms`.
//!
//! Nothing else touches the hardware while the device sleeps: VM binds on VMs without an address space skip the
//! MMU, and a read of the LATEST_FLUSH_ID page returns what Panthor's dummy page holds (1: no flush needed).
//!
//! **Runtime suspend** (`panthor_device_suspend`): the scheduler suspends every resident group into its suspend
//! buffer; the firmware halts the MCU (a clean halt makes the resume *fast*: the MCU keeps its memory); the MMU
//! gives up every address space, AS 0 included; the GPU block powers the L2 down (or soft-resets after an unclean
//! halt) and masks its interrupt. **Runtime resume** (`panthor_device_resume`): the GPU block unmasks its
//! interrupt and powers the L2 up, the MMU unmasks faults, the firmware boots the MCU again (AS 0, HALT cleared,
//! MCU_CONTROL AUTO, global init); a failed fast resume is retried as a slow one; then the scheduler runs a round,
//! which puts the runnable groups back on slots (CSG RESUME from their suspend buffers).
//!
//! **System sleep** (`SYSTEM_SLEEP_PM_OPS(pm_runtime_force_suspend, pm_runtime_force_resume)`): [`system_suspend`]
//! suspends the device whatever it was doing (jobs in flight are preempted into their groups' suspend buffers) and
//! [`system_resume`] resumes it if it was in use, so the preempted jobs run to completion; an idle device stays
//! asleep until someone needs it.
//!
//! **A failed resume** leaves runtime PM with a runtime error, which makes every later resume fail with `EINVAL`.
//! As Panthor (`panthor_device_resume_and_get`, "Be robust against resume failures"), the failure marks recovery
//! as needed, and the first taker of a reference that then fails sets the device SUSPENDED again, clearing the error,
//! so that the next attempt really resumes ([`GpuRpm::resume_and_get`]).
//!
//! Every transition is counted and timed in [`PmStats`], which `tyr::debugfs::pm` shows.

mod gpu;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use kernel::error::Result;
use kernel::pm_runtime::{PmRuntime, RuntimePmOps};
use kernel::sync::Mutex;

use crate::drm_device::{TyrData, TyrDrmDevice};

pub use kernel::pm_runtime::RpmStatus;

/// The autosuspend delay Panthor sets (`pm_runtime_set_autosuspend_delay(dev, 50)`: "~3 frames").
pub const AUTOSUSPEND_DELAY_MS: i32 = 50;

/// Transition counts and latencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PmStats {
    /// Suspends that completed (runtime and system).
    pub suspends: u64,
    /// Resumes that completed.
    pub resumes: u64,
    /// Suspends after which the MCU had not halted cleanly (slow resume needed).
    pub unclean_halts: u64,
    /// Resumes that failed.
    pub failed_resumes: u64,
    /// How long the last suspend took.
    pub last_suspend: Option<Duration>,
    /// How long the last resume took.
    pub last_resume: Option<Duration>,
}

/// The driver's runtime-PM callbacks: the device they act on and what they record.
struct PmOps {
    dev: Weak<TyrDrmDevice>,
    stats: Arc<Mutex<PmStats>>,
    /// Set by a failed resume (`ptdev->pm.recovery_needed`).
    recovery_needed: Arc<AtomicBool>,
    /// The last suspend halted the MCU cleanly (`ptdev->reset.fast`).
    fast: AtomicBool,
}

impl RuntimePmOps for PmOps {
    fn runtime_suspend(&self) -> Result {
        let Some(dev) = self.dev.upgrade() else {
            return Ok(());
        };
        let t = Instant::now();
        // `drm_dev_enter` fails on a device given up after a failed reset: its hardware is left alone, only devfreq
        // stops.
        if !dev.is_unplugged() {
            self.fast
                .store(device_suspend(dev.data()), Ordering::Release);
        }
        let fast = self.fast.load(Ordering::Acquire);
        // `panthor_device_suspend`: devfreq stops after the hardware is down (its monitor would otherwise sample a
        // GPU that is off).
        if let Err(e) = dev.data().devfreq().suspend() {
            tracing::error!(errno = e.to_errno(), "devfreq suspend failed");
        }
        let mut s = self.stats.lock();
        s.suspends += 1;
        s.unclean_halts += u64::from(!fast);
        s.last_suspend = Some(t.elapsed());
        tracing::info!(
            target: "tyr::pm",
            to = "suspended",
            clean = fast,
            us = t.elapsed().as_micros() as u64,
            "pm transition"
        );
        Ok(())
    }

    fn runtime_resume(&self) -> Result {
        let Some(dev) = self.dev.upgrade() else {
            return Ok(());
        };
        let t = Instant::now();
        // `panthor_device_resume`: devfreq restarts before the hardware comes back.
        if let Err(e) = dev.data().devfreq().resume() {
            tracing::error!(errno = e.to_errno(), "devfreq resume failed");
        }
        // As in the suspend: an unplugged device's hardware is not brought back.
        let r = if dev.is_unplugged() {
            Ok(())
        } else {
            device_resume(dev.data(), self.fast.load(Ordering::Acquire))
        };
        let mut s = self.stats.lock();
        match r {
            Ok(()) => {
                s.resumes += 1;
                s.last_resume = Some(t.elapsed());
                tracing::info!(
                    target: "tyr::pm",
                    to = "active",
                    us = t.elapsed().as_micros() as u64,
                    "pm transition"
                );
            }
            Err(_) => {
                s.failed_resumes += 1;
                self.recovery_needed.store(true, Ordering::Release);
            }
        }
        r
    }
}

/// `panthor_device_suspend`'s hardware part; returns whether the MCU halted cleanly.
fn device_suspend(d: &TyrData) -> bool {
    let _span = tracing::debug_span!(target: "tyr::pm", "device_suspend").entered();
    d.sched().suspend();
    let fast = d.hw().fw().suspend();
    d.mmu().suspend();
    gpu::suspend(d.hw().iomem(), d.gpu_info().l2_present as u32, fast);
    fast
}

/// `panthor_device_resume_hw_components`: GPU, MMU, firmware; undone (MMU, GPU) if the firmware does not boot.
fn resume_hw(d: &TyrData, fast: bool) -> Result {
    let io = d.hw().iomem();
    let l2 = d.gpu_info().l2_present as u32;
    if let Err(e) = gpu::resume(io, l2) {
        // `panthor_gpu_resume` does not fail; the firmware's boot below will.
        tracing::error!(errno = e.to_errno(), "GPU resume: L2 power-up failed");
    }
    let r = d
        .mmu()
        .resume()
        .and_then(|()| d.hw().fw().resume(fast, d.hw().ram()));
    if r.is_err() {
        d.mmu().suspend();
        gpu::suspend(io, l2, fast);
    }
    r
}

/// `panthor_device_resume`'s hardware part: a failed fast resume is retried as a slow one; the scheduler resumes
/// once the firmware runs.
fn device_resume(d: &TyrData, fast: bool) -> Result {
    let _span = tracing::debug_span!(target: "tyr::pm", "device_resume", fast).entered();
    let mut r = resume_hw(d, fast);
    if r.is_err() && fast {
        tracing::error!("Fast reset failed, trying a slow reset");
        // `resume_hw` powered the L2 down again; a slow resume starts from a soft reset.
        gpu::suspend(d.hw().iomem(), d.gpu_info().l2_present as u32, false);
        r = resume_hw(d, false);
    }
    if r.is_ok() {
        d.sched().resume();
    }
    r
}

/// The device's power management: its runtime PM, the callbacks and their statistics.
pub(crate) struct DevicePm {
    rpm: GpuRpm,
    ops: OnceLock<Arc<PmOps>>,
    stats: Arc<Mutex<PmStats>>,
}

/// The device's runtime PM as its users take references on it: the [`PmRuntime`], and the flag a failed resume
/// raises so that the next taker recovers.
#[derive(Clone)]
pub(crate) struct GpuRpm {
    rpm: Arc<PmRuntime>,
    recovery_needed: Arc<AtomicBool>,
}

impl GpuRpm {
    /// `panthor_device_resume_and_get`: `pm_runtime_resume_and_get`, and after a failure while a failed resume left
    /// recovery needed, `pm_runtime_set_suspended` (once, for whichever thread gets there first) to clear the runtime
    /// error. This call still fails; the next one resumes for real. A thread that fails on an error another thread's
    /// resume left reports that error without having tried, as upstream accepts.
    pub(crate) fn resume_and_get(&self) -> Result {
        let r = self.rpm.resume_and_get();
        if r.is_err()
            && self
                .recovery_needed
                .compare_exchange(true, false, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            if let Err(e) = self.rpm.set_suspended() {
                tracing::error!(
                    errno = e.to_errno(),
                    "clearing the failed resume's runtime error"
                );
            }
        }
        r
    }
}

impl core::ops::Deref for GpuRpm {
    type Target = PmRuntime;

    fn deref(&self) -> &PmRuntime {
        &self.rpm
    }
}

impl DevicePm {
    /// Runtime PM for a device being probed: enabled, ACTIVE, with probe's reference held (`devm_pm_runtime_enable`
    /// + `pm_runtime_resume_and_get` on a powered device).
    pub(crate) fn new() -> Result<Self> {
        let rpm = Arc::new(PmRuntime::new()?);
        rpm.set_active()?;
        rpm.enable();
        rpm.get_noresume();
        Ok(Self {
            rpm: GpuRpm {
                rpm,
                recovery_needed: Arc::new(AtomicBool::new(false)),
            },
            ops: OnceLock::new(),
            stats: Arc::new(Mutex::new(PmStats::default())),
        })
    }

    /// The runtime-PM state.
    pub(crate) fn runtime(&self) -> &Arc<PmRuntime> {
        &self.rpm.rpm
    }

    /// The runtime PM as the scheduler takes references on it.
    pub(crate) fn gpu_rpm(&self) -> GpuRpm {
        self.rpm.clone()
    }

    /// What the transitions recorded.
    pub(crate) fn stats(&self) -> PmStats {
        *self.stats.lock()
    }

    /// The end of probe: the callbacks installed for `dev`, autosuspend at [`AUTOSUSPEND_DELAY_MS`], probe's
    /// reference dropped (`pm_runtime_put_autosuspend`).
    pub(crate) fn probed(&self, dev: &Arc<TyrDrmDevice>) {
        let ops = self.ops.get_or_init(|| {
            Arc::new(PmOps {
                dev: Arc::downgrade(dev),
                stats: self.stats.clone(),
                recovery_needed: self.rpm.recovery_needed.clone(),
                fast: AtomicBool::new(true),
            })
        });
        let weak: Weak<dyn RuntimePmOps> = Arc::downgrade(&(ops.clone() as Arc<dyn RuntimePmOps>));
        self.rpm.set_ops(weak);
        self.rpm.set_autosuspend_delay(AUTOSUSPEND_DELAY_MS);
        self.rpm.use_autosuspend(true);
        let _ = self.rpm.put_autosuspend();
    }

    /// A reference that keeps the GPU powered while it lives (`pm_runtime_resume_and_get` … `pm_runtime_put`).
    pub(crate) fn get(&self) -> Result<PmRef<'_>> {
        self.rpm.resume_and_get()?;
        Ok(PmRef { rpm: &self.rpm })
    }

    /// The start of `panthor_device_unplug`: the device resumed and runtime PM off, so that teardown finds the
    /// hardware as probe left it and no callback runs during it.
    pub(crate) fn unplug(&self) {
        let _ = self.rpm.get_sync();
        self.rpm.disable();
    }
}

/// A runtime-PM reference from [`DevicePm::get`].
pub(crate) struct PmRef<'a> {
    rpm: &'a PmRuntime,
}

impl Drop for PmRef<'_> {
    fn drop(&mut self) {
        let _ = self.rpm.put();
    }
}

/// System suspend (s2idle or mem) of the device: `device_prepare`'s reference, then `pm_runtime_force_suspend`.
/// Jobs in flight are preempted: their groups are suspended with their state saved, and run on after
/// [`system_resume`].
pub fn system_suspend(dev: &TyrDrmDevice) -> Result {
    dev.data().pm().runtime().system_suspend()
}

/// System resume: `pm_runtime_force_resume` (the device is resumed if it was in use when the system slept), then
/// `device_complete`'s put.
pub fn system_resume(dev: &TyrDrmDevice) -> Result {
    dev.data().pm().runtime().system_resume()
}
