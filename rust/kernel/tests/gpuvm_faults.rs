// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Fault injection: failing each allocation point in turn during obtain, a map bind and an unmap bind leaves the VA
//! list, every object's vm_bo list, the extobj list, the deferred list and the refcounts exactly as before.

mod gpuvm_common;

use std::sync::Arc;

use gpuvm_common::*;
use kernel::alloc::fault;
use kernel::drm::gem::GemObject;
use kernel::drm::gpuvm::{GpuVm, GpuVmCore, OpMapRequest, VaPrealloc};
use kernel::error::code::ENOMEM;
use kernel::Result;

/// Everything observable about a VM and its objects.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    vas: Vec<Va>,
    obj_vm_bos: Vec<usize>,
    obj_refs: Vec<usize>,
    extobjs: usize,
    deferred: usize,
    vm_bo_refs: Vec<(u32, usize, usize)>,
}

fn snapshot(vm: &GpuVmCore<TestVm>, objs: &[Arc<GemObject>]) -> Snapshot {
    let mut g = vm.resv().lock();
    let ext = vm.extobjs(&mut g).unwrap();
    let mut vm_bo_refs: Vec<_> = ext
        .iter()
        .map(|b| (*b.data(), b.refcount(), b.va_count()))
        .collect();
    vm_bo_refs.sort();
    Snapshot {
        vas: vas(vm),
        obj_vm_bos: objs.iter().map(|o| o.gpuva_lock().len()).collect(),
        obj_refs: objs.iter().map(Arc::strong_count).collect(),
        extobjs: ext.len(),
        deferred: vm.deferred_len(),
        vm_bo_refs,
    }
}

/// A VM_BIND map as a driver does it: obtain, pre-allocate, then (past the point of no return) sm_map; then, whatever
/// happened, the deferred cleanup (a vm_bo obtained for a bind that failed early is dropped and deferred too).
fn bind_map(
    vm: &mut GpuVmCore<TestVm>,
    obj: Option<(&Arc<GemObject>, u32)>,
    addr: u64,
    range: u64,
    off: u64,
) -> Result {
    let res = (|| {
        let bo = match obj {
            Some((o, id)) => Some(obtain(vm, o, id)?),
            None => None,
        };
        let mut ctx = Ctx {
            steps: Vec::new(),
            pool: VaPrealloc::for_map(vm.vm())?,
            nodes_used: 0,
            alloc_in_step: None,
            remap_rets: Vec::new(),
        };
        vm.sm_map(
            OpMapRequest {
                addr,
                range,
                gem_offset: off,
                vm_bo: bo.as_ref(),
                flags: 0,
            },
            &mut ctx,
        )
    })();
    vm.deferred_cleanup();
    res
}

fn bind_unmap(vm: &mut GpuVmCore<TestVm>, addr: u64, range: u64) -> Result {
    let mut ctx = Ctx {
        steps: Vec::new(),
        pool: VaPrealloc::for_unmap(vm.vm())?,
        nodes_used: 0,
        alloc_in_step: None,
        remap_rets: Vec::new(),
    };
    vm.sm_unmap(addr, range, &mut ctx)?;
    vm.deferred_cleanup();
    Ok(())
}

/// A VM with a few mappings of three objects, one of them VM-private.
fn setup() -> (GpuVmCore<TestVm>, Vec<Arc<GemObject>>) {
    let r_obj = Arc::new(GemObject::new(0x1000, None).unwrap());
    let mut vm = GpuVm::new("faults", &r_obj, 0..1 << 32, 0..0, TestVm::default()).unwrap();
    let private = Arc::new(GemObject::with_resv(1 << 30, None, r_obj.resv().clone()).unwrap());
    let objs = vec![new_obj(), new_obj(), private, new_obj()];
    bind_map(&mut vm, Some((&objs[0], 0)), 0x10000, 0x4000, 0).unwrap();
    bind_map(&mut vm, Some((&objs[1], 1)), 0x20000, 0x4000, 0).unwrap();
    bind_map(&mut vm, Some((&objs[2], 2)), 0x30000, 0x4000, 0).unwrap();
    bind_map(&mut vm, None, 0x40000, 0x4000, 0).unwrap();
    (vm, objs)
}

/// Runs `f` with each allocation point failing in turn; every failed run must leave the snapshot unchanged, and the
/// run past the last point must succeed.
fn each_allocation_fails_cleanly(f: impl Fn(&mut GpuVmCore<TestVm>, &[Arc<GemObject>]) -> Result) {
    let points = {
        let (mut vm, objs) = setup();
        let g = fault::count();
        f(&mut vm, &objs).unwrap();
        g.allocations()
    };
    assert!(
        points > 0,
        "the operation allocates nothing: nothing to inject"
    );
    for n in 0..points {
        let (mut vm, objs) = setup();
        let before = snapshot(&vm, &objs);
        let res = {
            let _g = fault::fail_nth(n);
            f(&mut vm, &objs)
        };
        assert_eq!(res, Err(ENOMEM), "allocation point {n} of {points}");
        assert_eq!(
            snapshot(&vm, &objs),
            before,
            "allocation point {n} of {points} left state changed"
        );
    }
}

#[test]
fn obtain_of_a_new_external_object_fails_cleanly_at_every_allocation() {
    each_allocation_fails_cleanly(|vm, objs| obtain(vm, &objs[3], 3).map(drop));
}

#[test]
fn a_map_bind_that_splits_a_va_fails_cleanly_at_every_allocation() {
    each_allocation_fails_cleanly(|vm, objs| bind_map(vm, Some((&objs[3], 3)), 0x11000, 0x1000, 0));
}

#[test]
fn a_map_bind_of_a_known_object_fails_cleanly_at_every_allocation() {
    each_allocation_fails_cleanly(|vm, objs| {
        bind_map(vm, Some((&objs[0], 0)), 0x21000, 0x10000, 0x1000)
    });
}

#[test]
fn an_unmap_bind_fails_cleanly_at_every_allocation() {
    each_allocation_fails_cleanly(|vm, _| bind_unmap(vm, 0x11000, 0x1000));
}

#[test]
fn random_failures_over_a_long_run_never_leave_partial_state() {
    let (mut vm, objs) = setup();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut failures = 0;
    for i in 0..2000u64 {
        let addr = (next() % 256) * 0x1000;
        let range = (next() % 16 + 1) * 0x1000;
        let which = (next() % 5) as usize;
        let before = snapshot(&vm, &objs);
        let res = {
            let _g = fault::fail_random(4, i);
            if which == 4 {
                bind_unmap(&mut vm, addr, range)
            } else {
                bind_map(
                    &mut vm,
                    Some((&objs[which], which as u32)),
                    addr,
                    range,
                    addr,
                )
            }
        };
        if res.is_err() {
            failures += 1;
            assert_eq!(snapshot(&vm, &objs), before, "op {i}");
        }
    }
    assert!(
        failures > 100,
        "too few injected failures ({failures}) to mean anything"
    );
}
