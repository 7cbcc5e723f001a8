//! The kernel services Tyr builds on, rendered in userspace.
//!
//! Each module mirrors the Linux kernel's Rust abstraction (or the C subsystem under it) of the same name, with the same
//! semantics, so that a reader who knows `rust/kernel/` finds things where they expect them:
//!
//! * [`drm`] — DRM core services: ioctl dispatch with the core's argument rules.
//! * [`error`] — errno-style [`error::Error`] and [`error::Result`], the only error type at the uAPI edge.
//! * [`io_pgtable`] — the io-pgtable ARM LPAE stage-1 format (4 KiB granule) with the kernel's `map_pages`,
//!   `unmap_pages` and `iova_to_phys`, writing descriptors into the modelled system RAM (`hw-mem`), which the GPU model's
//!   MMU reads independently.
//! * [`io`], [`irq`], [`platform`] — register windows over the platform's MMIO bus, level-triggered IRQ lines with
//!   threaded handlers, and platform devices: the only way a driver reaches hardware.
//! * [`uaccess`] — `UserPtr`/`UserSlice`: copies from and to the calling process that fail with `EFAULT` on a bad
//!   pointer, as `copy_from_user` does; [`transmute`] marks the types that may be copied.
//!
//! Physical memory is the modelled RK3588 RAM ([`hw_mem::Ram`]); nothing in this crate knows about the Mali model.

pub mod alloc;
pub mod dma_fence;
pub mod dma_resv;
pub mod drm;
pub mod error;
pub mod io;
pub mod io_pgtable;
pub mod irq;
pub mod page;
pub mod platform;
pub mod sync;
pub mod transmute;
pub mod uaccess;

pub use error::{code, Error, Result};
