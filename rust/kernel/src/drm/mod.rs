//! DRM core services (`drivers/gpu/drm/` and `rust/kernel/drm/`).
//!
//! * [`ioctl`] — ioctl dispatch with the DRM core's argument-size, permission and copy-back rules.

pub mod ioctl;
