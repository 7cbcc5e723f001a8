//! GPU virtual address spaces.
//!
//! Each file's VMs will be built on `kernel::drm::gpuvm` (the VA space) and `kernel::io_pgtable` (the GPU page tables);
//! [`pgtable`] holds the piece that drives the page tables the way Panthor does.

pub mod pgtable;
