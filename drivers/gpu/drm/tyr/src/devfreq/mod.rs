// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Panthor's devfreq (`panthor_devfreq.c`): the GPU's core clock scaled over the OPP table by `simple_ondemand`,
//! from the busy and idle time the scheduler records.
//!
//! * At probe (`TyrDevfreq::init`, before the GPU itself is brought up, as `panthor_device_init` orders it): the
//!   OPP table from the device tree, the core clock's rate taken as the initial frequency and moved to the OPP the
//!   devfreq core recommends for it (at or above: 198 MHz becomes 300 MHz), the fastest OPP noted (`fast_rate`), and
//!   the devfreq device added with `simple_ondemand` at Panthor's thresholds (up 45 %, down differential 5 %),
//!   polling every 50 ms on a delayed timer.
//! * The scheduler records the GPU busy when it writes jobs to a resident group's ring and after a tick that left a
//!   busy group resident, idle after a tick that left none (`TyrDevfreq::record_busy`,
//!   `TyrDevfreq::record_idle`); `get_dev_status` hands the governor the busy and total time since its last call,
//!   and the clock's real rate.
//! * `target` takes the recommended OPP and sets it (`dev_pm_opp_set_rate`: supply and clock).
//! * `TyrDevfreq::suspend` and `TyrDevfreq::resume` are `panthor_devfreq_suspend/resume`, for the runtime-PM
//!   path: suspend stops the load monitor (the devfreq core nests them); resume starts the accounting afresh and the
//!   monitor again.
//!
//! The devfreq device's sysfs attributes (`/sys/devices/platform/fb000000.gpu/devfreq/fb000000.gpu/<name>`) are
//! [`show`], [`store`] and [`attributes`]; its state for tools is [`mod@crate::debugfs::devfreq`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kernel::clk::Clk;
use kernel::devfreq::{
    self, DevStatus, Devfreq, Profile, ProfileConfig, SimpleOndemandData, TimeSource, TimerKind,
    Worker,
};
use kernel::error::Result;
use kernel::opp;
use kernel::platform;
use kernel::sync::Mutex;

use crate::drm_device::TyrDrmDevice;

/// Panthor's polling interval ("~3 frames").
pub(crate) const POLLING_MS: u32 = 50;
/// Panthor's `simple_ondemand` thresholds ("chosen based on experiments").
pub(crate) const GOV_DATA: SimpleOndemandData = SimpleOndemandData {
    upthreshold: 45,
    downdifferential: 5,
};

/// Busy/idle accounting (`busy_time`, `idle_time`, `time_last_update`, `last_busy_state` under Panthor's spinlock).
#[derive(Clone, Copy, Debug, Default)]
struct Acct {
    busy_ns: u64,
    idle_ns: u64,
    last_update: u64,
    last_busy: bool,
    /// Since probe, for debugfs.
    total_busy_ns: u64,
    total_idle_ns: u64,
}

/// What the profile and the scheduler share.
struct Shared {
    time: Arc<dyn TimeSource>,
    acct: Mutex<Acct>,
    opp: Arc<opp::Table>,
    clk: Clk,
    current_frequency: AtomicU64,
}

impl Shared {
    /// `panthor_devfreq_update_utilization`.
    fn update_utilization(&self, a: &mut Acct) {
        let now = self.time.now_ns();
        let dt = now.saturating_sub(a.last_update);
        if a.last_busy {
            a.busy_ns += dt;
            a.total_busy_ns += dt;
        } else {
            a.idle_ns += dt;
            a.total_idle_ns += dt;
        }
        a.last_update = now;
    }

    /// `panthor_devfreq_reset`.
    fn reset(&self, a: &mut Acct) {
        a.busy_ns = 0;
        a.idle_ns = 0;
        a.last_update = self.time.now_ns();
    }
}

impl Profile for Shared {
    /// `panthor_devfreq_target`.
    fn target(&self, freq: &mut u64, flags: u32) -> Result {
        devfreq::recommended_opp(&self.opp, freq, flags)?;
        self.opp.set_rate(*freq)?;
        let from = self.current_frequency.swap(*freq, Ordering::Relaxed);
        if from != *freq {
            tracing::info!(
                target: "tyr::devfreq",
                from_hz = from,
                to_hz = *freq,
                clock_hz = self.clk.get_rate(),
                "frequency change"
            );
        }
        Ok(())
    }

    /// `panthor_devfreq_get_dev_status`.
    fn get_dev_status(&self) -> Result<DevStatus> {
        let current_frequency = self.clk.get_rate();
        let mut a = self.acct.lock();
        self.update_utilization(&mut a);
        let s = DevStatus {
            total_time: a.busy_ns + a.idle_ns,
            busy_time: a.busy_ns,
            current_frequency,
        };
        self.reset(&mut a);
        tracing::debug!(
            target: "tyr::devfreq",
            busy = s.busy_time,
            total = s.total_time,
            mhz = current_frequency / 1_000_000,
            "status"
        );
        Ok(s)
    }
}

/// The device's devfreq (`struct panthor_devfreq` with its `devfreq`).
pub(crate) struct TyrDevfreq {
    shared: Arc<Shared>,
    devfreq: Arc<Devfreq>,
    fast_rate: u64,
}

impl TyrDevfreq {
    /// `panthor_devfreq_init` for `pdev`: its `core` clock (the first) and OPP table. Errors: `ENOENT` without a
    /// clock, `ENODEV` without an OPP table, `ERANGE` when no OPP fits the clock's rate.
    pub(crate) fn init(pdev: &platform::Device) -> Result<Arc<TyrDevfreq>> {
        Self::init_with(pdev, Worker::Thread)
    }

    /// [`TyrDevfreq::init`] with the load monitor run by `worker` (tests drive it on a fake time source).
    pub(crate) fn init_with(pdev: &platform::Device, worker: Worker) -> Result<Arc<TyrDevfreq>> {
        // `panthor_clk_init`: the core clock is the node's first.
        let clk = Clk::get(pdev, None)?;
        let opp = Arc::new(opp::Table::of_add_table(pdev, clk.clone())?);
        let time: Arc<dyn TimeSource> = match &worker {
            Worker::Thread => Arc::new(devfreq::Monotonic),
            Worker::Manual(t) => t.clone(),
        };
        let shared = Arc::new(Shared {
            acct: Mutex::new(Acct::default()),
            opp: opp.clone(),
            clk: clk.clone(),
            current_frequency: AtomicU64::new(0),
            time,
        });
        {
            let mut a = shared.acct.lock();
            shared.reset(&mut a);
        }
        let mut cur_freq = clk.get_rate();
        let rec = devfreq::recommended_opp(&opp, &mut cur_freq, 0)?;
        shared.current_frequency.store(cur_freq, Ordering::Relaxed);
        // Sets the recommended OPP (supply and clock) before devfreq takes over.
        opp.set_opp(&rec)?;
        let mut fast_rate = u64::MAX;
        opp.find_freq_floor(&mut fast_rate)?;
        let devfreq = Devfreq::add_device(
            pdev.name(),
            opp,
            shared.clone(),
            ProfileConfig {
                initial_freq: cur_freq,
                polling_ms: POLLING_MS,
                timer: TimerKind::Delayed,
            },
            "simple_ondemand",
            GOV_DATA,
            worker,
        )?;
        Ok(Arc::new(TyrDevfreq {
            shared,
            devfreq,
            fast_rate,
        }))
    }

    /// `panthor_devfreq_record_busy`: the GPU has work from now on. Allocates nothing; takes only the accounting
    /// lock (safe on the job path).
    pub(crate) fn record_busy(&self) {
        let mut a = self.shared.acct.lock();
        self.shared.update_utilization(&mut a);
        a.last_busy = true;
    }

    /// `panthor_devfreq_record_idle`: the GPU has no work from now on.
    pub(crate) fn record_idle(&self) {
        let mut a = self.shared.acct.lock();
        self.shared.update_utilization(&mut a);
        a.last_busy = false;
    }

    /// `panthor_devfreq_suspend`, for the runtime-PM suspend path: the load monitor stops (nested calls count).
    pub(crate) fn suspend(&self) -> Result {
        self.devfreq.suspend_device()
    }

    /// `panthor_devfreq_resume`, for the runtime-PM resume path: the busy/idle accounting starts afresh (time spent
    /// suspended is neither), then the monitor restarts once the last suspension ends.
    pub(crate) fn resume(&self) -> Result {
        {
            let mut a = self.shared.acct.lock();
            self.shared.reset(&mut a);
        }
        self.devfreq.resume_device()
    }

    /// The devfreq device.
    pub(crate) fn devfreq(&self) -> &Arc<Devfreq> {
        &self.devfreq
    }

    /// The frequency Panthor last set (`ptdev->current_frequency`).
    pub(crate) fn current_frequency(&self) -> u64 {
        self.shared.current_frequency.load(Ordering::Relaxed)
    }

    /// The fastest OPP (`ptdev->fast_rate`).
    pub(crate) fn fast_rate(&self) -> u64 {
        self.fast_rate
    }

    /// The core clock's real rate.
    pub(crate) fn clock_rate(&self) -> u64 {
        self.shared.clk.get_rate()
    }

    /// The OPP table.
    pub(crate) fn opp(&self) -> &Arc<opp::Table> {
        &self.shared.opp
    }

    /// (busy ns, idle ns, busy now) since probe, brought up to date.
    pub(crate) fn utilization(&self) -> (u64, u64, bool) {
        let mut a = self.shared.acct.lock();
        self.shared.update_utilization(&mut a);
        (a.total_busy_ns, a.total_idle_ns, a.last_busy)
    }

    /// Stops the load monitor for good (device removal).
    pub(crate) fn remove(&self) {
        self.devfreq.remove();
    }
}

/// Reads the devfreq attribute `name` of `dev` (the text of
/// `/sys/devices/platform/fb000000.gpu/devfreq/fb000000.gpu/<name>`). `ENOENT` for an attribute that does not exist
/// under the current governor.
pub fn show(dev: &TyrDrmDevice, name: &str) -> Result<String> {
    dev.data().devfreq().devfreq().show(name)
}

/// Writes `value` to the devfreq attribute `name` of `dev`, with the kernel's parsing and errnos (`EINVAL` for a
/// value that does not parse, `EACCES` for a read-only attribute, `ENOENT` for a missing one).
pub fn store(dev: &TyrDrmDevice, name: &str, value: &str) -> Result {
    dev.data().devfreq().devfreq().store(name, value)
}

/// The devfreq attributes `dev` has now, with their modes (a directory listing).
pub fn attributes(dev: &TyrDrmDevice) -> Vec<devfreq::sysfs::Attribute> {
    dev.data().devfreq().devfreq().attributes()
}

/// Registers the devfreq device's attributes in `set` under `dir` (`devfreq/<device name>/`, where the devfreq class
/// puts them): the ones the probe-time governor has, plus `userspace/set_freq`, which the userspace governor adds.
/// A file the current governor does not have reads and writes as `ENOENT` (the kernel adds and removes such files
/// with the governor; the shim's tree is fixed).
pub(crate) fn add_sysfs(set: &kernel::sysfs::AttributeSet, dir: &str, tyr: &TyrDevfreq) -> Result {
    let mut attrs = tyr.devfreq().attributes();
    if !attrs.iter().any(|a| a.name == "userspace/set_freq") {
        attrs.push(devfreq::sysfs::Attribute {
            name: "userspace/set_freq",
            mode: 0o644,
        });
    }
    for a in attrs {
        let path = format!("{dir}/{}", a.name);
        let d = tyr.devfreq().clone();
        let show: kernel::sysfs::ShowFn = Box::new(move || d.show(a.name));
        let attr = if a.mode & 0o200 != 0 {
            let d = tyr.devfreq().clone();
            let store: kernel::sysfs::StoreFn = Box::new(move |buf: &[u8]| {
                let text = core::str::from_utf8(buf).map_err(|_| kernel::error::code::EINVAL)?;
                d.store(a.name, text)?;
                Ok(buf.len())
            });
            kernel::sysfs::Attribute::read_write(&path, show, store)
        } else {
            kernel::sysfs::Attribute::read_only(&path, show)
        };
        set.add(attr)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
