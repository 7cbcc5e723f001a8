// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! MMIO dispatch: decoding 32-bit reads and writes to the GPU_CONTROL, JOB/MMU IRQ, AS and doorbell blocks, and
//! the AS register file with its commands and translations.

use super::*;
use crate::fields::{AsCommand, MmuIrq};

impl State {
    pub(super) fn as_block(off: u32) -> Option<(usize, u32)> {
        let rel = off.checked_sub(mmu::AS_BASE)?;
        let n = (rel / mmu::AS_STRIDE) as usize;
        (n < mmu::AS_SLOTS as usize).then_some((n, rel % mmu::AS_STRIDE))
    }

    pub(super) fn doorbell(off: u32) -> Option<u32> {
        let rel = off.checked_sub(block::DOORBELL_BASE)?;
        let i = rel / block::DOORBELL_STRIDE;
        (i < block::DOORBELL_COUNT && rel % block::DOORBELL_STRIDE == 0).then_some(i)
    }

    pub(super) fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        if !off.is_multiple_of(4) {
            self.stats.misaligned += 1;
            return Err(BusError::Misaligned { offset: off });
        }
        let v = if off < block::JOB_CONTROL {
            self.read_gpu(off)
        } else if (block::JOB_CONTROL..block::JOB_CONTROL + 0x10).contains(&off) {
            Some(read_irq(&self.job_irq, off - block::JOB_CONTROL))
        } else if (mmu::IRQ_BASE..mmu::IRQ_BASE + 0x10).contains(&off) {
            Some(read_irq(&self.mmu_irq, off - mmu::IRQ_BASE))
        } else if let Some((n, r)) = Self::as_block(off) {
            self.spaces.get(n).and_then(|s| s.read_reg(r))
        } else if off == block::USER {
            Some(self.latest_flush_id)
        } else if Self::doorbell(off).is_some() {
            Some(0)
        } else {
            None
        };
        v.ok_or_else(|| {
            self.stats.unmapped_reads += 1;
            BusError::Unmapped { offset: off }
        })
    }

    pub(super) fn write32(&mut self, off: u32, v: u32) -> Result<(), BusError> {
        // A write may satisfy what a thread in `Mali::wait_until` waits for.
        self.generation += 1;
        self.notify = true;
        if !off.is_multiple_of(4) {
            self.stats.misaligned += 1;
            return Err(BusError::Misaligned { offset: off });
        }
        let w = if off < block::JOB_CONTROL {
            self.write_gpu(off, v)
        } else if (block::JOB_CONTROL..block::JOB_CONTROL + 0x10).contains(&off) {
            write_irq(&mut self.job_irq, off - block::JOB_CONTROL, v, 0)
        } else if (mmu::IRQ_BASE..mmu::IRQ_BASE + 0x10).contains(&off) {
            let w = write_irq(&mut self.mmu_irq, off - mmu::IRQ_BASE, v, 0);
            if off - mmu::IRQ_BASE == irq::CLEAR {
                let page_fault = MmuIrq(v).page_fault();
                for (n, s) in self.spaces.iter_mut().enumerate() {
                    if page_fault & (1 << n) != 0 {
                        s.clear_fault();
                    }
                }
            }
            w
        } else if let Some((n, r)) = Self::as_block(off) {
            self.write_as(n, r, v)
        } else if off == block::USER {
            Write::ReadOnly
        } else if let Some(i) = Self::doorbell(off) {
            if v & 1 != 0 {
                let delay = self.cfg.timing.doorbell_ns;
                self.schedule(delay, Event::Doorbell(i));
            }
            Write::Done
        } else {
            Write::Hole
        };
        match w {
            Write::Done => Ok(()),
            Write::ReadOnly => {
                self.stats.ignored_writes += 1;
                Ok(())
            }
            Write::Hole => {
                self.stats.unmapped_writes += 1;
                Err(BusError::Unmapped { offset: off })
            }
        }
    }

    pub(super) fn write_as(&mut self, n: usize, r: u32, v: u32) -> Write {
        let Some(space) = self.spaces.get_mut(n) else {
            return Write::Hole;
        };
        if r == mmu::COMMAND {
            tracing::debug!(target: "hw_mali::mmu", as_nr = n, command = mmu_command_name(AsCommand(v).code()), "AS_COMMAND");
            match space.begin_command(AsCommand(v).code()) {
                // An AS made to hang keeps STATUS.ACTIVE set: the command never completes (until a reset).
                CommandStart::Started if self.inject.stuck_as & (1 << n) != 0 => {}
                CommandStart::Started => {
                    let delay = self.cfg.timing.as_command_ns;
                    self.schedule(delay, Event::AsCommand(n));
                }
                CommandStart::DroppedBusy => self.stats.dropped_as_commands += 1,
                CommandStart::Ignored => {}
            }
            return Write::Done;
        }
        match space.write_reg(r, v) {
            Some(true) => Write::Done,
            Some(false) => Write::ReadOnly,
            None => Write::Hole,
        }
    }

    // ---- GPU memory port -----------------------------------------------------------------------------------------

    /// Translates one VA for an access; a new MMU fault raises the AS's MMU IRQ bit.
    pub(crate) fn translate(
        &mut self,
        as_nr: usize,
        va: u64,
        access: AccessType,
    ) -> Result<u64, PortError> {
        let space = self
            .spaces
            .get_mut(as_nr)
            .ok_or(PortError::NoSuchAs(as_nr))?;
        match space.translate(&self.ram, &self.walker, va, access, 0) {
            Ok(t) => Ok(t.pa_of(va)),
            Err(TranslateError::Fault(fault)) => {
                tracing::warn!(target: "hw_mali::mmu", as_nr, va, ?access, ?fault, "translation fault");
                self.mmu_irq.raise(1 << as_nr);
                Err(PortError::Fault { as_nr, va, fault })
            }
            Err(TranslateError::AsFaulted) => Err(PortError::AsFaulted { as_nr }),
            Err(TranslateError::Stalled(region)) => Err(PortError::Stalled { as_nr, va, region }),
        }
    }

    /// Runs `f(pa, range of the buffer)` for each page-sized piece of `[va, va + len)`, translating each piece.
    pub(crate) fn access(
        &mut self,
        as_nr: usize,
        va: u64,
        len: usize,
        access: AccessType,
        mut f: impl FnMut(&Ram, u64, std::ops::Range<usize>) -> hw_mem::Result<()>,
    ) -> Result<(), PortError> {
        let mut done = 0usize;
        while done < len {
            let cur = va.wrapping_add(done as u64);
            let in_page = (0x1000 - (cur & 0xFFF)) as usize;
            let n = in_page.min(len - done);
            let pa = self.translate(as_nr, cur, access)?;
            if f(&self.ram, pa, done..done + n).is_err() {
                self.gpu_bus_fault(pa, access);
                return Err(PortError::BusFault { pa });
            }
            done += n;
        }
        Ok(())
    }
}

pub(super) fn read_irq(r: &IrqRegs, off: u32) -> u32 {
    match off {
        irq::RAWSTAT => r.rawstat,
        irq::MASK => r.mask,
        irq::STAT => r.stat(),
        _ => 0, // CLEAR is write-only
    }
}

pub(super) fn write_irq(r: &mut IrqRegs, off: u32, v: u32, sticky: u32) -> Write {
    match off {
        irq::RAWSTAT => r.raise(v),
        irq::CLEAR => r.clear(v, sticky),
        irq::MASK => r.mask = v,
        _ => return Write::ReadOnly,
    }
    Write::Done
}

/// AS_COMMAND codes by name, for traces.
fn mmu_command_name(cmd: u32) -> &'static str {
    use crate::regs::as_command::*;
    match cmd {
        NOP => "NOP",
        UPDATE => "UPDATE",
        LOCK => "LOCK",
        UNLOCK => "UNLOCK",
        FLUSH_PT => "FLUSH_PT",
        FLUSH_MEM => "FLUSH_MEM",
        _ => "?",
    }
}
