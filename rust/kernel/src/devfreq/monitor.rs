// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The load monitor and the governor's lifecycle (`devfreq_monitor_*`, `devfreq_wq`): the delayed work that runs
//! the governor every `polling_ms`, its start, stop, suspend, resume and interval changes, starting, stopping and
//! switching governors, the device's suspend and resume (`suspend_count`), and the monitor thread.

use super::*;

impl Devfreq {
    // ---- the load monitor -------------------------------------------------------------------------------------

    pub(super) fn queue_work(&self, st: &mut State, delay_ms: u32) {
        st.work_due = Some(
            self.time
                .now_ns()
                .saturating_add(u64::from(delay_ms) * 1_000_000),
        );
        self.wake.notify_all();
    }

    /// `devfreq_monitor`: one poll, then the next is queued unless polling stopped.
    pub(super) fn monitor_locked(&self, st: &mut State) {
        st.work_due = None;
        if self.update_locked(st).is_err() {
            // "dvfs failed with (%d) error"
            st.errors += 1;
        }
        if !st.stop_polling && st.polling_ms != 0 {
            let ms = st.polling_ms;
            self.queue_work(st, ms);
        }
    }

    /// Runs the load monitor if its poll is due by the time source; returns whether it ran. (What the monitor
    /// thread does; with [`Worker::Manual`], tests call it after moving a [`FakeTime`].)
    pub fn run_pending(&self) -> bool {
        let mut st = self.state();
        match st.work_due {
            Some(due) if due <= self.time.now_ns() => {
                self.monitor_locked(&mut st);
                true
            }
            _ => false,
        }
    }

    /// When the next poll is due (time source ns), if one is queued.
    pub fn next_poll_ns(&self) -> Option<u64> {
        self.state().work_due
    }

    /// `devfreq_monitor_start`.
    pub(super) fn monitor_start(&self) {
        let mut st = self.state();
        if st.work_due.is_none() && st.polling_ms != 0 {
            let ms = st.polling_ms;
            self.queue_work(&mut st, ms);
        }
        st.stop_polling = false;
    }

    /// `devfreq_monitor_stop`.
    pub(super) fn monitor_stop(&self) {
        let mut st = self.state();
        if st.stop_polling {
            return;
        }
        st.stop_polling = true;
        st.work_due = None;
    }

    /// `devfreq_monitor_suspend`.
    pub(super) fn monitor_suspend(&self) {
        let mut st = self.state();
        if st.stop_polling {
            return;
        }
        let prev = st.previous_freq;
        if self.update_status(&mut st, prev).is_err() {
            st.errors += 1;
        }
        st.stop_polling = true;
        st.work_due = None;
    }

    /// `devfreq_monitor_resume`.
    pub(super) fn monitor_resume(&self) {
        let mut st = self.state();
        if !st.stop_polling {
            return;
        }
        if st.work_due.is_none() && st.polling_ms != 0 {
            let ms = st.polling_ms;
            self.queue_work(&mut st, ms);
        }
        st.stats.last_update_ns = self.time.now_ns();
        st.stop_polling = false;
        if let Some(f) = self.profile.get_cur_freq() {
            st.previous_freq = f;
        }
    }

    /// `devfreq_update_interval`.
    pub(super) fn update_interval(&self, new: u32) {
        let mut st = self.state();
        let cur = st.polling_ms;
        st.polling_ms = new;
        if st.stop_polling {
            return;
        }
        if new == 0 {
            st.work_due = None;
        } else if cur == 0 || cur > new {
            // Not polling yet, or polling less often than asked: restart with the new interval. (A longer interval
            // takes effect after the poll already queued.)
            self.queue_work(&mut st, new);
        }
    }

    // ---- governor events ----------------------------------------------------------------------------------------

    /// `DEVFREQ_GOV_START`.
    pub(super) fn gov_start(&self, gov: Governor) -> Result {
        match gov {
            Governor::SimpleOndemand => {
                self.monitor_start();
                Ok(())
            }
            Governor::Performance | Governor::Powersave => self.update(),
            Governor::Userspace => {
                self.state().user_freq = None;
                Ok(())
            }
        }
    }

    /// `DEVFREQ_GOV_STOP`.
    pub(super) fn gov_stop(&self, gov: Governor) {
        if gov.polls() {
            self.monitor_stop();
        }
    }

    /// Switches to `gov` (`governor_store` after the look-up): stop the old one, start the new one, restore the old
    /// one if the new one fails to start.
    pub(super) fn switch_governor(&self, gov: Governor) -> Result {
        let _g = self.gov_lock.lock();
        let prev = self.state().governor.ok_or(EINVAL)?;
        if prev == gov {
            return Ok(());
        }
        self.gov_stop(prev);
        self.state().governor = Some(gov);
        if let Err(e) = self.gov_start(gov) {
            self.state().governor = Some(prev);
            if self.gov_start(prev).is_err() {
                self.state().governor = None;
            }
            return Err(e);
        }
        Ok(())
    }

    /// The governor in charge.
    pub fn governor(&self) -> Option<Governor> {
        self.state().governor
    }

    // ---- suspend and resume -------------------------------------------------------------------------------------

    /// `devfreq_suspend_device`: stops the load monitor (nested calls count; only the first acts) and moves to the
    /// suspend OPP if the table has one.
    pub fn suspend_device(&self) -> Result {
        {
            let mut st = self.state();
            st.suspend_count += 1;
            if st.suspend_count > 1 {
                return Ok(());
            }
        }
        if let Some(g) = self.governor() {
            if g.polls() {
                self.monitor_suspend();
            }
        }
        let mut st = self.state();
        if st.suspend_freq != 0 {
            let f = st.suspend_freq;
            self.set_target(&mut st, f, 0)?;
        }
        Ok(())
    }

    /// `devfreq_resume_device`: the reverse of [`Devfreq::suspend_device`] once the last suspension ends.
    pub fn resume_device(&self) -> Result {
        {
            let mut st = self.state();
            st.suspend_count -= 1;
            if st.suspend_count >= 1 {
                return Ok(());
            }
            if st.resume_freq != 0 {
                let f = st.resume_freq;
                self.set_target(&mut st, f, 0)?;
            }
        }
        if let Some(g) = self.governor() {
            if g.polls() {
                self.monitor_resume();
            }
        }
        Ok(())
    }

    /// Whether the device is suspended (`suspend_count` > 0).
    pub fn is_suspended(&self) -> bool {
        self.state().suspend_count > 0
    }
}

/// The monitor thread (`devfreq_wq`): runs the delayed work when it is due, sleeping on the device's condition
/// variable until then.
pub(super) fn monitor_thread(df: Weak<Devfreq>) {
    loop {
        let Some(d) = df.upgrade() else { return };
        let st = d.state();
        if st.removed {
            return;
        }
        let now = d.time.now_ns();
        let wait = match st.work_due {
            Some(due) if due <= now => None,
            Some(due) => Some(Duration::from_nanos(due - now)),
            // Woken when work is queued or the device goes away; the bound only lets a dropped device's thread
            // notice.
            None => Some(Duration::from_millis(100)),
        };
        match wait {
            None => {
                drop(st);
                d.run_pending();
            }
            Some(w) => {
                let _ = st.wait_timeout(&d.wake, w);
            }
        }
    }
}
