// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A DRM device (`struct drm_device`): the driver's per-device data, the fake-offset space GEM objects are mapped
//! through (`drm_vma_offset_manager`), and the PRIME exports of its objects.
//!
//! Files are opened on a device with [`File::open`](super::file::File::open); ioctls reach the driver through
//! [`File::ioctl`](super::file::File::ioctl), which looks in the DRM core's table first (`drm_ioctls[]`) and then in
//! [`DeviceDriver::IOCTLS`].

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use super::auth::Auth;
use super::driver::Driver;
use super::file::File;
use super::gem::IntoGemObject;
use super::ioctl::IoctlDesc;
use super::prime::PrimeExports;
use crate::alloc;
use crate::error::code::{ENOENT, ENOSPC, ENXIO};
use crate::error::Result;

/// What `DRM_IOCTL_VERSION` reports (`struct drm_driver`'s name, desc, date and version fields).
#[derive(Clone, Copy, Debug)]
pub struct DriverInfo {
    /// Major version.
    pub major: i32,
    /// Minor version (for Panthor, the uAPI feature level).
    pub minor: i32,
    /// Patch level.
    pub patchlevel: i32,
    /// Driver name, the string clients match on.
    pub name: &'static str,
    /// Human-readable description.
    pub desc: &'static str,
    /// Date string; current kernels report `"0"`.
    pub date: &'static str,
}

bitflags::bitflags! {
    /// `enum drm_driver_feature`, the subset a render-only driver uses.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct DriverFeatures: u32 {
        /// `DRIVER_GEM`.
        const GEM = 1 << 0;
        /// `DRIVER_RENDER`: the device has a render node.
        const RENDER = 1 << 3;
        /// `DRIVER_SYNCOBJ`.
        const SYNCOBJ = 1 << 5;
        /// `DRIVER_SYNCOBJ_TIMELINE`.
        const SYNCOBJ_TIMELINE = 1 << 6;
    }
}

/// The parts of `struct drm_driver` the device and file layer need, beyond the GEM object type of [`Driver`].
pub trait DeviceDriver: Driver + Sized {
    /// Per-device driver data (`drm_device` embedded in the driver's device struct).
    type Data: Send + Sync + 'static;
    /// Per-file driver data (`drm_file::driver_priv`).
    type File: Send + Sync + 'static;
    /// Identity reported by `DRM_IOCTL_VERSION`.
    const INFO: DriverInfo;
    /// Driver features.
    const FEATURES: DriverFeatures;
    /// The driver's ioctls, index `i` for number `DRM_COMMAND_BASE + i`.
    const IOCTLS: &'static [IoctlDesc<File<Self>>];

    /// `drm_driver::open`: per-file setup.
    fn open(dev: &Arc<Device<Self>>) -> Result<Self::File>;

    /// `drm_gem_object_funcs::export`'s check: may `obj` become a dma-buf? (Panthor refuses objects private to a VM.)
    fn may_export(_obj: &Self::Object) -> Result {
        Ok(())
    }
}

/// Start of the GEM fake-offset space (`DRM_FILE_PAGE_OFFSET_START` × 4 KiB on 64-bit: 4 GiB).
pub const MMAP_OFFSET_START: u64 = 0x1_0000_0000;
/// Size of the fake-offset space in bytes (`DRM_FILE_PAGE_OFFSET_SIZE` × 4 KiB: 64 TiB).
pub const MMAP_OFFSET_SIZE: u64 = 0x4000_0000_0000;

/// The fake-offset space of a device (`drm_vma_offset_manager`): each object that has one owns
/// `[offset, offset + size)`.
///
/// It exists before the driver's probe (`drm_dev_alloc` → `drm_gem_init` runs before `panthor_device_init`), so the
/// objects a driver creates for itself while probing take their offsets from it too: the shmem helper gives every
/// object its offset when it creates it (`__drm_gem_shmem_create` calls `drm_gem_create_mmap_offset`), not when a
/// client first asks.
pub struct VmaOffsetManager<O> {
    nodes: Mutex<OffsetNodes<O>>,
}

/// Start → (size, object, the object's GEM id). Entries of freed objects are reclaimed lazily.
type OffsetNodes<O> = BTreeMap<u64, (u64, Weak<O>, u64)>;

impl<O: IntoGemObject> Default for VmaOffsetManager<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: IntoGemObject> VmaOffsetManager<O> {
    /// An empty space over `[MMAP_OFFSET_START, MMAP_OFFSET_START + MMAP_OFFSET_SIZE)`.
    pub fn new() -> Self {
        VmaOffsetManager {
            nodes: Mutex::new(BTreeMap::new()),
        }
    }

    fn nodes(&self) -> MutexGuard<'_, OffsetNodes<O>> {
        self.nodes.lock()
    }

    /// The offset of `obj`, allocating one first-fit from the bottom if it has none (`drm_gem_create_mmap_offset`
    /// then `drm_vma_node_offset_addr`; idempotent, as the kernel's). `ENOSPC` when no hole is large enough.
    pub fn create_offset(&self, obj: &Arc<O>) -> Result<u64> {
        let mut nodes = self.nodes();
        let id = obj.gem().id();
        if let Some((start, _)) = nodes
            .iter()
            .find(|(_, (_, w, i))| *i == id && w.strong_count() > 0)
        {
            return Ok(*start);
        }
        nodes.retain(|_, (_, w, _)| w.strong_count() > 0);
        let size = obj.gem().size();
        let mut at = MMAP_OFFSET_START;
        for (&start, &(len, _, _)) in nodes.iter() {
            if start - at >= size {
                break;
            }
            at = start + len;
        }
        // An object larger than the whole space (BO_CREATE allocates lazily, so such sizes exist) is `ENOSPC`
        // as `drm_mm_insert_node` answers, never an overflow.
        if at
            .checked_add(size)
            .is_none_or(|end| end > MMAP_OFFSET_START + MMAP_OFFSET_SIZE)
        {
            return Err(ENOSPC);
        }
        alloc::check()?;
        nodes.insert(at, (size, Arc::downgrade(obj), id));
        Ok(at)
    }

    /// The live object whose node starts exactly at `offset` (`drm_vma_offset_exact_lookup_locked` with the caller's
    /// page count checked by the caller).
    fn lookup(&self, offset: u64) -> Option<Arc<O>> {
        self.nodes().get(&offset).and_then(|(_, w, _)| w.upgrade())
    }
}

/// A DRM device.
///
/// # Invariants
/// `offsets`, `prime` and `names` only hold objects created by this device's driver.
pub struct Device<T: DeviceDriver> {
    data: T::Data,
    offsets: Arc<VmaOffsetManager<T::Object>>,
    pub(crate) prime: Mutex<PrimeExports<T::Object>>,
    /// Master and authentication state of the device's files (`master_mutex` and what it guards).
    pub(crate) auth: Auth,
    /// `drm_device::unique`: the parent device's name.
    unique: OnceLock<String>,
    /// GEM global names (`object_name_idr`), from 1.
    names: Mutex<BTreeMap<u32, Weak<T::Object>>>,
    /// The open files, by id: a name lasts while some file holds a handle to its object.
    files: Mutex<BTreeMap<u64, Weak<File<T>>>>,
    unplugged: AtomicBool,
}

impl<T: DeviceDriver> Device<T> {
    /// Registers a device around the driver's probed `data` (`drm_dev_alloc` + `drm_dev_register`), with a fresh
    /// fake-offset space.
    pub fn new(data: T::Data) -> Result<Arc<Self>> {
        Self::with_offsets(data, alloc::try_arc(VmaOffsetManager::new())?)
    }

    /// Registers a device around `data` whose objects already took their fake offsets from `offsets` while the
    /// driver probed (the space `drm_dev_alloc` set up before the driver's probe ran).
    pub fn with_offsets(
        data: T::Data,
        offsets: Arc<VmaOffsetManager<T::Object>>,
    ) -> Result<Arc<Self>> {
        alloc::try_arc(Device {
            data,
            offsets,
            prime: Mutex::new(PrimeExports::new()),
            auth: Auth::default(),
            unique: OnceLock::new(),
            names: Mutex::new(BTreeMap::new()),
            files: Mutex::new(BTreeMap::new()),
            unplugged: AtomicBool::new(false),
        })
        .map_err(Into::into)
    }

    /// The driver's per-device data.
    pub fn data(&self) -> &T::Data {
        &self.data
    }

    /// Sets the unique name (`drm_dev_set_unique`; `drm_dev_init` uses the parent device's name, e.g.
    /// `fb000000.gpu` for a platform device). Only the first call has an effect.
    pub fn set_unique(&self, name: &str) {
        let _ = self.unique.set(name.to_string());
    }

    /// The unique name ([`Device::set_unique`]), empty if never set.
    pub fn unique(&self) -> &str {
        self.unique.get().map_or("", String::as_str)
    }

    fn names(&self) -> MutexGuard<'_, BTreeMap<u32, Weak<T::Object>>> {
        self.names.lock()
    }

    /// The global name of `obj`, allocated (lowest free from 1) if it has none (`drm_gem_flink_ioctl`; the caller
    /// holds a handle to `obj`).
    pub(crate) fn flink(&self, obj: &Arc<T::Object>) -> Result<u32> {
        let mut names = self.names();
        names.retain(|_, w| w.strong_count() > 0);
        let id = obj.gem().id();
        if let Some((n, _)) = names
            .iter()
            .find(|(_, w)| w.upgrade().is_some_and(|o| o.gem().id() == id))
        {
            return Ok(*n);
        }
        let mut name = 1u32;
        for k in names.keys() {
            if *k != name {
                break;
            }
            name = name.checked_add(1).ok_or(ENOSPC)?;
        }
        if name > i32::MAX as u32 {
            return Err(ENOSPC);
        }
        alloc::check()?;
        names.insert(name, Arc::downgrade(obj));
        Ok(name)
    }

    /// The object named `name` (`drm_gem_open_ioctl`'s lookup); `ENOENT` if none.
    pub(crate) fn open_name(&self, name: u32) -> Result<Arc<T::Object>> {
        self.names()
            .get(&name)
            .and_then(Weak::upgrade)
            .ok_or(ENOENT)
    }

    /// Removes the names of objects no open file holds a handle to any more (`drm_gem_object_handle_free` when an
    /// object's handle count reaches zero). Called after a handle goes: GEM_CLOSE, and a file's release.
    pub(crate) fn release_names(&self) {
        if self.names().is_empty() {
            return;
        }
        // The files are collected first and dropped after the names lock is released: dropping the last reference
        // to a file releases it, which comes back here.
        let files: Vec<Arc<File<T>>> = self.files().values().filter_map(Weak::upgrade).collect();
        self.names().retain(|_, w| {
            w.upgrade()
                .is_some_and(|o| files.iter().any(|f| f.objects().find(&o).is_some()))
        });
        drop(files);
    }

    fn files(&self) -> MutexGuard<'_, BTreeMap<u64, Weak<File<T>>>> {
        self.files.lock()
    }

    /// Records an open file (for the name rule of [`Device::open_name`]).
    pub(crate) fn add_file(&self, id: u64, file: Weak<File<T>>) -> Result {
        alloc::check()?;
        self.files().insert(id, file);
        Ok(())
    }

    /// Forgets a file being released.
    pub(crate) fn remove_file(&self, id: u64) {
        self.files().remove(&id);
    }

    /// Marks the device gone (`drm_dev_unplug`): every later ioctl fails with `ENODEV`.
    pub fn unplug(&self) {
        self.unplugged.store(true, Ordering::Release);
        self.prime().clear();
    }

    /// Whether [`Device::unplug`] ran.
    pub fn is_unplugged(&self) -> bool {
        self.unplugged.load(Ordering::Acquire)
    }

    /// Number of dma-bufs of this device some descriptor still refers to.
    pub fn dma_buf_count(&self) -> usize {
        let mut p = self.prime();
        p.reap();
        p.len()
    }

    /// The device's fake-offset space.
    pub fn offsets(&self) -> &Arc<VmaOffsetManager<T::Object>> {
        &self.offsets
    }

    pub(crate) fn prime(&self) -> MutexGuard<'_, PrimeExports<T::Object>> {
        self.prime.lock()
    }

    /// The fake mmap offset of `obj` (`drm_gem_create_mmap_offset` + `drm_vma_node_offset_addr`): allocated if `obj`
    /// has none yet, the same value afterwards, released with the object.
    pub fn mmap_offset(&self, obj: &Arc<T::Object>) -> Result<u64> {
        self.offsets.create_offset(obj)
    }

    /// The live object whose fake offset is exactly `offset`; `ENXIO` if none (the file layer reports `EINVAL`).
    pub(crate) fn mmap_object(&self, offset: u64) -> Result<Arc<T::Object>> {
        self.offsets.lookup(offset).ok_or(ENXIO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::gem::GemObject;

    #[test]
    fn offsets_are_first_fit_from_4g_stable_and_reclaimed() {
        let m = VmaOffsetManager::<GemObject>::new();
        let a = Arc::new(GemObject::new(0x3000, None).unwrap());
        let b = Arc::new(GemObject::new(0x1000, None).unwrap());
        let oa = m.create_offset(&a).unwrap();
        assert_eq!(oa, MMAP_OFFSET_START);
        assert_eq!(m.create_offset(&a).unwrap(), oa, "idempotent");
        let ob = m.create_offset(&b).unwrap();
        assert_eq!(ob, MMAP_OFFSET_START + 0x3000);
        assert!(Arc::ptr_eq(&m.lookup(ob).unwrap(), &b));
        assert!(m.lookup(ob + 0x1000).is_none());
        drop(a);
        assert!(
            m.lookup(oa).is_none(),
            "a freed object's offset finds nothing"
        );
        let c = Arc::new(GemObject::new(0x2000, None).unwrap());
        assert_eq!(
            m.create_offset(&c).unwrap(),
            MMAP_OFFSET_START,
            "the hole is reused"
        );
    }

    #[test]
    fn an_object_larger_than_the_offset_space_is_enospc_not_an_overflow() {
        let m = VmaOffsetManager::<GemObject>::new();
        let small = Arc::new(GemObject::new(0x1000, None).unwrap());
        m.create_offset(&small).unwrap();
        for size in [0xFFFF_FFFF_FFFF_F000, MMAP_OFFSET_SIZE] {
            let huge = Arc::new(GemObject::new(size, None).unwrap());
            assert_eq!(m.create_offset(&huge), Err(ENOSPC), "size {size:#x}");
        }
        let fits = Arc::new(GemObject::new(MMAP_OFFSET_SIZE - 0x1000, None).unwrap());
        assert_eq!(m.create_offset(&fits).unwrap(), MMAP_OFFSET_START + 0x1000);
    }
}
