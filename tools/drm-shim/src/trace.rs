// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `TYR_SHIM_LOG=1`: one line on stderr per call the shim handles, with ioctls by name.

use std::fmt;
use std::sync::OnceLock;

use kernel::drm::ioctl::{ioc_nr, DRM_COMMAND_BASE, DRM_COMMAND_END};
use tyr::drm_device::TyrDrmFile;

/// Whether tracing is on (`TYR_SHIM_LOG` set to anything but empty or `0`).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("TYR_SHIM_LOG").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Whether a `tracing` subscriber (`TYR_LOG`) wants the shim's calls as events (target `tyr_shim`).
pub fn traced() -> bool {
    tracing::enabled!(target: "tyr_shim", tracing::Level::DEBUG)
}

/// Writes one trace line (with the pid, so forked children can be told apart), when tracing is on; and hands it to
/// the `tracing` subscriber as an event when one wants it.
pub fn line(args: fmt::Arguments<'_>) {
    if traced() {
        tracing::debug!(target: "tyr_shim", "{args}");
    }
    if !enabled() {
        return;
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let s = format!("tyr-shim[{pid}]: {args}\n");
    // One write(2) per line keeps lines from different threads whole; a failed trace write is not worth reporting.
    // SAFETY: `s` is a live buffer of `s.len()` bytes.
    let _ = unsafe { libc::write(2, s.as_ptr().cast(), s.len()) };
}

/// Traces a call and its result (`= value` or `= -1 ENAME`).
macro_rules! call {
    ($outcome:expr, $($fmt:tt)*) => {
        if $crate::trace::enabled() || $crate::trace::traced() {
            $crate::trace::line(format_args!("{} = {}", format_args!($($fmt)*), $crate::trace::Shown(&$outcome)));
        }
    };
}
pub(crate) use call;

/// Displays an [`crate::ffi::Outcome`] as strace does.
pub struct Shown<'a, R>(pub &'a crate::ffi::Outcome<R>);

impl<R: fmt::Debug> fmt::Display for Shown<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            crate::ffi::Outcome::Pass => write!(f, "(passed to libc)"),
            crate::ffi::Outcome::Done(r) => write!(f, "{r:?}"),
            crate::ffi::Outcome::Fail(e) => write!(f, "-1 {}", errno_name(*e)),
        }
    }
}

/// `EINVAL` for 22, and so on.
pub fn errno_name(e: i32) -> String {
    kernel::error::Error::from_errno(-e)
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("errno {e}"))
}

/// The name of ioctl `cmd`: `DRM_IOCTL_PANTHOR_<name>` for the driver's numbers, `DRM_IOCTL_<name>` for the DRM
/// core's (both from the tables the driver dispatches through), or the raw number.
pub fn ioctl_name(cmd: u32) -> String {
    match TyrDrmFile::ioctl_name(cmd) {
        Some(n) if (DRM_COMMAND_BASE..DRM_COMMAND_END).contains(&ioc_nr(cmd)) => {
            format!("DRM_IOCTL_PANTHOR_{n}")
        }
        Some(n) => format!("DRM_IOCTL_{n}"),
        None => format!("{cmd:#x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tyr::uapi::ioctl::{
        DRM_IOCTL_PANTHOR_BO_CREATE, DRM_IOCTL_SYNCOBJ_WAIT, DRM_IOCTL_VERSION,
    };

    #[test]
    fn ioctls_are_named_from_the_core_and_driver_tables() {
        assert_eq!(ioctl_name(DRM_IOCTL_VERSION), "DRM_IOCTL_VERSION");
        assert_eq!(ioctl_name(DRM_IOCTL_SYNCOBJ_WAIT), "DRM_IOCTL_SYNCOBJ_WAIT");
        assert_eq!(
            ioctl_name(DRM_IOCTL_PANTHOR_BO_CREATE),
            "DRM_IOCTL_PANTHOR_BO_CREATE"
        );
        assert_eq!(ioctl_name(0x5401), "0x5401");
        assert_eq!(
            ioctl_name(kernel::uapi::ioctl::DRM_IOCTL_GET_MAGIC),
            "DRM_IOCTL_GET_MAGIC"
        );
        assert_eq!(ioctl_name(0xc040_64a0), "DRM_IOCTL_MODE_GETRESOURCES");
    }
}
