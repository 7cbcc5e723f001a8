// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoding one 64-bit Valhall (v10) instruction word into an [`Instr`] (`Documentation/hardware.md#shader-core`).
//!
//! Layout shared by every instruction: sources in bytes 0..3 (one byte each), the destination (register and write mask)
//! or the staging register in byte 5, the primary opcode in bits 48..56, the FAU page in bits 57..58, the flow field in
//! bits 59..62 and bit 63 reserved. Secondary opcodes and modifiers sit in the bits between, per instruction group.
//!
//! Only the subset the model executes decodes to an [`Op`]; a word outside it is a [`DecodeError`], which the shader
//! core reports as INSTR_INVALID_ENC when (and only when) a thread reaches it.

#[cfg(test)]
mod tests;

/// Why a word does not decode to an instruction the model executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A Valhall instruction the model does not implement (named after Mesa's ISA description).
    #[error("{name} is not implemented by the model")]
    Unimplemented {
        /// The instruction's mnemonic, or "opcode" when the primary opcode is unknown.
        name: &'static str,
        /// The primary opcode.
        opcode: u16,
    },
    /// The word is not a valid encoding (all zero, a reserved field value, a reserved bit set).
    #[error("invalid encoding: {0}")]
    Invalid(&'static str),
}

impl DecodeError {
    fn unimplemented(name: &'static str, opcode: u16) -> Self {
        Self::Unimplemented { name, opcode }
    }
}

/// One source operand (byte `i` of the word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// Register `n` (r0..r63); `discard` marks its last use (no effect on results).
    Reg {
        /// Register index.
        n: u8,
        /// The value is dead after this read.
        discard: bool,
    },
    /// 32-bit FAU word `index` (0..255, page included): push constants, uniforms and the constants Mesa appends.
    Uniform(u8),
    /// A value from the constant table (`Immediates` LUT).
    Imm(u32),
    /// A special FAU value: `page`, entry `index` (0..15), 32-bit `word` of the 64-bit value.
    Special {
        /// FAU page (0, 1 or 3).
        page: u8,
        /// Entry within the page.
        index: u8,
        /// Low (0) or high (1) word.
        word: u8,
    },
    /// No operand in this slot.
    None,
}

/// The constant table of the `Immediates` LUT, indexed by the low 5 bits of an immediate source.
pub const IMMEDIATES: [u32; 32] = [
    0x0000_0000,
    0xFFFF_FFFF,
    0x7FFF_FFFF,
    0xFAFC_FDFE,
    0x0100_0000,
    0x8000_2000,
    0x7060_5030,
    0xC0B0_A090,
    0x0302_0100,
    0x0706_0504,
    0x0B0A_0908,
    0x0F0E_0D0C,
    0x1312_1110,
    0x1716_1514,
    0x1B1A_1918,
    0x1F1E_1D1C,
    0x3F80_0000,
    0x3DCC_CCCD,
    0x3EA2_F983,
    0x3F31_7218,
    0x4049_0FDB,
    0x0000_0000,
    0x477F_FF00,
    0x5C00_5BF8,
    0x2E66_0000,
    0x3400_0000,
    0x3800_0000,
    0x3C00_0000,
    0x4000_0000,
    0x4400_0000,
    0x4800_0000,
    0x4248_0000,
];

/// The values `CLPER` returns for an inactive lane (`Inactive result`).
const INACTIVE_RESULTS: [u32; 16] = [
    0,
    0xFFFF_FFFF,
    1,
    0x0001_0001,
    0x8000_0000,
    0x7FFF_FFFF,
    0x8000_8000,
    0x7FFF_7FFF,
    0x8080_8080,
    0x7F7F_7F7F,
    0x3F80_0000,
    0x3C00_3C00,
    0xFF80_0000,
    0x7F80_0000,
    0xFC00_FC00,
    0x7C00_7C00,
];

/// FAU special entries the model provides (`Documentation/hardware.md#shader-core`).
pub mod special {
    /// Page 0, entry 2: warp index within the workgroup.
    pub const WARP_ID: (u8, u8) = (0, 2);
    /// Page 1, entry 1: this thread's thread-local storage.
    pub const THREAD_LOCAL_POINTER: (u8, u8) = (1, 1);
    /// Page 1, entry 3: this workgroup's local storage.
    pub const WORKGROUP_LOCAL_POINTER: (u8, u8) = (1, 3);
    /// Page 1, entry 7: the shader resource table.
    pub const RESOURCE_TABLE_POINTER: (u8, u8) = (1, 7);
    /// Page 3, entry 1: lane within the warp.
    pub const LANE_ID: (u8, u8) = (3, 1);
    /// Page 3, entry 3: the shader core running the thread.
    pub const CORE_ID: (u8, u8) = (3, 3);
    /// Page 3, entry 15: the address of the next instruction.
    pub const PROGRAM_COUNTER: (u8, u8) = (3, 15);
}

/// The destination register and its 16-bit write mask (bit 0 low half, bit 1 high half).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dest {
    /// Register index (the low register of a pair for 64-bit results).
    pub reg: u8,
    /// Halves written: 3 full, 1 low, 2 high.
    pub mask: u8,
}

/// The flow field (bits 59..62).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// No wait.
    None,
    /// Wait on the dependency slots in the mask (slots 0..2, plus 6 for `wait0126`).
    Wait(u8),
    /// `wait`: wait on every slot (barriers).
    WaitAll,
    /// `reconverge`: divergent threads reconverge after this instruction.
    Reconverge,
    /// `discard`: terminates helper invocations (fragment shaders).
    Discard,
    /// `end`: the thread ends after this instruction.
    End,
}

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

/// A decoded operation with its modifiers. Sources are in [`Instr::src`], in encoding order.
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

/// A decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    /// The operation.
    pub op: Op,
    /// Sources in encoding order (unused slots are [`Src::None`]).
    pub src: [Src; 4],
    /// Destination, for ALU instructions that write one.
    pub dest: Option<Dest>,
    /// Flow control field.
    pub flow: Flow,
}

fn bits(w: u64, lo: u32, n: u32) -> u32 {
    ((w >> lo) & ((1u64 << n) - 1)) as u32
}

fn bit(w: u64, b: u32) -> bool {
    (w >> b) & 1 != 0
}

fn source(byte: u32, page: u8) -> Result<Src, DecodeError> {
    let v = (byte & 0x3F) as u8;
    Ok(match byte >> 6 {
        0 | 1 => Src::Reg {
            n: v,
            discard: byte & 0x40 != 0,
        },
        2 => Src::Uniform(page << 6 | v),
        _ if v < 32 => Src::Imm(IMMEDIATES[usize::from(v)]),
        _ => {
            let index = (v - 32) >> 1;
            let known = match page {
                0 => matches!(index, 2 | 4 | 5 | 6 | 8..=15),
                1 => matches!(index, 1 | 3 | 7),
                3 => matches!(index, 1 | 3 | 15),
                _ => false,
            };
            if !known {
                return Err(DecodeError::Invalid("reserved FAU special entry"));
            }
            Src::Special {
                page,
                index,
                word: v & 1,
            }
        }
    })
}

fn flow(w: u64) -> Result<Flow, DecodeError> {
    Ok(match bits(w, 59, 4) {
        0 => Flow::None,
        m @ 1..=7 => Flow::Wait(m as u8),
        8 => Flow::Wait(0b0100_0111),
        9 => Flow::WaitAll,
        10 => Flow::Reconverge,
        13 => Flow::Discard,
        15 => Flow::End,
        _ => return Err(DecodeError::Invalid("reserved flow")),
    })
}

fn dest(w: u64) -> Result<Dest, DecodeError> {
    let mask = bits(w, 46, 2) as u8;
    if mask == 0 {
        return Err(DecodeError::Invalid("empty write mask"));
    }
    Ok(Dest {
        reg: bits(w, 40, 6) as u8,
        mask,
    })
}

/// A 32-bit integer source's widen field (`Swizzles (32-bit)`).
fn widen(v: u32) -> Result<Widen, DecodeError> {
    Ok(match v {
        0 => Widen::None,
        2 | 3 => Widen::Half(v as u8 - 2),
        4..=7 => Widen::Byte(v as u8 - 4),
        _ => return Err(DecodeError::Invalid("reserved widen")),
    })
}

/// Source `i`'s float modifiers of a 32-bit float instruction.
fn fmod(w: u64, i: u32) -> Result<FMod, DecodeError> {
    let half = match bits(w, 24 + (2 - i) * 2, 2) {
        0 => None,
        1 => Some(0),
        2 => Some(1),
        _ => return Err(DecodeError::Invalid("reserved float widen")),
    };
    Ok(FMod {
        neg: bit(w, 34 + (2 - i) * 2),
        abs: bit(w, 35 + (2 - i) * 2),
        half,
    })
}

fn cmp(w: u64, float: bool) -> Result<Cmp, DecodeError> {
    Ok(match bits(w, 32, 3) {
        0 => Cmp::Eq,
        1 => Cmp::Gt,
        2 => Cmp::Ge,
        3 => Cmp::Ne,
        4 => Cmp::Lt,
        5 => Cmp::Le,
        6 if float => Cmp::GtLt,
        7 if float => Cmp::Total,
        _ => return Err(DecodeError::Invalid("condition not defined for integers")),
    })
}

fn result_type(w: u64) -> Result<ResultType, DecodeError> {
    match bits(w, 30, 2) {
        0 => Ok(ResultType::I1),
        1 => Ok(ResultType::F1),
        2 => Ok(ResultType::M1),
        _ => Err(DecodeError::unimplemented("comparison result type u1", 0)),
    }
}

fn clamp(w: u64) -> Clamp {
    match bits(w, 32, 2) {
        0 => Clamp::None,
        1 => Clamp::ZeroInf,
        2 => Clamp::MinusOneOne,
        _ => Clamp::ZeroOne,
    }
}

fn round(w: u64) -> Round {
    match bits(w, 30, 2) {
        0 => Round::Rte,
        1 => Round::Rtp,
        2 => Round::Rtn,
        _ => Round::Rtz,
    }
}

/// The half selected by a 2-bit `Swizzles (16-bit)` value for a scalar 16-bit source (its first lane).
fn half_of_swizzle(v: u32) -> u8 {
    // h00, h10, h01, h11: the first letter names lane 0's half.
    match v {
        1 | 3 => 1,
        _ => 0,
    }
}

/// The branch lane (`Combine`) of BRANCHZ/BRANCHZI's condition source.
fn branch_half(w: u64) -> Result<Option<u8>, DecodeError> {
    match bits(w, 37, 3) {
        0 => Ok(None),
        1 => Ok(Some(0)),
        2 => Ok(Some(1)),
        3 | 4 => Err(DecodeError::unimplemented("BRANCHZ.and/.lowbits", 0x1F)),
        _ => Err(DecodeError::Invalid("reserved branch combine")),
    }
}

/// Mnemonics of known instruction groups the model does not execute, by primary opcode.
fn unimplemented_name(op: u16) -> &'static str {
    match op {
        0x20 => "DISCARD.f32",
        0x41 | 0x54..=0x56 | 0x5C | 0x5D | 0x64 | 0x6C | 0x6D => "LD_VAR",
        0x66 | 0x76 => "LD_ATTR/LD_TEX",
        0x67 | 0x77 => "LEA_ATTR/LEA_TEX",
        0x71 => "ST_CVT",
        0x78 => "LD_TILE",
        0x79 => "ST_TILE",
        0x7D => "ATEST",
        0x7E => "ZS_EMIT",
        0x7F => "BLEND",
        0x98 => "FLUSH",
        0x9C => "SFU table operation",
        0xA1 | 0xA2 | 0xA9 | 0xAA => "16/8-bit vector integer arithmetic",
        0xA5 => "16-bit vector float arithmetic",
        0xB3 => "FMA.v2f16",
        0xB5 | 0xB6 => "16/8-bit vector shift",
        0xB9 | 0xBA => "MUX.v2i16/v4i8",
        0xBC => "CUBE_SSEL/CUBE_TSEL",
        0xC0 | 0xC1 => "CUBEFACE",
        0xC2 => "IDP",
        0xF1 | 0xF2 | 0xF9 | 0xFA => "ICMP on 16/8-bit vectors",
        0xF5 => "FCMP.v2f16",
        0x111 | 0x112 => "IADD_IMM on vectors",
        0x115 => "FADD_IMM.v2f16",
        0x125 | 0x128..=0x12A | 0x12F => "TEX",
        0x130..=0x132 | 0x137..=0x13A | 0x13F => "VAR_TEX",
        0x151 | 0x155 | 0x159 => "CSEL on 16-bit vectors",
        0x160..=0x163 => "FMA_RSCALE",
        0x191 => "NOT_OLD.i64",
        _ => "opcode",
    }
}

/// Decodes one instruction word.
pub fn decode(w: u64) -> Result<Instr, DecodeError> {
    if w == 0 {
        return Err(DecodeError::Invalid("all-zero word"));
    }
    if bit(w, 63) {
        return Err(DecodeError::Invalid("reserved bit 63"));
    }
    let flow = flow(w)?;
    let page = bits(w, 57, 2) as u8;
    let opcode = bits(w, 48, 9) as u16;
    let mut nsrc = 0u32;
    let mut has_dest = true;
    let unimpl = |name| Err(DecodeError::unimplemented(name, opcode));
    let op = match opcode {
        0x000 => {
            has_dest = false;
            Op::Nop
        }
        0x01F => {
            has_dest = false;
            nsrc = 1;
            Op::BranchZ {
                half: branch_half(w)?,
                eq: bit(w, 36),
                offset: ((bits(w, 8, 27) << 5) as i32) >> 5,
            }
        }
        0x02F => {
            has_dest = false;
            nsrc = 2;
            Op::BranchZI {
                half: branch_half(w)?,
                eq: bit(w, 36),
                absolute: bit(w, 40),
            }
        }
        0x045 => {
            has_dest = false;
            Op::Barrier
        }
        0x150 | 0x158 | 0x154 => {
            nsrc = 4;
            let ty = match opcode {
                0x150 => CmpTy::U32,
                0x158 => CmpTy::S32,
                _ => CmpTy::F32,
            };
            Op::Csel {
                cmp: cmp(w, ty == CmpTy::F32)?,
                ty,
            }
        }
        0x05E => {
            has_dest = false;
            nsrc = 1;
            Op::LeaBufImm {
                sr: bits(w, 40, 6) as u8,
                table: bits(w, 8, 4) as u8,
                index: bits(w, 12, 8) as u8,
            }
        }
        0x060 | 0x061 => {
            has_dest = false;
            nsrc = 1;
            let size = bits(w, 27, 3);
            let bytes = [1, 2, 3, 4, 6, 8, 12, 16][size as usize];
            let sr = bits(w, 40, 6) as u8;
            let offset = bits(w, 8, 16) as u16 as i16;
            if opcode == 0x060 {
                Op::Load {
                    bytes,
                    lane: bits(w, 36, 3) as u8,
                    unsigned: bit(w, 39),
                    sr,
                    offset,
                }
            } else {
                Op::Store { bytes, sr, offset }
            }
        }
        0x06A => {
            has_dest = false;
            nsrc = 2;
            Op::LdBuffer {
                bytes: [1, 2, 3, 4, 6, 8, 12, 16][bits(w, 27, 3) as usize],
                lane: bits(w, 36, 3) as u8,
                unsigned: bit(w, 39),
                sr: bits(w, 40, 6) as u8,
            }
        }
        0x06B => {
            has_dest = false;
            nsrc = 2;
            Op::LeaBuffer {
                sr: bits(w, 40, 6) as u8,
            }
        }
        0x068 | 0x069 | 0x120 => {
            has_dest = false;
            nsrc = 1;
            let wide = match bits(w, 27, 3) {
                3 => false,
                5 => true,
                _ => return Err(DecodeError::Invalid("atomic memory width")),
            };
            let offset = bits(w, 8, 8) as u8;
            let sr40 = bits(w, 40, 6) as u8;
            if opcode == 0x069 {
                let op = match bits(w, 22, 4) {
                    0 => AtomOp::Inc,
                    1 => AtomOp::Dec,
                    2 => AtomOp::Umax1,
                    3 => AtomOp::Smax1,
                    4 => AtomOp::Or1,
                    _ => return Err(DecodeError::Invalid("reserved atomic-with-1 operation")),
                };
                // Without a return, Mesa sets the staging count to 0 (and the read flag as a placeholder).
                let ret = (bits(w, 33, 3) != 0).then_some(sr40);
                Op::Atom {
                    op,
                    wide,
                    data: None,
                    ret,
                    compare: false,
                    offset,
                }
            } else {
                let op = match bits(w, 22, 4) {
                    2 => AtomOp::Add,
                    8 => AtomOp::Smin,
                    9 => AtomOp::Smax,
                    10 => AtomOp::Umin,
                    11 => AtomOp::Umax,
                    12 => AtomOp::And,
                    13 => AtomOp::Or,
                    14 => AtomOp::Xor,
                    15 => AtomOp::Xchg,
                    _ => return Err(DecodeError::Invalid("reserved atomic operation")),
                };
                let ret = (opcode == 0x120).then_some(bits(w, 16, 6) as u8);
                let compare = opcode == 0x120 && bit(w, 26);
                if compare && op != AtomOp::Xchg {
                    return Err(DecodeError::Invalid(".compare without axchg"));
                }
                if op == AtomOp::Xchg && ret.is_none() {
                    return Err(DecodeError::Invalid("axchg must return"));
                }
                Op::Atom {
                    op,
                    wide,
                    data: Some(sr40),
                    ret,
                    compare,
                    offset,
                }
            }
        }
        0x090 => {
            nsrc = 1;
            let sec = bits(w, 16, 5);
            let kind = match sec {
                9 => Cvt::S32ToF32,
                25 => Cvt::U32ToF32,
                12 => Cvt::F32ToS32,
                28 => Cvt::F32ToU32,
                4 => Cvt::S16ToS32,
                20 => Cvt::U16ToU32,
                5 => Cvt::S16ToF32,
                21 => Cvt::U16ToF32,
                0 => Cvt::S8ToS32,
                16 => Cvt::U8ToU32,
                1 => Cvt::S8ToF32,
                17 => Cvt::U8ToF32,
                11 => Cvt::F16ToF32,
                13 => Cvt::Fround,
                _ => return unimpl("conversion on 16/8-bit vectors"),
            };
            let (fm, lane) = match kind {
                Cvt::F32ToS32 | Cvt::F32ToU32 => (
                    FMod {
                        neg: bit(w, 38),
                        abs: bit(w, 39),
                        half: None,
                    },
                    0,
                ),
                Cvt::Fround => (fmod(w, 0)?, 0),
                Cvt::S16ToS32 | Cvt::U16ToU32 | Cvt::S16ToF32 | Cvt::U16ToF32 => {
                    (FMod::default(), half_of_swizzle(bits(w, 28, 2)))
                }
                Cvt::S8ToS32 | Cvt::U8ToU32 | Cvt::S8ToF32 | Cvt::U8ToF32 => {
                    (FMod::default(), bits(w, 28, 2) as u8)
                }
                Cvt::F16ToF32 => (
                    FMod {
                        neg: bit(w, 38),
                        abs: bit(w, 39),
                        half: None,
                    },
                    bits(w, 28, 1) as u8,
                ),
                Cvt::S32ToF32 | Cvt::U32ToF32 => {
                    if bits(w, 36, 4) != 0 {
                        return unimpl("widened integer-to-float conversion");
                    }
                    (FMod::default(), 0)
                }
            };
            Op::Cvt {
                kind,
                round: round(w),
                fmod: fm,
                lane,
            }
        }
        0x091 => {
            nsrc = 1;
            let u = match bits(w, 16, 4) {
                0 => Unary::Mov,
                4 => Unary::Clz,
                8 => Unary::Iabs,
                12 => Unary::Popcount,
                13 => Unary::Bitrev,
                14 => Unary::Not,
                5 | 6 | 9 | 10 => return unimpl("CLZ/IABS on 16/8-bit vectors"),
                _ => return Err(DecodeError::Invalid("reserved opcode 0x91 operation")),
            };
            if u == Unary::Iabs && bits(w, 36, 4) != 0 {
                return unimpl("IABS with a widened source");
            }
            Op::Unary(u)
        }
        0x09C if matches!(bits(w, 16, 4), 0 | 2) => {
            nsrc = 1;
            Op::Recip {
                sqrt: bits(w, 16, 4) == 2,
                fmod: fmod(w, 0)?,
            }
        }
        0x0A0 | 0x0A8 if bits(w, 16, 4) == 15 => {
            nsrc = 2;
            let xor = match bits(w, 32, 2) {
                0 => false,
                1 => true,
                _ => return unimpl("CLPER.accumulate/.shift"),
            };
            let lane = match bits(w, 26, 4) {
                l @ 4..=7 => (l - 4) as u8,
                _ => return Err(DecodeError::Invalid("CLPER lane")),
            };
            Op::Clper {
                subgroup: 2 << bits(w, 36, 2),
                xor,
                inactive: INACTIVE_RESULTS[bits(w, 22, 4) as usize],
                lane,
            }
        }
        0x095 => {
            nsrc = 1;
            Op::Wmask {
                subgroup: 2 << bits(w, 36, 2),
            }
        }
        0x0A0 | 0x0A8 | 0x1A3 | 0x1AB => {
            nsrc = 2;
            let wide = opcode & 0x100 != 0;
            let signed = opcode & 0x08 != 0;
            let sec = bits(w, 16, 4);
            if wide && sec == 7 {
                if bits(w, 26, 4) != 0 {
                    return unimpl("SHADDX with a widened source");
                }
                Op::Shaddx {
                    signed,
                    shift: bits(w, 20, 3) as u8,
                }
            } else {
                let op = match sec {
                    0 => IntOp::Add,
                    1 => IntOp::Sub,
                    10 if !wide => IntOp::Mul,
                    10 => return unimpl("IMULD.u64"),
                    6 => return unimpl("SEG_ADD.u64"),
                    11 => return unimpl("HADD"),
                    15 => return unimpl("CLPER on 64 bits"),
                    _ => return Err(DecodeError::Invalid("reserved integer operation")),
                };
                let ty = match (wide, signed) {
                    (false, false) => IntTy::U32,
                    (false, true) => IntTy::S32,
                    (true, false) => IntTy::U64,
                    (true, true) => IntTy::S64,
                };
                let widen = [widen(bits(w, 36, 4))?, widen(bits(w, 26, 4))?];
                if wide && widen != [Widen::None; 2] {
                    return unimpl("widened 64-bit integer source");
                }
                Op::Int {
                    op,
                    ty,
                    widen,
                    saturate: bit(w, 30),
                }
            }
        }
        0x0A4 => {
            nsrc = 2;
            let op = match bits(w, 16, 4) {
                0 => FOp::Add,
                2 => FOp::Min,
                3 => FOp::Max,
                6 => {
                    return finish(
                        w,
                        Op::Ldexp {
                            fmod: FMod {
                                neg: bit(w, 38),
                                abs: bit(w, 39),
                                half: None,
                            },
                            round: round(w),
                        },
                        2,
                        true,
                        flow,
                        page,
                    )
                }
                8 => return unimpl("FEXP.f32"),
                9 => return unimpl("FADD_LSCALE.f32"),
                14 => return unimpl("FATAN_ASSIST.f32"),
                _ => return Err(DecodeError::Invalid("reserved float operation")),
            };
            Op::FBin {
                op,
                mods: [fmod(w, 0)?, fmod(w, 1)?],
                clamp: clamp(w),
            }
        }
        0x0B2 => {
            nsrc = 3;
            Op::Fma {
                mods: [fmod(w, 0)?, fmod(w, 1)?, fmod(w, 2)?],
                clamp: clamp(w),
            }
        }
        0x0B4 | 0x1B7 => {
            nsrc = 3;
            let sec = bits(w, 24, 2);
            let logic = match sec {
                0 => Logic::And,
                1 => Logic::Or,
                2 => Logic::Xor,
                _ => return Err(DecodeError::Invalid("reserved shift operation")),
            };
            let lane = match bits(w, 26, 4) {
                l @ 4..=7 => (l - 4) as u8,
                _ => return Err(DecodeError::Invalid("shift lane")),
            };
            let wide = opcode == 0x1B7;
            let widen = widen(bits(w, 36, 4))?;
            if wide && widen != Widen::None {
                return unimpl("widened 64-bit shift source");
            }
            Op::Shift {
                left: bit(w, 32),
                logic,
                wide,
                signed: bit(w, 34),
                not_b: bit(w, 35),
                not_result: bit(w, 30),
                widen,
                lane,
            }
        }
        0x0B8 => {
            nsrc = 3;
            Op::Mux(match bits(w, 32, 2) {
                0 => MuxMode::Neg,
                1 => MuxMode::IntZero,
                2 => MuxMode::FpZero,
                _ => MuxMode::Bit,
            })
        }
        0x0F0 | 0x0F8 => {
            nsrc = 3;
            let and = match bits(w, 24, 2) {
                0 => false,
                1 => true,
                2 => return unimpl("ICMP_MULTI"),
                _ => return Err(DecodeError::Invalid("reserved compare operation")),
            };
            Op::Icmp {
                cmp: cmp(w, false)?,
                signed: opcode == 0x0F8,
                and,
                result: result_type(w)?,
                widen: [widen(bits(w, 36, 4))?, widen(bits(w, 26, 4))?],
            }
        }
        0x0F4 => {
            nsrc = 3;
            let and = match bits(w, 24, 2) {
                0 => false,
                1 => true,
                _ => return Err(DecodeError::Invalid("reserved compare operation")),
            };
            Op::Fcmp {
                cmp: cmp(w, true)?,
                and,
                result: result_type(w)?,
                mods: [fmod(w, 0)?, fmod(w, 1)?],
            }
        }
        0x099 => {
            nsrc = 1;
            if bits(w, 24, 2) != 0 {
                return unimpl("FREXPM/FREXPE.sqrt/.log");
            }
            let exponent = match bits(w, 16, 4) {
                0 => false,
                2 => true,
                1 | 3 => return unimpl("FREXPM/FREXPE.v2f16"),
                _ => return Err(DecodeError::Invalid("reserved FREXP operation")),
            };
            Op::Frexp {
                exponent,
                half: fmod(w, 0)?.half,
            }
        }
        0x0A5 if bits(w, 16, 4) == 4 => {
            nsrc = 2;
            let plain = |i: u32| FMod {
                neg: bit(w, 34 + (2 - i) * 2),
                abs: bit(w, 35 + (2 - i) * 2),
                half: None,
            };
            Op::V2f32ToV2f16 {
                mods: [plain(0), plain(1)],
                round: round(w),
                clamp: clamp(w),
            }
        }
        0x0BD => {
            nsrc = 3;
            Op::MkvecV2i8 {
                lanes: [bits(w, 38, 2) as u8, bits(w, 36, 2) as u8],
            }
        }
        0x0A1 if bits(w, 16, 4) == 5 => {
            nsrc = 2;
            Op::MkvecV2i16 {
                halves: [
                    half_of_swizzle(bits(w, 28, 2)),
                    half_of_swizzle(bits(w, 26, 2)),
                ],
            }
        }
        0x110..=0x112 => {
            nsrc = 1;
            Op::IAddImm {
                lane_bits: [32, 16, 8][usize::from(opcode - 0x110)],
                imm: bits(w, 8, 32),
            }
        }
        0x114 => {
            nsrc = 1;
            Op::FAddImm {
                imm: bits(w, 8, 32),
            }
        }
        _ => return unimpl(unimplemented_name(opcode)),
    };
    finish(w, op, nsrc, has_dest, flow, page)
}

/// The sources and destination common to every instruction.
fn finish(
    w: u64,
    op: Op,
    nsrc: u32,
    has_dest: bool,
    flow: Flow,
    page: u8,
) -> Result<Instr, DecodeError> {
    let mut src = [Src::None; 4];
    for (i, s) in src.iter_mut().enumerate().take(nsrc as usize) {
        *s = source(bits(w, 8 * i as u32, 8), page)?;
    }
    let dest = if has_dest { Some(dest(w)?) } else { None };
    Ok(Instr {
        op,
        src,
        dest,
        flow,
    })
}
