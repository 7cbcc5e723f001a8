// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `GpuVa` (`struct drm_gpuva`) and the step operations `OpMap`, `OpUnmap`, `OpRemap` with their tokens.
//!
//! A step receives one operation and must apply it to the VA tree through the operation's own method — the only way
//! to obtain the token the step returns. The lifetime `'op` is invariant and chosen by `sm_map`/`sm_unmap`, so a
//! token from another operation does not type-check: a driver cannot forget to apply an op, nor apply it twice.

use core::marker::PhantomData;
use core::marker::PhantomPinned;
use core::mem::MaybeUninit;
use core::ops::Range;
use core::ptr::{self, NonNull};

use super::btree::{Node, TreeMut};
use super::list::Links;
use super::reserve::Spare;
use super::GpuVmRef;
use super::{DriverGpuVm, ObjectOf, VmBoRef};
use crate::alloc;
use crate::drm::gem::IntoGemObject;
use crate::error::code::EINVAL;
use crate::error::Result;

/// One mapping of the VA space.
///
/// # Invariants
/// * `data` is initialised exactly when `has_data` is set (the pair is an `Option` laid out to keep the tree's VA
///   node within 72 bytes); while in the tree it is, and the node's key equals `addr`.
/// * `entry` is on `vm_bo`'s VA list exactly when `vm_bo` is `Some`; the VA is then boxed (in a tree node or a
///   [`GpuVaRemoved`]), so its address is stable, and `addr`, `range`, `offset` and `flags` do not change.
#[repr(C)]
pub struct GpuVa<T: DriverGpuVm> {
    /// The VA's entry on its vm_bo's VA list (`drm_gpuva::gem.entry`), first so that a pointer to it is a pointer to
    /// the VA. Written by the list (neighbours linking and unlinking, under the object's gpuva lock) while the VA's
    /// owner may hold `&mut GpuVa`: its links are atomics, and the VA is `!Unpin` (as the kernel's `Opaque` fields
    /// are), so that a unique reference to it does not claim the entry.
    entry: Links,
    addr: u64,
    range: u64,
    offset: u64,
    flags: u32,
    has_data: bool,
    vm_bo: Option<VmBoRef<T>>,
    data: MaybeUninit<T::VaData>,
    _pin: PhantomPinned,
}

/// What [`GpuVmBo::for_each_va`] shows of a VA on a vm_bo's list: a copy of its range, offset and flags, read under
/// the object's gpuva lock.
///
/// [`GpuVmBo::for_each_va`]: super::GpuVmBo::for_each_va
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkedVa {
    addr: u64,
    range: u64,
    offset: u64,
    flags: u32,
}

impl LinkedVa {
    /// The VA whose entry is `entry`.
    ///
    /// # Safety
    /// `entry` is the entry of a linked `GpuVa<T>` (on a vm_bo's VA list), and the lock guarding that list is held.
    pub(super) unsafe fn of<T: DriverGpuVm>(entry: NonNull<Links>) -> Self {
        let va = entry.cast::<GpuVa<T>>().as_ptr();
        // SAFETY: `entry` is the first field of a live, boxed `GpuVa<T>` (`repr(C)`), linked with a pointer to the
        // whole VA; while it is linked these fields do not change (type invariant), and they are read one by one,
        // without a reference to the VA, whose owner may hold one.
        unsafe {
            LinkedVa {
                addr: ptr::addr_of!((*va).addr).read(),
                range: ptr::addr_of!((*va).range).read(),
                offset: ptr::addr_of!((*va).offset).read(),
                flags: ptr::addr_of!((*va).flags).read(),
            }
        }
    }

    /// First address.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// Length in bytes.
    pub fn length(&self) -> u64 {
        self.range
    }

    /// The addresses the VA covers.
    pub fn range(&self) -> Range<u64> {
        self.addr..self.addr + self.range
    }

    /// Offset into the GEM object.
    pub fn gem_offset(&self) -> u64 {
        self.offset
    }

    /// The driver's flags of the VA.
    pub fn flags(&self) -> u32 {
        self.flags
    }
}

impl<T: DriverGpuVm> GpuVa<T> {
    fn empty() -> Self {
        GpuVa {
            entry: Links::new(),
            addr: 0,
            range: 0,
            offset: 0,
            flags: 0,
            has_data: false,
            vm_bo: None,
            data: MaybeUninit::uninit(),
            _pin: PhantomPinned,
        }
    }

    /// Links the VA to `bo` (`drm_gpuva_link`, under the object's gpuva lock as `panthor_vma_link` takes it): puts
    /// its entry on the vm_bo's VA list, which allocates nothing. The VA must be boxed and linked to no vm_bo.
    fn link(&mut self, bo: VmBoRef<T>) {
        debug_assert!(self.vm_bo.is_none());
        // The pointer covers the whole VA, for `LinkedVa::of`.
        let entry = NonNull::from(&mut *self).cast::<Links>();
        {
            let _list = bo.obj().gem().gpuva_lock();
            // SAFETY: the object's gpuva lock, which guards `bo.vas`, is held; the entry is on no list (no vm_bo:
            // type invariant) and the VA is boxed (the caller), so it stays in place until `unlink` (or the VA's
            // drop, which unlinks first) takes it off.
            unsafe { bo.vas.push_back(entry) };
        }
        // INVARIANT: linked exactly as `vm_bo` is set; the caller set the fields before.
        self.vm_bo = Some(bo);
    }

    /// Unlinks the VA from its vm_bo, if any (`drm_gpuva_unlink_defer`): takes its entry off the vm_bo's VA list
    /// under the object's gpuva lock and returns the VA's reference to the vm_bo, for the caller to drop after the
    /// lock (the last one moves the pair to the deferred list).
    fn unlink(&mut self) -> Option<VmBoRef<T>> {
        let bo = self.vm_bo.take()?;
        let list = bo.obj().gem().gpuva_lock();
        // SAFETY: the object's gpuva lock is held; the entry is on `bo`'s VA list, as `vm_bo` was `Some` (type
        // invariant).
        unsafe { bo.vas.remove(NonNull::from(&self.entry)) };
        drop(list);
        // INVARIANT: off the list, and `vm_bo` is `None`.
        Some(bo)
    }

    /// First address.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// Length in bytes (`drm_gpuva::va.range`).
    pub fn length(&self) -> u64 {
        self.range
    }

    /// One past the last address.
    pub fn end(&self) -> u64 {
        self.addr + self.range
    }

    /// The addresses the VA covers, `addr..end`.
    pub fn range(&self) -> Range<u64> {
        self.addr..self.end()
    }

    /// Offset into the GEM object (meaningless for a null mapping).
    pub fn gem_offset(&self) -> u64 {
        self.offset
    }

    /// The driver's flags for this VA (`drm_gpuva::flags`).
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The vm_bo, or `None` for a null (sparse) mapping.
    pub fn vm_bo(&self) -> Option<&VmBoRef<T>> {
        self.vm_bo.as_ref()
    }

    /// The GEM object, or `None` for a null mapping.
    pub fn obj(&self) -> Option<&ObjectOf<T>> {
        self.vm_bo.as_ref().map(|b| &**b.obj())
    }

    /// The driver's data, set when the VA was inserted.
    pub fn data(&self) -> Option<&T::VaData> {
        // SAFETY: `data` is initialised when `has_data` is set (type invariant).
        self.has_data
            .then(|| unsafe { self.data.assume_init_ref() })
    }

    /// Whether `self` maps `obj` (pointer identity of the GEM object).
    pub(super) fn same_obj(&self, other: Option<&VmBoRef<T>>) -> bool {
        match (&self.vm_bo, other) {
            (Some(a), Some(b)) => core::ptr::eq(a.obj().gem(), b.obj().gem()),
            _ => false,
        }
    }
}

impl<T: DriverGpuVm> GpuVa<T> {
    /// Takes the driver data out, if any.
    fn take_data(&mut self) -> Option<T::VaData> {
        // INVARIANT: cleared before the value is moved out, so it is read once.
        let had = core::mem::replace(&mut self.has_data, false);
        // SAFETY: `data` is initialised when `has_data` was set (type invariant).
        had.then(|| unsafe { self.data.assume_init_read() })
    }

    /// Sets the driver data, dropping any there was.
    fn set_data(&mut self, data: T::VaData) {
        drop(self.take_data());
        self.data.write(data);
        // INVARIANT: just initialised.
        self.has_data = true;
    }

    /// The driver data, mutably.
    fn data_mut(&mut self) -> Option<&mut T::VaData> {
        // SAFETY: `data` is initialised when `has_data` is set (type invariant).
        self.has_data
            .then(|| unsafe { self.data.assume_init_mut() })
    }
}

impl<T: DriverGpuVm> Drop for GpuVa<T> {
    fn drop(&mut self) {
        // Off the list before the memory goes.
        drop(self.unlink());
        drop(self.take_data());
    }
}

/// A pre-allocated VA node (`GpuVaAlloc` upstream), with its entry for the vm_bo's VA list: allocated in the ioctl
/// path so that inserting and linking it in a step allocates nothing.
pub struct GpuVaAlloc<T: DriverGpuVm>(Box<Node<GpuVa<T>>>);

impl<T: DriverGpuVm> GpuVaAlloc<T> {
    /// Allocates one node; `ENOMEM` on failure.
    pub fn new() -> Result<Self> {
        Ok(GpuVaAlloc(alloc::try_box(Node::new(0, GpuVa::empty()))?))
    }

    /// Fills the node for `[addr, addr + range)` and links it to `vm_bo` (under the object's gpuva lock).
    fn fill(
        mut self,
        addr: u64,
        range: u64,
        offset: u64,
        flags: u32,
        vm_bo: Option<VmBoRef<T>>,
        data: T::VaData,
    ) -> Box<Node<GpuVa<T>>> {
        self.0.key = addr;
        let va = &mut self.0.val;
        (va.addr, va.range, va.offset, va.flags) = (addr, range, offset, flags);
        va.set_data(data);
        if let Some(bo) = vm_bo {
            va.link(bo);
        }
        self.0
    }
}

/// A VA taken out of the tree by a step, already unlinked from its vm_bo. Its node can be reused as a
/// [`GpuVaAlloc`] and its driver data taken back.
pub struct GpuVaRemoved<T: DriverGpuVm> {
    node: Box<Node<GpuVa<T>>>,
    addr: u64,
    range: u64,
    offset: u64,
}

impl<T: DriverGpuVm> GpuVaRemoved<T> {
    fn take(tree: &mut TreeMut<'_, GpuVa<T>>, key: u64) -> Self {
        match tree.remove(key) {
            Some(n) => Self::unlinked(n),
            // The op was built from this very key with the tree borrowed mutably ever since.
            None => unreachable!("GPUVM op refers to a VA that is not in the tree"),
        }
    }

    /// Unlinks a node already out of the tree from its vm_bo.
    fn unlinked(mut node: Box<Node<GpuVa<T>>>) -> Self {
        // May drop the last reference, after the gpuva lock: the vm_bo goes to the deferred list, without
        // allocating.
        drop(node.val.unlink());
        let (addr, range, offset) = (node.val.addr, node.val.range, node.val.offset);
        GpuVaRemoved {
            node,
            addr,
            range,
            offset,
        }
    }

    /// The range the VA covered.
    pub fn range(&self) -> Range<u64> {
        self.addr..self.addr + self.range
    }

    /// Its length in bytes.
    pub fn length(&self) -> u64 {
        self.range
    }

    /// The object offset it had.
    pub fn gem_offset(&self) -> u64 {
        self.offset
    }

    /// Takes the driver data back and recycles the node.
    pub fn into_parts(mut self) -> (Option<T::VaData>, GpuVaAlloc<T>) {
        let data = self.node.val.take_data();
        (data, GpuVaAlloc(self.node))
    }
}

/// Marks a type as tied to one operation by an invariant lifetime.
type Invariant<'op> = PhantomData<fn(&'op ()) -> &'op ()>;

/// Proof that an [`OpMap`] was applied.
pub struct OpMapped<'op, T>(Invariant<'op>, PhantomData<*const T>);
/// Proof that an [`OpUnmap`] was applied.
pub struct OpUnmapped<'op, T>(Invariant<'op>, PhantomData<*const T>);
/// Proof that an [`OpRemap`] was applied.
pub struct OpRemapped<'op, T>(Invariant<'op>, PhantomData<*const T>);

/// What the request wants mapped (`struct drm_gpuvm_map_req`).
pub struct OpMapRequest<'a, T: DriverGpuVm> {
    /// First address.
    pub addr: u64,
    /// Length in bytes.
    pub range: u64,
    /// Offset into the object.
    pub gem_offset: u64,
    /// The vm_bo to map, `None` for a null mapping.
    pub vm_bo: Option<&'a VmBoRef<T>>,
    /// Driver flags stored in the new VA.
    pub flags: u32,
}

/// A map step (`struct drm_gpuva_op_map`).
pub struct OpMap<'op, T: DriverGpuVm> {
    pub(super) addr: u64,
    pub(super) range: u64,
    pub(super) offset: u64,
    pub(super) flags: u32,
    pub(super) vm_bo: Option<&'op VmBoRef<T>>,
    pub(super) tree: TreeMut<'op, GpuVa<T>>,
    pub(super) _op: Invariant<'op>,
}

impl<'op, T: DriverGpuVm> OpMap<'op, T> {
    /// First address.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// Length in bytes.
    pub fn length(&self) -> u64 {
        self.range
    }

    /// The addresses to map, `addr..addr + length`.
    pub fn range(&self) -> Range<u64> {
        self.addr..self.addr + self.range
    }

    /// Object offset.
    pub fn gem_offset(&self) -> u64 {
        self.offset
    }

    /// The vm_bo mapped, `None` for a null mapping.
    pub fn vm_bo(&self) -> Option<&'op VmBoRef<T>> {
        self.vm_bo
    }

    /// The object mapped.
    pub fn obj(&self) -> Option<&'op ObjectOf<T>> {
        self.vm_bo.map(|b| &**b.obj())
    }

    /// Inserts the new VA (`drm_gpuva_map` + `drm_gpuva_link`), using a pre-allocated node.
    pub fn insert(mut self, va: GpuVaAlloc<T>, data: T::VaData) -> OpMapped<'op, T> {
        let node = va.fill(
            self.addr,
            self.range,
            self.offset,
            self.flags,
            self.vm_bo.cloned(),
            data,
        );
        if self.tree.insert(node).is_err() {
            // `sm_map` emitted this map after every overlapping VA was removed by ops whose tokens prove it, and checked
            // before the first step that the node reserve covers three insertions.
            unreachable!("GPUVM map over a live VA or past the node reserve");
        }
        OpMapped(PhantomData, PhantomData)
    }
}

/// The VA with `key` in `tree`, which an op's invariant guarantees is there.
fn op_va<'a, T: DriverGpuVm>(tree: &'a TreeMut<'_, GpuVa<T>>, key: u64) -> &'a GpuVa<T> {
    match tree.tree.get(key) {
        Some(n) => &n.val,
        // The op was built from this very key with the tree borrowed mutably ever since.
        None => unreachable!("GPUVM op refers to a VA that is not in the tree"),
    }
}

/// An unmap step (`struct drm_gpuva_op_unmap`).
///
/// The op names its VA by key, not by pointer: it holds the tree mutably, so the VA is looked up when asked for and
/// no reference into the tree outlives a change to it.
///
/// # Invariants
/// `tree` holds a VA whose key is `key`.
pub struct OpUnmap<'op, T: DriverGpuVm> {
    key: u64,
    keep: bool,
    tree: TreeMut<'op, GpuVa<T>>,
    _op: Invariant<'op>,
}

impl<'op, T: DriverGpuVm> OpUnmap<'op, T> {
    /// The unmap of the VA with `key`, which must be in `tree`.
    pub(super) fn new(tree: TreeMut<'op, GpuVa<T>>, key: u64, keep: bool) -> Self {
        debug_assert!(tree.tree.get(key).is_some());
        // INVARIANT: the callers (`sm_map`/`sm_unmap`) pass the key of a VA they just read from `tree`.
        OpUnmap {
            key,
            keep,
            tree,
            _op: PhantomData,
        }
    }

    /// The VA going away.
    pub fn va(&self) -> &GpuVa<T> {
        op_va(&self.tree, self.key)
    }

    /// Whether the pages stay the same (a map of the same object at the same offset replaces it).
    pub fn keep(&self) -> bool {
        self.keep
    }

    /// Removes the VA from the tree and unlinks it from its vm_bo (`drm_gpuva_unmap` + `drm_gpuva_unlink`).
    pub fn remove(mut self) -> (OpUnmapped<'op, T>, GpuVaRemoved<T>) {
        let removed = GpuVaRemoved::take(&mut self.tree, self.key);
        (OpUnmapped(PhantomData, PhantomData), removed)
    }
}

/// The part of a split VA that survives a remap: `[addr, addr + range)` at object offset `gem_offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemapPart {
    /// First address.
    pub addr: u64,
    /// Length.
    pub range: u64,
    /// Object offset.
    pub gem_offset: u64,
}

/// A remap step (`struct drm_gpuva_op_remap`): a VA split into `prev` and/or `next`, the middle going away. Like
/// [`OpUnmap`], it names the VA by key.
///
/// # Invariants
/// `tree` holds a VA whose key is `key`.
pub struct OpRemap<'op, T: DriverGpuVm> {
    key: u64,
    prev: Option<RemapPart>,
    next: Option<RemapPart>,
    keep: bool,
    tree: TreeMut<'op, GpuVa<T>>,
    _op: Invariant<'op>,
}

impl<'op, T: DriverGpuVm> OpRemap<'op, T> {
    /// The remap of the VA with `key`, which must be in `tree`.
    pub(super) fn new(
        tree: TreeMut<'op, GpuVa<T>>,
        key: u64,
        prev: Option<RemapPart>,
        next: Option<RemapPart>,
        keep: bool,
    ) -> Self {
        debug_assert!(tree.tree.get(key).is_some());
        // INVARIANT: the callers (`sm_map`/`sm_unmap`) pass the key of a VA they just read from `tree`.
        OpRemap {
            key,
            prev,
            next,
            keep,
            tree,
            _op: PhantomData,
        }
    }

    /// The VA being split (`drm_gpuva_op_remap::unmap->va`).
    pub fn va_to_unmap(&self) -> &GpuVa<T> {
        op_va(&self.tree, self.key)
    }

    /// The surviving head, if any.
    pub fn prev(&self) -> Option<RemapPart> {
        self.prev
    }

    /// The surviving tail, if any.
    pub fn next(&self) -> Option<RemapPart> {
        self.next
    }

    /// Whether the pages stay the same.
    pub fn keep(&self) -> bool {
        self.keep
    }

    /// The range whose page-table entries go away (`drm_gpuva_op_remap_to_unmap_range`): from the end of `prev` (or
    /// the old start) to the start of `next` (or the old end).
    pub fn unmap_range(&self) -> Range<u64> {
        let va = self.va_to_unmap();
        let start = self.prev.map_or(va.addr(), |p| p.addr + p.range);
        let end = self.next.map_or(va.end(), |n| n.addr);
        start..end
    }

    /// How many new VAs the remap needs: one per surviving part.
    pub fn vas_needed(&self) -> usize {
        usize::from(self.prev.is_some()) + usize::from(self.next.is_some())
    }

    /// Applies the remap (`drm_gpuva_remap` + link of the parts + unlink of the old VA), giving the surviving parts
    /// the nodes in `va_alloc` (the first for `prev`, the second for `next`; a node whose part does not exist comes
    /// back in [`OpRemapRet::unused_va`]): they get the old VA's vm_bo and flags, and `prev_data`/`next_data` (dropped
    /// for a part that does not exist). The parts are linked before the old VA is unlinked, so the vm_bo's count never
    /// touches zero in between. Cannot fail: the nodes are the caller's, and the tree nodes the insertions need were
    /// reserved before the first step.
    pub fn remap(
        mut self,
        va_alloc: [GpuVaAlloc<T>; 2],
        prev_data: T::VaData,
        next_data: T::VaData,
    ) -> (OpRemapped<'op, T>, OpRemapRet<T>) {
        let [va1, va2] = va_alloc;
        // The surviving head has the old VA's key and the tail sits where the old VA was: one of them takes the old
        // VA's place in the tree, in place, and only the other is inserted. One descent finds that place and reads
        // the old VA's vm_bo and flags for the parts.
        let Some(first_key) = self.prev.or(self.next).map(|p| p.addr) else {
            // Neither part survives: `sm_map`/`sm_unmap` emit an unmap then, never such a remap; handled anyway.
            let old = self.take_node();
            let ret = OpRemapRet {
                unmapped_va: GpuVaRemoved::unlinked(old),
                unused_va: Some(va1),
            };
            drop(va2);
            return (OpRemapped(PhantomData, PhantomData), ret);
        };
        let Some(slot) = self.tree.tree.slot(self.key, first_key) else {
            // The op was built from this very key with the tree borrowed mutably ever since.
            unreachable!("GPUVM op refers to a VA that is not in the tree");
        };
        let (old_bo, flags) = (&slot.entry().val.vm_bo, slot.entry().val.flags);
        let mut unused_va = None;
        let prev = match self.prev {
            Some(p) => Some(va1.fill(
                p.addr,
                p.range,
                p.gem_offset,
                flags,
                old_bo.clone(),
                prev_data,
            )),
            None => {
                unused_va = Some(va1);
                None
            }
        };
        let next = match self.next {
            Some(n) => Some(va2.fill(
                n.addr,
                n.range,
                n.gem_offset,
                flags,
                old_bo.clone(),
                next_data,
            )),
            None => {
                unused_va = Some(va2);
                None
            }
        };
        let (first, second) = match (prev, next) {
            (Some(p), n) => (p, n),
            (None, Some(n)) => (n, None),
            // `first_key` came from `prev` or `next`, so one of them was filled.
            (None, None) => unreachable!("remap with a first key but no part"),
        };
        let old = if slot.fits {
            slot.put(first)
        } else {
            // A tail whose key would cross a stale routing bound: remove and insert.
            let old = self.take_node();
            self.insert_part(first);
            old
        };
        if let Some(n) = second {
            self.insert_part(n);
        }
        (
            OpRemapped(PhantomData, PhantomData),
            OpRemapRet {
                unmapped_va: GpuVaRemoved::unlinked(old),
                unused_va,
            },
        )
    }

    fn take_node(&mut self) -> Box<Node<GpuVa<T>>> {
        match self.tree.remove(self.key) {
            Some(n) => n,
            // The op was built from this very key with the tree borrowed mutably ever since.
            None => unreachable!("GPUVM op refers to a VA that is not in the tree"),
        }
    }

    fn insert_part(&mut self, node: Box<Node<GpuVa<T>>>) {
        if self.tree.insert(node).is_err() {
            unreachable!("GPUVM remap part overlaps a live VA");
        }
    }
}

/// What [`OpRemap::remap`] hands back (`OpRemapRet` upstream).
pub struct OpRemapRet<T: DriverGpuVm> {
    /// The VA the remap took out of the tree, already unlinked from its vm_bo.
    pub unmapped_va: GpuVaRemoved<T>,
    /// The node of `va_alloc` that no surviving part needed, if only one part survives.
    pub unused_va: Option<GpuVaAlloc<T>>,
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

    /// Takes two VA nodes, for [`OpRemap::remap`]; `None`, with the pool unchanged, if fewer are left.
    pub fn take_pair(&mut self) -> Option<[GpuVaAlloc<T>; 2]> {
        if self.len() < 2 {
            return None;
        }
        Some([self.take()?, self.take()?])
    }

    /// Gives a VA node back (a recycled [`GpuVaRemoved`] node, say); returns it if the pool is full.
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

impl<T: DriverGpuVm> Node<GpuVa<T>> {
    /// The driver data of the VA in this node.
    pub(super) fn val_data_mut(&mut self) -> Option<&mut T::VaData> {
        self.val.data_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vm;
    struct D;
    impl crate::drm::Driver for D {
        type Object = crate::drm::gem::GemObject;
    }
    impl DriverGpuVm for Vm {
        type Driver = D;
        type VaData = u64;
        type VmBoData = ();
        type SmContext<'ctx> = ();
        fn sm_step_map<'op>(
            &mut self,
            _: OpMap<'op, Self>,
            _: &mut (),
        ) -> Result<OpMapped<'op, Self>> {
            unimplemented!()
        }
        fn sm_step_unmap<'op>(
            &mut self,
            _: OpUnmap<'op, Self>,
            _: &mut (),
        ) -> Result<OpUnmapped<'op, Self>> {
            unimplemented!()
        }
        fn sm_step_remap<'op>(
            &mut self,
            _: OpRemap<'op, Self>,
            _: &mut (),
        ) -> Result<OpRemapped<'op, Self>> {
            unimplemented!()
        }
    }

    #[test]
    fn a_va_node_with_u64_data_stays_within_72_bytes() {
        // One malloc size class (80-byte chunks) with the node it replaced: the list entry costs no more memory.
        assert!(core::mem::size_of::<Node<GpuVa<Vm>>>() <= 72);
    }

    #[test]
    fn data_is_set_taken_once_and_dropped_with_the_va() {
        let mut va = GpuVa::<Vm>::empty();
        assert_eq!(va.data(), None);
        va.set_data(7);
        va.set_data(8);
        assert_eq!(va.data(), Some(&8));
        *va.data_mut().unwrap() += 1;
        assert_eq!(va.take_data(), Some(9));
        assert_eq!(va.take_data(), None);
        va.set_data(1);
        drop(va);
    }
}
