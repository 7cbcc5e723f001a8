// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VM's reserves that keep the steps allocation-free: the VA-tree node reserve that [`VaPrealloc`]s fill in the
//! ioctl path and the steps draw on, and the deferred list, which a vm_bo links itself into, so that dropping its last
//! reference in a step only pushes (`drm_gpuvm_bo_deferred_cleanup` frees it later).

use crate::sync::MutexGuard;
use core::ptr::NonNull;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use super::btree::{NodePool, Reserve};
use super::va::GpuVaAlloc;
use super::{DriverGpuVm, GpuVa, GpuVm, GpuVmBo, GpuVmRef};
use crate::drm::gem::IntoGemObject;
use crate::error::code::EINVAL;
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

/// vm_bos whose last reference dropped, waiting for [`GpuVm::deferred_cleanup`]: a stack linked through the pairs'
/// own `deferred_next` (the kernel's `llist` of zombies), so that queuing one never allocates and nothing has to be
/// reserved for it when a pair is created.
///
/// # Invariants
/// * `head` and the `deferred_next` links from it list `len` zombie vm_bos of this VM (count zero), each allocated
///   and on no other list of the VM's but the ones `deferred_cleanup` takes it off; a pair's `deferred_next` is only
///   read or written with this list's lock held.
/// * a pair listed here is freed only by `deferred_cleanup`, after being popped.
pub(super) struct Deferred<T: DriverGpuVm> {
    pub(super) head: Option<NonNull<GpuVmBo<T>>>,
    pub(super) len: usize,
}

/// Figures the holders of the VM's reserve locks publish when they release them, so that the fast paths can read
/// them without the locks.
#[derive(Default)]
pub(crate) struct Hints {
    /// Spare tree nodes beyond every reservation (the pool's length minus the reserved count; negative when the
    /// steps drew on reserved nodes): lets a [`VaPrealloc`] whose reservation already stands skip the lock when
    /// nothing needs refilling.
    spare_surplus: AtomicIsize,
    /// The spare tree nodes in the pool ([`LazySpare`]).
    spare_len: AtomicUsize,
    /// Entries on the deferred list: lets [`GpuVm::deferred_cleanup`] return at once, without the lock, when nothing
    /// is queued.
    deferred_queued: AtomicUsize,
}

/// The held lock of a VM's spare-node reserve; publishes the reserve's surplus and length ([`Hints`]) when it is
/// released, so that the figure read without the lock is the one the last holder left.
pub(crate) struct SpareGuard<'a, T: DriverGpuVm> {
    guard: MutexGuard<'a, Spare<T>>,
    surplus: &'a AtomicIsize,
    len: &'a AtomicUsize,
}

impl<T: DriverGpuVm> core::ops::Deref for SpareGuard<'_, T> {
    type Target = Spare<T>;
    fn deref(&self) -> &Spare<T> {
        &self.guard
    }
}

impl<T: DriverGpuVm> core::ops::DerefMut for SpareGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut Spare<T> {
        &mut self.guard
    }
}

impl<T: DriverGpuVm> Drop for SpareGuard<'_, T> {
    fn drop(&mut self) {
        // Node counts are far below `isize::MAX` (each node is a heap allocation).
        let surplus = self.guard.pool.len() as isize - self.guard.reserved as isize;
        self.surplus.store(surplus, Ordering::Release);
        self.len.store(self.guard.pool.len(), Ordering::Release);
    }
}

/// The VM's node reserve as the steps of one `sm_map`/`sm_unmap` reach it: its lock is taken the first time a tree
/// change needs a spare node (a split) or gives one back (an emptied node), and held until the walk ends. Most
/// changes need neither, and take no lock.
pub(crate) struct LazySpare<'a, T: DriverGpuVm> {
    vm: &'a GpuVm<T>,
    guard: Option<SpareGuard<'a, T>>,
}

impl<'a, T: DriverGpuVm> LazySpare<'a, T> {
    /// The reserve of `vm`, not locked yet.
    pub(crate) fn new(vm: &'a GpuVm<T>) -> Self {
        LazySpare { vm, guard: None }
    }

    /// Whether the reserve holds at least `n` nodes. Only the holder of the VM's core takes nodes out (its steps),
    /// so the length published at the last release of the lock is a lower bound of the current one for it; the
    /// lock is taken only when that bound falls short.
    pub(crate) fn holds(&mut self, n: usize) -> bool {
        self.vm.hints.spare_len.load(Ordering::Acquire) >= n || self.nodes().len() >= n
    }
}

impl<T: DriverGpuVm> Reserve<GpuVa<T>> for LazySpare<'_, T> {
    fn nodes(&mut self) -> &mut NodePool<GpuVa<T>> {
        let vm = self.vm;
        &mut self.guard.get_or_insert_with(|| vm.spare()).pool
    }
}

/// The held lock of a VM's deferred list; publishes the list's length ([`Hints`]) when released.
pub(super) struct DeferredGuard<'a, T: DriverGpuVm> {
    guard: MutexGuard<'a, Deferred<T>>,
    queued: &'a AtomicUsize,
}

impl<T: DriverGpuVm> core::ops::Deref for DeferredGuard<'_, T> {
    type Target = Deferred<T>;
    fn deref(&self) -> &Deferred<T> {
        &self.guard
    }
}

impl<T: DriverGpuVm> core::ops::DerefMut for DeferredGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut Deferred<T> {
        &mut self.guard
    }
}

impl<T: DriverGpuVm> Drop for DeferredGuard<'_, T> {
    fn drop(&mut self) {
        self.queued.store(self.guard.len, Ordering::Release);
    }
}

impl<T: DriverGpuVm> GpuVm<T> {
    pub(super) fn deferred(&self) -> DeferredGuard<'_, T> {
        DeferredGuard {
            guard: self.deferred.lock(),
            queued: &self.hints.deferred_queued,
        }
    }

    /// Queues a vm_bo of this VM whose last reference dropped (`drm_gpuvm_bo_defer_zombie_cleanup`). Never
    /// allocates: the pair links itself.
    pub(crate) fn defer(&self, bo: NonNull<GpuVmBo<T>>) {
        let mut d = self.deferred();
        // SAFETY: the pair is live (its count just reached zero; it is freed only after being popped off this list)
        // and its link is only touched with the list's lock, held here.
        unsafe { bo.as_ref() }.set_deferred_next(d.head);
        // INVARIANT: a zombie of this VM, not freed until popped by `deferred_cleanup`, linked to the old head.
        d.head = Some(bo);
        d.len += 1;
    }

    pub(super) fn spare(&self) -> SpareGuard<'_, T> {
        SpareGuard {
            guard: self.spare.lock(),
            surplus: &self.hints.spare_surplus,
            len: &self.hints.spare_len,
        }
    }

    /// The VA tree's height after the last change (for sizing reservations outside the core).
    pub(crate) fn height_hint(&self) -> usize {
        self.height_hint.load(Ordering::Relaxed)
    }

    /// Reserves `n` more tree nodes and refills the reserve to cover every reservation, allocating (the ioctl path
    /// of [`VaPrealloc`]). On failure nothing more is reserved; nodes allocated before the failure stay as spares.
    pub(crate) fn reserve_tree_nodes(&self, n: usize) -> Result {
        // Nothing more reserved and no reserved node drawn on since the lock was last released: nothing to do. (A
        // step running meanwhile on another thread may draw on the reserve right after, as it may right after the
        // locked refill: the steps check the reserve themselves.)
        if n == 0 && self.hints.spare_surplus.load(Ordering::Acquire) >= 0 {
            return Ok(());
        }
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
        self.deferred().len
    }

    /// Frees the vm_bos whose last reference dropped (`drm_gpuvm_bo_deferred_cleanup`): unlinks each from its
    /// object's gpuva list and from the extobj/evict lists, then frees it. Takes the VM resv itself for a pair on
    /// those lists, so it must not be called with that resv held.
    pub fn deferred_cleanup(&self) {
        // Nothing queued as of the last release of the list's lock: nothing to free (a vm_bo queued meanwhile by
        // another thread is freed by a later call, as it would be had it been queued just after this one).
        if self.hints.deferred_queued.load(Ordering::Acquire) == 0 {
            return;
        }
        loop {
            // Pop under the leaf mutex, then work without it; whether more are queued is read in the same hold: one
            // hold per pair.
            let (ptr, more) = {
                let mut d = self.deferred();
                let Some(ptr) = d.head else {
                    break;
                };
                // SAFETY: a listed pair is live until popped (`Deferred`'s invariant), and its link is read with the
                // list's lock held.
                d.head = unsafe { ptr.as_ref() }.deferred_next();
                d.len -= 1;
                (ptr, d.head.is_some())
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
            // SAFETY: the pair came from `Box::leak` in `GpuVmBo::obtain`, its count is zero and it is on no list
            // any more: nothing refers to it. Dropping it drops its VM reference; `self` is borrowed from another.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
            // A pair queued after the list was seen empty is freed by a later call, as one queued just after this
            // call would be.
            if !more {
                break;
            }
        }
    }
}

/// Pre-allocated nodes for one bind op (Tyr's `VmOpResources` slots): VA nodes, and a reservation of VA-tree
/// nodes in the VM's reserve (the kernel's maple tree is pre-allocated the same way, `mas_preallocate`). Allocated
/// in the ioctl, taken by the steps. At most three VA nodes are ever needed: a map needs the new VA plus the two
/// parts of a VA it splits, an unmap the two parts of a VA it splits.
///
/// # Invariants
/// `tree_nodes` nodes of `vm`'s reserve are counted as reserved by this pool, and released when it drops.
pub struct VaPrealloc<T: DriverGpuVm> {
    vm: GpuVmRef<T>,
    slots: [Option<GpuVaAlloc<T>>; 3],
    tree_nodes: usize,
}

impl<T: DriverGpuVm> VaPrealloc<T> {
    /// A pool for `vm` holding nothing yet (to be filled with [`Self::top_up`]).
    pub fn empty(vm: &GpuVmRef<T>) -> Self {
        VaPrealloc {
            vm: vm.clone(),
            slots: [None, None, None],
            tree_nodes: 0,
        }
    }

    /// Allocates `n` (at most 3) VA nodes and reserves the tree nodes their insertion may need; `EINVAL` for more
    /// than 3, `ENOMEM` on failure.
    pub fn new(vm: &GpuVmRef<T>, n: usize) -> Result<Self> {
        let mut p = Self::empty(vm);
        p.top_up(n)?;
        Ok(p)
    }

    /// Enough for any `sm_map`: 3.
    pub fn for_map(vm: &GpuVmRef<T>) -> Result<Self> {
        Self::new(vm, 3)
    }

    /// Enough for any `sm_unmap`: 2.
    pub fn for_unmap(vm: &GpuVmRef<T>) -> Result<Self> {
        Self::new(vm, 2)
    }

    /// Allocates VA nodes until `n` (at most 3) are held, keeping any already there (a driver's per-VM node cache
    /// refilled in the ioctl), and tops the tree-node reservation up to what `n` insertions may need. `ENOMEM` on
    /// failure, with what was allocated so far kept.
    pub fn top_up(&mut self, n: usize) -> Result {
        if n > 3 {
            return Err(EINVAL);
        }
        while self.len() < n {
            let va = GpuVaAlloc::new()?;
            // Cannot be full: fewer than `n <= 3` slots are taken.
            let _ = self.put(va);
        }
        // Steps draw nodes from the reserve without touching reservations: refill it to everything reserved (ours
        // included) every time, and grow ours if the tree grew.
        let want = Spare::<T>::nodes_for(self.vm.height_hint(), n);
        let extra = want.saturating_sub(self.tree_nodes);
        self.vm.reserve_tree_nodes(extra)?;
        self.tree_nodes += extra;
        Ok(())
    }

    /// Whether [`Self::top_up`]`(n)` would have nothing to do: `n` VA nodes held, the VA-tree nodes their insertion
    /// may need reserved, and the VM's reserve holding every reserved node. Allocates nothing and takes no lock, so
    /// that a holder of a lock nothing may allocate under can decide whether a pool will do as it is.
    pub fn ready(&self, n: usize) -> bool {
        n <= 3
            && self.len() >= n
            && self.tree_nodes >= Spare::<T>::nodes_for(self.vm.height_hint(), n)
            && self.vm.hints.spare_surplus.load(Ordering::Acquire) >= 0
    }

    /// The VM this pool reserves in.
    pub fn vm(&self) -> &GpuVmRef<T> {
        &self.vm
    }

    /// VA nodes left.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Whether no VA node is left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one VA node.
    pub fn take(&mut self) -> Option<GpuVaAlloc<T>> {
        self.slots.iter_mut().find_map(|s| s.take())
    }

    /// Takes two VA nodes, for [`OpRemap::remap`](super::OpRemap::remap); `None`, with the pool unchanged,
    /// if fewer are left.
    pub fn take_pair(&mut self) -> Option<[GpuVaAlloc<T>; 2]> {
        if self.len() < 2 {
            return None;
        }
        Some([self.take()?, self.take()?])
    }

    /// Gives a VA node back (a recycled [`GpuVaRemoved`](super::GpuVaRemoved) node, say); returns it if the
    /// pool is full.
    pub fn put(&mut self, va: GpuVaAlloc<T>) -> core::result::Result<(), GpuVaAlloc<T>> {
        match self.slots.iter_mut().find(|s| s.is_none()) {
            Some(s) => {
                *s = Some(va);
                Ok(())
            }
            None => Err(va),
        }
    }
}

impl<T: DriverGpuVm> Drop for VaPrealloc<T> {
    fn drop(&mut self) {
        self.vm.release_tree_nodes(self.tree_nodes);
    }
}
