// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoder tests, by kind of operation. Every word is what Mesa's Valhall assembler (`asm.py`) emits for the
//! assembly in the comment.

use super::*;

mod arith;
mod flow_memory;
mod lanes;

fn r(n: u8) -> Src {
    Src::Reg { n, discard: false }
}

fn d(reg: u8) -> Option<Dest> {
    Some(Dest { reg, mask: 3 })
}
