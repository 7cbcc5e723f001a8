// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU's frequency scaling as tools see it: the frequency devfreq set and the clock's real rate, the supply
//! voltage, the governor and the allowed range, the transition statistics and the recent transitions, and the busy
//! and idle time the scheduler recorded.

use kernel::devfreq::{DevStatus, Stats, Transition};

use crate::drm_device::TyrDrmDevice;

/// A snapshot of the device's devfreq.
#[derive(Clone, Debug)]
pub struct DevfreqView {
    /// The frequency devfreq last set (`cur_freq`), Hz.
    pub cur_freq: u64,
    /// What Panthor last set (`ptdev->current_frequency`, fdinfo's `drm-curfreq-panthor`), Hz.
    pub current_frequency: u64,
    /// The fastest OPP (`ptdev->fast_rate`, fdinfo's `drm-maxfreq-panthor`), Hz.
    pub fast_rate: u64,
    /// The core clock's real rate (what the PLLs give for it), Hz.
    pub clock_rate: u64,
    /// The supply voltage of the OPP in force, µV.
    pub microvolt: u32,
    /// The governor's name.
    pub governor: String,
    /// The allowed range (`min_freq`, `max_freq`).
    pub range: (u64, u64),
    /// The OPP frequencies, ascending.
    pub freq_table: Vec<u64>,
    /// The transition statistics, brought up to date.
    pub stats: Stats,
    /// `trans_stat` as sysfs shows it.
    pub trans_stat: String,
    /// The latest transitions, oldest first (time on the kernel's monotonic clock).
    pub transitions: Vec<Transition>,
    /// The status the governor last saw.
    pub last_status: DevStatus,
    /// Busy time the scheduler recorded since probe, ns.
    pub busy_ns: u64,
    /// Idle time recorded since probe, ns.
    pub idle_ns: u64,
    /// Whether the GPU is recorded busy now.
    pub busy: bool,
    /// Whether devfreq is suspended.
    pub suspended: bool,
    /// The polling interval, ms.
    pub polling_ms: u32,
}

/// The devfreq state of `dev`.
pub fn devfreq(dev: &TyrDrmDevice) -> DevfreqView {
    let d = dev.data().devfreq();
    let df = d.devfreq();
    let (busy_ns, idle_ns, busy) = d.utilization();
    DevfreqView {
        cur_freq: df.cur_freq(),
        current_frequency: d.current_frequency(),
        fast_rate: d.fast_rate(),
        clock_rate: d.clock_rate(),
        microvolt: d.opp().voltage(),
        governor: df.governor().map_or("", |g| g.name()).to_string(),
        range: df.freq_range(),
        freq_table: df.freq_table(),
        stats: df.stats(),
        trans_stat: df.show("trans_stat").unwrap_or_default(),
        transitions: df.trace(),
        last_status: df.last_status(),
        busy_ns,
        idle_ns,
        busy,
        suspended: df.is_suspended(),
        polling_ms: df.polling_ms(),
    }
}

/// Runs `f` on the device's devfreq suspended (`panthor_devfreq_suspend` ... `panthor_devfreq_resume`), as the
/// runtime-PM path will; for tests and tools until that path exists.
pub fn with_suspended<R>(dev: &TyrDrmDevice, f: impl FnOnce() -> R) -> kernel::Result<R> {
    let d = dev.data().devfreq();
    d.suspend()?;
    let r = f();
    d.resume()?;
    Ok(r)
}

/// Waits (up to `timeout`) until `cond` holds for the frequency devfreq set on `dev`, woken at each change; returns
/// whether it holds.
pub fn wait_freq(
    dev: &TyrDrmDevice,
    timeout: std::time::Duration,
    cond: impl FnMut(u64) -> bool,
) -> bool {
    dev.data().devfreq().devfreq().wait_freq(timeout, cond)
}
