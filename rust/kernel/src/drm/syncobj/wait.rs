// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Waiting on several syncobjs at once (`drm_syncobj_array_wait_timeout`).
//!
//! The waiting thread sleeps on one [`Waker`]; what wakes it is a fence callback (a fence it waits on signalled) or
//! the syncobj itself (a fence it waited to be submitted arrived, see [`SubmitWait`]). Both only bump a generation
//! number and notify, so they allocate nothing in the signalling path; everything they need is registered by the
//! waiter beforehand, and unregistered by [`Registrations`]'s `Drop` however the wait ends.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use core::ops::Deref;
use core::sync::atomic::Ordering;
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

use super::chain::Slot;
use super::{stub, Syncobj};
use crate::alloc;
use crate::dma_fence::{CallbackId, DmaFence};
use crate::error::code::{EINVAL, ENOENT, ETIME};
use crate::error::Result;

bitflags::bitflags! {
    /// Flags of [`wait_many`] (`DRM_SYNCOBJ_WAIT_FLAGS_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct WaitFlags: u32 {
        /// Wait for every syncobj, not the first one.
        const WAIT_ALL = crate::uapi::DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
        /// A syncobj without a fence (or without the point yet) is waited on until one is submitted, instead of
        /// failing with `EINVAL`.
        const WAIT_FOR_SUBMIT = crate::uapi::DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
        /// Done when the fence is there, signalled or not (implies waiting for submission).
        const WAIT_AVAILABLE = crate::uapi::DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
        /// `deadline_nsec` is a hint for the fences; accepted and ignored (our fences have no deadline support).
        const WAIT_DEADLINE = crate::uapi::DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE;
    }
}

/// `ktime_get_ns()`: CLOCK_MONOTONIC in nanoseconds, the clock of the syncobj wait ioctls' absolute timeouts.
pub fn ktime_get_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec)
}

/// When a wait gives up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Deadline {
    /// Look once, do not sleep.
    Poll,
    /// Sleep until this instant at most.
    At(Instant),
    /// No limit in practice (beyond what `Instant` can represent).
    Never,
}

impl Deadline {
    /// From an absolute CLOCK_MONOTONIC time (`drm_timeout_abs_to_jiffies`): 0, or a time already past, polls.
    pub(crate) fn from_abs_ns(timeout_ns: i64) -> Self {
        if timeout_ns == 0 {
            return Deadline::Poll;
        }
        let now = ktime_get_ns();
        if timeout_ns <= now {
            return Deadline::Poll;
        }
        Self::after(Duration::from_nanos(timeout_ns.abs_diff(now)))
    }

    /// `d` from now.
    pub(crate) fn after(d: Duration) -> Self {
        Instant::now()
            .checked_add(d)
            .map_or(Deadline::Never, Deadline::At)
    }

    fn expired(self) -> bool {
        match self {
            Deadline::Poll => true,
            Deadline::At(t) => Instant::now() >= t,
            Deadline::Never => false,
        }
    }
}

/// What a waiting thread sleeps on.
#[derive(Default)]
pub(crate) struct Waker {
    generation: Mutex<u64>,
    cond: Condvar,
}

impl Waker {
    fn generation(&self) -> MutexGuard<'_, u64> {
        self.generation.lock()
    }

    /// Wakes the waiter. Called from fence callbacks and under syncobj locks: no allocation.
    pub(crate) fn wake(&self) {
        *self.generation() += 1;
        self.cond.notify_all();
    }

    /// The current generation: take it *before* looking at the fences, then [`Waker::sleep`] on it, so a wake in
    /// between is not lost.
    fn current(&self) -> u64 {
        *self.generation()
    }

    /// Sleeps until a wake after generation `seen`, or the deadline.
    fn sleep(&self, seen: u64, deadline: Deadline) {
        let mut g = self.generation();
        while *g == seen {
            g = match deadline {
                Deadline::Poll => return,
                Deadline::Never => g.wait(&self.cond),
                Deadline::At(t) => match t.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => g.wait_timeout(&self.cond, left).0,
                    _ => return,
                },
            };
        }
    }
}

/// Counts a sleeping wait on each of its syncobjs ([`Syncobj::sleepers`]) for as long as it lives.
struct Asleep<'a, S: Deref<Target = Syncobj>>(&'a [S]);

impl<'a, S: Deref<Target = Syncobj>> Asleep<'a, S> {
    fn new(objs: &'a [S]) -> Self {
        for o in objs {
            o.sleepers.fetch_add(1, Ordering::AcqRel);
        }
        Asleep(objs)
    }
}

impl<S: Deref<Target = Syncobj>> Drop for Asleep<'_, S> {
    fn drop(&mut self) {
        for o in self.0 {
            o.sleepers.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// A waiter for a point that was not submitted yet (`struct syncobj_wait_entry` on the syncobj's `cb_list`).
pub(crate) struct SubmitWait {
    point: u64,
    /// Set once by the syncobj: `Some(None)` means the point had already signalled and was collected.
    found: Mutex<Option<Option<Slot>>>,
    waker: Arc<Waker>,
}

impl SubmitWait {
    pub(crate) fn new(point: u64, waker: Arc<Waker>) -> Self {
        SubmitWait {
            point,
            found: Mutex::new(None),
            waker,
        }
    }

    pub(crate) fn point(&self) -> u64 {
        self.point
    }

    /// Hands the submitted fence over and wakes the waiter. Runs under the syncobj lock: no allocation.
    pub(crate) fn deliver(&self, found: Option<Slot>) {
        *self.found.lock() = Some(found);
        self.waker.wake();
    }

    /// What was delivered, once.
    fn take(&self) -> Option<Option<Slot>> {
        self.found.lock().take()
    }
}

/// One syncobj of a wait.
#[derive(Default)]
struct Entry {
    fence: Option<DmaFence>,
    submit: Option<Arc<SubmitWait>>,
    callback: Option<CallbackId>,
}

/// The callbacks and submit waiters a wait registered; `Drop` removes them all, on every way out of the wait.
struct Registrations<'a, S: Deref<Target = Syncobj>> {
    objs: &'a [S],
    entries: Vec<Entry>,
}

impl<S: Deref<Target = Syncobj>> Drop for Registrations<'_, S> {
    fn drop(&mut self) {
        for (obj, e) in self.objs.iter().zip(&mut self.entries) {
            if let Some(w) = e.submit.take() {
                obj.remove_waiter(&w);
            }
            if let (Some(f), Some(id)) = (&e.fence, e.callback.take()) {
                f.remove_callback(id);
            }
        }
    }
}

/// Waits for the syncobjs `objs` at timeline points `points` (0 for binary use) until the absolute CLOCK_MONOTONIC
/// time `timeout_abs_ns` (0 or past: just look), as SYNCOBJ_WAIT and SYNCOBJ_TIMELINE_WAIT do.
///
/// Returns the index of the first syncobj found signalled (without [`WaitFlags::WAIT_ALL`]: the one that ended the
/// wait). With `WAIT_ALL`, as upstream, it is the first one already signalled when the wait started, and `u32::MAX`
/// if none was. Errors: `EINVAL` if a syncobj has no fence for its point and neither `WAIT_FOR_SUBMIT` nor
/// `WAIT_AVAILABLE` is given, or if the slices differ in length; `ETIME` when the time is up; `ENOMEM`.
pub fn wait_many<S: Deref<Target = Syncobj>>(
    objs: &[S],
    points: &[u64],
    timeout_abs_ns: i64,
    flags: WaitFlags,
) -> Result<u32> {
    if objs.len() != points.len() {
        return Err(EINVAL);
    }
    let deadline = Deadline::from_abs_ns(timeout_abs_ns);
    let for_submit = flags.intersects(WaitFlags::WAIT_FOR_SUBMIT | WaitFlags::WAIT_AVAILABLE);
    let available = flags.contains(WaitFlags::WAIT_AVAILABLE);
    let all = flags.contains(WaitFlags::WAIT_ALL);
    let n = objs.len();

    let mut reg = Registrations {
        objs,
        entries: alloc::try_vec(n)?,
    };
    // First pass: what is there now. A missing fence is `EINVAL` here and only here, as upstream.
    let mut first = u32::MAX;
    let mut signalled = 0;
    for (i, (obj, &point)) in objs.iter().zip(points).enumerate() {
        let fence = match obj.find_slot(point) {
            Ok(Some(slot)) => slot.fence().clone(),
            Ok(None) => stub()?,
            Err(_) if for_submit => {
                reg.entries.push(Entry::default());
                continue;
            }
            Err(_) => return Err(EINVAL),
        };
        if available || fence.is_signaled() {
            if signalled == 0 {
                first = i as u32;
            }
            signalled += 1;
        }
        reg.entries.push(Entry {
            fence: Some(fence),
            ..Entry::default()
        });
    }
    if signalled == n || (signalled > 0 && !all) {
        return Ok(first);
    }

    let waker = alloc::try_arc(Waker::default())?;
    if for_submit {
        for (i, (obj, &point)) in objs.iter().zip(points).enumerate() {
            if reg.entries[i].fence.is_none() {
                reg.entries[i].submit = Some(obj.add_waiter(point, &waker)?);
            }
        }
    }

    loop {
        let seen = waker.current();
        let mut done = 0;
        for (i, e) in reg.entries.iter_mut().enumerate() {
            if e.fence.is_none() {
                match e.submit.as_ref().and_then(|w| w.take()) {
                    Some(Some(slot)) => e.fence = Some(slot.fence().clone()),
                    Some(None) => e.fence = Some(stub()?),
                    None => continue,
                }
            }
            let Some(fence) = &e.fence else { continue };
            let is_done = available
                || fence.is_signaled()
                || (e.callback.is_none() && {
                    let w = waker.clone();
                    match fence.add_callback(move |_| w.wake()) {
                        Ok(id) => {
                            e.callback = Some(id);
                            false
                        }
                        Err(err) if err == ENOENT => true,
                        Err(err) => return Err(err),
                    }
                });
            if is_done {
                if !all {
                    return Ok(i as u32);
                }
                done += 1;
            }
        }
        if done == n {
            return Ok(first);
        }
        if deadline.expired() {
            return Err(ETIME);
        }
        let _asleep = Asleep::new(objs);
        waker.sleep(seen, deadline);
    }
}

/// The fence for `point` of `obj`, waiting up to 5 s for it to be submitted with `WAIT_FOR_SUBMIT`
/// (`drm_syncobj_find_fence`, `DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT`). `Ok(None)`: signalled and collected.
pub(crate) fn find_slot_wait(obj: &Syncobj, point: u64, flags: WaitFlags) -> Result<Option<Slot>> {
    match obj.find_slot(point) {
        Ok(found) => return Ok(found),
        Err(e) if !flags.contains(WaitFlags::WAIT_FOR_SUBMIT) => return Err(e),
        Err(_) => {}
    }
    let deadline = Deadline::after(Duration::from_secs(5));
    let waker = alloc::try_arc(Waker::default())?;
    let w = obj.add_waiter(point, &waker)?;
    let result = loop {
        let seen = waker.current();
        if let Some(found) = w.take() {
            break Ok(found);
        }
        if deadline.expired() {
            break Err(ETIME);
        }
        let _asleep = Asleep::new(core::slice::from_ref(&obj));
        waker.sleep(seen, deadline);
    };
    obj.remove_waiter(&w);
    result
}
