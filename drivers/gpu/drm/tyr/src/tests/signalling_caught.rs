// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The check behind `fence_signalling.rs` catches what it must: the vm_bo cleanup a bind job used to run before
//! signalling (`GpuVm::deferred_cleanup`, which takes the VM resv for the extobj list) is a violation inside a
//! signalling section, while the BO's gpuva lock it also takes is not (upstream Panthor takes it in the job's run);
//! and the page-table cache refilled with fresh frames under its lock, which the bind job takes while signalling,
//! is reported as soon as both have been seen. They break the rules on purpose and the counters and what the lock
//! classes learned are process-wide, so each test runs its body in a child process (this test binary again,
//! filtered to that one test) and the other tests' process stays clean.

use std::process::Command;

use crate::gem::TyrObject;
use crate::vm::CACHE_CLASS;
use kernel::drm::gem::IntoGemObject;
use kernel::io_pgtable::ReservedPtPool;
use kernel::sync::lockdep;

const K: u64 = 0x1000;

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the lock check is compiled in debug builds only"
)]
fn deferred_cleanup_inside_a_signalling_section_is_caught() {
    in_child(
        "tests::signalling_caught::deferred_cleanup_inside_a_signalling_section_is_caught",
        violate_and_count,
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the lock check is compiled in debug builds only"
)]
fn refilling_the_pt_cache_under_its_lock_is_caught() {
    in_child(
        "tests::signalling_caught::refilling_the_pt_cache_under_its_lock_is_caught",
        refill_under_the_cache_lock,
    );
}

/// Runs `body` in a child process (this test binary again, filtered to the test named `exact`), and checks that it
/// passed there; in the child itself, runs `body`.
fn in_child(exact: &str, body: fn()) {
    if std::env::var_os(CHILD).is_some() {
        return body();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", exact, "--test-threads=1"])
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

/// Set in the child process that runs a test's body.
const CHILD: &str = "TYR_TEST_SIGNALLING_CAUGHT_CHILD";

/// The placement of the page-table cache refill that `Vm::prepare` used to have: fresh frames reserved while the
/// cache's lock is held. The bind job takes that lock while signalling, so the check reports the pair, whichever
/// comes first.
fn refill_under_the_cache_lock() {
    let ram = super::ram(64 << 20);
    let vm = super::vm_without_mmu(&ram);
    let bo = TyrObject::new(&ram, 4 * K, 0, None).unwrap();
    let before = lockdep::violations();

    // The job half of a map, in a signalling section: the cache lock is taken there (to give spare pages back).
    let op = vm.prepare_map(&bo, 0, 0x10_0000, 4 * K, 0).unwrap();
    {
        let _signalling = kernel::sync::dma_fence_begin_signalling();
        vm.apply(op).unwrap();
    }
    assert!(CACHE_CLASS.taken_while_signalling());
    assert_eq!(
        lockdep::violations(),
        before,
        "the real paths alone are clean"
    );

    // The old refill: whatever the cache has, then fresh frames, all under its lock.
    let mut pool = ReservedPtPool::new(ram.clone());
    {
        let mut cache = vm.caches.lock();
        let want = cache.pt.remaining() + 4;
        pool.reserve_slots(want).unwrap();
        let taken = pool.take_from(&mut cache.pt, want);
        pool.reserve(want - taken).unwrap();
    }
    assert!(CACHE_CLASS.held_while_allocating());
    assert_eq!(
        lockdep::violations(),
        before + 5,
        "one per allocation point reached under the lock: the pool's slots and four fresh frames"
    );
    assert_eq!(lockdep::last_violation(), Some("tyr_vm_cache"));
    pool.drain_into(&mut vm.caches.lock().pt);

    // Every later bind job's give-back reports it again.
    let op = vm.prepare_unmap(0x10_0000, 4 * K).unwrap();
    {
        let _signalling = kernel::sync::dma_fence_begin_signalling();
        vm.apply(op).unwrap();
    }
    assert_eq!(lockdep::violations(), before + 6);
    assert_eq!(lockdep::last_violation(), Some("tyr_vm_cache"));
    vm.deferred_cleanup();
}

/// The body: breaks the rule twice and checks that both are counted.
fn violate_and_count() {
    let ram = super::ram(64 << 20);
    let vm = super::vm_without_mmu(&ram);
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
