// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The split/merge walks of `drm_gpuvm_sm_map()` and `drm_gpuvm_sm_unmap()`: which VAs a request touches and the
//! step each one gets, handed to the driver one at a time ([`GpuVmCore::sm_map`], [`GpuVmCore::sm_unmap`]).

use core::marker::PhantomData;
use core::sync::atomic::Ordering;

use super::btree::{Hit, Path, Tree, TreeMut};
use super::reserve::LazySpare;
use super::{
    CoreState, DriverGpuVm, GpuVa, GpuVmCore, OpMap, OpMapRequest, OpRemap, OpUnmap, RemapPart,
    VmBoRef,
};
use crate::alloc::fault::NoAllocSection;
use crate::error::code::{EINVAL, ENOMEM};
use crate::error::Result;

impl<T: DriverGpuVm> GpuVmCore<T> {
    /// Maps `req` (`drm_gpuvm_sm_map`): hands the driver, in the kernel's order, at most one leading remap, the
    /// unmaps of every VA inside the request, at most one trailing remap, then the map. `EINVAL` (and no step) for an
    /// invalid range or a vm_bo of another VM; a step's error stops the walk with earlier steps applied.
    pub fn sm_map(&mut self, req: OpMapRequest<'_, T>, ctx: &mut T::SmContext<'_>) -> Result {
        let OpMapRequest {
            addr,
            range,
            gem_offset,
            vm_bo,
            flags,
        } = req;
        if !self.range_valid(addr, range)
            || vm_bo.is_some_and(|b| !core::ptr::eq(&**b.vm(), &*self.vm))
        {
            return Err(EINVAL);
        }
        let req_end = addr + range;
        // In immediate mode the steps run in the fence-signalling path: any allocation through `kernel::alloc` there
        // fails and is counted (`dma_fence_begin_signalling` lockdep annotation in the kernel).
        let (CoreState { data, tree }, vm) = self.parts();
        let mut spare = LazySpare::new(vm);
        // Reserve check before any step: three insertions at most (new VA, prev, next).
        if !spare.holds(tree.nodes_needed(3)) {
            return Err(ENOMEM);
        }
        let pool = &mut spare;
        let _signalling = NoAllocSection::begin();
        // The walk holds no reference into the tree across a step: each VA is read into a `VaSnap` (plain values)
        // while the tree is borrowed shared, the step is handed the VA's key, and the next VA is found before the step
        // changes the tree (a step only removes or splits its own VA, below the next one's start).
        let (first, path) = tree.first_overlap_path(addr, req_end);
        let mut cur = first.and_then(|h| VaSnap::of(h, vm_bo));
        // The search's way down to `addr`'s leaf, for the map's insertion while no step has changed the tree.
        let mut fresh = Some(path);
        while let Some(VaSnap {
            addr: va_addr,
            end: va_end,
            offset: va_off,
            same_obj,
        }) = cur
        {
            let key = va_addr;
            fresh = None;
            let stop = va_end >= req_end;
            cur = if stop {
                None
            } else {
                next_intersecting(tree, key, req_end).and_then(|h| VaSnap::of(h, vm_bo))
            };
            if va_addr == addr {
                let keep = same_obj && va_off == gem_offset;
                if va_end <= req_end {
                    step_unmap(data, TreeMut { tree, pool }, key, keep, None, ctx)?;
                } else {
                    let next = RemapPart {
                        addr: req_end,
                        range: va_end - req_end,
                        gem_offset: va_off.wrapping_add(range),
                    };
                    step_remap(
                        data,
                        TreeMut { tree, pool },
                        key,
                        None,
                        Some(next),
                        keep,
                        ctx,
                    )?;
                }
            } else if va_addr < addr {
                let head = addr - va_addr;
                let keep = same_obj && va_off.wrapping_add(head) == gem_offset;
                let prev = RemapPart {
                    addr: va_addr,
                    range: head,
                    gem_offset: va_off,
                };
                let next = (va_end > req_end).then(|| RemapPart {
                    addr: req_end,
                    range: va_end - req_end,
                    gem_offset: va_off.wrapping_add(head).wrapping_add(range),
                });
                step_remap(
                    data,
                    TreeMut { tree, pool },
                    key,
                    Some(prev),
                    next,
                    keep,
                    ctx,
                )?;
            } else {
                let keep = same_obj && va_off == gem_offset.wrapping_add(va_addr - addr);
                if va_end <= req_end {
                    step_unmap(data, TreeMut { tree, pool }, key, keep, None, ctx)?;
                } else {
                    let next = RemapPart {
                        addr: req_end,
                        range: va_end - req_end,
                        gem_offset: va_off.wrapping_add(req_end - va_addr),
                    };
                    step_remap(
                        data,
                        TreeMut { tree, pool },
                        key,
                        None,
                        Some(next),
                        keep,
                        ctx,
                    )?;
                }
            }
        }
        let op = OpMap {
            addr,
            range,
            offset: gem_offset,
            flags,
            vm_bo,
            tree: TreeMut { tree, pool },
            path: fresh,
            _op: PhantomData,
        };
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
        let mut spare = LazySpare::new(vm);
        // Reserve check before any step: two insertions at most (prev and next of a VA split in three).
        if !spare.holds(tree.nodes_needed(2)) {
            return Err(ENOMEM);
        }
        let pool = &mut spare;
        let _signalling = NoAllocSection::begin();
        // As in `sm_map`: plain values across the steps, never a reference into the tree. A VA wholly inside the
        // range is not read at all (its key and end come from its leaf); one straddling an edge is, for its offset.
        let snap = |h: Hit<'_, GpuVa<T>>| {
            if h.key < addr || h.end > req_end {
                VaSnap::of(h, None)
            } else {
                // The step takes it out and unlinks it: start loading it now, while the removal descends.
                h.prefetch_entry();
                Some(VaSnap {
                    addr: h.key,
                    end: h.end,
                    offset: 0,
                    same_obj: false,
                })
            }
        };
        let (first, path) = tree.first_overlap_path(addr, req_end);
        let mut cur = first.and_then(snap);
        // The search's way down, for the first VA's removal (no step has changed the tree yet).
        let mut fresh = Some(path);
        while let Some(VaSnap {
            addr: va_addr,
            end: va_end,
            offset: va_off,
            ..
        }) = cur
        {
            let key = va_addr;
            cur = if va_end >= req_end {
                None
            } else {
                next_intersecting(tree, key, req_end).and_then(snap)
            };
            let prev = (va_addr < addr).then(|| RemapPart {
                addr: va_addr,
                range: addr - va_addr,
                gem_offset: va_off,
            });
            let next = (va_end > req_end).then(|| RemapPart {
                addr: req_end,
                range: va_end - req_end,
                gem_offset: va_off.wrapping_add(req_end - va_addr),
            });
            if prev.is_some() || next.is_some() {
                step_remap(data, TreeMut { tree, pool }, key, prev, next, false, ctx)?;
            } else {
                step_unmap(data, TreeMut { tree, pool }, key, false, fresh.take(), ctx)?;
            }
            fresh = None;
        }
        vm.height_hint.store(tree.height(), Ordering::Relaxed);
        Ok(())
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
    /// The VA of `hit`, read (its offset and object) for a request mapping `req`.
    fn of<T: DriverGpuVm>(hit: Hit<'_, GpuVa<T>>, req: Option<&VmBoRef<T>>) -> Option<Self> {
        let va = &hit.node()?.val;
        Some(VaSnap {
            addr: hit.key,
            end: hit.end,
            offset: va.gem_offset(),
            same_obj: va.same_obj(req),
        })
    }
}

/// The first VA starting in `(after, end)`, with its key and end read from its leaf.
fn next_intersecting<T: DriverGpuVm>(
    tree: &Tree<GpuVa<T>>,
    after: u64,
    end: u64,
) -> Option<Hit<'_, GpuVa<T>>> {
    after
        .checked_add(1)
        .and_then(|k| tree.ceil(k))
        .filter(|h| h.key < end)
}

/// Hands the VA with key `key` (in `tree`, see the callers) to the driver's unmap step; `path` is the way its search
/// went, if nothing changed the tree since.
fn step_unmap<T: DriverGpuVm>(
    data: &mut T,
    tree: TreeMut<'_, GpuVa<T>>,
    key: u64,
    keep: bool,
    path: Option<Path>,
    ctx: &mut T::SmContext<'_>,
) -> Result {
    let op = OpUnmap::new(tree, key, keep, path);
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
