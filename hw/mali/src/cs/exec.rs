// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The machine state of one CS and the interpreter loop (`Documentation/hardware.md#machine-state`).
//!
//! [`Machine::run`] executes at most a budget of instructions and stops early when the stream blocks (scoreboard or
//! sync wait, a stalled memory access), runs out of ring, or faults. Blocking never advances the instruction pointer:
//! the blocking instruction is simply executed again when the caller resumes the stream, which is how waits are
//! re-evaluated without any loop inside the model.

use super::decode::{decode, Async, Cond, Instr};
use super::exception;
use super::machine::{
    fatal, fault, mem_stop, sext16, CsError, CsMemory, Frame, Machine, Outcome, Ring, Stop,
    MAX_FRAMES,
};

/// How an executed instruction moves the stream.
pub(super) enum Flow {
    /// Continue with the next instruction.
    Next,
    /// The instruction set the position itself.
    Moved,
    /// Do not advance; stop with this reason.
    Block(Stop),
}

impl Machine {
    /// Runs at most `budget` instructions.
    pub fn run(&mut self, mem: &mut dyn CsMemory, ring: &Ring, budget: u32) -> Outcome {
        let mut out = Outcome {
            executed: 0,
            stop: Stop::Budget,
            sync_updated: false,
        };
        while out.executed < budget {
            // Leaving finished buffers.
            if let Some(f) = self.frames.last() {
                if f.ip >= f.end {
                    self.frames.pop();
                    if self.frames.is_empty() {
                        // Back in the ring: the CALL itself is now done.
                        self.pos = self.pos.wrapping_add(8);
                    }
                    continue;
                }
            } else if self.pos >= ring.insert {
                out.stop = Stop::Empty;
                return out;
            }
            let pc = self.pc(ring);
            out.executed += 1;
            let mut word = [0u8; 8];
            if let Err(e) = mem.read(pc, &mut word) {
                out.stop = match mem_stop(e, pc) {
                    Stop::Error(err) => Stop::Error(CsError { fetch: true, ..err }),
                    other => other,
                };
                return out;
            }
            let instr = match decode(u64::from_le_bytes(word)) {
                Ok(i) => i,
                Err(_) => {
                    out.stop = fatal(exception::CS_INSTR_INVALID, pc, pc);
                    return out;
                }
            };
            match self.exec(instr, pc, mem, ring, &mut out.sync_updated) {
                Flow::Next => self.advance(),
                Flow::Moved => {}
                Flow::Block(stop) => {
                    out.stop = stop;
                    return out;
                }
            }
        }
        out
    }

    /// Waits for `sb.wait`, then occupies `sb.signal`: `None` when the instruction may issue.
    pub(super) fn issue(&mut self, sb: Async) -> Option<Stop> {
        let busy = self.busy_entries() & sb.wait;
        if busy != 0 {
            return Some(Stop::Scoreboard(busy));
        }
        if let Some(s) = sb.signal {
            self.sb[usize::from(s)] += 1;
        }
        None
    }

    fn exec(
        &mut self,
        instr: Instr,
        pc: u64,
        mem: &mut dyn CsMemory,
        ring: &Ring,
        synced: &mut bool,
    ) -> Flow {
        match instr {
            Instr::Nop => {}
            Instr::Move48 { dst, imm } => self.set_d(dst, imm),
            Instr::Move32 { dst, imm } => self.regs[usize::from(dst)] = imm,
            Instr::AddImm32 { dst, src, imm } => {
                self.regs[usize::from(dst)] = self.r(src).wrapping_add(imm as u32)
            }
            Instr::AddImm64 { dst, src, imm } => {
                self.set_d(dst, self.d(src).wrapping_add(i64::from(imm) as u64))
            }
            Instr::Umin32 { dst, a, b } => self.regs[usize::from(dst)] = self.r(a).min(self.r(b)),
            Instr::Wait { mask, progress } => {
                let busy = self.busy_entries() & mask;
                if busy != 0 {
                    return Flow::Block(Stop::Scoreboard(busy));
                }
                self.progress = self.progress.wrapping_add(u64::from(progress));
            }
            Instr::SetSbEntry { endpoint, other } => {
                self.sb_endpoint = endpoint;
                self.sb_other = other;
            }
            Instr::LoadMultiple {
                base,
                addr,
                mask,
                offset,
            } => return self.load_store_multiple(true, base, addr, mask, offset, pc, mem),
            Instr::StoreMultiple {
                base,
                addr,
                mask,
                offset,
            } => return self.load_store_multiple(false, base, addr, mask, offset, pc, mem),
            Instr::Branch {
                value,
                cond,
                offset,
            } => {
                if cond == Cond::Always || cond.holds(self.r(value) as i32, 0) {
                    let delta = 8i64 * (1 + i64::from(offset));
                    return self.branch(delta, pc, ring);
                }
            }
            Instr::Call { addr, len } | Instr::Jump { addr, len } => {
                let (target, len) = (self.d(addr), u64::from(self.r(len)));
                if target % 8 != 0 {
                    return Flow::Block(fatal(exception::INSTR_INVALID_PC, target, pc));
                }
                if len % 8 != 0 {
                    return Flow::Block(fatal(exception::CS_INSTR_INVALID, pc, pc));
                }
                let frame = Frame {
                    start: target,
                    ip: target,
                    end: target.wrapping_add(len),
                };
                if matches!(instr, Instr::Jump { .. }) {
                    // Mesa's decoder refuses a JUMP in frame 0: the ring cannot be replaced.
                    let Some(f) = self.frames.last_mut() else {
                        return Flow::Block(fatal(exception::CS_INSTR_INVALID, pc, pc));
                    };
                    *f = frame;
                    return Flow::Moved;
                }
                if self.depth() >= MAX_FRAMES {
                    return Flow::Block(fatal(exception::CS_CALL_STACK_OVERFLOW, pc, pc));
                }
                // The ring position stays on the CALL while the callee runs, so `extract` stays inside the current
                // job's range (`Documentation/hardware.md#faults-timeouts-and-heap-oom`); it moves past the CALL when
                // the callee returns.
                if let Some(f) = self.frames.last_mut() {
                    f.ip = f.ip.wrapping_add(8);
                }
                self.frames.push(frame);
                return Flow::Moved;
            }
            Instr::FlushCache2 {
                sb,
                flush_id,
                l2,
                lsc,
                other,
            } => {
                let id = self.r(flush_id);
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
                // ID 0 flushes unconditionally; any other ID is satisfied by a flush done since it was read.
                let needed = l2 | lsc | other != 0 && (id == 0 || id == mem.latest_flush_id());
                if needed {
                    mem.flushed();
                }
            }
            Instr::SyncAdd {
                width,
                sb,
                addr,
                data,
                propagate,
                ..
            } => return self.sync_add_set(true, width, sb, addr, data, propagate, pc, mem, synced),
            Instr::SyncSet {
                width,
                sb,
                addr,
                data,
                propagate,
                ..
            } => {
                return self.sync_add_set(false, width, sb, addr, data, propagate, pc, mem, synced)
            }
            Instr::SyncWait {
                width,
                addr,
                data,
                cond,
                reject,
            } => return self.sync_wait(width, addr, data, cond, reject, pc, mem),
            Instr::StoreState {
                sb,
                addr,
                state,
                offset,
            } => {
                let va = self.d(addr).wrapping_add(sext16(offset));
                if !va.is_multiple_of(4) {
                    return Flow::Block(fault(exception::DATA_INVALID_FAULT, va, pc));
                }
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
                let (ts, cycles) = (mem.timestamp(), mem.cycles());
                let res = match state {
                    0 => mem.write(va, &ts.to_le_bytes()),
                    1 => mem.write(va, &cycles.to_le_bytes()),
                    // No disjoint events are modelled.
                    2 => mem.write(va, &0u32.to_le_bytes()),
                    _ => mem.write(va, &u32::from(self.error).to_le_bytes()),
                };
                if let Err(e) = res {
                    if let Some(s) = sb.signal {
                        self.sb[usize::from(s)] -= 1;
                    }
                    return Flow::Block(mem_stop(e, pc));
                }
            }
            Instr::ErrorBarrier => self.error = false,
            Instr::Run { kind, word } => return self.run_endpoint(kind, word, pc, mem),
            Instr::FinishTiling { progress } => {
                let sb = Async {
                    signal: Some(self.sb_endpoint),
                    wait: 0,
                };
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
                self.progress = self.progress.wrapping_add(u64::from(progress));
            }
            Instr::FinishFragment { sb, increment, .. } => {
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
                self.heap_counts[2] = self.heap_counts[2].wrapping_add(u32::from(increment));
            }
            Instr::HeapSet { addr } => self.heap_ctx = self.d(addr),
            Instr::HeapOperation { sb, op } => {
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
                let i = if op == 3 { 2 } else { usize::from(op) };
                self.heap_counts[i] = self.heap_counts[i].wrapping_add(1);
            }
            Instr::TracePoint { sb } => {
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
            }
            Instr::ReqResource { mask } => self.req_resource = mask,
            Instr::SetExceptionHandler { addr, len, kind } => {
                if kind == 2 {
                    self.oom_handler = (self.d(addr), self.r(len));
                }
            }
            Instr::ProgressStore { src } => self.progress = self.d(src),
            Instr::ProgressLoad { dst } => self.set_d(dst, self.progress),
            // No other queue's progress is tracked and protected mode is unsupported (as in Panthor): both complete.
            Instr::ProgressWait { .. } | Instr::ProtRegion { .. } => {}
        }
        Flow::Next
    }

    fn branch(&mut self, delta: i64, pc: u64, ring: &Ring) -> Flow {
        match self.frames.last_mut() {
            Some(f) => {
                let target = f.ip.wrapping_add(delta as u64);
                if target < f.start || target > f.end {
                    return Flow::Block(fatal(exception::INSTR_INVALID_PC, target, pc));
                }
                f.ip = target;
            }
            None => {
                let target = self.pos.wrapping_add(delta as u64);
                // Inside the ring's window: not past `insert`, not into bytes the ring has already reused.
                let oldest = ring.insert.saturating_sub(ring.size);
                if target > ring.insert || target < oldest {
                    return Flow::Block(fatal(
                        exception::INSTR_INVALID_PC,
                        ring.base.wrapping_add(delta as u64),
                        pc,
                    ));
                }
                self.pos = target;
            }
        }
        Flow::Moved
    }
}
