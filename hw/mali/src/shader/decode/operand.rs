// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What an instruction's fields name: source operands (registers, FAU words, the constant table, special FAU values),
//! the destination, the flow field, and the decoded [`Instr`] that holds them with its [`Op`].

use super::op::Op;

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
pub(super) const INACTIVE_RESULTS: [u32; 16] = [
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
