// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A mutex with a lock class (`struct mutex` with its `lock_class_key`): `std::sync::Mutex` whose every blocking
//! acquisition is checked by [`super::lockdep`], and whose every hold the check knows of until the guard drops.

use std::sync::{Condvar, WaitTimeoutResult};
use std::time::Duration;

use super::lockdep::{self, LockClass};

/// A mutex over a `T` whose locks belong to a [`LockClass`].
pub struct Mutex<T> {
    inner: std::sync::Mutex<T>,
    class: &'static LockClass,
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex of the general class (`mutex_init` without a class of its own).
    pub const fn new(data: T) -> Self {
        Self::with_class(data, &lockdep::MUTEX_CLASS)
    }

    /// A new, unlocked mutex of `class`.
    pub const fn with_class(data: T, class: &'static LockClass) -> Self {
        Mutex {
            inner: std::sync::Mutex::new(data),
            class,
        }
    }

    /// Locks, waiting as long as it takes (`mutex_lock`). A panic of an earlier holder does not poison the data for
    /// later ones: as in the kernel, the data is whatever the holder left. Until the guard drops the hold is known to
    /// the check ([`lockdep::lock_held`]): what the class forbids while held (allocating, for
    /// [`LockClass::no_alloc`]) is caught, and a learned class ([`LockClass::new`]) learns whether it is held while
    /// allocating.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        lockdep::lock_acquire(self.class);
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        MutexGuard {
            guard,
            _held: lockdep::lock_held(self.class),
        }
    }

    /// Locks if free (`mutex_trylock`); the acquisition is not checked, as a trylock cannot wait, but the hold is.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let guard = match self.inner.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(MutexGuard {
            guard,
            _held: lockdep::lock_held(self.class),
        })
    }

    /// The class of this mutex.
    pub fn class(&self) -> &'static LockClass {
        self.class
    }

    /// The data, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.inner.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Mutable access without locking, through a unique reference.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

/// A held [`Mutex`]; the lock is released, and the check told, when it drops.
pub struct MutexGuard<'a, T> {
    // Dropped first: the hold ends as the lock is released.
    guard: std::sync::MutexGuard<'a, T>,
    _held: lockdep::LockHeld,
}

impl<'a, T> MutexGuard<'a, T> {
    /// Waits on `cond`, the lock released meanwhile (`Condvar::wait`). The hold stays known to the check: the thread
    /// does nothing else while it waits.
    pub fn wait(self, cond: &Condvar) -> Self {
        let MutexGuard { guard, _held } = self;
        let guard = cond.wait(guard).unwrap_or_else(|e| e.into_inner());
        MutexGuard { guard, _held }
    }

    /// [`Self::wait`] for at most `timeout` (`Condvar::wait_timeout`).
    pub fn wait_timeout(self, cond: &Condvar, timeout: Duration) -> (Self, WaitTimeoutResult) {
        let MutexGuard { guard, _held } = self;
        let (guard, res) = cond
            .wait_timeout(guard, timeout)
            .unwrap_or_else(|e| e.into_inner());
        (MutexGuard { guard, _held }, res)
    }
}

impl<T> core::ops::Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> core::ops::DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}
