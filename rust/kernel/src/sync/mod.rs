//! Synchronisation primitives (`rust/kernel/sync/`): the wound/wait mutex that reservation objects are built on.
//!
//! * [`ww_mutex`] — `WwMutex` and `WwAcquireCtx`: many locks taken in any order by many threads without deadlock,
//!   the younger context backing off with `EDEADLK` (`kernel/locking/ww_mutex.h`, wait-die flavour).

pub mod ww_mutex;

pub use ww_mutex::{WwAcquireCtx, WwMutex, WwMutexGuard};
