// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Real threads against ww-mutex resvs and fences: locking the same resvs in opposite orders backs off instead of
//! deadlocking, and fence waits wake on signal. Each test is bounded by a timeout on a channel: a deadlock fails the
//! test instead of hanging it. No sleeps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use kernel::dma_fence::DmaFence;
use kernel::dma_resv::{DmaResv, DmaResvUsage, Exec};

const BOUND: Duration = Duration::from_secs(60);

/// Runs `n` threads of `f(i)` and fails if they do not all finish within [`BOUND`].
fn run_bounded(n: usize, f: impl Fn(usize) + Send + Sync + 'static) {
    let f = Arc::new(f);
    let (tx, rx) = mpsc::channel();
    for i in 0..n {
        let (f, tx) = (f.clone(), tx.clone());
        thread::spawn(move || {
            f(i);
            tx.send(i).unwrap();
        });
    }
    for _ in 0..n {
        rx.recv_timeout(BOUND)
            .expect("threads deadlocked (or panicked)");
    }
}

#[test]
fn two_threads_locking_the_same_resvs_in_opposite_orders_finish() {
    let resvs: Arc<Vec<Arc<DmaResv>>> = Arc::new((0..2).map(|_| DmaResv::new().unwrap()).collect());
    let inside = Arc::new(AtomicUsize::new(0));
    run_bounded(2, move |i| {
        let order: Vec<_> = if i == 0 {
            resvs.to_vec()
        } else {
            resvs.iter().rev().cloned().collect()
        };
        for _ in 0..2000 {
            let mut exec = Exec::new();
            exec.lock_all(&order).unwrap();
            // Mutual exclusion: nobody else holds both while we do.
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
            inside.fetch_sub(1, Ordering::SeqCst);
        }
    });
}

#[test]
fn many_threads_locking_random_subsets_finish_and_fence_every_resv() {
    let resvs: Arc<Vec<Arc<DmaResv>>> = Arc::new((0..8).map(|_| DmaResv::new().unwrap()).collect());
    let r2 = resvs.clone();
    run_bounded(6, move |t| {
        let mut rng = 0x1234_5678u64 + t as u64 * 7919;
        let ctx = DmaFence::context_alloc();
        for seq in 0..500 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mut set: Vec<_> = (0..8)
                .filter(|b| rng >> b & 1 == 1)
                .map(|b| r2[b].clone())
                .collect();
            let n = set.len().max(1);
            set.rotate_left((rng >> 8) as usize % n);
            let mut exec = Exec::new();
            exec.lock_all(&set).unwrap();
            exec.reserve_fences(1).unwrap();
            let f = DmaFence::new(ctx, seq).unwrap();
            exec.add_fence_all(&f, DmaResvUsage::Bookkeep).unwrap();
            f.signal().unwrap();
        }
    });
    for r in resvs.iter() {
        assert!(!r.is_locked());
        assert!(r.lock().fences().test_signaled(DmaResvUsage::Kernel));
    }
}

#[test]
fn a_waiter_wakes_when_another_thread_signals() {
    let fence = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let f = fence.clone();
    let waiter = thread::spawn(move || {
        ready_tx.send(()).unwrap();
        f.wait_timeout(BOUND)
    });
    ready_rx.recv_timeout(BOUND).unwrap();
    fence.signal().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(()));
}

#[test]
fn callbacks_run_in_the_signalling_thread_exactly_once_under_racing_signals() {
    let fence = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    fence
        .add_callback(move |_| {
            h.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    let wins = Arc::new(AtomicUsize::new(0));
    let (f, w) = (fence.clone(), wins.clone());
    run_bounded(4, move |_| {
        if f.signal().is_ok() {
            w.fetch_add(1, Ordering::SeqCst);
        }
    });
    assert_eq!(
        (hits.load(Ordering::SeqCst), wins.load(Ordering::SeqCst)),
        (1, 1)
    );
}
