//! Probe: bringing the GPU up the way Panthor does (spec/mali-g610.md §9.1–§9.4), through `kernel::io` and
//! `kernel::irq` only.
//!
//! Order: match the device, map its registers, read the ID and feature registers, program the GPU/MMU/JOB IRQ masks,
//! select no coherency, soft-reset (waiting for RESET_COMPLETED on the GPU IRQ line, falling back to RAWSTAT as Panthor
//! does), and power up the L2. Firmware loading and the MCU come with the CSF work.

use std::sync::Arc;
use std::time::Duration;

use kernel::error::code::{ENODEV, ENXIO, ETIMEDOUT};
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::irq::IrqLine;
use kernel::platform;

use crate::gpu::{read_gpu_info, GpuId};
use crate::regs::{gpu, irq, JOB_IRQ_BASE, MMU_IRQ_BASE};
use crate::uapi::drm_panthor_gpu_info;

/// Device-tree compatibles this driver binds to (Panthor's `dt_match`).
pub const OF_MATCH: [&str; 1] = ["arm,mali-valhall-csf"];

/// How long a soft reset may take before Panthor looks at RAWSTAT (`panthor_gpu_soft_reset`).
const RESET_TIMEOUT: Duration = Duration::from_millis(100);
/// Power-transition timeout and poll interval (`panthor_gpu_block_power_on`: 20 ms, 100 µs).
const POWER_TIMEOUT: Duration = Duration::from_millis(20);
const POWER_POLL: Duration = Duration::from_micros(100);
/// MMU IRQ mask Panthor enables: one page-fault bit per AS (0..15).
const MMU_IRQ_MASK: u32 = 0xffff;

/// A probed Tyr device.
pub struct TyrDevice {
    iomem: IoMem,
    gpu_info: drm_panthor_gpu_info,
    gpu_irq: Arc<dyn IrqLine>,
    _job_irq: Arc<dyn IrqLine>,
    _mmu_irq: Arc<dyn IrqLine>,
}

impl TyrDevice {
    /// Probes `pdev`.
    ///
    /// Errors: `ENODEV` for a device that is not a Mali CSF GPU or reports GPU_ID 0, `ENXIO` for a missing register
    /// window or IRQ, `EIO` for a bus error, `ETIMEDOUT` if the reset or the L2 power-up never completes.
    pub fn probe(pdev: &platform::Device) -> Result<Self> {
        pdev.match_ids(&OF_MATCH)?;
        let iomem = pdev.ioremap_resource(0)?;
        let (job_irq, mmu_irq, gpu_irq) =
            (pdev.irq_by_name("job")?, pdev.irq_by_name("mmu")?, pdev.irq_by_name("gpu")?);
        let gpu_info = read_gpu_info(&iomem)?;
        if gpu_info.gpu_id == 0 {
            // Panthor gives up on a GPU that reads as all zeroes (powered off, or not there).
            return Err(ENODEV);
        }
        if gpu_info.as_present == 0 {
            return Err(ENXIO);
        }
        let dev = Self { iomem, gpu_info, gpu_irq, _job_irq: job_irq, _mmu_irq: mmu_irq };
        dev.irq_resume(gpu::IRQ_BASE, gpu::irq::PANTHOR_MASK)?;
        dev.irq_resume(MMU_IRQ_BASE, MMU_IRQ_MASK)?;
        dev.irq_resume(JOB_IRQ_BASE, 0)?;
        dev.iomem.write32(gpu::COHERENCY_PROTOCOL, gpu::COHERENCY_NONE)?;
        dev.soft_reset()?;
        dev.l2_power_on()?;
        Ok(dev)
    }

    /// What DEV_QUERY GPU_INFO reports.
    pub fn gpu_info(&self) -> &drm_panthor_gpu_info {
        &self.gpu_info
    }

    /// The decoded GPU_ID.
    pub fn gpu_id(&self) -> GpuId {
        GpuId::decode(self.gpu_info.gpu_id)
    }

    /// The register window.
    pub fn iomem(&self) -> &IoMem {
        &self.iomem
    }

    /// `panthor_irq_resume`: clear, then unmask.
    fn irq_resume(&self, block: usize, mask: u32) -> Result {
        self.iomem.write32(block + irq::CLEAR, mask)?;
        self.iomem.write32(block + irq::MASK, mask)
    }

    /// `panthor_gpu_soft_reset`: clear RESET_COMPLETED, issue SOFT_RESET, wait for the IRQ; on timeout succeed anyway
    /// if RAWSTAT shows the reset finished.
    fn soft_reset(&self) -> Result {
        let done = gpu::irq::RESET_COMPLETED;
        self.iomem.write32(gpu::IRQ_BASE + irq::CLEAR, done)?;
        self.iomem.write32(gpu::COMMAND, gpu::command::SOFT_RESET)?;
        self.gpu_irq.wait_asserted(RESET_TIMEOUT);
        if self.iomem.read32(gpu::IRQ_BASE + irq::RAWSTAT)? & done == 0 {
            return Err(ETIMEDOUT);
        }
        self.iomem.write32(gpu::IRQ_BASE + irq::CLEAR, done)
    }

    /// `panthor_gpu_block_power_on` for the L2 (mask = L2_PRESENT): wait for no transition, request power, wait for
    /// READY.
    fn l2_power_on(&self) -> Result {
        let mask = self.gpu_info.l2_present as u32;
        self.iomem.poll32(gpu::L2_PWRTRANS, |v| v & mask == 0, POWER_POLL, POWER_TIMEOUT)?;
        self.iomem.write32(gpu::L2_PWRON, mask)?;
        self.iomem.poll32(gpu::L2_READY, |v| v & mask == mask, POWER_POLL, POWER_TIMEOUT)?;
        Ok(())
    }
}
