// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The machine state of one CS and the interpreter loop (`Documentation/hardware.md#machine-state`).
//!
//! [`Machine::run`] executes at most a budget of instructions and stops early when the stream blocks (scoreboard or
//! sync wait, a stalled memory access), runs out of ring, or faults. Blocking never advances the instruction pointer:
//! the blocking instruction is simply executed again when the caller resumes the stream, which is how waits are
//! re-evaluated without any loop inside the model.

use super::decode::{decode, Async, Cond, Instr, Reg, RunKind, Width, REG_COUNT, SB_COUNT};
use super::exception;

/// Frames of the call stack including the ring (Mesa's decoder: 8 on G610).
pub const MAX_FRAMES: usize = 8;

/// Why a memory access made on behalf of a stream failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MemError {
    /// The MMU refused it (the fault is recorded in the group's AS and raised the MMU IRQ); `code` is the exception type.
    #[error("MMU fault {code:#x} at {va:#x}")]
    Mmu { va: u64, code: u8 },
    /// A locked region stalls the access; retry later.
    #[error("stalled at {va:#x}")]
    Stalled { va: u64 },
    /// No memory behind the translation.
    #[error("bus fault at {va:#x}")]
    Bus { va: u64 },
    /// The group's AS does not exist.
    #[error("no such address space")]
    NoAs,
}

/// What the interpreter needs from the GPU: the memory port through the group's AS and a few global counters.
pub(crate) trait CsMemory {
    /// Reads `buf.len()` bytes at `va` (data read; instruction fetches are data reads too, since rings are NOEXEC).
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), MemError>;
    /// Writes `data` at `va`.
    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), MemError>;
    /// Checks `va` for an atomic access (needs write permission) before a read-modify-write.
    fn atomic_check(&mut self, va: u64) -> Result<(), MemError>;
    /// The GPU's TIMESTAMP.
    fn timestamp(&self) -> u64;
    /// The GPU's CYCLE_COUNT.
    fn cycles(&self) -> u64;
    /// LATEST_FLUSH_ID.
    fn latest_flush_id(&self) -> u32;
    /// A cache flush completed (bumps LATEST_FLUSH_ID).
    fn flushed(&mut self);
}

/// A fault or fatal error raised by a stream, delivered through the CS interface
/// (`Documentation/hardware.md#csg-and-cs-interfaces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CsError {
    /// FATAL (the stream cannot continue) rather than FAULT (it continues once the host acknowledges).
    pub fatal: bool,
    /// Exception type (`Documentation/hardware.md#exception-codes`).
    pub code: u8,
    /// `fault_info`/`fatal_info`: the faulting data address, or the instruction's address.
    pub info: u64,
    /// GPU VA of the instruction that raised it.
    pub pc: u64,
    /// The fault is the instruction fetch itself.
    pub fetch: bool,
}

/// Why [`Machine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The instruction budget is used up; the stream can go on.
    Budget,
    /// The ring is drained (extract == insert) at frame 0.
    Empty,
    /// WAIT (or an asynchronous instruction's wait mask) on busy scoreboard entries.
    Scoreboard(u8),
    /// SYNC_WAIT whose condition does not hold yet.
    Sync(SyncWait),
    /// A locked MMU region stalls an access; retry later.
    Stalled,
    /// A FAULT or FATAL.
    Error(CsError),
}

/// A SYNC_WAIT the stream is blocked on, as `status_wait*` report it
/// (`Documentation/hardware.md#csg-and-cs-interfaces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyncWait {
    /// GPU VA of the sync object.
    pub ptr: u64,
    /// Reference value.
    pub value: u64,
    /// Condition (encoding).
    pub cond: u32,
    /// 64-bit object.
    pub wide: bool,
}

/// What one [`Machine::run`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Instructions executed (retired or faulted; a blocking re-check counts too).
    pub executed: u32,
    /// Why it stopped.
    pub stop: Stop,
    /// A SYNC_ADD/SYNC_SET completed: waiters must be re-evaluated and the host told (CSG SYNC_UPDATE).
    pub sync_updated: bool,
}

/// The ring level (frame 0): where the stream reads its kernel ring buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ring {
    /// `ringbuf_base` (GPU VA in the group's AS).
    pub base: u64,
    /// `ringbuf_size` (a power of two).
    pub size: u64,
    /// `insert` as last read from the user-I/O input page.
    pub insert: u64,
}

impl Ring {
    fn va(&self, pos: u64) -> u64 {
        self.base.wrapping_add(pos & (self.size - 1))
    }
}

/// A called (or jumped-to) buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Frame {
    /// First byte (branch targets must stay inside `[start, end]`).
    pub start: u64,
    /// Next instruction.
    pub ip: u64,
    /// End of the buffer.
    pub end: u64,
}

/// The architectural state of one CS that survives between batches, suspends and jobs
/// (`Documentation/hardware.md#machine-state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Machine {
    /// r0..r95.
    pub regs: [u32; REG_COUNT],
    /// Ring position (the monotonic `extract` byte count of the instruction to run at frame 0).
    pub pos: u64,
    /// Buffers entered by CALL/JUMP (frames 1..); the ring is frame 0.
    pub frames: Vec<Frame>,
    /// Outstanding operations per scoreboard entry.
    pub sb: [u32; SB_COUNT],
    /// SET_SB_ENTRY's endpoint entry (signalled by RUN_*).
    pub sb_endpoint: u8,
    /// SET_SB_ENTRY's other entry (signalled by LOAD/STORE_MULTIPLE).
    pub sb_other: u8,
    /// The stream's error state: set by a FAULT, copied into sync objects by propagating SYNC_*, cleared by
    /// ERROR_BARRIER.
    pub error: bool,
    /// HEAP_SET's tiler-heap context.
    pub heap_ctx: u64,
    /// HEAP_OPERATION counters: vertex/tiler started, vertex/tiler completed, fragment completed.
    pub heap_counts: [u32; 3],
    /// REQ_RESOURCE's latched mask.
    pub req_resource: u8,
    /// The progress counter (bumped by "progress increment" bits, PROGRESS_STORE/LOAD).
    pub progress: u64,
    /// SET_EXCEPTION_HANDLER for the tiler-OOM exception: (address, length).
    pub oom_handler: (u64, u32),
    /// Endpoint work launched (RUN_*), for status and tests.
    pub runs: u64,
}

impl Default for Machine {
    fn default() -> Self {
        Self {
            regs: [0; REG_COUNT],
            pos: 0,
            frames: Vec::new(),
            sb: [0; SB_COUNT],
            sb_endpoint: 0,
            sb_other: 0,
            error: false,
            heap_ctx: 0,
            heap_counts: [0; 3],
            req_resource: 0,
            progress: 0,
            oom_handler: (0, 0),
            runs: 0,
        }
    }
}

/// How an executed instruction moves the stream.
enum Flow {
    /// Continue with the next instruction.
    Next,
    /// The instruction set the position itself.
    Moved,
    /// Do not advance; stop with this reason.
    Block(Stop),
}

fn sext16(v: i16) -> u64 {
    i64::from(v) as u64
}

impl Machine {
    /// `d[n]`.
    pub fn d(&self, n: Reg) -> u64 {
        let n = usize::from(n);
        u64::from(self.regs[n]) | u64::from(self.regs[n + 1]) << 32
    }

    fn set_d(&mut self, n: Reg, v: u64) {
        let n = usize::from(n);
        self.regs[n] = v as u32;
        self.regs[n + 1] = (v >> 32) as u32;
    }

    fn r(&self, n: Reg) -> u32 {
        self.regs[usize::from(n)]
    }

    /// Bitmask of scoreboard entries with outstanding operations.
    pub fn busy_entries(&self) -> u8 {
        self.sb
            .iter()
            .enumerate()
            .fold(0, |m, (i, &c)| if c != 0 { m | 1 << i } else { m })
    }

    /// Every outstanding asynchronous operation completes (the model performs them at issue; see the module docs).
    pub fn retire_all(&mut self) {
        self.sb = [0; SB_COUNT];
    }

    /// The GPU VA of the next instruction (what `status_cmd_ptr` reports).
    pub fn pc(&self, ring: &Ring) -> u64 {
        match self.frames.last() {
            Some(f) => f.ip,
            None if ring.size != 0 => ring.va(self.pos),
            None => 0,
        }
    }

    /// The call depth including the ring.
    pub fn depth(&self) -> usize {
        self.frames.len() + 1
    }

    /// After a FAULT the stream continues at a defined point \[model\]: inside a called buffer it abandons the buffer
    /// and returns to the ring after the CALL (Panthor recovers "at job boundaries"); in the ring it skips the faulting
    /// instruction, unless the fault was the ring fetch itself, which is retried. Its error state is set either way.
    pub fn recover_from_fault(&mut self, fetch_fault_in_ring: bool) {
        self.error = true;
        if !self.frames.is_empty() {
            self.frames.clear();
            self.pos = self.pos.wrapping_add(8);
        } else if !fetch_fault_in_ring {
            self.pos = self.pos.wrapping_add(8);
        }
    }

    fn advance(&mut self) {
        match self.frames.last_mut() {
            Some(f) => f.ip = f.ip.wrapping_add(8),
            None => self.pos = self.pos.wrapping_add(8),
        }
    }

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
    fn issue(&mut self, sb: Async) -> Option<Stop> {
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
            }
            | Instr::StoreMultiple {
                base,
                addr,
                mask,
                offset,
            } => {
                let load = matches!(instr, Instr::LoadMultiple { .. });
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
                for i in 0..16u8 {
                    if mask & (1 << i) == 0 {
                        continue;
                    }
                    let va = a.wrapping_add(4 * u64::from(i));
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
            }
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
            }
            | Instr::SyncSet {
                width,
                sb,
                addr,
                data,
                propagate,
                ..
            } => {
                let add = matches!(instr, Instr::SyncAdd { .. });
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
            }
            Instr::SyncWait {
                width,
                addr,
                data,
                cond,
                reject,
            } => {
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
            }
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
            Instr::Run { kind, word } => {
                let sb = Async {
                    signal: Some(self.sb_endpoint),
                    wait: 0,
                };
                if let Err(stop) = self.validate_run(kind, word, mem, pc) {
                    return Flow::Block(stop);
                }
                if let Some(s) = self.issue(sb) {
                    return Flow::Block(s);
                }
                self.runs = self.runs.wrapping_add(1);
                self.progress = self.progress.wrapping_add((word >> 32) & 1);
            }
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

    /// RUN_* reads the descriptors its staging registers point at, through the MMU, and checks the mandatory ones
    /// are present; no shader runs (see the module docs).
    fn validate_run(
        &self,
        kind: RunKind,
        word: u64,
        mem: &mut dyn CsMemory,
        pc: u64,
    ) -> Result<(), Stop> {
        let sel = |shift: u32| ((word >> shift) & 3) as u8 * 2;
        // (staging pair, bytes to read, mandatory)
        let mut descs: Vec<(Reg, usize, bool)> = Vec::new();
        match kind {
            RunKind::Compute | RunKind::ComputeIndirect | RunKind::Tiling => {
                descs.push((16 + sel(42), 64, true)); // shader program descriptor
                descs.push((24 + sel(44), 32, false)); // thread storage descriptor
            }
            RunKind::Idvs => {
                descs.push((16 + sel(42), 64, true));
                descs.push((40, 32, true)); // tiler context
            }
            RunKind::Fragment => descs.push((40, 64, true)), // framebuffer descriptor
            RunKind::Fullscreen => descs.push((40, 64, true)),
        }
        for (pair, len, mandatory) in descs {
            // Descriptor pointers carry flags in their low 6 bits (64-byte aligned descriptors).
            let va = self.d(pair) & !0x3F;
            if va == 0 {
                if mandatory {
                    return Err(fault(exception::DATA_INVALID_FAULT, 0, pc));
                }
                continue;
            }
            let mut buf = [0u8; 64];
            mem.read(va, &mut buf[..len]).map_err(|e| mem_stop(e, pc))?;
        }
        Ok(())
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn fault(code: u8, info: u64, pc: u64) -> Stop {
    Stop::Error(CsError {
        fatal: false,
        code,
        info,
        pc,
        fetch: false,
    })
}

fn fatal(code: u8, info: u64, pc: u64) -> Stop {
    Stop::Error(CsError {
        fatal: true,
        code,
        info,
        pc,
        fetch: false,
    })
}

/// A refused memory access: MMU faults are recoverable CS FAULTs carrying the MMU's exception type and the VA; a bus
/// error is fatal (CS_BUS_FAULT); a stall just waits.
fn mem_stop(e: MemError, pc: u64) -> Stop {
    match e {
        MemError::Mmu { va, code } => fault(code, va, pc),
        MemError::Stalled { .. } => Stop::Stalled,
        MemError::Bus { va } => fatal(exception::CS_BUS_FAULT, va, pc),
        MemError::NoAs => fatal(exception::CS_CONFIG_FAULT, 0, pc),
    }
}
