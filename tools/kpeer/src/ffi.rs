// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The C interface of `csrc/kpeer.h`. Without the peer (`cfg(kpeer)` unset) every constructor returns null, so the
//! safe wrappers never hold an object and never reach the other functions, which are inert stand-ins.

#![allow(non_camel_case_types, missing_docs)]

use core::ffi::c_void;

#[repr(C)]
pub struct kpeer_pool {
    _opaque: [u8; 0],
}

#[repr(C)]
pub struct kpeer_pgtable {
    _opaque: [u8; 0],
}

#[repr(C)]
pub struct kpeer_gpuvm {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct kpeer_steps {
    pub map: u64,
    pub remap: u64,
    pub unmap: u64,
}

pub type kpeer_leaf_fn = unsafe extern "C" fn(ctx: *mut c_void, level: i32, iova: u64, pte: u64);
pub type kpeer_va_fn =
    unsafe extern "C" fn(ctx: *mut c_void, addr: u64, range: u64, obj: i64, offset: u64);

#[cfg(kpeer)]
extern "C" {
    pub fn kpeer_pool_new(bytes: usize) -> *mut kpeer_pool;
    pub fn kpeer_pool_free(pool: *mut kpeer_pool);
    pub fn kpeer_pool_pages_live(pool: *const kpeer_pool) -> usize;
    pub fn kpeer_heap_bytes() -> i64;
    pub fn kpeer_warn_count() -> core::ffi::c_ulong;

    pub fn kpeer_pgtable_new(
        pool: *mut kpeer_pool,
        ias: u32,
        oas: u32,
        coherent: i32,
    ) -> *mut kpeer_pgtable;
    pub fn kpeer_pgtable_free(pt: *mut kpeer_pgtable);
    pub fn kpeer_pgtable_map_pages(
        pt: *mut kpeer_pgtable,
        iova: u64,
        paddr: u64,
        pgsize: usize,
        pgcount: usize,
        prot: i32,
        mapped: *mut usize,
    ) -> i32;
    pub fn kpeer_pgtable_unmap_pages(
        pt: *mut kpeer_pgtable,
        iova: u64,
        pgsize: usize,
        pgcount: usize,
    ) -> usize;
    pub fn kpeer_pgtable_iova_to_phys(pt: *mut kpeer_pgtable, iova: u64) -> u64;
    pub fn kpeer_pgtable_for_each_leaf(pt: *mut kpeer_pgtable, f: kpeer_leaf_fn, ctx: *mut c_void);
    pub fn kpeer_pgtable_tables_live(pt: *const kpeer_pgtable) -> usize;

    pub fn kpeer_gpuvm_new(
        start: u64,
        range: u64,
        reserve_offset: u64,
        reserve_range: u64,
    ) -> *mut kpeer_gpuvm;
    pub fn kpeer_gpuvm_free(vm: *mut kpeer_gpuvm);
    pub fn kpeer_gpuvm_map(
        vm: *mut kpeer_gpuvm,
        addr: u64,
        range: u64,
        obj: i64,
        offset: u64,
    ) -> i32;
    pub fn kpeer_gpuvm_unmap(vm: *mut kpeer_gpuvm, addr: u64, range: u64) -> i32;
    pub fn kpeer_gpuvm_steps(vm: *const kpeer_gpuvm) -> kpeer_steps;
    pub fn kpeer_gpuvm_num_vas(vm: *const kpeer_gpuvm) -> usize;
    pub fn kpeer_gpuvm_for_each_va(vm: *const kpeer_gpuvm, f: kpeer_va_fn, ctx: *mut c_void);
}

#[cfg(not(kpeer))]
mod absent {
    use super::*;
    use core::ptr::null_mut;

    pub unsafe fn kpeer_pool_new(_: usize) -> *mut kpeer_pool {
        null_mut()
    }
    pub unsafe fn kpeer_pool_free(_: *mut kpeer_pool) {}
    pub unsafe fn kpeer_pool_pages_live(_: *const kpeer_pool) -> usize {
        0
    }
    pub unsafe fn kpeer_heap_bytes() -> i64 {
        0
    }
    pub unsafe fn kpeer_warn_count() -> core::ffi::c_ulong {
        0
    }
    pub unsafe fn kpeer_pgtable_new(
        _: *mut kpeer_pool,
        _: u32,
        _: u32,
        _: i32,
    ) -> *mut kpeer_pgtable {
        null_mut()
    }
    pub unsafe fn kpeer_pgtable_free(_: *mut kpeer_pgtable) {}
    pub unsafe fn kpeer_pgtable_map_pages(
        _: *mut kpeer_pgtable,
        _: u64,
        _: u64,
        _: usize,
        _: usize,
        _: i32,
        _: *mut usize,
    ) -> i32 {
        -19
    }
    pub unsafe fn kpeer_pgtable_unmap_pages(
        _: *mut kpeer_pgtable,
        _: u64,
        _: usize,
        _: usize,
    ) -> usize {
        0
    }
    pub unsafe fn kpeer_pgtable_iova_to_phys(_: *mut kpeer_pgtable, _: u64) -> u64 {
        0
    }
    pub unsafe fn kpeer_pgtable_for_each_leaf(
        _: *mut kpeer_pgtable,
        _: kpeer_leaf_fn,
        _: *mut c_void,
    ) {
    }
    pub unsafe fn kpeer_pgtable_tables_live(_: *const kpeer_pgtable) -> usize {
        0
    }
    pub unsafe fn kpeer_gpuvm_new(_: u64, _: u64, _: u64, _: u64) -> *mut kpeer_gpuvm {
        null_mut()
    }
    pub unsafe fn kpeer_gpuvm_free(_: *mut kpeer_gpuvm) {}
    pub unsafe fn kpeer_gpuvm_map(_: *mut kpeer_gpuvm, _: u64, _: u64, _: i64, _: u64) -> i32 {
        -19
    }
    pub unsafe fn kpeer_gpuvm_unmap(_: *mut kpeer_gpuvm, _: u64, _: u64) -> i32 {
        -19
    }
    pub unsafe fn kpeer_gpuvm_steps(_: *const kpeer_gpuvm) -> kpeer_steps {
        kpeer_steps::default()
    }
    pub unsafe fn kpeer_gpuvm_num_vas(_: *const kpeer_gpuvm) -> usize {
        0
    }
    pub unsafe fn kpeer_gpuvm_for_each_va(_: *const kpeer_gpuvm, _: kpeer_va_fn, _: *mut c_void) {}
}

#[cfg(not(kpeer))]
pub use absent::*;
