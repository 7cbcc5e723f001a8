// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The devfreq core (`drivers/devfreq/devfreq.c`, `include/linux/devfreq.h`): dynamic frequency scaling of a device
//! with an OPP table, driven by a governor.
//!
//! * A driver describes its device with a [`Profile`] (`struct devfreq_dev_profile`: `target`, `get_dev_status`,
//!   optionally `get_cur_freq`) and a [`ProfileConfig`] (initial frequency, polling interval, timer), and adds it
//!   with [`Devfreq::add_device`] under a governor ([`governor`]: `simple_ondemand`, `performance`, `powersave`,
//!   `userspace`).
//! * Polling governors run a load monitor (`devfreq_monitor`, a delayed work): every `polling_ms` the governor
//!   picks a frequency, the core clamps it to the range the OPP table and the user's `min_freq`/`max_freq` requests
//!   allow (`devfreq_get_freq_range`, with the PM QoS kHz conversions), and the profile's `target` applies it. The
//!   monitor runs on a thread of its own following a [`TimeSource`], or, with [`Worker::Manual`], when a caller
//!   runs it ([`Devfreq::run_pending`]) after moving a fake time source: tests need no sleeps.
//! * Every change is accounted in the transition statistics (`trans_stat`: transitions between each pair of
//!   frequencies and the time spent at each).
//! * [`Devfreq::suspend_device`] and [`Devfreq::resume_device`] nest like the kernel's (`suspend_count`).
//! * The sysfs attributes of `/sys/class/devfreq/<dev>/` are [`Devfreq::show`] and [`Devfreq::store`], with the
//!   kernel's text formats and errnos ([`sysfs`]).
//! * The load monitor, governor start/stop/switch and device suspend/resume are in `monitor`.
//!
//! Where this differs from the kernel: times are kept in nanoseconds of the time source (the kernel counts jiffies),
//! so `trans_stat`'s milliseconds are exact; there are no transition notifiers, no cooling device and no passive
//! governor; the user's `min_freq`/`max_freq` requests are the only frequency constraints (no other PM QoS users).

pub mod governor;
mod monitor;
use monitor::monitor_thread;
pub mod sysfs;

use crate::sync::MutexGuard;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::code::EINVAL;
use crate::error::Result;
use crate::opp;
use crate::sync::Mutex;
pub use governor::{Governor, SimpleOndemandData};

/// `DEVFREQ_MAX_FREQ`: a governor's "as fast as allowed".
pub const MAX_FREQ: u64 = u64::MAX;
/// `DEVFREQ_MIN_FREQ`.
pub const MIN_FREQ: u64 = 0;
/// `DEVFREQ_FLAG_LEAST_UPPER_BOUND`: the target is an upper bound (pick the OPP at or below it).
pub const FLAG_LEAST_UPPER_BOUND: u32 = 1;
/// `PM_QOS_MAX_FREQUENCY_DEFAULT_VALUE` (`FREQ_QOS_MAX_DEFAULT_VALUE`, kHz): no maximum.
pub const QOS_MAX_DEFAULT: i32 = i32::MAX;
/// `PM_QOS_DEFAULT_VALUE`: a request of this value stands for the constraint's default.
const QOS_DEFAULT_VALUE: i32 = -1;
/// Transitions kept for [`Devfreq::trace`].
const TRACE_KEPT: usize = 1024;

/// `devfreq_recommended_opp`: the OPP for `*freq` (updated to its rate): at or below it with
/// [`FLAG_LEAST_UPPER_BOUND`], else at or above it, falling back to the other side when there is none.
pub fn recommended_opp(table: &opp::Table, freq: &mut u64, flags: u32) -> Result<opp::Opp> {
    let erange = Err(crate::error::code::ERANGE);
    if flags & FLAG_LEAST_UPPER_BOUND != 0 {
        match table.find_freq_floor(freq) {
            r if r == erange => table.find_freq_ceil(freq),
            r => r,
        }
    } else {
        match table.find_freq_ceil(freq) {
            r if r == erange => table.find_freq_floor(freq),
            r => r,
        }
    }
}

/// `struct devfreq_dev_status`: what the device reports for the window since its last report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DevStatus {
    /// Length of the window (ns for Panthor).
    pub total_time: u64,
    /// How much of it the device was busy.
    pub busy_time: u64,
    /// The frequency it ran at (Hz).
    pub current_frequency: u64,
}

/// `struct devfreq_dev_profile`'s callbacks.
pub trait Profile: Send + Sync {
    /// `target`: set the device to `*freq` (with [`FLAG_LEAST_UPPER_BOUND`] in `flags` when `*freq` is an upper
    /// bound), updating `*freq` to what was set.
    fn target(&self, freq: &mut u64, flags: u32) -> Result;
    /// `get_dev_status`: the load since the last call.
    fn get_dev_status(&self) -> Result<DevStatus>;
    /// `get_cur_freq`, if the device provides it: the frequency it runs at. `None` when it does not (Panthor).
    fn get_cur_freq(&self) -> Option<u64> {
        None
    }
}

/// `enum devfreq_timer`: which kind of work polls (the difference matters only to an idle CPU; both behave alike
/// here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerKind {
    /// `DEVFREQ_TIMER_DEFERRABLE`.
    Deferrable,
    /// `DEVFREQ_TIMER_DELAYED`.
    Delayed,
}

impl TimerKind {
    /// The name the `timer` attribute shows.
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::Deferrable => "deferrable",
            TimerKind::Delayed => "delayed",
        }
    }
}

/// The profile's settings (`initial_freq`, `polling_ms`, `timer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileConfig {
    /// The frequency the device runs at when added.
    pub initial_freq: u64,
    /// Polling interval of the load monitor (ms); 0 stops polling.
    pub polling_ms: u32,
    /// The monitor's timer.
    pub timer: TimerKind,
}

/// A monotonic nanosecond clock for the monitor and the statistics.
pub trait TimeSource: Send + Sync {
    /// Nanoseconds since some fixed point.
    fn now_ns(&self) -> u64;
}

/// The kernel's monotonic clock (`ktime_get`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Monotonic;

impl TimeSource for Monotonic {
    fn now_ns(&self) -> u64 {
        crate::time::ktime_get_ns()
    }
}

/// A clock that moves only when told, for tests.
#[derive(Debug, Default)]
pub struct FakeTime(AtomicU64);

impl FakeTime {
    /// A fake clock at `ns`.
    pub fn new(ns: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(ns)))
    }

    /// Moves it forward by `ns`.
    pub fn advance(&self, ns: u64) {
        self.0.fetch_add(ns, Ordering::SeqCst);
    }
}

impl TimeSource for FakeTime {
    fn now_ns(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Who runs the load monitor when it is due, and by which clock.
#[derive(Clone)]
pub enum Worker {
    /// A thread of the device's own (`devfreq_wq`), sleeping until the next poll by the host's monotonic clock
    /// ([`Monotonic`]).
    Thread,
    /// Nobody: [`Devfreq::run_pending`] runs it when this time source says it is due.
    Manual(Arc<dyn TimeSource>),
}

/// One frequency change, for traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// When (time source, ns).
    pub at_ns: u64,
    /// The frequency before.
    pub from: u64,
    /// The frequency after.
    pub to: u64,
}

/// The transition statistics (`struct devfreq_stats`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `trans_table[from * n + to]`: transitions from frequency `from` to `to` (indices into the frequency table).
    pub trans_table: Vec<u32>,
    /// Time spent at each frequency, ns.
    pub time_in_state_ns: Vec<u64>,
    /// All transitions.
    pub total_trans: u32,
    /// When the statistics were last brought up to date.
    pub last_update_ns: u64,
}

/// `struct devfreq`'s state, under its `lock`.
pub(crate) struct State {
    governor: Option<Governor>,
    pub(crate) previous_freq: u64,
    freq_table: Vec<u64>,
    scaling_min_freq: u64,
    scaling_max_freq: u64,
    /// The user's PM QoS requests (kHz) as stored in their list nodes.
    qos_min_khz: i32,
    qos_max_khz: i32,
    polling_ms: u32,
    timer: TimerKind,
    stop_polling: bool,
    /// The monitor's delayed work: due at this time (time source ns) when queued.
    work_due: Option<u64>,
    stats: Stats,
    suspend_count: i32,
    suspend_freq: u64,
    resume_freq: u64,
    pub(crate) last_status: DevStatus,
    pub(crate) ondemand: SimpleOndemandData,
    /// The userspace governor's `set_freq` (`None`: "undefined").
    pub(crate) user_freq: Option<u64>,
    trace: Vec<Transition>,
    errors: u64,
    removed: bool,
}

/// A devfreq device (`struct devfreq`).
pub struct Devfreq {
    name: String,
    opp: Arc<opp::Table>,
    profile: Arc<dyn Profile>,
    time: Arc<dyn TimeSource>,
    state: Mutex<State>,
    /// `devfreq_list_lock`: serialises governor changes.
    gov_lock: Mutex<()>,
    wake: Condvar,
    /// Signalled after every frequency change.
    changed: Condvar,
    worker: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl core::fmt::Debug for Devfreq {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Devfreq")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Devfreq {
    /// `devm_devfreq_add_device`: adds the device `name` (its parent device's name) with the OPP table `opp`,
    /// the profile, and the governor called `governor` (with `ondemand` as `simple_ondemand`'s data); starts the
    /// governor; `worker` says who runs the load monitor. `EINVAL` for an empty OPP table or an unknown governor.
    pub fn add_device(
        name: impl Into<String>,
        opp: Arc<opp::Table>,
        profile: Arc<dyn Profile>,
        config: ProfileConfig,
        governor: &str,
        ondemand: SimpleOndemandData,
        worker: Worker,
    ) -> Result<Arc<Devfreq>> {
        let (time, thread): (Arc<dyn TimeSource>, bool) = match worker {
            Worker::Thread => (Arc::new(Monotonic), true),
            Worker::Manual(t) => (t, false),
        };
        // `set_freq_table`: every OPP, ascending.
        let freq_table: Vec<u64> = opp.opps().iter().map(|o| o.rate).collect();
        let (Some(&min), Some(&max)) = (freq_table.first(), freq_table.last()) else {
            return Err(EINVAL);
        };
        let gov = Governor::find(governor).ok_or(EINVAL)?;
        let n = freq_table.len();
        let now = time.now_ns();
        let df = Arc::new(Devfreq {
            name: name.into(),
            time,
            profile,
            state: Mutex::new(State {
                governor: None,
                previous_freq: config.initial_freq,
                scaling_min_freq: min,
                scaling_max_freq: max,
                qos_min_khz: 0,
                qos_max_khz: QOS_MAX_DEFAULT,
                polling_ms: config.polling_ms,
                timer: config.timer,
                stop_polling: false,
                work_due: None,
                stats: Stats {
                    trans_table: vec![0; n * n],
                    time_in_state_ns: vec![0; n],
                    total_trans: 0,
                    last_update_ns: now,
                },
                suspend_count: 0,
                suspend_freq: opp.suspend_freq(),
                resume_freq: 0,
                last_status: DevStatus {
                    current_frequency: config.initial_freq,
                    ..DevStatus::default()
                },
                ondemand,
                user_freq: None,
                trace: Vec::new(),
                errors: 0,
                removed: false,
                freq_table,
            }),
            opp,
            gov_lock: Mutex::new(()),
            wake: Condvar::new(),
            changed: Condvar::new(),
            worker: std::sync::Mutex::new(None),
        });
        {
            let _g = df.gov_lock.lock();
            df.state().governor = Some(gov);
            df.gov_start(gov)?;
        }
        if thread {
            let weak = Arc::downgrade(&df);
            let h = std::thread::Builder::new()
                .name("devfreq_wq".into())
                .spawn(move || monitor_thread(weak))
                .map_err(|_| crate::error::code::ENOMEM)?;
            *df.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(h);
        }
        Ok(df)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// The parent device's name (the devfreq device is named after it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The OPP table.
    pub fn opp_table(&self) -> &Arc<opp::Table> {
        &self.opp
    }

    // ---- the core: update_devfreq, set_target, statistics ----------------------------------------------------

    fn freq_level(st: &State, freq: u64) -> Option<usize> {
        st.freq_table.iter().position(|&f| f == freq)
    }

    /// `devfreq_update_status`: accounts the time since the last update to `previous_freq` and a transition to
    /// `freq`. `EINVAL` when either frequency is not in the table (the time base still moves).
    fn update_status(&self, st: &mut State, freq: u64) -> Result {
        let now = self.time.now_ns();
        let r = (|| {
            if st.previous_freq == 0 {
                return Ok(());
            }
            let prev = Self::freq_level(st, st.previous_freq).ok_or(EINVAL)?;
            let dt = now.saturating_sub(st.stats.last_update_ns);
            st.stats.time_in_state_ns[prev] += dt;
            let lev = Self::freq_level(st, freq).ok_or(EINVAL)?;
            if lev != prev {
                let n = st.freq_table.len();
                let c = &mut st.stats.trans_table[prev * n + lev];
                *c = c.wrapping_add(1);
                st.stats.total_trans = st.stats.total_trans.wrapping_add(1);
            }
            Ok(())
        })();
        st.stats.last_update_ns = now;
        r
    }

    /// `devfreq_get_freq_range`: the OPP table's range narrowed by the user's requests and the available OPPs.
    fn range_of(st: &State) -> (u64, u64) {
        let (mut min, mut max) = (st.freq_table[0], st.freq_table[st.freq_table.len() - 1]);
        // The requests are s32 kHz; the kernel widens them to unsigned long before scaling.
        let hz = |khz: i32| 1000u64.wrapping_mul(i64::from(khz) as u64);
        min = min.max(hz(st.qos_min_khz));
        if st.qos_max_khz != QOS_MAX_DEFAULT {
            max = max.min(hz(st.qos_max_khz));
        }
        min = min.max(st.scaling_min_freq);
        max = max.min(st.scaling_max_freq);
        if min > max {
            min = max;
        }
        (min, max)
    }

    /// `devfreq_set_target`: asks the profile for `new_freq`, then accounts the change. (The kernel also reads the
    /// current frequency here, for its transition notifiers, which this core does not have.)
    fn set_target(&self, st: &mut State, new_freq: u64, flags: u32) -> Result {
        let mut f = new_freq;
        self.profile.target(&mut f, flags)?;
        if self.update_status(st, f).is_err() {
            st.errors += 1;
        }
        if f != st.previous_freq {
            if st.trace.len() == TRACE_KEPT {
                st.trace.remove(0);
            }
            st.trace.push(Transition {
                at_ns: self.time.now_ns(),
                from: st.previous_freq,
                to: f,
            });
        }
        st.previous_freq = f;
        if st.suspend_freq != 0 {
            st.resume_freq = f;
        }
        self.changed.notify_all();
        Ok(())
    }

    /// `update_devfreq`: the governor's choice, clamped to the allowed range, applied.
    fn update_locked(&self, st: &mut State) -> Result {
        let gov = st.governor.ok_or(EINVAL)?;
        let profile = self.profile.clone();
        let mut freq = governor::target_freq(gov, st, || profile.get_dev_status())?;
        let (min, max) = Self::range_of(st);
        let mut flags = 0;
        if freq < min {
            freq = min;
            flags &= !FLAG_LEAST_UPPER_BOUND;
        }
        if freq > max {
            freq = max;
            flags |= FLAG_LEAST_UPPER_BOUND;
        }
        self.set_target(st, freq, flags)
    }

    /// `update_devfreq`: re-evaluates the governor now (what a driver calls when its constraints change).
    pub fn update(&self) -> Result {
        let mut st = self.state();
        self.update_locked(&mut st)
    }

    // ---- views ----------------------------------------------------------------------------------------------------

    /// The frequency devfreq last set (`previous_freq`: what `cur_freq` and `target_freq` show).
    pub fn cur_freq(&self) -> u64 {
        self.state().previous_freq
    }

    /// The frequency table, ascending.
    pub fn freq_table(&self) -> Vec<u64> {
        self.state().freq_table.clone()
    }

    /// The statistics, brought up to date when the monitor runs (as `trans_stat` does).
    pub fn stats(&self) -> Stats {
        let mut st = self.state();
        if !st.stop_polling {
            let prev = st.previous_freq;
            if self.update_status(&mut st, prev).is_err() {
                st.errors += 1;
            }
        }
        st.stats.clone()
    }

    /// The last status the device reported to the governor.
    pub fn last_status(&self) -> DevStatus {
        self.state().last_status
    }

    /// Waits (up to `timeout`) until `cond` holds for the frequency devfreq set, re-checking after each change;
    /// returns whether it holds. For tests and tools that watch the governor work.
    pub fn wait_freq(&self, timeout: Duration, mut cond: impl FnMut(u64) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut st = self.state();
        loop {
            if cond(st.previous_freq) {
                return true;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            st = st.wait_timeout(&self.changed, deadline - now).0;
        }
    }

    /// The allowed range now (what `min_freq` and `max_freq` show).
    pub fn freq_range(&self) -> (u64, u64) {
        Self::range_of(&self.state())
    }

    /// The latest frequency changes (at most 1024), oldest first.
    pub fn trace(&self) -> Vec<Transition> {
        self.state().trace.clone()
    }

    /// Failed monitor runs and statistics updates (the kernel logs them).
    pub fn errors(&self) -> u64 {
        self.state().errors
    }

    /// The polling interval (ms).
    pub fn polling_ms(&self) -> u32 {
        self.state().polling_ms
    }

    /// `devfreq_remove_device`: stops the governor and the monitor thread. Also done on drop.
    pub fn remove(&self) {
        let gov = {
            let mut st = self.state();
            if st.removed {
                return;
            }
            st.removed = true;
            st.governor
        };
        if let Some(g) = gov {
            self.gov_stop(g);
        }
        self.wake.notify_all();
        let h = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = h {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for Devfreq {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests;
