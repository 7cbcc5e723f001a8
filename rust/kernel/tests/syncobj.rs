// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The DRM core SYNCOBJ ioctls as a client sees them: argument structs from `kernel::uapi`, arrays passed as real
//! pointers into this process (read and written through `uaccess`), every errno of the table in
//! (`Documentation/uapi.md#per-ioctl-checks` `Documentation/uapi.md#drm-core-ioctls`), real threads for the blocking
//! waits, and allocation failures that must leave every syncobj as it was.
//!
//! Blocking tests bound every wait with a channel timeout, so a lost wake-up fails instead of hanging.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use kernel::alloc::fault;
use kernel::code::{EFAULT, EINVAL, ENOENT, ENOMEM, ETIME};
use kernel::dma_fence::DmaFence;
use kernel::drm::syncobj::{ioctl, ktime_get_ns, QueryFlags, SyncobjTable};
use kernel::uapi::{
    drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy, drm_syncobj_timeline_array,
    drm_syncobj_timeline_wait, drm_syncobj_transfer, drm_syncobj_wait, DRM_SYNCOBJ_CREATE_SIGNALED,
    DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL as WAIT_ALL,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE as WAIT_AVAILABLE,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE as WAIT_DEADLINE,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT as WAIT_FOR_SUBMIT,
};
use proptest::prelude::*;

/// How long a test waits for a thread that should finish; only reached on failure.
const BOUND: Duration = Duration::from_secs(30);
/// An address nothing is mapped at.
const BAD_PTR: u64 = 0x10;
/// More allocation points than any operation here reaches: an allocation-failure sweep past it fails instead of
/// spinning forever.
const SWEEP_LIMIT: u64 = 10_000;

fn ptr<T>(v: &[T]) -> u64 {
    v.as_ptr() as u64
}

fn mut_ptr<T>(v: &mut [T]) -> u64 {
    v.as_mut_ptr() as u64
}

fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

/// An absolute CLOCK_MONOTONIC timeout `ms` from now.
fn in_ms(ms: i64) -> i64 {
    ktime_get_ns() + ms * 1_000_000
}

fn create(t: &SyncobjTable, flags: u32) -> u32 {
    let mut a = drm_syncobj_create { handle: 0, flags };
    ioctl::create(t, &mut a).unwrap();
    a.handle
}

fn wait_args(handles: &[u32], timeout_nsec: i64, flags: u32) -> drm_syncobj_wait {
    drm_syncobj_wait {
        handles: ptr(handles),
        timeout_nsec,
        count_handles: handles.len() as u32,
        flags,
        first_signaled: 0,
        pad: 0,
        deadline_nsec: 0,
    }
}

fn wait(
    t: &SyncobjTable,
    handles: &[u32],
    timeout_nsec: i64,
    flags: u32,
) -> Result<u32, kernel::Error> {
    let mut a = wait_args(handles, timeout_nsec, flags);
    ioctl::wait(t, &mut a).map(|()| a.first_signaled)
}

fn tl_wait(
    t: &SyncobjTable,
    handles: &[u32],
    points: &[u64],
    timeout: i64,
    flags: u32,
) -> Result<u32, kernel::Error> {
    let mut a = drm_syncobj_timeline_wait {
        handles: ptr(handles),
        points: ptr(points),
        timeout_nsec: timeout,
        count_handles: handles.len() as u32,
        flags,
        first_signaled: 0,
        pad: 0,
        deadline_nsec: 0,
    };
    ioctl::timeline_wait(t, &mut a).map(|()| a.first_signaled)
}

fn array(handles: &[u32]) -> drm_syncobj_array {
    drm_syncobj_array {
        handles: ptr(handles),
        count_handles: handles.len() as u32,
        pad: 0,
    }
}

fn signal(t: &SyncobjTable, handles: &[u32]) -> Result<(), kernel::Error> {
    ioctl::signal(t, &mut array(handles))
}

fn tl_signal(t: &SyncobjTable, handles: &[u32], points: &[u64]) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(handles),
        points: ptr(points),
        count_handles: handles.len() as u32,
        flags: 0,
    };
    ioctl::timeline_signal(t, &mut a)
}

fn query(t: &SyncobjTable, handles: &[u32], flags: u32) -> Result<Vec<u64>, kernel::Error> {
    let mut out = vec![0u64; handles.len()];
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(handles),
        points: mut_ptr(&mut out),
        count_handles: handles.len() as u32,
        flags,
    };
    ioctl::query(t, &mut a).map(|()| out)
}

fn transfer(
    t: &SyncobjTable,
    src: u32,
    src_point: u64,
    dst: u32,
    dst_point: u64,
    flags: u32,
) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_transfer {
        src_handle: src,
        dst_handle: dst,
        src_point,
        dst_point,
        flags,
        pad: 0,
    };
    ioctl::transfer(t, &mut a)
}

/// Whether `h` at `point` has signalled, as a polling timeline wait sees it.
fn is_signalled(t: &SyncobjTable, h: u32, point: u64) -> bool {
    tl_wait(t, &[h], &[point], 0, 0) == Ok(0)
}

/// Yields until `n` waits on `h` have registered for wake-ups and gone to sleep (`Syncobj::sleepers`), so that
/// what the test does next is ordered after the waiter blocked; bounded so a wait that never blocks fails the test.
fn until_asleep(t: &SyncobjTable, h: u32, n: usize) {
    let obj = t.lookup(h).expect("handle");
    let start = std::time::Instant::now();
    while obj.sleepers() < n {
        assert!(start.elapsed() < BOUND, "the waiter never went to sleep");
        thread::yield_now();
    }
}

/// Runs `f` on a thread and returns a receiver for its result.
fn spawn<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> mpsc::Receiver<R> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}

// ---- CREATE / DESTROY ----

#[test]
fn create_rejects_unknown_flags_and_hands_out_handles_from_one() {
    let t = SyncobjTable::new();
    let mut a = drm_syncobj_create {
        handle: 77,
        flags: 2,
    };
    assert_eq!(ioctl::create(&t, &mut a), Err(EINVAL));
    assert_eq!(a.handle, 77, "nothing written on failure");
    assert_eq!(create(&t, 0), 1);
    assert_eq!(create(&t, DRM_SYNCOBJ_CREATE_SIGNALED), 2);
    assert_eq!(wait(&t, &[2], 0, 0), Ok(0), "created signalled");
    assert_eq!(wait(&t, &[1], 0, 0), Err(EINVAL), "created empty");
}

#[test]
fn destroy_checks_pad_then_handle_and_frees_the_handle_for_reuse() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    assert_eq!(
        ioctl::destroy(&t, &mut drm_syncobj_destroy { handle: h, pad: 1 }),
        Err(EINVAL)
    );
    assert_eq!(
        ioctl::destroy(
            &t,
            &mut drm_syncobj_destroy {
                handle: h + 1,
                pad: 0
            }
        ),
        Err(EINVAL)
    );
    ioctl::destroy(&t, &mut drm_syncobj_destroy { handle: h, pad: 0 }).unwrap();
    assert_eq!(wait(&t, &[h], 0, 0), Err(ENOENT));
    assert_eq!(
        ioctl::destroy(&t, &mut drm_syncobj_destroy { handle: h, pad: 0 }),
        Err(EINVAL)
    );
    assert_eq!(create(&t, 0), h);
}

#[test]
fn create_under_allocation_failure_creates_nothing() {
    let t = SyncobjTable::new();
    let mut n = 0;
    loop {
        let mut a = drm_syncobj_create {
            handle: 0,
            flags: DRM_SYNCOBJ_CREATE_SIGNALED,
        };
        let r = {
            let _g = fault::fail_nth(n);
            ioctl::create(&t, &mut a)
        };
        if r.is_ok() {
            assert_eq!(a.handle, 1, "no handle leaked by {n} failed attempts");
            break;
        }
        assert_eq!(r, Err(ENOMEM));
        n += 1;
        assert!(
            n < SWEEP_LIMIT,
            "still ENOMEM after {n} allocation points: the operation never succeeds"
        );
    }
    assert!(n >= 2);
}

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

// ---- RESET / SIGNAL ----

#[test]
fn reset_and_signal_check_pad_count_and_handles() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    for f in [ioctl::reset, ioctl::signal] {
        assert_eq!(
            f(
                &t,
                &mut drm_syncobj_array {
                    handles: ptr(&[h]),
                    count_handles: 1,
                    pad: 1
                }
            ),
            Err(EINVAL)
        );
        assert_eq!(f(&t, &mut array(&[])), Err(EINVAL));
        assert_eq!(f(&t, &mut array(&[h, 5])), Err(ENOENT));
        assert_eq!(
            f(
                &t,
                &mut drm_syncobj_array {
                    handles: BAD_PTR,
                    count_handles: 1,
                    pad: 0
                }
            ),
            Err(EFAULT)
        );
    }
    signal(&t, &[h]).unwrap();
    assert_eq!(wait(&t, &[h], 0, 0), Ok(0));
    ioctl::reset(&t, &mut array(&[h])).unwrap();
    assert_eq!(wait(&t, &[h], 0, 0), Err(EINVAL), "reset leaves no fence");
}

#[test]
fn signal_with_one_unknown_handle_signals_none() {
    let t = SyncobjTable::new();
    let (a, b) = (create(&t, 0), create(&t, 0));
    assert_eq!(signal(&t, &[a, b, 99]), Err(ENOENT));
    assert_eq!(wait(&t, &[a], 0, 0), Err(EINVAL));
    assert_eq!(wait(&t, &[b], 0, 0), Err(EINVAL));
}

#[test]
fn signal_under_allocation_failure_signals_none() {
    let t = SyncobjTable::new();
    let hs: Vec<u32> = (0..3).map(|_| create(&t, 0)).collect();
    let mut n = 0;
    loop {
        let r = {
            let _g = fault::fail_nth(n);
            signal(&t, &hs)
        };
        if r.is_ok() {
            break;
        }
        assert_eq!(r, Err(ENOMEM));
        for &h in &hs {
            assert_eq!(
                wait(&t, &[h], 0, 0),
                Err(EINVAL),
                "failure {n} signalled {h}"
            );
        }
        n += 1;
        assert!(
            n < SWEEP_LIMIT,
            "still ENOMEM after {n} allocation points: the operation never succeeds"
        );
    }
    assert!(n >= 4, "handles, syncobj array and one fence per syncobj");
    assert_eq!(wait(&t, &hs, 0, WAIT_ALL), Ok(0));
}

#[test]
fn reset_wakes_nothing_and_a_later_signal_wakes_a_submit_waiter() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let h = create(&t, 0);
    let t2 = t.clone();
    let rx = spawn(move || wait(&t2, &[h], in_ms(60_000), WAIT_FOR_SUBMIT));
    until_asleep(&t, h, 1);
    ioctl::reset(&t, &mut array(&[h])).unwrap();
    until_asleep(&t, h, 1);
    assert!(rx.try_recv().is_err(), "a reset woke the waiter");
    signal(&t, &[h]).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("waiter not woken"), Ok(0));
}

// ---- TIMELINE_SIGNAL ----

#[test]
fn timeline_signal_checks_flags_count_handles_then_points() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(&[h]),
        points: ptr(&[1u64]),
        count_handles: 1,
        flags: 1,
    };
    assert_eq!(ioctl::timeline_signal(&t, &mut a), Err(EINVAL));
    assert_eq!(tl_signal(&t, &[], &[]), Err(EINVAL));
    assert_eq!(tl_signal(&t, &[h, 3], &[1, 1]), Err(ENOENT));
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(&[h]),
        points: BAD_PTR,
        count_handles: 1,
        flags: 0,
    };
    assert_eq!(ioctl::timeline_signal(&t, &mut a), Err(EFAULT));
    assert_eq!(
        query(&t, &[h], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
        Ok(vec![0]),
        "nothing added by failures"
    );
    tl_signal(&t, &[h], &[7]).unwrap();
    assert_eq!(query(&t, &[h], 0), Ok(vec![7]));
}

#[test]
fn timeline_signal_under_allocation_failure_adds_no_point_anywhere() {
    let t = SyncobjTable::new();
    let (a, b) = (create(&t, 0), create(&t, 0));
    tl_signal(&t, &[a], &[1]).unwrap();
    let mut n = 0;
    loop {
        let r = {
            let _g = fault::fail_nth(n);
            tl_signal(&t, &[a, b, a], &[2, 5, 3])
        };
        if r.is_ok() {
            break;
        }
        assert_eq!(r, Err(ENOMEM));
        assert_eq!(
            query(&t, &[a, b], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
            Ok(vec![1, 0]),
            "failure {n}"
        );
        n += 1;
        assert!(
            n < SWEEP_LIMIT,
            "still ENOMEM after {n} allocation points: the operation never succeeds"
        );
    }
    assert!(n >= 6);
    assert_eq!(query(&t, &[a, b], 0), Ok(vec![3, 5]));
}

// ---- QUERY ----

#[test]
fn query_checks_flags_count_handles_and_output_pointer() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    assert_eq!(query(&t, &[h], 2), Err(EINVAL));
    assert_eq!(query(&t, &[], 0), Err(EINVAL));
    assert_eq!(query(&t, &[h, 8], 0), Err(ENOENT));
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(&[h]),
        points: BAD_PTR,
        count_handles: 1,
        flags: 0,
    };
    assert_eq!(ioctl::query(&t, &mut a), Err(EFAULT));
    assert_eq!(
        query(&t, &[h], 0),
        Ok(vec![0]),
        "a syncobj without a timeline reads 0"
    );
}

#[test]
fn query_after_out_of_order_signalling_reports_the_signalled_prefix() {
    let t = SyncobjTable::new();
    let h = create(&t, 0);
    let obj = t.lookup(h).unwrap();
    let fs: Vec<DmaFence> = [2u64, 4, 6, 8]
        .iter()
        .map(|&p| {
            let f = fence();
            obj.add_point(f.clone(), p).unwrap();
            f
        })
        .collect();
    assert_eq!(
        query(&t, &[h], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
        Ok(vec![8])
    );
    fs[3].signal().unwrap();
    fs[1].signal().unwrap();
    assert_eq!(query(&t, &[h], 0), Ok(vec![0]));
    fs[0].signal().unwrap();
    assert_eq!(query(&t, &[h], 0), Ok(vec![4]));
    fs[2].signal().unwrap();
    assert_eq!(query(&t, &[h], 0), Ok(vec![8]));
    assert_eq!(obj.query(QueryFlags::empty()), 8);
}

// ---- TRANSFER ----

#[test]
fn transfer_checks_pad_then_destination_then_source_then_fence() {
    let t = SyncobjTable::new();
    let (src, dst) = (create(&t, 0), create(&t, 0));
    let mut a = drm_syncobj_transfer {
        src_handle: src,
        dst_handle: dst,
        src_point: 0,
        dst_point: 0,
        flags: 0,
        pad: 1,
    };
    assert_eq!(ioctl::transfer(&t, &mut a), Err(EINVAL));
    assert_eq!(transfer(&t, 99, 0, 98, 0, 0), Err(ENOENT));
    assert_eq!(transfer(&t, 99, 0, dst, 0, 0), Err(ENOENT));
    assert_eq!(
        transfer(&t, src, 0, dst, 0, 0),
        Err(EINVAL),
        "source has no fence"
    );
    tl_signal(&t, &[src], &[1]).unwrap();
    assert_eq!(
        transfer(&t, src, 2, dst, 0, 0),
        Err(EINVAL),
        "point 2 not submitted"
    );
    assert_eq!(transfer(&t, src, 2, dst, 5, 0), Err(EINVAL));
    assert_eq!(
        query(&t, &[dst], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
        Ok(vec![0])
    );
    assert_eq!(
        wait(&t, &[dst], 0, 0),
        Err(EINVAL),
        "failed transfers left the destination empty"
    );
}

#[test]
fn transfer_binary_to_timeline_and_back() {
    let t = SyncobjTable::new();
    let (bin, tl, out) = (create(&t, 0), create(&t, 0), create(&t, 0));
    let f = fence();
    t.lookup(bin).unwrap().replace_fence(Some(f.clone()));
    transfer(&t, bin, 0, tl, 3, 0).unwrap();
    assert_eq!(
        query(&t, &[tl], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
        Ok(vec![3])
    );
    assert!(!is_signalled(&t, tl, 3));
    // Timeline point 3 into a binary syncobj: its fence is the point's.
    transfer(&t, tl, 3, out, 0, 0).unwrap();
    assert_eq!(wait(&t, &[out], 0, 0), Err(ETIME));
    f.signal().unwrap();
    assert_eq!(query(&t, &[tl], 0), Ok(vec![3]));
    assert_eq!(wait(&t, &[out], 0, 0), Ok(0));
}

#[test]
fn transfer_of_a_collected_point_gives_a_signalled_fence() {
    let t = SyncobjTable::new();
    let (tl, out) = (create(&t, 0), create(&t, 0));
    tl_signal(&t, &[tl], &[1]).unwrap();
    tl_signal(&t, &[tl], &[2]).unwrap();
    transfer(&t, tl, 1, out, 0, 0).unwrap();
    assert_eq!(wait(&t, &[out], 0, 0), Ok(0));
    transfer(&t, tl, 2, out, 10, 0).unwrap();
    assert_eq!(query(&t, &[out], 0), Ok(vec![10]));
}

#[test]
fn transfer_for_submit_waits_for_the_source_point() {
    let t = std::sync::Arc::new(SyncobjTable::new());
    let (src, dst) = (create(&t, 0), create(&t, 0));
    let t2 = t.clone();
    let rx = spawn(move || transfer(&t2, src, 4, dst, 0, WAIT_FOR_SUBMIT));
    until_asleep(&t, src, 1);
    assert!(
        rx.try_recv().is_err(),
        "returned before point 4 was submitted"
    );
    tl_signal(&t, &[src], &[4]).unwrap();
    assert_eq!(rx.recv_timeout(BOUND).expect("transfer not woken"), Ok(()));
    assert_eq!(wait(&t, &[dst], 0, 0), Ok(0));
}

#[test]
fn transfer_under_allocation_failure_leaves_the_destination_unchanged() {
    let t = SyncobjTable::new();
    let (src, dst) = (create(&t, 0), create(&t, 0));
    t.lookup(src).unwrap().add_point(fence(), 1).unwrap();
    tl_signal(&t, &[dst], &[1]).unwrap();
    let mut n = 0;
    loop {
        let r = {
            let _g = fault::fail_nth(n);
            transfer(&t, src, 1, dst, 2, 0)
        };
        if r.is_ok() {
            break;
        }
        assert_eq!(r, Err(ENOMEM));
        assert_eq!(
            query(&t, &[dst], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
            Ok(vec![1]),
            "failure {n}"
        );
        n += 1;
        assert!(
            n < SWEEP_LIMIT,
            "still ENOMEM after {n} allocation points: the operation never succeeds"
        );
    }
    assert!(n >= 2);
    assert_eq!(
        query(&t, &[dst], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
        Ok(vec![2])
    );
}

// ---- model ----

#[derive(Clone, Debug)]
enum Op {
    /// Submit the next point, `gap` above the last, with an unsignalled fence.
    Submit { gap: u64 },
    /// Signal the `k`-th still-pending fence (modulo how many are pending).
    Signal { k: usize },
    /// Submit a signalled point through TIMELINE_SIGNAL.
    SignalPoint { gap: u64 },
    /// TIMELINE_SIGNAL with random allocation failures: on `ENOMEM` the timeline must be as before.
    SignalPointFaulty { gap: u64, seed: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u64..4).prop_map(|gap| Op::Submit { gap }),
        3 => any::<usize>().prop_map(|k| Op::Signal { k }),
        1 => (1u64..4).prop_map(|gap| Op::SignalPoint { gap }),
        1 => (1u64..4, any::<u64>()).prop_map(|(gap, seed)| Op::SignalPointFaulty { gap, seed }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A timeline against the obvious model: a list of (point, signalled). QUERY is the longest all-signalled
    /// prefix's last point, LAST_SUBMITTED the last point, and a polling wait on point `p` succeeds exactly when
    /// every submitted point up to the first one `>= p` has signalled.
    #[test]
    fn timeline_matches_a_model(ops in prop::collection::vec(op(), 1..40)) {
        let t = SyncobjTable::new();
        let h = create(&t, 0);
        let obj = t.lookup(h).unwrap();
        let mut model: Vec<(u64, bool)> = Vec::new();
        let mut pending: Vec<(usize, DmaFence)> = Vec::new();
        for op in ops {
            let last = model.last().map_or(0, |m| m.0);
            match op {
                Op::Submit { gap } => {
                    let f = fence();
                    obj.add_point(f.clone(), last + gap).unwrap();
                    pending.push((model.len(), f));
                    model.push((last + gap, false));
                }
                Op::Signal { k } if !pending.is_empty() => {
                    let (i, f) = pending.remove(k % pending.len());
                    f.signal().unwrap();
                    model[i].1 = true;
                }
                Op::Signal { .. } => {}
                Op::SignalPoint { gap } => {
                    tl_signal(&t, &[h], &[last + gap]).unwrap();
                    model.push((last + gap, true));
                }
                Op::SignalPointFaulty { gap, seed } => {
                    let r = {
                        let _g = fault::fail_random(3, seed);
                        tl_signal(&t, &[h], &[last + gap])
                    };
                    match r {
                        Ok(()) => model.push((last + gap, true)),
                        Err(e) => prop_assert_eq!(e, ENOMEM),
                    }
                }
            }
            let prefix = model.iter().take_while(|m| m.1).last().map_or(0, |m| m.0);
            prop_assert_eq!(query(&t, &[h], 0).unwrap(), vec![prefix]);
            let submitted = model.last().map_or(0, |m| m.0);
            prop_assert_eq!(query(&t, &[h], DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED).unwrap(), vec![submitted]);
            for p in 1..=submitted + 1 {
                let expect = match model.iter().position(|m| m.0 >= p) {
                    Some(i) => Ok(model[..=i].iter().all(|m| m.1)),
                    None => Err(EINVAL),
                };
                let got = match tl_wait(&t, &[h], &[p], 0, 0) {
                    Ok(_) => Ok(true),
                    Err(e) if e == ETIME => Ok(false),
                    Err(e) => Err(e),
                };
                prop_assert_eq!(got, expect, "point {}", p);
            }
        }
    }
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

// ---- through the DRM core's dispatcher ----

struct File(SyncobjTable);

impl ioctl::SyncobjFile for File {
    fn syncobjs(&self) -> &SyncobjTable {
        &self.0
    }
}

#[test]
fn the_core_table_entries_run_the_handlers_on_a_render_node() {
    use kernel::drm::ioctl::{dispatch, Caller, IoctlTables};
    use kernel::uaccess::UserPtr;
    use kernel::uapi::ioctl::{iowr, DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_SIGNAL};

    let core = ioctl::ioctl_descs::<File>();
    let tables = IoctlTables {
        core: &core,
        driver: &[],
    };
    let file = File(SyncobjTable::new());
    let render = Caller {
        render_node: true,
        ..Caller::default()
    };
    let mut c = drm_syncobj_create {
        handle: 0,
        flags: 0,
    };
    dispatch(
        &tables,
        &file,
        render,
        DRM_IOCTL_SYNCOBJ_CREATE,
        UserPtr(&mut c as *mut _ as usize),
    )
    .unwrap();
    assert_eq!(c.handle, 1);
    let handles = [c.handle];
    let mut s = array(&handles);
    dispatch(
        &tables,
        &file,
        render,
        DRM_IOCTL_SYNCOBJ_SIGNAL,
        UserPtr(&mut s as *mut _ as usize),
    )
    .unwrap();
    // A pre-deadline client passes the 32-byte wait struct: zero-extended, and first_signaled comes back.
    let mut w = wait_args(&handles, 0, 0);
    w.first_signaled = 7;
    let old_wait = iowr(0xc3, 32);
    dispatch(
        &tables,
        &file,
        render,
        old_wait,
        UserPtr(&mut w as *mut _ as usize),
    )
    .unwrap();
    assert_eq!(w.first_signaled, 0);
}
