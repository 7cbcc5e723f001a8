// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A small in-process client of the Panthor uAPI: the ioctls a tool or fuzz target needs to get work onto the GPU
//! (a VM, BOs mapped in it, a one-queue group, syncobjs, a one-job submit), each through `File::ioctl` with real
//! user pointers, as a C client's calls reach the driver. Errors are the driver's errnos.

use core::mem::size_of;

use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use tyr::drm_device::TyrDrmFile;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

/// `ioctl(fd, cmd, arg)` on `f` with `arg`'s address as the user pointer.
pub fn ioctl<T: AsBytes + FromBytes>(f: &TyrDrmFile, cmd: u32, arg: &mut T) -> kernel::Result {
    f.ioctl(cmd, UserPtr(arg as *mut T as usize))
}

/// A `drm_panthor_obj_array` over `v`.
pub fn arr<E>(v: &[E]) -> drm_panthor_obj_array {
    drm_panthor_obj_array {
        stride: size_of::<E>() as u32,
        count: v.len() as u32,
        array: v.as_ptr() as u64,
    }
}

/// VM_CREATE with default arguments; the VM's id.
pub fn vm_create(f: &TyrDrmFile) -> kernel::Result<u32> {
    let mut vm = drm_panthor_vm_create::default();
    ioctl(f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm)?;
    Ok(vm.id)
}

/// BO_CREATE of `size` bytes; the BO's handle.
pub fn bo_create(f: &TyrDrmFile, size: u64) -> kernel::Result<u32> {
    let mut bo = drm_panthor_bo_create {
        size,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut bo)?;
    Ok(bo.handle)
}

/// A synchronous VM_BIND mapping `size` bytes of BO `bo` at `va` in VM `vm`, with the op's `flags` (MAP and its
/// access flags).
pub fn map(f: &TyrDrmFile, vm: u32, bo: u32, va: u64, size: u64, flags: u32) -> kernel::Result {
    let ops = [drm_panthor_vm_bind_op {
        flags,
        bo_handle: bo,
        va,
        size,
        ..Default::default()
    }];
    let mut bind = drm_panthor_vm_bind {
        vm_id: vm,
        flags: 0,
        ops: arr(&ops),
    };
    ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &mut bind)
}

/// GROUP_CREATE of one 4 KiB-ring queue on VM `vm`, one core of each kind, medium priority (IGT's
/// `group_create_simple`); the group's handle.
pub fn group_create(f: &TyrDrmFile, vm: u32) -> kernel::Result<u32> {
    let queues = [drm_panthor_queue_create {
        priority: 0,
        ringbuf_size: 4096,
        ..Default::default()
    }];
    let mut g = drm_panthor_group_create {
        queues: arr(&queues),
        max_compute_cores: 1,
        max_fragment_cores: 1,
        max_tiler_cores: 1,
        priority: 1,
        compute_core_mask: 1,
        fragment_core_mask: 1,
        tiler_core_mask: 1,
        vm_id: vm,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut g)?;
    Ok(g.group_handle)
}

/// SYNCOBJ_CREATE of a binary syncobj; its handle.
pub fn syncobj_create(f: &TyrDrmFile) -> kernel::Result<u32> {
    let mut c = drm_syncobj_create::default();
    ioctl(f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c)?;
    Ok(c.handle)
}

/// GROUP_SUBMIT of one job on queue 0 of `group`: `size` bytes of stream at `addr`, signalling binary syncobj `out`.
pub fn submit(f: &TyrDrmFile, group: u32, addr: u64, size: u32, out: u32) -> kernel::Result {
    let syncs = [drm_panthor_sync_op {
        flags: sync_flags::SIGNAL,
        handle: out,
        timeline_value: 0,
    }];
    let subs = [drm_panthor_queue_submit {
        queue_index: 0,
        stream_size: size,
        stream_addr: addr,
        syncs: arr(&syncs),
        ..Default::default()
    }];
    let mut s = drm_panthor_group_submit {
        group_handle: group,
        pad: 0,
        queue_submits: arr(&subs),
    };
    ioctl(f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut s)
}
