// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The command-stream front end of a CS: a v10 instruction decoder and interpreter
//! (`Documentation/hardware.md#cs-instructions`).
//!
//! * [`decode()`] turns a 64-bit instruction word into an [`Instr`], rejecting what v10 does not have.
//! * `machine` holds one stream's machine state (96 registers, call stack of [`MAX_FRAMES`] frames including the ring,
//!   8 scoreboard entries, error state, heap/progress/resource latches) and runs a bounded batch of instructions
//!   against a memory port that goes through the group's address space, so the TLB, the page-table walker and MMU
//!   faults apply to every fetch, load, store and sync-object access.
//!
//! What the interpreter does **not** do \[model\]:
//! * It runs no graphics work. RUN_COMPUTE / RUN_COMPUTE_INDIRECT run their grid on the shader core
//!   ([`crate::shader`]) before retiring; RUN_TILING / RUN_IDVS / RUN_FRAGMENT / RUN_FULLSCREEN are decoded, their
//!   mandatory descriptors (shader program, thread storage, tiler context, framebuffer descriptor) are read through the
//!   MMU to check they are mapped, and the work then completes at once on the endpoint scoreboard entry. FINISH_TILING / FINISH_FRAGMENT / HEAP_OPERATION only count; HEAP_SET latches the heap context.
//! * Asynchronous operations (LOAD/STORE_MULTIPLE, FLUSH_CACHE2, SYNC_ADD/SET with a wait mask, STORE_STATE, RUN_*)
//!   take effect when issued (operands are read at issue, `Documentation/hardware.md#semantics`) and occupy their
//!   scoreboard entry until the end of the batch, so a WAIT on that entry yields the stream for one batch. An
//!   asynchronous instruction whose wait mask names a busy entry stalls the stream instead of being deferred — a
//!   stricter but correct ordering.
//! * Caches are coherent in the model: FLUSH_CACHE2 only advances LATEST_FLUSH_ID (when a flush is needed: a flush
//!   ID of 0, or the current ID).
//! * PROGRESS_WAIT, PROT_REGION and TRACE_POINT complete without effect (no cross-queue progress tracking, no
//!   protected mode — as in Panthor).
//!
//! Faults (`Documentation/hardware.md#stream-faults`) are FATAL when the stream cannot continue at a defined point
//! (undefined instruction or field, CALL stack overflow, bad branch/CALL target, bus error) and FAULT otherwise (MMU
//! faults with their translation/permission code and VA, CS_INHERIT_FAULT, misaligned data) — the split follows
//! \[kbase\]'s CS_FATAL and CS_FAULT exception lists.

pub mod decode;
pub(crate) mod exec;
pub(crate) mod machine;
mod multiple;
mod run;
mod sync;

pub use decode::{decode, Async, Cond, DecodeError, Instr, RunKind, Width, REG_COUNT, SB_COUNT};
pub use machine::MAX_FRAMES;

/// CS exception types the interpreter reports (`Documentation/hardware.md#exception-codes`); MMU faults carry the MMU's
/// own code (0xC0..).
pub mod exception {
    /// CS_CONFIG_FAULT: the CS interface was programmed with an unusable ring or I/O page.
    pub const CS_CONFIG_FAULT: u8 = 0x40;
    /// CS_UNRECOVERABLE.
    pub const CS_UNRECOVERABLE: u8 = 0x41;
    /// CS_BUS_FAULT: a translation pointed at no memory.
    pub const CS_BUS_FAULT: u8 = 0x48;
    /// CS_INSTR_INVALID: undefined opcode or field value, bad register, CALL length not a multiple of 8.
    pub const CS_INSTR_INVALID: u8 = 0x49;
    /// CS_CALL_STACK_OVERFLOW: a CALL beyond 8 frames.
    pub const CS_CALL_STACK_OVERFLOW: u8 = 0x4A;
    /// CS_INHERIT_FAULT: a SYNC_WAIT in inherit mode found a failed sync object.
    pub const CS_INHERIT_FAULT: u8 = 0x4B;
    /// INSTR_INVALID_PC: a misaligned CALL/JUMP target or a branch out of its buffer.
    pub const INSTR_INVALID_PC: u8 = 0x50;
    /// DATA_INVALID_FAULT: a misaligned data address or a missing mandatory descriptor \[model\].
    pub const DATA_INVALID_FAULT: u8 = 0x58;
}
