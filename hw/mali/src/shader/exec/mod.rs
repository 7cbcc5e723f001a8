// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Running compute threads (`Documentation/hardware.md#shader-core`): per-thread register files, the FAU, the special
//! FAU values, global memory through the group's AS, barriers within a workgroup, and the step budgets.
//!
//! A workgroup runs warp by warp (16 threads each). In a warp the threads at the lowest PC run the instruction there
//! together, lane by lane, while the others wait, so divergent paths reconverge where they meet again and warp-wide
//! instructions (`WMASK`, `CLPER`) see exactly the lanes that reached them. A warp runs until each thread has ended
//! or reached a `BARRIER`; when every thread of the workgroup waits at a barrier they are all released, and when every
//! thread has ended the workgroup is done. Threads that disagree (some ended, others wait) are an
//! INSTR_BARRIER_FAULT. Memory is sequentially consistent, so this order is one the hardware could have produced for
//! any shader whose result does not depend on unsynchronised races.
//!
//! `thread` holds one instruction of one thread (operands, ALU, control flow), `memory` the loads, stores, atomics and
//! buffer accesses.

mod half;
mod memory;
mod thread;

use super::decode::{Flow, Instr, Op};
use super::program::{Fetched, Program};
use super::{exception, Fault, WARP_SIZE};
use crate::cs::machine::CsMemory;
use thread::{At, Exec};

/// Instructions one warp (so any of its threads) may issue in a RUN before the job faults.
pub const WARP_STEP_BUDGET: u64 = 1 << 20;
/// Instructions all threads of a RUN may execute before the job faults.
pub const JOB_STEP_BUDGET: u64 = 1 << 28;

/// Everything the descriptors of a RUN give the threads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Context {
    /// Flush subnormal float inputs and results to zero (the SPD's flush-to-zero mode is not "preserve").
    pub ftz: bool,
    /// Work registers per thread: 64, or 32 (r0..r15 and r48..r63).
    pub regs: u8,
    /// The SPD's preload mask: bit `n` preloads r(48 + n).
    pub preload: u16,
    /// The FAU words (push constants and the shader's constants).
    pub fau: Vec<u32>,
    /// The shader resource table.
    pub srt: u64,
    /// Its entries (the low bits of the SRT pointer).
    pub srt_count: u32,
    /// Thread-local storage: base and bytes per thread (0: none).
    pub tls: (u64, u64),
    /// Workgroup-local storage: base, bytes per instance, instances (0: none).
    pub wls: (u64, u64, u64),
    /// Workgroup size.
    pub local: [u32; 3],
    /// Job offset in invocations (added to global IDs).
    pub offset: [u32; 3],
    /// Per-warp and per-job step budgets (instructions issued by a warp; instructions run by all threads).
    pub budgets: (u64, u64),
}

/// Where a thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Runs when its warp reaches its PC.
    Ready,
    /// Waits at a BARRIER (its PC stays on it).
    Barrier,
    /// Ended.
    Done,
}

/// One thread: its register file, PC (instruction index) and state.
#[derive(Clone, Debug)]
struct Thread {
    /// r0..r63.
    r: [u32; 64],
    /// Index of the next instruction.
    pc: usize,
    state: State,
    /// Index within the workgroup.
    linear: u32,
}

/// Runs workgroups of one RUN.
pub(crate) struct Core<'a> {
    ctx: &'a Context,
    prog: Program,
    /// Instructions executed so far in this RUN (by this core).
    pub steps: u64,
    /// Instructions other workers had executed in this RUN when this workgroup started (they count against the job
    /// budget too).
    pub others: u64,
    /// The threads of the workgroup running (kept to reuse the allocation).
    threads: Vec<Thread>,
    /// Instructions each warp of it has issued (likewise).
    issued: Vec<u64>,
}

/// How an instruction moves its thread.
enum Next {
    /// Continue with the next instruction.
    Step,
    /// The instruction moved the PC.
    Jump(usize),
    /// Stop at a barrier (the PC stays on it).
    Barrier,
}

impl<'a> Core<'a> {
    /// A core running `ctx` with an already opened program (a worker's copy).
    pub fn from_program(ctx: &'a Context, prog: Program) -> Self {
        Self {
            ctx,
            prog,
            steps: 0,
            others: 0,
            threads: Vec::new(),
            issued: Vec::new(),
        }
    }

    /// The program, as far as this core fetched it.
    pub fn into_program(self) -> Program {
        self.prog
    }

    fn va(&self, pc: usize) -> u64 {
        self.prog.base().wrapping_add(8 * pc as u64)
    }

    /// Runs workgroup `wg` (its index `wg_linear` in the job picks its workgroup-local storage instance).
    pub fn run_workgroup(
        &mut self,
        wg: [u32; 3],
        wg_linear: u64,
        mem: &mut dyn CsMemory,
    ) -> Result<(), Fault> {
        // The thread and budget vectors are reused from workgroup to workgroup.
        let mut threads = std::mem::take(&mut self.threads);
        let mut issued = std::mem::take(&mut self.issued);
        let r = self.run_threads(&mut threads, &mut issued, wg, wg_linear, mem);
        self.threads = threads;
        self.issued = issued;
        r
    }

    fn run_threads(
        &mut self,
        threads: &mut Vec<Thread>,
        issued: &mut Vec<u64>,
        wg: [u32; 3],
        wg_linear: u64,
        mem: &mut dyn CsMemory,
    ) -> Result<(), Fault> {
        let [sx, sy, sz] = self.ctx.local;
        threads.clear();
        for z in 0..sz {
            for y in 0..sy {
                for x in 0..sx {
                    threads.push(self.spawn([x, y, z], wg, threads.len() as u32));
                }
            }
        }
        // Instructions each warp has issued (the per-thread budget: no thread runs more than its warp).
        issued.clear();
        issued.resize(threads.len().div_ceil(WARP_SIZE as usize), 0);
        loop {
            for (warp, n) in threads
                .chunks_mut(WARP_SIZE as usize)
                .zip(issued.iter_mut())
            {
                self.run_warp(warp, n, wg_linear, mem)?;
            }
            let waiting = threads.iter().filter(|t| t.state == State::Barrier).count();
            if waiting == 0 {
                return Ok(());
            }
            if waiting != threads.len() {
                let t = threads.iter().find(|t| t.state == State::Barrier);
                let pc = t.map_or(0, |t| t.pc);
                return Err(Fault::exception(
                    exception::INSTR_BARRIER_FAULT,
                    self.va(pc),
                ));
            }
            for t in threads.iter_mut() {
                t.state = State::Ready;
                t.pc += 1;
            }
        }
    }

    fn spawn(&self, l: [u32; 3], wg: [u32; 3], linear: u32) -> Thread {
        let mut r = [0u32; 64];
        let c = self.ctx;
        let global = |i: usize| {
            c.offset[i]
                .wrapping_add(wg[i].wrapping_mul(c.local[i]))
                .wrapping_add(l[i])
        };
        let values = [
            (55, l[0] | l[1] << 16),
            (56, l[2]),
            (57, wg[0]),
            (58, wg[1]),
            (59, wg[2]),
            (60, global(0)),
            (61, global(1)),
            (62, global(2)),
        ];
        for (reg, v) in values {
            if c.preload & (1 << (reg - 48)) != 0 {
                r[reg] = v;
            }
        }
        Thread {
            r,
            pc: 0,
            state: State::Ready,
            linear,
        }
    }

    /// Runs a warp until each of its threads has ended or waits at a barrier. The threads at the lowest PC run the
    /// instruction there together (they are the active lanes, in lane order); the others wait, so divergent paths
    /// reconverge where they meet again, as a SIMT warp does.
    fn run_warp(
        &mut self,
        warp: &mut [Thread],
        issued: &mut u64,
        wg_linear: u64,
        mem: &mut dyn CsMemory,
    ) -> Result<(), Fault> {
        // The lanes that ran the last instruction, when they are all the ready lanes and all went on to the next
        // instruction: they run it together again without looking at the others (the warp is converged).
        let mut converged: Option<(usize, u32)> = None;
        loop {
            // The lowest PC of a ready lane, and the lanes there (bit i: lane i runs this instruction); `ready` holds
            // every ready lane.
            let (pc, active, ready) =
                match converged.take() {
                    Some((pc, m)) => (pc, m, m),
                    None => warp.iter().enumerate().fold(
                        (usize::MAX, 0u32, 0u32),
                        |(pc, m, r), (i, t)| match (t.state == State::Ready, t.pc.cmp(&pc)) {
                            (false, _) => (pc, m, r),
                            (true, std::cmp::Ordering::Greater) => (pc, m, r | 1 << i),
                            (true, std::cmp::Ordering::Less) => (t.pc, 1 << i, r | 1 << i),
                            (true, std::cmp::Ordering::Equal) => (pc, m | 1 << i, r | 1 << i),
                        },
                    ),
                };
            if active == 0 {
                return Ok(());
            }
            let mut stepped = true;
            let va = self.va(pc);
            let lanes = |i: &usize| active & (1 << i) != 0;
            *issued += 1;
            self.steps += u64::from(active.count_ones());
            if *issued > self.ctx.budgets.0 || self.steps + self.others > self.ctx.budgets.1 {
                return Err(Fault::budget(va));
            }
            let instr = match self.prog.at(pc, mem) {
                Fetched::Instr(i) => *i,
                Fetched::Bad(e) => return Err(Fault::decode(e, va)),
                Fetched::OutOfRange => {
                    return Err(Fault::exception(exception::INSTR_INVALID_PC, va))
                }
                Fetched::Mem(e) => return Err(Fault::Mem { err: e, pc: va }),
            };
            let at = At {
                va,
                wg_linear,
                base: self.prog.base(),
            };
            match instr.op {
                Op::Wmask { .. } | Op::Clper { .. } => {
                    let results = self.warp_wide(&instr, warp, active, &at)?;
                    for (i, t) in warp.iter_mut().enumerate().filter(|(i, _)| lanes(i)) {
                        Exec::new(self.ctx, t, &at).write(instr.dest, results[i])?;
                        t.pc += 1;
                    }
                }
                _ => {
                    for (_, t) in warp.iter_mut().enumerate().filter(|(i, _)| lanes(i)) {
                        match Exec::new(self.ctx, t, &at).instr(&instr, mem)? {
                            Next::Barrier => {
                                t.state = State::Barrier;
                                stepped = false;
                            }
                            Next::Step => t.pc += 1,
                            Next::Jump(to) => {
                                t.pc = to;
                                stepped = false;
                            }
                        }
                    }
                }
            }
            if instr.flow == Flow::End {
                for (_, t) in warp.iter_mut().enumerate().filter(|(i, _)| lanes(i)) {
                    t.state = State::Done;
                }
            } else if stepped && active == ready {
                converged = Some((pc + 1, active));
            }
        }
    }

    /// `WMASK` and `CLPER` for the active lanes of `warp` (other lanes get 0 and are not written). Lanes form
    /// clusters of the instruction's subgroup size; a lane index or mask bit counts from the start of its cluster.
    fn warp_wide(
        &self,
        instr: &Instr,
        warp: &mut [Thread],
        active: u32,
        at: &At,
    ) -> Result<[u32; WARP_SIZE as usize], Fault> {
        let n = warp.len();
        let mut a = [None; WARP_SIZE as usize];
        let mut b = [0u32; WARP_SIZE as usize];
        let lanes = |i: &usize| active & (1 << i) != 0;
        for (i, t) in warp.iter_mut().enumerate().filter(|(i, _)| lanes(i)) {
            let e = Exec::new(self.ctx, t, at);
            a[i] = Some(e.src(instr.src[0])?);
            b[i] = e.src(instr.src[1])?;
        }
        let cluster = |c: u8, i: usize| (i & !(usize::from(c) - 1), usize::from(c));
        let mut out = [0u32; WARP_SIZE as usize];
        for i in (0..n).filter(lanes) {
            out[i] = match instr.op {
                Op::Wmask { subgroup } => {
                    let (base, c) = cluster(subgroup, i);
                    (0..c).fold(0, |m, j| match a.get(base + j) {
                        Some(Some(v)) if *v != 0 => m | 1 << j,
                        _ => m,
                    })
                }
                Op::Clper {
                    subgroup,
                    xor,
                    inactive,
                    lane,
                } => {
                    let (base, c) = cluster(subgroup, i);
                    let sel = ((b[i] >> (8 * u32::from(lane))) & 0xFF) as usize;
                    let j = if xor { (i - base) ^ sel } else { sel } & (c - 1);
                    a.get(base + j).copied().flatten().unwrap_or(inactive)
                }
                _ => 0,
            };
        }
        Ok(out)
    }
}
