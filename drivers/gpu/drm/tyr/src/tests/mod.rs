// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The driver's own tests of its internals (as KUnit suites sit inside a kernel driver): probe and firmware boot,
//! the VM layer without an MMU slot, bind jobs and their fence-signalling path, kernel BOs, the VM pool and the
//! per-file handlers, and the VM as the GPU sees it. What a client can observe is tested through the ioctls in
//! `tests/`.

mod fence_signalling;
mod file_ioctls;
mod fw_boot;
mod isolation;
mod kbo;
mod probe;
mod signalling_caught;
mod vm_async;
mod vm_bind;
mod vm_gpu_view;
mod vm_pool;

/// Fresh modelled RAM of `bytes`.
fn ram(bytes: u64) -> std::sync::Arc<hw_mem::Ram> {
    std::sync::Arc::new(hw_mem::Ram::new(hw_mem::RamConfig::rk3588(bytes)).unwrap())
}

/// VM 1 over the whole 48-bit VA space, without an MMU slot (the VM layer alone).
fn vm_without_mmu(ram: &std::sync::Arc<hw_mem::Ram>) -> std::sync::Arc<crate::vm::Vm> {
    let layout = crate::vm::VaLayout::new(48, 0, 1 << 48).unwrap();
    crate::vm::Vm::new(1, layout, ram, std::sync::Arc::new(crate::vm::NoMmu)).unwrap()
}

/// Asserts that no fence-signalling section of this test process — worker threads included — took a resv or gpuva
/// lock or reached an allocation point. The one test that breaks the rule on purpose
/// ([`signalling_caught`]) does so in a child process.
fn assert_signalling_clean() {
    assert_eq!(
        kernel::sync::lockdep::global_violations(),
        0,
        "a resv lock was taken while signalling, or a lock class taken while signalling was held while allocating"
    );
    assert_eq!(
        kernel::alloc::fault::global_violations(),
        0,
        "an allocation was reached while signalling"
    );
}
