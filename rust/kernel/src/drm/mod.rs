//! DRM core services (`drivers/gpu/drm/` and `rust/kernel/drm/`).
//!
//! * [`ioctl`] — ioctl dispatch with the DRM core's argument-size, permission and copy-back rules.
//! * [`driver`] — the `Driver` trait: a driver's types as the core sees them.
//! * [`gem`] — GEM objects: size, backing frames, resv, the gpuva lock, per-file handles.
//! * [`gpuvm`] — the GPU VA manager in immediate mode: `GpuVm`, `GpuVmCore`, `GpuVa`, `GpuVmBo`, `sm_map`/`sm_unmap`.
//! * [`syncobj`] — DRM sync objects, binary and timeline, their per-file handle table and the core SYNCOBJ ioctls.

pub mod driver;
pub mod gem;
pub mod gpuvm;
pub mod ioctl;
pub mod syncobj;

pub use driver::Driver;
