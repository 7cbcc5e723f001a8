// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Device attributes (`struct device_attribute`, `fs/sysfs/file.c`): files under a device's sysfs directory whose
//! reads call a `show` and whose writes call a `store`, each with a mode.
//!
//! A driver registers its attributes in an [`AttributeSet`] under paths relative to the device directory
//! (`power/control`, `devfreq/<dev>/cur_freq`); whoever presents the device's directory (here the DRM shim) serves
//! them by path. The buffer rules are sysfs's (`sysfs_kf_read`, `sysfs_kf_write`):
//!
//! * a read calls `show` once and returns at most one page of its text; an error from `show` is the read's error;
//! * a write of 0 bytes returns 0 without calling `store`; a longer one is cut to one page less one byte (the kernel
//!   NUL-terminates the buffer) and `store`'s return value is the write's (a byte count, or the errno).

use std::sync::Arc;

use crate::error::code::{EACCES, EEXIST, EIO};
use crate::error::Result;
use crate::sync::Mutex;

/// The page a sysfs buffer holds (`PAGE_SIZE`).
pub const PAGE_SIZE: usize = 4096;

/// What a read of the attribute returns.
pub type ShowFn = Box<dyn Fn() -> Result<String> + Send + Sync>;
/// What a write to the attribute does with the bytes written; returns how many it consumed.
pub type StoreFn = Box<dyn Fn(&[u8]) -> Result<usize> + Send + Sync>;

/// One attribute file.
pub struct Attribute {
    path: String,
    mode: u32,
    show: Option<ShowFn>,
    store: Option<StoreFn>,
}

impl Attribute {
    /// A read-only attribute (mode 0444, `DEVICE_ATTR_RO`).
    pub fn read_only(path: &str, show: ShowFn) -> Self {
        Self {
            path: path.into(),
            mode: 0o444,
            show: Some(show),
            store: None,
        }
    }

    /// A read-write attribute (mode 0644, `DEVICE_ATTR_RW`).
    pub fn read_write(path: &str, show: ShowFn, store: StoreFn) -> Self {
        Self {
            path: path.into(),
            mode: 0o644,
            show: Some(show),
            store: Some(store),
        }
    }

    /// The path under the device directory.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The permission bits.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// A read (`sysfs_kf_read`): the text `show` emits, at most [`PAGE_SIZE`] bytes. `EIO` without a `show`.
    pub fn read(&self) -> Result<Vec<u8>> {
        let show = self.show.as_ref().ok_or(EIO)?;
        let mut text = show()?.into_bytes();
        text.truncate(PAGE_SIZE);
        Ok(text)
    }

    /// A write (`sysfs_kf_write`): 0 for an empty write, else what `store` returns for the first
    /// `PAGE_SIZE - 1` bytes. `EIO` without a `store` (the mode keeps such files from being opened for writing).
    pub fn write(&self, buf: &[u8]) -> Result<usize> {
        let store = self.store.as_ref().ok_or(EIO)?;
        if buf.is_empty() {
            return Ok(0);
        }
        store(&buf[..buf.len().min(PAGE_SIZE - 1)])
    }
}

/// A device's attributes, looked up by path.
#[derive(Default)]
pub struct AttributeSet {
    attrs: Mutex<Vec<Arc<Attribute>>>,
}

impl AttributeSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `attr`. `EEXIST` if the path is taken (`sysfs_add_file` refuses duplicates).
    pub fn add(&self, attr: Attribute) -> Result {
        let mut attrs = self.attrs.lock();
        if attrs.iter().any(|a| a.path == attr.path) {
            return Err(EEXIST);
        }
        crate::alloc::try_push(&mut attrs, crate::alloc::try_arc(attr)?)?;
        Ok(())
    }

    /// Removes the attribute at `path`, if any.
    pub fn remove(&self, path: &str) {
        self.attrs.lock().retain(|a| a.path != path);
    }

    /// The attribute at `path`.
    pub fn find(&self, path: &str) -> Option<Arc<Attribute>> {
        self.attrs.lock().iter().find(|a| a.path == path).cloned()
    }

    /// Every attribute's path, in registration order.
    pub fn paths(&self) -> Vec<String> {
        self.attrs.lock().iter().map(|a| a.path.clone()).collect()
    }

    /// Checks an open of `path` for reading and/or writing against its mode: `EACCES` for a direction the mode does
    /// not allow (sysfs refuses such an open even for root, as the attribute has no callback behind it).
    pub fn check_open(&self, path: &str, read: bool, write: bool) -> Result<Arc<Attribute>> {
        let a = self.find(path).ok_or(crate::error::code::ENOENT)?;
        if (read && a.mode & 0o444 == 0) || (write && a.mode & 0o222 == 0) {
            return Err(EACCES);
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code::{EINVAL, ENOENT};

    fn set() -> AttributeSet {
        let s = AttributeSet::new();
        s.add(Attribute::read_only("a", Box::new(|| Ok("1\n".into()))))
            .unwrap();
        s.add(Attribute::read_write(
            "dir/b",
            Box::new(|| Ok("x\n".into())),
            Box::new(|b: &[u8]| if b == b"ok" { Ok(b.len()) } else { Err(EINVAL) }),
        ))
        .unwrap();
        s
    }

    #[test]
    fn reads_and_writes_go_to_show_and_store() {
        let s = set();
        assert_eq!(s.find("a").unwrap().read().unwrap(), b"1\n");
        let b = s.find("dir/b").unwrap();
        assert_eq!(b.write(b"ok"), Ok(2));
        assert_eq!(b.write(b"no"), Err(EINVAL));
        assert_eq!(b.write(b""), Ok(0), "an empty write never reaches store");
        assert_eq!(s.paths(), ["a", "dir/b"]);
    }

    #[test]
    fn modes_and_paths_are_enforced() {
        let s = set();
        assert_eq!(s.check_open("a", false, true).err(), Some(EACCES));
        assert!(s.check_open("a", true, false).is_ok());
        assert!(s.check_open("dir/b", true, true).is_ok());
        assert_eq!(s.check_open("c", true, false).err(), Some(ENOENT));
        assert_eq!(
            s.add(Attribute::read_only("a", Box::new(|| Ok(String::new())))),
            Err(EEXIST)
        );
        s.remove("a");
        assert!(s.find("a").is_none());
    }

    #[test]
    fn long_writes_are_cut_to_a_page_less_one() {
        let s = AttributeSet::new();
        s.add(Attribute::read_write(
            "w",
            Box::new(|| Ok(String::new())),
            Box::new(|b: &[u8]| Ok(b.len())),
        ))
        .unwrap();
        assert_eq!(
            s.find("w").unwrap().write(&[b'1'; 10_000]),
            Ok(PAGE_SIZE - 1)
        );
    }
}
