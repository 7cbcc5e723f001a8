//! Tyr: the Rust DRM driver for Arm Mali CSF GPUs, speaking the Panthor uAPI.
