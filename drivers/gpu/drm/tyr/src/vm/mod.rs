//! GPU virtual address spaces (`panthor_mmu.c`'s `struct panthor_vm`), built on `kernel::drm::gpuvm` in immediate
//! mode and on an ARM LPAE stage-1 page table from `kernel::io_pgtable`.
//!
//! A bind goes in two halves, as in Panthor:
//! - **prepare** ([`Vm::prepare_map`], [`Vm::prepare_map_sparse`], [`Vm::prepare_unmap`]), in the ioctl: every check
//!   that can fail, the BO's pages pinned and turned into contiguous chunks, the vm_bo obtained under the VM resv (and
//!   the BO's, for an external object), three VA nodes, the VA-tree nodes and the page-table pages the op can need —
//!   all allocated here, so that
//! - **execute** ([`Vm::apply`] in a bind job, [`Vm::execute`] for a synchronous bind), cannot fail or allocate: it
//!   opens a [`update::PtUpdateContext`], which locks the affected region in the MMU, lets GPUVM hand it the steps,
//!   writes the page tables in each step, and flushes and unlocks the region when the context ends.
//!
//! The vm_bos an op releases are freed afterwards ([`Vm::deferred_cleanup`], `drm_gpuvm_bo_deferred_cleanup`), which
//! takes the VM resv and the BO's gpuva lock: a bind job does it after its fence has signalled, never in the
//! fence-signalling path (Panthor frees the op context from its job-cleanup path, after `drm_sched` signalled).
//!
//! A partial unmap of a region the page table holds as a 2 MiB block cannot be done in place (io-pgtable refuses to
//! split blocks): the unmapped range is widened to the block and the surviving pieces are re-mapped with 4 KiB pages,
//! inside the same locked region (`Documentation/design.md#gpuvm`). A sparse mapping is a GPUVM null mapping whose
//! pages all point at one zeroed dummy page of the VM.

pub mod bind;
pub mod bind_async;
pub mod check;
pub mod pgtable;
pub mod queue;
pub mod update;

use core::ops::Range;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use kernel::dma_fence::DmaFence;
use kernel::drm::gem::IntoGemObject;
use kernel::drm::gpuvm::{
    DriverGpuVm, GpuVm, GpuVmBo, GpuVmCore, GpuVmRef, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped, OpUnmap,
    OpUnmapped, VaPrealloc, VmBoRef,
};
use kernel::error::code::{EBUSY, EINVAL, ENOMEM};
use kernel::error::Result;
use kernel::io_pgtable::{
    prot, ArmLpaeS1, Config, EntryKind, IoPageTable, PtStats, ReservedPtPool, Tcr, Visit, SZ_2M, SZ_4K,
};
use kernel::page::{PhysAddr, Ram};

use crate::gem::{TyrDriver, TyrObject};
use pgtable::{map_range, map_sg, unmap_range};
use queue::{BindJob, BindQueue};
use update::PtUpdateContext;

const PAGE: u64 = SZ_4K as u64;
const BLOCK: u64 = SZ_2M as u64;

/// VM_BIND map flags (`DRM_PANTHOR_VM_BIND_OP_MAP_*`).
pub mod map_flags {
    /// GPU may only read.
    pub const READONLY: u32 = 1 << 0;
    /// GPU may not execute.
    pub const NOEXEC: u32 = 1 << 1;
    /// Not cached on the GPU side.
    pub const UNCACHED: u32 = 1 << 2;
    /// A sparse mapping: every page reads the VM's dummy page (uAPI 1.9).
    pub const SPARSE: u32 = 1 << 3;
}

/// The io-pgtable protection of a mapping with VM_BIND `flags` (Panthor's `flags_to_prot`).
pub fn flags_to_prot(flags: u32) -> u32 {
    let mut p = prot::READ;
    if flags & map_flags::READONLY == 0 {
        p |= prot::WRITE;
    }
    if flags & map_flags::NOEXEC != 0 {
        p |= prot::NOEXEC;
    }
    if flags & map_flags::UNCACHED == 0 {
        p |= prot::CACHE;
    }
    p
}

/// A GPU page fault in a VM's address space, as the MMU interrupt reported it
/// (`Documentation/hardware.md#mmu_control-and-address-spaces`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmuFault {
    /// The address space that faulted.
    pub as_nr: u32,
    /// The faulting GPU VA.
    pub addr: u64,
    /// AS_FAULTSTATUS bits 7:0 (e.g. 0xC0 | level for a translation fault, 0xC8 | level for a permission fault).
    pub exception_type: u32,
    /// AS_FAULTSTATUS bits 9:8: 0 atomic, 1 execute, 2 read, 3 write.
    pub access_type: u32,
    /// AS_FAULTSTATUS bits 31:16.
    pub source_id: u32,
}

/// What a VM asks of the MMU (its address-space slot client, [`crate::mmu::AsClient`]): an address-space slot while
/// the GPU runs work on it, and around page-table updates the region lock (AS LOCK) before and the flush (FLUSH_PT,
/// which also unlocks) after. A VM that holds no slot has nothing cached and the lock calls do nothing.
pub trait VmMmu: Send + Sync {
    /// Locks `[iova, iova + size)` of this VM's address space, if it has one. An error when the AS did not take
    /// the command (`ETIMEDOUT`).
    fn lock_region(&self, iova: u64, size: u64) -> Result;
    /// Flushes the page-table caches over the locked region and unlocks it. An error when the AS did not take the
    /// command.
    fn unlock_region(&self) -> Result;
    /// Disables the AS after a LOCK or FLUSH that failed, which stops the jobs on it (`panthor_mmu_as_disable` from
    /// `panthor_vm_declare_unusable`).
    fn disable_after_failed_update(&self) -> Result {
        Ok(())
    }
    /// Where faults in this VM's address space are reported.
    fn set_fault_handler(&self, _f: Box<dyn Fn(MmuFault) + Send + Sync>) {}
    /// Takes (or keeps) a slot programmed with the root table `transtab` and `memattr`; returns its number.
    fn activate(self: Arc<Self>, _transtab: PhysAddr, _memattr: u64) -> Result<u32> {
        Err(kernel::error::code::ENODEV)
    }
    /// One user of the slot fewer.
    fn idle(&self) {}
    /// The slot held, if any.
    fn as_nr(&self) -> Option<u32> {
        None
    }
    /// Whether a fault in this VM's address space has not been handled by re-activating it.
    fn has_unhandled_faults(&self) -> bool {
        false
    }
    /// Handles now any fault the MMU raised and its interrupt thread has not handled yet.
    fn sync_faults(&self) {}
    /// Whether [`VmMmu::activate`] would find a slot now.
    fn can_activate(&self) -> bool {
        false
    }
    /// Sets who the MMU tells, device-wide, after it handled faults (the scheduler).
    fn set_fault_notify(&self, _f: Option<Arc<dyn Fn() + Send + Sync>>) {}
}

/// An MMU hook for a VM that is never made active (tests of the VA and page-table logic alone).
pub struct NoMmu;

impl VmMmu for NoMmu {
    fn lock_region(&self, _iova: u64, _size: u64) -> Result {
        Ok(())
    }
    fn unlock_region(&self) -> Result {
        Ok(())
    }
}

/// The VM's own part of GPUVM: the page table and the dummy page of sparse mappings.
///
/// # Invariants
/// `dummy` is a frame of `ram` owned by this VM, freed when it drops.
pub struct VmData {
    pt: ArmLpaeS1<ReservedPtPool>,
    ram: Arc<Ram>,
    dummy: PhysAddr,
}

impl Drop for VmData {
    fn drop(&mut self) {
        if self.ram.free_frame(self.dummy).is_err() {
            tracing::error!(frame = self.dummy, "VM dummy page: freeing it failed, the frame is leaked");
        }
    }
}

/// Per-VA driver data: the protection the VA was mapped with (re-used when a remap re-maps surviving pieces).
#[derive(Clone, Copy, Debug)]
pub struct VaInfo {
    /// io-pgtable protection.
    pub prot: u32,
}

impl VmData {
    /// Maps `[iova, iova + size)` to the dummy page, page by page.
    fn map_dummy(&mut self, iova: u64, size: u64, prot: u32) -> Result {
        let mut off = 0;
        while off < size {
            if let Err(e) = map_range(&mut self.pt, iova + off, self.dummy, PAGE, prot) {
                // Only what this call mapped is removed, which cannot fail; if it did, the caller's failure already
                // makes the VM unusable.
                if let Err(r) = unmap_range(&mut self.pt, iova, off) {
                    tracing::error!(iova, size = off, errno = r.to_errno(), "sparse map rollback failed");
                }
                return Err(e);
            }
            off += PAGE;
        }
        Ok(())
    }

    /// Whether `iova` is mapped by a 2 MiB block.
    fn in_block(&self, iova: u64) -> bool {
        self.pt.walk(iova as usize).entries().last().is_some_and(|e| e.kind == EntryKind::Block)
    }

    /// Unmaps `range` of a VA mapped with `prot`, widening either end that falls inside a 2 MiB block to the block
    /// and re-mapping what lies outside `range` (physically contiguous inside a block) with 4 KiB pages.
    fn unmap_widened(&mut self, range: Range<u64>, prot: u32) -> Result {
        let (start, end) = (range.start, range.end);
        let head = (start % BLOCK != 0 && self.in_block(start)).then(|| {
            let base = start & !(BLOCK - 1);
            (base, self.pt.iova_to_phys(base as usize))
        });
        let tail = (end % BLOCK != 0 && self.in_block(end - 1)).then(|| (end, self.pt.iova_to_phys(end as usize)));
        let wstart = head.map_or(start, |(b, _)| b);
        let wend = tail.map_or(end, |(e, _)| (e + BLOCK - 1) & !(BLOCK - 1));
        unmap_range(&mut self.pt, wstart, wend - wstart)?;
        if let Some((base, pa)) = head {
            map_range(&mut self.pt, base, pa, start - base, prot)?;
        }
        if let Some((at, pa)) = tail {
            map_range(&mut self.pt, at, pa, wend - at, prot)?;
        }
        Ok(())
    }
}

impl DriverGpuVm for VmData {
    type Driver = TyrDriver;
    type VaData = VaInfo;
    type VmBoData = ();
    type SmContext<'ctx> = PtUpdateContext<'ctx>;

    fn sm_step_map<'op>(&mut self, op: OpMap<'op, Self>, ctx: &mut PtUpdateContext<'_>) -> Result<OpMapped<'op, Self>> {
        let va = ctx.vas.take().ok_or(ENOMEM)?;
        let (addr, range, prot) = (op.addr(), op.range(), ctx.prot);
        tracing::trace!(target: "tyr::gpuvm", va = addr, size = range, sparse = op.vm_bo().is_none(), "sm_step_map");
        match op.vm_bo() {
            None => self.map_dummy(addr, range, prot)?,
            Some(_) => map_sg(&mut self.pt, addr, ctx.chunks.iter().copied(), prot)?,
        }
        Ok(op.insert(va, VaInfo { prot }))
    }

    fn sm_step_unmap<'op>(
        &mut self,
        op: OpUnmap<'op, Self>,
        ctx: &mut PtUpdateContext<'_>,
    ) -> Result<OpUnmapped<'op, Self>> {
        let r = op.va().va_range();
        tracing::trace!(target: "tyr::gpuvm", va = r.start, size = r.end - r.start, "sm_step_unmap");
        unmap_range(&mut self.pt, r.start, r.end - r.start)?;
        let (done, removed) = op.remove();
        ctx.keep_va(removed.into_parts().1);
        Ok(done)
    }

    fn sm_step_remap<'op>(
        &mut self,
        op: OpRemap<'op, Self>,
        ctx: &mut PtUpdateContext<'_>,
    ) -> Result<OpRemapped<'op, Self>> {
        let info = op.unmap_va().data().copied().unwrap_or(VaInfo { prot: prot::READ | prot::WRITE });
        let r = op.unmap_range();
        tracing::trace!(target: "tyr::gpuvm", va = r.start, size = r.end - r.start, "sm_step_remap");
        self.unmap_widened(op.unmap_range(), info.prot)?;
        let (done, removed) = op.remap(ctx.vas, info, info)?;
        ctx.keep_va(removed.into_parts().1);
        Ok(done)
    }
}

/// What a prepared op does.
enum OpKind {
    Map { vm_bo: VmBoRef<VmData>, bo_offset: u64, chunks: Vec<(u64, u64)>, flags: u32 },
    MapSparse { flags: u32 },
    Unmap,
}

impl OpKind {
    /// The op's name in traces.
    fn name(&self) -> &'static str {
        match self {
            OpKind::Map { .. } => "map",
            OpKind::MapSparse { .. } => "map_sparse",
            OpKind::Unmap => "unmap",
        }
    }
}

/// A bind op with everything it needs allocated: [`Vm::execute`] applies it without failing or allocating.
pub struct PreparedOp {
    kind: OpKind,
    va: u64,
    size: u64,
    vas: VaPrealloc<VmData>,
    pt_pages: ReservedPtPool,
}

impl PreparedOp {
    /// The range the op changes.
    pub fn range(&self) -> Range<u64> {
        self.va..self.va + self.size
    }

    /// The range the op locks in the MMU: the op's range widened to 2 MiB boundaries (a block split at either end
    /// re-maps inside them).
    pub fn lock_range(&self) -> Range<u64> {
        let start = self.va & !(BLOCK - 1);
        let end = self.va.saturating_add(self.size).saturating_add(BLOCK - 1) & !(BLOCK - 1);
        start..end.max(start)
    }
}

/// The layout of a VM's address space (`VM_CREATE`, `Documentation/uapi.md#vm_create`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaLayout {
    /// Bits of GPU VA (`mmu_features` bits 7:0).
    pub va_bits: u32,
    /// Start of the kernel area; the user area is `[0, kernel_start)`.
    pub kernel_start: u64,
}

impl VaLayout {
    /// Computes the layout for a `VM_CREATE` asking for `user_va_range` (0: the default) from a task whose address
    /// space is `task_size` bytes. `EINVAL` as Panthor refuses.
    pub fn new(va_bits: u32, user_va_range: u64, task_size: u64) -> Result<VaLayout> {
        const SZ_256M: u64 = 256 << 20;
        if va_bits >= 64 {
            return Err(EINVAL);
        }
        let full = 1u64 << va_bits;
        if full < SZ_256M {
            return Err(EINVAL);
        }
        let max_user = full - SZ_256M;
        if user_va_range > max_user {
            return Err(EINVAL);
        }
        let mut user = if user_va_range != 0 {
            user_va_range
        } else if task_size < full {
            task_size
        } else if full <= 1 << 32 {
            full - SZ_256M
        } else {
            full / 2
        };
        user = user.min(max_user);
        let kernel_range = prev_power_of_two(full - user);
        Ok(VaLayout { va_bits, kernel_start: full - kernel_range })
    }

    /// The whole VA space.
    pub fn full(&self) -> Range<u64> {
        0..1u64 << self.va_bits
    }

    /// The kernel area.
    pub fn kernel(&self) -> Range<u64> {
        self.kernel_start..1u64 << self.va_bits
    }
}

fn prev_power_of_two(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        1 << (63 - x.leading_zeros())
    }
}

/// One GPU VM.
///
/// # Invariants
/// `core` is the only [`GpuVmCore`] of `gpuvm`; its mutex is the VM's op lock.
pub struct Vm {
    id: u32,
    layout: VaLayout,
    core: Mutex<GpuVmCore<VmData>>,
    gpuvm: GpuVmRef<VmData>,
    ram: Arc<Ram>,
    mmu: Arc<dyn VmMmu>,
    unusable: AtomicBool,
    destroyed: AtomicBool,
    bind_queue: Arc<BindQueue>,
    fence_ctx: u64,
    seqno: AtomicU64,
    /// Spare page-table pages left over by earlier ops (Panthor draws them from a slab cache).
    pt_cache: Mutex<ReservedPtPool>,
    /// The last GPU fault reported for this VM's address space.
    fault: Mutex<Option<MmuFault>>,
    /// Spare VA nodes left over by earlier ops.
    va_cache: Mutex<VaPrealloc<VmData>>,
    /// Where kernel BOs get their VAs (`kernel_auto_va`), and what is allocated there (start → end).
    auto_va: Range<u64>,
    kva: Mutex<BTreeMap<u64, u64>>,
    /// The VM's tiler heaps, created by the first TILER_HEAP_CREATE; dropped by [`Vm::destroy`] (its BOs hold the
    /// VM, so it cannot wait for the VM's drop).
    heaps: Mutex<Option<crate::sched::heap::HeapPool>>,
}

/// The MCU VM's kernel auto-VA area (`CSF_MCU_SHARED_REGION_START`, 64 MiB): the shared firmware section sits at its
/// start, and the kernel BOs the MCU reads (suspend buffers, queue user-I/O pages) are allocated after it.
pub const MCU_AUTO_VA: Range<u64> = 0x0400_0000..0x0800_0000;

/// Spare page-table pages a VM keeps between ops.
const PT_CACHE_PAGES: usize = 64;

impl Vm {
    /// Creates VM `id` with `layout`, its page table in `ram` and its TLB maintenance through `mmu`. User binds may
    /// use `[0, kernel_start)`; the kernel area `[kernel_start, 2^va_bits)` is for kernel BOs.
    pub fn new(id: u32, layout: VaLayout, ram: &Arc<Ram>, mmu: Arc<dyn VmMmu>) -> Result<Arc<Vm>> {
        Self::create(id, layout, layout.va_bits, layout.kernel(), ram, mmu)
    }

    /// Creates the MCU's VM (`panthor_vm_create` with `for_mcu`): VA `0..4 GiB`, since the MCU (a Cortex-M7) only
    /// addresses 4 GiB, with no kernel-reserved range, over a page table of the GPU's `gpu_va_bits` input size, because
    /// AS 0 walks it with the same TRANSCFG as every other AS. Its id is 0, which no file VM uses.
    pub fn new_mcu(gpu_va_bits: u32, ram: &Arc<Ram>, mmu: Arc<dyn VmMmu>) -> Result<Arc<Vm>> {
        if gpu_va_bits < 32 {
            return Err(EINVAL);
        }
        let layout = VaLayout { va_bits: 32, kernel_start: 1 << 32 };
        Self::create(0, layout, gpu_va_bits, MCU_AUTO_VA, ram, mmu)
    }

    fn create(
        id: u32,
        layout: VaLayout,
        pt_ias: u32,
        auto_va: Range<u64>,
        ram: &Arc<Ram>,
        mmu: Arc<dyn VmMmu>,
    ) -> Result<Arc<Vm>> {
        let cfg = Config { ias: pt_ias, ..Config::PANTHOR_RK3588 };
        let mut root = ReservedPtPool::new(ram.clone());
        root.reserve(1)?;
        let pt = ArmLpaeS1::new(ram.clone(), cfg, root, kernel::io_pgtable::NoFlush)?;
        let dummy = ram.alloc_frame().map_err(|_| ENOMEM)?;
        // INVARIANT: `dummy` is ours from here; `VmData` frees it.
        let data = VmData { pt, ram: ram.clone(), dummy };
        if ram.zero(dummy, PAGE).is_err() {
            return Err(ENOMEM);
        }
        let r_obj = TyrObject::resv_holder()?;
        // As Panthor: GPUVM spans the whole VA space; the kernel area is kept from user binds by `check_user_range`
        // and handed out to kernel BOs by `kva`.
        let core = GpuVm::new("tyr-vm", &r_obj, layout.full(), 0..0, data)?;
        let gpuvm = core.vm().clone();
        let gpuvm2 = gpuvm.clone();
        let vm = kernel::alloc::try_arc(Vm {
            id,
            layout,
            core: Mutex::new(core),
            gpuvm,
            ram: ram.clone(),
            mmu,
            unusable: AtomicBool::new(false),
            destroyed: AtomicBool::new(false),
            bind_queue: kernel::alloc::try_arc(BindQueue::new())?,
            fence_ctx: DmaFence::context_alloc(),
            seqno: AtomicU64::new(0),
            pt_cache: Mutex::new(ReservedPtPool::with_capacity(ram.clone(), PT_CACHE_PAGES)?),
            fault: Mutex::new(None),
            va_cache: Mutex::new(VaPrealloc::empty(&gpuvm2)),
            auto_va,
            kva: Mutex::new(BTreeMap::new()),
            heaps: Mutex::new(None),
        })?;
        // A GPU fault is kept for tools. It does not make the VM unusable (`panthor_vm_is_unusable` reflects failed
        // binds only): the MMU flags it as an unhandled fault, which the scheduler turns into fatal groups and the
        // VM's next activation clears.
        let weak = Arc::downgrade(&vm);
        vm.mmu.set_fault_handler(Box::new(move |f| {
            if let Some(vm) = weak.upgrade() {
                *vm.fault.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
            }
        }));
        Ok(vm)
    }

    /// The VM id in its file.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The address-space layout.
    pub fn layout(&self) -> VaLayout {
        self.layout
    }

    /// The GPUVM (for vm_bo lookups, the resv, extobj locking).
    pub fn gpuvm(&self) -> &GpuVmRef<VmData> {
        &self.gpuvm
    }

    /// Whether a failed asynchronous bind or page-table update made the VM unusable (`VM_GET_STATE`,
    /// `panthor_vm_is_unusable`). A GPU fault does not.
    pub fn is_unusable(&self) -> bool {
        self.unusable.load(Ordering::Acquire)
    }

    /// Whether a GPU fault in this VM's address space is still unhandled (`panthor_vm_has_unhandled_faults`): set by
    /// the MMU interrupt, cleared when the VM is next activated on its faulted slot.
    pub fn has_unhandled_faults(&self) -> bool {
        self.mmu.has_unhandled_faults()
    }

    /// Whether [`Vm::activate`] would find an address space now (it holds one, or one is free or held by an idle
    /// VM).
    pub fn can_activate(&self) -> bool {
        self.mmu.can_activate()
    }

    /// Handles at once any fault the MMU raised and its interrupt thread has not handled yet.
    pub fn sync_faults(&self) {
        self.mmu.sync_faults()
    }

    /// Sets who the MMU tells, device-wide, after it handled faults (the scheduler's kick).
    pub fn set_fault_notify(&self, f: Option<Arc<dyn Fn() + Send + Sync>>) {
        self.mmu.set_fault_notify(f)
    }

    /// Marks the VM unusable.
    pub fn mark_unusable(&self) {
        self.unusable.store(true, Ordering::Release);
    }

    /// Makes the VM active on the GPU (`panthor_vm_active`): an address-space slot programmed with this VM's page
    /// table. `EBUSY` when every slot is held by an active VM, `ENODEV` without an MMU.
    pub fn activate(&self) -> Result<u32> {
        let (ttbr, _, mair) = self.as_config();
        self.mmu.clone().activate(ttbr, crate::mmu::mair_to_memattr(mair))
    }

    /// The GPU no longer runs work on this VM (`panthor_vm_idle`); its slot may be reused.
    pub fn idle(&self) {
        self.mmu.idle()
    }

    /// The address-space slot the VM holds, if any.
    pub fn as_nr(&self) -> Option<u32> {
        self.mmu.as_nr()
    }

    /// The last GPU page fault in this VM, if any.
    pub fn last_fault(&self) -> Option<MmuFault> {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fence context of this VM's bind jobs.
    pub fn bind_fence_context(&self) -> u64 {
        self.fence_ctx
    }

    /// The next bind job's sequence number in that context.
    pub fn next_bind_seqno(&self) -> u64 {
        self.seqno.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Queues an asynchronous bind job behind the earlier ones.
    pub fn submit(&self, job: BindJob) -> Result {
        self.bind_queue.push(job)
    }

    /// Reserves room for `n` bind jobs so that [`Self::submit_reserved`] cannot fail (before the point of no return).
    pub fn reserve_binds(&self, n: usize) -> Result {
        self.bind_queue.reserve(n)
    }

    /// Gives back `n` reserved slots that will not be used.
    pub fn unreserve_binds(&self, n: usize) {
        self.bind_queue.unreserve(n)
    }

    /// Queues a bind job in a reserved slot: after the point of no return, neither allocates nor fails.
    pub fn submit_reserved(&self, job: BindJob) {
        self.bind_queue.push_reserved(job)
    }

    /// Bind jobs waiting or running.
    pub fn pending_binds(&self) -> usize {
        self.bind_queue.pending()
    }

    /// Whether `VM_DESTROY` ran.
    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// The op lock and, behind it, the VA space.
    pub fn core(&self) -> MutexGuard<'_, GpuVmCore<VmData>> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The page table's root (TRANSTAB), TCR and MAIR, for programming an address space.
    pub fn as_config(&self) -> (PhysAddr, Tcr, u64) {
        let mut core = self.core();
        let pt = &core.data().pt;
        (pt.ttbr(), pt.tcr(), pt.mair())
    }

    /// The physical address `iova` translates to in this VM's page table (0 when unmapped).
    pub fn iova_to_phys(&self, iova: u64) -> PhysAddr {
        self.core().data().pt.iova_to_phys(iova as usize)
    }

    /// Every leaf of the page table, in IOVA order: `(iova, size, physical address, attribute bits)`.
    pub fn leaves(&self) -> Vec<(u64, u64, PhysAddr, u64)> {
        let mut out = Vec::new();
        self.core()
            .data()
            .pt
            .for_each_leaf(|l| out.push((l.iova as u64, l.size() as u64, l.paddr(), l.attrs().bits())));
        out
    }

    /// Page-table pages in use, the root included.
    pub fn tables_live(&self) -> usize {
        self.core().data().pt.tables_live()
    }

    /// Frames the VM holds for page tables: live tables and spare pages kept for later ops.
    pub fn pt_frames(&self) -> usize {
        let live = self.tables_live();
        live + self.pt_cache.lock().unwrap_or_else(|e| e.into_inner()).pages().len()
    }

    /// Table pages per level and leaves per size (the statistics half of `tyr vm`).
    pub fn pt_stats(&self) -> PtStats {
        self.core().data().pt.stats()
    }

    /// Every non-empty page-table entry over `range`, level by level in IOVA order (`tyr pgtable`), read under the
    /// op lock so that no bind runs in between.
    pub fn pt_entries(&self, range: Range<u64>) -> Vec<Visit> {
        let mut out = Vec::new();
        self.core().data().pt.visit(range.start as usize..range.end as usize, |v| out.push(v));
        out
    }

    /// The physical address of the root table (AS TRANSTAB).
    pub fn pt_root(&self) -> PhysAddr {
        self.core().data().pt.ttbr()
    }

    /// The dummy page every sparse mapping reads.
    pub fn dummy_page(&self) -> PhysAddr {
        self.core().data().dummy
    }

    fn check_range(&self, va: u64, size: u64) -> Result {
        if size == 0 || !(va | size).is_multiple_of(PAGE) || !self.gpuvm.range_valid(va, size) {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// A user bind's range: valid for GPUVM and entirely below the kernel area (a MAP reaching into it is refused,
    /// as the IGT subtest `vm_bind_intersect_kbo_range` requires; so is an UNMAP).
    fn check_user_range(&self, va: u64, size: u64) -> Result {
        self.check_range(va, size)?;
        if va + size > self.layout.kernel_start {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Page-table pages an op can need: a map, the tables of its own range; any op, the tables of the 2 MiB blocks
    /// at either end of the range that a split re-maps with 4 KiB pages (Panthor's `panthor_vm_op_ctx_prealloc_pts`).
    fn pt_pages_for(kind: &OpKind, va: u64, size: u64) -> usize {
        let edges = 2 * ReservedPtPool::pages_needed(0, BLOCK);
        match kind {
            OpKind::Unmap => edges,
            _ => ReservedPtPool::pages_needed(va, size) + edges,
        }
    }

    fn prepare(&self, kind: OpKind, va: u64, size: u64) -> Result<PreparedOp> {
        // VA nodes left over by earlier ops first (a slab cache in the kernel), then fresh ones.
        let mut vas = VaPrealloc::empty(&self.gpuvm);
        {
            let mut cache = self.va_cache.lock().unwrap_or_else(|e| e.into_inner());
            while let Some(node) = cache.take() {
                // Both hold at most three, so `vas` is never full here; were it, the spare node would just be freed.
                if let Err(spare) = vas.put(node) {
                    drop(spare);
                    break;
                }
            }
        }
        vas.top_up(3)?;
        let mut pt_pages = ReservedPtPool::new(self.ram.clone());
        let mut cache = self.pt_cache.lock().unwrap_or_else(|e| e.into_inner());
        pt_pages.refill_from(&mut cache, Self::pt_pages_for(&kind, va, size))?;
        drop(cache);
        Ok(PreparedOp { kind, va, size, vas, pt_pages })
    }

    /// Prepares the map of `[va, va + size)` to `bo` at `bo_offset` with VM_BIND `flags` (no SPARSE): checks what
    /// Panthor checks (alignment, range, BO bounds, exclusivity), pins the BO's pages and obtains the vm_bo.
    pub fn prepare_map(
        self: &Arc<Self>,
        bo: &Arc<TyrObject>,
        bo_offset: u64,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        self.check_user_range(va, size)?;
        self.prepare_map_any(bo, bo_offset, va, size, flags)
    }

    /// Prepares the map of a kernel BO (ring buffers, sync objects, firmware sections) anywhere in the VA space,
    /// the kernel area included.
    pub fn prepare_map_kernel(
        self: &Arc<Self>,
        bo: &Arc<TyrObject>,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        self.prepare_map_any(bo, 0, va, size, flags)
    }

    fn prepare_map_any(
        self: &Arc<Self>,
        bo: &Arc<TyrObject>,
        bo_offset: u64,
        va: u64,
        size: u64,
        flags: u32,
    ) -> Result<PreparedOp> {
        if flags & !(map_flags::READONLY | map_flags::NOEXEC | map_flags::UNCACHED) != 0 {
            return Err(EINVAL);
        }
        let bo_size = bo.gem().size();
        if !bo_offset.is_multiple_of(PAGE) || size > bo_size || bo_offset > bo_size - size {
            return Err(EINVAL);
        }
        // A BO exclusive to a VM shares that VM's resv: exclusive to another VM, it is external here — refused.
        if bo.exclusive_vm().is_some() && self.gpuvm.is_extobj(bo) {
            return Err(EINVAL);
        }
        self.check_range(va, size)?;
        if self.is_unusable() {
            return Err(EINVAL);
        }
        let chunks = bo.sg_range(bo_offset, size)?;
        let vm_bo = {
            let mut exec = self.gpuvm.exec_lock(1, &[bo.gem().resv()])?;
            GpuVmBo::obtain(&self.gpuvm, bo, (), &mut exec)?
        };
        self.prepare(OpKind::Map { vm_bo, bo_offset, chunks, flags }, va, size)
    }

    /// Prepares a sparse map of `[va, va + size)`: every page reads the VM's dummy page. `flags` must hold SPARSE and
    /// NOEXEC.
    pub fn prepare_map_sparse(self: &Arc<Self>, va: u64, size: u64, flags: u32) -> Result<PreparedOp> {
        let allowed = map_flags::READONLY | map_flags::NOEXEC | map_flags::UNCACHED | map_flags::SPARSE;
        if flags & !allowed != 0
            || flags & (map_flags::SPARSE | map_flags::NOEXEC) != map_flags::SPARSE | map_flags::NOEXEC
        {
            return Err(EINVAL);
        }
        self.check_user_range(va, size)?;
        if self.is_unusable() {
            return Err(EINVAL);
        }
        self.prepare(OpKind::MapSparse { flags }, va, size)
    }

    /// Prepares the unmap of `[va, va + size)`.
    pub fn prepare_unmap(self: &Arc<Self>, va: u64, size: u64) -> Result<PreparedOp> {
        self.check_user_range(va, size)?;
        self.prepare(OpKind::Unmap, va, size)
    }

    /// Prepares the unmap of a kernel BO's range (anywhere in the VA space).
    pub fn prepare_unmap_kernel(self: &Arc<Self>, va: u64, size: u64) -> Result<PreparedOp> {
        self.check_range(va, size)?;
        self.prepare(OpKind::Unmap, va, size)
    }

    /// Allocates `size` bytes (a multiple of 4 KiB) of the VM's kernel auto-VA area, first fit, aligned to `align`
    /// (a power of two; `panthor_vm_alloc_va` with `PANTHOR_VM_KERNEL_AUTO_VA`). `ENOMEM` when it is full.
    pub fn alloc_kernel_va(&self, size: u64, align: u64) -> Result<u64> {
        if size == 0 || !size.is_multiple_of(PAGE) || !align.is_power_of_two() {
            return Err(EINVAL);
        }
        let mut kva = self.kva.lock().unwrap_or_else(|e| e.into_inner());
        let area = self.auto_va.clone();
        let mut at = area.start.next_multiple_of(align.max(PAGE));
        for (&start, &end) in kva.iter() {
            if end <= at {
                continue;
            }
            if start >= at && start - at >= size {
                break;
            }
            at = end.next_multiple_of(align.max(PAGE));
        }
        if at.checked_add(size).is_none_or(|e| e > area.end) {
            return Err(ENOMEM);
        }
        kernel::alloc::check()?;
        kva.insert(at, at + size);
        Ok(at)
    }

    /// Reserves the fixed range `[va, va + size)` of the kernel auto-VA area (a firmware section at its own VA);
    /// ranges outside the area need no reservation. `EBUSY` if it overlaps an allocation.
    pub fn reserve_kernel_va(&self, va: u64, size: u64) -> Result {
        let end = va.checked_add(size).ok_or(EINVAL)?;
        if end <= self.auto_va.start || va >= self.auto_va.end {
            return Ok(());
        }
        let mut kva = self.kva.lock().unwrap_or_else(|e| e.into_inner());
        if kva.range(..end).next_back().is_some_and(|(_, &e)| e > va) {
            return Err(EBUSY);
        }
        kernel::alloc::check()?;
        kva.insert(va, end);
        Ok(())
    }

    /// Gives back the kernel VA range that starts at `va`.
    pub fn free_kernel_va(&self, va: u64) {
        self.kva.lock().unwrap_or_else(|e| e.into_inner()).remove(&va);
    }

    /// The VM's tiler heap pool, if a heap was ever created.
    pub fn heaps(&self) -> MutexGuard<'_, Option<crate::sched::heap::HeapPool>> {
        self.heaps.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kernel auto-VA area.
    pub fn kernel_va_area(&self) -> Range<u64> {
        self.auto_va.clone()
    }

    /// Applies a prepared op in the fence-signalling path (the bind job): a [`PtUpdateContext`] locks the region in
    /// the MMU, GPUVM's steps write the page tables, the context flushes and unlocks the region. Nothing here
    /// allocates or takes a resv or gpuva lock; the vm_bos the op released wait for [`Self::deferred_cleanup`], which
    /// the caller runs once it has signalled. A failure (which preparation rules out, but for an MMU that does not
    /// answer) marks the VM unusable.
    pub fn apply(&self, mut op: PreparedOp) -> Result {
        let span = tracing::debug_span!(
            "vm_bind_op",
            vm = self.id,
            op = op.kind.name(),
            va = op.va,
            size = op.size,
            result = tracing::field::Empty
        );
        let _entered = span.enter();
        let res = {
            let mut core = self.core();
            core::mem::swap(core.data().pt.alloc_mut(), &mut op.pt_pages);
            let (chunks, prot): (&[(u64, u64)], u32) = match &op.kind {
                OpKind::Map { chunks, flags, .. } => (chunks, flags_to_prot(*flags)),
                OpKind::MapSparse { flags } => (&[], flags_to_prot(*flags)),
                OpKind::Unmap => (&[], 0),
            };
            let res = PtUpdateContext::new(self, op.lock_range(), &mut op.vas, chunks, prot).and_then(|mut ctx| {
                let res = match &op.kind {
                    OpKind::Map { vm_bo, bo_offset, flags, .. } => {
                        let req = OpMapRequest {
                            addr: op.va,
                            range: op.size,
                            gem_offset: *bo_offset,
                            vm_bo: Some(vm_bo),
                            flags: *flags,
                        };
                        core.sm_map(req, &mut ctx)
                    }
                    OpKind::MapSparse { flags } => {
                        let req =
                            OpMapRequest { addr: op.va, range: op.size, gem_offset: 0, vm_bo: None, flags: *flags };
                        core.sm_map(req, &mut ctx)
                    }
                    OpKind::Unmap => core.sm_unmap(op.va, op.size, &mut ctx),
                };
                // The flush runs whatever the steps did: a half-applied op must not stay cached either.
                let flushed = ctx.finish();
                res.and(flushed)
            });
            core::mem::swap(core.data().pt.alloc_mut(), &mut op.pt_pages);
            res
        };
        // Pages the op did not use go back to the cache (within its capacity: no allocation here) or to RAM.
        op.pt_pages.drain_into(&mut self.pt_cache.lock().unwrap_or_else(|e| e.into_inner()));
        {
            // Unused VA nodes (and those the steps freed) back to the cache: fixed slots, no allocation.
            let mut cache = self.va_cache.lock().unwrap_or_else(|e| e.into_inner());
            while let Some(node) = op.vas.take() {
                if let Err(spare) = cache.put(node) {
                    // The cache is full: the node is freed (freeing is allowed while signalling).
                    drop(spare);
                    break;
                }
            }
        }
        if let Err(e) = res {
            span.record("result", e.to_errno());
            tracing::warn!(vm = self.id, "bind op failed: VM unusable");
            self.mark_unusable();
        }
        res
    }

    /// Applies a prepared op outside any fence-signalling path (a synchronous bind, kernel BOs, VM destruction):
    /// [`Self::apply`], then [`Self::deferred_cleanup`] at once (`panthor_vm_exec_op` followed by
    /// `panthor_vm_cleanup_op_ctx`).
    pub fn execute(&self, op: PreparedOp) -> Result {
        let res = self.apply(op);
        self.deferred_cleanup();
        res
    }

    /// Frees the vm_bos whose last reference the applied ops dropped (`drm_gpuvm_bo_deferred_cleanup`). Takes the VM
    /// resv and the BOs' gpuva locks: never call it inside a fence-signalling section.
    pub fn deferred_cleanup(&self) {
        self.gpuvm.deferred_cleanup();
    }

    /// Handles a LOCK or FLUSH_PT that failed during a page-table update (`panthor_vm_declare_unusable`): the VM is
    /// marked unusable, so later binds and jobs on it fail, and its AS is disabled, which stops the jobs running on
    /// it. Reported with the command that failed.
    fn update_failed(&self, command: &'static str, e: kernel::error::Error) {
        tracing::error!(vm = self.id, command, errno = e.to_errno(), "MMU command failed: VM unusable, AS disabled");
        self.mark_unusable();
        if let Err(d) = self.mmu.disable_after_failed_update() {
            tracing::error!(vm = self.id, errno = d.to_errno(), "disabling the AS after a failed update failed too");
        }
    }

    /// Unmaps everything in the user area and marks the VM destroyed (`VM_DESTROY`); BOs stay alive while other
    /// references hold them.
    pub fn destroy(self: &Arc<Self>) -> Result {
        let op = self.prepare_destroy()?;
        self.destroy_prepared(op)
    }

    /// The fallible half of [`Self::destroy`]: prepares the unmap of the whole user area, changing nothing.
    pub fn prepare_destroy(self: &Arc<Self>) -> Result<PreparedOp> {
        let user = 0..self.layout.kernel_start;
        self.prepare_unmap(user.start, user.end - user.start)
    }

    /// The other half: marks the VM destroyed, cancels the bind jobs still waiting, and applies `op`.
    pub fn destroy_prepared(&self, op: PreparedOp) -> Result {
        self.destroyed.store(true, Ordering::Release);
        // The heaps go with the VM (`panthor_heap_pool_destroy`): their chunks are unmapped here.
        let heaps = self.heaps().take();
        drop(heaps);
        // Bind jobs still waiting on their dependencies are cancelled.
        self.bind_queue.stop();
        self.execute(op)
    }

    /// The VAs in address order (debugfs `gpuvas`).
    pub fn vas(&self) -> Vec<VaView> {
        let core = self.core();
        core.vas()
            .map(|v| VaView {
                addr: v.addr(),
                size: v.range(),
                bo: v.vm_bo().map(|b| b.obj().clone()),
                offset: v.gem_offset(),
                flags: v.flags(),
            })
            .collect()
    }
}

/// One VA as tools and tests see it.
#[derive(Clone)]
pub struct VaView {
    /// First address.
    pub addr: u64,
    /// Length.
    pub size: u64,
    /// The BO mapped, `None` for a sparse mapping.
    pub bo: Option<Arc<TyrObject>>,
    /// Offset in the BO.
    pub offset: u64,
    /// VM_BIND map flags.
    pub flags: u32,
}
