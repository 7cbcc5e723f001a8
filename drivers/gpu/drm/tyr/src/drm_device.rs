// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tyr as a DRM device: the probed GPU behind a `kernel::drm::device::Device`, opened as files whose ioctls reach
//! the driver's ioctl table (`panthor_drm_driver` in `panthor_drv.c`).

use std::sync::Arc;

use kernel::drm::auth::Opener;
use kernel::drm::device::{Device, DeviceDriver, DriverFeatures, DriverInfo};
use kernel::drm::file::File;
use kernel::drm::ioctl::IoctlDesc;
use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::page::Ram;
use kernel::platform;

use crate::devfreq::TyrDevfreq;
use crate::driver::TyrDevice;
use crate::file::TyrFile;
use crate::gem::{TyrDriver, TyrObject};
use crate::mmu::Mmu;
use crate::sched::{ResetCause, Scheduler};
use crate::uapi::{
    drm_panthor_csif_info, drm_panthor_gpu_info, DRIVER_DESC, DRIVER_MAJOR, DRIVER_MINOR,
    DRIVER_NAME, DRIVER_PATCHLEVEL,
};
use crate::vm::VmMmu;

pub use crate::gem::{TyrDrmDevice, TyrDrmFile};

/// The device's data: the probed GPU and the services every file shares.
pub struct TyrData {
    pm: crate::pm::DevicePm,
    sysfs: kernel::sysfs::AttributeSet,
    sched: Arc<Scheduler>,
    hw: TyrDevice,
    csif_info: drm_panthor_csif_info,
    va_bits: u32,
    devfreq: Arc<TyrDevfreq>,
}

impl Drop for TyrData {
    fn drop(&mut self) {
        // `panthor_device_unplug`: the GPU resumed and runtime PM off for the teardown; the scheduler stops (and
        // terminates resident groups) while the MCU still runs, and drops its PM reference.
        self.pm.unplug();
        self.sched.shutdown();
        self.devfreq.remove();
        self.sched.pm_unplug();
    }
}

impl TyrData {
    /// Power management.
    pub(crate) fn pm(&self) -> &crate::pm::DevicePm {
        &self.pm
    }

    /// The device's sysfs attributes (see [`crate::sysfs`]).
    pub fn sysfs(&self) -> &kernel::sysfs::AttributeSet {
        &self.sysfs
    }

    /// The scheduler.
    pub(crate) fn sched(&self) -> &Arc<Scheduler> {
        &self.sched
    }

    /// The GPU's frequency scaling.
    pub(crate) fn devfreq(&self) -> &Arc<TyrDevfreq> {
        &self.devfreq
    }

    /// The probed GPU.
    pub(crate) fn hw(&self) -> &TyrDevice {
        &self.hw
    }

    /// System RAM, where BOs and page tables live: what a CPU mapping of a BO ([`crate::mmap`]) maps.
    pub fn ram(&self) -> &Arc<Ram> {
        self.hw.ram()
    }

    /// The address-space slot manager.
    pub(crate) fn mmu(&self) -> &Arc<Mmu> {
        self.hw.mmu()
    }

    /// What DEV_QUERY GPU_INFO reports.
    pub(crate) fn gpu_info(&self) -> &drm_panthor_gpu_info {
        self.hw.gpu_info()
    }

    /// What DEV_QUERY CSIF_INFO reports.
    pub(crate) fn csif_info(&self) -> &drm_panthor_csif_info {
        &self.csif_info
    }
}

/// Probes `pdev` (reset, L2, firmware and MCU boot, IRQs) and registers the DRM device (`panthor_probe` →
/// `panthor_device_init` → `drm_dev_register`).
pub fn probe(pdev: &platform::Device) -> Result<Arc<TyrDrmDevice>> {
    // `panthor_device_init`: devfreq (clock and OPP) before the GPU is brought up.
    let devfreq = TyrDevfreq::init(pdev)?;
    let hw = TyrDevice::probe(pdev).inspect_err(|_| devfreq.remove())?;
    let va_bits = crate::regs::gpu::MmuFeatures(hw.gpu_info().mmu_features).va_bits();
    let pm = crate::pm::DevicePm::new().inspect_err(|_| devfreq.remove())?;
    let sched = Scheduler::new(hw.fw(), hw.iomem(), hw.ram(), Some(pm.gpu_rpm()))
        .inspect_err(|_| devfreq.remove())?;
    sched.set_devfreq(devfreq.clone());
    // Hang detection outside the scheduler (an AS command that never completes) schedules its reset.
    sched.set_hw_reset(hw.hw_reset().clone());
    let weak = Arc::downgrade(&sched);
    hw.mmu()
        .set_hang_notify(Some(kernel::alloc::try_arc(move |n: usize| {
            if let Some(s) = weak.upgrade() {
                s.schedule_reset(ResetCause::AsTimeout(n as u32));
            }
        })?));
    let offsets = hw.offsets().clone();
    let sysfs = kernel::sysfs::AttributeSet::new();
    kernel::pm_runtime::sysfs::add_power_attributes(&sysfs, pm.runtime())
        .and_then(|()| {
            crate::devfreq::add_sysfs(&sysfs, &format!("devfreq/{}", pdev.name()), &devfreq)
        })
        .inspect_err(|_| devfreq.remove())?;
    let data = TyrData {
        pm,
        sysfs,
        sched,
        csif_info: hw.csif_info(),
        hw,
        va_bits,
        devfreq,
    };
    let dev: Arc<TyrDrmDevice> = Device::with_offsets(data, offsets)?;
    // `panthor_device_reset_work`: a reset whose MCU does not boot again unplugs the device. This runs on the
    // scheduler's worker, which the device's teardown joins: should the reference taken here turn out to be the last,
    // the teardown goes to a thread of its own.
    let weak = Arc::downgrade(&dev);
    dev.data()
        .sched
        .set_unplug_notify(kernel::alloc::try_arc(move || {
            if let Some(d) = weak.upgrade() {
                d.unplug();
                if let Some(last) = Arc::into_inner(d) {
                    std::thread::spawn(move || drop(last));
                }
            }
        })?);
    // `drm_dev_init` names the device after its parent: the platform device (`fb000000.gpu`).
    dev.set_unique(pdev.name());
    dev.data().pm.probed(&dev);
    Ok(dev)
}

/// A render-node client without privileges (what `open("/dev/dri/renderD128")` gives).
pub const RENDER_CLIENT: Opener = Opener::RENDER;
/// A primary-node client without privileges (what `open("/dev/dri/card0")` gives): master if it is the first.
pub const PRIMARY_CLIENT: Opener = Opener::PRIMARY;

impl DeviceDriver for TyrDriver {
    type Data = TyrData;
    type File = TyrFile;
    const INFO: DriverInfo = DriverInfo {
        major: DRIVER_MAJOR,
        minor: DRIVER_MINOR,
        patchlevel: DRIVER_PATCHLEVEL,
        name: DRIVER_NAME,
        desc: DRIVER_DESC,
        date: "0",
    };
    const FEATURES: DriverFeatures = DriverFeatures::GEM
        .union(DriverFeatures::RENDER)
        .union(DriverFeatures::SYNCOBJ)
        .union(DriverFeatures::SYNCOBJ_TIMELINE);
    const IOCTLS: &'static [IoctlDesc<File<Self>>] = &crate::ioctl::IOCTLS;

    fn open(dev: &Arc<Device<Self>>) -> Result<TyrFile> {
        let d = dev.data();
        let mmu = d.mmu().clone();
        Ok(TyrFile::new(
            d.ram().clone(),
            d.va_bits,
            Arc::new(move || mmu.client() as Arc<dyn VmMmu>),
        )
        .with_scheduler(d.sched.clone())
        .with_offsets(dev.offsets().clone()))
    }

    /// Panthor refuses to export a BO that is private to a VM (it shares the VM's resv).
    fn may_export(obj: &TyrObject) -> Result {
        if obj.exclusive_vm().is_some() {
            return Err(EINVAL);
        }
        Ok(())
    }
}
