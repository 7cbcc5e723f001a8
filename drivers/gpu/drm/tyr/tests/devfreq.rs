// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Panthor's devfreq on the modelled RK3588, through the driver: a GPU kept busy by a looping job ramps the clock
//! up, idleness brings it down, `trans_stat` counts it; the sysfs writes clamp as the kernel's; the GPU's cycle
//! counter follows the clock while its timestamp does not. Waits are on the devfreq device's own transitions or the
//! model's clock, each bounded.

mod common;

use std::time::{Duration, Instant};

use common::sched::{Client, LOOP};
use kernel::code::{EACCES, EINVAL, ENOENT};
use tyr::debugfs::devfreq::{devfreq, wait_freq};
use tyr::devfreq::{attributes, show, store};
use tyr::uapi::{
    drm_panthor_timestamp_info, timestamp_flags, DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
};

const MHZ: u64 = 1_000_000;
const WAIT: Duration = Duration::from_secs(60);

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// A busy-then-idle run: the frequency trace is printed (`cargo test -p tyr --test devfreq -- --nocapture`).
#[test]
fn a_busy_loop_ramps_the_clock_up_and_idleness_brings_it_down() {
    let b = common::Board::boot();
    let gpu = b.soc.board().gpu().clone();
    tyr::debugfs::device::set_job_timeout(&b.dev, Duration::from_secs(120));
    // Kept powered (`echo on > power/control`): an idle GPU would otherwise autosuspend 50 ms after its work, and
    // runtime suspend suspends devfreq at the frequency it had (`panthor_devfreq_suspend`; the RK3588 table has no
    // suspend OPP), so idleness could not ramp it down. The test below checks that freeze.
    tyr::sysfs::write(&b.dev, "power/control", b"on").unwrap();
    assert!(
        wait_freq(&b.dev, WAIT, |f| f == 300 * MHZ),
        "an idle GPU settles at the lowest OPP"
    );
    show(&b.dev, "trans_stat").unwrap();
    store(&b.dev, "trans_stat", "0\n").unwrap();
    let t0 = Instant::now();
    let (v0, a0) = (devfreq(&b.dev), gpu.activity());

    let c = Client::new(&b.dev, b.open());
    c.bo_at(0x100_0000, &LOOP);
    let g = c.group(1);
    let out = c.syncobj();
    c.submit(g, 0x100_0000, 8, &[], out).unwrap();
    assert!(
        wait_freq(&b.dev, WAIT, |f| f == 1000 * MHZ),
        "a busy GPU goes to the top OPP: {}",
        devfreq(&b.dev).trans_stat
    );
    let up = t0.elapsed();
    assert_eq!(
        gpu.core_clock_hz(),
        850 * MHZ,
        "the PLLs' best at or below 1 GHz"
    );
    // Stay busy for a few more polls, then compare the driver's records with what the model saw.
    let (v1, a1) = (devfreq(&b.dev), gpu.activity());
    assert!(!wait_freq(&b.dev, Duration::from_millis(300), |f| f != 1000 * MHZ));
    let (v2, a2) = (devfreq(&b.dev), gpu.activity());
    let driver_busy = (v2.busy_ns - v1.busy_ns) as f64
        / ((v2.busy_ns + v2.idle_ns) - (v1.busy_ns + v1.idle_ns)) as f64;
    let model_busy = (a2.busy_ns - a1.busy_ns) as f64
        / ((a2.busy_ns + a2.idle_ns) - (a1.busy_ns + a1.idle_ns)) as f64;
    assert!(
        driver_busy > 0.95,
        "the scheduler recorded {driver_busy:.3} busy"
    );
    assert!(
        model_busy > 0.95,
        "the model ran a stream {model_busy:.3} of the time"
    );

    c.destroy_group(g);
    assert!(
        wait_freq(&b.dev, WAIT, |f| f == 300 * MHZ),
        "an idle GPU comes back down: {}",
        devfreq(&b.dev).trans_stat
    );
    let down = t0.elapsed();
    assert_eq!(gpu.core_clock_hz(), 300 * MHZ);
    // Idle for a few polls: both sides agree it is idle.
    let (v3, a3) = (devfreq(&b.dev), gpu.activity());
    assert!(!wait_freq(&b.dev, Duration::from_millis(300), |f| f != 300 * MHZ));
    let (v4, a4) = (devfreq(&b.dev), gpu.activity());
    let driver_busy = (v4.busy_ns - v3.busy_ns) as f64
        / ((v4.busy_ns + v4.idle_ns) - (v3.busy_ns + v3.idle_ns)) as f64;
    let model_busy = (a4.busy_ns - a3.busy_ns) as f64
        / ((a4.busy_ns + a4.idle_ns) - (a3.busy_ns + a3.idle_ns)) as f64;
    assert!(
        driver_busy < 0.05,
        "recorded {driver_busy:.3} busy while idle"
    );
    assert!(
        model_busy < 0.05,
        "the model ran {model_busy:.3} while idle"
    );

    let v = devfreq(&b.dev);
    let n = v.freq_table.len();
    let (lo, hi) = (0, n - 1);
    assert!(
        v.stats.trans_table[lo * n + hi] >= 1,
        "300 -> 1000 MHz: {}",
        v.trans_stat
    );
    assert!(v.stats.total_trans >= 2);
    assert_eq!(
        v.stats.total_trans,
        v.stats.trans_table.iter().sum::<u32>(),
        "every transition is in the table"
    );
    let ts = show(&b.dev, "trans_stat").unwrap();
    assert!(
        ts.lines().nth(2).unwrap().starts_with("* 300000000:"),
        "{ts}"
    );
    assert!(ts.ends_with(&format!("Total transition : {}\n", v.stats.total_trans)));

    // The trace of the run.
    println!("busy-then-idle run (host ms from the submit; model activity busy/idle ms)");
    println!(
        "  submit at 0.0; top OPP reached at {:.1}; back at the lowest at {:.1}",
        ms(up.as_nanos() as u64),
        ms(down.as_nanos() as u64)
    );
    let start = v0.transitions.last().map_or(0, |t| t.at_ns);
    let base = v
        .transitions
        .iter()
        .find(|t| t.at_ns > start)
        .map_or(0, |t| t.at_ns);
    for t in v.transitions.iter().filter(|t| t.at_ns > start) {
        println!(
            "  {:>8.1} ms  {:>4} MHz -> {:>4} MHz",
            ms(t.at_ns - base),
            t.from / MHZ,
            t.to / MHZ
        );
    }
    println!(
        "  driver: busy {:.1} ms, idle {:.1} ms; model: busy {:.1} ms, idle {:.1} ms (model time)",
        ms(v4.busy_ns - v0.busy_ns),
        ms(v4.idle_ns - v0.idle_ns),
        ms(a4.busy_ns - a0.busy_ns),
        ms(a4.idle_ns - a0.idle_ns)
    );
    print!("{ts}");
}

#[test]
fn min_and_max_writes_clamp_and_bad_writes_change_nothing() {
    let b = common::Board::boot();
    let gpu = b.soc.board().gpu().clone();
    assert_eq!(show(&b.dev, "name").unwrap(), "fb000000.gpu\n");
    assert_eq!(show(&b.dev, "governor").unwrap(), "simple_ondemand\n");
    assert_eq!(
        show(&b.dev, "available_frequencies").unwrap(),
        "300000000 400000000 500000000 600000000 700000000 800000000 900000000 1000000000\n"
    );
    assert_eq!(show(&b.dev, "polling_interval").unwrap(), "50\n");
    assert_eq!(show(&b.dev, "timer").unwrap(), "delayed\n");
    // A minimum between OPPs applies at once (the PM QoS notifier), at the OPP above it.
    store(&b.dev, "min_freq", "750000000\n").unwrap();
    assert_eq!(show(&b.dev, "min_freq").unwrap(), "750000000\n");
    assert_eq!(show(&b.dev, "cur_freq").unwrap(), "800000000\n");
    assert_eq!(gpu.core_clock_hz(), 786_432_000, "AUPLL");
    // A maximum below the minimum wins: the minimum is clamped to it. The idle GPU's governor asks for less than
    // that minimum, so the core raises it to the minimum as a lower bound and takes the OPP at or above it: 700 MHz,
    // above max_freq, exactly as the kernel's devfreq_update_target does.
    store(&b.dev, "max_freq", "650000000").unwrap();
    assert_eq!(show(&b.dev, "max_freq").unwrap(), "650000000\n");
    assert_eq!(show(&b.dev, "min_freq").unwrap(), "650000000\n");
    assert_eq!(show(&b.dev, "cur_freq").unwrap(), "700000000\n");
    assert_eq!(
        gpu.core_clock_hz(),
        594_000_000,
        "GPLL / 2: the PLLs have nothing nearer 700 MHz"
    );
    // With the minimum lifted the maximum is an upper bound: the OPP at or below it.
    store(&b.dev, "min_freq", "0").unwrap();
    store(&b.dev, "governor", "performance").unwrap();
    assert_eq!(show(&b.dev, "cur_freq").unwrap(), "600000000\n");
    store(&b.dev, "governor", "simple_ondemand").unwrap();
    store(&b.dev, "min_freq", "750000000").unwrap();
    let before = (
        show(&b.dev, "min_freq").unwrap(),
        show(&b.dev, "max_freq").unwrap(),
    );
    for (attr, value, err) in [
        ("min_freq", "fast", EINVAL),
        ("max_freq", "-1", EINVAL),
        ("trans_stat", "1", EINVAL),
        ("cur_freq", "300000000", EACCES),
        ("governor", "ondemand", EINVAL),
        ("no_such_attribute", "1", ENOENT),
    ] {
        assert_eq!(store(&b.dev, attr, value), Err(err), "{attr} <- {value:?}");
    }
    assert_eq!(
        (
            show(&b.dev, "min_freq").unwrap(),
            show(&b.dev, "max_freq").unwrap()
        ),
        before
    );
    assert_eq!(show(&b.dev, "governor").unwrap(), "simple_ondemand\n");
    // Lifting the limits, then the performance governor: the top OPP.
    store(&b.dev, "max_freq", "0").unwrap();
    store(&b.dev, "min_freq", "0").unwrap();
    store(&b.dev, "governor", "performance").unwrap();
    assert_eq!(show(&b.dev, "cur_freq").unwrap(), "1000000000\n");
    assert_eq!(
        show(&b.dev, "polling_interval"),
        Err(ENOENT),
        "not a polling governor"
    );
    assert!(!attributes(&b.dev)
        .iter()
        .any(|a| a.name == "polling_interval"));
    let v = devfreq(&b.dev);
    assert_eq!(v.range, (300 * MHZ, 1000 * MHZ));
    assert_eq!((v.current_frequency, v.fast_rate), (1000 * MHZ, 1000 * MHZ));
    assert_eq!(v.clock_rate, 850 * MHZ);
}

/// DEV_QUERY TIMESTAMP_INFO: the cycle counter runs at the core clock's real rate, the timestamp at 24 MHz of CPU
/// time whatever the clock. Each query samples the GPU counters and the CPU clock back to back and says how long that
/// took (DURATION), which bounds the error of every rate measured here.
#[test]
fn the_cycle_counter_follows_the_clock_and_the_timestamp_does_not() {
    let b = common::Board::boot();
    let f = b.open();
    let gpu = b.soc.board().gpu().clone();
    // The cycle counter counts once started (GPU_COMMAND TIME with payload 1); nothing in the driver starts it.
    gpu.write32(hw_mali::regs::gpu::GPU_COMMAND, 0x103).unwrap();
    store(&b.dev, "governor", "userspace").unwrap();
    let sample = || {
        let mut out = drm_panthor_timestamp_info {
            flags: timestamp_flags::GPU
                | timestamp_flags::GPU_CYCLE_COUNT
                | timestamp_flags::FREQ
                | timestamp_flags::CPU_MONOTONIC
                | timestamp_flags::DURATION,
            ..Default::default()
        };
        let mut q = tyr::uapi::drm_panthor_dev_query {
            type_: DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
            size: size_of::<drm_panthor_timestamp_info>() as u32,
            pointer: &mut out as *mut _ as u64,
        };
        common::ioctl(&f, tyr::uapi::ioctl::DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
        let cpu = out.cpu_timestamp_sec * 1_000_000_000 + out.cpu_timestamp_nsec;
        (out, cpu)
    };
    // A sample whose reads were spread over more than 1 ms (the thread was preempted on a busy host) is taken again.
    let start = Instant::now();
    let sample = || loop {
        let s = sample();
        if s.0.duration_nsec < 1_000_000 {
            break s;
        }
        assert!(start.elapsed() < WAIT, "no sample took less than 1 ms");
    };
    const WINDOW_NS: u64 = 100_000_000;
    for (set, rate) in [
        ("300000000", 300 * MHZ),
        ("1000000000", 850 * MHZ),
        ("400000000", 396 * MHZ),
    ] {
        store(&b.dev, "userspace/set_freq", set).unwrap();
        assert_eq!(gpu.core_clock_hz(), rate);
        let (s0, c0) = sample();
        // Sample again once 100 ms of CPU time have passed, each query a point of the measurement; bounded.
        let (s1, c1) = loop {
            let s = sample();
            if s.1 >= c0 + WINDOW_NS {
                break s;
            }
            assert!(start.elapsed() < WAIT, "the CPU clock does not move");
        };
        assert_eq!(s1.timestamp_frequency, 24_000_000);
        let slack = f64::from(s0.duration_nsec + s1.duration_nsec) / (c1 - c0) as f64 + 0.005;
        let ticks = s1.current_timestamp - s0.current_timestamp;
        let cycles = s1.cycle_count - s0.cycle_count;
        let hz = cycles as f64 * 24e6 / ticks as f64;
        assert!(
            (hz / rate as f64 - 1.0).abs() < slack,
            "cycle counter at {hz:.0} Hz with the clock at {rate} (slack {slack:.4})"
        );
        let tick_hz = ticks as f64 * 1e9 / (c1 - c0) as f64;
        assert!(
            (tick_hz / 24e6 - 1.0).abs() < slack,
            "timestamp at {tick_hz:.0} Hz of CPU time with the clock at {rate} (slack {slack:.4})"
        );
    }
}

/// Runtime suspend suspends devfreq where it was (no suspend OPP on RK3588) and resume starts it again: a busy GPU
/// at the top OPP that goes idle autosuspends where the last poll left it, its monitor stopped; a resume restarts it.
#[test]
fn runtime_suspend_freezes_devfreq_and_resume_restarts_it() {
    use tyr::debugfs::pm::wait_for_status;
    use tyr::pm::RpmStatus;
    let b = common::Board::boot();
    tyr::debugfs::device::set_job_timeout(&b.dev, Duration::from_secs(120));
    let c = Client::new(&b.dev, b.open());
    c.bo_at(0x100_0000, &LOOP);
    let g = c.group(1);
    let out = c.syncobj();
    c.submit(g, 0x100_0000, 8, &[], out).unwrap();
    assert!(wait_freq(&b.dev, WAIT, |f| f == 1000 * MHZ));
    c.destroy_group(g);
    assert!(wait_for_status(&b.dev, RpmStatus::Suspended, WAIT));
    let v = devfreq(&b.dev);
    assert!(v.suspended, "devfreq is suspended with the GPU");
    // The polls in the 50 ms before the autosuspend may already have stepped down; from the suspend on, nothing
    // changes while it sleeps.
    let frozen = v.cur_freq;
    assert!(!wait_freq(&b.dev, Duration::from_millis(300), |f| f != frozen));
    assert_eq!(devfreq(&b.dev).stats.total_trans, v.stats.total_trans);
    // `echo on > power/control` resumes the GPU, and devfreq with it: idle but kept powered, it ramps down.
    tyr::sysfs::write(&b.dev, "power/control", b"on").unwrap();
    assert!(!devfreq(&b.dev).suspended, "resumed with the GPU");
    assert!(
        wait_freq(&b.dev, WAIT, |f| f == 300 * MHZ),
        "{}",
        devfreq(&b.dev).trans_stat
    );
}
