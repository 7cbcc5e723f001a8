// SPDX-License-Identifier: GPL-2.0-only OR MIT
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
//! worst case, given that each remap is handed two and the nodes that [`OpRemap::remap`] and [`OpUnmap::remove`]
//! give back are recycled into the pool) and obtains its [`VmBoRef`] in the ioctl. A vm_bo whose last reference
//! drops in a step goes to a deferred list, freed by [`GpuVm::deferred_cleanup`] outside the path.
//!
//! Op order and `keep` flags follow `__drm_gpuvm_sm_map()` and `__drm_gpuvm_sm_unmap()` exactly;
//! `Documentation/design.md#gpuvm` has the table, and the reference vectors were printed by the C code.
//!
//! # Locking
//! * the VA tree and driver data: `&mut GpuVmCore` (the driver keeps the core behind its own VM lock);
//! * an object's vm_bo list and each vm_bo's VA list: the object's gpuva lock ([`GemObject::gpuva_lock`]), taken
//!   in the steps to link and unlink VAs (as `panthor_vma_link` does), so nothing is ever allocated under it;
//! * the extobj and evict lists: the VM's resv, proved by a [`ResvHeld`] holder;
//! * the deferred list: an internal mutex, taken without allocating.
//!
//! [`GemObject::gpuva_lock`]: crate::drm::gem::GemObject::gpuva_lock

mod btree;
pub(crate) mod list;
mod reserve;
mod sm_ops;
mod steps;
mod va;
mod vm_bo;

use core::cell::UnsafeCell;
use core::marker::{PhantomData, PhantomPinned};
use core::ops::Range;
use core::pin::Pin;
use core::ptr::NonNull;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use crate::sync::Mutex;

use pinned_init::{pin_data, try_pin_init, InPlaceInit};

pub use reserve::VaPrealloc;
pub use steps::{
    OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapRet, OpRemapped, OpUnmap, OpUnmapped, RemapPart,
};
pub use va::{GpuVa, GpuVaAlloc, GpuVaRemoved, LinkedVa};
pub use vm_bo::{GpuVmBo, VmBoRef};

use crate::alloc;
use crate::dma_fence::DmaFence;
use crate::dma_resv::{DmaResv, DmaResvUsage, Exec, ResvHeld};
use crate::drm::gem::IntoGemObject;
use crate::drm::Driver;
use crate::error::code::EINVAL;
use crate::error::{Error, Result};
use btree::{NodePool, Tree};
use reserve::{Deferred, Spare};

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
    fn sm_step_map<'op>(
        &mut self,
        op: OpMap<'op, Self>,
        ctx: &mut Self::SmContext<'_>,
    ) -> Result<OpMapped<'op, Self>>;

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

/// The lists the VM's resv guards (`RESV_PROTECTED`). They do not own references, as upstream: an entry is a live
/// vm_bo of this VM (possibly a zombie waiting for [`GpuVm::deferred_cleanup`], which takes it off before freeing
/// it).
pub(crate) struct ResvLists<T: DriverGpuVm> {
    pub(crate) extobj: Vec<NonNull<GpuVmBo<T>>>,
    pub(crate) evict: Vec<NonNull<GpuVmBo<T>>>,
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
    /// What the reserves' holders last left, readable without their locks.
    hints: reserve::Hints,
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

impl<T: DriverGpuVm> GpuVm<T> {
    /// Creates a VM over `[range.start, range.end)` with `reserve_range` kept for the kernel (empty for none), its
    /// resv taken from `r_obj` (`drm_gpuvm_init` with `IMMEDIATE_MODE | RESV_PROTECTED`). Returns the unique core
    /// handle. `EINVAL` for an empty or reversed range or a reserved range outside it; `ENOMEM` on allocation failure.
    #[expect(
        clippy::new_ret_no_self,
        reason = "the VM is reached through its unique core handle, as upstream"
    )]
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
            Some(_) if reserve_range.start < range.start || reserve_range.end > range.end => {
                return Err(EINVAL)
            }
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
            deferred: Mutex::new(Deferred { head: None, len: 0 }),
            spare: Mutex::new(Spare { pool: NodePool::default(), reserved: 0 }),
            height_hint: AtomicUsize::new(1),
            hints: reserve::Hints::default(),
            _pin: PhantomPinned,
        }? Error))?;
        Ok(GpuVmCore {
            vm,
            _not_clone: PhantomData,
        })
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
        let Some(end) = addr.checked_add(range) else {
            return false;
        };
        let r = self.va_range();
        range != 0
            && addr >= r.start
            && end <= r.end
            && self
                .reserve
                .as_ref()
                .is_none_or(|k| end <= k.start || addr >= k.end)
    }

    /// The resv-protected lists, for a holder of the VM resv; `EINVAL` for anyone else.
    pub(crate) fn resv_lists<'a>(
        &'a self,
        held: &'a mut impl ResvHeld,
    ) -> Result<&'a mut ResvLists<T>> {
        if !held.holds(&self.resv) {
            return Err(EINVAL);
        }
        // SAFETY: `held` holds the VM resv, which guards `lists` (type invariant); no other holder can exist while it
        // does, and `held` is borrowed mutably for `'a`, so this is the only reference made through it.
        Ok(unsafe { &mut *self.lists.get() })
    }

    /// Finds or creates the vm_bo of `obj` in this VM (`drm_gpuvm_bo_obtain`, upstream's `GpuVm::obtain`); see
    /// [`GpuVmBo::obtain`].
    pub fn obtain(
        self: &Pin<Arc<Self>>,
        obj: &Arc<ObjectOf<T>>,
        data: T::VmBoData,
        held: &mut impl ResvHeld,
    ) -> Result<VmBoRef<T>> {
        GpuVmBo::obtain(self, obj, data, held)
    }

    /// The vm_bos on the extobj list, each with a new reference, for a holder of the VM resv. Zombies (pairs waiting
    /// for deferred cleanup) are skipped, as upstream skips them.
    pub fn extobjs(&self, held: &mut impl ResvHeld) -> Result<Vec<VmBoRef<T>>> {
        Self::live(&self.resv_lists(held)?.extobj)
    }

    /// The vm_bos on the evict list, each with a new reference, for a holder of the VM resv; zombies skipped.
    pub fn evicted(&self, held: &mut impl ResvHeld) -> Result<Vec<VmBoRef<T>>> {
        Self::live(&self.resv_lists(held)?.evict)
    }

    /// New references to the live pairs of a resv-protected list (borrowed from [`Self::resv_lists`]).
    fn live(list: &[NonNull<GpuVmBo<T>>]) -> Result<Vec<VmBoRef<T>>> {
        let mut v = alloc::try_vec(list.len())?;
        // SAFETY: the list is borrowed from the held VM resv, and an entry stays allocated until it is taken off
        // under that resv (`ResvLists`).
        v.extend(
            list.iter()
                .filter_map(|&b| unsafe { VmBoRef::get_unless_zero(b) }),
        );
        Ok(v)
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
                let next = self.resv_lists(exec)?.extobj.get(i).map(|bo| {
                    // SAFETY: an entry stays allocated until taken off under the VM resv, held (`ResvLists`).
                    let bo = unsafe { bo.as_ref() };
                    // A zombie's object is not locked (`drm_gpuvm_prepare_objects` skips them).
                    (!bo.is_zombie()).then(|| bo.obj().gem().resv().clone())
                });
                let Some(r) = next else { break };
                if let Some(r) = r {
                    exec.lock(&r)?;
                }
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
            let usage = if Arc::ptr_eq(&r, &self.resv) {
                private_usage
            } else {
                extobj_usage
            };
            exec.fences(&r)?.add(fence, usage)?;
        }
        Ok(())
    }

    /// Makes every evicted object resident again (`drm_gpuvm_validate`): calls `validate` for each vm_bo on the evict
    /// list, then takes it off; zombies are skipped (left for [`Self::deferred_cleanup`]). Stops at the first error,
    /// leaving the rest on the list.
    pub fn validate(
        &self,
        exec: &mut Exec,
        mut validate: impl FnMut(&GpuVmBo<T>) -> Result,
    ) -> Result {
        let mut i = 0;
        loop {
            let Some(&entry) = self.resv_lists(exec)?.evict.get(i) else {
                return Ok(());
            };
            // SAFETY: the entry is on the evict list, borrowed from the held VM resv (`ResvLists`).
            let Some(bo) = (unsafe { VmBoRef::get_unless_zero(entry) }) else {
                i += 1;
                continue;
            };
            validate(&bo)?;
            // Takes it off the list: the next entry is now at `i`.
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

    /// Finds or creates the vm_bo of `obj` in this VM ([`GpuVm::obtain`]).
    pub fn obtain(
        &self,
        obj: &Arc<ObjectOf<T>>,
        data: T::VmBoData,
        held: &mut impl ResvHeld,
    ) -> Result<VmBoRef<T>> {
        self.vm.obtain(obj, data, held)
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
        self.state()
            .tree
            .get(addr)
            .map(|n| &n.val)
            .filter(|va| va.length() == range)
    }

    /// The first VA, in address order, that intersects `[addr, addr + range)` (`drm_gpuva_find_first`).
    pub fn find_first(&self, addr: u64, range: u64) -> Option<&GpuVa<T>> {
        let end = addr.checked_add(range)?;
        self.state()
            .tree
            .first_overlap(addr, end)
            .and_then(|h| h.node())
            .map(|n| &n.val)
    }

    /// The VA that contains `addr`.
    pub fn find_containing(&self, addr: u64) -> Option<&GpuVa<T>> {
        self.state()
            .tree
            .floor(addr)
            .map(|n| &n.val)
            .filter(|va| addr < va.end())
    }

    /// The driver's data of a VA, mutably.
    pub fn va_data_mut(&mut self, addr: u64) -> Option<&mut T::VaData> {
        self.state_mut()
            .tree
            .get_mut(addr)
            .and_then(|n| n.val_data_mut())
    }
}

impl<T: DriverGpuVm> Drop for GpuVmCore<T> {
    fn drop(&mut self) {
        // Tearing the VM down (`drm_gpuvm_destroy` expects an empty tree; Panthor unmaps everything first): unlink
        // every VA left so the vm_bos they reference, which reference the VM, can go.
        let (state, vm) = self.parts();
        let mut spare = vm.spare();
        // Dropping a VA unlinks it from its vm_bo (under the object's gpuva lock) and drops its reference.
        state.tree.drain(&mut spare.pool, &mut drop);
        drop(spare);
        self.vm.deferred_cleanup();
    }
}
