// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The architectural state of one CS (`Documentation/hardware.md#machine-state`): registers, call frames, scoreboard,
//! latches, and the types the interpreter reports through ([`Stop`], [`Outcome`], [`CsError`]) or needs from the GPU
//! ([`CsMemory`]).

use super::decode::{Reg, REG_COUNT, SB_COUNT};
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
    /// A read-only snapshot of the group's AS that shader-core workers on other host threads translate through
    /// (`crate::shader::parallel`); `None` (the default) keeps the shader core on this port, one workgroup at a time.
    fn shared(&mut self) -> Option<crate::shader::parallel::SharedAs<'_>> {
        None
    }
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
    pub(super) fn va(&self, pos: u64) -> u64 {
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

pub(super) fn sext16(v: i16) -> u64 {
    i64::from(v) as u64
}

impl Machine {
    /// `d[n]`.
    pub fn d(&self, n: Reg) -> u64 {
        let n = usize::from(n);
        u64::from(self.regs[n]) | u64::from(self.regs[n + 1]) << 32
    }

    pub(super) fn set_d(&mut self, n: Reg, v: u64) {
        let n = usize::from(n);
        self.regs[n] = v as u32;
        self.regs[n + 1] = (v >> 32) as u32;
    }

    pub(super) fn r(&self, n: Reg) -> u32 {
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

    pub(super) fn advance(&mut self) {
        match self.frames.last_mut() {
            Some(f) => f.ip = f.ip.wrapping_add(8),
            None => self.pos = self.pos.wrapping_add(8),
        }
    }
}

pub(super) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(super) fn fault(code: u8, info: u64, pc: u64) -> Stop {
    Stop::Error(CsError {
        fatal: false,
        code,
        info,
        pc,
        fetch: false,
    })
}

pub(super) fn fatal(code: u8, info: u64, pc: u64) -> Stop {
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
pub(super) fn mem_stop(e: MemError, pc: u64) -> Stop {
    match e {
        MemError::Mmu { va, code } => fault(code, va, pc),
        MemError::Stalled { .. } => Stop::Stalled,
        MemError::Bus { va } => fatal(exception::CS_BUS_FAULT, va, pc),
        MemError::NoAs => fatal(exception::CS_CONFIG_FAULT, 0, pc),
    }
}
