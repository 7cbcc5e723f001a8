// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Property tests: random sm_map/sm_unmap sequences (with and without a kernel-reserved range, with null objects)
//! against a naive interval map. After every call the VA list equals the model, VAs never overlap, the steps have the
//! documented shape and order (`Documentation/design.md#gpuvm`), keep flags say exactly "same object at the same
//! offset", and a map never needs more than three new VAs nor an unmap more than two (the pools are that small, so
//! needing more would fail the call).

mod gpuvm_common;

use std::collections::BTreeMap;

use gpuvm_common::*;
use kernel::drm::gpuvm::VmBoRef;
use kernel::error::code::EINVAL;
use proptest::prelude::*;

const PAGE: u64 = 0x1000;
const BASE: u64 = 0x10_0000;
const PAGES: u64 = 64;

/// The model: start → (end, obj, offset).
type Model = BTreeMap<u64, (u64, Option<u32>, u64)>;

fn model_cut(m: &mut Model, addr: u64, end: u64) {
    let hit: Vec<u64> = m
        .iter()
        .filter(|(s, (e, _, _))| **s < end && *e > addr)
        .map(|(s, _)| *s)
        .collect();
    for s in hit {
        let (e, obj, off) = m.remove(&s).unwrap();
        if s < addr {
            m.insert(s, (addr, obj, off));
        }
        if e > end {
            m.insert(end, (e, obj, off + (end - s)));
        }
    }
}

fn model_vas(m: &Model) -> Vec<Va> {
    m.iter()
        .map(|(s, (e, obj, off))| (*s, e - s, *obj, *off))
        .collect()
}

#[derive(Clone, Debug)]
enum Op {
    Map {
        page: u64,
        pages: u64,
        obj: Option<u32>,
        off_pages: u64,
    },
    Unmap {
        page: u64,
        pages: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PAGES + 2, 1..16u64, prop_oneof![Just(None), (1..4u32).prop_map(Some)], 0..8u64)
            .prop_map(|(page, pages, obj, off_pages)| Op::Map { page, pages, obj, off_pages }),
        2 => (0..PAGES + 2, 1..24u64).prop_map(|(page, pages)| Op::Unmap { page, pages }),
    ]
}

/// Checks the shape of one call's steps: in address order, at most one leading remap (with a prev part), unmaps, at
/// most one trailing remap (with a next part), and — for a map — exactly one map, last.
fn check_shape(steps: &[Step], is_map: bool) {
    let body = if is_map {
        assert!(matches!(steps.last(), Some(Step::Map(_))), "{steps:?}");
        &steps[..steps.len() - 1]
    } else {
        steps
    };
    let mut last_addr = None;
    for (i, s) in body.iter().enumerate() {
        let va = match s {
            Step::Map(_) => panic!("map before the end: {steps:?}"),
            Step::Unmap(va, _) => *va,
            Step::Remap(prev, next, va, _) => {
                assert!(prev.is_some() || next.is_some(), "{steps:?}");
                if prev.is_some() {
                    assert_eq!(i, 0, "a remap keeping a head must come first: {steps:?}");
                }
                if next.is_some() {
                    assert_eq!(
                        i,
                        body.len() - 1,
                        "a remap keeping a tail must come last: {steps:?}"
                    );
                }
                *va
            }
        };
        assert!(
            last_addr.is_none_or(|a| a < va.0),
            "steps out of address order: {steps:?}"
        );
        last_addr = Some(va.0);
    }
}

fn run(ops: Vec<Op>, reserve: bool) {
    let reserve_range = if reserve {
        BASE + 20 * PAGE..BASE + 24 * PAGE
    } else {
        0..0
    };
    let (mut vm, _r) = new_vm(BASE..BASE + PAGES * PAGE, reserve_range.clone());
    let objs: Vec<_> = (0..4).map(|_| new_obj()).collect();
    let mut model = Model::new();
    for op in ops {
        let (addr, range) = match op {
            Op::Map { page, pages, .. } | Op::Unmap { page, pages } => {
                (BASE + page * PAGE, pages * PAGE)
            }
        };
        let end = addr + range;
        let valid = end <= BASE + PAGES * PAGE
            && (reserve_range.is_empty()
                || end <= reserve_range.start
                || addr >= reserve_range.end);
        match op {
            Op::Map { obj, off_pages, .. } => {
                let bo: Option<VmBoRef<TestVm>> =
                    obj.map(|id| obtain(&vm, &objs[id as usize], id).unwrap());
                let off = off_pages * PAGE;
                let res = map(&mut vm, addr, range, bo.as_ref(), off);
                drop(bo);
                vm.deferred_cleanup();
                if !valid {
                    assert_eq!(res.err(), Some(EINVAL));
                } else {
                    let steps = res.unwrap();
                    check_shape(&steps, true);
                    assert_eq!(steps.last(), Some(&Step::Map((addr, range, obj, off))));
                    for s in &steps {
                        let (va, keep) = match s {
                            Step::Unmap(va, keep) | Step::Remap(_, _, va, keep) => (*va, *keep),
                            Step::Map(_) => continue,
                        };
                        let same = va.2.is_some()
                            && va.2 == obj
                            && va.3.wrapping_sub(va.0) == off.wrapping_sub(addr);
                        assert_eq!(
                            keep, same,
                            "keep of {s:?} for map {addr:#x}+{range:#x} {obj:?}@{off:#x}"
                        );
                    }
                    model_cut(&mut model, addr, end);
                    model.insert(addr, (end, obj, off));
                }
            }
            Op::Unmap { .. } => {
                let res = unmap(&mut vm, addr, range);
                vm.deferred_cleanup();
                if !valid {
                    assert_eq!(res.err(), Some(EINVAL));
                } else {
                    let steps = res.unwrap();
                    check_shape(&steps, false);
                    assert!(steps
                        .iter()
                        .all(|s| matches!(s, Step::Unmap(_, false) | Step::Remap(_, _, _, false))));
                    model_cut(&mut model, addr, end);
                }
            }
        }
        let got = vas(&vm);
        assert_eq!(got, model_vas(&model));
        assert!(
            got.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0),
            "overlap in {got:?}"
        );
        // Every vm_bo counts exactly the VAs of its object.
        for (id, o) in objs.iter().enumerate() {
            let n = got.iter().filter(|v| v.2 == Some(id as u32)).count();
            let bo_count: usize = if n == 0 {
                0
            } else {
                obtain(&vm, o, id as u32).unwrap().va_count()
            };
            assert_eq!(bo_count, n);
        }
        vm.deferred_cleanup();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_maps_and_unmaps_match_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops, false);
    }

    #[test]
    fn random_maps_and_unmaps_match_the_model_around_a_reserved_range(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops, true);
    }
}
