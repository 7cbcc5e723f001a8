// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tyr: the Rust DRM driver for Arm Mali CSF GPUs, speaking the Panthor uAPI, on the modelled RK3588.
//!
//! The driver reaches the GPU only through MMIO, IRQs and RAM, as on silicon. What it shows the rest of the system
//! is what a kernel driver shows:
//!
//! * [`drm_device`]: probe (which also loads the CSF firmware and boots the MCU) and the DRM device whose files
//!   dispatch the Panthor ioctl table; removal is dropping the device;
//! * [`gem`]: the driver type and its buffer objects;
//! * [`mmap`]: what backs a CPU mapping of a file;
//! * [`uapi`]: the uAPI, generated from the kernel's header, with the flag sets Panthor's clients use;
//! * [`devfreq`]: Panthor's frequency scaling of the GPU clock, and its sysfs attributes;
//! * [`pm`]: runtime power management and system suspend/resume, as Panthor does them;
//! * [`sysfs`]: the device's sysfs attributes (`power/control`, `power/runtime_status`, ...) by path;
//! * [`debugfs`]: read-only snapshots for tools and tests (VMs and their page tables, AS and CSG slots, groups,
//!   heaps, firmware) and the consistency checker.
//!
//! Everything else is the crate's own: the platform driver (`driver`), the firmware (`fw`), the ioctl table
//! (`ioctl`) and its per-file handlers (`file`, `query`, `uobj`, `sync`), the VMs on GpuVm + io-pgtable (`vm`), the
//! address-space slots and MMU faults (`mmu`), the scheduler (`sched`) and kernel BOs (`kbo`).
//!
//! # The layer
//! The only layer that knows Mali (`Documentation/design.md` rule 1, `Documentation/layers.md`): it uses `kernel` for
//! everything else and reaches the model only through MMIO, IRQs and RAM. A bind follows the path of one VM_BIND
//! (`Documentation/design.md#the-path-of-one-vm_bind`): checks and pre-allocation in the ioctl (rule 4, immediate
//! mode), then the VM executes the op under the AS region lock with the TLB flush after. The checker
//! ([`debugfs::check`]) verifies the result against the page table itself.
//!
//! # Tracing
//! `tracing` spans: `vm_bind_op` per executed op (with op kind, range and errno), `bind_job` per asynchronous bind
//! job, `group_submit` per GROUP_SUBMIT; events for each GPUVM step (target `tyr::gpuvm`, at trace level), the AS
//! region lock and TLB flush and each MMU fault. Off unless a subscriber is installed (`TYR_LOG` in the `tyr` tool
//! and the shim).

pub mod debugfs;
pub mod devfreq;
pub mod drm_device;
pub mod gem;
pub mod mmap;
pub mod pm;
pub mod sysfs;
pub mod uapi;

mod driver;
mod file;
mod fw;
mod gpu;
mod gpu_irq;
mod gpu_power;
mod ioctl;
mod kbo;
mod mmu;
mod query;
mod regs;
mod reset;
mod sched;
mod sync;
mod uobj;
mod vm;

#[cfg(test)]
mod tests;
