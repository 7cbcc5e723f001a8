// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Unit tests of [`Syncobj`], [`add_points`] and [`wait_many`].

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::*;
use crate::error::code::{ENOMEM, ETIME};

fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

fn empty() -> Arc<Syncobj> {
    Syncobj::new(CreateFlags::empty()).unwrap()
}

/// An absolute timeout `ms` milliseconds from now.
fn in_ms(ms: i64) -> i64 {
    ktime_get_ns() + ms * 1_000_000
}

#[test]
fn binary_replace_and_reset() {
    let s = empty();
    assert!(s.fence().is_none());
    assert_eq!(s.find_fence(0).err(), Some(EINVAL));
    let f = fence();
    s.replace_fence(Some(f.clone()));
    assert!(s.fence().unwrap().ptr_eq(&f));
    assert!(s.find_fence(0).unwrap().ptr_eq(&f));
    assert_eq!(
        s.find_fence(1).err(),
        Some(EINVAL),
        "a binary fence has no timeline points"
    );
    s.replace_fence(None);
    assert!(s.fence().is_none());
}

#[test]
fn created_signalled() {
    let s = Syncobj::new(CreateFlags::SIGNALED).unwrap();
    assert!(s.fence().unwrap().is_signaled());
    assert_eq!(wait_many(&[s], &[0], 0, WaitFlags::empty()), Ok(0));
}

#[test]
fn timeline_point_fence_waits_for_every_earlier_point() {
    let s = empty();
    let f: Vec<_> = (0..3).map(|_| fence()).collect();
    for (i, f) in f.iter().enumerate() {
        s.add_point(f.clone(), i as u64 + 1).unwrap();
    }
    let p2 = s.find_fence(2).unwrap();
    f[1].signal().unwrap();
    assert!(!p2.is_signaled());
    f[0].signal().unwrap();
    assert!(p2.is_signaled());
    assert!(!s.find_fence(3).unwrap().is_signaled());
    assert_eq!(s.find_fence(4).err(), Some(EINVAL), "not submitted yet");
    assert!(
        !s.find_fence(0).unwrap().is_signaled(),
        "point 0 is the whole timeline"
    );
}

#[test]
fn query_reports_the_signalled_prefix() {
    let s = empty();
    let f: Vec<_> = (0..4).map(|_| fence()).collect();
    for (i, f) in f.iter().enumerate() {
        s.add_point(f.clone(), 10 * (i as u64 + 1)).unwrap();
    }
    assert_eq!(s.query(QueryFlags::empty()), 0);
    assert_eq!(s.query(QueryFlags::LAST_SUBMITTED), 40);
    f[2].signal().unwrap();
    f[0].signal().unwrap();
    assert_eq!(s.query(QueryFlags::empty()), 10);
    f[1].signal().unwrap();
    assert_eq!(s.query(QueryFlags::empty()), 30);
    f[3].signal().unwrap();
    assert_eq!(s.query(QueryFlags::empty()), 40);
}

#[test]
fn an_out_of_order_point_is_added_and_the_head_keeps_the_highest_number() {
    let s = empty();
    let (a, b) = (fence(), fence());
    s.add_point(a.clone(), 5).unwrap();
    s.add_point(b.clone(), 3).unwrap();
    assert_eq!(s.query(QueryFlags::LAST_SUBMITTED), 5);
    a.signal().unwrap();
    // The new node starts a fresh context with prev_seqno 0: upstream reports 0 until it signals.
    assert_eq!(s.query(QueryFlags::empty()), 0);
    b.signal().unwrap();
    assert_eq!(s.query(QueryFlags::empty()), 5);
}

#[test]
fn signalled_points_are_collected_and_still_found_signalled() {
    let s = empty();
    let f: Vec<_> = (0..3).map(|_| fence()).collect();
    for (i, f) in f.iter().enumerate() {
        s.add_point(f.clone(), i as u64 + 1).unwrap();
    }
    f[0].signal().unwrap();
    f[1].signal().unwrap();
    s.add_point(fence(), 4).unwrap();
    assert!(s.find_fence(1).unwrap().is_signaled());
    assert!(s.find_fence(2).unwrap().is_signaled());
    assert!(!s.find_fence(3).unwrap().is_signaled());
}

#[test]
fn add_points_is_all_or_nothing_under_allocation_failure() {
    let (a, b) = (empty(), empty());
    a.add_point(fence(), 1).unwrap();
    let before_a = a.fence().unwrap();
    let objs = [a.clone(), b.clone(), a.clone()];
    let fences = [fence(), fence(), fence()];
    let mut n = 0;
    loop {
        let r = {
            let _g = alloc::fault::fail_nth(n);
            add_points(&objs, &fences, &[2, 7, 3])
        };
        match r {
            Err(e) => {
                assert_eq!(e, ENOMEM);
                assert!(
                    a.fence().unwrap().ptr_eq(&before_a),
                    "failure {n} changed a"
                );
                assert!(b.fence().is_none(), "failure {n} changed b");
                n += 1;
            }
            Ok(()) => break,
        }
    }
    assert!(n > 3, "every allocation point was exercised");
    assert_eq!(a.query(QueryFlags::LAST_SUBMITTED), 3);
    assert_eq!(b.query(QueryFlags::LAST_SUBMITTED), 7);
}

#[test]
fn wait_without_a_fence_is_einval_unless_waiting_for_submit() {
    let s = empty();
    assert_eq!(
        wait_many(std::slice::from_ref(&s), &[0], 0, WaitFlags::empty()),
        Err(EINVAL)
    );
    assert_eq!(
        wait_many(&[s], &[0], 0, WaitFlags::WAIT_FOR_SUBMIT),
        Err(ETIME)
    );
}

#[test]
fn wait_any_returns_the_first_signalled_index() {
    let objs = [empty(), empty(), empty()];
    let f: Vec<_> = objs
        .iter()
        .map(|o| {
            let f = fence();
            o.replace_fence(Some(f.clone()));
            f
        })
        .collect();
    assert_eq!(wait_many(&objs, &[0; 3], 0, WaitFlags::empty()), Err(ETIME));
    f[2].signal().unwrap();
    f[1].signal().unwrap();
    assert_eq!(wait_many(&objs, &[0; 3], 0, WaitFlags::empty()), Ok(1));
    assert_eq!(
        wait_many(&objs, &[0; 3], 0, WaitFlags::WAIT_ALL),
        Err(ETIME)
    );
    f[0].signal().unwrap();
    assert_eq!(wait_many(&objs, &[0; 3], 0, WaitFlags::WAIT_ALL), Ok(0));
}

#[test]
fn wait_blocks_until_another_thread_signals() {
    let s = empty();
    let f = fence();
    s.replace_fence(Some(f.clone()));
    let (tx, rx) = mpsc::channel();
    let s2 = s.clone();
    let waiter = thread::spawn(move || {
        let r = wait_many(&[s2], &[0], in_ms(60_000), WaitFlags::empty());
        tx.send(()).unwrap();
        r
    });
    until_asleep(&s, 1);
    assert!(rx.try_recv().is_err(), "returned before the signal");
    f.signal().unwrap();
    rx.recv_timeout(Duration::from_secs(30))
        .expect("waiter not woken");
    assert_eq!(waiter.join().unwrap(), Ok(0));
}

#[test]
fn wait_for_submit_wakes_when_a_point_is_added() {
    let s = empty();
    let s2 = s.clone();
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let r = wait_many(&[s2], &[2], in_ms(60_000), WaitFlags::WAIT_AVAILABLE);
        tx.send(()).unwrap();
        r
    });
    until_asleep(&s, 1);
    s.add_point(fence(), 1).unwrap();
    until_asleep(&s, 1);
    assert!(rx.try_recv().is_err(), "point 2 is not there yet");
    s.add_point(fence(), 2).unwrap();
    rx.recv_timeout(Duration::from_secs(30))
        .expect("waiter not woken");
    assert_eq!(waiter.join().unwrap(), Ok(0));
}

#[test]
fn timeout_is_etime_and_leaves_no_registration_behind() {
    let s = empty();
    let f = fence();
    s.replace_fence(Some(f.clone()));
    let start = std::time::Instant::now();
    assert_eq!(
        wait_many(
            std::slice::from_ref(&s),
            &[0],
            in_ms(30),
            WaitFlags::empty()
        ),
        Err(ETIME)
    );
    assert!(start.elapsed() >= Duration::from_millis(25));
    assert_eq!(
        wait_many(
            std::slice::from_ref(&s),
            &[5],
            in_ms(10),
            WaitFlags::WAIT_FOR_SUBMIT
        ),
        Err(ETIME)
    );
    assert!(s.state().waiters.is_empty());
    // The wait's fence callback was removed: signalling runs nothing that could allocate or wake a stale waiter.
    let before = alloc::fault::violations();
    f.signal().unwrap();
    assert_eq!(alloc::fault::violations(), before);
}

/// Yields until `n` waits on `s` are asleep ([`Syncobj::sleepers`]), bounded so a wait that never blocks fails.
fn until_asleep(s: &Syncobj, n: usize) {
    let start = std::time::Instant::now();
    while s.sleepers() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the waiter never went to sleep"
        );
        thread::yield_now();
    }
}
