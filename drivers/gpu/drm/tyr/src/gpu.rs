// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What the GPU reports about itself: the ID and feature registers, read once at probe, as DEV_QUERY GPU_INFO
//! returns them (`panthor_hw.c` / `panthor_gpu.c` read order).

use kernel::error::Result;
use kernel::io::IoMem;

use crate::regs::gpu;
use crate::uapi::{drm_panthor_gpu_info, DRM_PANTHOR_GPU_COHERENCY_NONE};

/// Reads every register DEV_QUERY GPU_INFO reports.
pub(crate) fn read_gpu_info(io: &IoMem) -> Result<drm_panthor_gpu_info> {
    let mut info = drm_panthor_gpu_info {
        gpu_id: io.read32(gpu::ID)?,
        csf_id: io.read32(gpu::CSF_ID)?,
        gpu_rev: io.read32(gpu::REVID)?,
        core_features: io.read32(gpu::CORE_FEATURES)?,
        l2_features: io.read32(gpu::L2_FEATURES)?,
        tiler_features: io.read32(gpu::TILER_FEATURES)?,
        mem_features: io.read32(gpu::MEM_FEATURES)?,
        mmu_features: io.read32(gpu::MMU_FEATURES)?,
        thread_features: io.read32(gpu::THREAD_FEATURES)?,
        max_threads: io.read32(gpu::THREAD_MAX_THREADS)?,
        thread_max_workgroup_size: io.read32(gpu::THREAD_MAX_WORKGROUP_SIZE)?,
        thread_max_barrier_size: io.read32(gpu::THREAD_MAX_BARRIER_SIZE)?,
        coherency_features: io.read32(gpu::COHERENCY_FEATURES)?,
        as_present: io.read32(gpu::AS_PRESENT)?,
        shader_present: io.read64(gpu::SHADER_PRESENT)?,
        tiler_present: io.read64(gpu::TILER_PRESENT)?,
        l2_present: io.read64(gpu::L2_PRESENT)?,
        gpu_features: io.read64(gpu::GPU_FEATURES)?,
        // RK3588's GPU is not IO-coherent: Panthor selects NONE and programs it at power-up.
        selected_coherency: DRM_PANTHOR_GPU_COHERENCY_NONE,
        ..Default::default()
    };
    for (i, t) in info.texture_features.iter_mut().enumerate() {
        *t = io.read32(gpu::TEXTURE_FEATURES + 4 * i)?;
    }
    Ok(info)
}

/// The decoded GPU_ID (`arch major 31:28, arch minor 27:24, arch rev 23:20, product major 19:16, version major 15:12,
/// version minor 11:4, status 3:0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuId {
    /// Architecture major.
    pub arch_major: u32,
    /// Architecture minor.
    pub arch_minor: u32,
    /// Architecture revision.
    pub arch_rev: u32,
    /// Product major.
    pub product_major: u32,
    /// Version major (the "rN" of rNpM).
    pub version_major: u32,
    /// Version minor (the "pM").
    pub version_minor: u32,
    /// Version status.
    pub version_status: u32,
}

impl GpuId {
    /// Decodes a GPU_ID value.
    pub fn decode(v: u32) -> Self {
        Self {
            arch_major: v >> 28,
            arch_minor: (v >> 24) & 0xf,
            arch_rev: (v >> 20) & 0xf,
            product_major: (v >> 16) & 0xf,
            version_major: (v >> 12) & 0xf,
            version_minor: (v >> 4) & 0xff,
            version_status: v & 0xf,
        }
    }

    /// The marketing name Panthor prints, for the models it knows (`panthor_hw.c`).
    pub fn model_name(&self) -> &'static str {
        match (self.arch_major, self.product_major) {
            (10, 7) => "Mali-G610",
            (10, 2) => "Mali-G710",
            (10, 3) => "Mali-G510",
            (10, 4) => "Mali-G310",
            _ => "unknown Mali",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rk3588_gpu_id_decodes_to_a_g610_r0p0() {
        let id = GpuId::decode(0xa867_0005);
        assert_eq!(
            (id.arch_major, id.arch_minor, id.arch_rev, id.product_major),
            (10, 8, 6, 7)
        );
        assert_eq!(
            (id.version_major, id.version_minor, id.version_status),
            (0, 0, 5)
        );
        assert_eq!(id.model_name(), "Mali-G610");
    }
}
