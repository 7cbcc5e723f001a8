// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Extensible user objects: how Panthor reads arrays of uAPI structs and writes DEV_QUERY payloads whose size may
//! differ between the client's header and the driver's (`panthor_get_uobj_array()`, `panthor_set_uobj()` and the
//! kernel's `copy_struct_from_user()`; `Documentation/uapi.md#panthor-conventions`).
//!
//! Every struct that travels this way has a minimum size — the end of its last mandatory field — below which a client
//! is refused ([`UObj::MIN_SIZE`], Panthor's `PANTHOR_UOBJ_DECL`).

use core::mem::{size_of, MaybeUninit};

use kernel::error::code::{E2BIG, EFAULT, EINVAL, ENOMEM};
use kernel::error::Result;
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::{UserPtr, UserSlice};

use crate::uapi::*;

kernel::impl_uapi_pod!(
    drm_panthor_obj_array {
        stride,
        count,
        array
    },
    drm_panthor_sync_op {
        flags,
        handle,
        timeline_value
    },
    drm_panthor_dev_query {
        type_,
        size,
        pointer
    },
    drm_panthor_gpu_info {
        gpu_id,
        gpu_rev,
        csf_id,
        l2_features,
        tiler_features,
        mem_features,
        mmu_features,
        thread_features,
        max_threads,
        thread_max_workgroup_size,
        thread_max_barrier_size,
        coherency_features,
        texture_features,
        as_present,
        selected_coherency,
        shader_present,
        l2_present,
        tiler_present,
        core_features,
        pad,
        gpu_features
    },
    drm_panthor_csif_info {
        csg_slot_count,
        cs_slot_count,
        cs_reg_count,
        scoreboard_slot_count,
        unpreserved_cs_reg_count,
        pad
    },
    drm_panthor_timestamp_info {
        timestamp_frequency,
        current_timestamp,
        timestamp_offset,
        flags,
        duration_nsec,
        cycle_count,
        cpu_timestamp_sec,
        cpu_timestamp_nsec
    },
    drm_panthor_group_priorities_info { allowed_mask, pad },
    drm_panthor_mmu_info { page_size_bitmap },
    drm_panthor_vm_create {
        flags,
        id,
        user_va_range
    },
    drm_panthor_vm_destroy { id, pad },
    drm_panthor_vm_bind_op {
        flags,
        bo_handle,
        bo_offset,
        va,
        size,
        syncs
    },
    drm_panthor_vm_bind { vm_id, flags, ops },
    drm_panthor_vm_get_state { vm_id, state },
    drm_panthor_bo_create {
        size,
        flags,
        exclusive_vm_id,
        handle,
        pad
    },
    drm_panthor_bo_mmap_offset {
        handle,
        pad,
        offset
    },
    drm_panthor_bo_set_label { handle, pad, label },
    drm_panthor_set_user_mmio_offset { offset },
    drm_panthor_bo_sync_op {
        handle,
        type_,
        offset,
        size
    },
    drm_panthor_bo_sync { ops },
    drm_panthor_bo_query_info {
        handle,
        extra_flags,
        create_flags,
        pad
    },
    drm_panthor_queue_create {
        priority,
        pad,
        ringbuf_size
    },
    drm_panthor_group_create {
        queues,
        max_compute_cores,
        max_fragment_cores,
        max_tiler_cores,
        priority,
        pad,
        compute_core_mask,
        fragment_core_mask,
        tiler_core_mask,
        vm_id,
        group_handle
    },
    drm_panthor_group_destroy { group_handle, pad },
    drm_panthor_queue_submit {
        queue_index,
        stream_size,
        stream_addr,
        latest_flush,
        pad,
        syncs
    },
    drm_panthor_group_submit {
        group_handle,
        pad,
        queue_submits
    },
    drm_panthor_group_get_state {
        group_handle,
        state,
        fatal_queues,
        pad
    },
    drm_panthor_tiler_heap_create {
        vm_id,
        initial_chunk_count,
        chunk_size,
        max_chunks,
        target_in_flight,
        handle,
        tiler_heap_ctx_gpu_va,
        first_heap_chunk_gpu_va
    },
    drm_panthor_tiler_heap_destroy { handle, pad },
);

/// A uAPI struct exchanged with a size the client chooses.
pub(crate) trait UObj: FromBytes + AsBytes {
    /// Offset of the end of the last mandatory field: a client may not pass less.
    const MIN_SIZE: usize;
}

macro_rules! uobj {
    ($($t:ty => $min:expr),* $(,)?) => {
        $(impl UObj for $t { const MIN_SIZE: usize = $min; })*
    };
}

uobj! {
    drm_panthor_sync_op => 16,
    drm_panthor_vm_bind_op => 48,
    drm_panthor_queue_create => 8,
    drm_panthor_queue_submit => 40,
    drm_panthor_bo_sync_op => 24,
    drm_panthor_gpu_info => 96,
    drm_panthor_csif_info => 24,
    drm_panthor_timestamp_info => 16,
    drm_panthor_group_priorities_info => 4,
    drm_panthor_mmu_info => 8,
}

/// A `T` with every byte zero.
fn zeroed<T: FromBytes>() -> T {
    // SAFETY: `T: FromBytes` accepts every bit pattern, all-zero included.
    unsafe { MaybeUninit::<T>::zeroed().assume_init() }
}

/// `copy_struct_from_user()`: reads a `T` from a user struct of `usize_` bytes at `ptr`. A shorter one is
/// zero-extended; a longer one is accepted only if every byte past `size_of::<T>()` is zero (`E2BIG` otherwise, checked
/// before the rest is copied, as the kernel does); a fault is `EFAULT`.
pub(crate) fn copy_struct_from_user<T: FromBytes + AsBytes>(
    ptr: UserPtr,
    usize_: usize,
) -> Result<T> {
    let ksize = size_of::<T>();
    let size = ksize.min(usize_);
    if usize_ > ksize {
        let tail = UserPtr(ptr.0.checked_add(ksize).ok_or(EFAULT)?);
        if !UserSlice::new(tail, usize_ - ksize)
            .reader()
            .is_zeroed(usize_ - ksize)?
        {
            return Err(E2BIG);
        }
    }
    let mut v = zeroed::<T>();
    // SAFETY: `T: AsBytes` has no padding, so its `ksize` bytes may be viewed and overwritten as raw bytes, and
    // `T: FromBytes` keeps whatever the copy writes valid.
    let bytes = unsafe { core::slice::from_raw_parts_mut((&mut v as *mut T).cast::<u8>(), ksize) };
    UserSlice::new(ptr, size)
        .reader()
        .read_slice(&mut bytes[..size])?;
    Ok(v)
}

/// `panthor_get_uobj_array()`: the `count` elements of `stride` bytes at `array`, each read as a `T`.
///
/// `count == 0` reads nothing (no stride check); `stride < T::MIN_SIZE` is `EINVAL`; an allocation the kernel's
/// `kvmalloc` would refuse (over `INT_MAX` bytes) or that fails is `ENOMEM`; then elements are copied in bulk when the
/// stride equals the kernel size, or one by one through [`copy_struct_from_user`].
pub(crate) fn get_uobj_array<T: UObj>(arr: &drm_panthor_obj_array) -> Result<Vec<T>> {
    let Some(count) = checked_count::<T>(arr)? else {
        return Ok(Vec::new());
    };
    let mut out: Vec<T> = Vec::new();
    out.try_reserve_exact(count).map_err(|_| ENOMEM)?;
    read_elements(arr, &mut out.spare_capacity_mut()[..count])?;
    // SAFETY: `read_elements` initialised the first `count` elements of the spare capacity.
    unsafe { out.set_len(count) };
    Ok(out)
}

/// [`get_uobj_array`] for arrays that are usually short (the ops of a VM_BIND): an array that fits in `buf` is read
/// into it, a longer one onto the heap, with the same checks, errnos and copies.
pub(crate) fn get_uobj_array_in<'a, T: UObj>(
    arr: &drm_panthor_obj_array,
    buf: &'a mut [MaybeUninit<T>],
) -> Result<UObjSlice<'a, T>> {
    match checked_count::<T>(arr)? {
        Some(count) if count <= buf.len() => {
            let out = &mut buf[..count];
            read_elements(arr, out)?;
            // SAFETY: `read_elements` initialised every element of `out`, and `MaybeUninit<T>` has the layout of `T`.
            let init = unsafe { core::slice::from_raw_parts(out.as_ptr().cast::<T>(), count) };
            Ok(UObjSlice::Borrowed(init))
        }
        _ => get_uobj_array(arr).map(UObjSlice::Owned),
    }
}

/// The elements [`get_uobj_array_in`] read: in the caller's buffer, or on the heap.
pub(crate) enum UObjSlice<'a, T> {
    /// Read into the caller's buffer.
    Borrowed(&'a [T]),
    /// Too many for it (or none): read into a vector.
    Owned(Vec<T>),
}

impl<T> core::ops::Deref for UObjSlice<'_, T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            UObjSlice::Borrowed(s) => s,
            UObjSlice::Owned(v) => v,
        }
    }
}

/// The element count of `arr` once the checks that come before any copy passed: `None` for an empty array (not
/// even stride-checked), `EINVAL` for a stride below `T::MIN_SIZE`, `ENOMEM` for more than `kvmalloc` gives.
fn checked_count<T: UObj>(arr: &drm_panthor_obj_array) -> Result<Option<usize>> {
    let count = arr.count as usize;
    if count == 0 {
        return Ok(None);
    }
    if (arr.stride as usize) < T::MIN_SIZE {
        return Err(EINVAL);
    }
    count
        .checked_mul(size_of::<T>())
        .filter(|&t| t <= i32::MAX as usize)
        .ok_or(ENOMEM)?;
    Ok(Some(count))
}

/// Copies `out.len()` elements of `arr` into `out`, initialising every one on success: in bulk when the stride is
/// the kernel size, else one by one through [`copy_struct_from_user`].
fn read_elements<T: UObj>(arr: &drm_panthor_obj_array, out: &mut [MaybeUninit<T>]) -> Result {
    let stride = arr.stride as usize;
    let base = UserPtr::from_u64(arr.array)?;
    if stride == size_of::<T>() {
        let total = core::mem::size_of_val(out);
        // SAFETY: `out` is `total` bytes of possibly uninitialised memory; viewing it as uninitialised bytes is
        // always sound.
        let raw = unsafe {
            core::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<MaybeUninit<u8>>(), total)
        };
        // On success every byte is written, and `T: FromBytes` accepts any bit pattern.
        UserSlice::new(base, total).reader().read_raw(raw)?;
    } else {
        for (i, slot) in out.iter_mut().enumerate() {
            let p = i
                .checked_mul(stride)
                .and_then(|off| base.0.checked_add(off))
                .ok_or(EFAULT)?;
            slot.write(copy_struct_from_user::<T>(UserPtr(p), stride)?);
        }
    }
    Ok(())
}

/// `panthor_set_uobj()`: writes `value` to a user buffer of `usize_` bytes at `ptr`, the way DEV_QUERY answers.
///
/// `usize_ < T::MIN_SIZE` is `EINVAL`; `min(usize_, size_of::<T>())` bytes are copied; a larger user buffer has its
/// tail zeroed; any fault is `EFAULT`.
pub(crate) fn set_uobj<T: UObj>(ptr: UserPtr, usize_: usize, value: &T) -> Result {
    if usize_ < T::MIN_SIZE {
        return Err(EINVAL);
    }
    let ksize = size_of::<T>();
    // SAFETY: `T: AsBytes` has every byte initialised.
    let bytes = unsafe { core::slice::from_raw_parts((value as *const T).cast::<u8>(), ksize) };
    let mut w = UserSlice::new(ptr, usize_).writer();
    w.write_slice(&bytes[..ksize.min(usize_)])?;
    let mut rest = usize_.saturating_sub(ksize);
    let zeros = [0u8; 256];
    while rest > 0 {
        let k = rest.min(zeros.len());
        w.write_slice(&zeros[..k]).map_err(|_| EFAULT)?;
        rest -= k;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr<T>(v: &[T], stride: usize) -> drm_panthor_obj_array {
        drm_panthor_obj_array {
            stride: stride as u32,
            count: (core::mem::size_of_val(v) / stride) as u32,
            array: v.as_ptr() as u64,
        }
    }

    fn sync(flags: u32, handle: u32, point: u64) -> drm_panthor_sync_op {
        drm_panthor_sync_op {
            flags,
            handle,
            timeline_value: point,
        }
    }

    #[test]
    fn same_stride_is_one_bulk_copy() {
        let ops = [sync(1, 2, 3), sync(4, 5, 6)];
        assert_eq!(
            get_uobj_array::<drm_panthor_sync_op>(&arr(&ops, 16)).unwrap(),
            ops
        );
    }

    #[test]
    fn an_empty_array_is_not_even_stride_checked() {
        let a = drm_panthor_obj_array {
            stride: 1,
            count: 0,
            array: 0,
        };
        assert!(get_uobj_array::<drm_panthor_vm_bind_op>(&a)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_stride_below_the_minimum_is_einval() {
        let a = drm_panthor_obj_array {
            stride: 47,
            count: 1,
            array: 0x1000,
        };
        assert_eq!(get_uobj_array::<drm_panthor_vm_bind_op>(&a), Err(EINVAL));
    }

    #[test]
    fn larger_elements_need_zero_tails() {
        // Two 24-byte elements: 16 bytes of sync_op + 8 bytes from a "newer header".
        let mut raw = [0u64; 6];
        raw[0] = 7 | (8 << 32);
        raw[1] = 9;
        raw[3] = 10 | (11 << 32);
        raw[4] = 12;
        let got = get_uobj_array::<drm_panthor_sync_op>(&arr(&raw, 24)).unwrap();
        assert_eq!(got, [sync(7, 8, 9), sync(10, 11, 12)]);
        raw[5] = 1;
        assert_eq!(
            get_uobj_array::<drm_panthor_sync_op>(&arr(&raw, 24)),
            Err(E2BIG)
        );
    }

    #[test]
    fn shorter_elements_are_zero_extended() {
        // timestamp_info's minimum (16) is below its size (56), as for a client built against the 1.1 header.
        let raw = [1u64, 2, 3, 4];
        let got = get_uobj_array::<drm_panthor_timestamp_info>(&arr(&raw, 16)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (
                got[1].timestamp_frequency,
                got[1].current_timestamp,
                got[1].flags
            ),
            (3, 4, 0)
        );
    }

    #[test]
    fn bad_array_pointers_are_efault() {
        let a = drm_panthor_obj_array {
            stride: 16,
            count: 2,
            array: 8,
        };
        assert_eq!(get_uobj_array::<drm_panthor_sync_op>(&a), Err(EFAULT));
        let a = drm_panthor_obj_array {
            stride: 24,
            count: 2,
            array: 8,
        };
        assert_eq!(get_uobj_array::<drm_panthor_sync_op>(&a), Err(EFAULT));
    }

    #[test]
    fn absurd_counts_are_enomem_without_touching_memory() {
        let a = drm_panthor_obj_array {
            stride: 48,
            count: u32::MAX,
            array: 0x1000,
        };
        assert_eq!(get_uobj_array::<drm_panthor_vm_bind_op>(&a), Err(ENOMEM));
    }

    #[test]
    fn set_uobj_truncates_zero_fills_and_checks_the_minimum() {
        let info = drm_panthor_gpu_info {
            gpu_id: 0xa867_0005,
            gpu_features: 0x1234,
            ..Default::default()
        };
        let mut small = [0xffu8; 96];
        set_uobj(UserPtr(small.as_mut_ptr() as usize), 96, &info).unwrap();
        assert_eq!(&small[..4], &0xa867_0005u32.to_le_bytes());
        let mut big = [0xffu8; 128];
        set_uobj(UserPtr(big.as_mut_ptr() as usize), 128, &info).unwrap();
        assert_eq!(&big[104..112], &0x1234u64.to_le_bytes());
        assert!(
            big[112..].iter().all(|&b| b == 0),
            "the tail past the kernel struct is zeroed"
        );
        assert_eq!(
            set_uobj(UserPtr(big.as_mut_ptr() as usize), 95, &info),
            Err(EINVAL)
        );
        assert_eq!(set_uobj(UserPtr(16), 112, &info), Err(EFAULT));
    }
}
