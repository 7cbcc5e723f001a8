// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Directory listings of the fake trees (`/dev/dri`, sysfs, debugfs): `opendir`, `fdopendir`, `readdir`, `closedir`,
//! `rewinddir` and `dirfd` on fake directory streams that libc never sees.

use super::*;

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
