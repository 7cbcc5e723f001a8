// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Groups on more VMs than the GPU has user address spaces (7: AS 0 is the MCU's) all run, as in Panthor: a VM
//! whose groups are all off their CSG slots goes on the AS LRU list (`panthor_vm_idle`) and its slot is taken by the
//! next VM that needs one (`panthor_vm_active`); a group that needs an AS while every one is held by a VM with a
//! resident group waits off-slot (it is picked again at a later tick) instead of failing, and a busy group is
//! rotated out after its tick slice so that the waiting one gets an AS.

mod common;

use common::sched::{increment, store, Client};
use common::Board;

const STREAM: u64 = 0x100_0000;
const TARGET: u64 = 0x100_1000;
const COUNTERS: u64 = 0x200_0000;
const LONG_MS: u64 = 20_000;

#[test]
fn eight_groups_on_eight_vms_of_eight_files_all_run() {
    let b = Board::boot();
    let clients: Vec<Client> = (0..8).map(|_| Client::new(&b.dev, b.open())).collect();
    let work: Vec<(u32, u32, u32)> = clients
        .iter()
        .map(|c| {
            let target = c.bo_at(TARGET, &[]);
            let stream = c.bo_at(STREAM, &[]);
            (c.group(1), stream, target)
        })
        .collect();
    for round in 0..4u32 {
        let mut outs = Vec::new();
        for (i, (c, &(g, stream, _))) in clients.iter().zip(&work).enumerate() {
            c.write(stream, &store(TARGET, (i as u32) << 8 | round));
            let out = c.syncobj();
            c.submit(g, STREAM, 32, &[], out).unwrap();
            outs.push(out);
        }
        for (i, (c, &(g, _, target))) in clients.iter().zip(&work).enumerate() {
            c.wait(outs[i], LONG_MS)
                .unwrap_or_else(|e| panic!("round {round}, group {i}: {e:?}"));
            assert_eq!(c.fence_error(outs[i]), None, "round {round}, group {i}");
            assert_eq!(
                c.read_u32(target, 0),
                (i as u32) << 8 | round,
                "round {round}, group {i}"
            );
            assert_eq!(c.state(g), (0, 0));
        }
    }
    // Eight VMs went through the seven user address spaces, which they keep while idle: every slot is held, AS 0 by
    // the MCU, always active.
    let slots = tyr::debugfs::device::as_slots(&b.dev);
    assert_eq!(
        slots.iter().map(|s| s.0).collect::<Vec<u32>>(),
        (0..8).collect::<Vec<u32>>()
    );
    assert_eq!(slots[0], (0, 1));
}

#[test]
fn more_groups_than_csg_slots_and_address_spaces_all_complete_every_job_once() {
    let b = Board::boot();
    let first = Client::new(&b.dev, b.open());
    let slots = tyr::debugfs::device::csif_info(&b.dev).csg_slot_count as usize;
    // Twice as many VMs as user address spaces, and two groups on some of them: more groups than CSG slots too.
    let vms: Vec<Client> = std::iter::once(first)
        .chain((1..14).map(|_| Client::new(&b.dev, b.open())))
        .collect();
    let mut work = Vec::new();
    for (v, c) in vms.iter().enumerate() {
        let per_vm = if v % 3 == 0 { 2 } else { 1 };
        for k in 0..per_vm {
            let counter = COUNTERS + 0x1000 * k as u64;
            let stream_va = STREAM + 0x1000 * k as u64;
            let bo = c.bo_at(counter, &[]);
            c.bo_at(stream_va, &increment(counter));
            work.push((v, c.group(1), stream_va, bo));
        }
    }
    assert!(work.len() > slots && vms.len() > 7);
    let rounds = 5;
    let mut outs = Vec::new();
    for _ in 0..rounds {
        for &(v, g, stream_va, _) in &work {
            let out = vms[v].syncobj();
            vms[v].submit(g, stream_va, 48, &[], out).unwrap();
            outs.push((v, out));
        }
    }
    for &(v, out) in &outs {
        vms[v].wait(out, LONG_MS).unwrap();
        assert_eq!(vms[v].fence_error(out), None);
    }
    for &(v, g, _, bo) in &work {
        assert_eq!(
            vms[v].read_u32(bo, 0),
            rounds,
            "VM {v}, group {g}: every job ran exactly once"
        );
        assert_eq!(vms[v].state(g), (0, 0));
    }
}
