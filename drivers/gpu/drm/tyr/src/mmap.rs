// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! CPU mappings of a Tyr file (`panthor_mmap`, `Documentation/uapi.md#mmap`): the GEM fake-offset range maps BOs, the
//! range from the file's user MMIO offset maps the LATEST_FLUSH_ID page.
//!
//! The result says what backs the mapping — RAM runs of a BO with their CPU cache mode, or the GPU's USER register
//! page — for whoever builds the page tables of the client (the drm-shim maps the RAM memfd at those offsets).

use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::error::code::{EINVAL, ENOMEM};
use kernel::error::Result;

use crate::gem::TyrDrmFile;
use crate::gem::TyrObject;
use crate::uapi::bo_flags;

/// Offset of the USER page (LATEST_FLUSH_ID) in the GPU's register window (`CSF_GPU_LATEST_FLUSH_ID`).
pub const USER_PAGE_OFFSET: u64 = 0x1_0000;
const PAGE: u64 = 0x1000;

/// What the caller asks for (the `vm_area_struct` flags that matter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MmapRequest {
    /// File offset (`vm_pgoff << PAGE_SHIFT`).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// `PROT_WRITE`.
    pub write: bool,
    /// `PROT_EXEC`.
    pub exec: bool,
    /// `MAP_SHARED` (otherwise a private, copy-on-write mapping).
    pub shared: bool,
}

/// CPU caching of a BO mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    /// Write-combined: the default when the GPU is not IO-coherent (RK3588).
    WriteCombine,
    /// Write-back cached (`WB_MMAP`).
    WriteBack,
}

/// What backs a granted mapping.
pub enum CpuMapping {
    /// A BO: its physical runs `(address, length)` in order, covering the requested length from its first byte.
    Bo {
        /// The object (the mapping holds a reference, as the VMA does).
        obj: Arc<TyrObject>,
        /// Physical runs in RAM.
        runs: Vec<(u64, u64)>,
        /// CPU cache mode.
        cache: CacheMode,
    },
    /// The GPU's USER register page, read-only.
    FlushId {
        /// Its physical address.
        phys: u64,
    },
}

/// What a client reads from a [`CpuMapping::FlushId`] page now: the GPU's LATEST_FLUSH_ID register (0 if the read
/// fails, which only makes the client flush caches it could have skipped).
///
/// While the GPU is not runtime-active the page is Panthor's dummy page, which holds 1 (`panthor_mmio_vm_fault`):
/// the read neither wakes the GPU nor touches its registers.
pub fn read_flush_id(f: &TyrDrmFile) -> u32 {
    let data = f.device().data();
    let rpm = data.pm().runtime();
    if !rpm.get_if_active() {
        return 1;
    }
    let id = data
        .hw()
        .iomem()
        .read32(USER_PAGE_OFFSET as usize)
        .unwrap_or(0);
    let _ = rpm.put();
    id
}

/// `panthor_mmap`: checks `req` against the file and says what to map.
pub fn mmap(f: &TyrDrmFile, req: MmapRequest) -> Result<CpuMapping> {
    if req.len == 0 || !req.offset.is_multiple_of(PAGE) {
        return Err(EINVAL);
    }
    // `do_mmap`'s overflow check, before the driver sees the request: a length that rounds up past the address
    // space is ENOMEM. (Its EOVERFLOW check of the end page cannot trigger with 64-bit byte offsets.)
    let Some(len) = req.len.checked_next_multiple_of(PAGE) else {
        return Err(ENOMEM);
    };
    let mmio = f.data().user_mmio_offset();
    if req.offset >= mmio {
        // Only the LATEST_FLUSH_ID page exists there: shared, one page, read-only, not executable.
        if req.offset != mmio || !req.shared || req.len != PAGE || req.write || req.exec {
            return Err(EINVAL);
        }
        let phys = f.device().data().hw().iomem().phys_base() + USER_PAGE_OFFSET;
        return Ok(CpuMapping::FlushId { phys });
    }
    let obj = f.mmap_object(req.offset, len)?;
    // The shmem helper refuses copy-on-write mappings; a NO_MMAP BO has no CPU mapping at all.
    if !req.shared || obj.flags() & bo_flags::NO_MMAP != 0 {
        return Err(EINVAL);
    }
    let cache = if obj.flags() & bo_flags::WB_MMAP != 0 {
        CacheMode::WriteBack
    } else {
        CacheMode::WriteCombine
    };
    obj.gem().get_pages()?;
    let runs = obj.sg_range(0, len)?;
    Ok(CpuMapping::Bo { obj, runs, cache })
}
