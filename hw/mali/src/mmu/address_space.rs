// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! One address space: its registers, the configuration UPDATE made live, its lock, its fault state and its TLB.
//!
//! Timing lives in the device ([`crate::Mali`]): it calls [`AddressSpace::begin_command`] when AS_COMMAND is written and
//! [`AddressSpace::complete_command`] when the command's latency has elapsed.

use hw_mem::Ram;

use super::fault::{AccessType, MmuFault};
use super::region::Region;
use super::tlb::Tlb;
use super::walker::{Translation, WalkConfig, Walker};
use crate::regs::{as_command, mmu};

/// Why a translation did not produce a PA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranslateError {
    /// A new fault: it was recorded in AS_FAULTSTATUS/ADDRESS and raised the AS's MMU IRQ bit.
    Fault(MmuFault),
    /// The AS has an uncleared fault and translates nothing until MMU_IRQ_CLEAR clears its bit.
    AsFaulted,
    /// The VA is inside a LOCKed region; the access must wait for UNLOCK / FLUSH_PT / FLUSH_MEM.
    Stalled(Region),
}

/// A command being processed (AS_STATUS.ACTIVE = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    code: u32,
    /// AS_LOCKADDR when the command was written.
    lockaddr: u64,
}

/// What finishing a command did, for the device's bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completed {
    /// Nothing that concerns the device.
    Plain,
    /// Caches were cleaned (FLUSH_PT / FLUSH_MEM): the device bumps LATEST_FLUSH_ID.
    CachesFlushed,
}

/// Outcome of a write to AS_COMMAND.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandStart {
    /// Accepted: AS_STATUS.ACTIVE is set until the device completes it.
    Started,
    /// NOP, or an undefined code: nothing happens.
    Ignored,
    /// Dropped because a command is still active (Arm: a command written while busy is lost).
    DroppedBusy,
}

/// One address space.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    transtab: u64,
    memattr: u64,
    lockaddr: u64,
    transcfg: u64,
    faultstatus: u32,
    faultaddress: u64,
    live: WalkConfig,
    fault_pending: bool,
    pending: Option<Pending>,
    locked: Option<Region>,
    tlb: Tlb,
}

fn set_half(reg: &mut u64, hi: bool, v: u32) {
    *reg = if hi {
        (*reg & 0xFFFF_FFFF) | u64::from(v) << 32
    } else {
        (*reg & !0xFFFF_FFFF) | u64::from(v)
    };
}

fn half(reg: u64, hi: bool) -> u32 {
    if hi {
        (reg >> 32) as u32
    } else {
        reg as u32
    }
}

impl AddressSpace {
    /// An AS in its reset state with a TLB of `tlb_entries` entries.
    pub fn new(tlb_entries: usize) -> Self {
        Self {
            transtab: 0,
            memattr: 0,
            lockaddr: 0,
            transcfg: 0,
            faultstatus: 0,
            faultaddress: 0,
            live: WalkConfig::default(),
            fault_pending: false,
            pending: None,
            locked: None,
            tlb: Tlb::new(tlb_entries),
        }
    }

    /// Back to the reset state (registers zero, nothing cached, unlocked, no fault), keeping the TLB size.
    pub fn reset(&mut self) {
        let mut tlb = std::mem::replace(&mut self.tlb, Tlb::new(1));
        tlb.flush_all();
        *self = Self {
            tlb,
            ..Self::new(1)
        };
    }

    /// Reads the register at `off` inside the AS block; `None` for a hole.
    pub fn read_reg(&self, off: u32) -> Option<u32> {
        let hi = off & 4 != 0;
        Some(match off & !4 {
            mmu::TRANSTAB => half(self.transtab, hi),
            mmu::MEMATTR => half(self.memattr, hi),
            mmu::LOCKADDR => half(self.lockaddr, hi),
            mmu::FAULTADDRESS => half(self.faultaddress, hi),
            mmu::TRANSCFG => half(self.transcfg, hi),
            mmu::FAULTEXTRA => 0,
            _ => match off {
                mmu::COMMAND => 0,
                mmu::FAULTSTATUS => self.faultstatus,
                mmu::STATUS => self.status(),
                _ => return None,
            },
        })
    }

    /// Writes a RW register (TRANSTAB, MEMATTR, LOCKADDR, TRANSCFG halves). Returns `Some(false)` for a read-only
    /// register (the write is ignored), `None` for a hole. AS_COMMAND goes through [`Self::begin_command`].
    pub fn write_reg(&mut self, off: u32, v: u32) -> Option<bool> {
        let hi = off & 4 != 0;
        match off & !4 {
            mmu::TRANSTAB => set_half(&mut self.transtab, hi, v),
            mmu::MEMATTR => set_half(&mut self.memattr, hi, v),
            mmu::LOCKADDR => set_half(&mut self.lockaddr, hi, v),
            mmu::TRANSCFG => set_half(&mut self.transcfg, hi, v),
            mmu::FAULTADDRESS | mmu::FAULTEXTRA => return Some(false),
            _ => match off {
                mmu::FAULTSTATUS | mmu::STATUS => return Some(false),
                _ => return None,
            },
        }
        Some(true)
    }

    /// AS_STATUS.
    pub fn status(&self) -> u32 {
        if self.pending.is_some() {
            mmu::STATUS_ACTIVE
        } else {
            0
        }
    }

    /// AS_COMMAND written with `code`. LOCK takes hold at once (accesses to the region stall from now on); every other
    /// command's effect happens at [`Self::complete_command`].
    pub fn begin_command(&mut self, code: u32) -> CommandStart {
        if self.pending.is_some() {
            return CommandStart::DroppedBusy;
        }
        match code {
            as_command::UPDATE
            | as_command::UNLOCK
            | as_command::FLUSH_PT
            | as_command::FLUSH_MEM => {}
            as_command::LOCK => self.locked = Some(Region::from_lockaddr(self.lockaddr)),
            _ => return CommandStart::Ignored,
        }
        self.pending = Some(Pending {
            code,
            lockaddr: self.lockaddr,
        });
        CommandStart::Started
    }

    /// Finishes the active command (no-op when none is active).
    pub fn complete_command(&mut self) -> Completed {
        let Some(p) = self.pending.take() else {
            return Completed::Plain;
        };
        match p.code {
            as_command::UPDATE => {
                self.live = WalkConfig {
                    transtab: self.transtab,
                    memattr: self.memattr,
                    transcfg: self.transcfg,
                };
                self.tlb.flush_all();
                Completed::Plain
            }
            as_command::UNLOCK | as_command::FLUSH_PT | as_command::FLUSH_MEM => {
                // The flush acts on the locked region; without a lock, on the region LOCKADDR held at issue [inf].
                let region = self
                    .locked
                    .take()
                    .unwrap_or_else(|| Region::from_lockaddr(p.lockaddr));
                self.tlb.flush_region(&region);
                if p.code == as_command::UNLOCK {
                    Completed::Plain
                } else {
                    Completed::CachesFlushed
                }
            }
            _ => Completed::Plain,
        }
    }

    /// Whether a command is being processed.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// The region currently locked, if any.
    pub fn locked_region(&self) -> Option<Region> {
        self.locked
    }

    /// Whether a fault is recorded and not yet cleared.
    pub fn fault_pending(&self) -> bool {
        self.fault_pending
    }

    /// MMU_IRQ_CLEAR cleared this AS's bit: translation resumes (FAULTSTATUS/ADDRESS keep their values).
    pub fn clear_fault(&mut self) {
        self.fault_pending = false;
    }

    /// The configuration UPDATE made live.
    pub fn live_config(&self) -> WalkConfig {
        self.live
    }

    /// The TLB (read-only view, for tests and dumps).
    pub fn tlb(&self) -> &Tlb {
        &self.tlb
    }

    /// Translates `va` for an access of type `access`: TLB first, then a walk whose result is cached. A fault is
    /// recorded (first fault wins) and the AS stops translating until it is cleared; the caller raises the IRQ.
    pub fn translate(
        &mut self,
        ram: &Ram,
        walker: &Walker,
        va: u64,
        access: AccessType,
        source_id: u16,
    ) -> Result<Translation, TranslateError> {
        if self.fault_pending {
            return Err(TranslateError::AsFaulted);
        }
        if let Some(r) = self.locked.filter(|r| r.contains(va)) {
            return Err(TranslateError::Stalled(r));
        }
        let t = match self.tlb.lookup(va) {
            Some(t) => t,
            None => {
                let t = walker
                    .walk(ram, &self.live, va)
                    .map_err(|f| self.fault(f, access, va, source_id))?;
                self.tlb.insert(t);
                t
            }
        };
        t.check(access)
            .map_err(|f| self.fault(f, access, va, source_id))?;
        Ok(t)
    }

    fn fault(
        &mut self,
        f: MmuFault,
        access: AccessType,
        va: u64,
        source_id: u16,
    ) -> TranslateError {
        self.faultstatus = f.faultstatus(access, source_id);
        self.faultaddress = va;
        self.fault_pending = true;
        TranslateError::Fault(f)
    }
}
