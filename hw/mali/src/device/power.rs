// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Power domains as the work sees them: which units are powered, what the MCU powers itself, and what stops when a
//! domain goes down (`Documentation/hardware.md#gpu_control`).
//!
//! On a CSF GPU the host powers the L2 (`L2_PWRON`) and the firmware, running in MCU_CONTROL AUTO, powers the shader
//! cores (those in the `core_en_mask` it latched, all present ones before that) and the tiler when a stream has work,
//! and powers them down before it halts. The model follows that:
//!
//! * command-stream work (and with it every shader dispatch) only runs with the L2, the enabled shader cores and the
//!   tiler READY. A batch that finds them down asks for the cores and tiler (the usual PWRTRANS → READY transition,
//!   with the POWER_CHANGED interrupts) and waits; with the L2 down it cannot even do that, and simply waits for the
//!   L2: nothing runs, nothing faults, no result is produced until the host powers the L2 again;
//! * once no stream has work, the firmware's power-off timer (`poweroff_timer`, which Panthor sets to 10 ms) takes
//!   the shader cores and tiler down, and the next work powers them up again;
//! * a GLB HALT and an MCU stop power the shader cores and tiler down (the firmware's power-down on halt);
//! * powering the L2 down takes the shader cores, tiler and core stacks behind it down too.
//!
//! The MCU's memory is system RAM, reached through AS 0: a halted MCU keeps it, and MCU_CONTROL AUTO after a halt
//! restarts the firmware from it (the host has only to clear the HALT request before), without a reload.

use super::*;

/// Index of each domain in [`State::domains`] (the order of [`DOMAINS`]).
const SHADER: usize = 0;
const TILER: usize = 1;
const L2: usize = 2;
const STACK: usize = 3;

/// The power state of every domain and of the MCU, for tests and tools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PowerState {
    /// SHADER_READY.
    pub shader_ready: u64,
    /// TILER_READY.
    pub tiler_ready: u64,
    /// L2_READY.
    pub l2_ready: u64,
    /// STACK_READY.
    pub stack_ready: u64,
    /// Units of any domain mid-transition (PWRTRANS of all four, or-ed).
    pub transitioning: u64,
    /// MCU_STATUS (0 DISABLED, 1 ENABLED, 2 HALT, 3 FATAL).
    pub mcu_status: u32,
    /// Execution batches that found the cores down and waited for them.
    pub exec_waits: u64,
    /// Times the firmware's power-off timer took the idle cores down.
    pub idle_power_offs: u64,
}

impl State {
    fn domain_up(&self, d: usize, mask: u64) -> bool {
        mask != 0 && self.domains[d].ready & mask == mask
    }

    /// Whether the L2 is powered.
    pub(crate) fn l2_ready(&self) -> bool {
        self.domain_up(L2, self.domains[L2].present)
    }

    /// The shader cores the firmware runs work on: the enabled ones, or every present one before CFG_ALLOC_EN.
    fn work_cores(&self) -> u64 {
        let present = self.domains[SHADER].present;
        match self.mcu.latched.core_en_mask & present {
            0 => present,
            m => m,
        }
    }

    fn cores_ready(&self) -> bool {
        self.domain_up(SHADER, self.work_cores())
            && self.domain_up(TILER, self.domains[TILER].present)
    }

    /// Called by the MCU before an execution batch: whether the units work needs are powered. If the L2 is up but
    /// the cores or tiler are not, their power-up is started (and may complete at once with zero latency).
    pub(crate) fn exec_power_ready(&mut self) -> bool {
        if self.cores_ready() && self.l2_ready() {
            return true;
        }
        self.power_stats.exec_waits += 1;
        if !self.l2_ready() {
            return false;
        }
        let cores = self.work_cores();
        self.power(SHADER, cores, true);
        let tiler = self.domains[TILER].present;
        self.power(TILER, tiler, true);
        self.cores_ready()
    }

    /// No stream has work left: the firmware's shader power-off timer (`poweroff_timer`, latched from the global
    /// interface; Panthor programs 10 ms) starts, and the cores and tiler go down when it expires with still
    /// nothing to run. Work in between cancels it. A zero timer (never configured) keeps them up.
    pub(crate) fn arm_cores_off(&mut self) {
        self.power_stats.cores_off_gen += 1;
        let word = self.mcu.latched.poweroff_timer;
        if let Some(ns) = crate::csf::timer_ns(word, self.cfg.timestamp_hz, self.core_hz()) {
            let gen = self.power_stats.cores_off_gen;
            self.schedule(ns, Event::CoresOff(gen));
        }
    }

    /// Work ran: a pending power-off is stale.
    pub(crate) fn cancel_cores_off(&mut self) {
        self.power_stats.cores_off_gen += 1;
    }

    pub(super) fn cores_off_expired(&mut self, gen: u64) {
        if gen != self.power_stats.cores_off_gen || self.mcu_status != mcu::STATUS_ENABLED {
            return;
        }
        if self.mcu.exec.any_work() || self.domains[SHADER].ready | self.domains[TILER].ready == 0 {
            return;
        }
        self.power_stats.idle_power_offs += 1;
        self.mcu_cores_off();
    }

    /// The firmware powers the shader cores and the tiler down (halt, stop, power-off timer).
    pub(crate) fn mcu_cores_off(&mut self) {
        for d in [SHADER, TILER] {
            let ready = self.domains[d].ready;
            self.power(d, ready, false);
        }
    }

    /// A power transition of `bits` completed: an L2 that went down takes the units behind it along (and a
    /// firmware power-up of the cores that completes after it does not count); a unit that came up lets waiting
    /// work run again. Register-level PWRON of the cores by the host is honoured whatever the L2 does.
    pub(super) fn power_changed(&mut self, domain: usize, bits: u64, on: bool) {
        if (domain == SHADER || domain == TILER)
            && on
            && !self.l2_ready()
            && self.mcu_status == mcu::STATUS_ENABLED
        {
            self.domains[domain].ready &= !bits;
            return;
        }
        if domain == L2 && !on && !self.l2_ready() {
            for d in [SHADER, TILER, STACK] {
                self.domains[d].ready = 0;
                self.domains[d].trans = 0;
            }
        }
        if on && self.mcu_status == mcu::STATUS_ENABLED {
            crate::csf::power_up(self);
        }
    }
}

/// Power counters kept beside the domains, and the power-off timer's generation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PowerStats {
    pub(crate) exec_waits: u64,
    /// Bumped by work and by each arming: an expiry of an older generation is stale.
    cores_off_gen: u64,
    /// Times the power-off timer took the cores down.
    pub(crate) idle_power_offs: u64,
}

impl Mali {
    /// Every domain's READY bits, the units mid-transition and the MCU's status.
    pub fn power_state(&self) -> PowerState {
        let st = self.lock();
        PowerState {
            shader_ready: st.domains[SHADER].ready,
            tiler_ready: st.domains[TILER].ready,
            l2_ready: st.domains[L2].ready,
            stack_ready: st.domains[STACK].ready,
            transitioning: st.domains.iter().fold(0, |a, d| a | d.trans),
            mcu_status: st.mcu_status,
            exec_waits: st.power_stats.exec_waits,
            idle_power_offs: st.power_stats.idle_power_offs,
        }
    }
}
