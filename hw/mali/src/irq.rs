// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Interrupt blocks (RAWSTAT/CLEAR/MASK/STAT) and the level-triggered lines they drive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// One interrupt block's state: raw sources and the enable mask (`Documentation/hardware.md#register-map`).
///
/// STAT is not stored: it is always `rawstat & mask`, so the line can never disagree with the registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqRegs {
    /// Raw sources.
    pub rawstat: u32,
    /// Enable mask.
    pub mask: u32,
}

impl IrqRegs {
    /// STAT: the enabled, pending sources.
    pub fn stat(&self) -> u32 {
        self.rawstat & self.mask
    }

    /// A source fires (hardware side, or a RAWSTAT write, which forces bits on but never clears them).
    pub fn raise(&mut self, bits: u32) {
        self.rawstat |= bits;
    }

    /// CLEAR written: each 1 clears that RAWSTAT bit, except bits in `sticky`.
    pub fn clear(&mut self, bits: u32, sticky: u32) {
        self.rawstat &= !(bits & !sticky);
    }
}

/// Which of the GPU's three interrupt outputs (names as the device tree's `interrupt-names`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IrqKind {
    /// `job`: the JOB IRQ block (CSF global and CSG events).
    Job,
    /// `mmu`: the MMU IRQ block (address-space faults).
    Mmu,
    /// `gpu`: the GPU IRQ block (reset, power, cache flush, GPU faults).
    Gpu,
}

impl IrqKind {
    /// All three, in device-tree order.
    pub const ALL: [IrqKind; 3] = [IrqKind::Job, IrqKind::Mmu, IrqKind::Gpu];

    /// The device tree's `interrupt-names` entry.
    pub fn name(self) -> &'static str {
        match self {
            IrqKind::Job => "job",
            IrqKind::Mmu => "mmu",
            IrqKind::Gpu => "gpu",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            IrqKind::Job => 0,
            IrqKind::Mmu => 1,
            IrqKind::Gpu => 2,
        }
    }
}

#[derive(Debug, Default)]
struct LineState {
    level: bool,
    /// Number of low→high transitions, so a waiter can tell a new assertion from an old one.
    rises: u64,
    /// Bumped by [`IrqLine::kick_waiters`] to release blocked waiters (a handler thread being stopped).
    kicks: u64,
}

/// A level-triggered interrupt line: high while its block's STAT is non-zero.
///
/// A handler thread blocks in [`IrqLine::wait_asserted`] (a condition variable, no polling); the model drives the level
/// after every change of RAWSTAT or MASK.
#[derive(Debug)]
pub struct IrqLine {
    kind: IrqKind,
    state: Mutex<LineState>,
    cv: Condvar,
}

impl IrqLine {
    /// A line, initially low.
    pub fn new(kind: IrqKind) -> Self {
        Self {
            kind,
            state: Mutex::new(LineState::default()),
            cv: Condvar::new(),
        }
    }

    /// Which output this is.
    pub fn kind(&self) -> IrqKind {
        self.kind
    }

    /// Whether the line is high now.
    pub fn is_asserted(&self) -> bool {
        self.state.lock().level
    }

    /// How many times the line went from low to high since it was created.
    pub fn rise_count(&self) -> u64 {
        self.state.lock().rises
    }

    /// Drives the line (model side).
    pub(crate) fn set_level(&self, level: bool) {
        let mut s = self.state.lock();
        if level && !s.level {
            s.rises += 1;
            tracing::debug!(target: "hw_mali::irq", line = self.kind.name(), "IRQ raised");
        }
        let changed = s.level != level;
        s.level = level;
        drop(s);
        if changed && level {
            self.cv.notify_all();
        }
    }

    /// Releases every thread blocked in [`IrqLine::wait_asserted`] (it returns the current level, normally `false`).
    pub fn kick_waiters(&self) {
        self.state.lock().kicks += 1;
        self.cv.notify_all();
    }

    /// Blocks until the line is high, `timeout` passes or [`IrqLine::kick_waiters`] is called; returns whether the line
    /// is high.
    pub fn wait_asserted(&self, timeout: Duration) -> bool {
        self.wait_inner(timeout, None)
    }

    /// Like [`IrqLine::wait_asserted`], but also returns once `cancel` is set and the waiters are kicked. The flag is
    /// checked under the line's lock, so setting it and then calling [`IrqLine::kick_waiters`] can never be missed.
    pub fn wait_asserted_unless(&self, timeout: Duration, cancel: &AtomicBool) -> bool {
        self.wait_inner(timeout, Some(cancel))
    }

    fn wait_inner(&self, timeout: Duration, cancel: Option<&AtomicBool>) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut s = self.state.lock();
        let kicks = s.kicks;
        let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Acquire));
        while !s.level && s.kicks == kicks && !cancelled() {
            match deadline {
                Some(d) => {
                    if self.cv.wait_until(&mut s, d).timed_out() {
                        return s.level;
                    }
                }
                None => self.cv.wait(&mut s),
            }
        }
        s.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn stat_is_rawstat_and_mask() {
        let r = IrqRegs {
            rawstat: 0b1011,
            mask: 0b0110,
        };
        assert_eq!(r.stat(), 0b0010);
    }

    #[test]
    fn clear_spares_sticky_bits() {
        let mut r = IrqRegs {
            rawstat: 0b111,
            mask: 0,
        };
        r.clear(0b111, 0b100);
        assert_eq!(r.rawstat, 0b100);
    }

    #[test]
    fn wait_returns_at_once_when_line_is_already_high() {
        let l = IrqLine::new(IrqKind::Gpu);
        l.set_level(true);
        assert!(l.wait_asserted(Duration::ZERO));
        assert_eq!(l.rise_count(), 1);
    }

    #[test]
    fn wait_times_out_on_a_low_line() {
        let l = IrqLine::new(IrqKind::Mmu);
        assert!(!l.wait_asserted(Duration::from_millis(1)));
    }

    #[test]
    fn cancelled_waiter_returns_with_the_line_low() {
        let l = Arc::new(IrqLine::new(IrqKind::Job));
        let cancel = Arc::new(AtomicBool::new(false));
        let (l2, c2) = (l.clone(), cancel.clone());
        let t = std::thread::spawn(move || l2.wait_asserted_unless(Duration::from_secs(3600), &c2));
        cancel.store(true, Ordering::Release);
        l.kick_waiters();
        assert!(!t.join().unwrap());
    }

    #[test]
    fn waiter_thread_wakes_when_line_rises() {
        let l = Arc::new(IrqLine::new(IrqKind::Job));
        let l2 = l.clone();
        let t = std::thread::spawn(move || l2.wait_asserted(Duration::from_secs(30)));
        l.set_level(true);
        assert!(t.join().unwrap());
    }
}
