// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! PRIME: GEM objects shared between files as dma-buf file descriptors (`drm_prime.c`).
//!
//! A dma-buf here is a real file descriptor of this process — a memfd named `tyr-dmabuf`, as large as the object but
//! never written (its bytes are not the object's) — so that clients pass it around, `dup` it, send it over sockets
//! and close it like any other fd. The device keeps one descriptor of
//! its own per export together with a reference on the object, as the dma-buf's file holds the GEM object in the
//! kernel. An export lives as long as some descriptor of the client still refers to that file: before every export
//! and import the device looks through `/proc/self/fd` and releases the exports nobody holds any more.
//!
//! Objects are found again by the identity of the file (device and inode numbers from `fstat`), so any descriptor of
//! the same dma-buf imports the same object. A descriptor that is not one of this device's dma-bufs is `EINVAL`, one
//! that is not open at all `EBADF`, as upstream. While an export lives, its descriptors also answer the dma-buf
//! ioctls of [`crate::dma_buf`] (EXPORT/IMPORT_SYNC_FILE over the object's resv).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use super::gem::IntoGemObject;
use crate::alloc;
use crate::anon_file::{held_keys, key_of, last_os_error, FileKey};
use crate::dma_buf::{self, Registration};
use crate::error::code::{EBADF, EINVAL, ENOMEM};
use crate::error::Result;

struct Export<O> {
    /// Unregisters the dma-buf's sync_file ioctls; declared first so it goes before the descriptor closes.
    _ioctls: Registration,
    own: OwnedFd,
    key: FileKey,
    obj: Arc<O>,
}

/// The device's dma-bufs.
pub(crate) struct PrimeExports<O> {
    exports: Vec<Export<O>>,
}

impl<O> PrimeExports<O> {
    pub(crate) fn new() -> Self {
        PrimeExports {
            exports: Vec::new(),
        }
    }

    /// Drops every export (device teardown).
    pub(crate) fn clear(&mut self) {
        self.exports.clear();
    }

    /// Number of live exports.
    pub(crate) fn len(&self) -> usize {
        self.exports.len()
    }

    /// Releases the exports no descriptor of the process refers to besides the device's own (the dma-buf's last
    /// `fput`).
    pub(crate) fn reap(&mut self) {
        if self.exports.is_empty() {
            return;
        }
        let own = |fd: RawFd| self.exports.iter().any(|x| x.own.as_raw_fd() == fd);
        // Without /proc the device cannot tell; keep everything rather than break an import.
        let Some(held) = held_keys(own) else { return };
        self.exports.retain(|x| held.contains(&x.key));
    }

    /// The object behind the dma-buf `fd` (`drm_gem_prime_fd_to_handle`): `EBADF` if `fd` is not open, `EINVAL` if
    /// it is not one of this device's dma-bufs.
    pub(crate) fn import(&mut self, fd: RawFd) -> Result<Arc<O>> {
        let key = key_of(fd).ok_or(EBADF)?;
        self.reap();
        self.exports
            .iter()
            .find(|x| x.key == key)
            .map(|x| x.obj.clone())
            .ok_or(EINVAL)
    }
}

impl<O: IntoGemObject> PrimeExports<O> {
    /// A new descriptor for `obj`'s dma-buf, creating the dma-buf on first export (`drm_gem_prime_handle_to_fd`).
    /// The dma-buf answers the sync_file ioctls of [`crate::dma_buf`] over the object's resv.
    pub(crate) fn export(&mut self, obj: &Arc<O>, cloexec: bool) -> Result<RawFd> {
        let i = match self.exports.iter().position(|x| Arc::ptr_eq(&x.obj, obj)) {
            Some(i) => i,
            None => {
                self.exports.try_reserve(1).map_err(|_| ENOMEM)?;
                alloc::check()?;
                // SAFETY: the name is a NUL-terminated string; memfd_create has no other memory effects.
                let fd = unsafe { libc::memfd_create(c"tyr-dmabuf".as_ptr(), libc::MFD_CLOEXEC) };
                if fd < 0 {
                    return Err(last_os_error());
                }
                // SAFETY: `fd` was just returned by memfd_create and is owned by nobody else.
                let own = unsafe { OwnedFd::from_raw_fd(fd) };
                // The file's size is the dma-buf's (`dma_buf_getfile` sets i_size), so `fstat` and
                // `lseek(fd, 0, SEEK_END)` report it; importers such as Mesa size the import by it. Sparse: no memory.
                let size = libc::off_t::try_from(obj.gem().size()).map_err(|_| EINVAL)?;
                // SAFETY: resizing the memfd this function owns.
                if unsafe { libc::ftruncate(own.as_raw_fd(), size) } != 0 {
                    return Err(last_os_error());
                }
                let key = key_of(own.as_raw_fd()).ok_or(ENOMEM)?;
                let ioctls = dma_buf::register(key, obj.gem().resv())?;
                self.exports.push(Export {
                    _ioctls: ioctls,
                    own,
                    key,
                    obj: obj.clone(),
                });
                self.exports.len() - 1
            }
        };
        let cmd = if cloexec {
            libc::F_DUPFD_CLOEXEC
        } else {
            libc::F_DUPFD
        };
        // SAFETY: duplicating a descriptor the device owns; the new one belongs to the caller.
        let fd = unsafe { libc::fcntl(self.exports[i].own.as_raw_fd(), cmd, 0) };
        if fd < 0 {
            return Err(last_os_error());
        }
        // Released only now, after the caller's descriptor exists: the descriptors the device closes here are never
        // the number handed out (as upstream, whose released dma-buf files are not in the caller's table), and the
        // export just used is held by `fd`.
        self.reap();
        Ok(fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(fd: RawFd) {
        // SAFETY: closing a descriptor the test owns.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn export_import_round_trip_and_release_on_last_close() {
        let mut p = PrimeExports::new();
        let a = Arc::new(crate::drm::gem::GemObject::new(0x1000, None).unwrap());
        let fd = p.export(&a, true).unwrap();
        let fd2 = p.export(&a, false).unwrap();
        assert_ne!(fd, fd2);
        assert_eq!(p.len(), 1, "one dma-buf per object");
        assert!(Arc::ptr_eq(&p.import(fd2).unwrap(), &a));
        close(fd);
        assert!(
            Arc::ptr_eq(&p.import(fd2).unwrap(), &a),
            "still held by the second fd"
        );
        close(fd2);
        p.reap();
        assert_eq!(p.len(), 0);
        assert_eq!(
            Arc::strong_count(&a),
            1,
            "the export's reference went with the last fd"
        );
    }

    /// `dma_buf_getfile` gives the file the buffer's size: `fstat` and `lseek(SEEK_END)` report it (Mesa's import
    /// sizes the buffer that way).
    #[test]
    fn a_dma_buf_file_is_as_large_as_its_object() {
        let mut p = PrimeExports::new();
        let a = Arc::new(crate::drm::gem::GemObject::new(0x5000, None).unwrap());
        let fd = p.export(&a, true).unwrap();
        // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        // SAFETY: `fd` is open and `st` is writable.
        assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0);
        assert_eq!(st.st_size, 0x5000);
        // SAFETY: `fd` is open.
        assert_eq!(unsafe { libc::lseek(fd, 0, libc::SEEK_END) }, 0x5000);
        close(fd);
    }

    #[test]
    fn foreign_and_closed_descriptors() {
        let mut p = PrimeExports::<crate::drm::gem::GemObject>::new();
        let f = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(p.import(f.as_raw_fd()).err(), Some(EINVAL));
        assert_eq!(p.import(-1).err(), Some(EBADF));
        assert_eq!(p.import(1 << 20).err(), Some(EBADF));
    }
}
