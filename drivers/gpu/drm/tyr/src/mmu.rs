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

use kernel::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard, Weak};
use std::time::Duration;

use kernel::error::code::{EBUSY, EINVAL, ETIMEDOUT};
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::irq::IrqReturn;
use kernel::page::PhysAddr;

use crate::regs::{irq, MMU_IRQ_BASE};
use crate::vm::{MmuFault, VmMmu};

/// Number of address spaces of the G610.
pub(crate) const AS_COUNT: usize = 8;
/// The address space the MCU's VM always gets (`panthor_vm_active`: `vm->for_mcu` → AS 0).
pub(crate) const MCU_AS: usize = 0;

/// Per-AS registers, at `0x2400 + n * 0x40`.
pub(crate) mod as_reg {
    /// Base of AS `n`'s registers.
    pub(crate) const fn base(n: usize) -> usize {
        0x2400 + n * 0x40
    }
    /// Root table address.
    pub(crate) const TRANSTAB: usize = 0x00;
    /// Memory attributes, one byte per AttrIndx.
    pub(crate) const MEMATTR: usize = 0x08;
    /// Lock region.
    pub(crate) const LOCKADDR: usize = 0x10;
    /// Command.
    pub(crate) const COMMAND: usize = 0x18;
    /// Fault status.
    pub(crate) const FAULTSTATUS: usize = 0x1c;
    /// Faulting address.
    pub(crate) const FAULTADDRESS: usize = 0x20;
    /// Status: bit 0 set while a command runs.
    pub(crate) const STATUS: usize = 0x28;
    /// Translation configuration.
    pub(crate) const TRANSCFG: usize = 0x30;
    /// AS_STATUS: a command is being processed.
    pub(crate) const STATUS_ACTIVE: u32 = 1 << 0;
}

/// AS_COMMAND values.
pub(crate) mod as_cmd {
    /// Make TRANSTAB/MEMATTR/TRANSCFG live.
    pub(crate) const UPDATE: u32 = 1;
    /// Lock the region in LOCKADDR.
    pub(crate) const LOCK: u32 = 2;
    /// Clean+invalidate L2, flush the region's translations, unlock.
    pub(crate) const FLUSH_PT: u32 = 4;
    /// Also clean+invalidate L1s, then as FLUSH_PT.
    pub(crate) const FLUSH_MEM: u32 = 5;
}

/// AS_TRANSCFG of an enabled AS on RK3588: AARCH64_4K, INA_BITS(55 − 48), PTW_MEMATTR write-back, PTW_RA.
pub(crate) const TRANSCFG_ENABLED: u64 = 0x0000_0000_4200_01C6;
/// AS_TRANSCFG of a disabled AS: ADRMODE UNMAPPED.
pub(crate) const TRANSCFG_UNMAPPED: u64 = 0x1;
/// MMU_IRQ_MASK Panthor enables: the page-fault bits.
pub(crate) const MMU_IRQ_FAULTS: u32 = 0xffff;

/// Panthor's `mair_to_memattr`: the io-pgtable MAIR turned into AS_MEMATTR bytes for a non-coherent GPU.
pub(crate) fn mair_to_memattr(mair: u64) -> u64 {
    let mut memattr = 0u64;
    for i in 0..8 {
        let byte = (mair >> (8 * i)) & 0xff;
        let (inner, outer) = (byte & 0xf, byte >> 4);
        // Write-back iff the outer nibble is write-back (bit 2 and allocate bits 1:0) and the inner one cacheable.
        let outer_wb = outer & 0x4 != 0 && outer & 0x3 != 0;
        let attr = if outer_wb && inner & 0x4 != 0 {
            // Memory type WB (2 << 6), explicit allocate (3 << 2), inner R/W allocate from the MAIR byte, coherency 0.
            (2 << 6) | (3 << 2) | (inner & 0x3)
        } else {
            // Non-cacheable with explicit no-allocate.
            (1 << 6) | (3 << 2)
        };
        memattr |= attr << (8 * i);
    }
    memattr
}

/// AS_LOCKADDR for `[start, start + size)`: the smallest naturally aligned power-of-two region covering it, at
/// least 32 KiB (`lock_region`). 0 for an empty range (no lock).
pub(crate) fn lockaddr(start: u64, size: u64) -> u64 {
    if size == 0 {
        return 0;
    }
    let end = start.saturating_add(size - 1);
    // Position of the highest bit that differs between the first and last byte, at least 15.
    let width = (64 - (start ^ end).leading_zeros()).max(15) as u64;
    let base = start & !((1u64 << (width - 1)) - 1);
    (base & !0xfff) | (width - 1)
}

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
        })
    }

    /// Sets (or, with `None`, clears) who is told after the interrupt handler handled faults.
    pub(crate) fn set_fault_notify(&self, f: Option<FaultNotify>) {
        *self.notify.lock() = f;
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// A new client (one per VM): no slot until [`AsClient::activate`].
    pub(crate) fn client(self: &Arc<Self>) -> Arc<AsClient> {
        Arc::new(AsClient {
            mmu: self.clone(),
            fixed: None,
            slot: Mutex::new(None),
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
            slot: Mutex::new(None),
            fault: Mutex::new(None),
            unhandled_fault: AtomicBool::new(false),
        })
    }

    fn wait_idle(&self, n: usize) -> Result {
        self.io
            .poll32(
                as_reg::base(n) + as_reg::STATUS,
                |s| s & as_reg::STATUS_ACTIVE == 0,
                Duration::from_micros(10),
                AS_TIMEOUT,
            )
            .map(drop)
            .map_err(|_| ETIMEDOUT)
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
        let pending = stat & MMU_IRQ_FAULTS;
        if pending == 0 {
            return IrqReturn::None;
        }
        for n in 0..AS_COUNT {
            if pending & (1 << n) == 0 {
                continue;
            }
            let b = as_reg::base(n);
            let status = self.io.read32(b + as_reg::FAULTSTATUS).unwrap_or(0);
            let addr = self.io.read64(b + as_reg::FAULTADDRESS).unwrap_or(0);
            let fault = MmuFault {
                as_nr: n as u32,
                addr,
                exception_type: status & 0xff,
                access_type: (status >> 8) & 0x3,
                source_id: status >> 16,
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
                        self.io
                            .write32(MMU_IRQ_BASE + irq::MASK, MMU_IRQ_FAULTS & !st.faulty)
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

/// Where an address space's faults go.
type FaultHandler = Box<dyn Fn(MmuFault) + Send + Sync>;

/// One VM's view of the MMU: its slot, if it holds one.
pub(crate) struct AsClient {
    mmu: Arc<Mmu>,
    /// The one slot this client may hold (the MCU's AS 0), or `None` for a user VM's client.
    fixed: Option<usize>,
    slot: Mutex<Option<usize>>,
    fault: Mutex<Option<FaultHandler>>,
    /// A fault in this client's AS has not been handled by re-programming the AS (`vm->unhandled_fault`).
    unhandled_fault: AtomicBool,
}

impl AsClient {
    fn slot(&self) -> MutexGuard<'_, Option<usize>> {
        self.slot.lock()
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
        let mut mine = self.slot();
        let held = (*mine).filter(|&n| st.slots[n].is_some());
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
                            *old.slot() = None;
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
            mmu.io
                .write32(MMU_IRQ_BASE + irq::MASK, MMU_IRQ_FAULTS & !st.faulty)?;
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
        *mine = Some(n);
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
        if let Some(n) = *self.slot() {
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
        if let Some(n) = self.slot().take() {
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
        let Some(n) = *self.slot() else { return Ok(()) };
        if let Some(s) = st.slots[n].as_mut() {
            s.locked = false;
        }
        self.mmu.disable(n)
    }

    fn report(&self, f: MmuFault) {
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
        let mut st = self.mmu.state();
        let Some(n) = *self.slot() else { return Ok(()) };
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
        let mut st = self.mmu.state();
        let Some(n) = *self.slot() else { return Ok(()) };
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

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::io::MmioBus;

    /// Registers that remember the last value written and read every AS as idle, unless `.1` makes every AS hang
    /// (AS_STATUS.ACTIVE stuck).
    #[derive(Default)]
    struct Regs(Mutex<std::collections::BTreeMap<u64, u32>>, AtomicBool);

    impl MmioBus for Regs {
        fn read32(&self, pa: u64) -> Result<u32> {
            let v = *self.0.lock().get(&pa).unwrap_or(&0) & !as_reg::STATUS_ACTIVE;
            Ok(if self.1.load(Ordering::Relaxed) {
                v | as_reg::STATUS_ACTIVE
            } else {
                v
            })
        }
        fn write32(&self, pa: u64, v: u32) -> Result {
            self.0.lock().insert(pa, v);
            Ok(())
        }
    }

    fn mmu() -> (Arc<Regs>, Arc<Mmu>) {
        let regs = Arc::new(Regs::default());
        let io = IoMem::new(regs.clone(), 0, 0x4000).unwrap();
        (regs, Mmu::new(io, 0xff))
    }

    fn transtab(regs: &Regs, n: usize) -> u32 {
        *regs
            .0
            .lock()
            .get(&((as_reg::base(n) + as_reg::TRANSTAB) as u64))
            .unwrap_or(&0)
    }

    #[test]
    fn the_mcu_client_gets_as_0_and_user_clients_never_do() {
        let (regs, mmu) = mmu();
        let user = mmu.client();
        assert_eq!(AsClient::activate(&user, 0x1000, 0).unwrap(), 1);
        let mcu = mmu.mcu_client();
        assert_eq!(AsClient::activate(&mcu, 0x2000, 0).unwrap(), 0);
        assert_eq!(transtab(&regs, 0), 0x2000);
        assert_eq!(mmu.slots(), [(0, 1), (1, 1)]);
    }

    #[test]
    fn a_second_mcu_client_is_ebusy_until_the_first_releases_as_0() {
        let (regs, mmu) = mmu();
        let first = mmu.mcu_client();
        AsClient::activate(&first, 0x2000, 0).unwrap();
        let second = mmu.mcu_client();
        assert_eq!(AsClient::activate(&second, 0x3000, 0).err(), Some(EBUSY));
        first.release();
        assert_eq!(transtab(&regs, 0), 0, "released: AS 0 disabled");
        let transcfg = regs
            .0
            .lock()
            .get(&((as_reg::base(0) + as_reg::TRANSCFG) as u64))
            .copied();
        assert_eq!(transcfg, Some(TRANSCFG_UNMAPPED as u32));
        assert_eq!(AsClient::activate(&second, 0x3000, 0).unwrap(), 0);
    }

    #[test]
    fn user_clients_fill_slots_1_to_7_around_the_mcu() {
        let (_regs, mmu) = mmu();
        let mcu = mmu.mcu_client();
        AsClient::activate(&mcu, 0x2000, 0).unwrap();
        let users: Vec<_> = (0..7).map(|_| mmu.client()).collect();
        let slots: Vec<u32> = users
            .iter()
            .map(|c| AsClient::activate(c, 0x1000, 0).unwrap())
            .collect();
        assert_eq!(slots, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            AsClient::activate(&mmu.client(), 0x1000, 0).err(),
            Some(EBUSY),
            "AS 0 is never a victim"
        );
    }

    fn reg(regs: &Regs, off: usize) -> u32 {
        *regs.0.lock().get(&(off as u64)).unwrap_or(&0)
    }

    #[test]
    fn a_fault_flags_the_client_until_it_is_activated_again_and_leaves_other_users_alone() {
        let (regs, mmu) = mmu();
        let notified = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let n2 = notified.clone();
        mmu.set_fault_notify(Some(Arc::new(move || {
            n2.fetch_add(1, Ordering::Relaxed);
        })));
        let a = mmu.client();
        assert_eq!(AsClient::activate(&a, 0x1000, 0).unwrap(), 1);
        regs.write32((MMU_IRQ_BASE + irq::STAT) as u64, 1 << 1)
            .unwrap();
        assert_eq!(mmu.handle_irq(), IrqReturn::Handled);
        assert!(a.has_unhandled_faults());
        assert_eq!(
            notified.load(Ordering::Relaxed),
            1,
            "the scheduler was told"
        );
        assert_eq!(
            reg(&regs, MMU_IRQ_BASE + irq::CLEAR),
            1 << 1,
            "acknowledged"
        );
        assert_eq!(
            reg(&regs, MMU_IRQ_BASE + irq::MASK),
            MMU_IRQ_FAULTS & !(1 << 1),
            "masked until re-enabled"
        );
        assert_eq!(
            reg(&regs, as_reg::base(1) + as_reg::TRANSCFG),
            TRANSCFG_UNMAPPED as u32,
            "the AS is disabled"
        );
        // Still active: a second user leaves the slot as it is.
        assert_eq!(AsClient::activate(&a, 0x1000, 0).unwrap(), 1);
        assert!(a.has_unhandled_faults());
        a.idle();
        a.idle();
        // Idle on its faulted slot: the next activation clears the fault and programs the AS again.
        regs.write32((MMU_IRQ_BASE + irq::CLEAR) as u64, 0).unwrap();
        assert_eq!(AsClient::activate(&a, 0x1000, 0).unwrap(), 1);
        assert!(!a.has_unhandled_faults());
        assert_eq!(reg(&regs, MMU_IRQ_BASE + irq::CLEAR), 1 << 1);
        assert_eq!(reg(&regs, MMU_IRQ_BASE + irq::MASK), MMU_IRQ_FAULTS);
        assert_eq!(
            reg(&regs, as_reg::base(1) + as_reg::TRANSCFG),
            TRANSCFG_ENABLED as u32
        );
        assert_eq!(mmu.slots(), [(1, 1)]);
    }

    #[test]
    fn an_as_that_does_not_answer_fails_the_update_which_then_disables_it_and_forgets_the_lock() {
        let (regs, mmu) = mmu();
        let a = mmu.client();
        assert_eq!(AsClient::activate(&a, 0x1000, 0).unwrap(), 1);
        regs.1.store(true, Ordering::Relaxed);
        assert_eq!(VmMmu::lock_region(&*a, 0x10_0000, 0x1000), Err(ETIMEDOUT));
        regs.1.store(false, Ordering::Relaxed);
        a.disable_after_failed_update().unwrap();
        assert_eq!(
            reg(&regs, as_reg::base(1) + as_reg::TRANSCFG),
            TRANSCFG_UNMAPPED as u32,
            "the AS is disabled"
        );
        assert_eq!(a.as_nr(), Some(1), "the VM keeps its slot number");
        a.idle();
        // Every other user slot busy: the idle slot 1, no longer locked by the failed update, is the victim.
        let others: Vec<_> = (2..AS_COUNT).map(|_| mmu.client()).collect();
        for c in &others {
            AsClient::activate(c, 0x2000, 0).unwrap();
        }
        assert_eq!(AsClient::activate(&mmu.client(), 0x3000, 0).unwrap(), 1);
    }

    #[test]
    fn a_flush_the_as_does_not_take_is_an_error() {
        let (regs, mmu) = mmu();
        let a = mmu.client();
        AsClient::activate(&a, 0x1000, 0).unwrap();
        VmMmu::lock_region(&*a, 0x10_0000, 0x1000).unwrap();
        regs.1.store(true, Ordering::Relaxed);
        assert_eq!(VmMmu::unlock_region(&*a), Err(ETIMEDOUT));
        regs.1.store(false, Ordering::Relaxed);
        // Without a slot there is nothing to lock or flush.
        let b = mmu.client();
        assert_eq!(VmMmu::lock_region(&*b, 0, 0x1000), Ok(()));
        assert_eq!(VmMmu::unlock_region(&*b), Ok(()));
    }
}
