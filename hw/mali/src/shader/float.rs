// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Float semantics of the shader core: f16 widening, flush-to-zero, rounding of conversions, the min/max and clamp
//! rules of Valhall (`Documentation/hardware.md#shader-core`).

use super::decode::{Clamp, FMod, Round};

/// Widens the f16 `h` to f32 exactly (subnormals, infinities and NaN payloads kept).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1F);
    let man = u32::from(h & 0x3FF);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise into an f32 normal.
            let shift = man.leading_zeros() - 21;
            let man = (man << shift) & 0x3FF;
            sign | (127 - 15 + 1 - shift) << 23 | man << 13
        }
        (0x1F, _) => sign | 0xFF << 23 | man << 13,
        _ => sign | (exp + 127 - 15) << 23 | man << 13,
    };
    f32::from_bits(bits)
}

/// Flushes a subnormal to a zero of the same sign.
pub fn flush(x: f32) -> f32 {
    if x.is_subnormal() {
        f32::from_bits(x.to_bits() & 0x8000_0000)
    } else {
        x
    }
}

/// The value of a float source: the register bits (or the f16 half they hold) with abs and neg applied, flushed when
/// `ftz`.
pub fn operand(bits: u32, m: FMod, ftz: bool) -> f32 {
    let mut x = match m.half {
        None => f32::from_bits(bits),
        Some(h) => f16_to_f32((bits >> (16 * u32::from(h))) as u16),
    };
    if m.abs {
        x = x.abs();
    }
    if m.neg {
        x = -x;
    }
    if ftz {
        flush(x)
    } else {
        x
    }
}

/// The result written: flushed when `ftz`, then clamped.
pub fn result(x: f32, clamp: Clamp, ftz: bool) -> u32 {
    let x = if ftz { flush(x) } else { x };
    let x = match clamp {
        Clamp::None => x,
        Clamp::ZeroInf => max(x, 0.0),
        Clamp::MinusOneOne => min(max(x, -1.0), 1.0),
        Clamp::ZeroOne => min(max(x, 0.0), 1.0),
    };
    x.to_bits()
}

/// `FMIN`: the other operand when one is NaN, and -0 < +0.
pub fn min(a: f32, b: f32) -> f32 {
    if a.is_nan() {
        b
    } else if b.is_nan() || a < b {
        a
    } else if b < a {
        b
    } else if a.is_sign_negative() {
        a
    } else {
        b
    }
}

/// `FMAX`: the other operand when one is NaN, and -0 < +0.
pub fn max(a: f32, b: f32) -> f32 {
    if a.is_nan() {
        b
    } else if b.is_nan() || a > b {
        a
    } else if b > a {
        b
    } else if a.is_sign_positive() {
        a
    } else {
        b
    }
}

/// Rounds `x` to an integral value in `mode`.
pub fn round_integral(x: f32, mode: Round) -> f32 {
    match mode {
        Round::Rte => x.round_ties_even(),
        Round::Rtp => x.ceil(),
        Round::Rtn => x.floor(),
        Round::Rtz => x.trunc(),
    }
}

/// Rounds the exactly representable `x` (an f64 holding an integer of at most 32 bits) to f32 in `mode`.
pub fn f64_to_f32(x: f64, mode: Round) -> f32 {
    let near = x as f32;
    let back = f64::from(near);
    if back == x {
        return near;
    }
    let (below, above) = if back < x {
        (near, next_up(near))
    } else {
        (next_down(near), near)
    };
    match mode {
        Round::Rte => near,
        Round::Rtp => above,
        Round::Rtn => below,
        Round::Rtz if x > 0.0 => below,
        Round::Rtz => above,
    }
}

fn next_up(x: f32) -> f32 {
    if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f32) -> f32 {
    -next_up(-x)
}

/// `F32_TO_S32`: rounded in `mode`, saturated to the i32 range, NaN to 0.
pub fn to_s32(x: f32, mode: Round) -> u32 {
    round_integral(x, mode) as i32 as u32
}

/// `F32_TO_U32`: rounded in `mode`, saturated to the u32 range (negative to 0), NaN to 0.
pub fn to_u32(x: f32, mode: Round) -> u32 {
    round_integral(x, mode) as u32
}

/// `FLUSH.f32` on `x`.
pub fn flush_special(x: f32, flush_nan: bool, quiet_nan: bool, ftz: bool, flush_inf: bool) -> f32 {
    if x.is_nan() {
        if flush_nan {
            return 0.0;
        }
        if quiet_nan {
            return f32::from_bits(x.to_bits() | 0x0040_0000);
        }
        return x;
    }
    if flush_inf && x.is_infinite() {
        return f32::MAX.copysign(x);
    }
    if ftz {
        return flush(x);
    }
    x
}

/// `frexp()`: (mantissa in [0.5, 1) with `x`'s sign, exponent); zero, infinity and NaN give (x, 0).
pub fn frexp(x: f32) -> (f32, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    // Scale subnormals into the normal range first.
    let (x, bias) = if x.is_subnormal() {
        (x * 2f32.powi(32), -32)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xFF) as i32 - 126;
    let m = f32::from_bits((bits & 0x807F_FFFF) | 126 << 23);
    (m, e + bias)
}

/// `ldexp()`: x · 2^e, one rounding in `mode`.
pub fn ldexp(x: f32, e: i32, mode: Round) -> f32 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    // Two steps keep every intermediate exact in f64 (|e| beyond 400 saturates anyway).
    let e = e.clamp(-400, 400);
    let v = f64::from(x) * 2f64.powi(e / 2) * 2f64.powi(e - e / 2);
    round_f64(v, mode)
}

/// Rounds any finite f64 to f32 in `mode` (overflow to infinity, or to the largest finite value when rounding towards
/// zero).
fn round_f64(v: f64, mode: Round) -> f32 {
    let near = v as f32;
    if f64::from(near) == v {
        return near;
    }
    if near.is_infinite() {
        let towards_zero = match mode {
            Round::Rte => false,
            Round::Rtz => true,
            Round::Rtp => v < 0.0,
            Round::Rtn => v > 0.0,
        };
        return if towards_zero {
            f32::MAX.copysign(near)
        } else {
            near
        };
    }
    f64_to_f32(v, mode)
}

/// Converts `x` to f16 bits, rounded in `mode` (NaN stays NaN, overflow goes to infinity or, rounding towards zero,
/// to the largest finite f16).
pub fn f32_to_f16(x: f32, mode: Round) -> u16 {
    if x.is_nan() {
        let sign = if x.is_sign_negative() { 0x8000 } else { 0 };
        return sign | 0x7E00 | ((x.to_bits() >> 13) & 0x1FF) as u16;
    }
    f64_to_f16(f64::from(x), mode)
}

/// Converts `x` to f16 bits with one rounding in `mode` (a NaN becomes the quiet NaN of its sign).
pub fn f64_to_f16(x: f64, mode: Round) -> u16 {
    let sign = if x.is_sign_negative() { 0x8000 } else { 0 };
    if x.is_nan() {
        return sign | 0x7E00;
    }
    if x.is_infinite() {
        return sign | 0x7C00;
    }
    let a = x.abs();
    if a == 0.0 {
        return sign;
    }
    // The binade of `a` (not below the subnormal one), and `a` in units of its f16 ulp: exact in f64.
    let e = ((a.to_bits() >> 52) as i32 - 1023).max(-14);
    let q = a / 2f64.powi(e - 10);
    let away = match mode {
        Round::Rte => None,
        Round::Rtz => Some(false),
        Round::Rtp => Some(sign == 0),
        Round::Rtn => Some(sign != 0),
    };
    let qi = match away {
        None => q.round_ties_even(),
        Some(true) => q.ceil(),
        Some(false) => q.floor(),
    } as u32;
    let (mut e, mut qi) = (e, qi);
    if qi == 2048 {
        e += 1;
        qi = 1024;
    }
    if e > 15 {
        return sign | if away == Some(false) { 0x7BFF } else { 0x7C00 };
    }
    if qi < 1024 {
        // Subnormal (e is -14 here).
        return sign | qi as u16;
    }
    sign | ((e + 15) as u16) << 10 | (qi - 1024) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_widening_covers_normals_subnormals_and_specials() {
        assert_eq!(f16_to_f32(0x3C00), 1.0);
        assert_eq!(f16_to_f32(0xC000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0200), 2f32.powi(-15));
        assert_eq!(f16_to_f32(0x7C00), f32::INFINITY);
        assert!(f16_to_f32(0x7E00).is_nan());
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
    }

    #[test]
    fn min_max_take_the_number_over_nan_and_order_signed_zeros() {
        assert_eq!(min(f32::NAN, 2.0), 2.0);
        assert_eq!(max(3.0, f32::NAN), 3.0);
        assert_eq!(min(0.0, -0.0).to_bits(), 0x8000_0000);
        assert_eq!(max(-0.0, 0.0).to_bits(), 0);
        assert!(min(f32::NAN, f32::NAN).is_nan());
    }

    #[test]
    fn clamps_follow_the_spirv_rules() {
        assert_eq!(result(f32::NAN, Clamp::ZeroOne, false), 0);
        assert_eq!(result(-0.0, Clamp::ZeroOne, false), 0);
        assert_eq!(
            result(f32::NAN, Clamp::MinusOneOne, false),
            (-1f32).to_bits()
        );
        assert_eq!(result(-0.0, Clamp::MinusOneOne, false), 0x8000_0000);
        assert_eq!(result(7.0, Clamp::ZeroInf, false), 7f32.to_bits());
    }

    #[test]
    fn subnormals_flush_only_when_asked() {
        let tiny = f32::from_bits(1);
        assert_eq!(result(tiny, Clamp::None, false), 1);
        assert_eq!(result(tiny, Clamp::None, true), 0);
        assert_eq!(result(-tiny, Clamp::None, true), 0x8000_0000);
        assert_eq!(operand(1, FMod::default(), true), 0.0);
    }

    #[test]
    fn flush_replaces_what_its_modifiers_name() {
        let snan = f32::from_bits(0x7F80_0001);
        assert_eq!(flush_special(snan, true, false, false, false).to_bits(), 0);
        assert_eq!(
            flush_special(snan, false, true, false, false).to_bits(),
            0x7FC0_0001
        );
        assert_eq!(
            flush_special(snan, false, false, false, false).to_bits(),
            0x7F80_0001
        );
        assert_eq!(
            flush_special(f32::NEG_INFINITY, false, false, false, true),
            f32::MIN
        );
        assert_eq!(
            flush_special(f32::INFINITY, false, false, false, false),
            f32::INFINITY
        );
        assert_eq!(
            flush_special(-f32::from_bits(1), false, false, true, false).to_bits(),
            0x8000_0000
        );
        assert_eq!(
            flush_special(f32::from_bits(1), false, false, false, false).to_bits(),
            1
        );
    }

    #[test]
    fn frexp_ldexp_and_f16_conversion() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(-0.75), (-0.75, 0));
        assert_eq!(frexp(f32::from_bits(1)), (0.5, -148));
        assert_eq!(frexp(0.0), (0.0, 0));
        assert_eq!(ldexp(0.75, 4, Round::Rte), 12.0);
        assert_eq!(ldexp(1.0, -149, Round::Rte).to_bits(), 1);
        assert_eq!(
            ldexp(1.5, -149, Round::Rtz).to_bits(),
            1,
            "1.5 x 2^-149 rounds down to the smallest subnormal"
        );
        assert_eq!(ldexp(1.5, -149, Round::Rtp).to_bits(), 2);
        assert_eq!(ldexp(1.0, 200, Round::Rte), f32::INFINITY);
        assert_eq!(ldexp(1.0, 200, Round::Rtz), f32::MAX);
        assert_eq!(f32_to_f16(1.0, Round::Rte), 0x3C00);
        assert_eq!(f32_to_f16(-2.0, Round::Rte), 0xC000);
        assert_eq!(f32_to_f16(65504.0, Round::Rte), 0x7BFF);
        assert_eq!(f32_to_f16(65520.0, Round::Rte), 0x7C00);
        assert_eq!(f32_to_f16(65520.0, Round::Rtz), 0x7BFF);
        assert_eq!(f32_to_f16(1e9, Round::Rtn), 0x7BFF);
        assert_eq!(f32_to_f16(-1e9, Round::Rtn), 0xFC00);
        assert_eq!(f32_to_f16(2f32.powi(-24), Round::Rte), 0x0001);
        assert_eq!(
            f32_to_f16(2f32.powi(-25), Round::Rte),
            0,
            "a tie rounds to even (zero)"
        );
        assert_eq!(f32_to_f16(2f32.powi(-25), Round::Rtp), 1);
        // 1 + 2^-11 is a tie between 1.0 and 1 + 2^-10.
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11), Round::Rte), 0x3C00);
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11), Round::Rtp), 0x3C01);
        assert_eq!(f32_to_f16(f32::NAN, Round::Rte) & 0x7E00, 0x7E00);
        for h in [0x0001u16, 0x03FF, 0x0400, 0x3555, 0x7BFF, 0x8001, 0xC3FF] {
            assert_eq!(
                f32_to_f16(f16_to_f32(h), Round::Rte),
                h,
                "{h:#x} round-trips"
            );
        }
    }

    #[test]
    fn conversions_round_in_every_mode() {
        let x = 16_777_217.0; // 2^24 + 1: between two f32s
        assert_eq!(f64_to_f32(x, Round::Rte), 16_777_216.0);
        assert_eq!(f64_to_f32(x, Round::Rtp), 16_777_218.0);
        assert_eq!(f64_to_f32(x, Round::Rtn), 16_777_216.0);
        assert_eq!(f64_to_f32(-x, Round::Rtz), -16_777_216.0);
        assert_eq!(f64_to_f32(-x, Round::Rtn), -16_777_218.0);
        assert_eq!(to_s32(-2.5, Round::Rte), (-2i32) as u32);
        assert_eq!(to_s32(-2.5, Round::Rtn), (-3i32) as u32);
        assert_eq!(to_s32(3e10, Round::Rtz), i32::MAX as u32);
        assert_eq!(to_s32(f32::NAN, Round::Rtz), 0);
        assert_eq!(to_u32(-1.0, Round::Rtz), 0);
        assert_eq!(to_u32(f32::INFINITY, Round::Rtz), u32::MAX);
    }
}
