// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Time (`include/linux/timekeeping.h`, `arch_timer`): the kernel's clocks as the host's, and the rate of the SoC's
//! architected timer, which the platform sets at boot.

use std::sync::atomic::{AtomicU64, Ordering};

static ARCH_TIMER_RATE: AtomicU64 = AtomicU64::new(0);

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` into the valid local; the clock ids used here always exist on
    // Linux, so it cannot fail.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// `ktime_get_ns()`: CLOCK_MONOTONIC in nanoseconds.
pub fn ktime_get_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// `ktime_get_raw_ns()`: CLOCK_MONOTONIC_RAW in nanoseconds.
pub fn ktime_get_raw_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC_RAW)
}

/// `arch_timer_get_cntfrq()`: the frequency of the system counter that also drives the GPU's TIMESTAMP, or 0 before
/// the platform has set it.
pub fn arch_timer_rate() -> u64 {
    ARCH_TIMER_RATE.load(Ordering::Relaxed)
}

/// Sets the system counter's frequency (the platform's timer node, `clock-frequency`).
pub fn set_arch_timer_rate(hz: u64) {
    ARCH_TIMER_RATE.store(hz, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_advance() {
        let a = ktime_get_ns();
        let b = ktime_get_ns();
        assert!(b >= a);
        assert!(ktime_get_raw_ns() > 0);
    }
}
