// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The check behind `fence_signalling.rs` catches what it must: the vm_bo cleanup a bind job used to run before
//! signalling (`GpuVm::deferred_cleanup`, which takes the VM resv for the extobj list) is a violation inside a
//! signalling section, while the BO's gpuva lock it also takes is not (upstream Panthor takes it in the job's run).
//! Its own test binary, since it breaks the rule on purpose and the counters are process-wide.

use std::sync::Arc;

use hw_mem::{Ram, RamConfig};
use kernel::drm::gem::IntoGemObject;
use kernel::sync::lockdep;
use tyr::gem::TyrObject;
use tyr::vm::{NoMmu, VaLayout, Vm};

const K: u64 = 0x1000;

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the lock check is compiled in debug builds only"
)]
fn deferred_cleanup_inside_a_signalling_section_is_caught() {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    let vm = Vm::new(
        1,
        VaLayout::new(48, 0, 1 << 48).unwrap(),
        &ram,
        Arc::new(NoMmu),
    )
    .unwrap();
    let bo = TyrObject::new(&ram, 4 * K, 0, None).unwrap();
    vm.execute(vm.prepare_map(&bo, 0, 0x10_0000, 4 * K, 0).unwrap())
        .unwrap();
    // The job half only: the released vm_bo waits for cleanup.
    vm.apply(vm.prepare_unmap(0x10_0000, 4 * K).unwrap())
        .unwrap();
    assert_eq!(vm.gpuvm().deferred_len(), 1);

    let before = lockdep::violations();
    {
        let _signalling = kernel::sync::dma_fence_begin_signalling();
        vm.deferred_cleanup();
    }
    // The BO is an external object of the VM: the VM resv, for the extobj list. The BO's gpuva lock is
    // signalling-safe and not counted.
    assert_eq!(lockdep::violations(), before + 1);
    assert_eq!(
        lockdep::last_violation(),
        Some("reservation_ww_class_mutex")
    );
    assert_eq!(
        bo.gem().gpuva_lock().len(),
        0,
        "the cleanup itself still ran"
    );

    // Taking the VM resv in a section is caught the same way.
    let before = lockdep::violations();
    {
        let _signalling = kernel::sync::dma_fence_begin_signalling();
        drop(vm.gpuvm().resv().lock());
    }
    assert_eq!(lockdep::violations(), before + 1);
    assert_eq!(
        lockdep::last_violation(),
        Some("reservation_ww_class_mutex")
    );
}
