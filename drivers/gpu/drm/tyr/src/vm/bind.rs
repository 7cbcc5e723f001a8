// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A file's VMs and the uAPI side of VM_CREATE / VM_DESTROY / VM_GET_STATE / VM_BIND: the checks of
//! `Documentation/uapi.md#vm_create`, in Panthor's order, each answered with Panthor's errno.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kernel::error::code::{EBUSY, EINVAL};
use kernel::error::{Error, Result};
use kernel::page::Ram;

use super::{PendingOp, VaLayout, Vm, VmMmu};
use crate::gem::TyrObject;
use crate::uapi::drm_panthor_vm_bind_op;
use crate::uapi::{map_flags, op_type};

/// VMs a file may have (`PANTHOR_MAX_VMS_PER_FILE`); ids are 1 to this.
pub(crate) const MAX_VMS_PER_FILE: usize = 32;

/// The address space of the task a file belongs to, for the default VM_CREATE split: an x86-64 process here
/// (`TASK_SIZE`, 2^47 − 4 KiB), which gives the same default layout as arm64 (`Documentation/uapi.md#gpu-va-layout`).
pub(crate) const TASK_SIZE: u64 = (1 << 47) - 0x1000;

/// Makes the MMU hook of a new VM (its address-space slot client).
pub(crate) type MmuFactory = dyn Fn() -> Arc<dyn VmMmu> + Send + Sync;

/// The table of a file's VMs, indexed by id - 1.
type VmSlots = [Option<Arc<Vm>>; MAX_VMS_PER_FILE];

/// A file's VMs (`struct panthor_vm_pool`): ids from 1, lowest free first.
///
/// The table is read-mostly, as the kernel's xarray read under RCU is: lookups share it ([`Self::with`] keeps it
/// shared for the length of a call instead of taking a reference on the VM), VM_CREATE and VM_DESTROY change it
/// alone. Neither side takes any other lock while holding it, apart from what a caller of [`Self::with`] does with
/// the VM, which never comes back to the table.
pub(crate) struct VmPool {
    ram: Arc<Ram>,
    va_bits: u32,
    mmu: Arc<MmuFactory>,
    vms: RwLock<VmSlots>,
}

impl VmPool {
    /// An empty pool creating VMs of `va_bits` bits in `ram`, each with an MMU hook from `mmu`.
    pub(crate) fn new(ram: Arc<Ram>, va_bits: u32, mmu: Arc<MmuFactory>) -> Self {
        VmPool {
            ram,
            va_bits,
            mmu,
            vms: RwLock::new([const { None }; MAX_VMS_PER_FILE]),
        }
    }

    /// The table, to change it. A panic of an earlier holder leaves it consistent (each change is one store).
    fn slots(&self) -> RwLockWriteGuard<'_, VmSlots> {
        self.vms.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The table, to read it.
    fn slots_shared(&self) -> RwLockReadGuard<'_, VmSlots> {
        self.vms.read().unwrap_or_else(|e| e.into_inner())
    }

    /// `VM_CREATE`: returns the new id and the start of its kernel area (the `user_va_range` written back).
    /// `EINVAL` for flags or a range Panthor refuses, `EBUSY` when the file has [`MAX_VMS_PER_FILE`] VMs.
    pub(crate) fn create(&self, flags: u32, user_va_range: u64) -> Result<(u32, u64)> {
        if flags != 0 {
            return Err(EINVAL);
        }
        let layout = VaLayout::new(self.va_bits, user_va_range, TASK_SIZE)?;
        let mut slots = self.slots();
        let idx = slots.iter().position(Option::is_none).ok_or(EBUSY)?;
        let id = idx as u32 + 1;
        slots[idx] = Some(Vm::new(id, layout, &self.ram, (self.mmu)())?);
        Ok((id, layout.kernel_start))
    }

    /// The VM with `id`; `EINVAL` when there is none (id 0 included).
    pub(crate) fn get(&self, id: u32) -> Result<Arc<Vm>> {
        self.with(id, Arc::clone)
    }

    /// Every VM of the file, by id: one hold of the table (debugfs, the consistency checker).
    pub(crate) fn all(&self) -> Vec<Arc<Vm>> {
        self.slots_shared().iter().flatten().cloned().collect()
    }

    /// Runs `f` on the VM with `id`, the table shared meanwhile so that the VM stays in it (`EINVAL` when there is
    /// none): a lookup for the length of one call that takes no reference on the VM. `f` must not create or destroy
    /// VMs of this file.
    pub(crate) fn with<R>(&self, id: u32, f: impl FnOnce(&Arc<Vm>) -> R) -> Result<R> {
        let idx = (id as usize).checked_sub(1).ok_or(EINVAL)?;
        let slots = self.slots_shared();
        let vm = slots.get(idx).and_then(Option::as_ref).ok_or(EINVAL)?;
        Ok(f(vm))
    }

    /// `VM_DESTROY`: frees the id at once and unmaps everything; the VM lives on while groups or jobs hold it.
    /// `on_destroy` runs once the VM is committed to going, before its unmap: what the driver keeps per VM goes first
    /// (its tiler heaps, as `panthor_vm_destroy` destroys the heap pool before it unmaps the VM).
    pub(crate) fn destroy(&self, id: u32, pad: u32, on_destroy: impl FnOnce(&Arc<Vm>)) -> Result {
        if pad != 0 {
            return Err(EINVAL);
        }
        let idx = (id as usize)
            .checked_sub(1)
            .filter(|&i| i < MAX_VMS_PER_FILE)
            .ok_or(EINVAL)?;
        let vm = self.slots()[idx].clone().ok_or(EINVAL)?;
        // The unmap of everything is prepared before the id goes, so that ENOMEM leaves the VM as it was (upstream
        // frees the id first and only WARNs when the unmap fails, `panthor_vm_pool_destroy_vm`).
        let op = vm.prepare_destroy()?;
        {
            let mut slots = self.slots();
            // Destroyed (and maybe re-created) by a concurrent call in between: not ours to destroy any more.
            if !slots[idx].as_ref().is_some_and(|v| Arc::ptr_eq(v, &vm)) {
                return Err(EINVAL);
            }
            slots[idx] = None;
        }
        on_destroy(&vm);
        vm.destroy_prepared(op)
    }

    /// `VM_GET_STATE`: 1 when unusable, else 0.
    pub(crate) fn state(&self, id: u32) -> Result<u32> {
        Ok(u32::from(self.get(id)?.is_unusable()))
    }

    /// Number of live VMs.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots_shared().iter().flatten().count()
    }

    /// Whether the file has no VM.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Destroys every VM (file close), each after `on_destroy` as in [`Self::destroy`].
    pub(crate) fn destroy_all(&self, mut on_destroy: impl FnMut(&Arc<Vm>)) {
        let all: Vec<Arc<Vm>> = self.slots().iter_mut().filter_map(Option::take).collect();
        for vm in all {
            on_destroy(&vm);
            // The file is going away: nobody is left to tell. The VM stays referenced by whatever still holds it,
            // marked destroyed, its queue stopped; an unmap that could not be prepared (ENOMEM) leaves its mappings
            // to be freed with it.
            if let Err(e) = vm.destroy() {
                tracing::warn!(
                    vm = vm.id(),
                    errno = e.to_errno(),
                    "file close: VM destroy failed"
                );
            }
        }
    }
}

/// Checks one op as a synchronous VM_BIND does (`Documentation/uapi.md#vm_bind`) and prepares it: `Ok(None)` for an op
/// that does nothing (size 0, or SYNC_ONLY). `bo` looks a handle up in the calling file.
pub(crate) fn prepare_sync_op(
    vm: &Arc<Vm>,
    op: &drm_panthor_vm_bind_op,
    bo: &impl Fn(u32) -> Option<Arc<TyrObject>>,
) -> Result<Option<PendingOp>> {
    if op.syncs.count != 0 {
        return Err(EINVAL);
    }
    // A zero-sized op is skipped before anything else is looked at.
    if op.size == 0 {
        return Ok(None);
    }
    prepare_op(vm, op, bo)
}

/// The checks common to synchronous and asynchronous ops (alignment, type, flags, handles, BO bounds) and the
/// preparation.
pub(crate) fn prepare_op(
    vm: &Arc<Vm>,
    op: &drm_panthor_vm_bind_op,
    bo: &impl Fn(u32) -> Option<Arc<TyrObject>>,
) -> Result<Option<PendingOp>> {
    const PAGE: u64 = 0x1000;
    if !(op.va | op.size | op.bo_offset).is_multiple_of(PAGE) {
        return Err(EINVAL);
    }
    let flags = op.flags & !op_type::MASK;
    match op.flags & op_type::MASK {
        op_type::MAP => {
            let known =
                map_flags::READONLY | map_flags::NOEXEC | map_flags::UNCACHED | map_flags::SPARSE;
            if flags & !known != 0 {
                return Err(EINVAL);
            }
            if flags & map_flags::SPARSE != 0 {
                if op.bo_handle != 0 || op.bo_offset != 0 {
                    return Err(EINVAL);
                }
                return vm.pending_map_sparse(op.va, op.size, flags).map(Some);
            }
            let obj = bo(op.bo_handle).ok_or(EINVAL)?;
            vm.pending_map(obj, op.bo_offset, op.va, op.size, flags)
                .map(Some)
        }
        op_type::UNMAP => {
            if flags != 0 || op.bo_handle != 0 || op.bo_offset != 0 {
                return Err(EINVAL);
            }
            vm.pending_unmap(op.va, op.size).map(Some)
        }
        op_type::SYNC_ONLY => {
            if flags != 0 || op.bo_handle != 0 || op.bo_offset != 0 || op.va != 0 || op.size != 0 {
                return Err(EINVAL);
            }
            Ok(None)
        }
        _ => Err(EINVAL),
    }
}

/// A synchronous VM_BIND of `ops` on `vm`: each op is checked, prepared and applied in turn. On failure, the index
/// of the failing op (what Panthor writes back to `ops.count`) and the error; earlier ops stay applied.
pub(crate) fn bind_sync(
    vm: &Arc<Vm>,
    ops: &[drm_panthor_vm_bind_op],
    bo: impl Fn(u32) -> Option<Arc<TyrObject>>,
) -> core::result::Result<(), (u32, Error)> {
    for (i, op) in ops.iter().enumerate() {
        let res =
            prepare_sync_op(vm, op, &bo).and_then(|p| p.map_or(Ok(()), |p| vm.execute_pending(p)));
        res.map_err(|e| (i as u32, e))?;
    }
    Ok(())
}
