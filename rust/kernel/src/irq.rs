// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Interrupts (`kernel::irq`): level-triggered lines and threaded handlers.
//!
//! The platform provides [`IrqLine`]s (on the modelled board, the Mali's job, mmu and gpu lines, asserted while the
//! block's STAT register is non-zero). A driver registers a handler with [`Registration::new`]: a thread waits on the
//! line — blocking, not polling — and runs the handler each time it is asserted, like `request_threaded_irq`. Dropping
//! the registration stops the thread (`free_irq`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::code::ENOMEM;
use crate::error::Result;

/// A level-triggered interrupt line.
pub trait IrqLine: Send + Sync {
    /// Whether the line is asserted now.
    fn is_asserted(&self) -> bool;
    /// Blocks until the line is asserted or `timeout` passes; returns whether it is asserted.
    fn wait_asserted(&self, timeout: Duration) -> bool;
}

/// What a handler did (`irqreturn_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqReturn {
    /// The interrupt was not ours (STAT read 0).
    None,
    /// Handled; the line should now be deasserted.
    Handled,
}

/// A registered handler, running on its own thread until dropped.
///
/// # Invariants
/// `thread` is `Some` until `drop` joins it.
pub struct Registration {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often a waiting handler thread looks at its stop flag when the line stays quiet.
const STOP_CHECK: Duration = Duration::from_millis(20);

impl Registration {
    /// Starts a thread named `name` that runs `handler` whenever `line` is asserted.
    pub fn new(
        name: &str,
        line: Arc<dyn IrqLine>,
        mut handler: impl FnMut() -> IrqReturn + Send + 'static,
    ) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("irq/{name}"))
            .spawn(move || {
                while !stop2.load(Ordering::Acquire) {
                    if line.wait_asserted(STOP_CHECK) && handler() == IrqReturn::None {
                        // Asserted but not ours: a shared line another device holds. Yield instead of spinning.
                        std::thread::yield_now();
                    }
                }
            })
            .map_err(|_| ENOMEM)?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
