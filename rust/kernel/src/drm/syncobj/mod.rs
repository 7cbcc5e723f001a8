// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DRM sync objects (`drivers/gpu/drm/drm_syncobj.c`): a container for a fence that userspace names by handle.
//!
//! A [`Syncobj`] is used in one of two ways:
//!
//! * **binary**: it holds at most one fence, replaced wholesale ([`Syncobj::replace_fence`]) and waited on as a whole;
//! * **timeline**: each submitted point appends a chain node ([`Syncobj::add_point`], as `dma-fence-chain.c`), and
//!   point `n` is done once every point `<= n` is. Point 0 always means "the current fence", which on a timeline is
//!   the newest chain node.
//!
//! Waiting ([`wait_many`]) blocks on a condition variable woken by fence callbacks and, with
//! [`WaitFlags::WAIT_FOR_SUBMIT`], by the syncobj itself when a fence arrives. Per-file handles live in a
//! [`SyncobjTable`]; the DRM core's SYNCOBJ ioctls are in [`ioctl`], those that turn syncobjs into descriptors
//! (syncobj files, sync_files) and back, and SYNCOBJ_EVENTFD, in [`fd`].

mod chain;
mod eventfd;
pub mod fd;
pub mod ioctl;
mod table;
mod wait;

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use core::ops::Deref;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::alloc;
use crate::dma_fence::{DmaFence, FenceNames};
use crate::error::code::EINVAL;
use crate::error::Result;

use chain::Slot;
pub use table::SyncobjTable;
pub use wait::{ktime_get_ns, wait_many, WaitFlags};
use wait::{SubmitWait, Waker};

bitflags::bitflags! {
    /// Flags of [`SyncobjTable::create`] (`DRM_SYNCOBJ_CREATE_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct CreateFlags: u32 {
        /// Start with an already-signalled fence.
        const SIGNALED = crate::uapi::DRM_SYNCOBJ_CREATE_SIGNALED;
    }
}

bitflags::bitflags! {
    /// Flags of [`Syncobj::query`] (`DRM_SYNCOBJ_QUERY_FLAGS_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct QueryFlags: u32 {
        /// Report the last submitted point instead of the last signalled one.
        const LAST_SUBMITTED = crate::uapi::DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED;
    }
}

/// A new fence that has already signalled (`dma_fence_allocate_private_stub`).
fn signalled_fence() -> Result<DmaFence> {
    let f = DmaFence::with_names(DmaFence::context_alloc(), 0, FenceNames::STUB)?;
    f.signal()?;
    Ok(f)
}

/// The shared signalled fence (`dma_fence_get_stub`), made on first use.
fn stub() -> Result<DmaFence> {
    static STUB: OnceLock<DmaFence> = OnceLock::new();
    if let Some(s) = STUB.get() {
        return Ok(s.clone());
    }
    let f = signalled_fence()?;
    Ok(STUB.get_or_init(|| f).clone())
}

struct State {
    /// The current fence: a plain fence, the newest chain node of a timeline, or nothing.
    fence: Option<Slot>,
    /// WAIT_FOR_SUBMIT waiters still looking for a fence (`cb_list`).
    waiters: Vec<Arc<SubmitWait>>,
    /// SYNCOBJ_EVENTFD registrations still looking for a fence (`ev_fd_list`).
    eventfds: Vec<Arc<eventfd::EventfdEntry>>,
}

/// A DRM sync object (`struct drm_syncobj`). Shared with [`Arc`]: handles in several tables and syncobj files
/// ([`fd`]) refer to the same object.
pub struct Syncobj {
    state: Mutex<State>,
    /// Waits on this syncobj that found it unsignalled and are asleep (see [`Syncobj::sleepers`]).
    sleepers: AtomicUsize,
}

impl Syncobj {
    /// A new syncobj (`drm_syncobj_create`): empty, or holding a signalled fence with [`CreateFlags::SIGNALED`].
    pub fn new(flags: CreateFlags) -> Result<Arc<Self>> {
        let fence = match flags.contains(CreateFlags::SIGNALED) {
            true => Some(Slot::Plain(signalled_fence()?)),
            false => None,
        };
        Ok(alloc::try_arc(Syncobj {
            state: Mutex::new(State {
                fence,
                waiters: Vec::new(),
                eventfds: Vec::new(),
            }),
            sleepers: AtomicUsize::new(0),
        })?)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// How many waits (SYNCOBJ_WAIT, TIMELINE_WAIT, a transfer or fd export with WAIT_FOR_SUBMIT) on this syncobj
    /// have registered for its wake-ups, found it not yet done and gone to sleep. A wait counts from the moment its
    /// callbacks are in place, so a signal after that point is guaranteed to take the wake-up path: tests use this to
    /// order a signal after a waiter without sleeping, and it is what a debugfs listing of blocked waiters shows.
    pub fn sleepers(&self) -> usize {
        self.sleepers.load(Ordering::Acquire)
    }

    /// The current fence (`drm_syncobj_fence_get`): on a timeline, the one of the newest point.
    pub fn fence(&self) -> Option<DmaFence> {
        self.state().fence.as_ref().map(|s| s.fence().clone())
    }

    /// Replaces the current fence (`drm_syncobj_replace_fence`); `None` resets the syncobj. A timeline loses its
    /// points, as upstream. Waiters for submission see the new fence.
    pub fn replace_fence(&self, fence: Option<DmaFence>) {
        self.replace_slot(fence.map(Slot::Plain));
    }

    fn replace_slot(&self, slot: Option<Slot>) {
        let mut st = self.state();
        let same = match (&st.fence, &slot) {
            (Some(a), Some(b)) => a.ptr_eq(b),
            (None, None) => true,
            _ => false,
        };
        let old = core::mem::replace(&mut st.fence, slot);
        if !same {
            fence_changed(&mut st);
        }
        drop(st);
        drop(old);
    }

    /// Adds timeline point `point` signalled by `fence` (`drm_syncobj_add_point`). Points should increase; one that
    /// does not is still added, as upstream does (with only a debug message there): the chain then restarts with the
    /// larger of the two numbers at its head, which QUERY can observe. `ENOMEM` leaves the syncobj unchanged.
    pub fn add_point(&self, fence: DmaFence, point: u64) -> Result {
        add_points(
            core::slice::from_ref(&self),
            core::slice::from_ref(&fence),
            core::slice::from_ref(&point),
        )
    }

    /// The slot to wait on for `point` (see [`chain::find_seqno`]); `Ok(None)` means it signalled and was collected.
    fn find_slot(&self, point: u64) -> Result<Option<Slot>> {
        let head = self.state().fence.clone().ok_or(EINVAL)?;
        chain::find_seqno(head, point)
    }

    /// The fence that signals once every point `<= point` has (`drm_syncobj_find_fence` without waiting); point 0 is
    /// the current fence. `EINVAL` if there is no fence or `point` was not submitted yet.
    pub fn find_fence(&self, point: u64) -> Result<DmaFence> {
        match self.find_slot(point)? {
            Some(slot) => Ok(slot.fence().clone()),
            None => stub(),
        }
    }

    /// The timeline's last signalled point, or with [`QueryFlags::LAST_SUBMITTED`] its last submitted one
    /// (SYNCOBJ_QUERY). A syncobj that does not hold a chain node reads 0.
    pub fn query(&self, flags: QueryFlags) -> u64 {
        let head = self.state().fence.clone();
        if flags.contains(QueryFlags::LAST_SUBMITTED) {
            chain::last_submitted(head.as_ref())
        } else {
            chain::last_signalled(head.as_ref())
        }
    }

    /// Registers a WAIT_FOR_SUBMIT waiter for `point` (`drm_syncobj_fence_add_wait`). If the point is already there,
    /// the waiter is born satisfied and not queued.
    fn add_waiter(&self, point: u64, waker: &Arc<Waker>) -> Result<Arc<SubmitWait>> {
        let w = alloc::try_arc(SubmitWait::new(point, waker.clone()))?;
        let mut st = self.state();
        match st.fence.clone().map(|head| chain::find_seqno(head, point)) {
            Some(Ok(found)) => w.deliver(found),
            _ => alloc::try_push(&mut st.waiters, w.clone())?,
        }
        Ok(w)
    }

    /// Registers an eventfd entry (`drm_syncobj_add_eventfd`): it fires or moves to a fence callback at once if the
    /// point has a fence, else waits on the list. `ENOMEM` registers nothing.
    fn add_eventfd(&self, entry: Arc<eventfd::EventfdEntry>) -> Result {
        let mut st = self.state();
        if !eventfd::attach(st.fence.as_ref(), &entry)? {
            alloc::try_push(&mut st.eventfds, entry)?;
        }
        Ok(())
    }

    /// Takes `w` off the waiter list if it is still there (`drm_syncobj_remove_wait`).
    fn remove_waiter(&self, w: &Arc<SubmitWait>) {
        self.state().waiters.retain(|x| !Arc::ptr_eq(x, w));
    }
}

/// The fence changed: hand it to every waiter whose point is now submitted (`syncobj_wait_syncobj_func`). Called
/// with the state locked; allocates nothing.
fn fence_changed(st: &mut State) {
    eventfd::fence_changed(st);
    let Some(head) = st.fence.clone() else { return };
    st.waiters
        .retain(|w| match chain::find_seqno(head.clone(), w.point()) {
            Ok(found) => {
                w.deliver(found);
                false
            }
            Err(_) => true,
        });
}

/// Adds point `points[i]` with `fences[i]` to `objs[i]` for every `i`, all or nothing: `ENOMEM` changes no syncobj.
/// An object may appear several times; its points are added in array order. `EINVAL` if the lengths differ.
///
/// Every object involved is locked (in address order, so concurrent callers cannot deadlock) while the chain nodes
/// are built on top of the exact current heads; only when all are built are they published.
pub fn add_points<S: Deref<Target = Syncobj>>(
    objs: &[S],
    fences: &[DmaFence],
    points: &[u64],
) -> Result {
    if objs.len() != fences.len() || objs.len() != points.len() {
        return Err(EINVAL);
    }
    let addr = |i: usize| &*objs[i] as *const Syncobj as usize;
    let n = objs.len();
    let mut order: Vec<usize> = alloc::try_vec(n)?;
    order.extend(0..n);
    order.sort_unstable_by_key(|&i| addr(i));
    order.dedup_by_key(|i| addr(*i));
    let mut which: Vec<usize> = alloc::try_vec(n)?;
    for i in 0..n {
        let g = order
            .binary_search_by_key(&addr(i), |&j| addr(j))
            .map_err(|_| EINVAL)?;
        which.push(g);
    }
    let mut prepared = alloc::try_vec(n)?;
    let mut heads: Vec<Option<Slot>> = alloc::try_vec(order.len())?;
    let mut guards = alloc::try_vec(order.len())?;
    for &j in &order {
        let g = objs[j].state();
        heads.push(g.fence.clone());
        guards.push(g);
    }

    // Fallible part: build every node. An error drops what was built, which unregisters its callbacks.
    for i in 0..n {
        let g = which[i];
        let node = chain::prepare(heads[g].clone(), fences[i].clone(), points[i])?;
        heads[g] = Some(Slot::Chain(node.node().clone()));
        prepared.push(node);
    }

    // Infallible part: publish.
    for node in prepared {
        node.publish();
    }
    for (st, head) in guards.iter_mut().zip(heads.iter()) {
        st.fence = head.clone();
        fence_changed(st);
    }
    drop(guards);
    for head in &heads {
        chain::collect(head.as_ref());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
