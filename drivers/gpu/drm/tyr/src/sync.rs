// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The syncobj side of a job-creating ioctl (`struct panthor_submit_ctx`): what asynchronous VM_BIND and
//! GROUP_SUBMIT share (`Documentation/uapi.md#asynchronous-vm_bind` and `#group_submit`).
//!
//! 1. [`SubmitSyncs::collect_signals`]: the signal ops of every job, in order, checked and looked up (unknown handle →
//!    `EINVAL`); one target per (handle, point), owned by the last job that signals it.
//! 2. [`SubmitSyncs::wait_fences`], job by job: each wait op resolved to a fence — the latest *earlier* job of the
//!    same ioctl that signals that point, or the syncobj's (unknown handle → `ENOENT`; no fence / point not yet
//!    submitted → `EINVAL`: there is no wait-for-submit).
//! 3. [`SubmitSyncs::add_timeline_points`] before the point of no return (all or nothing), then
//!    [`SubmitSyncs::publish_binary`] after it (cannot fail).

use std::sync::Arc;

use kernel::alloc::{try_push, try_vec};
use kernel::dma_fence::DmaFence;
use kernel::drm::syncobj::{add_points, Syncobj, SyncobjTable};
use kernel::error::code::{EINVAL, ENOENT};
use kernel::error::Result;

use crate::uapi::{drm_panthor_sync_op, sync_flags};

/// The field checks shared by wait and signal ops; `Ok(true)` for a timeline syncobj.
pub(crate) fn check_sync_op(s: &drm_panthor_sync_op) -> Result<bool> {
    if s.flags & !(sync_flags::HANDLE_TYPE_MASK | sync_flags::SIGNAL) != 0 {
        return Err(EINVAL);
    }
    let timeline = match s.flags & sync_flags::HANDLE_TYPE_MASK {
        sync_flags::SYNCOBJ => false,
        sync_flags::TIMELINE_SYNCOBJ => true,
        _ => return Err(EINVAL),
    };
    if !timeline && s.timeline_value != 0 {
        return Err(EINVAL);
    }
    Ok(timeline)
}

fn is_signal(s: &drm_panthor_sync_op) -> bool {
    s.flags & sync_flags::SIGNAL != 0
}

/// A signal target: the syncobj, the timeline point (0 for binary) and the job that signals it last.
struct Signal {
    handle: u32,
    point: u64,
    obj: Arc<Syncobj>,
    timeline: bool,
    job: usize,
}

/// The signal targets of one ioctl's jobs.
pub(crate) struct SubmitSyncs {
    /// Every signal op as (handle, point, job), for the waits of later jobs.
    signal_ops: Vec<(u32, u64, usize)>,
    /// One entry per (handle, point).
    signals: Vec<Signal>,
}

impl SubmitSyncs {
    /// Step 1: the signal ops of `jobs` (each job's sync ops), in order.
    pub(crate) fn collect_signals(
        jobs: &[Vec<drm_panthor_sync_op>],
        syncobjs: &SyncobjTable,
    ) -> Result<SubmitSyncs> {
        let mut signal_ops = Vec::new();
        let mut signals: Vec<Signal> = Vec::new();
        for (job, syncs) in jobs.iter().enumerate() {
            for s in syncs.iter().filter(|s| is_signal(s)) {
                let timeline = check_sync_op(s)?;
                let obj = syncobjs.lookup(s.handle).map_err(|_| EINVAL)?;
                try_push(&mut signal_ops, (s.handle, s.timeline_value, job))?;
                match signals
                    .iter_mut()
                    .find(|x| x.handle == s.handle && x.point == s.timeline_value)
                {
                    Some(x) => x.job = job,
                    None => try_push(
                        &mut signals,
                        Signal {
                            handle: s.handle,
                            point: s.timeline_value,
                            obj,
                            timeline,
                            job,
                        },
                    )?,
                }
            }
        }
        Ok(SubmitSyncs {
            signal_ops,
            signals,
        })
    }

    /// Step 2 for job `job`: the fences its wait ops `syncs` stand for, given the fences of the jobs before it
    /// (`earlier[j]` is job `j`'s fence).
    pub(crate) fn wait_fences(
        &self,
        job: usize,
        syncs: &[drm_panthor_sync_op],
        earlier: &[DmaFence],
        syncobjs: &SyncobjTable,
    ) -> Result<Vec<DmaFence>> {
        let mut deps = Vec::new();
        for s in syncs.iter().filter(|s| !is_signal(s)) {
            check_sync_op(s)?;
            let from_this_ioctl = self
                .signal_ops
                .iter()
                .filter(|&&(h, p, j)| h == s.handle && p == s.timeline_value && j < job)
                .map(|&(_, _, j)| j)
                .max();
            let fence = match from_this_ioctl {
                Some(j) => earlier.get(j).cloned().ok_or(EINVAL)?,
                None => {
                    let obj = syncobjs.lookup(s.handle).map_err(|_| ENOENT)?;
                    obj.find_fence(s.timeline_value).map_err(|_| EINVAL)?
                }
            };
            try_push(&mut deps, fence)?;
        }
        Ok(deps)
    }

    /// Step 3a, before the point of no return: adds every timeline point with its job's fence (`fences[j]` is job
    /// `j`'s), all or nothing.
    pub(crate) fn add_timeline_points(&self, fences: &[DmaFence]) -> Result {
        let n = self.signals.iter().filter(|x| x.timeline).count();
        let mut objs: Vec<Arc<Syncobj>> = try_vec(n)?;
        let mut fs: Vec<DmaFence> = try_vec(n)?;
        let mut points: Vec<u64> = try_vec(n)?;
        for x in self.signals.iter().filter(|x| x.timeline) {
            objs.push(x.obj.clone());
            fs.push(fences.get(x.job).cloned().ok_or(EINVAL)?);
            points.push(x.point);
        }
        add_points(&objs, &fs, &points)
    }

    /// Step 3b, after the point of no return: binary syncobjs take their last job's fence. Allocates nothing.
    pub(crate) fn publish_binary(&self, fences: &[DmaFence]) {
        for x in self.signals.iter().filter(|x| !x.timeline) {
            if let Some(f) = fences.get(x.job) {
                x.obj.replace_fence(Some(f.clone()));
            }
        }
    }
}
