// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Introspection for tests and tools: register dumps, TLB sizes, the MCU's latched state, fault injection.

use super::*;

impl Mali {
    /// Every register of a block, as a bring-up engineer reads them: GPU_CONTROL, JOB and MMU IRQ blocks and the USER
    /// page from [`crate::regs::REGISTERS`], then each present AS. Write-only registers are listed without a value.
    /// Reading has no side effects.
    pub fn register_dump(&self) -> Vec<RegValue> {
        let mut st = self.lock();
        let mut out = Vec::new();
        let mut read = |st: &mut State, name: String, offset: u32, reg: &crate::regs::Reg| {
            let value = match reg.access {
                crate::regs::Access::Wo => None,
                _ => {
                    let lo = st.read32(offset).ok();
                    let hi = if reg.is64 {
                        st.read32(offset + 4).ok()
                    } else {
                        Some(0)
                    };
                    lo.zip(hi)
                        .map(|(lo, hi)| u64::from(hi) << 32 | u64::from(lo))
                }
            };
            out.push(RegValue {
                name,
                offset,
                is64: reg.is64,
                value,
            });
        };
        for reg in crate::regs::REGISTERS {
            read(&mut st, reg.name.to_string(), reg.offset, reg);
        }
        for n in 0..AS_COUNT {
            for reg in crate::regs::AS_REGISTERS {
                let offset = mmu::AS_BASE + n as u32 * mmu::AS_STRIDE + reg.offset;
                read(&mut st, format!("AS{n}_{}", &reg.name[3..]), offset, reg);
            }
        }
        out
    }

    /// Number of translations AS `as_nr`'s TLB holds (0 for an absent AS).
    pub fn tlb_len(&self, as_nr: usize) -> usize {
        self.state
            .lock()
            .spaces
            .get(as_nr)
            .map_or(0, |s| s.tlb().len())
    }

    /// What the MCU latched from the global interface (timers, core mask, pings answered).
    pub fn mcu_latched(&self) -> crate::csf::GlbLatched {
        self.state.lock().mcu.latched
    }

    /// How many times a per-CSG doorbell (1..) reached the running MCU.
    pub fn cs_doorbell_rings(&self) -> u64 {
        self.state.lock().mcu.cs_doorbells
    }

    /// What CSG slot `i` latched (state, AS, endpoint request and priority, core masks, suspend buffer); `None` for a
    /// slot that does not exist.
    pub fn csg_latched(&self, i: u32) -> Option<crate::csf::CsgLatched> {
        self.state.lock().mcu.exec.latched(i as usize)
    }

    /// The 96 registers of CS `j` of CSG slot `i` (introspection for tests and tools; a driver reads them only through
    /// what the stream stores).
    pub fn cs_registers(&self, i: u32, j: u32) -> Option<[u32; crate::cs::REG_COUNT]> {
        self.state.lock().mcu.exec.regs(i as usize, j as usize)
    }

    /// Execution batches run so far (see [`crate::csf::EXEC_BATCH_NS`]).
    pub fn cs_exec_batches(&self) -> u64 {
        self.state.lock().mcu.exec.batches
    }

    /// Makes CS `j` of CSG slot `i` report TILER_OOM now, as the firmware does when a tiler heap runs out: the heap_*
    /// output words are filled from the stream's heap context and counters, the event is raised with its IRQ, and the
    /// stream waits for the host's acknowledgement and doorbell bit. Returns whether a running stream took the event.
    pub fn inject_tiler_oom(&self, i: u32, j: u32) -> bool {
        crate::csf::tiler_oom(&mut self.lock(), i, j)
    }
}
