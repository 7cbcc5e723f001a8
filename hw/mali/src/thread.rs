// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The model's own thread: runs the clock against real time so that timed operations complete, and IRQs rise, without
//! anyone stepping the model (what a driver running "as on silicon" needs).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::Mali;

/// A running model thread. Dropping it stops the thread and returns the model to manual stepping.
///
/// # Invariants
/// While this value lives, the model's clock follows real time and `handle` runs [`Mali`]'s event loop.
#[derive(Debug)]
pub struct ModelThread {
    mali: Arc<Mali>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl ModelThread {
    /// Starts running `mali`'s clock in real time on a new thread. At most one should run per model.
    pub fn spawn(mali: &Arc<Mali>) -> std::io::Result<Self> {
        mali.start_realtime();
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (mali.clone(), stop.clone());
        let handle = std::thread::Builder::new()
            .name("mali-model".into())
            .spawn(move || m.run_realtime(&s));
        match handle {
            Ok(h) => Ok(Self {
                mali: mali.clone(),
                stop,
                handle: Some(h),
            }),
            Err(e) => {
                mali.stop_realtime();
                Err(e)
            }
        }
    }
}

impl Drop for ModelThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.mali.stop_realtime();
        if let Some(h) = self.handle.take() {
            // A panic in the model thread is a model bug; surfacing it here would abort a test run that is unwinding
            // already, so it is only reported.
            if h.join().is_err() {
                eprintln!("mali-model thread panicked");
            }
        }
    }
}
