// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPU virtual address spaces (`panthor_mmu.c`'s `struct panthor_vm`), built on `kernel::drm::gpuvm` in immediate
//! mode and on an ARM LPAE stage-1 page table from `kernel::io_pgtable`.
//!
//! A bind goes in two halves, as in Panthor:
//! - **prepare** ([`Vm::prepare_map`], [`Vm::prepare_unmap`], or [`Vm::pending_map`], [`Vm::pending_map_sparse`],
//!   [`Vm::pending_unmap`] followed by [`Vm::reserve`]), in the ioctl: every check that can fail, the BO's pages
//!   pinned (their contiguous chunks are computed once per BO), the vm_bo obtained under the VM resv, the VA nodes
//!   (three for a map, two for an unmap), the VA-tree nodes and the page-table pages the op can need — taken from the
//!   VM's op caches ([`cache`]) or allocated here, so that
//! - **execute** ([`Vm::apply`] in a bind job, [`Vm::execute`] or, for VM_BIND's synchronous ops,
//!   [`Vm::execute_pending`], which reuses what the previous synchronous op left under the op lock), cannot fail or
//!   allocate: it
//!   opens a [`update::PtUpdateContext`], which locks the affected region in the MMU, lets GPUVM hand it the steps,
//!   writes the page tables in each step, and flushes and unlocks the region when the context ends.
//!
//! The vm_bos an op releases are freed afterwards ([`Vm::deferred_cleanup`], `drm_gpuvm_bo_deferred_cleanup`), which
//! takes the VM resv: a bind job does it after its fence has signalled, never in the
//! fence-signalling path (Panthor frees the op context from its job-cleanup path, after `drm_sched` signalled).
//!
//! A partial unmap of a region the page table holds as a 2 MiB block cannot be done in place (io-pgtable refuses to
//! split blocks): the unmapped range is widened to the block and the surviving pieces are re-mapped with 4 KiB pages,
//! inside the same locked region (`Documentation/design.md#gpuvm`). A sparse mapping is a GPUVM null mapping whose
//! pages all point at one zeroed dummy page of the VM.

pub(crate) mod bind;
pub(crate) mod bind_async;
mod cache;
mod kva;
mod layout;
mod mmu;
mod ops;
pub(crate) mod pgtable;
pub(crate) mod queue;
mod steps;
pub(crate) mod update;

pub(crate) use cache::{OpCaches, CACHE_CLASS, PT_CACHE_PAGES};
pub(crate) use layout::VaLayout;
pub use mmu::MmuFault;
#[cfg(test)]
pub(crate) use mmu::NoMmu;
pub(crate) use mmu::VmMmu;
pub(crate) use ops::{PendingOp, PreparedOp};
pub(crate) use steps::VmData;

use core::ops::Range;
use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use kernel::dma_fence::DmaFence;
use kernel::drm::gpuvm::{GpuVm, GpuVmCore, GpuVmRef};
use kernel::error::code::{EINVAL, ENOMEM};
use kernel::error::Result;
use kernel::io_pgtable::{
    prot, ArmLpaeS1, Config, IoPageTable, PtStats, ReservedPtPool, Visit, SZ_2M, SZ_4K,
};
use kernel::page::{PhysAddr, Ram};

use crate::gem::TyrObject;
use crate::uapi::map_flags;
use queue::{BindJob, BindQueue};

const PAGE: u64 = SZ_4K as u64;
const BLOCK: u64 = SZ_2M as u64;

/// The io-pgtable protection of a mapping with VM_BIND `flags` (Panthor's `flags_to_prot`).
pub(crate) fn flags_to_prot(flags: u32) -> u32 {
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

/// One GPU VM.
///
/// # Invariants
/// `core` is the only [`GpuVmCore`] of `gpuvm`; its mutex is the VM's op lock.
pub(crate) struct Vm {
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
    /// Spare page-table pages, VA nodes and pool room left over by earlier ops, under one lock.
    pub(crate) caches: Mutex<OpCaches>,
    /// The last GPU fault reported for this VM's address space.
    fault: Mutex<Option<MmuFault>>,
    /// Where kernel BOs get their VAs (`kernel_auto_va`), and what is allocated there (start → end).
    auto_va: Range<u64>,
    kva: Mutex<BTreeMap<u64, u64>>,
}

/// The MCU VM's kernel auto-VA area (`CSF_MCU_SHARED_REGION_START`, 64 MiB): the shared firmware section sits at its
/// start, and the kernel BOs the MCU reads (suspend buffers, queue user-I/O pages) are allocated after it.
pub(crate) const MCU_AUTO_VA: Range<u64> = 0x0400_0000..0x0800_0000;

impl Vm {
    /// Creates VM `id` with `layout`, its page table in `ram` and its TLB maintenance through `mmu`. User binds may
    /// use `[0, kernel_start)`; the kernel area `[kernel_start, 2^va_bits)` is for kernel BOs.
    pub(crate) fn new(
        id: u32,
        layout: VaLayout,
        ram: &Arc<Ram>,
        mmu: Arc<dyn VmMmu>,
    ) -> Result<Arc<Vm>> {
        Self::create(id, layout, layout.va_bits, layout.kernel(), ram, mmu)
    }

    /// Creates the MCU's VM (`panthor_vm_create` with `for_mcu`): VA `0..4 GiB`, since the MCU (a Cortex-M7) only
    /// addresses 4 GiB, with no kernel-reserved range, over a page table of the GPU's `gpu_va_bits` input size, because
    /// AS 0 walks it with the same TRANSCFG as every other AS. Its id is 0, which no file VM uses.
    pub(crate) fn new_mcu(
        gpu_va_bits: u32,
        ram: &Arc<Ram>,
        mmu: Arc<dyn VmMmu>,
    ) -> Result<Arc<Vm>> {
        if gpu_va_bits < 32 {
            return Err(EINVAL);
        }
        let layout = VaLayout {
            va_bits: 32,
            kernel_start: 1 << 32,
        };
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
        let cfg = Config {
            ias: pt_ias,
            ..Config::PANTHOR_RK3588
        };
        let mut root = ReservedPtPool::new(ram.clone());
        root.reserve(1)?;
        let pt = ArmLpaeS1::new(ram.clone(), cfg, root, kernel::io_pgtable::NoFlush)?;
        let dummy = ram.alloc_frame().map_err(|_| ENOMEM)?;
        // INVARIANT: `dummy` is ours from here; `VmData` frees it.
        let data = VmData {
            pt,
            ram: ram.clone(),
            dummy,
            sync_spare: None,
        };
        if ram.zero(dummy, PAGE).is_err() {
            return Err(ENOMEM);
        }
        let r_obj = TyrObject::resv_holder()?;
        // As Panthor: GPUVM spans the whole VA space; the kernel area is kept from user binds by `check_user_range`
        // and handed out to kernel BOs by `kva`.
        let core = GpuVm::new("tyr-vm", &r_obj, layout.full(), 0..0, data)?;
        let gpuvm = core.vm().clone();
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
            caches: Mutex::with_class(
                OpCaches::new(ReservedPtPool::with_capacity(ram.clone(), PT_CACHE_PAGES)?),
                &CACHE_CLASS,
            ),
            fault: Mutex::new(None),
            auto_va,
            kva: Mutex::new(BTreeMap::new()),
        })?;
        // A GPU fault is kept for tools. It does not make the VM unusable (`panthor_vm_is_unusable` reflects failed
        // binds only): the MMU flags it as an unhandled fault, which the scheduler turns into fatal groups and the
        // VM's next activation clears.
        let weak = Arc::downgrade(&vm);
        vm.mmu.set_fault_handler(Box::new(move |f| {
            if let Some(vm) = weak.upgrade() {
                *vm.fault.lock() = Some(f);
            }
        }));
        Ok(vm)
    }

    /// The VM id in its file.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// The address-space layout.
    pub(crate) fn layout(&self) -> VaLayout {
        self.layout
    }

    /// The GPUVM (for vm_bo lookups, the resv, extobj locking).
    pub(crate) fn gpuvm(&self) -> &GpuVmRef<VmData> {
        &self.gpuvm
    }

    /// Whether a failed asynchronous bind or page-table update made the VM unusable (`VM_GET_STATE`,
    /// `panthor_vm_is_unusable`). A GPU fault does not.
    pub(crate) fn is_unusable(&self) -> bool {
        self.unusable.load(Ordering::Acquire)
    }

    /// Whether a GPU fault in this VM's address space is still unhandled (`panthor_vm_has_unhandled_faults`): set by
    /// the MMU interrupt, cleared when the VM is next activated on its faulted slot.
    pub(crate) fn has_unhandled_faults(&self) -> bool {
        self.mmu.has_unhandled_faults()
    }

    /// Whether [`Vm::activate`] would find an address space now (it holds one, or one is free or held by an idle
    /// VM).
    pub(crate) fn can_activate(&self) -> bool {
        self.mmu.can_activate()
    }

    /// Handles at once any fault the MMU raised and its interrupt thread has not handled yet.
    pub(crate) fn sync_faults(&self) {
        self.mmu.sync_faults()
    }

    /// Sets who the MMU tells, device-wide, after it handled faults (the scheduler's kick).
    pub(crate) fn set_fault_notify(&self, f: Option<Arc<dyn Fn() + Send + Sync>>) {
        self.mmu.set_fault_notify(f)
    }

    /// Marks the VM unusable.
    pub(crate) fn mark_unusable(&self) {
        self.unusable.store(true, Ordering::Release);
    }

    /// Makes the VM active on the GPU (`panthor_vm_active`): an address-space slot programmed with this VM's page
    /// table. `EBUSY` when every slot is held by an active VM, `ENODEV` without an MMU.
    ///
    /// The op lock is held across the activation, as `panthor_vm_active` holds the VM's `op_lock`: no page-table
    /// update runs meanwhile, so a VM that has no slot when an update starts gets none before it ends, and the
    /// update's region lock and flush ([`VmMmu::lock_region`]) have nothing to do for it.
    pub(crate) fn activate(&self) -> Result<u32> {
        let mut core = self.core();
        let pt = &core.data().pt;
        let (ttbr, mair) = (pt.ttbr(), pt.mair());
        let res = self.mmu.clone().activate(ttbr, mair);
        drop(core);
        res
    }

    /// The GPU no longer runs work on this VM (`panthor_vm_idle`); its slot may be reused.
    pub(crate) fn idle(&self) {
        self.mmu.idle()
    }

    /// The address-space slot the VM holds, if any.
    pub(crate) fn as_nr(&self) -> Option<u32> {
        self.mmu.as_nr()
    }

    /// The last GPU page fault in this VM, if any.
    pub(crate) fn last_fault(&self) -> Option<MmuFault> {
        *self.fault.lock()
    }

    /// The fence context of this VM's bind jobs.
    pub(crate) fn bind_fence_context(&self) -> u64 {
        self.fence_ctx
    }

    /// The next bind job's sequence number in that context.
    pub(crate) fn next_bind_seqno(&self) -> u64 {
        self.seqno.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Queues an asynchronous bind job behind the earlier ones.
    #[cfg(test)]
    pub(crate) fn submit(&self, job: BindJob) -> Result {
        self.bind_queue.push(job)
    }

    /// Reserves room for `n` bind jobs so that [`Self::submit_reserved`] cannot fail (before the point of no return).
    pub(crate) fn reserve_binds(&self, n: usize) -> Result {
        self.bind_queue.reserve(n)
    }

    /// Gives back `n` reserved slots that will not be used.
    pub(crate) fn unreserve_binds(&self, n: usize) {
        self.bind_queue.unreserve(n)
    }

    /// Queues a bind job in a reserved slot: after the point of no return, neither allocates nor fails.
    pub(crate) fn submit_reserved(&self, job: BindJob) {
        self.bind_queue.push_reserved(job)
    }

    /// Bind jobs waiting or running.
    pub(crate) fn pending_binds(&self) -> usize {
        self.bind_queue.pending()
    }

    /// Whether `VM_DESTROY` ran.
    pub(crate) fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// The op lock and, behind it, the VA space.
    pub(crate) fn core(&self) -> MutexGuard<'_, GpuVmCore<VmData>> {
        self.core.lock()
    }

    /// The physical address `iova` translates to in this VM's page table (0 when unmapped).
    pub(crate) fn iova_to_phys(&self, iova: u64) -> PhysAddr {
        self.core().data().pt.iova_to_phys(iova as usize)
    }

    /// Every leaf of the page table, in IOVA order: `(iova, size, physical address, attribute bits)`.
    #[cfg(test)]
    pub(crate) fn leaves(&self) -> Vec<(u64, u64, PhysAddr, u64)> {
        let mut out = Vec::new();
        self.core().data().pt.for_each_leaf(|l| {
            out.push((l.iova as u64, l.size() as u64, l.paddr(), l.attrs().bits()))
        });
        out
    }

    /// Page-table pages in use, the root included.
    #[cfg(test)]
    pub(crate) fn tables_live(&self) -> usize {
        self.core().data().pt.tables_live()
    }

    /// Frames the VM holds for page tables: live tables and spare pages kept for later ops.
    pub(crate) fn pt_frames(&self) -> usize {
        let (live, kept) = {
            let mut core = self.core();
            let data = core.data();
            let kept = data
                .sync_spare
                .as_ref()
                .map_or(0, |r| r.pt_pages.remaining());
            (data.pt.tables_live(), kept)
        };
        live + kept + self.caches.lock().pt.pages().len()
    }

    /// Table pages per level and leaves per size (the statistics half of `tyr vm`).
    pub(crate) fn pt_stats(&self) -> PtStats {
        self.core().data().pt.stats()
    }

    /// Every non-empty page-table entry over `range`, level by level in IOVA order (`tyr pgtable`), read under the
    /// op lock so that no bind runs in between.
    pub(crate) fn pt_entries(&self, range: Range<u64>) -> Vec<Visit> {
        let mut out = Vec::new();
        self.core()
            .data()
            .pt
            .visit(range.start as usize..range.end as usize, |v| out.push(v));
        out
    }

    /// The physical address of the root table (AS TRANSTAB).
    pub(crate) fn pt_root(&self) -> PhysAddr {
        self.core().data().pt.ttbr()
    }

    /// The dummy page every sparse mapping reads.
    pub(crate) fn dummy_page(&self) -> PhysAddr {
        self.core().data().dummy
    }

    /// Frees the vm_bos whose last reference the applied ops dropped (`drm_gpuvm_bo_deferred_cleanup`). Takes the VM
    /// resv and the BOs' gpuva locks: never call it inside a fence-signalling section.
    pub(crate) fn deferred_cleanup(&self) {
        self.gpuvm.deferred_cleanup();
    }

    /// Handles a LOCK or FLUSH_PT that failed during a page-table update (`panthor_vm_declare_unusable`): the VM is
    /// marked unusable, so later binds and jobs on it fail, and its AS is disabled, which stops the jobs running on
    /// it. Reported with the command that failed.
    fn update_failed(&self, command: &'static str, e: kernel::error::Error) {
        tracing::error!(
            vm = self.id,
            command,
            errno = e.to_errno(),
            "MMU command failed: VM unusable, AS disabled"
        );
        self.mark_unusable();
        if let Err(d) = self.mmu.disable_after_failed_update() {
            tracing::error!(
                vm = self.id,
                errno = d.to_errno(),
                "disabling the AS after a failed update failed too"
            );
        }
    }

    /// Unmaps everything in the user area and marks the VM destroyed (`VM_DESTROY`); BOs stay alive while other
    /// references hold them.
    pub(crate) fn destroy(self: &Arc<Self>) -> Result {
        let op = self.prepare_destroy()?;
        self.destroy_prepared(op)
    }

    /// The fallible half of [`Self::destroy`]: prepares the unmap of the whole user area, changing nothing.
    pub(crate) fn prepare_destroy(self: &Arc<Self>) -> Result<PreparedOp> {
        let user = 0..self.layout.kernel_start;
        self.prepare_unmap(user.start, user.end - user.start)
    }

    /// The other half: marks the VM destroyed, cancels the bind jobs still waiting, and applies `op`.
    pub(crate) fn destroy_prepared(&self, op: PreparedOp) -> Result {
        self.destroyed.store(true, Ordering::Release);
        // Bind jobs still waiting on their dependencies are cancelled.
        self.bind_queue.stop();
        self.execute(op)
    }

    /// The VAs in address order (debugfs `gpuvas`).
    pub(crate) fn vas(&self) -> Vec<VaView> {
        let core = self.core();
        core.vas()
            .map(|v| VaView {
                addr: v.addr(),
                size: v.length(),
                bo: v.vm_bo().map(|b| b.obj().clone()),
                offset: v.gem_offset(),
                flags: v.flags(),
            })
            .collect()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // What the last synchronous op left refers to the GPUVM, which holds it: released here, or neither would go.
        let spare = self.core.get_mut().data().sync_spare.take();
        drop(spare);
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
