// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The operations the model executes ([`Op`]), named after Mesa's Valhall ISA description; their modifiers are in
//! `modifiers`.

use super::modifiers::*;

/// A decoded operation with its modifiers. Sources are in [`Instr::src`](super::Instr::src), in encoding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `NOP`.
    Nop,
    /// Opcode 0x91: `MOV`, `CLZ`, `IABS`, `POPCOUNT`, `BITREV`, `NOT_OLD` (32-bit).
    Unary(Unary),
    /// `IADD_IMM.i32` / `.v2i16` / `.v4i8`: lanes of `lane_bits`, wrapping.
    IAddImm {
        /// Lane width: 32, 16 or 8.
        lane_bits: u8,
        /// The 32-bit constant (bits 8..39).
        imm: u32,
    },
    /// `FADD_IMM.f32`.
    FAddImm {
        /// The f32 constant's bits.
        imm: u32,
    },
    /// `IADD`, `ISUB`, `IMUL` on 32 or 64 bits.
    Int {
        /// Operation.
        op: IntOp,
        /// Type.
        ty: IntTy,
        /// Source widening (32-bit types only).
        widen: [Widen; 2],
        /// Saturate instead of wrapping (add/sub).
        saturate: bool,
    },
    /// `SHADDX.u64`/`.s64`: `A + (extend(B) << shift)`.
    Shaddx {
        /// Sign-extend B.
        signed: bool,
        /// Left shift 0..7.
        shift: u8,
    },
    /// `LSHIFT_*`/`RSHIFT_*` on 32 or 64 bits: `(A shift s) op (B or !B)`, optionally inverted.
    Shift {
        /// Left shift.
        left: bool,
        /// Combining operation with B.
        logic: Logic,
        /// 64-bit operands.
        wide: bool,
        /// Arithmetic right shift.
        signed: bool,
        /// Invert B.
        not_b: bool,
        /// Invert the result.
        not_result: bool,
        /// Widening of A (32-bit only).
        widen: Widen,
        /// Byte of the shift operand holding the amount.
        lane: u8,
    },
    /// `MUX.i32`.
    Mux(MuxMode),
    /// `CSEL.u32`/`.s32`/`.f32`: `cmp(A, B) ? C : D`.
    Csel {
        /// Condition.
        cmp: Cmp,
        /// Comparison type: unsigned, signed or float.
        ty: CmpTy,
    },
    /// `ICMP_OR`/`ICMP_AND` `.u32`/`.s32`: `cmp(A, B) op (C != 0)`.
    Icmp {
        /// Condition.
        cmp: Cmp,
        /// Signed comparison.
        signed: bool,
        /// AND (rather than OR) with C.
        and: bool,
        /// Result encoding.
        result: ResultType,
        /// Widening of A and B.
        widen: [Widen; 2],
    },
    /// `FCMP_OR`/`FCMP_AND` `.f32`.
    Fcmp {
        /// Condition.
        cmp: Cmp,
        /// AND (rather than OR) with C.
        and: bool,
        /// Result encoding.
        result: ResultType,
        /// Source modifiers of A and B.
        mods: [FMod; 2],
    },
    /// `FADD`/`FMIN`/`FMAX` `.f32`.
    FBin {
        /// Operation.
        op: FOp,
        /// Source modifiers.
        mods: [FMod; 2],
        /// Destination clamp.
        clamp: Clamp,
    },
    /// `FMA.f32` (fused, one rounding).
    Fma {
        /// Source modifiers.
        mods: [FMod; 3],
        /// Destination clamp.
        clamp: Clamp,
    },
    /// `FRCP.f32` (1/x) or `FRSQ.f32` (1/sqrt(x)), correctly rounded in the model.
    Recip {
        /// Reciprocal square root.
        sqrt: bool,
        /// Source modifiers.
        fmod: FMod,
    },
    /// Conversions of opcode 0x90.
    Cvt {
        /// Which conversion.
        kind: Cvt,
        /// Round mode (float results and float-to-int).
        round: Round,
        /// Source modifiers (float sources; `half` also selects the 16-bit half of 16-bit integer sources).
        fmod: FMod,
        /// The byte or half selected from the source (8/16-bit integer sources, f16).
        lane: u8,
    },
    /// `FREXPM.f32` (the mantissa in [0.5, 1) with the source's sign) or `FREXPE.f32` (the exponent), as `frexp()`.
    Frexp {
        /// The exponent (else the mantissa).
        exponent: bool,
        /// The f16 half to widen from, if any.
        half: Option<u8>,
    },
    /// `FLUSH.f32`: special values replaced as the modifiers say.
    Flush {
        /// Source modifiers.
        fmod: FMod,
        /// NaNs become +0 (`flush_nan`).
        flush_nan: bool,
        /// Signaling NaNs become quiet (`quiet_nan`).
        quiet_nan: bool,
        /// Subnormals become zero of the same sign (`ftz`).
        ftz: bool,
        /// Infinities become the largest finite value of the same sign (`flush_inf`).
        flush_inf: bool,
    },
    /// `LDEXP.f32`: A · 2^B (B a signed integer), rounded in `round`.
    Ldexp {
        /// Source modifiers of A.
        fmod: FMod,
        /// Round mode of a subnormal result.
        round: Round,
    },
    /// `V2F32_TO_V2F16`: A and B converted to f16, A in the low half.
    V2f32ToV2f16 {
        /// Source modifiers.
        mods: [FMod; 2],
        /// Round mode.
        round: Round,
        /// Clamp applied before conversion.
        clamp: Clamp,
    },
    /// `MKVEC.v2i8`: byte `lanes[0]` of A | byte `lanes[1]` of B << 8 | the low half of C << 16.
    MkvecV2i8 {
        /// Bytes selected from A and B.
        lanes: [u8; 2],
    },
    /// Conversions and rounding on pairs: each lane converted in `round`.
    PairCvt {
        /// Which conversion.
        kind: PairCvt,
        /// Round mode.
        round: Round,
        /// Negate/abs (f16 sources).
        fmod: FMod,
        /// The source's 16-bit swizzle.
        swz: u8,
    },
    /// `CLZ` (`abs`: `IABS`) on 16- or 8-bit lanes.
    LaneUnary {
        /// `IABS` rather than `CLZ`.
        abs: bool,
        /// Lane layout.
        lanes: Lanes,
        /// The source's swizzle.
        swz: u8,
    },
    /// `FADD`/`FMIN`/`FMAX.v2f16`: lane by lane on f16 pairs, one rounding to f16 (to nearest even).
    F16Bin {
        /// Operation.
        op: FOp,
        /// Negate/abs of A and B.
        mods: [FMod; 2],
        /// 16-bit swizzles of A and B.
        swz: [u8; 2],
        /// Destination clamp.
        clamp: Clamp,
    },
    /// `FMA.v2f16`.
    F16Fma {
        /// Negate/abs of A, B and C.
        mods: [FMod; 3],
        /// 16-bit swizzles of A, B and C.
        swz: [u8; 3],
        /// Destination clamp.
        clamp: Clamp,
    },
    /// `FCMP_OR`/`FCMP_AND.v2f16`.
    F16Cmp {
        /// Condition.
        cmp: Cmp,
        /// AND (rather than OR) with C's lanes.
        and: bool,
        /// Result encoding per lane (`f1` is the f16 1.0).
        result: ResultType,
        /// Negate/abs of A and B.
        mods: [FMod; 2],
        /// 16-bit swizzles of A and B.
        swz: [u8; 2],
    },
    /// `CSEL.v2f16`: lane by lane, `cmp(A, B) ? C : D` on f16 lanes.
    CselF16 {
        /// Condition.
        cmp: Cmp,
    },
    /// `IADD`/`ISUB`/`IMUL` on 16- or 8-bit lanes, each source swizzled (`swz`: the `Swizzles (16-bit)` or
    /// `Swizzles (8-bit)` value), wrapping or saturating per lane.
    IntV {
        /// Operation.
        op: IntOp,
        /// Lane layout.
        lanes: Lanes,
        /// Signed lanes (sign-extended byte selects, signed saturation).
        signed: bool,
        /// Saturate instead of wrapping (add/sub).
        saturate: bool,
        /// Swizzles of A and B.
        swz: [u8; 2],
    },
    /// `LSHIFT_*`/`RSHIFT_*` on 16- or 8-bit lanes; lane i shifts by byte `lane` of the shift operand.
    ShiftV {
        /// Lane layout.
        lanes: Lanes,
        /// Left shift.
        left: bool,
        /// Combining operation with B.
        logic: Logic,
        /// Arithmetic right shift.
        signed: bool,
        /// Invert B.
        not_b: bool,
        /// Invert the result.
        not_result: bool,
        /// Swizzle of A.
        swz: u8,
        /// Byte of the shift operand holding the amount.
        lane: u8,
    },
    /// `MUX.v2i16`/`.v4i8`, lane by lane (16-bit sources swizzled).
    MuxV {
        /// Lane layout.
        lanes: Lanes,
        /// Mask test.
        mode: MuxMode,
        /// Swizzles of A, B and the mask (`.v2i16` only; identity for `.v4i8`).
        swz: [u8; 3],
    },
    /// `CSEL.v2u16`/`.v2s16`, lane by lane.
    CselV {
        /// Condition.
        cmp: Cmp,
        /// Signed comparison.
        signed: bool,
    },
    /// `ICMP_OR`/`ICMP_AND` on 16- or 8-bit lanes.
    IcmpV {
        /// Lane layout.
        lanes: Lanes,
        /// Condition.
        cmp: Cmp,
        /// Signed comparison.
        signed: bool,
        /// AND (rather than OR) with C.
        and: bool,
        /// Result encoding (`f1` is the f16 1.0 in 16-bit lanes).
        result: ResultType,
        /// Swizzles of A and B.
        swz: [u8; 2],
    },
    /// `MKVEC.v2i16`: the low result half from A's selected half, the high from B's.
    MkvecV2i16 {
        /// Half selected from A and from B.
        halves: [u8; 2],
    },
    /// `BRANCHZ`: branch by `offset` instructions (relative to the next) if the source is nonzero (`eq`: zero).
    BranchZ {
        /// Which part of the source is tested: None (32 bits), Some(h) for half h.
        half: Option<u8>,
        /// Branch when zero.
        eq: bool,
        /// Signed 27-bit offset in instructions.
        offset: i32,
    },
    /// `BRANCHZI`: branch to the address in source 1 if source 0 is nonzero (`eq`: zero).
    BranchZI {
        /// Which part of the condition is tested.
        half: Option<u8>,
        /// Branch when zero.
        eq: bool,
        /// The target is an absolute address (low 32 bits) rather than a byte offset from the next instruction.
        absolute: bool,
    },
    /// `WMASK`: the mask of the active lanes of this lane's cluster whose source is nonzero.
    Wmask {
        /// Cluster (subgroup) size: 2, 4, 8 or 16 lanes.
        subgroup: u8,
    },
    /// `CLPER.i32`: source 0 as lane `B` (byte `lane` of source 1) of this lane's cluster holds it, or `inactive`
    /// when that lane is not active; with `xor`, the lane is this lane's index XOR `B`.
    Clper {
        /// Cluster (subgroup) size: 2, 4, 8 or 16 lanes.
        subgroup: u8,
        /// `lane_op` xor (else none).
        xor: bool,
        /// `inactive_result` value.
        inactive: u32,
        /// Byte of source 1 holding the lane.
        lane: u8,
    },
    /// `BARRIER`: wait for every thread of the workgroup.
    Barrier,
    /// `LOAD.i8`..`LOAD.i128`: `bytes` from the 64-bit address source plus `offset` into staging registers.
    Load {
        /// Access size in bytes (1, 2, 3, 4, 6, 8, 12, 16).
        bytes: u8,
        /// `Load lane` field (interpreted per size).
        lane: u8,
        /// Zero-extend (else sign-extend) narrow loads.
        unsigned: bool,
        /// First staging register.
        sr: u8,
        /// Signed byte offset.
        offset: i16,
    },
    /// `STORE.i8`..`STORE.i128`.
    Store {
        /// Access size in bytes.
        bytes: u8,
        /// First staging register.
        sr: u8,
        /// Signed byte offset.
        offset: i16,
    },
    /// `ATOM`, `ATOM_RETURN` and `ATOM1_RETURN` on 32 or 64 bits at the 64-bit address source plus `offset`.
    Atom {
        /// Operation.
        op: AtomOp,
        /// 64-bit memory operand.
        wide: bool,
        /// First staging register read (the operand; for compare-and-swap: new value then comparand), if any.
        data: Option<u8>,
        /// First staging register written with the old value, if any.
        ret: Option<u8>,
        /// Compare-and-swap (`axchg.compare`).
        compare: bool,
        /// Unsigned byte offset.
        offset: u8,
    },
    /// `LD_BUFFER.i8`..`.i128`: `bytes` at the byte offset (source 0) in the buffer the resource handle (source 1:
    /// table in bits 24..29, descriptor index in bits 0..23) names; zeros when out of the buffer's bounds.
    LdBuffer {
        /// Access size in bytes.
        bytes: u8,
        /// `Load lane` field (interpreted per size).
        lane: u8,
        /// Zero-extend (else sign-extend) narrow loads.
        unsigned: bool,
        /// First staging register.
        sr: u8,
    },
    /// `LEA_BUFFER`: the address of the byte offset (source 0) in the buffer the handle (source 1) names, into two
    /// staging registers.
    LeaBuffer {
        /// First staging register (a pair).
        sr: u8,
    },
    /// `LEA_BUF_IMM`: the address of buffer `index` of resource table `table`, plus the source, into two staging
    /// registers.
    LeaBufImm {
        /// First staging register (a pair).
        sr: u8,
        /// Resource table entry.
        table: u8,
        /// Buffer descriptor within it.
        index: u8,
    },
}
