// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Errors the model reports: bus errors on MMIO, and GPU memory-port failures.

use crate::mmu::{MmuFault, Region};

/// An MMIO access the device does not decode, reported the way a bus reports a slave error. Counted in [`BusStats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// No register at this offset (or the offset is outside the 2 MiB window, or in an absent address space).
    #[error("no register at MMIO offset {offset:#x}")]
    Unmapped {
        /// Offset from the GPU's MMIO base.
        offset: u32,
    },
    /// The access is not 4-byte aligned (every register is a 32-bit word).
    #[error("misaligned MMIO access at offset {offset:#x}")]
    Misaligned {
        /// Offset from the GPU's MMIO base.
        offset: u32,
    },
}

/// Bus-level counters: what a driver did that silicon would have ignored or rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Reads of an offset with no register.
    pub unmapped_reads: u64,
    /// Writes to an offset with no register.
    pub unmapped_writes: u64,
    /// Accesses not aligned to 4 bytes.
    pub misaligned: u64,
    /// Writes to read-only registers (ignored).
    pub ignored_writes: u64,
    /// AS_COMMAND writes dropped because the AS was still busy (a driver bug the model counts).
    pub dropped_as_commands: u64,
    /// GPU_COMMAND writes ignored because a reset was in progress.
    pub commands_during_reset: u64,
}

/// Why a GPU-side memory access (the memory port) failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The address space does not exist.
    #[error("address space {0} is not present")]
    NoSuchAs(usize),
    /// The access faulted; the fault was recorded in the AS's FAULTSTATUS/ADDRESS and raised the MMU IRQ.
    #[error("MMU fault in AS {as_nr} at VA {va:#x}: {fault:?}")]
    Fault {
        /// The address space.
        as_nr: usize,
        /// The faulting VA.
        va: u64,
        /// Class and level.
        fault: MmuFault,
    },
    /// The AS has an uncleared fault and translates nothing until MMU_IRQ_CLEAR clears its bit.
    #[error("address space {as_nr} is stopped by an uncleared fault")]
    AsFaulted {
        /// The address space.
        as_nr: usize,
    },
    /// The VA is inside a LOCKed region; the access waits for the unlock.
    #[error("access to VA {va:#x} in AS {as_nr} stalled by a locked region {region:?}")]
    Stalled {
        /// The address space.
        as_nr: usize,
        /// The VA.
        va: u64,
        /// The locked region.
        region: Region,
    },
    /// The translation points at a PA with no memory behind it; recorded as a GPU_BUS_FAULT in GPU_FAULTSTATUS.
    #[error("bus fault at PA {pa:#x}")]
    BusFault {
        /// The physical address.
        pa: u64,
    },
    /// A blocking access stayed stalled until its timeout.
    #[error("stalled access timed out")]
    TimedOut,
}
