// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `GpuVa` (`struct drm_gpuva`): one mapping, its entry on its vm_bo's VA list, and the boxed node it lives in —
//! pre-allocated as a [`GpuVaAlloc`], in the tree, or taken out as a [`GpuVaRemoved`].

use core::marker::PhantomPinned;
use core::mem::MaybeUninit;
use core::ops::Range;
use core::ptr::{self, NonNull};

use super::btree::{Node, Path, Span, TreeMut};
use super::list::Links;
use super::{DriverGpuVm, ObjectOf, VmBoRef};
use crate::alloc;
use crate::drm::gem::IntoGemObject;
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
    /// its entry on the vm_bo's VA list, which allocates nothing. The VA must be linked to no vm_bo.
    ///
    /// # Safety
    /// The VA is boxed, and stays in its box until it is unlinked (by [`Self::unlink`] or its drop).
    unsafe fn link(&mut self, bo: VmBoRef<T>) {
        debug_assert!(self.vm_bo.is_none());
        // The pointer covers the whole VA, for `LinkedVa::of`.
        let entry = NonNull::from(&mut *self).cast::<Links>();
        {
            let _list = bo.obj().gem().gpuva_lock();
            // SAFETY: the object's gpuva lock, which guards `bo.vas`, is held; the entry is on no list (no vm_bo:
            // type invariant) and the VA stays in its box (the caller), in place, until `unlink` (or the VA's
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

impl<T: DriverGpuVm> Span for GpuVa<T> {
    fn span_start(&self) -> u64 {
        self.addr
    }

    fn span_end(&self) -> u64 {
        self.end()
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
/// path so that inserting and linking it in a step allocates nothing. The VA-tree nodes an insertion may need come
/// from the VM's private reserve, which only a [`VaPrealloc`](super::VaPrealloc) fills; `sm_map`/`sm_unmap` check it
/// covers the worst case before the first step (`ENOMEM` otherwise), so no step can fail for want of one.
///
/// # Invariants
/// The VA is linked to no vm_bo.
pub struct GpuVaAlloc<T: DriverGpuVm>(Box<Node<GpuVa<T>>>);

impl<T: DriverGpuVm> GpuVaAlloc<T> {
    /// Allocates one node; `ENOMEM` on failure.
    pub fn new() -> Result<Self> {
        // INVARIANT: a new VA is linked to nothing.
        Ok(GpuVaAlloc(alloc::try_box(Node::new(GpuVa::empty()))?))
    }

    /// Fills the node for `[addr, addr + range)` and links it to `vm_bo` (under the object's gpuva lock).
    pub(super) fn fill(
        mut self,
        addr: u64,
        range: u64,
        offset: u64,
        flags: u32,
        vm_bo: Option<VmBoRef<T>>,
        data: T::VaData,
    ) -> Box<Node<GpuVa<T>>> {
        let va = &mut self.0.val;
        (va.addr, va.range, va.offset, va.flags) = (addr, range, offset, flags);
        va.set_data(data);
        if let Some(bo) = vm_bo {
            // SAFETY: the VA is in `self.0`'s box, which only moves as a box: into the tree, or out as a
            // `GpuVaRemoved`, which unlinks it. Not linked yet (type invariant).
            unsafe { va.link(bo) };
        }
        self.0
    }
}

/// A VA taken out of the tree by a step, already unlinked from its vm_bo. Its node can be reused as a
/// [`GpuVaAlloc`] and its driver data taken back.
///
/// # Invariants
/// The VA is linked to no vm_bo.
pub struct GpuVaRemoved<T: DriverGpuVm> {
    node: Box<Node<GpuVa<T>>>,
    addr: u64,
    range: u64,
    offset: u64,
}

impl<T: DriverGpuVm> GpuVaRemoved<T> {
    /// Takes the VA with `key` out of `tree` (along `path`, the way its search went, when nothing changed since) and
    /// unlinks it.
    pub(super) fn take(tree: &mut TreeMut<'_, GpuVa<T>>, key: u64, path: Option<&Path>) -> Self {
        let node = match path {
            Some(p) => tree.remove_along(p, key),
            None => tree.remove(key),
        };
        match node {
            Some(n) => Self::unlinked(n),
            // The op was built from this very key with the tree borrowed mutably ever since.
            None => unreachable!("GPUVM op refers to a VA that is not in the tree"),
        }
    }

    /// Unlinks a node already out of the tree from its vm_bo.
    pub(super) fn unlinked(mut node: Box<Node<GpuVa<T>>>) -> Self {
        // May drop the last reference, after the gpuva lock: the vm_bo goes to the deferred list, without
        // allocating.
        drop(node.val.unlink());
        let (addr, range, offset) = (node.val.addr, node.val.range, node.val.offset);
        // INVARIANT: unlinked just above.
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
        // INVARIANT: a removed VA was unlinked when it was taken out (type invariant).
        (data, GpuVaAlloc(self.node))
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
    use super::super::{OpMap, OpMapped, OpRemap, OpRemapped, OpUnmap, OpUnmapped};
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
    fn a_va_node_with_u64_data_stays_within_64_bytes() {
        // The node keeps no key of its own (the VA's address is the key): with the list entry and 8 bytes of driver
        // data it is one cache line's worth, and one 80-byte malloc chunk.
        assert!(core::mem::size_of::<Node<GpuVa<Vm>>>() <= 64);
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
