// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VM's reserves that keep the steps allocation-free: the VA-tree node reserve that [`VaPrealloc`]s fill in the
//! ioctl path and the steps draw on, and the deferred list, whose slots are reserved when a vm_bo is created so that
//! dropping its last reference in a step only pushes (`drm_gpuvm_bo_deferred_cleanup` frees it later).

use core::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::MutexGuard;

use super::btree::NodePool;
#[cfg(doc)]
use super::VaPrealloc;
use super::{DriverGpuVm, GpuVa, GpuVm, GpuVmBo};
use crate::alloc;
use crate::drm::gem::IntoGemObject;
use crate::error::Result;

/// The VM's reserve of VA-tree nodes, filled in the ioctl path and drawn on by the steps.
///
/// # Invariants
/// `reserved` is the sum of the reservations of live [`VaPrealloc`]s of this VM.
pub(crate) struct Spare<T: DriverGpuVm> {
    pub(super) pool: NodePool<GpuVa<T>>,
    pub(super) reserved: usize,
}

impl<T: DriverGpuVm> Spare<T> {
    /// Tree nodes that `inserts` insertions may need in a tree of about `height` levels (one level of margin for a
    /// tree that grows between the reservation and the bind).
    pub(crate) fn nodes_for(height: usize, inserts: usize) -> usize {
        (0..inserts).map(|i| height + 2 + i).sum()
    }
}

/// vm_bos whose last reference dropped, waiting for [`GpuVm::deferred_cleanup`].
///
/// # Invariants
/// * `list.capacity() >= live`, where `live` counts the vm_bos of this VM not yet cleaned up; so pushing any of them
///   never allocates.
/// * every entry is a zombie vm_bo of this VM (count zero), allocated and on no other list of the VM's but the
///   ones `deferred_cleanup` takes it off; it is freed only by `deferred_cleanup`, after being popped.
pub(super) struct Deferred<T: DriverGpuVm> {
    pub(super) list: Vec<NonNull<GpuVmBo<T>>>,
    pub(super) live: usize,
}

/// Reserves one slot on the deferred list for a new vm_bo; released unless committed.
pub(crate) struct DeferredSlot<'a, T: DriverGpuVm> {
    vm: &'a GpuVm<T>,
    committed: bool,
}

impl<T: DriverGpuVm> DeferredSlot<'_, T> {
    /// The vm_bo was created: keep the slot.
    pub(crate) fn commit(mut self) {
        self.committed = true;
    }
}

impl<T: DriverGpuVm> Drop for DeferredSlot<'_, T> {
    fn drop(&mut self) {
        if !self.committed {
            self.vm.deferred().live -= 1;
        }
    }
}

impl<T: DriverGpuVm> GpuVm<T> {
    pub(super) fn deferred(&self) -> MutexGuard<'_, Deferred<T>> {
        self.deferred.lock()
    }

    /// Makes room on the deferred list for one more vm_bo.
    pub(crate) fn reserve_deferred_slot(&self) -> Result<DeferredSlot<'_, T>> {
        let mut d = self.deferred();
        let want = (d.live + 1).saturating_sub(d.list.len());
        alloc::try_reserve(&mut d.list, want)?;
        d.live += 1;
        Ok(DeferredSlot {
            vm: self,
            committed: false,
        })
    }

    /// Queues a vm_bo of this VM whose last reference dropped (`drm_gpuvm_bo_defer_zombie_cleanup`). Never
    /// allocates: its slot was reserved at creation.
    pub(crate) fn defer(&self, bo: NonNull<GpuVmBo<T>>) {
        let mut d = self.deferred();
        debug_assert!(d.list.len() < d.list.capacity(), "deferred slot missing");
        // INVARIANT: its count is zero and it is not freed until popped by `deferred_cleanup`.
        d.list.push(bo);
    }

    pub(super) fn spare(&self) -> MutexGuard<'_, Spare<T>> {
        self.spare.lock()
    }

    /// The VA tree's height after the last change (for sizing reservations outside the core).
    pub(crate) fn height_hint(&self) -> usize {
        self.height_hint.load(Ordering::Relaxed)
    }

    /// Reserves `n` more tree nodes and refills the reserve to cover every reservation, allocating (the ioctl path
    /// of [`VaPrealloc`]). On failure nothing more is reserved; nodes allocated before the failure stay as spares.
    pub(crate) fn reserve_tree_nodes(&self, n: usize) -> Result {
        let mut sp = self.spare();
        while sp.pool.len() < sp.reserved + n {
            sp.pool.add(NodePool::alloc_node()?);
        }
        sp.reserved += n;
        Ok(())
    }

    /// Releases a reservation (the nodes stay as spares).
    pub(crate) fn release_tree_nodes(&self, n: usize) {
        let mut sp = self.spare();
        sp.reserved = sp.reserved.saturating_sub(n);
    }

    /// Number of vm_bos waiting for [`Self::deferred_cleanup`].
    pub fn deferred_len(&self) -> usize {
        self.deferred().list.len()
    }

    /// Frees the vm_bos whose last reference dropped (`drm_gpuvm_bo_deferred_cleanup`): unlinks each from its
    /// object's gpuva list and from the extobj/evict lists, then frees it. Takes the VM resv itself for a pair on
    /// those lists, so it must not be called with that resv held.
    pub fn deferred_cleanup(&self) {
        loop {
            // Pop under the leaf mutex, then work without it: the list keeps its capacity (the invariant).
            let Some(ptr) = self.deferred().list.pop() else {
                break;
            };
            // SAFETY: a deferred vm_bo stays allocated until freed below (`Deferred`'s invariant), and only shared
            // references to it exist: its count is zero, and the lists hand out none for a zombie.
            let bo = unsafe { ptr.as_ref() };
            {
                let list = bo.obj().gem().gpuva_lock();
                // SAFETY: the object's gpuva lock, which guards its list, is held; the pair was linked there when
                // created and only this function takes it off.
                unsafe { list.vm_bos.remove(bo.gem_links()) };
            }
            // A zombie's flags no longer change: only holders of a reference evict.
            if bo.is_extobj() || bo.is_evicted() {
                let mut g = self.resv.lock();
                if let Ok(lists) = self.resv_lists(&mut g) {
                    lists.extobj.retain(|b| *b != ptr);
                    lists.evict.retain(|b| *b != ptr);
                }
            }
            debug_assert!(bo.va_count() == 0, "a zombie vm_bo with VAs");
            self.deferred().live -= 1;
            // SAFETY: the pair came from `Box::leak` in `GpuVmBo::obtain`, its count is zero and it is on no list
            // any more: nothing refers to it. Dropping it drops its VM reference; `self` is borrowed from another.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
    }
}
