// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The Panthor ioctl table (`panthor_drm_driver_ioctls[]`) and its handlers: each takes the DRM file and the kernel
//! copy of the argument, checks it in Panthor's order (`Documentation/uapi.md#per-ioctl-checks`) and calls into the
//! file, the VMs or the device.

use kernel::drm::gem::IntoGemObject;
use kernel::drm::ioctl::{IoctlData, IoctlDesc, IoctlFlags};
use kernel::error::code::{E2BIG, EINVAL, ENOENT, EOPNOTSUPP, EPERM};
use kernel::error::Result;
use kernel::uaccess::{UserPtr, UserSlice};

use crate::gem::TyrDrmFile;
use crate::query::{dev_query, QuerySource};
use crate::sched::group::{GroupCtx, MAX_QUEUES};
use crate::sched::heap::{check_create_args, HeapPool};
use crate::sched::Scheduler;
use crate::uapi::bo_flags;
use crate::uapi::ioctl::*;
use crate::uapi::*;
use crate::uobj::get_uobj_array;

/// Longest BO label, NUL included (`PANTHOR_BO_LABEL_MAXLEN`).
pub(crate) const BO_LABEL_MAXLEN: usize = 4096;

const fn entry(
    cmd: u32,
    name: &'static str,
    func: fn(&TyrDrmFile, &mut IoctlData) -> Result,
) -> IoctlDesc<TyrDrmFile> {
    IoctlDesc {
        cmd,
        flags: IoctlFlags::RENDER_ALLOW,
        name,
        func,
    }
}

/// Panthor's ioctls, index `i` for number `DRM_COMMAND_BASE + i` (`enum drm_panthor_ioctl_id`).
pub(crate) static IOCTLS: [IoctlDesc<TyrDrmFile>; 17] = [
    entry(DRM_IOCTL_PANTHOR_DEV_QUERY, "DEV_QUERY", dev_query_ioctl),
    entry(DRM_IOCTL_PANTHOR_VM_CREATE, "VM_CREATE", vm_create),
    entry(DRM_IOCTL_PANTHOR_VM_DESTROY, "VM_DESTROY", vm_destroy),
    entry(DRM_IOCTL_PANTHOR_VM_BIND, "VM_BIND", vm_bind),
    entry(DRM_IOCTL_PANTHOR_VM_GET_STATE, "VM_GET_STATE", vm_get_state),
    entry(DRM_IOCTL_PANTHOR_BO_CREATE, "BO_CREATE", bo_create),
    entry(
        DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET,
        "BO_MMAP_OFFSET",
        bo_mmap_offset,
    ),
    entry(DRM_IOCTL_PANTHOR_GROUP_CREATE, "GROUP_CREATE", group_create),
    entry(
        DRM_IOCTL_PANTHOR_GROUP_DESTROY,
        "GROUP_DESTROY",
        group_destroy,
    ),
    entry(DRM_IOCTL_PANTHOR_GROUP_SUBMIT, "GROUP_SUBMIT", group_submit),
    entry(
        DRM_IOCTL_PANTHOR_GROUP_GET_STATE,
        "GROUP_GET_STATE",
        group_get_state,
    ),
    entry(
        DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE,
        "TILER_HEAP_CREATE",
        tiler_heap_create,
    ),
    entry(
        DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY,
        "TILER_HEAP_DESTROY",
        tiler_heap_destroy,
    ),
    entry(DRM_IOCTL_PANTHOR_BO_SET_LABEL, "BO_SET_LABEL", bo_set_label),
    entry(
        DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET,
        "SET_USER_MMIO_OFFSET",
        set_user_mmio_offset,
    ),
    entry(DRM_IOCTL_PANTHOR_BO_SYNC, "BO_SYNC", bo_sync),
    entry(
        DRM_IOCTL_PANTHOR_BO_QUERY_INFO,
        "BO_QUERY_INFO",
        bo_query_info,
    ),
];

fn dev_query_ioctl(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let data = f.device().data();
    let caller = f.caller();
    let src = QuerySource {
        gpu_info: data.gpu_info(),
        csif_info: data.csif_info(),
        iomem: data.hw().iomem(),
        high_priority_allowed: caller.master || caller.sys_nice,
        pm: Some(data.pm()),
    };
    dev_query(&src, d.get()?)
}

fn vm_create(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    f.data().vm_create(d.get()?)
}

fn vm_destroy(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    f.data().vm_destroy(d.get()?)
}

fn vm_get_state(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    f.data().vm_get_state(d.get()?)
}

fn vm_bind(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_vm_bind = d.get()?;
    // Only bit 0 of `flags` is read (`Documentation/uapi.md#panthor-conventions`).
    if args.flags & crate::uapi::bind_flags::ASYNC != 0 {
        return f.data().vm_bind_async(f.objects(), f.syncobjs(), args);
    }
    f.data().vm_bind_sync(f.objects(), args)
}

fn bo_create(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    f.data().bo_create(f.objects(), d.get()?)
}

fn bo_mmap_offset(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_bo_mmap_offset = d.get()?;
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let bo = f.objects().lookup(args.handle)?;
    // Newer kernels refuse at this point rather than at mmap() time.
    if bo.flags() & bo_flags::NO_MMAP != 0 {
        return Err(EPERM);
    }
    args.offset = f.device().mmap_offset(&bo)?;
    Ok(())
}

/// Reads the NUL-terminated string at `ptr`, at most `max` bytes with its NUL (`strndup_user`): a page at a time so
/// that a short string at the end of a mapping does not fault on the next page. `E2BIG` when no NUL comes within
/// `max` bytes.
fn strndup_user(ptr: UserPtr, max: usize) -> Result<String> {
    const PAGE: usize = 4096;
    let mut out = Vec::new();
    let mut at = ptr.0;
    while out.len() < max {
        let chunk = (PAGE - at % PAGE).min(max - out.len());
        let mut buf = vec![0u8; chunk];
        UserSlice::new(UserPtr(at), chunk)
            .reader()
            .read_slice(&mut buf)?;
        if let Some(n) = buf.iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..n]);
            return Ok(String::from_utf8_lossy(&out).into_owned());
        }
        out.extend_from_slice(&buf);
        at += chunk;
    }
    Err(E2BIG)
}

fn bo_set_label(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_bo_set_label = d.get()?;
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let bo = f.objects().lookup(args.handle)?;
    let label = match args.label {
        0 => None,
        p => Some(strndup_user(UserPtr::from_u64(p)?, BO_LABEL_MAXLEN)?),
    };
    bo.set_label(label);
    Ok(())
}

fn set_user_mmio_offset(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_set_user_mmio_offset = d.get()?;
    f.data().set_user_mmio_offset(args.offset)
}

fn bo_sync(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_bo_sync = d.get()?;
    if args.ops.count == 0 {
        return Ok(());
    }
    let ops: Vec<drm_panthor_bo_sync_op> = get_uobj_array(&args.ops)?;
    for op in &ops {
        let bo = f.objects().lookup(op.handle).map_err(|_| ENOENT)?;
        // `panthor_gem_sync`'s order: the range first, then the type.
        let end = op.offset.checked_add(op.size).ok_or(EINVAL)?;
        if end > bo.gem().size() {
            return Err(EINVAL);
        }
        if op.type_ != DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH
            && op.type_ != DRM_PANTHOR_BO_SYNC_CPU_CACHE_FLUSH_AND_INVALIDATE
        {
            return Err(EINVAL);
        }
        // The modelled RAM is coherent between the CPU and the GPU: there is no CPU cache line to clean or
        // invalidate. Pages are not allocated for the op either: a BO without pages has nothing to sync, and
        // upstream returns early for it.
    }
    Ok(())
}

fn bo_query_info(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_bo_query_info = d.get()?;
    let bo = f.objects().lookup(args.handle)?;
    // Every BO of this device was created here; dma-bufs of other drivers cannot be imported.
    args.extra_flags = 0;
    args.create_flags = bo.flags();
    args.pad = 0;
    Ok(())
}

fn sched(f: &TyrDrmFile) -> Result<&std::sync::Arc<Scheduler>> {
    f.data().scheduler().ok_or(EOPNOTSUPP)
}

fn group_create(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_group_create = d.get()?;
    if args.queues.count == 0 || args.queues.count > MAX_QUEUES {
        return Err(EINVAL);
    }
    let queues: Vec<drm_panthor_queue_create> = get_uobj_array(&args.queues)?;
    let sched = sched(f)?;
    let caller = f.caller();
    let (suspend_size, protm_suspend_size) = sched.suspend_sizes();
    let ctx = GroupCtx {
        ram: sched.ram(),
        offsets: Some(f.device().offsets()),
        mcu_vm: sched.mcu_vm(),
        gpu: f.device().data().gpu_info(),
        csif: sched.csif(),
        suspend_size,
        protm_suspend_size,
        high_priority_allowed: caller.master || caller.sys_nice,
    };
    let pool = f.data().groups();
    let (handle, group) = pool.create(&ctx, args, &queues, |id| {
        let vm = f.data().vms().get(id).map_err(|_| EINVAL)?;
        let heaps = f.data().heap_slot(&vm)?;
        Ok((vm, heaps))
    })?;
    if let Err(e) = sched.add_group(&group) {
        let _ = pool.remove(handle);
        return Err(e);
    }
    args.group_handle = handle;
    Ok(())
}

fn group_destroy(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_group_destroy = d.get()?;
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let g = f.data().groups().remove(args.group_handle)?;
    sched(f)?.destroy_group(&g);
    Ok(())
}

fn group_submit(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_group_submit = d.get()?;
    let _span = tracing::debug_span!(
        "group_submit",
        group = args.group_handle,
        jobs = args.queue_submits.count
    )
    .entered();
    crate::sched::submit::group_submit(sched(f)?, f.data().groups(), f.syncobjs(), args)
}

fn group_get_state(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_group_get_state = d.get()?;
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let g = f.data().groups().get(args.group_handle)?;
    let (state, fatal_queues) = g.report();
    *args = drm_panthor_group_get_state {
        state,
        fatal_queues,
        ..Default::default()
    };
    Ok(())
}

fn tiler_heap_create(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_tiler_heap_create = d.get()?;
    let vm = f.data().vms().get(args.vm_id).map_err(|_| EINVAL)?;
    // Panthor creates the VM's pool before it looks at the arguments; checking them first keeps a refused call from
    // leaving a pool behind (the pool is a kernel BO no client sees, so only that side effect differs).
    check_create_args(args.initial_chunk_count, args.chunk_size, args.max_chunks)?;
    let slot = f.data().heap_slot(&vm)?;
    let mut heaps = slot.lock();
    let fresh = heaps.is_none();
    if fresh {
        *heaps = Some(HeapPool::new(
            Some(f.device().offsets().clone()),
            f.device().data().ram(),
            &vm,
        )?);
    }
    let pool = heaps.as_mut().ok_or(EINVAL)?;
    let created = pool.create(
        &vm,
        args.initial_chunk_count,
        args.chunk_size,
        args.max_chunks,
        args.target_in_flight,
    );
    let info = match created {
        Ok(info) => info,
        Err(e) => {
            // A pool made by this call goes again: a failed call leaves the VM as it was.
            if fresh {
                *heaps = None;
            }
            return Err(e);
        }
    };
    args.handle = args.vm_id << 16 | info.id;
    args.tiler_heap_ctx_gpu_va = info.ctx_va;
    args.first_heap_chunk_gpu_va = info.first_chunk_va;
    Ok(())
}

fn tiler_heap_destroy(f: &TyrDrmFile, d: &mut IoctlData) -> Result {
    let args: &mut drm_panthor_tiler_heap_destroy = d.get()?;
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let vm = f.data().vms().get(args.handle >> 16).map_err(|_| EINVAL)?;
    let slot = f.data().find_heap_slot(&vm).ok_or(ENOENT)?;
    let mut heaps = slot.lock();
    heaps.as_mut().ok_or(ENOENT)?.destroy(args.handle & 0xffff)
}
