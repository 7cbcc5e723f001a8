// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The descriptors a fuzz run holds: what the calls handed out (dma-bufs from PRIME_HANDLE_TO_FD, syncobj files and
//! sync_files from SYNCOBJ_HANDLE_TO_FD, sync_files from SYNC_IOC_MERGE and DMA_BUF_IOCTL_EXPORT_SYNC_FILE) and the
//! eventfds the fuzzer made for SYNCOBJ_EVENTFD, and how a call's new descriptor is told apart from those the kernel
//! side opened for itself in the same call.
//!
//! A descriptor is identified by its number and its file's identity (`fstat`'s device and inode), because a call
//! may close a number and reuse it at once (a reaped pipe end or dma-buf becoming the new file): comparing numbers
//! alone would miss the new descriptor.

use std::os::fd::RawFd;

use kernel::anon_file::{key_of, FileKey};
use kernel::sw_sync::SwSyncTimeline;

/// At most this many descriptors are tracked; the oldest is closed to make room (the generator closes some before
/// that, so a long run holds a bounded number of descriptors).
pub const MAX_TRACKED: usize = 48;

/// What kind of file a tracked descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FdKind {
    /// A dma-buf (PRIME export).
    DmaBuf,
    /// A syncobj file (SYNCOBJ_HANDLE_TO_FD without flags).
    SyncobjFile,
    /// A sync_file.
    SyncFile,
    /// An eventfd the fuzzer made.
    Eventfd,
    /// A sw_sync timeline the fuzzer opened (a memfd standing for the debugfs node, as the shim's is).
    SwSync,
}

/// An open descriptor and the identity of its file.
pub type FdId = (RawFd, FileKey);

/// Every descriptor open in this process, with its file's identity.
pub fn open_ids() -> Vec<FdId> {
    let listed: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    // The listing's own directory descriptor is closed by now: `key_of` leaves it out.
    listed
        .into_iter()
        .filter_map(|fd| Some((fd, key_of(fd)?)))
        .collect()
}

/// The descriptors open now that were not open (as the same file) in `before`.
pub fn new_since(before: &[FdId]) -> Vec<FdId> {
    open_ids()
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect()
}

/// What `/proc/self/fd/N` names.
fn link(fd: RawFd) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `fd` is open for reading only (the caller's end of an anonymous file's pipe; the kernel side keeps the
/// write end).
fn read_only(fd: RawFd) -> bool {
    // SAFETY: F_GETFL only queries the descriptor's status flags.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    fl >= 0 && fl & libc::O_ACCMODE == libc::O_RDONLY
}

/// The descriptor a call handed the caller, among the descriptors `new` that appeared during it, for a call that
/// makes a dma-buf (`dma_buf` true) or an anonymous file. A first export also opens the device's own descriptor of
/// the dma-buf before the caller's duplicate (the lowest free number, so the caller's is the higher); an anonymous
/// file's pipe has its write end on the kernel side.
pub fn handed_out(new: &[FdId], dma_buf: bool) -> Option<(RawFd, FdKind)> {
    if dma_buf {
        let fd = new
            .iter()
            .map(|x| x.0)
            .filter(|&fd| link(fd).contains("tyr-dmabuf"))
            .max()?;
        return Some((fd, FdKind::DmaBuf));
    }
    new.iter()
        .map(|x| x.0)
        .find(|&fd| link(fd).starts_with("pipe:") && read_only(fd))
        .map(|fd| {
            let kind = match kernel::anon_file::lookup(fd) {
                Some(kernel::anon_file::AnonObject::Syncobj(_)) => FdKind::SyncobjFile,
                _ => FdKind::SyncFile,
            };
            (fd, kind)
        })
}

/// Whether `fd` is the write end of a pipe: the kernel side's half of a sync_file or syncobj file.
pub fn is_kernel_pipe_end(fd: RawFd) -> bool {
    // SAFETY: F_GETFL only queries the descriptor's status flags.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    fl >= 0 && fl & libc::O_ACCMODE == libc::O_WRONLY && link(fd).starts_with("pipe:")
}

/// Whether `fd` is open on a file a driver call could have made: an anonymous one (a pipe, an anon inode such as an
/// eventfd, a memfd). A file reached by a path (`/sys/...`, `/proc/...`) is the C library's or the runtime's own —
/// glibc's malloc reads `/sys/devices/system/cpu/online` on whichever thread first needs a new arena, at a moment
/// no step chose — and a descriptor closed by now was nobody's to hand out.
pub fn anonymous(fd: RawFd) -> bool {
    let l = link(fd);
    !l.is_empty() && (!l.starts_with('/') || l.starts_with("/memfd:"))
}

/// Whether `fd` polls readable now.
pub use kernel::anon_file::readable;

/// Checks that a sync_file polls readable exactly when its fence has signalled: never before, and after once the
/// fence's callback has written the file's byte (waiting up to `patience` for a callback that is running now).
///
/// `readable` polls the file, `signalled` reads the fence. The file is polled *before* the fence is read, every
/// time: the byte is written only after the flag is set and the flag is never cleared, so a file found readable
/// must show a signalled fence when looked at afterwards. The other order would blame the driver for a fence that
/// signalled on another thread between the two looks.
pub fn sync_file_agrees(
    mut readable: impl FnMut() -> bool,
    mut signalled: impl FnMut() -> bool,
    patience: std::time::Duration,
) -> Result<(), SyncFileDisagrees> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let readable = readable();
        let signalled = signalled();
        if readable && !signalled {
            return Err(SyncFileDisagrees::ReadableUnsignalled);
        }
        if readable == signalled {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(SyncFileDisagrees::SignalledNeverReadable);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// How a sync_file's readability and its fence disagreed ([`sync_file_agrees`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncFileDisagrees {
    /// The file polled readable and its fence, read after, had not signalled.
    ReadableUnsignalled,
    /// The fence signalled but the file never became readable.
    SignalledNeverReadable,
}

/// A fresh eventfd (close-on-exec, counter 0).
pub fn eventfd() -> Option<RawFd> {
    // SAFETY: eventfd has no memory effects; it returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    (fd >= 0).then_some(fd)
}

/// A fresh descriptor standing for an open of the sw_sync node (a memfd, as the shim gives a client).
fn sw_sync_fd() -> Option<RawFd> {
    // SAFETY: the name is a NUL-terminated string; memfd_create returns a new descriptor or -1.
    let fd = unsafe { libc::memfd_create(c"tyr-sw_sync".as_ptr(), libc::MFD_CLOEXEC) };
    (fd >= 0).then_some(fd)
}

/// Whether `fd` is open.
pub fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
}

/// The tracked descriptors, oldest first, and the sw_sync timelines of those that stand for one.
///
/// # Invariants
/// Every timeline's descriptor is tracked as [`FdKind::SwSync`]; a timeline is dropped (its pending points signalled
/// with `ENOENT`) when its descriptor is closed.
#[derive(Default)]
pub struct Tracked {
    fds: Vec<(RawFd, FdKind)>,
    timelines: Vec<(RawFd, SwSyncTimeline)>,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked").field("fds", &self.fds).finish()
    }
}

impl Tracked {
    /// The tracked descriptors.
    pub fn list(&self) -> &[(RawFd, FdKind)] {
        &self.fds
    }

    /// Tracks `fd` (closing the oldest first when [`MAX_TRACKED`] are held).
    pub fn add(&mut self, fd: RawFd, kind: FdKind) {
        if self.fds.iter().any(|x| x.0 == fd) {
            return;
        }
        if self.fds.len() >= MAX_TRACKED {
            let (old, _) = self.fds.remove(0);
            self.release(old);
        }
        self.fds.push((fd, kind));
    }

    /// Opens a sw_sync timeline and tracks its descriptor; `None` if no descriptor or timeline could be had.
    pub fn add_sw_sync(&mut self) -> Option<RawFd> {
        let fd = sw_sync_fd()?;
        match SwSyncTimeline::new("tyr-fuzz") {
            Ok(t) => {
                self.add(fd, FdKind::SwSync);
                self.timelines.push((fd, t));
                Some(fd)
            }
            Err(_) => {
                close(fd);
                None
            }
        }
    }

    /// The sw_sync timeline descriptor `fd` stands for.
    pub fn sw_sync(&self, fd: RawFd) -> Option<&SwSyncTimeline> {
        self.timelines.iter().find(|x| x.0 == fd).map(|x| &x.1)
    }

    /// Each sw_sync timeline's descriptor and current point.
    pub fn sw_sync_points(&self) -> Vec<(RawFd, u32)> {
        self.timelines
            .iter()
            .map(|(fd, t)| (*fd, t.value()))
            .collect()
    }

    /// Closes `fd`, dropping its timeline first if it stands for one.
    fn release(&mut self, fd: RawFd) {
        self.timelines.retain(|x| x.0 != fd);
        close(fd);
    }

    /// Closes `fd` if it is tracked (an untracked number, which a replayed or minimised script may name, is left
    /// alone: it may be anyone's). Whether it was.
    pub fn close(&mut self, fd: RawFd) -> bool {
        match self.fds.iter().position(|x| x.0 == fd) {
            Some(i) => {
                self.fds.remove(i);
                self.release(fd);
                true
            }
            None => false,
        }
    }

    /// Closes every tracked descriptor.
    pub fn close_all(&mut self) {
        self.timelines.clear();
        for (fd, _) in self.fds.drain(..) {
            close(fd);
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.close_all();
    }
}

fn close(fd: RawFd) {
    // SAFETY: a descriptor this run was handed (or made) and tracks; closed once, as it leaves the list.
    unsafe { libc::close(fd) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe() -> (RawFd, RawFd) {
        let mut p = [0; 2];
        // SAFETY: `p` has room for the two descriptors pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        (p[0], p[1])
    }

    #[test]
    fn a_reused_number_counts_as_new_and_the_callers_pipe_end_is_found() {
        let (r, w) = pipe();
        let before = open_ids();
        // The same numbers, now another pipe's ends (as a call that reaps a file and makes a new one may leave them).
        let (r2, w2) = pipe();
        // SAFETY: dup2 onto descriptors this test owns; the originals are closed by it.
        unsafe {
            assert_eq!(libc::dup2(r2, r), r);
            assert_eq!(libc::dup2(w2, w), w);
        }
        close(r2);
        close(w2);
        // Other tests run beside this one: look at these two numbers only.
        let new: Vec<FdId> = new_since(&before)
            .into_iter()
            .filter(|x| x.0 == r || x.0 == w)
            .collect();
        assert_eq!(new.len(), 2, "same numbers, another file: new");
        assert!(is_kernel_pipe_end(w) && !is_kernel_pipe_end(r));
        // Not one of the kernel's anonymous files, but the read end is what a call would have handed out.
        assert_eq!(handed_out(&new, false), Some((r, FdKind::SyncFile)));
        assert_eq!(handed_out(&new, true), None, "no dma-buf among them");
        close(r);
        close(w);
    }

    #[test]
    fn a_fence_signalling_between_the_two_looks_is_no_finding() {
        use kernel::dma_fence::DmaFence;
        use kernel::sync_file::SyncFile;
        use std::cell::Cell;
        use std::time::Duration;
        let fence = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        let fd = SyncFile::create_fd(&fence).unwrap();
        // The fence signals (on "another thread") right after each look at it: the first look finds it unsignalled,
        // and the file it makes readable is polled next. The old order (fence first, then poll) reported this as
        // "readable before its fence signalled" — the campaign's one unexplained finding.
        let signal_after_look = |fence: &DmaFence, done: &Cell<bool>| {
            let s = fence.is_signaled();
            if !done.replace(true) {
                fence.signal().unwrap();
            }
            s
        };
        let done = Cell::new(false);
        let old_order = {
            let s = signal_after_look(&fence, &done);
            let r = readable(fd);
            r && !s
        };
        assert!(old_order, "the old order sees the race");
        close(fd);

        let fence = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        let fd = SyncFile::create_fd(&fence).unwrap();
        let done = Cell::new(false);
        assert_eq!(
            sync_file_agrees(
                || readable(fd),
                || signal_after_look(&fence, &done),
                Duration::from_secs(1)
            ),
            Ok(())
        );
        assert!(readable(fd) && fence.is_signaled());
        close(fd);
    }

    #[test]
    fn a_readable_file_of_an_unsignalled_fence_and_a_file_never_made_readable_are_findings() {
        use std::time::Duration;
        assert_eq!(
            sync_file_agrees(|| true, || false, Duration::from_secs(1)),
            Err(SyncFileDisagrees::ReadableUnsignalled)
        );
        assert_eq!(
            sync_file_agrees(|| false, || true, Duration::from_millis(5)),
            Err(SyncFileDisagrees::SignalledNeverReadable)
        );
        assert_eq!(sync_file_agrees(|| false, || false, Duration::ZERO), Ok(()));
        assert_eq!(sync_file_agrees(|| true, || true, Duration::ZERO), Ok(()));
    }

    #[test]
    fn tracking_is_bounded_and_closes_only_what_it_tracks() {
        let mut t = Tracked::default();
        let first = eventfd().unwrap();
        t.add(first, FdKind::Eventfd);
        for _ in 0..MAX_TRACKED + 3 {
            t.add(eventfd().unwrap(), FdKind::Eventfd);
        }
        assert_eq!(t.list().len(), MAX_TRACKED);
        // The first one's number may come back for a later eventfd, but not at the head of the list.
        assert_ne!(t.list()[0].0, first, "the oldest went to make room");
        let last = t.list().last().unwrap().0;
        assert!(!t.close(-1) && t.close(last) && !t.list().iter().any(|x| x.0 == last));
    }
}
