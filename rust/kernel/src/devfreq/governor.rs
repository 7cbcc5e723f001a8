// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The governors (`drivers/devfreq/governor_*.c`): what frequency a device should run at next.

use super::{DevStatus, State, MAX_FREQ, MIN_FREQ};
use crate::error::code::EINVAL;
use crate::error::Result;

/// `simple_ondemand`'s defaults (`DFSO_UPTHRESHOLD`, `DFSO_DOWNDIFFERENCTIAL`).
pub const DFSO_UPTHRESHOLD: u32 = 90;
/// See [`DFSO_UPTHRESHOLD`].
pub const DFSO_DOWNDIFFERENTIAL: u32 = 5;

/// `struct devfreq_simple_ondemand_data`: 0 in a field means the governor's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimpleOndemandData {
    /// Load (percent) above which the governor goes to the maximum.
    pub upthreshold: u32,
    /// Below `upthreshold - downdifferential` it scales the frequency down with the load.
    pub downdifferential: u32,
}

/// The governors this devfreq core registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Governor {
    /// `simple_ondemand`: polls the device's load and scales with it.
    SimpleOndemand,
    /// `performance`: always the highest frequency.
    Performance,
    /// `powersave`: always the lowest.
    Powersave,
    /// `userspace`: what was written to `userspace/set_freq`.
    Userspace,
}

/// Every governor, in the order `available_governors` lists them: the kernel's governor list has the most recently
/// registered first, and they register in `drivers/devfreq/Makefile` order (simple_ondemand, performance, powersave,
/// userspace; the passive governor, also registered, is immutable and not listed).
pub const ALL: [Governor; 4] = [
    Governor::Userspace,
    Governor::Powersave,
    Governor::Performance,
    Governor::SimpleOndemand,
];

/// `DEVFREQ_NAME_LEN`: governor names are compared on this many bytes.
pub const NAME_LEN: usize = 16;

impl Governor {
    /// The governor's name (`DEVFREQ_GOV_*`).
    pub fn name(self) -> &'static str {
        match self {
            Governor::SimpleOndemand => "simple_ondemand",
            Governor::Performance => "performance",
            Governor::Powersave => "powersave",
            Governor::Userspace => "userspace",
        }
    }

    /// `find_devfreq_governor`: the governor called `name` (compared on [`NAME_LEN`] bytes).
    pub fn find(name: &str) -> Option<Governor> {
        let key = &name.as_bytes()[..name.len().min(NAME_LEN)];
        ALL.into_iter().find(|g| g.name().as_bytes() == key)
    }

    /// Whether the governor polls the device (`DEVFREQ_GOV_ATTR_POLLING_INTERVAL | DEVFREQ_GOV_ATTR_TIMER`: it has
    /// the `polling_interval` and `timer` attributes and handles suspend, resume and interval updates).
    pub fn polls(self) -> bool {
        self == Governor::SimpleOndemand
    }
}

/// `devfreq_simple_ondemand_func` on the status `stat` the device just reported.
pub(super) fn simple_ondemand(data: SimpleOndemandData, stat: DevStatus) -> Result<u64> {
    let up = if data.upthreshold != 0 {
        data.upthreshold
    } else {
        DFSO_UPTHRESHOLD
    };
    let down = if data.downdifferential != 0 {
        data.downdifferential
    } else {
        DFSO_DOWNDIFFERENTIAL
    };
    if up > 100 || up < down {
        return Err(EINVAL);
    }
    let (mut busy, mut total) = (stat.busy_time, stat.total_time);
    // Assume the maximum if it is going to be divided by zero.
    if total == 0 {
        return Ok(MAX_FREQ);
    }
    // Prevent overflow.
    if busy >= 1 << 24 || total >= 1 << 24 {
        busy >>= 7;
        total >>= 7;
    }
    let (up, down) = (u64::from(up), u64::from(down));
    // Busy enough: the maximum.
    if busy.wrapping_mul(100) > total.wrapping_mul(up) {
        return Ok(MAX_FREQ);
    }
    // The maximum when the current frequency is unknown.
    if stat.current_frequency == 0 {
        return Ok(MAX_FREQ);
    }
    // Keep the current frequency.
    if busy.wrapping_mul(100) > total.wrapping_mul(up - down) {
        return Ok(stat.current_frequency);
    }
    // Scale with the load. A device reporting more busy than total time can leave nothing to divide by after the
    // shift; the kernel would divide by zero there, this core goes to the maximum instead.
    let Some(b) = busy.wrapping_mul(stat.current_frequency).checked_div(total) else {
        return Ok(MAX_FREQ);
    };
    Ok(b.wrapping_mul(100) / (up - down / 2))
}

/// The governor's `get_target_freq`, with the device's state locked.
pub(super) fn target_freq(
    gov: Governor,
    st: &mut State,
    status: impl FnOnce() -> Result<DevStatus>,
) -> Result<u64> {
    match gov {
        Governor::SimpleOndemand => {
            // `devfreq_update_stats`: the status is kept as `last_status`.
            let stat = status()?;
            st.last_status = stat;
            simple_ondemand(st.ondemand, stat)
        }
        Governor::Performance => Ok(MAX_FREQ),
        Governor::Powersave => Ok(MIN_FREQ),
        Governor::Userspace => Ok(match st.user_freq {
            Some(f) => f,
            None => st.previous_freq,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(busy: u64, total: u64, f: u64) -> DevStatus {
        DevStatus {
            busy_time: busy,
            total_time: total,
            current_frequency: f,
        }
    }

    /// Panthor's thresholds: up 45, down 5.
    const PANTHOR: SimpleOndemandData = SimpleOndemandData {
        upthreshold: 45,
        downdifferential: 5,
    };

    #[test]
    fn simple_ondemand_goes_to_the_maximum_keeps_or_scales_with_the_load() {
        let f = 500_000_000;
        assert_eq!(
            simple_ondemand(PANTHOR, st(0, 0, f)),
            Ok(MAX_FREQ),
            "no time"
        );
        assert_eq!(
            simple_ondemand(PANTHOR, st(46, 100, f)),
            Ok(MAX_FREQ),
            "above 45%"
        );
        assert_eq!(
            simple_ondemand(PANTHOR, st(45, 100, f)),
            Ok(f),
            "45% is not above: keep"
        );
        assert_eq!(
            simple_ondemand(PANTHOR, st(41, 100, f)),
            Ok(f),
            "above 40%: keep"
        );
        // 40%: 500 MHz * 40 / 100 * 100 / (45 - 2) = 465.116279 MHz.
        assert_eq!(simple_ondemand(PANTHOR, st(40, 100, f)), Ok(465_116_279));
        assert_eq!(simple_ondemand(PANTHOR, st(0, 100, f)), Ok(0), "idle");
        assert_eq!(
            simple_ondemand(PANTHOR, st(10, 100, 0)),
            Ok(MAX_FREQ),
            "unknown rate"
        );
        // Defaults 90/5 when the data is zero.
        let d = SimpleOndemandData::default();
        assert_eq!(simple_ondemand(d, st(86, 100, f)), Ok(f));
        assert_eq!(simple_ondemand(d, st(91, 100, f)), Ok(MAX_FREQ));
    }

    #[test]
    fn simple_ondemand_shifts_large_times_and_rejects_bad_thresholds() {
        // 50 ms windows in ns are above 2^24: both are shifted by 7 first (50_000_000 >> 7 = 390_625).
        let f = 300_000_000;
        let r = simple_ondemand(PANTHOR, st(10_000_000, 50_000_000, f)).unwrap();
        let (b, t) = (10_000_000u64 >> 7, 50_000_000u64 >> 7);
        assert_eq!(r, b * f / t * 100 / 43);
        let bad = SimpleOndemandData {
            upthreshold: 101,
            downdifferential: 5,
        };
        assert_eq!(simple_ondemand(bad, st(1, 2, f)), Err(EINVAL));
        let bad = SimpleOndemandData {
            upthreshold: 10,
            downdifferential: 20,
        };
        assert_eq!(simple_ondemand(bad, st(1, 2, f)), Err(EINVAL));
        assert_eq!(
            simple_ondemand(PANTHOR, st(u64::MAX, 100, f)),
            Ok(MAX_FREQ),
            "bogus busy > total"
        );
    }

    #[test]
    fn names_are_found_on_sixteen_bytes() {
        assert_eq!(Governor::find("performance"), Some(Governor::Performance));
        assert_eq!(
            Governor::find("simple_ondemand"),
            Some(Governor::SimpleOndemand)
        );
        assert_eq!(Governor::find("perf"), None);
        assert_eq!(Governor::find("passive"), None);
        assert_eq!(Governor::find(""), None);
    }
}
