// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The vm_bo, one rule per test: one reference count (the lists hold none), the VA list it keeps under the object's
//! gpuva lock, zombies (count zero, waiting for deferred cleanup) skipped everywhere and never revived, and the
//! gpuva lock taken in the steps without a lockdep violation and without allocating under it.

mod gpuvm_common;

use std::sync::Arc;

use gpuvm_common::*;
use kernel::alloc;
use kernel::drm::gpuvm::{GpuVmBo, OpMapRequest, VmBoRef};
use kernel::sync::lockdep;

const G: u64 = 1 << 32;
const K: u64 = 0x1000;

/// `(addr, length, offset)` of each VA on `bo`'s list, in list order.
fn listed(bo: &VmBoRef<TestVm>) -> Vec<(u64, u64, u64)> {
    // The closure runs under the gpuva lock and may not allocate: fill a fixed array, copy it out after.
    let mut buf = [(0u64, 0u64, 0u64); 16];
    let mut n = 0;
    bo.for_each_va(|va| {
        buf[n] = (va.addr(), va.length(), va.gem_offset());
        n += 1;
    });
    buf[..n].to_vec()
}

#[test]
fn a_vm_bo_lists_its_vas_in_link_order_and_counts_them_by_that_list() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let (o, p) = (new_obj(), new_obj());
    let (b, c) = (obtain(&vm, &o, 1).unwrap(), obtain(&vm, &p, 2).unwrap());
    assert_eq!((b.va_count(), b.refcount()), (0, 1));
    map(&mut vm, 0x10 * K, 4 * K, Some(&b), 0).unwrap();
    map(&mut vm, 0x20 * K, 2 * K, Some(&c), 0).unwrap();
    map(&mut vm, 0x30 * K, 8 * K, Some(&b), 0x100 * K).unwrap();
    assert_eq!(
        listed(&b),
        [(0x10 * K, 4 * K, 0), (0x30 * K, 8 * K, 0x100 * K)]
    );
    assert_eq!(listed(&c), [(0x20 * K, 2 * K, 0)]);
    // One count: ours plus one per VA.
    assert_eq!((b.va_count(), b.refcount()), (2, 3));
    // A null mapping into the middle of the second VA: its parts are linked (at the end) before it is unlinked.
    map(&mut vm, 0x32 * K, K, None, 0).unwrap();
    assert_eq!(
        listed(&b),
        [
            (0x10 * K, 4 * K, 0),
            (0x30 * K, 2 * K, 0x100 * K),
            (0x33 * K, 5 * K, 0x103 * K)
        ]
    );
    assert_eq!((b.va_count(), b.refcount()), (3, 4));
    // The list agrees with the tree.
    let in_tree = vm
        .vas()
        .filter(|va| va.vm_bo().is_some_and(|x| x.ptr_eq(&b)))
        .count();
    assert_eq!(in_tree, b.va_count());
    unmap(&mut vm, 0, G).unwrap();
    assert!(listed(&b).is_empty() && listed(&c).is_empty());
    assert_eq!((b.refcount(), c.refcount()), (1, 1));
}

#[test]
fn steps_in_a_signalling_section_link_and_unlink_without_a_violation() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    // Everything allocated before the section, as a bind job prepares its ops in the ioctl.
    let mut map_ctx = Ctx::new(vm.vm(), 3);
    let mut split_ctx = Ctx::new(vm.vm(), 3);
    let mut unmap_ctx = Ctx::new(vm.vm(), 2);
    let (locks, allocs) = (lockdep::violations(), alloc::fault::violations());
    {
        let _signalling = kernel::sync::dma_fence_begin_signalling();
        let req = |addr, range| OpMapRequest {
            addr,
            range,
            gem_offset: 0,
            vm_bo: Some(&b),
            flags: 0,
        };
        vm.sm_map(req(0x10 * K, 8 * K), &mut map_ctx).unwrap();
        vm.sm_map(req(0x12 * K, K), &mut split_ctx).unwrap();
        vm.sm_unmap(0x10 * K, 8 * K, &mut unmap_ctx).unwrap();
        // The walk of a vm_bo's VAs takes the same lock.
        assert_eq!(b.va_count(), 0);
    }
    assert_eq!(
        lockdep::violations(),
        locks,
        "the gpuva lock is signalling-safe"
    );
    assert_eq!(
        alloc::fault::violations(),
        allocs,
        "nothing allocated in the steps"
    );
    assert_eq!(split_ctx.steps.len(), 2);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the lock check is compiled in debug builds only"
)]
fn allocating_while_walking_a_vm_bos_vas_fails_and_is_counted() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    map(&mut vm, 0x10 * K, K, Some(&b), 0).unwrap();
    map(&mut vm, 0x20 * K, K, Some(&b), 0).unwrap();
    let before = alloc::fault::violations();
    let mut refused = 0;
    b.for_each_va(|_| refused += usize::from(alloc::try_box(0u8).is_err()));
    assert_eq!(refused, 2);
    assert_eq!(alloc::fault::violations(), before + 2);
}

#[test]
fn obtain_allocates_nothing_under_the_gpuva_lock() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let before = alloc::fault::violations();
    // Under the gpuva lock an allocation would fail and be counted: a new pair, then the same pair again (its
    // pre-allocated twin freed after the lock), all succeed without a count.
    let b = obtain(&vm, &o, 1).unwrap();
    let again = obtain(&vm, &o, 9).unwrap();
    assert!(again.ptr_eq(&b));
    assert_eq!(*again.data(), 1, "the existing pair, not the twin");
    assert_eq!(alloc::fault::violations(), before);
    assert_eq!(o.gpuva_lock().len(), 1);
    assert_eq!(vm.deferred_len(), 0);
}

#[test]
fn obtain_owned_gives_a_new_pair_the_reference_and_drops_it_for_an_existing_one() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let first = {
        let mut g = vm.resv().lock();
        GpuVmBo::obtain_owned(vm.vm(), o.clone(), 1, &mut g).unwrap()
    };
    // Ours and the pair's: the one handed over, not a second.
    assert_eq!(Arc::strong_count(&o), 2);
    let again = {
        let mut g = vm.resv().lock();
        GpuVmBo::obtain_owned(vm.vm(), o.clone(), 2, &mut g).unwrap()
    };
    assert!(again.ptr_eq(&first));
    assert_eq!(*again.data(), 1, "the existing pair");
    assert_eq!(
        Arc::strong_count(&o),
        2,
        "the reference handed over was dropped"
    );
    drop((first, again));
    vm.deferred_cleanup();
    assert_eq!(Arc::strong_count(&o), 1);
}

#[test]
fn an_objects_vm_bo_hint_follows_its_list() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let (other, _r2) = new_vm(0..G, 0..0);
    let o = new_obj();
    assert!(!o.has_vm_bos_hint());
    let b = obtain(&vm, &o, 1).unwrap();
    assert!(o.has_vm_bos_hint());
    // A pair of another VM makes the hint true; the lookup under the lock still tells the VMs apart.
    let c = obtain(&other, &o, 2).unwrap();
    assert!(!c.ptr_eq(&b));
    drop(b);
    vm.deferred_cleanup();
    assert!(o.has_vm_bos_hint(), "the other VM's pair is still listed");
    drop(c);
    other.deferred_cleanup();
    assert!(!o.has_vm_bos_hint());
    assert_eq!(o.gpuva_lock().len(), 0);
    // With the hint false, obtain creates the pair with one lookup, under the lock.
    let d = obtain(&vm, &o, 3).unwrap();
    assert_eq!((*d.data(), o.gpuva_lock().len()), (3, 1));
}

#[test]
fn a_zombie_is_skipped_by_the_lists_and_never_revived() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    {
        let mut exec = vm.exec_lock(0, &[]).unwrap();
        b.evict(&mut exec, true).unwrap();
        assert_eq!(vm.evicted(&mut exec).unwrap().len(), 1);
    }
    drop(b);
    assert_eq!(
        vm.deferred_len(),
        1,
        "the last reference moved it to the deferred list"
    );
    assert_eq!(o.gpuva_lock().len(), 1, "still linked until the cleanup");
    {
        let mut exec = vm.exec_lock(0, &[]).unwrap();
        assert_eq!(exec.locked().len(), 1, "a zombie's object is not locked");
        assert!(vm.extobjs(&mut exec).unwrap().is_empty());
        assert!(vm.evicted(&mut exec).unwrap().is_empty());
        let mut validated = 0;
        vm.validate(&mut exec, |_: &GpuVmBo<TestVm>| {
            validated += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(validated, 0);
    }
    // Obtaining the pair again creates a new one beside the zombie.
    let fresh = obtain(&vm, &o, 2).unwrap();
    assert_eq!((*fresh.data(), fresh.refcount()), (2, 1));
    assert_eq!(o.gpuva_lock().len(), 2);
    vm.deferred_cleanup();
    assert_eq!((vm.deferred_len(), o.gpuva_lock().len()), (0, 1));
    let mut g = vm.resv().lock();
    let ext = vm.extobjs(&mut g).unwrap();
    assert!(ext.len() == 1 && ext[0].ptr_eq(&fresh));
    assert!(
        vm.evicted(&mut g).unwrap().is_empty(),
        "the cleanup took the zombie off the evict list"
    );
}

#[test]
fn references_shared_between_threads_defer_the_pair_exactly_once() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let mine = b.clone();
            s.spawn(move || {
                for _ in 0..1000 {
                    drop(mine.clone());
                }
                drop(mine);
            });
        }
    });
    assert_eq!((b.refcount(), vm.deferred_len()), (1, 0));
    drop(b);
    assert_eq!(vm.deferred_len(), 1);
    vm.deferred_cleanup();
    assert!(o.gpuva_lock().is_empty());
    // The object is referenced by nobody else now: the pair held the only other reference.
    assert_eq!(Arc::strong_count(&o), 1);
}
