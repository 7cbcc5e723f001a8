// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DRM core services (`drivers/gpu/drm/` and `rust/kernel/drm/`).
//!
//! * [`auth`] — DRM master and client authentication: who is master, magic tokens, `DRM_AUTH`.
//! * [`device`], [`mod@file`] — a DRM device and its open files: per-file GEM handles, the whole core ioctl
//!   table (`drm_ioctls[]`), the GEM fake-offset space for mmap.
//! * [`prime`] — dma-buf export and import as real file descriptors.
//! * [`ioctl`] — ioctl dispatch with the DRM core's argument-size, permission and copy-back rules.
//! * [`driver`] — the `Driver` trait: a driver's types as the core sees them.
//! * [`gem`] — GEM objects: size, backing frames, resv, the gpuva lock, per-file handles.
//! * [`gpuvm`] — the GPU VA manager in immediate mode: `GpuVm`, `GpuVmCore`, `GpuVa`, `GpuVmBo`, `sm_map`/`sm_unmap`.
//! * [`syncobj`] — DRM sync objects, binary and timeline, their per-file handle table and the core SYNCOBJ ioctls.

pub mod auth;
mod core_ioctl;
pub mod device;
pub mod driver;
pub mod file;
pub mod gem;
pub mod gpuvm;
pub mod ioctl;
pub mod prime;
pub mod syncobj;

pub use driver::Driver;
