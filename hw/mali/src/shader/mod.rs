// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The shader core: a Valhall (v10) interpreter for the compute work RUN_COMPUTE and RUN_COMPUTE_INDIRECT launch
//! (`Documentation/hardware.md#shader-core`).
//!
//! * [`decode()`] turns a 64-bit instruction word into an [`Instr`] for the subset the model executes (moves, integer
//!   and float arithmetic, shifts and logic, selects and compares, conversions, branches, barriers, warp masks and
//!   cross-lane permutes, global and buffer loads, stores and atomics, the special FAU values).
//! * `program` fetches a binary through the group's AS as far as execution reaches and keeps decoded programs in a
//!   cache keyed by address and checked against the binary's words, so no thread decodes anything.
//! * `exec` runs workgroups as warps of 16 threads that execute their active lanes together: a register file per
//!   thread (the SPD's allocation), the FAU words, preloaded IDs, thread- and workgroup-local storage, barriers, step
//!   budgets; every memory access goes through the same MMU port as the command stream, with its translation,
//!   permission checks and fault reporting.
//! * `launch` reads the descriptors (SPD, TSD, FAU, SRT) a RUN's staging registers select and runs the grid.
//!
//! Faults a thread raises stop the job and are reported by the RUN instruction as a CS fault: MMU faults with the
//! MMU's exception type and the data (or fetch) address, INSTR_INVALID_ENC for a word the model does not execute,
//! INSTR_INVALID_PC for a branch outside the binary, INSTR_BARRIER_FAULT for a workgroup whose threads disagree on a
//! barrier, and CS_UNRECOVERABLE (FATAL) when a step budget is used up \[model\].

pub mod decode;

mod alu;
pub(crate) mod exec;
mod float;
mod lanes;
pub(crate) mod launch;
pub mod parallel;
mod program;
#[cfg(test)]
mod tests;

pub use decode::{decode, DecodeError, Instr, Op, Src};
pub use exec::{JOB_STEP_BUDGET, WARP_STEP_BUDGET};

use crate::cs::machine::MemError;

/// Threads per warp on the G610 (lane IDs and warp IDs count in warps of this size).
pub const WARP_SIZE: u64 = 16;

/// The most threads a workgroup may have (THREAD_MAX_WORKGROUP_SIZE).
pub const MAX_WORKGROUP_THREADS: u32 = 1024;

/// Exception types the shader core reports (`Documentation/hardware.md#exception-codes`).
pub mod exception {
    /// CS_UNRECOVERABLE: a step budget is used up (a shader that does not end) \[model\].
    pub const CS_UNRECOVERABLE: u8 = 0x41;
    /// INSTR_INVALID_PC: a branch outside the binary.
    pub const INSTR_INVALID_PC: u8 = 0x50;
    /// INSTR_INVALID_ENC: an instruction word the core does not execute.
    pub const INSTR_INVALID_ENC: u8 = 0x51;
    /// INSTR_BARRIER_FAULT: threads of a workgroup disagree on a barrier.
    pub const INSTR_BARRIER_FAULT: u8 = 0x55;
    /// DATA_INVALID_FAULT: an unusable descriptor, or an access stalled by an AS lock while the job runs \[model\].
    pub const DATA_INVALID_FAULT: u8 = 0x58;
}

/// Why a job stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// A shader or descriptor exception.
    Exception {
        /// Exception type ([`exception`]).
        code: u8,
        /// The instruction's (or descriptor's) GPU VA.
        va: u64,
        /// The stream cannot continue (FATAL) rather than FAULT.
        fatal: bool,
    },
    /// A memory access (fetch, load, store, atomic, descriptor read) the MMU refused.
    Mem {
        /// What the port said.
        err: MemError,
        /// The instruction's GPU VA.
        pc: u64,
    },
}

impl Fault {
    fn exception(code: u8, va: u64) -> Self {
        Self::Exception {
            code,
            va,
            fatal: false,
        }
    }

    fn budget(va: u64) -> Self {
        tracing::warn!(target: "hw_mali::shader", va, "shader step budget used up");
        Self::Exception {
            code: exception::CS_UNRECOVERABLE,
            va,
            fatal: true,
        }
    }

    fn decode(e: DecodeError, va: u64) -> Self {
        tracing::warn!(target: "hw_mali::shader", va, error = %e, "shader instruction fault");
        Self::exception(exception::INSTR_INVALID_ENC, va)
    }
}
