//! DRM GPUVM in immediate mode (`drivers/gpu/drm/drm_gpuvm.c`, `include/drm/drm_gpuvm.h`, and the Rust abstraction
//! "rust: drm: add base GPUVM immediate mode abstraction", v3).
//!
//! A [`GpuVm`] is one GPU virtual address space: its VA tree, the driver's data, the VM's resv (through its
//! `r_obj`) and the extobj and evict lists that resv guards (`DRM_GPUVM_RESV_PROTECTED`). It is refcounted, but its VA
//! tree and driver data are reachable only through [`GpuVmCore`] — upstream Tyr calls it `UniqueRefGpuVm` — the
//! unique handle: every change to the address space takes `&mut GpuVmCore`.
//!
//! In immediate mode (`DRM_GPUVM_IMMEDIATE_MODE`) [`GpuVmCore::sm_map`] and [`GpuVmCore::sm_unmap`] hand each step to
//! the driver's [`DriverGpuVm`] callbacks as it is computed, and the driver applies it at once — to the tree, through
//! the op's own method, and to the page tables. That happens in the bind job, on the fence-signalling path, so the
//! steps must not allocate: the driver pre-allocates [`GpuVaAlloc`]s (three for a map, two for an unmap cover the
//! worst case) and obtains its [`VmBoRef`] in the ioctl. A vm_bo whose last reference drops in a step goes to a
//! deferred list, freed by [`GpuVm::deferred_cleanup`] outside the path.
//!
//! Op order and `keep` flags follow `__drm_gpuvm_sm_map()` and `__drm_gpuvm_sm_unmap()` exactly;
//! `Documentation/design.md#gpuvm` has the table, and the reference vectors were printed by the C code.
//!
//! # Locking
//! * the VA tree and driver data: `&mut GpuVmCore` (the driver keeps the core behind its own VM lock);
//! * an object's vm_bo list and each vm_bo's VA count: the object's gpuva lock ([`GemObject::gpuva_lock`]);
//! * the extobj and evict lists: the VM's resv, proved by a [`ResvHeld`] holder;
//! * the deferred list: an internal mutex, taken without allocating.
//!
//! [`GemObject::gpuva_lock`]: crate::drm::gem::GemObject::gpuva_lock

mod btree;
mod va;
mod vm_bo;

use core::cell::UnsafeCell;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::Range;
use core::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pinned_init::{pin_data, try_pin_init, InPlaceInit};

pub use va::{
    GpuVa, GpuVaAlloc, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped, RemapPart, RemovedVa,
    VaPrealloc,
};
pub use vm_bo::{GpuVmBo, VmBoRef};

use crate::alloc::{self, fault::NoAllocSection};
use crate::dma_fence::DmaFence;
use crate::dma_resv::{DmaResv, DmaResvUsage, Exec, ResvHeld};
use crate::drm::gem::IntoGemObject;
use crate::drm::Driver;
use crate::error::code::{EINVAL, ENOMEM};
use crate::error::{Error, Result};
use btree::{Node, NodePool, Tree, TreeMut};

/// The GEM object type of a VM: the driver's, never declared a second time.
pub type ObjectOf<T> = <<T as DriverGpuVm>::Driver as Driver>::Object;

/// A driver's side of a GPUVM (`struct drm_gpuvm_ops` plus the driver's VM data).
///
/// Each step gets its op and the driver's context for this `sm_map`/`sm_unmap` call, applies the op through the op's
/// method — the only way to get the token it must return — and updates the page tables. An error stops the walk;
/// the ops applied so far stay applied, so a driver validates and allocates everything before calling `sm_map`.
pub trait DriverGpuVm: Sized + Send + 'static {
    /// The DRM driver; the VM's GEM object type is its [`Driver::Object`].
    type Driver: Driver;
    /// Per-VA driver data. `Sync` because [`GpuVmCore`] hands out `&VaData` through `&self` ([`GpuVmCore::vas`],
    /// [`GpuVa::data`]) and a shared core handle (behind a driver's `RwLock`, or `&GpuVmCore` sent to a scoped thread)
    /// lets several threads read it at once. Data that is not `Sync` is refused:
    ///
    /// ```compile_fail,E0277
    /// # use kernel::drm::gem::GemObject;
    /// # use kernel::drm::gpuvm::{DriverGpuVm, OpMap, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped};
    /// # use kernel::drm::Driver;
    /// # struct D;
    /// # impl Driver for D {
    /// #     type Object = GemObject;
    /// # }
    /// struct Vm;
    ///
    /// impl DriverGpuVm for Vm {
    ///     type Driver = D;
    ///     // `Cell` is `Send` but not `Sync`: two threads sharing the core could race on it.
    ///     type VaData = core::cell::Cell<u64>;
    ///     type VmBoData = ();
    ///     type SmContext<'ctx> = ();
    /// #   fn sm_step_map<'op>(&mut self, _: OpMap<'op, Self>, _: &mut ()) -> kernel::Result<OpMapped<'op, Self>> {
    /// #       unimplemented!()
    /// #   }
    /// #   fn sm_step_unmap<'op>(&mut self, _: OpUnmap<'op, Self>, _: &mut ()) -> kernel::Result<OpUnmapped<'op, Self>> {
    /// #       unimplemented!()
    /// #   }
    /// #   fn sm_step_remap<'op>(&mut self, _: OpRemap<'op, Self>, _: &mut ()) -> kernel::Result<OpRemapped<'op, Self>> {
    /// #       unimplemented!()
    /// #   }
    /// }
    /// ```
    ///
    /// while the same driver with `Sync` data builds, and its core can be shared:
    ///
    /// ```
    /// # use kernel::drm::gem::GemObject;
    /// # use kernel::drm::gpuvm::{DriverGpuVm, GpuVmCore, OpMap, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped};
    /// # use kernel::drm::Driver;
    /// # struct D;
    /// # impl Driver for D {
    /// #     type Object = GemObject;
    /// # }
    /// struct Vm;
    ///
    /// impl DriverGpuVm for Vm {
    ///     type Driver = D;
    ///     type VaData = core::sync::atomic::AtomicU64;
    ///     type VmBoData = ();
    ///     type SmContext<'ctx> = ();
    /// #   fn sm_step_map<'op>(&mut self, _: OpMap<'op, Self>, _: &mut ()) -> kernel::Result<OpMapped<'op, Self>> {
    /// #       unimplemented!()
    /// #   }
    /// #   fn sm_step_unmap<'op>(&mut self, _: OpUnmap<'op, Self>, _: &mut ()) -> kernel::Result<OpUnmapped<'op, Self>> {
    /// #       unimplemented!()
    /// #   }
    /// #   fn sm_step_remap<'op>(&mut self, _: OpRemap<'op, Self>, _: &mut ()) -> kernel::Result<OpRemapped<'op, Self>> {
    /// #       unimplemented!()
    /// #   }
    /// }
    ///
    /// fn shared<T: Sync>() {}
    /// shared::<GpuVmCore<Vm>>();
    /// ```
    type VaData: Send + Sync + 'static;
    /// Per-vm_bo driver data.
    type VmBoData: Send + Sync + 'static;
    /// What the steps of one `sm_map`/`sm_unmap` receive besides the op (the driver's op context: pre-allocated VAs,
    /// the page-table handle, ...).
    type SmContext<'ctx>;

    /// Applies a map step (`sm_step_map`).
    fn sm_step_map<'op>(&mut self, op: OpMap<'op, Self>, ctx: &mut Self::SmContext<'_>) -> Result<OpMapped<'op, Self>>;

    /// Applies an unmap step (`sm_step_unmap`).
    fn sm_step_unmap<'op>(
        &mut self,
        op: OpUnmap<'op, Self>,
        ctx: &mut Self::SmContext<'_>,
    ) -> Result<OpUnmapped<'op, Self>>;

    /// Applies a remap step (`sm_step_remap`).
    fn sm_step_remap<'op>(
        &mut self,
        op: OpRemap<'op, Self>,
        ctx: &mut Self::SmContext<'_>,
    ) -> Result<OpRemapped<'op, Self>>;
}

/// The part of a VM that only the core handle reaches.
struct CoreState<T: DriverGpuVm> {
    data: T,
    tree: Tree<GpuVa<T>>,
}

/// The lists the VM's resv guards (`RESV_PROTECTED`).
pub(crate) struct ResvLists<T: DriverGpuVm> {
    pub(crate) extobj: Vec<Arc<GpuVmBo<T>>>,
    pub(crate) evict: Vec<Arc<GpuVmBo<T>>>,
}

/// The VM's reserve of VA-tree nodes, filled in the ioctl path and drawn on by the steps.
///
/// # Invariants
/// `reserved` is the sum of the reservations of live [`VaPrealloc`]s of this VM.
pub(crate) struct Spare<T: DriverGpuVm> {
    pool: NodePool<GpuVa<T>>,
    reserved: usize,
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
struct Deferred<T: DriverGpuVm> {
    list: Vec<Arc<GpuVmBo<T>>>,
    live: usize,
}

/// A DRM GPU VA space (`struct drm_gpuvm`), refcounted; see the [module documentation](self).
///
/// # Invariants
/// * `core` is only accessed through the unique [`GpuVmCore`] of this VM (or by its `Drop`).
/// * `lists` is only accessed by a holder of `resv`'s lock (checked by [`GpuVm::resv_lists`]).
/// * `reserve`, when present, lies inside `[mm_start, mm_start + mm_range)`, which does not overflow.
#[pin_data]
pub struct GpuVm<T: DriverGpuVm> {
    name: &'static str,
    mm_start: u64,
    mm_range: u64,
    reserve: Option<Range<u64>>,
    resv: Arc<DmaResv>,
    r_obj: Arc<ObjectOf<T>>,
    core: UnsafeCell<CoreState<T>>,
    lists: UnsafeCell<ResvLists<T>>,
    deferred: Mutex<Deferred<T>>,
    spare: Mutex<Spare<T>>,
    /// The VA tree's height after the last change, readable without the core (for reservations).
    height_hint: AtomicUsize,
    /// vm_bos and VAs point back at the VM: it is constructed in place and never moves (`drm_gpuvm_init` on
    /// embedded memory, upstream).
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: `core` is reached only through the unique `GpuVmCore` (type invariant), which needs `&mut` to mutate, so
// sharing `&GpuVm` across threads shares no unsynchronised mutable state there; `lists` is reached only by the
// holder of the VM resv; everything else is immutable or behind a mutex. The bounds make every piece sendable.
unsafe impl<T: DriverGpuVm> Sync for GpuVm<T> where ObjectOf<T>: Send + Sync {}
// SAFETY: as above; moving the VM (as a whole, through its `Arc`) moves owned `Send` data.
unsafe impl<T: DriverGpuVm> Send for GpuVm<T> where ObjectOf<T>: Send + Sync {}

/// A reference to a VM (`ARef<GpuVm<T>>`).
pub type GpuVmRef<T> = Pin<Arc<GpuVm<T>>>;

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
    /// Creates a VM over `[range.start, range.end)` with `reserve_range` kept for the kernel (empty for none), its
    /// resv taken from `r_obj` (`drm_gpuvm_init` with `IMMEDIATE_MODE | RESV_PROTECTED`). Returns the unique core
    /// handle. `EINVAL` for an empty or reversed range or a reserved range outside it; `ENOMEM` on allocation failure.
    #[expect(clippy::new_ret_no_self, reason = "the VM is reached through its unique core handle, as upstream")]
    pub fn new(
        name: &'static str,
        r_obj: &Arc<ObjectOf<T>>,
        range: Range<u64>,
        reserve_range: Range<u64>,
        data: T,
    ) -> Result<GpuVmCore<T>> {
        if range.start >= range.end {
            return Err(EINVAL);
        }
        let reserve = match reserve_range.end.checked_sub(reserve_range.start) {
            None => return Err(EINVAL),
            Some(0) => None,
            Some(_) if reserve_range.start < range.start || reserve_range.end > range.end => return Err(EINVAL),
            Some(_) => Some(reserve_range),
        };
        alloc::check()?;
        let vm = Arc::try_pin_init(try_pin_init!(GpuVm {
            name,
            mm_start: range.start,
            mm_range: range.end - range.start,
            reserve,
            resv: r_obj.gem().resv().clone(),
            r_obj: r_obj.clone(),
            core: UnsafeCell::new(CoreState { data, tree: Tree::new()? }),
            lists: UnsafeCell::new(ResvLists { extobj: Vec::new(), evict: Vec::new() }),
            deferred: Mutex::new(Deferred { list: Vec::new(), live: 0 }),
            spare: Mutex::new(Spare { pool: NodePool::default(), reserved: 0 }),
            height_hint: AtomicUsize::new(1),
            _pin: PhantomPinned,
        }? Error))?;
        Ok(GpuVmCore { vm, _not_clone: PhantomData })
    }

    /// The name given at creation.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Start of the VA space.
    pub fn va_start(&self) -> u64 {
        self.mm_start
    }

    /// Length of the VA space.
    pub fn va_length(&self) -> u64 {
        self.mm_range
    }

    /// The VA space.
    pub fn va_range(&self) -> Range<u64> {
        // OVERFLOW: `new` built `mm_range` from a non-overflowing range.
        self.mm_start..self.mm_start + self.mm_range
    }

    /// The kernel-reserved range (`drm_gpuvm::kernel_alloc_node`), if any.
    pub fn kernel_reserved(&self) -> Option<Range<u64>> {
        self.reserve.clone()
    }

    /// The VM's resv (`drm_gpuvm_resv`).
    pub fn resv(&self) -> &Arc<DmaResv> {
        &self.resv
    }

    /// The object whose resv the VM uses (`drm_gpuvm::r_obj`).
    pub fn resv_obj(&self) -> &Arc<ObjectOf<T>> {
        &self.r_obj
    }

    /// Whether `obj` is external to this VM: its resv is not the VM's (`drm_gpuvm_is_extobj`).
    pub fn is_extobj(&self, obj: &ObjectOf<T>) -> bool {
        !Arc::ptr_eq(obj.gem().resv(), &self.resv)
    }

    /// Whether `[addr, addr + range)` can be mapped or unmapped (`drm_gpuvm_range_valid`, plus a non-zero range).
    pub fn range_valid(&self, addr: u64, range: u64) -> bool {
        let Some(end) = addr.checked_add(range) else { return false };
        let r = self.va_range();
        range != 0
            && addr >= r.start
            && end <= r.end
            && self.reserve.as_ref().is_none_or(|k| end <= k.start || addr >= k.end)
    }

    /// The resv-protected lists, for a holder of the VM resv; `EINVAL` for anyone else.
    pub(crate) fn resv_lists<'a>(&'a self, held: &'a mut impl ResvHeld) -> Result<&'a mut ResvLists<T>> {
        if !held.holds(&self.resv) {
            return Err(EINVAL);
        }
        // SAFETY: `held` holds the VM resv, which guards `lists` (type invariant); no other holder can exist while it
        // does, and `held` is borrowed mutably for `'a`, so this is the only reference made through it.
        Ok(unsafe { &mut *self.lists.get() })
    }

    /// The vm_bos on the extobj list, for a holder of the VM resv.
    pub fn extobjs(&self, held: &mut impl ResvHeld) -> Result<Vec<Arc<GpuVmBo<T>>>> {
        let lists = self.resv_lists(held)?;
        let mut v = alloc::try_vec(lists.extobj.len())?;
        v.extend(lists.extobj.iter().cloned());
        Ok(v)
    }

    /// The vm_bos on the evict list, for a holder of the VM resv.
    pub fn evicted(&self, held: &mut impl ResvHeld) -> Result<Vec<Arc<GpuVmBo<T>>>> {
        let lists = self.resv_lists(held)?;
        let mut v = alloc::try_vec(lists.evict.len())?;
        v.extend(lists.evict.iter().cloned());
        Ok(v)
    }

    fn deferred(&self) -> MutexGuard<'_, Deferred<T>> {
        self.deferred.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room on the deferred list for one more vm_bo.
    pub(crate) fn reserve_deferred_slot(&self) -> Result<DeferredSlot<'_, T>> {
        let mut d = self.deferred();
        let want = (d.live + 1).saturating_sub(d.list.len());
        alloc::try_reserve(&mut d.list, want)?;
        d.live += 1;
        Ok(DeferredSlot { vm: self, committed: false })
    }

    /// Queues a vm_bo whose last reference dropped. Never allocates: its slot was reserved at creation.
    pub(crate) fn defer(&self, bo: Arc<GpuVmBo<T>>) {
        let mut d = self.deferred();
        debug_assert!(d.list.len() < d.list.capacity(), "deferred slot missing");
        d.list.push(bo);
    }

    fn spare(&self) -> MutexGuard<'_, Spare<T>> {
        self.spare.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The VA tree's height after the last change (for sizing reservations outside the core).
    pub fn height_hint(&self) -> usize {
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

    /// Tree nodes in the reserve.
    pub fn spare_tree_nodes(&self) -> usize {
        self.spare().pool.len()
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
            let Some(bo) = self.deferred().list.pop() else { break };
            {
                let mut list = bo.obj().gem().gpuva_lock();
                if let Some(pos) = list
                    .vm_bos
                    .iter()
                    .position(|e| core::ptr::eq(Arc::as_ptr(e) as *const u8, Arc::as_ptr(&bo) as *const u8))
                {
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

    /// Locks the VM resv, the resv of every external object and `extra` in one transaction (`drm_gpuvm_exec_lock`,
    /// `drm_gpuvm_prepare_vm` + `drm_gpuvm_prepare_objects`), reserving `num_fences` fence slots in each, retrying on
    /// contention. Every lock is dropped with the returned [`Exec`].
    pub fn exec_lock(&self, num_fences: usize, extra: &[&Arc<DmaResv>]) -> Result<Exec> {
        let mut exec = Exec::new();
        exec.until_all_locked(|exec| {
            exec.lock(&self.resv)?;
            // The extobj list is read under the VM resv just taken; by index, so that each resv is locked through
            // `exec` without holding a borrow of the list.
            let mut i = 0;
            loop {
                let next = self.resv_lists(exec)?.extobj.get(i).map(|bo| bo.obj().gem().resv().clone());
                let Some(r) = next else { break };
                exec.lock(&r)?;
                i += 1;
            }
            extra.iter().try_for_each(|r| exec.lock(r))
        })?;
        exec.reserve_fences(num_fences)?;
        Ok(exec)
    }

    /// Adds `fence` to every resv `exec` holds (`drm_gpuvm_resv_add_fence`): `private_usage` for resvs that are the
    /// VM's own, `extobj_usage` for external ones. Slots must have been reserved by [`Self::exec_lock`].
    pub fn resv_add_fence(
        &self,
        exec: &mut Exec,
        fence: &DmaFence,
        private_usage: DmaResvUsage,
        extobj_usage: DmaResvUsage,
    ) -> Result {
        for i in 0..exec.locked().len() {
            let r = exec.locked()[i].clone();
            let usage = if Arc::ptr_eq(&r, &self.resv) { private_usage } else { extobj_usage };
            exec.fences(&r)?.add(fence, usage)?;
        }
        Ok(())
    }

    /// Makes every evicted object resident again (`drm_gpuvm_validate`): calls `validate` for each vm_bo on the evict
    /// list, then takes it off. Stops at the first error, leaving the rest on the list.
    pub fn validate(&self, exec: &mut Exec, mut validate: impl FnMut(&GpuVmBo<T>) -> Result) -> Result {
        loop {
            let Some(bo) = self.resv_lists(exec)?.evict.first().cloned() else { return Ok(()) };
            validate(&bo)?;
            bo.evict(exec, false)?;
        }
    }
}

/// The unique handle of a [`GpuVm`] (`GpuVmCore` in the seed, `UniqueRefGpuVm` in later revisions): the only way to
/// its VA tree and driver data.
///
/// # Invariants
/// Each `GpuVm` has at most one `GpuVmCore`: it is created only by [`GpuVm::new`] and cannot be cloned.
pub struct GpuVmCore<T: DriverGpuVm> {
    vm: GpuVmRef<T>,
    _not_clone: PhantomData<T>,
}

impl<T: DriverGpuVm> core::ops::Deref for GpuVmCore<T> {
    type Target = GpuVm<T>;
    fn deref(&self) -> &GpuVm<T> {
        &self.vm
    }
}

impl<T: DriverGpuVm> GpuVmCore<T> {
    fn state(&self) -> &CoreState<T> {
        // SAFETY: this is the unique core handle (type invariant), borrowed shared: nobody mutates the core state
        // while the shared borrow lives.
        unsafe { &*self.vm.core.get() }
    }

    fn state_mut(&mut self) -> &mut CoreState<T> {
        // SAFETY: this is the unique core handle (type invariant), borrowed mutably.
        unsafe { &mut *self.vm.core.get() }
    }

    /// The core state and the shared VM at once (the steps need both: the tree and the node reserve).
    fn parts(&mut self) -> (&mut CoreState<T>, &GpuVm<T>) {
        let vm: &GpuVm<T> = &self.vm;
        // SAFETY: this is the unique core handle (type invariant), borrowed mutably for as long as the returned
        // reference lives; the shared part of the VM is only read, or mutated through its own locks.
        (unsafe { &mut *vm.core.get() }, vm)
    }

    /// A counted reference to the VM (for vm_bos, jobs, ...).
    pub fn vm(&self) -> &GpuVmRef<T> {
        &self.vm
    }

    /// The driver's data.
    pub fn data(&mut self) -> &mut T {
        &mut self.state_mut().data
    }

    /// Finds or creates the vm_bo of `obj` in this VM ([`GpuVmBo::obtain`]).
    pub fn obtain(&self, obj: &Arc<ObjectOf<T>>, data: T::VmBoData, held: &mut impl ResvHeld) -> Result<VmBoRef<T>> {
        GpuVmBo::obtain(&self.vm, obj, data, held)
    }

    /// Number of VAs (the kernel-reserved node not counted).
    pub fn num_vas(&self) -> usize {
        self.state().tree.len()
    }

    /// The VAs in address order (`drm_gpuvm_for_each_va`).
    pub fn vas(&self) -> impl Iterator<Item = &GpuVa<T>> {
        self.state().tree.iter().map(|n| &n.val)
    }

    /// The VA that exactly covers `[addr, addr + range)` (`drm_gpuva_find`).
    pub fn find(&self, addr: u64, range: u64) -> Option<&GpuVa<T>> {
        self.state().tree.get(addr).map(|n| &n.val).filter(|va| va.range() == range)
    }

    /// The first VA, in address order, that intersects `[addr, addr + range)` (`drm_gpuva_find_first`).
    pub fn find_first(&self, addr: u64, range: u64) -> Option<&GpuVa<T>> {
        let end = addr.checked_add(range)?;
        first_intersecting(&self.state().tree, addr, end).map(|n| &n.val)
    }

    /// The VA that contains `addr`.
    pub fn find_containing(&self, addr: u64) -> Option<&GpuVa<T>> {
        self.state().tree.floor(addr).map(|n| &n.val).filter(|va| addr < va.end())
    }

    /// The driver's data of a VA, mutably.
    pub fn va_data_mut(&mut self, addr: u64) -> Option<&mut T::VaData> {
        self.state_mut().tree.get_mut(addr).and_then(|n| n.val_data_mut())
    }

    /// Maps `req` (`drm_gpuvm_sm_map`): hands the driver, in the kernel's order, at most one leading remap, the
    /// unmaps of every VA inside the request, at most one trailing remap, then the map. `EINVAL` (and no step) for an
    /// invalid range or a vm_bo of another VM; a step's error stops the walk with earlier steps applied.
    pub fn sm_map(&mut self, req: OpMapRequest<'_, T>, ctx: &mut T::SmContext<'_>) -> Result {
        let OpMapRequest { addr, range, gem_offset, vm_bo, flags } = req;
        if !self.range_valid(addr, range) || vm_bo.is_some_and(|b| !core::ptr::eq(&**b.vm(), &*self.vm)) {
            return Err(EINVAL);
        }
        let req_end = addr + range;
        // In immediate mode the steps run in the fence-signalling path: any allocation through `kernel::alloc` there
        // fails and is counted (`dma_fence_begin_signalling` lockdep annotation in the kernel).
        let (CoreState { data, tree }, vm) = self.parts();
        let mut spare = vm.spare();
        // Reserve check before any step: three insertions at most (new VA, prev, next).
        if spare.pool.len() < tree.nodes_needed(3) {
            return Err(ENOMEM);
        }
        let pool = &mut spare.pool;
        let _signalling = NoAllocSection::begin();
        // The walk holds no reference into the tree across a step: each VA is read into a `VaSnap` (plain values)
        // while the tree is borrowed shared, the step is handed the VA's key, and the next VA is found before the step
        // changes the tree (a step only removes or splits its own VA, below the next one's start).
        let mut cur = first_intersecting(tree, addr, req_end).map(|n| VaSnap::of(&n.val, vm_bo));
        while let Some(VaSnap { addr: va_addr, end: va_end, offset: va_off, same_obj }) = cur {
            let key = va_addr;
            let stop = va_end >= req_end;
            cur = if stop { None } else { next_intersecting(tree, key, req_end).map(|n| VaSnap::of(&n.val, vm_bo)) };
            if va_addr == addr {
                let keep = same_obj && va_off == gem_offset;
                if va_end <= req_end {
                    step_unmap(data, TreeMut { tree, pool }, key, keep, ctx)?;
                } else {
                    let next =
                        RemapPart { addr: req_end, range: va_end - req_end, gem_offset: va_off.wrapping_add(range) };
                    step_remap(data, TreeMut { tree, pool }, key, None, Some(next), keep, ctx)?;
                }
            } else if va_addr < addr {
                let head = addr - va_addr;
                let keep = same_obj && va_off.wrapping_add(head) == gem_offset;
                let prev = RemapPart { addr: va_addr, range: head, gem_offset: va_off };
                let next = (va_end > req_end).then(|| RemapPart {
                    addr: req_end,
                    range: va_end - req_end,
                    gem_offset: va_off.wrapping_add(head).wrapping_add(range),
                });
                step_remap(data, TreeMut { tree, pool }, key, Some(prev), next, keep, ctx)?;
            } else {
                let keep = same_obj && va_off == gem_offset.wrapping_add(va_addr - addr);
                if va_end <= req_end {
                    step_unmap(data, TreeMut { tree, pool }, key, keep, ctx)?;
                } else {
                    let next = RemapPart {
                        addr: req_end,
                        range: va_end - req_end,
                        gem_offset: va_off.wrapping_add(req_end - va_addr),
                    };
                    step_remap(data, TreeMut { tree, pool }, key, None, Some(next), keep, ctx)?;
                }
            }
        }
        let op =
            OpMap { addr, range, offset: gem_offset, flags, vm_bo, tree: TreeMut { tree, pool }, _op: PhantomData };
        let res = data.sm_step_map(op, ctx).map(drop);
        vm.height_hint.store(tree.height(), Ordering::Relaxed);
        res
    }

    /// Unmaps `[addr, addr + range)` (`drm_gpuvm_sm_unmap`): each VA inside goes with an unmap, each VA straddling an
    /// edge is split with a remap (`keep` is always false). A range holding no VA emits nothing. `EINVAL` (and no
    /// step) for an invalid range.
    pub fn sm_unmap(&mut self, addr: u64, range: u64, ctx: &mut T::SmContext<'_>) -> Result {
        if !self.range_valid(addr, range) {
            return Err(EINVAL);
        }
        let req_end = addr + range;
        let (CoreState { data, tree }, vm) = self.parts();
        let mut spare = vm.spare();
        // Reserve check before any step: two insertions at most (prev and next of a VA split in three).
        if spare.pool.len() < tree.nodes_needed(2) {
            return Err(ENOMEM);
        }
        let pool = &mut spare.pool;
        let _signalling = NoAllocSection::begin();
        // As in `sm_map`: plain values across the steps, never a reference into the tree.
        let mut cur = first_intersecting(tree, addr, req_end).map(|n| VaSnap::of(&n.val, None));
        while let Some(VaSnap { addr: va_addr, end: va_end, offset: va_off, .. }) = cur {
            let key = va_addr;
            cur = if va_end >= req_end {
                None
            } else {
                next_intersecting(tree, key, req_end).map(|n| VaSnap::of(&n.val, None))
            };
            let prev = (va_addr < addr).then(|| RemapPart { addr: va_addr, range: addr - va_addr, gem_offset: va_off });
            let next = (va_end > req_end).then(|| RemapPart {
                addr: req_end,
                range: va_end - req_end,
                gem_offset: va_off.wrapping_add(req_end - va_addr),
            });
            if prev.is_some() || next.is_some() {
                step_remap(data, TreeMut { tree, pool }, key, prev, next, false, ctx)?;
            } else {
                step_unmap(data, TreeMut { tree, pool }, key, false, ctx)?;
            }
        }
        vm.height_hint.store(tree.height(), Ordering::Relaxed);
        Ok(())
    }
}

impl<T: DriverGpuVm> Drop for GpuVmCore<T> {
    fn drop(&mut self) {
        // Tearing the VM down (`drm_gpuvm_destroy` expects an empty tree; Panthor unmaps everything first): unlink
        // every VA left so the vm_bos they reference, which reference the VM, can go.
        let (state, vm) = self.parts();
        let mut spare = vm.spare();
        state.tree.drain(&mut spare.pool, &mut |mut node| {
            if let Some(bo) = node.val_vm_bo_take() {
                bo.va_count.fetch_sub(1, core::sync::atomic::Ordering::AcqRel);
                drop(bo);
            }
        });
        drop(spare);
        self.vm.deferred_cleanup();
    }
}

/// What the `sm_map`/`sm_unmap` walks need of a VA, copied out of the tree so that no reference into it is held
/// while a step changes it.
struct VaSnap {
    addr: u64,
    end: u64,
    offset: u64,
    /// Whether the VA maps the request's object.
    same_obj: bool,
}

impl VaSnap {
    fn of<T: DriverGpuVm>(va: &GpuVa<T>, req: Option<&VmBoRef<T>>) -> Self {
        VaSnap { addr: va.addr(), end: va.end(), offset: va.gem_offset(), same_obj: va.same_obj(req) }
    }
}

/// The first VA intersecting `[addr, end)`: the one starting at or below `addr` if it reaches past it, else the
/// first one starting inside.
fn first_intersecting<T: DriverGpuVm>(tree: &Tree<GpuVa<T>>, addr: u64, end: u64) -> Option<&Node<GpuVa<T>>> {
    match tree.floor(addr) {
        Some(n) if n.val.end() > addr => Some(n),
        _ => next_intersecting(tree, addr, end),
    }
}

/// The first VA starting in `(after, end)`.
fn next_intersecting<T: DriverGpuVm>(tree: &Tree<GpuVa<T>>, after: u64, end: u64) -> Option<&Node<GpuVa<T>>> {
    after.checked_add(1).and_then(|k| tree.ceil(k)).filter(|n| n.key < end)
}

/// Hands the VA with key `key` (in `tree`, see the callers) to the driver's unmap step.
fn step_unmap<T: DriverGpuVm>(
    data: &mut T,
    tree: TreeMut<'_, GpuVa<T>>,
    key: u64,
    keep: bool,
    ctx: &mut T::SmContext<'_>,
) -> Result {
    let op = OpUnmap::new(tree, key, keep);
    data.sm_step_unmap(op, ctx).map(drop)
}

/// Hands the VA with key `key` (in `tree`, see the callers) to the driver's remap step.
#[allow(clippy::too_many_arguments)]
fn step_remap<T: DriverGpuVm>(
    data: &mut T,
    tree: TreeMut<'_, GpuVa<T>>,
    key: u64,
    prev: Option<RemapPart>,
    next: Option<RemapPart>,
    keep: bool,
    ctx: &mut T::SmContext<'_>,
) -> Result {
    let op = OpRemap::new(tree, key, prev, next, keep);
    data.sm_step_remap(op, ctx).map(drop)
}
