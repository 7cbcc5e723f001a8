// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VM bind queue (Panthor's per-VM `drm_sched` entity for VM_BIND jobs): asynchronous binds run in submission
//! order on a worker thread, each once its dependencies have signalled; the job applies its prepared ops, which
//! cannot fail or allocate, and signals its fence.
//!
//! A job is built entirely in the ioctl (ops prepared, fence created, queue slot reserved), so that handing it over
//! and running it never allocates: the fence-signalling path of the immediate mode. From the point of no return
//! (its dependencies have signalled) to the signal of its fence the job runs inside a
//! [`kernel::sync::SignallingSection`], so an allocation or a resv lock taken there is caught; the vm_bos its
//! ops released are freed after the signal, outside the section ([`Vm::deferred_cleanup`], as Panthor's job cleanup
//! frees its op context after `drm_sched` signalled).

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Weak};
use std::time::Duration;

use kernel::dma_fence::DmaFence;
use kernel::error::code::{ECANCELED, ENOMEM};
use kernel::error::Result;

use super::{PreparedOp, Vm};

/// How long the worker waits on a dependency before looking at whether its queue was torn down.
const DEP_POLL: Duration = Duration::from_millis(50);

/// One VM_BIND job.
pub(crate) struct BindJob {
    vm: Arc<Vm>,
    ops: Vec<PreparedOp>,
    deps: Vec<DmaFence>,
    done: DmaFence,
}

impl BindJob {
    /// A job applying `ops` to `vm` once every fence in `deps` has signalled. Its fence is returned by
    /// [`Self::fence`].
    pub(crate) fn new(vm: &Arc<Vm>, ops: Vec<PreparedOp>, deps: Vec<DmaFence>) -> Result<BindJob> {
        let done = DmaFence::new(vm.bind_fence_context(), vm.next_bind_seqno())?;
        Ok(BindJob {
            vm: vm.clone(),
            ops,
            deps,
            done,
        })
    }

    /// The fence signalled when the job has run (with an error if it failed or was cancelled).
    pub(crate) fn fence(&self) -> &DmaFence {
        &self.done
    }

    /// Runs the job: waits for the dependencies (giving up with `ECANCELED` if `stopped` turns true first), applies
    /// the ops, signals the fence. A dependency signalled with an error, or an op failing, marks the VM unusable and
    /// signals the error (Panthor: a failed bind job makes the VM unusable).
    fn run(self, stopped: &dyn Fn() -> bool) {
        let BindJob {
            vm,
            ops,
            deps,
            done,
        } = self;
        let span = tracing::debug_span!(
            "bind_job",
            vm = vm.id(),
            ops = ops.len(),
            deps = deps.len(),
            seqno = done.seqno(),
            result = tracing::field::Empty
        );
        let _entered = span.enter();
        let mut res: Result = Ok(());
        for d in &deps {
            while d.wait_timeout(DEP_POLL).is_err() {
                if stopped() {
                    res = Err(ECANCELED);
                    break;
                }
            }
            if res.is_err() {
                break;
            }
            if let Some(e) = d.error() {
                res = Err(e);
                break;
            }
        }
        let signalling = kernel::sync::dma_fence_begin_signalling();
        match res {
            Ok(()) => {
                for op in ops {
                    if let Err(e) = vm.apply(op) {
                        res = Err(e);
                        break;
                    }
                }
            }
            Err(_) => {
                vm.mark_unusable();
                // Dropped here, so that the vm_bos they hold reach the deferred list before the cleanup below.
                drop(ops);
            }
        }
        if let Err(e) = res {
            span.record("result", e.to_errno());
        }
        let signalled = match res {
            Ok(()) => done.signal(),
            Err(e) => done.signal_error(e),
        };
        if signalled.is_err() {
            // Only this job signals its fence, once: a second signal would be a driver bug.
            tracing::error!(
                vm = vm.id(),
                seqno = done.seqno(),
                "bind job fence was already signalled"
            );
        }
        drop(signalling);
        // Out of the signalling path: the vm_bos the ops released are unlinked and freed (VM resv, gpuva locks).
        vm.deferred_cleanup();
    }
}

struct State {
    jobs: VecDeque<BindJob>,
    stopped: bool,
    worker: bool,
    /// Slots promised by [`BindQueue::reserve`] and not yet used: `jobs` has room for them on top of its length.
    reserved: usize,
    /// A job taken off `jobs` by the worker and not finished yet.
    running: bool,
}

/// The queue: jobs of one VM, in order.
pub(crate) struct BindQueue {
    state: Mutex<State>,
    cond: Condvar,
}

impl Default for BindQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl BindQueue {
    /// An empty queue; its worker starts with the first job.
    pub(crate) fn new() -> Self {
        BindQueue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                stopped: false,
                worker: false,
                reserved: 0,
                running: false,
            }),
            cond: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Queues `job` behind the earlier ones (the ioctl side: this may allocate and fail with `ENOMEM`, before the
    /// job's fence is published).
    #[cfg(test)]
    pub(crate) fn push(self: &Arc<Self>, job: BindJob) -> Result {
        self.reserve(1)?;
        self.push_reserved(job);
        Ok(())
    }

    /// Makes sure the next `n` [`Self::push_reserved`] calls cannot fail: room in the queue and a running worker
    /// (the ioctl side, before the point of no return). `ENOMEM` reserves nothing.
    pub(crate) fn reserve(self: &Arc<Self>, n: usize) -> Result {
        let mut st = self.state();
        let want = st.reserved.checked_add(n).ok_or(ENOMEM)?;
        if st.jobs.try_reserve(want).is_err() {
            return Err(ENOMEM);
        }
        if !st.worker {
            let me = Arc::downgrade(self);
            std::thread::Builder::new()
                .name("tyr-vm-bind".into())
                .spawn(move || worker(me))
                .map_err(|_| ENOMEM)?;
            st.worker = true;
        }
        st.reserved = want;
        Ok(())
    }

    /// Gives back `n` slots of [`Self::reserve`] that will not be used (the ioctl failed before submitting).
    pub(crate) fn unreserve(&self, n: usize) {
        let mut st = self.state();
        st.reserved = st.reserved.saturating_sub(n);
    }

    /// Queues `job` in a slot taken by [`Self::reserve`]: neither allocates nor fails.
    ///
    /// Without a reservation the job still queues, but the queue may have to grow.
    pub(crate) fn push_reserved(&self, job: BindJob) {
        let mut st = self.state();
        st.reserved = st.reserved.saturating_sub(1);
        st.jobs.push_back(job);
        self.cond.notify_all();
    }

    /// Jobs waiting or running.
    pub(crate) fn pending(&self) -> usize {
        let st = self.state();
        st.jobs.len() + usize::from(st.running)
    }

    /// Stops the queue: jobs still waiting on dependencies are cancelled (`ECANCELED`), later pushes are run at once
    /// by the same rule.
    pub(crate) fn stop(&self) {
        self.state().stopped = true;
        self.cond.notify_all();
    }
}

impl Drop for BindQueue {
    fn drop(&mut self) {
        // Jobs still queued when the last reference goes (the worker holds only a weak one): cancel them.
        let jobs: Vec<BindJob> = self.state().jobs.drain(..).collect();
        for job in jobs {
            job.run(&|| true);
        }
    }
}

fn worker(q: Weak<BindQueue>) {
    loop {
        let Some(queue) = q.upgrade() else { return };
        let job = {
            let mut st = queue.state();
            loop {
                if let Some(j) = st.jobs.pop_front() {
                    st.running = true;
                    break Some(j);
                }
                if st.stopped {
                    break None;
                }
                let (s, timeout) = st.wait_timeout(&queue.cond, DEP_POLL);
                st = s;
                // Without a job for a while, let the queue go if nobody else holds it.
                if timeout.timed_out() && st.jobs.is_empty() && Arc::strong_count(&queue) == 1 {
                    break None;
                }
            }
        };
        match job {
            Some(job) => {
                let stopped = || queue.state().stopped;
                job.run(&stopped);
                queue.state().running = false;
            }
            None => {
                queue.state().worker = false;
                return;
            }
        }
    }
}
