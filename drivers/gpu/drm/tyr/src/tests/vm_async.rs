// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Asynchronous binds: jobs run in order once their dependencies signal, apply everything they prepared, and
//! signal their fence; a failed dependency makes the VM unusable; a destroyed VM cancels waiting jobs.

use std::sync::Arc;
use std::time::Duration;

use crate::gem::TyrObject;
use crate::vm::queue::BindJob;
use crate::vm::Vm;
use hw_mem::Ram;
use kernel::code::{ECANCELED, EIO};
use kernel::dma_fence::DmaFence;

const K: u64 = 0x1000;
const LONG: Duration = Duration::from_secs(10);

fn setup() -> (Arc<Ram>, Arc<Vm>, Arc<TyrObject>) {
    let ram = super::ram(64 << 20);
    let vm = super::vm_without_mmu(&ram);
    let bo = TyrObject::new(&ram, 16 * K, 0, None).unwrap();
    (ram, vm, bo)
}

fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

#[test]
fn a_job_waits_for_its_dependency_then_applies_and_signals() {
    let (_ram, vm, bo) = setup();
    let dep = fence();
    let ops = vec![
        vm.prepare_map(&bo, 0, 0x10000, 4 * K, 0).unwrap(),
        vm.prepare_map(&bo, 0, 0x20000, 4 * K, 0).unwrap(),
    ];
    let job = BindJob::new(&vm, ops, vec![dep.clone()]).unwrap();
    let done = job.fence().clone();
    vm.submit(job).unwrap();
    // A second job without dependencies still runs after the first.
    let later = BindJob::new(&vm, vec![vm.prepare_unmap(0x10000, K).unwrap()], vec![]).unwrap();
    let later_done = later.fence().clone();
    vm.submit(later).unwrap();
    // The worker is blocked on the dependency: nothing of either job can have happened.
    let start = std::time::Instant::now();
    while dep.waiters() == 0 {
        assert!(
            start.elapsed() < LONG,
            "the bind worker never waited for the dependency"
        );
        std::thread::yield_now();
    }
    assert!(!done.is_signaled(), "ran before its dependency signalled");
    assert!(!later_done.is_signaled());
    assert!(vm.vas().is_empty());
    dep.signal().unwrap();
    done.wait_timeout(LONG).unwrap();
    later_done.wait_timeout(LONG).unwrap();
    assert_eq!((done.error(), later_done.error()), (None, None));
    let vas: Vec<_> = vm.vas().iter().map(|v| (v.addr, v.size)).collect();
    assert_eq!(vas, [(0x11000, 3 * K), (0x20000, 4 * K)]);
    crate::debugfs::check_vm(&vm).unwrap();
}

#[test]
fn a_failed_dependency_makes_the_vm_unusable() {
    let (_ram, vm, bo) = setup();
    let dep = fence();
    let job = BindJob::new(
        &vm,
        vec![vm.prepare_map(&bo, 0, 0x10000, K, 0).unwrap()],
        vec![dep.clone()],
    )
    .unwrap();
    let done = job.fence().clone();
    vm.submit(job).unwrap();
    dep.signal_error(EIO).unwrap();
    done.wait_timeout(LONG).unwrap();
    assert_eq!(done.error(), Some(EIO));
    assert!(vm.is_unusable() && vm.vas().is_empty());
}

#[test]
fn destroying_the_vm_cancels_jobs_still_waiting() {
    let (_ram, vm, bo) = setup();
    let dep = fence();
    let job = BindJob::new(
        &vm,
        vec![vm.prepare_map(&bo, 0, 0x10000, K, 0).unwrap()],
        vec![dep],
    )
    .unwrap();
    let done = job.fence().clone();
    vm.submit(job).unwrap();
    vm.destroy().unwrap();
    done.wait_timeout(LONG).unwrap();
    assert_eq!(done.error(), Some(ECANCELED));
    assert!(vm.vas().is_empty());
}
