// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The fence-signalling path of bind jobs: from the point of no return to its fence's signal a job takes no resv lock
//! and allocates nothing (the BOs' gpuva locks it takes to link and unlink VAs are allowed), the cache locks it takes
//! are never held while allocating anywhere (checked by `kernel::sync::lockdep` and the no-allocation section), and
//! the vm_bos its ops released are freed only after the signal.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::gem::TyrObject;
use crate::vm::queue::BindJob;
use crate::vm::{Vm, CACHE_CLASS};
use hw_mem::Ram;
use kernel::drm::gem::IntoGemObject;
use kernel::sync::lockdep;

const K: u64 = 0x1000;
const M: u64 = 0x10_0000;

fn ram() -> Arc<Ram> {
    super::ram(64 * M)
}

fn vm(ram: &Arc<Ram>) -> Arc<Vm> {
    super::vm_without_mmu(ram)
}

#[test]
fn a_bind_job_signals_before_freeing_the_vm_bo_its_unmap_released() {
    let ram = ram();
    let vm = vm(&ram);
    let bo = TyrObject::new(&ram, 16 * K, 0, None).unwrap();
    vm.execute(vm.prepare_map(&bo, 0, 0x10_0000, 16 * K, 0).unwrap())
        .unwrap();
    assert_eq!(bo.gem().gpuva_lock().len(), 1);

    let unmap = BindJob::new(
        &vm,
        vec![vm.prepare_unmap(0x10_0000, 16 * K).unwrap()],
        vec![],
    )
    .unwrap();
    // What the signalling thread sees when the fence signals.
    let seen: Arc<Mutex<Option<(bool, usize)>>> = Arc::default();
    let (s, v) = (seen.clone(), vm.clone());
    unmap
        .fence()
        .add_callback(move |e| {
            assert!(e.is_none());
            *s.lock().unwrap() = Some((lockdep::in_signalling_section(), v.gpuvm().deferred_len()));
        })
        .unwrap();
    // A second job runs only once the first has returned, its cleanup included.
    let after = BindJob::new(&vm, vec![], vec![]).unwrap();
    let after_fence = after.fence().clone();
    vm.submit(unmap).unwrap();
    vm.submit(after).unwrap();
    after_fence.wait_timeout(Duration::from_secs(5)).unwrap();

    assert_eq!(
        *seen.lock().unwrap(),
        Some((lockdep::ENABLED, 1)),
        "signalled inside a signalling section (visible in debug builds), with the released vm_bo still waiting for \
         cleanup"
    );
    assert_eq!(vm.gpuvm().deferred_len(), 0, "freed after the signal");
    assert_eq!(bo.gem().gpuva_lock().len(), 0, "unlinked from the BO");
    assert!(vm.vas().is_empty());
    super::assert_signalling_clean();
}

#[test]
fn bind_jobs_that_map_remap_and_unmap_stay_clean() {
    let ram = ram();
    let vm = vm(&ram);
    let bos: Vec<_> = (0..3)
        .map(|_| TyrObject::new(&ram, 4 * M, 0, None).unwrap())
        .collect();
    let mut fences = Vec::new();
    let done = Arc::new(AtomicUsize::new(0));
    let clean = Arc::new(AtomicBool::new(true));
    for round in 0..3u64 {
        let bo = &bos[round as usize];
        let ops = vec![
            vm.prepare_map(bo, 0, 0x20_0000 * (round + 1), 4 * M, 0)
                .unwrap(),
            vm.prepare_unmap(0x20_0000 * (round + 1) + 0x1000, 0x3000)
                .unwrap(),
        ];
        let job = BindJob::new(&vm, ops, vec![]).unwrap();
        let (d, c) = (done.clone(), clean.clone());
        job.fence()
            .add_callback(move |e| {
                if e.is_some() || lockdep::in_signalling_section() != lockdep::ENABLED {
                    c.store(false, Ordering::Relaxed);
                }
                d.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
        fences.push(job.fence().clone());
        vm.submit(job).unwrap();
    }
    let last = BindJob::new(&vm, vec![vm.prepare_unmap(0, 1 << 40).unwrap()], vec![]).unwrap();
    let last_fence = last.fence().clone();
    // The last job frees the vm_bos its unmap released only after its fence signals; a job behind it runs once
    // that cleanup has returned.
    let after = BindJob::new(&vm, vec![], vec![]).unwrap();
    let after_fence = after.fence().clone();
    vm.submit(last).unwrap();
    vm.submit(after).unwrap();
    after_fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(last_fence.error(), None);
    assert!(fences
        .iter()
        .all(|f| f.is_signaled() && f.error().is_none()));
    assert_eq!(done.load(Ordering::Relaxed), 3);
    assert!(
        clean.load(Ordering::Relaxed),
        "every job fence signalled without error, inside a signalling section"
    );
    assert!(!vm.is_unusable());
    for bo in &bos {
        assert_eq!(bo.gem().gpuva_lock().len(), 0);
    }
    super::assert_signalling_clean();
}

#[test]
fn the_caches_the_bind_job_locks_are_never_held_while_allocating() {
    let ram = ram();
    let vm = vm(&ram);
    let bo = TyrObject::new(&ram, 8 * M, 0, None).unwrap();
    // The first map finds the page-table cache empty and reserves fresh frames; the unmap gives its spare pages back
    // to the cache under its lock while signalling; the second map takes them from there, and more frames than the
    // cache holds.
    for round in 0..2u64 {
        let va = 0x4000_0000 * (round + 1);
        let map = BindJob::new(
            &vm,
            vec![vm.prepare_map(&bo, 0, va, 8 * M, 0).unwrap()],
            vec![],
        )
        .unwrap();
        let map_fence = map.fence().clone();
        vm.submit(map).unwrap();
        map_fence.wait_timeout(Duration::from_secs(5)).unwrap();
        let unmap = BindJob::new(
            &vm,
            vec![vm.prepare_unmap(va + 4 * K, 4 * M).unwrap()],
            vec![],
        )
        .unwrap();
        let unmap_fence = unmap.fence().clone();
        vm.submit(unmap).unwrap();
        unmap_fence.wait_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(map_fence.error(), None);
        assert_eq!(unmap_fence.error(), None);
    }
    assert!(!vm.is_unusable());
    // The bind job took the caches' lock while signalling (learned in debug builds, where the check is compiled);
    // nothing, in this test or any other of the process, allocated while holding it.
    assert_eq!(CACHE_CLASS.taken_while_signalling(), lockdep::ENABLED);
    assert!(!CACHE_CLASS.held_while_allocating());
    super::assert_signalling_clean();
}
