// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! CSG slots and their CS slots at run time: what the MCU latches from the group and stream interfaces, when streams
//! run, and how their progress, blocking and faults reach the host (`Documentation/hardware.md#csg-and-cs-interfaces`).
//!
//! Execution is event driven. Anything that may give a stream work (a CSG START/RESUME, a CS START, a CSG doorbell
//! bit, a per-CSG doorbell, a completed SYNC_ADD/SET) schedules one [`Event::CsExec`] batch [`EXEC_BATCH_CYCLES`] GPU cycles later,
//! unless one is already pending. A batch runs every stream that has work for at most [`EXEC_BATCH_INSTRS`]
//! instructions each, retires outstanding asynchronous operations, reports events, and schedules the next batch only
//! while some stream still has work. A stream blocked in SYNC_WAIT is not run again until a sync object was written
//! by some stream or the host rang a doorbell (the "sync epoch" moved), so waiting costs nothing; a stream in an
//! infinite loop costs one bounded batch per [`EXEC_BATCH_CYCLES`] cycles of model time and never starves the model thread.
//!
//! State across SUSPEND/RESUME lives where silicon keeps it: in the group's suspend buffer (MCU VA `suspend_buf`,
//! through AS 0), one [`SAVE_STRIDE`]-byte record per CS, so a group resumed in another slot continues exactly where
//! it stopped. A group suspended with no suspend buffer (0) keeps its streams in the slot instead \[model\].

use super::{cs, cs_iface, csg, csg_iface, rd, values, wr};
use crate::cs::exception;
use crate::cs::machine::{
    CsError, CsMemory, Frame, Machine, MemError, Ring, Stop, SyncWait, MAX_FRAMES,
};
use crate::cs::{REG_COUNT, SB_COUNT};
use crate::fields::{CsConfig, CsReq, CsgEndpointReq, CsgReq, JobIrq};
mod events;
mod progress;
mod requests;
mod suspend;

use crate::device::{Event, State};
use crate::error::PortError;
use crate::mmu::AccessType;
use crate::regs::mmu;
pub(crate) use events::publish_csg_status;
use events::{config_fault, cs_event, csg_event, report};
pub(crate) use progress::spin;
pub(crate) use requests::{cs_doorbell_bit, csg_state, doorbell, latch_endpoint};
use suspend::{restore, save};

/// GPU cycles one execution batch takes: its model time follows the core clock ([`crate::Mali::set_core_clock_hz`]).
pub const EXEC_BATCH_CYCLES: u64 = 198;
/// Model time one execution batch takes at the default core clock (198 MHz, [`crate::MaliConfig`]).
pub const EXEC_BATCH_NS: u64 = 1_000;
/// Instructions each stream may execute per batch.
pub const EXEC_BATCH_INSTRS: u32 = 256;
/// Bytes of a group's suspend buffer each CS's saved state occupies (8 × 1 KiB = the published `suspend_size`).
pub const SAVE_STRIDE: u64 = 0x400;
/// First word of a saved CS record.
const SAVE_MAGIC: u32 = 0x5459_4353; // "SCYT"

const CSGS: usize = values::GROUP_NUM as usize;
const STREAMS: usize = values::STREAM_NUM as usize;

/// Why a started stream is not running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Run {
    /// Has (or may have) instructions to run.
    #[default]
    Ready,
    /// The ring is drained; waits for a doorbell.
    Empty,
    /// WAIT on busy scoreboard entries (retired at the end of the batch).
    Scoreboard(u8),
    /// SYNC_WAIT not satisfied at sync epoch `epoch`.
    Sync { wait: SyncWait, epoch: u64 },
    /// An access stalled on a locked MMU region.
    Stalled,
}

/// An event the host must acknowledge before the stream continues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Halt {
    #[default]
    None,
    /// CS FAULT: continues once `req.FAULT == ack.FAULT` and the CS's doorbell bit is toggled.
    Fault,
    /// CS FATAL: stopped until the CS is restarted or the group terminated.
    Fatal,
    /// TILER_OOM: continues like a FAULT, on `req.TILER_OOM == ack.TILER_OOM`.
    Oom,
}

/// One CS slot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stream {
    started: bool,
    run: Run,
    halt: Halt,
    ring: Ring,
    input_va: u64,
    output_va: u64,
    doorbell: u32,
    machine: Machine,
    /// Made to spin (`crate::Mali::inject_cs_spin`): runs without progress until reset or unbound.
    spin: bool,
    /// The progress timer's view of it.
    watch: progress::Watch,
}

impl Stream {
    fn has_work(&self, epoch: u64) -> bool {
        if !self.started || self.halt != Halt::None {
            return false;
        }
        if self.spin {
            return true;
        }
        match self.run {
            Run::Ready | Run::Scoreboard(_) | Run::Stalled => true,
            Run::Sync { epoch: e, .. } => e != epoch,
            Run::Empty => false,
        }
    }
}

/// What a CSG slot latched at START/RESUME and ENDPOINT_CONFIG, for tests and tools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsgLatched {
    /// Acknowledged STATE (0 TERMINATE, 1 START, 2 SUSPEND, 3 RESUME).
    pub state: u32,
    /// The group runs (START or RESUME acknowledged).
    pub running: bool,
    /// The AS its streams use (`config`).
    pub as_nr: u32,
    /// `endpoint_req` at the last START/RESUME or ENDPOINT_CONFIG.
    pub endpoint_req: u32,
    /// Priority (`endpoint_req` bits 31:28).
    pub priority: u32,
    /// `allow_compute`, `allow_fragment`, `allow_other`.
    pub allow: [u64; 3],
    /// `suspend_buf` (MCU VA).
    pub suspend_buf: u64,
}

/// One CSG slot.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    latched: CsgLatched,
    /// Ran instructions since the last IDLE report.
    busy: bool,
    /// A SYNC_ADD/SET completed in this batch.
    sync_update: bool,
    streams: Vec<Stream>,
}

impl Default for Group {
    fn default() -> Self {
        Self {
            latched: CsgLatched::default(),
            busy: false,
            sync_update: false,
            streams: vec![Stream::default(); STREAMS],
        }
    }
}

/// The execution side of the MCU.
#[derive(Clone, Debug)]
pub(crate) struct Exec {
    groups: Vec<Group>,
    /// Generation of the batch event: a stale one (after an MCU stop) is ignored.
    gen: u64,
    scheduled: bool,
    /// Bumped by every completed SYNC_ADD/SET and every doorbell: sync waits re-check when it moved.
    epoch: u64,
    /// Batches run, for tests.
    pub(crate) batches: u64,
}

impl Default for Exec {
    fn default() -> Self {
        Self {
            groups: vec![Group::default(); CSGS],
            gen: 0,
            scheduled: false,
            epoch: 0,
            batches: 0,
        }
    }
}

impl Exec {
    /// The MCU stopped (halt, reset, MCU_CONTROL DISABLE): every slot is empty, any pending batch is stale.
    pub(crate) fn stop(&mut self) {
        self.groups = vec![Group::default(); CSGS];
        self.gen += 1;
        self.scheduled = false;
    }

    /// Whether any stream of a running group has work.
    pub(crate) fn any_work(&self) -> bool {
        self.groups
            .iter()
            .any(|g| g.latched.running && g.streams.iter().any(|s| s.has_work(self.epoch)))
    }

    pub(crate) fn latched(&self, i: usize) -> Option<CsgLatched> {
        self.groups.get(i).map(|g| g.latched)
    }

    pub(crate) fn regs(&self, i: usize, j: usize) -> Option<[u32; REG_COUNT]> {
        self.groups.get(i)?.streams.get(j).map(|s| s.machine.regs)
    }
}

// ---- memory helpers ---------------------------------------------------------------------------------------------

fn rd64(st: &mut State, va: u64) -> Result<u64, PortError> {
    Ok(u64::from(rd(st, va)?) | u64::from(rd(st, va + 4)?) << 32)
}

fn wr64(st: &mut State, va: u64, v: u64) -> Result<(), PortError> {
    wr(st, va, v as u32)?;
    wr(st, va + 4, (v >> 32) as u32)
}

/// The memory port of a stream: every access through its group's AS.
struct Port<'a> {
    st: &'a mut State,
    as_nr: usize,
}

impl Port<'_> {
    fn err(&self, e: PortError, va: u64) -> MemError {
        match e {
            PortError::Fault { va, fault, .. } => MemError::Mmu {
                va,
                code: fault.exception_type(),
            },
            PortError::AsFaulted { as_nr } => {
                // The AS translates nothing until its recorded fault is cleared; report that fault's type again.
                let status = self
                    .st
                    .spaces
                    .get(as_nr)
                    .and_then(|s| s.read_reg(mmu::FAULTSTATUS))
                    .unwrap_or(0);
                MemError::Mmu {
                    va,
                    code: status as u8,
                }
            }
            PortError::Stalled { va, .. } => MemError::Stalled { va },
            PortError::BusFault { .. } => MemError::Bus { va },
            PortError::NoSuchAs(_) => MemError::NoAs,
            PortError::TimedOut => MemError::Stalled { va },
        }
    }
}

impl CsMemory for Port<'_> {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let len = buf.len();
        let r = self
            .st
            .access(self.as_nr, va, len, AccessType::Read, |ram, pa, r| {
                ram.read(pa, &mut buf[r])
            });
        r.map_err(|e| self.err(e, va))
    }

    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), MemError> {
        let r = self.st.access(
            self.as_nr,
            va,
            data.len(),
            AccessType::Write,
            |ram, pa, r| ram.write(pa, &data[r]),
        );
        r.map_err(|e| self.err(e, va))
    }

    fn atomic_check(&mut self, va: u64) -> Result<(), MemError> {
        let r = self.st.translate(self.as_nr, va, AccessType::Atomic);
        r.map(|_| ()).map_err(|e| self.err(e, va))
    }

    fn timestamp(&self) -> u64 {
        self.st.timestamp()
    }

    fn cycles(&self) -> u64 {
        self.st.cycle_count()
    }

    fn latest_flush_id(&self) -> u32 {
        self.st.latest_flush_id
    }

    fn flushed(&mut self) {
        self.st.bump_flush_id();
    }

    fn shared(&mut self) -> Option<crate::shader::parallel::SharedAs<'_>> {
        let space = self.st.spaces.get(self.as_nr)?;
        let faulted = space
            .fault_pending()
            .then(|| space.read_reg(mmu::FAULTSTATUS).unwrap_or(0) as u8);
        Some(crate::shader::parallel::SharedAs {
            ram: &self.st.ram,
            walker: &self.st.walker,
            cfg: space.live_config(),
            tlb: space.tlb().clone(),
            locked: space.locked_region(),
            faulted,
        })
    }
}

// ---- execution --------------------------------------------------------------------------------------------------

/// Schedules a batch if none is pending and some stream has work.
pub(crate) fn kick(st: &mut State) {
    if st.mcu.exec.scheduled || !st.mcu.exec.any_work() {
        return;
    }
    st.mcu.exec.scheduled = true;
    let gen = st.mcu.exec.gen;
    let ns = st.cycles_to_ns(EXEC_BATCH_CYCLES);
    st.schedule(ns, Event::CsExec(gen));
}

/// The batch of generation `gen` could not run (its cores are down): none is pending any more, the next
/// [`kick`] schedules one.
pub(crate) fn park(st: &mut State, gen: u64) {
    if gen == st.mcu.exec.gen {
        st.mcu.exec.scheduled = false;
    }
}

/// One batch (the [`Event::CsExec`] of generation `gen`).
pub(crate) fn batch(st: &mut State, gen: u64) -> Result<(), PortError> {
    if gen != st.mcu.exec.gen {
        return Ok(());
    }
    st.mcu.exec.scheduled = false;
    st.mcu.exec.batches += 1;
    for i in 0..values::GROUP_NUM {
        if !st.mcu.exec.groups[i as usize].latched.running {
            continue;
        }
        for j in 0..values::STREAM_NUM {
            run_stream(st, i, j)?;
        }
    }
    let epoch = st.mcu.exec.epoch;
    for i in 0..values::GROUP_NUM {
        let g = &mut st.mcu.exec.groups[i as usize];
        if !g.latched.running {
            continue;
        }
        for s in &mut g.streams {
            s.machine.retire_all();
            if matches!(s.run, Run::Scoreboard(_)) {
                s.run = Run::Ready;
            }
        }
        let sync_update = std::mem::take(&mut g.sync_update);
        let idle_now = g.busy && !g.streams.iter().any(|s| s.has_work(epoch));
        if idle_now {
            g.busy = false;
        }
        if sync_update {
            csg_event(st, i, CsgReq::SYNC_UPDATE.0)?;
        }
        if idle_now {
            csg_event(st, i, CsgReq::IDLE.0)?;
        }
        progress::check(st, i)?;
    }
    kick(st);
    Ok(())
}

fn run_stream(st: &mut State, i: u32, j: u32) -> Result<(), PortError> {
    let epoch = st.mcu.exec.epoch;
    let g = &st.mcu.exec.groups[i as usize];
    let as_nr = g.latched.as_nr as usize;
    let s = &g.streams[j as usize];
    if !s.has_work(epoch) {
        return Ok(());
    }
    let now = st.model_now();
    if s.spin {
        let g = &mut st.mcu.exec.groups[i as usize];
        g.busy = true;
        let s = &mut g.streams[j as usize];
        let pos = s.machine.pos;
        s.watch.ran(now, pos, false);
        return Ok(());
    }
    let (input_va, output_va, mut ring) = (s.input_va, s.output_va, s.ring);
    ring.insert = match rd64(st, input_va) {
        Ok(v) => v,
        Err(_) => return config_fault(st, i, j),
    };
    let mut m = std::mem::take(&mut st.mcu.exec.groups[i as usize].streams[j as usize].machine);
    let runs_before = m.runs;
    let out = m.run(&mut Port { st, as_nr }, &ring, EXEC_BATCH_INSTRS);
    let pos = m.pos;
    // A RUN_* issued is work the GPU did: progress, however long its grid took.
    let ran_work = m.runs != runs_before;
    let epoch = st.mcu.exec.epoch + u64::from(out.sync_updated);
    st.mcu.exec.epoch = epoch;
    let g = &mut st.mcu.exec.groups[i as usize];
    g.busy |= out.executed > 0;
    g.sync_update |= out.sync_updated;
    let s = &mut g.streams[j as usize];
    s.machine = m;
    s.ring = ring;
    let stopped = !matches!(out.stop, Stop::Budget | Stop::Scoreboard(_));
    s.watch
        .ran(now, pos, out.sync_updated || ran_work || stopped);
    s.run = match out.stop {
        Stop::Budget | Stop::Error(_) => Run::Ready,
        Stop::Empty => Run::Empty,
        Stop::Scoreboard(mask) => Run::Scoreboard(mask),
        Stop::Sync(wait) => Run::Sync { wait, epoch },
        Stop::Stalled => Run::Stalled,
    };
    if let Stop::Error(e) = out.stop {
        return report(st, i, j, e);
    }
    if wr64(st, output_va, pos).is_err() {
        return config_fault(st, i, j);
    }
    let active = u32::from(st.mcu.exec.groups[i as usize].streams[j as usize].has_work(epoch));
    if wr(st, output_va + 8, active).is_err() {
        return config_fault(st, i, j);
    }
    Ok(())
}

/// Raises TILER_OOM on CS `j` of CSG `i` as the firmware does when a tiler heap runs out (`Documentation/hardware.md#faults-timeouts-and-heap-oom`): the
/// heap_* outputs are filled from the stream's HEAP_SET context and HEAP_OPERATION counters and the stream waits
/// until the host acknowledges the event and toggles the CS's doorbell bit. Returns whether the stream was running.
pub(crate) fn tiler_oom(st: &mut State, i: u32, j: u32) -> Result<bool, PortError> {
    let Some(s) = st
        .mcu
        .exec
        .groups
        .get(i as usize)
        .and_then(|g| g.streams.get(j as usize))
    else {
        return Ok(false);
    };
    if !s.started || s.halt != Halt::None {
        return Ok(false);
    }
    let (ctx, counts) = (s.machine.heap_ctx, s.machine.heap_counts);
    let (_, cout) = cs_iface(i, j);
    wr(st, cout + cs::HEAP_VT_START, counts[0])?;
    wr(st, cout + cs::HEAP_VT_END, counts[1])?;
    wr(st, cout + cs::HEAP_FRAG_END, counts[2])?;
    wr64(st, cout + cs::HEAP_ADDRESS, ctx)?;
    st.mcu.exec.groups[i as usize].streams[j as usize].halt = Halt::Oom;
    cs_event(st, i, j, CsReq::TILER_OOM.0)?;
    Ok(true)
}
