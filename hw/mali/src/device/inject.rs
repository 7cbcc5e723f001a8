// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Fault injection: the hangs and faults a driver must recover from, on demand, for tests and tools
//! (`Documentation/hardware.md#fault-injection`). Each hang is cleared by a GPU reset (GPU_COMMAND SOFT_RESET or
//! HARD_RESET), as on silicon, where a reset is the only way out of them; failed MCU boots are counted down by the
//! boots themselves, whatever resets come between.

use super::*;

/// What has been injected and not yet cleared by a reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Injected {
    /// The MCU stopped answering: doorbells, command streams and its timers are ignored.
    pub(crate) mcu_stuck: bool,
    /// Address spaces whose next command never completes (AS_STATUS.ACTIVE stays set).
    pub(crate) stuck_as: u32,
    /// How many of the next MCU boots fail (MCU_STATUS FATAL, no GLB interrupt). Not cleared by a reset: it is what
    /// the boot after one meets.
    pub(crate) boot_failures: u32,
}

impl Injected {
    /// What a GPU reset leaves: the hangs are gone, the failed boots still to come are not.
    pub(crate) fn after_reset(self) -> Self {
        Self {
            boot_failures: self.boot_failures,
            ..Self::default()
        }
    }
}

/// What is injected now, as [`Mali::injected`] reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectState {
    /// [`Mali::inject_mcu_stuck`] is in effect.
    pub mcu_stuck: bool,
    /// Bit `n`: [`Mali::inject_as_stuck`] is in effect for AS `n`.
    pub stuck_as: u32,
    /// MCU boots still to fail ([`Mali::inject_mcu_boot_failures`]).
    pub boot_failures: u32,
}

impl State {
    /// The model clock, in ns since power-on.
    pub(crate) fn model_now(&self) -> u64 {
        self.now
    }
}

impl Mali {
    /// The MCU hangs: it stops acknowledging global and CSG requests (doorbells are ignored), its command streams stop
    /// and its timers stop firing. MCU_STATUS still reads ENABLED, as for firmware stuck in a loop. A GPU reset
    /// clears it.
    pub fn inject_mcu_stuck(&self) {
        let mut st = self.lock();
        st.inject.mcu_stuck = true;
        st.notify = true;
    }

    /// AS `as_nr` hangs: the next command written to it (and the one running, if any) never completes, so
    /// AS_STATUS.ACTIVE stays set and later commands are dropped as written while busy. A GPU reset clears it.
    /// `false` for an AS that does not exist.
    pub fn inject_as_stuck(&self, as_nr: usize) -> bool {
        let mut st = self.lock();
        if as_nr >= st.spaces.len() {
            return false;
        }
        st.inject.stuck_as |= 1 << as_nr;
        if st.spaces[as_nr].status() != 0 {
            // The running command's completion is already scheduled: drop it.
            st.events.retain(|e| e.ev != Event::AsCommand(as_nr));
        }
        st.notify = true;
        true
    }

    /// CS `j` of CSG slot `i` spins: it keeps running without making progress (as a stream stuck in a loop whose
    /// body never retires a ring instruction or updates a sync object), so the firmware's progress timer trips. The
    /// stream stays spinning until a GPU reset, or until its group leaves the slot. Returns whether a started
    /// stream took it.
    pub fn inject_cs_spin(&self, i: u32, j: u32) -> bool {
        crate::csf::spin(&mut self.lock(), i, j)
    }

    /// A GPU bus fault on an access of `access` at physical address `pa`: GPU_FAULTSTATUS reads GPU_BUS_FAULT (0x80)
    /// with the access type and the address-valid bit, GPU_FAULTADDRESS `pa`, and GPU IRQ FAULT rises, as when the
    /// interconnect rejects a GPU access. The first fault is kept until CLEAR_FAULT or a reset.
    pub fn inject_bus_fault(&self, pa: u64, access: AccessType) {
        self.lock().gpu_bus_fault(pa, access);
    }

    /// The next `n` MCU boots (MCU_CONTROL ENABLE or AUTO) fail: after the boot latency MCU_STATUS reads FATAL and
    /// no GLB interrupt is raised, as when the firmware faults during its initialisation. A GPU reset does not clear
    /// it: each boot, the first after a reset included, takes one.
    pub fn inject_mcu_boot_failures(&self, n: u32) {
        self.lock().inject.boot_failures = n;
    }

    /// What is injected now.
    pub fn injected(&self) -> InjectState {
        let st = self.state.lock();
        InjectState {
            mcu_stuck: st.inject.mcu_stuck,
            stuck_as: st.inject.stuck_as,
            boot_failures: st.inject.boot_failures,
        }
    }
}
