// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The driver's page-table op loop on a caller's page table: Panthor's `panthor_vm_map_pages` and
//! `panthor_vm_unmap_pages` (ranges cut at table boundaries, the largest page size the alignment allows), exactly as
//! every VM_BIND runs it. The reference vectors' `map`/`unmap` commands replay through these, and the tests that
//! compare the driver's tables with the GPU's own walker drive them; nothing here reaches a VM.

pub use crate::vm::pgtable::{map_range, map_sg, unmap_range};
