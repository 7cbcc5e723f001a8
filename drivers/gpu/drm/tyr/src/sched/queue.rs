// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A group's queue (`struct panthor_queue`): its ring buffer in the group's VM, its user-I/O pages in the MCU VM, its
//! fence contexts, and its jobs — waiting for dependencies or ring space, then in flight until the queue's sync object
//! in GPU memory reaches their sequence number (`Documentation/hardware.md#csg-and-cs-interfaces`).
//!
//! Jobs leave the pending list in submission order, each once all its dependencies have signalled (as drm_sched
//! runs a job); a dependency's error does not stop the job (drm_sched does not propagate it). An empty job (stream
//! size 0) writes nothing to the ring: like `queue_run_job`, it takes the fate of the last job written before it —
//! it completes with that job, or at once (with that job's error, if any) when that job is already done.

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kernel::dma_fence::DmaFence;
use kernel::error::code::{ECANCELED, EINVAL};
use kernel::error::{Error, Result};
use kernel::page::Ram;

use crate::gem::Offsets;
use crate::kbo::KernelBo;
use crate::uapi::map_flags;
use crate::vm::Vm;

/// Bytes one job takes in the ring: Panthor's preamble of 11 instructions, NOP-padded to 16
/// (`Documentation/hardware.md#panthors-ring-preamble`).
pub(crate) const JOB_RING_BYTES: u64 = 128;
/// User-I/O input page: `insert` (u64).
const IO_INSERT: u64 = 0x0;
/// User-I/O input page: `extract` (u64).
const IO_EXTRACT_IN: u64 = 0x8;
/// User-I/O output page (4 KiB further): `extract` (u64, MCU-written).
const IO_EXTRACT_OUT: u64 = 0x1000;
/// Size of a queue's user-I/O BO: input page and output page.
const IO_SIZE: u64 = 0x2000;

/// One submitted job (`struct panthor_job`).
pub(crate) struct Job {
    /// Its sequence number in the queue's fence context.
    pub(crate) seqno: u64,
    /// Signalled when the queue's sync object reaches `seqno`.
    pub(crate) fence: DmaFence,
    /// GPU VA and size of the user's command stream (both 0 for a sync-only job).
    pub(crate) stream_addr: u64,
    /// Bytes of the user's stream.
    pub(crate) stream_size: u32,
    /// The flush id the stream was built against (0: always flush).
    pub(crate) latest_flush: u32,
    /// Fences to wait for before the job goes to the ring.
    pub(crate) deps: Vec<DmaFence>,
    /// Ring position after the job, once written.
    ring_end: u64,
}

impl Job {
    /// A job (not yet written to any ring).
    pub(crate) fn new(
        seqno: u64,
        fence: DmaFence,
        stream_addr: u64,
        stream_size: u32,
        latest_flush: u32,
    ) -> Job {
        Job {
            seqno,
            fence,
            stream_addr,
            stream_size,
            latest_flush,
            deps: Vec::new(),
            ring_end: 0,
        }
    }

    /// Whether every dependency has signalled.
    fn deps_done(&self) -> bool {
        self.deps.iter().all(DmaFence::is_signaled)
    }

    /// An empty job (stream size 0): nothing goes to the ring.
    fn is_empty(&self) -> bool {
        self.stream_size == 0
    }
}

/// The queue's job timer (`queue->timeout`): it runs while the queue has jobs in flight and its group is on a CSG
/// slot, keeps what is left while the group is off-slot, and starts over whenever a job completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// Nothing in flight.
    Stopped,
    /// Fires at this instant.
    Running(Instant),
    /// The group is off-slot: this much is left.
    Suspended(Duration),
}

impl Timer {
    /// A job went to the ring: a stopped timer starts with `timeout`, running now if the group is `resident`.
    fn job_written(self, now: Instant, timeout: Duration, resident: bool) -> Timer {
        match self {
            Timer::Stopped if resident => Timer::Running(now + timeout),
            Timer::Stopped => Timer::Suspended(timeout),
            t => t,
        }
    }

    /// Jobs completed: the full `timeout` again while others are in flight (`more`), else stopped.
    fn progress(self, now: Instant, timeout: Duration, more: bool) -> Timer {
        match self {
            _ if !more => Timer::Stopped,
            Timer::Suspended(_) => Timer::Suspended(timeout),
            _ => Timer::Running(now + timeout),
        }
    }

    /// The group left its slot.
    fn suspend(self, now: Instant) -> Timer {
        match self {
            Timer::Running(d) => Timer::Suspended(d.saturating_duration_since(now)),
            t => t,
        }
    }

    /// The group is on a slot again (`in_flight`: jobs are in flight).
    fn resume(self, now: Instant, in_flight: bool) -> Timer {
        match self {
            Timer::Suspended(_) if !in_flight => Timer::Stopped,
            Timer::Suspended(left) => Timer::Running(now + left),
            t => t,
        }
    }

    /// Whether it ran out.
    fn expired(self, now: Instant) -> bool {
        matches!(self, Timer::Running(d) if now >= d)
    }
}

struct State {
    /// Jobs waiting for their dependencies or for ring space, in submission order.
    pending: VecDeque<Job>,
    /// Jobs written to the ring and not yet completed, in order.
    in_flight: VecDeque<Job>,
    /// The fence of the last job written to the ring (`queue->fence_ctx.last_fence`), which an empty job follows.
    last_run: Option<DmaFence>,
    /// The next seqno to give out.
    next_seqno: u64,
    /// The next seqno of an empty job's fence, in [`Queue::empty_fence_ctx`].
    next_empty_seqno: u64,
    timer: Timer,
    /// The job timeout the timer was last started with.
    timeout: Duration,
    /// The group was terminated: jobs pushed now fail at once.
    closed: bool,
}

/// One queue of a group.
pub(crate) struct Queue {
    /// Its index in the group.
    pub(crate) index: u32,
    /// Its priority (0–15, CS `config` 3:0).
    pub(crate) priority: u8,
    /// The ring buffer, in the group's VM (NOEXEC | UNCACHED).
    pub(crate) ring: KernelBo,
    /// The user-I/O pages, in the MCU VM.
    pub(crate) io: KernelBo,
    /// The queue's fence context.
    pub(crate) fence_ctx: u64,
    /// The fence context of its empty jobs, which take no seqno of the GPU's sync object.
    pub(crate) empty_fence_ctx: u64,
    state: Mutex<State>,
}

impl Queue {
    /// Allocates queue `index` of a group on `vm`: a `ring_size`-byte ring there and the user-I/O pages in `mcu_vm`.
    pub(crate) fn new(
        offsets: Option<&Offsets>,
        ram: &Arc<Ram>,
        vm: &Arc<Vm>,
        mcu_vm: &Arc<Vm>,
        index: u32,
        priority: u8,
        ring_size: u32,
    ) -> Result<Queue> {
        let flags = map_flags::NOEXEC | map_flags::UNCACHED;
        let ring = KernelBo::new(
            offsets,
            ram,
            vm,
            u64::from(ring_size),
            flags,
            u64::from(ring_size),
            None,
        )?;
        let io = KernelBo::new(offsets, ram, mcu_vm, IO_SIZE, flags, 0x1000, None)?;
        Ok(Queue {
            index,
            priority,
            ring,
            io,
            fence_ctx: DmaFence::context_alloc(),
            empty_fence_ctx: DmaFence::context_alloc(),
            state: Mutex::new(State {
                pending: VecDeque::new(),
                in_flight: VecDeque::new(),
                last_run: None,
                next_seqno: 1,
                next_empty_seqno: 1,
                timer: Timer::Stopped,
                timeout: Duration::ZERO,
                closed: false,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// A new job's fence with the queue's next seqno (in the ioctl, before the point of no return; seqnos given
    /// out by a failed ioctl are skipped, which fence ordering allows).
    pub(crate) fn new_fence(&self) -> Result<(u64, DmaFence)> {
        let mut st = self.state();
        let seqno = st.next_seqno;
        let fence = DmaFence::new(self.fence_ctx, seqno)?;
        st.next_seqno += 1;
        Ok((seqno, fence))
    }

    /// The fence of a new empty job (in the ioctl, before the point of no return). Empty jobs leave the queue in
    /// order, so their fences signal in seqno order.
    pub(crate) fn new_empty_fence(&self) -> Result<DmaFence> {
        let mut st = self.state();
        let fence = DmaFence::new(self.empty_fence_ctx, st.next_empty_seqno)?;
        st.next_empty_seqno += 1;
        Ok(fence)
    }

    /// Room for `n` more pending jobs, so that [`Self::push`] cannot fail.
    pub(crate) fn reserve(&self, n: usize) -> Result {
        self.state()
            .pending
            .try_reserve(n)
            .map_err(|_| kernel::error::code::ENOMEM)
    }

    /// Queues `job` (after the point of no return; room was reserved). On a queue whose group was terminated in the
    /// meantime (GROUP_SUBMIT checked the group before the worker terminated it) the job fails at once with
    /// `ECANCELED`, as `queue_run_job` fails a job of a group that can no longer run: nothing runs that queue any
    /// more, so queued it would never signal.
    pub(crate) fn push(&self, job: Job) {
        let mut st = self.state();
        if st.closed {
            drop(st);
            let _ = job.fence.signal_error(ECANCELED);
            return;
        }
        st.pending.push_back(job);
    }

    /// Whether jobs are waiting or in flight.
    pub(crate) fn busy(&self) -> bool {
        let st = self.state();
        !st.pending.is_empty() || !st.in_flight.is_empty()
    }

    /// Whether jobs are in flight.
    pub(crate) fn has_in_flight(&self) -> bool {
        !self.state().in_flight.is_empty()
    }

    /// Makes the CS resume where it stopped (`input.extract ← output.extract`), before a start or a submission.
    pub(crate) fn sync_extract(&self) -> Result {
        let extract = self.io.read_u64(IO_EXTRACT_OUT)?;
        self.io.write_u64(IO_EXTRACT_IN, extract)
    }

    /// MCU VA of the user-I/O input page.
    pub(crate) fn input_va(&self) -> u64 {
        self.io.va()
    }

    /// MCU VA of the user-I/O output page.
    pub(crate) fn output_va(&self) -> u64 {
        self.io.va() + IO_EXTRACT_OUT
    }

    /// `queue_run_job` for every pending job whose dependencies have signalled, in order, while the ring has room:
    /// writes the preamble, publishes `insert`. An empty job follows the last job written (see the module
    /// documentation). `sync_va` is the queue's sync object in the group's VM. A job written starts the queue's
    /// timer of `timeout` if none runs (`queue_resume_timeout`); off-slot (`resident` false) the timer waits for the
    /// group to be bound. Returns how many jobs went to the ring.
    pub(crate) fn run_ready(
        &self,
        sync_va: u64,
        timeout: Duration,
        resident: bool,
    ) -> Result<usize> {
        let mut st = self.state();
        st.timeout = timeout;
        let mut ran = 0;
        while let Some(job) = st.pending.front() {
            if !job.deps_done() {
                break;
            }
            if job.is_empty() {
                let mut job = st.pending.pop_front().ok_or(EINVAL)?;
                match st.in_flight.back() {
                    Some(last) => {
                        // Completes (or fails) with the job it follows.
                        job.seqno = last.seqno;
                        job.ring_end = last.ring_end;
                        st.in_flight.push_back(job);
                    }
                    None => {
                        let _ = match st.last_run.as_ref().and_then(DmaFence::error) {
                            Some(e) => job.fence.signal_error(e),
                            None => job.fence.signal(),
                        };
                    }
                }
                continue;
            }
            let insert = self.io.read_u64(IO_INSERT)?;
            let oldest = st
                .in_flight
                .front()
                .map_or(insert, |j| j.ring_end - JOB_RING_BYTES);
            if insert - oldest + JOB_RING_BYTES > self.ring.size() {
                break;
            }
            let words = preamble(job, sync_va);
            let mut bytes = [0u8; JOB_RING_BYTES as usize];
            for (i, w) in words.iter().enumerate() {
                bytes[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
            }
            let size = self.ring.size();
            let at = insert % size;
            let first = (size - at).min(JOB_RING_BYTES) as usize;
            self.ring.write(at, &bytes[..first])?;
            if first < bytes.len() {
                self.ring.write(0, &bytes[first..])?;
            }
            let mut job = st.pending.pop_front().ok_or(EINVAL)?;
            tracing::debug!(target: "tyr::sched", queue = self.index, seqno = job.seqno, ring = insert, "job to ring");
            job.ring_end = insert + JOB_RING_BYTES;
            st.timer = st.timer.job_written(Instant::now(), timeout, resident);
            self.sync_extract()?;
            self.io.write_u64(IO_INSERT, job.ring_end)?;
            st.last_run = Some(job.fence.clone());
            st.in_flight.push_back(job);
            ran += 1;
        }
        Ok(ran)
    }

    /// Signals the in-flight jobs the sync object (`seqno`, `status`) says are done; a non-zero status fails them.
    /// Progress starts the timer over (`queue_check_job_completion`); with nothing left in flight it stops. The whole
    /// path is a fence-signalling section: it neither allocates nor takes a resv or gpuva lock.
    pub(crate) fn complete(&self, seqno: u64, status: u32) {
        let _signalling = kernel::sync::dma_fence_begin_signalling();
        let mut st = self.state();
        let mut progress = false;
        while st.in_flight.front().is_some_and(|j| j.seqno <= seqno) {
            if let Some(job) = st.in_flight.pop_front() {
                tracing::debug!(target: "tyr::sched", queue = self.index, seqno = job.seqno, status, "job done");
                let _ = if status == 0 {
                    job.fence.signal()
                } else {
                    job.fence.signal_error(EINVAL)
                };
                progress = true;
            }
        }
        if progress {
            st.timer = st
                .timer
                .progress(Instant::now(), st.timeout, !st.in_flight.is_empty());
        }
    }

    /// One line for debugfs' scheduler dump: pending and in-flight jobs (with the first in-flight seqno and whether
    /// its dependencies are done), the job timer.
    pub(crate) fn describe(&self, now: Instant) -> String {
        let st = self.state();
        let timer = match st.timer {
            Timer::Stopped => "stopped".to_string(),
            Timer::Running(d) => format!("running {:?} left", d.saturating_duration_since(now)),
            Timer::Suspended(left) => format!("suspended {left:?} left"),
        };
        format!(
            "q{}: pending {} (first deps done: {:?}) in flight {} (seqnos {:?}..{:?}) timer {timer} insert {:#x} extract {:#x}",
            self.index,
            st.pending.len(),
            st.pending.front().map(Job::deps_done),
            st.in_flight.len(),
            st.in_flight.front().map(|j| j.seqno),
            st.in_flight.back().map(|j| j.seqno),
            self.io.read_u64(IO_INSERT).unwrap_or(!0),
            self.io.read_u64(IO_EXTRACT_OUT).unwrap_or(!0),
        )
    }

    /// Whether the queue's timer ran out.
    pub(crate) fn timed_out(&self, now: Instant) -> bool {
        self.state().timer.expired(now)
    }

    /// The group left its slot: the timer keeps what is left (`queue_suspend_timeout`).
    pub(crate) fn suspend_timeout(&self, now: Instant) {
        let mut st = self.state();
        st.timer = st.timer.suspend(now);
    }

    /// The group is on a slot again: the timer runs on from what was left (`queue_resume_timeout`).
    pub(crate) fn resume_timeout(&self, now: Instant) {
        let mut st = self.state();
        let in_flight = !st.in_flight.is_empty();
        st.timer = st.timer.resume(now, in_flight);
    }

    /// Fails every job, in flight or pending, with `err` (the group was terminated).
    pub(crate) fn fail_all(&self, err: Error) {
        // Taken out whole (nothing is allocated on the way: this runs in the signalling path) and failed in
        // submission order, in-flight jobs first.
        let (in_flight, pending) = {
            let mut guard = self.state();
            let st = &mut *guard;
            st.timer = Timer::Stopped;
            st.closed = true;
            (
                core::mem::take(&mut st.in_flight),
                core::mem::take(&mut st.pending),
            )
        };
        for j in in_flight.into_iter().chain(pending) {
            let _ = j.fence.signal_error(err);
        }
    }

    /// The seqno the last job written to the ring carries (what Panthor writes into the sync object when it
    /// terminates a group).
    pub(crate) fn last_written_seqno(&self) -> u64 {
        let st = self.state();
        st.in_flight.back().map_or(0, |j| j.seqno)
    }
}

/// Panthor's ring preamble for `job` (`prepare_job_instrs`, `Documentation/hardware.md#panthors-ring-preamble`, no
/// profiling): flush, call the user stream, wait for everything, add 1 to the queue's 64-bit sync object at `sync_va`,
/// error barrier, NOP padding.
pub(crate) fn preamble(job: &Job, sync_va: u64) -> [u64; 16] {
    const VA48: u64 = (1 << 48) - 1;
    let mut w = [0u64; 16];
    // MOVE32 r94 ← latest_flush.
    w[0] = 0x025E_0000_0000_0000 | u64::from(job.latest_flush);
    // FLUSH_CACHE2: L2 clean+invalidate, LSC clean+invalidate, other invalidate; flush id in r94; signal slot 0.
    w[1] = 0x2400_5E00_0000_0233;
    // MOVE48 d92 ← stream address; MOVE32 r94 ← stream size.
    w[2] = 0x015C_0000_0000_0000 | (job.stream_addr & VA48);
    w[3] = 0x025E_0000_0000_0000 | u64::from(job.stream_size);
    // WAIT for the flush (scoreboard entry 0).
    w[4] = 0x0300_0000_0001_0000;
    // CALL d92, r94.
    w[5] = 0x2000_5C5E_0000_0000;
    // MOVE48 d92 ← the queue's sync object; MOVE48 d94 ← 1.
    w[6] = 0x015C_0000_0000_0000 | (sync_va & VA48);
    w[7] = 0x015E_0000_0000_0001;
    // WAIT for every scoreboard entry.
    w[8] = 0x0300_0000_00FF_0000;
    // SYNC_ADD64 system scope with error propagation: [d92] += d94.
    w[9] = 0x3300_5C5E_0000_0001;
    // ERROR_BARRIER; the rest are NOPs.
    w[10] = 0x2F00_0000_0000_0000;
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_timer_runs_only_on_a_slot_and_starts_over_on_progress() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let to = ms(100);
        // Written off-slot: nothing runs until the group is bound, however long it waits.
        let t = Timer::Stopped.job_written(t0, to, false);
        assert_eq!(t, Timer::Suspended(to));
        assert!(!t.expired(t0 + ms(10_000)));
        let t = t.resume(t0 + ms(10_000), true);
        assert_eq!(t, Timer::Running(t0 + ms(10_100)));
        // Evicted after 60 ms on the slot: 40 ms left, kept off-slot, spent after the next bind.
        let t = t.suspend(t0 + ms(10_060));
        assert_eq!(t, Timer::Suspended(ms(40)));
        let t = t.resume(t0 + ms(20_000), true);
        assert!(!t.expired(t0 + ms(20_039)) && t.expired(t0 + ms(20_040)));
        // A completion with more in flight starts it over; the last one stops it.
        assert_eq!(
            t.progress(t0 + ms(20_030), to, true),
            Timer::Running(t0 + ms(20_130))
        );
        assert_eq!(t.progress(t0 + ms(20_030), to, false), Timer::Stopped);
        assert_eq!(
            Timer::Suspended(ms(5)).progress(t0, to, true),
            Timer::Suspended(to)
        );
        // Written on the slot while running: the timer keeps its deadline; a bind with nothing in flight stops it.
        assert_eq!(
            Timer::Running(t0).job_written(t0 + ms(50), to, true),
            Timer::Running(t0)
        );
        assert_eq!(
            Timer::Stopped.job_written(t0, to, true),
            Timer::Running(t0 + to)
        );
        assert_eq!(Timer::Suspended(ms(5)).resume(t0, false), Timer::Stopped);
    }

    #[test]
    fn a_job_pushed_after_its_group_was_terminated_fails_at_once_with_ecanceled() {
        use crate::vm::{NoMmu, VaLayout};
        let ram = Arc::new(hw_mem::Ram::new(hw_mem::RamConfig::rk3588(64 << 20)).unwrap());
        let vm = |id| {
            let layout = VaLayout::new(48, 0, (1 << 47) - 0x1000).unwrap();
            Vm::new(id, layout, &ram, Arc::new(NoMmu)).unwrap()
        };
        let (user, mcu) = (vm(1), vm(2));
        let q = Queue::new(None, &ram, &user, &mcu, 0, 0, 0x1000).unwrap();
        let job = |q: &Queue| {
            let (seqno, f) = q.new_fence().unwrap();
            (Job::new(seqno, f.clone(), 0x10_0000, 8, 0), f)
        };
        let (before, f1) = job(&q);
        q.reserve(2).unwrap();
        q.push(before);
        // The group is terminated (GROUP_SUBMIT had already checked it): what was queued fails with its error...
        q.fail_all(kernel::error::code::ETIMEDOUT);
        assert_eq!(f1.error(), Some(kernel::error::code::ETIMEDOUT));
        // ...and a job pushed afterwards, which nothing would ever run, fails at once.
        let (after, f2) = job(&q);
        q.push(after);
        assert!(f2.is_signaled());
        assert_eq!(f2.error(), Some(ECANCELED));
        assert!(!q.busy());
    }

    #[test]
    fn the_preamble_for_igts_job_matches_the_spec() {
        let f = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        let job = Job::new(1, f, 0x100_0000, 56, 0);
        let w = preamble(&job, 0x8000_0000_1000);
        assert_eq!(w[0], 0x025E_0000_0000_0000);
        assert_eq!(w[2], 0x015C_0000_0100_0000);
        assert_eq!(w[3], 0x025E_0000_0000_0038);
        assert_eq!(w[6], 0x015C_8000_0000_1000);
        assert_eq!(&w[11..], &[0; 5]);
    }
}
