// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The kernel's own C as a benchmark peer, in the same process as ours.
//!
//! `scripts/fetch-kernel-peer.sh` (run by `make bench`) unpacks Debian's `linux-source-6.12` files `drm_gpuvm.c`,
//! `io-pgtable-arm.c` and `lib/rbtree.c` (with the headers they need that stand on their own) into `build/`; the
//! build script compiles them against our own userspace compatibility layer (`compat/include`: kmalloc on malloc
//! counting its bytes, single-thread locks, WARN counting, the dma_resv/GEM/drm_exec shapes GPUVM touches) and glue
//! (`csrc/`: the table-page pool, Panthor's io-pgtable configuration, a GPUVM driver stepping as Panthor's does).
//! Without the sources the crate still builds, [`available`] is false and every constructor returns
//! [`Error::Unavailable`].
//!
//! - [`PagePool`]: where table pages come from (a preallocated region, freed pages reused last-in first-out as the
//!   kernel's page allocator hands out hot pages); a fresh pool is cold, a reused one warm.
//! - [`KernelPgtable`]: `io-pgtable-arm.c`'s ARM_64_LPAE_S1 as Panthor sets it up on RK3588 (4K|2M pages, 48-bit
//!   IAS, 40-bit OAS, non-coherent walk with cache maintenance as no-ops, no-op TLB callbacks, table pages through
//!   `cfg->alloc` like Panthor's `alloc_pt`).
//! - [`KernelGpuVm`]: `drm_gpuvm.c` with step callbacks that apply and count each step, as Panthor's and `tyr replay
//!   gpuvm`'s do.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr::NonNull;

mod ffi;

/// Why a peer object could not be made or a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The crate was built without the kernel sources (`make bench` fetches them).
    Unavailable,
    /// The C side could not allocate.
    NoMemory,
    /// The kernel code returned this (positive) errno.
    Errno(i32),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Unavailable => write!(
                f,
                "kernel C peer unavailable (run scripts/fetch-kernel-peer.sh)"
            ),
            Error::NoMemory => write!(f, "out of memory"),
            Error::Errno(e) => write!(f, "errno {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Whether the crate was built with the kernel sources.
pub const fn available() -> bool {
    cfg!(kpeer)
}

/// The kernel source tree the peer was built from, if it was.
pub fn source() -> Option<&'static str> {
    Some(env!("TYR_KPEER_SRC_USED")).filter(|s| !s.is_empty())
}

/// Live bytes the peer has allocated with `kmalloc` (each allocation counted by `malloc_usable_size`), process-wide.
pub fn heap_bytes() -> i64 {
    // SAFETY: reads a counter; no arguments.
    unsafe { ffi::kpeer_heap_bytes() }
}

/// How many `WARN_ON`s the kernel code has hit, process-wide (valid use keeps it at 0).
pub fn warnings() -> u64 {
    // SAFETY: reads a counter; no arguments.
    unsafe { ffi::kpeer_warn_count() as u64 }
}

fn check(ret: i32) -> Result<(), Error> {
    match ret {
        0 => Ok(()),
        e if e < 0 => Err(Error::Errno(-e)),
        _ => Ok(()),
    }
}

/// A page allocator for table pages: `bytes` of address space reserved up front, pages handed out zeroed, freed pages
/// reused most recent first. Not shared between threads.
pub struct PagePool {
    raw: NonNull<ffi::kpeer_pool>,
}

impl PagePool {
    /// Enough for a few GiB of 4K mappings.
    pub const DEFAULT_BYTES: usize = 1 << 30;

    /// A cold pool of `bytes` (rounded up to 2 MiB); `NoMemory` if the address space is exhausted.
    pub fn new(bytes: usize) -> Result<Self, Error> {
        if !available() {
            return Err(Error::Unavailable);
        }
        // SAFETY: plain allocation; the result is checked for null.
        let raw = unsafe { ffi::kpeer_pool_new(bytes) };
        NonNull::new(raw)
            .map(|raw| PagePool { raw })
            .ok_or(Error::NoMemory)
    }

    /// Pages handed out and not yet freed.
    pub fn pages_live(&self) -> usize {
        // SAFETY: `raw` is a live pool (owned by `self`).
        unsafe { ffi::kpeer_pool_pages_live(self.raw.as_ptr()) }
    }
}

impl Drop for PagePool {
    fn drop(&mut self) {
        // SAFETY: `raw` is live and owned; every table borrowing it is gone (their lifetime is tied to `&self`).
        unsafe { ffi::kpeer_pool_free(self.raw.as_ptr()) }
    }
}

/// One leaf of a page table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// Level (3 for a 4K page, 2 for a 2M block).
    pub level: u32,
    /// First IOVA it maps.
    pub iova: u64,
    /// The descriptor.
    pub pte: u64,
}

/// `io-pgtable-arm.c`'s ARM_64_LPAE_S1 table, configured as Panthor configures it, its tables from `pool`.
pub struct KernelPgtable<'p> {
    raw: NonNull<ffi::kpeer_pgtable>,
    _pool: PhantomData<&'p PagePool>,
}

impl<'p> KernelPgtable<'p> {
    /// Panthor's RK3588 configuration: 48-bit IAS, 40-bit OAS, non-coherent walk.
    pub fn new(pool: &'p PagePool) -> Result<Self, Error> {
        Self::with_config(pool, 48, 40, false)
    }

    /// Another IAS/OAS or walk coherency (`arm_64_lpae_alloc_pgtable_s1` checks them: `Errno(EINVAL)` style failures
    /// come back as `NoMemory`, since the allocator only says NULL).
    pub fn with_config(
        pool: &'p PagePool,
        ias: u32,
        oas: u32,
        coherent: bool,
    ) -> Result<Self, Error> {
        // SAFETY: `pool` is live for 'p, which outlives the table.
        let raw =
            unsafe { ffi::kpeer_pgtable_new(pool.raw.as_ptr(), ias, oas, i32::from(coherent)) };
        NonNull::new(raw)
            .map(|raw| KernelPgtable {
                raw,
                _pool: PhantomData,
            })
            .ok_or(Error::NoMemory)
    }

    /// `map_pages`: maps `pgcount` pages of `pgsize` from `iova` to `paddr`; returns the bytes mapped and the result
    /// (`EINVAL` for a bad size or no READ/WRITE, `ERANGE` for addresses beyond IAS/OAS, `EEXIST` over a mapping,
    /// `ENOMEM` when the pool is empty).
    pub fn map_pages(
        &mut self,
        iova: u64,
        paddr: u64,
        pgsize: usize,
        pgcount: usize,
        prot: u32,
    ) -> (usize, Result<(), Error>) {
        let mut mapped = 0usize;
        // SAFETY: `raw` is live and exclusively ours; `mapped` is a valid out-pointer.
        let ret = unsafe {
            ffi::kpeer_pgtable_map_pages(
                self.raw.as_ptr(),
                iova,
                paddr,
                pgsize,
                pgcount,
                prot as i32,
                &mut mapped,
            )
        };
        (mapped, check(ret))
    }

    /// `unmap_pages` without a gather (as Panthor calls it): the bytes unmapped.
    pub fn unmap_pages(&mut self, iova: u64, pgsize: usize, pgcount: usize) -> usize {
        // SAFETY: `raw` is live and exclusively ours.
        unsafe { ffi::kpeer_pgtable_unmap_pages(self.raw.as_ptr(), iova, pgsize, pgcount) }
    }

    /// `iova_to_phys`: 0 where nothing is mapped.
    pub fn iova_to_phys(&self, iova: u64) -> u64 {
        // SAFETY: `raw` is live; the walk only reads.
        unsafe { ffi::kpeer_pgtable_iova_to_phys(self.raw.as_ptr(), iova) }
    }

    /// Every leaf in address order.
    pub fn leaves(&self) -> Vec<Leaf> {
        unsafe extern "C" fn push(ctx: *mut c_void, level: i32, iova: u64, pte: u64) {
            // SAFETY: `ctx` is the `&mut Vec<Leaf>` passed below, alive for the whole walk.
            let v = unsafe { &mut *ctx.cast::<Vec<Leaf>>() };
            v.push(Leaf {
                level: level as u32,
                iova,
                pte,
            });
        }
        let mut v: Vec<Leaf> = Vec::new();
        // SAFETY: `raw` is live; the callback only touches `v`, which outlives the call.
        unsafe {
            ffi::kpeer_pgtable_for_each_leaf(
                self.raw.as_ptr(),
                push,
                (&mut v as *mut Vec<Leaf>).cast(),
            )
        };
        v
    }

    /// Table pages in use, the top-level one included.
    pub fn tables_live(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { ffi::kpeer_pgtable_tables_live(self.raw.as_ptr()) }
    }
}

impl Drop for KernelPgtable<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` is live and owned; its pool outlives it.
        unsafe { ffi::kpeer_pgtable_free(self.raw.as_ptr()) }
    }
}

/// How many steps the GPUVM handed to the driver.
pub type Steps = ffi::kpeer_steps;

/// One VA of a [`KernelGpuVm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Va {
    /// First address.
    pub addr: u64,
    /// Length.
    pub range: u64,
    /// Object id (`None`: a null mapping).
    pub obj: Option<u32>,
    /// Offset in the object.
    pub offset: u64,
}

/// `drm_gpuvm.c` managing one VA space, driven as Panthor drives it; objects are named by id and created on first
/// use, each with its own resv.
pub struct KernelGpuVm {
    raw: NonNull<ffi::kpeer_gpuvm>,
}

impl KernelGpuVm {
    /// A VM over `[start, start + range)`, with a kernel-reserved node `(offset, range)` if given.
    pub fn new(start: u64, range: u64, reserve: Option<(u64, u64)>) -> Result<Self, Error> {
        if !available() {
            return Err(Error::Unavailable);
        }
        let (ro, rr) = reserve.unwrap_or((0, 0));
        // SAFETY: plain constructor; the result is checked for null.
        let raw = unsafe { ffi::kpeer_gpuvm_new(start, range, ro, rr) };
        NonNull::new(raw)
            .map(|raw| KernelGpuVm { raw })
            .ok_or(Error::NoMemory)
    }

    /// `drm_gpuvm_sm_map` of `[addr, addr + range)` to object `obj` at `offset` (`None`: a null mapping), every step
    /// applied at once.
    pub fn sm_map(
        &mut self,
        addr: u64,
        range: u64,
        obj: Option<u32>,
        offset: u64,
    ) -> Result<(), Error> {
        let obj = obj.map_or(-1, i64::from);
        // SAFETY: `raw` is live and exclusively ours.
        check(unsafe { ffi::kpeer_gpuvm_map(self.raw.as_ptr(), addr, range, obj, offset) })
    }

    /// `drm_gpuvm_sm_unmap` of `[addr, addr + range)`.
    pub fn sm_unmap(&mut self, addr: u64, range: u64) -> Result<(), Error> {
        // SAFETY: `raw` is live and exclusively ours.
        check(unsafe { ffi::kpeer_gpuvm_unmap(self.raw.as_ptr(), addr, range) })
    }

    /// Steps applied so far.
    pub fn steps(&self) -> Steps {
        // SAFETY: `raw` is live.
        unsafe { ffi::kpeer_gpuvm_steps(self.raw.as_ptr()) }
    }

    /// Number of VAs (the kernel-reserved node not counted).
    pub fn num_vas(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { ffi::kpeer_gpuvm_num_vas(self.raw.as_ptr()) }
    }

    /// The VAs in address order (the kernel-reserved node not included).
    pub fn vas(&self) -> Vec<Va> {
        unsafe extern "C" fn push(ctx: *mut c_void, addr: u64, range: u64, obj: i64, offset: u64) {
            // SAFETY: `ctx` is the `&mut Vec<Va>` passed below, alive for the whole walk.
            let v = unsafe { &mut *ctx.cast::<Vec<Va>>() };
            v.push(Va {
                addr,
                range,
                obj: u32::try_from(obj).ok(),
                offset,
            });
        }
        let mut v: Vec<Va> = Vec::new();
        // SAFETY: `raw` is live; the callback only touches `v`, which outlives the call.
        unsafe {
            ffi::kpeer_gpuvm_for_each_va(self.raw.as_ptr(), push, (&mut v as *mut Vec<Va>).cast())
        };
        v
    }
}

impl Drop for KernelGpuVm {
    fn drop(&mut self) {
        // SAFETY: `raw` is live and owned; nothing else refers to it.
        unsafe { ffi::kpeer_gpuvm_free(self.raw.as_ptr()) }
    }
}

#[cfg(test)]
mod tests;
