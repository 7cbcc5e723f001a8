// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The f16 pair instructions of a thread (`FADD`/`FMIN`/`FMAX`/`FMA`/`FCMP`/`CSEL` `.v2f16`,
//! `Documentation/hardware.md#shader-core`): each lane is widened exactly, computed in f64 and rounded once to f16
//! (to nearest even); the SPD's flush-to-zero mode flushes f16 subnormal inputs and results.

use super::super::decode::{Clamp, FMod, FOp, Instr, Op, PairCvt};
use super::super::{alu, float, lanes, Fault};
use super::thread::Exec;
use super::Next;
use crate::shader::decode::{Lanes, Round};

/// f16 bits as f64, modifiers applied, flushed when `ftz`.
fn value(h: u32, m: FMod, ftz: bool) -> f64 {
    let mut x = f64::from(float::f16_to_f32(h as u16));
    if ftz && x != 0.0 && x.abs() < 2f64.powi(-14) {
        x = 0.0f64.copysign(x);
    }
    if m.abs {
        x = x.abs();
    }
    if m.neg {
        x = -x;
    }
    x
}

/// A lane's result: flushed when `ftz`, clamped, rounded to f16.
fn lane_result(x: f64, clamp: Clamp, ftz: bool) -> u32 {
    let h = float::f64_to_f16(x, Round::Rte);
    let h = if ftz && h & 0x7C00 == 0 {
        h & 0x8000
    } else {
        h
    };
    let c = |lo: f32, hi: f32| {
        let v = float::f16_to_f32(h);
        u32::from(float::f64_to_f16(
            f64::from(float::min(float::max(v, lo), hi)),
            Round::Rte,
        ))
    };
    match clamp {
        Clamp::None => u32::from(h),
        Clamp::ZeroInf => c(0.0, f32::INFINITY),
        Clamp::MinusOneOne => c(-1.0, 1.0),
        Clamp::ZeroOne => c(0.0, 1.0),
    }
}

impl Exec<'_, '_> {
    /// The f16 pair instructions.
    pub(super) fn half(&mut self, i: &Instr) -> Result<Next, Fault> {
        let [s0, s1, s2, s3] = i.src;
        let ftz = self.ctx.ftz;
        let l = Lanes::V2;
        let r: [u32; 4] = match i.op {
            Op::F16Bin {
                op,
                mods,
                swz,
                clamp,
            } => {
                let a = lanes::split(self.src(s0)?, l, swz[0], false);
                let b = lanes::split(self.src(s1)?, l, swz[1], false);
                std::array::from_fn(|k| {
                    let (x, y) = (value(a[k], mods[0], ftz), value(b[k], mods[1], ftz));
                    let v = match op {
                        FOp::Add => x + y,
                        // Exact in f32: the min/max rules (NaN, signed zeros) are the f32 ones.
                        FOp::Min => f64::from(float::min(x as f32, y as f32)),
                        FOp::Max => f64::from(float::max(x as f32, y as f32)),
                    };
                    lane_result(v, clamp, ftz)
                })
            }
            Op::F16Fma { mods, swz, clamp } => {
                let a = lanes::split(self.src(s0)?, l, swz[0], false);
                let b = lanes::split(self.src(s1)?, l, swz[1], false);
                let c = lanes::split(self.src(s2)?, l, swz[2], false);
                std::array::from_fn(|k| {
                    let x = value(a[k], mods[0], ftz);
                    let y = value(b[k], mods[1], ftz);
                    let z = value(c[k], mods[2], ftz);
                    lane_result(x.mul_add(y, z), clamp, ftz)
                })
            }
            Op::F16Cmp {
                cmp,
                and,
                result,
                mods,
                swz,
            } => {
                let a = lanes::split(self.src(s0)?, l, swz[0], false);
                let b = lanes::split(self.src(s1)?, l, swz[1], false);
                let c = lanes::plain(self.src(s2)?, l);
                std::array::from_fn(|k| {
                    let x = value(a[k], mods[0], ftz) as f32;
                    let y = value(b[k], mods[1], ftz) as f32;
                    let v = alu::fcmp(cmp, x, y);
                    let v = if and { v && c[k] != 0 } else { v || c[k] != 0 };
                    lanes::boolean(l, v, result)
                })
            }
            Op::CselF16 { cmp } => {
                let (a, b) = (
                    lanes::plain(self.src(s0)?, l),
                    lanes::plain(self.src(s1)?, l),
                );
                let (t, f) = (
                    lanes::plain(self.src(s2)?, l),
                    lanes::plain(self.src(s3)?, l),
                );
                std::array::from_fn(|k| {
                    let x = value(a[k], FMod::default(), ftz) as f32;
                    let y = value(b[k], FMod::default(), ftz) as f32;
                    if alu::fcmp(cmp, x, y) {
                        t[k]
                    } else {
                        f[k]
                    }
                })
            }
            Op::PairCvt {
                kind,
                round,
                fmod,
                swz,
            } => {
                let signed = kind == PairCvt::S16ToF16;
                let a = lanes::split(self.src(s0)?, l, swz, signed);
                std::array::from_fn(|k| match kind {
                    PairCvt::S16ToF16 => {
                        u32::from(float::f64_to_f16(f64::from(a[k] as u16 as i16), round))
                    }
                    PairCvt::U16ToF16 => u32::from(float::f64_to_f16(f64::from(a[k]), round)),
                    PairCvt::F16ToS16 | PairCvt::F16ToU16 => {
                        let x = float::round_integral(value(a[k], fmod, ftz) as f32, round);
                        let (lo, hi) = if kind == PairCvt::F16ToS16 {
                            (-32768.0, 32767.0)
                        } else {
                            (0.0, 65535.0)
                        };
                        if x.is_nan() {
                            0
                        } else {
                            x.clamp(lo, hi) as i32 as u32 & 0xFFFF
                        }
                    }
                    PairCvt::Fround => {
                        let x = float::round_integral(value(a[k], fmod, ftz) as f32, round);
                        lane_result(f64::from(x), Clamp::None, ftz)
                    }
                })
            }
            _ => return Err(self.bad("not an f16 pair instruction")),
        };
        self.write(i.dest, lanes::join(r, l))?;
        Ok(Next::Step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_lanes_round_once_and_clamp() {
        // 1.0 + 2^-11 rounds to even (1.0); 2^-14 flushes only with ftz.
        assert_eq!(
            lane_result(1.0 + 2f64.powi(-11), Clamp::None, false),
            0x3C00
        );
        assert_eq!(lane_result(2f64.powi(-15), Clamp::None, false), 0x0200);
        assert_eq!(lane_result(2f64.powi(-15), Clamp::None, true), 0);
        assert_eq!(lane_result(-3.0, Clamp::ZeroOne, false), 0);
        assert_eq!(lane_result(70000.0, Clamp::None, false), 0x7C00);
        assert_eq!(
            value(
                0xBC00,
                FMod {
                    abs: true,
                    ..FMod::default()
                },
                false
            ),
            1.0
        );
        assert_eq!(value(0x0001, FMod::default(), true), 0.0);
    }
}
