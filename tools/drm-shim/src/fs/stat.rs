// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What the shim answers about a path or descriptor without opening it: `stat` and its variants, `readlink` of
//! `/proc/self/fd` links and device symlinks, `realpath`, `access` and `chmod`.

use super::*;

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
