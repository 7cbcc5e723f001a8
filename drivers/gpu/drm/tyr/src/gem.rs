//! Tyr's GEM object (`struct panthor_gem_object`): a shmem-style object in the board's RAM, with the Panthor flags,
//! the VM it is exclusive to (sharing that VM's resv), and a label.

use std::sync::{Arc, Mutex};

use kernel::dma_resv::DmaResv;
use kernel::drm::gem::{GemObject, IntoGemObject};
use kernel::drm::Driver;
use kernel::error::Result;
use kernel::page::Ram;

/// The Tyr DRM driver type: its GEM objects are [`TyrObject`]s.
pub struct TyrDriver;

impl Driver for TyrDriver {
    type Object = TyrObject;
}

/// A buffer object.
pub struct TyrObject {
    gem: GemObject,
    flags: u32,
    exclusive_vm: Option<u32>,
    label: Mutex<Option<String>>,
}

impl TyrObject {
    /// A new object of `size` bytes (a multiple of 4 KiB) backed by `ram`, with its own resv, or with `vm_resv` when
    /// it is exclusive to the VM `exclusive_vm` (`BO_CREATE` with `exclusive_vm_id`).
    pub fn new(
        ram: &Arc<Ram>,
        size: u64,
        flags: u32,
        exclusive: Option<(u32, Arc<DmaResv>)>,
    ) -> Result<Arc<TyrObject>> {
        let (exclusive_vm, gem) = match exclusive {
            Some((id, resv)) => (Some(id), GemObject::with_resv(size, Some(ram.clone()), resv)?),
            None => (None, GemObject::new(size, Some(ram.clone()))?),
        };
        Ok(kernel::alloc::try_arc(TyrObject { gem, flags, exclusive_vm, label: Mutex::new(None) })?)
    }

    /// An object with no backing pages: the resv holder of a VM (`drm_gpuvm_resv_object_alloc`).
    pub fn resv_holder() -> Result<Arc<TyrObject>> {
        Ok(kernel::alloc::try_arc(TyrObject {
            gem: GemObject::new(kernel::io_pgtable::SZ_4K as u64, None)?,
            flags: 0,
            exclusive_vm: None,
            label: Mutex::new(None),
        })?)
    }

    /// The `BO_CREATE` flags.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The VM id this object is exclusive to, if any.
    pub fn exclusive_vm(&self) -> Option<u32> {
        self.exclusive_vm
    }

    /// The object's label (`BO_SET_LABEL`).
    pub fn label(&self) -> Option<String> {
        self.label.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets or clears the label.
    pub fn set_label(&self, label: Option<String>) {
        *self.label.lock().unwrap_or_else(|e| e.into_inner()) = label;
    }
}

impl IntoGemObject for TyrObject {
    fn gem(&self) -> &GemObject {
        &self.gem
    }
}
