// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Panthor's devfreq on the modelled board, its monitor run by the test on a fake time source.

use std::sync::Arc;

use kernel::devfreq::{FakeTime, Worker};
use rk3588_platform::Rk3588;

use super::TyrDevfreq;

const MHZ: u64 = 1_000_000;
const MS: u64 = 1_000_000;

#[test]
fn init_moves_the_boot_clock_to_the_recommended_opp() {
    let soc = Rk3588::new().unwrap();
    assert_eq!(soc.board().gpu().core_clock_hz(), 198 * MHZ);
    let time = FakeTime::new(0);
    let d = TyrDevfreq::init_with(soc.gpu(), Worker::Manual(time.clone())).unwrap();
    assert_eq!(
        d.current_frequency(),
        300 * MHZ,
        "198 MHz -> the OPP at or above"
    );
    assert_eq!(soc.board().gpu().core_clock_hz(), 300 * MHZ, "CPLL / 5");
    assert_eq!(d.fast_rate(), 1000 * MHZ);
    assert_eq!(d.opp().voltage(), 675_000);
    assert_eq!(d.devfreq().cur_freq(), 300 * MHZ);
    assert_eq!(d.devfreq().next_poll_ns(), Some(50 * MS));
}

/// The scheduler's records drive the governor: 100 % busy goes to the top OPP, 0 % to the bottom; the clock the
/// GPU runs at is what the PLLs can give for each OPP.
#[test]
fn recorded_load_drives_the_gpu_clock() {
    let soc = Rk3588::new().unwrap();
    let time = FakeTime::new(0);
    let d = TyrDevfreq::init_with(soc.gpu(), Worker::Manual(time.clone())).unwrap();
    d.record_busy();
    time.advance(50 * MS);
    assert!(d.devfreq().run_pending());
    assert_eq!(d.current_frequency(), 1000 * MHZ);
    assert_eq!(
        soc.board().gpu().core_clock_hz(),
        850 * MHZ,
        "NPLL: the best at or below 1 GHz"
    );
    // `dev_pm_opp_set_rate` takes the voltage of the OPP at or above the rate the clock can make: 900 MHz's.
    assert_eq!(d.opp().voltage(), 800_000);
    // 30 % busy at the real 850 MHz: 850 * 30 / 100 * 100 / 43 = 593 MHz -> 600 MHz (GPLL / 2 = 594 MHz).
    d.record_idle();
    time.advance(35 * MS);
    d.record_busy();
    time.advance(15 * MS);
    d.record_idle();
    assert!(d.devfreq().run_pending());
    assert_eq!(d.current_frequency(), 600 * MHZ);
    assert_eq!(soc.board().gpu().core_clock_hz(), 594 * MHZ);
    time.advance(50 * MS);
    assert!(d.devfreq().run_pending());
    assert_eq!(d.current_frequency(), 300 * MHZ);
    let (busy, idle, now_busy) = d.utilization();
    assert_eq!((busy, idle, now_busy), (65 * MS, 85 * MS, false));
    assert_eq!(d.devfreq().stats().total_trans, 3);
}

#[test]
fn suspend_stops_polling_and_resume_restarts_the_accounting() {
    let soc = Rk3588::new().unwrap();
    let time = FakeTime::new(0);
    let d = TyrDevfreq::init_with(soc.gpu(), Worker::Manual(time.clone())).unwrap();
    d.record_busy();
    d.suspend().unwrap();
    time.advance(500 * MS);
    assert!(!d.devfreq().run_pending(), "no polling while suspended");
    d.record_idle();
    d.resume().unwrap();
    time.advance(50 * MS);
    assert!(d.devfreq().run_pending());
    let s = d.devfreq().last_status();
    assert_eq!(
        (s.busy_time, s.total_time),
        (0, 50 * MS),
        "the suspended half second is not in the window"
    );
    assert_eq!(d.current_frequency(), 300 * MHZ);
}

#[test]
fn a_device_without_clock_or_opps_is_refused() {
    let soc = Rk3588::new().unwrap();
    let g = soc.gpu();
    let bare = kernel::platform::Device::new("x.gpu", vec![], vec![], vec![], g.ram().clone());
    let time: Arc<FakeTime> = FakeTime::new(0);
    assert_eq!(
        TyrDevfreq::init_with(&bare, Worker::Manual(time.clone())).err(),
        Some(kernel::code::ENOENT)
    );
    let mut no_opp =
        kernel::platform::Device::new("x.gpu", vec![], vec![], vec![], g.ram().clone());
    no_opp.add_clock("core", kernel::clk::FakeClk::new(1, 0));
    assert_eq!(
        TyrDevfreq::init_with(&no_opp, Worker::Manual(time)).err(),
        Some(kernel::code::ENODEV)
    );
}
