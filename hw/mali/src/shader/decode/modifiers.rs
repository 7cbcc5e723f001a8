// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The modifiers of the operations the model executes ([`super::Op`]): widening, comparisons, rounding and clamping,
//! integer and float operation kinds, conversions, atomics and vector lanes, named after Mesa's Valhall ISA description.

/// Integer source widening of a 32-bit operand (`Widen`/`Swizzles (32-bit)`): which part of the register is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Widen {
    /// The whole register.
    None,
    /// Half `0` or `1`, extended by the instruction's signedness.
    Half(u8),
    /// Byte `0..3`, extended by the instruction's signedness.
    Byte(u8),
}

/// Float source modifiers: negate, absolute value, and the f16 half to widen from (none = a 32-bit float).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FMod {
    /// Negate after abs.
    pub neg: bool,
    /// Absolute value.
    pub abs: bool,
    /// `Some(h)`: the source is the f16 in half `h`, widened to f32.
    pub half: Option<u8>,
}

/// Comparison condition (`Condition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `eq`.
    Eq,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `ne` (true for unordered floats).
    Ne,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
    /// `gtlt`: ordered and not equal (floats only).
    GtLt,
    /// `total`: ordered (floats only).
    Total,
}

/// How a comparison's boolean is written (`Result type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultType {
    /// 0 / 1.
    I1,
    /// 0.0 / 1.0.
    F1,
    /// 0 / ~0.
    M1,
}

/// Destination clamp of float arithmetic (`Clamp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clamp {
    /// Identity.
    None,
    /// `[0, +inf]`.
    ZeroInf,
    /// `[-1, 1]`.
    MinusOneOne,
    /// `[0, 1]`.
    ZeroOne,
}

/// Round mode of conversions (`Round mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// To nearest, ties to even.
    Rte,
    /// Towards +inf.
    Rtp,
    /// Towards -inf.
    Rtn,
    /// Towards zero.
    Rtz,
}

/// Operand type of integer arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntTy {
    /// 32-bit, widened sources zero-extended.
    U32,
    /// 32-bit, widened sources sign-extended.
    S32,
    /// 64-bit register pairs.
    U64,
    /// 64-bit register pairs, signed saturation.
    S64,
}

/// Integer arithmetic operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOp {
    /// `IADD`.
    Add,
    /// `ISUB`.
    Sub,
    /// `IMUL` (low half of the product).
    Mul,
}

/// The bitwise operation of a shift instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logic {
    /// `*SHIFT_AND`.
    And,
    /// `*SHIFT_OR`.
    Or,
    /// `*SHIFT_XOR`.
    Xor,
}

/// How `MUX` tests its mask (`Mux`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuxMode {
    /// Sign bit set selects A.
    Neg,
    /// Mask == 0 selects A.
    IntZero,
    /// Mask == ±0.0 selects A.
    FpZero,
    /// Bitwise select `(A & mask) | (B & !mask)`.
    Bit,
}

/// Float binary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FOp {
    /// `FADD`.
    Add,
    /// `FMIN` (the other operand when one is NaN; -0 < +0).
    Min,
    /// `FMAX`.
    Max,
}

/// Unary integer operations of opcode 0x91.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    /// `MOV.i32`.
    Mov,
    /// `CLZ.u32`.
    Clz,
    /// `IABS.s32`.
    Iabs,
    /// `POPCOUNT.i32`.
    Popcount,
    /// `BITREV.i32`.
    Bitrev,
    /// `NOT_OLD.i32`.
    Not,
}

/// Conversions of opcode 0x90.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cvt {
    /// `S32_TO_F32`.
    S32ToF32,
    /// `U32_TO_F32`.
    U32ToF32,
    /// `F32_TO_S32`.
    F32ToS32,
    /// `F32_TO_U32`.
    F32ToU32,
    /// `S16_TO_S32`.
    S16ToS32,
    /// `U16_TO_U32`.
    U16ToU32,
    /// `S16_TO_F32`.
    S16ToF32,
    /// `U16_TO_F32`.
    U16ToF32,
    /// `S8_TO_S32`.
    S8ToS32,
    /// `U8_TO_U32`.
    U8ToU32,
    /// `S8_TO_F32`.
    S8ToF32,
    /// `U8_TO_F32`.
    U8ToF32,
    /// `F16_TO_F32`.
    F16ToF32,
    /// `F16_TO_S32` (saturating, NaN to 0).
    F16ToS32,
    /// `F16_TO_U32` (saturating, NaN to 0).
    F16ToU32,
    /// `FROUND.f32`.
    Fround,
}

/// Operations of the `ATOM`/`ATOM_RETURN` instructions (`Atomic operation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomOp {
    /// `aadd`.
    Add,
    /// `asmin`.
    Smin,
    /// `asmax`.
    Smax,
    /// `aumin`.
    Umin,
    /// `aumax`.
    Umax,
    /// `aand`.
    And,
    /// `aor`.
    Or,
    /// `axor`.
    Xor,
    /// `axchg` (with `.compare`: compare-and-swap).
    Xchg,
    /// `ainc` (ATOM1).
    Inc,
    /// `adec` (ATOM1).
    Dec,
    /// `aumax1` (ATOM1).
    Umax1,
    /// `asmax1` (ATOM1).
    Smax1,
    /// `aor1` (ATOM1).
    Or1,
}

/// The lanes of a 16- or 8-bit vector operation: their width and count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lanes {
    /// Two 16-bit lanes (`.v2i16`, `.v2u16`, `.v2s16`).
    V2,
    /// Four 8-bit lanes (`.v4i8`, `.v4u8`, `.v4s8`).
    V4,
}

/// Conversions on f16 or 16-bit integer pairs (opcode 0x90).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairCvt {
    /// `V2S16_TO_V2F16`.
    S16ToF16,
    /// `V2U16_TO_V2F16`.
    U16ToF16,
    /// `V2F16_TO_V2S16` (saturating, NaN to 0).
    F16ToS16,
    /// `V2F16_TO_V2U16` (saturating, NaN to 0).
    F16ToU16,
    /// `FROUND.v2f16`.
    Fround,
}

/// Comparison type of `CSEL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpTy {
    /// Unsigned integers.
    U32,
    /// Signed integers.
    S32,
    /// Floats.
    F32,
}
