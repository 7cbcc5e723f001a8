// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tyr's GEM object (`struct panthor_gem_object`): a shmem-style object in the board's RAM, with the Panthor flags,
//! the VM it is exclusive to (sharing that VM's resv), and a label.

use kernel::sync::Mutex;
use std::sync::{Arc, OnceLock};

use kernel::dma_resv::DmaResv;
use kernel::drm::device::{Device, VmaOffsetManager};
use kernel::drm::file::File;
use kernel::drm::gem::{GemObject, IntoGemObject};
use kernel::drm::Driver;
use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::page::{Ram, FRAME_SIZE};

/// The Tyr DRM driver type: its GEM objects are [`TyrObject`]s.
pub struct TyrDriver;

impl Driver for TyrDriver {
    type Object = TyrObject;
}

/// A Tyr DRM device (the driver's device data and file type are in [`crate::drm_device`]).
pub type TyrDrmDevice = Device<TyrDriver>;
/// An open Tyr DRM file, as the ioctl handlers get it.
pub type TyrDrmFile = File<TyrDriver>;

/// The DRM device's fake-offset space, as Tyr's objects live in it.
pub(crate) type Offsets = VmaOffsetManager<TyrObject>;

/// `size` bytes from `offset` of an object's physically contiguous chunks, read in place.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SgView<'a> {
    sg: &'a [(u64, u64)],
    offset: u64,
    size: u64,
}

impl SgView<'_> {
    /// The `(address, length)` chunks of the range, in order.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let (mut skip, mut left) = (self.offset, self.size);
        self.sg
            .iter()
            .map_while(move |&(pa, len)| {
                if left == 0 {
                    return None;
                }
                if skip >= len {
                    skip -= len;
                    return Some(None);
                }
                let take = (len - skip).min(left);
                let chunk = (pa + skip, take);
                left -= take;
                skip = 0;
                Some(Some(chunk))
            })
            .flatten()
    }
}

/// A buffer object.
pub struct TyrObject {
    gem: GemObject,
    flags: u32,
    exclusive_vm: Option<u32>,
    label: Mutex<Option<String>>,
    /// The pages as physically contiguous `(address, length)` chunks, computed once (the shmem helper's sg table).
    sg: OnceLock<Vec<(u64, u64)>>,
}

impl TyrObject {
    /// A new object of `size` bytes (a multiple of 4 KiB) backed by `ram`, with its own resv, or with `vm_resv` when
    /// it is exclusive to the VM `exclusive_vm` (`BO_CREATE` with `exclusive_vm_id`).
    pub(crate) fn new(
        ram: &Arc<Ram>,
        size: u64,
        flags: u32,
        exclusive: Option<(u32, Arc<DmaResv>)>,
    ) -> Result<Arc<TyrObject>> {
        let (exclusive_vm, gem) = match exclusive {
            Some((id, resv)) => (
                Some(id),
                GemObject::with_resv(size, Some(ram.clone()), resv)?,
            ),
            None => (None, GemObject::new(size, Some(ram.clone()))?),
        };
        Ok(kernel::alloc::try_arc(TyrObject {
            gem,
            flags,
            exclusive_vm,
            label: Mutex::new(None),
            sg: OnceLock::new(),
        })?)
    }

    /// A new object as [`TyrObject::new`], with its fake mmap offset taken from `offsets` at once: Panthor's BOs,
    /// the ones clients create and the ones the driver creates for itself, are shmem objects, and
    /// `drm_gem_shmem_create` gives each its offset when it creates it. The offset goes back with the object.
    pub(crate) fn create(
        offsets: &Offsets,
        ram: &Arc<Ram>,
        size: u64,
        flags: u32,
        exclusive: Option<(u32, Arc<DmaResv>)>,
    ) -> Result<Arc<TyrObject>> {
        let bo = Self::new(ram, size, flags, exclusive)?;
        offsets.create_offset(&bo)?;
        Ok(bo)
    }

    /// An object with no backing pages: the resv holder of a VM (`drm_gpuvm_resv_object_alloc`).
    pub(crate) fn resv_holder() -> Result<Arc<TyrObject>> {
        Ok(kernel::alloc::try_arc(TyrObject {
            gem: GemObject::new(kernel::io_pgtable::SZ_4K as u64, None)?,
            flags: 0,
            exclusive_vm: None,
            label: Mutex::new(None),
            sg: OnceLock::new(),
        })?)
    }

    /// The chunks backing `[offset, offset + size)` of the object, pinning its pages on first use
    /// (`drm_gem_shmem_get_pages_sgt`). `EINVAL` for a range outside the object.
    pub(crate) fn sg_range(&self, offset: u64, size: u64) -> Result<Vec<(u64, u64)>> {
        let mut out = Vec::new();
        for chunk in self.sg_view(offset, size)?.chunks() {
            kernel::alloc::try_push(&mut out, chunk)?;
        }
        Ok(out)
    }

    /// `[offset, offset + size)` of the object's chunks, read in place: pins the pages on first use, as
    /// [`Self::sg_range`] does, without copying the chunks. `EINVAL` for a range outside the object.
    pub(crate) fn sg_view(&self, offset: u64, size: u64) -> Result<SgView<'_>> {
        if offset
            .checked_add(size)
            .is_none_or(|end| end > self.gem.size())
        {
            return Err(EINVAL);
        }
        let sg = match self.sg.get() {
            Some(sg) => sg,
            None => {
                let pages = self.gem.get_pages()?;
                let mut chunks: Vec<(u64, u64)> = Vec::new();
                for pa in pages {
                    match chunks.last_mut() {
                        Some((start, len)) if *start + *len == pa => *len += FRAME_SIZE,
                        _ => kernel::alloc::try_push(&mut chunks, (pa, FRAME_SIZE))?,
                    }
                }
                self.sg.get_or_init(|| chunks)
            }
        };
        Ok(SgView { sg, offset, size })
    }

    /// [`Self::sg_view`] of an object whose pages are pinned already (a view of it was taken before): never
    /// allocates, for the bind job. `None` if they are not, or for a range outside the object.
    pub(crate) fn pinned_sg_view(&self, offset: u64, size: u64) -> Option<SgView<'_>> {
        let end = offset.checked_add(size)?;
        (end <= self.gem.size()).then_some(())?;
        Some(SgView {
            sg: self.sg.get()?,
            offset,
            size,
        })
    }

    /// The `BO_CREATE` flags.
    pub(crate) fn flags(&self) -> u32 {
        self.flags
    }

    /// The VM id this object is exclusive to, if any.
    pub(crate) fn exclusive_vm(&self) -> Option<u32> {
        self.exclusive_vm
    }

    /// The object's label (`BO_SET_LABEL`).
    pub(crate) fn label(&self) -> Option<String> {
        self.label.lock().clone()
    }

    /// Sets or clears the label.
    pub(crate) fn set_label(&self, label: Option<String>) {
        *self.label.lock() = label;
    }
}

impl IntoGemObject for TyrObject {
    fn gem(&self) -> &GemObject {
        &self.gem
    }
}
