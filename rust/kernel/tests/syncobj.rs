// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The non-blocking DRM core SYNCOBJ ioctls: CREATE/DESTROY, RESET/SIGNAL, TIMELINE_SIGNAL, QUERY and TRANSFER,
//! with allocation failures that must leave every syncobj as it was.
//!
//! Arguments are `kernel::uapi` structs with arrays passed as real pointers into this process (read and written
//! through `uaccess`); every errno follows `Documentation/uapi.md#per-ioctl-checks`.

mod syncobj_common;
use syncobj_common::*;

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
