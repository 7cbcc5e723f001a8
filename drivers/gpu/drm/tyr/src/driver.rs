// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Probe: bringing the GPU up the way Panthor does (`Documentation/hardware.md#driver-sequences`), through `kernel::io`
//! and `kernel::irq` only.
//!
//! Order: match the device, map its registers, read the ID and feature registers, program the GPU/MMU/JOB IRQ masks,
//! select no coherency, soft-reset (waiting for RESET_COMPLETED on the GPU IRQ line, falling back to RAWSTAT as Panthor
//! does), power up the L2, register the MMU and JOB interrupt handlers, then load the CSF firmware and boot the MCU
//! ([`crate::fw`]): MCU VM in AS 0, MCU_CONTROL AUTO, interface discovery, global init.
//!
//! Teardown is the reverse, by drop order: the firmware goes first (GLB HALT, MCU stopped, AS 0 disabled), then the
//! interrupt handlers are unregistered, then every interrupt is masked. A probe that fails part-way unwinds the same
//! way through the guards it already holds.

use std::sync::Arc;

use kernel::error::code::{ENODEV, ENXIO};
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::irq::Registration;
use kernel::page::Ram;
use kernel::platform;

use crate::fw::job_irq::JobIrq;
use crate::fw::Firmware;
use crate::gem::Offsets;
use crate::gpu::{read_gpu_info, GpuId};
use crate::gpu_irq::GpuIrq;
use crate::gpu_power::{l2_power_on, soft_reset};
use crate::mmu::Mmu;
use crate::regs::{gpu, irq, JOB_IRQ_BASE, MMU_IRQ_BASE};
use crate::reset::HwReset;
use crate::uapi::{drm_panthor_csif_info, drm_panthor_gpu_info};

/// Device-tree compatibles this driver binds to (Panthor's `dt_match`).
pub(crate) const OF_MATCH: [&str; 1] = ["arm,mali-valhall-csf"];

/// MMU IRQ mask Panthor enables: one page-fault bit per AS (0..15).
const MMU_IRQ_MASK: u32 = 0xffff;

/// Masks every interrupt block when dropped (`panthor_*_irq_suspend`), so a torn-down or half-probed device raises
/// nothing.
struct IrqsSuspended {
    io: IoMem,
}

impl Drop for IrqsSuspended {
    fn drop(&mut self) {
        for block in [JOB_IRQ_BASE, MMU_IRQ_BASE, gpu::IRQ_BASE] {
            let _ = self.io.write32(block + irq::MASK, 0);
        }
    }
}

/// A probed Tyr device.
///
/// # Invariants
/// Fields drop in declaration order: the firmware (halting and stopping the MCU, releasing AS 0) before the IRQ
/// handlers it relies on, and those before the interrupts are masked.
pub(crate) struct TyrDevice {
    fw: Arc<Firmware>,
    _job_irq_handler: Registration,
    _mmu_irq_handler: Registration,
    _gpu_irq_handler: Registration,
    _irqs: IrqsSuspended,
    mmu: Arc<Mmu>,
    ram: Arc<Ram>,
    offsets: Arc<Offsets>,
    iomem: IoMem,
    gpu_info: drm_panthor_gpu_info,
    gpu_irq: Arc<GpuIrq>,
    reset: Arc<HwReset>,
}

impl TyrDevice {
    /// Probes `pdev`.
    ///
    /// Errors: `ENODEV` for a device that is not a Mali CSF GPU or reports GPU_ID 0, `ENXIO` for a missing register
    /// window or IRQ, `EIO` for a bus error or an MCU that reports FATAL, `ETIMEDOUT` if the reset, the L2 power-up,
    /// the MCU boot or the global init never completes, `ENOENT` when the firmware is not installed and `EINVAL` when
    /// it is malformed (see [`Firmware::load`]).
    pub(crate) fn probe(pdev: &platform::Device) -> Result<Self> {
        pdev.match_ids(&OF_MATCH)?;
        let iomem = pdev.ioremap_resource(0)?;
        let (job_line, mmu_line, gpu_line) = (
            pdev.irq_by_name("job")?,
            pdev.irq_by_name("mmu")?,
            pdev.irq_by_name("gpu")?,
        );
        let gpu_info = read_gpu_info(&iomem)?;
        if gpu_info.gpu_id == 0 {
            // Panthor gives up on a GPU that reads as all zeroes (powered off, or not there).
            return Err(ENODEV);
        }
        if gpu_info.as_present == 0 {
            return Err(ENXIO);
        }
        let irqs = IrqsSuspended { io: iomem.clone() };
        irq_resume(&iomem, gpu::IRQ_BASE, gpu::irq::PANTHOR_MASK)?;
        irq_resume(&iomem, MMU_IRQ_BASE, MMU_IRQ_MASK)?;
        irq_resume(&iomem, JOB_IRQ_BASE, 0)?;
        iomem.write32(gpu::COHERENCY_PROTOCOL, gpu::COHERENCY_NONE)?;
        soft_reset(&iomem, |t| {
            gpu_line.wait_asserted(t);
            false
        })?;
        l2_power_on(&iomem, gpu_info.l2_present as u32)?;
        // From here the GPU interrupt has its handler (faults, and the completions later resets wait for).
        let gpu_irq = kernel::alloc::try_arc(GpuIrq::new(iomem.clone()))?;
        let g = gpu_irq.clone();
        let gpu_irq_handler = Registration::new("gpu", gpu_line, move || g.handle_irq())?;

        let mmu = Mmu::new(iomem.clone(), gpu_info.as_present);
        let m = mmu.clone();
        let mmu_irq_handler = Registration::new("mmu", mmu_line, move || m.handle_irq())?;
        let job_irq = kernel::alloc::try_arc(JobIrq::new(iomem.clone()))?;
        let j = job_irq.clone();
        let job_irq_handler = Registration::new("job", job_line, move || j.handle_irq())?;
        // The fake-offset space of the DRM device this GPU becomes: `drm_dev_alloc` sets it up before
        // `panthor_device_init`, so the firmware's BOs take the first offsets.
        let offsets = kernel::alloc::try_arc(Offsets::new())?;
        let fw = kernel::alloc::try_arc(Firmware::load(
            pdev, &iomem, &mmu, &job_irq, &gpu_info, &offsets,
        )?)?;
        let reset = kernel::alloc::try_arc(HwReset::new(
            iomem.clone(),
            pdev.ram().clone(),
            mmu.clone(),
            Arc::downgrade(&fw),
            gpu_irq.clone(),
            gpu_info.l2_present as u32,
        ))?;
        Ok(Self {
            fw,
            _job_irq_handler: job_irq_handler,
            _mmu_irq_handler: mmu_irq_handler,
            _gpu_irq_handler: gpu_irq_handler,
            _irqs: irqs,
            mmu,
            ram: pdev.ram().clone(),
            offsets,
            iomem,
            gpu_info,
            gpu_irq,
            reset,
        })
    }

    /// The hardware half of a GPU reset.
    pub(crate) fn hw_reset(&self) -> &Arc<HwReset> {
        &self.reset
    }

    /// The GPU interrupt's state (faults reported).
    pub(crate) fn gpu_irq(&self) -> &GpuIrq {
        &self.gpu_irq
    }

    /// What DEV_QUERY GPU_INFO reports.
    pub(crate) fn gpu_info(&self) -> &drm_panthor_gpu_info {
        &self.gpu_info
    }

    /// The fake-offset space the device's BOs take their mmap offsets from (the firmware's are there already).
    pub(crate) fn offsets(&self) -> &Arc<Offsets> {
        &self.offsets
    }

    /// The decoded GPU_ID.
    pub(crate) fn gpu_id(&self) -> GpuId {
        GpuId::decode(self.gpu_info.gpu_id)
    }

    /// The register window.
    pub(crate) fn iomem(&self) -> &IoMem {
        &self.iomem
    }

    /// The system RAM the GPU reaches (where BOs and page tables live).
    pub(crate) fn ram(&self) -> &Arc<Ram> {
        &self.ram
    }

    /// The MMU: address-space slots for user VMs (AS 0 is the MCU's) and the fault handler.
    pub(crate) fn mmu(&self) -> &Arc<Mmu> {
        &self.mmu
    }

    /// The loaded firmware and the running MCU.
    pub(crate) fn fw(&self) -> &Firmware {
        &self.fw
    }

    /// What DEV_QUERY CSIF_INFO reports.
    pub(crate) fn csif_info(&self) -> drm_panthor_csif_info {
        self.fw.csif_info()
    }
}

/// `panthor_irq_resume`: clear, then unmask.
pub(crate) fn irq_resume(io: &IoMem, block: usize, mask: u32) -> Result {
    io.write32(block + irq::CLEAR, mask)?;
    io.write32(block + irq::MASK, mask)
}
