// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Kernel BOs (`struct panthor_kernel_bo`): buffers the driver allocates for itself and maps in a VM's kernel area —
//! ring buffers and sync objects in a group's VM, suspend buffers and queue user-I/O pages in the MCU VM — with the
//! CPU access the driver needs (the kernel's `vmap`).
//!
//! Dropping one unmaps it and gives its VA range back.

use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::error::code::{EINVAL, EIO};
use kernel::error::Result;
use kernel::page::{PhysAddr, Ram, FRAME_SIZE};

use crate::gem::{Offsets, TyrObject};
use crate::vm::Vm;

/// A BO mapped at a kernel VA of one VM.
///
/// # Invariants
/// `[va, va + size)` is allocated in `vm`'s kernel VA area and mapped to the pages `pages` of a BO the mapping holds.
pub(crate) struct KernelBo {
    vm: Arc<Vm>,
    ram: Arc<Ram>,
    pages: Vec<PhysAddr>,
    va: u64,
    size: u64,
}

impl KernelBo {
    /// Allocates a zeroed BO of `size` bytes (rounded up to 4 KiB) and maps it with VM_BIND map `flags` at an
    /// automatically chosen kernel VA of `vm` aligned to `align`, or at `fixed_va`. The BO takes a fake offset from
    /// `offsets`, the device's, as every shmem object does (`panthor_kernel_bo_create` → `drm_gem_shmem_create`);
    /// `None` outside a DRM device.
    pub(crate) fn new(
        offsets: Option<&Offsets>,
        ram: &Arc<Ram>,
        vm: &Arc<Vm>,
        size: u64,
        flags: u32,
        align: u64,
        fixed_va: Option<u64>,
    ) -> Result<KernelBo> {
        let size = size.checked_next_multiple_of(FRAME_SIZE).ok_or(EINVAL)?;
        let bo = match offsets {
            Some(offsets) => TyrObject::create(offsets, ram, size, 0, None)?,
            None => TyrObject::new(ram, size, 0, None)?,
        };
        let pages = bo.gem().get_pages()?;
        for &pa in &pages {
            ram.zero(pa, FRAME_SIZE).map_err(|_| EIO)?;
        }
        let va = match fixed_va {
            Some(va) => {
                vm.reserve_kernel_va(va, size)?;
                va
            }
            None => vm.alloc_kernel_va(size, align)?,
        };
        let mapped = vm
            .prepare_map_kernel(&bo, va, size, flags)
            .and_then(|op| vm.execute(op));
        if let Err(e) = mapped {
            vm.free_kernel_va(va);
            // A vm_bo obtained for the map and dropped on the way out waits on the deferred list; this is not the
            // signalling path, so release it (and the BO) now.
            vm.gpuvm().deferred_cleanup();
            return Err(e);
        }
        Ok(KernelBo {
            vm: vm.clone(),
            ram: ram.clone(),
            pages,
            va,
            size,
        })
    }

    /// Its GPU VA in its VM.
    pub(crate) fn va(&self) -> u64 {
        self.va
    }

    /// Its size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The physical address of byte `off`, for an access of `len` bytes that must not cross a page.
    fn pa(&self, off: u64, len: u64) -> Result<PhysAddr> {
        let end = off.checked_add(len).ok_or(EINVAL)?;
        if end > self.size || off / FRAME_SIZE != (end - 1) / FRAME_SIZE {
            return Err(EINVAL);
        }
        Ok(self.pages[(off / FRAME_SIZE) as usize] + off % FRAME_SIZE)
    }

    /// Copies `data` in at byte `off` (may cross pages).
    pub(crate) fn write(&self, mut off: u64, mut data: &[u8]) -> Result {
        while !data.is_empty() {
            let n = (FRAME_SIZE - off % FRAME_SIZE).min(data.len() as u64);
            let pa = self.pa(off, n)?;
            self.ram.write(pa, &data[..n as usize]).map_err(|_| EIO)?;
            data = &data[n as usize..];
            off += n;
        }
        Ok(())
    }

    /// Copies bytes out from byte `off` (may cross pages).
    pub(crate) fn read(&self, mut off: u64, mut out: &mut [u8]) -> Result {
        while !out.is_empty() {
            let n = (FRAME_SIZE - off % FRAME_SIZE).min(out.len() as u64);
            let pa = self.pa(off, n)?;
            let (head, tail) = out.split_at_mut(n as usize);
            self.ram.read(pa, head).map_err(|_| EIO)?;
            out = tail;
            off += n;
        }
        Ok(())
    }

    /// The little-endian u32 at `off`.
    pub(crate) fn read_u32(&self, off: u64) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read(off, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// The little-endian u64 at `off`.
    pub(crate) fn read_u64(&self, off: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read(off, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian u32 at `off`.
    pub(crate) fn write_u32(&self, off: u64, v: u32) -> Result {
        self.write(off, &v.to_le_bytes())
    }

    /// Writes a little-endian u64 at `off`.
    pub(crate) fn write_u64(&self, off: u64, v: u64) -> Result {
        self.write(off, &v.to_le_bytes())
    }
}

impl Drop for KernelBo {
    fn drop(&mut self) {
        // Teardown path: a failure leaves the pages mapped until the VM goes, which holds the BO alive.
        if let Ok(op) = self.vm.prepare_unmap_kernel(self.va, self.size) {
            let _ = self.vm.execute(op);
        }
        self.vm.free_kernel_va(self.va);
    }
}
