// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tiler heaps (`panthor_heap.c`, `Documentation/uapi.md#tiler-heaps`): per VM, a pool of up to 128 heap contexts in
//! one kernel BO, each heap a list of chunks in the VM's kernel area, grown when the firmware reports TILER_OOM.
//!
//! Facts the GPU relies on: a heap context is 32 bytes, zeroed by the driver, one per L2 cache line (64 bytes on the
//! G610); a chunk starts with a 64-byte header whose first word links the next chunk as
//! `(va & !0xfff) | (chunk_size >> 12)`, the same encoding a grown chunk is handed to the firmware in.

use kernel::sync::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use kernel::error::code::{EBUSY, EINVAL, ENOMEM};
use kernel::error::Result;
use kernel::page::Ram;

use crate::gem::Offsets;
use crate::kbo::KernelBo;
use crate::uapi::map_flags;
use crate::vm::Vm;

/// Heaps a VM may have (`MAX_HEAPS_PER_POOL`).
pub(crate) const MAX_HEAPS: u32 = 128;
/// Distance between heap contexts: 32 bytes rounded up to the G610's 64-byte L2 line.
pub(crate) const CTX_STRIDE: u64 = 64;
/// Smallest and largest chunk.
pub(crate) const CHUNK_SIZES: core::ops::RangeInclusive<u32> = 0x2_0000..=0x80_0000;

/// The encoding of a chunk in a chunk header's `next` and in the firmware's `heap_start`/`heap_end`.
pub fn chunk_ref(va: u64, chunk_size: u32) -> u64 {
    (va & !0xfff) | u64::from(chunk_size >> 12)
}

/// Where a VM's heap pool lives (Panthor's `panthor_vm.heaps.pool`): empty until the VM's first TILER_HEAP_CREATE,
/// emptied when the VM is destroyed. Shared by the file (the heap ioctls) and the VM's groups (TILER_OOM), so that
/// the VM itself need not know about heaps: its heaps' kernel BOs hold the VM, not the reverse.
pub(crate) type HeapSlot = Mutex<Option<HeapPool>>;

/// A file's heap slots, one per VM that asked for one.
#[derive(Default)]
pub(crate) struct HeapSlots {
    /// By VM id; the VM is kept as a weak reference, so that a slot is never handed to a new VM that reuses the id.
    slots: Mutex<SlotMap>,
}

/// VM id → (the VM, its slot).
type SlotMap = BTreeMap<u32, (Weak<Vm>, Arc<HeapSlot>)>;

impl HeapSlots {
    /// The slot of `vm`, made (empty) on first use.
    pub(crate) fn get(&self, vm: &Arc<Vm>) -> Result<Arc<HeapSlot>> {
        let mut slots = self.slots.lock();
        if let Some(slot) = find(&slots, vm) {
            return Ok(slot);
        }
        let slot = kernel::alloc::try_arc(Mutex::new(None))?;
        slots.insert(vm.id(), (Arc::downgrade(vm), slot.clone()));
        Ok(slot)
    }

    /// The slot of `vm`, if it has one.
    pub(crate) fn find(&self, vm: &Arc<Vm>) -> Option<Arc<HeapSlot>> {
        find(&self.slots.lock(), vm)
    }

    /// Forgets `vm`'s slot and drops its pool: the heaps go with the VM (`panthor_heap_pool_destroy` from
    /// `panthor_vm_destroy`, before the VM's unmap), their chunks and contexts unmapped from it.
    pub(crate) fn release(&self, vm: &Arc<Vm>) {
        let slot = {
            let mut slots = self.slots.lock();
            let Some(slot) = find(&slots, vm) else {
                return;
            };
            slots.remove(&vm.id());
            slot
        };
        let pool = slot.lock().take();
        drop(pool);
    }
}

fn find(slots: &SlotMap, vm: &Arc<Vm>) -> Option<Arc<HeapSlot>> {
    slots
        .get(&vm.id())
        .filter(|(w, _)| core::ptr::eq(w.as_ptr(), Arc::as_ptr(vm)))
        .map(|(_, slot)| slot.clone())
}

struct Heap {
    /// Newest first.
    chunks: Vec<KernelBo>,
    chunk_size: u32,
    max_chunks: u32,
    target_in_flight: u32,
}

/// A VM's heaps.
pub(crate) struct HeapPool {
    offsets: Option<Arc<Offsets>>,
    ram: Arc<Ram>,
    contexts: KernelBo,
    heaps: BTreeMap<u32, Heap>,
}

/// What TILER_HEAP_CREATE hands back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeapInfo {
    /// The heap's id in its VM (0..128).
    pub(crate) id: u32,
    /// GPU VA of its context.
    pub(crate) ctx_va: u64,
    /// GPU VA of its first chunk.
    pub(crate) first_chunk_va: u64,
}

/// Why a heap cannot grow (`panthor_heap_grow`'s refusals): the firmware then gets no chunk and falls back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GrowRefusal {
    /// Too many render passes in flight, or at the limit with fragments pending: wait for them (`EBUSY`).
    Busy,
    /// At the chunk limit (`ENOMEM`).
    Full,
}

fn new_chunk(
    offsets: Option<&Offsets>,
    ram: &Arc<Ram>,
    vm: &Arc<Vm>,
    size: u32,
    next: Option<u64>,
) -> Result<KernelBo> {
    let bo = KernelBo::new(
        offsets,
        ram,
        vm,
        u64::from(size),
        map_flags::NOEXEC,
        0x1000,
        None,
    )?;
    // The header is zero (fresh BO) but for the link to the previous chunk.
    if let Some(n) = next {
        bo.write_u64(0, n)?;
    }
    Ok(bo)
}

impl HeapPool {
    /// The pool of `vm` (`panthor_heap_pool_create`): the context BO, zeroed. Its BOs take fake offsets in
    /// `offsets` as every shmem object does.
    pub(crate) fn new(
        offsets: Option<Arc<Offsets>>,
        ram: &Arc<Ram>,
        vm: &Arc<Vm>,
    ) -> Result<HeapPool> {
        let size = (u64::from(MAX_HEAPS) * CTX_STRIDE).next_multiple_of(0x1000);
        let contexts = KernelBo::new(
            offsets.as_deref(),
            ram,
            vm,
            size,
            map_flags::NOEXEC,
            0x1000,
            None,
        )?;
        Ok(HeapPool {
            offsets,
            ram: ram.clone(),
            contexts,
            heaps: BTreeMap::new(),
        })
    }
}

/// TILER_HEAP_CREATE's argument checks (`EINVAL`), which need no pool.
pub(crate) fn check_create_args(
    initial_chunk_count: u32,
    chunk_size: u32,
    max_chunks: u32,
) -> Result {
    if initial_chunk_count == 0 || initial_chunk_count > max_chunks {
        return Err(EINVAL);
    }
    if !chunk_size.is_multiple_of(0x1000) || !CHUNK_SIZES.contains(&chunk_size) {
        return Err(EINVAL);
    }
    Ok(())
}

impl HeapPool {
    /// TILER_HEAP_CREATE's checks after the VM lookup, then the chunks and the id.
    pub(crate) fn create(
        &mut self,
        vm: &Arc<Vm>,
        initial_chunk_count: u32,
        chunk_size: u32,
        max_chunks: u32,
        target_in_flight: u32,
    ) -> Result<HeapInfo> {
        check_create_args(initial_chunk_count, chunk_size, max_chunks)?;
        let mut chunks: Vec<KernelBo> = Vec::new();
        chunks
            .try_reserve(initial_chunk_count as usize)
            .map_err(|_| ENOMEM)?;
        for _ in 0..initial_chunk_count {
            let next = chunks.last().map(|c| chunk_ref(c.va(), chunk_size));
            chunks.push(new_chunk(
                self.offsets.as_deref(),
                &self.ram,
                vm,
                chunk_size,
                next,
            )?);
        }
        chunks.reverse();
        let id = (0..MAX_HEAPS)
            .find(|i| !self.heaps.contains_key(i))
            .ok_or(EBUSY)?;
        let ctx = u64::from(id) * CTX_STRIDE;
        self.contexts.write(ctx, &[0; CTX_STRIDE as usize])?;
        let first_chunk_va = chunks[0].va();
        kernel::alloc::check()?;
        self.heaps.insert(
            id,
            Heap {
                chunks,
                chunk_size,
                max_chunks,
                target_in_flight,
            },
        );
        Ok(HeapInfo {
            id,
            ctx_va: self.contexts.va() + ctx,
            first_chunk_va,
        })
    }

    /// TILER_HEAP_DESTROY of heap `id`; `EINVAL` if there is none. Its chunks are unmapped and freed.
    pub(crate) fn destroy(&mut self, id: u32) -> Result {
        self.heaps.remove(&id).map(drop).ok_or(EINVAL)
    }

    /// The heap whose context is at `ctx_va`.
    fn heap_of(&mut self, ctx_va: u64) -> Result<&mut Heap> {
        let off = ctx_va.checked_sub(self.contexts.va()).ok_or(EINVAL)?;
        if off % CTX_STRIDE != 0 || off / CTX_STRIDE >= u64::from(MAX_HEAPS) {
            return Err(EINVAL);
        }
        self.heaps
            .get_mut(&((off / CTX_STRIDE) as u32))
            .ok_or(EINVAL)
    }

    /// `panthor_heap_grow` for the heap at `ctx_va`: a new chunk (as [`chunk_ref`]) unless too many render passes
    /// are in flight or the heap is at its limit.
    pub(crate) fn grow(
        &mut self,
        vm: &Arc<Vm>,
        ctx_va: u64,
        renderpasses_in_flight: u32,
        pending_frag_count: u32,
    ) -> Result<core::result::Result<u64, GrowRefusal>> {
        let (ram, offsets) = (self.ram.clone(), self.offsets.clone());
        let heap = self.heap_of(ctx_va)?;
        let count = heap.chunks.len() as u32;
        if renderpasses_in_flight > heap.target_in_flight
            || (pending_frag_count > 0 && count >= heap.max_chunks)
        {
            return Ok(Err(GrowRefusal::Busy));
        }
        if count >= heap.max_chunks {
            return Ok(Err(GrowRefusal::Full));
        }
        heap.chunks.try_reserve(1).map_err(|_| ENOMEM)?;
        let chunk = new_chunk(offsets.as_deref(), &ram, vm, heap.chunk_size, None)?;
        let r = chunk_ref(chunk.va(), heap.chunk_size);
        heap.chunks.insert(0, chunk);
        Ok(Ok(r))
    }

    /// Chunks of heap `id`, newest first (their VAs).
    pub(crate) fn chunks(&self, id: u32) -> Option<Vec<u64>> {
        self.heaps
            .get(&id)
            .map(|h| h.chunks.iter().map(KernelBo::va).collect())
    }
}
