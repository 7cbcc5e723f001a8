// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Ioctl sequences on a device booted once per process: `tyr fuzz`'s structure-aware generator (every Panthor ioctl,
//! the DRM core and syncobj ones, the sync_file and dma-buf ioctls on the descriptors calls hand out, descriptor
//! steps) with its choices taken from the input's bytes, so libFuzzer's mutations steer the sequence by coverage. The
//! oracles are the campaign's: no panic on any thread, an errno `Documentation/uapi.md` allows, a failed call changes
//! nothing, the consistency checker after every step; and between inputs every file and descriptor is closed and
//! RAM, descriptors, dma-bufs and anonymous files must be back at the device's baseline.
//!
//! At exit it prints `#ioctls N` (ioctls run in this process) for `make fuzz`'s report.
#![no_main]

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rand_core::RngCore;
use tyr_cli::fuzz::exec::Executor;
use tyr_cli::fuzz::gen::Gen;
use tyr_cli::fuzz::{script, step_checked, Stats};

/// Files per input: two render files and the master.
const FILES: usize = 3;
/// Steps per input at most.
const MAX_STEPS: usize = 256;

#[derive(Arbitrary, Debug)]
struct Input {
    /// The generator's choices.
    choices: Vec<u8>,
}

/// A random source reading the input's bytes; once they run out it yields zeros and says so.
struct Choices {
    bytes: Vec<u8>,
    at: usize,
    out: Rc<Cell<bool>>,
}

impl RngCore for Choices {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for d in dest {
            *d = match self.bytes.get(self.at) {
                Some(&b) => {
                    self.at += 1;
                    b
                }
                None => {
                    self.out.set(true);
                    0
                }
            };
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

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
}, |input: Input| {
    EXECUTOR.with(|ex| {
        let mut ex = ex.borrow_mut();
        // libFuzzer opens descriptors of its own between inputs; leaks are counted from here.
        ex.rebase();
        let out = Rc::new(Cell::new(false));
        let mut gen = Gen::from_rng(Box::new(Choices {
            bytes: input.choices,
            at: 0,
            out: out.clone(),
        }));
        let mut stats = Stats::default();
        let mut steps = Vec::new();
        while steps.len() < MAX_STEPS && !out.get() {
            let step = gen.next(&ex.view());
            steps.push(step);
            if let Err(f) = step_checked(&mut ex, steps.last().expect("pushed"), &mut stats) {
                // The steps as a script `tyr fuzz --replay` runs again on a fresh board.
                panic!("{f}\nscript ({FILES} files):\n{}", script::print(&steps));
            }
        }
        if let Err(m) = ex.reset(FILES) {
            panic!("after closing every file: {m}\nscript ({FILES} files):\n{}", script::print(&steps));
        }
        IOCTLS.fetch_add(stats.ioctls, Ordering::Relaxed);
    });
});
