// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoding one 64-bit Valhall (v10) instruction word into an [`Instr`] (`Documentation/hardware.md#shader-core`).
//!
//! Layout shared by every instruction: sources in bytes 0..3 (one byte each), the destination (register and write mask)
//! or the staging register in byte 5, the primary opcode in bits 48..56, the FAU page in bits 57..58, the flow field in
//! bits 59..62 and bit 63 reserved. Secondary opcodes and modifiers sit in the bits between, per instruction group.
//!
//! Only the subset the model executes decodes to an [`Op`]; a word outside it is a [`DecodeError`], which the shader
//! core reports as INSTR_INVALID_ENC when (and only when) a thread reaches it.

mod fields;
mod memory;
mod modifiers;
mod op;
mod operand;
#[cfg(test)]
mod tests;
mod vector;

use fields::{
    bit, bits, branch_half, clamp, cmp, dest, flow, fmod, fmod16, half_of_swizzle, result_type,
    round, source, swizzle_defined, unimplemented_name, widen,
};
pub use modifiers::{
    AtomOp, Clamp, Cmp, CmpTy, Cvt, FMod, FOp, IntOp, IntTy, Lanes, Logic, MuxMode, PairCvt,
    ResultType, Round, Unary, Widen,
};
pub use op::Op;
use operand::INACTIVE_RESULTS;
pub use operand::{special, Dest, Flow, Instr, Src, IMMEDIATES};

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
        _ if let Some(d) = memory::decode(opcode, w)? => {
            return finish(w, d.0, d.1, d.2, flow, page)
        }
        _ if let Some(d) = vector::decode(opcode, w)? => {
            return finish(w, d.0, d.1, d.2, flow, page)
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
                10 => Cvt::F16ToS32,
                26 => Cvt::F16ToU32,
                7 | 23 | 14 | 30 | 15 => {
                    let kind = match sec {
                        7 => PairCvt::S16ToF16,
                        23 => PairCvt::U16ToF16,
                        14 => PairCvt::F16ToS16,
                        30 => PairCvt::F16ToU16,
                        _ => PairCvt::Fround,
                    };
                    let swz = match kind {
                        PairCvt::S16ToF16 | PairCvt::U16ToF16 => bits(w, 36, 4) as u8,
                        _ => bits(w, 28, 2) as u8,
                    };
                    if !swizzle_defined(Lanes::V2, swz) {
                        return Err(DecodeError::Invalid("reserved lane swizzle"));
                    }
                    return finish(
                        w,
                        Op::PairCvt {
                            kind,
                            round: round(w),
                            fmod: fmod16(w, 0),
                            swz,
                        },
                        1,
                        true,
                        flow,
                        page,
                    );
                }
                _ => return unimpl("8-bit vector conversion"),
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
                Cvt::F16ToS32 | Cvt::F16ToU32 => (fmod16(w, 0), half_of_swizzle(bits(w, 28, 2))),
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
                5 | 6 | 9 | 10 => {
                    let sec = bits(w, 16, 4);
                    let lanes = if sec == 5 || sec == 9 {
                        Lanes::V2
                    } else {
                        Lanes::V4
                    };
                    let swz = match sec {
                        5 => bits(w, 28, 2) as u8,
                        9 => bits(w, 36, 4) as u8,
                        _ => 0,
                    };
                    if !swizzle_defined(lanes, swz) {
                        return Err(DecodeError::Invalid("reserved lane swizzle"));
                    }
                    return finish(
                        w,
                        Op::LaneUnary {
                            abs: sec >= 9,
                            lanes,
                            swz,
                        },
                        1,
                        true,
                        flow,
                        page,
                    );
                }
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
        0x098 if bits(w, 16, 4) == 0 => {
            nsrc = 1;
            let nan = bits(w, 8, 2);
            if nan == 3 {
                return Err(DecodeError::Invalid("reserved NaN mode"));
            }
            Op::Flush {
                fmod: fmod(w, 0)?,
                flush_nan: nan == 1,
                quiet_nan: nan == 2,
                ftz: bit(w, 10),
                flush_inf: bit(w, 11),
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
