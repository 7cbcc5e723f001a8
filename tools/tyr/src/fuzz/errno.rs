// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Which errnos each ioctl may return, from `Documentation/uapi.md` (the DRM core's own
//! checks, object arrays, the per-ioctl checks and the DRM core ioctls). `EFAULT` is allowed everywhere (any pointer,
//! the argument's included, may be bad) and so is `ENOMEM` where a user-chosen size or count decides an allocation (an
//! object array, a BO, a dma-buf).

use kernel::code::*;
use kernel::dma_buf::{
    DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, DMA_BUF_IOCTL_SYNC,
    DMA_BUF_SET_NAME_A, DMA_BUF_SET_NAME_B,
};
use kernel::drm::ioctl::{
    ioc_nr, ioc_size, ioc_type, DRM_COMMAND_BASE, DRM_COMMAND_END, DRM_IOCTL_BASE,
};
use kernel::error::Error;
use kernel::sync_file::{SYNC_IOC_FILE_INFO, SYNC_IOC_MERGE, SYNC_IOC_SET_DEADLINE};
use tyr::uapi::ioctl::*;

/// One ioctl the fuzzer knows.
pub struct Known {
    /// The kernel's command.
    pub cmd: u32,
    /// Its name.
    pub name: &'static str,
    /// What it may fail with, beyond `EFAULT`.
    pub allowed: &'static [Error],
}

/// The ioctls the fuzzer calls on DRM files: Panthor's seventeen and the DRM core's.
pub static KNOWN: &[Known] = &[
    Known {
        cmd: DRM_IOCTL_PANTHOR_DEV_QUERY,
        name: "DEV_QUERY",
        allowed: &[EINVAL, E2BIG],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_VM_CREATE,
        name: "VM_CREATE",
        allowed: &[EINVAL, EBUSY, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_VM_DESTROY,
        name: "VM_DESTROY",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_VM_BIND,
        name: "VM_BIND",
        allowed: &[EINVAL, ENOENT, E2BIG, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_VM_GET_STATE,
        name: "VM_GET_STATE",
        allowed: &[EINVAL],
    },
    // ENOSPC: the fake-offset space, which every shmem object takes a range of at creation, is full.
    Known {
        cmd: DRM_IOCTL_PANTHOR_BO_CREATE,
        name: "BO_CREATE",
        allowed: &[EINVAL, ENOMEM, ENOSPC],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET,
        name: "BO_MMAP_OFFSET",
        allowed: &[EINVAL, ENOENT, EPERM],
    },
    // `Documentation/uapi.md#group_create`.
    Known {
        cmd: DRM_IOCTL_PANTHOR_GROUP_CREATE,
        name: "GROUP_CREATE",
        allowed: &[EINVAL, EACCES, EBUSY, E2BIG, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_GROUP_DESTROY,
        name: "GROUP_DESTROY",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_GROUP_SUBMIT,
        name: "GROUP_SUBMIT",
        allowed: &[EINVAL, ENOENT, E2BIG, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_GROUP_GET_STATE,
        name: "GROUP_GET_STATE",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE,
        name: "TILER_HEAP_CREATE",
        allowed: &[EINVAL, EBUSY, ENOMEM, ENOSPC],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY,
        name: "TILER_HEAP_DESTROY",
        allowed: &[EINVAL, ENOENT],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_BO_SET_LABEL,
        name: "BO_SET_LABEL",
        allowed: &[EINVAL, ENOENT, E2BIG],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET,
        name: "SET_USER_MMIO_OFFSET",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_BO_SYNC,
        name: "BO_SYNC",
        allowed: &[EINVAL, ENOENT, E2BIG, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_PANTHOR_BO_QUERY_INFO,
        name: "BO_QUERY_INFO",
        allowed: &[ENOENT],
    },
    Known {
        cmd: DRM_IOCTL_VERSION,
        name: "VERSION",
        allowed: &[],
    },
    Known {
        cmd: DRM_IOCTL_GEM_CLOSE,
        name: "GEM_CLOSE",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_GET_CAP,
        name: "GET_CAP",
        allowed: &[EOPNOTSUPP],
    },
    // Not offered to render nodes (no DRM_RENDER_ALLOW) or not implemented by this DRM core: EACCES / EINVAL.
    // `drm_setclientcap` on a driver without DRIVER_MODESET: EOPNOTSUPP before it looks at the capability.
    Known {
        cmd: DRM_IOCTL_SET_CLIENT_CAP,
        name: "SET_CLIENT_CAP",
        allowed: &[EACCES, EOPNOTSUPP],
    },
    // The master and authentication ioctls (`drm_auth.c`, `drm_ioctl.c`, `drm_gem.c`): EACCES from
    // `drm_ioctl_permit` on a render file (none is DRM_RENDER_ALLOW), without DRM_AUTH's authentication, without
    // DRM_MASTER's current master, or from `drm_master_check_perm` (SET/DROP_MASTER by a file that never was master).
    Known {
        cmd: DRM_IOCTL_GET_UNIQUE,
        name: "GET_UNIQUE",
        allowed: &[EACCES],
    },
    Known {
        cmd: DRM_IOCTL_GET_MAGIC,
        name: "GET_MAGIC",
        allowed: &[EACCES, EINVAL, ENOSPC, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_GET_CLIENT,
        name: "GET_CLIENT",
        allowed: &[EACCES, EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_GET_STATS,
        name: "GET_STATS",
        allowed: &[EACCES],
    },
    Known {
        cmd: DRM_IOCTL_SET_VERSION,
        name: "SET_VERSION",
        allowed: &[EACCES, EINVAL, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_GEM_FLINK,
        name: "GEM_FLINK",
        allowed: &[EACCES, ENOENT, ENOSPC, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_GEM_OPEN,
        name: "GEM_OPEN",
        allowed: &[EACCES, ENOENT, ENOSPC, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_AUTH_MAGIC,
        name: "AUTH_MAGIC",
        allowed: &[EACCES, EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_SET_MASTER,
        name: "SET_MASTER",
        allowed: &[EACCES, EBUSY, EINVAL, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_DROP_MASTER,
        name: "DROP_MASTER",
        allowed: &[EACCES, EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_SET_CLIENT_NAME,
        name: "SET_CLIENT_NAME",
        allowed: &[EINVAL, ENOMEM],
    },
    // The fuzzer closes what it is handed and holds a bounded number of descriptors: EMFILE would be a leak.
    Known {
        cmd: DRM_IOCTL_PRIME_HANDLE_TO_FD,
        name: "PRIME_HANDLE_TO_FD",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_PRIME_FD_TO_HANDLE,
        name: "PRIME_FD_TO_HANDLE",
        allowed: &[EBADF, EINVAL, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_CREATE,
        name: "SYNCOBJ_CREATE",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_DESTROY,
        name: "SYNCOBJ_DESTROY",
        allowed: &[EINVAL],
    },
    // `drm_syncobj_handle_to_fd_ioctl`: EINVAL (pad, flags, a point without EXPORT_SYNC_FILE, an unknown handle for
    // a syncobj file, no fence for the point), ENOENT (an unknown handle to export a sync_file of).
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
        name: "SYNCOBJ_HANDLE_TO_FD",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    // `drm_syncobj_fd_to_handle_ioctl`: EINVAL for a descriptor that is not open or not a syncobj file / sync_file
    // (never EBADF), ENOENT for an unknown handle to import into, ENOSPC for a full handle table.
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
        name: "SYNCOBJ_FD_TO_HANDLE",
        allowed: &[EINVAL, ENOENT, ENOMEM, ENOSPC],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_WAIT,
        name: "SYNCOBJ_WAIT",
        allowed: &[EINVAL, ENOENT, ETIME, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_RESET,
        name: "SYNCOBJ_RESET",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_SIGNAL,
        name: "SYNCOBJ_SIGNAL",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
        name: "SYNCOBJ_TIMELINE_WAIT",
        allowed: &[EINVAL, ENOENT, ETIME, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_QUERY,
        name: "SYNCOBJ_QUERY",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    // ETIME: a WAIT_FOR_SUBMIT source with no fence gives up after 10 s (`drm_syncobj_find_fence`).
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_TRANSFER,
        name: "SYNCOBJ_TRANSFER",
        allowed: &[EINVAL, ENOENT, ENOMEM, ETIME],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
        name: "SYNCOBJ_TIMELINE_SIGNAL",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    Known {
        cmd: DRM_IOCTL_SYNCOBJ_EVENTFD,
        name: "SYNCOBJ_EVENTFD",
        allowed: &[EINVAL, EBADF, ENOENT, ENOMEM],
    },
];

/// The ioctls of the descriptors calls hand out (`sync_file_ioctl`, `dma_buf_ioctl`), by exact command: each
/// handler answers its own numbers only, anything else on that file is `ENOTTY`.
pub static FD_KNOWN: &[Known] = &[
    // `sw_sync_ioctl_create_fence`: a sync_file (or its descriptor) that cannot be had.
    Known {
        cmd: kernel::sw_sync::SW_SYNC_IOC_CREATE_FENCE,
        name: "SW_SYNC_IOC_CREATE_FENCE",
        allowed: &[ENOMEM],
    },
    Known {
        cmd: kernel::sw_sync::SW_SYNC_IOC_INC,
        name: "SW_SYNC_IOC_INC",
        allowed: &[],
    },
    Known {
        cmd: SYNC_IOC_MERGE,
        name: "SYNC_IOC_MERGE",
        allowed: &[EINVAL, ENOENT, ENOMEM],
    },
    Known {
        cmd: SYNC_IOC_FILE_INFO,
        name: "SYNC_IOC_FILE_INFO",
        allowed: &[EINVAL, ENOMEM],
    },
    Known {
        cmd: SYNC_IOC_SET_DEADLINE,
        name: "SYNC_IOC_SET_DEADLINE",
        allowed: &[EINVAL],
    },
    Known {
        cmd: DMA_BUF_IOCTL_SYNC,
        name: "DMA_BUF_IOCTL_SYNC",
        allowed: &[EINVAL],
    },
    // `strndup_user`: EINVAL without a NUL in the first 32 bytes.
    Known {
        cmd: DMA_BUF_SET_NAME_A,
        name: "DMA_BUF_SET_NAME_A",
        allowed: &[EINVAL, ENOMEM],
    },
    Known {
        cmd: DMA_BUF_SET_NAME_B,
        name: "DMA_BUF_SET_NAME_B",
        allowed: &[EINVAL, ENOMEM],
    },
    Known {
        cmd: DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
        name: "DMA_BUF_EXPORT_SYNC_FILE",
        allowed: &[EINVAL, ENOMEM],
    },
    Known {
        cmd: DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
        name: "DMA_BUF_IMPORT_SYNC_FILE",
        allowed: &[EINVAL, ENOMEM],
    },
];

/// The descriptor ioctl `cmd`, if the fuzzer knows it.
pub fn fd_known(cmd: u32) -> Option<&'static Known> {
    FD_KNOWN.iter().find(|k| k.cmd == cmd)
}

/// A printable name for a descriptor ioctl `cmd`.
pub fn fd_name(cmd: u32) -> String {
    fd_known(cmd).map_or_else(|| format!("fd ioctl {cmd:#010x}"), |k| k.name.to_string())
}

/// Whether a descriptor ioctl `cmd` may fail with `e`: `EFAULT` always, `ENOTTY` for a number the file's handler
/// does not answer or a file that is not a sync_file or dma-buf, `EBADF` for a descriptor that is not open.
pub fn fd_allowed(cmd: u32, e: Error) -> bool {
    e == EFAULT
        || e == ENOTTY
        || e == EBADF
        || fd_known(cmd).is_some_and(|k| k.allowed.contains(&e))
}

/// The known ioctl `cmd` names by its number, if any.
pub fn known(cmd: u32) -> Option<&'static Known> {
    if ioc_type(cmd) != DRM_IOCTL_BASE {
        return None;
    }
    KNOWN.iter().find(|k| ioc_nr(k.cmd) == ioc_nr(cmd))
}

/// A printable name for `cmd`.
pub fn name(cmd: u32) -> String {
    match known(cmd) {
        Some(k) if k.cmd == cmd => k.name.to_string(),
        Some(k) => format!("{}(size {})", k.name, ioc_size(cmd)),
        None => format!("ioctl {cmd:#010x}"),
    }
}

/// Whether `cmd` may fail with `e` on a render file, or on a primary file (`primary`)
/// (`Documentation/uapi.md#drm-core-ioctl-path`: a foreign type byte is `ENOTTY`, a number without a handler `EINVAL`,
/// a core number without `DRM_RENDER_ALLOW` `EACCES` on a render file; on a primary file the core numbers this list
/// does not name answer as a driver without modesetting or dumb buffers does: `EOPNOTSUPP`, `ENOSYS`, or `EACCES` for
/// DRM_MASTER / DRM_ROOT_ONLY / DRM_AUTH).
pub fn allowed(cmd: u32, e: Error, primary: bool) -> bool {
    if e == EFAULT {
        return true;
    }
    if ioc_type(cmd) != DRM_IOCTL_BASE {
        return e == ENOTTY;
    }
    match known(cmd) {
        Some(k) => {
            // A caller struct shorter than a handler's type needs cannot happen (the kernel buffer is at least the
            // kernel's size), so the size field only changes what is copied: the same errnos apply.
            k.allowed.contains(&e)
        }
        // A core number this list does not name: no entry (EINVAL), or an entry a render node may not call
        // (EACCES from drm_ioctl_permit; the fuzzer's files are render-node files).
        None => {
            let core = !(DRM_COMMAND_BASE..DRM_COMMAND_END).contains(&ioc_nr(cmd));
            e == EINVAL || (core && (e == EACCES || (primary && (e == EOPNOTSUPP || e == ENOSYS))))
        }
    }
}
