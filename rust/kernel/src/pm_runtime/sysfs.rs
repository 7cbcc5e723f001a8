// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The runtime-PM files of a device's `power/` directory (`drivers/base/power/sysfs.c`,
//! `Documentation/ABI/testing/sysfs-devices-power`):
//!
//! | file | mode | read | write |
//! |---|---|---|---|
//! | `control` | 0644 | `auto` or `on` | `auto` allows runtime PM, `on` forbids it (keeps the device active); anything else `EINVAL` |
//! | `runtime_status` | 0444 | `active`, `suspended`, `suspending`, `resuming`; `error` after a failed callback, `unsupported` while runtime PM is disabled | — |
//! | `autosuspend_delay_ms` | 0644 | the delay, `EIO` when the device does not use autosuspend | a decimal `long` that fits an `int` (negative: never autosuspend), else `EINVAL`; `EIO` without autosuspend |
//! | `runtime_active_time` | 0444 | ms spent active | — |
//! | `runtime_suspended_time` | 0444 | ms spent suspended | — |
//! | `runtime_usage` | 0444 | the usage count (`CONFIG_PM_ADVANCED_DEBUG`) | — |
//! | `runtime_enabled` | 0444 | `enabled`, `disabled`, `forbidden` or `disabled & forbidden` (`CONFIG_PM_ADVANCED_DEBUG`) | — |
//!
//! Text is written with a trailing newline; a write accepts one trailing newline (`sysfs_streq`, `kstrtol`).

use std::sync::Arc;

use super::PmRuntime;
use crate::error::code::{EINVAL, EIO};
use crate::error::Result;
use crate::sysfs::{Attribute, AttributeSet};

/// The bytes of a sysfs write as the kernel sees them: the buffer is NUL-terminated, so a NUL ends the string.
fn as_c_str(buf: &[u8]) -> &[u8] {
    match buf.iter().position(|&b| b == 0) {
        Some(n) => &buf[..n],
        None => buf,
    }
}

/// `sysfs_streq`: equal, ignoring one trailing newline.
pub fn sysfs_streq(buf: &[u8], word: &str) -> bool {
    let s = as_c_str(buf);
    s == word.as_bytes() || s.strip_suffix(b"\n") == Some(word.as_bytes())
}

/// `kstrtol(buf, 10, ..)`: an optional sign, decimal digits, one optional trailing newline; `EINVAL` for anything
/// else, `ERANGE` when it does not fit a `long`.
pub fn kstrtol(buf: &[u8]) -> Result<i64> {
    let s = as_c_str(buf);
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(EINVAL);
    }
    let mut v: i128 = 0;
    for d in digits {
        v = v * 10 + i128::from(d - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return Err(crate::error::code::ERANGE);
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).map_err(|_| crate::error::code::ERANGE)
}

/// `control_show`.
pub fn control_show(pm: &PmRuntime) -> String {
    format!("{}\n", if pm.runtime_auto() { "auto" } else { "on" })
}

/// `control_store`: returns the whole write on success.
pub fn control_store(pm: &PmRuntime, buf: &[u8]) -> Result<usize> {
    if sysfs_streq(buf, "auto") {
        pm.allow();
    } else if sysfs_streq(buf, "on") {
        pm.forbid();
    } else {
        return Err(EINVAL);
    }
    Ok(buf.len())
}

/// `runtime_status_show`.
pub fn runtime_status_show(pm: &PmRuntime) -> String {
    let st = pm.shared.lock();
    let word = if st.runtime_error.is_some() {
        "error"
    } else if st.disable_depth > 0 {
        "unsupported"
    } else {
        st.status.as_str()
    };
    format!("{word}\n")
}

/// `autosuspend_delay_ms_show`.
pub fn autosuspend_delay_ms_show(pm: &PmRuntime) -> Result<String> {
    match pm.autosuspend() {
        (true, delay) => Ok(format!("{delay}\n")),
        (false, _) => Err(EIO),
    }
}

/// `autosuspend_delay_ms_store`.
pub fn autosuspend_delay_ms_store(pm: &PmRuntime, buf: &[u8]) -> Result<usize> {
    if !pm.autosuspend().0 {
        return Err(EIO);
    }
    let delay = kstrtol(buf).map_err(|_| EINVAL)?;
    let delay = i32::try_from(delay).map_err(|_| EINVAL)?;
    pm.set_autosuspend_delay(delay);
    Ok(buf.len())
}

/// `runtime_active_time_show`.
pub fn runtime_active_time_show(pm: &PmRuntime) -> String {
    format!("{}\n", pm.active_time_ns() / super::NSEC_PER_MSEC)
}

/// `runtime_suspended_time_show`.
pub fn runtime_suspended_time_show(pm: &PmRuntime) -> String {
    format!("{}\n", pm.suspended_time_ns() / super::NSEC_PER_MSEC)
}

/// `runtime_usage_show`.
pub fn runtime_usage_show(pm: &PmRuntime) -> String {
    format!("{}\n", pm.usage_count())
}

/// `runtime_enabled_show`.
pub fn runtime_enabled_show(pm: &PmRuntime) -> String {
    let (disabled, forbidden) = (!pm.enabled(), !pm.runtime_auto());
    let word = match (disabled, forbidden) {
        (true, true) => "disabled & forbidden",
        (true, false) => "disabled",
        (false, true) => "forbidden",
        (false, false) => "enabled",
    };
    format!("{word}\n")
}

/// The device behind an attribute, `ENODEV` once it is gone.
fn live(pm: &std::sync::Weak<PmRuntime>) -> Result<Arc<PmRuntime>> {
    pm.upgrade().ok_or(crate::error::code::ENODEV)
}

/// Registers the files of the table above under `power/` in `set` (`dpm_sysfs_add` with the runtime group and the
/// advanced-debug files).
pub fn add_power_attributes(set: &AttributeSet, pm: &Arc<PmRuntime>) -> Result {
    let ro = |name: &str, f: fn(&PmRuntime) -> String| {
        let pm = Arc::downgrade(pm);
        Attribute::read_only(
            &format!("power/{name}"),
            Box::new(move || Ok(f(&*live(&pm)?))),
        )
    };
    let p = Arc::downgrade(pm);
    let q = p.clone();
    set.add(Attribute::read_write(
        "power/control",
        Box::new(move || Ok(control_show(&*live(&p)?))),
        Box::new(move |b: &[u8]| control_store(&*live(&q)?, b)),
    ))?;
    set.add(ro("runtime_status", runtime_status_show))?;
    let p = Arc::downgrade(pm);
    let q = p.clone();
    set.add(Attribute::read_write(
        "power/autosuspend_delay_ms",
        Box::new(move || autosuspend_delay_ms_show(&*live(&p)?)),
        Box::new(move |b: &[u8]| autosuspend_delay_ms_store(&*live(&q)?, b)),
    ))?;
    set.add(ro("runtime_active_time", runtime_active_time_show))?;
    set.add(ro("runtime_suspended_time", runtime_suspended_time_show))?;
    set.add(ro("runtime_usage", runtime_usage_show))?;
    set.add(ro("runtime_enabled", runtime_enabled_show))?;
    Ok(())
}
