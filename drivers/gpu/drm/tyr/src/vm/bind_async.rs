//! Asynchronous VM_BIND (`panthor_ioctl_vm_bind_async`, spec `panthor-uapi.md` §7.5): every op becomes a bind job
//! that waits for its wait syncobjs and signals its signal syncobjs.
//!
//! Everything that can fail happens first, in this order: each op is checked and prepared (GpuVas, vm_bo and
//! page-table pages allocated now — immediate mode), its sync ops copied; then the signal ops of all ops are checked
//! and their syncobjs looked up; then the wait ops, job by job, each resolved to a fence — the fence of an earlier job
//! of this ioctl that signals the same point, or the syncobj's. Then the queue slots, the resv fence slots and the
//! new timeline points are reserved. After that point nothing fails or allocates: the job fences go into the VM's
//! resv and every external object's (BOOKKEEP), the jobs are queued, and binary signal syncobjs take their job's
//! fence, all before the ioctl returns. A failed ioctl changes nothing and never rewrites `ops.count`.

use std::sync::Arc;

use kernel::alloc::{try_push, try_vec};
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::DmaResvUsage;
use kernel::drm::syncobj::{add_points, Syncobj, SyncobjTable};
use kernel::error::code::{EINVAL, ENOENT};
use kernel::error::Result;

use super::bind::{op_type, prepare_op};
use super::queue::BindJob;
use super::{PreparedOp, Vm};
use crate::gem::TyrObject;
use crate::uapi::{drm_panthor_sync_op, drm_panthor_vm_bind_op};
use crate::uobj::get_uobj_array;

/// `drm_panthor_sync_op::flags` fields.
pub mod sync_flags {
    /// Handle type field.
    pub const HANDLE_TYPE_MASK: u32 = 0xff;
    /// Binary syncobj.
    pub const SYNCOBJ: u32 = 0;
    /// Timeline syncobj.
    pub const TIMELINE_SYNCOBJ: u32 = 1;
    /// Signal (else wait).
    pub const SIGNAL: u32 = 1 << 31;
}

/// The field checks shared by wait and signal ops (§7.5 step 4).
fn check_sync_op(s: &drm_panthor_sync_op) -> Result<bool> {
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

/// A signal target: the syncobj, the timeline point (0 for binary) and the job that signals it last.
struct Signal {
    handle: u32,
    point: u64,
    obj: Arc<Syncobj>,
    timeline: bool,
    job: usize,
}

/// An asynchronous VM_BIND of `ops` on `vm`; `bo` looks a GEM handle up in the calling file, `syncobjs` is its
/// syncobj table.
pub fn bind_async(
    vm: &Arc<Vm>,
    ops: &[drm_panthor_vm_bind_op],
    bo: impl Fn(u32) -> Option<Arc<TyrObject>>,
    syncobjs: &SyncobjTable,
) -> Result {
    // Step 3: check and prepare every op, copy its sync ops.
    let mut prepared: Vec<(Option<PreparedOp>, Vec<drm_panthor_sync_op>)> = try_vec(ops.len())?;
    for op in ops {
        if vm.is_destroyed() || vm.is_unusable() {
            return Err(EINVAL);
        }
        let p = prepare_op(vm, op, &bo)?;
        if op.flags & op_type::MASK == op_type::SYNC_ONLY && op.syncs.count == 0 {
            return Err(EINVAL);
        }
        let syncs: Vec<drm_panthor_sync_op> = get_uobj_array(&op.syncs)?;
        prepared.push((p, syncs));
    }

    // Step 4: signal ops of all ops, in order. `signal_ops` keeps every one (for the waits of later jobs),
    // `signals` one entry per (handle, point) with the last job that signals it (what the syncobj ends up with).
    let mut signal_ops: Vec<(u32, u64, usize)> = Vec::new();
    let mut signals: Vec<Signal> = Vec::new();
    for (job, (_, syncs)) in prepared.iter().enumerate() {
        for s in syncs.iter().filter(|s| s.flags & sync_flags::SIGNAL != 0) {
            let timeline = check_sync_op(s)?;
            let obj = syncobjs.lookup(s.handle).map_err(|_| EINVAL)?;
            try_push(&mut signal_ops, (s.handle, s.timeline_value, job))?;
            match signals.iter_mut().find(|x| x.handle == s.handle && x.point == s.timeline_value) {
                Some(x) => x.job = job,
                None => {
                    try_push(&mut signals, Signal { handle: s.handle, point: s.timeline_value, obj, timeline, job })?
                }
            }
        }
    }

    // Step 5: wait ops, job by job. The jobs' fences exist from here on; nobody sees them before the point of no
    // return.
    let mut jobs: Vec<BindJob> = try_vec(prepared.len())?;
    for (i, (op, syncs)) in prepared.into_iter().enumerate() {
        let mut deps: Vec<DmaFence> = Vec::new();
        for s in syncs.iter().filter(|s| s.flags & sync_flags::SIGNAL == 0) {
            check_sync_op(s)?;
            let earlier = signal_ops
                .iter()
                .filter(|&&(h, p, j)| h == s.handle && p == s.timeline_value && j < i)
                .map(|&(_, _, j)| j)
                .max();
            let fence = match earlier {
                // The latest earlier job of this ioctl that signals the same point.
                Some(j) => jobs[j].fence().clone(),
                None => {
                    let obj = syncobjs.lookup(s.handle).map_err(|_| ENOENT)?;
                    // No wait-for-submit: a point not there yet is an error now.
                    obj.find_fence(s.timeline_value).map_err(|_| EINVAL)?
                }
            };
            try_push(&mut deps, fence)?;
        }
        let mut job_ops = Vec::new();
        if let Some(p) = op {
            try_push(&mut job_ops, p)?;
        }
        jobs.push(BindJob::new(vm, job_ops, deps)?);
    }

    // Reservations: queue slots, fence slots in every resv the VM covers, and the timeline points.
    vm.reserve_binds(jobs.len())?;
    let reserved = jobs.len();
    let publish = || -> Result<kernel::dma_resv::Exec> {
        let exec = vm.gpuvm().exec_lock(jobs.len(), &[])?;
        let (objs, fences, points) = timeline_points(&signals, &jobs)?;
        add_points(&objs, &fences, &points)?;
        Ok(exec)
    };
    let mut exec = match publish() {
        Ok(e) => e,
        Err(e) => {
            vm.unreserve_binds(reserved);
            return Err(e);
        }
    };

    // Point of no return.
    let _no_alloc = kernel::alloc::fault::NoAllocSection::begin();
    for job in &jobs {
        // Slots were reserved by `exec_lock`: this cannot fail.
        let _ = vm.gpuvm().resv_add_fence(&mut exec, job.fence(), DmaResvUsage::Bookkeep, DmaResvUsage::Bookkeep);
    }
    drop(exec);
    for x in signals.iter().filter(|x| !x.timeline) {
        x.obj.replace_fence(Some(jobs[x.job].fence().clone()));
    }
    for job in jobs {
        vm.submit_reserved(job);
    }
    Ok(())
}

/// The three arrays [`add_points`] takes: syncobjs, fences, points.
type Points = (Vec<Arc<Syncobj>>, Vec<DmaFence>, Vec<u64>);

/// The timeline signals as [`Points`].
fn timeline_points(signals: &[Signal], jobs: &[BindJob]) -> Result<Points> {
    let n = signals.iter().filter(|x| x.timeline).count();
    let mut objs = try_vec(n)?;
    let mut fences = try_vec(n)?;
    let mut points = try_vec(n)?;
    for x in signals.iter().filter(|x| x.timeline) {
        objs.push(x.obj.clone());
        fences.push(jobs[x.job].fence().clone());
        points.push(x.point);
    }
    Ok((objs, fences, points))
}
