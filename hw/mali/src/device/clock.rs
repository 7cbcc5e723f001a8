// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU's core clock input and its activity record.
//!
//! The core clock is not a GPU register: the SoC's clock controller drives it ([`crate::Mali::set_core_clock_hz`],
//! which the board's clock controller calls). Everything the model counts in GPU cycles follows it: CYCLE_COUNT, the
//! model time one command-stream batch takes ([`crate::csf::EXEC_BATCH_CYCLES`] cycles), and timer words whose tick
//! source is the cycle counter. TIMESTAMP counts the SoC's system counter and does not.
//!
//! The activity record accumulates, in model time, how long some command stream had work (busy) and how long none had
//! (idle), from the MCU's real state, so that a driver's busy/idle accounting can be checked against it.

use super::{scale, State};

/// Busy and idle time the model measured ([`crate::Mali::activity`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Model time (ns) during which at least one started command stream had work.
    pub busy_ns: u64,
    /// Model time (ns) during which none had.
    pub idle_ns: u64,
    /// Whether a stream has work now.
    pub busy: bool,
    /// Model time of the record's last update.
    pub at_ns: u64,
}

/// The clock input and activity bookkeeping kept in [`State`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClockState {
    /// Current core clock rate in Hz.
    pub(crate) hz: u64,
    /// Rate changes so far.
    pub(crate) changes: u64,
    activity: Activity,
}

impl ClockState {
    pub(crate) fn new(hz: u64) -> Self {
        Self {
            hz,
            changes: 0,
            activity: Activity::default(),
        }
    }
}

impl State {
    /// The core clock rate now.
    pub(crate) fn core_hz(&self) -> u64 {
        self.clock_in.hz
    }

    /// Changes the core clock rate at the current model time: cycles counted so far are kept at the old rate.
    pub(crate) fn set_core_hz(&mut self, hz: u64) {
        if hz == self.clock_in.hz {
            return;
        }
        if let Some(t) = self.cycles_since {
            self.cycles_accumulated = self
                .cycles_accumulated
                .wrapping_add(scale(self.now - t, self.clock_in.hz));
            self.cycles_since = Some(self.now);
        }
        self.clock_in.hz = hz;
        self.clock_in.changes += 1;
    }

    /// Model nanoseconds `cycles` GPU cycles take at the current rate (at least 1).
    pub(crate) fn cycles_to_ns(&self, cycles: u64) -> u64 {
        let hz = self.clock_in.hz.max(1);
        let ns = (u128::from(cycles) * 1_000_000_000).div_ceil(u128::from(hz));
        u64::try_from(ns).unwrap_or(u64::MAX).max(1)
    }

    /// Brings the activity record up to now and samples whether a stream has work.
    pub(crate) fn update_activity(&mut self) {
        let busy = self.mcu.running() && self.mcu.exec.any_work();
        let a = &mut self.clock_in.activity;
        let dt = self.now.saturating_sub(a.at_ns);
        if a.busy {
            a.busy_ns += dt;
        } else {
            a.idle_ns += dt;
        }
        a.at_ns = self.now;
        a.busy = busy;
    }

    pub(crate) fn activity(&mut self) -> Activity {
        self.update_activity();
        self.clock_in.activity
    }
}
