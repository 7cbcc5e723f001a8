// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr info`: boot the modelled board, probe the GPU, report it the way Panthor's probe logs it, then open a
//! render node and print what a client learns from DRM_IOCTL_VERSION and every DEV_QUERY.

use std::sync::Arc;

use kernel::transmute::{AsBytes, FromBytes};
use rk3588_platform::Rk3588;
use tyr::debugfs::{DeviceInfo, GpuId};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::{DRM_IOCTL_PANTHOR_DEV_QUERY, DRM_IOCTL_VERSION};
use tyr::uapi::*;

use crate::replay::ReplayError;

/// Boots a fresh board, probes the GPU and opens a render node on it.
fn boot() -> Result<(Rk3588, Arc<TyrDrmDevice>, Arc<TyrDrmFile>), ReplayError> {
    let soc = Rk3588::new().map_err(|e| ReplayError::Setup(format!("board: {e}")))?;
    let dev = probe(soc.gpu()).map_err(|e| ReplayError::Setup(format!("probe: {e}")))?;
    let file = TyrDrmFile::open(&dev, RENDER_CLIENT)
        .map_err(|e| ReplayError::Setup(format!("open: {e}")))?;
    Ok((soc, dev, file))
}

/// Probes a fresh board and renders the report.
pub fn run() -> Result<String, ReplayError> {
    let (soc, dev, file) = boot()?;
    let mut out = render(soc.gpu().name(), &tyr::debugfs::device::info(&dev));
    out.push_str(&queries(&file).map_err(|e| ReplayError::Setup(format!("DEV_QUERY: {e}")))?);
    Ok(out)
}

/// Probes a fresh board and renders what a client learns from VERSION and DEV_QUERY as one JSON document.
pub fn run_json() -> Result<String, ReplayError> {
    let (_soc, _dev, file) = boot()?;
    let v = queries_json(&file).map_err(|e| ReplayError::Setup(format!("DEV_QUERY: {e}")))?;
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&v).unwrap_or_default()
    ))
}

/// What a client learns through the uAPI: the driver's identity (VERSION) and the five DEV_QUERY payloads.
struct ClientView {
    name: String,
    desc: String,
    version: (i32, i32, i32),
    gpu: drm_panthor_gpu_info,
    csif: drm_panthor_csif_info,
    ts: drm_panthor_timestamp_info,
    prio: drm_panthor_group_priorities_info,
    mmu: drm_panthor_mmu_info,
}

impl ClientView {
    /// Asks `f` as a client would.
    fn fetch(f: &TyrDrmFile) -> kernel::Result<ClientView> {
        let mut name = [0u8; 32];
        let mut desc = [0u8; 64];
        let mut v = drm_version {
            name_len: name.len() as _,
            name: name.as_mut_ptr().cast(),
            desc_len: desc.len() as _,
            desc: desc.as_mut_ptr().cast(),
            ..Default::default()
        };
        ioctl(f, DRM_IOCTL_VERSION, &mut v)?;
        let text = |b: &[u8], n: u64| {
            String::from_utf8_lossy(&b[..(n as usize).min(b.len())]).into_owned()
        };
        Ok(ClientView {
            name: text(&name, v.name_len),
            desc: text(&desc, v.desc_len),
            version: (v.version_major, v.version_minor, v.version_patchlevel),
            gpu: dev_query(f, 0)?,
            csif: dev_query(f, 1)?,
            ts: dev_query(f, DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO)?,
            prio: dev_query(f, DRM_PANTHOR_DEV_QUERY_GROUP_PRIORITIES_INFO)?,
            mmu: dev_query(f, DRM_PANTHOR_DEV_QUERY_MMU_INFO)?,
        })
    }
}

/// VERSION and the five DEV_QUERY payloads as JSON, every field under its uAPI name.
pub fn queries_json(f: &TyrDrmFile) -> kernel::Result<serde_json::Value> {
    let ClientView {
        name,
        desc,
        version: (major, minor, patchlevel),
        gpu: g,
        csif: c,
        ts: t,
        prio: p,
        mmu: m,
    } = ClientView::fetch(f)?;
    Ok(serde_json::json!({
        "version": { "name": name, "desc": desc, "major": major, "minor": minor, "patchlevel": patchlevel },
        "gpu_info": {
            "gpu_id": g.gpu_id, "gpu_rev": g.gpu_rev, "csf_id": g.csf_id, "l2_features": g.l2_features,
            "tiler_features": g.tiler_features, "mem_features": g.mem_features, "mmu_features": g.mmu_features,
            "thread_features": g.thread_features, "max_threads": g.max_threads,
            "thread_max_workgroup_size": g.thread_max_workgroup_size,
            "thread_max_barrier_size": g.thread_max_barrier_size, "coherency_features": g.coherency_features,
            "texture_features": g.texture_features, "as_present": g.as_present,
            "selected_coherency": g.selected_coherency, "shader_present": g.shader_present,
            "l2_present": g.l2_present, "tiler_present": g.tiler_present, "core_features": g.core_features,
            "gpu_features": g.gpu_features,
        },
        "csif_info": {
            "csg_slot_count": c.csg_slot_count, "cs_slot_count": c.cs_slot_count, "cs_reg_count": c.cs_reg_count,
            "scoreboard_slot_count": c.scoreboard_slot_count,
            "unpreserved_cs_reg_count": c.unpreserved_cs_reg_count,
        },
        "timestamp_info": {
            "timestamp_frequency": t.timestamp_frequency, "current_timestamp": t.current_timestamp,
            "timestamp_offset": t.timestamp_offset,
        },
        "group_priorities_info": { "allowed_mask": p.allowed_mask },
        "mmu_info": { "page_size_bitmap": m.page_size_bitmap },
    }))
}

pub(crate) use crate::client::ioctl;

fn dev_query<T: AsBytes + FromBytes + Default>(f: &TyrDrmFile, kind: u32) -> kernel::Result<T> {
    let mut out = T::default();
    let mut q = drm_panthor_dev_query {
        type_: kind,
        size: size_of::<T>() as u32,
        pointer: &mut out as *mut T as u64,
    };
    ioctl(f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q)?;
    Ok(out)
}

/// What a client sees through the uAPI: the driver's identity and the five DEV_QUERY payloads, decoded.
pub fn queries(f: &TyrDrmFile) -> kernel::Result<String> {
    let ClientView {
        name,
        desc,
        version: (major, minor, patchlevel),
        gpu,
        csif,
        ts,
        prio,
        mmu,
    } = ClientView::fetch(f)?;
    let id = GpuId::decode(gpu.gpu_id);
    let cores = gpu.shader_present.count_ones();
    let coherency = match gpu.selected_coherency {
        DRM_PANTHOR_GPU_COHERENCY_ACE_LITE => "ACE-Lite",
        DRM_PANTHOR_GPU_COHERENCY_ACE => "ACE",
        _ => "none",
    };
    let prios: Vec<&str> = ["low", "medium", "high", "realtime"]
        .iter()
        .enumerate()
        .filter(|(i, _)| prio.allowed_mask & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    let sizes: Vec<String> = (12..40)
        .filter(|b| mmu.page_size_bitmap & (1u64 << b) != 0)
        .map(|b| {
            if b >= 20 {
                format!("{} MiB", 1u64 << (b - 20))
            } else {
                format!("{} KiB", 1u64 << (b - 10))
            }
        })
        .collect();
    Ok(format!(
        "render node: {} {}.{}.{} \"{}\"\n\
         GPU_INFO: {} r{}p{} status {:#x} (gpu_id {:#x}), csf_id {:#x}, {} shader cores (present {:#x}), \
         {} L2, {} tiler, AS {:#x}, {}-bit VA, coherency {}\n\
         CSIF_INFO: {} CSG slots, {} CS per group, {} CS registers ({} kept by the kernel), {} scoreboards\n\
         TIMESTAMP_INFO: {} Hz, timestamp {:#x}, offset {:#x}\n\
         GROUP_PRIORITIES_INFO: {} (mask {:#x})\n\
         MMU_INFO: page sizes {} (bitmap {:#x})\n",
        name,
        major,
        minor,
        patchlevel,
        desc,
        id.model_name(),
        id.version_major,
        id.version_minor,
        id.version_status,
        gpu.gpu_id,
        gpu.csf_id,
        cores,
        gpu.shader_present,
        gpu.l2_present.count_ones(),
        gpu.tiler_present.count_ones(),
        gpu.as_present,
        gpu.mmu_features & 0xff,
        coherency,
        csif.csg_slot_count,
        csif.cs_slot_count,
        csif.cs_reg_count,
        csif.unpreserved_cs_reg_count,
        csif.scoreboard_slot_count,
        ts.timestamp_frequency,
        ts.current_timestamp,
        ts.timestamp_offset,
        prios.join(", "),
        prio.allowed_mask,
        sizes.join(", "),
        mmu.page_size_bitmap,
    ))
}

/// The report: Panthor's three probe lines (`panthor_gpu_init_info`), then the memory layout, then the firmware: the
/// image loaded and Panthor's interface line (`panthor_fw_init_ifaces`).
pub fn render(name: &str, dev: &DeviceInfo) -> String {
    let i = &dev.gpu_info;
    let id = dev.gpu_id;
    let (img_major, img_minor, img_hash) = dev.image_version;
    let mut out = format!(
        "{name}: {} id {:#x} major {:#x} minor {:#x} status {:#x}\n\
         {name}: Features: L2:{:#x} Tiler:{:#x} Mem:{:#x} MMU:{:#x} AS:{:#x}\n\
         {name}: shader_present={:#x} l2_present={:#x} tiler_present={:#x}\n\
         {name}: va_bits={} pa_bits={} csf_id={:#x}\n",
        id.model_name().to_lowercase(),
        i.gpu_id >> 16,
        id.version_major,
        id.version_minor,
        id.version_status,
        i.l2_features,
        i.tiler_features,
        i.mem_features,
        i.mmu_features,
        i.as_present,
        i.shader_present,
        i.l2_present,
        i.tiler_present,
        i.mmu_features & 0xff,
        (i.mmu_features >> 8) & 0xff,
        i.csf_id,
    );
    out.push_str(&format!(
        "{name}: Firmware {} v{}.{} hash {:#x}, {} sections\n\
         {name}: CSF FW using interface v{}, Features {:#x} Instrumentation features {:#x}\n",
        dev.firmware,
        img_major,
        img_minor,
        img_hash,
        dev.sections.len(),
        dev.glb_version,
        dev.glb_features,
        dev.glb_instr_features,
    ));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn info_prints_panthors_probe_lines_for_the_g610() {
        let out = super::run().unwrap();
        let mut lines = out.lines();
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: mali-g610 id 0xa867 major 0x0 minor 0x0 status 0x5")
        );
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: Features: L2:0x7120306 Tiler:0x809 Mem:0x301 MMU:0x2830 AS:0xff")
        );
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: shader_present=0x50005 l2_present=0x1 tiler_present=0x1")
        );
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: va_bits=48 pa_bits=40 csf_id=0x40a0412")
        );
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: Firmware arm/mali/arch10.8/mali_csffw.bin v0.0 hash 0x74797200, 2 sections")
        );
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: CSF FW using interface v1.1.0, Features 0x0 Instrumentation features 0x0")
        );
        assert_eq!(
            lines.next(),
            Some("render node: panthor 1.9.0 \"Panthor DRM driver\"")
        );
        let gpu = lines.next().unwrap();
        assert!(gpu.starts_with(
            "GPU_INFO: Mali-G610 r0p0 status 0x5 (gpu_id 0xa8670005), csf_id 0x40a0412, 4 shader"
        ));
        assert_eq!(
            lines.next(),
            Some("CSIF_INFO: 8 CSG slots, 8 CS per group, 96 CS registers (4 kept by the kernel), 8 scoreboards")
        );
        assert!(lines
            .next()
            .unwrap()
            .starts_with("TIMESTAMP_INFO: 24000000 Hz, timestamp 0x"));
        assert_eq!(
            lines.next(),
            Some("GROUP_PRIORITIES_INFO: low, medium (mask 0x3)")
        );
        assert_eq!(
            lines.next(),
            Some("MMU_INFO: page sizes 4 KiB, 2 MiB (bitmap 0x201000)")
        );
    }

    #[test]
    fn info_json_carries_the_same_payloads() {
        let v: serde_json::Value = serde_json::from_str(&super::run_json().unwrap()).unwrap();
        assert_eq!(v["version"]["name"], "panthor");
        assert_eq!(v["version"]["minor"], 9);
        assert_eq!(v["gpu_info"]["gpu_id"], 0xa867_0005u32);
        assert_eq!(v["csif_info"]["csg_slot_count"], 8);
        assert_eq!(v["timestamp_info"]["timestamp_frequency"], 24_000_000);
        assert_eq!(v["mmu_info"]["page_size_bitmap"], 0x20_1000);
    }
}
