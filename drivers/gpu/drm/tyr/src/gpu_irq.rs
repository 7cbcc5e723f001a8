// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU interrupt (`panthor_gpu_irq_handler`): GPU faults are reported (a bus fault is logged with its status and
//! address, as Panthor does, and recorded for debugfs; it does not by itself reset the GPU), and the completion
//! bits (RESET_COMPLETED, CLEAN_CACHES_COMPLETED) wake whoever waits for them (Panthor's `reqs_acked`).

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::sync::Condvar;
use std::time::{Duration, Instant};

use kernel::io::IoMem;
use kernel::irq::IrqReturn;

use crate::regs::{gpu, irq};

/// A GPU fault as GPU_FAULTSTATUS and GPU_FAULTADDRESS reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuFault {
    /// GPU_FAULTSTATUS: exception type 7:0 (0x80 GPU_BUS_FAULT, 0x88..0x8A shareability and cacheability faults),
    /// access type 9:8, address valid 10.
    pub status: u32,
    /// GPU_FAULTADDRESS.
    pub address: u64,
}

#[derive(Default)]
struct State {
    /// Interrupt bits seen since a waiter last cleared them.
    seen: u32,
    /// GPU faults reported since probe.
    faults: u64,
    /// The last one.
    last_fault: Option<GpuFault>,
}

/// The GPU interrupt handler's state.
pub(crate) struct GpuIrq {
    io: IoMem,
    state: Mutex<State>,
    wake: Condvar,
}

impl GpuIrq {
    /// A handler for the GPU IRQ block of `io`.
    pub(crate) fn new(io: IoMem) -> Self {
        Self {
            io,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// The handler: reads STAT, clears it, reports a fault, records the bits and wakes the waiters.
    pub(crate) fn handle_irq(&self) -> IrqReturn {
        let Ok(stat) = self.io.read32(gpu::IRQ_BASE + irq::STAT) else {
            return IrqReturn::None;
        };
        if stat == 0 {
            return IrqReturn::None;
        }
        let _ = self.io.write32(gpu::IRQ_BASE + irq::CLEAR, stat);
        let fault = if stat & gpu::irq::FAULT != 0 {
            let status = self.io.read32(gpu::FAULTSTATUS).unwrap_or(0);
            let address = self.io.read64(gpu::FAULTADDRESS).unwrap_or(0);
            tracing::warn!(
                target: "tyr::gpu",
                status,
                exception_type = gpu::FaultStatus(status).exception_type(),
                address,
                "GPU fault"
            );
            Some(GpuFault { status, address })
        } else {
            None
        };
        if stat & gpu::irq::PROTM_FAULT != 0 {
            tracing::warn!(target: "tyr::gpu", "GPU fault in protected mode");
        }
        let mut st = self.state();
        st.seen |= stat;
        if let Some(f) = fault {
            st.faults += 1;
            st.last_fault = Some(f);
        }
        drop(st);
        self.wake.notify_all();
        IrqReturn::Handled
    }

    /// Forgets `bits` before a request that will raise them.
    pub(crate) fn expect(&self, bits: u32) {
        self.state().seen &= !bits;
    }

    /// Waits up to `timeout` for every bit of `bits` to be seen; returns whether they were.
    pub(crate) fn wait(&self, bits: u32, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.state();
        loop {
            if st.seen & bits == bits {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = st.wait_timeout(&self.wake, deadline - now).0;
        }
    }

    /// GPU faults reported since probe, and the last one.
    pub(crate) fn faults(&self) -> (u64, Option<GpuFault>) {
        let st = self.state();
        (st.faults, st.last_fault)
    }
}
