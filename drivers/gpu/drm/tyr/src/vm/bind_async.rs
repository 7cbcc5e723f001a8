// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Asynchronous VM_BIND (`panthor_ioctl_vm_bind_async`, `Documentation/uapi.md#asynchronous-vm_bind`): every op becomes
//! a bind job that waits for its wait syncobjs and signals its signal syncobjs.
//!
//! Everything that can fail happens first, in this order: each op is checked and prepared (GpuVas, vm_bo and
//! page-table pages allocated now — immediate mode), its sync ops copied; then the signal ops of all ops are checked
//! and their syncobjs looked up; then the wait ops, job by job, each resolved to a fence — the fence of an earlier job
//! of this ioctl that signals the same point, or the syncobj's. Then the queue slots, the resv fence slots and the
//! new timeline points are reserved. After that point nothing fails or allocates: the job fences go into the VM's
//! resv and every external object's (BOOKKEEP), the jobs are queued, and binary signal syncobjs take their job's
//! fence, all before the ioctl returns. A failed ioctl changes nothing and never rewrites `ops.count`.

use std::sync::Arc;

use kernel::alloc::try_vec;
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::DmaResvUsage;
use kernel::drm::syncobj::SyncobjTable;
use kernel::error::code::EINVAL;
use kernel::error::Result;

use super::bind::prepare_op;
use super::queue::BindJob;
use super::{PreparedOp, Vm};
use crate::gem::TyrObject;
use crate::sync::SubmitSyncs;
use crate::uapi::{drm_panthor_sync_op, drm_panthor_vm_bind_op, op_type};
use crate::uobj::get_uobj_array;

/// An asynchronous VM_BIND of `ops` on `vm`; `bo` looks a GEM handle up in the calling file, `syncobjs` is its
/// syncobj table.
pub(crate) fn bind_async(
    vm: &Arc<Vm>,
    ops: &[drm_panthor_vm_bind_op],
    bo: impl Fn(u32) -> Option<Arc<TyrObject>>,
    syncobjs: &SyncobjTable,
) -> Result {
    // Step 3: check and prepare every op, copy its sync ops.
    let mut prepared: Vec<Option<PreparedOp>> = try_vec(ops.len())?;
    let mut syncs: Vec<Vec<drm_panthor_sync_op>> = try_vec(ops.len())?;
    for op in ops {
        if vm.is_destroyed() || vm.is_unusable() {
            return Err(EINVAL);
        }
        let p = prepare_op(vm, op, &bo)?
            .map(|p| vm.reserve(p))
            .transpose()?;
        if op.flags & op_type::MASK == op_type::SYNC_ONLY && op.syncs.count == 0 {
            return Err(EINVAL);
        }
        syncs.push(get_uobj_array(&op.syncs)?);
        prepared.push(p);
    }

    // Step 4: signal ops of all ops.
    let targets = SubmitSyncs::collect_signals(&syncs, syncobjs)?;

    // Step 5: wait ops, job by job. The jobs' fences exist from here on; nobody sees them before the point of no
    // return.
    let mut jobs: Vec<BindJob> = try_vec(prepared.len())?;
    let mut fences: Vec<DmaFence> = try_vec(prepared.len())?;
    for (i, op) in prepared.into_iter().enumerate() {
        let deps = targets.wait_fences(i, &syncs[i], &fences, syncobjs)?;
        let mut job_ops = Vec::new();
        if let Some(p) = op {
            kernel::alloc::try_push(&mut job_ops, p)?;
        }
        let job = BindJob::new(vm, job_ops, deps)?;
        fences.push(job.fence().clone());
        jobs.push(job);
    }

    // Reservations: queue slots, fence slots in every resv the VM covers, and the timeline points.
    vm.reserve_binds(jobs.len())?;
    let reserved = jobs.len();
    let publish = || -> Result<kernel::dma_resv::Exec> {
        let exec = vm.gpuvm().exec_lock(jobs.len(), &[])?;
        targets.add_timeline_points(&fences)?;
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
        // Slots were reserved by `exec_lock`, so this cannot fail; were it to (a resv bug), the job still runs and
        // signals, only its fence is missing from the resv, which is reported.
        if let Err(e) = vm.gpuvm().resv_add_fence(
            &mut exec,
            job.fence(),
            DmaResvUsage::Bookkeep,
            DmaResvUsage::Bookkeep,
        ) {
            tracing::error!(
                vm = vm.id(),
                errno = e.to_errno(),
                "bind job fence not added to the VM resv"
            );
        }
    }
    drop(exec);
    targets.publish_binary(&fences);
    for job in jobs {
        vm.submit_reserved(job);
    }
    Ok(())
}
