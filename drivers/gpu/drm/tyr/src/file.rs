// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A Tyr file (`struct panthor_file`): its GEM handles and its VMs, and the handlers of the Panthor ioctls that
//! only need those (`BO_CREATE`, `VM_CREATE`, `VM_DESTROY`, `VM_BIND` synchronous, `VM_GET_STATE`), each checking
//! its arguments in Panthor's order (`Documentation/uapi.md#per-ioctl-checks`).

use core::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kernel::drm::gem::{HandleTable, IntoGemObject};
use kernel::drm::syncobj::SyncobjTable;
use kernel::error::code::EINVAL;
use kernel::error::{Error, Result};
use kernel::page::Ram;

use crate::gem::{Offsets, TyrObject};
use crate::sched::group::GroupPool;
use crate::sched::heap::{HeapSlot, HeapSlots};
use crate::sched::Scheduler;
use crate::uapi::{
    bo_flags, drm_panthor_bo_create, drm_panthor_vm_bind, drm_panthor_vm_bind_op,
    drm_panthor_vm_create, drm_panthor_vm_destroy, drm_panthor_vm_get_state,
    DRM_PANTHOR_USER_MMIO_OFFSET_32BIT, DRM_PANTHOR_USER_MMIO_OFFSET_64BIT,
};
use crate::uobj::{get_uobj_array, get_uobj_array_in};
use crate::vm::bind::{bind_sync, MmuFactory, VmPool};
use crate::vm::bind_async::bind_async;
use crate::vm::Vm;

/// VM_BIND ops a synchronous bind reads onto the stack; longer arrays are read onto the heap.
const SYNC_OPS_ON_STACK: usize = 8;

/// The driver's part of one open file (`struct panthor_file`); its GEM handles are the DRM file's and are passed in.
pub struct TyrFile {
    ram: Arc<Ram>,
    vms: VmPool,
    user_mmio_offset: AtomicU64,
    groups: GroupPool,
    /// Its VMs' tiler heap pools.
    heaps: HeapSlots,
    sched: Option<Arc<Scheduler>>,
    offsets: Option<Arc<Offsets>>,
}

impl TyrFile {
    /// A new file whose BOs and page tables live in `ram`, with VMs of `va_bits` bits.
    pub(crate) fn new(ram: Arc<Ram>, va_bits: u32, mmu: Arc<MmuFactory>) -> Self {
        TyrFile {
            vms: VmPool::new(ram.clone(), va_bits, mmu),
            ram,
            user_mmio_offset: AtomicU64::new(DRM_PANTHOR_USER_MMIO_OFFSET_64BIT),
            groups: GroupPool::default(),
            heaps: HeapSlots::default(),
            sched: None,
            offsets: None,
        }
    }

    /// The same file with groups run by `sched` (a file of a probed device; without one, GROUP_* fail).
    pub(crate) fn with_scheduler(mut self, sched: Arc<Scheduler>) -> Self {
        self.sched = Some(sched);
        self
    }

    /// The same file with its BOs taking their fake offsets from `offsets`, the device's, when they are created
    /// (`drm_gem_shmem_create`). Without it, BOs get an offset only when BO_MMAP_OFFSET asks for one.
    pub(crate) fn with_offsets(mut self, offsets: Arc<Offsets>) -> Self {
        self.offsets = Some(offsets);
        self
    }

    /// The file's groups.
    pub(crate) fn groups(&self) -> &GroupPool {
        &self.groups
    }

    /// The scheduler its groups run on.
    pub(crate) fn scheduler(&self) -> Option<&Arc<Scheduler>> {
        self.sched.as_ref()
    }

    /// Start of the user MMIO range in this file's mmap offsets (`SET_USER_MMIO_OFFSET`, default 64-bit).
    pub(crate) fn user_mmio_offset(&self) -> u64 {
        self.user_mmio_offset.load(Ordering::Relaxed)
    }

    /// `SET_USER_MMIO_OFFSET`: only the 32-bit and 64-bit values are valid.
    pub(crate) fn set_user_mmio_offset(&self, offset: u64) -> Result {
        if offset != DRM_PANTHOR_USER_MMIO_OFFSET_32BIT
            && offset != DRM_PANTHOR_USER_MMIO_OFFSET_64BIT
        {
            return Err(EINVAL);
        }
        self.user_mmio_offset.store(offset, Ordering::Relaxed);
        Ok(())
    }

    /// The file's VMs.
    pub(crate) fn vms(&self) -> &VmPool {
        &self.vms
    }

    /// The heap slot of `vm` (one of this file's), made on first use.
    pub(crate) fn heap_slot(&self, vm: &Arc<Vm>) -> Result<Arc<HeapSlot>> {
        self.heaps.get(vm)
    }

    /// The heap slot of `vm`, if it has one.
    pub(crate) fn find_heap_slot(&self, vm: &Arc<Vm>) -> Option<Arc<HeapSlot>> {
        self.heaps.find(vm)
    }

    /// `BO_CREATE`.
    pub(crate) fn bo_create(
        &self,
        objects: &HandleTable<TyrObject>,
        args: &mut drm_panthor_bo_create,
    ) -> Result {
        const PAGE: u64 = 0x1000;
        if args.size == 0
            || args.pad != 0
            || args.flags & !(bo_flags::NO_MMAP | bo_flags::WB_MMAP) != 0
        {
            return Err(EINVAL);
        }
        if args.flags & bo_flags::NO_MMAP != 0 && args.flags & bo_flags::WB_MMAP != 0 {
            return Err(EINVAL);
        }
        let exclusive = match args.exclusive_vm_id {
            0 => None,
            id => Some((id, self.vms.get(id)?.gpuvm().resv().clone())),
        };
        let size = args.size.checked_add(PAGE - 1).ok_or(EINVAL)? & !(PAGE - 1);
        // `shmem_file_setup` refuses a size past MAX_LFS_FILESIZE (a negative `loff_t`).
        if size > i64::MAX as u64 {
            return Err(EINVAL);
        }
        let bo = match &self.offsets {
            Some(offsets) => TyrObject::create(offsets, &self.ram, size, args.flags, exclusive)?,
            None => TyrObject::new(&self.ram, size, args.flags, exclusive)?,
        };
        // Panthor's BOs read as zero: allocate (and clear) the pages now, as the shmem helper does on first use.
        bo.gem().get_pages()?;
        args.handle = objects.create(&bo)?;
        args.size = size;
        Ok(())
    }

    /// `VM_CREATE`.
    pub(crate) fn vm_create(&self, args: &mut drm_panthor_vm_create) -> Result {
        let (id, kernel_start) = self.vms.create(args.flags, args.user_va_range)?;
        args.id = id;
        args.user_va_range = kernel_start;
        Ok(())
    }

    /// `VM_DESTROY`.
    pub(crate) fn vm_destroy(&self, args: &mut drm_panthor_vm_destroy) -> Result {
        // The VM's heaps go with it, before its unmap; a refused call destroys nothing.
        self.vms
            .destroy(args.id, args.pad, |vm| self.heaps.release(vm))
    }

    /// `VM_GET_STATE`.
    pub(crate) fn vm_get_state(&self, args: &mut drm_panthor_vm_get_state) -> Result {
        args.state = self.vms.state(args.vm_id)?;
        Ok(())
    }

    /// `VM_BIND` without the ASYNC flag: on failure `ops.count` is rewritten to the failing op's index.
    pub(crate) fn vm_bind_sync(
        &self,
        objects: &HandleTable<TyrObject>,
        args: &mut drm_panthor_vm_bind,
    ) -> Result {
        // The VM is used in place, its pool shared meanwhile: nothing in a bind creates or destroys VMs.
        let res = self.vms.with(args.vm_id, |vm| {
            // A synchronous bind usually has a few ops: they are read onto the stack.
            let mut buf = [const { MaybeUninit::uninit() }; SYNC_OPS_ON_STACK];
            let ops = get_uobj_array_in::<drm_panthor_vm_bind_op>(&args.ops, &mut buf)?;
            Ok::<_, Error>(bind_sync(vm, &ops, |h| objects.lookup(h).ok()))
        })?;
        match res? {
            Ok(()) => Ok(()),
            Err((i, e)) => {
                args.ops.count = i;
                Err(e)
            }
        }
    }

    /// `VM_BIND` with the ASYNC flag (`Documentation/uapi.md#asynchronous-vm_bind`): the ops become bind jobs that wait
    /// for and signal `syncobjs`; a failure changes nothing, and `ops.count` is never rewritten.
    pub(crate) fn vm_bind_async(
        &self,
        objects: &HandleTable<TyrObject>,
        syncobjs: &SyncobjTable,
        args: &mut drm_panthor_vm_bind,
    ) -> Result {
        let vm = self.vms.get(args.vm_id)?;
        let ops: Vec<drm_panthor_vm_bind_op> = get_uobj_array(&args.ops)?;
        bind_async(&vm, &ops, |h| objects.lookup(h).ok(), syncobjs)
    }

    /// Tears the file down (close): every group destroyed, then every VM.
    pub(crate) fn close(&self) {
        for g in self.groups.drain() {
            if let Some(s) = &self.sched {
                s.destroy_group(&g);
            }
        }
        self.vms.destroy_all(|vm| self.heaps.release(vm));
    }
}

impl Drop for TyrFile {
    fn drop(&mut self) {
        self.close();
    }
}
