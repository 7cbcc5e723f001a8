// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The memory instructions of a thread (`Documentation/hardware.md#shader-core`): global loads and stores with their
//! load lanes, atomics, and buffer access through the shader resource table. Every access goes through the group's AS
//! (the CS's memory port), so MMU translation, permissions and fault reporting apply.

use super::super::decode::{AtomOp, Instr, Op};
use super::super::{exception, Fault};
use super::thread::Exec;
use super::Next;
use crate::cs::machine::CsMemory;

impl Exec<'_, '_> {
    /// The memory instructions: global loads, stores and atomics, buffer loads and addresses.
    pub(super) fn memory(&mut self, i: &Instr, mem: &mut dyn CsMemory) -> Result<Next, Fault> {
        let [s0, s1, ..] = i.src;
        match i.op {
            Op::Load {
                bytes,
                lane,
                unsigned,
                sr,
                offset,
            } => {
                let va = self.src64(s0)?.wrapping_add(offset as i64 as u64);
                let mut buf = [0u8; 16];
                let n = usize::from(bytes);
                mem.read(va, &mut buf[..n])
                    .map_err(|err| Fault::Mem { err, pc: self.va })?;
                self.load_lanes(&buf[..n], lane, unsigned, sr)?;
            }
            Op::Store { bytes, sr, offset } => {
                let va = self.src64(s0)?.wrapping_add(offset as i64 as u64);
                let n = usize::from(bytes);
                let words = self.staging(sr, n.div_ceil(4))?;
                let mut data = [0u8; 16];
                for (d, w) in data.chunks_exact_mut(4).zip(words) {
                    d.copy_from_slice(&w.to_le_bytes());
                }
                mem.write(va, &data[..n])
                    .map_err(|err| Fault::Mem { err, pc: self.va })?;
            }
            Op::Atom {
                op,
                wide,
                data,
                ret,
                compare,
                offset,
            } => {
                let va = self.src64(s0)?.wrapping_add(u64::from(offset));
                self.atomic(mem, va, op, wide, data, ret, compare)?;
            }
            Op::LeaBufImm { sr, table, index } => {
                let handle = u32::from(table) << 24 | u32::from(index);
                let (addr, _) = self.buffer(mem, handle)?;
                let r = addr.wrapping_add(u64::from(self.src(s0)?));
                self.set_staging(sr, &[r as u32, (r >> 32) as u32])?;
            }
            Op::LeaBuffer { sr } => {
                let (addr, _) = self.buffer(mem, self.src(s1)?)?;
                let r = addr.wrapping_add(u64::from(self.src(s0)?));
                self.set_staging(sr, &[r as u32, (r >> 32) as u32])?;
            }
            Op::LdBuffer {
                bytes,
                lane,
                unsigned,
                sr,
            } => {
                let (addr, size) = self.buffer(mem, self.src(s1)?)?;
                let off = u64::from(self.src(s0)?);
                let n = usize::from(bytes);
                let mut buf = [0u8; 16];
                // Out of the buffer's bounds reads zeros (robust buffer access) \[model\].
                if off + n as u64 <= size {
                    mem.read(addr.wrapping_add(off), &mut buf[..n])
                        .map_err(|err| Fault::Mem { err, pc: self.va })?;
                }
                self.load_lanes(&buf[..n], lane, unsigned, sr)?;
            }
            _ => return Err(self.bad("not a memory instruction")),
        }
        Ok(Next::Step)
    }

    /// The buffer a resource handle names: (address, size in bytes) from the Buffer descriptor `index` (bits 0..23)
    /// of resource table entry `table` (bits 24..29). A table past the SRT's count or a descriptor past the table's
    /// size is a DATA_INVALID_FAULT.
    fn buffer(&self, mem: &mut dyn CsMemory, handle: u32) -> Result<(u64, u64), Fault> {
        let (table, index) = (handle >> 24, u64::from(handle & 0xFF_FFFF));
        let invalid = Fault::exception(exception::DATA_INVALID_FAULT, self.va);
        if table >= self.ctx.srt_count {
            return Err(invalid);
        }
        let pc = self.va;
        let mut res = [0u8; 16];
        mem.read(self.ctx.srt.wrapping_add(16 * u64::from(table)), &mut res)
            .map_err(|err| Fault::Mem { err, pc })?;
        let le = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        let descs = le(&res[..8]) & ((1 << 56) - 1);
        if 32 * (index + 1) > le(&res[8..]) {
            return Err(invalid);
        }
        let mut desc = [0u8; 16];
        mem.read(descs.wrapping_add(32 * index), &mut desc)
            .map_err(|err| Fault::Mem { err, pc })?;
        let size = u64::from(u32::from_le_bytes(
            desc[4..8].try_into().unwrap_or_default(),
        ));
        Ok((le(&desc[8..]), size))
    }

    /// Writes loaded bytes to the staging registers as the `Load lane` field says.
    fn load_lanes(&mut self, b: &[u8], lane: u8, unsigned: bool, sr: u8) -> Result<(), Fault> {
        let mut v = 0u64;
        for (k, byte) in b.iter().enumerate().take(8) {
            v |= u64::from(*byte) << (8 * k);
        }
        let bits = 8 * b.len() as u32;
        let ext = |v: u64| -> u64 {
            if unsigned || bits >= 64 {
                v
            } else {
                (((v << (64 - bits)) as i64) >> (64 - bits)) as u64
            }
        };
        let old = self.t.r.get(usize::from(sr)).copied().unwrap_or(0);
        let insert = |shift: u32, width: u32, val: u64| -> u32 {
            let mask = ((1u64 << width) - 1) as u32;
            (old & !(mask << shift)) | ((val as u32) & mask) << shift
        };
        match (b.len(), lane) {
            (1, 0..=3) => {
                let r = insert(8 * u32::from(lane), 8, v);
                self.set_staging(sr, &[r])
            }
            (1, 4 | 5) | (2, 0 | 1) => {
                let h = if b.len() == 1 { lane - 4 } else { lane };
                let r = insert(16 * u32::from(h), 16, ext(v));
                self.set_staging(sr, &[r])
            }
            (1, 6) | (2, 2) | (3, 0) | (4, 0) => self.set_staging(sr, &[ext(v) as u32]),
            (1, 7) | (2, 3) | (4, 1) => {
                let e = ext(v);
                self.set_staging(sr, &[e as u32, (e >> 32) as u32])
            }
            (6, 4) | (8, 7) | (12, 6) | (16, 7) => {
                let mut words = [0u32; 4];
                for (k, w) in words.iter_mut().enumerate() {
                    for j in 0..4 {
                        if let Some(byte) = b.get(4 * k + j) {
                            *w |= u32::from(*byte) << (8 * j);
                        }
                    }
                }
                self.set_staging(sr, &words[..b.len().div_ceil(4)])
            }
            _ => Err(self.bad("reserved load lane")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn atomic(
        &mut self,
        mem: &mut dyn CsMemory,
        va: u64,
        op: AtomOp,
        wide: bool,
        data: Option<u8>,
        ret: Option<u8>,
        compare: bool,
    ) -> Result<(), Fault> {
        let words = if wide { 2 } else { 1 };
        let count = if compare { 2 * words } else { words };
        let operands = match data {
            Some(sr) => self.staging(sr, count)?,
            None => [0; 4],
        };
        let operands = &operands[..if data.is_some() { count } else { 0 }];
        let val = |k: usize| -> u64 {
            let lo = u64::from(operands.get(k * words).copied().unwrap_or(0));
            let hi = if wide {
                u64::from(operands.get(k * words + 1).copied().unwrap_or(0))
            } else {
                0
            };
            lo | hi << 32
        };
        let pc = self.va;
        mem.atomic_check(va).map_err(|err| Fault::Mem { err, pc })?;
        let n = 4 * words;
        let mut buf = [0u8; 8];
        mem.read(va, &mut buf[..n])
            .map_err(|err| Fault::Mem { err, pc })?;
        let old = u64::from_le_bytes(buf);
        let width = if wide { 64 } else { 32 };
        let sext = |x: u64| -> i64 { ((x << (64 - width)) as i64) >> (64 - width) };
        let mask = if wide { u64::MAX } else { u64::from(u32::MAX) };
        let d = val(0) & mask;
        let new = match op {
            AtomOp::Add => old.wrapping_add(d),
            AtomOp::Smin => sext(old).min(sext(d)) as u64,
            AtomOp::Smax => sext(old).max(sext(d)) as u64,
            AtomOp::Umin => old.min(d),
            AtomOp::Umax => old.max(d),
            AtomOp::And => old & d,
            AtomOp::Or => old | d,
            AtomOp::Xor => old ^ d,
            AtomOp::Xchg if compare => {
                if old == val(1) & mask {
                    d
                } else {
                    old
                }
            }
            AtomOp::Xchg => d,
            AtomOp::Inc => old.wrapping_add(1),
            AtomOp::Dec => old.wrapping_sub(1),
            AtomOp::Umax1 => old.max(1),
            AtomOp::Smax1 => sext(old).max(1) as u64,
            AtomOp::Or1 => old | 1,
        } & mask;
        mem.write(va, &new.to_le_bytes()[..n])
            .map_err(|err| Fault::Mem { err, pc })?;
        if let Some(sr) = ret {
            let vals = [old as u32, (old >> 32) as u32];
            self.set_staging(sr, &vals[..words])?;
        }
        Ok(())
    }
}
