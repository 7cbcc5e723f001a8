// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoding the memory instructions: global LOAD/STORE, the atomics, LD_BUFFER, LEA_BUFFER and LEA_BUF_IMM.

use super::fields::{bit, bits};
use super::{AtomOp, DecodeError, Op};

/// The operation, source count and whether it writes a destination, when `opcode` is one of this module's.
pub(super) fn decode(opcode: u16, w: u64) -> Result<Option<(Op, u32, bool)>, DecodeError> {
    let nsrc: u32;
    let has_dest: bool;
    let op = match opcode {
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
        _ => return Ok(None),
    };
    Ok(Some((op, nsrc, has_dest)))
}
