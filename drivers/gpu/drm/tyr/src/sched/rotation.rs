// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The tick (`tick_ctx_*` in `panthor_sched.c`): which runnable groups get slots and address spaces, and which
//! resident group gives its slot up for them (idle first, then lower priority, then rotation after a full slice).

use std::sync::Arc;
use std::time::Instant;

use super::group::Group;
use super::{Inner, Scheduler, TICK};

impl Scheduler {
    /// Gives free slots to runnable groups, highest priority first (`tick_work`). A group whose VM has no resident
    /// group needs an address space as well: when the MMU has none to give (every user AS held by a VM with a
    /// resident group), a resident group alone on its VM is evicted for it, which idles that VM and frees its AS
    /// (`panthor_vm_idle`, the AS LRU); with no such victim the group waits for a later round, as Panthor's tick
    /// skips groups whose VM does not fit. When slots run short, an idle resident group gives its slot up first,
    /// then a busy one of lower priority, then a busy one of the same priority that has had its slot for a full
    /// tick slice (rotation).
    pub(super) fn tick(&self, inner: &mut Inner) {
        let mut runnable: Vec<Arc<Group>> = inner
            .groups
            .iter()
            .filter(|g| {
                g.can_run()
                    && g.state().slot.is_none()
                    && g.queues.iter().any(|q| q.has_in_flight())
            })
            .cloned()
            .collect();
        // Stable: creation order within a priority.
        runnable.sort_by_key(|g| core::cmp::Reverse(g.priority));
        let now = Instant::now();
        for g in runnable {
            let vm_resident = inner
                .slots
                .iter()
                .flatten()
                .any(|(r, _)| Arc::ptr_eq(&r.vm, &g.vm));
            let needs_as = !vm_resident && !g.vm.can_activate();
            let slot = if needs_as {
                match Self::victim(inner, &g, now, true) {
                    Some(s) => self.evict(inner, s, false).ok().map(|()| s),
                    // No AS for this group's VM this round; a group on a VM that has one may still fit.
                    None => continue,
                }
            } else {
                match inner.slots.iter().position(Option::is_none) {
                    Some(s) => Some(s),
                    None => match Self::victim(inner, &g, now, false) {
                        Some(s) => self.evict(inner, s, false).ok().map(|()| s),
                        // Groups further down the list find no victim either.
                        None => break,
                    },
                }
            };
            let Some(s) = slot else { continue };
            let prio =
                0xf_u32.saturating_sub(inner.slots.iter().filter(|x| x.is_some()).count() as u32);
            // An activation that finds no AS after all (a bind holds the idle one locked) leaves the group
            // runnable for the next round.
            let _ = self.bind_and_start(inner, s, &g, prio);
        }
    }

    /// The resident group to evict for `g`: an idle one first; else the busy one of lowest priority below `g`'s;
    /// else the one of `g`'s priority that has had its slot longest, once that is a full tick slice. With
    /// `alone_on_vm`, only groups that are the last resident group of their VM (evicting them frees an AS).
    pub(super) fn victim(
        inner: &Inner,
        g: &Group,
        now: Instant,
        alone_on_vm: bool,
    ) -> Option<usize> {
        let resident = |s: usize| inner.slots[s].as_ref().map(|(r, since)| (s, r, *since));
        let candidates = (0..inner.slots.len())
            .filter_map(resident)
            .filter(|(s, r, _)| {
                !alone_on_vm
                    || !inner.slots.iter().enumerate().any(|(o, x)| {
                        o != *s
                            && x.as_ref()
                                .is_some_and(|(other, _)| Arc::ptr_eq(&other.vm, &r.vm))
                    })
            });
        let candidates: Vec<(usize, &Arc<Group>, Instant)> = candidates.collect();
        let idle = candidates
            .iter()
            .find(|(_, r, _)| !r.queues.iter().any(|q| q.has_in_flight()));
        idle.or_else(|| {
            candidates
                .iter()
                .filter(|(_, r, since)| {
                    r.priority < g.priority
                        || (r.priority == g.priority && now.duration_since(*since) >= TICK)
                })
                .min_by_key(|(_, r, since)| (r.priority, *since))
        })
        .map(|(s, _, _)| *s)
    }
}
