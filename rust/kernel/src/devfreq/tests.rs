// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The devfreq core on a fake clock and a fake time source: nothing sleeps, the monitor runs when the test moves
//! time and asks for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;
use crate::clk::{Clk, FakeClk};
use crate::error::code::{EACCES, EINVAL, ENOENT};
use crate::opp::{OppNode, Table};

const MHZ: u64 = 1_000_000;
const MS: u64 = 1_000_000;

/// A device whose load the test sets (busy ns per elapsed ns, in percent) and whose `target` is Panthor's.
struct FakeDev {
    opp: Arc<Table>,
    time: Arc<FakeTime>,
    load_pct: AtomicU64,
    last: AtomicU64,
}

impl Profile for FakeDev {
    fn target(&self, freq: &mut u64, flags: u32) -> Result {
        recommended_opp(&self.opp, freq, flags)?;
        self.opp.set_rate(*freq)
    }

    fn get_dev_status(&self) -> Result<DevStatus> {
        let now = self.time.now_ns();
        let total = now - self.last.swap(now, Ordering::SeqCst);
        Ok(DevStatus {
            total_time: total,
            busy_time: total / 100 * self.load_pct.load(Ordering::SeqCst),
            current_frequency: self.opp.clk().get_rate(),
        })
    }
}

struct Rig {
    time: Arc<FakeTime>,
    dev: Arc<FakeDev>,
    df: Arc<Devfreq>,
    clk: Arc<FakeClk>,
}

fn table(clk: Arc<FakeClk>) -> Arc<Table> {
    // The RK3588 GPU's table, in MHz, with its target voltages.
    let nodes: Vec<OppNode> = [
        (300, 675_000),
        (400, 675_000),
        (500, 675_000),
        (600, 675_000),
        (700, 700_000),
        (800, 750_000),
        (900, 800_000),
        (1000, 850_000),
    ]
    .iter()
    .map(|&(m, uv)| OppNode {
        hz: m * MHZ,
        microvolt: [uv, uv, 850_000],
        suspend: false,
    })
    .collect();
    Arc::new(Table::from_nodes(&nodes, Clk::new("core", clk)).unwrap())
}

fn rig(governor: &str) -> Rig {
    let time = FakeTime::new(1_000 * MS);
    let clk = FakeClk::new(300 * MHZ, 0);
    let opp = table(clk.clone());
    let dev = Arc::new(FakeDev {
        opp: opp.clone(),
        time: time.clone(),
        load_pct: AtomicU64::new(0),
        last: AtomicU64::new(time.now_ns()),
    });
    let df = Devfreq::add_device(
        "fb000000.gpu",
        opp,
        dev.clone(),
        ProfileConfig {
            initial_freq: 300 * MHZ,
            polling_ms: 50,
            timer: TimerKind::Delayed,
        },
        governor,
        SimpleOndemandData {
            upthreshold: 45,
            downdifferential: 5,
        },
        Worker::Manual(time.clone()),
    )
    .unwrap();
    Rig { time, dev, df, clk }
}

impl Rig {
    /// Moves time by one polling interval at `load` percent and runs the monitor.
    fn poll(&self, load: u64) {
        self.dev.load_pct.store(load, Ordering::SeqCst);
        self.time.advance(50 * MS);
        assert!(self.df.run_pending(), "the monitor was due");
    }
}

#[test]
fn busy_ramps_to_the_top_idle_to_the_bottom_and_trans_stat_counts_it() {
    let r = rig("simple_ondemand");
    assert_eq!(
        r.df.next_poll_ns(),
        Some(1_050 * MS),
        "first poll one interval after start"
    );
    assert!(!r.df.run_pending(), "not due yet");
    r.poll(100);
    assert_eq!(r.df.cur_freq(), 1000 * MHZ);
    assert_eq!(r.clk.get_rate_for_test(), 1000 * MHZ);
    r.poll(100);
    assert_eq!(r.df.cur_freq(), 1000 * MHZ, "stays");
    // 20% at 1 GHz: 1000 * 20 / 100 * 100 / 43 = 465 MHz -> the OPP at or above: 500 MHz.
    r.poll(20);
    assert_eq!(r.df.cur_freq(), 500 * MHZ);
    r.poll(0);
    assert_eq!(r.df.cur_freq(), 300 * MHZ);
    let s = r.df.stats();
    assert_eq!(s.total_trans, 3);
    let ts = r.df.show("trans_stat").unwrap();
    let expected =
        "     From  :   To\n           : 300000000 400000000 500000000 600000000 700000000 \
                    800000000 9000000001000000000   time(ms)\n";
    assert!(ts.starts_with(expected), "{ts}");
    let lines: Vec<&str> = ts.lines().collect();
    assert_eq!(lines.len(), 2 + 8 + 1);
    assert_eq!(
        lines[2],
        "* 300000000:         0         0         0         0         0         0         0         1        50"
    );
    assert_eq!(
        lines[4],
        "  500000000:         1         0         0         0         0         0         0         0        50"
    );
    assert_eq!(
        lines[9],
        " 1000000000:         0         0         1         0         0         0         0         0       100"
    );
    assert_eq!(lines[10], "Total transition : 3");
    // Reading it brought the current state's time up to date: 0 ms since the last poll.
    r.time.advance(7 * MS);
    assert!(r.df.show("trans_stat").unwrap().contains("       57\n"));
    // `echo 0 > trans_stat`.
    assert_eq!(r.df.store("trans_stat", "1"), Err(EINVAL));
    assert_eq!(
        r.df.stats().total_trans,
        3,
        "a failed write changes nothing"
    );
    r.df.store("trans_stat", "0\n").unwrap();
    let s = r.df.stats();
    assert_eq!((s.total_trans, s.trans_table.iter().sum::<u32>()), (0, 0));
    assert!(s.time_in_state_ns.iter().all(|&t| t == 0));
    let t = r.df.trace();
    assert_eq!(
        t.iter()
            .map(|x| (x.from / MHZ, x.to / MHZ))
            .collect::<Vec<_>>(),
        vec![(300, 1000), (1000, 500), (500, 300)]
    );
}

impl FakeClk {
    fn get_rate_for_test(&self) -> u64 {
        crate::clk::ClkOps::rate(self)
    }
}

#[test]
fn min_and_max_writes_clamp_with_the_kernels_rounding() {
    let r = rig("simple_ondemand");
    assert_eq!(r.df.show("min_freq").unwrap(), "300000000\n");
    assert_eq!(r.df.show("max_freq").unwrap(), "1000000000\n");
    // A max between OPPs: the range shows it as written (rounded up to kHz), the device takes the OPP below.
    r.df.store("max_freq", "650000000\n").unwrap();
    assert_eq!(r.df.show("max_freq").unwrap(), "650000000\n");
    r.poll(100);
    assert_eq!(r.df.cur_freq(), 600 * MHZ);
    r.df.store("max_freq", "666666666").unwrap();
    assert_eq!(
        r.df.show("max_freq").unwrap(),
        "666667000\n",
        "kHz rounded up"
    );
    // A min between OPPs: rounded down to kHz; the device takes the OPP above, at once (the QoS notifier).
    r.df.store("min_freq", "450000999").unwrap();
    assert_eq!(r.df.show("min_freq").unwrap(), "450000000\n");
    r.poll(0);
    assert_eq!(r.df.cur_freq(), 500 * MHZ);
    // min above max: min is clamped to max.
    r.df.store("min_freq", "2000000000").unwrap();
    assert_eq!(r.df.show("min_freq").unwrap(), "666667000\n");
    assert_eq!(
        r.df.cur_freq(),
        600 * MHZ,
        "applied at once, LUB of 666.667 MHz"
    );
    // max 0: no limit.
    r.df.store("max_freq", "0").unwrap();
    assert_eq!(r.df.show("max_freq").unwrap(), "1000000000\n");
    assert_eq!(
        r.df.show("min_freq").unwrap(),
        "1000000000\n",
        "min 2 GHz is clamped to max"
    );
    assert_eq!(r.df.cur_freq(), 1000 * MHZ);
    // Values below the table are the table's edge.
    r.df.store("min_freq", "1").unwrap();
    r.df.store("max_freq", "1").unwrap();
    assert_eq!(
        r.df.show("max_freq").unwrap(),
        "1000\n",
        "max 1 Hz -> 1 kHz"
    );
    assert_eq!(
        r.df.show("min_freq").unwrap(),
        "1000\n",
        "min clamped to max"
    );
    assert_eq!(
        r.df.cur_freq(),
        300 * MHZ,
        "the lowest OPP, the closest one"
    );
    // The kHz values are s32 requests: 2^32 kHz truncates to 0 (no minimum), and 2^32 - 1 kHz to -1, which is
    // PM_QOS_DEFAULT_VALUE (no maximum).
    r.df.store("min_freq", "4294967296000").unwrap();
    assert_eq!(
        r.df.show("min_freq").unwrap(),
        "1000\n",
        "no minimum; still clamped to max"
    );
    r.df.store("max_freq", "4294967295000").unwrap();
    assert_eq!(r.df.show("max_freq").unwrap(), "1000000000\n");
    assert_eq!(r.df.show("min_freq").unwrap(), "300000000\n");
    // Errors: nothing parses.
    for bad in ["", "abc", "-5", " x"] {
        let before = r.df.freq_range();
        let e = r.df.store("min_freq", bad);
        if bad.is_empty() {
            assert_eq!(e, Ok(()), "an empty write does nothing");
        } else {
            assert_eq!(e, Err(EINVAL), "{bad:?}");
        }
        assert_eq!(r.df.freq_range(), before);
    }
    assert_eq!(r.df.store("cur_freq", "1"), Err(EACCES), "read-only");
    assert_eq!(r.df.store("nope", "1"), Err(ENOENT));
    assert_eq!(r.df.show("nope"), Err(ENOENT));
}

#[test]
fn the_other_attributes_show_the_kernels_text() {
    let r = rig("simple_ondemand");
    assert_eq!(r.df.show("name").unwrap(), "fb000000.gpu\n");
    assert_eq!(r.df.show("governor").unwrap(), "simple_ondemand\n");
    assert_eq!(
        r.df.show("available_governors").unwrap(),
        "userspace powersave performance simple_ondemand\n"
    );
    assert_eq!(
        r.df.show("available_frequencies").unwrap(),
        "300000000 400000000 500000000 600000000 700000000 800000000 900000000 1000000000\n"
    );
    assert_eq!(r.df.show("cur_freq").unwrap(), "300000000\n");
    assert_eq!(r.df.show("target_freq").unwrap(), "300000000\n");
    assert_eq!(r.df.show("polling_interval").unwrap(), "50\n");
    assert_eq!(r.df.show("timer").unwrap(), "delayed\n");
    r.df.store("polling_interval", "4294967295").unwrap();
    assert_eq!(
        r.df.show("polling_interval").unwrap(),
        "-1\n",
        "%d of an unsigned int"
    );
    assert_eq!(r.df.store("polling_interval", "-3"), Err(EINVAL));
    r.df.store("timer", "deferrable").unwrap();
    assert_eq!(r.df.show("timer").unwrap(), "deferrable\n");
    assert_eq!(r.df.store("timer", "sometimes"), Err(EINVAL));
    let names: Vec<&str> = r.df.attributes().iter().map(|a| a.name).collect();
    assert!(names.contains(&"polling_interval") && names.contains(&"timer"));
}

#[test]
fn polling_interval_changes_when_the_monitor_runs() {
    let r = rig("simple_ondemand");
    r.df.store("polling_interval", "10").unwrap();
    assert_eq!(
        r.df.next_poll_ns(),
        Some(1_010 * MS),
        "shorter: restarted at once"
    );
    r.df.store("polling_interval", "100").unwrap();
    assert_eq!(
        r.df.next_poll_ns(),
        Some(1_010 * MS),
        "longer: after the queued poll"
    );
    r.time.advance(10 * MS);
    assert!(r.df.run_pending());
    assert_eq!(r.df.next_poll_ns(), Some(1_110 * MS));
    r.df.store("polling_interval", "0").unwrap();
    assert_eq!(r.df.next_poll_ns(), None, "0 stops polling");
    r.time.advance(1_000 * MS);
    assert!(!r.df.run_pending());
    r.df.store("polling_interval", "20").unwrap();
    assert_eq!(r.df.next_poll_ns(), Some(2_030 * MS));
}

#[test]
fn governors_switch_and_bring_their_attributes() {
    let r = rig("simple_ondemand");
    r.df.store("governor", "performance\n").unwrap();
    assert_eq!(
        r.df.cur_freq(),
        1000 * MHZ,
        "performance sets the maximum when it starts"
    );
    assert_eq!(r.df.next_poll_ns(), None, "no monitor");
    assert_eq!(r.df.show("polling_interval"), Err(ENOENT));
    assert_eq!(r.df.store("governor", "turbo"), Err(EINVAL));
    assert_eq!(r.df.show("governor").unwrap(), "performance\n", "unchanged");
    r.df.store("governor", "powersave").unwrap();
    assert_eq!(r.df.cur_freq(), 300 * MHZ);
    r.df.store("governor", "userspace").unwrap();
    assert_eq!(r.df.show("userspace/set_freq").unwrap(), "undefined\n");
    r.df.store("userspace/set_freq", "700000000").unwrap();
    assert_eq!(r.df.cur_freq(), 700 * MHZ);
    assert_eq!(r.df.show("userspace/set_freq").unwrap(), "700000000\n");
    r.df.store("userspace/set_freq", "750000000").unwrap();
    assert_eq!(r.df.cur_freq(), 800 * MHZ, "the OPP at or above");
    assert_eq!(r.df.store("userspace/set_freq", "x"), Err(EINVAL));
    r.df.store("max_freq", "500000000").unwrap();
    assert_eq!(r.df.cur_freq(), 500 * MHZ, "clamped by max_freq");
    r.df.store("governor", "simple_ondemand").unwrap();
    assert_eq!(r.df.show("userspace/set_freq"), Err(ENOENT));
    assert!(r.df.next_poll_ns().is_some(), "the monitor restarts");
    assert_eq!(r.df.stats().total_trans, 5);
}

#[test]
fn suspend_stops_the_monitor_and_the_clock_of_trans_stat_and_nests() {
    let r = rig("simple_ondemand");
    r.poll(100);
    r.df.suspend_device().unwrap();
    r.df.suspend_device().unwrap();
    assert!(r.df.is_suspended());
    assert_eq!(r.df.next_poll_ns(), None);
    r.time.advance(500 * MS);
    assert!(!r.df.run_pending());
    let s = r.df.stats();
    assert_eq!(
        s.time_in_state_ns[7], 0,
        "time while suspended is not counted"
    );
    r.df.resume_device().unwrap();
    assert!(r.df.is_suspended(), "one suspension left");
    assert_eq!(r.df.next_poll_ns(), None);
    r.df.resume_device().unwrap();
    assert!(!r.df.is_suspended());
    assert_eq!(r.df.next_poll_ns(), Some(r.time.now_ns() + 50 * MS));
    r.time.advance(50 * MS);
    assert!(r.df.run_pending());
    assert_eq!(r.df.stats().time_in_state_ns[7], 50 * MS);
}

#[test]
fn recommended_opp_falls_back_to_the_other_side() {
    let t = table(FakeClk::new(1, 0));
    let mut f = 1;
    assert_eq!(
        recommended_opp(&t, &mut f, FLAG_LEAST_UPPER_BOUND)
            .unwrap()
            .rate,
        300 * MHZ
    );
    let mut f = u64::MAX;
    assert_eq!(recommended_opp(&t, &mut f, 0).unwrap().rate, 1000 * MHZ);
    let mut f = 650 * MHZ;
    assert_eq!(recommended_opp(&t, &mut f, 0).unwrap().rate, 700 * MHZ);
    let mut f = 650 * MHZ;
    assert_eq!(
        recommended_opp(&t, &mut f, FLAG_LEAST_UPPER_BOUND)
            .unwrap()
            .rate,
        600 * MHZ
    );
}

#[test]
fn add_device_refuses_an_unknown_governor() {
    let time = FakeTime::new(0);
    let clk = FakeClk::new(300 * MHZ, 0);
    let opp = table(clk);
    let dev = Arc::new(FakeDev {
        opp: opp.clone(),
        time: time.clone(),
        load_pct: AtomicU64::new(0),
        last: AtomicU64::new(0),
    });
    let cfg = ProfileConfig {
        initial_freq: 300 * MHZ,
        polling_ms: 50,
        timer: TimerKind::Delayed,
    };
    let e = Devfreq::add_device(
        "x",
        opp,
        dev,
        cfg,
        "ondemand",
        SimpleOndemandData::default(),
        Worker::Manual(time),
    );
    assert_eq!(e.err(), Some(EINVAL));
}

#[test]
fn the_monitor_thread_polls_on_its_own() {
    let clk = FakeClk::new(300 * MHZ, 0);
    let opp = table(clk);
    struct Busy(Arc<Table>);
    impl Profile for Busy {
        fn target(&self, freq: &mut u64, flags: u32) -> Result {
            recommended_opp(&self.0, freq, flags)?;
            self.0.set_rate(*freq)
        }
        fn get_dev_status(&self) -> Result<DevStatus> {
            Ok(DevStatus {
                total_time: 100,
                busy_time: 100,
                current_frequency: self.0.clk().get_rate(),
            })
        }
    }
    let df = Devfreq::add_device(
        "x",
        opp.clone(),
        Arc::new(Busy(opp)),
        ProfileConfig {
            initial_freq: 300 * MHZ,
            polling_ms: 1,
            timer: TimerKind::Delayed,
        },
        "simple_ondemand",
        SimpleOndemandData::default(),
        Worker::Thread,
    )
    .unwrap();
    // Waits on the device's own condition (bounded), not for a guessed time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while df.cur_freq() != 1000 * MHZ {
        assert!(
            std::time::Instant::now() < deadline,
            "the monitor never ran"
        );
        std::thread::yield_now();
    }
    df.remove();
}
