// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr trace` shows power-management transitions, GPU frequency changes and resets: a device autosuspends, the
//! performance governor moves the clock to the top OPP and powersave back, a reset is requested; the rendered
//! timeline and summary name each.
//! (One test in this binary: it installs the process-wide subscriber, which the PM and devfreq threads log to.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rk3588_platform::Rk3588;
use tyr::debugfs::pm::wait_for_status;
use tyr::drm_device::probe;
use tyr::pm::RpmStatus;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn pm_transitions_frequency_changes_and_resets_appear_in_the_timeline() {
    let buf = Buffer::default();
    let writer = buf.clone();
    tracing::subscriber::set_global_default(tyr_trace_setup::json_subscriber(
        "warn,tyr::pm=info,tyr::devfreq=info,tyr::sched=warn",
        move || writer.clone(),
    ))
    .unwrap();
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    assert!(wait_for_status(
        &dev,
        RpmStatus::Suspended,
        Duration::from_secs(10)
    ));
    tyr::devfreq::store(&dev, "governor", "performance").unwrap();
    tyr::devfreq::store(&dev, "governor", "powersave").unwrap();
    // A requested reset on a GPU kept powered.
    tyr::sysfs::write(&dev, "power/control", b"on").unwrap();
    tyr::debugfs::device::schedule_reset(&dev);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while tyr::debugfs::device::resets(&dev).count == 0 {
        assert!(std::time::Instant::now() < deadline, "the reset never ran");
        std::thread::yield_now();
    }
    drop(dev);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let rows = tyr_cli::trace::rows(&text);
    let timeline = tyr_cli::trace::render(&rows);
    assert!(timeline.contains("PM -> suspended in "), "{timeline}");
    assert!(
        timeline.contains("GPU clock 300 MHz -> 1000 MHz (runs at 850 MHz)"),
        "{timeline}"
    );
    assert!(
        timeline.contains("GPU clock 1000 MHz -> 300 MHz (runs at 300 MHz)"),
        "{timeline}"
    );
    assert!(
        timeline.contains("!! GPU reset scheduled: Requested"),
        "{timeline}"
    );
    assert!(timeline.contains("GPU reset done in "), "{timeline}");
    let summary = tyr_cli::trace::summary(&rows);
    assert!(
        summary.contains("GPU resets                          1"),
        "{summary}"
    );
    assert!(
        summary.contains("PM transitions (to suspended)"),
        "{summary}"
    );
    assert!(
        summary.contains("GPU frequency changes               2"),
        "{summary}"
    );
}
