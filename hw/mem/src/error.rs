// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Errors reported by the RAM model.

use crate::PhysAddr;

/// What went wrong with a physical memory access or a frame allocation.
#[derive(Debug, thiserror::Error)]
pub enum MemError {
    /// The access `[pa, pa + len)` is not entirely backed by RAM (beyond the end, into a hole, or wrapping around).
    #[error("physical access {pa:#x}+{len:#x} is outside RAM")]
    OutOfRange {
        /// First byte of the access.
        pa: PhysAddr,
        /// Length of the access in bytes.
        len: u64,
    },
    /// The address is not aligned as the operation requires.
    #[error("physical address {pa:#x} is not aligned to {align:#x}")]
    Misaligned {
        /// The offending address.
        pa: PhysAddr,
        /// The alignment the operation needs.
        align: u64,
    },
    /// No run of free frames of the requested size and alignment is left.
    #[error("out of physical memory: no free run of {count} frame(s)")]
    OutOfMemory {
        /// Number of frames that were asked for.
        count: u64,
    },
    /// A frame passed to a free function is not currently allocated (double free, or never handed out).
    #[error("frame {pa:#x} is not allocated")]
    NotAllocated {
        /// The offending frame address.
        pa: PhysAddr,
    },
    /// The [`crate::RamConfig`] is not usable.
    #[error("invalid RAM configuration: {0}")]
    Config(&'static str),
    /// Creating or mapping the backing memfd failed.
    #[error("backing memfd: {0}")]
    Io(#[from] std::io::Error),
}
