// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `GpuVmBo`: the (VM, GEM object) pair (`struct drm_gpuvm_bo`).

use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{DriverGpuVm, GpuVm, ObjectOf};
use crate::alloc;
use crate::dma_resv::ResvHeld;
use crate::drm::gem::IntoGemObject;
use crate::error::code::EINVAL;
use crate::error::Result;

/// One GEM object as seen by one VM: found or created by [`GpuVmBo::obtain`], refcounted by [`VmBoRef`], linked on
/// the object's gpuva list (guarded by the object's gpuva lock), on the VM's extobj list when the object is external
/// and on its evict list when evicted (both guarded by the VM's resv).
///
/// # Invariants
/// * `refs` counts the live [`VmBoRef`]s; once it reaches zero it never rises again, and the pair sits on its VM's
///   deferred list until [`GpuVm::deferred_cleanup`] unlinks it.
/// * `va_count` is only changed with the object's gpuva lock held.
pub struct GpuVmBo<T: DriverGpuVm> {
    pub(super) vm: Pin<Arc<GpuVm<T>>>,
    pub(super) obj: Arc<ObjectOf<T>>,
    data: T::VmBoData,
    pub(super) refs: AtomicUsize,
    pub(super) va_count: AtomicUsize,
    pub(super) evicted: AtomicBool,
    pub(super) extobj: bool,
}

impl<T: DriverGpuVm> GpuVmBo<T> {
    /// Finds the vm_bo of (`vm`, `obj`) or creates it (`drm_gpuvm_bo_obtain`), taking a reference. A new pair is
    /// linked on the object's gpuva list and, for an external object, on the VM's extobj list, which is why the VM's
    /// resv must be held (`held`). Everything is allocated before anything is linked: on failure nothing changed.
    /// `EINVAL` if `held` does not hold the VM's resv.
    pub fn obtain(
        vm: &Pin<Arc<GpuVm<T>>>,
        obj: &Arc<ObjectOf<T>>,
        data: T::VmBoData,
        held: &mut impl ResvHeld,
    ) -> Result<VmBoRef<T>> {
        if !held.holds(vm.resv()) {
            return Err(EINVAL);
        }
        let gem = obj.gem();
        let mut list = gem.gpuva_lock();
        for entry in &list.vm_bos {
            if let Some(bo) = entry
                .clone()
                .downcast::<GpuVmBo<T>>()
                .ok()
                .filter(|bo| core::ptr::eq(&*bo.vm, &**vm))
            {
                // `drm_gpuvm_bo_get_unless_zero`: a pair waiting for deferred cleanup cannot be revived.
                if bo
                    .refs
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                        (r > 0).then_some(r + 1)
                    })
                    .is_ok()
                {
                    return Ok(VmBoRef(bo));
                }
            }
        }
        let extobj = vm.is_extobj(obj);
        alloc::try_reserve(&mut list.vm_bos, 1)?;
        let slot = vm.reserve_deferred_slot()?;
        let lists = vm.resv_lists(held)?;
        if extobj {
            alloc::try_reserve(&mut lists.extobj, 1)?;
        }
        let bo = alloc::try_arc(GpuVmBo {
            vm: vm.clone(),
            obj: obj.clone(),
            data,
            refs: AtomicUsize::new(1),
            va_count: AtomicUsize::new(0),
            evicted: AtomicBool::new(false),
            extobj,
        })?;
        // Point of no return: the reservations above make these pushes allocation-free.
        slot.commit();
        list.vm_bos.push(bo.clone());
        if extobj {
            lists.extobj.push(bo.clone());
        }
        Ok(VmBoRef(bo))
    }

    /// The VM.
    pub fn vm(&self) -> &Pin<Arc<GpuVm<T>>> {
        &self.vm
    }

    /// The GEM object.
    pub fn obj(&self) -> &Arc<ObjectOf<T>> {
        &self.obj
    }

    /// The driver's data for this pair.
    pub fn data(&self) -> &T::VmBoData {
        &self.data
    }

    /// Whether the object is external to the VM (on its extobj list).
    pub fn is_extobj(&self) -> bool {
        self.extobj
    }

    /// How many VAs of the VM map this object.
    pub fn va_count(&self) -> usize {
        self.va_count.load(Ordering::Acquire)
    }

    /// Live references (for tests and debugging).
    pub fn refcount(&self) -> usize {
        self.refs.load(Ordering::Acquire)
    }

    /// Whether the pair is marked evicted.
    pub fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    /// Marks the object evicted or resident in this VM (`drm_gpuvm_bo_evict`), moving the pair on or off the VM's
    /// evict list. The VM's resv and the object's must both be held by `held`; `EINVAL` otherwise.
    pub fn evict(self: &Arc<Self>, held: &mut impl ResvHeld, evict: bool) -> Result {
        if !held.holds(self.obj.gem().resv()) {
            return Err(EINVAL);
        }
        let lists = self.vm.resv_lists(held)?;
        let pos = lists.evict.iter().position(|b| Arc::ptr_eq(b, self));
        match (evict, pos) {
            (true, None) => alloc::try_push(&mut lists.evict, self.clone())?,
            (false, Some(p)) => drop(lists.evict.remove(p)),
            _ => {}
        }
        self.evicted.store(evict, Ordering::Release);
        Ok(())
    }
}

/// A counted reference to a [`GpuVmBo`] (`ARef<GpuVmBo<T>>`). Dropping the last one never frees the pair on the
/// spot — that may happen in the fence-signalling path, where the object's gpuva lock cannot be taken for the
/// unlinking — but puts it on the VM's deferred list, in a slot reserved when the pair was created, without
/// allocating; [`GpuVm::deferred_cleanup`] frees it later.
pub struct VmBoRef<T: DriverGpuVm>(Arc<GpuVmBo<T>>);

impl<T: DriverGpuVm> VmBoRef<T> {
    /// The shared pair, for lists and comparisons.
    pub fn as_arc(&self) -> &Arc<GpuVmBo<T>> {
        &self.0
    }

    /// Whether two references are to the same pair.
    pub fn ptr_eq(&self, other: &VmBoRef<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: DriverGpuVm> Clone for VmBoRef<T> {
    fn clone(&self) -> Self {
        self.0.refs.fetch_add(1, Ordering::AcqRel);
        VmBoRef(self.0.clone())
    }
}

impl<T: DriverGpuVm> core::ops::Deref for VmBoRef<T> {
    type Target = GpuVmBo<T>;
    fn deref(&self) -> &GpuVmBo<T> {
        &self.0
    }
}

impl<T: DriverGpuVm> Drop for VmBoRef<T> {
    fn drop(&mut self) {
        if self.0.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.vm.defer(self.0.clone());
        }
    }
}
