// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DRM drivers (`struct drm_driver`, `rust/kernel/drm/driver.rs`): what the core needs to know about a driver's types.

use super::gem::IntoGemObject;

/// A DRM driver. Its GEM object type is declared here once; GPUVM derives the object type of a VM from it
/// ([`crate::drm::gpuvm::DriverGpuVm::Driver`]), so a VM cannot be declared over some other object type.
pub trait Driver: 'static {
    /// The driver's GEM object type (`AllocOps`'s object in the kernel's Rust).
    type Object: IntoGemObject;
}
