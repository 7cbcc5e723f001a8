//! Tyr: the Rust DRM driver for Arm Mali CSF GPUs, speaking the Panthor uAPI, on the modelled RK3588.
//!
//! The driver reaches the GPU only through MMIO, IRQs and RAM, as on silicon:
//!
//! * [`driver`] probes the GPU, loading the CSF firmware and booting the MCU ([`fw`]); [`drm_device`] registers it
//!   as a DRM device whose files dispatch [`ioctl`]'s table;
//! * [`file`] holds a client's VMs and the BO/VM ioctls, [`query`] DEV_QUERY, [`mmap`] CPU mappings, [`gem`] the
//!   buffer objects;
//! * [`vm`] builds each VM on GpuVm + io-pgtable, [`mmu`] manages the address-space slots and MMU faults;
//! * [`uapi`] is generated from the kernel's header, [`uobj`] holds Panthor's extensible user-object rules.

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
