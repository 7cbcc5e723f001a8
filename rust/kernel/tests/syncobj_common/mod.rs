// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Helpers of the SYNCOBJ ioctl tests (`syncobj.rs`, `syncobj_wait.rs`, `syncobj_model.rs`): argument structs with
//! real pointers into this process, one call per ioctl, and bounded waits on other threads.

#![allow(dead_code, unused_imports)]

pub use std::sync::mpsc;
pub use std::thread;
pub use std::time::Duration;

pub use kernel::alloc::fault;
pub use kernel::code::{EFAULT, EINVAL, ENOENT, ENOMEM, ETIME};
pub use kernel::dma_fence::DmaFence;
pub use kernel::drm::syncobj::{ioctl, ktime_get_ns, QueryFlags, SyncobjTable};
pub use kernel::uapi::{
    drm_syncobj_array, drm_syncobj_create, drm_syncobj_destroy, drm_syncobj_timeline_array,
    drm_syncobj_timeline_wait, drm_syncobj_transfer, drm_syncobj_wait, DRM_SYNCOBJ_CREATE_SIGNALED,
    DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL as WAIT_ALL,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE as WAIT_AVAILABLE,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE as WAIT_DEADLINE,
    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT as WAIT_FOR_SUBMIT,
};
pub use proptest::prelude::*;

/// How long a test waits for a thread that should finish; only reached on failure.
pub const BOUND: Duration = Duration::from_secs(30);
/// An address nothing is mapped at.
pub const BAD_PTR: u64 = 0x10;
/// More allocation points than any operation here reaches: an allocation-failure sweep past it fails instead of
/// spinning forever.
pub const SWEEP_LIMIT: u64 = 10_000;

pub fn ptr<T>(v: &[T]) -> u64 {
    v.as_ptr() as u64
}

pub fn mut_ptr<T>(v: &mut [T]) -> u64 {
    v.as_mut_ptr() as u64
}

pub fn fence() -> DmaFence {
    DmaFence::new(DmaFence::context_alloc(), 1).unwrap()
}

/// An absolute CLOCK_MONOTONIC timeout `ms` from now.
pub fn in_ms(ms: i64) -> i64 {
    ktime_get_ns() + ms * 1_000_000
}

pub fn create(t: &SyncobjTable, flags: u32) -> u32 {
    let mut a = drm_syncobj_create { handle: 0, flags };
    ioctl::create(t, &mut a).unwrap();
    a.handle
}

pub fn wait_args(handles: &[u32], timeout_nsec: i64, flags: u32) -> drm_syncobj_wait {
    drm_syncobj_wait {
        handles: ptr(handles),
        timeout_nsec,
        count_handles: handles.len() as u32,
        flags,
        first_signaled: 0,
        pad: 0,
        deadline_nsec: 0,
    }
}

pub fn wait(
    t: &SyncobjTable,
    handles: &[u32],
    timeout_nsec: i64,
    flags: u32,
) -> Result<u32, kernel::Error> {
    let mut a = wait_args(handles, timeout_nsec, flags);
    ioctl::wait(t, &mut a).map(|()| a.first_signaled)
}

pub fn tl_wait(
    t: &SyncobjTable,
    handles: &[u32],
    points: &[u64],
    timeout: i64,
    flags: u32,
) -> Result<u32, kernel::Error> {
    let mut a = drm_syncobj_timeline_wait {
        handles: ptr(handles),
        points: ptr(points),
        timeout_nsec: timeout,
        count_handles: handles.len() as u32,
        flags,
        first_signaled: 0,
        pad: 0,
        deadline_nsec: 0,
    };
    ioctl::timeline_wait(t, &mut a).map(|()| a.first_signaled)
}

pub fn array(handles: &[u32]) -> drm_syncobj_array {
    drm_syncobj_array {
        handles: ptr(handles),
        count_handles: handles.len() as u32,
        pad: 0,
    }
}

pub fn signal(t: &SyncobjTable, handles: &[u32]) -> Result<(), kernel::Error> {
    ioctl::signal(t, &mut array(handles))
}

pub fn tl_signal(t: &SyncobjTable, handles: &[u32], points: &[u64]) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(handles),
        points: ptr(points),
        count_handles: handles.len() as u32,
        flags: 0,
    };
    ioctl::timeline_signal(t, &mut a)
}

pub fn query(t: &SyncobjTable, handles: &[u32], flags: u32) -> Result<Vec<u64>, kernel::Error> {
    let mut out = vec![0u64; handles.len()];
    let mut a = drm_syncobj_timeline_array {
        handles: ptr(handles),
        points: mut_ptr(&mut out),
        count_handles: handles.len() as u32,
        flags,
    };
    ioctl::query(t, &mut a).map(|()| out)
}

pub fn transfer(
    t: &SyncobjTable,
    src: u32,
    src_point: u64,
    dst: u32,
    dst_point: u64,
    flags: u32,
) -> Result<(), kernel::Error> {
    let mut a = drm_syncobj_transfer {
        src_handle: src,
        dst_handle: dst,
        src_point,
        dst_point,
        flags,
        pad: 0,
    };
    ioctl::transfer(t, &mut a)
}

/// Whether `h` at `point` has signalled, as a polling timeline wait sees it.
pub fn is_signalled(t: &SyncobjTable, h: u32, point: u64) -> bool {
    tl_wait(t, &[h], &[point], 0, 0) == Ok(0)
}

/// Yields until `n` waits on `h` have registered for wake-ups and gone to sleep (`Syncobj::sleepers`), so that
/// what the test does next is ordered after the waiter blocked; bounded so a wait that never blocks fails the test.
pub fn until_asleep(t: &SyncobjTable, h: u32, n: usize) {
    let obj = t.lookup(h).expect("handle");
    let start = std::time::Instant::now();
    while obj.sleepers() < n {
        assert!(start.elapsed() < BOUND, "the waiter never went to sleep");
        thread::yield_now();
    }
}

/// Runs `f` on a thread and returns a receiver for its result.
pub fn spawn<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> mpsc::Receiver<R> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}
