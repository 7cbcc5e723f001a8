// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Where page-table pages come from (`io_pgtable_cfg::alloc` / `free`).

use std::sync::Arc;

use hw_mem::{PhysAddr, Ram, FRAME_SIZE};

use crate::error::{code::ENOMEM, Result};

/// Supplies and takes back 4 KiB page-table pages in RAM.
///
/// The page table zeroes every page it is handed before use, so an allocator may return dirty frames. It zeroes only
/// the lines [`Ram::dirty_lines`] reports, and keeps the line hint of each of its pages up to date
/// ([`Ram::line_hint`]): an allocator that takes frames with [`Ram::alloc_tracked_frame`] and gives back freed tables
/// with [`Ram::free_tracked_frames`] lets the next table zero only what the last one wrote. Frames from
/// [`Ram::alloc_frame`], or written through RAM's accessors, are untracked and zeroed whole. An allocator must not store
/// into a tracked frame through [`Ram::frame_u64s`] or [`Ram::u64_slice`] without recording the lines in its hint.
pub trait PtAlloc {
    /// A frame for a new table.
    fn alloc_pt(&mut self, ram: &Ram) -> Result<PhysAddr>;
    /// Takes back a table page that is no longer referenced by the table.
    fn free_pt(&mut self, ram: &Ram, pa: PhysAddr);
    /// Takes back several table pages at once (an unmap that frees a run of tables); by default one
    /// [`PtAlloc::free_pt`] each.
    fn free_pts(&mut self, ram: &Ram, pas: &[PhysAddr]) {
        for &pa in pas {
            self.free_pt(ram, pa);
        }
    }
}

/// Allocates table pages straight from the RAM's frame allocator and returns them there, tracked
/// ([`Ram::alloc_tracked_frame`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct RamPtAlloc;

impl PtAlloc for RamPtAlloc {
    fn alloc_pt(&mut self, ram: &Ram) -> Result<PhysAddr> {
        ram.alloc_tracked_frame().map_err(|_| ENOMEM)
    }

    fn free_pt(&mut self, ram: &Ram, pa: PhysAddr) {
        // The table only frees pages it was given, so this cannot fail; a failure would be a table-corruption bug and
        // leaking the frame is the safe reaction.
        let _ = ram.free_tracked_frames(&[pa]);
    }

    fn free_pts(&mut self, ram: &Ram, pas: &[PhysAddr]) {
        // As `free_pt`, under one lock of the frame allocator.
        let _ = ram.free_tracked_frames(pas);
    }
}

/// Pages reserved before an operation and consumed by it without allocating — Panthor's `rsvd_page_tables`.
///
/// A VM_BIND reserves, in the ioctl, the worst-case number of table pages its range can need
/// ([`ReservedPtPool::pages_needed`]); the bind job then maps with this pool as the table's allocator and cannot fail
/// for lack of memory. An empty pool refuses with `ENOMEM` instead of allocating. Freed tables go straight back to RAM;
/// pages left over are returned by [`ReservedPtPool::release`] or when the pool drops. Its frames are tracked
/// ([`Ram::alloc_tracked_frame`]), so a page that held a table is zeroed only where that table wrote.
///
/// # Invariants
/// Every frame in `pages` was allocated from `ram` by [`ReservedPtPool::reserve`] and is owned by the pool.
#[derive(Debug)]
pub struct ReservedPtPool {
    ram: Arc<Ram>,
    pages: Vec<PhysAddr>,
}

impl ReservedPtPool {
    /// An empty pool over `ram`.
    pub fn new(ram: Arc<Ram>) -> Self {
        Self {
            ram,
            pages: Vec::new(),
        }
    }

    /// Reserves `count` more frames now, resident ([`Ram::populate`]) as the kernel's pages are. On failure the pool is
    /// as it was.
    pub fn reserve(&mut self, count: usize) -> Result {
        self.pages.try_reserve(count).map_err(|_| ENOMEM)?;
        let before = self.pages.len();
        for _ in 0..count {
            // Frames count as allocations for fault injection, like `alloc_pages` in the kernel.
            match crate::alloc::check()
                .map_err(|_| ())
                .and_then(|()| self.ram.alloc_tracked_frame().map_err(|_| ()))
            {
                Ok(pa) => self.pages.push(pa),
                Err(_) => {
                    let _ = self.ram.free_tracked_frames(&self.pages[before..]);
                    self.pages.truncate(before);
                    return Err(ENOMEM);
                }
            }
        }
        populate(&self.ram, &self.pages[before..]);
        Ok(())
    }

    /// An empty pool that can hold `capacity` pages without allocating (a cache of spare table pages).
    pub fn with_capacity(ram: Arc<Ram>, capacity: usize) -> Result<Self> {
        let mut pages = Vec::new();
        pages.try_reserve_exact(capacity).map_err(|_| ENOMEM)?;
        Ok(Self { ram, pages })
    }

    /// Makes room for `count` more pages without reserving frames, so that [`Self::take_from`] can fill it without
    /// allocating.
    pub fn reserve_slots(&mut self, count: usize) -> Result {
        crate::alloc::try_reserve(&mut self.pages, count).map_err(|_| ENOMEM)
    }

    /// Moves up to `count` pages from `from` into this pool, as many as this pool has room for
    /// ([`Self::reserve_slots`]), and returns how many moved. Never allocates, so it may run under the lock of a
    /// cache that the fence-signalling path also takes.
    pub fn take_from(&mut self, from: &mut ReservedPtPool, count: usize) -> usize {
        let room = self.pages.capacity() - self.pages.len();
        let taken = count.min(from.pages.len()).min(room);
        let at = from.pages.len() - taken;
        self.pages.extend(from.pages.drain(at..));
        taken
    }

    /// Moves this pool's pages into `to` while `to` has spare capacity (never allocating), and gives the rest back
    /// to RAM.
    pub fn drain_into(&mut self, to: &mut ReservedPtPool) {
        while to.pages.len() < to.pages.capacity() {
            match self.pages.pop() {
                Some(pa) => to.pages.push(pa),
                None => return,
            }
        }
        self.release();
    }

    /// Pages still held.
    pub fn remaining(&self) -> usize {
        self.pages.len()
    }

    /// The frames held, for consistency checkers that account for every frame.
    pub fn pages(&self) -> &[PhysAddr] {
        &self.pages
    }

    /// The most table pages a map of `[iova, iova + size)` can need in a 4-level, 4 KiB-granule table whose root exists:
    /// one per L1, L2 and L3 table the range touches (what Panthor's `panthor_vm_op_ctx_prealloc_pts` counts).
    pub fn pages_needed(iova: u64, size: u64) -> usize {
        if size == 0 {
            return 0;
        }
        let last = iova.saturating_add(size - 1);
        let span = |shift: u32| ((last >> shift) - (iova >> shift) + 1) as usize;
        // L3 tables: one per 2 MiB; L2 tables: one per 1 GiB; L1 tables: one per 512 GiB.
        span(21) + span(30) + span(39)
    }

    /// Gives the unused pages back to RAM.
    pub fn release(&mut self) {
        let _ = self.ram.free_tracked_frames(&self.pages);
        self.pages.clear();
    }
}

impl Drop for ReservedPtPool {
    fn drop(&mut self) {
        self.release();
    }
}

impl PtAlloc for ReservedPtPool {
    fn alloc_pt(&mut self, _ram: &Ram) -> Result<PhysAddr> {
        self.pages.pop().ok_or(ENOMEM)
    }

    fn free_pt(&mut self, ram: &Ram, pa: PhysAddr) {
        let _ = ram.free_tracked_frames(&[pa]);
    }

    fn free_pts(&mut self, ram: &Ram, pas: &[PhysAddr]) {
        let _ = ram.free_tracked_frames(pas);
    }
}

impl<A: PtAlloc + ?Sized> PtAlloc for &mut A {
    fn alloc_pt(&mut self, ram: &Ram) -> Result<PhysAddr> {
        (**self).alloc_pt(ram)
    }

    fn free_pt(&mut self, ram: &Ram, pa: PhysAddr) {
        (**self).free_pt(ram, pa)
    }

    fn free_pts(&mut self, ram: &Ram, pas: &[PhysAddr]) {
        (**self).free_pts(ram, pas)
    }
}

/// Faults in the host pages behind `frames` ([`Ram::populate`]), one call per run of consecutive frames: reserved
/// pages are resident memory in the kernel, so the first table written into one pays no host page fault. Failure
/// only leaves the first touch to the map.
fn populate(ram: &Ram, frames: &[PhysAddr]) {
    let mut run: Option<(PhysAddr, u64)> = None;
    for &pa in frames {
        run = match run {
            Some((start, len)) if start + len == pa => Some((start, len + FRAME_SIZE)),
            Some((start, len)) if pa + FRAME_SIZE == start => Some((pa, len + FRAME_SIZE)),
            Some((start, len)) => {
                let _ = ram.populate(start, len);
                Some((pa, FRAME_SIZE))
            }
            None => Some((pa, FRAME_SIZE)),
        };
    }
    if let Some((start, len)) = run {
        let _ = ram.populate(start, len);
    }
}

const _: () = assert!(
    FRAME_SIZE == 4096,
    "the ARM LPAE 4K format needs 4 KiB frames"
);
