//! Tyr: the Rust DRM driver for Arm Mali CSF GPUs, speaking the Panthor uAPI, on the modelled RK3588.
//!
//! The driver reaches the GPU only through MMIO, IRQs and RAM, as on silicon. So far it holds the uAPI ([`uapi`],
//! generated from the kernel's header), Panthor's extensible user-object rules ([`uobj`]) and the page-table side of
//! the VM code ([`vm::pgtable`]): how Panthor splits a range into io-pgtable calls; probe ([`driver`]) loads the CSF
//! firmware and boots the MCU ([`fw`]).

pub mod driver;
pub mod file;
pub mod fw;
pub mod gem;
pub mod gpu;
pub mod mmu;
pub mod regs;
pub mod uapi;
pub mod uobj;
pub mod vm;
