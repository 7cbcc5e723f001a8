// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! One VM's view of the MMU ([`AsClient`]): the slot it holds, its activation and idling, the region lock around its
//! page-table updates, and where its faults go. It is the [`VmMmu`] hook the VM calls.

use kernel::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use kernel::error::code::{EBUSY, EINVAL};
use kernel::error::Result;
use kernel::irq::IrqReturn;
use kernel::page::PhysAddr;

use crate::regs::{irq, MMU_IRQ_BASE};
use crate::vm::{MmuFault, VmMmu};

use super::*;

/// Where an address space's faults go.
type FaultHandler = Box<dyn Fn(MmuFault) + Send + Sync>;

/// The value of [`AsClient`]'s slot when it holds none.
const NO_SLOT: usize = usize::MAX;

/// One VM's view of the MMU: its slot, if it holds one.
///
/// # Invariants
/// `slot` is the number of the slot whose [`Slot::owner`] is this client, or [`NO_SLOT`]; it only changes with the
/// MMU's slot table locked, so that readers holding that lock see it agree with the table.
pub(crate) struct AsClient {
    mmu: Arc<Mmu>,
    /// The one slot this client may hold (the MCU's AS 0), or `None` for a user VM's client.
    fixed: Option<usize>,
    slot: AtomicUsize,
    fault: Mutex<Option<FaultHandler>>,
    /// A fault in this client's AS has not been handled by re-programming the AS (`vm->unhandled_fault`).
    pub(super) unhandled_fault: AtomicBool,
}

impl AsClient {
    /// The slot held, if any. Read with the slot table locked, it agrees with the table; read without, it is the
    /// state of a moment (a page-table update relies on it only for the transition from no slot to a slot, which an
    /// activation makes under the VM's op lock, the one the update holds).
    pub(super) fn slot(&self) -> Option<usize> {
        match self.slot.load(Ordering::Acquire) {
            NO_SLOT => None,
            n => Some(n),
        }
    }

    /// Records the slot held; the caller holds the slot table's lock (`_st`), which is what keeps `slot` and the
    /// table in agreement.
    pub(super) fn set_slot(&self, _st: &mut State, n: Option<usize>) {
        // INVARIANT: written with the slot table locked, together with the table's entry.
        self.slot.store(n.unwrap_or(NO_SLOT), Ordering::Release);
    }

    /// The slot held, if any.
    pub(crate) fn as_nr(&self) -> Option<u32> {
        self.slot().map(|n| n as u32)
    }

    /// Makes the VM active (`panthor_vm_active`): keeps or gets a slot, programs it with `transtab` (root table),
    /// `memattr` and the enabled TRANSCFG, and counts one more user. `EBUSY` when every user slot is held by an
    /// active VM. A VM that is idle on a slot that faulted has its fault cleared: the AS's interrupt is cleared and
    /// unmasked and the AS programmed again (while another user keeps it active, the slot stays as it is).
    pub(crate) fn activate(self: &Arc<Self>, transtab: PhysAddr, memattr: u64) -> Result<u32> {
        let mmu = &self.mmu;
        let mut st = mmu.state();
        let held = self.slot().filter(|&n| st.slots[n].is_some());
        let n = match held {
            Some(n) => {
                let faulty = st.faulty & (1 << n) != 0;
                if let Some(s) = st.slots[n].as_mut() {
                    if s.active > 0 || !faulty {
                        s.active += 1;
                        return Ok(n as u32);
                    }
                }
                n
            }
            None => {
                let usable = |n: usize| mmu.present & (1 << n) != 0;
                let free = (1..AS_COUNT).find(|&n| usable(n) && st.slots[n].is_none());
                match (self.fixed, free) {
                    (Some(n), _) if !usable(n) => return Err(EINVAL),
                    (Some(n), _) if st.slots[n].is_some() => return Err(EBUSY),
                    (Some(n), _) => n,
                    (None, Some(n)) => n,
                    (None, None) => {
                        let victim = (1..AS_COUNT)
                            .filter(|&n| usable(n))
                            .filter_map(|n| st.slots[n].as_ref().map(|s| (n, s)))
                            .filter(|(_, s)| s.active == 0 && !s.locked)
                            .min_by_key(|(_, s)| s.last_idle)
                            .map(|(n, _)| n)
                            .ok_or(EBUSY)?;
                        if let Some(old) = st.slots[victim].take().and_then(|s| s.owner.upgrade()) {
                            old.set_slot(&mut st, None);
                        }
                        mmu.disable(victim)?;
                        victim
                    }
                }
            }
        };
        // Re-activated: the fault is handled (`vm->unhandled_fault = false`).
        self.unhandled_fault.store(false, Ordering::Release);
        if st.faulty & (1 << n) != 0 {
            // A slot that faulted: clear its interrupt and unmask it again
            // (`Documentation/hardware.md#driver-sequences`).
            st.faulty &= !(1 << n);
            mmu.io.write32(MMU_IRQ_BASE + irq::CLEAR, 1 << n)?;
            mmu.io.write32(
                MMU_IRQ_BASE + irq::MASK,
                MmuIrqBits::PAGE_FAULTS.0 & !st.faulty,
            )?;
        }
        mmu.enable(n, transtab, memattr, TRANSCFG_ENABLED)?;
        match st.slots[n].as_mut() {
            Some(s) if held.is_some() => s.active = 1,
            _ => {
                st.slots[n] = Some(Slot {
                    owner: Arc::downgrade(self),
                    active: 1,
                    last_idle: 0,
                    locked: false,
                })
            }
        }
        self.set_slot(&mut st, Some(n));
        Ok(n as u32)
    }

    /// Whether [`Self::activate`] would find a slot now: the client holds one, or a usable user slot is free or held
    /// by an idle VM that no page-table update has locked.
    pub(crate) fn can_activate(&self) -> bool {
        let st = self.mmu.state();
        if self.slot().is_some_and(|n| st.slots[n].is_some()) {
            return true;
        }
        match self.fixed {
            Some(n) => self.mmu.present & (1 << n) != 0 && st.slots[n].is_none(),
            None => (1..AS_COUNT)
                .filter(|&n| self.mmu.present & (1 << n) != 0)
                .any(|n| {
                    st.slots[n]
                        .as_ref()
                        .is_none_or(|s| s.active == 0 && !s.locked)
                }),
        }
    }

    /// Whether a fault in this client's AS is still unhandled (`panthor_vm_has_unhandled_faults`).
    pub(crate) fn has_unhandled_faults(&self) -> bool {
        self.unhandled_fault.load(Ordering::Acquire)
    }

    /// Handles at once any fault the MMU has raised and the interrupt thread has not handled yet, so that what a
    /// fault changes is settled before the caller goes on (the scheduler, before it signals the jobs of a stream
    /// that reported a fault).
    pub(crate) fn sync_faults(&self) {
        // Whether there was anything to handle does not matter to the caller: either way none is pending now.
        if self.mmu.handle_irq() == IrqReturn::Handled {
            tracing::trace!("MMU faults handled synchronously");
        }
    }

    /// One user fewer (`panthor_vm_idle`); at zero the slot may be taken by another VM.
    pub(crate) fn idle(&self) {
        let mut st = self.mmu.state();
        st.tick += 1;
        let tick = st.tick;
        if let Some(n) = self.slot() {
            if let Some(s) = st.slots[n].as_mut() {
                s.active = s.active.saturating_sub(1);
                s.last_idle = tick;
            }
        }
    }

    /// Gives the slot up and disables the AS (VM destruction). A disable that fails leaves the slot free anyway:
    /// the next activation that takes it programs it from scratch.
    pub(crate) fn release(&self) {
        let mut st = self.mmu.state();
        if let Some(n) = self.slot() {
            self.set_slot(&mut st, None);
            st.slots[n] = None;
            if let Err(e) = self.mmu.disable(n) {
                tracing::error!(
                    as_nr = n,
                    errno = e.to_errno(),
                    "releasing the AS: disabling it failed"
                );
            }
        }
    }

    /// Disables the AS after a page-table update it did not complete (the AS half of `panthor_vm_declare_unusable`,
    /// `panthor_mmu_as_disable`): every job on it stops, and the region lock is forgotten. The client keeps the slot,
    /// as Panthor's VM keeps its `as.id`, so a scheduled group never sees the slot handed to another VM.
    pub(crate) fn disable_after_failed_update(&self) -> Result {
        let mut st = self.mmu.state();
        let Some(n) = self.slot() else { return Ok(()) };
        if let Some(s) = st.slots[n].as_mut() {
            s.locked = false;
        }
        self.mmu.disable(n)
    }

    pub(super) fn report(&self, f: MmuFault) {
        if let Some(cb) = self.fault.lock().as_ref() {
            cb(f);
        }
    }
}

impl Drop for AsClient {
    fn drop(&mut self) {
        self.release();
    }
}

impl VmMmu for AsClient {
    fn lock_region(&self, iova: u64, size: u64) -> Result {
        // The caller holds the VM's op lock, under which activations run (`Vm::activate`): a VM without a slot now
        // gets none before the update ends, so it has nothing cached to lock or flush, and the slot table is left
        // alone. A slot read here may be taken away before the table is locked, so it is read again there.
        if self.slot().is_none() {
            return Ok(());
        }
        let mut st = self.mmu.state();
        let Some(n) = self.slot() else { return Ok(()) };
        if let Some(s) = st.slots[n].as_mut() {
            s.locked = true;
        }
        let region = lockaddr(iova, size);
        if region == 0 {
            return Ok(());
        }
        tracing::debug!(as_nr = n, iova, size, region, "AS lock region");
        self.mmu
            .io
            .write64(as_reg::base(n) + as_reg::LOCKADDR, region)?;
        self.mmu.command(n, as_cmd::LOCK)?;
        self.mmu.wait_idle(n)
    }

    fn unlock_region(&self) -> Result {
        // As in `lock_region`: without a slot now, the VM had none when the region was locked either (an activation
        // cannot run during the update), so nothing was locked.
        if self.slot().is_none() {
            return Ok(());
        }
        let mut st = self.mmu.state();
        let Some(n) = self.slot() else { return Ok(()) };
        let locked = st.slots[n]
            .as_mut()
            .map(|s| core::mem::replace(&mut s.locked, false))
            .unwrap_or(false);
        if locked {
            tracing::debug!(as_nr = n, "TLB flush (FLUSH_PT, unlocks)");
            self.mmu.command(n, as_cmd::FLUSH_PT)?;
            self.mmu.wait_idle(n)?;
        }
        Ok(())
    }

    fn disable_after_failed_update(&self) -> Result {
        AsClient::disable_after_failed_update(self)
    }

    fn set_fault_handler(&self, f: Box<dyn Fn(MmuFault) + Send + Sync>) {
        *self.fault.lock() = Some(f);
    }

    fn activate(self: Arc<Self>, transtab: PhysAddr, mair: u64) -> Result<u32> {
        AsClient::activate(&self, transtab, mair_to_memattr(mair))
    }

    fn idle(&self) {
        AsClient::idle(self)
    }

    fn as_nr(&self) -> Option<u32> {
        AsClient::as_nr(self)
    }

    fn has_unhandled_faults(&self) -> bool {
        AsClient::has_unhandled_faults(self)
    }

    fn can_activate(&self) -> bool {
        AsClient::can_activate(self)
    }

    fn sync_faults(&self) {
        AsClient::sync_faults(self)
    }

    fn set_fault_notify(&self, f: Option<Arc<dyn Fn() + Send + Sync>>) {
        self.mmu.set_fault_notify(f)
    }
}

impl Mmu {
    /// A new client (one per VM): no slot until [`AsClient::activate`].
    pub(crate) fn client(self: &Arc<Self>) -> Arc<AsClient> {
        Arc::new(AsClient {
            mmu: self.clone(),
            fixed: None,
            slot: AtomicUsize::new(NO_SLOT),
            fault: Mutex::new(None),
            unhandled_fault: AtomicBool::new(false),
        })
    }

    /// The client of the MCU's VM: activating it always programs [`MCU_AS`], which user clients never take. Only one
    /// MCU client can hold AS 0 at a time (`EBUSY` for a second); it gives the slot back on [`AsClient::release`].
    pub(crate) fn mcu_client(self: &Arc<Self>) -> Arc<AsClient> {
        Arc::new(AsClient {
            mmu: self.clone(),
            fixed: Some(MCU_AS),
            slot: AtomicUsize::new(NO_SLOT),
            fault: Mutex::new(None),
            unhandled_fault: AtomicBool::new(false),
        })
    }
}
