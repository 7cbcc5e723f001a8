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

use super::alu;
use super::decode::{
    special, AtomOp, CmpTy, Cvt, DecodeError, Dest, FOp, Flow, Instr, IntTy, Op, Src, Unary,
};
use super::float;
use super::program::{Fetched, Program};
use super::{exception, Fault, WARP_SIZE};
use crate::cs::machine::CsMemory;

/// Instructions one warp (so any of its threads) may issue in a RUN before the job faults.
pub const THREAD_STEP_BUDGET: u64 = 1 << 20;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    Barrier,
    Done,
}

#[derive(Clone, Debug)]
struct Thread {
    r: [u32; 64],
    pc: usize,
    state: State,
    /// Index within the workgroup.
    linear: u32,
}

/// Runs workgroups of one RUN.
pub(crate) struct Core<'a> {
    ctx: &'a Context,
    prog: Program,
    /// Instructions executed so far in this RUN.
    pub steps: u64,
}

enum Next {
    /// Continue with the next instruction.
    Step,
    /// The instruction moved the PC.
    Jump(usize),
    /// Stop at a barrier (the PC stays on it).
    Barrier,
}

impl<'a> Core<'a> {
    /// A core running `ctx`'s program at `binary`.
    pub fn new(ctx: &'a Context, binary: u64, mem: &mut dyn CsMemory) -> Self {
        Self {
            ctx,
            prog: Program::open(binary, mem),
            steps: 0,
        }
    }

    /// Puts the decoded program back in the cache.
    pub fn finish(self) {
        self.prog.keep();
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
        let [sx, sy, sz] = self.ctx.local;
        let mut threads = Vec::with_capacity((sx * sy * sz) as usize);
        for z in 0..sz {
            for y in 0..sy {
                for x in 0..sx {
                    threads.push(self.spawn([x, y, z], wg, threads.len() as u32));
                }
            }
        }
        // Instructions each warp has issued (the per-thread budget: no thread runs more than its warp).
        let mut issued = vec![0u64; threads.len().div_ceil(WARP_SIZE as usize)];
        loop {
            for (warp, n) in threads.chunks_mut(WARP_SIZE as usize).zip(&mut issued) {
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
            for t in &mut threads {
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
        loop {
            // The lowest PC of a ready lane, and the lanes there (bit i: lane i runs this instruction).
            let (pc, active) =
                warp.iter()
                    .enumerate()
                    .fold((usize::MAX, 0u32), |(pc, m), (i, t)| {
                        match (t.state == State::Ready, t.pc.cmp(&pc)) {
                            (false, _) | (true, std::cmp::Ordering::Greater) => (pc, m),
                            (true, std::cmp::Ordering::Less) => (t.pc, 1 << i),
                            (true, std::cmp::Ordering::Equal) => (pc, m | 1 << i),
                        }
                    });
            if active == 0 {
                return Ok(());
            }
            let va = self.va(pc);
            let lanes = |i: &usize| active & (1 << i) != 0;
            *issued += 1;
            self.steps += u64::from(active.count_ones());
            if *issued > self.ctx.budgets.0 || self.steps > self.ctx.budgets.1 {
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
                            Next::Barrier => t.state = State::Barrier,
                            Next::Step => t.pc += 1,
                            Next::Jump(to) => t.pc = to,
                        }
                    }
                }
            }
            if instr.flow == Flow::End {
                for (_, t) in warp.iter_mut().enumerate().filter(|(i, _)| lanes(i)) {
                    t.state = State::Done;
                }
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

/// Where an instruction runs: its VA, the workgroup's index in the job, the binary's base.
struct At {
    va: u64,
    wg_linear: u64,
    base: u64,
}

/// One instruction of one thread.
struct Exec<'a, 'b> {
    ctx: &'a Context,
    t: &'b mut Thread,
    /// VA of the instruction.
    va: u64,
    wg_linear: u64,
    base: u64,
}

impl<'a, 'b> Exec<'a, 'b> {
    fn new(ctx: &'a Context, t: &'b mut Thread, at: &At) -> Self {
        Self {
            ctx,
            t,
            va: at.va,
            wg_linear: at.wg_linear,
            base: at.base,
        }
    }

    fn bad(&self, what: &'static str) -> Fault {
        Fault::decode(DecodeError::Invalid(what), self.va)
    }

    fn check_reg(&self, n: u8) -> Result<usize, Fault> {
        if self.ctx.regs == 32 && (16..48).contains(&n) {
            return Err(self.bad("register outside the SPD's allocation"));
        }
        Ok(usize::from(n))
    }

    fn special(&self, page: u8, index: u8) -> u64 {
        let c = self.ctx;
        let linear = u64::from(self.t.linear);
        match (page, index) {
            special::WARP_ID => linear / WARP_SIZE,
            special::LANE_ID => linear % WARP_SIZE,
            special::CORE_ID => 0,
            special::PROGRAM_COUNTER => self.va.wrapping_add(8),
            special::RESOURCE_TABLE_POINTER => c.srt,
            special::THREAD_LOCAL_POINTER if c.tls.1 != 0 => c.tls.0.wrapping_add(linear * c.tls.1),
            special::WORKGROUP_LOCAL_POINTER if c.wls.2 != 0 => {
                c.wls.0.wrapping_add((self.wg_linear % c.wls.2) * c.wls.1)
            }
            // Fragment-only values and absent storage read as zero.
            _ => 0,
        }
    }

    fn src(&self, s: Src) -> Result<u32, Fault> {
        Ok(match s {
            Src::Reg { n, .. } => self.t.r[self.check_reg(n)?],
            Src::Uniform(i) => self.ctx.fau.get(usize::from(i)).copied().unwrap_or(0),
            Src::Imm(v) => v,
            Src::Special { page, index, word } => {
                (self.special(page, index) >> (32 * u32::from(word))) as u32
            }
            Src::None => 0,
        })
    }

    fn src64(&self, s: Src) -> Result<u64, Fault> {
        Ok(match s {
            Src::Reg { n, .. } => {
                if n % 2 != 0 {
                    return Err(self.bad("64-bit source in an odd register"));
                }
                let lo = self.t.r[self.check_reg(n)?];
                let hi = self.t.r[self.check_reg(n + 1)?];
                u64::from(lo) | u64::from(hi) << 32
            }
            Src::Uniform(i) => {
                let i = usize::from(i & !1);
                let w = |k: usize| u64::from(self.ctx.fau.get(k).copied().unwrap_or(0));
                w(i) | w(i + 1) << 32
            }
            Src::Imm(v) => u64::from(v),
            Src::Special { page, index, .. } => self.special(page, index),
            Src::None => 0,
        })
    }

    fn write(&mut self, d: Option<Dest>, v: u32) -> Result<(), Fault> {
        let Some(d) = d else {
            return Err(self.bad("missing destination"));
        };
        let n = self.check_reg(d.reg)?;
        let old = self.t.r[n];
        self.t.r[n] = match d.mask {
            1 => (old & 0xFFFF_0000) | (v & 0xFFFF),
            2 => (old & 0xFFFF) | (v & 0xFFFF_0000),
            _ => v,
        };
        Ok(())
    }

    fn write64(&mut self, d: Option<Dest>, v: u64) -> Result<(), Fault> {
        let Some(d) = d else {
            return Err(self.bad("missing destination"));
        };
        if d.reg % 2 != 0 {
            return Err(self.bad("64-bit destination in an odd register"));
        }
        self.set_staging(d.reg, &[v as u32, (v >> 32) as u32])
    }

    fn set_staging(&mut self, sr: u8, vals: &[u32]) -> Result<(), Fault> {
        for (i, v) in vals.iter().enumerate() {
            let n = sr as usize + i;
            if n >= 64 {
                return Err(self.bad("staging registers past r63"));
            }
            let n = self.check_reg(n as u8)?;
            self.t.r[n] = *v;
        }
        Ok(())
    }

    fn staging(&self, sr: u8, count: usize) -> Result<Vec<u32>, Fault> {
        (0..count)
            .map(|i| {
                let n = sr as usize + i;
                if n >= 64 {
                    return Err(self.bad("staging registers past r63"));
                }
                Ok(self.t.r[self.check_reg(n as u8)?])
            })
            .collect()
    }

    fn instr(mut self, i: &Instr, mem: &mut dyn CsMemory) -> Result<Next, Fault> {
        let [s0, s1, s2, s3] = i.src;
        let ftz = self.ctx.ftz;
        match i.op {
            Op::Nop => {}
            Op::Unary(u) => {
                let v = self.src(s0)?;
                let r = match u {
                    Unary::Mov => v,
                    Unary::Clz => v.leading_zeros(),
                    Unary::Iabs => (v as i32).wrapping_abs() as u32,
                    Unary::Popcount => v.count_ones(),
                    Unary::Bitrev => v.reverse_bits(),
                    Unary::Not => !v,
                };
                self.write(i.dest, r)?;
            }
            Op::IAddImm { lane_bits, imm } => {
                let r = alu::add_lanes(self.src(s0)?, imm, u32::from(lane_bits));
                self.write(i.dest, r)?;
            }
            Op::FAddImm { imm } => {
                let a = float::operand(self.src(s0)?, Default::default(), ftz);
                let b = float::operand(imm, Default::default(), ftz);
                self.write(
                    i.dest,
                    float::result(a + b, super::decode::Clamp::None, ftz),
                )?;
            }
            Op::Int {
                op,
                ty,
                widen,
                saturate,
            } => match ty {
                IntTy::U32 | IntTy::S32 => {
                    let signed = ty == IntTy::S32;
                    let a = alu::widen(self.src(s0)?, widen[0], signed);
                    let b = alu::widen(self.src(s1)?, widen[1], signed);
                    self.write(i.dest, alu::int32(op, ty, a, b, saturate))?;
                }
                IntTy::U64 | IntTy::S64 => {
                    let r = alu::int64(op, ty, self.src64(s0)?, self.src64(s1)?, saturate);
                    self.write64(i.dest, r)?;
                }
            },
            Op::Shaddx { signed, shift } => {
                let b = self.src(s1)?;
                let b = if signed {
                    b as i32 as i64 as u64
                } else {
                    u64::from(b)
                };
                let r = self.src64(s0)?.wrapping_add(b << shift);
                self.write64(i.dest, r)?;
            }
            Op::Shift {
                left,
                logic,
                wide,
                signed,
                not_b,
                not_result,
                widen,
                lane,
            } => {
                let amount = (self.src(s1)? >> (8 * u32::from(lane))) & 0xFF;
                if wide {
                    let (a, b) = (self.src64(s0)?, self.src64(s2)?);
                    let r = alu::shift(a, amount, b, 64, left, signed, logic, not_b, not_result);
                    self.write64(i.dest, r)?;
                } else {
                    let a = u64::from(alu::widen(self.src(s0)?, widen, signed));
                    let b = u64::from(self.src(s2)?);
                    let r = alu::shift(a, amount, b, 32, left, signed, logic, not_b, not_result);
                    self.write(i.dest, r as u32)?;
                }
            }
            Op::Mux(mode) => {
                let r = alu::mux(mode, self.src(s0)?, self.src(s1)?, self.src(s2)?);
                self.write(i.dest, r)?;
            }
            Op::Csel { cmp, ty } => {
                let (a, b) = (self.src(s0)?, self.src(s1)?);
                let take = match ty {
                    CmpTy::U32 => alu::icmp(cmp, a, b, false),
                    CmpTy::S32 => alu::icmp(cmp, a, b, true),
                    CmpTy::F32 => alu::fcmp(
                        cmp,
                        float::operand(a, Default::default(), ftz),
                        float::operand(b, Default::default(), ftz),
                    ),
                };
                let r = if take { self.src(s2)? } else { self.src(s3)? };
                self.write(i.dest, r)?;
            }
            Op::Icmp {
                cmp,
                signed,
                and,
                result,
                widen,
            } => {
                let a = alu::widen(self.src(s0)?, widen[0], signed);
                let b = alu::widen(self.src(s1)?, widen[1], signed);
                let c = self.src(s2)? != 0;
                let v = alu::icmp(cmp, a, b, signed);
                let v = if and { v && c } else { v || c };
                self.write(i.dest, alu::boolean(v, result))?;
            }
            Op::Fcmp {
                cmp,
                and,
                result,
                mods,
            } => {
                let a = float::operand(self.src(s0)?, mods[0], ftz);
                let b = float::operand(self.src(s1)?, mods[1], ftz);
                let c = self.src(s2)? != 0;
                let v = alu::fcmp(cmp, a, b);
                let v = if and { v && c } else { v || c };
                self.write(i.dest, alu::boolean(v, result))?;
            }
            Op::FBin { op, mods, clamp } => {
                let a = float::operand(self.src(s0)?, mods[0], ftz);
                let b = float::operand(self.src(s1)?, mods[1], ftz);
                let r = match op {
                    FOp::Add => a + b,
                    FOp::Min => float::min(a, b),
                    FOp::Max => float::max(a, b),
                };
                self.write(i.dest, float::result(r, clamp, ftz))?;
            }
            Op::Fma { mods, clamp } => {
                let a = float::operand(self.src(s0)?, mods[0], ftz);
                let b = float::operand(self.src(s1)?, mods[1], ftz);
                let c = float::operand(self.src(s2)?, mods[2], ftz);
                self.write(i.dest, float::result(a.mul_add(b, c), clamp, ftz))?;
            }
            Op::Recip { sqrt, fmod } => {
                let x = float::operand(self.src(s0)?, fmod, ftz);
                let r = if sqrt { 1.0 / x.sqrt() } else { 1.0 / x };
                self.write(i.dest, float::result(r, super::decode::Clamp::None, ftz))?;
            }
            Op::Cvt {
                kind,
                round,
                fmod,
                lane,
            } => {
                let v = self.src(s0)?;
                let half = (v >> (16 * u32::from(lane))) as u16;
                let byte = (v >> (8 * u32::from(lane))) as u8;
                let none = super::decode::Clamp::None;
                let r = match kind {
                    Cvt::S32ToF32 => float::f64_to_f32(f64::from(v as i32), round).to_bits(),
                    Cvt::U32ToF32 => float::f64_to_f32(f64::from(v), round).to_bits(),
                    Cvt::F32ToS32 => float::to_s32(float::operand(v, fmod, ftz), round),
                    Cvt::F32ToU32 => float::to_u32(float::operand(v, fmod, ftz), round),
                    Cvt::S16ToS32 => half as i16 as i32 as u32,
                    Cvt::U16ToU32 => u32::from(half),
                    Cvt::S16ToF32 => f32::from(half as i16).to_bits(),
                    Cvt::U16ToF32 => f32::from(half).to_bits(),
                    Cvt::S8ToS32 => byte as i8 as i32 as u32,
                    Cvt::U8ToU32 => u32::from(byte),
                    Cvt::S8ToF32 => f32::from(byte as i8).to_bits(),
                    Cvt::U8ToF32 => f32::from(byte).to_bits(),
                    Cvt::F16ToF32 => {
                        let m = super::decode::FMod {
                            half: Some(lane),
                            ..fmod
                        };
                        float::result(float::operand(v, m, ftz), none, ftz)
                    }
                    Cvt::Fround => {
                        let x = float::operand(v, fmod, ftz);
                        float::result(float::round_integral(x, round), none, ftz)
                    }
                };
                self.write(i.dest, r)?;
            }
            Op::Frexp { exponent, half } => {
                let m = super::decode::FMod {
                    half,
                    ..Default::default()
                };
                let (mant, exp) = float::frexp(float::operand(self.src(s0)?, m, ftz));
                let r = if exponent {
                    exp as u32
                } else {
                    float::result(mant, super::decode::Clamp::None, ftz)
                };
                self.write(i.dest, r)?;
            }
            Op::Ldexp { fmod, round } => {
                let x = float::operand(self.src(s0)?, fmod, ftz);
                let r = float::ldexp(x, self.src(s1)? as i32, round);
                self.write(i.dest, float::result(r, super::decode::Clamp::None, ftz))?;
            }
            Op::V2f32ToV2f16 { mods, round, clamp } => {
                let half = |v: u32, m| -> u32 {
                    let x = f32::from_bits(float::result(float::operand(v, m, ftz), clamp, false));
                    u32::from(float::f32_to_f16(x, round))
                };
                let r = half(self.src(s0)?, mods[0]) | half(self.src(s1)?, mods[1]) << 16;
                self.write(i.dest, r)?;
            }
            Op::MkvecV2i8 { lanes } => {
                let a = (self.src(s0)? >> (8 * u32::from(lanes[0]))) & 0xFF;
                let b = (self.src(s1)? >> (8 * u32::from(lanes[1]))) & 0xFF;
                let c = self.src(s2)? & 0xFFFF;
                self.write(i.dest, a | b << 8 | c << 16)?;
            }
            Op::MkvecV2i16 { halves } => {
                let lo = (self.src(s0)? >> (16 * u32::from(halves[0]))) & 0xFFFF;
                let hi = (self.src(s1)? >> (16 * u32::from(halves[1]))) & 0xFFFF;
                self.write(i.dest, lo | hi << 16)?;
            }
            Op::BranchZ { half, eq, offset } => {
                if self.branch_taken(s0, half, eq)? {
                    let pc = self.t.pc as i64 + 1 + i64::from(offset);
                    if pc < 0 {
                        return Err(Fault::exception(exception::INSTR_INVALID_PC, self.va));
                    }
                    return Ok(Next::Jump(pc as usize));
                }
            }
            Op::BranchZI { half, eq, absolute } => {
                if self.branch_taken(s0, half, eq)? {
                    let target = self.src(s1)?;
                    let va = if absolute {
                        (self.va & !0xFFFF_FFFF) | u64::from(target)
                    } else {
                        self.va
                            .wrapping_add(8)
                            .wrapping_add(target as i32 as i64 as u64)
                    };
                    let off = va.wrapping_sub(self.base);
                    if va < self.base || off % 8 != 0 {
                        return Err(Fault::exception(exception::INSTR_INVALID_PC, self.va));
                    }
                    return Ok(Next::Jump((off / 8) as usize));
                }
            }
            Op::Barrier => return Ok(Next::Barrier),
            // The warp runs these for all its active lanes at once (`Core::warp_wide`).
            Op::Wmask { .. } | Op::Clper { .. } => return Err(self.bad("warp-wide operation")),
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
                let data: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
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

    fn branch_taken(&self, s: Src, half: Option<u8>, eq: bool) -> Result<bool, Fault> {
        let v = self.src(s)?;
        let v = match half {
            None => v,
            Some(h) => (v >> (16 * u32::from(h))) & 0xFFFF,
        };
        Ok((v == 0) == eq)
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
        let operands = match data {
            Some(sr) => self.staging(sr, if compare { 2 * words } else { words })?,
            None => Vec::new(),
        };
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
