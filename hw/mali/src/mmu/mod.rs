// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU's MMU: descriptor format, walker, TLB, lock regions, faults and the per-AS state machine.

mod address_space;
mod desc;
mod fault;
mod region;
mod tlb;
mod walker;

pub use address_space::{AddressSpace, CommandStart, Completed, TranslateError};
pub use desc::{
    level_index, level_shift, memattr_type, DescBits, DescKind, Descriptor, MemType, LEVELS,
};
pub use fault::{decode_faultstatus, AccessType, FaultClass, MmuFault};
pub use region::{Region, LOCK_REGION_MIN_LOG2};
pub use tlb::Tlb;
pub use walker::{Translation, WalkConfig, Walker};
