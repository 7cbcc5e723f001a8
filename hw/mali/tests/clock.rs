// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The core clock input: CYCLE_COUNT and the command streams' speed follow the rate the SoC sets, TIMESTAMP does
//! not, and the activity record measures busy and idle model time from the streams' real state. Time is stepped
//! explicitly; nothing sleeps.

mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::csf::{csg, EXEC_BATCH_CYCLES};
use hw_mali::regs::gpu;

const TIME_START: u32 = 0x103;

#[test]
fn cycle_count_follows_the_core_clock_and_the_timestamp_does_not() {
    let r = common::rig();
    assert_eq!(r.gpu.core_clock_hz(), 198_000_000, "power-on rate");
    r.w32(gpu::GPU_COMMAND, TIME_START);
    let (c0, t0) = (r.r64(gpu::CYCLE_COUNT), r.r64(gpu::TIMESTAMP));
    r.gpu.advance(1_000_000); // 1 ms at 198 MHz
    let (c1, t1) = (r.r64(gpu::CYCLE_COUNT), r.r64(gpu::TIMESTAMP));
    assert_eq!(c1 - c0, 198_000);
    assert_eq!(t1 - t0, 24_000, "24 MHz system counter");
    r.gpu.set_core_clock_hz(1_000_000_000);
    r.gpu.advance(1_000_000); // 1 ms at 1 GHz
    let (c2, t2) = (r.r64(gpu::CYCLE_COUNT), r.r64(gpu::TIMESTAMP));
    assert_eq!(
        c2 - c1,
        1_000_000,
        "cycles at the new rate from the change on"
    );
    assert_eq!(t2 - t1, 24_000, "the timestamp rate does not change");
    assert_eq!(r.gpu.core_clock_changes(), 1);
    r.gpu.set_core_clock_hz(1_000_000_000);
    assert_eq!(r.gpu.core_clock_changes(), 1, "the same rate is no change");
}

/// An endless loop runs one batch per EXEC_BATCH_CYCLES: at a higher clock, more batches fit in the same model time,
/// and the activity record counts the whole time as busy until the stream stops.
#[test]
fn a_faster_clock_runs_more_batches_and_activity_records_busy_then_idle() {
    let t = Gpu::new();
    t.start_group(0, 1);
    // The started stream has work until its first batch finds the ring empty.
    t.r.gpu.advance(10_000);
    let a0 = t.r.gpu.activity();
    t.r.gpu.advance(100_000);
    let a1 = t.r.gpu.activity();
    assert_eq!(a1.busy_ns, a0.busy_ns, "no stream has work: idle");
    assert!(a1.idle_ns >= a0.idle_ns + 100_000);

    t.submit(0, 0, &[branch(0, 6, -1)]);
    t.r.gpu.advance(10_000);
    let b0 = t.r.gpu.cs_exec_batches();
    let start = t.r.gpu.activity();
    assert!(start.busy);
    t.r.gpu.advance(1_000_000);
    let slow = t.r.gpu.cs_exec_batches() - b0;
    // 198 MHz: one batch per 1 µs.
    assert!((999..=1001).contains(&slow), "{slow} batches at 198 MHz");
    t.r.gpu.set_core_clock_hz(990_000_000);
    let b1 = t.r.gpu.cs_exec_batches();
    t.r.gpu.advance(1_000_000);
    let fast = t.r.gpu.cs_exec_batches() - b1;
    assert!(
        (4_990..=5_001).contains(&fast),
        "{fast} batches at 990 MHz (one per {EXEC_BATCH_CYCLES} cycles)"
    );
    let mid = t.r.gpu.activity();
    assert_eq!(
        mid.busy_ns - start.busy_ns,
        2_000_000,
        "busy the whole time"
    );
    assert_eq!(mid.idle_ns, start.idle_ns);

    t.csg_request(0, csg::STATE_SUSPEND, 0, 0);
    t.r.gpu.advance(500_000);
    let end = t.r.gpu.activity();
    assert!(!end.busy);
    assert!(
        end.busy_ns - mid.busy_ns < 10_000,
        "busy stops with the stream"
    );
    assert!(end.idle_ns - mid.idle_ns >= 490_000);
}
