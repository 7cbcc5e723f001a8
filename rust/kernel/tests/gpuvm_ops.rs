// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPUVM behaviour, one rule per test: op order and keep flags, range validity, vm_bo lifetime (deferred cleanup),
//! extobj lists, exec locking, validate, and what a failing step leaves behind.

mod gpuvm_common;

use std::sync::Arc;

use gpuvm_common::*;
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::DmaResvUsage;
use kernel::drm::gem::GemObject;
use kernel::drm::gpuvm::{GpuVaAlloc, GpuVm, GpuVmBo, OpMapRequest, VaPrealloc};
use kernel::error::code::{EINVAL, ENOMEM};

const G: u64 = 1 << 32;

#[test]
fn map_into_the_middle_of_a_va_remaps_both_sides_then_maps() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let (o1, o2) = (new_obj(), new_obj());
    let (b1, b2) = (obtain(&vm, &o1, 1).unwrap(), obtain(&vm, &o2, 2).unwrap());
    map(&mut vm, 0x1000, 0x3000, Some(&b1), 0).unwrap();
    let steps = map(&mut vm, 0x2000, 0x1000, Some(&b2), 0).unwrap();
    assert_eq!(
        steps,
        [
            Step::Remap(
                Some((0x1000, 0x1000, Some(1), 0)),
                Some((0x3000, 0x1000, Some(1), 0x2000)),
                (0x1000, 0x3000, Some(1), 0),
                false
            ),
            Step::Map((0x2000, 0x1000, Some(2), 0)),
        ]
    );
    assert_eq!(
        vas(&vm),
        [
            (0x1000, 0x1000, Some(1), 0),
            (0x2000, 0x1000, Some(2), 0),
            (0x3000, 0x1000, Some(1), 0x2000)
        ]
    );
}

#[test]
fn remap_hands_back_the_unmapped_va_and_the_node_no_part_needed() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let (o1, o2) = (new_obj(), new_obj());
    let (b1, b2) = (obtain(&vm, &o1, 1).unwrap(), obtain(&vm, &o2, 2).unwrap());
    map(&mut vm, 0x1000, 0x3000, Some(&b1), 0).unwrap();
    // Split in the middle: both parts survive, both nodes are used.
    let ctx = map_ctx(&mut vm, 0x2000, 0x1000, Some(&b2), 0).unwrap();
    assert_eq!(
        ctx.remap_rets,
        [(0x1000..0x4000, Some(op_tag(0x1000)), false)]
    );
    // A map over the tail of [0x1000, 0x2000) keeps only `prev`: one node of the two comes back unused.
    let ctx = map_ctx(&mut vm, 0x1800, 0x800, Some(&b2), 0).unwrap();
    assert_eq!(
        ctx.remap_rets,
        [(0x1000..0x2000, Some(op_tag(0x1000)), true)]
    );
    assert_eq!(
        ctx.pool.len(),
        3 - 1,
        "the unused and the unmapped node went back; the map took one"
    );
    // The surviving parts carry the data the driver gave them.
    assert_eq!(
        vm.find(0x1000, 0x800).and_then(|v| v.data()).copied(),
        Some(op_tag(0x1000))
    );
    assert_eq!(
        vm.find(0x1000, 0x800).map(|v| v.range()),
        Some(0x1000..0x1800)
    );
}

#[test]
fn remapping_the_same_object_at_the_same_offset_sets_keep() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 5).unwrap();
    map(&mut vm, 0x20000, 0x4000, Some(&b), 0).unwrap();
    let steps = map(&mut vm, 0x21000, 0x1000, Some(&b), 0x1000).unwrap();
    assert!(matches!(steps[0], Step::Remap(_, _, _, true)), "{steps:?}");
    // The same object at another offset does not keep.
    let steps = map(&mut vm, 0x21000, 0x1000, Some(&b), 0x9000).unwrap();
    assert_eq!(
        steps[0],
        Step::Unmap((0x21000, 0x1000, Some(5), 0x1000), false)
    );
    // An exact replacement by the same object and offset keeps.
    let steps = map(&mut vm, 0x21000, 0x1000, Some(&b), 0x9000).unwrap();
    assert_eq!(
        steps[0],
        Step::Unmap((0x21000, 0x1000, Some(5), 0x9000), true)
    );
}

#[test]
fn null_mappings_never_keep() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    map(&mut vm, 0x40000, 0x2000, None, 0).unwrap();
    let steps = map(&mut vm, 0x40000, 0x2000, None, 0).unwrap();
    assert_eq!(steps[0], Step::Unmap((0x40000, 0x2000, None, 0), false));
}

#[test]
fn unmap_across_several_vas_splits_the_edges_and_drops_the_middle() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 3).unwrap();
    map(&mut vm, 0x10000, 0x4000, Some(&b), 0).unwrap();
    map(&mut vm, 0x14000, 0x4000, Some(&b), 0x4000).unwrap();
    map(&mut vm, 0x18000, 0x4000, Some(&b), 0x8000).unwrap();
    let steps = unmap(&mut vm, 0x12000, 0x8000).unwrap();
    assert_eq!(
        steps,
        [
            Step::Remap(
                Some((0x10000, 0x2000, Some(3), 0)),
                None,
                (0x10000, 0x4000, Some(3), 0),
                false
            ),
            Step::Unmap((0x14000, 0x4000, Some(3), 0x4000), false),
            Step::Remap(
                None,
                Some((0x1a000, 0x2000, Some(3), 0xa000)),
                (0x18000, 0x4000, Some(3), 0x8000),
                false
            ),
        ]
    );
}

#[test]
fn unmap_of_an_empty_range_emits_nothing() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    assert_eq!(unmap(&mut vm, 0x1000, 0x1000).unwrap(), []);
}

#[test]
fn invalid_ranges_are_einval_and_change_nothing() {
    let (mut vm, _r) = new_vm(0x1000..G, 0x8000..0x9000);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    map(&mut vm, 0x2000, 0x1000, Some(&b), 0).unwrap();
    for (addr, range) in [
        (0, 0x2000),
        (G - 0x1000, 0x2000),
        (u64::MAX - 0xfff, 0x2000),
        (0x7000, 0x2000),
        (0x3000, 0),
    ] {
        assert_eq!(
            map(&mut vm, addr, range, Some(&b), 0).err(),
            Some(EINVAL),
            "map {addr:#x}+{range:#x}"
        );
        assert_eq!(
            unmap(&mut vm, addr, range).err(),
            Some(EINVAL),
            "unmap {addr:#x}+{range:#x}"
        );
    }
    assert_eq!(vas(&vm), [(0x2000, 0x1000, Some(1), 0)]);
}

#[test]
fn a_vm_bo_of_another_vm_is_refused() {
    let (mut a, _ra) = new_vm(0..G, 0..0);
    let (b, _rb) = new_vm(0..G, 0..0);
    let o = new_obj();
    let bo = obtain(&b, &o, 1).unwrap();
    assert_eq!(
        map(&mut a, 0x1000, 0x1000, Some(&bo), 0).err(),
        Some(EINVAL)
    );
}

#[test]
fn obtain_returns_the_same_pair_and_needs_the_vm_resv() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let a = obtain(&vm, &o, 1).unwrap();
    let b = obtain(&vm, &o, 1).unwrap();
    assert!(a.ptr_eq(&b));
    assert_eq!(a.refcount(), 2);
    let other = new_obj();
    let mut wrong = other.resv().lock();
    assert_eq!(vm.obtain(&o, 1, &mut wrong).err(), Some(EINVAL));
}

#[test]
fn the_last_vm_bo_reference_dropped_by_a_step_is_freed_only_by_deferred_cleanup() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    map(&mut vm, 0x1000, 0x1000, Some(&b), 0).unwrap();
    drop(b);
    assert_eq!(o.gpuva_lock().len(), 1);
    unmap(&mut vm, 0x1000, 0x1000).unwrap();
    // The unlink in the step dropped the last reference: the pair is deferred, still linked on the object.
    assert_eq!(vm.deferred_len(), 1);
    assert_eq!(o.gpuva_lock().len(), 1);
    vm.deferred_cleanup();
    assert_eq!(vm.deferred_len(), 0);
    assert!(o.gpuva_lock().is_empty());
    // A new obtain creates a fresh pair.
    let b = obtain(&vm, &o, 1).unwrap();
    assert_eq!(b.refcount(), 1);
}

#[test]
fn each_va_holds_a_vm_bo_reference_and_remap_parts_inherit_it() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    map(&mut vm, 0x1000, 0x3000, Some(&b), 0).unwrap();
    assert_eq!((b.refcount(), b.va_count()), (2, 1));
    unmap(&mut vm, 0x2000, 0x1000).unwrap();
    assert_eq!((b.refcount(), b.va_count()), (3, 2));
    unmap(&mut vm, 0, 0x10000).unwrap();
    assert_eq!((b.refcount(), b.va_count()), (1, 0));
}

#[test]
fn va_data_follows_the_va_through_remaps() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    map(&mut vm, 0x1000, 0x3000, None, 0).unwrap();
    unmap(&mut vm, 0x2000, 0x1000).unwrap();
    for va in vm.vas() {
        assert_eq!(va.data(), Some(&op_tag(va.addr())));
    }
    *vm.va_data_mut(0x3000).unwrap() = 7;
    assert_eq!(vm.find(0x3000, 0x1000).unwrap().data(), Some(&7));
    assert!(vm.find(0x3000, 0x2000).is_none());
    assert_eq!(vm.find_first(0, 0x10000).unwrap().addr(), 0x1000);
    assert_eq!(vm.find_containing(0x3fff).unwrap().addr(), 0x3000);
    assert!(vm.find_containing(0x2000).is_none());
}

#[test]
fn a_failing_step_stops_the_walk_with_earlier_steps_applied() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    map(&mut vm, 0x1000, 0x1000, None, 0).unwrap();
    map(&mut vm, 0x2000, 0x1000, None, 0).unwrap();
    map(&mut vm, 0x3000, 0x1000, None, 0).unwrap();
    vm.data().fail_step = Some(1);
    assert_eq!(unmap(&mut vm, 0, 0x10000).err(), Some(ENOMEM));
    assert_eq!(
        vas(&vm),
        [(0x2000, 0x1000, None, 0), (0x3000, 0x1000, None, 0)]
    );
}

#[test]
fn a_remap_without_enough_preallocated_nodes_fails_before_changing_anything() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    map(&mut vm, 0x1000, 0x3000, None, 0).unwrap();
    // Panthor once pre-allocated one node for an unmap; splitting a VA in three needs two.
    let mut ctx = Ctx::new(vm.vm(), 1);
    assert_eq!(vm.sm_unmap(0x2000, 0x1000, &mut ctx).err(), Some(ENOMEM));
    assert_eq!(vas(&vm), [(0x1000, 0x3000, None, 0)]);
}

#[test]
fn steps_run_in_a_no_allocation_section() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    vm.data().allocate_in_step = true;
    let before = kernel::alloc::fault::violations();
    let mut ctx = Ctx::new(vm.vm(), 3);
    vm.sm_map(
        kernel::drm::gpuvm::OpMapRequest {
            addr: 0x1000,
            range: 0x1000,
            gem_offset: 0,
            vm_bo: None,
            flags: 0,
        },
        &mut ctx,
    )
    .unwrap();
    assert_eq!(ctx.alloc_in_step, Some(false));
    assert_eq!(kernel::alloc::fault::violations(), before + 1);
}

#[test]
fn an_object_sharing_the_vm_resv_is_not_external() {
    let (vm, r_obj) = new_vm(0..G, 0..0);
    let private = Arc::new(GemObject::with_resv(0x1000, None, r_obj.resv().clone()).unwrap());
    let shared = new_obj();
    assert!(!vm.is_extobj(&private));
    assert!(vm.is_extobj(&shared));
    let (bp, bs) = (
        obtain(&vm, &private, 1).unwrap(),
        obtain(&vm, &shared, 2).unwrap(),
    );
    assert!(!bp.is_extobj() && bs.is_extobj());
    let mut g = vm.resv().lock();
    let ext = vm.extobjs(&mut g).unwrap();
    assert_eq!(ext.len(), 1);
    assert!(ext[0].ptr_eq(&bs));
    assert_eq!(
        bs.refcount(),
        2,
        "the list itself holds none; `extobjs` hands out counted references"
    );
    drop((g, ext));
    drop(bs);
    vm.deferred_cleanup();
    let mut g = vm.resv().lock();
    assert!(vm.extobjs(&mut g).unwrap().is_empty());
}

#[test]
fn exec_lock_takes_the_vm_and_every_extobj_resv_and_fences_them_all() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let objs: Vec<_> = (0..4).map(|_| new_obj()).collect();
    let bos: Vec<_> = objs
        .iter()
        .enumerate()
        .map(|(i, o)| obtain(&vm, o, i as u32).unwrap())
        .collect();
    let fence = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
    {
        let mut exec = vm.exec_lock(1, &[]).unwrap();
        assert_eq!(exec.locked().len(), 5);
        assert!(objs.iter().all(|o| o.resv().is_locked()));
        vm.resv_add_fence(
            &mut exec,
            &fence,
            DmaResvUsage::Bookkeep,
            DmaResvUsage::Bookkeep,
        )
        .unwrap();
    }
    assert!(!vm.resv().is_locked() && objs.iter().all(|o| !o.resv().is_locked()));
    for o in &objs {
        let mut g = o.resv().lock();
        assert_eq!(g.fences().iter(DmaResvUsage::Bookkeep).count(), 1);
        assert!(!g.fences().test_signaled(DmaResvUsage::Bookkeep));
    }
    fence.signal().unwrap();
    assert!(objs.iter().all(|o| o
        .resv()
        .lock()
        .fences()
        .test_signaled(DmaResvUsage::Bookkeep)));
    drop(bos);
}

#[test]
fn validate_walks_the_evict_list_and_clears_it() {
    let (vm, _r) = new_vm(0..G, 0..0);
    let (a, b) = (new_obj(), new_obj());
    let (ba, bb) = (obtain(&vm, &a, 1).unwrap(), obtain(&vm, &b, 2).unwrap());
    let mut exec = vm.exec_lock(0, &[]).unwrap();
    ba.evict(&mut exec, true).unwrap();
    bb.evict(&mut exec, true).unwrap();
    assert_eq!(vm.evicted(&mut exec).unwrap().len(), 2);
    let mut seen = Vec::new();
    vm.validate(&mut exec, |bo: &GpuVmBo<TestVm>| {
        seen.push(*bo.data());
        Ok(())
    })
    .unwrap();
    seen.sort();
    assert_eq!(seen, [1, 2]);
    assert!(vm.evicted(&mut exec).unwrap().is_empty());
    assert!(!ba.is_evicted() && !bb.is_evicted());
}

#[test]
fn dropping_the_core_unlinks_every_va_and_frees_the_vm_bos() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    map(&mut vm, 0x1000, 0x1000, Some(&b), 0).unwrap();
    map(&mut vm, 0x3000, 0x1000, Some(&b), 0).unwrap();
    drop(b);
    let weak = Arc::downgrade(&unsafe_free_vm_ref(&vm));
    drop(vm);
    assert!(o.gpuva_lock().is_empty());
    assert!(
        weak.upgrade().is_none(),
        "the VM outlived its core and its VAs"
    );
}

/// A plain `Arc` view of the VM for a weak reference (the VM is pinned in its `Arc`; we only downgrade it).
fn unsafe_free_vm_ref(vm: &kernel::drm::gpuvm::GpuVmCore<TestVm>) -> Arc<GpuVm<TestVm>> {
    // SAFETY: `GpuVm` is never moved out of the `Arc` here: the unpinned `Arc` is only downgraded and dropped.
    unsafe { std::pin::Pin::into_inner_unchecked(vm.vm().clone()) }
}

#[test]
fn vm_range_and_reserve_are_checked_at_creation() {
    let r = new_obj();
    assert_eq!(
        GpuVm::new("t", &r, 0x1000..0x1000, 0..0, TestVm::default()).err(),
        Some(EINVAL)
    );
    assert_eq!(
        GpuVm::new("t", &r, 0x1000..0x2000, 0..0x1000, TestVm::default()).err(),
        Some(EINVAL)
    );
    let vm = GpuVm::new("t", &r, 0x1000..0x3000, 0x2000..0x3000, TestVm::default()).unwrap();
    assert_eq!(
        (vm.va_start(), vm.va_length(), vm.kernel_reserved()),
        (0x1000, 0x2000, Some(0x2000..0x3000))
    );
}

#[test]
fn a_map_without_reserved_tree_nodes_is_refused_before_any_step() {
    let (mut vm, _r) = new_vm(0..G, 0..0);
    let o = new_obj();
    let b = obtain(&vm, &o, 1).unwrap();
    // VA nodes alone, allocated outside a `VaPrealloc`: the tree nodes their insertion may need were never reserved.
    let mut pool = VaPrealloc::empty(vm.vm());
    for _ in 0..3 {
        assert!(pool.put(GpuVaAlloc::new().unwrap()).is_ok());
    }
    let mut ctx = Ctx::new(vm.vm(), 0);
    ctx.pool = pool;
    let req = OpMapRequest {
        addr: 0x1000,
        range: 0x1000,
        gem_offset: 0,
        vm_bo: Some(&b),
        flags: 0,
    };
    assert_eq!(vm.sm_map(req, &mut ctx), Err(ENOMEM));
    assert!(ctx.steps.is_empty() && vas(&vm).is_empty() && b.va_count() == 0);
    // Topped up (which reserves the tree nodes), the same map goes through.
    ctx.pool.top_up(3).unwrap();
    let req = OpMapRequest {
        addr: 0x1000,
        range: 0x1000,
        gem_offset: 0,
        vm_bo: Some(&b),
        flags: 0,
    };
    vm.sm_map(req, &mut ctx).unwrap();
    assert_eq!(vas(&vm), [(0x1000, 0x1000, Some(1), 0)]);
}
