// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoding the instructions on 16- and 8-bit lanes and f16 pairs, and the f32-to-f16 pair conversion.

use super::fields::{
    bit, bits, clamp, cmp, fmod16, result_type, round, swizzle16, swizzle_defined,
};
use super::{DecodeError, FMod, FOp, IntOp, Lanes, Logic, MuxMode, Op, ResultType};

/// The operation, source count and whether it writes a destination, when `opcode` is one of this module's.
pub(super) fn decode(opcode: u16, w: u64) -> Result<Option<(Op, u32, bool)>, DecodeError> {
    let nsrc: u32;
    let op = match opcode {
        0x0A5 if matches!(bits(w, 16, 4), 0 | 2 | 3) => {
            nsrc = 2;
            Op::F16Bin {
                op: match bits(w, 16, 4) {
                    0 => FOp::Add,
                    2 => FOp::Min,
                    _ => FOp::Max,
                },
                mods: [fmod16(w, 0), fmod16(w, 1)],
                swz: [swizzle16(w, 0), swizzle16(w, 1)],
                clamp: clamp(w),
            }
        }
        0x0B3 => {
            nsrc = 3;
            Op::F16Fma {
                mods: [fmod16(w, 0), fmod16(w, 1), fmod16(w, 2)],
                swz: [swizzle16(w, 0), swizzle16(w, 1), swizzle16(w, 2)],
                clamp: clamp(w),
            }
        }
        0x0F5 => {
            nsrc = 3;
            let and = match bits(w, 24, 2) {
                0 => false,
                1 => true,
                _ => return Err(DecodeError::Invalid("reserved compare operation")),
            };
            Op::F16Cmp {
                cmp: cmp(w, true)?,
                and,
                result: result_type(w)?,
                mods: [fmod16(w, 0), fmod16(w, 1)],
                swz: [swizzle16(w, 0), swizzle16(w, 1)],
            }
        }
        0x155 => {
            nsrc = 4;
            Op::CselF16 { cmp: cmp(w, true)? }
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
        0x0A1 | 0x0A2 | 0x0A9 | 0x0AA if matches!(bits(w, 16, 4), 0 | 1 | 10) => {
            nsrc = 2;
            let lanes = if opcode & 0xF == 1 || opcode & 0xF == 9 {
                Lanes::V2
            } else {
                Lanes::V4
            };
            let swz = [bits(w, 36, 4) as u8, bits(w, 26, 4) as u8];
            if swz.iter().any(|v| !swizzle_defined(lanes, *v)) {
                return Err(DecodeError::Invalid("reserved lane swizzle"));
            }
            Op::IntV {
                op: match bits(w, 16, 4) {
                    0 => IntOp::Add,
                    1 => IntOp::Sub,
                    _ => IntOp::Mul,
                },
                lanes,
                signed: opcode & 0x08 != 0,
                saturate: bit(w, 30),
                swz,
            }
        }
        0x0B5 | 0x0B6 => {
            nsrc = 3;
            let lanes = if opcode == 0x0B5 {
                Lanes::V2
            } else {
                Lanes::V4
            };
            let logic = match bits(w, 24, 2) {
                0 => Logic::And,
                1 => Logic::Or,
                2 => Logic::Xor,
                _ => return Err(DecodeError::Invalid("reserved shift operation")),
            };
            let lane = match bits(w, 26, 4) {
                l @ 4..=7 => (l - 4) as u8,
                _ => return Err(DecodeError::Invalid("shift lane")),
            };
            let swz = bits(w, 36, 4) as u8;
            if !swizzle_defined(lanes, swz) {
                return Err(DecodeError::Invalid("reserved lane swizzle"));
            }
            Op::ShiftV {
                lanes,
                left: bit(w, 32),
                logic,
                signed: bit(w, 34),
                not_b: bit(w, 35),
                not_result: bit(w, 30),
                swz,
                lane,
            }
        }
        0x0B9 | 0x0BA => {
            nsrc = 3;
            let (lanes, swz) = if opcode == 0x0B9 {
                let s = |i: u32| bits(w, 24 + (2 - i) * 2, 2) as u8;
                (Lanes::V2, [s(0), s(1), s(2)])
            } else {
                (Lanes::V4, [0; 3])
            };
            Op::MuxV {
                lanes,
                mode: match bits(w, 32, 2) {
                    0 => MuxMode::Neg,
                    1 => MuxMode::IntZero,
                    2 => MuxMode::FpZero,
                    _ => MuxMode::Bit,
                },
                swz,
            }
        }
        0x151 | 0x159 => {
            nsrc = 4;
            Op::CselV {
                cmp: cmp(w, false)?,
                signed: opcode == 0x159,
            }
        }
        0x0F1 | 0x0F2 | 0x0F9 | 0x0FA => {
            nsrc = 3;
            let lanes = if opcode & 0xF == 1 || opcode & 0xF == 9 {
                Lanes::V2
            } else {
                Lanes::V4
            };
            let and = match bits(w, 24, 2) {
                0 => false,
                1 => true,
                _ => return Err(DecodeError::Invalid("reserved compare operation")),
            };
            let result = result_type(w)?;
            if lanes == Lanes::V4 && result == ResultType::F1 {
                return Err(DecodeError::Invalid("f1 result on 8-bit lanes"));
            }
            let swz = [bits(w, 36, 4) as u8, bits(w, 26, 4) as u8];
            if swz.iter().any(|v| !swizzle_defined(lanes, *v)) {
                return Err(DecodeError::Invalid("reserved lane swizzle"));
            }
            Op::IcmpV {
                lanes,
                cmp: cmp(w, false)?,
                signed: opcode & 0x08 != 0,
                and,
                result,
                swz,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some((op, nsrc, true)))
}
