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
//! Tiler heaps grow on TILER_OOM by one chunk (`heap`). A firmware that stops answering, or an AS command that never
//! completes, schedules a GPU reset, which the worker runs at the start of its next round ([`reset`]). Not modelled
//! yet: protected mode.
//!
//! Here: the scheduler, its worker and round; [`csg`] the slot side (interrupts, bind and start, evict, terminate),
//! [`rotation`] the tick, [`reset`] hang detection and the GPU reset; [`group`], [`queue`], [`submit`], [`heap`] and
//! [`iface`] what they work on.

mod csg;
mod dump;
pub(crate) mod group;
pub(crate) mod heap;
pub(crate) mod iface;
pub(crate) mod queue;
mod reset;
mod rotation;
pub(crate) mod submit;
mod suspend;

use csg::{fail_group, terminate_off_slot};
pub use reset::{ResetCause, ResetRecord, ResetStats};

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kernel::error::code::{ECANCELED, EINVAL, ETIMEDOUT};
use kernel::error::Result;
use kernel::io::IoMem;
use kernel::page::Ram;

use crate::fw::global::GlobalIface;
use crate::fw::job_irq::JobIrq;
use crate::fw::Firmware;
use crate::regs::doorbell;
use crate::uapi::drm_panthor_csif_info;
use crate::vm::Vm;
use group::Group;
use iface::{csg_in, csg_out, Iface, GLB_DOORBELL};

/// Panthor's job timeout (`JOB_TIMEOUT_MS`).
pub(crate) const JOB_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a CSG request may stay unacknowledged before Panthor gives up on the firmware and resets the GPU.
pub(crate) const CSG_ACK_TIMEOUT: Duration = Duration::from_millis(100);
/// How long the reset's pre-reset waits for the SUSPENDs before it takes the firmware for dead: the modelled MCU is a
/// thread sharing the host's CPUs with everything else, so an ack that misses Panthor's 100 ms under load schedules a
/// reset (counted in [`Scheduler::late_acks`]) that a firmware which is only late then passes without loss (see
/// [`reset`]).
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
    /// The global interface's request side (the watchdog's PING).
    glb_iface: Arc<GlobalIface>,
    reset: reset::ResetCtl,
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
    /// Where busy and idle time are recorded (`panthor_devfreq_record_busy/idle`), once set.
    devfreq: std::sync::OnceLock<Arc<crate::devfreq::TyrDevfreq>>,
    /// The device's runtime PM and the reference the scheduler holds while groups are active ([`suspend`]).
    pm: suspend::PmLink,
}

impl Scheduler {
    /// The scheduler of the device whose MCU runs `fw`; its worker starts at once. [`Self::shutdown`] stops it.
    /// With `pm`, every round that touches the GPU holds a runtime-PM reference, and the scheduler holds one more
    /// while jobs are in flight ([`suspend`]).
    pub(crate) fn new(
        fw: &Firmware,
        io: &IoMem,
        ram: &Arc<Ram>,
        pm: Option<crate::pm::GpuRpm>,
    ) -> Result<Arc<Scheduler>> {
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
            glb_iface: fw.glb().clone(),
            reset: reset::ResetCtl::new(),
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
            devfreq: std::sync::OnceLock::new(),
            pm: suspend::PmLink::new(pm),
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

    /// Records busy and idle time in `devfreq` from now on.
    pub(crate) fn set_devfreq(&self, devfreq: Arc<crate::devfreq::TyrDevfreq>) {
        let _ = self.devfreq.set(devfreq);
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
        // `csgs_upd_ctx_apply_locked` timing out: the firmware is taken for hung.
        self.late_acks.fetch_add(1, Ordering::Relaxed);
        self.schedule_reset(ResetCause::CsgTimeout(s as u32));
        Err(ETIMEDOUT)
    }

    /// CSG and GLB requests not acknowledged within Panthor's 100 ms (each scheduled a reset).
    pub(crate) fn late_acks(&self) -> u64 {
        self.late_acks.load(Ordering::Relaxed)
    }

    /// One round of the worker (see the module documentation). Without `hw` (the device is not runtime-active and
    /// nothing needs it) only what needs no GPU is done: jobs go to the rings of groups off slots and dead groups
    /// off slots are terminated. Returns whether the round did anything.
    fn run_once(&self, hw: bool) -> bool {
        let mut inner = self.inner();
        let hw = hw && !self.is_suspended();
        // A scheduled reset runs on the worker, with the GPU powered (one pending while the device sleeps waits for
        // its resume, which boots the firmware afresh anyway).
        let reset = hw && self.reset_pending();
        if reset {
            self.reset_locked(&mut inner);
        }
        let bits = if hw { self.irq.take_csg_events() } else { 0 };
        let mut did = reset || bits != 0;
        for s in 0..inner.slots.len() {
            if !hw {
                break;
            }
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
            if !dead || g.state().terminated || (slot.is_some() && !hw) {
                continue;
            }
            did = true;
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
                did = true;
                if let Some(s) = g.state().slot.filter(|_| hw) {
                    self.ring_doorbell(s as usize + 1);
                    // `queue_run_job` on a group with a slot: the GPU is busy now, whatever the next tick says.
                    if let Some(d) = self.devfreq.get() {
                        d.record_busy();
                    }
                }
            }
        }
        if hw {
            let resident = inner.slots.iter().flatten().count();
            self.tick(&mut inner);
            did |= inner.slots.iter().flatten().count() != resident;
            // `tick_work`: idle when every resident group is idle, busy otherwise.
            if let Some(d) = self.devfreq.get() {
                let busy = inner
                    .slots
                    .iter()
                    .flatten()
                    .any(|(g, _)| g.queues.iter().any(|q| q.has_in_flight()));
                if busy {
                    d.record_busy();
                } else {
                    d.record_idle();
                }
            }
        }
        drop(inner);
        if reset && self.is_unplugged() {
            self.unplug_after_failed_reset();
            return did;
        }
        if hw {
            self.watchdog();
        }
        did
    }
}

fn worker(sched: Weak<Scheduler>) {
    loop {
        let Some(s) = sched.upgrade() else { return };
        if s.stop.load(Ordering::Acquire) {
            return;
        }
        // A device given up after a failed reset is never powered for a round again.
        let hw = !s.is_unplugged() && s.pm_get();
        let did = s.run_once(hw);
        if hw {
            s.pm_put(did);
        } else if s.needs_gpu() && !s.is_suspended() && !s.is_unplugged() {
            // Work that needs the GPU appeared in a round without it: go again at once, resuming it.
            continue;
        }
        let busy = s.inner().groups.iter().any(|g| g.busy());
        let wait = if busy { TICK } else { IDLE_POLL };
        let mut kicked = s.kicked.lock();
        if !*kicked {
            kicked = kicked.wait_timeout(&s.wake, wait).0;
        }
        *kicked = false;
    }
}
