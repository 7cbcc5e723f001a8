// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The MMU across a suspend (`panthor_mmu_suspend`, `panthor_mmu_resume`): every address space is given up, so
//! nothing the GPU cached survives and no VM reaches memory until it is activated again; the fault interrupt is
//! masked while the GPU sleeps.

use super::*;

impl Mmu {
    /// `panthor_mmu_suspend`: disables every AS in use (flushing what it cached) and takes the slot from the VM that
    /// held it — the MCU's AS 0 included — then masks the MMU interrupt. A VM's next activation programs a slot
    /// from scratch.
    pub(crate) fn suspend(&self) {
        let mut st = self.state();
        for n in 0..AS_COUNT {
            let Some(slot) = st.slots[n].take() else {
                continue;
            };
            if let Some(owner) = slot.owner.upgrade() {
                owner.set_slot(&mut st, None);
            }
            if let Err(e) = self.disable(n) {
                tracing::error!(
                    as_nr = n,
                    errno = e.to_errno(),
                    "MMU suspend: disabling the AS failed"
                );
            }
        }
        drop(st);
        let _ = self.io.write32(MMU_IRQ_BASE + irq::MASK, 0);
    }

    /// `panthor_mmu_resume`: no slot in use and none faulty; the fault interrupt cleared and unmasked. VMs get
    /// slots again when they are activated.
    pub(crate) fn resume(&self) -> Result {
        {
            let mut st = self.state();
            st.faulty = 0;
        }
        self.io
            .write32(MMU_IRQ_BASE + irq::CLEAR, MmuIrqBits::PAGE_FAULTS.0)?;
        self.io
            .write32(MMU_IRQ_BASE + irq::MASK, MmuIrqBits::PAGE_FAULTS.0)
    }

    /// Whether any AS is in use (for the PM checks in tests and debugfs).
    pub(crate) fn any_slot_in_use(&self) -> bool {
        self.state().slots.iter().any(Option::is_some)
    }
}
