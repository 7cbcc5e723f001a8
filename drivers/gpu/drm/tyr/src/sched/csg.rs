// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The CSG slots (`panthor_sched.c`'s slot half): a slot's CSG and CS interrupts, binding a group to a slot and
//! starting it, evicting it (SUSPEND or TERMINATE), and what happens to a group's queues when it is terminated or
//! fails; the tiler-OOM handler the CS interrupt runs.

use std::sync::Arc;
use std::time::Instant;

use kernel::error::code::{EBUSY, ECANCELED, EINVAL, ETIMEDOUT};
use kernel::error::{Error, Result};

use super::group::Group;
use super::iface::{
    cs_in, cs_out, cs_req, csg_in, csg_out, csg_req, CsConfig, CsReq, CsgEndpointReq, CsgReq, Iface,
};
use super::{Inner, Scheduler};

impl Scheduler {
    /// `process_csg_irq` for slot `s`.
    pub(super) fn process_csg_irq(&self, inner: &mut Inner, s: usize) {
        let Some((g, _)) = inner.slots[s].clone() else {
            return;
        };
        let slot = &self.slots[s];
        let csg = &slot.csg;
        let (Ok(cs_req_bits), Ok(cs_ack_bits)) = (
            csg.output(csg_out::CS_IRQ_REQ),
            csg.input(csg_in::CS_IRQ_ACK),
        ) else {
            return;
        };
        let _ = csg.set_input(csg_in::CS_IRQ_ACK, cs_req_bits);
        let events = CsgReq(
            csg.ack_events(csg_in::REQ, csg_out::ACK, CsgReq::EVENTS.0)
                .unwrap_or(0),
        );
        tracing::debug!(target: "tyr::sched", slot = s, events = events.0, cs_irqs = cs_req_bits ^ cs_ack_bits, "csg irq");
        let mut resume = 0u32;
        for (j, cs) in slot.cs.iter().enumerate().take(g.queues.len()) {
            if (cs_req_bits ^ cs_ack_bits) & (1 << j) == 0 {
                continue;
            }
            let ev = CsReq(
                cs.ack_events(cs_in::REQ, cs_out::ACK, CsReq::EVENTS.0)
                    .unwrap_or(0),
            );
            if ev.fatal() != 0 || ev.fault() != 0 {
                // A stream fault may come from a page fault the MMU interrupt thread has not handled yet: handle it
                // now, so that the VM's fault is flagged (and the AS disabled) before any job below signals,
                // whichever interrupt thread runs first.
                g.vm.sync_faults();
            }
            if ev.fatal() != 0 {
                g.state().fatal_queues |= 1 << j;
            }
            if ev.tiler_oom() != 0 {
                match grow_heap(&g, cs) {
                    Ok(chunk) => {
                        let _ = cs.set_input64(cs_in::HEAP_START, chunk);
                        let _ = cs.set_input64(cs_in::HEAP_END, chunk);
                    }
                    // A heap the firmware names that does not exist: the queue cannot go on.
                    Err(_) => g.state().fatal_queues |= 1 << j,
                }
            }
            if ev.fault() != 0 || ev.tiler_oom() != 0 {
                resume |= 1 << j;
            }
        }
        if events.progress_timer_event() != 0 {
            g.state().timed_out = true;
        }
        if g.vm.has_unhandled_faults() {
            // The group is resident on a VM whose AS faulted (and was disabled): no queue reported FATAL, so every
            // queue is flagged (`tick_ctx_init`). Done before the jobs below complete, so that GROUP_GET_STATE is
            // final by the time a fence of the group signals.
            let mut st = g.state();
            if st.fatal_queues == 0 {
                st.fatal_queues = (1u32 << g.queues.len()) - 1;
            }
        }
        // Completion is read from memory whatever the event: SYNC_UPDATE is the usual one.
        for (i, q) in g.queues.iter().enumerate() {
            if let Ok((seqno, status)) = g.sync_object(i) {
                q.complete(seqno, status);
            }
        }
        if resume != 0 {
            let _ = csg.toggle(csg_in::DOORBELL_REQ, csg_out::DOORBELL_ACK, resume);
        }
        let _ = self.glb_doorbell(s);
    }

    /// Binds `g` to free slot `s` and starts (or resumes) it.
    pub(super) fn bind_and_start(
        &self,
        inner: &mut Inner,
        s: usize,
        g: &Arc<Group>,
        prio: u32,
    ) -> Result {
        let _span =
            tracing::debug_span!(target: "tyr::sched", "csg_start", slot = s, vm = g.vm.id(), prio)
                .entered();
        if self.reset_pending() {
            // The firmware is being given up on: nothing new goes to it before the reset.
            return Err(EBUSY);
        }
        let as_nr = g.vm.activate()?;
        let slot = &self.slots[s];
        let res = (|| -> Result {
            for (j, q) in g.queues.iter().enumerate() {
                let cs = slot.cs.get(j).ok_or(EINVAL)?;
                q.sync_extract()?;
                cs.set_input64(cs_in::RINGBUF_BASE, q.ring.va())?;
                cs.set_input(cs_in::RINGBUF_SIZE, q.ring.size() as u32)?;
                cs.set_input64(cs_in::RINGBUF_INPUT, q.input_va())?;
                cs.set_input64(cs_in::RINGBUF_OUTPUT, q.output_va())?;
                let config = CsConfig(0)
                    .set_priority(u32::from(q.priority))
                    .set_doorbell(s as u32 + 1);
                cs.set_input(cs_in::CONFIG, config.0)?;
                cs.set_input(cs_in::ACK_IRQ_MASK, 0xffff_ffff)?;
                let start = CsReq(0)
                    .set_state(cs_req::STATE_START)
                    .set_extract_event(1)
                    .set_idle_sync_wait(1)
                    .set_idle_empty(1);
                let mask = CsReq::STATE.0
                    | CsReq::EXTRACT_EVENT.0
                    | CsReq::IDLE_SYNC_WAIT.0
                    | CsReq::IDLE_EMPTY.0;
                cs.update(cs_in::REQ, start.0, mask)?;
            }
            let csg = &slot.csg;
            csg.set_input64(csg_in::ALLOW_COMPUTE, g.compute_core_mask)?;
            csg.set_input64(csg_in::ALLOW_FRAGMENT, g.fragment_core_mask)?;
            csg.set_input(csg_in::ALLOW_OTHER, g.tiler_core_mask as u32)?;
            let ep = CsgEndpointReq(0)
                .set_compute(u32::from(g.max_compute_cores))
                .set_fragment(u32::from(g.max_fragment_cores))
                .set_tiler(u32::from(g.max_tiler_cores))
                .set_priority(prio);
            csg.set_input(csg_in::ENDPOINT_REQ, ep.0)?;
            csg.set_input(csg_in::CONFIG, as_nr)?;
            csg.set_input64(csg_in::SUSPEND_BUF, g.suspend.va())?;
            csg.set_input64(csg_in::PROTM_SUSPEND_BUF, g.protm_suspend.va())?;
            csg.set_input(csg_in::ACK_IRQ_MASK, 0xffff_ffff)?;
            let queues = (1u32 << g.queues.len()) - 1;
            csg.toggle(csg_in::DOORBELL_REQ, csg_out::DOORBELL_ACK, queues)?;
            let state = if g.state().started {
                csg_req::STATE_RESUME
            } else {
                csg_req::STATE_START
            };
            csg.update(csg_in::REQ, state, CsgReq::STATE.0)?;
            csg.toggle(csg_in::REQ, csg_out::ACK, CsgReq::ENDPOINT_CONFIG.0)?;
            self.glb_doorbell(s)
        })();
        // Once the request is out, the group holds the slot whether or not the firmware acknowledges it in time: a
        // firmware that does not has a reset scheduled, whose pre-reset suspends the group (Panthor keeps the group
        // bound when `csgs_upd_ctx_apply_locked` times out).
        let acked = match res {
            Ok(()) => self.wait_csg_acks(s, CsgReq::STATE.0 | CsgReq::ENDPOINT_CONFIG.0),
            Err(e) => Err(e),
        };
        match res {
            Ok(()) => {
                let mut st = g.state();
                st.slot = Some(s as u32);
                st.started = true;
                drop(st);
                let now = Instant::now();
                for q in &g.queues {
                    q.resume_timeout(now);
                }
                inner.slots[s] = Some((g.clone(), Instant::now()));
                acked
            }
            Err(e) => {
                // The request could not even be written (the shared section is unreachable): the group cannot run.
                g.vm.idle();
                g.state().timed_out = true;
                Err(e)
            }
        }
    }

    /// Takes the group off slot `s`: SUSPEND (it will RESUME later) or TERMINATE (for good; its fences fail).
    pub(super) fn evict(&self, inner: &mut Inner, s: usize, terminate: bool) -> Result {
        let Some((g, _)) = inner.slots[s].clone() else {
            return Ok(());
        };
        let _span =
            tracing::debug_span!(target: "tyr::sched", "csg_evict", slot = s, terminate).entered();
        if self.reset_pending() {
            // The reset's pre-reset evicts every resident group.
            return Err(EBUSY);
        }
        let slot = &self.slots[s];
        let state = if terminate {
            csg_req::STATE_TERMINATE
        } else {
            csg_req::STATE_SUSPEND
        };
        let res = slot
            .csg
            .update(csg_in::REQ, state, CsgReq::STATE.0)
            .and_then(|()| self.glb_doorbell(s))
            .and_then(|()| self.wait_csg_acks(s, CsgReq::STATE.0));
        if res.is_err() && self.reset_pending() {
            // Not acknowledged: the group stays on its slot for the reset's pre-reset to deal with.
            return res;
        }
        // Whatever the firmware reported last still counts.
        self.process_csg_irq(inner, s);
        for cs in slot.cs.iter().take(g.queues.len()) {
            let _ = cs.update(cs_in::REQ, cs_req::STATE_STOP, CsReq::STATE.0);
        }
        inner.slots[s] = None;
        g.state().slot = None;
        let now = Instant::now();
        for q in &g.queues {
            q.suspend_timeout(now);
        }
        g.vm.idle();
        if terminate || res.is_err() {
            terminate_off_slot(&g);
        }
        res
    }
}

/// The tiler-OOM worker (`group_process_tiler_oom`): grows the heap the firmware names by one chunk, or answers
/// with no chunk (0) when the heap is busy, full, or memory ran out, so that the firmware falls back (waits for
/// fragments or runs the exception handler). `EINVAL` for a heap context that is not one of the VM's.
pub(super) fn grow_heap(g: &Group, cs: &Iface) -> Result<u64> {
    let vt_start = cs.output(cs_out::HEAP_VT_START)?;
    let vt_end = cs.output(cs_out::HEAP_VT_END)?;
    let frag_end = cs.output(cs_out::HEAP_FRAG_END)?;
    let ctx = cs.output64(cs_out::HEAP_ADDRESS)?;
    let mut heaps = g.heaps.lock();
    let pool = heaps.as_mut().ok_or(EINVAL)?;
    match pool.grow(
        &g.vm,
        ctx,
        vt_start.wrapping_sub(frag_end),
        vt_end.wrapping_sub(frag_end),
    ) {
        Ok(Ok(chunk)) => Ok(chunk),
        Ok(Err(_)) => Ok(0),
        Err(e) if e == kernel::error::code::ENOMEM => Ok(0),
        Err(e) => Err(e),
    }
}

/// A terminated group's queues: sync objects marked failed at their last seqno, jobs failed. Each queue's jobs fail with `EINVAL` if that queue is fatal, else `ETIMEDOUT` if the group timed out, else
/// `ECANCELED` (`group_term_post_processing`).
pub(super) fn terminate_off_slot(g: &Arc<Group>) {
    let (fatal, timed_out) = {
        let mut st = g.state();
        st.terminated = true;
        (st.fatal_queues, st.timed_out)
    };
    for (i, q) in g.queues.iter().enumerate() {
        let _ = g.syncobjs.write_u64(16 * i as u64, q.last_written_seqno());
        let _ = g.syncobjs.write_u32(16 * i as u64 + 8, !0);
    }
    for (i, q) in g.queues.iter().enumerate() {
        let err: Error = if fatal & (1 << i) != 0 {
            EINVAL
        } else if timed_out {
            ETIMEDOUT
        } else {
            ECANCELED
        };
        q.fail_all(err);
    }
}

pub(super) fn fail_group(g: &Arc<Group>, err: Error) {
    for q in &g.queues {
        q.fail_all(err);
    }
}
