// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `GpuVmBo`: the (VM, GEM object) pair (`struct drm_gpuvm_bo`), and `VmBoRef`, a counted reference to one
//! (`ARef<GpuVmBo<T>>`).

use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

use super::list::{Links, List};
use super::va::LinkedVa;
use super::{DriverGpuVm, GpuVm, ObjectOf};
use crate::alloc;
use crate::dma_resv::ResvHeld;
use crate::drm::gem::{GpuvaList, IntoGemObject};
use crate::error::code::EINVAL;
use crate::error::Result;

/// The entry of a vm_bo on its object's gpuva list, the same for every VM type: the links, and the address of the
/// VM the vm_bo belongs to, by which GPUVM tells its own entries from other VMs'.
///
/// # Invariants
/// `vm` is the address of the `GpuVm<T>` of the `GpuVmBo<T>` that embeds this entry as its first field.
#[repr(C)]
pub(crate) struct GemEntry {
    links: Links,
    vm: usize,
}

/// One GEM object as seen by one VM: found or created by [`GpuVmBo::obtain`], refcounted by [`VmBoRef`]. It sits on
/// the object's gpuva list (guarded by the object's gpuva lock), on the VM's extobj list when the object is external
/// and on its evict list when evicted (both guarded by the VM's resv). None of those lists holds a reference, as
/// upstream; and it keeps the list of its VAs, guarded by the object's gpuva lock.
///
/// # Invariants
/// * It lives in a heap allocation of its own, made by [`GpuVmBo::obtain`] and freed only by
///   [`GpuVm::deferred_cleanup`], after `refcount` reached zero and the pair was taken off every list.
/// * `refcount` counts the live [`VmBoRef`]s; once it reaches zero it never rises again, and the pair sits on its
///   VM's deferred list until [`GpuVm::deferred_cleanup`] frees it.
/// * `vas` holds the entries of the VAs that map this pair (each VA holding a [`VmBoRef`]); it is only accessed
///   with the object's gpuva lock held.
/// * `evicted` is true exactly when the pair is on the VM's evict list; both change with the VM's resv held.
#[repr(C)]
pub struct GpuVmBo<T: DriverGpuVm> {
    /// First, so that a pointer to the entry is a pointer to the pair.
    gem_entry: GemEntry,
    refcount: AtomicUsize,
    pub(super) vas: List,
    vm: Pin<Arc<GpuVm<T>>>,
    obj: Arc<ObjectOf<T>>,
    evicted: AtomicBool,
    extobj: bool,
    data: T::VmBoData,
    /// The next zombie on the VM's deferred list (`llist_node`); only touched with that list's lock held, so the
    /// accesses are relaxed (an atomic only because the pair is shared between threads).
    deferred_next: AtomicPtr<GpuVmBo<T>>,
}

/// The object [`GpuVmBo::obtain_any`] is given: a reference to clone for a new pair, or one to hand over to it.
enum ObjArg<'a, O> {
    Borrowed(&'a Arc<O>),
    Owned(Arc<O>),
}

impl<O> ObjArg<'_, O> {
    fn get(&self) -> &Arc<O> {
        match self {
            ObjArg::Borrowed(o) => o,
            ObjArg::Owned(o) => o,
        }
    }

    fn into_arc(self) -> Arc<O> {
        match self {
            ObjArg::Borrowed(o) => o.clone(),
            ObjArg::Owned(o) => o,
        }
    }
}

/// The address of `vm`, as [`GemEntry::vm`] records it.
fn vm_id<T: DriverGpuVm>(vm: &GpuVm<T>) -> usize {
    vm as *const GpuVm<T> as usize
}

impl<T: DriverGpuVm> GpuVmBo<T> {
    /// Finds the vm_bo of (`vm`, `obj`) or creates it (`drm_gpuvm_bo_obtain_prealloc`), taking a reference. A new
    /// pair is linked on the object's gpuva list and, for an external object, on the VM's extobj list, which is why
    /// the VM's resv must be held (`held`). As upstream, the pair and its extobj slot are
    /// allocated before the object's gpuva lock is taken for linking, and nothing allocates under it; unlike
    /// upstream, an existing pair is looked up first, so that finding one allocates nothing, and the lookup is
    /// repeated under the lock before linking (a pair created meanwhile wins and the new one is freed after the
    /// lock). An object that had no pair when its gpuva lock was last released skips the first lookup. On failure
    /// nothing changed. `EINVAL` if `held` does not hold the VM's resv.
    pub fn obtain(
        vm: &Pin<Arc<GpuVm<T>>>,
        obj: &Arc<ObjectOf<T>>,
        data: T::VmBoData,
        held: &mut impl ResvHeld,
    ) -> Result<VmBoRef<T>> {
        Self::obtain_any(vm, ObjArg::Borrowed(obj), data, held)
    }

    /// [`Self::obtain`] given a reference to the object to keep: a new pair takes it over instead of taking one of
    /// its own (an existing pair drops it).
    pub fn obtain_owned(
        vm: &Pin<Arc<GpuVm<T>>>,
        obj: Arc<ObjectOf<T>>,
        data: T::VmBoData,
        held: &mut impl ResvHeld,
    ) -> Result<VmBoRef<T>> {
        Self::obtain_any(vm, ObjArg::Owned(obj), data, held)
    }

    fn obtain_any(
        vm: &Pin<Arc<GpuVm<T>>>,
        obj: ObjArg<'_, ObjectOf<T>>,
        data: T::VmBoData,
        held: &mut impl ResvHeld,
    ) -> Result<VmBoRef<T>> {
        if !held.holds(vm.resv()) {
            return Err(EINVAL);
        }
        // An existing pair needs nothing allocated: look it up first (the lookup allocates nothing under the lock),
        // unless the object had no pair at all when its lock was last released — the object's first mapping, the
        // common case — where the lookup under the lock below is the only one.
        if obj.get().gem().has_vm_bos_hint() {
            if let Some(found) = Self::find(&obj.get().gem().gpuva_lock(), vm) {
                return Ok(found);
            }
        }
        let extobj = vm.is_extobj(obj.get());
        let lists = vm.resv_lists(held)?;
        if extobj {
            alloc::try_reserve(&mut lists.extobj, 1)?;
        }
        let new = alloc::try_box(GpuVmBo {
            gem_entry: GemEntry {
                links: Links::new(),
                vm: vm_id(vm),
            },
            refcount: AtomicUsize::new(1),
            vas: List::new(),
            vm: vm.clone(),
            obj: obj.into_arc(),
            evicted: AtomicBool::new(false),
            extobj,
            data,
            deferred_next: AtomicPtr::new(core::ptr::null_mut()),
        })?;
        let obj: *const ObjectOf<T> = Arc::as_ptr(&new.obj);
        // SAFETY: the object is kept alive by the reference the new pair holds, and the pair outlives `list`: it is
        // freed below only after `list` is dropped, or leaked and returned.
        let list = unsafe { &*obj }.gem().gpuva_lock();
        // Looked up again: the pair may have been created while the lock was dropped.
        if let Some(found) = Self::find(&list, vm) {
            drop(list);
            // Not linked anywhere: freed as any box.
            drop(new);
            return Ok(found);
        }
        let new = NonNull::from(Box::leak(new));
        // SAFETY: the object's gpuva lock is held; the new pair is on no list and stays where it is until
        // `deferred_cleanup` takes it off before freeing it (type invariant).
        unsafe { list.vm_bos.push_back(new.cast::<Links>()) };
        drop(list);
        // Point of no return: the reservation above makes this allocation-free.
        if extobj {
            lists.extobj.push(new);
        }
        // INVARIANT: the count was created as 1 for this reference.
        Ok(VmBoRef(new, PhantomData))
    }

    /// The live vm_bo of `vm` on `list` with a new reference (`drm_gpuvm_bo_find` + `drm_gpuvm_bo_get_unless_zero`):
    /// a pair waiting for deferred cleanup cannot be revived.
    fn find(list: &GpuvaList, vm: &GpuVm<T>) -> Option<VmBoRef<T>> {
        let id = vm_id(vm);
        // SAFETY: `list` is borrowed from the held gpuva lock, which guards it, and nothing is taken off meanwhile.
        let mut entries = unsafe { list.vm_bos.iter() };
        entries.find_map(|e| {
            let e = e.cast::<GemEntry>();
            // SAFETY: every entry on an object's gpuva list is the first field of a live vm_bo (`GpuvaList`'s
            // invariant), whose `GemEntry` layout does not depend on its VM type.
            if unsafe { e.as_ref() }.vm != id {
                return None;
            }
            // SAFETY: the entry names `vm`'s address. Its pair keeps its own VM alive, and no two live VMs share an
            // address, so its VM is `vm`, a `GpuVm<T>`, and the entry is the first field of a live `GpuVmBo<T>`
            // (`GemEntry`'s invariant): the pointers are equal under `repr(C)`.
            unsafe { VmBoRef::get_unless_zero(e.cast::<GpuVmBo<T>>()) }
        })
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

    /// Calls `f` for each VA of the VM that maps this object, in the order they were linked
    /// (`drm_gpuvm_bo_for_each_va`), with the object's gpuva lock held: `f` must not allocate (an allocation point
    /// reached there fails) nor take the lock again.
    pub fn for_each_va(&self, mut f: impl FnMut(&LinkedVa)) {
        let _list = self.obj.gem().gpuva_lock();
        // SAFETY: the object's gpuva lock, which guards `vas`, is held for the whole walk, and nothing is taken off
        // meanwhile (`f` only sees shared entries).
        for e in unsafe { self.vas.iter() } {
            // SAFETY: every entry on `vas` is that of a linked `GpuVa<T>` (type invariant); the lock is held.
            f(&unsafe { LinkedVa::of::<T>(e) });
        }
    }

    /// How many VAs of the VM map this object: the length of its VA list, counted under the object's gpuva lock.
    pub fn va_count(&self) -> usize {
        let _list = self.obj.gem().gpuva_lock();
        // SAFETY: the object's gpuva lock, which guards `vas`, is held.
        unsafe { self.vas.count() }
    }

    /// Live references (for tests and debugging; `kref_read`).
    pub fn refcount(&self) -> usize {
        self.refcount.load(Ordering::Acquire)
    }

    /// Whether the last reference is gone and the pair waits for [`GpuVm::deferred_cleanup`]
    /// (`drm_gpuvm_bo_is_zombie`).
    pub fn is_zombie(&self) -> bool {
        self.refcount() == 0
    }

    /// Whether the pair is marked evicted.
    pub fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    /// The next pair on the VM's deferred list. The caller holds that list's lock.
    pub(super) fn deferred_next(&self) -> Option<NonNull<GpuVmBo<T>>> {
        NonNull::new(self.deferred_next.load(Ordering::Relaxed))
    }

    /// Links the pair to `next` on the VM's deferred list. The caller holds that list's lock.
    pub(super) fn set_deferred_next(&self, next: Option<NonNull<GpuVmBo<T>>>) {
        self.deferred_next.store(
            next.map_or(core::ptr::null_mut(), NonNull::as_ptr),
            Ordering::Relaxed,
        );
    }

    /// The entry on the object's gpuva list.
    pub(super) fn gem_links(&self) -> NonNull<Links> {
        // The entry is the first field (`repr(C)`), and the pointer covers the whole pair, as the one the entry was
        // linked with.
        NonNull::from(self).cast()
    }
}

/// A counted reference to a [`GpuVmBo`] (`ARef<GpuVmBo<T>>`): one atomic count per pair (`drm_gpuvm_bo::kref`).
/// Dropping the last one never frees the pair on the spot — that may happen in the fence-signalling path, where
/// neither the VM's resv (for the extobj and evict lists) nor the freeing of the object can be afforded — but puts
/// it on the VM's deferred list, which it links itself into without allocating;
/// [`GpuVm::deferred_cleanup`] unlinks and frees it later.
///
/// # Invariants
/// The pointer is to a live [`GpuVmBo`] whose `refcount` counts this reference.
pub struct VmBoRef<T: DriverGpuVm>(NonNull<GpuVmBo<T>>, PhantomData<GpuVmBo<T>>);

// SAFETY: a `VmBoRef` gives shared access to a `GpuVmBo`, whose mutable state is atomic or lock-guarded, and whose
// count it changes atomically; so it may move or be shared between threads when the pair itself may.
unsafe impl<T: DriverGpuVm> Send for VmBoRef<T> where GpuVmBo<T>: Send + Sync {}
// SAFETY: as above.
unsafe impl<T: DriverGpuVm> Sync for VmBoRef<T> where GpuVmBo<T>: Send + Sync {}

impl<T: DriverGpuVm> VmBoRef<T> {
    /// A new reference to `bo`, unless its count already reached zero (`kref_get_unless_zero`).
    ///
    /// # Safety
    /// `bo` is a live vm_bo, not freed while this runs (a lock that guards a list it is on is held).
    pub(super) unsafe fn get_unless_zero(bo: NonNull<GpuVmBo<T>>) -> Option<Self> {
        // SAFETY: `bo` is live (caller).
        let count = &unsafe { bo.as_ref() }.refcount;
        count
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |r| {
                (r > 0).then_some(r + 1)
            })
            .ok()
            // INVARIANT: the count was raised for this reference while it was not zero.
            .map(|_| VmBoRef(bo, PhantomData))
    }

    /// The pair's address, for identity comparisons.
    pub fn as_ptr(&self) -> *const GpuVmBo<T> {
        self.0.as_ptr()
    }

    /// Whether two references are to the same pair.
    pub fn ptr_eq(&self, other: &VmBoRef<T>) -> bool {
        self.0 == other.0
    }

    /// Marks the object evicted or resident in this VM (`drm_gpuvm_bo_evict`), moving the pair on or off the VM's
    /// evict list. The VM's resv and the object's must both be held by `held`; `EINVAL` otherwise.
    pub fn evict(&self, held: &mut impl ResvHeld, evict: bool) -> Result {
        if !held.holds(self.obj().gem().resv()) {
            return Err(EINVAL);
        }
        let me = self.0;
        let lists = self.vm().resv_lists(held)?;
        let pos = lists.evict.iter().position(|b| *b == me);
        match (evict, pos) {
            (true, None) => alloc::try_push(&mut lists.evict, me)?,
            (false, Some(p)) => drop(lists.evict.remove(p)),
            _ => {}
        }
        // INVARIANT: set with the resv held, together with the list change.
        self.evicted.store(evict, Ordering::Release);
        Ok(())
    }
}

impl<T: DriverGpuVm> Clone for VmBoRef<T> {
    fn clone(&self) -> Self {
        // `kref_get`: the count is at least one (ours), so it cannot be a zombie being revived.
        self.refcount.fetch_add(1, Ordering::Relaxed);
        // INVARIANT: the count was raised for the new reference.
        VmBoRef(self.0, PhantomData)
    }
}

impl<T: DriverGpuVm> core::ops::Deref for VmBoRef<T> {
    type Target = GpuVmBo<T>;

    fn deref(&self) -> &GpuVmBo<T> {
        // SAFETY: the pair is live while this reference counts in it (type invariant): it is freed only after the
        // count reached zero.
        unsafe { self.0.as_ref() }
    }
}

impl<T: DriverGpuVm> Drop for VmBoRef<T> {
    fn drop(&mut self) {
        if self.refcount.fetch_sub(1, Ordering::Release) == 1 {
            // Every earlier use of the pair through another reference happens before the cleanup.
            fence(Ordering::Acquire);
            // The pair stays live until `deferred_cleanup` has taken it off this list.
            self.vm.defer(self.0);
        }
    }
}
