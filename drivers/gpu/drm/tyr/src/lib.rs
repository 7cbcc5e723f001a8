// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tyr: the Rust DRM driver for Arm Mali CSF GPUs, speaking the Panthor uAPI, on the modelled RK3588.
//!
//! The driver reaches the GPU only through MMIO, IRQs and RAM, as on silicon:
//!
//! * [`driver`] probes the GPU, loading the CSF firmware and booting the MCU ([`fw`]); [`drm_device`] registers it
//!   as a DRM device whose files dispatch [`ioctl`]'s table;
//! * [`mod@file`] holds a client's VMs and the BO/VM ioctls, [`query`] DEV_QUERY, [`mmap`] CPU mappings, [`gem`] the
//!   buffer objects;
//! * [`vm`] builds each VM on GpuVm + io-pgtable, [`mmu`] manages the address-space slots and MMU faults;
//! * [`uapi`] is generated from the kernel's header, [`uobj`] holds Panthor's extensible user-object rules.
//!
//! # The layer
//! The only layer that knows Mali (`Documentation/design.md` rule 1, `Documentation/layers.md`): it uses `kernel` for
//! everything else and reaches the model only through MMIO, IRQs and RAM. A bind follows the path of one VM_BIND
//! (`Documentation/design.md#the-path-of-one-vm_bind`): checks and pre-allocation in the ioctl (rule 4, immediate
//! mode), then [`vm::Vm::execute`] under the AS region lock with the TLB flush after.
//! [`check`] and [`vm::check`] verify the result against the page table itself.
//!
//! # Tracing
//! `tracing` spans: `vm_bind_op` per executed op ([`vm::Vm::execute`], with op kind, range and errno), `bind_job` per
//! asynchronous bind job, `group_submit` per GROUP_SUBMIT; events for each GPUVM step (target `tyr::gpuvm`, at
//! trace level), the AS region lock and TLB flush ([`mmu`]) and each MMU fault. Off unless a subscriber is
//! installed (`TYR_LOG` in the `tyr` tool and the shim).

pub mod check;
pub mod driver;
pub mod drm_device;
pub mod file;
pub mod fw;
pub mod gem;
pub mod gpu;
pub mod ioctl;
pub mod kbo;
pub mod mmap;
pub mod mmu;
pub mod query;
pub mod regs;
pub mod sched;
pub mod sync;
pub mod uapi;
pub mod uobj;
pub mod vm;
