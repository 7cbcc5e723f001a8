// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Register-level model of the Arm Mali-G610 MP4 GPU found on RK3588 boards.
//!
//! * [`Mali`] is the device: the register file of GPU_CONTROL, the JOB and MMU IRQ blocks and 8 address spaces, reached
//!   by 32-bit MMIO at offsets from the GPU's base ([`Mali::read32`], [`Mali::write32`]); unknown or misaligned offsets
//!   are [`BusError`]s, counted in [`BusStats`], never panics.
//! * Three level-triggered [`IrqLine`]s (job, mmu, gpu), each high while its block's STAT is non-zero; a handler thread
//!   blocks on one with [`IrqLine::wait_asserted`].
//! * The MMU ([`mmu`]): per AS a TLB that really caches, an ARMv8 long-descriptor walker written from the architecture
//!   rules (independent of `kernel::io_pgtable`), LOCK/UNLOCK/FLUSH_PT/FLUSH_MEM/UPDATE and fault reporting. The GPU-side
//!   memory port ([`Mali::gpu_read`], [`Mali::gpu_write`], ...) is how everything the GPU does touches memory.
//! * The MCU ([`csf`]) modelled natively: it publishes the CSF interfaces through AS 0, answers the global, CSG and CS
//!   REQ/ACK protocols on doorbells, and runs each started CS's ring through its group's AS with the v10
//!   command-stream interpreter in [`cs`]; compute work (RUN_COMPUTE, RUN_COMPUTE_INDIRECT) runs on the Valhall shader
//!   core in [`shader`], other RUN_* work is validated and completes at once.
//! * [`fields`] gives the registers whose bits the model decodes named fields ([`register_fields!`]).
//! * [`regmap`] names the blocks of the MMIO window and the bit fields of every register, for dumps and tools.
//! * The core clock is an input the SoC sets ([`Mali::set_core_clock_hz`]): CYCLE_COUNT and the command streams'
//!   speed follow it, TIMESTAMP does not; [`Mali::activity`] records busy and idle model time.
//! * Time is explicit ([`Mali::advance`], [`Mali::run_until_idle`]) or follows real time on a [`ModelThread`].
//!
//! Depends only on `hw-mem`, never on `kernel` or `tyr`.
//!
//! # The layer
//! The bottom of the stack (`Documentation/design.md`, `Documentation/layers.md`): what the driver would find on
//! silicon. It is the second, independent reader of the page tables (rule 2) — its walker is written from the
//! architecture rules, not from `kernel::io_pgtable` — and it keeps time explicitly (rule 7).
//!
//! # Tracing
//! `tracing` events: every AS_COMMAND write (target `hw_mali::mmu`, with the AS and the command's name), every
//! translation fault, and every rising edge of an IRQ line (target `hw_mali::irq`). They join the driver's spans in
//! `tyr trace`'s timeline.

mod bitfield;
mod config;
pub mod cs;
pub mod csf;
mod device;
mod error;
pub mod fields;
mod irq;
pub mod mmu;
pub mod regmap;
pub mod regs;
pub mod shader;
mod thread;

pub use config::{GpuIds, MaliConfig, Timing};
pub use device::{Activity, InjectState, Mali, PowerState, RegValue};
pub use error::{BusError, BusStats, PortError};
pub use irq::{IrqKind, IrqLine, IrqRegs};
pub use thread::ModelThread;

/// Address spaces present on the G610 (AS_PRESENT = 0xFF).
pub const AS_COUNT: usize = 8;
