// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The DRM core's SYNCOBJ ioctls (`drm_syncobj_*_ioctl` in `drivers/gpu/drm/drm_syncobj.c`, 6.12).
//!
//! Each handler takes the file's [`SyncobjTable`] and the kernel copy of the argument struct, as the DRM core's
//! dispatcher hands it over, and checks its arguments in upstream's order so that every errno matches
//! (`Documentation/uapi.md#drm-core-ioctls`). Handle and point arrays are read from the caller's memory through
//! [`UserSlice`], so a bad pointer is `EFAULT`. Unlike upstream, an ioctl that fails changes no syncobj: everything
//! that can fail (lookups, copies, allocations) is done before the first syncobj is touched.
//!
//! [`ioctl_descs`] turns the handlers (these and the descriptor ones of [`super::fd`]) into entries of the DRM core's
//! ioctl table for any file context that has a [`SyncobjFile`] table.

use core::mem::{size_of, MaybeUninit};
use std::sync::Arc;

use super::chain::Slot;
use super::fd::{drm_syncobj_handle, eventfd_ioctl, fd_to_handle_ioctl, handle_to_fd_ioctl};
use super::wait::find_slot_wait;
use super::{
    add_points, signalled_fence, stub, wait_many, CreateFlags, QueryFlags, Syncobj, SyncobjTable,
    WaitFlags,
};
use crate::alloc;
use crate::dma_fence::DmaFence;
use crate::drm::ioctl::{IoctlData, IoctlDesc, IoctlFlags};
use crate::error::code::{EINVAL, ENOMEM};
use crate::error::Result;
use crate::transmute::FromBytes;
use crate::uaccess::{UserPtr, UserSlice};
use crate::uapi::{
    drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy, drm_syncobj_eventfd,
    drm_syncobj_timeline_array, drm_syncobj_timeline_wait, drm_syncobj_transfer, drm_syncobj_wait,
};

/// The largest `kmalloc` (`KMALLOC_MAX_SIZE`: order-10 pages of 4 KiB). Upstream copies user arrays into
/// `kmalloc_array` buffers, so a count whose array is larger fails with `ENOMEM` before the pointer is looked at.
const KMALLOC_MAX_SIZE: usize = 4 << 20;

/// `kmalloc_array(count, size_of::<T>())`: a vector with room for `count` `T`s, `ENOMEM` beyond what kmalloc gives.
fn kmalloc_array<T>(count: u32) -> Result<Vec<T>> {
    kmalloc_size_check::<T>(count)?;
    Ok(alloc::try_vec(count as usize)?)
}

/// `ENOMEM` if an array of `count` `T`s is larger than kmalloc gives.
fn kmalloc_size_check<T>(count: u32) -> Result {
    (count as usize)
        .checked_mul(size_of::<T>())
        .filter(|&b| b <= KMALLOC_MAX_SIZE)
        .map(drop)
        .ok_or(ENOMEM)
}

/// Copies `count` `T`s from user address `ptr` (`kmalloc_array` + `copy_from_user`): `ENOMEM`, then `EFAULT`.
fn read_array<T: FromBytes>(ptr: u64, count: u32) -> Result<Vec<T>> {
    let mut v: Vec<T> = kmalloc_array(count)?;
    let count = count as usize;
    let bytes = count * size_of::<T>();
    let spare = v.spare_capacity_mut();
    // SAFETY: `spare` is the vector's uninitialised capacity, at least `count` elements, i.e. `bytes` bytes; viewing
    // uninitialised memory as `MaybeUninit<u8>` is always allowed, and the borrow of `v` is exclusive.
    let raw = unsafe {
        core::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<MaybeUninit<u8>>(), bytes)
    };
    UserSlice::new(UserPtr::from_u64(ptr)?, bytes)
        .reader()
        .read_raw(raw)?;
    // SAFETY: `read_raw` succeeded, so the first `count` elements are initialised, and `T: FromBytes` makes any
    // bytes a valid `T`.
    unsafe { v.set_len(count) };
    Ok(v)
}

/// Reads `count` points, or zeros when `ptr` is null (upstream treats a null points array as all binary).
fn read_points(ptr: u64, count: u32) -> Result<Vec<u64>> {
    if ptr == 0 {
        let mut v = kmalloc_array(count)?;
        v.resize(count as usize, 0);
        return Ok(v);
    }
    read_array(ptr, count)
}

/// `drm_syncobj_array_find`: the handle array, then the syncobjs (`ENOMEM`, `EFAULT`, `ENOENT`).
fn find_array(table: &SyncobjTable, handles: u64, count: u32) -> Result<Vec<Arc<Syncobj>>> {
    let handles = read_array::<u32>(handles, count)?;
    // Upstream's array of syncobj pointers is a second kmalloc_array, 8 bytes an entry.
    kmalloc_size_check::<Arc<Syncobj>>(count)?;
    table.lookup_many(&handles)
}

/// DRM_IOCTL_SYNCOBJ_CREATE: `EINVAL` for flags beyond `SIGNALED`; writes the new handle.
pub fn create(table: &SyncobjTable, args: &mut drm_syncobj_create) -> Result {
    let flags = CreateFlags::from_bits(args.flags).ok_or(EINVAL)?;
    args.handle = table.create(flags)?;
    Ok(())
}

/// DRM_IOCTL_SYNCOBJ_DESTROY: `EINVAL` for nonzero `pad` or an unknown handle.
pub fn destroy(table: &SyncobjTable, args: &mut drm_syncobj_destroy) -> Result {
    if args.pad != 0 {
        return Err(EINVAL);
    }
    table.destroy(args.handle)
}

/// The common part of the two waits, after the flag check.
fn wait_common(
    table: &SyncobjTable,
    handles: u64,
    points: Option<u64>,
    count: u32,
    timeout_ns: i64,
    flags: WaitFlags,
) -> Result<Option<u32>> {
    // 6.12 returns success for an empty wait (older kernels said EINVAL).
    if count == 0 {
        return Ok(None);
    }
    let objs = find_array(table, handles, count)?;
    // Upstream allocates the points array for binary waits too; keep that allocation point (and its ENOMEM).
    let points = read_points(points.unwrap_or(0), count)?;
    wait_many(&objs, &points, timeout_ns, flags).map(Some)
}

/// DRM_IOCTL_SYNCOBJ_WAIT: `EINVAL` for flags beyond `WAIT_ALL | WAIT_FOR_SUBMIT | WAIT_DEADLINE`; an empty array
/// succeeds at once; `ENOENT` for an unknown handle; `EINVAL` for a syncobj without fence unless `WAIT_FOR_SUBMIT`;
/// `ETIME` on timeout. Writes `first_signaled` on success.
pub fn wait(table: &SyncobjTable, args: &mut drm_syncobj_wait) -> Result {
    let allowed = WaitFlags::WAIT_ALL | WaitFlags::WAIT_FOR_SUBMIT | WaitFlags::WAIT_DEADLINE;
    let flags = WaitFlags::from_bits(args.flags)
        .filter(|f| allowed.contains(*f))
        .ok_or(EINVAL)?;
    if let Some(first) = wait_common(
        table,
        args.handles,
        None,
        args.count_handles,
        args.timeout_nsec,
        flags,
    )? {
        args.first_signaled = first;
    }
    Ok(())
}

/// DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT: as [`wait`], with `WAIT_AVAILABLE` also allowed and a points array (null: all
/// zero) read after the handles.
pub fn timeline_wait(table: &SyncobjTable, args: &mut drm_syncobj_timeline_wait) -> Result {
    let flags = WaitFlags::from_bits(args.flags).ok_or(EINVAL)?;
    let first = wait_common(
        table,
        args.handles,
        Some(args.points),
        args.count_handles,
        args.timeout_nsec,
        flags,
    )?;
    if let Some(first) = first {
        args.first_signaled = first;
    }
    Ok(())
}

/// Checks of RESET and SIGNAL: `EINVAL` for `pad` or an empty array, then the syncobjs.
fn array_objs(table: &SyncobjTable, args: &drm_syncobj_array) -> Result<Vec<Arc<Syncobj>>> {
    if args.pad != 0 || args.count_handles == 0 {
        return Err(EINVAL);
    }
    find_array(table, args.handles, args.count_handles)
}

/// DRM_IOCTL_SYNCOBJ_RESET: empties every syncobj of the array.
pub fn reset(table: &SyncobjTable, args: &mut drm_syncobj_array) -> Result {
    for obj in array_objs(table, args)? {
        obj.replace_fence(None);
    }
    Ok(())
}

/// DRM_IOCTL_SYNCOBJ_SIGNAL: gives every syncobj of the array a signalled fence. The fences are all allocated
/// before the first syncobj changes (upstream allocates as it goes and can stop half-way on `ENOMEM`).
pub fn signal(table: &SyncobjTable, args: &mut drm_syncobj_array) -> Result {
    let objs = array_objs(table, args)?;
    let mut fences: Vec<DmaFence> = alloc::try_vec(objs.len())?;
    for _ in 0..objs.len() {
        fences.push(signalled_fence()?);
    }
    for (obj, fence) in objs.iter().zip(fences) {
        obj.replace_fence(Some(fence));
    }
    Ok(())
}

/// DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL: `EINVAL` for nonzero flags or an empty array; adds a signalled point
/// `points[i]` (null array: point 0) to each syncobj, all or none.
pub fn timeline_signal(table: &SyncobjTable, args: &mut drm_syncobj_timeline_array) -> Result {
    if args.flags != 0 || args.count_handles == 0 {
        return Err(EINVAL);
    }
    let objs = find_array(table, args.handles, args.count_handles)?;
    let points = read_points(args.points, args.count_handles)?;
    let stub = stub()?;
    let mut fences: Vec<DmaFence> = alloc::try_vec(objs.len())?;
    fences.resize(objs.len(), stub);
    add_points(&objs, &fences, &points)
}

/// DRM_IOCTL_SYNCOBJ_QUERY: `EINVAL` for flags beyond `LAST_SUBMITTED` or an empty array; writes each syncobj's
/// point to `points[i]`, one at a time as upstream (a fault stops there with `EFAULT`, earlier points written).
pub fn query(table: &SyncobjTable, args: &mut drm_syncobj_timeline_array) -> Result {
    let flags = QueryFlags::from_bits(args.flags).ok_or(EINVAL)?;
    if args.count_handles == 0 {
        return Err(EINVAL);
    }
    let objs = find_array(table, args.handles, args.count_handles)?;
    let len = objs.len() * size_of::<u64>();
    let mut out = UserSlice::new(UserPtr::from_u64(args.points)?, len).writer();
    for obj in &objs {
        out.write(&obj.query(flags))?;
    }
    Ok(())
}

/// DRM_IOCTL_SYNCOBJ_TRANSFER: `EINVAL` for `pad`; `ENOENT` for an unknown destination, then source; `EINVAL` if
/// the source has no fence for `src_point` (after waiting up to 5 s for it with `WAIT_FOR_SUBMIT` in `flags`, then
/// `ETIME`). `dst_point` 0 replaces the destination's fence; otherwise the fence becomes timeline point `dst_point`.
pub fn transfer(table: &SyncobjTable, args: &mut drm_syncobj_transfer) -> Result {
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let dst = table.lookup(args.dst_handle)?;
    let src = table.lookup(args.src_handle)?;
    // Unknown flag bits are passed through unchecked by upstream; only WAIT_FOR_SUBMIT matters.
    let found = find_slot_wait(
        &src,
        args.src_point,
        WaitFlags::from_bits_truncate(args.flags),
    )?;
    let slot = match found {
        Some(slot) => slot,
        None => Slot::Plain(stub()?),
    };
    if args.dst_point != 0 {
        dst.add_point(slot.fence().clone(), args.dst_point)
    } else {
        dst.replace_slot(Some(slot));
        Ok(())
    }
}

// Each is `#[repr(C)]` with only integer fields and explicit `pad` fields, so no implicit padding (sizes checked in
// the tests against the table in `Documentation/uapi.md#drm-core-ioctls`).
crate::impl_uapi_pod!(
    drm_syncobj_create { handle, flags },
    drm_syncobj_destroy { handle, pad },
    drm_syncobj_wait {
        handles,
        timeout_nsec,
        count_handles,
        flags,
        first_signaled,
        pad,
        deadline_nsec
    },
    drm_syncobj_timeline_wait {
        handles,
        points,
        timeout_nsec,
        count_handles,
        flags,
        first_signaled,
        pad,
        deadline_nsec
    },
    drm_syncobj_array {
        handles,
        count_handles,
        pad
    },
    drm_syncobj_timeline_array {
        handles,
        points,
        count_handles,
        flags
    },
    drm_syncobj_transfer {
        src_handle,
        dst_handle,
        src_point,
        dst_point,
        flags,
        pad
    },
);

/// A DRM file context as the SYNCOBJ ioctls see it: something that owns the file's syncobj handles.
pub trait SyncobjFile {
    /// The file's syncobj handle table.
    fn syncobjs(&self) -> &SyncobjTable;
}

macro_rules! syncobj_descs {
    ($($cmd:ident => $handler:ident($ty:ty),)*) => {
        /// The DRM core's SYNCOBJ entries for [`IoctlTables::core`](crate::drm::ioctl::IoctlTables::core), each
        /// `DRM_RENDER_ALLOW` as upstream (`drm_ioctls[]` in `drm_ioctl.c`).
        pub fn ioctl_descs<C: SyncobjFile>() -> [IoctlDesc<C>; 12] {
            [$(
                IoctlDesc {
                    cmd: $cmd,
                    flags: IoctlFlags::RENDER_ALLOW,
                    name: stringify!($cmd),
                    func: |ctx: &C, data: &mut IoctlData| $handler(ctx.syncobjs(), data.get::<$ty>()?),
                },
            )*]
        }
    };
}

use super::fd::{DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD};
use crate::uapi::ioctl::{
    DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_DESTROY, DRM_IOCTL_SYNCOBJ_EVENTFD,
    DRM_IOCTL_SYNCOBJ_QUERY, DRM_IOCTL_SYNCOBJ_RESET, DRM_IOCTL_SYNCOBJ_SIGNAL,
    DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, DRM_IOCTL_SYNCOBJ_TRANSFER,
    DRM_IOCTL_SYNCOBJ_WAIT,
};

syncobj_descs! {
    DRM_IOCTL_SYNCOBJ_CREATE => create(drm_syncobj_create),
    DRM_IOCTL_SYNCOBJ_DESTROY => destroy(drm_syncobj_destroy),
    DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD => handle_to_fd_ioctl(drm_syncobj_handle),
    DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE => fd_to_handle_ioctl(drm_syncobj_handle),
    DRM_IOCTL_SYNCOBJ_WAIT => wait(drm_syncobj_wait),
    DRM_IOCTL_SYNCOBJ_RESET => reset(drm_syncobj_array),
    DRM_IOCTL_SYNCOBJ_SIGNAL => signal(drm_syncobj_array),
    DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT => timeline_wait(drm_syncobj_timeline_wait),
    DRM_IOCTL_SYNCOBJ_QUERY => query(drm_syncobj_timeline_array),
    DRM_IOCTL_SYNCOBJ_TRANSFER => transfer(drm_syncobj_transfer),
    DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL => timeline_signal(drm_syncobj_timeline_array),
    DRM_IOCTL_SYNCOBJ_EVENTFD => eventfd_ioctl(drm_syncobj_eventfd),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_sizes_match_the_spec_table() {
        let table = [
            (
                DRM_IOCTL_SYNCOBJ_CREATE,
                0xC00864BF,
                size_of::<drm_syncobj_create>(),
                8,
            ),
            (
                DRM_IOCTL_SYNCOBJ_DESTROY,
                0xC00864C0,
                size_of::<drm_syncobj_destroy>(),
                8,
            ),
            // Newest upstream's struct has `point` (24 bytes); 6.12's 16-byte command is zero-extended.
            (
                DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
                0xC01864C1,
                size_of::<drm_syncobj_handle>(),
                24,
            ),
            (
                DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
                0xC01864C2,
                size_of::<drm_syncobj_handle>(),
                24,
            ),
            (
                DRM_IOCTL_SYNCOBJ_WAIT,
                0xC02864C3,
                size_of::<drm_syncobj_wait>(),
                40,
            ),
            (
                DRM_IOCTL_SYNCOBJ_RESET,
                0xC01064C4,
                size_of::<drm_syncobj_array>(),
                16,
            ),
            (
                DRM_IOCTL_SYNCOBJ_SIGNAL,
                0xC01064C5,
                size_of::<drm_syncobj_array>(),
                16,
            ),
            (
                DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
                0xC03064CA,
                size_of::<drm_syncobj_timeline_wait>(),
                48,
            ),
            (
                DRM_IOCTL_SYNCOBJ_QUERY,
                0xC01864CB,
                size_of::<drm_syncobj_timeline_array>(),
                24,
            ),
            (
                DRM_IOCTL_SYNCOBJ_TRANSFER,
                0xC02064CC,
                size_of::<drm_syncobj_transfer>(),
                32,
            ),
            (
                DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
                0xC01864CD,
                size_of::<drm_syncobj_timeline_array>(),
                24,
            ),
            (
                DRM_IOCTL_SYNCOBJ_EVENTFD,
                0xC01864CF,
                size_of::<drm_syncobj_eventfd>(),
                24,
            ),
        ];
        for (cmd, spec, size, spec_size) in table {
            assert_eq!(cmd, spec, "{cmd:#x}");
            assert_eq!(size, spec_size, "{cmd:#x}");
        }
        struct F(SyncobjTable);
        impl SyncobjFile for F {
            fn syncobjs(&self) -> &SyncobjTable {
                &self.0
            }
        }
        let descs = ioctl_descs::<F>();
        assert!(descs.iter().all(|d| d.flags == IoctlFlags::RENDER_ALLOW));
        assert_eq!(descs.map(|d| d.cmd), table.map(|t| t.0));
    }

    #[test]
    fn oversized_arrays_are_enomem_before_the_pointer_is_read() {
        assert_eq!(read_array::<u32>(0, u32::MAX).err(), Some(ENOMEM));
        assert_eq!(
            read_array::<u64>(8, 1).err(),
            Some(crate::error::code::EFAULT)
        );
    }

    #[test]
    fn reads_user_arrays() {
        let src = [3u64, 1, 4];
        assert_eq!(read_array::<u64>(src.as_ptr() as u64, 3).unwrap(), src);
        assert_eq!(read_points(0, 2).unwrap(), [0, 0]);
    }
}
