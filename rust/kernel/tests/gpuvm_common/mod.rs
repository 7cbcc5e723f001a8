// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A recording immediate-mode driver for the GPUVM integration tests: every step is logged and applied at once, the
//! VA nodes it takes are counted.

#![allow(dead_code)]

use std::sync::Arc;

use kernel::dma_resv::ResvHeld;
use kernel::drm::gem::GemObject;
use kernel::drm::gpuvm::{
    DriverGpuVm, GpuVm, GpuVmCore, GpuVmRef, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped,
    OpUnmap, OpUnmapped, RemapPart, VaPrealloc, VmBoRef,
};
use kernel::drm::Driver;
use kernel::error::code::ENOMEM;
use kernel::Result;

/// `[addr, range, obj, offset]` of a VA or remap part; `obj` is the test's id, `None` for a null mapping.
pub type Va = (u64, u64, Option<u32>, u64);

/// One step as the driver saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A map.
    Map(Va),
    /// An unmap, with `keep`.
    Unmap(Va, bool),
    /// A remap: prev, next, the VA split, `keep`.
    Remap(Option<Va>, Option<Va>, Va, bool),
}

/// The test driver.
pub struct TestDriver;

impl Driver for TestDriver {
    type Object = GemObject;
}

/// The test VM's data: an optional step that fails on purpose.
#[derive(Default)]
pub struct TestVm {
    /// Fail the step with this index (0-based, counted per `sm_map`/`sm_unmap`) with `ENOMEM`, before applying it.
    pub fail_step: Option<usize>,
    /// Call an allocating function inside each step (to prove the signalling path refuses allocation).
    pub allocate_in_step: bool,
}

/// What the steps of one call get.
pub struct Ctx {
    /// Steps seen, in order.
    pub steps: Vec<Step>,
    /// Pre-allocated nodes.
    pub pool: VaPrealloc<TestVm>,
    /// Nodes taken from the pool.
    pub nodes_used: usize,
    /// The result of the in-step allocation attempt, if made.
    pub alloc_in_step: Option<bool>,
    /// What each remap handed back: the range of the VA it took out, its driver data, and whether a node of the two
    /// came back unused.
    pub remap_rets: Vec<(std::ops::Range<u64>, Option<u64>, bool)>,
}

impl Ctx {
    /// A context with `n` pre-allocated nodes for `vm`.
    pub fn new(vm: &GpuVmRef<TestVm>, n: usize) -> Self {
        Ctx {
            steps: Vec::new(),
            pool: VaPrealloc::new(vm, n).unwrap(),
            nodes_used: 0,
            alloc_in_step: None,
            remap_rets: Vec::new(),
        }
    }
}

fn part(p: Option<RemapPart>, obj: Option<u32>) -> Option<Va> {
    p.map(|p| (p.addr, p.range, obj, p.gem_offset))
}

fn check_fail(vm: &mut TestVm, ctx: &mut Ctx) -> Result {
    if vm.allocate_in_step {
        ctx.alloc_in_step = Some(kernel::alloc::try_box(0u8).is_ok());
    }
    if vm.fail_step == Some(ctx.steps.len()) {
        return Err(ENOMEM);
    }
    Ok(())
}

impl DriverGpuVm for TestVm {
    type Driver = TestDriver;
    type VaData = u64;
    type VmBoData = u32;
    type SmContext<'ctx> = Ctx;

    fn sm_step_map<'op>(
        &mut self,
        op: OpMap<'op, Self>,
        ctx: &mut Ctx,
    ) -> Result<OpMapped<'op, Self>> {
        check_fail(self, ctx)?;
        ctx.steps.push(Step::Map((
            op.addr(),
            op.length(),
            op.vm_bo().map(|b| *b.data()),
            op.gem_offset(),
        )));
        let va = ctx.pool.take().ok_or(ENOMEM)?;
        ctx.nodes_used += 1;
        let tag = op_tag(op.addr());
        Ok(op.insert(va, tag))
    }

    fn sm_step_unmap<'op>(
        &mut self,
        op: OpUnmap<'op, Self>,
        ctx: &mut Ctx,
    ) -> Result<OpUnmapped<'op, Self>> {
        check_fail(self, ctx)?;
        let va = op.va();
        ctx.steps.push(Step::Unmap(
            (
                va.addr(),
                va.length(),
                va.vm_bo().map(|b| *b.data()),
                va.gem_offset(),
            ),
            op.keep(),
        ));
        let (done, removed) = op.remove();
        // Recycle the node: a later remap of the same call takes two.
        let _ = ctx.pool.put(removed.into_parts().1);
        Ok(done)
    }

    fn sm_step_remap<'op>(
        &mut self,
        op: OpRemap<'op, Self>,
        ctx: &mut Ctx,
    ) -> Result<OpRemapped<'op, Self>> {
        check_fail(self, ctx)?;
        let va = op.va_to_unmap();
        let obj = va.vm_bo().map(|b| *b.data());
        let old = (va.addr(), va.length(), obj, va.gem_offset());
        ctx.steps.push(Step::Remap(
            part(op.prev(), obj),
            part(op.next(), obj),
            old,
            op.keep(),
        ));
        ctx.nodes_used += op.vas_needed();
        let (prev_tag, next_tag) = (
            op.prev().map_or(0, |p| op_tag(p.addr)),
            op.next().map_or(0, |n| op_tag(n.addr)),
        );
        let allocs = ctx.pool.take_pair().ok_or(ENOMEM)?;
        let (done, ret) = op.remap(allocs, prev_tag, next_tag);
        let range = ret.unmapped_va.range();
        let (data, node) = ret.unmapped_va.into_parts();
        ctx.remap_rets.push((range, data, ret.unused_va.is_some()));
        let _ = ctx.pool.put(node);
        if let Some(unused) = ret.unused_va {
            let _ = ctx.pool.put(unused);
        }
        Ok(done)
    }
}

/// The driver data stored in a VA: derived from its address, so tests can check it followed the VA.
pub fn op_tag(addr: u64) -> u64 {
    addr ^ 0x5a5a
}

/// A VM over `range`, with `reserve` kept for the kernel, and its resv object.
pub fn new_vm(
    range: std::ops::Range<u64>,
    reserve: std::ops::Range<u64>,
) -> (GpuVmCore<TestVm>, Arc<GemObject>) {
    let r_obj = Arc::new(GemObject::new(0x1000, None).unwrap());
    let core = GpuVm::new("test", &r_obj, range, reserve, TestVm::default()).unwrap();
    (core, r_obj)
}

/// A new external object (its own resv).
pub fn new_obj() -> Arc<GemObject> {
    Arc::new(GemObject::new(1 << 40, None).unwrap())
}

/// Obtains the vm_bo of `obj` (test id `id`) under the VM resv.
pub fn obtain(core: &GpuVmCore<TestVm>, obj: &Arc<GemObject>, id: u32) -> Result<VmBoRef<TestVm>> {
    let mut g = core.resv().lock();
    core.obtain(obj, id, &mut g)
}

/// `sm_map` with a fresh 3-node pool; returns the steps.
pub fn map(
    core: &mut GpuVmCore<TestVm>,
    addr: u64,
    range: u64,
    bo: Option<&VmBoRef<TestVm>>,
    off: u64,
) -> Result<Vec<Step>> {
    let mut ctx = Ctx::new(core.vm(), 3);
    core.sm_map(
        OpMapRequest {
            addr,
            range,
            gem_offset: off,
            vm_bo: bo,
            flags: 0,
        },
        &mut ctx,
    )?;
    Ok(ctx.steps)
}

/// `sm_map` with a fresh 3-node pool; returns the whole context (steps and what the remaps handed back).
pub fn map_ctx(
    core: &mut GpuVmCore<TestVm>,
    addr: u64,
    range: u64,
    bo: Option<&VmBoRef<TestVm>>,
    off: u64,
) -> Result<Ctx> {
    let mut ctx = Ctx::new(core.vm(), 3);
    core.sm_map(
        OpMapRequest {
            addr,
            range,
            gem_offset: off,
            vm_bo: bo,
            flags: 0,
        },
        &mut ctx,
    )?;
    Ok(ctx)
}

/// `sm_unmap` with a fresh 2-node pool; returns the steps.
pub fn unmap(core: &mut GpuVmCore<TestVm>, addr: u64, range: u64) -> Result<Vec<Step>> {
    let mut ctx = Ctx::new(core.vm(), 2);
    core.sm_unmap(addr, range, &mut ctx)?;
    Ok(ctx.steps)
}

/// The VA list.
pub fn vas(core: &GpuVmCore<TestVm>) -> Vec<Va> {
    core.vas()
        .map(|va| {
            (
                va.addr(),
                va.length(),
                va.vm_bo().map(|b| *b.data()),
                va.gem_offset(),
            )
        })
        .collect()
}

/// Whether a held resv proof holds the VM resv (re-exported for tests).
pub fn holds(h: &impl ResvHeld, core: &GpuVmCore<TestVm>) -> bool {
    h.holds(core.resv())
}
