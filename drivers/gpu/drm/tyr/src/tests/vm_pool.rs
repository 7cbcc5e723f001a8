// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A file's VM pool and the VM_BIND op rules of `Documentation/uapi.md#vm_create`, below the ioctl copy-in.

use std::sync::Arc;

use crate::gem::TyrObject;
use crate::uapi::drm_panthor_vm_bind_op;
use crate::uapi::map_flags;
use crate::uapi::op_type;
use crate::vm::bind::{bind_sync, VmPool, MAX_VMS_PER_FILE};
use crate::vm::{NoMmu, Vm, VmMmu};
use hw_mem::{Ram, RamConfig};
use kernel::code::{EBUSY, EINVAL};

const K: u64 = 0x1000;
const M: u64 = 0x10_0000;

fn pool() -> (Arc<Ram>, VmPool) {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(128 * M)).unwrap());
    let p = VmPool::new(
        ram.clone(),
        48,
        Arc::new(|| Arc::new(NoMmu) as Arc<dyn VmMmu>),
    );
    (ram, p)
}

fn op(flags: u32, bo_handle: u32, bo_offset: u64, va: u64, size: u64) -> drm_panthor_vm_bind_op {
    drm_panthor_vm_bind_op {
        flags,
        bo_handle,
        bo_offset,
        va,
        size,
        ..Default::default()
    }
}

#[test]
fn ids_are_lowest_free_up_to_32_then_ebusy() {
    let (_ram, p) = pool();
    for want in 1..=MAX_VMS_PER_FILE as u32 {
        assert_eq!(p.create(0, 0).unwrap(), (want, 0x8000_0000_0000));
    }
    assert_eq!(p.create(0, 0).err(), Some(EBUSY));
    p.destroy(7, 0, |_| {}).unwrap();
    assert_eq!(p.create(0, 4 << 30).unwrap(), (7, 1 << 47));
}

#[test]
fn all_lists_the_live_vms_in_id_order() {
    let (_ram, p) = pool();
    assert!(p.all().is_empty());
    for _ in 0..4 {
        p.create(0, 0).unwrap();
    }
    p.destroy(2, 0, |_| {}).unwrap();
    let ids: Vec<u32> = p.all().iter().map(|vm| vm.id()).collect();
    assert_eq!(ids, [1, 3, 4]);
}

#[test]
fn create_destroy_and_state_errors() {
    let (_ram, p) = pool();
    assert_eq!(p.create(1, 0).err(), Some(EINVAL));
    assert_eq!(p.create(0, (1 << 48) - 256 * M + 1).err(), Some(EINVAL));
    let refused = |_: &Arc<Vm>| panic!("a refused destroy tears nothing down");
    assert_eq!(p.destroy(0xDEADBEEF, 0, refused).err(), Some(EINVAL));
    assert_eq!(p.destroy(0, 0, refused).err(), Some(EINVAL));
    let (id, _) = p.create(0, 0).unwrap();
    assert_eq!(p.destroy(id, 1, refused).err(), Some(EINVAL));
    assert_eq!(p.state(id), Ok(0));
    // The driver's per-VM state goes once, before the unmap: the VM is still mapped and not yet destroyed.
    let mut torn_down = Vec::new();
    p.destroy(id, 0, |vm| torn_down.push((vm.id(), vm.is_destroyed())))
        .unwrap();
    assert_eq!(torn_down, [(id, false)]);
    assert_eq!(p.state(id).err(), Some(EINVAL));
    assert_eq!(p.destroy(id, 0, refused).err(), Some(EINVAL));
    assert!(p.is_empty());
}

#[test]
fn sync_bind_checks_in_panthors_order_and_reports_the_failing_index() {
    let (ram, p) = pool();
    let (id, kstart) = p.create(0, 0).unwrap();
    let vm = p.get(id).unwrap();
    let bo = TyrObject::new(&ram, 4 * K, 0, None).unwrap();
    let lookup = |h: u32| (h == 1).then(|| bo.clone());
    let err = |ops: &[drm_panthor_vm_bind_op]| bind_sync(&vm, ops, lookup).err();
    // Size 0 is skipped before any other check, even with garbage in every other field.
    assert_eq!(err(&[op(0xFFFF_FFFF, 99, 3, 5, 0)]), None);
    let mut with_syncs = op(0, 1, 0, 0x1000, K);
    with_syncs.syncs.count = 1;
    for (o, why) in [
        (with_syncs, "syncs in a synchronous bind"),
        (op(0, 1, 0, 0x1800, K), "unaligned va"),
        (
            op(0, 2, 0, 0x1000, K),
            "unknown handle is EINVAL, not ENOENT",
        ),
        (op(1 << 4, 1, 0, 0x1000, K), "unknown map flag"),
        (op(0, 1, 0, 0x1000, 8 * K), "larger than the BO"),
        (
            op(map_flags::SPARSE | map_flags::NOEXEC, 1, 0, 0x1000, K),
            "sparse with a handle",
        ),
        (
            op(op_type::UNMAP, 1, 0, 0x1000, K),
            "unmap with a handle (vm_unbind_invalid_address)",
        ),
        (
            op(op_type::UNMAP | map_flags::READONLY, 0, 0, 0x1000, K),
            "unmap with a map flag",
        ),
        (
            op(op_type::SYNC_ONLY, 0, 0, 0x1000, K),
            "sync-only with a range",
        ),
        (op(0x3000_0000, 0, 0, 0x1000, K), "type 3"),
        (
            op(0, 1, 0, kstart, K),
            "into the kernel area (vm_bind_intersect_kbo_range)",
        ),
        (op(0, 1, 0, !(K - 1), 2 * K), "wrapping"),
    ] {
        assert_eq!(
            err(&[op(0, 1, 0, 0x10000, K), o]),
            Some((1, EINVAL)),
            "{why}"
        );
    }
    // The first op of each of those calls stayed applied.
    assert_eq!(vm.vas().len(), 1);
    // An unmap of nothing succeeds.
    assert_eq!(err(&[op(op_type::UNMAP, 0, 0, 0x40_0000, K)]), None);
    // A map on an unusable VM is refused; an unmap is not.
    vm.mark_unusable();
    assert_eq!(err(&[op(0, 1, 0, 0x2000, K)]), Some((0, EINVAL)));
    assert_eq!(err(&[op(op_type::UNMAP, 0, 0, 0x10000, K)]), None);
    assert_eq!(p.state(id), Ok(1));
}

#[test]
fn exclusive_bos_bind_only_in_their_vm() {
    let (ram, p) = pool();
    let (a, _) = p.create(0, 0).unwrap();
    let (b, _) = p.create(0, 0).unwrap();
    let (va, vb) = (p.get(a).unwrap(), p.get(b).unwrap());
    let bo = TyrObject::new(&ram, 4 * K, 0, Some((a, va.gpuvm().resv().clone()))).unwrap();
    assert_eq!(
        bind_sync(&va, &[op(0, 1, 0, 0x1000, K)], |_| Some(bo.clone())).err(),
        None
    );
    assert_eq!(
        bind_sync(&vb, &[op(0, 1, 0, 0x1000, K)], |_| Some(bo.clone())).err(),
        Some((0, EINVAL))
    );
    assert!(!va.gpuvm().is_extobj(&bo));
}

#[test]
fn synchronous_binds_reuse_what_the_last_one_left_and_a_dropped_vm_gives_it_back() {
    let (ram, p) = pool();
    let free_at_start = ram.stats().free_frames;
    let (id, _) = p.create(0, 0).unwrap();
    let vm = p.get(id).unwrap();
    let bo = TyrObject::new(&ram, 4 * K, 0, None).unwrap();
    let lookup = |_| Some(bo.clone());
    let cycle = || {
        assert_eq!(
            bind_sync(&vm, &[op(0, 1, 0, 0x4000_0000, 4 * K)], lookup).err(),
            None
        );
        assert_eq!(
            bind_sync(&vm, &[op(op_type::UNMAP, 0, 0, 0x4000_0000, 4 * K)], lookup).err(),
            None
        );
    };
    // The first cycle builds the tables and leaves its spare nodes and pages under the op lock; the second's map
    // finds them short of its worst case (the tables took some) and tops them up once.
    cycle();
    cycle();
    // The spare pages sit under the op lock, not in the op caches.
    let cached = vm.caches.lock().pt.remaining();
    assert_eq!(cached, 0);
    let (frames, free) = (vm.pt_frames(), ram.stats().free_frames);
    assert!(
        frames > vm.tables_live(),
        "spare pages are counted as the VM's"
    );
    for _ in 0..8 {
        cycle();
        // Nothing went through the op caches, no frame was allocated or freed, and the checker accounts for the
        // pages kept under the op lock.
        assert_eq!(vm.caches.lock().pt.remaining(), cached);
        assert_eq!((vm.pt_frames(), ram.stats().free_frames), (frames, free));
        crate::debugfs::check_vm(&vm).unwrap();
    }
    assert!(vm.vas().is_empty());
    // The VM goes with what its last synchronous op left (which refers to its GPUVM): every frame comes back but the
    // BO's four.
    drop((vm, p));
    assert_eq!(ram.stats().free_frames, free_at_start - 4);
}
