// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The check behind `fence_signalling.rs` catches what it must: the vm_bo cleanup a bind job used to run before
//! signalling (`GpuVm::deferred_cleanup`, which takes the VM resv for the extobj list) is a violation inside a
//! signalling section, while the BO's gpuva lock it also takes is not (upstream Panthor takes it in the job's run).
//! It breaks the rule on purpose and the counters are process-wide, so the test runs its body in a child process
//! (this test binary again, filtered to this one test) and the other tests' process stays clean.

use std::process::Command;
use std::sync::Arc;

use crate::gem::TyrObject;
use crate::vm::{NoMmu, VaLayout, Vm};
use hw_mem::{Ram, RamConfig};
use kernel::drm::gem::IntoGemObject;
use kernel::sync::lockdep;

const K: u64 = 0x1000;

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the lock check is compiled in debug builds only"
)]
fn deferred_cleanup_inside_a_signalling_section_is_caught() {
    if std::env::var_os(CHILD).is_some() {
        return violate_and_count();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "tests::signalling_caught::deferred_cleanup_inside_a_signalling_section_is_caught",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
}

/// Set in the child process that runs [`violate_and_count`].
const CHILD: &str = "TYR_TEST_SIGNALLING_CAUGHT_CHILD";

/// The body: breaks the rule twice and checks that both are counted.
fn violate_and_count() {
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
