// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! SYNCOBJ_EVENTFD (`drm_syncobj_eventfd_ioctl`): an eventfd of the caller incremented once the syncobj's fence
//! for a point signals, or with `WAIT_AVAILABLE` once a fence for the point is there.
//!
//! An entry waits on the syncobj's list until a fence for its point arrives (`syncobj_eventfd_entry_func`, run at
//! registration and at every fence change); then it leaves the list and either fires at once (`WAIT_AVAILABLE`, or
//! a fence that already signalled) or moves into a callback on that fence. Firing is one `write(2)` of the counter
//! increment to the entry's own duplicate of the caller's eventfd (`eventfd_ctx_fdget` keeps the eventfd alive the
//! same way), so the fence-signalling path allocates nothing. An entry still on the list when the syncobj is freed
//! is dropped without firing, as upstream frees it.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use super::chain::{self, Slot};
use super::State;
use crate::alloc;
use crate::error::code::{EBADF, EINVAL, ENOENT};
use crate::error::Result;

/// One registration (`struct syncobj_eventfd_entry`).
pub(crate) struct EventfdEntry {
    point: u64,
    available: bool,
    eventfd: OwnedFd,
}

impl EventfdEntry {
    /// `eventfd_ctx_fdget(fd)` and the entry: `EBADF` if `fd` is not open, `EINVAL` if it is not an eventfd.
    pub(crate) fn new(fd: RawFd, point: u64, available: bool) -> Result<Arc<Self>> {
        // SAFETY: F_GETFD only reads the descriptor's flags; a closed `fd` makes it fail with EBADF.
        if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(EBADF);
        }
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).map_err(|_| EBADF)?;
        if link.as_os_str() != "anon_inode:[eventfd]" {
            return Err(EINVAL);
        }
        // SAFETY: duplicating an open descriptor; the copy is owned by the entry.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(crate::anon_file::last_os_error());
        }
        // SAFETY: `dup` was just made and belongs to nobody else.
        let eventfd = unsafe { OwnedFd::from_raw_fd(dup) };
        Ok(alloc::try_arc(EventfdEntry {
            point,
            available,
            eventfd,
        })?)
    }

    /// `eventfd_signal`: adds 1 to the counter. Runs in fence callbacks: no allocation, and it does not block (a
    /// counter that cannot take one more is left alone, where the kernel saturates it with a warning).
    pub(crate) fn signal(&self) {
        let fd = self.eventfd.as_raw_fd();
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one valid pollfd, zero timeout.
        if unsafe { libc::poll(&mut p, 1, 0) } != 1 {
            return;
        }
        let one = 1u64;
        // SAFETY: writes the 8-byte increment from a live local to the entry's own descriptor.
        unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    }
}

/// `syncobj_eventfd_entry_func` for one entry against the current fence `head`: `Ok(false)` if its point has no
/// fence yet (the entry stays on the list), `Ok(true)` once it fired or moved into a callback on the point's fence.
/// `ENOMEM` if that callback could not be allocated (nothing fired, nothing registered).
pub(crate) fn attach(head: Option<&Slot>, e: &Arc<EventfdEntry>) -> Result<bool> {
    let Some(head) = head else { return Ok(false) };
    let fence = match chain::find_seqno(head.clone(), e.point) {
        Err(_) => return Ok(false),
        Ok(Some(slot)) => slot.fence().clone(),
        Ok(None) => super::stub()?,
    };
    if e.available {
        e.signal();
        return Ok(true);
    }
    let entry = e.clone();
    match fence.add_callback(move |_| entry.signal()) {
        Ok(_) => Ok(true),
        Err(err) if err == ENOENT => {
            e.signal();
            Ok(true)
        }
        Err(err) => Err(err),
    }
}

/// Runs [`attach`] for every entry on the list after the fence changed (with the syncobj locked): those whose point
/// now has a fence leave it. This path cannot fail, so an entry whose callback cannot be allocated stays on the list
/// and is tried again at the next change (upstream's callbacks are preallocated and cannot fail).
pub(crate) fn fence_changed(st: &mut State) {
    let head = st.fence.clone();
    st.eventfds
        .retain(|e| !matches!(attach(head.as_ref(), e), Ok(true)));
}
