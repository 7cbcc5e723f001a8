// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The device's sysfs attributes: files under the platform device's directory
//! (`/sys/devices/platform/fb000000.gpu/...`) whose reads and writes reach the driver, registered by path in a
//! [`kernel::sysfs::AttributeSet`] and served by whoever presents that directory (the DRM shim).
//!
//! At probe the device registers the runtime-PM files of `power/` (`kernel::pm_runtime::sysfs`: `control`,
//! `runtime_status`, `autosuspend_delay_ms`, `runtime_active_time`, `runtime_suspended_time`, `runtime_usage`,
//! `runtime_enabled`). Other parts of the driver add theirs with [`add`] (`devfreq/<dev>/cur_freq`, ...), from a
//! `show() -> Result<String>` and, for writable files, a `store(&str) -> Result` that consumes the whole write.

use kernel::error::code::EINVAL;
use kernel::error::Result;
use kernel::sysfs::Attribute;

use crate::drm_device::TyrDrmDevice;

/// A writable attribute's handler of the written text.
pub type StoreText = Box<dyn Fn(&str) -> Result + Send + Sync>;

/// Every attribute's path, in registration order.
pub fn paths(dev: &TyrDrmDevice) -> Vec<String> {
    dev.data().sysfs().paths()
}

/// The mode of the attribute at `path` (`ENOENT` if there is none).
pub fn mode(dev: &TyrDrmDevice, path: &str) -> Result<u32> {
    dev.data()
        .sysfs()
        .find(path)
        .map(|a| a.mode())
        .ok_or(kernel::error::code::ENOENT)
}

/// A read of `path`: its whole text (`ENOENT` if there is no such attribute, else what its `show` returns).
pub fn read(dev: &TyrDrmDevice, path: &str) -> Result<Vec<u8>> {
    dev.data()
        .sysfs()
        .find(path)
        .ok_or(kernel::error::code::ENOENT)?
        .read()
}

/// A write of `buf` to `path`: the byte count the write returns, or its errno.
pub fn write(dev: &TyrDrmDevice, path: &str, buf: &[u8]) -> Result<usize> {
    dev.data()
        .sysfs()
        .find(path)
        .ok_or(kernel::error::code::ENOENT)?
        .write(buf)
}

/// Checks an open of `path` against its mode (`EACCES` for a direction it does not allow, `ENOENT` for no file).
pub fn check_open(dev: &TyrDrmDevice, path: &str, read: bool, write: bool) -> Result {
    dev.data().sysfs().check_open(path, read, write).map(drop)
}

/// Adds an attribute at `path`: read-only with `store` `None` (mode 0444), read-write otherwise (0644). `store`
/// gets the written text (`EINVAL` if it is not UTF-8) and consumes all of it. `EEXIST` if `path` is taken.
pub fn add(
    dev: &TyrDrmDevice,
    path: &str,
    show: impl Fn() -> Result<String> + Send + Sync + 'static,
    store: Option<StoreText>,
) -> Result {
    let show = Box::new(show);
    let attr = match store {
        None => Attribute::read_only(path, show),
        Some(store) => Attribute::read_write(
            path,
            show,
            Box::new(move |buf: &[u8]| {
                let text = core::str::from_utf8(buf).map_err(|_| EINVAL)?;
                store(text)?;
                Ok(buf.len())
            }),
        ),
    };
    dev.data().sysfs().add(attr)
}
