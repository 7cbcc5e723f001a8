// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The software sync timeline (`drivers/dma-buf/sw_sync.c`, debugfs `sync/sw_sync`): a test device whose opener
//! creates fences at chosen points of a 32-bit timeline and signals them by advancing it. Test suites (IGT's
//! `sw_sync`, `syncobj_wait`, `syncobj_timeline`, `syncobj_eventfd`) use it as a fence producer they control.
//!
//! Each open of the node is one [`SwSyncTimeline`]. `SW_SYNC_IOC_CREATE_FENCE` returns a sync_file for point `value`
//! (already signalled when the timeline has passed it; one fence per pending point, shared by every request for
//! it); `SW_SYNC_IOC_INC` advances the timeline and signals, in point order, each pending fence it passed. Points
//! compare as the kernel's 32-bit seqnos do (`__dma_fence_is_later` without 64-bit seqnos: the difference taken as a
//! signed 32-bit number). Releasing the timeline (the last descriptor closed) signals what is still pending with
//! `ENOENT`, as `sw_sync_debugfs_release` does.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use std::os::fd::RawFd;

use crate::dma_fence::{DmaFence, FenceNames};
use crate::error::code::{EFAULT, ENOENT, ENOMEM, ENOTTY};
use crate::error::Result;
use crate::sync_file::SyncFile;
use crate::uaccess::{UserPtr, UserSlice};
use crate::uapi::ioctl::{ioc_typed, IOC_READ, IOC_WRITE};

/// `struct sw_sync_create_fence_data` (`sw_sync.c`; 40 bytes): the point asked for, a name the kernel ignores, and
/// the sync_file descriptor handed back.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sw_sync_create_fence_data {
    /// Timeline point the fence signals at.
    pub value: u32,
    /// Name (not used by the kernel).
    pub name: [u8; 32],
    /// Out: the new sync_file descriptor.
    pub fence: i32,
}
crate::impl_uapi_pod!(sw_sync_create_fence_data { value, name, fence });

/// `SW_SYNC_IOC_MAGIC`.
pub const SW_SYNC_IOC_MAGIC: u32 = b'W' as u32;
/// `SW_SYNC_IOC_CREATE_FENCE`: `_IOWR('W', 0, struct sw_sync_create_fence_data)`.
pub const SW_SYNC_IOC_CREATE_FENCE: u32 = ioc_typed(
    IOC_READ | IOC_WRITE,
    SW_SYNC_IOC_MAGIC,
    0,
    size_of::<sw_sync_create_fence_data>(),
);
/// `SW_SYNC_IOC_INC`: `_IOW('W', 1, __u32)`.
pub const SW_SYNC_IOC_INC: u32 = ioc_typed(IOC_WRITE, SW_SYNC_IOC_MAGIC, 1, size_of::<u32>());

/// The driver name of sw_sync fences (`timeline_fence_get_driver_name`).
pub const DRIVER_NAME: &str = "sw_sync";

/// `__dma_fence_is_later(a, b)` for fences without 64-bit seqnos: `a` is after `b` on a 32-bit wrapping timeline.
pub fn is_later(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// A timeline name as a `'static` string for [`FenceNames`]: each distinct name is kept once for the process's life
/// (the names are the openers' command names, a small set).
fn intern(name: &str) -> Result<&'static str> {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return Ok(n);
    }
    names.try_reserve(1).map_err(|_| ENOMEM)?;
    let mut s = String::new();
    s.try_reserve_exact(name.len()).map_err(|_| ENOMEM)?;
    s.push_str(name);
    let leaked: &'static str = s.leak();
    names.push(leaked);
    Ok(leaked)
}

struct State {
    /// The timeline's current point.
    value: u32,
    /// Unsignalled points, in ascending point order, each with its fence.
    pending: Vec<(u32, DmaFence)>,
}

/// One open of the sw_sync node (`struct sync_timeline`).
///
/// # Invariants
/// Every fence in `pending` is unsignalled and belongs to `context`; `pending` is sorted by point and holds each
/// point at most once.
pub struct SwSyncTimeline {
    context: u64,
    names: FenceNames,
    state: Mutex<State>,
}

impl SwSyncTimeline {
    /// A new timeline at point 0 named `name` (upstream: the opener's command name), with a fence context of its
    /// own (`sync_timeline_create`).
    pub fn new(name: &str) -> Result<Self> {
        let timeline = intern(name)?;
        Ok(SwSyncTimeline {
            context: DmaFence::context_alloc(),
            names: FenceNames {
                driver: DRIVER_NAME,
                timeline,
            },
            state: Mutex::new(State {
                value: 0,
                pending: Vec::new(),
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// The timeline's current point.
    pub fn value(&self) -> u32 {
        self.state().value
    }

    /// Number of points still pending.
    pub fn pending(&self) -> usize {
        self.state().pending.len()
    }

    /// `sync_pt_create`: the fence of point `value`. A point the timeline has passed gets a fence that is already
    /// signalled; a pending point's existing fence is shared.
    pub fn create_fence(&self, value: u32) -> Result<DmaFence> {
        let mut st = self.state();
        if !is_later(value, st.value) {
            let f = DmaFence::with_names(self.context, u64::from(value), self.names)?;
            f.signal()?;
            return Ok(f);
        }
        let at = match st.pending.binary_search_by(|(p, _)| p.cmp(&value)) {
            Ok(i) => return Ok(st.pending[i].1.clone()),
            Err(i) => i,
        };
        let f = DmaFence::with_names(self.context, u64::from(value), self.names)?;
        st.pending.try_reserve(1).map_err(|_| ENOMEM)?;
        st.pending.insert(at, (value, f.clone()));
        Ok(f)
    }

    /// `sync_timeline_signal`: advances the timeline by `inc` (wrapping) and signals, in point order, every pending
    /// fence it has reached; stops at the first it has not. Allocates nothing.
    pub fn inc(&self, inc: u32) {
        let mut st = self.state();
        st.value = st.value.wrapping_add(inc);
        while let Some(&(point, _)) = st.pending.first() {
            if is_later(point, st.value) {
                break;
            }
            let (_, f) = st.pending.remove(0);
            // Pending fences are unsignalled (type invariant), so this cannot fail.
            let _ = f.signal();
        }
    }

    /// `sw_sync_ioctl` on the timeline's descriptor: CREATE_FENCE and INC; any other command is `ENOTTY`.
    pub fn ioctl(&self, cmd: u32, arg: UserPtr) -> Result {
        match cmd {
            SW_SYNC_IOC_CREATE_FENCE => self.ioctl_create_fence(arg),
            SW_SYNC_IOC_INC => {
                let mut value: u32 = UserSlice::new(arg, 4).reader().read().map_err(|_| EFAULT)?;
                // Advanced in steps of at most INT_MAX, so each step is "later" in 32-bit seqno terms.
                while value > i32::MAX as u32 {
                    self.inc(i32::MAX as u32);
                    value -= i32::MAX as u32;
                }
                self.inc(value);
                Ok(())
            }
            _ => Err(ENOTTY),
        }
    }

    fn ioctl_create_fence(&self, arg: UserPtr) -> Result {
        let user = UserSlice::new(arg, size_of::<sw_sync_create_fence_data>());
        let mut data: sw_sync_create_fence_data = user.reader().read().map_err(|_| EFAULT)?;
        let fence = self.create_fence(data.value)?;
        let fd = SyncFile::create_fd(&fence)?;
        data.fence = fd;
        if user.writer().write(&data).is_err() {
            close(fd);
            return Err(EFAULT);
        }
        Ok(())
    }
}

impl Drop for SwSyncTimeline {
    fn drop(&mut self) {
        // `sw_sync_debugfs_release`: what is still pending signals with ENOENT.
        let pending = core::mem::take(&mut self.state().pending);
        for (_, f) in pending {
            let _ = f.signal_error(ENOENT);
        }
    }
}

fn close(fd: RawFd) {
    // SAFETY: `fd` is the descriptor this module just created and nobody else has seen.
    unsafe { libc::close(fd) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tl() -> SwSyncTimeline {
        SwSyncTimeline::new("test").unwrap()
    }

    #[test]
    fn points_signal_in_order_as_the_timeline_passes_them() {
        let t = tl();
        let f3 = t.create_fence(3).unwrap();
        let f1 = t.create_fence(1).unwrap();
        assert!(
            t.create_fence(3).unwrap().ptr_eq(&f3),
            "a pending point's fence is shared"
        );
        assert_eq!(t.pending(), 2);
        t.inc(1);
        assert!(f1.is_signaled() && !f3.is_signaled());
        t.inc(1);
        assert!(!f3.is_signaled());
        t.inc(1);
        assert!(f3.is_signaled());
        assert_eq!((t.value(), t.pending()), (3, 0));
        let past = t.create_fence(2).unwrap();
        assert!(
            past.is_signaled() && t.pending() == 0,
            "a passed point is signalled at once"
        );
        assert_eq!(
            past.names(),
            FenceNames {
                driver: "sw_sync",
                timeline: "test"
            }
        );
        assert_eq!(past.seqno(), 2);
        assert_eq!(past.context(), f3.context(), "one context per timeline");
    }

    #[test]
    fn seqnos_compare_on_a_wrapping_32_bit_timeline() {
        assert!(is_later(1, 0) && !is_later(0, 0) && !is_later(0, 1));
        assert!(is_later(0, u32::MAX), "0 comes after 0xffffffff");
        assert!(
            !is_later(0x8000_0001, 0),
            "more than INT_MAX ahead reads as behind"
        );
        let t = tl();
        t.inc(u32::MAX - 1);
        let f = t.create_fence(1).unwrap();
        assert!(!f.is_signaled(), "point 1 is two steps ahead of 0xfffffffe");
        t.inc(2);
        assert_eq!(t.value(), 0);
        assert!(!f.is_signaled());
        t.inc(1);
        assert!(f.is_signaled());
    }

    #[test]
    fn releasing_the_timeline_signals_what_is_pending_with_enoent() {
        let t = tl();
        let done = t.create_fence(1).unwrap();
        let pending = t.create_fence(5).unwrap();
        t.inc(1);
        drop(t);
        assert_eq!((done.is_signaled(), done.error()), (true, None));
        assert_eq!(
            (pending.is_signaled(), pending.error()),
            (true, Some(ENOENT))
        );
    }

    #[test]
    fn ioctls_create_sync_files_and_reject_unknown_commands() {
        let t = tl();
        let mut d = sw_sync_create_fence_data {
            value: 2,
            ..Default::default()
        };
        t.ioctl(SW_SYNC_IOC_CREATE_FENCE, UserPtr(&mut d as *mut _ as usize))
            .unwrap();
        assert!(d.fence >= 0);
        let f = SyncFile::get_fence(d.fence).expect("a sync_file");
        assert_eq!(f.seqno(), 2);
        let inc = 2u32;
        t.ioctl(SW_SYNC_IOC_INC, UserPtr(&inc as *const _ as usize))
            .unwrap();
        assert!(f.is_signaled());
        assert_eq!(t.ioctl(SW_SYNC_IOC_INC, UserPtr(8)), Err(EFAULT));
        assert_eq!(t.ioctl(SW_SYNC_IOC_CREATE_FENCE, UserPtr(8)), Err(EFAULT));
        assert_eq!(
            t.ioctl(SW_SYNC_IOC_INC & !0xff | 7, UserPtr(0)),
            Err(ENOTTY)
        );
        assert_eq!(
            t.ioctl(SW_SYNC_IOC_INC + (1 << 16), UserPtr(0)),
            Err(ENOTTY),
            "the size is part of the command"
        );
        close(d.fence);
    }

    #[test]
    fn inc_past_int_max_steps_through_it() {
        let t = tl();
        let f = t.create_fence(0x7fff_fff0).unwrap();
        let inc = u32::MAX;
        t.ioctl(SW_SYNC_IOC_INC, UserPtr(&inc as *const _ as usize))
            .unwrap();
        assert!(f.is_signaled(), "the first INT_MAX step passes it");
        assert_eq!(t.value(), u32::MAX);
    }
}
