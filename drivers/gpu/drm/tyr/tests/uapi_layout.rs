// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The uAPI layouts and ioctl numbers, checked against `Documentation/uapi.md` (ioctl table, struct layouts, DRM core
//! ioctls): what a C client compiled against the real header puts in memory.

use core::mem::{offset_of, size_of};

use tyr::uapi::ioctl::*;
use tyr::uapi::*;

/// Asserts `size_of` and a list of `(field, offset)` for a struct.
macro_rules! layout {
    ($t:ty, $size:expr, { $($f:ident: $off:expr),* $(,)? }) => {{
        assert_eq!(size_of::<$t>(), $size, "size of {}", stringify!($t));
        $(assert_eq!(offset_of!($t, $f), $off, "{}.{}", stringify!($t), stringify!($f));)*
    }};
}

#[test]
fn shared_structs() {
    layout!(drm_panthor_obj_array, 16, { stride: 0, count: 4, array: 8 });
    layout!(drm_panthor_sync_op, 16, { flags: 0, handle: 4, timeline_value: 8 });
}

#[test]
fn dev_query_payloads() {
    layout!(drm_panthor_dev_query, 16, { type_: 0, size: 4, pointer: 8 });
    layout!(drm_panthor_gpu_info, 112, {
        gpu_id: 0, gpu_rev: 4, csf_id: 8, l2_features: 12, tiler_features: 16, mem_features: 20, mmu_features: 24,
        thread_features: 28, max_threads: 32, thread_max_workgroup_size: 36, thread_max_barrier_size: 40,
        coherency_features: 44, texture_features: 48, as_present: 64, selected_coherency: 68, shader_present: 72,
        l2_present: 80, tiler_present: 88, core_features: 96, pad: 100, gpu_features: 104,
    });
    layout!(drm_panthor_csif_info, 24, {
        csg_slot_count: 0, cs_slot_count: 4, cs_reg_count: 8, scoreboard_slot_count: 12, unpreserved_cs_reg_count: 16,
        pad: 20,
    });
    layout!(drm_panthor_timestamp_info, 56, {
        timestamp_frequency: 0, current_timestamp: 8, timestamp_offset: 16, flags: 24, duration_nsec: 28,
        cycle_count: 32, cpu_timestamp_sec: 40, cpu_timestamp_nsec: 48,
    });
    layout!(drm_panthor_mmu_info, 8, { page_size_bitmap: 0 });
    layout!(drm_panthor_group_priorities_info, 4, { allowed_mask: 0, pad: 1 });
}

#[test]
fn grown_structs_extend_their_6_12_layout() {
    // The 6.12 header's gpu_info is 104 bytes with `pad0` where `selected_coherency` now sits.
    assert_eq!(size_of::<drm_panthor_gpu_info_v1_0>(), 104);
    assert_eq!(
        offset_of!(drm_panthor_gpu_info_v1_0, pad0),
        offset_of!(drm_panthor_gpu_info, selected_coherency)
    );
    assert_eq!(
        offset_of!(drm_panthor_gpu_info_v1_0, tiler_present),
        offset_of!(drm_panthor_gpu_info, tiler_present)
    );
    assert_eq!(
        offset_of!(drm_panthor_gpu_info_v1_0, core_features),
        offset_of!(drm_panthor_gpu_info, core_features)
    );
}

#[test]
fn vm_structs() {
    layout!(drm_panthor_vm_create, 16, { flags: 0, id: 4, user_va_range: 8 });
    layout!(drm_panthor_vm_destroy, 8, { id: 0, pad: 4 });
    layout!(drm_panthor_vm_bind, 24, { vm_id: 0, flags: 4, ops: 8 });
    layout!(drm_panthor_vm_bind_op, 48, { flags: 0, bo_handle: 4, bo_offset: 8, va: 16, size: 24, syncs: 32 });
    layout!(drm_panthor_vm_get_state, 8, { vm_id: 0, state: 4 });
}

#[test]
fn bo_structs() {
    layout!(drm_panthor_bo_create, 24, { size: 0, flags: 8, exclusive_vm_id: 12, handle: 16, pad: 20 });
    layout!(drm_panthor_bo_mmap_offset, 16, { handle: 0, pad: 4, offset: 8 });
    layout!(drm_panthor_bo_set_label, 16, { handle: 0, pad: 4, label: 8 });
    layout!(drm_panthor_set_user_mmio_offset, 8, { offset: 0 });
    layout!(drm_panthor_bo_sync_op, 24, { handle: 0, type_: 4, offset: 8, size: 16 });
    layout!(drm_panthor_bo_sync, 16, { ops: 0 });
    layout!(drm_panthor_bo_query_info, 16, { handle: 0, extra_flags: 4, create_flags: 8, pad: 12 });
}

#[test]
fn group_and_heap_structs() {
    layout!(drm_panthor_queue_create, 8, { priority: 0, pad: 1, ringbuf_size: 4 });
    layout!(drm_panthor_group_create, 56, {
        queues: 0, max_compute_cores: 16, max_fragment_cores: 17, max_tiler_cores: 18, priority: 19, pad: 20,
        compute_core_mask: 24, fragment_core_mask: 32, tiler_core_mask: 40, vm_id: 48, group_handle: 52,
    });
    layout!(drm_panthor_group_destroy, 8, { group_handle: 0, pad: 4 });
    layout!(drm_panthor_queue_submit, 40, {
        queue_index: 0, stream_size: 4, stream_addr: 8, latest_flush: 16, pad: 20, syncs: 24,
    });
    layout!(drm_panthor_group_submit, 24, { group_handle: 0, pad: 4, queue_submits: 8 });
    layout!(drm_panthor_group_get_state, 16, { group_handle: 0, state: 4, fatal_queues: 8, pad: 12 });
    layout!(drm_panthor_tiler_heap_create, 40, {
        vm_id: 0, initial_chunk_count: 4, chunk_size: 8, max_chunks: 12, target_in_flight: 16, handle: 20,
        tiler_heap_ctx_gpu_va: 24, first_heap_chunk_gpu_va: 32,
    });
    layout!(drm_panthor_tiler_heap_destroy, 8, { handle: 0, pad: 4 });
}

#[test]
fn drm_core_structs() {
    layout!(drm_version, 64, {
        version_major: 0, version_minor: 4, version_patchlevel: 8, name_len: 16, name: 24, date_len: 32, date: 40,
        desc_len: 48, desc: 56,
    });
    layout!(drm_gem_close, 8, { handle: 0, pad: 4 });
    layout!(drm_get_cap, 16, { capability: 0, value: 8 });
    layout!(drm_prime_handle, 12, { handle: 0, flags: 4, fd: 8 });
    layout!(drm_syncobj_create, 8, { handle: 0, flags: 4 });
    layout!(drm_syncobj_handle, 16, { handle: 0, flags: 4, fd: 8, pad: 12 });
    layout!(drm_syncobj_wait, 40, {
        handles: 0, timeout_nsec: 8, count_handles: 16, flags: 20, first_signaled: 24, pad: 28, deadline_nsec: 32,
    });
    layout!(drm_syncobj_timeline_wait, 48, {
        handles: 0, points: 8, timeout_nsec: 16, count_handles: 24, flags: 28, first_signaled: 32, pad: 36,
        deadline_nsec: 40,
    });
    layout!(drm_syncobj_array, 16, { handles: 0, count_handles: 8, pad: 12 });
    layout!(drm_syncobj_timeline_array, 24, { handles: 0, points: 8, count_handles: 16, flags: 20 });
    layout!(drm_syncobj_transfer, 32, { src_handle: 0, dst_handle: 4, src_point: 8, dst_point: 16, flags: 24, pad: 28 });
    layout!(drm_syncobj_eventfd, 24, { handle: 0, flags: 4, point: 8, fd: 16, pad: 20 });
}

#[test]
fn panthor_ioctl_numbers() {
    let want = [
        (DRM_IOCTL_PANTHOR_DEV_QUERY, 0xC010_6440u32),
        (DRM_IOCTL_PANTHOR_VM_CREATE, 0xC010_6441),
        (DRM_IOCTL_PANTHOR_VM_DESTROY, 0xC008_6442),
        (DRM_IOCTL_PANTHOR_VM_BIND, 0xC018_6443),
        (DRM_IOCTL_PANTHOR_VM_GET_STATE, 0xC008_6444),
        (DRM_IOCTL_PANTHOR_BO_CREATE, 0xC018_6445),
        (DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, 0xC010_6446),
        (DRM_IOCTL_PANTHOR_GROUP_CREATE, 0xC038_6447),
        (DRM_IOCTL_PANTHOR_GROUP_DESTROY, 0xC008_6448),
        (DRM_IOCTL_PANTHOR_GROUP_SUBMIT, 0xC018_6449),
        (DRM_IOCTL_PANTHOR_GROUP_GET_STATE, 0xC010_644A),
        (DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, 0xC028_644B),
        (DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY, 0xC008_644C),
        (DRM_IOCTL_PANTHOR_BO_SET_LABEL, 0xC010_644D),
        (DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, 0xC008_644E),
        (DRM_IOCTL_PANTHOR_BO_SYNC, 0xC010_644F),
        (DRM_IOCTL_PANTHOR_BO_QUERY_INFO, 0xC010_6450),
    ];
    for (i, (got, want)) in want.iter().enumerate() {
        assert_eq!(*got, *want, "ioctl id {i}: {got:#x} != {want:#x}");
        assert_eq!(nr(*got), 0x40 + i as u32);
    }
}

#[test]
fn drm_core_ioctl_numbers() {
    let want = [
        (DRM_IOCTL_VERSION, 0xC040_6400u32),
        (DRM_IOCTL_GEM_CLOSE, 0x4008_6409),
        (DRM_IOCTL_GET_CAP, 0xC010_640C),
        (DRM_IOCTL_SET_CLIENT_CAP, 0x4010_640D),
        (DRM_IOCTL_PRIME_HANDLE_TO_FD, 0xC00C_642D),
        (DRM_IOCTL_PRIME_FD_TO_HANDLE, 0xC00C_642E),
        (DRM_IOCTL_SYNCOBJ_CREATE, 0xC008_64BF),
        (DRM_IOCTL_SYNCOBJ_DESTROY, 0xC008_64C0),
        (DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 0xC010_64C1),
        (DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 0xC010_64C2),
        (DRM_IOCTL_SYNCOBJ_WAIT, 0xC028_64C3),
        (DRM_IOCTL_SYNCOBJ_RESET, 0xC010_64C4),
        (DRM_IOCTL_SYNCOBJ_SIGNAL, 0xC010_64C5),
        (DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, 0xC030_64CA),
        (DRM_IOCTL_SYNCOBJ_QUERY, 0xC018_64CB),
        (DRM_IOCTL_SYNCOBJ_TRANSFER, 0xC020_64CC),
        (DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, 0xC018_64CD),
        (DRM_IOCTL_SYNCOBJ_EVENTFD, 0xC018_64CF),
    ];
    for (got, want) in want {
        assert_eq!(got, want, "{got:#x} != {want:#x}");
        assert_eq!(type_(got), u32::from(b'd'));
        assert_eq!(size(got) as u32, (want >> 16) & 0x3fff);
    }
}

#[test]
fn enum_and_flag_values() {
    use drm_panthor_vm_bind_op_flags as op;
    assert_eq!(op::DRM_PANTHOR_VM_BIND_OP_TYPE_MASK as u32, 0xF000_0000);
    assert_eq!(op::DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP as u32, 0x1000_0000);
    assert_eq!(
        op::DRM_PANTHOR_VM_BIND_OP_TYPE_SYNC_ONLY as u32,
        0x2000_0000
    );
    assert_eq!(op::DRM_PANTHOR_VM_BIND_OP_MAP_UNCACHED as u32, 0x4);
    assert_eq!(DRM_PANTHOR_VM_BIND_OP_MAP_SPARSE, 0x8);
    assert_eq!(
        drm_panthor_sync_op_flags::DRM_PANTHOR_SYNC_OP_SIGNAL as u32,
        0x8000_0000
    );
    assert_eq!(
        drm_panthor_dev_query_type::DRM_PANTHOR_DEV_QUERY_CSIF_INFO,
        1
    );
    assert_eq!(DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO, 2);
    assert_eq!(DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO, 3);
    assert_eq!(
        drm_panthor_group_state_flags::DRM_PANTHOR_GROUP_STATE_FATAL_FAULT,
        2
    );
    assert_eq!(DRM_PANTHOR_GROUP_STATE_INNOCENT, 4);
    assert_eq!(drm_panthor_group_priority::PANTHOR_GROUP_PRIORITY_HIGH, 2);
    assert_eq!(PANTHOR_GROUP_PRIORITY_REALTIME, 3);
    assert_eq!(DRM_PANTHOR_DEV_QUERY_MMU_INFO, 4);
    assert_eq!(DRM_PANTHOR_BO_WB_MMAP, 2);
    assert_eq!(DRM_PANTHOR_USER_MMIO_OFFSET_64BIT, 0x0100_0000_0000_0000);
    assert_eq!((DRIVER_NAME, DRIVER_MAJOR), ("panthor", 1));
}
