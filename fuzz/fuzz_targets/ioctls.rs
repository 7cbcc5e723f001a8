// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Ioctl sequences on a device booted once per process: `tyr fuzz`'s structure-aware generator (every Panthor ioctl,
//! the DRM core and syncobj ones, the sync_file and dma-buf ioctls on the descriptors calls hand out, descriptor
//! steps) with its choices taken from the input's bytes, so libFuzzer's mutations steer the sequence by coverage. An
//! input may start with a script of literal steps (`tyr_cli::fuzz::seed`: what `tyr fuzz-seed` makes of a traced
//! client), run before the generated ones. The oracles are the campaign's: no panic on any thread, an errno
//! `Documentation/uapi.md` allows, a failed call changes nothing, the consistency checker after every step; and
//! between inputs every file and descriptor is closed and RAM, descriptors, dma-bufs and anonymous files must be back
//! at the device's baseline. The input's run is `tyr_cli::fuzz::input::run`.
//!
//! At exit it prints `#ioctls N` (ioctls run in this process) for `make fuzz`'s report.
#![no_main]

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use tyr_cli::fuzz::exec::Executor;
use tyr_cli::fuzz::input::{self, FILES, MAX_STEPS};

thread_local! {
    static EXECUTOR: RefCell<Executor> = RefCell::new(Executor::new(FILES).expect("boot"));
}

/// Ioctls run in this process.
static IOCTLS: AtomicU64 = AtomicU64::new(0);

extern "C" fn report() {
    eprintln!("#ioctls {}", IOCTLS.load(Ordering::Relaxed));
}

fuzz_target!(init: {
    // SAFETY: `report` is an `extern "C" fn()` that only reads an atomic and writes to stderr, which stays valid
    // until the process ends.
    unsafe { libc::atexit(report) };
}, |data: &[u8]| {
    // The input's bytes as they are (an optional script, then the generator's choices: `tyr_cli::fuzz::seed`), so
    // that a seed file is exactly what `input::run` gets here and in its tests.
    EXECUTOR.with(|ex| {
        match input::run(&mut ex.borrow_mut(), data, FILES, MAX_STEPS) {
            Ok(run) => {
                IOCTLS.fetch_add(run.stats.ioctls, Ordering::Relaxed);
            }
            Err(m) => panic!("{m}"),
        }
    });
});
