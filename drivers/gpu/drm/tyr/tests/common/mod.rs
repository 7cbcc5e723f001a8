// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Helpers shared by the ioctl-level integration tests: a booted board, render files, and the ioctls called through
//! `File::ioctl` with real user pointers.

#![allow(dead_code)]

pub mod drm;
pub mod group;
pub mod sched;

use std::sync::Arc;

use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::op_type;
use tyr::uapi::*;

pub const K: u64 = 0x1000;
pub const M: u64 = 0x10_0000;

/// A booted board with the Tyr device probed.
pub struct Board {
    pub dev: Arc<TyrDrmDevice>,
    /// Dropped last: the device's teardown still talks to the board.
    pub soc: Rk3588,
}

impl Board {
    pub fn boot() -> Board {
        let soc = Rk3588::new().unwrap();
        let dev = probe(soc.gpu()).unwrap();
        Board { dev, soc }
    }

    pub fn open(&self) -> Arc<TyrDrmFile> {
        TyrDrmFile::open(&self.dev, RENDER_CLIENT).unwrap()
    }
}

/// A fresh board, the probed device, a render-node file on it and a VM with default arguments.
pub fn probed_with_vm() -> (Rk3588, Arc<TyrDrmDevice>, Arc<TyrDrmFile>, u32) {
    let b = Board::boot();
    let f = b.open();
    let vm = vm_create(&f);
    (b.soc, b.dev, f, vm)
}

/// IGT's `group_create_simple` arguments: `queues` in VM `vm`, priority MEDIUM, one core of each kind (the lowest
/// present one on the G610).
pub fn simple_group(queues: &[drm_panthor_queue_create], vm: u32) -> drm_panthor_group_create {
    drm_panthor_group_create {
        queues: arr(queues),
        max_compute_cores: 1,
        max_fragment_cores: 1,
        max_tiler_cores: 1,
        priority: 1,
        compute_core_mask: 1,
        fragment_core_mask: 1,
        tiler_core_mask: 1,
        vm_id: vm,
        ..Default::default()
    }
}

/// `ioctl(fd, cmd, arg)` on `f` with `arg`'s address as the user pointer.
pub fn ioctl<T: AsBytes + FromBytes>(f: &TyrDrmFile, cmd: u32, arg: &mut T) -> kernel::Result {
    f.ioctl(cmd, UserPtr(arg as *mut T as usize))
}

pub fn try_bo_create(f: &TyrDrmFile, size: u64, exclusive_vm_id: u32) -> kernel::Result<u32> {
    let mut a = drm_panthor_bo_create {
        size,
        exclusive_vm_id,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a).map(|()| a.handle)
}

pub fn bo_create(f: &TyrDrmFile, size: u64) -> u32 {
    try_bo_create(f, size, 0).unwrap()
}

pub fn vm_create(f: &TyrDrmFile) -> u32 {
    let mut a = drm_panthor_vm_create::default();
    ioctl(f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut a).unwrap();
    a.id
}

pub fn gem_close(f: &TyrDrmFile, handle: u32) -> kernel::Result {
    let mut a = drm_gem_close { handle, pad: 0 };
    ioctl(f, DRM_IOCTL_GEM_CLOSE, &mut a)
}

pub fn arr<E>(v: &[E]) -> drm_panthor_obj_array {
    drm_panthor_obj_array {
        stride: size_of::<E>() as u32,
        count: v.len() as u32,
        array: v.as_ptr() as u64,
    }
}

pub fn map_op(bo: u32, bo_offset: u64, va: u64, size: u64, flags: u32) -> drm_panthor_vm_bind_op {
    drm_panthor_vm_bind_op {
        flags: op_type::MAP | flags,
        bo_handle: bo,
        bo_offset,
        va,
        size,
        ..Default::default()
    }
}

pub fn unmap_op(va: u64, size: u64) -> drm_panthor_vm_bind_op {
    drm_panthor_vm_bind_op {
        flags: op_type::UNMAP,
        va,
        size,
        ..Default::default()
    }
}

/// A synchronous VM_BIND of `ops`.
pub fn bind(f: &TyrDrmFile, vm: u32, ops: &[drm_panthor_vm_bind_op]) -> kernel::Result {
    let mut a = drm_panthor_vm_bind {
        vm_id: vm,
        flags: 0,
        ops: arr(ops),
    };
    ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &mut a)
}

/// Asserts that no fence-signalling section of this test process — worker threads included — took a resv or gpuva
/// lock or reached an allocation point (no test in a binary that calls this breaks the rule on purpose).
pub fn assert_signalling_clean() {
    assert_eq!(
        kernel::sync::lockdep::global_violations(),
        0,
        "a resv/gpuva lock was taken while signalling"
    );
    assert_eq!(
        kernel::alloc::fault::global_violations(),
        0,
        "an allocation was reached while signalling"
    );
}
