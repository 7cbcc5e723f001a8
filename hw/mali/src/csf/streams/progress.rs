// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The firmware's progress timer (`Documentation/hardware.md#fault-injection`): a started stream that keeps running
//! for the period latched by CFG_PROGRESS_TIMER (`progress_timer` × 1024 GPU cycles) without making progress has its
//! group report CSG PROGRESS_TIMER_EVENT.
//!
//! Progress, as the model counts it \[model\]: the stream's ring position passed the furthest point it had reached
//! (a ring instruction retired, such as the return from a job's CALL), a sync object was updated, a RUN_* was issued
//! (compute, tiling or fragment work done, however long its grid took), or the stream stopped running (its ring drained, it blocked on a sync object or an AS lock, it faulted). A stream looping
//! without returning to its ring makes none, and neither does one made to spin ([`crate::Mali::inject_cs_spin`]).

use super::*;
use crate::csf::timer_ns;
use crate::fields::CsgReq;
use crate::fields::TimerWord;

/// One stream's progress watch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Watch {
    /// The furthest ring position the stream has reached.
    high_water: u64,
    /// Model time since which the stream has run without progress.
    since: Option<u64>,
}

impl Watch {
    /// A batch ran the stream up to ring position `pos`; `progress` when it updated a sync object or stopped running.
    pub(super) fn ran(&mut self, now: u64, pos: u64, progress: bool) {
        if progress || pos > self.high_water {
            self.high_water = self.high_water.max(pos);
            self.since = None;
        } else if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// Whether `period` ns passed without progress; if so the watch starts over (the next report comes a period
    /// later).
    fn expired(&mut self, now: u64, period: u64) -> bool {
        match self.since {
            Some(t) if now.saturating_sub(t) >= period => {
                self.since = Some(now);
                true
            }
            _ => false,
        }
    }
}

/// The progress period the MCU latched, in model ns (`None`: 0, no timer).
fn period(st: &State) -> Option<u64> {
    // The progress timer counts GPU cycles whatever the word's source bit says.
    let word = TimerWord(st.mcu.latched.progress_timer).set_source_gpu(1);
    timer_ns(word.0, st.cfg.timestamp_hz, st.core_hz())
}

/// After a batch: raises PROGRESS_TIMER_EVENT for running group `i` if one of its streams went a whole period
/// without progress.
pub(super) fn check(st: &mut State, i: u32) -> Result<(), PortError> {
    let Some(period) = period(st) else {
        return Ok(());
    };
    let now = st.model_now();
    let g = &mut st.mcu.exec.groups[i as usize];
    let mut tripped = false;
    for s in g.streams.iter_mut().filter(|s| s.started) {
        tripped |= s.watch.expired(now, period);
    }
    if tripped {
        events::csg_event(st, i, CsgReq::PROGRESS_TIMER_EVENT.0)?;
    }
    Ok(())
}

/// See [`crate::Mali::inject_cs_spin`].
pub(crate) fn spin(st: &mut State, i: u32, j: u32) -> bool {
    let Some(s) = st
        .mcu
        .exec
        .groups
        .get_mut(i as usize)
        .filter(|g| g.latched.running)
        .and_then(|g| g.streams.get_mut(j as usize))
    else {
        return false;
    };
    if !s.started {
        return false;
    }
    s.spin = true;
    kick(st);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_trips_only_after_a_whole_period_without_progress() {
        let mut w = Watch::default();
        w.ran(0, 0x80, false);
        assert_eq!(w.since, None, "passing the high-water mark is progress");
        w.ran(10, 0x80, false);
        assert!(!w.expired(109, 100));
        assert!(w.expired(110, 100));
        assert!(!w.expired(150, 100), "the next report comes a period later");
        w.ran(160, 0x80, true);
        assert!(!w.expired(1_000, 100), "a sync update is progress");
        w.ran(1_000, 0x40, false);
        assert!(
            w.expired(1_100, 100),
            "going back below the high-water mark is not progress"
        );
    }
}
