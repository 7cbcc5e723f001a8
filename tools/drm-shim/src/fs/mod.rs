// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! How the shim answers for paths and descriptors: opening nodes and fake files, stat, links, directory listings.
//! The `extern "C"` entry points in [`crate::interpose`] only unpack arguments and call these.

use core::ffi::{c_char, c_int};
use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::device::{self, lookup, track, DrmOpen, SwSyncOpen, Tracked};
use crate::ffi::{errno, Outcome};
use crate::real;
use crate::trace;
use crate::vfs::{self, FakeStat, Minor, Node, Resolved};

mod dirs;
mod stat;
// The interposed entry points, compiled out of unit tests, are the users of these.
#[cfg_attr(test, allow(unused_imports))]
pub use dirs::{closedir, dirfd, fdopendir, opendir, readdir, rewinddir};
#[cfg_attr(test, allow(unused_imports))]
pub use stat::{access, chmod, readlink, realpath, stat_fd, stat_path};

/// `(st_dev, st_ino)` of a real descriptor.
pub fn fd_key(fd: c_int) -> Option<(u64, u64)> {
    let mut st = core::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` has room for a `struct stat`; an invalid `fd` only makes fstat fail.
    if unsafe { real::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded and filled `st`.
    let st = unsafe { st.assume_init() };
    Some((st.st_dev, st.st_ino))
}

/// Result of a libc call that returns -1 and sets errno on failure.
fn check(r: c_int) -> Outcome<c_int> {
    if r < 0 {
        Outcome::Fail(errno())
    } else {
        Outcome::Done(r)
    }
}

/// A fresh memfd named `name` to stand for something fake, close-on-exec when `flags` asks for it.
pub(crate) fn memfd_for(name: &str, flags: c_int) -> Result<c_int, i32> {
    memfd(name, flags)
}

fn memfd(name: &str, flags: c_int) -> Result<c_int, i32> {
    let name = CString::new(name).map_err(|_| libc::EINVAL)?;
    let mfd = if flags & libc::O_CLOEXEC != 0 {
        libc::MFD_CLOEXEC
    } else {
        0
    };
    // SAFETY: `name` is NUL-terminated; memfd_create has no other precondition.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), mfd) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

/// Opens DRM node `m`: a real descriptor (a memfd, so numbers never collide with the host's) that stands for a new
/// file of the driver.
fn open_node(m: Minor, flags: c_int) -> Outcome<c_int> {
    let fd = match memfd(&format!("tyr-drm-{}", m.name()), flags) {
        Ok(fd) => fd,
        Err(e) => return Outcome::Fail(e),
    };
    let opened = fd_key(fd)
        .ok_or(libc::EBADF)
        .and_then(|key| DrmOpen::open(m, key).map_err(|e| -e.to_errno()));
    match opened {
        Ok(d) => {
            track(fd, Tracked::Drm(d));
            Outcome::Done(fd)
        }
        Err(e) => {
            // SAFETY: `fd` is the memfd made above, owned here.
            unsafe { real::close(fd) };
            Outcome::Fail(e)
        }
    }
}

/// Opens debugfs `sync/sw_sync`: a real descriptor (a memfd) that stands for a new software sync timeline.
fn open_sw_sync(flags: c_int) -> Outcome<c_int> {
    let fd = match memfd("tyr-sw_sync", flags) {
        Ok(fd) => fd,
        Err(e) => return Outcome::Fail(e),
    };
    match fd_key(fd)
        .ok_or(libc::EBADF)
        .and_then(|key| SwSyncOpen::open(key).map_err(|e| -e.to_errno()))
    {
        Ok(t) => {
            track(fd, Tracked::SwSync(t));
            Outcome::Done(fd)
        }
        Err(e) => {
            // SAFETY: `fd` is the memfd made above, owned here.
            unsafe { real::close(fd) };
            Outcome::Fail(e)
        }
    }
}

/// Opens a fake sysfs attribute: a memfd holding its contents, positioned at the start.
fn open_file(path: &str, contents: &str, flags: c_int) -> Outcome<c_int> {
    if flags & libc::O_ACCMODE != libc::O_RDONLY {
        return Outcome::Fail(libc::EACCES);
    }
    let fd = match memfd(&format!("tyr-sysfs:{path}"), flags) {
        Ok(fd) => fd,
        Err(e) => return Outcome::Fail(e),
    };
    // SAFETY: `contents` is a live buffer of its length; `fd` is the memfd made above.
    let ok = unsafe {
        libc::write(fd, contents.as_ptr().cast(), contents.len()) == contents.len() as isize
            && libc::lseek(fd, 0, libc::SEEK_SET) == 0
    };
    if !ok {
        let e = errno();
        // SAFETY: `fd` is owned here.
        unsafe { real::close(fd) };
        return Outcome::Fail(e);
    }
    Outcome::Done(fd)
}

/// Opens a fake directory: a memfd tracked as that directory, for `fstat`, `openat` and `fdopendir`.
fn open_dir(path: &str, flags: c_int) -> Outcome<c_int> {
    if flags & libc::O_ACCMODE != libc::O_RDONLY {
        return Outcome::Fail(libc::EISDIR);
    }
    match memfd(&format!("tyr-dir:{path}"), flags) {
        Ok(fd) => {
            track(fd, Tracked::Dir(path.into()));
            Outcome::Done(fd)
        }
        Err(e) => Outcome::Fail(e),
    }
}

/// The absolute path `path` names relative to `dirfd`: itself when absolute, joined to a fake directory's path when
/// `dirfd` is one, `/proc/self/fd/N` for a number relative to an open `/proc/self/fd` (or `/proc/<pid>/fd`), `None`
/// otherwise (relative to the working directory or to another real directory: never fake).
pub fn at_path(dirfd: c_int, path: Option<&str>) -> Option<String> {
    let path = path?;
    if path.starts_with('/') {
        return Some(path.to_string());
    }
    match lookup(dirfd) {
        Some(Tracked::Dir(d)) => Some(format!("{d}/{path}")),
        Some(Tracked::Drm(_) | Tracked::SwSync(_) | Tracked::Attr(_)) => None,
        // Only a descriptor number can name one of ours there, so other names never cost the readlink.
        None if dirfd >= 0 && !path.is_empty() && path.bytes().all(|b| b.is_ascii_digit()) => {
            let dir = real_link(&format!("/proc/self/fd/{dirfd}"))?;
            proc_fd_number(&format!("{dir}/{path}")).map(|_| format!("/proc/self/fd/{path}"))
        }
        None => None,
    }
}

/// What the real symbolic link `path` points to.
fn real_link(path: &str) -> Option<String> {
    let c = CString::new(path).ok()?;
    let mut buf = [0u8; 256];
    // SAFETY: `c` is NUL-terminated and `buf` has the length passed.
    let n = unsafe {
        real::readlinkat(
            libc::AT_FDCWD,
            c.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = usize::try_from(n).ok().filter(|&n| n < buf.len())?;
    String::from_utf8(buf[..n].to_vec()).ok()
}

/// The descriptor number `N` of `/proc/self/fd/N`, `/proc/thread-self/fd/N` or `/proc/<own pid>/fd/N`.
fn proc_fd_number(path: &str) -> Option<c_int> {
    let rest = path.strip_prefix("/proc/")?;
    let (who, n) = rest.split_once("/fd/")?;
    // SAFETY: getpid has no preconditions.
    let own = who == "self"
        || who == "thread-self"
        || who.parse::<i32>().ok() == Some(unsafe { libc::getpid() });
    if !own || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// What `/proc/self/fd/N` leads to when `N` is a live descriptor of the shim; a number whose real descriptor is no
/// longer ours (closed behind the shim's back) is forgotten and `None`.
fn proc_fd_tracked(path: &str) -> Option<Tracked> {
    let fd = proc_fd_number(path)?;
    match lookup(fd)? {
        Tracked::Drm(d) if fd_key(fd) != Some(d.key) => {
            device::untrack(fd);
            None
        }
        Tracked::SwSync(t) if fd_key(fd) != Some(t.key) => {
            device::untrack(fd);
            None
        }
        t => Some(t),
    }
}

/// `open("/proc/self/fd/N")` of one of the shim's descriptors opens what it stands for again, as the kernel opens
/// the node behind the link: for a DRM node a **new** DRM file (its own handles, and the master and authentication
/// state any new open of that node gets), for a fake directory a new directory descriptor.
fn open_again(t: Tracked, flags: c_int) -> Outcome<c_int> {
    if flags & (libc::O_CREAT | libc::O_EXCL) == libc::O_CREAT | libc::O_EXCL {
        return Outcome::Fail(libc::EEXIST);
    }
    match t {
        Tracked::Drm(d) => open_node(d.minor, flags),
        Tracked::Dir(p) => open_dir(&p, flags),
        // Opening the debugfs file again makes another timeline.
        Tracked::SwSync(_) => open_sw_sync(flags),
        Tracked::Attr(a) => {
            crate::sysfs_attr::open(&format!("{}/{}", vfs::GPU_SYSFS, a.path), flags)
        }
    }
}

/// `open`/`openat` of `path` (already made absolute). `reopen` performs the real open of a rewritten path.
pub fn open(
    path: Option<&str>,
    flags: c_int,
    reopen: impl FnOnce(*const c_char) -> c_int,
) -> Outcome<c_int> {
    let Some(p) = path else { return Outcome::Pass };
    if let Some(t) = proc_fd_tracked(p) {
        let out = open_again(t, flags);
        trace::call!(out, "open({p:?}, {flags:#x})");
        return out;
    }
    let out = match vfs::resolve(p, flags & libc::O_NOFOLLOW == 0) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Error(e) => Outcome::Fail(e),
        Resolved::Real(r) => with_c(&r, |c| check(reopen(c))),
        Resolved::Fake(c, node) => {
            if flags & (libc::O_CREAT | libc::O_EXCL) == libc::O_CREAT | libc::O_EXCL {
                Outcome::Fail(libc::EEXIST)
            } else {
                match node {
                    Node::Chr(m) => open_node(*m, flags),
                    Node::SwSync => open_sw_sync(flags),
                    Node::File(s) => open_file(&c, s, flags),
                    Node::Attr(_) => crate::sysfs_attr::open(&c, flags),
                    Node::Dir => open_dir(&c, flags),
                    Node::Link(_) => Outcome::Fail(libc::ELOOP),
                }
            }
        }
    };
    trace::call!(out, "open({p:?}, {flags:#x})");
    out
}

fn with_c<R>(s: &str, f: impl FnOnce(*const c_char) -> Outcome<R>) -> Outcome<R> {
    match CString::new(s) {
        Ok(c) => f(c.as_ptr()),
        Err(_) => Outcome::Fail(libc::EINVAL),
    }
}

/// `fopen` of a fake file or node: the descriptor [`open`] gives, wrapped by libc's `fdopen`.
pub fn fopen(
    path: Option<&str>,
    mode: Option<&str>,
    refopen: impl FnOnce(*const c_char) -> *mut libc::FILE,
) -> Outcome<*mut libc::FILE> {
    let (Some(p), Some(m)) = (path, mode) else {
        return Outcome::Pass;
    };
    let r = match vfs::resolve(p, true) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Real(r) => {
            return with_c(&r, |c| {
                let f = refopen(c);
                if f.is_null() {
                    Outcome::Fail(errno())
                } else {
                    Outcome::Done(f)
                }
            })
        }
        _ => {
            let plus = m.contains('+');
            let flags = match m.as_bytes().first() {
                Some(b'r') if !plus => libc::O_RDONLY,
                Some(b'r' | b'w' | b'a') => libc::O_RDWR,
                _ => return Outcome::Fail(libc::EINVAL),
            } | if m.contains('e') { libc::O_CLOEXEC } else { 0 };
            match open(Some(p), flags, |_| -1) {
                Outcome::Done(fd) if matches!(lookup(fd), Some(Tracked::Attr(_))) => {
                    let cm = CString::new(m.replace('x', "")).unwrap_or_default();
                    match crate::sysfs_attr::fdopen(fd, &cm) {
                        Ok(f) => Outcome::Done(f),
                        Err(e) => {
                            device::untrack(fd);
                            // SAFETY: `fd` is owned here.
                            unsafe { real::close(fd) };
                            Outcome::Fail(e)
                        }
                    }
                }
                Outcome::Done(fd) => {
                    let cm = CString::new(m.replace('x', "")).unwrap_or_default();
                    // SAFETY: `fd` is the descriptor just opened and `cm` a NUL-terminated mode.
                    let f = unsafe { libc::fdopen(fd, cm.as_ptr()) };
                    if f.is_null() {
                        let e = errno();
                        device::untrack(fd);
                        // SAFETY: `fd` is owned here.
                        unsafe { real::close(fd) };
                        Outcome::Fail(e)
                    } else {
                        Outcome::Done(f)
                    }
                }
                Outcome::Fail(e) => Outcome::Fail(e),
                Outcome::Pass => Outcome::Fail(libc::ENOENT),
            }
        }
    };
    trace::call!(r, "fopen({p:?}, {m:?})");
    r
}
