// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! SYNC_ADD, SYNC_SET and SYNC_WAIT on sync objects in GPU memory
//! (`Documentation/hardware.md#sync-objects-in-gpu-memory`).

use super::decode::{Async, Cond, Reg, Width};
use super::exception;
use super::exec::Flow;
use super::machine::{fault, le32, mem_stop, CsMemory, Machine, MemError, Stop, SyncWait};

impl Machine {
    /// SYNC_ADD (`add`) or SYNC_SET of `data` on the object at `d[addr]`, with the stream's error state propagated
    /// into the object's status when `propagate`; `synced` is set when the object changed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sync_add_set(
        &mut self,
        add: bool,
        width: Width,
        sb: Async,
        addr: Reg,
        data: Reg,
        propagate: bool,
        pc: u64,
        mem: &mut dyn CsMemory,
        synced: &mut bool,
    ) -> Flow {
        let va = self.d(addr);
        let (value, status_off, align) = match width {
            Width::W32 => (u64::from(self.r(data)), 4, 4),
            Width::W64 => (self.d(data), 8, 8),
        };
        if !va.is_multiple_of(align) {
            return Flow::Block(fault(exception::DATA_INVALID_FAULT, va, pc));
        }
        if let Some(s) = self.issue(sb) {
            return Flow::Block(s);
        }
        let res = self.sync_update(mem, va, width, add, value, status_off, propagate);
        if let Some(s) = sb.signal {
            self.sb[usize::from(s)] -= u32::from(res.is_err());
        }
        if let Err(e) = res {
            return Flow::Block(mem_stop(e, pc));
        }
        *synced = true;

        Flow::Next
    }

    /// SYNC_WAIT: blocks until the object at `d[addr]` satisfies `cond` against the reference value; in inherit mode
    /// (`!reject`) a failed object then faults the waiter.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sync_wait(
        &mut self,
        width: Width,
        addr: Reg,
        data: Reg,
        cond: Cond,
        reject: bool,
        pc: u64,
        mem: &mut dyn CsMemory,
    ) -> Flow {
        let va = self.d(addr);
        let (reference, align, len) = match width {
            Width::W32 => (u64::from(self.r(data)), 4, 8),
            Width::W64 => (self.d(data), 8, 16),
        };
        if !va.is_multiple_of(align) {
            return Flow::Block(fault(exception::DATA_INVALID_FAULT, va, pc));
        }
        let mut obj = [0u8; 16];
        if let Err(e) = mem.read(va, &mut obj[..len]) {
            return Flow::Block(mem_stop(e, pc));
        }
        let (value, status) = match width {
            Width::W32 => (u64::from(le32(&obj, 0)), le32(&obj, 4)),
            Width::W64 => (
                u64::from(le32(&obj, 0)) | u64::from(le32(&obj, 4)) << 32,
                le32(&obj, 8),
            ),
        };
        if !cond.holds(value, reference) {
            let wide = width == Width::W64;
            return Flow::Block(Stop::Sync(SyncWait {
                ptr: va,
                value: reference,
                cond: cond.bits(),
                wide,
            }));
        }
        if status != 0 && !reject {
            // Inherit mode: the waiter takes the producer's error.
            return Flow::Block(fault(exception::CS_INHERIT_FAULT, va, pc));
        }

        Flow::Next
    }

    #[allow(clippy::too_many_arguments)]
    fn sync_update(
        &mut self,
        mem: &mut dyn CsMemory,
        va: u64,
        width: Width,
        add: bool,
        value: u64,
        status_off: u64,
        propagate: bool,
    ) -> Result<(), MemError> {
        let status = u32::from(propagate && self.error);
        match width {
            Width::W32 => {
                let v = if add {
                    mem.atomic_check(va)?;
                    let mut b = [0u8; 4];
                    mem.read(va, &mut b)?;
                    u32::from_le_bytes(b).wrapping_add(value as u32)
                } else {
                    value as u32
                };
                mem.write(va, &v.to_le_bytes())?;
            }
            Width::W64 => {
                let v = if add {
                    mem.atomic_check(va)?;
                    let mut b = [0u8; 8];
                    mem.read(va, &mut b)?;
                    u64::from_le_bytes(b).wrapping_add(value)
                } else {
                    value
                };
                mem.write(va, &v.to_le_bytes())?;
            }
        }
        mem.write(va.wrapping_add(status_off), &status.to_le_bytes())
    }
}
