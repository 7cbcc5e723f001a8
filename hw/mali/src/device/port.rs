// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GPU-side memory port: every access the GPU makes goes through an AS translation.

use super::*;

impl Mali {
    /// Translates `va` in address space `as_nr` for an access of type `access`, through the TLB and the walker,
    /// exactly as a GPU access would (faults are recorded and raise the MMU IRQ).
    pub fn gpu_translate(
        &self,
        as_nr: usize,
        va: u64,
        access: AccessType,
    ) -> Result<u64, PortError> {
        self.lock().translate(as_nr, va, access)
    }

    /// Reads `buf.len()` bytes at GPU VA `va` in `as_nr`. Pieces before a failing page have been read.
    pub fn gpu_read(&self, as_nr: usize, va: u64, buf: &mut [u8]) -> Result<(), PortError> {
        self.gpu_read_as(as_nr, va, buf, AccessType::Read)
    }

    /// Reads like [`Self::gpu_read`] but as an instruction fetch (checked against no-exec).
    pub fn gpu_fetch(&self, as_nr: usize, va: u64, buf: &mut [u8]) -> Result<(), PortError> {
        self.gpu_read_as(as_nr, va, buf, AccessType::Execute)
    }

    fn gpu_read_as(
        &self,
        as_nr: usize,
        va: u64,
        buf: &mut [u8],
        access: AccessType,
    ) -> Result<(), PortError> {
        let len = buf.len();
        self.lock().access(as_nr, va, len, access, |ram, pa, r| {
            ram.read(pa, &mut buf[r])
        })
    }

    /// Writes `data` at GPU VA `va` in `as_nr`. Pieces before a failing page have been written (no atomicity across
    /// pages, like a burst split by the MMU).
    pub fn gpu_write(&self, as_nr: usize, va: u64, data: &[u8]) -> Result<(), PortError> {
        self.lock()
            .access(as_nr, va, data.len(), AccessType::Write, |ram, pa, r| {
                ram.write(pa, &data[r])
            })
    }

    /// Reads a little-endian `u32` at `va`.
    pub fn gpu_read_u32(&self, as_nr: usize, va: u64) -> Result<u32, PortError> {
        let mut b = [0; 4];
        self.gpu_read(as_nr, va, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Reads a little-endian `u64` at `va`.
    pub fn gpu_read_u64(&self, as_nr: usize, va: u64) -> Result<u64, PortError> {
        let mut b = [0; 8];
        self.gpu_read(as_nr, va, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian `u32` at `va`.
    pub fn gpu_write_u32(&self, as_nr: usize, va: u64, v: u32) -> Result<(), PortError> {
        self.gpu_write(as_nr, va, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64` at `va`.
    pub fn gpu_write_u64(&self, as_nr: usize, va: u64, v: u64) -> Result<(), PortError> {
        self.gpu_write(as_nr, va, &v.to_le_bytes())
    }

    /// Reads like [`Self::gpu_read`], but an access stalled by a locked region waits (on a condition variable) for the
    /// unlock, up to `timeout`. The unlock needs the clock to move: a model thread, or another thread stepping it.
    pub fn gpu_read_wait(
        &self,
        as_nr: usize,
        va: u64,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<(), PortError> {
        // A timeout too large to represent means "no timeout"; a century is as good.
        let deadline = Instant::now()
            .checked_add(timeout)
            .or_else(|| Instant::now().checked_add(Duration::from_secs(100 * 365 * 86_400)))
            .unwrap_or_else(Instant::now);
        let len = buf.len();
        loop {
            let mut g = self.lock();
            match g.access(as_nr, va, len, AccessType::Read, |ram, pa, r| {
                ram.read(pa, &mut buf[r])
            }) {
                Err(PortError::Stalled { .. }) => {
                    if self.wake.wait_until(&mut g.st, deadline).timed_out() {
                        return Err(PortError::TimedOut);
                    }
                }
                other => return other,
            }
        }
    }
}
