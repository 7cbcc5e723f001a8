// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! System memory as the kernel's page allocator hands it out: the board's RAM and its physical addresses.
//!
//! Drivers get frames for buffer objects, page tables and firmware sections from here, as from `alloc_pages` in the
//! kernel; the device reaches the same frames by physical address.

pub use hw_mem::{PhysAddr, Ram, FRAME_SIZE};
