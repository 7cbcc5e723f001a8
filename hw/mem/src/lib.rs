// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! System RAM of the modelled RK3588.
//!
//! This is the one memory that both the Tyr driver (through `kernel`) and the Mali-G610 model touch: page tables, buffer
//! objects, firmware interfaces and command streams all live in it, addressed by physical address exactly as on the board.
//!
//! * [`Ram`] is a sparse physical address space (4 GiB by default) backed by a `memfd`, so that a run of frames can be
//!   `mmap`ed into a client process and the client, the driver and the GPU model see the same bytes. Pages are only
//!   materialised by the host kernel when first touched.
//! * Accessors are bounds-checked and little-endian: an access outside RAM (beyond its size, or into a hole such as the
//!   peripheral window at `0xF000_0000`) is a [`MemError`], never a panic and never undefined behaviour. Naturally aligned
//!   8/16/32/64-bit accesses are single-copy atomic, as a bus transaction on the real SoC is.
//! * A frame allocator hands out 4 KiB frames, singly or as physically contiguous runs, from the usable part of RAM.
//! * Per frame, a dirty-line hint (which 64-byte lines may be non-zero) lets a page table reuse a freed table page by
//!   zeroing only what its last table wrote; it holds while the frame passes between tracked owners, and any other
//!   allocation, free or non-zero store through the accessors forgets it (`hints`).
//!
//! Callers never hold a plain reference or raw pointer into RAM; the only views handed out are slices of atomics
//! ([`Ram::u64_slice`]), which stay sound while other threads (or the GPU model) access the same memory.

mod atomic_copy;
mod error;
mod frames;
mod hints;
mod ram;

pub use error::MemError;
pub use hints::{ALL_LINES, LINE_SIZE};
pub use ram::{Ram, RamConfig, RamStats, RELEASE_MIN};

/// A physical address on the modelled SoC's bus (40 bits wide on RK3588; kept as `u64` like the kernel's `phys_addr_t`).
pub type PhysAddr = u64;

/// log2 of the frame size.
pub const FRAME_SHIFT: u32 = 12;

/// Size of one physical frame (the CPU and GPU page size of the model): 4 KiB.
pub const FRAME_SIZE: u64 = 1 << FRAME_SHIFT;

/// Result type of this crate.
pub type Result<T, E = MemError> = core::result::Result<T, E>;
