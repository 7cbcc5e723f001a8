// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The step operations `OpMap`, `OpUnmap`, `OpRemap` (`struct drm_gpuva_op_*`) with their tokens.
//!
//! A step receives one operation and must apply it to the VA tree through the operation's own method — the only way
//! to obtain the token the step returns. The lifetime `'op` is invariant and chosen by `sm_map`/`sm_unmap`, so a
//! token from another operation does not type-check: a driver cannot forget to apply an op, nor apply it twice.

use core::marker::PhantomData;
use core::ops::Range;

use super::btree::{Node, Path, TreeMut};
use super::va::{GpuVa, GpuVaAlloc, GpuVaRemoved};
use super::{DriverGpuVm, ObjectOf, VmBoRef};

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
    /// The way to the new VA's leaf, when no step changed the tree since `sm_map` searched it.
    pub(super) path: Option<Path>,
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
        let inserted = match &self.path {
            Some(path) => self.tree.insert_along(path, node),
            None => self.tree.insert(node),
        };
        if inserted.is_err() {
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
    /// The way to the VA's leaf, when nothing changed the tree since the search that found the VA.
    path: Option<Path>,
    _op: Invariant<'op>,
}

impl<'op, T: DriverGpuVm> OpUnmap<'op, T> {
    /// The unmap of the VA with `key`, which must be in `tree`.
    pub(super) fn new(
        tree: TreeMut<'op, GpuVa<T>>,
        key: u64,
        keep: bool,
        path: Option<Path>,
    ) -> Self {
        debug_assert!(tree.tree.get(key).is_some());
        // INVARIANT: the callers (`sm_map`/`sm_unmap`) pass the key of a VA they just read from `tree`.
        OpUnmap {
            key,
            keep,
            tree,
            path,
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
        let removed = GpuVaRemoved::take(&mut self.tree, self.key, self.path.as_ref());
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
        let (old_bo, flags) = (slot.entry().val.vm_bo(), slot.entry().val.flags());
        let mut unused_va = None;
        let prev = match self.prev {
            Some(p) => Some(va1.fill(
                p.addr,
                p.range,
                p.gem_offset,
                flags,
                old_bo.cloned(),
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
                old_bo.cloned(),
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
