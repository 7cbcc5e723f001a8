// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GROUP_SUBMIT (`panthor_ioctl_group_submit` + `panthor_job_create`, `Documentation/uapi.md#group_submit`): every
//! queue submit becomes a job on its queue; syncobj waits become the job's dependencies and signals get the job's fence
//! before the ioctl returns. Everything that can fail happens before the point of no return; after it the jobs are
//! queued, their fences added to the VM's resvs, the binary syncobjs updated and the scheduler kicked.

use std::sync::Arc;

use kernel::alloc::try_vec;
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::DmaResvUsage;
use kernel::drm::syncobj::SyncobjTable;
use kernel::error::code::EINVAL;
use kernel::error::Result;

use super::group::{Group, GroupPool};
use super::queue::Job;
use super::Scheduler;
use crate::sync::SubmitSyncs;
use crate::uapi::{drm_panthor_group_submit, drm_panthor_queue_submit, drm_panthor_sync_op};
use crate::uobj::get_uobj_array;

/// GROUP_SUBMIT on the calling file's `groups` and `syncobjs`.
pub(crate) fn group_submit(
    sched: &Arc<Scheduler>,
    groups: &GroupPool,
    syncobjs: &SyncobjTable,
    args: &drm_panthor_group_submit,
) -> Result {
    if args.pad != 0 {
        return Err(EINVAL);
    }
    let submits: Vec<drm_panthor_queue_submit> = get_uobj_array(&args.queue_submits)?;
    if submits.is_empty() {
        return Ok(());
    }
    let mut group: Option<Arc<Group>> = None;
    let mut syncs: Vec<Vec<drm_panthor_sync_op>> = try_vec(submits.len())?;
    for s in &submits {
        if s.pad != 0 || (s.stream_size == 0) != (s.stream_addr == 0) {
            return Err(EINVAL);
        }
        if s.stream_addr % 64 != 0 || s.stream_size % 8 != 0 || s.latest_flush & 0x7f00_0000 != 0 {
            return Err(EINVAL);
        }
        let g = match &group {
            Some(g) => g.clone(),
            None => {
                let g = groups.get(args.group_handle & 0xffff)?;
                group = Some(g.clone());
                g
            }
        };
        if !g.can_run() || s.queue_index as usize >= g.queues.len() {
            return Err(EINVAL);
        }
        syncs.push(get_uobj_array(&s.syncs)?);
    }
    let group = group.ok_or(EINVAL)?;

    let targets = SubmitSyncs::collect_signals(&syncs, syncobjs)?;
    // Jobs, with their fences and dependencies. A size-0 submit is an empty job: it waits for its dependencies like
    // any other and then follows the queue's last job (`queue_run_job`); its fence takes no GPU seqno.
    let mut jobs: Vec<(usize, Job)> = try_vec(submits.len())?;
    let mut fences: Vec<DmaFence> = try_vec(submits.len())?;
    for (i, s) in submits.iter().enumerate() {
        let q = s.queue_index as usize;
        let deps = targets.wait_fences(i, &syncs[i], &fences, syncobjs)?;
        let (seqno, fence) = if s.stream_size == 0 {
            (0, group.queues[q].new_empty_fence()?)
        } else {
            group.queues[q].new_fence()?
        };
        let mut job = Job::new(
            seqno,
            fence.clone(),
            s.stream_addr,
            s.stream_size,
            s.latest_flush,
        );
        job.deps = deps;
        fences.push(fence);
        jobs.push((q, job));
    }

    // Reservations: room in each queue, wake-ups on unsignalled dependencies, resv fence slots, timeline points.
    for (q, queue) in group.queues.iter().enumerate() {
        let n = jobs.iter().filter(|(jq, _)| *jq == q).count();
        queue.reserve(n)?;
    }
    for (_, job) in &jobs {
        for d in &job.deps {
            let weak = Arc::downgrade(sched);
            // ENOENT: already signalled, nothing to wait for. A callback left behind by a later failure only kicks.
            match d.add_callback(move |_| {
                if let Some(s) = weak.upgrade() {
                    s.kick();
                }
            }) {
                Ok(_) => {}
                Err(e) if e == kernel::error::code::ENOENT => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut exec = group.vm.gpuvm().exec_lock(fences.len(), &[])?;
    targets.add_timeline_points(&fences)?;

    // Point of no return.
    let _no_alloc = kernel::alloc::fault::NoAllocSection::begin();
    for (_, job) in &jobs {
        let _ = group.vm.gpuvm().resv_add_fence(
            &mut exec,
            &job.fence,
            DmaResvUsage::Bookkeep,
            DmaResvUsage::Bookkeep,
        );
    }
    drop(exec);
    targets.publish_binary(&fences);
    for (q, job) in jobs {
        group.queues[q].push(job);
    }
    drop(_no_alloc);
    sched.kick();
    Ok(())
}
