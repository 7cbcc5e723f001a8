// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU MMU as Panthor drives it (`panthor_mmu.c`): address-space slots, their programming, the region lock
//! around page-table updates, and the MMU fault interrupt (`Documentation/hardware.md#mmu_control-and-address-spaces`).
//!
//! AS 0 belongs to the MCU: only the client from [`Mmu::mcu_client`] (the MCU VM's) takes it, and never loses it to
//! another VM. User VMs get the lowest free of the other slots, or, when none is free, the slot of the
//! least recently idle VM that is not active (its AS is disabled first); with every slot held by an active VM,
//! activation fails with `EBUSY`. A VM keeps its slot while idle, so re-activating it is free. A page-table change on
//! a VM holding a slot is bracketed by LOCK (before) and FLUSH_PT (after, which flushes the region's translations and
//! unlocks it); a VM without a slot has nothing cached and skips both.
//!
//! A page fault (`panthor_mmu_irq_handler`) is acknowledged, masks its AS's interrupt, flags the VM holding the slot
//! as having an unhandled fault, disables the AS (which stops every job on it) and is reported to the scheduler. The
//! VM stays usable: the next activation that finds it idle on its faulted slot (`panthor_vm_active`) clears the
//! fault, unmasks the interrupt and programs the AS again.

mod client;
mod regs;
mod reset;
mod suspend;
#[cfg(test)]
mod tests;

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use kernel::error::code::ETIMEDOUT;
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::irq::IrqReturn;
use kernel::page::PhysAddr;

use crate::regs::{irq, MMU_IRQ_BASE};
use crate::vm::MmuFault;

pub(crate) use client::AsClient;
pub(crate) use regs::{
    as_cmd, as_reg, lockaddr, mair_to_memattr, AsFaultStatus, AsStatus, MmuIrqBits,
    TRANSCFG_ENABLED, TRANSCFG_UNMAPPED,
};

/// Number of address spaces of the G610.
pub(crate) const AS_COUNT: usize = 8;
/// The address space the MCU's VM always gets (`panthor_vm_active`: `vm->for_mcu` → AS 0).
pub(crate) const MCU_AS: usize = 0;

/// How long an AS command may keep AS_STATUS.ACTIVE set (Panthor: 100 ms).
const AS_TIMEOUT: Duration = Duration::from_millis(100);

struct Slot {
    owner: Weak<AsClient>,
    active: usize,
    last_idle: u64,
    locked: bool,
}

struct State {
    slots: [Option<Slot>; AS_COUNT],
    tick: u64,
    faulty: u32,
}

/// Who is told that a fault was handled (the scheduler's kick, `panthor_sched_report_mmu_fault`).
type FaultNotify = Arc<dyn Fn() + Send + Sync>;

/// The MMU: the slot table and the registers.
pub(crate) struct Mmu {
    io: IoMem,
    present: u32,
    state: Mutex<State>,
    /// Serialises [`Mmu::handle_irq`] between the interrupt thread and callers that need a fault settled now.
    irq: Mutex<()>,
    notify: Mutex<Option<FaultNotify>>,
    /// Told when an AS command does not complete in time (the device schedules a reset).
    hang: Mutex<Option<reset::HangNotify>>,
}

impl Mmu {
    /// The MMU of a GPU whose AS_PRESENT is `present`, driven through `io`; masks are set by the caller (probe).
    pub(crate) fn new(io: IoMem, present: u32) -> Arc<Mmu> {
        Arc::new(Mmu {
            io,
            present,
            state: Mutex::new(State {
                slots: [const { None }; AS_COUNT],
                tick: 0,
                faulty: 0,
            }),
            irq: Mutex::new(()),
            notify: Mutex::new(None),
            hang: Mutex::new(None),
        })
    }

    /// Sets (or, with `None`, clears) who is told after the interrupt handler handled faults.
    pub(crate) fn set_fault_notify(&self, f: Option<FaultNotify>) {
        *self.notify.lock() = f;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    fn wait_idle(&self, n: usize) -> Result {
        self.io
            .poll32(
                as_reg::base(n) + as_reg::STATUS,
                |s| AsStatus(s).active() == 0,
                Duration::from_micros(10),
                AS_TIMEOUT,
            )
            .map(drop)
            .map_err(|_| {
                // `AS_ACTIVE bit stuck`: only a GPU reset gets the AS back.
                self.report_stuck(n);
                ETIMEDOUT
            })
    }

    fn command(&self, n: usize, cmd: u32) -> Result {
        self.wait_idle(n)?;
        self.io.write32(as_reg::base(n) + as_reg::COMMAND, cmd)
    }

    fn enable(&self, n: usize, transtab: PhysAddr, memattr: u64, transcfg: u64) -> Result {
        let b = as_reg::base(n);
        self.io.write64(b + as_reg::TRANSTAB, transtab)?;
        self.io.write64(b + as_reg::MEMATTR, memattr)?;
        self.io.write64(b + as_reg::TRANSCFG, transcfg)?;
        self.command(n, as_cmd::UPDATE)?;
        self.wait_idle(n)
    }

    fn disable(&self, n: usize) -> Result {
        // Flush what the AS may have cached (Tyr: FLUSH_PT then FLUSH_MEM over the whole space), then unmap it.
        let b = as_reg::base(n);
        self.io.write64(b + as_reg::LOCKADDR, 0x3f)?;
        self.command(n, as_cmd::LOCK)?;
        self.command(n, as_cmd::FLUSH_MEM)?;
        self.io.write64(b + as_reg::TRANSTAB, 0)?;
        self.io.write64(b + as_reg::MEMATTR, 0)?;
        self.io.write64(b + as_reg::TRANSCFG, TRANSCFG_UNMAPPED)?;
        self.command(n, as_cmd::UPDATE)?;
        self.wait_idle(n)
    }

    /// The MMU interrupt handler (`panthor_mmu_irq_handler`): for each faulting AS, lowest first, reads and
    /// decodes the fault, clears and masks that AS's interrupt, flags the VM holding the slot (unhandled fault) and
    /// disables the AS — all under the slot lock, so that no activation interleaves — then records the fault with
    /// the VM and, once every AS is done, tells the scheduler. Also called outside the interrupt thread, by whoever
    /// needs a fault that was raised to be handled now ([`AsClient::sync_faults`]): calls are serialised, and a fault
    /// is handled once.
    pub(crate) fn handle_irq(&self) -> IrqReturn {
        let _irq = self.irq.lock();
        let Ok(stat) = self.io.read32(MMU_IRQ_BASE + irq::STAT) else {
            return IrqReturn::None;
        };
        let pending = MmuIrqBits(stat).page_faults();
        if pending == 0 {
            return IrqReturn::None;
        }
        for n in 0..AS_COUNT {
            if pending & (1 << n) == 0 {
                continue;
            }
            let b = as_reg::base(n);
            let status = AsFaultStatus(self.io.read32(b + as_reg::FAULTSTATUS).unwrap_or(0));
            let addr = self.io.read64(b + as_reg::FAULTADDRESS).unwrap_or(0);
            let fault = MmuFault {
                as_nr: n as u32,
                addr,
                exception_type: status.exception_type(),
                access_type: status.access_type(),
                source_id: status.source_id(),
            };
            tracing::warn!(
                as_nr = n,
                addr,
                exception_type = fault.exception_type,
                access_type = fault.access_type,
                source_id = fault.source_id,
                "MMU fault"
            );
            let owner = {
                let mut st = self.state();
                st.faulty |= 1 << n;
                let acked = self
                    .io
                    .write32(MMU_IRQ_BASE + irq::CLEAR, 1 << n)
                    .and_then(|()| {
                        self.io.write32(
                            MMU_IRQ_BASE + irq::MASK,
                            MmuIrqBits::PAGE_FAULTS.0 & !st.faulty,
                        )
                    });
                if let Err(e) = acked {
                    // The interrupt stays raised and is seen again by the next pass; nothing else depends on it.
                    tracing::error!(
                        as_nr = n,
                        errno = e.to_errno(),
                        "MMU fault: acknowledging the interrupt failed"
                    );
                }
                let owner = st.slots[n].as_ref().and_then(|s| s.owner.upgrade());
                if let Some(o) = &owner {
                    o.unhandled_fault.store(true, Ordering::Release);
                }
                // Disabling the AS kills the jobs on it. If the AS does not answer, the fault stays unhandled: the VM
                // is flagged and the scheduler told below, as for a disable that worked.
                if let Err(e) = self.disable(n) {
                    tracing::error!(
                        as_nr = n,
                        errno = e.to_errno(),
                        "MMU fault: disabling the AS failed"
                    );
                }
                owner
            };
            if let Some(client) = owner {
                client.report(fault);
            }
        }
        let notify = self.notify.lock().clone();
        if let Some(f) = notify {
            f();
        }
        IrqReturn::Handled
    }

    /// Slots in use and the VM activity behind them: `(slot, active count)`.
    pub(crate) fn slots(&self) -> Vec<(u32, usize)> {
        let st = self.state();
        st.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, s.active)))
            .collect()
    }
}
