// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `DEV_QUERY` (`panthor_ioctl_dev_query`, `Documentation/uapi.md#dev_query`): GPU_INFO, CSIF_INFO, TIMESTAMP_INFO,
//! GROUP_PRIORITIES_INFO and MMU_INFO.

use std::time::Instant;

use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::uaccess::UserPtr;

use crate::regs::gpu;
use crate::uapi::drm_panthor_group_priority::PANTHOR_GROUP_PRIORITY_HIGH;
use crate::uapi::{
    drm_panthor_csif_info, drm_panthor_dev_query, drm_panthor_gpu_info,
    drm_panthor_group_priorities_info, drm_panthor_mmu_info, drm_panthor_timestamp_info,
    timestamp_flags as ts, DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO,
    DRM_PANTHOR_DEV_QUERY_MMU_INFO, DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
};
use crate::uapi::{drm_panthor_dev_query_type as qt, PANTHOR_GROUP_PRIORITY_REALTIME};
use crate::uobj::{copy_struct_from_user, set_uobj};

/// Page sizes a VM maps with: 4 KiB pages and 2 MiB blocks (the io-pgtable `pgsize_bitmap` Panthor passes).
pub(crate) const PAGE_SIZE_BITMAP: u64 = (1 << 12) | (1 << 21);

/// What the queries report that the device knows.
pub(crate) struct QuerySource<'a> {
    /// The probed GPU_INFO.
    pub(crate) gpu_info: &'a drm_panthor_gpu_info,
    /// The CSF interface sizes the firmware published.
    pub(crate) csif_info: &'a drm_panthor_csif_info,
    /// The GPU's registers (timestamps are sampled live).
    pub(crate) iomem: &'a IoMem,
    /// Whether the caller may use the HIGH and REALTIME priorities (CAP_SYS_NICE or DRM master).
    pub(crate) high_priority_allowed: bool,
    /// The device's power management: the GPU is resumed around the timestamp sampling.
    pub(crate) pm: Option<&'a crate::pm::DevicePm>,
}

const ALL_TIMESTAMP_FLAGS: u32 =
    ts::GPU | ts::CPU_TYPE_MASK | ts::GPU_OFFSET | ts::GPU_CYCLE_COUNT | ts::FREQ | ts::DURATION;

/// The kernel's size of each query's payload, or `EINVAL` for an unknown type.
fn payload_size(kind: u32) -> Result<usize> {
    Ok(match kind {
        qt::DRM_PANTHOR_DEV_QUERY_GPU_INFO => size_of::<drm_panthor_gpu_info>(),
        qt::DRM_PANTHOR_DEV_QUERY_CSIF_INFO => size_of::<drm_panthor_csif_info>(),
        DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO => size_of::<drm_panthor_timestamp_info>(),
        DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO => {
            size_of::<drm_panthor_group_priorities_info>()
        }
        DRM_PANTHOR_DEV_QUERY_MMU_INFO => size_of::<drm_panthor_mmu_info>(),
        _ => return Err(EINVAL),
    })
}

/// `DEV_QUERY`: with `pointer == 0` reports the payload size; otherwise fills the caller's payload.
pub(crate) fn dev_query(src: &QuerySource<'_>, args: &mut drm_panthor_dev_query) -> Result {
    let size = payload_size(args.type_)?;
    if args.pointer == 0 {
        args.size = size as u32;
        return Ok(());
    }
    let ptr = UserPtr::from_u64(args.pointer)?;
    let usize_ = args.size as usize;
    match args.type_ {
        qt::DRM_PANTHOR_DEV_QUERY_GPU_INFO => set_uobj(ptr, usize_, src.gpu_info),
        qt::DRM_PANTHOR_DEV_QUERY_CSIF_INFO => set_uobj(ptr, usize_, src.csif_info),
        DRM_PANTHOR_DEV_QUERY_MMU_INFO => set_uobj(
            ptr,
            usize_,
            &drm_panthor_mmu_info {
                page_size_bitmap: PAGE_SIZE_BITMAP,
            },
        ),
        DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO => {
            let mut mask = 0b11u8;
            if src.high_priority_allowed {
                mask |= 1 << PANTHOR_GROUP_PRIORITY_HIGH | 1 << PANTHOR_GROUP_PRIORITY_REALTIME;
            }
            set_uobj(
                ptr,
                usize_,
                &drm_panthor_group_priorities_info {
                    allowed_mask: mask,
                    pad: [0; 3],
                },
            )
        }
        _ => {
            let input: drm_panthor_timestamp_info = copy_struct_from_user(ptr, usize_)?;
            // `panthor_query_timestamp_info`: the registers are read with the GPU resumed.
            let _pm = src.pm.map(crate::pm::DevicePm::get).transpose()?;
            let info = sample_timestamps(src.iomem, input.flags)?;
            set_uobj(ptr, usize_, &info)
        }
    }
}

/// Samples what TIMESTAMP_INFO's `input_flags` ask for (0 meaning GPU | GPU_OFFSET | FREQ); fields not asked for are 0.
pub(crate) fn sample_timestamps(
    io: &IoMem,
    input_flags: u32,
) -> Result<drm_panthor_timestamp_info> {
    let flags = input_flags;
    let flags = if flags == 0 {
        ts::GPU | ts::GPU_OFFSET | ts::FREQ
    } else {
        flags
    };
    let cpu = flags & ts::CPU_TYPE_MASK;
    if !matches!(
        cpu,
        ts::CPU_NONE | ts::CPU_MONOTONIC | ts::CPU_MONOTONIC_RAW
    ) || flags & !ALL_TIMESTAMP_FLAGS != 0
    {
        return Err(EINVAL);
    }
    // `flags` is an input: it goes back as the caller gave it.
    let mut out = drm_panthor_timestamp_info {
        flags: input_flags,
        ..Default::default()
    };
    if flags & ts::FREQ != 0 {
        out.timestamp_frequency = kernel::time::arch_timer_rate();
    }
    if flags & ts::GPU_OFFSET != 0 {
        out.timestamp_offset = io.read64(gpu::TIMESTAMP_OFFSET)?;
    }
    // The GPU and CPU samples are taken back to back so that a client can correlate them; DURATION says how long
    // that took.
    let start = Instant::now();
    if flags & ts::GPU != 0 {
        out.current_timestamp = io.read64_counter(gpu::TIMESTAMP)?;
    }
    if flags & ts::GPU_CYCLE_COUNT != 0 {
        out.cycle_count = io.read64_counter(gpu::CYCLE_COUNT)?;
    }
    let ns = match cpu {
        ts::CPU_MONOTONIC => kernel::time::ktime_get_ns(),
        ts::CPU_MONOTONIC_RAW => kernel::time::ktime_get_raw_ns(),
        _ => 0,
    };
    if cpu != ts::CPU_NONE {
        out.cpu_timestamp_sec = ns / 1_000_000_000;
        out.cpu_timestamp_nsec = ns % 1_000_000_000;
    }
    if flags & ts::DURATION != 0 {
        out.duration_nsec = u32::try_from(start.elapsed().as_nanos()).unwrap_or(u32::MAX);
    }
    Ok(out)
}
