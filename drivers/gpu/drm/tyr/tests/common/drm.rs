// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Helpers of the DRM ioctl tests: a probed device opening render files, BO_CREATE with flags, closing a PRIME
//! descriptor.

use std::os::fd::RawFd;
use std::sync::Arc;

use kernel::transmute::{AsBytes, FromBytes};
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

use super::ioctl;

pub struct Setup {
    pub dev: Arc<TyrDrmDevice>,
    /// Dropped last: the device's teardown still talks to the board.
    _soc: Rk3588,
}

pub fn setup() -> Setup {
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    Setup { _soc: soc, dev }
}

impl Setup {
    pub fn open(&self) -> Arc<TyrDrmFile> {
        TyrDrmFile::open(&self.dev, RENDER_CLIENT).unwrap()
    }
}

pub fn bo_create(f: &TyrDrmFile, size: u64, flags: u32) -> u32 {
    let mut a = drm_panthor_bo_create {
        size,
        flags,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a).unwrap();
    a.handle
}

pub fn close(fd: RawFd) {
    // SAFETY: closing a descriptor this test received from PRIME_HANDLE_TO_FD.
    assert_eq!(unsafe { libc::close(fd) }, 0);
}

/// DEV_QUERY of `kind` into a `T`: the result and the payload.
pub fn query<T: AsBytes + FromBytes + Default>(f: &TyrDrmFile, kind: u32) -> (kernel::Result, T) {
    let mut out = T::default();
    let mut q = drm_panthor_dev_query {
        type_: kind,
        size: size_of::<T>() as u32,
        pointer: &mut out as *mut T as u64,
    };
    let r = ioctl(f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q);
    (r, out)
}
