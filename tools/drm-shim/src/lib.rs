//! `libtyr_drm_shim.so`: loaded with `LD_PRELOAD`, it shows unmodified C programs (IGT's panthor tests, libdrm's
//! device enumeration, Mesa) a Panthor device — `/dev/dri/card0`, `/dev/dri/renderD128` and the sysfs entries that
//! describe them — backed by Tyr probed on the modelled RK3588, with no kernel driver.
//!
//! * [`vfs`]: the fake nodes, directories, links and sysfs attributes, as data.
//! * [`device`]: the board booted on first open (once per process, again in a fork child), the table of DRM
//!   descriptors and the BO mappings.
//! * [`fs`] and [`drm`]: what the shim answers for each call; `interpose` holds the exported libc entry points.
//! * [`ffi`]: the re-entrancy guard and panic barrier every entry point goes through; [`real`]: libc's own entry
//!   points.
//! * [`trace`]: `TYR_SHIM_LOG=1` traces every call the shim answers on stderr.

// Unit tests build without the exported entry points (a test binary must not interpose its own libc calls), which
// leaves their helpers unused there.
#![cfg_attr(test, allow(dead_code))]

mod device;
mod drm;
mod ffi;
mod fs;
#[cfg(not(test))]
mod interpose;
mod real;
mod trace;
mod vfs;
