// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The model's time: the event queue ([`Event`]s scheduled in model nanoseconds), advancing the clock and firing
//! what falls due, and the counters that follow it (LATEST_FLUSH_ID, TIMESTAMP, CYCLE_COUNT).

use super::*;

impl State {
    /// Schedules `ev` after `delay` ns; a zero delay runs it now.
    pub(crate) fn schedule(&mut self, delay: u64, ev: Event) {
        if delay == 0 {
            self.fire(ev);
            return;
        }
        self.seq += 1;
        self.notify = true;
        self.events.push(Scheduled {
            at: self.now.saturating_add(delay),
            seq: self.seq,
            ev,
        });
    }

    pub(super) fn next_event(&self) -> Option<u64> {
        self.events.iter().map(|e| e.at).min()
    }

    /// Moves the clock to `target`, firing every event due on the way, in deadline order.
    pub(super) fn advance_to(&mut self, target: u64) {
        self.advance_bounded(target, usize::MAX);
    }

    /// [`Self::advance_to`] firing at most `budget` events; returns whether it reached `target`.
    pub(super) fn advance_bounded(&mut self, target: u64, mut budget: usize) -> bool {
        loop {
            if budget == 0 {
                return false;
            }
            budget -= 1;
            let due = self
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.at <= target)
                .min_by_key(|(_, e)| (e.at, e.seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let e = self.events.swap_remove(i);
            self.now = self.now.max(e.at);
            self.fire(e.ev);
        }
        self.now = self.now.max(target);
        true
    }

    /// Brings model time up to real time. The work done per call is bounded: when the host cannot keep up (a stream
    /// looping forever schedules a batch every microsecond of model time), the model's clock slips — it runs slower
    /// than real time, like a slower GPU — instead of every MMIO access trying to catch up forever.
    /// `budget` bounds the events fired: the model thread catches up in large steps, a register access from the
    /// driver in small ones, so that busy command streams (a batch every microsecond) do not make every MMIO access
    /// pay for interpreting them.
    pub(super) fn sync_time(&mut self, budget: usize) {
        if let Clock::RealTime { origin, at_origin } = self.clock {
            let elapsed = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
            if !self.advance_bounded(at_origin.saturating_add(elapsed), budget) {
                self.clock = Clock::RealTime {
                    origin: Instant::now(),
                    at_origin: self.now,
                };
            }
        }
    }

    pub(super) fn fire(&mut self, ev: Event) {
        self.generation += 1;
        self.notify = true;
        match ev {
            Event::Power { domain, bits, on } => {
                let d = &mut self.domains[domain];
                if on {
                    d.ready |= bits;
                } else {
                    d.ready &= !bits;
                }
                d.trans &= !bits;
                self.gpu_irq.raise(gpu_irq::POWER_CHANGED_SINGLE);
                self.power_changed(domain, bits, on);
                if self.domains.iter().all(|d| d.trans == 0) {
                    self.gpu_irq.raise(gpu_irq::POWER_CHANGED_ALL);
                }
            }
            Event::Reset { keep_power } => self.finish_reset(keep_power),
            Event::CacheFlush => {
                self.flushes_pending = self.flushes_pending.saturating_sub(1);
                self.bump_flush_id();
                self.gpu_irq.raise(gpu_irq::CLEAN_CACHES_COMPLETED);
            }
            Event::AsCommand(n) => {
                self.notify = true;
                if let Some(space) = self.spaces.get_mut(n) {
                    if space.complete_command() == Completed::CachesFlushed {
                        self.bump_flush_id();
                    }
                }
            }
            Event::McuStart => crate::csf::start(self),
            Event::McuStop => {
                self.mcu_status = mcu::STATUS_DISABLED;
                self.mcu.stop();
                self.mcu_cores_off();
            }
            Event::Doorbell(i) => crate::csf::doorbell(self, i),
            Event::McuIdle(gen) => crate::csf::idle_timer_expired(self, gen),
            Event::CsExec(gen) => crate::csf::exec_batch(self, gen),
            Event::CoresOff(gen) => self.cores_off_expired(gen),
        }
        self.update_activity();
    }

    pub(crate) fn bump_flush_id(&mut self) {
        self.latest_flush_id = self.latest_flush_id.wrapping_add(1).max(1);
    }

    pub(crate) fn timestamp(&self) -> u64 {
        scale(self.now, self.cfg.timestamp_hz).wrapping_add(self.timestamp_offset)
    }

    pub(crate) fn cycle_count(&self) -> u64 {
        let running = self
            .cycles_since
            .map_or(0, |t| scale(self.now - t, self.core_hz()));
        self.cycles_accumulated.wrapping_add(running)
    }
}
