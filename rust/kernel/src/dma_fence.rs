// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DMA fences (`drivers/dma-buf/dma-fence.c`): a one-shot completion signal that jobs, resvs and syncobjs share.
//!
//! A fence is signalled exactly once (a second [`DmaFence::signal`] is `EINVAL`, as `dma_fence_signal` returns for an
//! already-signalled fence), waiters block on a condition variable with a timeout, and callbacks run in the signalling
//! thread. Signalling happens in the fence-signalling critical path, so it must not allocate: callbacks are boxed
//! when they are *added* (the fallible part, outside the path), and [`DmaFence::signal`] runs them inside a
//! [`crate::sync::SignallingSection`] (as `dma_fence_signal` is annotated with `dma_fence_begin_signalling`), so that
//! a callback that tries to allocate, or to take a resv or gpuva lock, is caught by tests.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

use crate::alloc;
use crate::error::code::{EINVAL, ENOENT, ETIMEDOUT};
use crate::error::{Error, Result};

static NEXT_CONTEXT: AtomicU64 = AtomicU64::new(1);

/// A callback run when the fence signals, with the fence's error status (`None` for success).
pub type FenceCallback = Box<dyn FnOnce(Option<Error>) + Send>;

/// A callback added with [`DmaFence::add_callback`], so it can be removed before the fence signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackId(u64);

#[derive(Default)]
struct State {
    signalled: bool,
    error: Option<Error>,
    /// CLOCK_MONOTONIC nanoseconds at signalling (`fence->timestamp`).
    timestamp_ns: i64,
    callbacks: Vec<(u64, FenceCallback)>,
    next_cb: u64,
}

struct Inner {
    context: u64,
    seqno: u64,
    names: FenceNames,
    state: Mutex<State>,
    cond: Condvar,
    /// Threads blocked in [`DmaFence::wait_timeout`].
    waiters: AtomicUsize,
}

/// What `dma_fence_ops.get_driver_name` and `get_timeline_name` report for a fence (sync_file FILE_INFO shows them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FenceNames {
    /// The driver name.
    pub driver: &'static str,
    /// The timeline name.
    pub timeline: &'static str,
}

impl FenceNames {
    /// The names of fences made with [`DmaFence::new`]: the driver's job and VM_BIND fences.
    pub const DRIVER: FenceNames = FenceNames {
        driver: "tyr",
        timeline: "tyr",
    };
    /// `dma_fence_stub_ops` (`dma_fence_get_stub`, `dma_fence_allocate_private_stub`).
    pub const STUB: FenceNames = FenceNames {
        driver: "stub",
        timeline: "stub",
    };
    /// `dma_fence_array_ops`.
    pub const ARRAY: FenceNames = FenceNames {
        driver: "dma_fence_array",
        timeline: "unbound",
    };
    /// `dma_fence_chain_ops`.
    pub const CHAIN: FenceNames = FenceNames {
        driver: "dma_fence_chain",
        timeline: "unbound",
    };
}

/// A reference to a DMA fence; clones share the fence (`dma_fence_get`).
#[derive(Clone)]
pub struct DmaFence(Arc<Inner>);

impl core::fmt::Debug for DmaFence {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "DmaFence({}:{}, signalled={})",
            self.0.context,
            self.0.seqno,
            self.is_signaled()
        )
    }
}

impl DmaFence {
    /// Allocates a fence context number (`dma_fence_context_alloc(1)`).
    pub fn context_alloc() -> u64 {
        NEXT_CONTEXT.fetch_add(1, Ordering::Relaxed)
    }

    /// A new unsignalled fence on `context` with sequence number `seqno`, named [`FenceNames::DRIVER`].
    pub fn new(context: u64, seqno: u64) -> Result<Self> {
        Self::with_names(context, seqno, FenceNames::DRIVER)
    }

    /// A new unsignalled fence with the driver and timeline names `names`.
    pub fn with_names(context: u64, seqno: u64, names: FenceNames) -> Result<Self> {
        Ok(DmaFence(alloc::try_arc(Inner {
            context,
            seqno,
            names,
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
            waiters: AtomicUsize::new(0),
        })?))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock()
    }

    /// The fence context.
    pub fn context(&self) -> u64 {
        self.0.context
    }

    /// The sequence number within its context.
    pub fn seqno(&self) -> u64 {
        self.0.seqno
    }

    /// The driver and timeline names.
    pub fn names(&self) -> FenceNames {
        self.0.names
    }

    /// `dma_fence_get_status`: 0 while unsignalled, then 1, or the (negative) errno it signalled with.
    pub fn status(&self) -> i32 {
        let st = self.state();
        match (st.signalled, st.error) {
            (false, _) => 0,
            (true, None) => 1,
            (true, Some(e)) => e.to_errno(),
        }
    }

    /// `dma_fence_timestamp`: when the fence signalled (CLOCK_MONOTONIC ns), `None` while it has not.
    pub fn timestamp_ns(&self) -> Option<i64> {
        let st = self.state();
        st.signalled.then_some(st.timestamp_ns)
    }

    /// Whether both references are the same fence.
    pub fn ptr_eq(&self, other: &DmaFence) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Threads blocked in [`Self::wait_timeout`] on this fence now: counted from the moment a waiter found the
    /// fence unsignalled under its lock, so a signal after it is seen is guaranteed to take the wake-up path. For
    /// tests ordering a signal after a waiter without sleeping, and for debugging stuck waits.
    pub fn waiters(&self) -> usize {
        self.0.waiters.load(Ordering::Acquire)
    }

    /// Whether the fence has signalled.
    pub fn is_signaled(&self) -> bool {
        self.state().signalled
    }

    /// The error the fence signalled with, if it signalled with one.
    pub fn error(&self) -> Option<Error> {
        self.state().error
    }

    /// Signals the fence (`dma_fence_signal`), running every callback in this thread without allocating.
    /// `EINVAL` if it had already signalled.
    pub fn signal(&self) -> Result {
        self.signal_inner(None)
    }

    /// Signals the fence with an error (`dma_fence_set_error` + `dma_fence_signal`).
    pub fn signal_error(&self, error: Error) -> Result {
        self.signal_inner(Some(error))
    }

    fn signal_inner(&self, error: Option<Error>) -> Result {
        let _signalling = crate::sync::dma_fence_begin_signalling();
        let callbacks = {
            let mut st = self.state();
            if st.signalled {
                return Err(EINVAL);
            }
            st.signalled = true;
            st.error = error;
            st.timestamp_ns = crate::drm::syncobj::ktime_get_ns();
            // `take` moves the vector out and leaves an empty one: no allocation.
            core::mem::take(&mut st.callbacks)
        };
        self.0.cond.notify_all();
        for (_, cb) in callbacks {
            cb(error);
        }
        Ok(())
    }

    /// Adds a callback run when the fence signals (`dma_fence_add_callback`). The allocation happens here, outside
    /// the signalling path. `ENOENT` if the fence has already signalled (the callback is not run), as the kernel's.
    pub fn add_callback(
        &self,
        cb: impl FnOnce(Option<Error>) + Send + 'static,
    ) -> Result<CallbackId> {
        let cb: FenceCallback = alloc::try_box(cb)?;
        let mut st = self.state();
        if st.signalled {
            return Err(ENOENT);
        }
        alloc::try_reserve(&mut st.callbacks, 1)?;
        let id = st.next_cb;
        st.next_cb += 1;
        st.callbacks.push((id, cb));
        Ok(CallbackId(id))
    }

    /// Removes a callback that has not run yet (`dma_fence_remove_callback`); `false` if it already ran.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        let mut st = self.state();
        match st.callbacks.iter().position(|(i, _)| *i == id.0) {
            Some(pos) => {
                drop(st.callbacks.remove(pos));
                true
            }
            None => false,
        }
    }

    /// Waits for the fence (`dma_fence_wait_timeout`), for at most `timeout`. `ETIMEDOUT` when it did not signal in
    /// time; otherwise `Ok` (a fence that signalled with an error still ends the wait: read it with [`Self::error`]).
    pub fn wait_timeout(&self, timeout: Duration) -> Result {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.state();
        let _waiting = (!st.signalled).then(|| Waiting::new(&self.0.waiters));
        while !st.signalled {
            let left = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return Err(ETIMEDOUT),
                },
                None => Duration::from_secs(3600),
            };
            st = st.wait_timeout(&self.0.cond, left).0;
        }
        Ok(())
    }
}

/// Counts a thread blocked in [`DmaFence::wait_timeout`] for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_once() {
        let f = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        assert!(!f.is_signaled());
        f.signal().unwrap();
        assert!(f.is_signaled());
        assert_eq!(f.signal(), Err(EINVAL));
    }

    #[test]
    fn wait_on_an_unsignalled_fence_times_out() {
        let f = DmaFence::new(1, 1).unwrap();
        assert_eq!(f.wait_timeout(Duration::ZERO), Err(ETIMEDOUT));
    }

    #[test]
    fn callbacks_run_once_on_signal_and_not_after_removal() {
        let f = DmaFence::new(1, 1).unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        f.add_callback(move |e| {
            assert!(e.is_none());
            h.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        let h = hits.clone();
        let id = f
            .add_callback(move |_| {
                h.fetch_add(10, Ordering::SeqCst);
            })
            .unwrap();
        assert!(f.remove_callback(id));
        f.signal().unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert_eq!(f.add_callback(|_| {}).err(), Some(ENOENT));
    }

    #[test]
    fn a_callback_that_allocates_is_caught() {
        let f = DmaFence::new(1, 1).unwrap();
        let before = alloc::fault::violations();
        f.add_callback(|_| {
            let _ = alloc::try_box(5u32);
        })
        .unwrap();
        f.signal().unwrap();
        assert_eq!(alloc::fault::violations(), before + 1);
    }

    #[test]
    #[cfg_attr(
        not(debug_assertions),
        ignore = "the lock check is compiled in debug builds only"
    )]
    fn a_callback_that_takes_a_resv_lock_is_caught() {
        let f = DmaFence::new(1, 1).unwrap();
        let resv = crate::dma_resv::DmaResv::new().unwrap();
        let before = crate::sync::lockdep::violations();
        f.add_callback(move |_| drop(resv.lock())).unwrap();
        f.signal().unwrap();
        assert_eq!(crate::sync::lockdep::violations(), before + 1);
        assert_eq!(
            crate::sync::lockdep::last_violation(),
            Some("reservation_ww_class_mutex")
        );
    }

    #[test]
    fn error_is_reported_to_callbacks_and_readers() {
        let f = DmaFence::new(1, 1).unwrap();
        let seen = Arc::new(Mutex::new(None));
        let s = seen.clone();
        f.add_callback(move |e| *s.lock() = e).unwrap();
        assert_eq!(f.status(), 0);
        assert_eq!(f.timestamp_ns(), None);
        let before = crate::drm::syncobj::ktime_get_ns();
        f.signal_error(crate::error::code::ECANCELED).unwrap();
        assert_eq!(*seen.lock(), Some(crate::error::code::ECANCELED));
        assert_eq!(f.error(), Some(crate::error::code::ECANCELED));
        assert_eq!(f.status(), -libc::ECANCELED);
        assert!(f.timestamp_ns().unwrap() >= before);
    }

    #[test]
    fn status_of_a_good_fence_and_names() {
        let f = DmaFence::with_names(1, 1, FenceNames::STUB).unwrap();
        assert_eq!(f.names(), FenceNames::STUB);
        assert_eq!(DmaFence::new(1, 1).unwrap().names(), FenceNames::DRIVER);
        f.signal().unwrap();
        assert_eq!(f.status(), 1);
    }

    #[test]
    fn a_blocked_waiter_is_counted_until_the_signal_wakes_it() {
        let f = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        assert_eq!(f.waiters(), 0);
        let f2 = f.clone();
        let t = std::thread::spawn(move || f2.wait_timeout(Duration::from_secs(60)));
        let start = Instant::now();
        while f.waiters() == 0 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the waiter never blocked"
            );
            std::thread::yield_now();
        }
        f.signal().unwrap();
        assert_eq!(t.join().unwrap(), Ok(()));
        assert_eq!(f.waiters(), 0);
        assert_eq!(
            f.wait_timeout(Duration::ZERO),
            Ok(()),
            "a signalled fence does not count its waiter"
        );
        assert_eq!(f.waiters(), 0);
    }
}
