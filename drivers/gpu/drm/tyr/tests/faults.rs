// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPU page faults as Panthor handles them (`panthor_mmu_irq_handler`, `panthor_vm_active`, the scheduler's tick):
//! a fault kills the groups resident on the faulting VM (FATAL, failed fences) and nothing else — the VM stays
//! usable, takes binds and new groups, and those run once the VM is activated again. Everything a fault changes is
//! settled before the faulting job's fence signals, so the checks after each wait use no sleep and no retry.

mod common;

use common::sched::{store, Client, FATAL_FAULT};
use common::Board;
use kernel::code::EINVAL;

/// GPU VA of the good job's stream, and of the BO it stores into.
const STREAM: u64 = 0x100_0000;
const TARGET: u64 = 0x100_1000;
/// A VA nothing is mapped at.
const UNMAPPED: u64 = 0x10_0000;

#[test]
fn after_a_gpu_fault_the_vm_stays_usable_and_new_groups_on_it_run() {
    let b = Board::boot();
    let c = Client::new(&b.dev, b.open());
    let target = c.bo_at(TARGET, &[]);
    let stream = c.bo_at(STREAM, &[]);
    let spare = c.bo();
    for i in 0..200u32 {
        // A job whose stream lies on unmapped memory: the CS faults fetching it.
        let bad = c.group(1);
        let out = c.syncobj();
        c.submit(bad, UNMAPPED, 8, &[], out).unwrap();
        c.wait(out, 10_000).unwrap();
        assert_eq!(
            c.fence_error(out),
            Some(EINVAL),
            "round {i}: the faulting job's fence carries the error"
        );
        assert_eq!(
            c.state(bad),
            (FATAL_FAULT, 1),
            "round {i}: the faulting group is FATAL"
        );
        assert_eq!(
            c.vm_state(),
            0,
            "round {i}: a GPU fault does not make the VM unusable"
        );
        let map = common::map_op(spare, 0, 0x200_0000, 4096, 0);
        assert_eq!(common::bind(&c.f, c.vm, &[map]), Ok(()), "round {i}: MAP");
        assert_eq!(
            common::bind(&c.f, c.vm, &[common::unmap_op(0x200_0000, 4096)]),
            Ok(()),
            "round {i}: UNMAP"
        );

        // A new group on the same VM runs a store to completion.
        let value = 0x5000_0000 | i;
        c.write(stream, &store(TARGET, value));
        let good = c
            .try_group(1)
            .unwrap_or_else(|e| panic!("round {i}: GROUP_CREATE on the faulted VM: {e:?}"));
        let out2 = c.syncobj();
        c.submit(good, STREAM, 32, &[], out2).unwrap();
        c.wait(out2, 10_000).unwrap();
        assert_eq!(
            c.fence_error(out2),
            None,
            "round {i}: the new group's job completed"
        );
        assert_eq!(c.read_u32(target, 0), value, "round {i}: its store landed");
        assert_eq!(c.state(good), (0, 0), "round {i}");
        c.destroy_group(bad);
        c.destroy_group(good);
    }
}

#[test]
fn a_fault_in_one_vm_leaves_a_group_on_another_vm_untouched() {
    let b = Board::boot();
    let c = Client::new(&b.dev, b.open());
    let d = c.other_vm();
    let target = d.bo_at(TARGET, &[]);
    d.bo_at(STREAM, &store(TARGET, 0x1234_5678));
    let good = d.group(1);
    let bad = c.group(1);
    let (out_bad, out_good) = (c.syncobj(), d.syncobj());
    c.submit(bad, UNMAPPED, 8, &[], out_bad).unwrap();
    d.submit(good, STREAM, 32, &[], out_good).unwrap();
    c.wait(out_bad, 10_000).unwrap();
    d.wait(out_good, 10_000).unwrap();
    assert_eq!(
        (c.fence_error(out_bad), c.state(bad)),
        (Some(EINVAL), (FATAL_FAULT, 1))
    );
    assert_eq!((d.fence_error(out_good), d.state(good)), (None, (0, 0)));
    assert_eq!(d.read_u32(target, 0), 0x1234_5678);
    assert_eq!((c.vm_state(), d.vm_state()), (0, 0));
}
