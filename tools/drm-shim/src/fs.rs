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

/// `stat`-like calls on `path` (absolute); `follow` is false for `lstat`/`AT_SYMLINK_NOFOLLOW`. `fill` receives the
/// fake stat; `restat` performs the real call on a rewritten path.
pub fn stat_path(
    path: Option<&str>,
    follow: bool,
    fill: impl FnOnce(&FakeStat),
    restat: impl FnOnce(*const c_char) -> c_int,
) -> Outcome<c_int> {
    let Some(p) = path else { return Outcome::Pass };
    if follow {
        // `/proc/self/fd/N` is a link to the node: stat follows it.
        match proc_fd_tracked(p) {
            Some(Tracked::Drm(d)) => {
                fill(&FakeStat::of_minor(d.minor));
                trace::line(format_args!("stat({p:?}) = fake node"));
                return Outcome::Done(0);
            }
            Some(Tracked::Dir(dir)) => {
                fill(&FakeStat::of(&dir, &Node::Dir));
                return Outcome::Done(0);
            }
            Some(Tracked::SwSync(_)) => {
                fill(&FakeStat::of(vfs::SW_SYNC_PATH, &Node::SwSync));
                return Outcome::Done(0);
            }
            Some(Tracked::Attr(a)) => {
                let path = format!("{}/{}", vfs::GPU_SYSFS, a.path);
                if let Resolved::Fake(c, node) = vfs::resolve(&path, true) {
                    fill(&FakeStat::of(&c, node));
                    return Outcome::Done(0);
                }
            }
            None => {}
        }
    }
    let out = match vfs::resolve(p, follow) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Error(e) => Outcome::Fail(e),
        Resolved::Real(r) => with_c(&r, |c| check(restat(c))),
        Resolved::Fake(c, node) => {
            fill(&FakeStat::of(&c, node));
            Outcome::Done(0)
        }
    };
    trace::call!(out, "stat({p:?})");
    out
}

/// The fake stat of a tracked descriptor, checked against the real one so that a number the host reused (closed
/// behind the shim's back) is forgotten and passed on.
pub fn stat_fd(fd: c_int) -> Option<FakeStat> {
    let t = lookup(fd)?;
    let st = match t {
        Tracked::Drm(d) => {
            if fd_key(fd) != Some(d.key) {
                device::untrack(fd);
                return None;
            }
            FakeStat::of_minor(d.minor)
        }
        Tracked::Dir(p) => FakeStat::of(&p, &Node::Dir),
        Tracked::SwSync(t) => {
            if fd_key(fd) != Some(t.key) {
                device::untrack(fd);
                return None;
            }
            FakeStat::of(vfs::SW_SYNC_PATH, &Node::SwSync)
        }
        Tracked::Attr(a) => {
            if fd_key(fd) != Some(a.key) {
                device::untrack(fd);
                return None;
            }
            let path = format!("{}/{}", vfs::GPU_SYSFS, a.path);
            match vfs::resolve(&path, true) {
                Resolved::Fake(c, node) => FakeStat::of(&c, node),
                _ => return None,
            }
        }
    };
    trace::line(format_args!("fstat({fd}) = fake mode {:#o}", st.mode));
    Some(st)
}

/// What `/proc/self/fd/N` shows for a tracked descriptor.
fn proc_fd_target(path: &str) -> Option<String> {
    match proc_fd_tracked(path)? {
        Tracked::Drm(d) => Some(d.minor.dev_path().to_string()),
        Tracked::Dir(p) => Some(p.to_string()),
        Tracked::SwSync(_) => Some(vfs::SW_SYNC_PATH.to_string()),
        Tracked::Attr(a) => Some(format!("{}/{}", vfs::GPU_SYSFS, a.path)),
    }
}

/// `readlink` of `path` (absolute) into `buf`: fake links, and `/proc/self/fd/N` of DRM descriptors (IGT's
/// `drm_close_driver` checks it names `/dev/dri/...`).
pub fn readlink(
    path: Option<&str>,
    buf: *mut c_char,
    len: usize,
    reread: impl FnOnce(*const c_char) -> isize,
) -> Outcome<isize> {
    let Some(p) = path else { return Outcome::Pass };
    let target = match proc_fd_target(p) {
        Some(t) => Ok(t),
        None => match vfs::resolve(p, false) {
            Resolved::Untouched => return Outcome::Pass,
            Resolved::Error(e) => Err(e),
            Resolved::Real(r) => {
                return with_c(&r, |c| match reread(c) {
                    n if n < 0 => Outcome::Fail(errno()),
                    n => Outcome::Done(n),
                })
            }
            Resolved::Fake(_, Node::Link(t)) => Ok(t.clone()),
            Resolved::Fake(..) => Err(libc::EINVAL),
        },
    };
    let out = match target {
        Ok(t) => {
            let n = t.len().min(len);
            // SAFETY: the caller gave `len` writable bytes at `buf`; `n <= len` and `t` has at least `n` bytes.
            unsafe { core::ptr::copy_nonoverlapping(t.as_ptr(), buf.cast(), n) };
            Outcome::Done(n as isize)
        }
        Err(e) => Outcome::Fail(e),
    };
    trace::call!(out, "readlink({p:?})");
    out
}

/// Copies `s` into the caller's `PATH_MAX` buffer, or a `malloc`ed one when `out` is NULL (as realpath does).
fn c_out(s: &str, out: *mut c_char) -> Outcome<*mut c_char> {
    if s.len() >= libc::PATH_MAX as usize {
        return Outcome::Fail(libc::ENAMETOOLONG);
    }
    let dst = if out.is_null() {
        // SAFETY: malloc has no preconditions; the caller frees the result, as with realpath.
        let p = unsafe { libc::malloc(s.len() + 1) }.cast::<c_char>();
        if p.is_null() {
            return Outcome::Fail(libc::ENOMEM);
        }
        p
    } else {
        out
    };
    // SAFETY: `dst` has room for `s.len() + 1 <= PATH_MAX` bytes (the caller's buffer is PATH_MAX long).
    unsafe {
        core::ptr::copy_nonoverlapping(s.as_ptr(), dst.cast(), s.len());
        *dst.add(s.len()) = 0;
    }
    Outcome::Done(dst)
}

/// `realpath`: the canonical fake path, or the real path a fake link leads to.
pub fn realpath(path: Option<&str>, out: *mut c_char) -> Outcome<*mut c_char> {
    let Some(p) = path else { return Outcome::Pass };
    let r = match vfs::resolve(p, true) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Error(e) => Outcome::Fail(e),
        Resolved::Fake(c, _) => c_out(&c, out),
        Resolved::Real(r) => {
            let canon = CString::new(r.clone()).ok().and_then(|c| {
                let mut buf = [0 as c_char; libc::PATH_MAX as usize];
                // SAFETY: `c` is NUL-terminated and `buf` is PATH_MAX bytes.
                let p = unsafe { real::realpath(c.as_ptr(), buf.as_mut_ptr()) };
                // SAFETY: on success `buf` holds a NUL-terminated path.
                (!p.is_null())
                    .then(|| unsafe { crate::ffi::c_str(buf.as_ptr()) }.map(str::to_string))
                    .flatten()
            });
            // Where the host lacks the real directory (no sysfs), the lexical path still names it.
            c_out(canon.as_deref().unwrap_or(&r), out)
        }
    };
    trace::call!(r, "realpath({p:?})");
    r
}

/// `access`: fake nodes exist; sysfs attributes and directories are not writable.
pub fn access(
    path: Option<&str>,
    mode: c_int,
    reaccess: impl FnOnce(*const c_char) -> c_int,
) -> Outcome<c_int> {
    let Some(p) = path else { return Outcome::Pass };
    let out = match vfs::resolve(p, true) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Error(e) => Outcome::Fail(e),
        Resolved::Real(r) => with_c(&r, |c| check(reaccess(c))),
        Resolved::Fake(_, Node::File(_) | Node::Dir) if mode & libc::W_OK != 0 => {
            Outcome::Fail(libc::EACCES)
        }
        Resolved::Fake(_, Node::Attr(m)) if mode & libc::W_OK != 0 && m & 0o200 == 0 => {
            Outcome::Fail(libc::EACCES)
        }
        Resolved::Fake(..) => Outcome::Done(0),
    };
    trace::call!(out, "access({p:?}, {mode:#o})");
    out
}

/// `chmod`: a fake node takes the new permission bits when the caller may change a root-owned file's mode, else
/// `EPERM`; real paths go to libc (`rechmod`).
pub fn chmod(
    path: Option<&str>,
    mode: u32,
    rechmod: impl FnOnce(*const c_char) -> c_int,
) -> Outcome<c_int> {
    let Some(p) = path else { return Outcome::Pass };
    let out = match vfs::resolve(p, true) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Error(e) => Outcome::Fail(e),
        Resolved::Real(r) => with_c(&r, |c| check(rechmod(c))),
        Resolved::Fake(..) if !device::owns_root_files() => Outcome::Fail(libc::EPERM),
        Resolved::Fake(c, _) => {
            vfs::set_mode(&c, mode);
            Outcome::Done(0)
        }
    };
    trace::call!(out, "chmod({p:?}, {mode:#o})");
    out
}

/// A fake directory stream. `opendir` hands out a pointer to one as the `DIR *`; [`DIRS`] knows which pointers are
/// ours.
struct FakeDir {
    ent: libc::dirent64,
    entries: Vec<(String, u8, u64)>,
    pos: usize,
    fd: c_int,
}

static DIRS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static DIR_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Opens a directory stream over fake directory `path` (canonical), on tracked descriptor `fd`.
fn fake_dir(path: &str, fd: c_int) -> *mut libc::DIR {
    let mut entries = vec![
        (".".to_string(), libc::DT_DIR, vfs::inode(path)),
        ("..".to_string(), libc::DT_DIR, 2),
    ];
    entries.extend(vfs::list(path));
    // SAFETY: `dirent64` is plain old data; all-zero is valid.
    let ent = unsafe { core::mem::zeroed() };
    let p = Box::into_raw(Box::new(FakeDir {
        ent,
        entries,
        pos: 0,
        fd,
    })) as usize;
    let mut d = DIRS.lock();
    d.push(p);
    DIR_COUNT.store(d.len(), Ordering::Release);
    p as *mut libc::DIR
}

fn is_fake_dir(dir: *mut libc::DIR) -> bool {
    DIR_COUNT.load(Ordering::Acquire) != 0 && DIRS.lock().contains(&(dir as usize))
}

/// `opendir` of `path` (absolute).
pub fn opendir(path: Option<&str>) -> Outcome<*mut libc::DIR> {
    let Some(p) = path else { return Outcome::Pass };
    let out = match vfs::resolve(p, true) {
        Resolved::Untouched => return Outcome::Pass,
        Resolved::Error(e) => Outcome::Fail(e),
        Resolved::Real(r) => with_c(&r, |c| {
            // SAFETY: `c` is NUL-terminated.
            let d = unsafe { real::opendir(c) };
            if d.is_null() {
                Outcome::Fail(errno())
            } else {
                Outcome::Done(d)
            }
        }),
        Resolved::Fake(c, Node::Dir) => match open_dir(&c, libc::O_RDONLY | libc::O_CLOEXEC) {
            Outcome::Done(fd) => Outcome::Done(fake_dir(&c, fd)),
            Outcome::Fail(e) => Outcome::Fail(e),
            Outcome::Pass => Outcome::Fail(libc::EIO),
        },
        Resolved::Fake(..) => Outcome::Fail(libc::ENOTDIR),
    };
    trace::call!(out, "opendir({p:?})");
    out
}

/// `fdopendir` of a descriptor the shim opened on a fake directory.
pub fn fdopendir(fd: c_int) -> Outcome<*mut libc::DIR> {
    match lookup(fd) {
        Some(Tracked::Dir(p)) => Outcome::Done(fake_dir(&p, fd)),
        _ => Outcome::Pass,
    }
}

/// `readdir64` on a fake stream (`readdir` too: `struct dirent` and `dirent64` are the same on 64-bit Linux).
pub fn readdir(dir: *mut libc::DIR) -> Outcome<*mut libc::dirent64> {
    if !is_fake_dir(dir) {
        return Outcome::Pass;
    }
    // SAFETY: `dir` is one of ours (registered), a live `FakeDir` from `Box::into_raw`; the caller owns the stream,
    // and streams are not shared between threads without the caller's own locking (POSIX).
    let d = unsafe { &mut *(dir as *mut FakeDir) };
    let Some((name, ty, ino)) = d.entries.get(d.pos) else {
        return Outcome::Done(core::ptr::null_mut());
    };
    d.pos += 1;
    let n = name.len().min(d.ent.d_name.len() - 1);
    d.ent.d_ino = *ino;
    d.ent.d_off = d.pos as i64;
    d.ent.d_type = *ty;
    d.ent.d_reclen = core::mem::size_of::<libc::dirent64>() as u16;
    d.ent.d_name = [0; 256];
    for (dst, src) in d.ent.d_name.iter_mut().zip(name.bytes().take(n)) {
        *dst = src as c_char;
    }
    Outcome::Done(&mut d.ent)
}

/// `closedir` of a fake stream.
pub fn closedir(dir: *mut libc::DIR) -> Outcome<c_int> {
    let mine = {
        let mut d = DIRS.lock();
        let before = d.len();
        d.retain(|&p| p != dir as usize);
        DIR_COUNT.store(d.len(), Ordering::Release);
        d.len() != before
    };
    if !mine {
        return Outcome::Pass;
    }
    // SAFETY: `dir` was registered, so it came from `Box::into_raw` in `fake_dir`, and unregistering it above makes
    // this the only release.
    let d = unsafe { Box::from_raw(dir as *mut FakeDir) };
    device::untrack(d.fd);
    // SAFETY: the stream owned `d.fd`.
    unsafe { real::close(d.fd) };
    Outcome::Done(0)
}

/// `rewinddir` of a fake stream.
pub fn rewinddir(dir: *mut libc::DIR) -> Outcome<()> {
    if !is_fake_dir(dir) {
        return Outcome::Pass;
    }
    // SAFETY: as in `readdir`.
    unsafe { (*(dir as *mut FakeDir)).pos = 0 };
    Outcome::Done(())
}

/// `dirfd` of a fake stream.
pub fn dirfd(dir: *mut libc::DIR) -> Outcome<c_int> {
    if !is_fake_dir(dir) {
        return Outcome::Pass;
    }
    // SAFETY: as in `readdir`.
    Outcome::Done(unsafe { (*(dir as *mut FakeDir)).fd })
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
