// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! One instruction of one thread: operand access (registers, FAU words, constants, special values), destination
//! writes, and the ALU and control-flow semantics (`Documentation/hardware.md#shader-core`). Memory instructions are in
//! `memory`.

use super::super::alu;
use super::super::decode::{
    special, Clamp, CmpTy, Cvt, DecodeError, Dest, FMod, FOp, Instr, IntTy, Lanes, Op, Src, Unary,
};
use super::super::float;
use super::super::lanes;
use super::super::{exception, Fault, WARP_SIZE};
use super::{Context, Next, Thread};
use crate::cs::machine::CsMemory;

/// Where an instruction runs: its VA, the workgroup's index in the job, the binary's base.
pub(super) struct At {
    pub(super) va: u64,
    pub(super) wg_linear: u64,
    pub(super) base: u64,
}

/// One instruction of one thread.
pub(super) struct Exec<'a, 'b> {
    pub(super) ctx: &'a Context,
    pub(super) t: &'b mut Thread,
    /// VA of the instruction.
    pub(super) va: u64,
    wg_linear: u64,
    base: u64,
}

impl<'a, 'b> Exec<'a, 'b> {
    pub(super) fn new(ctx: &'a Context, t: &'b mut Thread, at: &At) -> Self {
        Self {
            ctx,
            t,
            va: at.va,
            wg_linear: at.wg_linear,
            base: at.base,
        }
    }

    pub(super) fn bad(&self, what: &'static str) -> Fault {
        Fault::decode(DecodeError::Invalid(what), self.va)
    }

    pub(super) fn check_reg(&self, n: u8) -> Result<usize, Fault> {
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

    pub(super) fn src(&self, s: Src) -> Result<u32, Fault> {
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

    pub(super) fn src64(&self, s: Src) -> Result<u64, Fault> {
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

    pub(super) fn write(&mut self, d: Option<Dest>, v: u32) -> Result<(), Fault> {
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

    pub(super) fn write64(&mut self, d: Option<Dest>, v: u64) -> Result<(), Fault> {
        let Some(d) = d else {
            return Err(self.bad("missing destination"));
        };
        if d.reg % 2 != 0 {
            return Err(self.bad("64-bit destination in an odd register"));
        }
        self.set_staging(d.reg, &[v as u32, (v >> 32) as u32])
    }

    pub(super) fn set_staging(&mut self, sr: u8, vals: &[u32]) -> Result<(), Fault> {
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

    /// Staging registers `sr..sr + count` (at most four: a 16-byte access or a wide compare-and-swap), in a fixed
    /// buffer so a memory instruction allocates nothing; words past `count` are zero.
    pub(super) fn staging(&self, sr: u8, count: usize) -> Result<[u32; 4], Fault> {
        if count > 4 {
            return Err(self.bad("more than four staging registers"));
        }
        let mut out = [0u32; 4];
        for (i, w) in out.iter_mut().enumerate().take(count) {
            let n = sr as usize + i;
            if n >= 64 {
                return Err(self.bad("staging registers past r63"));
            }
            *w = self.t.r[self.check_reg(n as u8)?];
        }
        Ok(out)
    }

    pub(super) fn instr(mut self, i: &Instr, mem: &mut dyn CsMemory) -> Result<Next, Fault> {
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
                self.write(i.dest, float::result(a + b, Clamp::None, ftz))?;
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
                self.write(i.dest, float::result(r, Clamp::None, ftz))?;
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
                let none = Clamp::None;
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
                    Cvt::F16ToS32 | Cvt::F16ToU32 => {
                        let m = FMod {
                            half: Some(lane),
                            ..fmod
                        };
                        let x = float::operand(v, m, ftz);
                        if kind == Cvt::F16ToS32 {
                            float::to_s32(x, round)
                        } else {
                            float::to_u32(x, round)
                        }
                    }
                    Cvt::F16ToF32 => {
                        let m = FMod {
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
                let m = FMod {
                    half,
                    ..Default::default()
                };
                let (mant, exp) = float::frexp(float::operand(self.src(s0)?, m, ftz));
                let r = if exponent {
                    exp as u32
                } else {
                    float::result(mant, Clamp::None, ftz)
                };
                self.write(i.dest, r)?;
            }
            Op::Flush {
                fmod,
                flush_nan,
                quiet_nan,
                ftz: f,
                flush_inf,
            } => {
                // The instruction's own modifiers, not the SPD's flush-to-zero mode, decide.
                let x = float::operand(self.src(s0)?, fmod, false);
                let r = float::flush_special(x, flush_nan, quiet_nan, f, flush_inf);
                self.write(i.dest, r.to_bits())?;
            }
            Op::Ldexp { fmod, round } => {
                let x = float::operand(self.src(s0)?, fmod, ftz);
                let r = float::ldexp(x, self.src(s1)? as i32, round);
                self.write(i.dest, float::result(r, Clamp::None, ftz))?;
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
            Op::IntV {
                op,
                lanes,
                signed,
                saturate,
                swz,
            } => {
                let a = lanes::split(self.src(s0)?, lanes, swz[0], signed);
                let b = lanes::split(self.src(s1)?, lanes, swz[1], signed);
                let r =
                    std::array::from_fn(|k| lanes::int(op, lanes, a[k], b[k], signed, saturate));
                self.write(i.dest, lanes::join(r, lanes))?;
            }
            Op::ShiftV {
                lanes,
                left,
                logic,
                signed,
                not_b,
                not_result,
                swz,
                lane,
            } => {
                let a = lanes::split(self.src(s0)?, lanes, swz, signed);
                let amount = (self.src(s1)? >> (8 * u32::from(lane))) & 0xFF;
                let b = lanes::plain(self.src(s2)?, lanes);
                let r = std::array::from_fn(|k| {
                    lanes::shift(
                        lanes, a[k], amount, b[k], left, signed, logic, not_b, not_result,
                    )
                });
                self.write(i.dest, lanes::join(r, lanes))?;
            }
            Op::MuxV { lanes, mode, swz } => {
                let a = lanes::split(self.src(s0)?, lanes, swz[0], false);
                let b = lanes::split(self.src(s1)?, lanes, swz[1], false);
                let m = lanes::split(self.src(s2)?, lanes, swz[2], false);
                let r = std::array::from_fn(|k| lanes::mux(lanes, mode, a[k], b[k], m[k]));
                self.write(i.dest, lanes::join(r, lanes))?;
            }
            Op::CselV { cmp, signed } => {
                let l = Lanes::V2;
                let (a, b) = (
                    lanes::plain(self.src(s0)?, l),
                    lanes::plain(self.src(s1)?, l),
                );
                let (t, f) = (
                    lanes::plain(self.src(s2)?, l),
                    lanes::plain(self.src(s3)?, l),
                );
                let r = std::array::from_fn(|k| {
                    if lanes::cmp(l, cmp, a[k], b[k], signed) {
                        t[k]
                    } else {
                        f[k]
                    }
                });
                self.write(i.dest, lanes::join(r, l))?;
            }
            Op::IcmpV {
                lanes,
                cmp,
                signed,
                and,
                result,
                swz,
            } => {
                let a = lanes::split(self.src(s0)?, lanes, swz[0], signed);
                let b = lanes::split(self.src(s1)?, lanes, swz[1], signed);
                let c = lanes::plain(self.src(s2)?, lanes);
                let r = std::array::from_fn(|k| {
                    let v = lanes::cmp(lanes, cmp, a[k], b[k], signed);
                    let v = if and { v && c[k] != 0 } else { v || c[k] != 0 };
                    lanes::boolean(lanes, v, result)
                });
                self.write(i.dest, lanes::join(r, lanes))?;
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
            Op::Load { .. }
            | Op::Store { .. }
            | Op::Atom { .. }
            | Op::LeaBufImm { .. }
            | Op::LeaBuffer { .. }
            | Op::LdBuffer { .. } => return self.memory(i, mem),
            Op::F16Bin { .. }
            | Op::F16Fma { .. }
            | Op::F16Cmp { .. }
            | Op::CselF16 { .. }
            | Op::PairCvt { .. } => return self.half(i),
            Op::LaneUnary { abs, lanes, swz } => {
                let a = lanes::split(self.src(s0)?, lanes, swz, abs);
                let bits = lanes.bits();
                let r = std::array::from_fn(|k| {
                    if abs {
                        let x = ((a[k] << (32 - bits)) as i32) >> (32 - bits);
                        x.unsigned_abs()
                    } else {
                        (a[k] << (32 - bits)).leading_zeros().min(bits)
                    }
                });
                self.write(i.dest, lanes::join(r, lanes))?;
            }
        }
        Ok(Next::Step)
    }

    fn branch_taken(&self, s: Src, half: Option<u8>, eq: bool) -> Result<bool, Fault> {
        let v = self.src(s)?;
        let v = match half {
            None => v,
            Some(h) => (v >> (16 * u32::from(h))) & 0xFFFF,
        };
        Ok((v == 0) == eq)
    }
}
