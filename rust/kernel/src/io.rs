// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Memory-mapped I/O (`kernel::io`): how a driver reaches its device's registers.
//!
//! The platform provides an [`MmioBus`] (on the modelled RK3588, the board's interconnect); a driver maps a
//! [`Resource`](crate::platform::Resource) of it as an [`IoMem`] and reads and writes registers by offset. Offsets are
//! bounds- and alignment-checked (`EINVAL`), and an access the bus rejects is `EIO` — the model reports what silicon
//! would turn into an SError, so a driver bug is an error value, not a crash.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hw_mem::PhysAddr;

use crate::error::code::{EINVAL, EIO, ETIMEDOUT};
use crate::error::Result;

/// A bus of 32-bit registers addressed by physical address.
pub trait MmioBus: Send + Sync {
    /// Reads the 32-bit register at `pa`; `EIO` if the bus rejects the access.
    fn read32(&self, pa: PhysAddr) -> Result<u32>;
    /// Writes the 32-bit register at `pa`; `EIO` if the bus rejects the access.
    fn write32(&self, pa: PhysAddr, v: u32) -> Result;
}

/// A mapped register window (`IoMem` / `ioremap`): `size` bytes of `bus` from `base`.
///
/// # Invariants
/// `base + size` does not overflow.
#[derive(Clone)]
pub struct IoMem {
    bus: Arc<dyn MmioBus>,
    base: PhysAddr,
    size: usize,
}

impl IoMem {
    /// Maps `[base, base + size)` of `bus`; `EINVAL` if the range wraps.
    pub fn new(bus: Arc<dyn MmioBus>, base: PhysAddr, size: usize) -> Result<Self> {
        base.checked_add(size as u64).ok_or(EINVAL)?;
        Ok(Self { bus, base, size })
    }

    /// Size of the window.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Physical address of the window's first register (the resource start, for `io_remap_pfn_range`).
    pub fn phys_base(&self) -> PhysAddr {
        self.base
    }

    fn pa(&self, off: usize, width: usize) -> Result<PhysAddr> {
        if !off.is_multiple_of(width) || off.checked_add(width).is_none_or(|end| end > self.size) {
            return Err(EINVAL);
        }
        Ok(self.base + off as u64)
    }

    /// `readl`: the 32-bit register at `off`.
    pub fn read32(&self, off: usize) -> Result<u32> {
        self.bus.read32(self.pa(off, 4)?)
    }

    /// `writel`: writes the 32-bit register at `off`.
    pub fn write32(&self, off: usize, v: u32) -> Result {
        self.bus.write32(self.pa(off, 4)?, v)
    }

    /// A 64-bit register made of a LO word at `off` and a HI word at `off + 4`, read LO then HI.
    pub fn read64(&self, off: usize) -> Result<u64> {
        let lo = self.read32(off)?;
        let hi = self.read32(off + 4)?;
        Ok(u64::from(hi) << 32 | u64::from(lo))
    }

    /// Writes a LO/HI register pair, LO first (Panthor's `gpu_write64`).
    pub fn write64(&self, off: usize, v: u64) -> Result {
        self.write32(off, v as u32)?;
        self.write32(off + 4, (v >> 32) as u32)
    }

    /// A free-running 64-bit counter: HI, LO, HI, retried until both HI reads agree (`gpu_read64_counter`).
    pub fn read64_counter(&self, off: usize) -> Result<u64> {
        loop {
            let hi = self.read32(off + 4)?;
            let lo = self.read32(off)?;
            if self.read32(off + 4)? == hi {
                return Ok(u64::from(hi) << 32 | u64::from(lo));
            }
        }
    }

    /// `readl_poll_timeout`: reads `off` until `cond` holds, sleeping `sleep` between reads, for at most `timeout`.
    /// Returns the last value read, or `ETIMEDOUT` (after one last read, as the kernel macro does).
    pub fn poll32(
        &self,
        off: usize,
        cond: impl Fn(u32) -> bool,
        sleep: Duration,
        timeout: Duration,
    ) -> Result<u32> {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.read32(off)?;
            if cond(v) {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                let v = self.read32(off)?;
                return if cond(v) { Ok(v) } else { Err(ETIMEDOUT) };
            }
            std::thread::sleep(sleep);
        }
    }
}

impl core::fmt::Debug for IoMem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "IoMem({:#x}+{:#x})", self.base, self.size)
    }
}

/// Maps a bus error to the errno drivers see.
pub fn bus_error<E>(_: E) -> crate::error::Error {
    EIO
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct FakeBus(Mutex<BTreeMap<PhysAddr, u32>>);

    impl MmioBus for FakeBus {
        fn read32(&self, pa: PhysAddr) -> Result<u32> {
            if pa >= 0x2000 {
                return Err(EIO);
            }
            Ok(*self.0.lock().unwrap().get(&pa).unwrap_or(&0))
        }
        fn write32(&self, pa: PhysAddr, v: u32) -> Result {
            self.0.lock().unwrap().insert(pa, v);
            Ok(())
        }
    }

    #[test]
    fn offsets_are_bounds_and_alignment_checked() {
        let io = IoMem::new(Arc::new(FakeBus::default()), 0x1000, 0x100).unwrap();
        assert_eq!(io.read32(0x100), Err(EINVAL));
        assert_eq!(io.read32(0xfe), Err(EINVAL));
        assert_eq!(io.write32(usize::MAX - 1, 0), Err(EINVAL));
        assert!(IoMem::new(Arc::new(FakeBus::default()), u64::MAX, 0x100).is_err());
    }

    #[test]
    fn sixty_four_bit_registers_are_lo_then_hi() {
        let bus = Arc::new(FakeBus::default());
        let io = IoMem::new(bus.clone(), 0x1000, 0x100).unwrap();
        io.write64(0x10, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(bus.0.lock().unwrap().get(&0x1010), Some(&0x5566_7788));
        assert_eq!(bus.0.lock().unwrap().get(&0x1014), Some(&0x1122_3344));
        assert_eq!(io.read64(0x10).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(io.read64_counter(0x10).unwrap(), 0x1122_3344_5566_7788);
    }

    #[test]
    fn bus_errors_are_eio_and_polls_time_out() {
        let io = IoMem::new(Arc::new(FakeBus::default()), 0x1f00, 0x200).unwrap();
        assert_eq!(io.read32(0x100), Err(EIO));
        let t = Duration::from_millis(2);
        assert_eq!(
            io.poll32(0, |v| v == 1, Duration::from_micros(100), t),
            Err(ETIMEDOUT)
        );
        io.write32(0, 1).unwrap();
        assert_eq!(
            io.poll32(0, |v| v == 1, Duration::from_micros(100), t),
            Ok(1)
        );
    }
}
