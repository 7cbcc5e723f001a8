// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! LOAD_MULTIPLE and STORE_MULTIPLE: moving up to 16 registers between the register file and memory
//! (`Documentation/hardware.md#load_multiple-and-store_multiple`).
//!
//! The mask selects registers, the memory side is packed: the `k`-th selected register (counting set bits of the
//! mask from bit 0) pairs with the word at `address + offset + 4 * k`, so a mask with holes moves
//! `popcount(mask)` consecutive words.

use super::decode::Reg;
use super::exception;
use super::exec::Flow;
use super::machine::{fault, mem_stop, sext16, CsMemory, Machine};
use super::Async;

impl Machine {
    /// LOAD_MULTIPLE (`load`) or STORE_MULTIPLE of the registers `base + i` for every bit `i` of `mask`, with
    /// consecutive words from the address `d[addr] + offset` (one word per set bit, in bit order; holes in the mask
    /// skip registers, not words); signals the "other" scoreboard entry of SET_SB_ENTRY.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn load_store_multiple(
        &mut self,
        load: bool,
        base: Reg,
        addr: Reg,
        mask: u16,
        offset: i16,
        pc: u64,
        mem: &mut dyn CsMemory,
    ) -> Flow {
        let a = self.d(addr).wrapping_add(sext16(offset));
        if !a.is_multiple_of(4) {
            return Flow::Block(fault(exception::DATA_INVALID_FAULT, a, pc));
        }
        if let Some(s) = self.issue(Async {
            signal: Some(self.sb_other),
            wait: 0,
        }) {
            return Flow::Block(s);
        }
        let selected = (0..16u8).filter(|i| mask & (1 << i) != 0);
        for (k, i) in (0u64..).zip(selected) {
            let va = a.wrapping_add(4 * k);
            let r = usize::from(base + i);
            let res = if load {
                let mut b = [0u8; 4];
                mem.read(va, &mut b)
                    .map(|()| self.regs[r] = u32::from_le_bytes(b))
            } else {
                mem.write(va, &self.regs[r].to_le_bytes())
            };
            if let Err(e) = res {
                self.sb[usize::from(self.sb_other)] -= 1;
                return Flow::Block(mem_stop(e, pc));
            }
        }
        Flow::Next
    }
}
