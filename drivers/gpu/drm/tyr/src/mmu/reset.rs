// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The MMU around a GPU reset (`panthor_mmu_pre_reset`, `panthor_mmu_post_reset`) and the AS command timeout that
//! asks for one (`AS_ACTIVE bit stuck`).
//!
//! A reset wipes every address space: afterwards no AS is set up and no fault is pending. So the post-reset forgets
//! every slot (each VM that held one gets a new one when it is next made active: the MCU's VM at once, by the
//! firmware's post-reset, a user VM when its next group is bound) and clears the faulty mask, then unmasks the fault
//! interrupts again. The slot table stays locked from the pre-reset to the post-reset, so no AS command is written
//! to a GPU in the middle of its reset: a page-table update on another thread waits, and then finds its VM without
//! a slot (nothing cached, nothing to lock or flush).

use std::sync::Arc;

use kernel::error::Result;

use super::{Mmu, MmuIrqBits};
use crate::regs::{irq, MMU_IRQ_BASE};

/// Who is told that AS `n` did not finish a command in time; must not block or allocate.
pub(crate) type HangNotify = Arc<dyn Fn(usize) + Send + Sync>;

impl Mmu {
    /// Sets (or, with `None`, clears) who is told when an AS command times out.
    pub(crate) fn set_hang_notify(&self, f: Option<HangNotify>) {
        *self.hang.lock() = f;
    }

    /// AS `n` kept AS_STATUS.ACTIVE past the timeout.
    pub(super) fn report_stuck(&self, n: usize) {
        tracing::error!(as_nr = n, "AS_ACTIVE bit stuck");
        let notify = self.hang.lock().clone();
        if let Some(f) = notify {
            f(n);
        }
    }

    /// Runs `reset` (the GPU soft reset and L2 power-up) between the MMU's pre-reset and post-reset: the fault
    /// interrupts masked and the slot table locked before, every slot forgotten, the faulty mask cleared and the
    /// interrupts cleared and unmasked after. Returns what `reset` returned; the post-reset runs either way.
    pub(crate) fn around_reset(&self, reset: impl FnOnce() -> Result) -> Result {
        let _irq = self.irq.lock();
        let mut st = self.state();
        // `panthor_mmu_irq_suspend`.
        let _ = self.io.write32(MMU_IRQ_BASE + irq::MASK, 0);
        let res = reset();
        for n in 0..super::AS_COUNT {
            if let Some(owner) = st.slots[n].take().and_then(|s| s.owner.upgrade()) {
                owner.set_slot(&mut st, None);
            }
        }
        st.faulty = 0;
        // `panthor_mmu_irq_resume` with every AS's fault bit.
        let resumed = self
            .io
            .write32(MMU_IRQ_BASE + irq::CLEAR, MmuIrqBits::PAGE_FAULTS.0)
            .and_then(|()| {
                self.io
                    .write32(MMU_IRQ_BASE + irq::MASK, MmuIrqBits::PAGE_FAULTS.0)
            });
        res.and(resumed)
    }
}
