// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The kernel's view of the shared interface section (Panthor keeps a `vmap` of every SHARED section): bounds-checked,
//! little-endian 32-bit accessors by offset, and the translation of the MCU VAs the firmware publishes into offsets.
//!
//! The section's pages are not contiguous, so no pointer into it is ever handed out; a bad offset is `EINVAL`.

use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::error::code::{EINVAL, EIO};
use kernel::error::Result;
use kernel::page::{PhysAddr, Ram, FRAME_SIZE};

use crate::gem::TyrObject;

/// The CPU view of a section of MCU memory.
///
/// # Invariants
/// `pages` are the frames backing `[mcu_va, mcu_va + pages.len() * FRAME_SIZE)`; `_bo` (the section's BO) keeps them
/// allocated for as long as this view exists, so a late user (the JOB IRQ handler) never writes a freed frame.
pub(crate) struct SharedMem {
    ram: Arc<Ram>,
    pages: Vec<PhysAddr>,
    mcu_va: u32,
    _bo: Option<Arc<TyrObject>>,
}

impl SharedMem {
    /// A view of `bo`, mapped at MCU VA `mcu_va`, whose pages are in `ram` (Panthor's `vmap` of a SHARED section).
    pub(crate) fn of_bo(ram: Arc<Ram>, bo: Arc<TyrObject>, mcu_va: u32) -> Result<Self> {
        let pages = bo.gem().get_pages()?;
        Ok(Self {
            ram,
            pages,
            mcu_va,
            _bo: Some(bo),
        })
    }

    /// A view of frames the caller keeps allocated (tests).
    #[cfg(test)]
    pub(crate) fn from_frames(ram: Arc<Ram>, pages: Vec<PhysAddr>, mcu_va: u32) -> Self {
        Self {
            ram,
            pages,
            mcu_va,
            _bo: None,
        }
    }

    /// Size of the section in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.pages.len() as u64 * FRAME_SIZE
    }

    /// The offset of MCU VA `va` if `[va, va + len)` lies inside the section (Panthor's `iface_fw_to_cpu_addr`, which
    /// also refuses the probe otherwise); `EINVAL` if not.
    pub(crate) fn offset_of(&self, va: u32, len: u64) -> Result<u64> {
        let off = u64::from(va.checked_sub(self.mcu_va).ok_or(EINVAL)?);
        self.check(off, len)?;
        Ok(off)
    }

    fn check(&self, off: u64, len: u64) -> Result {
        if off.checked_add(len).is_none_or(|end| end > self.size()) {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn pa(&self, off: u64) -> Result<PhysAddr> {
        if !off.is_multiple_of(4) {
            return Err(EINVAL);
        }
        self.check(off, 4)?;
        let page = self.pages.get((off / FRAME_SIZE) as usize).ok_or(EINVAL)?;
        Ok(page + off % FRAME_SIZE)
    }

    /// The little-endian word at `off`.
    pub(crate) fn read_u32(&self, off: u64) -> Result<u32> {
        self.ram.read_u32(self.pa(off)?).map_err(|_| EIO)
    }

    /// Writes the little-endian word `v` at `off`.
    pub(crate) fn write_u32(&self, off: u64, v: u32) -> Result {
        self.ram.write_u32(self.pa(off)?, v).map_err(|_| EIO)
    }

    /// The little-endian `u64` made of the words at `off` (low) and `off + 4` (high).
    pub(crate) fn read_u64(&self, off: u64) -> Result<u64> {
        let lo = self.read_u32(off)?;
        let hi = self.read_u32(off + 4)?;
        Ok(u64::from(hi) << 32 | u64::from(lo))
    }

    /// Writes `v` as two little-endian words, low first.
    pub(crate) fn write_u64(&self, off: u64, v: u64) -> Result {
        self.write_u32(off, v as u32)?;
        self.write_u32(off + 4, (v >> 32) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hw_mem::RamConfig;

    fn two_page_view() -> SharedMem {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(1 << 22)).unwrap());
        // Two frames out of order, as a BO's pages can be.
        let a = ram.alloc_frame().unwrap();
        let b = ram.alloc_frame().unwrap();
        SharedMem::from_frames(ram, vec![b, a], 0x0400_0000)
    }

    #[test]
    fn words_cross_pages_in_section_order() {
        let m = two_page_view();
        m.write_u32(0xffc, 0x1122_3344).unwrap();
        m.write_u32(0x1000, 0x5566_7788).unwrap();
        assert_eq!(m.read_u64(0xffc).unwrap(), 0x5566_7788_1122_3344);
        assert_eq!(m.ram.read_u32(m.pages[1]).unwrap(), 0x5566_7788);
    }

    #[test]
    fn out_of_range_or_unaligned_offsets_are_einval() {
        let m = two_page_view();
        assert_eq!(m.read_u32(0x2000), Err(EINVAL));
        assert_eq!(m.write_u32(0x1ffd, 0), Err(EINVAL));
        assert_eq!(m.read_u32(u64::MAX - 1), Err(EINVAL));
    }

    #[test]
    fn mcu_vas_translate_only_inside_the_section() {
        let m = two_page_view();
        assert_eq!(m.offset_of(0x0400_0800, 0x84), Ok(0x800));
        assert_eq!(m.offset_of(0x03ff_f000, 4), Err(EINVAL));
        assert_eq!(
            m.offset_of(0x0400_1f80, 0x84),
            Err(EINVAL),
            "runs past the end"
        );
        assert_eq!(m.offset_of(u32::MAX, 4), Err(EINVAL));
    }
}
