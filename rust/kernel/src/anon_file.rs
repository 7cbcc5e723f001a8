// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Kernel objects that user space holds as real file descriptors of this process (`anon_inode_getfile`): sync_files
//! and syncobj files.
//!
//! Each such file is the read end of a pipe whose write end the kernel side keeps. The write end keeps the pipe's
//! inode allocated, which makes `(st_dev, st_ino)` from `fstat` a stable identity while the file lives: any
//! descriptor of the file (`dup`, `SCM_RIGHTS`, `fork`) finds the object again. An eventfd could not do this, since
//! every eventfd shares one anonymous inode.
//!
//! What `poll` reports is the pipe's: readable once one byte was written. A sync_file gets that byte from a callback
//! on its fence (registered when the file is made, so the fence-signalling path only does a `write(2)` of one byte
//! from the stack, never an allocation); a syncobj file gets it at creation, because upstream's syncobj file has no
//! `poll` and so always reports the default mask (readable).
//!
//! A file lives as long as some descriptor of it is open anywhere (the file's last `fput`): once none is, the pipe
//! has no reader left and its write end polls `POLLERR`. Before each new file is made the kernel side releases the
//! files in that state. Descriptors in flight in a socket message or held by a child process count, as they do
//! upstream.
//!
//! # Fork
//! The registry remembers the process it belongs to. In a fork child the inherited entries are forgotten, never
//! dropped (they refer to objects whose fences the parent's threads signal), so an inherited descriptor answers
//! as a foreign file would. A program that forks while other threads run should hold the registries across the
//! fork ([`fork_prepare`], [`fork_parent`], [`fork_child`]), so the child never inherits one locked by a thread it
//! does not have.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::dma_fence::{CallbackId, DmaFence};
use crate::drm::syncobj::Syncobj;
use crate::error::code::{EMFILE, ENFILE, ENOENT, ENOMEM};
use crate::error::{Error, Result};
use crate::sync_file::SyncFile;

/// `(st_dev, st_ino)` of an open file: its identity.
pub type FileKey = (u64, u64);

/// The identity of the file `fd` refers to, `None` if `fd` is not open.
pub fn key_of(fd: RawFd) -> Option<FileKey> {
    let mut st = core::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fstat` writes a full `struct stat` into the buffer on success and touches nothing else; an invalid
    // `fd` only makes it fail with EBADF.
    let r = unsafe { libc::fstat(fd, st.as_mut_ptr()) };
    if r != 0 {
        return None;
    }
    // SAFETY: `fstat` succeeded, so the struct is initialised.
    let st = unsafe { st.assume_init() };
    Some((st.st_dev, st.st_ino))
}

/// The errno of a failed descriptor-making call, as the kernel reports running out: `EMFILE`, `ENFILE`, else
/// `ENOMEM`.
pub(crate) fn last_os_error() -> Error {
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EMFILE) => EMFILE,
        Some(libc::ENFILE) => ENFILE,
        _ => ENOMEM,
    }
}

/// The identities of every file the process holds open, leaving out the descriptors `own` claims (the kernel
/// side's). `None` when `/proc/self/fd` cannot be read: callers then keep everything.
pub(crate) fn held_keys(own: impl Fn(RawFd) -> bool) -> Option<Vec<FileKey>> {
    let dir = fs::read_dir("/proc/self/fd").ok()?;
    let mut held = Vec::new();
    for e in dir.flatten() {
        let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<RawFd>().ok()) else {
            continue;
        };
        if own(fd) {
            continue;
        }
        if let Some(k) = key_of(fd) {
            held.push(k);
        }
    }
    Some(held)
}

/// What an anonymous file holds (`file->private_data`).
#[derive(Clone)]
pub enum AnonObject {
    /// A sync_file.
    SyncFile(Arc<SyncFile>),
    /// A syncobj file (SYNCOBJ_HANDLE_TO_FD without flags).
    Syncobj(Arc<Syncobj>),
}

/// Writes the one byte that makes the file readable. Runs in fence callbacks: no allocation, never blocks (the
/// write end is non-blocking and the pipe holds at most this byte). A file whose readers are all gone makes the
/// write fail with `EPIPE` and raise `SIGPIPE` at this thread; the signal is blocked around the write and the one it
/// raised taken back, so the calling thread and the process never see it.
fn make_readable(writer: &OwnedFd) {
    let byte = 1u8;
    let mut pipe_set = core::mem::MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = core::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset/sigaddset initialise the set; pthread_sigmask writes the old mask into `old`.
    let masked = unsafe {
        libc::sigemptyset(pipe_set.as_mut_ptr());
        libc::sigaddset(pipe_set.as_mut_ptr(), libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, pipe_set.as_ptr(), old.as_mut_ptr()) == 0
    };
    // SAFETY: writes one byte from a live local to a descriptor the entry owns.
    let r = unsafe { libc::write(writer.as_raw_fd(), (&byte as *const u8).cast(), 1) };
    if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EPIPE) {
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: takes the SIGPIPE this write left pending on this thread (blocked above), without waiting.
        unsafe { libc::sigtimedwait(pipe_set.as_ptr(), core::ptr::null_mut(), &zero) };
    }
    if masked {
        // SAFETY: restores the mask saved above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old.as_ptr(), core::ptr::null_mut()) };
    }
}

/// What `poll` reports for `fd` now (zero timeout), for `events`; 0 when nothing is ready or `poll` fails.
fn poll_now(fd: RawFd, events: i16) -> i16 {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n == 1 {
        p.revents
    } else {
        0
    }
}

/// Whether `fd` polls readable now: for a sync_file, whether its fence has signalled.
pub fn readable(fd: RawFd) -> bool {
    poll_now(fd, libc::POLLIN) & libc::POLLIN != 0
}

/// Whether some descriptor still refers to the pipe whose write end is `writer` (no reader left: `POLLERR`).
fn has_readers(writer: &OwnedFd) -> bool {
    poll_now(writer.as_raw_fd(), libc::POLLOUT) & libc::POLLERR == 0
}

struct Entry {
    key: FileKey,
    writer: Arc<OwnedFd>,
    obj: AnonObject,
    /// The fence callback that makes a sync_file readable, while it has not run.
    callback: Option<(DmaFence, CallbackId)>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some((fence, id)) = self.callback.take() {
            fence.remove_callback(id);
        }
    }
}

struct Registry {
    pid: libc::pid_t,
    entries: Vec<Entry>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);
/// Number of live entries, so that callers on hot paths (the shim's ioctl) can skip the lookup.
static LIVE: AtomicUsize = AtomicUsize::new(0);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    let mut g = REGISTRY.lock();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    match g.as_mut() {
        Some(r) if r.pid == pid => {}
        Some(r) => {
            // Inherited over fork: forget, never drop (see the module docs).
            core::mem::forget(core::mem::take(&mut r.entries));
            r.pid = pid;
            LIVE.store(0, Ordering::Relaxed);
        }
        None => {
            *g = Some(Registry {
                pid,
                entries: Vec::new(),
            })
        }
    }
    g
}

/// The entries of a registry locked by [`registry`] (which always leaves it `Some`).
fn entries<'a>(g: &'a mut MutexGuard<'static, Option<Registry>>) -> &'a mut Vec<Entry> {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    &mut g
        .get_or_insert_with(|| Registry {
            pid,
            entries: Vec::new(),
        })
        .entries
}

/// Releases the files no descriptor refers to any more.
fn reap(entries: &mut Vec<Entry>) {
    entries.retain(|e| has_readers(&e.writer));
    LIVE.store(entries.len(), Ordering::Relaxed);
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(last_os_error());
    }
    // SAFETY: both descriptors were just made by pipe2 and belong to nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: plain fcntl on a descriptor we own; only the write end (a file of its own) becomes non-blocking.
    unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    Ok((r, w))
}

/// Makes a new file holding `obj` and returns the caller's descriptor of it (close-on-exec, as every upstream path
/// that makes these files installs them). For a sync_file, `fence` is what makes it readable when it signals.
/// Fails with `EMFILE`/`ENFILE`/`ENOMEM` having changed nothing.
pub(crate) fn install(obj: AnonObject, fence: Option<&DmaFence>) -> Result<RawFd> {
    let mut g = registry();
    let entries = entries(&mut g);
    reap(entries);
    entries.try_reserve(1).map_err(|_| ENOMEM)?;
    crate::alloc::check()?;
    let (reader, writer) = pipe()?;
    let writer = crate::alloc::try_arc(writer)?;
    let key = key_of(reader.as_raw_fd()).ok_or(ENOMEM)?;
    let mut callback = None;
    match fence {
        Some(f) => {
            let w = writer.clone();
            match f.add_callback(move |_| make_readable(&w)) {
                Ok(id) => callback = Some((f.clone(), id)),
                Err(e) if e == ENOENT => make_readable(&writer),
                // Dropping `reader` and `writer` closes the pipe: nothing was handed out.
                Err(e) => return Err(e),
            }
        }
        None => make_readable(&writer),
    }
    entries.push(Entry {
        key,
        writer,
        obj,
        callback,
    });
    LIVE.store(entries.len(), Ordering::Relaxed);
    Ok(reader.into_raw_fd())
}

/// The object behind `fd`, if it is one of these files; `None` for any other descriptor, open or not.
pub fn lookup(fd: RawFd) -> Option<AnonObject> {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let key = key_of(fd)?;
    let mut g = registry();
    entries(&mut g)
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.obj.clone())
}

/// Number of live files (after releasing those no descriptor refers to), for tests and checkers.
pub fn live() -> usize {
    let mut g = registry();
    let entries = entries(&mut g);
    reap(entries);
    entries.len()
}

type ForkGuards = (
    MutexGuard<'static, Option<Registry>>,
    MutexGuard<'static, Option<crate::dma_buf::Registry>>,
);

thread_local! {
    /// The registry locks held by the forking thread between [`fork_prepare`] and [`fork_parent`]/[`fork_child`].
    static FORK_HELD: core::cell::RefCell<Option<ForkGuards>> = const { core::cell::RefCell::new(None) };
}

/// `pthread_atfork` prepare handler: locks this module's and [`crate::dma_buf`]'s registries in the forking thread.
pub fn fork_prepare() {
    let a = REGISTRY.lock();
    let b = crate::dma_buf::registry_lock();
    FORK_HELD.with(|h| *h.borrow_mut() = Some((a, b)));
}

/// `pthread_atfork` parent handler: unlocks what [`fork_prepare`] locked.
pub fn fork_parent() {
    FORK_HELD.with(|h| drop(h.borrow_mut().take()));
}

/// `pthread_atfork` child handler: unlocks what [`fork_prepare`] locked; the next use of a registry in the child
/// forgets the inherited entries.
pub fn fork_child() {
    FORK_HELD.with(|h| drop(h.borrow_mut().take()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::syncobj::CreateFlags;

    fn close(fd: RawFd) {
        // SAFETY: closing a descriptor the test owns.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn every_descriptor_of_a_file_finds_its_object_and_the_last_close_releases_it() {
        let obj = Syncobj::new(CreateFlags::empty()).unwrap();
        let fd = install(AnonObject::Syncobj(obj.clone()), None).unwrap();
        // SAFETY: dup of a descriptor the test owns.
        let fd2 = unsafe { libc::dup(fd) };
        assert!(
            readable(fd),
            "a syncobj file polls readable, as upstream's default mask"
        );
        // SAFETY: fcntl F_GETFD on an open descriptor.
        assert!(unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC != 0);
        match lookup(fd2) {
            Some(AnonObject::Syncobj(o)) => assert!(Arc::ptr_eq(&o, &obj)),
            _ => panic!("not found"),
        }
        close(fd);
        let _ = live();
        assert!(lookup(fd2).is_some(), "still held by the dup");
        close(fd2);
        let _ = live();
        assert_eq!(
            Arc::strong_count(&obj),
            1,
            "the file's reference went with the last descriptor"
        );
    }

    #[test]
    fn other_descriptors_are_not_found() {
        let f = std::fs::File::open("/proc/self/status").unwrap();
        assert!(lookup(f.as_raw_fd()).is_none());
        assert!(lookup(-1).is_none());
    }
}
