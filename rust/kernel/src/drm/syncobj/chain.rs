// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Timeline points as a chain of fences, with the semantics of `drivers/dma-buf/dma-fence-chain.c`.
//!
//! Each [`ChainNode`] holds the fence of one point (`fence`), a link to the previous point (`prev`), and a
//! *composite* fence that signals once its own fence and every earlier point have signalled; that composite is what
//! waiters and [`find_seqno`] hand out. Upstream makes the chain node itself a `dma_fence` with its own ops; our
//! [`DmaFence`] is a concrete type, so the composite is a plain fence signalled from callbacks on the node's two
//! dependencies, registered when the node is built (the fallible part), never in the signalling path.
//!
//! Walking the chain ([`walk`], `dma_fence_chain_walk`) splices out earlier nodes whose own fence has signalled, which
//! is how signalled points are garbage-collected. `prev_seqno` keeps the value it had when the node was made, as
//! upstream, because QUERY reports it.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use core::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::alloc;
use crate::dma_fence::{CallbackId, DmaFence, FenceNames};
use crate::error::code::{EINVAL, ENOENT};
use crate::error::Result;

/// What a syncobj (or a chain node's `prev`) holds: a plain fence, or a timeline chain node.
#[derive(Clone)]
pub(crate) enum Slot {
    /// A fence that is not a chain node (binary syncobj payload).
    Plain(DmaFence),
    /// A timeline point.
    Chain(Arc<ChainNode>),
}

impl Slot {
    /// The fence that signals when this slot is done: the plain fence, or the chain node's composite.
    pub(crate) fn fence(&self) -> &DmaFence {
        match self {
            Slot::Plain(f) => f,
            Slot::Chain(c) => &c.composite,
        }
    }

    /// Whether both slots are the same object.
    pub(crate) fn ptr_eq(&self, other: &Slot) -> bool {
        match (self, other) {
            (Slot::Plain(a), Slot::Plain(b)) => a.ptr_eq(b),
            (Slot::Chain(a), Slot::Chain(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// One timeline point (`struct dma_fence_chain`).
///
/// # Invariants
/// `composite` signals only after `fence` and the slot `prev` held at construction have signalled.
pub(crate) struct ChainNode {
    /// The chain's fence context: shared by consecutive in-order points, fresh after an out-of-order one.
    context: u64,
    /// The point number.
    seqno: u64,
    /// The point number of the previous node at construction (0 if there was none or this one is out of order).
    prev_seqno: u64,
    /// This point's own fence.
    fence: DmaFence,
    /// Signals when `fence` and all earlier points have signalled.
    composite: DmaFence,
    /// The earlier point (or plain fence) this one follows; `None` once everything before it was collected.
    prev: Mutex<Option<Slot>>,
}

impl ChainNode {
    /// The point number.
    #[cfg(test)]
    pub(crate) fn seqno(&self) -> u64 {
        self.seqno
    }

    fn prev(&self) -> MutexGuard<'_, Option<Slot>> {
        self.prev.lock()
    }
}

impl Drop for ChainNode {
    fn drop(&mut self) {
        // Unlink iteratively: dropping a long chain recursively could overflow the stack.
        let mut next = self.prev.get_mut().take();
        while let Some(Slot::Chain(node)) = next {
            match Arc::try_unwrap(node) {
                Ok(mut node) => next = node.prev.get_mut().take(),
                Err(_) => break,
            }
        }
    }
}

/// A built chain node whose dependency callbacks are registered but which nobody can see yet. Dropping it without
/// [`PreparedNode::publish`] removes the callbacks, so an aborted operation leaves the earlier fences as they were.
pub(crate) struct PreparedNode {
    node: Arc<ChainNode>,
    callbacks: [Option<(DmaFence, CallbackId)>; 2],
}

impl PreparedNode {
    /// The node, for linking later nodes of the same operation behind it.
    pub(crate) fn node(&self) -> &Arc<ChainNode> {
        &self.node
    }

    /// Keeps the callbacks: the node is about to become visible.
    pub(crate) fn publish(mut self) -> Arc<ChainNode> {
        self.callbacks = [None, None];
        self.node.clone()
    }
}

impl Drop for PreparedNode {
    fn drop(&mut self) {
        for (fence, id) in self.callbacks.iter_mut().filter_map(Option::take) {
            fence.remove_callback(id);
        }
    }
}

/// Countdown to signalling a composite fence: one arrival per dependency.
struct Link {
    pending: AtomicUsize,
    composite: DmaFence,
    /// Next entry of this thread's deferred-signal stack (see [`arrive`]).
    next: Mutex<Option<Arc<Link>>>,
}

thread_local! {
    /// Top of this thread's stack of links whose composite is due (an `Arc::into_raw` pointer, null when empty),
    /// pushed while the thread is already signalling composites. A raw pointer rather than an `Option<Arc<_>>`
    /// because a thread-local that needs `Drop` registers a destructor on first use, and glibc allocates for that:
    /// the first chain signal on a thread would allocate in the signalling path.
    static DUE: Cell<*const Link> = const { Cell::new(core::ptr::null()) };
    static DRAINING: Cell<bool> = const { Cell::new(false) };
}

/// Clears [`DRAINING`] even if a callback panics, so later chains on this thread still signal.
struct DrainGuard;

impl Drop for DrainGuard {
    fn drop(&mut self) {
        DRAINING.set(false);
    }
}

fn push_due(link: Arc<Link>) {
    let below = DUE.get();
    let below = (!below.is_null()).then(|| {
        // SAFETY: a non-null `DUE` is a pointer from `Arc::into_raw` (below or in `pop_due`) whose reference was
        // moved into `DUE`; taking it back out here transfers that reference.
        unsafe { Arc::from_raw(below) }
    });
    *link.next.lock() = below;
    DUE.set(Arc::into_raw(link));
}

fn pop_due() -> Option<Arc<Link>> {
    let top = DUE.get();
    if top.is_null() {
        return None;
    }
    // SAFETY: as in `push_due`: `top` came from `Arc::into_raw` and `DUE` owned that reference, which we take.
    let top = unsafe { Arc::from_raw(top) };
    let below = top.next.lock().take();
    DUE.set(below.map_or(core::ptr::null(), Arc::into_raw));
    Some(top)
}

/// One dependency of `link` has signalled. Runs in fence callbacks, so it must not allocate (it moves `Arc`s only).
///
/// Signalling a composite runs the callbacks of the next point's composite, and so on: a long chain signalled from
/// its oldest point would recurse once per point. Instead, composites that become due while this thread is already
/// signalling one are pushed on a thread-local stack and signalled by the outermost call, one after another
/// (upstream defers the same work to an irq_work for the same reason).
fn arrive(link: Arc<Link>) {
    if link.pending.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    push_due(link);
    if DRAINING.replace(true) {
        return;
    }
    let _guard = DrainGuard;
    while let Some(link) = pop_due() {
        // A composite is signalled by its link alone, once: an error here would be a broken invariant, and the
        // signalling path has nowhere to report it.
        let _ = link.composite.signal();
    }
}

/// Makes `dep`'s signal count towards `link`; `Ok(None)` if it has already signalled (counted now).
fn depend(link: &Arc<Link>, dep: &DmaFence) -> Result<Option<(DmaFence, CallbackId)>> {
    let l = link.clone();
    match dep.add_callback(move |_| arrive(l)) {
        Ok(id) => Ok(Some((dep.clone(), id))),
        Err(e) if e == ENOENT => {
            arrive(link.clone());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Builds the node for `point` with `fence` on top of `prev` (`dma_fence_chain_alloc` + `dma_fence_chain_init`).
///
/// A point that is not later than the previous chain node's starts a new context and takes the larger number, as
/// upstream does, so that the chain head always carries the highest point submitted.
pub(crate) fn prepare(prev: Option<Slot>, fence: DmaFence, point: u64) -> Result<PreparedNode> {
    let (context, seqno, prev_seqno) = match &prev {
        Some(Slot::Chain(p)) if point > p.seqno => (p.context, point, p.seqno),
        Some(Slot::Chain(p)) => (DmaFence::context_alloc(), point.max(p.seqno), 0),
        _ => (DmaFence::context_alloc(), point, 0),
    };
    let composite = DmaFence::with_names(context, seqno, FenceNames::CHAIN)?;
    // One arrival per dependency, plus one held until registration is complete so the composite cannot signal
    // half-built.
    let deps = 1 + usize::from(prev.is_some());
    let link = alloc::try_arc(Link {
        pending: AtomicUsize::new(deps + 1),
        composite: composite.clone(),
        next: Mutex::new(None),
    })?;
    let prev_fence = prev.as_ref().map(|p| p.fence().clone());
    let node = alloc::try_arc(ChainNode {
        context,
        seqno,
        prev_seqno,
        fence: fence.clone(),
        composite,
        prev: Mutex::new(prev),
    })?;
    let mut prepared = PreparedNode {
        node,
        callbacks: [None, None],
    };
    prepared.callbacks[0] = depend(&link, &fence)?;
    if let Some(pf) = prev_fence {
        prepared.callbacks[1] = depend(&link, &pf)?;
    }
    arrive(link);
    Ok(prepared)
}

/// Steps from `node` to the previous point whose own fence has not signalled (`dma_fence_chain_walk`), splicing the
/// signalled ones out of the chain on the way. `None` when nothing unsignalled is left before `node`.
pub(crate) fn walk(node: &ChainNode) -> Option<Slot> {
    let mut prev = node.prev();
    loop {
        let replacement = match &*prev {
            None => return None,
            Some(Slot::Chain(p)) if p.fence.is_signaled() => p.prev().clone(),
            Some(Slot::Plain(f)) if f.is_signaled() => None,
            Some(unsignalled) => return Some(unsignalled.clone()),
        };
        *prev = replacement;
    }
}

/// The fences `slot` stands for (`dma_fence_unwrap_for_each` over a chain), newest first: a plain fence itself; a
/// chain node's own fence, then those of the earlier points that have not signalled (walking splices the signalled
/// ones out, as [`walk`] does).
pub(crate) fn unwrap(slot: &Slot) -> Result<Vec<DmaFence>> {
    let mut out = Vec::new();
    let mut cur = slot.clone();
    loop {
        match cur {
            Slot::Plain(f) => {
                alloc::try_push(&mut out, f)?;
                return Ok(out);
            }
            Slot::Chain(node) => {
                alloc::try_push(&mut out, node.fence.clone())?;
                match walk(&node) {
                    Some(prev) => cur = prev,
                    None => return Ok(out),
                }
            }
        }
    }
}

/// Finds what to wait on for timeline point `seqno` given the syncobj's current `head` (`dma_fence_chain_find_seqno`):
/// the oldest node of the head's context that covers `seqno`. Point 0 is the head itself. `EINVAL` if `seqno` was
/// not submitted yet (or `head` is not a chain); `Ok(None)` if the point is known to have signalled already and its
/// node was collected.
pub(crate) fn find_seqno(head: Slot, seqno: u64) -> Result<Option<Slot>> {
    if seqno == 0 {
        return Ok(Some(head));
    }
    let Slot::Chain(head) = head else {
        return Err(EINVAL);
    };
    if head.seqno < seqno {
        return Err(EINVAL);
    }
    let mut iter = Some(Slot::Chain(head.clone()));
    while let Some(cur) = iter {
        match &cur {
            Slot::Chain(c) if c.context == head.context && c.prev_seqno >= seqno => iter = walk(c),
            _ => return Ok(Some(cur)),
        }
    }
    Ok(None)
}

/// The last signalled point of a timeline whose head is `head` (QUERY without `LAST_SUBMITTED`): the oldest
/// unsignalled node of the head's context tells where the signalled prefix ends. A non-chain head reads as 0.
pub(crate) fn last_signalled(head: Option<&Slot>) -> u64 {
    let Some(Slot::Chain(head)) = head else {
        return 0;
    };
    let mut last = head.clone();
    while let Some(Slot::Chain(c)) = walk(&last) {
        if c.context != head.context {
            // Upstream: most likely the timeline has out-of-order points.
            break;
        }
        last = c;
    }
    if last.composite.is_signaled() {
        last.seqno
    } else {
        last.prev_seqno
    }
}

/// The last submitted point (QUERY with `LAST_SUBMITTED`): the head's number, 0 for a non-chain head.
pub(crate) fn last_submitted(head: Option<&Slot>) -> u64 {
    match head {
        Some(Slot::Chain(c)) => c.seqno,
        _ => 0,
    }
}

/// Walks the whole chain from `head` once, collecting signalled nodes (what `drm_syncobj_add_point` does after
/// publishing a point).
pub(crate) fn collect(head: Option<&Slot>) {
    let mut iter = match head {
        Some(Slot::Chain(c)) => Some(c.clone()),
        _ => None,
    };
    while let Some(node) = iter {
        iter = match walk(&node) {
            Some(Slot::Chain(c)) => Some(c),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fence() -> DmaFence {
        DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
    }

    /// Builds a chain of points with fresh fences; returns the head and the fences.
    fn chain(points: &[u64]) -> (Option<Slot>, Vec<DmaFence>) {
        let mut head = None;
        let mut fences = Vec::new();
        for &p in points {
            let f = fence();
            head = Some(Slot::Chain(prepare(head, f.clone(), p).unwrap().publish()));
            fences.push(f);
        }
        (head, fences)
    }

    #[test]
    fn composite_signals_only_when_every_earlier_point_has() {
        let (head, f) = chain(&[1, 2, 3]);
        let head = head.unwrap();
        f[2].signal().unwrap();
        f[0].signal().unwrap();
        assert!(!head.fence().is_signaled());
        f[1].signal().unwrap();
        assert!(head.fence().is_signaled());
    }

    #[test]
    fn find_seqno_picks_the_node_covering_the_point() {
        let (head, f) = chain(&[2, 4, 6]);
        let head = head.unwrap();
        assert_eq!(find_seqno(head.clone(), 7).err(), Some(EINVAL));
        let Some(Slot::Chain(n)) = find_seqno(head.clone(), 3).unwrap() else {
            panic!()
        };
        assert_eq!(n.seqno(), 4);
        f[0].signal().unwrap();
        f[1].signal().unwrap();
        assert!(
            find_seqno(head.clone(), 4).unwrap().is_none(),
            "signalled points are collected: nothing to wait on"
        );
        assert!(find_seqno(head, 0).unwrap().is_some());
    }

    #[test]
    fn out_of_order_points_keep_the_highest_number_at_the_head() {
        let (head, _f) = chain(&[5, 3]);
        assert_eq!(last_submitted(head.as_ref()), 5);
    }

    #[test]
    fn a_long_chain_signals_without_deep_recursion() {
        let points: Vec<u64> = (1..=20_000).collect();
        let (head, f) = chain(&points);
        for fence in &f[1..] {
            fence.signal().unwrap();
        }
        f[0].signal().unwrap();
        assert!(head.as_ref().unwrap().fence().is_signaled());
        assert_eq!(last_signalled(head.as_ref()), 20_000);
    }

    #[test]
    fn an_aborted_node_leaves_no_callback_behind() {
        let (head, f) = chain(&[1]);
        let own = fence();
        drop(prepare(head.clone(), own.clone(), 2).unwrap());
        // The aborted node's callback is gone from `own`: signalling it runs nothing and nothing breaks.
        own.signal().unwrap();
        f[0].signal().unwrap();
        assert_eq!(last_signalled(head.as_ref()), 1);
    }
}
