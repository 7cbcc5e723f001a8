// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Reading the fields shared by many instructions: bit ranges, source bytes, the destination and flow fields, widen
//! and float-modifier fields, conditions, result types, clamps, round modes, lane selects.

use super::{
    Clamp, Cmp, DecodeError, Dest, FMod, Flow, Lanes, ResultType, Round, Src, Widen, IMMEDIATES,
};

pub(super) fn bits(w: u64, lo: u32, n: u32) -> u32 {
    ((w >> lo) & ((1u64 << n) - 1)) as u32
}

pub(super) fn bit(w: u64, b: u32) -> bool {
    (w >> b) & 1 != 0
}

pub(super) fn source(byte: u32, page: u8) -> Result<Src, DecodeError> {
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

pub(super) fn flow(w: u64) -> Result<Flow, DecodeError> {
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

pub(super) fn dest(w: u64) -> Result<Dest, DecodeError> {
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
pub(super) fn widen(v: u32) -> Result<Widen, DecodeError> {
    Ok(match v {
        0 => Widen::None,
        2 | 3 => Widen::Half(v as u8 - 2),
        4..=7 => Widen::Byte(v as u8 - 4),
        _ => return Err(DecodeError::Invalid("reserved widen")),
    })
}

/// Source `i`'s float modifiers of a 32-bit float instruction.
pub(super) fn fmod(w: u64, i: u32) -> Result<FMod, DecodeError> {
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

pub(super) fn cmp(w: u64, float: bool) -> Result<Cmp, DecodeError> {
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

pub(super) fn result_type(w: u64) -> Result<ResultType, DecodeError> {
    match bits(w, 30, 2) {
        0 => Ok(ResultType::I1),
        1 => Ok(ResultType::F1),
        2 => Ok(ResultType::M1),
        _ => Err(DecodeError::unimplemented("comparison result type u1", 0)),
    }
}

pub(super) fn clamp(w: u64) -> Clamp {
    match bits(w, 32, 2) {
        0 => Clamp::None,
        1 => Clamp::ZeroInf,
        2 => Clamp::MinusOneOne,
        _ => Clamp::ZeroOne,
    }
}

pub(super) fn round(w: u64) -> Round {
    match bits(w, 30, 2) {
        0 => Round::Rte,
        1 => Round::Rtp,
        2 => Round::Rtn,
        _ => Round::Rtz,
    }
}

/// The half selected by a 2-bit `Swizzles (16-bit)` value for a scalar 16-bit source (its first lane).
pub(super) fn half_of_swizzle(v: u32) -> u8 {
    // h00, h10, h01, h11: the first letter names lane 0's half.
    match v {
        1 | 3 => 1,
        _ => 0,
    }
}

/// The branch lane (`Combine`) of BRANCHZ/BRANCHZI's condition source.
pub(super) fn branch_half(w: u64) -> Result<Option<u8>, DecodeError> {
    match bits(w, 37, 3) {
        0 => Ok(None),
        1 => Ok(Some(0)),
        2 => Ok(Some(1)),
        3 | 4 => Err(DecodeError::unimplemented("BRANCHZ.and/.lowbits", 0x1F)),
        _ => Err(DecodeError::Invalid("reserved branch combine")),
    }
}

/// Mnemonics of known instruction groups the model does not execute, by primary opcode.
pub(super) fn unimplemented_name(op: u16) -> &'static str {
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
        0x98 => "FLUSH.v2f16",
        0x9C => "SFU table operation",
        0xA1 | 0xA2 | 0xA9 | 0xAA => "HADD/CLPER on 16/8-bit vectors",
        0xA5 => "LDEXP.v2f16",
        0xBC => "CUBE_SSEL/CUBE_TSEL",
        0xC0 | 0xC1 => "CUBEFACE",
        0xC2 => "IDP",
        0x115 => "FADD_IMM.v2f16",
        0x125 | 0x128..=0x12A | 0x12F => "TEX",
        0x130..=0x132 | 0x137..=0x13A | 0x13F => "VAR_TEX",
        0x160..=0x163 => "FMA_RSCALE",
        0x191 => "NOT_OLD.i64",
        _ => "opcode",
    }
}

/// Source `i`'s negate and absolute-value bits (16-bit float sources carry their swizzle separately).
pub(super) fn fmod16(w: u64, i: u32) -> FMod {
    FMod {
        neg: bit(w, 34 + (2 - i) * 2),
        abs: bit(w, 35 + (2 - i) * 2),
        half: None,
    }
}

/// Source `i`'s 2-bit `Swizzles (16-bit)` value (h00, h10, h01, h11).
pub(super) fn swizzle16(w: u64, i: u32) -> u8 {
    bits(w, 24 + (2 - i) * 2, 2) as u8
}

/// Whether `v` is a defined lane swizzle: `Swizzles (16-bit)` has 14 values, `Swizzles (8-bit)` 12.
pub(super) fn swizzle_defined(lanes: Lanes, v: u8) -> bool {
    match lanes {
        Lanes::V2 => v < 14,
        Lanes::V4 => v < 12,
    }
}
