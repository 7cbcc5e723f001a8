// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The slot table, activation, the region lock and the fault interrupt against a register file that remembers what
//! was written.

use std::sync::atomic::AtomicBool;

use kernel::error::code::EBUSY;

use super::*;
use crate::vm::VmMmu;
use kernel::io::MmioBus;

/// Registers that remember the last value written and read every AS as idle, unless `.1` makes every AS hang
/// (AS_STATUS.ACTIVE stuck).
#[derive(Default)]
struct Regs(Mutex<std::collections::BTreeMap<u64, u32>>, AtomicBool);

impl MmioBus for Regs {
    fn read32(&self, pa: u64) -> Result<u32> {
        let v = *self.0.lock().get(&pa).unwrap_or(&0) & !AsStatus::ACTIVE.0;
        Ok(if self.1.load(Ordering::Relaxed) {
            v | AsStatus::ACTIVE.0
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
        MmuIrqBits::PAGE_FAULTS.0 & !(1 << 1),
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
    assert_eq!(
        reg(&regs, MMU_IRQ_BASE + irq::MASK),
        MmuIrqBits::PAGE_FAULTS.0
    );
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

#[test]
fn a_stuck_as_command_is_reported_once_per_timeout_with_its_as() {
    let (regs, mmu) = mmu();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    mmu.set_hang_notify(Some(Arc::new(move |n| s.lock().push(n))));
    let user = mmu.client();
    assert_eq!(AsClient::activate(&user, 0x1000, 0).unwrap(), 1);
    regs.1.store(true, Ordering::Relaxed);
    assert_eq!(user.lock_region(0x1000, 0x1000), Err(ETIMEDOUT));
    assert_eq!(*seen.lock(), [1], "AS_ACTIVE stuck on AS 1");
}

#[test]
fn a_reset_forgets_every_slot_and_fault_and_unmasks_the_fault_interrupts() {
    let (regs, mmu) = mmu();
    let user = mmu.client();
    let mcu = mmu.mcu_client();
    assert_eq!(AsClient::activate(&user, 0x1000, 0).unwrap(), 1);
    assert_eq!(AsClient::activate(&mcu, 0x2000, 0).unwrap(), 0);
    mmu.state().faulty = 1 << 1;
    let mask = || {
        *regs
            .0
            .lock()
            .get(&((MMU_IRQ_BASE + irq::MASK) as u64))
            .unwrap()
    };
    let mut masked_during = None;
    assert_eq!(
        mmu.around_reset(|| {
            masked_during = Some(mask());
            Ok(())
        }),
        Ok(())
    );
    assert_eq!(
        masked_during,
        Some(0),
        "the fault interrupts are masked across the reset"
    );
    assert_eq!(mask(), MmuIrqBits::PAGE_FAULTS.0);
    assert_eq!(mmu.slots(), [], "no AS is set up after a reset");
    assert_eq!((user.as_nr(), mcu.as_nr()), (None, None));
    assert_eq!(mmu.state().faulty, 0);
    // Each VM gets a slot again when next made active, the MCU's AS 0 first.
    assert_eq!(AsClient::activate(&mcu, 0x2000, 0).unwrap(), 0);
    assert_eq!(AsClient::activate(&user, 0x1000, 0).unwrap(), 1);
    assert_eq!(transtab(&regs, 1), 0x1000);
    // A failed reset still runs the post-reset, and says so.
    assert_eq!(mmu.around_reset(|| Err(ETIMEDOUT)), Err(ETIMEDOUT));
    assert_eq!(mmu.slots(), []);
}
