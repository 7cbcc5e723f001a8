// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The global interface and the REQ/ACK protocol on it (`Documentation/hardware.md#global-interface`; Panthor's
//! `panthor_fw_toggle_reqs`, `panthor_fw_update_reqs`, `panthor_fw_glb_wait_acks`, `panthor_fw_init_global_iface`,
//! `panthor_fw_halt_mcu`).
//!
//! The host owns `req` (input page) and the MCU owns `ack` (output page). Every change to `req` goes through one lock
//! (Panthor's `glb_iface->lock`), because both the JOB IRQ handler and the rest of the driver update it, and there is
//! no atomic read-modify-write on this memory.

use kernel::sync::Mutex;
use kernel::sync::MutexGuard;
use std::sync::Arc;
use std::time::Duration;

use kernel::error::code::{EINVAL, EIO, ETIMEDOUT};
use kernel::error::Result;
use kernel::io::IoMem;

use super::iface::glb::{self, Req, Timer};
use super::iface::GlbInfo;
use super::job_irq::JobIrq;
use super::shared::SharedMem;
use crate::regs::{doorbell, gpu};

/// What the global init (at probe and after a GPU reset) waits for its acks, which Panthor does not wait for at all:
/// the modelled MCU is a thread sharing the host's CPUs, so under load an ack may miss 100 ms without the firmware
/// being dead.
pub(crate) const ACK_GRACE: Duration = Duration::from_secs(2);
/// Halt: MCU_STATUS polled every 10 µs for up to 100 ms (`panthor_fw_halt_mcu`).
const HALT_POLL: Duration = Duration::from_micros(10);
const HALT_TIMEOUT: Duration = Duration::from_millis(100);

/// Power-off timer Panthor programs (`PWROFF_HYSTERESIS_US`).
pub(crate) const POWEROFF_TIMER_US: u32 = 10_000;
/// Idle timer Panthor programs (`IDLE_HYSTERESIS_US`).
pub(crate) const IDLE_TIMER_US: u32 = 800;
/// Progress timer Panthor programs: 5 × 500 × 1024 × 1024 GPU cycles, in units of 1024 (`PROGRESS_TIMEOUT_CYCLES`).
pub(crate) const PROGRESS_TIMER: u32 = 2_560_000;
/// The acks that raise the JOB IRQ (Panthor's init: CFG_ALLOC_EN | PING | CFG_PROGRESS_TIMER | CFG_POWEROFF_TIMER |
/// IDLE_EN | IDLE).
pub(crate) const ACK_IRQ_MASK: Req = Req::CFG_ALLOC_EN
    .or(Req::PING)
    .or(Req::CFG_PROGRESS_TIMER)
    .or(Req::CFG_POWEROFF_TIMER)
    .or(Req::IDLE_EN)
    .or(Req::IDLE);
/// The toggle requests of the global init.
const INIT_TOGGLES: Req = Req::CFG_ALLOC_EN
    .or(Req::CFG_POWEROFF_TIMER)
    .or(Req::CFG_PROGRESS_TIMER);
/// The level requests of the global init (COUNTER_EN since uAPI 1.6, which Tyr implements).
const INIT_LEVELS: Req = Req::IDLE_EN.or(Req::COUNTER_EN);

/// `panthor_fw_conv_timeout`: `us` microseconds as a firmware timer word counting 1024-tick units of a `rate_hz`
/// architected timer, rounded up and saturated to the 31-bit field.
pub(crate) fn conv_timeout(us: u32, rate_hz: u64) -> u32 {
    let units = (u64::from(us) * rate_hz).div_ceil(1_000_000 << 10);
    units.min(u64::from(Timer::COUNT.count())) as u32
}

/// What the global init wrote, so callers and tests can compare it with what the MCU latched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GlbConfig {
    /// `core_en_mask` (SHADER_PRESENT).
    pub(crate) core_en_mask: u64,
    /// `poweroff_timer`.
    pub(crate) poweroff_timer: u32,
    /// `progress_timer`.
    pub(crate) progress_timer: u32,
    /// `idle_timer`.
    pub(crate) idle_timer: u32,
    /// `ack_irq_mask`.
    pub(crate) ack_irq_mask: u32,
}

impl GlbConfig {
    /// Panthor's values for a GPU whose SHADER_PRESENT is `shader_present`, with the firmware's timers counting the
    /// architected timer of `timer_hz` (`arch_timer_get_cntfrq()`; 24 MHz on RK3588).
    pub(crate) fn panthor(shader_present: u64, timer_hz: u64) -> Self {
        Self {
            core_en_mask: shader_present,
            poweroff_timer: conv_timeout(POWEROFF_TIMER_US, timer_hz),
            progress_timer: PROGRESS_TIMER,
            idle_timer: conv_timeout(IDLE_TIMER_US, timer_hz),
            ack_irq_mask: ACK_IRQ_MASK.0,
        }
    }
}

/// The global interface of a booted MCU.
pub(crate) struct GlobalIface {
    mem: Arc<SharedMem>,
    io: IoMem,
    info: GlbInfo,
    /// Serialises every update of `req`.
    req_lock: Mutex<()>,
}

impl GlobalIface {
    /// The interface `info` discovered in `mem`, with doorbells rung through `io`.
    pub(crate) fn new(mem: Arc<SharedMem>, io: IoMem, info: GlbInfo) -> Self {
        Self {
            mem,
            io,
            info,
            req_lock: Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.req_lock.lock()
    }

    fn input(&self, off: u64) -> u64 {
        self.info.pages.input + off
    }

    fn output(&self, off: u64) -> u64 {
        self.info.pages.output + off
    }

    /// The host's `req` word.
    pub(crate) fn req(&self) -> Result<Req> {
        self.mem.read_u32(self.input(glb::REQ)).map(Req)
    }

    /// The MCU's `ack` word.
    pub(crate) fn ack(&self) -> Result<Req> {
        self.mem.read_u32(self.output(glb::ACK)).map(Req)
    }

    /// The MCU's `halt_status` word.
    pub(crate) fn halt_status(&self) -> Result<u32> {
        self.mem.read_u32(self.output(glb::HALT_STATUS))
    }

    /// Requests the toggle requests `mask`: each of its bits in `req` becomes the opposite of `ack`'s.
    pub(crate) fn toggle_reqs(&self, mask: Req) -> Result {
        let _g = self.lock();
        let (req, ack) = (self.req()?.0, self.ack()?.0);
        let mask = mask.0;
        self.mem
            .write_u32(self.input(glb::REQ), ((ack ^ mask) & mask) | (req & !mask))
    }

    /// Sets the level fields `mask` of `req` to `val`'s, leaving the other bits alone.
    pub(crate) fn update_reqs(&self, val: Req, mask: Req) -> Result {
        let _g = self.lock();
        let req = self.req()?.0;
        self.mem
            .write_u32(self.input(glb::REQ), (req & !mask.0) | (val.0 & mask.0))
    }

    /// Whether every request in `mask` is acknowledged (`ack` equals `req` there).
    pub(crate) fn acked(&self, mask: Req) -> Result<bool> {
        Ok((self.req()?.0 ^ self.ack()?.0) & mask.0 == 0)
    }

    /// Rings the global doorbell: the MCU re-reads `req`.
    pub(crate) fn ring(&self) -> Result {
        self.io.write32(doorbell::offset(doorbell::GLB), 1)
    }

    /// Waits until every request in `mask` is acknowledged; `ETIMEDOUT` after `timeout`. HALT is refused (`EINVAL`):
    /// the MCU never acknowledges it through `ack`.
    pub(crate) fn wait_acks(&self, irq: &JobIrq, mask: Req, timeout: Duration) -> Result {
        if mask.halt() != 0 {
            return Err(EINVAL);
        }
        let mut failed = None;
        let ok = irq.wait_until(timeout, || match self.acked(mask) {
            Ok(a) => a,
            Err(e) => {
                failed = Some(e);
                true
            }
        });
        match (failed, ok) {
            (Some(e), _) => Err(e),
            (None, true) => Ok(()),
            (None, false) => Err(ETIMEDOUT),
        }
    }

    /// The global init (`panthor_fw_init_global_iface`): program `cfg`, set IDLE_EN and COUNTER_EN, toggle the three
    /// CFG requests, ring doorbell 0, and — unlike Panthor, which does not wait — wait for the MCU to acknowledge
    /// them, so probe fails cleanly on a firmware that does not answer.
    pub(crate) fn init(&self, irq: &JobIrq, cfg: &GlbConfig) -> Result {
        {
            let _g = self.lock();
            self.mem
                .write_u64(self.input(glb::CORE_EN_MASK), cfg.core_en_mask)?;
            self.mem
                .write_u32(self.input(glb::POWEROFF_TIMER), cfg.poweroff_timer)?;
            self.mem
                .write_u32(self.input(glb::PROGRESS_TIMER), cfg.progress_timer)?;
            self.mem
                .write_u32(self.input(glb::IDLE_TIMER), cfg.idle_timer)?;
            self.mem
                .write_u32(self.input(glb::ACK_IRQ_MASK), cfg.ack_irq_mask)?;
        }
        self.update_reqs(INIT_LEVELS, INIT_LEVELS)?;
        self.toggle_reqs(INIT_TOGGLES)?;
        self.ring()?;
        self.wait_acks(irq, INIT_TOGGLES.or(INIT_LEVELS), ACK_GRACE)
    }

    /// Acknowledges the global events the MCU raised (copies their `ack` bits into `req`), as Panthor's
    /// `sched_process_global_irq_locked` does; returns the events. Only IDLE is defined to matter, and it will feed the
    /// scheduler's tick once there is one.
    pub(crate) fn process_events(&self) -> Result<Req> {
        let _g = self.lock();
        let (req, ack) = (self.req()?, self.ack()?);
        let evts = Req(req.0 ^ ack.0).evts();
        if evts != 0 {
            self.mem
                .write_u32(self.input(glb::REQ), req.set_evts(ack.evts()).0)?;
        }
        Ok(Req(0).set_evts(evts))
    }

    /// The watchdog ping (`panthor_fw_ping_work`): toggle PING, ring, wait for the ack.
    #[cfg(test)]
    pub(crate) fn ping(&self, irq: &JobIrq) -> Result {
        self.ping_within(irq, ACK_GRACE)
    }

    /// Programs `progress_timer` (units of 1024 GPU cycles) and has the MCU latch it (CFG_PROGRESS_TIMER). Panthor
    /// only programs its fixed value at init; a knob for tests of the progress timer. A GPU reset restores Panthor's
    /// value.
    pub(crate) fn set_progress_timer(&self, irq: &JobIrq, units: u32) -> Result {
        {
            let _g = self.lock();
            self.mem
                .write_u32(self.input(glb::PROGRESS_TIMER), Timer(0).set_count(units).0)?;
        }
        self.toggle_reqs(Req::CFG_PROGRESS_TIMER)?;
        self.ring()?;
        self.wait_acks(irq, Req::CFG_PROGRESS_TIMER, ACK_GRACE)
    }

    /// [`Self::ping`] waiting at most `timeout` for the ack (`ETIMEDOUT`).
    pub(crate) fn ping_within(&self, irq: &JobIrq, timeout: Duration) -> Result {
        self.toggle_reqs(Req::PING)?;
        self.ring()?;
        self.wait_acks(irq, Req::PING, timeout)
    }

    /// Halts the MCU gracefully (`panthor_fw_halt_mcu` + `panthor_fw_wait_mcu_halted`): set HALT, ring, wait for
    /// MCU_STATUS HALT (`ETIMEDOUT`), and require `halt_status` OK (`EIO` for a panic or watchdog halt).
    pub(crate) fn halt(&self) -> Result {
        self.update_reqs(Req::HALT, Req::HALT)?;
        self.ring()?;
        self.io.poll32(
            gpu::MCU_STATUS,
            |s| s & gpu::mcu::MASK == gpu::mcu::STATUS_HALT,
            HALT_POLL,
            HALT_TIMEOUT,
        )?;
        if self.halt_status()? != 0 {
            return Err(EIO);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panthors_timers_at_24_mhz() {
        // `Documentation/hardware.md#global-interface`: conv(10 000 µs) and conv(800 µs) with a 24 MHz arch timer.
        let cfg = GlbConfig::panthor(0x50005, 24_000_000);
        assert_eq!(
            (cfg.poweroff_timer, cfg.idle_timer, cfg.progress_timer),
            (235, 19, 2_560_000)
        );
        assert_eq!(cfg.ack_irq_mask, 0x0400_050e);
    }

    #[test]
    fn timer_conversion_rounds_up_and_saturates() {
        assert_eq!(conv_timeout(1, 1_024_000_000), 1);
        assert_eq!(conv_timeout(1, 1_024_000_001), 2);
        assert_eq!(conv_timeout(0, 24_000_000), 0);
        assert_eq!(conv_timeout(u32::MAX, u64::from(u32::MAX)), 0x7fff_ffff);
    }
}
