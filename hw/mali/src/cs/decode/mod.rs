// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoding one 64-bit v10 instruction word into an [`Instr`] (`Documentation/hardware.md#encodings`, Mesa `v10.xml`).
//!
//! The decoder is the only place that knows bit positions. It validates what can be validated without machine state:
//! the opcode exists on v10, register indices are below [`REG_COUNT`], 64-bit operands name an even register, enum fields
//! hold defined values, and scoreboard slots exist. Unused bits are ignored (Mesa packs them as 0; what silicon does with
//! them is unknown, `Documentation/hardware.md#encodings`).

/// Work registers of a v10 CS (CS features 7:0 + 1).
pub const REG_COUNT: usize = 96;
/// Scoreboard entries of a v10 CS (CS features 15:8).
pub const SB_COUNT: usize = 8;

/// A register index checked against [`REG_COUNT`].
pub type Reg = u8;

/// Why a word is not a valid v10 instruction. Every variant is reported as CS_INSTR_INVALID (0x49).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The opcode is not defined on v10.
    #[error("opcode {0} is not defined on v10")]
    Undefined(u8),
    /// The opcode exists from v12 on but not on v10 (`Documentation/hardware.md#not-in-v10`).
    #[error("opcode {0} exists only from v12 on")]
    AbsentOnV10(u8),
    /// A register index is 96 or more.
    #[error("register r{0} does not exist")]
    BadRegister(u32),
    /// A 64-bit operand names an odd register (or the pair runs past r95).
    #[error("64-bit operand d{0} is not an even register pair")]
    BadPair(u32),
    /// A field holds a value its enum does not define.
    #[error("field {field} holds undefined value {value}")]
    BadField {
        /// The field's name.
        field: &'static str,
        /// The value found.
        value: u32,
    },
}

/// Comparison conditions (`CS Condition`, `Documentation/hardware.md#encodings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// ≤ (0).
    LessEqual,
    /// > (1).
    Greater,
    /// = (2).
    Equal,
    /// ≠ (3).
    NotEqual,
    /// < (4).
    Less,
    /// ≥ (5).
    GreaterEqual,
    /// Always (6).
    Always,
}

impl Cond {
    fn from_bits(v: u32) -> Option<Self> {
        Some(match v {
            0 => Self::LessEqual,
            1 => Self::Greater,
            2 => Self::Equal,
            3 => Self::NotEqual,
            4 => Self::Less,
            5 => Self::GreaterEqual,
            6 => Self::Always,
            _ => return None,
        })
    }

    /// The encoding (`status_wait` bits 27:24 report it).
    pub fn bits(self) -> u32 {
        self as u32
    }

    /// Whether `a cond b` holds for an ordered type (BRANCH compares signed with 0, SYNC_WAIT unsigned).
    pub fn holds<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            Self::LessEqual => a <= b,
            Self::Greater => a > b,
            Self::Equal => a == b,
            Self::NotEqual => a != b,
            Self::Less => a < b,
            Self::GreaterEqual => a >= b,
            Self::Always => true,
        }
    }
}

/// The scoreboard fields of an asynchronous instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Async {
    /// Entry incremented while the operation is outstanding (`None` when a conditionally-asynchronous instruction has a
    /// zero wait mask and so runs synchronously).
    pub signal: Option<u8>,
    /// Entries that must be idle before the operation starts.
    pub wait: u8,
}

/// Width of a sync object (`Documentation/hardware.md#sync-objects-in-gpu-memory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 32-bit seqno at +0, status at +4.
    W32,
    /// 64-bit seqno at +0, status at +8.
    W64,
}

/// Which endpoint work a RUN_* launches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// RUN_COMPUTE (4).
    Compute,
    /// RUN_TILING (5, v10 only).
    Tiling,
    /// RUN_IDVS (6).
    Idvs,
    /// RUN_FRAGMENT (7).
    Fragment,
    /// RUN_FULLSCREEN (8).
    Fullscreen,
    /// RUN_COMPUTE_INDIRECT (44).
    ComputeIndirect,
}

/// One decoded v10 instruction.
///
/// Field names are those of the encoding tables in `Documentation/hardware.md#encodings`
/// (`dst`/`src`/`addr`/`data`/`len`/`base`/`value` are register indices, `addr` always an even pair; `sb` the
/// scoreboard fields; `offset` in bytes for memory operands and in instructions for BRANCH), so the fields carry no
/// separate docs.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instr {
    /// NOP (0).
    Nop,
    /// MOVE48 (1): `d[dst] ← imm` (48 bits, upper 16 cleared).
    Move48 { dst: Reg, imm: u64 },
    /// MOVE32 (2): `r[dst] ← imm`.
    Move32 { dst: Reg, imm: u32 },
    /// WAIT (3): block until every entry of `mask` is idle.
    Wait { mask: u8, progress: bool },
    /// RUN_* (4–8, 44): endpoint work, validated but not executed. `word` keeps the per-kind fields.
    Run { kind: RunKind, word: u64 },
    /// FINISH_TILING (9).
    FinishTiling { progress: bool },
    /// FINISH_FRAGMENT (11).
    FinishFragment {
        sb: Async,
        first: Reg,
        last: Reg,
        increment: bool,
    },
    /// ADD_IMMEDIATE32 (16).
    AddImm32 { dst: Reg, src: Reg, imm: i32 },
    /// ADD_IMMEDIATE64 (17).
    AddImm64 { dst: Reg, src: Reg, imm: i32 },
    /// COMPARE_SELECT32 in its v10 form UMIN32 (18).
    Umin32 { dst: Reg, a: Reg, b: Reg },
    /// LOAD_MULTIPLE (20).
    LoadMultiple {
        base: Reg,
        addr: Reg,
        mask: u16,
        offset: i16,
    },
    /// STORE_MULTIPLE (21).
    StoreMultiple {
        base: Reg,
        addr: Reg,
        mask: u16,
        offset: i16,
    },
    /// BRANCH (22): offset in instructions from the next one.
    Branch { value: Reg, cond: Cond, offset: i16 },
    /// SET_SB_ENTRY (23).
    SetSbEntry { endpoint: u8, other: u8 },
    /// PROGRESS_WAIT (24).
    ProgressWait { src: Reg, queue: u8 },
    /// SET_EXCEPTION_HANDLER (25).
    SetExceptionHandler { addr: Reg, len: Reg, kind: u8 },
    /// CALL (32).
    Call { addr: Reg, len: Reg },
    /// JUMP (33).
    Jump { addr: Reg, len: Reg },
    /// REQ_RESOURCE (34).
    ReqResource { mask: u8 },
    /// FLUSH_CACHE2 (36).
    FlushCache2 {
        sb: Async,
        flush_id: Reg,
        l2: u8,
        lsc: u8,
        other: u8,
    },
    /// SYNC_ADD32/64 (37/51).
    SyncAdd {
        width: Width,
        sb: Async,
        addr: Reg,
        data: Reg,
        propagate: bool,
        scope: u8,
    },
    /// SYNC_SET32/64 (38/52).
    SyncSet {
        width: Width,
        sb: Async,
        addr: Reg,
        data: Reg,
        propagate: bool,
        scope: u8,
    },
    /// SYNC_WAIT32/64 (39/53).
    SyncWait {
        width: Width,
        addr: Reg,
        data: Reg,
        cond: Cond,
        reject: bool,
    },
    /// STORE_STATE (40).
    StoreState {
        sb: Async,
        addr: Reg,
        state: u8,
        offset: i16,
    },
    /// PROT_REGION (41).
    ProtRegion { size: u16 },
    /// PROGRESS_STORE (42).
    ProgressStore { src: Reg },
    /// PROGRESS_LOAD (43).
    ProgressLoad { dst: Reg },
    /// ERROR_BARRIER (47).
    ErrorBarrier,
    /// HEAP_SET (48).
    HeapSet { addr: Reg },
    /// HEAP_OPERATION (49).
    HeapOperation { sb: Async, op: u8 },
    /// TRACE_POINT (50).
    TracePoint { sb: Async },
}

fn bits(w: u64, hi: u32, lo: u32) -> u32 {
    ((w >> lo) & ((1u64 << (hi - lo + 1)) - 1)) as u32
}

fn reg(v: u32) -> Result<Reg, DecodeError> {
    if (v as usize) < REG_COUNT {
        Ok(v as Reg)
    } else {
        Err(DecodeError::BadRegister(v))
    }
}

fn pair(v: u32) -> Result<Reg, DecodeError> {
    if v.is_multiple_of(2) && (v as usize) + 1 < REG_COUNT {
        Ok(v as Reg)
    } else {
        Err(DecodeError::BadPair(v))
    }
}

fn field(name: &'static str, value: u32, ok: bool) -> Result<(), DecodeError> {
    if ok {
        Ok(())
    } else {
        Err(DecodeError::BadField { field: name, value })
    }
}

/// Wait mask bits 31:16; only the 8 existing entries can be waited on (bits beyond them name no entry and are ignored).
fn wait_mask(w: u64) -> u8 {
    bits(w, 23, 16) as u8
}

fn signal_slot(w: u64) -> Result<u8, DecodeError> {
    let s = bits(w, 51, 48);
    field("signal slot", s, (s as usize) < SB_COUNT)?;
    Ok(s as u8)
}

/// Scoreboard fields of an instruction that is always asynchronous.
fn always_async(w: u64) -> Result<Async, DecodeError> {
    Ok(Async {
        signal: Some(signal_slot(w)?),
        wait: wait_mask(w),
    })
}

/// Scoreboard fields of an instruction that is asynchronous only with a non-zero wait mask
/// (`Documentation/hardware.md#encodings`).
fn async_if_waiting(w: u64) -> Result<Async, DecodeError> {
    let wait = wait_mask(w);
    let signal = if wait != 0 {
        Some(signal_slot(w)?)
    } else {
        None
    };
    Ok(Async { signal, wait })
}

fn sync_fields(w: u64, width: Width) -> Result<(Async, Reg, Reg, bool, u8), DecodeError> {
    let sb = async_if_waiting(w)?;
    let addr = pair(bits(w, 47, 40))?;
    let data = match width {
        Width::W32 => reg(bits(w, 39, 32))?,
        Width::W64 => pair(bits(w, 39, 32))?,
    };
    let scope = bits(w, 2, 1);
    field("sync scope", scope, scope == 0 || scope == 2)?;
    Ok((sb, addr, data, bits(w, 0, 0) != 0, scope as u8))
}

fn sync_wait(w: u64, width: Width) -> Result<Instr, DecodeError> {
    let addr = pair(bits(w, 47, 40))?;
    let data = match width {
        Width::W32 => reg(bits(w, 39, 32))?,
        Width::W64 => pair(bits(w, 39, 32))?,
    };
    let c = bits(w, 31, 28);
    let cond = Cond::from_bits(c).ok_or(DecodeError::BadField {
        field: "condition",
        value: c,
    })?;
    Ok(Instr::SyncWait {
        width,
        addr,
        data,
        cond,
        reject: bits(w, 0, 0) != 0,
    })
}

/// Decodes one instruction word.
pub fn decode(w: u64) -> Result<Instr, DecodeError> {
    let op = (w >> 56) as u8;
    Ok(match op {
        0 => Instr::Nop,
        1 => Instr::Move48 {
            dst: pair(bits(w, 55, 48))?,
            imm: w & 0xFFFF_FFFF_FFFF,
        },
        2 => Instr::Move32 {
            dst: reg(bits(w, 55, 48))?,
            imm: w as u32,
        },
        3 => Instr::Wait {
            mask: wait_mask(w),
            progress: bits(w, 32, 32) != 0,
        },
        4 | 5 | 6 | 7 | 8 | 44 => {
            let kind = match op {
                4 => RunKind::Compute,
                5 => RunKind::Tiling,
                6 => RunKind::Idvs,
                7 => RunKind::Fragment,
                8 => RunKind::Fullscreen,
                _ => RunKind::ComputeIndirect,
            };
            match kind {
                RunKind::Compute => {
                    let axis = bits(w, 15, 14);
                    field("task axis", axis, axis <= 2)?;
                }
                RunKind::Fragment => {
                    let order = bits(w, 7, 4);
                    field("tile order", order, matches!(order, 0 | 1 | 2 | 5 | 6))?;
                }
                RunKind::Idvs if bits(w, 34, 34) != 0 => {
                    reg(bits(w, 47, 40))?;
                }
                RunKind::Fullscreen => {
                    pair(bits(w, 47, 40))?;
                }
                _ => {}
            }
            Instr::Run { kind, word: w }
        }
        9 => Instr::FinishTiling {
            progress: bits(w, 32, 32) != 0,
        },
        11 => Instr::FinishFragment {
            sb: async_if_waiting(w)?,
            first: pair(bits(w, 47, 40))?,
            last: pair(bits(w, 39, 32))?,
            increment: bits(w, 0, 0) != 0,
        },
        16 => Instr::AddImm32 {
            dst: reg(bits(w, 55, 48))?,
            src: reg(bits(w, 47, 40))?,
            imm: w as u32 as i32,
        },
        17 => Instr::AddImm64 {
            dst: pair(bits(w, 55, 48))?,
            src: pair(bits(w, 47, 40))?,
            imm: w as u32 as i32,
        },
        18 => Instr::Umin32 {
            dst: reg(bits(w, 55, 48))?,
            a: reg(bits(w, 47, 40))?,
            b: reg(bits(w, 39, 32))?,
        },
        20 | 21 => {
            let base = bits(w, 55, 48);
            let mask = bits(w, 31, 16) as u16;
            if mask != 0 {
                // The highest register the mask touches must exist.
                reg(base + 15 - mask.leading_zeros())?;
            }
            let (base, addr, offset) = (reg(base)?, pair(bits(w, 47, 40))?, w as u16 as i16);
            if op == 20 {
                Instr::LoadMultiple {
                    base,
                    addr,
                    mask,
                    offset,
                }
            } else {
                Instr::StoreMultiple {
                    base,
                    addr,
                    mask,
                    offset,
                }
            }
        }
        22 => {
            let c = bits(w, 31, 28);
            // v10's condition field is 3 bits (30:28); bit 31 belongs to v12's wider field.
            let cond = Cond::from_bits(c).ok_or(DecodeError::BadField {
                field: "branch condition",
                value: c,
            })?;
            Instr::Branch {
                value: reg(bits(w, 47, 40))?,
                cond,
                offset: w as u16 as i16,
            }
        }
        23 => {
            let (endpoint, other) = (bits(w, 3, 0), bits(w, 7, 4));
            field("endpoint entry", endpoint, (endpoint as usize) < SB_COUNT)?;
            field("other entry", other, (other as usize) < SB_COUNT)?;
            Instr::SetSbEntry {
                endpoint: endpoint as u8,
                other: other as u8,
            }
        }
        24 => Instr::ProgressWait {
            src: pair(bits(w, 47, 40))?,
            queue: bits(w, 4, 0) as u8,
        },
        25 => Instr::SetExceptionHandler {
            addr: pair(bits(w, 47, 40))?,
            len: reg(bits(w, 39, 32))?,
            kind: bits(w, 7, 0) as u8,
        },
        32 | 33 => {
            let (addr, len) = (pair(bits(w, 47, 40))?, reg(bits(w, 39, 32))?);
            if op == 32 {
                Instr::Call { addr, len }
            } else {
                Instr::Jump { addr, len }
            }
        }
        34 => Instr::ReqResource {
            mask: bits(w, 3, 0) as u8,
        },
        36 => {
            let (l2, lsc, other) = (bits(w, 3, 0), bits(w, 7, 4), bits(w, 11, 8));
            field("L2 flush mode", l2, matches!(l2, 0 | 1 | 3))?;
            field("LSC flush mode", lsc, matches!(lsc, 0 | 1 | 3))?;
            field("other flush mode", other, matches!(other, 0 | 2))?;
            Instr::FlushCache2 {
                sb: always_async(w)?,
                flush_id: reg(bits(w, 47, 40))?,
                l2: l2 as u8,
                lsc: lsc as u8,
                other: other as u8,
            }
        }
        37 | 38 | 51 | 52 => {
            let width = if op < 50 { Width::W32 } else { Width::W64 };
            let (sb, addr, data, propagate, scope) = sync_fields(w, width)?;
            if op == 37 || op == 51 {
                Instr::SyncAdd {
                    width,
                    sb,
                    addr,
                    data,
                    propagate,
                    scope,
                }
            } else {
                Instr::SyncSet {
                    width,
                    sb,
                    addr,
                    data,
                    propagate,
                    scope,
                }
            }
        }
        39 => sync_wait(w, Width::W32)?,
        53 => sync_wait(w, Width::W64)?,
        40 => Instr::StoreState {
            sb: async_if_waiting(w)?,
            addr: pair(bits(w, 47, 40))?,
            state: bits(w, 33, 32) as u8,
            offset: w as u16 as i16,
        },
        41 => Instr::ProtRegion { size: w as u16 },
        42 => Instr::ProgressStore {
            src: pair(bits(w, 47, 40))?,
        },
        43 => Instr::ProgressLoad {
            dst: pair(bits(w, 55, 48))?,
        },
        47 => Instr::ErrorBarrier,
        48 => Instr::HeapSet {
            addr: pair(bits(w, 47, 40))?,
        },
        49 => {
            let o = bits(w, 33, 32);
            field("heap operation", o, o != 2)?;
            Instr::HeapOperation {
                sb: async_if_waiting(w)?,
                op: o as u8,
            }
        }
        50 => Instr::TracePoint {
            sb: async_if_waiting(w)?,
        },
        12 | 19 | 26 | 27 | 28 | 30 | 31 => return Err(DecodeError::AbsentOnV10(op)),
        _ => return Err(DecodeError::Undefined(op)),
    })
}

#[cfg(test)]
mod tests;
