//! `tyr info`: boot the modelled board, probe the GPU, and report it the way Panthor's probe logs it.

use rk3588_platform::Rk3588;
use tyr::driver::TyrDevice;
use tyr::fw::firmware_name;

use crate::replay::ReplayError;

/// Probes a fresh board and renders the report.
pub fn run() -> Result<String, ReplayError> {
    let soc = Rk3588::new().map_err(|e| ReplayError::Setup(format!("board: {e}")))?;
    let dev = TyrDevice::probe(soc.gpu()).map_err(|e| ReplayError::Setup(format!("probe: {e}")))?;
    Ok(render(soc.gpu().name(), &dev))
}

/// The report: Panthor's three probe lines (`panthor_gpu_init_info`), then the memory layout, then the firmware: the
/// image loaded and Panthor's interface line (`panthor_fw_init_ifaces`).
pub fn render(name: &str, dev: &TyrDevice) -> String {
    let i = dev.gpu_info();
    let id = dev.gpu_id();
    let fw = dev.fw();
    let img = fw.image_version();
    let glb = fw.interfaces().glb;
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
        firmware_name(&id),
        img.major,
        img.minor,
        img.version_hash,
        fw.sections().len(),
        glb.version,
        glb.features,
        glb.instr_features,
    ));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn info_prints_panthors_probe_lines_for_the_g610() {
        let out = super::run().unwrap();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("fb000000.gpu: mali-g610 id 0xa867 major 0x0 minor 0x0 status 0x5"));
        assert_eq!(lines.next(), Some("fb000000.gpu: Features: L2:0x7120306 Tiler:0x809 Mem:0x301 MMU:0x2830 AS:0xff"));
        assert_eq!(lines.next(), Some("fb000000.gpu: shader_present=0x50005 l2_present=0x1 tiler_present=0x1"));
        assert_eq!(lines.next(), Some("fb000000.gpu: va_bits=48 pa_bits=40 csf_id=0x40a0412"));
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: Firmware arm/mali/arch10.8/mali_csffw.bin v0.0 hash 0x74797200, 2 sections")
        );
        assert_eq!(
            lines.next(),
            Some("fb000000.gpu: CSF FW using interface v1.1.0, Features 0x0 Instrumentation features 0x0")
        );
    }
}
