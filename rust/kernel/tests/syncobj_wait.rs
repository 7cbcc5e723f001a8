// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The blocking SYNCOBJ ioctls: WAIT and TIMELINE_WAIT on real threads (each wait bounded, so a lost wake-up fails
//! instead of hanging; signals ordered after the waiter went to sleep by `Syncobj::sleepers`), and the signalling
//! path under blocked waiters.
//!
//! Arguments are `kernel::uapi` structs with arrays passed as real pointers into this process (read and written
//! through `uaccess`); every errno follows `Documentation/uapi.md#per-ioctl-checks`.

mod syncobj_common;
use syncobj_common::*;

// ---- WAIT ----

#[test]
fn wait_checks_flags_then_count_then_handles() {
    let t = SyncobjTable::new();
    let h = create(&t, DRM_SYNCOBJ_CREATE_SIGNALED);
    assert_eq!(
        wait(&t, &[h], 0, WAIT_AVAILABLE),
        Err(EINVAL),
        "AVAILABLE is timeline-only"
    );
    assert_eq!(wait(&t, &[h], 0, 0x10), Err(EINVAL));
    let mut a = wait_args(&[], 0, 0);
    a.handles = BAD_PTR;
    a.first_signaled = 9;
    assert_eq!(
        ioctl::wait(&t, &mut a),
        Ok(()),
        "6.12: an empty wait succeeds without reading"
    );
    assert_eq!(a.first_signaled, 9);
    let mut a = wait_args(&[h], 0, 0);
    a.handles = BAD_PTR;
    a.count_handles = u32::MAX;
    assert_eq!(
        ioctl::wait(&t, &mut a),
        Err(ENOMEM),
        "more than kmalloc gives, before the pointer is read"
    );
    a.count_handles = 1;
    assert_eq!(ioctl::wait(&t, &mut a), Err(EFAULT));
    assert_eq!(wait(&t, &[h, 42], 0, 0), Err(ENOENT));
    assert_eq!(
        wait(&t, &[h], 0, WAIT_ALL | WAIT_FOR_SUBMIT | WAIT_DEADLINE),
        Ok(0)
    );
}

#[test]
fn wait_on_an_empty_syncobj_is_einval_without_for_submit_and_etime_with_it() {
    let t = SyncobjTable::new();
    let (s, e) = (create(&t, DRM_SYNCOBJ_CREATE_SIGNALED), create(&t, 0));
    assert_eq!(
        wait(&t, &[s, e], 0, 0),
        Err(EINVAL),
        "checked for every syncobj before anything is waited on"
    );
    assert_eq!(wait(&t, &[e], in_ms(20), WAIT_FOR_SUBMIT), Err(ETIME));
    assert_eq!(wait(&t, &[e, s], 0, WAIT_FOR_SUBMIT), Ok(1));
}

#[test]
fn wait_times_out_with_etime_and_leaves_first_signaled_alone() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    t.lookup(h).unwrap().replace_fence(Some(fence()));
    let mut a = wait_args(&[h], in_ms(30), 0);
    a.first_signaled = 5;
    let start = std::time::Instant::now();
    assert_eq!(ioctl::wait(&t, &mut a), Err(ETIME));
    assert!(
        start.elapsed() >= Duration::from_millis(25),
        "returned before the timeout"
    );
    assert_eq!(a.first_signaled, 5);
    assert_eq!(wait(&t, &[h], -1, 0), Err(ETIME), "a past timeout polls");
}

#[test]
fn binary_wait_blocks_until_another_thread_signals() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let h = create(&t, 0);
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    let t2 = t.clone();
    let rx = spawn(move || wait(&t2, &[h], in_ms(60_000), 0));
    until_asleep(&t, h, 1);
    assert!(
        rx.try_recv().is_err(),
        "returned before the fence signalled"
    );
    f.signal().unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("waiter not woken"), Ok(0));
}

#[test]
fn wait_any_returns_the_one_that_signalled_and_wait_all_needs_every_one() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let hs: Vec<u32> = (0..3).map(|_| create(&t, 0)).collect();
    let fs: Vec<DmaFence> = hs
        .iter()
        .map(|&h| {
            let f = fence();
            t.lookup(h).unwrap().replace_fence(Some(f.clone()));
            f
        })
        .collect();
    let (t1, h1) = (t.clone(), hs.clone());
    let any = spawn(move || wait(&t1, &h1, in_ms(60_000), 0));
    let (t2, h2) = (t.clone(), hs.clone());
    let all = spawn(move || wait(&t2, &h2, in_ms(60_000), WAIT_ALL));
    for &h in &hs {
        until_asleep(&t, h, 2);
    }
    assert!(any.try_recv().is_err() && all.try_recv().is_err());
    fs[2].signal().unwrap();
    assert_eq!(
        any.recv_timeout(BOUND).expect("any-waiter not woken"),
        Ok(2)
    );
    fs[0].signal().unwrap();
    until_asleep(&t, hs[1], 1);
    assert!(
        all.try_recv().is_err(),
        "WAIT_ALL returned with one fence pending"
    );
    fs[1].signal().unwrap();
    // Upstream reports, for WAIT_ALL, the first syncobj already signalled when the wait started: none here.
    assert_eq!(
        all.recv_timeout(BOUND).expect("all-waiter not woken"),
        Ok(u32::MAX)
    );
    assert_eq!(wait(&t, &hs, 0, WAIT_ALL), Ok(0));
}

#[test]
fn wait_for_submit_blocks_until_a_fence_is_submitted_then_until_it_signals() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let h = create(&t, 0);
    let t2 = t.clone();
    let rx = spawn(move || wait(&t2, &[h], in_ms(60_000), WAIT_FOR_SUBMIT));
    until_asleep(&t, h, 1);
    assert!(rx.try_recv().is_err(), "returned with no fence");
    let f = fence();
    t.lookup(h).unwrap().replace_fence(Some(f.clone()));
    until_asleep(&t, h, 1);
    assert!(
        rx.try_recv().is_err(),
        "returned before the submitted fence signalled"
    );
    f.signal().unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("waiter not woken"), Ok(0));
}

// ---- TIMELINE_WAIT ----

#[test]
fn timeline_wait_checks_flags_count_handles_then_points() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    tl_signal(&t, &[h], &[3]).unwrap();
    assert_eq!(tl_wait(&t, &[h], &[3], 0, 0x10), Err(EINVAL));
    assert_eq!(tl_wait(&t, &[], &[], 0, 0), Ok(0));
    assert_eq!(tl_wait(&t, &[h, 9], &[3, 3], 0, 0), Err(ENOENT));
    let mut a = drm_syncobj_timeline_wait {
        handles: ptr(&[h]),
        points: BAD_PTR,
        timeout_nsec: 0,
        count_handles: 1,
        flags: 0,
        first_signaled: 0,
        pad: 0,
        deadline_nsec: 0,
    };
    assert_eq!(ioctl::timeline_wait(&t, &mut a), Err(EFAULT));
    a.points = 0;
    assert_eq!(
        ioctl::timeline_wait(&t, &mut a),
        Ok(()),
        "null points: point 0"
    );
    assert_eq!(
        tl_wait(&t, &[h], &[4], 0, 0),
        Err(EINVAL),
        "point 4 not submitted"
    );
    assert_eq!(
        tl_wait(&t, &[h], &[4], in_ms(10), WAIT_FOR_SUBMIT),
        Err(ETIME)
    );
    assert_eq!(
        tl_wait(&t, &[h], &[2], 0, WAIT_ALL | WAIT_AVAILABLE | WAIT_DEADLINE),
        Ok(0)
    );
}

#[test]
fn timeline_wait_blocks_until_every_earlier_point_signalled() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let h = create(&t, 0);
    let obj = t.lookup(h).unwrap();
    let fs: Vec<DmaFence> = (1..=3)
        .map(|p| {
            let f = fence();
            obj.add_point(f.clone(), p).unwrap();
            f
        })
        .collect();
    let t2 = t.clone();
    let rx = spawn(move || tl_wait(&t2, &[h], &[2], in_ms(60_000), 0));
    until_asleep(&t, h, 1);
    fs[1].signal().unwrap();
    until_asleep(&t, h, 1);
    assert!(rx.try_recv().is_err(), "point 2 done but point 1 is not");
    fs[0].signal().unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("waiter not woken"), Ok(0));
    assert!(!is_signalled(&t, h, 3));
}

#[test]
fn wait_available_returns_once_the_point_is_submitted_even_unsignalled() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let h = create(&t, 0);
    let t2 = t.clone();
    let rx = spawn(move || tl_wait(&t2, &[h], &[5], in_ms(60_000), WAIT_AVAILABLE));
    until_asleep(&t, h, 1);
    t.lookup(h).unwrap().add_point(fence(), 4).unwrap();
    until_asleep(&t, h, 1);
    assert!(rx.try_recv().is_err(), "point 5 not submitted yet");
    t.lookup(h).unwrap().add_point(fence(), 5).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("waiter not woken"), Ok(0));
}

#[test]
fn timeline_wait_for_submit_on_a_point_wakes_on_timeline_signal() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let h = create(&t, 0);
    let t2 = t.clone();
    let rx = spawn(move || tl_wait(&t2, &[h], &[2], in_ms(60_000), WAIT_FOR_SUBMIT));
    until_asleep(&t, h, 1);
    tl_signal(&t, &[h], &[1]).unwrap();
    until_asleep(&t, h, 1);
    assert!(rx.try_recv().is_err(), "point 2 not submitted yet");
    tl_signal(&t, &[h], &[2]).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("waiter not woken"), Ok(0));
}

// ---- signalling path and concurrency ----

#[test]
fn signalling_timeline_points_with_blocked_waiters_does_not_allocate() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let (tl, bin) = (create(&t, 0), create(&t, 0));
    let obj = t.lookup(tl).unwrap();
    let fs: Vec<DmaFence> = (1..=5)
        .map(|p| {
            let f = fence();
            obj.add_point(f.clone(), p).unwrap();
            f
        })
        .collect();
    transfer(&t, tl, 3, bin, 0, 0).unwrap();
    let t1 = t.clone();
    let w1 = spawn(move || tl_wait(&t1, &[tl], &[5], in_ms(60_000), 0));
    let t2 = t.clone();
    let w2 = spawn(move || wait(&t2, &[bin, bin], in_ms(60_000), WAIT_ALL));
    // Both waiters have their callbacks on the chain before anything signals (`bin` is waited on twice).
    until_asleep(&t, tl, 1);
    until_asleep(&t, bin, 2);
    assert!(w1.try_recv().is_err() && w2.try_recv().is_err());
    let before = fault::violations();
    for f in fs.iter().rev() {
        f.signal().unwrap();
    }
    assert_eq!(
        fault::violations(),
        before,
        "a chain or wait callback allocated in the signalling path"
    );
    assert_eq!(
        w1.recv_timeout(BOUND).expect("timeline waiter not woken"),
        Ok(0)
    );
    assert_eq!(
        w2.recv_timeout(BOUND).expect("binary waiter not woken"),
        Ok(u32::MAX)
    );
}

#[test]
fn concurrent_multi_object_signals_and_waits_do_not_deadlock() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let t = std::sync::Arc::new(SyncobjTable::new());
    let (a, b) = (create(&t, 0), create(&t, 0));
    let next = std::sync::Arc::new(AtomicU64::new(1));
    let mut done = Vec::new();
    for i in 0..4 {
        let (t, next) = (t.clone(), next.clone());
        done.push(spawn(move || {
            for _ in 0..200 {
                let p = next.fetch_add(1, Ordering::Relaxed);
                // Opposite orders from different threads: the lock order must not depend on the array order.
                let hs = if i % 2 == 0 { [a, b] } else { [b, a] };
                tl_signal(&t, &hs, &[p, p]).unwrap();
                let _ = tl_wait(&t, &hs, &[p, p], in_ms(1_000), WAIT_ALL | WAIT_FOR_SUBMIT);
            }
        }));
    }
    for d in done {
        d.recv_timeout(BOUND)
            .expect("threads deadlocked (or panicked)");
    }
    // Every point was signalled, so each timeline's signalled prefix is its head, whatever order points landed in.
    let submitted = query(&t, &[a, b], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED).unwrap();
    assert_eq!(submitted, vec![800, 800]);
    assert_eq!(tl_wait(&t, &[a, b], &[800, 800], 0, WAIT_ALL), Ok(0));
}
