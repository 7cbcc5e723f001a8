// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The devfreq device's sysfs attributes (`Documentation/ABI/testing/sysfs-class-devfreq`), as `show` and `store`
//! functions with the kernel's formats and errnos, for whatever serves `/sys/class/devfreq/<dev>/`.
//!
//! | attribute | mode | show | store |
//! |---|---|---|---|
//! | `name` | 0444 | the parent device's name | |
//! | `governor` | 0644 | the governor's name | a governor's name (`%15s`); `EINVAL` when unknown |
//! | `available_governors` | 0444 | names separated by spaces | |
//! | `cur_freq`, `target_freq` | 0444 | the frequency last set, Hz | |
//! | `available_frequencies` | 0444 | the OPP rates, ascending, separated by spaces | |
//! | `min_freq`, `max_freq` | 0644 | the allowed range now | a frequency in Hz (`%lu`; `max_freq` 0 = no limit), kept as a PM QoS request in kHz (min rounded down, max up) |
//! | `trans_stat` | 0644 | the transition table | `0` resets it; anything else `EINVAL` |
//! | `polling_interval` | 0644 | ms (`%d`) | ms (`%u`) — `simple_ondemand` only |
//! | `timer` | 0644 | `deferrable` or `delayed` | one of those — `simple_ondemand` only |
//! | `userspace/set_freq` | 0644 | the requested frequency or `undefined` | a frequency — `userspace` only |
//!
//! An attribute the current governor does not have is `ENOENT`, as the missing file is; writing a read-only
//! attribute is `EACCES`, what opening it for writing answers (sysfs checks the mode and the `store` at open, for
//! root too). An empty write changes nothing (sysfs does not call `store` for 0 bytes).

use std::fmt::Write as _;

use super::governor::{self, Governor, NAME_LEN};
use super::{Devfreq, TimerKind, QOS_DEFAULT_VALUE, QOS_MAX_DEFAULT};
use crate::error::code::{EACCES, EFBIG, EINVAL, ENOENT};
use crate::error::Result;

/// `PAGE_SIZE`: the most a sysfs `show` may return.
const PAGE_SIZE: usize = 4096;

/// The kernel's `isspace` on ASCII.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `sscanf(buf, "%lu")`: leading white space, then at least one decimal digit; the value wraps as
/// `simple_strtoull` does; whatever follows the digits is ignored. `None` when no digit comes first.
pub fn scan_ulong(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return None;
    }
    let mut v: u64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add(u64::from(b[i] - b'0'));
        i += 1;
    }
    Some(v)
}

/// `sscanf(buf, "%Ns")`: after leading white space, up to `n` bytes up to the next white space.
fn scan_word(s: &str, n: usize) -> &str {
    let t = s.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let end = t.bytes().position(is_space).unwrap_or(t.len()).min(n);
    // Cut on a character boundary (a name with non-ASCII bytes matches no governor anyway).
    let mut end = end;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    &t[..end]
}

/// `kstrtoint(buf, 10, &v)`: an optional sign, decimal digits, an optional newline, nothing else.
pub fn kstrtoint(s: &str) -> Result<i32> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = digits.strip_suffix('\n').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(EINVAL);
    }
    let v: i64 = digits
        .parse::<u64>()
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or(EINVAL)?;
    let v = if neg { -v } else { v };
    i32::try_from(v).map_err(|_| EINVAL)
}

/// An attribute and its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Path under the devfreq device's directory.
    pub name: &'static str,
    /// Permission bits.
    pub mode: u32,
}

const fn attr(name: &'static str, mode: u32) -> Attribute {
    Attribute { name, mode }
}

/// The attributes every devfreq device has (`devfreq_attrs`).
const COMMON: [Attribute; 9] = [
    attr("name", 0o444),
    attr("governor", 0o644),
    attr("available_governors", 0o444),
    attr("cur_freq", 0o444),
    attr("available_frequencies", 0o444),
    attr("target_freq", 0o444),
    attr("min_freq", 0o644),
    attr("max_freq", 0o644),
    attr("trans_stat", 0o644),
];

impl Devfreq {
    /// The attributes the device has now (some come and go with the governor).
    pub fn attributes(&self) -> Vec<Attribute> {
        let mut v = COMMON.to_vec();
        match self.governor() {
            Some(g) if g.polls() => {
                v.push(attr("polling_interval", 0o644));
                v.push(attr("timer", 0o644));
            }
            Some(Governor::Userspace) => v.push(attr("userspace/set_freq", 0o644)),
            _ => {}
        }
        v
    }

    fn has_attribute(&self, name: &str) -> Option<Attribute> {
        self.attributes().into_iter().find(|a| a.name == name)
    }

    /// Reads attribute `name` (its file's whole text). `ENOENT` for an attribute the device does not have now.
    pub fn show(&self, name: &str) -> Result<String> {
        self.has_attribute(name).ok_or(ENOENT)?;
        Ok(match name {
            "name" => format!("{}\n", self.name),
            "governor" => format!("{}\n", self.governor().ok_or(EINVAL)?.name()),
            "available_governors" => {
                self.governor().ok_or(EINVAL)?;
                let names: Vec<&str> = governor::ALL.iter().map(|g| g.name()).collect();
                format!("{}\n", names.join(" "))
            }
            "cur_freq" => {
                let f = self
                    .profile
                    .get_cur_freq()
                    .unwrap_or_else(|| self.cur_freq());
                format!("{f}\n")
            }
            "target_freq" => format!("{}\n", self.cur_freq()),
            "available_frequencies" => {
                let t: Vec<String> = self.freq_table().iter().map(u64::to_string).collect();
                format!("{}\n", t.join(" "))
            }
            "min_freq" => format!("{}\n", self.freq_range().0),
            "max_freq" => format!("{}\n", self.freq_range().1),
            "trans_stat" => self.trans_stat()?,
            // `%d` of an unsigned int.
            "polling_interval" => format!("{}\n", self.polling_ms() as i32),
            "timer" => format!("{}\n", self.state().timer.name()),
            "userspace/set_freq" => match self.state().user_freq {
                Some(f) => format!("{f}\n"),
                None => "undefined\n".to_string(),
            },
            _ => return Err(ENOENT),
        })
    }

    /// `trans_stat_show`.
    fn trans_stat(&self) -> Result<String> {
        let mut st = self.state();
        if !st.stop_polling {
            let prev = st.previous_freq;
            if self.update_status(&mut st, prev).is_err() {
                // The kernel returns an empty read when the statistics cannot be updated.
                return Ok(String::new());
            }
        }
        let n = st.freq_table.len();
        let mut s = String::new();
        s.push_str("     From  :   To\n");
        s.push_str("           :");
        for f in &st.freq_table {
            let _ = write!(s, "{f:>10}");
        }
        s.push_str("   time(ms)\n");
        for (i, f) in st.freq_table.iter().enumerate() {
            s.push(if *f == st.previous_freq { '*' } else { ' ' });
            let _ = write!(s, "{f:>10}:");
            for j in 0..n {
                let _ = write!(s, "{:>10}", st.stats.trans_table[i * n + j]);
            }
            let _ = writeln!(s, "{:>10}", st.stats.time_in_state_ns[i] / 1_000_000);
        }
        let _ = writeln!(s, "Total transition : {}", st.stats.total_trans);
        if s.len() >= PAGE_SIZE - 1 {
            return Err(EFBIG);
        }
        Ok(s)
    }

    /// Writes `buf` to attribute `name` (`store`), with the kernel's parsing and errnos: `ENOENT` for an attribute
    /// the device does not have now, `EACCES` for a read-only one, `EINVAL` for a value that does not parse. A failed
    /// write changes nothing.
    pub fn store(&self, name: &str, buf: &str) -> Result {
        let a = self.has_attribute(name).ok_or(ENOENT)?;
        if a.mode & 0o200 == 0 {
            return Err(EACCES);
        }
        if buf.is_empty() {
            return Ok(());
        }
        match name {
            "governor" => {
                self.governor().ok_or(EINVAL)?;
                // `%15s`, then the look-up; an unknown name fails `request_module` (EINVAL).
                let g = Governor::find(scan_word(buf, NAME_LEN - 1)).ok_or(EINVAL)?;
                self.switch_governor(g)
            }
            "min_freq" => {
                let v = scan_ulong(buf).ok_or(EINVAL)?;
                // Rounded down to kHz for PM QoS; the request is an s32.
                self.qos_update(true, (v / 1000) as i32);
                Ok(())
            }
            "max_freq" => {
                let v = scan_ulong(buf).ok_or(EINVAL)?;
                // Rounded up to kHz so that the allowed interval never shrinks; 0 is "no limit".
                let khz = if v == 0 {
                    QOS_MAX_DEFAULT
                } else {
                    (v.wrapping_add(999) / 1000) as i32
                };
                self.qos_update(false, khz);
                Ok(())
            }
            "trans_stat" => {
                if kstrtoint(buf)? != 0 {
                    return Err(EINVAL);
                }
                let now = self.time.now_ns();
                let mut st = self.state();
                st.stats.trans_table.iter_mut().for_each(|c| *c = 0);
                st.stats.time_in_state_ns.iter_mut().for_each(|t| *t = 0);
                st.stats.total_trans = 0;
                st.stats.last_update_ns = now;
                Ok(())
            }
            "polling_interval" => {
                let v = scan_ulong(buf).ok_or(EINVAL)? as u32;
                self.update_interval(v);
                Ok(())
            }
            "timer" => {
                let t = match scan_word(buf, NAME_LEN) {
                    "deferrable" => TimerKind::Deferrable,
                    "delayed" => TimerKind::Delayed,
                    _ => return Err(EINVAL),
                };
                let g = self.governor().ok_or(EINVAL)?;
                let _l = self.gov_lock.lock();
                if self.state().timer == t {
                    return Ok(());
                }
                self.state().timer = t;
                self.gov_stop(g);
                self.gov_start(g)
            }
            "userspace/set_freq" => {
                // The kernel ignores sscanf's result here and would use an uninitialised value; this refuses.
                let v = scan_ulong(buf).ok_or(EINVAL)?;
                let mut st = self.state();
                let old = st.user_freq;
                st.user_freq = Some(v);
                let r = self.update_locked(&mut st);
                if r.is_err() {
                    st.user_freq = old;
                }
                r
            }
            _ => Err(EINVAL),
        }
    }

    /// `dev_pm_qos_update_request` on the user's min (`min`) or max request: stores the node's value (the default
    /// for `PM_QOS_DEFAULT_VALUE`) and, when the aggregate changed, re-evaluates the frequency (the QoS notifier;
    /// its errors are only logged).
    fn qos_update(&self, min: bool, khz: i32) {
        let mut st = self.state();
        let node = if khz == QOS_DEFAULT_VALUE {
            if min {
                0
            } else {
                QOS_MAX_DEFAULT
            }
        } else {
            khz
        };
        let slot = if min {
            &mut st.qos_min_khz
        } else {
            &mut st.qos_max_khz
        };
        if *slot == node {
            return;
        }
        *slot = node;
        if self.update_locked(&mut st).is_err() {
            st.errors += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_follow_the_kernels_rules() {
        assert_eq!(scan_ulong("  42abc"), Some(42));
        assert_eq!(scan_ulong("\n7\n"), Some(7));
        assert_eq!(scan_ulong("-1"), None, "%lu takes no sign");
        assert_eq!(scan_ulong("+1"), None);
        assert_eq!(scan_ulong(""), None);
        assert_eq!(scan_ulong("x1"), None);
        assert_eq!(scan_ulong("18446744073709551616"), Some(0), "wraps");
        assert_eq!(kstrtoint("0"), Ok(0));
        assert_eq!(kstrtoint("0\n"), Ok(0));
        assert_eq!(kstrtoint("-0"), Ok(0));
        assert_eq!(kstrtoint("+5"), Ok(5));
        assert_eq!(kstrtoint(" 0"), Err(EINVAL));
        assert_eq!(kstrtoint("0 "), Err(EINVAL));
        assert_eq!(kstrtoint("0\n\n"), Err(EINVAL));
        assert_eq!(kstrtoint("2147483648"), Err(EINVAL));
        assert_eq!(scan_word("  performance\n", 15), "performance");
        assert_eq!(scan_word("simple_ondemandXYZ", 15), "simple_ondemand");
        assert_eq!(scan_word("   ", 15), "");
    }
}
