// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Wound/wait mutexes (`Documentation/locking/ww-mutex-design.rst`, wait-die flavour as `reservation_ww_class`
//! is not; both are deadlock-free, wait-die needs no wounding of sleeping owners).
//!
//! Every acquire context gets a stamp from a global counter when it is created: a lower stamp is older. A context that
//! finds a lock held by an *older* context returns `EDEADLK` at once ("dies"): the caller must drop every lock it holds
//! in that context and sleep on the contended one with [`WwMutex::lock_slow`], then take the others again. A context
//! that finds a lock held by a *younger* one waits. Waits therefore only ever go from older to younger contexts, so no
//! cycle — no deadlock — can form, whatever order the locks are taken in.
//!
//! A lock taken without a context ([`WwMutex::lock`]) waits unconditionally, like `ww_mutex_lock(lock, NULL)`.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use super::lockdep::{self, LockClass};
use crate::error::code::{EALREADY, EDEADLK, EINVAL};
use crate::error::Result;

static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

/// The stamp that marks a lock held without an acquire context: older than nobody, so contexts wait for it.
const NO_CTX: u64 = u64::MAX;

/// The owner word of a free lock (stamps start at 1).
const FREE: u64 = 0;

/// An acquire context (`struct ww_acquire_ctx`): the identity and age of one multi-lock transaction.
///
/// # Invariants
/// `stamp` is unique among all contexts ever created and never equal to the no-context stamp.
#[derive(Debug)]
pub struct WwAcquireCtx {
    stamp: u64,
    held: usize,
    /// Set while the context must back off: after `EDEADLK` it may take no lock but the contended one, slowly.
    contended: bool,
}

impl WwAcquireCtx {
    /// Starts a transaction (`ww_acquire_init`).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        WwAcquireCtx {
            stamp: NEXT_STAMP.fetch_add(1, Ordering::Relaxed),
            held: 0,
            contended: false,
        }
    }

    /// How many locks this context holds.
    pub fn held(&self) -> usize {
        self.held
    }

    /// The stamp: lower is older.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }
}

impl Drop for WwAcquireCtx {
    fn drop(&mut self) {
        // `ww_acquire_fini` with locks still held is a bug the kernel warns about; the owners of the locks (the
        // guards, `DmaResv` users) unlock them, and here we only note it in debug builds.
        debug_assert!(
            self.held == 0 || std::thread::panicking(),
            "acquire context dropped with {} locks held",
            self.held
        );
    }
}

/// A wound/wait mutex protecting a `T`.
///
/// The lock state is explicit rather than tied to a guard's lifetime, because a multi-lock transaction holds a
/// changing set of locks: [`WwMutex::lock_ctx`] records the context as owner and [`WwMutex::unlock_ctx`] releases it.
/// The data is reached through [`WwMutex::get_mut_locked`], which checks that the given context owns the lock.
///
/// The owner is one atomic word, so that a free lock is taken with one compare-and-swap and an unlock without
/// sleepers is one store (the kernel's `mutex` fast path); a thread that has to wait does so under `sleep`, the
/// inner mutex, on `cond`.
///
/// # Invariants
/// * `data` is only accessed by the thread of the context (or guard) recorded as owner in `owner`.
/// * `owner` is `FREE` (0), a context's stamp, or `NO_CTX`; it only leaves `FREE` by a compare-and-swap.
/// * `waiters` counts the threads between registering to sleep (under `sleep`) and waking up: an unlock that reads
///   it as zero after freeing the lock had no sleeper to wake, and one that reads more wakes them under `sleep`.
pub struct WwMutex<T> {
    class: &'static LockClass,
    owner: AtomicU64,
    waiters: AtomicUsize,
    sleep: Mutex<()>,
    cond: Condvar,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached by the lock owner (type invariant), so sharing the mutex shares `T` with one
// thread at a time: `T: Send` suffices, as for `std::sync::Mutex`.
unsafe impl<T: Send> Sync for WwMutex<T> {}
// SAFETY: moving the mutex moves the `T`.
unsafe impl<T: Send> Send for WwMutex<T> {}

impl<T> WwMutex<T> {
    /// A new, unlocked mutex of the generic ww-mutex class.
    pub fn new(data: T) -> Self {
        Self::with_class(data, &lockdep::WW_MUTEX_CLASS)
    }

    /// A new, unlocked mutex of `class` (`ww_mutex_init` with its `ww_class`), checked by [`lockdep`].
    pub fn with_class(data: T, class: &'static LockClass) -> Self {
        WwMutex {
            class,
            owner: AtomicU64::new(FREE),
            waiters: AtomicUsize::new(0),
            sleep: Mutex::new(()),
            cond: Condvar::new(),
            data: UnsafeCell::new(data),
        }
    }

    /// The lock class.
    pub fn class(&self) -> &'static LockClass {
        self.class
    }

    /// The owner's stamp, `None` when free.
    fn owner(&self) -> Option<u64> {
        match self.owner.load(Ordering::Acquire) {
            FREE => None,
            o => Some(o),
        }
    }

    /// Takes the lock for `stamp` if it is free: one compare-and-swap.
    #[inline]
    fn try_take(&self, stamp: u64) -> bool {
        self.owner
            .compare_exchange(FREE, stamp, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the lock for `stamp` as soon as `wait_for(owner)` stops holding: at once if it is free, else sleeping
    /// until an unlock. Returns the owner for which `wait_for` said not to wait (the lock is not taken then).
    #[inline]
    fn take_or_wait(
        &self,
        stamp: u64,
        wait_for: impl Fn(u64) -> bool,
    ) -> core::result::Result<(), u64> {
        if self.try_take(stamp) {
            return Ok(());
        }
        self.wait_and_take(stamp, wait_for)
    }

    /// [`Self::take_or_wait`] once the lock was found taken: sleeps under `sleep` until an unlock.
    #[cold]
    fn wait_and_take(
        &self,
        stamp: u64,
        wait_for: impl Fn(u64) -> bool,
    ) -> core::result::Result<(), u64> {
        // A panic while holding the inner mutex leaves nothing inconsistent (it guards no data).
        let mut sleep = self.sleep.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            // Registered before the owner is read again, so that an unlock either is seen here or sees us
            // (`SeqCst` on both sides), and wakes us under `sleep`, which we hold until `wait` releases it.
            self.waiters.fetch_add(1, Ordering::SeqCst);
            let owner = self.owner.load(Ordering::SeqCst);
            let res = if owner == FREE {
                if self.try_take(stamp) {
                    Some(Ok(()))
                } else {
                    None
                }
            } else if !wait_for(owner) {
                Some(Err(owner))
            } else {
                sleep = self.cond.wait(sleep).unwrap_or_else(|e| e.into_inner());
                None
            };
            self.waiters.fetch_sub(1, Ordering::SeqCst);
            if let Some(res) = res {
                return res;
            }
        }
    }

    /// Frees the lock and wakes the sleepers, if any.
    #[inline]
    fn release(&self) {
        self.owner.store(FREE, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            // Taken so that a sleeper between reading the owner and sleeping is asleep when woken.
            drop(self.sleep.lock().unwrap_or_else(|e| e.into_inner()));
            self.cond.notify_all();
        }
    }

    /// Locks within `ctx` (`ww_mutex_lock`): `Ok` when taken; `EDEADLK` when an older context holds it (back off:
    /// unlock everything held in `ctx`, then [`WwMutex::lock_slow`] this one); `EALREADY` when `ctx` holds it already;
    /// `EINVAL` when `ctx` is backing off and this is not the slow-path lock.
    pub fn lock_ctx(&self, ctx: &mut WwAcquireCtx) -> Result {
        if ctx.contended {
            return Err(EINVAL);
        }
        lockdep::lock_acquire(self.class);
        let stamp = ctx.stamp;
        // Held by a younger context or by a context-less owner: wait for it; by ourselves or an older one: not.
        match self.take_or_wait(stamp, |o| o > stamp) {
            Ok(()) => {
                ctx.held += 1;
                Ok(())
            }
            Err(o) if o == stamp => Err(EALREADY),
            Err(_) => {
                ctx.contended = true;
                Err(EDEADLK)
            }
        }
    }

    /// The back-off path (`ww_mutex_lock_slow`): after `EDEADLK`, with no other lock held in `ctx`, sleeps until the
    /// lock is free and takes it. `EINVAL` if `ctx` still holds locks.
    pub fn lock_slow(&self, ctx: &mut WwAcquireCtx) -> Result {
        if ctx.held != 0 {
            return Err(EINVAL);
        }
        lockdep::lock_acquire(self.class);
        // Nobody is waited for in vain: `ctx` holds nothing, so it cannot own this lock.
        let _ = self.take_or_wait(ctx.stamp, |_| true);
        ctx.held += 1;
        ctx.contended = false;
        Ok(())
    }

    /// Unlocks a lock held by `ctx`; `EINVAL` if `ctx` does not hold it.
    pub fn unlock_ctx(&self, ctx: &mut WwAcquireCtx) -> Result {
        if self.owner() != Some(ctx.stamp) {
            return Err(EINVAL);
        }
        ctx.held -= 1;
        self.release();
        Ok(())
    }

    /// Whether `ctx` holds this lock.
    pub fn is_held_by(&self, ctx: &WwAcquireCtx) -> bool {
        self.owner() == Some(ctx.stamp)
    }

    /// Whether anyone holds this lock.
    pub fn is_locked(&self) -> bool {
        self.owner().is_some()
    }

    /// The data, for the holder `ctx`; `EINVAL` if `ctx` does not hold the lock.
    pub fn get_mut_locked<'a>(&'a self, ctx: &'a mut WwAcquireCtx) -> Result<&'a mut T> {
        if !self.is_held_by(ctx) {
            return Err(EINVAL);
        }
        // SAFETY: `ctx` owns the lock (just checked) and is borrowed mutably for `'a`, so no other access through this
        // context can alias, and no other context can own the lock until `ctx` unlocks it, which needs `&mut ctx`.
        Ok(unsafe { &mut *self.data.get() })
    }

    /// Locks without a context (`ww_mutex_lock(lock, NULL)`), waiting as long as it takes.
    pub fn lock(&self) -> WwMutexGuard<'_, T> {
        lockdep::lock_acquire(self.class);
        // Whoever holds it is waited for.
        let _ = self.take_or_wait(NO_CTX, |_| true);
        // INVARIANT: taken with the no-context stamp for this guard.
        WwMutexGuard { mutex: self }
    }

    /// Locks without a context if free (`ww_mutex_trylock`).
    pub fn try_lock(&self) -> Option<WwMutexGuard<'_, T>> {
        // INVARIANT: taken with the no-context stamp for this guard.
        self.try_take(NO_CTX)
            .then_some(WwMutexGuard { mutex: self })
    }

    /// Mutable access without locking, through a unique reference.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

/// A lock held without an acquire context; unlocks when dropped.
///
/// # Invariants
/// `mutex` is locked with the no-context stamp, on behalf of this guard.
pub struct WwMutexGuard<'a, T> {
    mutex: &'a WwMutex<T>,
}

impl<'a, T> WwMutexGuard<'a, T> {
    /// The mutex this guard holds.
    pub fn mutex(&self) -> &'a WwMutex<T> {
        self.mutex
    }
}

impl<T> core::ops::Deref for WwMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (type invariant), and shared access through `&self` cannot alias the
        // mutable access `deref_mut` gives through `&mut self`.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> core::ops::DerefMut for WwMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock (type invariant) and is borrowed mutably.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for WwMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn younger_context_dies_on_lock_held_by_older() {
        let m = WwMutex::new(0);
        let mut old = WwAcquireCtx::new();
        let mut young = WwAcquireCtx::new();
        m.lock_ctx(&mut old).unwrap();
        assert_eq!(m.lock_ctx(&mut young), Err(EDEADLK));
        // Backing off, the young context may take nothing but the slow path.
        assert_eq!(WwMutex::new(1).lock_ctx(&mut young), Err(EINVAL));
        assert_eq!(m.lock_ctx(&mut old), Err(EALREADY));
        m.unlock_ctx(&mut old).unwrap();
        m.lock_slow(&mut young).unwrap();
        *m.get_mut_locked(&mut young).unwrap() = 5;
        m.unlock_ctx(&mut young).unwrap();
        assert_eq!(*m.lock(), 5);
    }

    #[test]
    fn data_is_refused_to_a_context_that_does_not_hold_the_lock() {
        let m = WwMutex::new(0);
        let mut a = WwAcquireCtx::new();
        assert!(m.get_mut_locked(&mut a).is_err());
        assert_eq!(m.unlock_ctx(&mut a), Err(EINVAL));
    }

    #[test]
    fn an_unlock_wakes_a_waiter_and_hands_it_the_lock() {
        let m = std::sync::Arc::new(WwMutex::new(0u32));
        let g = m.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let m = m.clone();
            std::thread::spawn(move || {
                tx.send(()).unwrap();
                // Blocks until the holder unlocks; a lost wake-up would leave this thread asleep and the join hung.
                *m.lock() += 1;
            })
        };
        rx.recv().unwrap();
        drop(g);
        waiter.join().unwrap();
        assert_eq!(*m.lock(), 1);
        assert!(!m.is_locked());
    }

    #[test]
    fn an_older_context_waits_for_a_younger_owner_and_gets_the_lock() {
        let m = std::sync::Arc::new(WwMutex::new(0u32));
        let mut old = WwAcquireCtx::new();
        let mut young = WwAcquireCtx::new();
        m.lock_ctx(&mut young).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let m = m.clone();
            std::thread::spawn(move || {
                tx.send(()).unwrap();
                let res = m.lock_ctx(&mut old);
                let held = m.is_held_by(&old);
                m.unlock_ctx(&mut old).unwrap();
                (res, held)
            })
        };
        rx.recv().unwrap();
        m.unlock_ctx(&mut young).unwrap();
        assert_eq!(waiter.join().unwrap(), (Ok(()), true));
        assert!(!m.is_locked());
    }

    #[test]
    fn guard_unlocks_on_drop() {
        let m = WwMutex::new(0);
        {
            let _g = m.lock();
            assert!(m.try_lock().is_none());
        }
        assert!(m.try_lock().is_some());
    }
}
