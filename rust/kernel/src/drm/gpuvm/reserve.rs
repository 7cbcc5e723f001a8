// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VM's reserves that keep the steps allocation-free: the VA-tree node reserve that [`VaPrealloc`]s fill in the
//! ioctl path and the steps draw on, and the deferred list, whose slots are reserved when a vm_bo is created so that
//! dropping its last reference in a step only pushes (`drm_gpuvm_bo_deferred_cleanup` frees it later).

use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};

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
/// `list.capacity() >= live`, where `live` counts the vm_bos of this VM not yet cleaned up; so pushing any of them
/// never allocates.
pub(super) struct Deferred<T: DriverGpuVm> {
    pub(super) list: Vec<Arc<GpuVmBo<T>>>,
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

    /// Queues a vm_bo whose last reference dropped. Never allocates: its slot was reserved at creation.
    pub(crate) fn defer(&self, bo: Arc<GpuVmBo<T>>) {
        let mut d = self.deferred();
        debug_assert!(d.list.len() < d.list.capacity(), "deferred slot missing");
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
    /// object's gpuva list and from the extobj/evict lists. Takes the VM resv itself, so it must not be called with
    /// that resv held.
    pub fn deferred_cleanup(&self) {
        loop {
            // Pop under the leaf mutex, then work without it: the list keeps its capacity (the invariant).
            let Some(bo) = self.deferred().list.pop() else {
                break;
            };
            {
                let mut list = bo.obj().gem().gpuva_lock();
                if let Some(pos) = list.vm_bos.iter().position(|e| {
                    core::ptr::eq(Arc::as_ptr(e) as *const u8, Arc::as_ptr(&bo) as *const u8)
                }) {
                    drop(list.vm_bos.swap_remove(pos));
                }
            }
            if bo.is_extobj() || bo.is_evicted() {
                let mut g = self.resv.lock();
                if let Ok(lists) = self.resv_lists(&mut g) {
                    lists.extobj.retain(|b| !Arc::ptr_eq(b, &bo));
                    lists.evict.retain(|b| !Arc::ptr_eq(b, &bo));
                }
            }
            self.deferred().live -= 1;
            drop(bo);
        }
    }
}
