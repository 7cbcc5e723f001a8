// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Runtime power management (`drivers/base/power/runtime.c`, `include/linux/pm_runtime.h`): a device's runtime-PM
//! status, usage count, autosuspend and the system-sleep helpers drivers plug into their `dev_pm_ops`.
//!
//! A [`PmRuntime`] is what `struct dev_pm_info`'s runtime half holds for one device. The driver supplies the
//! `runtime_suspend` / `runtime_resume` callbacks ([`RuntimePmOps`]); the core calls them with its lock dropped,
//! with the status SUSPENDING or RESUMING meanwhile, and every other caller that needs the device in a stable state
//! waits for the transition to end, as `rpm_suspend`/`rpm_resume` do.
//!
//! The rules, as upstream:
//!
//! * A suspend is only allowed with no runtime error, runtime PM enabled (`disable_depth` 0) and a usage count of 0
//!   (`rpm_check_suspend_allowed`: `EINVAL`, `EACCES`, `EAGAIN`). `pm_runtime_forbid` (power/control = "on") holds a
//!   usage reference, so a forbidden device never suspends.
//! * With autosuspend, an idle device is suspended `autosuspend_delay` ms after [`PmRuntime::mark_last_busy`]; a
//!   negative delay prevents runtime suspend (`update_autosuspend`: it takes a usage reference and resumes). The
//!   timer and the asynchronous requests (`RPM_ASYNC`, what `pm_runtime_put_autosuspend` and `pm_runtime_get` use)
//!   run on the device's PM worker thread, the `pm_wq` of this core.
//! * A callback error other than `EAGAIN`/`EBUSY` is recorded as the runtime error: the status is left as it was
//!   before the transition, `runtime_status` reads "error" and every later transition fails with `EINVAL` until the
//!   status is set again ([`PmRuntime::set_active`] / [`PmRuntime::set_suspended`]).
//! * Time is accounted per status (`update_pm_runtime_accounting`): SUSPENDED time to `suspended_time`, every other
//!   status to `active_time`, nothing while runtime PM is disabled.
//!
//! System sleep: [`PmRuntime::force_suspend`] and [`PmRuntime::force_resume`] are `pm_runtime_force_suspend` /
//! `pm_runtime_force_resume`, the system-sleep callbacks Panthor installs. [`PmRuntime::system_suspend`] and
//! [`PmRuntime::system_resume`] add what the PM core does around a device's callback (`device_prepare` takes a usage
//! reference without resuming, `device_complete` drops it), so tests can run a whole s2idle/mem cycle.
//!
//! The clock is CLOCK_MONOTONIC, or a manual clock that only tests move ([`PmRuntime::new_manual_clock`],
//! [`PmRuntime::advance_clock`]), so the autosuspend timer is tested without sleeping.
//!
//! The sysfs side (`drivers/base/power/sysfs.c`, `Documentation/ABI/testing/sysfs-devices-power`) is in [`sysfs`].
//! The state machine itself (`rpm_idle`/`rpm_suspend`/`rpm_resume` and the PM worker) is in `transitions`.

pub mod sysfs;
mod transitions;

use crate::sync::MutexGuard;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::code::{EACCES, EAGAIN, EBUSY, EINPROGRESS, EINVAL};
use crate::error::{Error, Result};
use crate::sync::Mutex;

/// `NSEC_PER_MSEC`.
const NSEC_PER_MSEC: u64 = 1_000_000;

/// The driver's runtime-PM callbacks (`dev_pm_ops.runtime_suspend` / `.runtime_resume`).
pub trait RuntimePmOps: Send + Sync {
    /// Puts the device into a low-power state. An error leaves the device active (`EAGAIN`/`EBUSY`: try later;
    /// anything else is recorded as the runtime error).
    fn runtime_suspend(&self) -> Result;
    /// Brings the device back to full power. An error leaves it suspended, with the runtime error recorded.
    fn runtime_resume(&self) -> Result;
}

/// `enum rpm_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpmStatus {
    /// `RPM_ACTIVE`: fully powered.
    Active,
    /// `RPM_RESUMING`: `runtime_resume` is running.
    Resuming,
    /// `RPM_SUSPENDED`: in its low-power state.
    Suspended,
    /// `RPM_SUSPENDING`: `runtime_suspend` is running.
    Suspending,
}

impl RpmStatus {
    /// The word `power/runtime_status` shows for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            RpmStatus::Active => "active",
            RpmStatus::Resuming => "resuming",
            RpmStatus::Suspended => "suspended",
            RpmStatus::Suspending => "suspending",
        }
    }
}

/// `enum rpm_request`: what the PM worker is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    None,
    Suspend,
    AutoSuspend,
    Resume,
}

/// `RPM_ASYNC`: queue the transition on the PM worker instead of running it.
const RPM_ASYNC: u32 = 0x01;
/// `RPM_AUTO`: honour the autosuspend delay.
const RPM_AUTO: u32 = 0x08;

struct State {
    status: RpmStatus,
    usage_count: i32,
    disable_depth: u32,
    runtime_auto: bool,
    use_autosuspend: bool,
    autosuspend_delay: i32,
    last_busy: u64,
    runtime_error: Option<Error>,
    /// Absolute expiry of the autosuspend timer, 0 when not armed (`timer_expires`).
    timer_expires: u64,
    request: Request,
    needs_force_resume: bool,
    accounting_timestamp: u64,
    /// The thread running a callback now, if any.
    in_callback: Option<std::thread::ThreadId>,
    active_time: u64,
    suspended_time: u64,
    stop: bool,
}

enum Clock {
    Monotonic,
    Manual(AtomicU64),
}

impl Clock {
    fn now(&self) -> u64 {
        match self {
            Clock::Monotonic => crate::time::ktime_get_ns(),
            Clock::Manual(ns) => ns.load(Ordering::Acquire),
        }
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled on every status change, new request or timer change.
    cond: Condvar,
    ops: Mutex<Option<Weak<dyn RuntimePmOps>>>,
    clock: Clock,
    /// The PM worker's thread: it runs callbacks, so it must never wait for a transition (its own) to end.
    worker_thread: std::sync::OnceLock<std::thread::ThreadId>,
}

/// One device's runtime-PM state (`dev->power`'s runtime fields) and its PM worker.
///
/// A new device is SUSPENDED with runtime PM disabled (`pm_runtime_init`), "auto" (not forbidden) and without
/// autosuspend, as upstream; a driver enables it ([`Self::enable`]) in probe.
pub struct PmRuntime {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

impl PmRuntime {
    /// A device on CLOCK_MONOTONIC.
    ///
    /// Errors: `ENOMEM` when the PM worker thread cannot be started.
    pub fn new() -> Result<Self> {
        Self::with_clock(Clock::Monotonic)
    }

    /// A device on a manual clock that starts at `start_ns` and moves only by [`Self::advance_clock`].
    pub fn new_manual_clock(start_ns: u64) -> Result<Self> {
        Self::with_clock(Clock::Manual(AtomicU64::new(start_ns)))
    }

    fn with_clock(clock: Clock) -> Result<Self> {
        let now = clock.now();
        let shared = crate::alloc::try_arc(Shared {
            state: Mutex::new(State {
                status: RpmStatus::Suspended,
                usage_count: 0,
                disable_depth: 1,
                runtime_auto: true,
                use_autosuspend: false,
                autosuspend_delay: 0,
                last_busy: now,
                runtime_error: None,
                timer_expires: 0,
                request: Request::None,
                needs_force_resume: false,
                accounting_timestamp: now,
                in_callback: None,
                active_time: 0,
                suspended_time: 0,
                stop: false,
            }),
            cond: Condvar::new(),
            ops: Mutex::new(None),
            clock,
            worker_thread: std::sync::OnceLock::new(),
        })?;
        let s = shared.clone();
        let worker = std::thread::Builder::new()
            .name("pm_wq".into())
            .spawn(move || {
                let _ = s.worker_thread.set(std::thread::current().id());
                s.worker()
            })
            .map_err(|_| crate::error::code::ENOMEM)?;
        Ok(Self {
            shared,
            worker: Some(worker),
        })
    }

    /// Installs the driver's callbacks (held weakly: a callback whose owner is gone counts as a success).
    pub fn set_ops(&self, ops: Weak<dyn RuntimePmOps>) {
        *self.shared.ops.lock() = Some(ops);
    }

    /// Moves a manual clock forward by `ns` and lets the worker look at its timer; no effect on CLOCK_MONOTONIC.
    pub fn advance_clock(&self, ns: u64) {
        if let Clock::Manual(c) = &self.shared.clock {
            // The state lock orders the clock change against the worker's check-then-wait.
            let _st = self.shared.lock();
            c.fetch_add(ns, Ordering::AcqRel);
            self.shared.cond.notify_all();
        }
    }

    /// The clock's current value in ns.
    pub fn now_ns(&self) -> u64 {
        self.shared.clock.now()
    }

    // ---- references ----

    /// `pm_runtime_get_sync`: takes a usage reference and resumes the device synchronously. `Ok(1)` if it was
    /// already active, `Ok(0)` if it was resumed. On error the reference is kept, as upstream.
    pub fn get_sync(&self) -> Result<i32> {
        let mut st = self.shared.lock();
        st.usage_count += 1;
        self.shared.rpm_resume(st, 0).1
    }

    /// `pm_runtime_resume_and_get`: [`Self::get_sync`] that drops the reference again on failure.
    pub fn resume_and_get(&self) -> Result {
        let mut st = self.shared.lock();
        st.usage_count += 1;
        let (mut st, r) = self.shared.rpm_resume(st, 0);
        if let Err(e) = r {
            st.usage_count -= 1;
            return Err(e);
        }
        Ok(())
    }

    /// `pm_runtime_get`: takes a usage reference and queues a resume on the PM worker.
    pub fn get(&self) -> Result<i32> {
        let mut st = self.shared.lock();
        st.usage_count += 1;
        self.shared.rpm_resume(st, RPM_ASYNC).1
    }

    /// `pm_runtime_get_noresume`: takes a usage reference only.
    pub fn get_noresume(&self) {
        self.shared.lock().usage_count += 1;
    }

    /// `pm_runtime_get_if_active`: takes a usage reference if, and only if, the device is ACTIVE.
    pub fn get_if_active(&self) -> bool {
        let mut st = self.shared.lock();
        if st.status == RpmStatus::Active && st.disable_depth == 0 {
            st.usage_count += 1;
            true
        } else {
            false
        }
    }

    /// `pm_runtime_put`: drops a usage reference; at 0, queues an idle check (which suspends, honouring
    /// autosuspend). `EINVAL` if the count was already 0 (upstream warns and leaves it at 0).
    pub fn put(&self) -> Result {
        let mut st = self.shared.lock();
        drop_usage(&mut st)?;
        if st.usage_count == 0 {
            let _ = self.shared.rpm_idle(st, RPM_ASYNC);
        }
        Ok(())
    }

    /// `pm_runtime_put_noidle`: drops a usage reference without looking at whether the device may suspend.
    pub fn put_noidle(&self) {
        let mut st = self.shared.lock();
        let _ = drop_usage(&mut st);
    }

    /// `pm_runtime_put_autosuspend`: marks the device busy now (upstream does since 6.17), drops a usage reference
    /// and, at 0, queues an autosuspend.
    pub fn put_autosuspend(&self) -> Result {
        let mut st = self.shared.lock();
        st.last_busy = self.shared.clock.now();
        drop_usage(&mut st)?;
        if st.usage_count == 0 {
            let _ = self.shared.rpm_suspend(st, RPM_ASYNC | RPM_AUTO);
        }
        Ok(())
    }

    /// `pm_runtime_put_sync_suspend`: drops a usage reference and, at 0, suspends now (no autosuspend delay).
    pub fn put_sync_suspend(&self) -> Result {
        let mut st = self.shared.lock();
        drop_usage(&mut st)?;
        if st.usage_count == 0 {
            return self.shared.rpm_suspend(st, 0).1.map(drop);
        }
        Ok(())
    }

    /// `pm_runtime_mark_last_busy`: the autosuspend delay counts from now.
    pub fn mark_last_busy(&self) {
        let mut st = self.shared.lock();
        st.last_busy = self.shared.clock.now();
    }

    // ---- configuration ----

    /// `pm_runtime_enable`: drops one level of disabling; at 0 runtime PM runs (and time accounting restarts).
    pub fn enable(&self) {
        let mut st = self.shared.lock();
        if st.disable_depth == 0 {
            // Upstream warns about an unbalanced enable.
            return;
        }
        st.disable_depth -= 1;
        if st.disable_depth == 0 {
            st.accounting_timestamp = self.shared.clock.now();
        }
    }

    /// `pm_runtime_disable`: cancels pending requests and the timer, waits for a running transition to end, and
    /// disables runtime PM (nesting).
    pub fn disable(&self) {
        let st = self.shared.lock();
        let mut st = self.shared.barrier(st);
        self.shared.update_accounting(&mut st);
        st.disable_depth += 1;
    }

    /// `pm_runtime_set_autosuspend_delay`: a negative delay prevents runtime suspend; from non-negative to
    /// negative it takes a usage reference and resumes, back to non-negative it drops it and lets the device idle.
    pub fn set_autosuspend_delay(&self, delay_ms: i32) {
        let mut st = self.shared.lock();
        let (old_delay, old_use) = (st.autosuspend_delay, st.use_autosuspend);
        st.autosuspend_delay = delay_ms;
        self.shared.update_autosuspend(st, old_delay, old_use);
    }

    /// `pm_runtime_use_autosuspend` (`true`) / `pm_runtime_dont_use_autosuspend` (`false`).
    pub fn use_autosuspend(&self, on: bool) {
        let mut st = self.shared.lock();
        let (old_delay, old_use) = (st.autosuspend_delay, st.use_autosuspend);
        st.use_autosuspend = on;
        self.shared.update_autosuspend(st, old_delay, old_use);
    }

    /// `pm_runtime_forbid` (power/control = "on"): takes a usage reference and resumes the device; a no-op when
    /// already forbidden.
    pub fn forbid(&self) {
        let mut st = self.shared.lock();
        if !st.runtime_auto {
            return;
        }
        st.runtime_auto = false;
        st.usage_count += 1;
        let _ = self.shared.rpm_resume(st, 0);
    }

    /// `pm_runtime_allow` (power/control = "auto"): drops the reference [`Self::forbid`] took and queues an idle
    /// check (the suspend, if due, runs on the PM worker); a no-op when already allowed.
    pub fn allow(&self) {
        let mut st = self.shared.lock();
        if st.runtime_auto {
            return;
        }
        st.runtime_auto = true;
        if drop_usage(&mut st).is_ok() && st.usage_count == 0 {
            let _ = self.shared.rpm_idle(st, RPM_AUTO | RPM_ASYNC);
        }
    }

    /// `pm_runtime_set_active`: with runtime PM disabled or after a runtime error, declares the device ACTIVE and
    /// clears the error. `EAGAIN` while runtime PM is enabled and working.
    pub fn set_active(&self) -> Result {
        self.set_status(RpmStatus::Active)
    }

    /// `pm_runtime_set_suspended`: with runtime PM disabled or after a runtime error, declares the device SUSPENDED
    /// and clears the error (how a driver recovers from a failed resume). `EAGAIN` while runtime PM is enabled and
    /// working.
    pub fn set_suspended(&self) -> Result {
        self.set_status(RpmStatus::Suspended)
    }

    /// `__pm_runtime_set_status`: allowed while runtime PM is disabled, or enabled but stopped by a runtime error
    /// (upstream disables it for the change and enables it again, which leaves `disable_depth` as it was).
    fn set_status(&self, status: RpmStatus) -> Result {
        let mut st = self.shared.lock();
        if st.disable_depth == 0 && st.runtime_error.is_none() {
            return Err(EAGAIN);
        }
        st.runtime_error = None;
        self.shared.set_status(&mut st, status);
        Ok(())
    }

    // ---- system sleep ----

    /// `pm_runtime_force_suspend`: disables runtime PM and, unless the device is suspended already, runs its
    /// `runtime_suspend` callback. If the device is still in use (usage count above the reference the PM core's
    /// prepare step holds) it is marked to be resumed by [`Self::force_resume`]; otherwise it stays suspended after
    /// the system resumes, until someone needs it. A failed callback re-enables runtime PM and returns the error.
    pub fn force_suspend(&self) -> Result {
        self.disable();
        let mut st = self.shared.lock();
        if st.status == RpmStatus::Suspended || st.needs_force_resume {
            return Ok(());
        }
        drop(st);
        let r = self.shared.call(false);
        st = self.shared.lock();
        if let Err(e) = r {
            drop(st);
            self.enable();
            return Err(e);
        }
        self.shared.set_status(&mut st, RpmStatus::Suspended);
        // `pm_runtime_need_not_resume`: no user besides the PM core's own reference, so it may stay suspended.
        if st.usage_count > 1 {
            st.needs_force_resume = true;
        }
        Ok(())
    }

    /// `pm_runtime_force_resume`: runs `runtime_resume` if [`Self::force_suspend`] marked the device as needing it,
    /// then re-enables runtime PM. A failed callback leaves the device SUSPENDED and returns the error.
    pub fn force_resume(&self) -> Result {
        let st = self.shared.lock();
        let needed = st.needs_force_resume;
        drop(st);
        let mut r = Ok(());
        if needed {
            r = self.shared.call(true);
            let mut st = self.shared.lock();
            match r {
                Ok(()) => {
                    self.shared.set_status(&mut st, RpmStatus::Active);
                    st.last_busy = self.shared.clock.now();
                }
                Err(_) => self.shared.set_status(&mut st, RpmStatus::Suspended),
            }
        }
        self.shared.lock().needs_force_resume = false;
        self.enable();
        r
    }

    /// A system suspend as the PM core runs it for this device: `device_prepare` (usage reference without resume,
    /// pending work flushed), then the device's suspend callback, [`Self::force_suspend`]. On failure the
    /// reference is dropped again.
    pub fn system_suspend(&self) -> Result {
        self.get_noresume();
        {
            let st = self.shared.lock();
            drop(self.shared.barrier(st));
        }
        let r = self.force_suspend();
        if r.is_err() {
            let _ = self.put();
        }
        r
    }

    /// The matching system resume: [`Self::force_resume`], then `device_complete`'s `pm_runtime_put`.
    pub fn system_resume(&self) -> Result {
        let r = self.force_resume();
        let _ = self.put();
        r
    }

    // ---- state ----

    /// The runtime status.
    pub fn status(&self) -> RpmStatus {
        self.shared.lock().status
    }

    /// The usage count (`power/runtime_usage`).
    pub fn usage_count(&self) -> i32 {
        self.shared.lock().usage_count
    }

    /// Whether runtime PM is enabled (`disable_depth` 0).
    pub fn enabled(&self) -> bool {
        self.shared.lock().disable_depth == 0
    }

    /// `runtime_auto`: false when user space forbade runtime PM (power/control = "on").
    pub fn runtime_auto(&self) -> bool {
        self.shared.lock().runtime_auto
    }

    /// The runtime error recorded by a failed callback, if any.
    pub fn runtime_error(&self) -> Option<Error> {
        self.shared.lock().runtime_error
    }

    /// Whether autosuspend is in use, and the delay in ms.
    pub fn autosuspend(&self) -> (bool, i32) {
        let st = self.shared.lock();
        (st.use_autosuspend, st.autosuspend_delay)
    }

    /// When the autosuspend timer fires (clock ns), if armed.
    pub fn timer_expires(&self) -> Option<u64> {
        let t = self.shared.lock().timer_expires;
        (t != 0).then_some(t)
    }

    /// `pm_runtime_active_time`: ns spent in any status but SUSPENDED while runtime PM was enabled.
    pub fn active_time_ns(&self) -> u64 {
        let mut st = self.shared.lock();
        self.shared.update_accounting(&mut st);
        st.active_time
    }

    /// `pm_runtime_suspended_time`: ns spent SUSPENDED while runtime PM was enabled.
    pub fn suspended_time_ns(&self) -> u64 {
        let mut st = self.shared.lock();
        self.shared.update_accounting(&mut st);
        st.suspended_time
    }

    /// Waits up to `timeout` (real time) for the status to become `want`; whether it did. For tests and tools that
    /// need to observe a transition the PM worker makes.
    pub fn wait_for_status(&self, want: RpmStatus, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            if st.status == want {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = st.wait_timeout(&self.shared.cond, deadline - now).0;
        }
    }
}

impl Drop for PmRuntime {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.cond.notify_all();
        if let Some(w) = self.worker.take() {
            // Dropped from one of its own callbacks (the callback held the last reference to its owner): the
            // worker stops by itself once the callback returns.
            if !self.shared.on_worker() {
                let _ = w.join();
            }
        }
    }
}

/// `rpm_drop_usage_count`: `EINVAL` (count left at 0) when there is no reference to drop.
fn drop_usage(st: &mut State) -> Result {
    if st.usage_count <= 0 {
        return Err(EINVAL);
    }
    st.usage_count -= 1;
    Ok(())
}

type Guard<'a> = MutexGuard<'a, State>;

#[cfg(test)]
mod tests;
