// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The runtime-PM state machine behind [`super::PmRuntime`] (`drivers/base/power/runtime.c`): status and time
//! accounting, the callbacks run without the lock, `rpm_idle`/`rpm_suspend`/`rpm_resume` with their asynchronous and
//! autosuspend variants, `update_autosuspend`, and the PM worker that runs queued requests and the autosuspend timer.

use std::sync::Weak;
use std::time::Duration;

use super::*;

impl Shared {
    pub(super) fn lock(&self) -> Guard<'_> {
        self.state.lock()
    }

    pub(super) fn update_accounting(&self, st: &mut State) {
        let now = self.clock.now();
        let delta = now.saturating_sub(st.accounting_timestamp);
        st.accounting_timestamp = now;
        if st.disable_depth > 0 {
            return;
        }
        if st.status == RpmStatus::Suspended {
            st.suspended_time += delta;
        } else {
            st.active_time += delta;
        }
    }

    /// `__update_runtime_status`.
    pub(super) fn set_status(&self, st: &mut State, status: RpmStatus) {
        self.update_accounting(st);
        st.status = status;
        self.cond.notify_all();
    }

    /// Runs `runtime_resume` (`resume`) or `runtime_suspend` without the lock.
    pub(super) fn call(&self, resume: bool) -> Result {
        let me = std::thread::current().id();
        self.lock().in_callback = Some(me);
        let ops = self.ops.lock().as_ref().and_then(Weak::upgrade);
        let r = match &ops {
            Some(o) if resume => o.runtime_resume(),
            Some(o) => o.runtime_suspend(),
            None => Ok(()),
        };
        self.lock().in_callback = None;
        // The callbacks' owner may go away with this last reference: after the state is consistent again.
        drop(ops);
        r
    }

    /// Records a callback's error as `rpm_callback` does; `EACCES` counts as `EAGAIN`.
    pub(super) fn record_error(st: &mut State, e: Error) -> Error {
        let e = if e == EACCES { EAGAIN } else { e };
        if e != EAGAIN && e != EBUSY {
            st.runtime_error = Some(e);
        }
        e
    }

    /// Whether the caller runs on the PM worker.
    pub(super) fn on_worker(&self) -> bool {
        self.worker_thread.get() == Some(&std::thread::current().id())
    }

    /// Waits while a transition runs. From inside a callback the running transition is the caller's own (its owner
    /// being torn down from there, say): nothing to wait for.
    pub(super) fn wait_stable<'a>(&self, mut st: Guard<'a>) -> Guard<'a> {
        if st.in_callback == Some(std::thread::current().id()) {
            return st;
        }
        while matches!(st.status, RpmStatus::Suspending | RpmStatus::Resuming) {
            st = st.wait(&self.cond);
        }
        st
    }

    /// `pm_runtime_barrier` without the resume: drops pending requests and the timer, waits for a transition.
    pub(super) fn barrier<'a>(&self, mut st: Guard<'a>) -> Guard<'a> {
        st.request = Request::None;
        st.timer_expires = 0;
        self.wait_stable(st)
    }

    pub(super) fn queue(&self, st: &mut State, req: Request) {
        st.request = req;
        self.cond.notify_all();
    }

    /// `pm_runtime_autosuspend_expiration`: 0 when autosuspend does not apply.
    pub(super) fn autosuspend_expiration(&self, st: &State) -> u64 {
        if !st.use_autosuspend || st.autosuspend_delay < 0 {
            return 0;
        }
        st.last_busy + st.autosuspend_delay as u64 * NSEC_PER_MSEC
    }

    /// `rpm_check_suspend_allowed`.
    pub(super) fn suspend_allowed(st: &State) -> Result {
        if st.runtime_error.is_some() {
            Err(EINVAL)
        } else if st.disable_depth > 0 {
            Err(EACCES)
        } else if st.usage_count > 0 || st.request == Request::Resume {
            // A pending resume request takes precedence over a suspend.
            Err(EAGAIN)
        } else {
            Ok(())
        }
    }

    /// `rpm_idle`: there is no idle callback, so an idle device goes to `rpm_suspend` with `RPM_AUTO`.
    pub(super) fn rpm_idle<'a>(&'a self, st: Guard<'a>, flags: u32) -> (Guard<'a>, Result<i32>) {
        if let Err(e) = Self::suspend_allowed(&st) {
            return (st, Err(e));
        }
        if st.status != RpmStatus::Active {
            return (st, Err(EAGAIN));
        }
        self.rpm_suspend(st, flags | RPM_AUTO)
    }

    /// `rpm_suspend`.
    pub(super) fn rpm_suspend<'a>(
        &'a self,
        mut st: Guard<'a>,
        flags: u32,
    ) -> (Guard<'a>, Result<i32>) {
        loop {
            if let Err(e) = Self::suspend_allowed(&st) {
                return (st, Err(e));
            }
            if st.status == RpmStatus::Resuming && flags & RPM_ASYNC == 0 {
                return (st, Err(EAGAIN));
            }
            if st.status == RpmStatus::Suspended {
                return (st, Ok(1));
            }
            if flags & RPM_AUTO != 0 {
                let expires = self.autosuspend_expiration(&st);
                if expires != 0 && self.clock.now() < expires {
                    // Not yet: (re)arm the timer unless it already fires earlier.
                    if st.timer_expires == 0 || st.timer_expires > expires {
                        st.timer_expires = expires;
                        self.cond.notify_all();
                    }
                    return (st, Ok(0));
                }
            }
            st.timer_expires = 0;
            if st.status == RpmStatus::Suspending || st.status == RpmStatus::Resuming {
                if flags & RPM_ASYNC != 0 {
                    return (st, Err(EINPROGRESS));
                }
                st = self.wait_stable(st);
                if matches!(st.status, RpmStatus::Suspending | RpmStatus::Resuming) {
                    // Called from inside the running callback: it cannot wait for itself.
                    return (st, Err(EINPROGRESS));
                }
                continue;
            }
            if flags & RPM_ASYNC != 0 {
                let req = if flags & RPM_AUTO != 0 {
                    Request::AutoSuspend
                } else {
                    Request::Suspend
                };
                self.queue(&mut st, req);
                return (st, Ok(0));
            }
            st.request = Request::None;
            self.set_status(&mut st, RpmStatus::Suspending);
            drop(st);
            let r = self.call(false);
            st = self.lock();
            return match r {
                Ok(()) => {
                    self.set_status(&mut st, RpmStatus::Suspended);
                    (st, Ok(0))
                }
                Err(e) => {
                    let e = Self::record_error(&mut st, e);
                    self.set_status(&mut st, RpmStatus::Active);
                    (st, Err(e))
                }
            };
        }
    }

    /// `rpm_resume`.
    pub(super) fn rpm_resume<'a>(
        &'a self,
        mut st: Guard<'a>,
        flags: u32,
    ) -> (Guard<'a>, Result<i32>) {
        loop {
            if st.runtime_error.is_some() {
                return (st, Err(EINVAL));
            }
            if st.disable_depth > 0 {
                let r = if st.status == RpmStatus::Active {
                    Ok(1)
                } else {
                    Err(EACCES)
                };
                return (st, r);
            }
            // Pending suspend requests are cancelled; a running autosuspend timer is left to expire (it finds the
            // device in use).
            if st.request != Request::Resume {
                st.request = Request::None;
            }
            if st.status == RpmStatus::Active {
                return (st, Ok(1));
            }
            if st.status == RpmStatus::Resuming || st.status == RpmStatus::Suspending {
                if flags & RPM_ASYNC != 0 {
                    if st.status == RpmStatus::Suspending {
                        self.queue(&mut st, Request::Resume);
                    }
                    return (st, Err(EINPROGRESS));
                }
                st = self.wait_stable(st);
                if matches!(st.status, RpmStatus::Suspending | RpmStatus::Resuming) {
                    // Called from inside the running callback: it cannot wait for itself.
                    return (st, Err(EINPROGRESS));
                }
                continue;
            }
            if flags & RPM_ASYNC != 0 {
                self.queue(&mut st, Request::Resume);
                return (st, Ok(0));
            }
            st.request = Request::None;
            self.set_status(&mut st, RpmStatus::Resuming);
            drop(st);
            let r = self.call(true);
            st = self.lock();
            return match r {
                Ok(()) => {
                    self.set_status(&mut st, RpmStatus::Active);
                    // `rpm_resume` ends with an asynchronous idle check.
                    let (st, _) = self.rpm_idle(st, RPM_ASYNC);
                    (st, Ok(0))
                }
                Err(e) => {
                    let e = Self::record_error(&mut st, e);
                    self.set_status(&mut st, RpmStatus::Suspended);
                    (st, Err(e))
                }
            };
        }
    }

    /// `update_autosuspend`.
    pub(super) fn update_autosuspend(&self, mut st: Guard<'_>, old_delay: i32, old_use: bool) {
        let delay = st.autosuspend_delay;
        if st.use_autosuspend && delay < 0 {
            // Runtime suspend is prevented now; was it already?
            if !old_use || old_delay >= 0 {
                st.usage_count += 1;
                let _ = self.rpm_resume(st, 0);
            }
        } else if old_use && old_delay < 0 {
            // It was prevented and no longer is.
            st.usage_count -= 1;
            let _ = self.rpm_idle(st, RPM_AUTO);
        } else {
            // Maybe the timer fires at a different time now.
            let _ = self.rpm_idle(st, RPM_AUTO);
        }
    }

    /// The PM worker: asynchronous requests (`pm_runtime_work`) and the autosuspend timer (`pm_suspend_timer_fn`).
    pub(super) fn worker(&self) {
        let mut st = self.lock();
        loop {
            if st.stop {
                return;
            }
            let req = std::mem::replace(&mut st.request, Request::None);
            match req {
                Request::None => {}
                Request::Suspend => {
                    st = self.rpm_suspend(st, 0).0;
                    continue;
                }
                Request::AutoSuspend => {
                    st = self.rpm_suspend(st, RPM_AUTO).0;
                    continue;
                }
                Request::Resume => {
                    st = self.rpm_resume(st, 0).0;
                    continue;
                }
            }
            let now = self.clock.now();
            if st.timer_expires != 0 && st.timer_expires <= now {
                st.timer_expires = 0;
                st = self.rpm_suspend(st, RPM_AUTO).0;
                continue;
            }
            st = match (&self.clock, st.timer_expires) {
                (Clock::Monotonic, t) if t != 0 => {
                    st.wait_timeout(&self.cond, Duration::from_nanos(t - now)).0
                }
                _ => st.wait(&self.cond),
            };
        }
    }
}
