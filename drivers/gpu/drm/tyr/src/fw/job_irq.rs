// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The JOB interrupt as the firmware code needs it (`panthor_job_irq_handler`,
//! `Documentation/hardware.md#doorbells-and-the-job-irq`): before boot the GLB bit means "the MCU booted"; afterwards
//! it means the global interface has acks or events, which the handler has acknowledged through the callback the
//! global interface registered (this module sits below it and does not know it). Every JOB IRQ wakes the REQ/ACK
//! waiters (Panthor's `fw->req_waitqueue`). CSG bits are accumulated for the scheduler (`crate::sched`), which it
//! wakes.

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

use kernel::io::IoMem;
use kernel::irq::IrqReturn;

use crate::regs::{irq, JobIrqBits, JOB_IRQ_BASE};

/// How long a waiter sleeps before looking at the condition again without an interrupt. Panthor sleeps until the
/// timeout; re-checking also notices state the MCU changes without raising the IRQ (an ack outside `ack_irq_mask`,
/// MCU_STATUS going FATAL) well before the deadline.
const RECHECK: Duration = Duration::from_millis(1);

#[derive(Default)]
struct State {
    /// The GLB bit was seen since the last [`JobIrq::start_boot`].
    booted: bool,
    /// CSG slot bits seen and not yet taken by the scheduler.
    csg_events: u32,
    /// Bumped on every interrupt, so a waiter can tell "woken" from "spurious".
    seq: u64,
}

/// The JOB IRQ handler's state and the wait queue it wakes.
pub(crate) struct JobIrq {
    io: IoMem,
    state: Mutex<State>,
    wake: Condvar,
    /// Told about the GLB bit after boot (the global interface acknowledging its events), once discovered.
    glb_notify: Mutex<Option<GlbNotify>>,
    /// Told about CSG bits as they arrive (the scheduler's wake-up); must not allocate or block.
    csg_notify: Mutex<Option<CsgNotify>>,
}

/// What the handler calls when CSG slot bits arrive.
pub(crate) type CsgNotify = Arc<dyn Fn() + Send + Sync>;

/// What the handler calls when the GLB bit arrives after boot; must not allocate or block.
pub(crate) type GlbNotify = Arc<dyn Fn() + Send + Sync>;

impl JobIrq {
    /// A handler for the JOB IRQ block of `io`.
    pub(crate) fn new(io: IoMem) -> Self {
        Self {
            io,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            glb_notify: Mutex::new(None),
            csg_notify: Mutex::new(None),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// The handler: reads STAT, clears what it read, records it and wakes the waiters. `IrqReturn::None` when STAT
    /// is 0 (not ours).
    pub(crate) fn handle_irq(&self) -> IrqReturn {
        let Ok(stat) = self.io.read32(JOB_IRQ_BASE + irq::STAT) else {
            return IrqReturn::None;
        };
        if stat == 0 {
            return IrqReturn::None;
        }
        let _ = self.io.write32(JOB_IRQ_BASE + irq::CLEAR, stat);
        let bits = JobIrqBits(stat);
        let was_booted = {
            let mut st = self.state();
            let was = st.booted;
            if bits.glb() != 0 {
                st.booted = true;
            }
            st.csg_events |= bits.csg();
            was
        };
        if was_booted && bits.glb() != 0 {
            let notify = self.glb_notify.lock().clone();
            if let Some(n) = notify {
                n();
            }
        }
        let mut st = self.state();
        st.seq += 1;
        drop(st);
        self.wake.notify_all();
        if bits.csg() != 0 {
            let notify = self.csg_notify.lock().clone();
            if let Some(n) = notify {
                n();
            }
        }
        IrqReturn::Handled
    }

    /// Forgets an earlier boot: the next GLB interrupt means "booted" again (`ptdev->fw->booted = false`).
    pub(crate) fn start_boot(&self) {
        self.state().booted = false;
    }

    /// Whether the MCU signalled its boot since [`Self::start_boot`].
    pub(crate) fn booted(&self) -> bool {
        self.state().booted
    }

    /// Sets who is told when the GLB bit arrives after boot (`None`: nobody).
    pub(crate) fn set_glb_notify(&self, notify: Option<GlbNotify>) {
        *self.glb_notify.lock() = notify;
    }

    /// Sets who is told when CSG slot bits arrive (`None`: nobody).
    pub(crate) fn set_csg_notify(&self, notify: Option<CsgNotify>) {
        *self.csg_notify.lock() = notify;
    }

    /// Takes the CSG slot bits seen so far.
    pub(crate) fn take_csg_events(&self) -> u32 {
        core::mem::take(&mut self.state().csg_events)
    }

    /// Sleeps until `cond` holds or `timeout` passes, woken by every JOB IRQ; returns whether it holds (checked once
    /// more at the deadline, as `panthor_fw_wait_acks` does).
    pub(crate) fn wait_until(&self, timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.state().seq;
            if cond() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return cond();
            }
            let st = self.state();
            if st.seq == seen {
                let slice = (deadline - now).min(RECHECK);
                drop(st.wait_timeout(&self.wake, slice));
            }
        }
    }
}
