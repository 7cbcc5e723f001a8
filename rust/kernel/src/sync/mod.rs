// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Synchronisation primitives (`rust/kernel/sync/`): the wound/wait mutex that reservation objects are built on, a
//! mutex with a lock class, and the lockdep-like check of the fence-signalling path.
//!
//! * [`ww_mutex`] — `WwMutex` and `WwAcquireCtx`: many locks taken in any order by many threads without deadlock,
//!   the younger context backing off with `EDEADLK` (`kernel/locking/ww_mutex.h`, wait-die flavour).
//! * [`mutex`] — `Mutex`: a `std` mutex whose acquisitions are checked against its lock class.
//! * [`lockdep`] — lock classes and the `dma_fence_begin_signalling()` section: a signalling-unsafe lock (or an
//!   allocation) inside the section is a recorded violation.

pub mod lockdep;
pub mod mutex;
pub mod ww_mutex;

pub use lockdep::{dma_fence_begin_signalling, LockClass, SignallingSection};
pub use mutex::{Mutex, MutexGuard};
pub use ww_mutex::{WwAcquireCtx, WwMutex, WwMutexGuard};
