// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPU hang detection and reset, the scheduler's side (`panthor_device_schedule_reset`,
//! `panthor_device_reset_work`, `panthor_sched_pre_reset`/`panthor_sched_suspend`, `panthor_sched_post_reset`,
//! `panthor_fw_ping_work`).
//!
//! **Detection.** A reset is *scheduled* (one pending at a time; scheduling it again while it is pending does
//! nothing) when the firmware stops answering — a CSG request not acknowledged within Panthor's 100 ms, or the
//! watchdog's PING (every 12 s) not acknowledged within 100 ms — or when an AS command keeps AS_ACTIVE set past
//! Panthor's 100 ms (the MMU reports it). A job timeout or a CSG PROGRESS_TIMER_EVENT does not reset the GPU by
//! itself, as in Panthor: the group is marked timed out and terminated, and only a termination the firmware does not
//! acknowledge escalates to a reset.
//!
//! **The reset** runs on the scheduler's worker, at the start of its next round (Panthor runs it on a dedicated
//! workqueue and stops the scheduler's works around it; here the worker simply does nothing else meanwhile):
//! 1. pre-reset: every resident group is asked to SUSPEND (or to TERMINATE when it can no longer run) with one
//!    doorbell; slots the firmware does not acknowledge have their group marked TIMEDOUT — and INNOCENT if it was
//!    still usable — and are asked to TERMINATE. Then each slot's interrupts are processed (jobs the GPU finished
//!    complete), its streams are stopped and the group leaves the slot; a group that can no longer run is
//!    terminated: its jobs' fences signal with `EINVAL` (a fatal queue), `ETIMEDOUT` (timed out) or `ECANCELED`;
//! 2. the hardware ([`crate::reset`]): firmware and MMU pre-reset, soft reset, L2, MMU and firmware post-reset
//!    (always a slow reset, the firmware reloaded: Panthor's reset work always treats the firmware as hung);
//! 3. post-reset: the reset is no longer pending and the worker carries on. Suspended groups are bound again by the
//!    tick and RESUME from their suspend buffers, their jobs continuing where they stopped; VMs, BOs and mappings are
//!    untouched (a VM gets an AS again when its next group is bound). A reset whose hardware half fails (the MCU does
//!    not boot again) leaves every group terminated (`ECANCELED`), as Panthor's `reset_failed`, and then gives the
//!    device up as `panthor_device_reset_work` does ("Failed to boot MCU after reset, making device unusable"): the
//!    DRM device is unplugged (every ioctl and open answers `ENODEV`), and the scheduler neither powers the GPU for a
//!    round nor takes a reset again.
//!
//! **Robustness on a loaded host.** The modelled MCU is a host thread, so an acknowledgement can miss 100 ms
//! without the firmware being dead. Such a miss now schedules a reset, as in Panthor; the pre-reset then waits up to
//! [`CSG_ACK_GRACE`] for the SUSPENDs. A firmware that was only late answers them: every group is suspended and
//! resumed after the reset, and no job notices anything but the delay. Only a firmware that stays silent for the
//! whole grace (a stuck MCU) has its resident groups killed — which costs a stuck-MCU reset that grace in latency.
//!
//! Nothing here allocates once a job's fate is decided: the records are fixed-size and the fences fail through
//! [`super::csg::terminate_off_slot`].

use kernel::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::group::Group;
use super::iface::{cs_in, cs_req, csg_in, csg_out, csg_req, CsReq, CsgReq, GLB_DOORBELL};
use super::{terminate_off_slot, Inner, Scheduler, CSG_ACK_GRACE, CSG_ACK_TIMEOUT};
use crate::regs::doorbell;
use crate::reset::HwReset;

/// How often the firmware is pinged (`PING_INTERVAL_MS`).
pub(crate) const PING_INTERVAL: Duration = Duration::from_secs(12);
/// How long a PING may stay unacknowledged (`panthor_fw_ping_work`: 100 ms).
const PING_TIMEOUT: Duration = Duration::from_millis(100);

/// Why a reset was scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetCause {
    /// A request on CSG slot `n` was not acknowledged in time.
    CsgTimeout(u32),
    /// The watchdog's PING was not acknowledged in time.
    PingTimeout,
    /// A command on AS `n` kept AS_ACTIVE set past the timeout.
    AsTimeout(u32),
    /// Asked for (debugfs).
    Requested,
}

/// One reset, as debugfs reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResetRecord {
    /// What scheduled it.
    pub cause: ResetCause,
    /// From detection (the reset being scheduled) to scheduling resumed.
    pub latency: Duration,
    /// Resident groups the firmware suspended (they resume after the reset).
    pub suspended: u32,
    /// Resident groups it did not answer for, that were usable: TIMEDOUT | INNOCENT.
    pub innocent: u32,
    /// Resident groups terminated (the innocent ones included).
    pub terminated: u32,
    /// The GPU and its firmware came back.
    pub ok: bool,
}

/// Resets so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetStats {
    /// Resets run.
    pub count: u64,
    /// Of which the hardware did not come back.
    pub failed: u64,
    /// A reset is scheduled and has not run yet.
    pub pending: bool,
    /// The last one.
    pub last: Option<ResetRecord>,
}

/// The scheduled reset: its flag, which the fast paths read without a lock, and what scheduled it.
///
/// # Invariants
/// `flag` is only written with `cause` locked, and is set whenever `cause` holds a request: a worker that finds the
/// flag set finds the request (or is running it), so a request is never cleared unseen.
struct PendingReset {
    flag: AtomicBool,
    cause: Mutex<Option<(Instant, ResetCause)>>,
}

impl PendingReset {
    fn new() -> Self {
        Self {
            flag: AtomicBool::new(false),
            cause: Mutex::new(None),
        }
    }

    fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Schedules a reset for `cause` unless one is pending (or running); whether this call scheduled it.
    fn schedule(&self, cause: ResetCause) -> bool {
        let mut c = self.cause.lock();
        if self.flag.load(Ordering::Acquire) {
            return false;
        }
        *c = Some((Instant::now(), cause));
        // INVARIANT: set with `cause` locked, after the request is in place.
        self.flag.store(true, Ordering::Release);
        true
    }

    /// The request to run; the flag stays set while it runs (further requests are dropped, as upstream's
    /// `reset.pending`), until [`Self::finish`]. `None` (and the flag cleared) when there is none.
    fn take(&self) -> Option<(Instant, ResetCause)> {
        let mut c = self.cause.lock();
        let t = c.take();
        if t.is_none() {
            // INVARIANT: no request: the flag goes with it.
            self.flag.store(false, Ordering::Release);
        }
        t
    }

    /// The reset ran: later requests schedule a new one.
    fn finish(&self) {
        let _c = self.cause.lock();
        // INVARIANT: cleared with `cause` locked; `take` emptied it.
        self.flag.store(false, Ordering::Release);
    }
}

/// The reset state the scheduler keeps.
pub(super) struct ResetCtl {
    pending: PendingReset,
    hw: Mutex<Option<Arc<HwReset>>>,
    stats: Mutex<ResetStats>,
    last_ping: Mutex<Instant>,
    ping_interval: Mutex<Duration>,
    /// A reset failed and the device was given up (`panthor_device_unplug` from the reset work): the scheduler
    /// touches the GPU no more and takes no further reset.
    unplugged: AtomicBool,
    /// What unplugs the DRM device (`drm_dev_unplug`), set at probe; run once, when a reset fails.
    on_unplug: Mutex<Option<UnplugNotify>>,
}

/// Unplugs the DRM device whose scheduler gave up: [`Scheduler::set_unplug_notify`].
pub(crate) type UnplugNotify = Arc<dyn Fn() + Send + Sync>;

impl ResetCtl {
    pub(super) fn new() -> Self {
        Self {
            pending: PendingReset::new(),
            hw: Mutex::new(None),
            stats: Mutex::new(ResetStats::default()),
            last_ping: Mutex::new(Instant::now()),
            ping_interval: Mutex::new(PING_INTERVAL),
            unplugged: AtomicBool::new(false),
            on_unplug: Mutex::new(None),
        }
    }
}

/// What the pre-reset did to the resident groups.
#[derive(Default)]
struct Suspended {
    suspended: u32,
    innocent: u32,
    terminated: u32,
}

impl Scheduler {
    /// Gives the scheduler the hardware half of a reset (probe).
    pub(crate) fn set_hw_reset(&self, hw: Arc<HwReset>) {
        *self.reset.hw.lock() = Some(hw);
    }

    /// Gives the scheduler what unplugs the DRM device when a reset fails (probe, once the device exists).
    pub(crate) fn set_unplug_notify(&self, f: UnplugNotify) {
        *self.reset.on_unplug.lock() = Some(f);
    }

    /// Whether a failed reset made the device unusable.
    pub(crate) fn is_unplugged(&self) -> bool {
        self.reset.unplugged.load(Ordering::Acquire)
    }

    /// The end of `panthor_device_reset_work` after a failed reset: "Failed to boot MCU after reset, making device
    /// unusable", and `panthor_device_unplug`. Runs on the worker with no scheduler lock held.
    pub(super) fn unplug_after_failed_reset(&self) {
        tracing::error!(
            target: "tyr::sched",
            "Failed to boot MCU after reset, making device unusable"
        );
        let notify = self.reset.on_unplug.lock().take();
        if let Some(f) = notify {
            f();
        }
    }

    /// `panthor_device_schedule_reset`: asks for a reset unless one is pending already, and wakes the worker, which
    /// runs it. Allocates nothing and takes no scheduler lock, so any thread may call it (the MMU does, with its
    /// own locks held).
    pub(crate) fn schedule_reset(&self, cause: ResetCause) {
        // A device given up takes no reset: it never touches the GPU again (`drm_dev_enter` fails in the work).
        if self.is_unplugged() {
            return;
        }
        // The request is in place before the flag a worker looks at is set (`PendingReset`): a worker between the
        // two used to clear the flag, find no request and drop the reset.
        if !self.reset.pending.schedule(cause) {
            return;
        }
        tracing::warn!(target: "tyr::sched", ?cause, "GPU reset scheduled");
        self.kick();
    }

    /// Whether a reset is scheduled and has not run yet.
    pub(crate) fn reset_pending(&self) -> bool {
        self.reset.pending.is_set()
    }

    /// The resets so far.
    pub(crate) fn reset_stats(&self) -> ResetStats {
        let mut s = *self.reset.stats.lock();
        s.pending = self.reset_pending();
        s
    }

    /// Sets how often the watchdog pings the firmware (Panthor: 12 s); for tests of an idle firmware that hangs.
    pub(crate) fn set_ping_interval(&self, d: Duration) {
        *self.reset.ping_interval.lock() = d;
    }

    /// `panthor_fw_ping_work`: every ping interval, PING the firmware; no acknowledgement within 100 ms schedules a
    /// reset.
    pub(super) fn watchdog(&self) {
        let due = {
            let mut last = self.reset.last_ping.lock();
            let due = last.elapsed() >= *self.reset.ping_interval.lock();
            if due {
                *last = Instant::now();
            }
            due
        };
        if due
            && !self.reset_pending()
            && self.glb_iface.ping_within(&self.irq, PING_TIMEOUT).is_err()
        {
            self.late_acks.fetch_add(1, Ordering::Relaxed);
            self.schedule_reset(ResetCause::PingTimeout);
        }
    }

    /// `panthor_device_reset_work`, run by the worker when a reset is pending (see the module documentation).
    pub(super) fn reset_locked(&self, inner: &mut Inner) {
        let Some((detected, cause)) = self.reset.pending.take() else {
            return;
        };
        let _span = tracing::warn_span!(target: "tyr::sched", "gpu_reset", ?cause).entered();
        let pre = self.pre_reset(inner);
        let hw = self.reset.hw.lock().clone();
        let res = hw.map_or(Err(kernel::error::code::ENODEV), |hw| hw.run());
        // Whatever the old firmware raised is gone with it.
        let _ = self.irq.take_csg_events();
        let ok = res.is_ok();
        if let Err(e) = res {
            tracing::error!(target: "tyr::sched", errno = e.to_errno(), "GPU reset failed");
            // `panthor_sched_post_reset(reset_failed)`: nothing can run any more.
            for g in &inner.groups {
                if !g.state().terminated {
                    terminate_off_slot(g);
                }
            }
            // Then the device is given up (the worker unplugs it once the round lets go of the scheduler).
            self.reset.unplugged.store(true, Ordering::Release);
        }
        self.reset.pending.finish();
        *self.reset.last_ping.lock() = Instant::now();
        let record = ResetRecord {
            cause,
            latency: detected.elapsed(),
            suspended: pre.suspended,
            innocent: pre.innocent,
            terminated: pre.terminated,
            ok,
        };
        tracing::warn!(
            target: "tyr::sched",
            ?cause,
            latency_us = record.latency.as_micros() as u64,
            suspended = record.suspended,
            innocent = record.innocent,
            terminated = record.terminated,
            ok,
            "GPU reset done"
        );
        {
            let mut st = self.reset.stats.lock();
            st.count += 1;
            st.failed += u64::from(!ok);
            st.last = Some(record);
        }
        self.kick();
    }

    /// `panthor_sched_suspend` as the pre-reset runs it: every resident group leaves its slot, suspended if the
    /// firmware answers, terminated otherwise (see the module documentation).
    fn pre_reset(&self, inner: &mut Inner) -> Suspended {
        let mut out = Suspended::default();
        let resident: Vec<(usize, Arc<Group>)> = inner
            .slots
            .iter()
            .enumerate()
            .filter_map(|(s, x)| x.as_ref().map(|(g, _)| (s, g.clone())))
            .collect();
        let mut mask = 0u32;
        for (s, g) in &resident {
            let state = if g.can_run() {
                csg_req::STATE_SUSPEND
            } else {
                csg_req::STATE_TERMINATE
            };
            let _ = self.slots[*s]
                .csg
                .update(csg_in::REQ, state, CsgReq::STATE.0);
            mask |= 1 << s;
        }
        let silent = self.request_slots(mask, CSG_ACK_GRACE);
        if silent != 0 {
            tracing::error!(target: "tyr::sched", slots = silent, "CSG suspend failed, escalating to termination");
            for (s, g) in resident.iter().filter(|(s, _)| silent & (1 << s) != 0) {
                let mut st = g.state();
                if !st.timed_out && st.fatal_queues == 0 && !st.destroyed && !st.terminated {
                    st.innocent = true;
                    out.innocent += 1;
                }
                st.timed_out = true;
                drop(st);
                let _ = self.slots[*s].csg.update(
                    csg_in::REQ,
                    csg_req::STATE_TERMINATE,
                    CsgReq::STATE.0,
                );
            }
            // The reset terminates them anyway: this wait only gives a firmware that woke up its chance.
            let _ = self.request_slots(silent, CSG_ACK_TIMEOUT);
        }
        for (s, g) in &resident {
            self.process_csg_irq(inner, *s);
            for cs in self.slots[*s].cs.iter().take(g.queues.len()) {
                let _ = cs.update(cs_in::REQ, cs_req::STATE_STOP, CsReq::STATE.0);
            }
            inner.slots[*s] = None;
            g.state().slot = None;
            let now = Instant::now();
            for q in &g.queues {
                q.suspend_timeout(now);
            }
            g.vm.idle();
            if g.can_run() {
                out.suspended += 1;
            } else {
                out.terminated += 1;
                terminate_off_slot(g);
            }
        }
        out
    }

    /// Rings the GLB doorbell bits of the slots in `mask` once and waits up to `timeout` for each slot's STATE to be
    /// acknowledged; returns the slots that were not.
    fn request_slots(&self, mask: u32, timeout: Duration) -> u32 {
        if mask == 0 {
            return 0;
        }
        let _ = self.glb.toggle(GLB_DOORBELL, GLB_DOORBELL, mask);
        let _ = self.io.write32(doorbell::offset(doorbell::GLB), 1);
        let unacked = || {
            (0..self.slots.len())
                .filter(|s| mask & (1 << s) != 0)
                .filter(|&s| {
                    !self.slots[s]
                        .csg
                        .acked(csg_in::REQ, csg_out::ACK, CsgReq::STATE.0)
                        .unwrap_or(false)
                })
                .fold(0u32, |m, s| m | 1 << s)
        };
        self.irq.wait_until(timeout, || unacked() == 0);
        unacked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn one_reset_pending_at_a_time_and_none_while_one_runs() {
        let p = PendingReset::new();
        assert!(p.schedule(ResetCause::Requested));
        assert!(!p.schedule(ResetCause::PingTimeout), "one is pending");
        assert!(p.take().is_some_and(|(_, c)| c == ResetCause::Requested));
        assert!(p.is_set(), "still set while it runs");
        assert!(!p.schedule(ResetCause::Requested), "dropped while it runs");
        p.finish();
        assert!(!p.is_set());
        assert!(p.take().is_none());
        assert!(p.schedule(ResetCause::Requested));
    }

    /// A worker taking requests as fast as they come never clears a request unseen: every scheduled reset is taken.
    #[test]
    fn a_request_racing_the_worker_is_never_lost() {
        let p = Arc::new(PendingReset::new());
        let stop = Arc::new(AtomicBool::new(false));
        let taken = Arc::new(AtomicU64::new(0));
        let worker = {
            let (p, stop, taken) = (p.clone(), stop.clone(), taken.clone());
            std::thread::spawn(move || loop {
                let stopping = stop.load(Ordering::Acquire);
                if p.is_set() {
                    if p.take().is_some() {
                        taken.fetch_add(1, Ordering::Relaxed);
                        p.finish();
                    }
                } else if stopping {
                    return;
                } else {
                    std::hint::spin_loop();
                }
            })
        };
        let mut scheduled = 0u64;
        for _ in 0..20_000 {
            if p.schedule(ResetCause::Requested) {
                scheduled += 1;
            }
        }
        stop.store(true, Ordering::Release);
        worker.join().unwrap();
        assert_eq!(taken.load(Ordering::Relaxed), scheduled);
        assert!(!p.is_set());
        assert!(p.take().is_none(), "no request left behind");
    }
}
