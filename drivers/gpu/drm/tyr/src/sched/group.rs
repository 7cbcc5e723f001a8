// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Scheduling groups (`struct panthor_group`) and a file's group handles (`struct panthor_group_pool`):
//! GROUP_CREATE's checks in Panthor's order (`Documentation/uapi.md#group_create`), the kernel buffers a group owns,
//! and the state GROUP_GET_STATE reports.

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::collections::BTreeMap;
use std::sync::Arc;

use kernel::error::code::{EACCES, EBUSY, EINVAL};
use kernel::error::Result;
use kernel::page::Ram;

use super::heap::HeapSlot;
use super::queue::Queue;
use crate::gem::Offsets;
use crate::kbo::KernelBo;
use crate::uapi::map_flags;
use crate::uapi::{
    drm_panthor_csif_info, drm_panthor_gpu_info, drm_panthor_group_create, drm_panthor_queue_create,
};
use crate::vm::Vm;

/// Groups a file may have (`MAX_GROUPS_PER_POOL`); handles are 1 to this.
pub(crate) const MAX_GROUPS_PER_FILE: u32 = 128;
/// Queues a group may have (`MAX_CS_PER_CSG`).
pub(crate) const MAX_QUEUES: u32 = 32;
/// Highest group priority (`PANTHOR_GROUP_PRIORITY_REALTIME`).
pub(crate) const MAX_PRIORITY: u8 = 3;
/// GROUP_GET_STATE flags.
pub(crate) mod state_flags {
    /// A job timed out.
    pub(crate) const TIMEDOUT: u32 = 1 << 0;
    /// A queue hit a fatal fault.
    pub(crate) const FATAL_FAULT: u32 = 1 << 1;
    /// Timed out because a GPU reset found it resident on a firmware that no longer answered, not because of its
    /// own work (`DRM_PANTHOR_GROUP_STATE_INNOCENT`, uAPI 1.3; the `panthor_drm.h` under `build/uapi` predates it,
    /// so the value comes from newest upstream, as [`crate::uapi`] records).
    pub(crate) const INNOCENT: u32 = crate::uapi::DRM_PANTHOR_GROUP_STATE_INNOCENT;
}

/// What the scheduler tracks of a group.
#[derive(Default)]
pub(crate) struct GroupState {
    /// The CSG slot it occupies.
    pub(crate) slot: Option<u32>,
    /// It was started on a slot once (later starts are RESUMEs).
    pub(crate) started: bool,
    /// A job timed out.
    pub(crate) timed_out: bool,
    /// Queues that hit a fatal fault.
    pub(crate) fatal_queues: u32,
    /// GROUP_DESTROY ran (or its file closed).
    pub(crate) destroyed: bool,
    /// The group was terminated; nothing more runs.
    pub(crate) terminated: bool,
    /// It was usable when a GPU reset had to kill it (`group->innocent`).
    pub(crate) innocent: bool,
}

/// A scheduling group.
pub(crate) struct Group {
    /// The VM its queues run in.
    pub(crate) vm: Arc<Vm>,
    /// That VM's tiler heaps, which TILER_OOM grows.
    pub(crate) heaps: Arc<HeapSlot>,
    /// Its queues.
    pub(crate) queues: Vec<Queue>,
    /// Group priority (0–3).
    pub(crate) priority: u8,
    /// Cores it may use.
    pub(crate) compute_core_mask: u64,
    /// Fragment cores it may use.
    pub(crate) fragment_core_mask: u64,
    /// Tiler units it may use.
    pub(crate) tiler_core_mask: u64,
    /// Most compute cores it uses at once.
    pub(crate) max_compute_cores: u8,
    /// Most fragment cores.
    pub(crate) max_fragment_cores: u8,
    /// Most tiler units.
    pub(crate) max_tiler_cores: u8,
    /// One 64-bit sync object per queue (16 bytes each), in the group's VM.
    pub(crate) syncobjs: KernelBo,
    /// The firmware's suspend buffer for the group, in the MCU VM.
    pub(crate) suspend: KernelBo,
    /// The protected-mode suspend buffer, in the MCU VM.
    pub(crate) protm_suspend: KernelBo,
    state: Mutex<GroupState>,
}

impl Group {
    /// The scheduler's view of the group.
    pub(crate) fn state(&self) -> MutexGuard<'_, GroupState> {
        self.state.lock()
    }

    /// GPU VA of queue `q`'s sync object.
    pub(crate) fn sync_va(&self, q: usize) -> u64 {
        self.syncobjs.va() + 16 * q as u64
    }

    /// Queue `q`'s sync object: (seqno, status).
    pub(crate) fn sync_object(&self, q: usize) -> Result<(u64, u32)> {
        Ok((
            self.syncobjs.read_u64(16 * q as u64)?,
            self.syncobjs.read_u32(16 * q as u64 + 8)?,
        ))
    }

    /// Whether jobs can still be submitted (`group_can_run`): not timed out, no fatal queue, not destroyed.
    pub(crate) fn can_run(&self) -> bool {
        let st = self.state();
        !st.timed_out && st.fatal_queues == 0 && !st.destroyed && !st.terminated
    }

    /// GROUP_GET_STATE's `(state, fatal_queues)`.
    pub(crate) fn report(&self) -> (u32, u32) {
        let st = self.state();
        let mut s = 0;
        if st.timed_out {
            s |= state_flags::TIMEDOUT;
        }
        if st.fatal_queues != 0 {
            s |= state_flags::FATAL_FAULT;
        }
        if st.innocent {
            s |= state_flags::INNOCENT;
        }
        (s, st.fatal_queues)
    }

    /// Whether any queue has work waiting or in flight.
    pub(crate) fn busy(&self) -> bool {
        self.queues.iter().any(Queue::busy)
    }
}

/// The device facts and services GROUP_CREATE needs.
pub(crate) struct GroupCtx<'a> {
    /// System RAM.
    pub(crate) ram: &'a Arc<Ram>,
    /// The device's fake-offset space, where the group's kernel BOs take their offsets (`None` outside a device).
    pub(crate) offsets: Option<&'a Offsets>,
    /// The MCU VM (suspend buffers and user-I/O pages go there).
    pub(crate) mcu_vm: &'a Arc<Vm>,
    /// GPU_INFO (core masks).
    pub(crate) gpu: &'a drm_panthor_gpu_info,
    /// CSIF_INFO (slot counts).
    pub(crate) csif: &'a drm_panthor_csif_info,
    /// The firmware's suspend buffer sizes.
    pub(crate) suspend_size: u32,
    /// The firmware's protected-mode suspend buffer size.
    pub(crate) protm_suspend_size: u32,
    /// The caller may use HIGH and REALTIME.
    pub(crate) high_priority_allowed: bool,
}

/// A file's groups.
#[derive(Default)]
pub(crate) struct GroupPool {
    groups: Mutex<BTreeMap<u32, Arc<Group>>>,
}

fn mask_ok(mask: u64, present: u64, max: u8) -> bool {
    mask & !present == 0 && mask.count_ones() >= u32::from(max)
}

impl GroupPool {
    fn map(&self) -> MutexGuard<'_, BTreeMap<u32, Arc<Group>>> {
        self.groups.lock()
    }

    /// GROUP_CREATE after the queue array was copied; `vm` looks a VM id up in the file (`EINVAL` when there is
    /// none) and gives its heap slot. Returns the handle and the group.
    pub(crate) fn create(
        &self,
        ctx: &GroupCtx<'_>,
        args: &drm_panthor_group_create,
        queues: &[drm_panthor_queue_create],
        vm: impl Fn(u32) -> Result<(Arc<Vm>, Arc<HeapSlot>)>,
    ) -> Result<(u32, Arc<Group>)> {
        if args.priority > MAX_PRIORITY {
            return Err(EINVAL);
        }
        if args.priority >= 2 && !ctx.high_priority_allowed {
            return Err(EACCES);
        }
        if args.pad != 0 {
            return Err(EINVAL);
        }
        if !mask_ok(
            args.compute_core_mask,
            ctx.gpu.shader_present,
            args.max_compute_cores,
        ) || !mask_ok(
            args.fragment_core_mask,
            ctx.gpu.shader_present,
            args.max_fragment_cores,
        ) || !mask_ok(
            args.tiler_core_mask,
            ctx.gpu.tiler_present,
            args.max_tiler_cores,
        ) {
            return Err(EINVAL);
        }
        if queues.len() as u32 > ctx.csif.cs_slot_count {
            return Err(EINVAL);
        }
        let (vm, heaps) = vm(args.vm_id)?;
        let flags = map_flags::NOEXEC | map_flags::UNCACHED;
        let suspend = KernelBo::new(
            ctx.offsets,
            ctx.ram,
            ctx.mcu_vm,
            u64::from(ctx.suspend_size),
            flags,
            0x1000,
            None,
        )?;
        let protm_suspend = KernelBo::new(
            ctx.offsets,
            ctx.ram,
            ctx.mcu_vm,
            u64::from(ctx.protm_suspend_size),
            flags,
            0x1000,
            None,
        )?;
        let syncobjs = KernelBo::new(
            ctx.offsets,
            ctx.ram,
            &vm,
            16 * queues.len() as u64,
            flags,
            0x1000,
            None,
        )?;
        // The handle is taken before the queues are checked, as Panthor does; a failure below gives it back.
        let mut map = self.map();
        let handle = (1..=MAX_GROUPS_PER_FILE)
            .find(|h| !map.contains_key(h))
            .ok_or(EBUSY)?;
        let mut qs = Vec::new();
        qs.try_reserve(queues.len())
            .map_err(|_| kernel::error::code::ENOMEM)?;
        for (i, q) in queues.iter().enumerate() {
            if q.pad != [0; 3] {
                return Err(EINVAL);
            }
            if !q.ringbuf_size.is_power_of_two() || !(0x1000..=0x1_0000).contains(&q.ringbuf_size) {
                return Err(EINVAL);
            }
            if q.priority > 15 {
                return Err(EINVAL);
            }
            qs.push(Queue::new(
                ctx.offsets,
                ctx.ram,
                &vm,
                ctx.mcu_vm,
                i as u32,
                q.priority,
                q.ringbuf_size,
            )?);
        }
        let group = kernel::alloc::try_arc(Group {
            vm,
            heaps,
            queues: qs,
            priority: args.priority,
            compute_core_mask: args.compute_core_mask,
            fragment_core_mask: args.fragment_core_mask,
            tiler_core_mask: args.tiler_core_mask,
            max_compute_cores: args.max_compute_cores,
            max_fragment_cores: args.max_fragment_cores,
            max_tiler_cores: args.max_tiler_cores,
            syncobjs,
            suspend,
            protm_suspend,
            state: Mutex::new(GroupState::default()),
        })?;
        kernel::alloc::check()?;
        map.insert(handle, group.clone());
        Ok((handle, group))
    }

    /// The group behind `handle`; `EINVAL` if none.
    pub(crate) fn get(&self, handle: u32) -> Result<Arc<Group>> {
        self.map().get(&handle).cloned().ok_or(EINVAL)
    }

    /// Takes `handle` out of the pool (GROUP_DESTROY); `EINVAL` if none.
    pub(crate) fn remove(&self, handle: u32) -> Result<Arc<Group>> {
        self.map().remove(&handle).ok_or(EINVAL)
    }

    /// Takes every group out (file close).
    pub(crate) fn drain(&self) -> Vec<Arc<Group>> {
        core::mem::take(&mut *self.map()).into_values().collect()
    }

    /// Every handle, in order.
    pub(crate) fn handles(&self) -> Vec<u32> {
        self.map().keys().copied().collect()
    }
}
