// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Live sysfs attributes: files under the platform device's directory whose reads and writes reach the driver's
//! attribute set (`tyr::sysfs`), with the kernel's sysfs semantics (`fs/sysfs/file.c`, `fs/kernfs/file.c`):
//!
//! * `open` checks the file's mode: `EACCES` for writing a 0444 file (sysfs refuses it even to root);
//! * a `read` at offset 0 calls the attribute's `show` and returns its text from there on (a seq_file: later reads
//!   continue through the same text, a read at its end returns 0, `lseek(fd, 0, SEEK_SET)` shows again); an error
//!   from `show` is the read's (`EIO` for `power/autosuspend_delay_ms` of a device without autosuspend);
//! * each `write` goes to `store` on its own and returns what `store` returns: the byte count, or its errno
//!   (`EINVAL` for `power/control` = "off"); an empty write returns 0;
//! * `lseek` takes SEEK_SET and SEEK_CUR, and SEEK_END is `EINVAL`;
//! * `fopen` gives a stdio stream over the same (libc's stdio reads through its own internal calls, which the
//!   shim does not see, so the stream is a `fopencookie` one).
//!
//! The files are in the fake tree from the start ([`ATTRS`], with the directories on their way, so that `ls`,
//! `stat` and `access` work before the board boots); the first read or write of one boots it, as any access to the
//! device would on a running system. A unit test holds [`ATTRS`] to the driver's own list: an attribute the driver
//! registers at probe (`tyr::sysfs::add`) is added here too.

use core::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::device::{self, lookup, track, Tracked};
use crate::ffi::{errno, Outcome};
use crate::real;
use crate::vfs::GPU_SYSFS;

/// The attributes under [`GPU_SYSFS`] and their modes: what `tyr::sysfs` registers at probe.
pub const ATTRS: &[(&str, u32)] = &[
    ("power/control", 0o644),
    ("power/runtime_status", 0o444),
    ("power/autosuspend_delay_ms", 0o644),
    ("power/runtime_active_time", 0o444),
    ("power/runtime_suspended_time", 0o444),
    ("power/runtime_usage", 0o444),
    ("power/runtime_enabled", 0o444),
    ("devfreq/fb000000.gpu/name", 0o444),
    ("devfreq/fb000000.gpu/governor", 0o644),
    ("devfreq/fb000000.gpu/available_governors", 0o444),
    ("devfreq/fb000000.gpu/cur_freq", 0o444),
    ("devfreq/fb000000.gpu/available_frequencies", 0o444),
    ("devfreq/fb000000.gpu/target_freq", 0o444),
    ("devfreq/fb000000.gpu/min_freq", 0o644),
    ("devfreq/fb000000.gpu/max_freq", 0o644),
    ("devfreq/fb000000.gpu/trans_stat", 0o644),
    ("devfreq/fb000000.gpu/polling_interval", 0o644),
    ("devfreq/fb000000.gpu/timer", 0o644),
    ("devfreq/fb000000.gpu/userspace/set_freq", 0o644),
];

/// Descriptors open on attributes: while 0, `read`/`write`/`lseek` of any descriptor skip the lookup.
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// One open of an attribute (`struct kernfs_open_file`): its path under the device directory, and the text the
/// last `show` produced with the read position in it.
pub struct AttrOpen {
    /// Path relative to [`GPU_SYSFS`].
    pub path: String,
    /// `(st_dev, st_ino)` of the memfd standing for it.
    pub key: (u64, u64),
    seq: Mutex<(Vec<u8>, u64)>,
}

impl Drop for AttrOpen {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The attribute path under the device directory that absolute (canonical) `path` names.
fn relative(path: &str) -> Option<&str> {
    path.strip_prefix(GPU_SYSFS)?.strip_prefix('/')
}

fn dev() -> Result<&'static device::Booted, i32> {
    device::device().map_err(|e| -e.to_errno())
}

/// `open` of the attribute at canonical `path`.
pub fn open(path: &str, flags: c_int) -> Outcome<c_int> {
    let Some(rel) = relative(path) else {
        return Outcome::Fail(libc::ENOENT);
    };
    let acc = flags & libc::O_ACCMODE;
    let (read, write) = (acc != libc::O_WRONLY, acc != libc::O_RDONLY);
    let d = match dev() {
        Ok(d) => d,
        Err(e) => return Outcome::Fail(e),
    };
    if let Err(e) = tyr::sysfs::check_open(d.dev(), rel, read, write) {
        return Outcome::Fail(-e.to_errno());
    }
    let fd = match crate::fs::memfd_for(&format!("tyr-sysfs:{path}"), flags) {
        Ok(fd) => fd,
        Err(e) => return Outcome::Fail(e),
    };
    let Some(key) = crate::fs::fd_key(fd) else {
        let e = errno();
        // SAFETY: `fd` is the memfd made above, owned here.
        unsafe { real::close(fd) };
        return Outcome::Fail(e);
    };
    OPEN.fetch_add(1, Ordering::Relaxed);
    track(
        fd,
        Tracked::Attr(Arc::new(AttrOpen {
            path: rel.to_string(),
            key,
            seq: Mutex::new((Vec::new(), 0)),
        })),
    );
    Outcome::Done(fd)
}

/// The attribute open behind `fd`, if it is one (and still the descriptor the shim made).
fn attr(fd: c_int) -> Option<Arc<AttrOpen>> {
    if OPEN.load(Ordering::Relaxed) == 0 {
        return None;
    }
    match lookup(fd)? {
        Tracked::Attr(a) if crate::fs::fd_key(fd) == Some(a.key) => Some(a),
        Tracked::Attr(_) => {
            device::untrack(fd);
            None
        }
        _ => None,
    }
}

impl AttrOpen {
    fn read(&self, out: &mut [u8]) -> Result<usize, i32> {
        let mut seq = self.seq.lock();
        if seq.1 == 0 {
            let d = dev()?;
            seq.0 = tyr::sysfs::read(d.dev(), &self.path).map_err(|e| -e.to_errno())?;
        }
        let (text, pos) = &mut *seq;
        let start = (*pos as usize).min(text.len());
        let n = out.len().min(text.len() - start);
        out[..n].copy_from_slice(&text[start..start + n]);
        *pos += n as u64;
        Ok(n)
    }

    fn write(&self, buf: &[u8]) -> Result<usize, i32> {
        let d = dev()?;
        tyr::sysfs::write(d.dev(), &self.path, buf).map_err(|e| -e.to_errno())
    }

    fn seek(&self, off: i64, whence: c_int) -> Result<i64, i32> {
        let mut seq = self.seq.lock();
        let new = match whence {
            libc::SEEK_SET => off,
            libc::SEEK_CUR => (seq.1 as i64).checked_add(off).ok_or(libc::EINVAL)?,
            _ => return Err(libc::EINVAL),
        };
        if new < 0 {
            return Err(libc::EINVAL);
        }
        seq.1 = new as u64;
        Ok(new)
    }
}

fn outcome<T>(r: Result<T, i32>) -> Outcome<T> {
    match r {
        Ok(v) => Outcome::Done(v),
        Err(e) => Outcome::Fail(e),
    }
}

/// `read(2)` of an attribute descriptor; anything else passes.
pub fn read(fd: c_int, buf: *mut c_void, len: usize) -> Outcome<isize> {
    let Some(a) = attr(fd) else {
        return Outcome::Pass;
    };
    if len == 0 {
        return Outcome::Done(0);
    }
    // SAFETY: the caller gave a writable buffer of `len` bytes (read(2)'s contract).
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
    let r = outcome(a.read(out).map(|n| n as isize));
    crate::trace::call!(r, "read({fd}) of sysfs {}", a.path);
    r
}

/// `write(2)` to an attribute descriptor; anything else passes.
pub fn write(fd: c_int, buf: *const c_void, len: usize) -> Outcome<isize> {
    let Some(a) = attr(fd) else {
        return Outcome::Pass;
    };
    if len == 0 {
        return Outcome::Done(0);
    }
    // SAFETY: the caller gave a readable buffer of `len` bytes (write(2)'s contract).
    let data = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    let r = outcome(a.write(data).map(|n| n as isize));
    crate::trace::call!(r, "write({fd}) of sysfs {}", a.path);
    r
}

/// `lseek(2)` on an attribute descriptor; anything else passes.
pub fn lseek(fd: c_int, off: i64, whence: c_int) -> Outcome<i64> {
    match attr(fd) {
        Some(a) => outcome(a.seek(off, whence)),
        None => Outcome::Pass,
    }
}

// ---- stdio ----

/// glibc's `cookie_io_functions_t` (`<stdio.h>`, `_GNU_SOURCE`), which the `libc` crate does not declare.
#[repr(C)]
struct CookieIoFunctions {
    read: Option<unsafe extern "C" fn(*mut c_void, *mut c_char, usize) -> isize>,
    write: Option<unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> isize>,
    seek: Option<unsafe extern "C" fn(*mut c_void, *mut i64, c_int) -> c_int>,
    close: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
}

extern "C" {
    /// glibc's `fopencookie`: a stream whose I/O goes to the four functions.
    fn fopencookie(
        cookie: *mut c_void,
        mode: *const c_char,
        funcs: CookieIoFunctions,
    ) -> *mut libc::FILE;
}

/// The cookie of a stdio stream over an attribute: the open itself and the descriptor standing for it.
struct Cookie {
    open: Arc<AttrOpen>,
    fd: c_int,
}

unsafe extern "C" fn cookie_read(c: *mut c_void, buf: *mut c_char, len: usize) -> isize {
    // SAFETY: `c` is the `Cookie` boxed in `fopen` and alive until `cookie_close`.
    let c = unsafe { &*(c as *const Cookie) };
    // SAFETY: stdio passes a writable buffer of `len` bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
    match c.open.read(out) {
        Ok(n) => n as isize,
        Err(e) => {
            crate::ffi::set_errno(e);
            -1
        }
    }
}

unsafe extern "C" fn cookie_write(c: *mut c_void, buf: *const c_char, len: usize) -> isize {
    // SAFETY: as in `cookie_read`.
    let c = unsafe { &*(c as *const Cookie) };
    // SAFETY: stdio passes a readable buffer of `len` bytes.
    let data = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    match c.open.write(data) {
        Ok(n) => n as isize,
        // A write stdio sees fail is reported by fflush/fclose, with errno set.
        Err(e) => {
            crate::ffi::set_errno(e);
            -1
        }
    }
}

unsafe extern "C" fn cookie_seek(c: *mut c_void, off: *mut i64, whence: c_int) -> c_int {
    // SAFETY: as in `cookie_read`; `off` is stdio's valid in/out offset.
    let (c, off) = unsafe { (&*(c as *const Cookie), &mut *off) };
    match c.open.seek(*off, whence) {
        Ok(n) => {
            *off = n;
            0
        }
        Err(e) => {
            crate::ffi::set_errno(e);
            -1
        }
    }
}

unsafe extern "C" fn cookie_close(c: *mut c_void) -> c_int {
    // SAFETY: `c` was boxed in `fopen`; stdio calls close once.
    let c = unsafe { Box::from_raw(c as *mut Cookie) };
    device::untrack(c.fd);
    // SAFETY: the descriptor standing for the open, owned by the stream.
    unsafe { real::close(c.fd) }
}

/// Wraps the attribute descriptor `fd` (just opened) in a stdio stream with `mode`.
pub fn fdopen(fd: c_int, mode: &core::ffi::CStr) -> Result<*mut libc::FILE, i32> {
    let Some(Tracked::Attr(open)) = lookup(fd) else {
        return Err(libc::EBADF);
    };
    let cookie = Box::into_raw(Box::new(Cookie { open, fd }));
    let funcs = CookieIoFunctions {
        read: Some(cookie_read),
        write: Some(cookie_write),
        seek: Some(cookie_seek),
        close: Some(cookie_close),
    };
    // SAFETY: `cookie` stays valid until `cookie_close` frees it; `mode` is NUL-terminated.
    let f = unsafe { fopencookie(cookie.cast(), mode.as_ptr(), funcs) };
    if f.is_null() {
        let e = errno();
        // SAFETY: not handed to stdio: freed here.
        drop(unsafe { Box::from_raw(cookie) });
        return Err(e);
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_list_is_the_drivers() {
        let soc = rk3588_platform::Rk3588::new().unwrap();
        let dev = tyr::drm_device::probe(soc.gpu()).unwrap();
        let driver: Vec<(String, u32)> = tyr::sysfs::paths(&dev)
            .into_iter()
            .map(|p| {
                let m = tyr::sysfs::mode(&dev, &p).unwrap();
                (p, m)
            })
            .collect();
        let ours: Vec<(String, u32)> = ATTRS.iter().map(|(p, m)| (p.to_string(), *m)).collect();
        assert_eq!(ours, driver);
        drop(dev);
    }
}
