// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The scheduler (`panthor_sched.c`): groups on CSG slots, jobs on queue rings, completion from the queues' sync
//! objects, faults and timeouts (`Documentation/hardware.md#csg-and-cs-interfaces`).
//!
//! One worker thread owns every slot. Ioctls only build jobs (fences, dependencies, reservations) and kick it; the
//! JOB interrupt kicks it too. Each round the worker:
//!
//! 1. handles the CSG interrupts of resident groups (`Documentation/hardware.md#doorbells-and-the-job-irq`), and those
//!    of every resident group whose VM has an unhandled GPU fault: acknowledges SYNC_UPDATE / IDLE / PROGRESS_TIMER and
//!    the CS events (a CS FAULT or FATAL first has the MMU handle any fault it has raised, so that the VM is flagged
//!    before a job signals; FATAL marks the queue fatal; FAULT and TILER_OOM are acknowledged and the CS resumed),
//!    makes every queue of a group on a faulted VM fatal if none is yet (`tick_ctx_init`), signals every job whose
//!    seqno the queue's sync object has reached, and ends with a GLB doorbell;
//! 2. marks the groups with a queue whose job timer ran out (timed out; the timer only runs while the group is on a
//!    slot and starts over at every completion), and terminates those that can no longer run: CSG TERMINATE, CS
//!    STOP, sync objects set failed, remaining fences failed;
//! 3. writes to the rings the jobs whose dependencies have signalled, while there is room (`queue_run_job`; an
//!    empty job writes nothing and follows the last job written), and rings the doorbell of resident groups;
//! 4. ticks: runnable groups take free slots in priority order, and an address space for their VM; when no slot
//!    (or no AS) is free, an idle resident group is suspended for them, a busy one of lower priority is, and a busy
//!    one of the same priority that has had its slot for a full tick slice is rotated out (SUSPEND, later RESUME).
//!    A group whose VM finds no AS waits for a later round.
//!
//! A GPU fault does not make the VM unusable (`panthor_vm_is_unusable` reflects failed binds only): the groups
//! resident on it turn fatal, and the VM's next activation clears the fault, so new groups on it run.
//!
//! Tiler heaps grow on TILER_OOM by one chunk (`heap`). Not modelled yet: protected mode, GPU reset.

pub(crate) mod group;
pub(crate) mod heap;
pub(crate) mod iface;
pub(crate) mod queue;
pub(crate) mod submit;

use kernel::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kernel::error::code::{ECANCELED, EINVAL, ETIMEDOUT};
use kernel::error::{Error, Result};
use kernel::io::IoMem;
use kernel::page::Ram;

use crate::fw::job_irq::JobIrq;
use crate::fw::Firmware;
use crate::regs::doorbell;
use crate::uapi::drm_panthor_csif_info;
use crate::vm::Vm;
use group::Group;
use iface::{cs_in, cs_out, cs_req, csg_in, csg_out, csg_req, Iface, GLB_DOORBELL};

/// Panthor's job timeout (`JOB_TIMEOUT_MS`).
pub(crate) const JOB_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a CSG request may stay unacknowledged before Panthor gives up on the firmware (and resets the GPU).
pub(crate) const CSG_ACK_TIMEOUT: Duration = Duration::from_millis(100);
/// How long Tyr waits in all: the modelled MCU is a thread sharing the host's CPUs with everything else, so an ack
/// that misses Panthor's 100 ms under load is waited for (and counted in [`Scheduler::late_acks`]) rather than taken
/// for a dead firmware. There is no GPU reset to fall back on yet.
pub(crate) const CSG_ACK_GRACE: Duration = Duration::from_secs(2);
/// The tick slice a busy group keeps its slot before it may be rotated out.
pub(crate) const TICK: Duration = Duration::from_millis(10);
/// How long the worker sleeps with nothing to do before looking again.
const IDLE_POLL: Duration = Duration::from_millis(50);

/// One CSG slot's interfaces.
struct SlotIface {
    csg: Iface,
    cs: Vec<Iface>,
}

struct Inner {
    /// Resident group of each slot, and since when.
    slots: Vec<Option<(Arc<Group>, Instant)>>,
    /// Every live group, in creation order.
    groups: Vec<Arc<Group>>,
    job_timeout: Duration,
}

/// The device's scheduler.
pub(crate) struct Scheduler {
    io: IoMem,
    ram: Arc<Ram>,
    mcu_vm: Arc<Vm>,
    irq: Arc<JobIrq>,
    glb: Iface,
    slots: Vec<SlotIface>,
    csif: drm_panthor_csif_info,
    suspend_size: u32,
    protm_suspend_size: u32,
    inner: Mutex<Inner>,
    kicked: Mutex<bool>,
    wake: Condvar,
    stop: AtomicBool,
    worker: Mutex<Option<JoinHandle<()>>>,
    late_acks: AtomicU64,
}

impl Scheduler {
    /// The scheduler of the device whose MCU runs `fw`; its worker starts at once. [`Self::shutdown`] stops it.
    pub(crate) fn new(fw: &Firmware, io: &IoMem, ram: &Arc<Ram>) -> Result<Arc<Scheduler>> {
        let ifaces = fw.interfaces();
        let mem = fw.shared().clone();
        let csif = fw.csif_info();
        let mut slots = Vec::new();
        for csg in ifaces.csgs.iter().take(csif.csg_slot_count as usize) {
            let cs = csg
                .streams
                .iter()
                .map(|s| Iface::new(mem.clone(), s.pages))
                .collect();
            kernel::alloc::try_push(
                &mut slots,
                SlotIface {
                    csg: Iface::new(mem.clone(), csg.pages),
                    cs,
                },
            )?;
        }
        let first = ifaces.csgs.first().ok_or(EINVAL)?;
        let sched = kernel::alloc::try_arc(Scheduler {
            io: io.clone(),
            ram: ram.clone(),
            mcu_vm: fw.vm().clone(),
            irq: fw.job_irq().clone(),
            glb: Iface::new(mem, ifaces.glb.pages),
            csif,
            suspend_size: first.suspend_size,
            protm_suspend_size: first.protm_suspend_size,
            inner: Mutex::new(Inner {
                slots: (0..slots.len()).map(|_| None).collect(),
                groups: Vec::new(),
                job_timeout: JOB_TIMEOUT,
            }),
            slots,
            kicked: Mutex::new(false),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            worker: Mutex::new(None),
            late_acks: AtomicU64::new(0),
        })?;
        let weak = Arc::downgrade(&sched);
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(s) = weak.upgrade() {
                s.kick();
            }
        });
        sched.irq.set_csg_notify(Some(notify.clone()));
        // A handled MMU fault forces a round at once (`panthor_sched_report_mmu_fault`).
        sched.mcu_vm.set_fault_notify(Some(notify));
        let weak = Arc::downgrade(&sched);
        let handle = std::thread::Builder::new()
            .name("tyr-sched".into())
            .spawn(move || worker(weak))
            .map_err(|_| kernel::error::code::ENOMEM)?;
        *sched.worker.lock() = Some(handle);
        Ok(sched)
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    /// Wakes the worker (new work, an interrupt, a dependency signalled). Allocates nothing.
    pub(crate) fn kick(&self) {
        *self.kicked.lock() = true;
        self.wake.notify_all();
    }

    /// What GROUP_CREATE needs from the device.
    pub(crate) fn csif(&self) -> &drm_panthor_csif_info {
        &self.csif
    }

    /// The firmware's per-group suspend buffer sizes (normal, protected).
    pub(crate) fn suspend_sizes(&self) -> (u32, u32) {
        (self.suspend_size, self.protm_suspend_size)
    }

    /// RAM and the MCU VM, where group buffers are allocated.
    pub(crate) fn mcu_vm(&self) -> &Arc<Vm> {
        &self.mcu_vm
    }

    /// System RAM.
    pub(crate) fn ram(&self) -> &Arc<Ram> {
        &self.ram
    }

    /// Sets how long a job may run (Panthor: 5 s); for tests of the timeout path.
    pub(crate) fn set_job_timeout(&self, t: Duration) {
        self.inner().job_timeout = t;
    }

    /// Starts tracking a new group (GROUP_CREATE).
    pub(crate) fn add_group(&self, g: &Arc<Group>) -> Result {
        let mut inner = self.inner();
        kernel::alloc::try_push(&mut inner.groups, g.clone())?;
        Ok(())
    }

    /// GROUP_DESTROY (or file close): the group stops taking jobs; the worker terminates it.
    pub(crate) fn destroy_group(&self, g: &Arc<Group>) {
        g.state().destroyed = true;
        self.kick();
    }

    /// Waits (up to `timeout`) until every destroyed group has been terminated and its buffers released — the
    /// asynchronous part of GROUP_DESTROY and file close. For tools and tests that compare state between calls;
    /// `false` on timeout.
    pub(crate) fn settle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.inner().groups.iter().any(|g| g.state().destroyed) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.kick();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Stops the worker and terminates every resident group (device teardown).
    pub(crate) fn shutdown(&self) {
        self.stop.store(true, Ordering::Release);
        self.kick();
        if let Some(h) = self.worker.lock().take() {
            let _ = h.join();
        }
        self.irq.set_csg_notify(None);
        self.mcu_vm.set_fault_notify(None);
        let mut inner = self.inner();
        for s in 0..inner.slots.len() {
            if inner.slots[s].is_some() {
                let _ = self.evict(&mut inner, s, true);
            }
        }
        for g in core::mem::take(&mut inner.groups) {
            fail_group(&g, ECANCELED);
        }
    }

    fn ring_doorbell(&self, i: usize) {
        let _ = self.io.write32(doorbell::offset(i), 1);
    }

    /// Toggles slot `s`'s GLB doorbell bit and rings doorbell 0.
    fn glb_doorbell(&self, s: usize) -> Result {
        self.glb.toggle(GLB_DOORBELL, GLB_DOORBELL, 1 << s)?;
        self.ring_doorbell(doorbell::GLB);
        Ok(())
    }

    fn wait_csg_acks(&self, s: usize, mask: u32) -> Result {
        let csg = &self.slots[s].csg;
        let acked = || csg.acked(csg_in::REQ, csg_out::ACK, mask).unwrap_or(false);
        if self.irq.wait_until(CSG_ACK_TIMEOUT, acked) {
            return Ok(());
        }
        self.late_acks.fetch_add(1, Ordering::Relaxed);
        if self.irq.wait_until(CSG_ACK_GRACE - CSG_ACK_TIMEOUT, acked) {
            Ok(())
        } else {
            Err(ETIMEDOUT)
        }
    }

    /// CSG requests acknowledged only after Panthor's 100 ms.
    pub(crate) fn late_acks(&self) -> u64 {
        self.late_acks.load(Ordering::Relaxed)
    }

    /// One round of the worker (see the module documentation).
    fn run_once(&self) {
        let mut inner = self.inner();
        let bits = self.irq.take_csg_events();
        for s in 0..inner.slots.len() {
            // A resident group whose VM has an unhandled fault has its interrupts processed whatever the events
            // (`tick_ctx_init`): that is where it turns fatal.
            let faulted = inner.slots[s]
                .as_ref()
                .is_some_and(|(g, _)| g.vm.has_unhandled_faults());
            if bits & (1 << s) != 0 || faulted {
                self.process_csg_irq(&mut inner, s);
            }
        }
        let now = Instant::now();
        for g in inner.groups.clone() {
            let mut st = g.state();
            if st.terminated {
                continue;
            }
            if g.queues.iter().any(|q| q.timed_out(now)) {
                st.timed_out = true;
            }
        }
        // Terminate what can no longer run.
        for g in inner.groups.clone() {
            let (dead, slot) = {
                let st = g.state();
                (
                    st.destroyed || st.timed_out || st.fatal_queues != 0,
                    st.slot,
                )
            };
            if !dead || g.state().terminated {
                continue;
            }
            match slot {
                Some(s) => {
                    let _ = self.evict(&mut inner, s as usize, true);
                }
                None => terminate_off_slot(&g),
            }
        }
        inner
            .groups
            .retain(|g| !(g.state().destroyed && g.state().terminated));
        // Jobs whose dependencies are done go to the rings.
        let timeout = inner.job_timeout;
        for g in inner.groups.clone() {
            if !g.can_run() {
                continue;
            }
            let mut ran = 0;
            let resident = g.state().slot.is_some();
            for (i, q) in g.queues.iter().enumerate() {
                ran += q.run_ready(g.sync_va(i), timeout, resident).unwrap_or(0);
            }
            if ran > 0 {
                if let Some(s) = g.state().slot {
                    self.ring_doorbell(s as usize + 1);
                }
            }
        }
        self.tick(&mut inner);
    }

    /// `process_csg_irq` for slot `s`.
    fn process_csg_irq(&self, inner: &mut Inner, s: usize) {
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
        let events = csg
            .ack_events(csg_in::REQ, csg_out::ACK, csg_req::EVT_MASK)
            .unwrap_or(0);
        tracing::debug!(target: "tyr::sched", slot = s, events, cs_irqs = cs_req_bits ^ cs_ack_bits, "csg irq");
        let mut resume = 0u32;
        for (j, cs) in slot.cs.iter().enumerate().take(g.queues.len()) {
            if (cs_req_bits ^ cs_ack_bits) & (1 << j) == 0 {
                continue;
            }
            let ev = cs
                .ack_events(cs_in::REQ, cs_out::ACK, cs_req::EVT_MASK)
                .unwrap_or(0);
            if ev & (cs_req::FATAL | cs_req::FAULT) != 0 {
                // A stream fault may come from a page fault the MMU interrupt thread has not handled yet: handle it
                // now, so that the VM's fault is flagged (and the AS disabled) before any job below signals,
                // whichever interrupt thread runs first.
                g.vm.sync_faults();
            }
            if ev & cs_req::FATAL != 0 {
                g.state().fatal_queues |= 1 << j;
            }
            if ev & cs_req::TILER_OOM != 0 {
                match grow_heap(&g, cs) {
                    Ok(chunk) => {
                        let _ = cs.set_input64(cs_in::HEAP_START, chunk);
                        let _ = cs.set_input64(cs_in::HEAP_END, chunk);
                    }
                    // A heap the firmware names that does not exist: the queue cannot go on.
                    Err(_) => g.state().fatal_queues |= 1 << j,
                }
            }
            if ev & (cs_req::FAULT | cs_req::TILER_OOM) != 0 {
                resume |= 1 << j;
            }
        }
        if events & csg_req::PROGRESS_TIMER_EVENT != 0 {
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
    fn bind_and_start(&self, inner: &mut Inner, s: usize, g: &Arc<Group>, prio: u32) -> Result {
        let _span =
            tracing::debug_span!(target: "tyr::sched", "csg_start", slot = s, vm = g.vm.id(), prio)
                .entered();
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
                cs.set_input(cs_in::CONFIG, u32::from(q.priority) | ((s as u32 + 1) << 8))?;
                cs.set_input(cs_in::ACK_IRQ_MASK, 0xffff_ffff)?;
                let start = cs_req::STATE_START
                    | cs_req::EXTRACT_EVENT
                    | cs_req::IDLE_SYNC_WAIT
                    | cs_req::IDLE_EMPTY;
                let mask = cs_req::STATE_MASK
                    | cs_req::EXTRACT_EVENT
                    | cs_req::IDLE_SYNC_WAIT
                    | cs_req::IDLE_EMPTY;
                cs.update(cs_in::REQ, start, mask)?;
            }
            let csg = &slot.csg;
            csg.set_input64(csg_in::ALLOW_COMPUTE, g.compute_core_mask)?;
            csg.set_input64(csg_in::ALLOW_FRAGMENT, g.fragment_core_mask)?;
            csg.set_input(csg_in::ALLOW_OTHER, g.tiler_core_mask as u32)?;
            let ep = u32::from(g.max_compute_cores)
                | u32::from(g.max_fragment_cores) << 8
                | u32::from(g.max_tiler_cores) << 16
                | prio << 28;
            csg.set_input(csg_in::ENDPOINT_REQ, ep)?;
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
            csg.update(csg_in::REQ, state, csg_req::STATE_MASK)?;
            csg.toggle(csg_in::REQ, csg_out::ACK, csg_req::ENDPOINT_CONFIG)?;
            self.glb_doorbell(s)?;
            self.wait_csg_acks(s, csg_req::STATE_MASK | csg_req::ENDPOINT_CONFIG)
        })();
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
                Ok(())
            }
            Err(e) => {
                // The firmware did not take the group: it cannot run (Panthor would reset the GPU).
                g.vm.idle();
                g.state().timed_out = true;
                Err(e)
            }
        }
    }

    /// Takes the group off slot `s`: SUSPEND (it will RESUME later) or TERMINATE (for good; its fences fail).
    fn evict(&self, inner: &mut Inner, s: usize, terminate: bool) -> Result {
        let Some((g, _)) = inner.slots[s].clone() else {
            return Ok(());
        };
        let _span =
            tracing::debug_span!(target: "tyr::sched", "csg_evict", slot = s, terminate).entered();
        let slot = &self.slots[s];
        let state = if terminate {
            csg_req::STATE_TERMINATE
        } else {
            csg_req::STATE_SUSPEND
        };
        let res = slot
            .csg
            .update(csg_in::REQ, state, csg_req::STATE_MASK)
            .and_then(|()| self.glb_doorbell(s))
            .and_then(|()| self.wait_csg_acks(s, csg_req::STATE_MASK));
        // Whatever the firmware reported last still counts.
        self.process_csg_irq(inner, s);
        for cs in slot.cs.iter().take(g.queues.len()) {
            let _ = cs.update(cs_in::REQ, cs_req::STATE_STOP, cs_req::STATE_MASK);
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

    /// Gives free slots to runnable groups, highest priority first (`tick_work`). A group whose VM has no resident
    /// group needs an address space as well: when the MMU has none to give (every user AS held by a VM with a
    /// resident group), a resident group alone on its VM is evicted for it, which idles that VM and frees its AS
    /// (`panthor_vm_idle`, the AS LRU); with no such victim the group waits for a later round, as Panthor's tick
    /// skips groups whose VM does not fit. When slots run short, an idle resident group gives its slot up first,
    /// then a busy one of lower priority, then a busy one of the same priority that has had its slot for a full
    /// tick slice (rotation).
    fn tick(&self, inner: &mut Inner) {
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
    fn victim(inner: &Inner, g: &Group, now: Instant, alone_on_vm: bool) -> Option<usize> {
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

/// The tiler-OOM worker (`group_process_tiler_oom`): grows the heap the firmware names by one chunk, or answers
/// with no chunk (0) when the heap is busy, full, or memory ran out, so that the firmware falls back (waits for
/// fragments or runs the exception handler). `EINVAL` for a heap context that is not one of the VM's.
fn grow_heap(g: &Group, cs: &Iface) -> Result<u64> {
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

/// A terminated group's queues: sync objects marked failed at their last seqno, jobs failed.
fn terminate_off_slot(g: &Arc<Group>) {
    let err: Error = {
        let mut st = g.state();
        st.terminated = true;
        if st.fatal_queues != 0 {
            EINVAL
        } else if st.timed_out {
            ETIMEDOUT
        } else {
            ECANCELED
        }
    };
    for (i, q) in g.queues.iter().enumerate() {
        let _ = g.syncobjs.write_u64(16 * i as u64, q.last_written_seqno());
        let _ = g.syncobjs.write_u32(16 * i as u64 + 8, !0);
    }
    fail_group(g, err);
}

fn fail_group(g: &Arc<Group>, err: Error) {
    for q in &g.queues {
        q.fail_all(err);
    }
}

fn worker(sched: Weak<Scheduler>) {
    loop {
        let Some(s) = sched.upgrade() else { return };
        if s.stop.load(Ordering::Acquire) {
            return;
        }
        s.run_once();
        let busy = s.inner().groups.iter().any(|g| g.busy());
        let wait = if busy { TICK } else { IDLE_POLL };
        let mut kicked = s.kicked.lock();
        if !*kicked {
            kicked = s
                .wake
                .wait_timeout(kicked, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *kicked = false;
    }
}
