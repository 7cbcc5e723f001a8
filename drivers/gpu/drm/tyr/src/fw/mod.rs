// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! CSF firmware: loading the image into the MCU's VM, booting the MCU, discovering the interfaces it publishes and
//! the global-interface handshake (`panthor_fw.c`; `Documentation/hardware.md#firmware-image`).
//!
//! [`Firmware::load`] runs in probe after the L2 is powered:
//! 1. `request_firmware("arm/mali/arch<major>.<minor>/mali_csffw.bin")` and parse it ([`image`]);
//! 2. create the MCU VM (VA 0..4 GiB), allocate one BO per section, copy its data, zero the rest of ZERO sections, and
//!    map it at its VA with the section's permissions (no WR → read-only, no EX → no-exec, cache mode ≠ cached →
//!    uncached); keep a CPU view of the shared section ([`shared`]);
//! 3. make the VM live in AS 0, unmask the JOB IRQ, write MCU_CONTROL AUTO and wait for the GLB interrupt;
//! 4. discover the interfaces ([`iface`]) and run the global init ([`global`]), waiting for its acks.
//!
//! Teardown is RAII, in reverse: dropping a [`Firmware`] halts the MCU through GLB HALT, masks the JOB IRQ and stops
//! the MCU (MCU_CONTROL DISABLE), then disables AS 0 and frees the sections. A load that fails part-way unwinds
//! the steps it completed the same way.

pub(crate) mod global;
pub(crate) mod iface;
pub(crate) mod image;
pub(crate) mod job_irq;
pub(crate) mod reset;
pub(crate) mod shared;
mod suspend;

use core::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use kernel::drm::gem::IntoGemObject;
use kernel::error::code::{EINVAL, EIO, ETIMEDOUT};
use kernel::error::Result;
use kernel::firmware::request_firmware;
use kernel::io::IoMem;
use kernel::page::Ram;
use kernel::platform;

use crate::gem::{Offsets, TyrObject};
use crate::gpu::GpuId;
use crate::mmu::{AsClient, Mmu, MCU_AS};
use crate::regs::{gpu, irq, JobIrqBits, JOB_IRQ_BASE};
use crate::uapi::map_flags;
use crate::uapi::{drm_panthor_csif_info, drm_panthor_gpu_info};
use crate::vm::{Vm, VmMmu};
use global::{GlbConfig, GlobalIface};
use iface::{IfaceVersion, Interfaces};
use image::{CacheMode, Image, Section, SectionFlags};
use job_irq::JobIrq;
use shared::SharedMem;

/// How long the MCU may take to boot (`panthor_fw_start`: 1 s).
pub(crate) const BOOT_TIMEOUT: Duration = Duration::from_secs(1);
/// MCU_STATUS polling when stopping the MCU (`panthor_fw_stop`: every 10 µs, up to 100 ms).
const STOP_POLL: Duration = Duration::from_micros(10);
const STOP_TIMEOUT: Duration = Duration::from_millis(100);

/// The firmware file Panthor requests for a GPU (`arm/mali/arch<arch major>.<arch minor>/mali_csffw.bin`).
pub(crate) fn firmware_name(id: &GpuId) -> String {
    format!(
        "arm/mali/arch{}.{}/mali_csffw.bin",
        id.arch_major, id.arch_minor
    )
}

/// The VM_BIND map flags a section is mapped with (`panthor_fw_load_section_entry`).
pub(crate) fn section_map_flags(flags: SectionFlags) -> u32 {
    let mut f = 0;
    if !flags.writable() {
        f |= map_flags::READONLY;
    }
    if !flags.executable() {
        f |= map_flags::NOEXEC;
    }
    if flags.cache_mode() != CacheMode::Cached {
        f |= map_flags::UNCACHED;
    }
    f
}

/// One section as loaded in the MCU VM.
pub(crate) struct LoadedSection {
    /// MCU VAs it occupies.
    pub(crate) va: Range<u32>,
    /// Its image flags.
    pub(crate) flags: SectionFlags,
    /// Its name from the image.
    pub(crate) name: String,
    /// The memory behind it.
    pub(crate) bo: Arc<TyrObject>,
}

/// The image's identity (header fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ImageVersion {
    /// Image major version.
    pub(crate) major: u8,
    /// Image minor version.
    pub(crate) minor: u8,
    /// The image's version hash.
    pub(crate) version_hash: u32,
}

/// The MCU's VM with the sections mapped. Dropping it disables AS 0 and frees the sections.
struct McuVm {
    vm: Arc<Vm>,
    client: Arc<AsClient>,
    sections: Vec<LoadedSection>,
    shared: Arc<SharedMem>,
}

impl McuVm {
    fn load(
        img: &Image<'_>,
        ram: &Arc<Ram>,
        offsets: &Offsets,
        mmu: &Arc<Mmu>,
        va_bits: u32,
    ) -> Result<Self> {
        let client = mmu.mcu_client();
        let vm = Vm::new_mcu(va_bits, ram, client.clone() as Arc<dyn VmMmu>)?;
        let mut sections = Vec::new();
        let mut shared = None;
        for s in img.sections.iter().filter(|s| !s.va.is_empty()) {
            let bo = load_section(s, ram, offsets)?;
            let op = vm.prepare_map(
                &bo,
                0,
                u64::from(s.va.start),
                s.size(),
                section_map_flags(s.flags),
            )?;
            vm.execute(op)?;
            // Kernel BOs the MCU reads are allocated around the sections that sit in the auto-VA area.
            vm.reserve_kernel_va(u64::from(s.va.start), s.size())?;
            if s.va.start == image::SHARED_REGION_START {
                shared = Some(kernel::alloc::try_arc(SharedMem::of_bo(
                    ram.clone(),
                    bo.clone(),
                    s.va.start,
                )?)?);
            }
            let name = String::from_utf8_lossy(s.name)
                .trim_end_matches('\0')
                .to_string();
            kernel::alloc::try_push(
                &mut sections,
                LoadedSection {
                    va: s.va.clone(),
                    flags: s.flags,
                    name,
                    bo,
                },
            )?;
        }
        // The parser guarantees a non-empty shared section.
        let shared = shared.ok_or(EINVAL)?;
        let mcu_vm = Self {
            vm,
            client,
            sections,
            shared,
        };
        // `panthor_vm_active` on the MCU VM: AS 0, before the MCU starts.
        if mcu_vm.vm.activate()? != MCU_AS as u32 {
            return Err(EINVAL);
        }
        Ok(mcu_vm)
    }
}

impl Drop for McuVm {
    fn drop(&mut self) {
        self.vm.idle();
        self.client.release();
    }
}

/// A BO holding section `s` (with its fake offset in the device's space, as every shmem object: Panthor allocates
/// sections with `panthor_kernel_bo_create`): its data, then zeroes (fresh pages read as zero; ZERO sections are cleared explicitly,
/// as Panthor's `panthor_fw_init_section_mem` does, so a reload would also start clean).
fn load_section(s: &Section<'_>, ram: &Arc<Ram>, offsets: &Offsets) -> Result<Arc<TyrObject>> {
    let bo = TyrObject::create(offsets, ram, s.size(), 0, None)?;
    fill_section(s, &bo, ram)?;
    Ok(bo)
}

/// Copies section `s`'s data into `bo` and, for a ZERO section, zeroes the rest (`panthor_fw_init_section_mem`).
fn fill_section(s: &Section<'_>, bo: &TyrObject, ram: &Ram) -> Result {
    let page = kernel::page::FRAME_SIZE;
    for (i, pa) in bo.gem().get_pages()?.into_iter().enumerate() {
        let start = i as u64 * page;
        let data = s.data.get(start as usize..).unwrap_or(&[]);
        let n = data.len().min(page as usize);
        if s.flags.zero() {
            ram.zero(pa + n as u64, page - n as u64).map_err(|_| EIO)?;
        }
        if n > 0 {
            ram.write(pa, &data[..n]).map_err(|_| EIO)?;
        }
    }
    Ok(())
}

/// The MCU started by [`McuRun::start`]. Dropping it masks the JOB IRQ and stops the MCU (`panthor_fw_stop`).
struct McuRun {
    io: IoMem,
    irq: Arc<JobIrq>,
}

impl McuRun {
    /// `panthor_fw_start`: unmask the JOB IRQ, MCU_CONTROL ← AUTO, wait for the GLB interrupt (or RAWSTAT's GLB bit at
    /// the deadline), then require MCU_STATUS ENABLED. `ETIMEDOUT` if the MCU never signals, `EIO` if it reports FATAL.
    fn start(io: &IoMem, job: &Arc<JobIrq>) -> Result<Self> {
        // From here on the MCU may run: dropping the guard stops it.
        let run = Self {
            io: io.clone(),
            irq: job.clone(),
        };
        run.boot()?;
        Ok(run)
    }

    /// The boot itself, also run again after a GPU reset (`panthor_fw_start`).
    fn boot(&self) -> Result {
        boot_mcu(&self.io, &self.irq)
    }
}

/// The boot half of `panthor_fw_start` (also how a halted or reset MCU is started again): forget the last boot,
/// unmask the JOB IRQ, MCU_CONTROL ← AUTO, wait for the GLB interrupt (or RAWSTAT's GLB bit at the deadline), then
/// require MCU_STATUS ENABLED. `ETIMEDOUT` if the MCU never signals, `EIO` if it reports FATAL.
fn boot_mcu(io: &IoMem, job: &JobIrq) -> Result {
    job.start_boot();
    io.write32(JOB_IRQ_BASE + irq::CLEAR, JobIrqBits::ALL.0)?;
    io.write32(JOB_IRQ_BASE + irq::MASK, JobIrqBits::ALL.0)?;
    io.write32(gpu::MCU_CONTROL, gpu::mcu::CONTROL_AUTO)?;
    let status = || io.read32(gpu::MCU_STATUS).map(|s| s & gpu::mcu::MASK);
    job.wait_until(BOOT_TIMEOUT, || {
        job.booted() || status() == Ok(gpu::mcu::STATUS_FATAL)
    });
    let signalled = job.booted() || JobIrqBits(io.read32(JOB_IRQ_BASE + irq::RAWSTAT)?).glb() != 0;
    match status()? {
        gpu::mcu::STATUS_ENABLED if signalled => Ok(()),
        gpu::mcu::STATUS_FATAL => Err(EIO),
        _ => Err(ETIMEDOUT),
    }
}

impl Drop for McuRun {
    fn drop(&mut self) {
        // The handler must not touch the shared section once it goes away.
        self.irq.set_glb_notify(None);
        let _ = self.io.write32(JOB_IRQ_BASE + irq::MASK, 0);
        let _ = self.io.write32(gpu::MCU_CONTROL, gpu::mcu::CONTROL_DISABLE);
        let _ = self.io.poll32(
            gpu::MCU_STATUS,
            |s| s & gpu::mcu::MASK == gpu::mcu::STATUS_DISABLED,
            STOP_POLL,
            STOP_TIMEOUT,
        );
    }
}

/// The loaded firmware and the running MCU.
///
/// # Invariants
/// The MCU runs from `mcu_vm`'s sections through AS 0 for as long as `run` lives; fields drop in declaration order,
/// so the MCU is stopped (`run`) before AS 0 is disabled and the sections freed (`mcu_vm`).
pub(crate) struct Firmware {
    glb: Arc<GlobalIface>,
    ifaces: Interfaces,
    image: ImageVersion,
    glb_config: GlbConfig,
    irq: Arc<JobIrq>,
    /// The image as requested, which a GPU reset loads again (`panthor_reload_fw_sections`).
    raw: Vec<u8>,
    /// How many times every section was loaded again (slow resumes and GPU resets).
    reloads: core::sync::atomic::AtomicU64,
    run: McuRun,
    mcu_vm: McuVm,
}

impl Firmware {
    /// How many times the sections were loaded again since probe (slow resumes and GPU resets).
    pub(crate) fn reloads(&self) -> u64 {
        self.reloads.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Loads the firmware for `pdev` and boots the MCU (see the module documentation). The JOB IRQ handler behind `irq`
    /// must already be registered, and the MMU's IRQ handler too (a fault of the MCU lands in AS 0).
    ///
    /// Errors: `ENOENT` for a missing image, `EINVAL` for a malformed one or for interfaces that do not validate,
    /// `ENOMEM`, `ETIMEDOUT` when the MCU does not boot or acknowledge the global init, `EIO` when it reports FATAL.
    pub(crate) fn load(
        pdev: &platform::Device,
        io: &IoMem,
        mmu: &Arc<Mmu>,
        irq: &Arc<JobIrq>,
        gpu_info: &drm_panthor_gpu_info,
        offsets: &Offsets,
    ) -> Result<Self> {
        let fw = request_firmware(pdev, &firmware_name(&GpuId::decode(gpu_info.gpu_id)))?;
        let img = Image::parse(fw.data())?;
        let mut raw = Vec::new();
        raw.try_reserve_exact(fw.data().len())
            .map_err(|_| kernel::error::code::ENOMEM)?;
        raw.extend_from_slice(fw.data());
        let image = ImageVersion {
            major: img.major,
            minor: img.minor,
            version_hash: img.version_hash,
        };
        let mcu_vm = McuVm::load(
            &img,
            pdev.ram(),
            offsets,
            mmu,
            gpu::MmuFeatures(gpu_info.mmu_features).va_bits(),
        )?;
        let run = McuRun::start(io, irq)?;
        let ifaces = iface::discover(&mcu_vm.shared)?;
        let glb = kernel::alloc::try_arc(GlobalIface::new(
            mcu_vm.shared.clone(),
            io.clone(),
            ifaces.glb,
        ))?;
        let acker = glb.clone();
        irq.set_glb_notify(Some(kernel::alloc::try_arc(move || {
            // A failed access to the shared section leaves the events pending; nothing else to do from here.
            let _ = acker.process_events();
        })?));
        let glb_config =
            GlbConfig::panthor(gpu_info.shader_present, kernel::time::arch_timer_rate());
        let fw = Self {
            glb,
            ifaces,
            image,
            glb_config,
            irq: irq.clone(),
            raw,
            reloads: core::sync::atomic::AtomicU64::new(0),
            run,
            mcu_vm,
        };
        // From here a failure unwinds through `Drop`: halt, stop, release AS 0.
        fw.glb.init(&fw.irq, &fw.glb_config)?;
        Ok(fw)
    }

    /// What DEV_QUERY CSIF_INFO reports, from what the MCU published.
    pub(crate) fn csif_info(&self) -> drm_panthor_csif_info {
        self.ifaces.csif_info()
    }

    /// The global interface version the MCU published.
    pub(crate) fn glb_version(&self) -> IfaceVersion {
        self.ifaces.glb.version
    }

    /// The image's header identity.
    pub(crate) fn image_version(&self) -> ImageVersion {
        self.image
    }

    /// Every interface discovered.
    pub(crate) fn interfaces(&self) -> &Interfaces {
        &self.ifaces
    }

    /// The global interface (requests, doorbell, halt).
    pub(crate) fn glb(&self) -> &Arc<GlobalIface> {
        &self.glb
    }

    /// What the global init programmed.
    #[cfg(test)]
    pub(crate) fn glb_config(&self) -> &GlbConfig {
        &self.glb_config
    }

    /// The JOB IRQ state the firmware waits on.
    pub(crate) fn job_irq(&self) -> &Arc<JobIrq> {
        &self.irq
    }

    /// The kernel's view of the shared section.
    pub(crate) fn shared(&self) -> &Arc<SharedMem> {
        &self.mcu_vm.shared
    }

    /// The MCU's VM (AS 0), where kernel objects shared with the MCU are mapped.
    pub(crate) fn vm(&self) -> &Arc<Vm> {
        &self.mcu_vm.vm
    }

    /// The sections loaded, in image order.
    pub(crate) fn sections(&self) -> &[LoadedSection] {
        &self.mcu_vm.sections
    }

    /// Halts the MCU through GLB HALT (`panthor_fw_halt_mcu`); nothing to do if it is already halted. The MCU stays
    /// halted until the firmware is dropped (which stops it).
    pub(crate) fn halt(&self) -> Result {
        let status = self.run.io.read32(gpu::MCU_STATUS)? & gpu::mcu::MASK;
        if status == gpu::mcu::STATUS_HALT {
            return Ok(());
        }
        self.glb.halt()
    }
}

impl Drop for Firmware {
    fn drop(&mut self) {
        // A failed halt (a hung or crashed MCU) still ends in the stop `run` does when it drops.
        let _ = self.halt();
    }
}
