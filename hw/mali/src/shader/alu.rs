// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Integer semantics of the shader core's ALU instructions, as pure functions of source values
//! (`Documentation/hardware.md#shader-core`).

use super::decode::{Cmp, IntOp, IntTy, Logic, MuxMode, ResultType, Widen};

/// The part of a 32-bit register a widened integer source uses, zero- or sign-extended.
pub fn widen(v: u32, w: Widen, signed: bool) -> u32 {
    match (w, signed) {
        (Widen::None, _) => v,
        (Widen::Half(h), false) => (v >> (16 * u32::from(h))) & 0xFFFF,
        (Widen::Half(h), true) => (v >> (16 * u32::from(h))) as u16 as i16 as i32 as u32,
        (Widen::Byte(b), false) => (v >> (8 * u32::from(b))) & 0xFF,
        (Widen::Byte(b), true) => (v >> (8 * u32::from(b))) as u8 as i8 as i32 as u32,
    }
}

/// `IADD`/`ISUB`/`IMUL` on 32 bits; `saturate` clamps add/sub to the type's range.
pub fn int32(op: IntOp, ty: IntTy, a: u32, b: u32, saturate: bool) -> u32 {
    let signed = ty == IntTy::S32;
    match (op, saturate, signed) {
        (IntOp::Add, false, _) => a.wrapping_add(b),
        (IntOp::Sub, false, _) => a.wrapping_sub(b),
        (IntOp::Add, true, false) => a.saturating_add(b),
        (IntOp::Sub, true, false) => a.saturating_sub(b),
        (IntOp::Add, true, true) => (a as i32).saturating_add(b as i32) as u32,
        (IntOp::Sub, true, true) => (a as i32).saturating_sub(b as i32) as u32,
        (IntOp::Mul, _, _) => a.wrapping_mul(b),
    }
}

/// `IADD`/`ISUB` on 64 bits.
pub fn int64(op: IntOp, ty: IntTy, a: u64, b: u64, saturate: bool) -> u64 {
    let signed = ty == IntTy::S64;
    match (op, saturate, signed) {
        (IntOp::Add, false, _) => a.wrapping_add(b),
        (IntOp::Sub, false, _) => a.wrapping_sub(b),
        (IntOp::Add, true, false) => a.saturating_add(b),
        (IntOp::Sub, true, false) => a.saturating_sub(b),
        (IntOp::Add, true, true) => (a as i64).saturating_add(b as i64) as u64,
        (IntOp::Sub, true, true) => (a as i64).saturating_sub(b as i64) as u64,
        (IntOp::Mul, _, _) => a.wrapping_mul(b),
    }
}

/// `LSHIFT_*`/`RSHIFT_*` on a `bits`-wide value: the shift amount is taken modulo the width \[model\].
#[allow(clippy::too_many_arguments)]
pub fn shift(
    a: u64,
    amount: u32,
    b: u64,
    bits: u32,
    left: bool,
    signed: bool,
    logic: Logic,
    not_b: bool,
    not_result: bool,
) -> u64 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let s = amount % bits;
    let shifted = if left {
        a << s
    } else if signed {
        let sext = if bits == 64 {
            a as i64
        } else {
            ((a << (64 - bits)) as i64) >> (64 - bits)
        };
        (sext >> s) as u64
    } else {
        (a & mask) >> s
    };
    let b = if not_b { !b } else { b };
    let r = match logic {
        Logic::And => shifted & b,
        Logic::Or => shifted | b,
        Logic::Xor => shifted ^ b,
    };
    let r = if not_result { !r } else { r };
    r & mask
}

/// `MUX.i32`.
pub fn mux(mode: MuxMode, a: u32, b: u32, mask: u32) -> u32 {
    let pick_a = match mode {
        MuxMode::Neg => (mask as i32) < 0,
        MuxMode::IntZero => mask == 0,
        MuxMode::FpZero => mask & 0x7FFF_FFFF == 0,
        MuxMode::Bit => return (a & mask) | (b & !mask),
    };
    if pick_a {
        a
    } else {
        b
    }
}

/// An integer comparison (the float-only conditions never reach here: the decoder refuses them).
pub fn icmp(cmp: Cmp, a: u32, b: u32, signed: bool) -> bool {
    let ord = if signed {
        (a as i32).cmp(&(b as i32))
    } else {
        a.cmp(&b)
    };
    match cmp {
        Cmp::Eq => ord.is_eq(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Ge => ord.is_ge(),
        Cmp::Ne => ord.is_ne(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Le => ord.is_le(),
        Cmp::GtLt | Cmp::Total => false,
    }
}

/// A float comparison with IEEE 754 NaN rules: only `ne` holds for unordered operands.
pub fn fcmp(cmp: Cmp, a: f32, b: f32) -> bool {
    match cmp {
        Cmp::Eq => a == b,
        Cmp::Gt => a > b,
        Cmp::Ge => a >= b,
        Cmp::Ne => a != b,
        Cmp::Lt => a < b,
        Cmp::Le => a <= b,
        Cmp::GtLt => a.partial_cmp(&b).is_some_and(|o| o.is_ne()),
        Cmp::Total => !a.is_nan() && !b.is_nan(),
    }
}

/// A comparison's boolean in its result type.
pub fn boolean(v: bool, ty: ResultType) -> u32 {
    match (v, ty) {
        (false, _) => 0,
        (true, ResultType::I1) => 1,
        (true, ResultType::F1) => 0x3F80_0000,
        (true, ResultType::M1) => u32::MAX,
    }
}

/// `IADD_IMM` lane by lane (`lane_bits` 32, 16 or 8), wrapping within each lane.
pub fn add_lanes(a: u32, b: u32, lane_bits: u32) -> u32 {
    if lane_bits == 32 {
        return a.wrapping_add(b);
    }
    let mask = (1u32 << lane_bits) - 1;
    (0..32 / lane_bits).fold(0, |acc, i| {
        let s = i * lane_bits;
        let sum = ((a >> s) & mask).wrapping_add((b >> s) & mask) & mask;
        acc | sum << s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additions_wrap_or_saturate_by_signedness() {
        assert_eq!(int32(IntOp::Add, IntTy::U32, u32::MAX, 2, false), 1);
        assert_eq!(int32(IntOp::Add, IntTy::U32, u32::MAX, 2, true), u32::MAX);
        assert_eq!(
            int32(IntOp::Add, IntTy::S32, i32::MAX as u32, 1, false),
            i32::MIN as u32
        );
        assert_eq!(
            int32(IntOp::Add, IntTy::S32, i32::MAX as u32, 1, true),
            i32::MAX as u32
        );
        assert_eq!(
            int32(IntOp::Sub, IntTy::S32, i32::MIN as u32, 1, true),
            i32::MIN as u32
        );
        assert_eq!(int32(IntOp::Sub, IntTy::U32, 1, 2, true), 0);
        assert_eq!(
            int32(IntOp::Mul, IntTy::U32, 0x1_0001, 0x1_0001, false),
            0x2_0001
        );
        assert_eq!(int64(IntOp::Add, IntTy::U64, u64::MAX, 1, false), 0);
        assert_eq!(
            int64(IntOp::Sub, IntTy::S64, i64::MIN as u64, 1, true),
            i64::MIN as u64
        );
    }

    #[test]
    fn widening_extends_by_signedness() {
        assert_eq!(widen(0x8001_7FFF, Widen::Half(1), false), 0x8001);
        assert_eq!(widen(0x8001_7FFF, Widen::Half(1), true), 0xFFFF_8001);
        assert_eq!(widen(0x0080_0000, Widen::Byte(2), true), 0xFFFF_FF80);
        assert_eq!(widen(0x0080_0000, Widen::Byte(2), false), 0x80);
    }

    #[test]
    fn shifts_take_the_amount_modulo_the_width() {
        let sh = |a, n, left, signed| shift(a, n, 0, 32, left, signed, Logic::Or, false, false);
        assert_eq!(sh(1, 31, true, false), 0x8000_0000);
        assert_eq!(sh(1, 32, true, false), 1);
        assert_eq!(sh(1, 33, true, false), 2);
        assert_eq!(sh(0x8000_0000, 31, false, true), u32::MAX as u64);
        assert_eq!(sh(0x8000_0000, 31, false, false), 1);
        assert_eq!(sh(0x8000_0000, 36, false, true), 0xF800_0000);
        assert_eq!(
            shift(1, 63, 0, 64, true, false, Logic::Or, false, false),
            1 << 63
        );
        assert_eq!(shift(1, 64, 0, 64, true, false, Logic::Or, false, false), 1);
        // (a >> 4) & !0xF, inverted.
        assert_eq!(
            shift(0xABCD, 4, 0xF, 32, false, false, Logic::And, true, true),
            !0xAB0u32 as u64
        );
    }

    #[test]
    fn mux_modes_and_comparisons() {
        assert_eq!(
            mux(MuxMode::Bit, 0xFF00_FF00, 0x00FF_00FF, 0xF0F0_F0F0),
            0xF0F0_F0F0 & 0xFF00_FF00 | 0x0F0F_0F0F & 0x00FF_00FF
        );
        assert_eq!(mux(MuxMode::FpZero, 1, 2, 0x8000_0000), 1);
        assert_eq!(mux(MuxMode::IntZero, 1, 2, 0x8000_0000), 2);
        assert_eq!(mux(MuxMode::Neg, 1, 2, 0x8000_0000), 1);
        assert!(icmp(Cmp::Lt, u32::MAX, 0, true));
        assert!(!icmp(Cmp::Lt, u32::MAX, 0, false));
        assert!(fcmp(Cmp::Ne, f32::NAN, 1.0));
        assert!(!fcmp(Cmp::GtLt, f32::NAN, 1.0));
        assert!(!fcmp(Cmp::Eq, f32::NAN, f32::NAN));
        assert!(!fcmp(Cmp::Total, f32::NAN, 0.0));
        assert_eq!(boolean(true, ResultType::F1), 0x3F80_0000);
        assert_eq!(boolean(true, ResultType::M1), u32::MAX);
        assert_eq!(add_lanes(0x00FF_FFFF, 0x0001_0001, 16), 0x0100_0000);
        assert_eq!(add_lanes(0xFF01_FF01, 0x0101_0101, 8), 0x0002_0002);
    }
}
