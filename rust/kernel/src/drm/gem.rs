// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GEM objects (`drivers/gpu/drm/drm_gem.c`, `drm_gem_shmem_helper.c`, `rust/kernel/drm/gem/`).
//!
//! A [`GemObject`] is the part of a buffer object every driver shares: its size, its backing frames in system RAM
//! (allocated on first [`GemObject::get_pages`], as shmem pages are), its reservation object — its own, or one shared
//! with a VM for VM-exclusive objects — and the **gpuva lock**, the mutex over the list of vm_bos that GPUVM keeps on
//! the object. A driver's object type embeds one and says so with [`IntoGemObject`]; objects are refcounted with
//! `Arc`, and a per-file [`HandleTable`] maps handles to them.

use crate::drm::gpuvm::list::List;
use crate::sync::MutexGuard;
use crate::sync::{lockdep, Mutex};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use hw_mem::{PhysAddr, Ram, FRAME_SIZE};

use crate::alloc;
use crate::dma_resv::DmaResv;
use crate::error::code::{EINVAL, ENOENT, ENOMEM, ENOSPC};
use crate::error::Result;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The vm_bos of an object, as GPUVM links them (`drm_gem_object::gpuva.list`): an intrusive list through the
/// vm_bos, which it does not own. Entries are type-erased because the object does not know the VM types that map it;
/// each names its VM, and GPUVM recognises its own by that.
///
/// # Invariants
/// Reached only through the object's gpuva lock ([`GemObject::gpuva_lock`]), which guards `vm_bos`; every entry is
/// a live vm_bo of this object, taken off before it is freed.
pub struct GpuvaList {
    pub(crate) vm_bos: List,
}

impl GpuvaList {
    /// Number of vm_bos linked (including any waiting for deferred cleanup).
    pub fn len(&self) -> usize {
        // SAFETY: a `&GpuvaList` is only reachable through the object's gpuva lock, which is held (type invariant).
        unsafe { self.vm_bos.count() }
    }

    /// Whether no vm_bo is linked.
    pub fn is_empty(&self) -> bool {
        // SAFETY: as in `len`.
        unsafe { self.vm_bos.is_empty() }
    }
}

/// The held gpuva lock of a GEM object (`drm_gem_gpuva_lock`). Its class is signalling-safe, and nothing may be
/// allocated while it is held: allocation points reached meanwhile fail and are counted (the hold a
/// [`crate::sync::Mutex`] guard marks, [`crate::sync::lockdep::lock_held`]).
pub struct GpuvaGuard<'a> {
    list: MutexGuard<'a, GpuvaList>,
    /// The object's [`GemObject::has_vm_bos_hint`], brought up to date when the lock is released.
    has_vm_bos: &'a AtomicBool,
}

impl Drop for GpuvaGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // A plain store: the lock is still held, so holders publish in the order they held it.
        self.has_vm_bos
            .store(!self.list.is_empty(), Ordering::Release);
    }
}

impl core::ops::Deref for GpuvaGuard<'_> {
    type Target = GpuvaList;

    fn deref(&self) -> &GpuvaList {
        &self.list
    }
}

/// A GEM object (`struct drm_gem_object` + the shmem helper's pages).
///
/// # Invariants
/// `pages`, once set, holds `size / FRAME_SIZE` frames allocated from `ram`, freed when the object drops.
pub struct GemObject {
    id: u64,
    size: u64,
    ram: Option<Arc<Ram>>,
    pages: crate::sync::Mutex<Option<Vec<PhysAddr>>>,
    resv: Arc<DmaResv>,
    gpuva: crate::sync::Mutex<GpuvaList>,
    /// Whether the vm_bo list was non-empty when its lock was last released.
    has_vm_bos: AtomicBool,
}

impl GemObject {
    /// A new object of `size` bytes (a non-zero multiple of 4 KiB) with its own resv. Its frames come from `ram` on
    /// first [`Self::get_pages`]; an object without RAM can be mapped in a VA space but has no pages.
    pub fn new(size: u64, ram: Option<Arc<Ram>>) -> Result<Self> {
        Self::with_resv(size, ram, DmaResv::new()?)
    }

    /// A new object sharing `resv` (a VM-exclusive object shares its VM's resv, Panthor's `exclusive_vm_id`).
    pub fn with_resv(size: u64, ram: Option<Arc<Ram>>, resv: Arc<DmaResv>) -> Result<Self> {
        if size == 0 || !size.is_multiple_of(FRAME_SIZE) {
            return Err(EINVAL);
        }
        Ok(GemObject {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            size,
            ram,
            pages: crate::sync::Mutex::with_class(None, &crate::sync::lockdep::GEM_PAGES_CLASS),
            resv,
            // INVARIANT: the list is reached only through this mutex.
            gpuva: crate::sync::Mutex::with_class(
                GpuvaList {
                    vm_bos: List::new(),
                },
                &lockdep::GEM_GPUVA_CLASS,
            ),
            has_vm_bos: AtomicBool::new(false),
        })
    }

    /// A process-unique id (for logs and tools).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The reservation object.
    pub fn resv(&self) -> &Arc<DmaResv> {
        &self.resv
    }

    /// Takes the gpuva lock (`drm_gem_gpuva_lock`): the mutex over the object's vm_bo list and its vm_bos' VA lists.
    /// Nothing may be allocated while it is held.
    #[inline]
    pub fn gpuva_lock(&self) -> GpuvaGuard<'_> {
        GpuvaGuard {
            list: self.gpuva.lock(),
            has_vm_bos: &self.has_vm_bos,
        }
    }

    /// Whether the object had vm_bos when its gpuva lock was last released: read without the lock, so only a hint
    /// (a vm_bo may be linked or freed meanwhile), for skipping a lookup that would most likely find nothing.
    #[inline]
    pub fn has_vm_bos_hint(&self) -> bool {
        self.has_vm_bos.load(Ordering::Acquire)
    }

    /// The backing frames, allocating them on first use (`drm_gem_shmem_get_pages`). `ENOMEM` when RAM is exhausted,
    /// `ENOSPC` for an object created without RAM. A failure allocates nothing.
    pub fn get_pages(&self) -> Result<Vec<PhysAddr>> {
        let mut pages = self.pages.lock();
        if let Some(p) = pages.as_ref() {
            let mut v = alloc::try_vec(p.len())?;
            v.extend_from_slice(p);
            return Ok(v);
        }
        let ram = self.ram.as_ref().ok_or(ENOSPC)?;
        // More frames than RAM has free can never be had: ENOMEM now, before asking the allocator for a page list
        // as large as the object (terabytes of object, gigabytes of list).
        if self.size / FRAME_SIZE > ram.stats().free_frames {
            return Err(ENOMEM);
        }
        let n = (self.size / FRAME_SIZE) as usize;
        let mut frames = alloc::try_vec(n)?;
        let mut copy = alloc::try_vec(n)?;
        // Like shmem with transparent huge pages, whole 2 MiB pieces of the object get 2 MiB-aligned contiguous runs
        // when RAM has them, so that GPU mappings can use 2 MiB blocks; the rest are single frames.
        const HUGE: usize = 512;
        while frames.len() < n {
            let huge = (n - frames.len() >= HUGE)
                .then(|| ram.alloc_frames(HUGE as u64, HUGE as u64 * FRAME_SIZE).ok());
            let res = match huge.flatten() {
                Some(pa) => {
                    frames.extend((0..HUGE as u64).map(|i| pa + i * FRAME_SIZE));
                    Ok(())
                }
                None => ram
                    .alloc_frame()
                    .map(|pa| frames.push(pa))
                    .map_err(|_| ENOMEM),
            };
            // Fault injection sees every frame allocation (`alloc_pages`), huge runs included.
            let res = res.and_then(|()| alloc::check().map_err(|_| ENOMEM));
            if res.is_err() {
                for pa in frames {
                    let _ = ram.free_frame(pa);
                }
                return Err(ENOMEM);
            }
        }
        // Fresh shmem pages read as zero: cleared a contiguous run at a time, so that RAM can give whole runs back to
        // the host rather than write them (`Ram::zero`), and a large object commits no host memory until used.
        let mut i = 0;
        while i < frames.len() {
            let mut j = i + 1;
            while j < frames.len() && frames[j] == frames[j - 1] + FRAME_SIZE {
                j += 1;
            }
            let _ = ram.zero(frames[i], (j - i) as u64 * FRAME_SIZE);
            i = j;
        }
        copy.extend_from_slice(&frames);
        *pages = Some(frames);
        Ok(copy)
    }

    /// Whether the backing frames are allocated.
    pub fn has_pages(&self) -> bool {
        self.pages.lock().is_some()
    }
}

impl Drop for GemObject {
    fn drop(&mut self) {
        if let (Some(ram), Some(pages)) = (&self.ram, self.pages.get_mut().take()) {
            for pa in pages {
                let _ = ram.free_frame(pa);
            }
        }
    }
}

/// A driver's GEM object type: anything that embeds a [`GemObject`] (`IntoGEMObject` in the kernel's Rust).
pub trait IntoGemObject: Send + Sync + 'static {
    /// The embedded GEM object.
    fn gem(&self) -> &GemObject;
}

impl IntoGemObject for GemObject {
    fn gem(&self) -> &GemObject {
        self
    }
}

/// A file's GEM handles (`drm_file::object_idr`): handle numbers from 1, each holding a reference.
pub struct HandleTable<O> {
    handles: Mutex<BTreeMap<u32, Arc<O>>>,
}

impl<O> Default for HandleTable<O> {
    fn default() -> Self {
        HandleTable {
            handles: Mutex::new(BTreeMap::new()),
        }
    }
}

impl<O> HandleTable<O> {
    fn map(&self) -> MutexGuard<'_, BTreeMap<u32, Arc<O>>> {
        self.handles.lock()
    }

    /// Creates a handle for `obj` (`drm_gem_handle_create`): the lowest free number from 1.
    pub fn create(&self, obj: &Arc<O>) -> Result<u32> {
        let mut m = self.map();
        let mut h = 1u32;
        for k in m.keys() {
            if *k != h {
                break;
            }
            h = h.checked_add(1).ok_or(ENOSPC)?;
        }
        // A B-tree insert allocates a node at most: count it as an allocation point.
        alloc::check()?;
        m.insert(h, obj.clone());
        Ok(h)
    }

    /// The object behind `handle` (`drm_gem_object_lookup`); `ENOENT` if none.
    pub fn lookup(&self, handle: u32) -> Result<Arc<O>> {
        self.map().get(&handle).cloned().ok_or(ENOENT)
    }

    /// Deletes `handle` (`drm_gem_handle_delete`), dropping its reference; `ENOENT` if none.
    pub fn delete(&self, handle: u32) -> Result {
        self.map().remove(&handle).map(drop).ok_or(ENOENT)
    }

    /// The lowest handle of this table that refers to `obj` (`drm_prime_lookup_buf_handle`), if any.
    pub fn find(&self, obj: &Arc<O>) -> Option<u32> {
        self.map()
            .iter()
            .find(|(_, o)| Arc::ptr_eq(o, obj))
            .map(|(h, _)| *h)
    }

    /// Drops every handle (`drm_gem_release` on file close).
    pub fn clear(&self) {
        let all = core::mem::take(&mut *self.map());
        // The references are dropped outside the lock: releasing an object may take other locks.
        drop(all);
    }

    /// Every handle and its object, in handle order (debugfs `gem_names`; checkers and snapshots).
    pub fn handles(&self) -> Vec<(u32, Arc<O>)> {
        self.map().iter().map(|(h, o)| (*h, o.clone())).collect()
    }

    /// Number of live handles.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether there is no handle.
    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hw_mem::RamConfig;

    #[test]
    fn size_must_be_whole_pages() {
        assert_eq!(GemObject::new(0, None).err(), Some(EINVAL));
        assert_eq!(GemObject::new(0x1001, None).err(), Some(EINVAL));
    }

    #[test]
    fn pages_come_from_ram_once_and_return_on_drop() {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(16 << 20)).unwrap());
        let free = ram.stats().free_frames;
        let obj = GemObject::new(0x3000, Some(ram.clone())).unwrap();
        assert!(!obj.has_pages());
        let p = obj.get_pages().unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(obj.get_pages().unwrap(), p);
        assert_eq!(ram.stats().free_frames, free - 3);
        drop(obj);
        assert_eq!(ram.stats().free_frames, free);
    }

    #[test]
    fn handles_are_lowest_free_and_hold_references() {
        let t = HandleTable::default();
        let o = Arc::new(GemObject::new(0x1000, None).unwrap());
        assert_eq!(t.create(&o).unwrap(), 1);
        assert_eq!(t.create(&o).unwrap(), 2);
        assert_eq!(Arc::strong_count(&o), 3);
        t.delete(1).unwrap();
        assert_eq!(t.delete(1), Err(ENOENT));
        assert_eq!(t.create(&o).unwrap(), 1);
        assert!(Arc::ptr_eq(&t.lookup(2).unwrap(), &o));
        assert_eq!(t.lookup(9).err(), Some(ENOENT));
        assert_eq!(
            t.handles().iter().map(|(h, _)| *h).collect::<Vec<_>>(),
            [1, 2]
        );
    }

    #[test]
    #[cfg_attr(
        not(debug_assertions),
        ignore = "the lock check is compiled in debug builds only"
    )]
    fn allocating_under_the_gpuva_lock_fails_and_is_counted() {
        let o = GemObject::new(0x1000, None).unwrap();
        let before = alloc::fault::violations();
        {
            let g = o.gpuva_lock();
            assert!(g.is_empty());
            assert!(alloc::try_box(0u64).is_err());
        }
        assert_eq!(alloc::fault::violations(), before + 1);
        assert!(alloc::try_box(0u64).is_ok(), "released");
    }

    #[test]
    fn resv_is_own_or_shared() {
        let a = GemObject::new(0x1000, None).unwrap();
        let b = GemObject::with_resv(0x1000, None, a.resv().clone()).unwrap();
        let c = GemObject::new(0x1000, None).unwrap();
        assert!(Arc::ptr_eq(a.resv(), b.resv()));
        assert!(!Arc::ptr_eq(a.resv(), c.resv()));
    }
}
