// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr pm`: the GPU's power management as `tyr::debugfs::pm` and `tyr::debugfs::devfreq` show it, through a
//! scripted day in its life: probe, the autosuspend of an idle GPU, a TIMESTAMP_INFO query that resumes it, a
//! system suspend/resume, the performance governor taking the clock to the top OPP and powersave back, and a GPU
//! reset requested on the powered GPU (`tyr::debugfs::device::resets`).

use std::time::Duration;

use rk3588_platform::Rk3588;
use tyr::debugfs::devfreq::{devfreq, DevfreqView};
use tyr::debugfs::pm::{pm, wait_for_status, PmView};
use tyr::drm_device::{probe, TyrDrmFile, RENDER_CLIENT};
use tyr::pm::RpmStatus;
use tyr::uapi::ioctl::DRM_IOCTL_PANTHOR_DEV_QUERY;
use tyr::uapi::{
    drm_panthor_dev_query, drm_panthor_timestamp_info, DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
};

use crate::replay::ReplayError;

/// How long a transition of the PM worker is waited for.
const BOUND: Duration = Duration::from_secs(10);

fn setup<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> ReplayError + '_ {
    move |e| ReplayError::Setup(format!("{what}: {e}"))
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.3} ms", d.as_secs_f64() * 1e3))
}

/// One view as lines of `key value`.
pub fn render(stage: &str, v: &PmView) -> String {
    format!(
        "[{stage}]\n  runtime_status {}\n  usage_count {}\n  control {}\n  autosuspend_delay_ms {}\n  \
         scheduler_ref {}\n  as_in_use {}\n  suspends {} resumes {} unclean_halts {} failed_resumes {}\n  \
         last_suspend {} last_resume {}\n",
        v.runtime_status,
        v.usage_count,
        if v.runtime_auto { "auto" } else { "on" },
        v.autosuspend_delay_ms,
        v.sched_has_ref,
        v.as_in_use,
        v.stats.suspends,
        v.stats.resumes,
        v.stats.unclean_halts,
        v.stats.failed_resumes,
        ms(v.stats.last_suspend),
        ms(v.stats.last_resume),
    )
}

/// The devfreq state as lines of `key value`, the transition table as sysfs shows it.
pub fn render_devfreq(stage: &str, v: &DevfreqView) -> String {
    let mhz = |hz: u64| hz / 1_000_000;
    let table: Vec<String> = v.freq_table.iter().map(|&f| mhz(f).to_string()).collect();
    let mut out = format!(
        "[{stage}]\n  governor {} polling_ms {} suspended {}\n  cur_freq {} MHz clock {} MHz {} uV range {}..{} MHz\n  \
         opps {} MHz\n  busy_ms {} idle_ms {}\n  trans_stat\n",
        v.governor,
        v.polling_ms,
        v.suspended,
        mhz(v.cur_freq),
        mhz(v.clock_rate),
        v.microvolt,
        mhz(v.range.0),
        mhz(v.range.1),
        table.join(" "),
        v.busy_ns / 1_000_000,
        v.idle_ns / 1_000_000,
    );
    for line in v.trans_stat.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Runs the script on a fresh board and renders the view after each step.
pub fn run() -> Result<String, ReplayError> {
    let soc = Rk3588::new().map_err(setup("board"))?;
    let dev = probe(soc.gpu()).map_err(setup("probe"))?;
    let mut out = render("probed", &pm(&dev));
    if !wait_for_status(&dev, RpmStatus::Suspended, BOUND) {
        return Err(ReplayError::Setup(
            "the idle GPU did not autosuspend".into(),
        ));
    }
    out.push_str(&render("idle", &pm(&dev)));
    let file = TyrDrmFile::open(&dev, RENDER_CLIENT).map_err(setup("open"))?;
    let mut info = drm_panthor_timestamp_info::default();
    let mut q = drm_panthor_dev_query {
        type_: DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
        size: core::mem::size_of::<drm_panthor_timestamp_info>() as u32,
        pointer: &mut info as *mut _ as u64,
    };
    crate::info::ioctl(&file, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).map_err(setup("DEV_QUERY"))?;
    out.push_str(&render("after TIMESTAMP_INFO", &pm(&dev)));
    if !wait_for_status(&dev, RpmStatus::Suspended, BOUND) {
        return Err(ReplayError::Setup(
            "the GPU did not autosuspend again".into(),
        ));
    }
    tyr::pm::system_suspend(&dev).map_err(setup("system suspend"))?;
    out.push_str(&render("system suspended", &pm(&dev)));
    tyr::pm::system_resume(&dev).map_err(setup("system resume"))?;
    out.push_str(&render("system resumed", &pm(&dev)));
    out.push_str(&render_devfreq("devfreq at boot", &devfreq(&dev)));
    tyr::devfreq::store(&dev, "governor", "performance").map_err(setup("governor"))?;
    out.push_str(&render_devfreq("devfreq performance", &devfreq(&dev)));
    tyr::devfreq::store(&dev, "governor", "powersave").map_err(setup("governor"))?;
    out.push_str(&render_devfreq("devfreq powersave", &devfreq(&dev)));
    // A reset runs on a powered GPU: keep it up, request one, wait for the scheduler's worker to run it.
    tyr::sysfs::write(&dev, "power/control", b"on").map_err(setup("power/control"))?;
    tyr::debugfs::device::schedule_reset(&dev);
    let deadline = std::time::Instant::now() + BOUND;
    let stats = loop {
        let s = tyr::debugfs::device::resets(&dev);
        if s.count > 0 && !s.pending {
            break s;
        }
        if std::time::Instant::now() > deadline {
            return Err(ReplayError::Setup("the requested reset never ran".into()));
        }
        std::thread::yield_now();
    };
    let last = stats.last.map_or("-".into(), |r| {
        format!(
            "{:?} in {} ok {} suspended {} innocent {} terminated {}",
            r.cause,
            ms(Some(r.latency)),
            r.ok,
            r.suspended,
            r.innocent,
            r.terminated
        )
    });
    out.push_str(&format!(
        "[reset requested]\n  resets {} failed {}\n  last {last}\n",
        stats.count, stats.failed
    ));
    out.push_str(&render("after the reset", &pm(&dev)));
    drop(file);
    drop(dev);
    drop(soc);
    Ok(out)
}
