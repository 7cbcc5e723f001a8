// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Jobs through GROUP_SUBMIT: IGT's store-and-signal stream, submit checks that change nothing, a faulting stream,
//! a job that times out, more groups than CSG slots, priorities and preemption, many queues with many jobs in flight.

use std::time::Duration;

use kernel::code::{EACCES, EINVAL, ETIMEDOUT};
use kernel::drm::auth::Opener;
use tyr::drm_device::{TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::group::{queue, setup, GroupFixture};
use common::ioctl;

/// IGT's `group_submit` stream (`Documentation/hardware.md#the-igt-group_submit-stream`): store 0xDEADBEEF at
/// 0x100_1000, wait, flush, wait.
const IGT_STREAM: [u64; 7] = [
    0x0144_0000_0100_1000,
    0x0246_0000_DEAD_BEEF,
    0x1546_4400_0001_0000,
    0x0300_0000_00FF_0000,
    0x0246_0000_0000_0000,
    0x2401_4600_0000_0233,
    0x0300_0000_00FF_0000,
];

fn job(addr: u64, size: u32) -> drm_panthor_queue_submit {
    drm_panthor_queue_submit {
        queue_index: 0,
        stream_size: size,
        stream_addr: addr,
        ..Default::default()
    }
}

#[test]
fn igt_group_submit_stores_deadbeef_and_signals_the_syncobj() {
    let t = setup();
    let qs = [queue(0, 4096)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    t.bo_at(0x100_0000, &IGT_STREAM);
    let target = t.bo_at(0x100_1000, &[]);
    let out = t.syncobj();
    t.submit(h, job(0x100_0000, 56), out, 0).unwrap();
    let fence = t.out_fence(out);
    fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(fence.error(), None);
    assert_eq!(t.read_bo_u32(target), 0xDEAD_BEEF);
    let g = tyr::debugfs::groups::group(&t.f, h).unwrap();
    assert_eq!(
        g.sync_object(0).unwrap(),
        (1, 0),
        "the queue's sync object says job 1 is done"
    );
    assert_eq!(t.state(h), Ok((0, 0)));

    // A second job on the same queue, and a sync-only submit that hands out the last fence.
    t.write_bo(target, &[0; 4]);
    let out2 = t.syncobj();
    t.submit(h, job(0x100_0000, 56), out2, 0).unwrap();
    t.out_fence(out2)
        .wait_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!(t.read_bo_u32(target), 0xDEAD_BEEF);
    assert_eq!(g.sync_object(0).unwrap(), (2, 0));
    // An empty submit is a job of its own (its own fence), done as soon as the queue's last job is.
    let out3 = t.syncobj();
    t.submit(h, job(0, 0), out3, 0).unwrap();
    let f3 = t.out_fence(out3);
    assert!(!f3.ptr_eq(&t.out_fence(out2)));
    f3.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(f3.error(), None);
    assert_eq!(
        g.sync_object(0).unwrap(),
        (2, 0),
        "it took no seqno of the GPU's sync object"
    );
    // The job-done path signalled three fences without a resv/gpuva lock or an allocation.
    common::assert_signalling_clean();
}

#[test]
fn submit_checks_change_nothing() {
    let t = setup();
    let qs = [queue(0, 4096)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    let out = t.syncobj();
    let j = job(0x10_0000, 8);
    assert_eq!(t.submit(h, j, out, 1), Err(EINVAL), "pad");
    assert_eq!(
        t.submit(
            h,
            drm_panthor_queue_submit {
                stream_size: 0,
                ..j
            },
            out,
            0
        ),
        Err(EINVAL),
        "size 0 + address"
    );
    assert_eq!(
        t.submit(
            h,
            drm_panthor_queue_submit {
                stream_addr: 0x10_0020,
                ..j
            },
            out,
            0
        ),
        Err(EINVAL)
    );
    assert_eq!(
        t.submit(
            h,
            drm_panthor_queue_submit {
                stream_size: 12,
                ..j
            },
            out,
            0
        ),
        Err(EINVAL)
    );
    assert_eq!(
        t.submit(
            h,
            drm_panthor_queue_submit {
                latest_flush: 1 << 24,
                ..j
            },
            out,
            0
        ),
        Err(EINVAL)
    );
    assert_eq!(
        t.submit(
            h,
            drm_panthor_queue_submit {
                queue_index: 1,
                ..j
            },
            out,
            0
        ),
        Err(EINVAL)
    );
    assert_eq!(t.submit(77, j, out, 0), Err(EINVAL), "unknown group");
    assert!(
        t.f.syncobjs().lookup(out).unwrap().fence().is_none(),
        "failed submits signal nothing"
    );
}

#[test]
fn a_stream_on_unmapped_memory_makes_its_queue_fatal() {
    let t = setup();
    let qs = [queue(0, 4096)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    let out = t.syncobj();
    t.submit(h, job(0x10_0000, 8), out, 0).unwrap();
    let fence = t.out_fence(out);
    fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        (fence.error(), t.state(h)),
        (Some(EINVAL), Ok((2, 1))),
        "EINVAL fence; FATAL_FAULT on queue 0"
    );
    assert_eq!(
        t.submit(h, job(0x10_0000, 8), out, 0),
        Err(EINVAL),
        "a faulted group takes no more jobs"
    );
}

#[test]
fn a_job_that_never_completes_times_out() {
    let t = setup();
    tyr::debugfs::device::set_job_timeout(&t.dev, Duration::from_millis(300));
    let qs = [queue(0, 4096)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    // BRANCH ALWAYS to itself.
    t.bo_at(0x100_0000, &[0x1600_0000_6000_FFFF]);
    let out = t.syncobj();
    t.submit(h, job(0x100_0000, 8), out, 0).unwrap();
    let fence = t.out_fence(out);
    fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(fence.error(), Some(ETIMEDOUT));
    assert_eq!(t.state(h), Ok((1, 0)), "TIMEDOUT");
    assert_eq!(
        t.submit(h, job(0x100_0000, 8), out, 0),
        Err(EINVAL),
        "a timed-out group takes no more jobs"
    );
}

#[test]
fn a_group_destroyed_unused_does_not_disturb_the_next_one() {
    // IGT's panthor_group runs group_create (create, destroy, VM destroy) and then group_submit in one process.
    let t = setup();
    let qs = [queue(0, 4096)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    ioctl(
        &t.f,
        DRM_IOCTL_PANTHOR_GROUP_DESTROY,
        &mut drm_panthor_group_destroy {
            group_handle: h,
            pad: 0,
        },
    )
    .unwrap();
    ioctl(
        &t.f,
        DRM_IOCTL_PANTHOR_VM_DESTROY,
        &mut drm_panthor_vm_destroy { id: t.vm, pad: 0 },
    )
    .unwrap();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&t.f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let t = GroupFixture { vm: vm.id, ..t };
    let h = t.create(&mut t.args(&qs)).unwrap();
    t.bo_at(0x100_0000, &IGT_STREAM);
    let target = t.bo_at(0x100_1000, &[]);
    let out = t.syncobj();
    t.submit(h, job(0x100_0000, 56), out, 0).unwrap();
    let fence = t.out_fence(out);
    fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!((fence.error(), t.read_bo_u32(target)), (None, 0xDEAD_BEEF));
    assert_eq!(tyr::debugfs::device::late_acks(&t.dev), 0);
}

/// A stream that adds 1 to the u32 at `counter` (LOAD, ADD_IMMEDIATE32, STORE, WAIT).
fn increment(counter: u64) -> [u64; 5] {
    [
        0x0144_0000_0000_0000 | counter, // MOVE48 d68 <- counter
        0x1446_4400_0001_0000,           // LOAD_MULTIPLE r70 <- [d68], mask 1
        0x0300_0000_00FF_0000,           // WAIT all
        0x1046_4600_0000_0001,           // ADD_IMMEDIATE32 r70 <- r70 + 1
        0x1546_4400_0001_0000,           // STORE_MULTIPLE [d68] <- r70, mask 1
    ]
}

#[test]
fn more_groups_than_slots_all_complete_their_jobs() {
    let t = setup();
    let slots = tyr::debugfs::device::csif_info(&t.dev).csg_slot_count as usize;
    let groups = slots + 4;
    // One counter page per group, and a stream per group incrementing it, then a WAIT.
    let mut work = Vec::new();
    for i in 0..groups {
        let counter = 0x200_0000 + (i as u64) * 0x1000;
        let counter_bo = t.bo_at(counter, &[]);
        let stream_va = 0x300_0000 + (i as u64) * 0x1000;
        let mut words = increment(counter).to_vec();
        words.push(0x0300_0000_00FF_0000);
        t.bo_at(stream_va, &words);
        let qs = [queue(0, 4096)];
        let h = t.create(&mut t.args(&qs)).unwrap();
        work.push((h, stream_va, counter_bo));
    }
    let rounds = 6;
    let mut outs = Vec::new();
    for _ in 0..rounds {
        for &(h, stream_va, _) in &work {
            let out = t.syncobj();
            t.submit(h, job(stream_va, 48), out, 0).unwrap();
            outs.push(t.out_fence(out));
        }
    }
    for f in &outs {
        f.wait_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(f.error(), None);
    }
    for &(h, _, counter_bo) in &work {
        assert_eq!(
            t.read_bo_u32(counter_bo),
            rounds,
            "group {h}: every job ran exactly once"
        );
        assert_eq!(t.state(h), Ok((0, 0)));
    }
}

#[test]
fn a_faulting_group_leaves_the_others_running() {
    // The fault kills the groups resident on the faulting VM (as in Panthor); a group on another VM carries on.
    let t0 = setup();
    let qs = [queue(0, 4096)];
    let bad = t0.create(&mut t0.args(&qs)).unwrap();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&t0.f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let t = GroupFixture { vm: vm.id, ..t0 };
    let good = t.create(&mut t.args(&qs)).unwrap();
    let counter = t.bo_at(0x200_0000, &[]);
    let mut words = increment(0x200_0000).to_vec();
    words.push(0x0300_0000_00FF_0000);
    t.bo_at(0x300_0000, &words);
    let out_bad = t.syncobj();
    t.submit(bad, job(0x10_0000, 8), out_bad, 0).unwrap();
    let mut fences = Vec::new();
    for _ in 0..3 {
        let out = t.syncobj();
        t.submit(good, job(0x300_0000, 48), out, 0).unwrap();
        fences.push(t.out_fence(out));
    }
    let bad_fence = t.out_fence(out_bad);
    bad_fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(bad_fence.error(), Some(EINVAL));
    for f in &fences {
        f.wait_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(f.error(), None);
    }
    assert_eq!(t.state(bad), Ok((2, 1)));
    assert_eq!(t.state(good), Ok((0, 0)));
    assert_eq!(t.read_bo_u32(counter), 3);
    let vm = tyr::debugfs::vm(&t.f, t.vm).unwrap();
    assert!(
        vm.vas().iter().any(|v| v.addr == 0x200_0000),
        "the VM's mappings are untouched"
    );
}

#[test]
fn many_queues_many_jobs_in_flight() {
    let t = setup();
    let nq = 4usize;
    let qs: Vec<_> = (0..nq).map(|q| queue(q as u8, 4096)).collect();
    let h = t.create(&mut t.args(&qs)).unwrap();
    let mut counters = Vec::new();
    for q in 0..nq {
        let c = 0x200_0000 + q as u64 * 0x1000;
        counters.push(t.bo_at(c, &[]));
        let mut words = increment(c).to_vec();
        words.push(0x0300_0000_00FF_0000);
        t.bo_at(0x300_0000 + q as u64 * 0x1000, &words);
    }
    // 40 jobs per queue: more than a 4 KiB ring holds at once (32), so some wait for ring space.
    let jobs = 40;
    let mut last = Vec::new();
    for _ in 0..jobs {
        for q in 0..nq {
            let out = t.syncobj();
            let j = drm_panthor_queue_submit {
                queue_index: q as u32,
                ..job(0x300_0000 + q as u64 * 0x1000, 48)
            };
            t.submit(h, j, out, 0).unwrap();
            last.push(t.out_fence(out));
        }
    }
    for f in &last {
        f.wait_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(f.error(), None);
    }
    for c in counters {
        assert_eq!(t.read_bo_u32(c), jobs);
    }
}

#[test]
fn a_higher_priority_group_gets_a_slot_from_busy_low_priority_ones() {
    let t = setup();
    let slots = tyr::debugfs::device::csif_info(&t.dev).csg_slot_count as usize;
    // Every slot busy with a LOW group looping forever (their jobs would only end at the job timeout).
    tyr::debugfs::device::set_job_timeout(&t.dev, Duration::from_secs(60));
    t.bo_at(0x100_0000, &[0x1600_0000_6000_FFFF]);
    let qs = [queue(0, 4096)];
    let mut loops = Vec::new();
    for _ in 0..slots {
        let mut a = t.args(&qs);
        a.priority = 0;
        let h = t.create(&mut a).unwrap();
        let out = t.syncobj();
        t.submit(h, job(0x100_0000, 8), out, 0).unwrap();
        loops.push((h, t.out_fence(out)));
    }
    // A MEDIUM group with real work: it must run long before the loops time out.
    let mut words = increment(0x200_0000).to_vec();
    words.push(0x0300_0000_00FF_0000);
    t.bo_at(0x300_0000, &words);
    let counter = t.bo_at(0x200_0000, &[]);
    let mut a = t.args(&qs);
    a.priority = 1;
    let h = t.create(&mut a).unwrap();
    let out = t.syncobj();
    let t0 = std::time::Instant::now();
    t.submit(h, job(0x300_0000, 48), out, 0).unwrap();
    let f = t.out_fence(out);
    f.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(f.error(), None);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "waited {:?} for a slot",
        t0.elapsed()
    );
    assert_eq!(t.read_bo_u32(counter), 1);
    let killed: Vec<_> = loops
        .iter()
        .filter(|(_, f)| f.is_signaled())
        .map(|(h, f)| (*h, f.error(), t.state(*h)))
        .collect();
    assert!(
        killed.is_empty(),
        "the low-priority groups were suspended, not killed: {killed:?}"
    );
    for (h, _) in loops {
        ioctl(
            &t.f,
            DRM_IOCTL_PANTHOR_GROUP_DESTROY,
            &mut drm_panthor_group_destroy {
                group_handle: h,
                pad: 0,
            },
        )
        .unwrap();
    }
}

#[test]
fn high_and_realtime_groups_preempt_busy_low_priority_ones_every_time() {
    use common::sched::{store, Client, LOOP};
    let b = common::Board::boot();
    // HIGH and REALTIME need CAP_SYS_NICE (or DRM master): a plain render client is refused.
    let plain = Client::new(&b.dev, b.open());
    assert_eq!(plain.try_group(2), Err(EACCES));
    assert_eq!(plain.try_group(3), Err(EACCES));
    let nice = Opener {
        sys_nice: true,
        ..RENDER_CLIENT
    };
    let c = Client::new(&b.dev, TyrDrmFile::open(&b.dev, nice).unwrap());
    tyr::debugfs::device::set_job_timeout(&b.dev, Duration::from_secs(120));
    let slots = tyr::debugfs::device::csif_info(&b.dev).csg_slot_count as usize;
    // Every slot busy with a LOW group looping forever.
    c.bo_at(0x100_0000, &LOOP);
    let loops: Vec<(u32, u32)> = (0..slots)
        .map(|_| {
            let g = c.group(0);
            let out = c.syncobj();
            c.submit(g, 0x100_0000, 8, &[], out).unwrap();
            (g, out)
        })
        .collect();
    let target = c.bo_at(0x100_1000, &[]);
    let stream = c.bo_at(0x100_2000, &[]);
    let (high, rt) = (c.group(2), c.group(3));
    for round in 0..6u32 {
        for (g, name) in [(high, "HIGH"), (rt, "REALTIME")] {
            let value = (g << 16) | round;
            c.write(stream, &store(0x100_1000, value));
            let out = c.syncobj();
            c.submit(g, 0x100_2000, 32, &[], out).unwrap();
            c.wait(out, 10_000).unwrap_or_else(|e| {
                panic!("round {round}: the {name} job did not complete: {e:?}")
            });
            assert_eq!(c.fence_error(out), None, "round {round}, {name}");
            assert_eq!(c.read_u32(target, 0), value, "round {round}, {name}");
        }
    }
    for &(g, out) in &loops {
        assert_eq!(
            c.wait(out, 0),
            Err(kernel::code::ETIME),
            "LOW group {g} was suspended, not killed"
        );
        assert_eq!(c.state(g), (0, 0));
    }
    for (g, _) in loops {
        c.destroy_group(g);
    }
}

#[test]
fn a_job_waiting_off_slot_is_not_timed_out() {
    use common::sched::{store, Client, LOOP};
    let b = common::Board::boot();
    let c = Client::new(&b.dev, b.open());
    tyr::debugfs::device::set_job_timeout(&b.dev, Duration::from_millis(400));
    let slots = tyr::debugfs::device::csif_info(&b.dev).csg_slot_count as usize;
    // Every slot held by a MEDIUM group looping until its timer runs out.
    c.bo_at(0x100_0000, &LOOP);
    let loops: Vec<(u32, u32)> = (0..slots)
        .map(|_| {
            let g = c.group(1);
            let out = c.syncobj();
            c.submit(g, 0x100_0000, 8, &[], out).unwrap();
            (g, out)
        })
        .collect();
    // A LOW group cannot take a slot from them: its job waits off-slot, its timer not running.
    let target = c.bo_at(0x100_1000, &[]);
    c.bo_at(0x100_2000, &store(0x100_1000, 0x7777));
    let low = c.group(0);
    let out = c.syncobj();
    c.submit(low, 0x100_2000, 32, &[], out).unwrap();
    for &(g, out) in &loops {
        c.wait(out, 10_000).unwrap();
        assert_eq!(
            (c.fence_error(out), c.state(g)),
            (Some(ETIMEDOUT), (1, 0)),
            "the loops time out"
        );
    }
    c.wait(out, 10_000).unwrap();
    assert_eq!(
        c.fence_error(out),
        None,
        "the job that waited for a slot ran: its timer only started on the slot"
    );
    assert_eq!((c.read_u32(target, 0), c.state(low)), (0x7777, (0, 0)));
}
