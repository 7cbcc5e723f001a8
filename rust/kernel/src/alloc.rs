// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Fallible allocation with fault injection (`rust/kernel/alloc/` and the kernel's `failslab`/`fail_page_alloc`).
//!
//! Every allocation `kernel` makes on behalf of a driver goes through this module ([`try_box`], [`try_arc`],
//! [`try_reserve`], [`try_vec`]), so a test can make allocation points fail and prove that the failed operation left
//! every object as it was. An allocation point consults the calling thread's [`fault`] state first; that state is
//! per thread so that concurrently running tests do not disturb each other.
//!
//! Allocation is also forbidden inside a [`fault::NoAllocSection`] (what `dma_fence_begin_signalling()` marks in the
//! kernel): an allocation point reached there fails and is counted as a violation, which tests assert to be zero.

use std::sync::Arc;

use crate::error::{code::ENOMEM, Error};

/// An allocation failed (`AllocError` in the kernel's Rust); converts to `ENOMEM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError;

impl From<AllocError> for Error {
    fn from(_: AllocError) -> Error {
        ENOMEM
    }
}

impl From<core::convert::Infallible> for Error {
    fn from(e: core::convert::Infallible) -> Error {
        match e {}
    }
}

impl core::fmt::Display for AllocError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("allocation failed")
    }
}

impl std::error::Error for AllocError {}

/// One allocation point: returns `Err` when fault injection says this allocation fails.
///
/// Call it immediately before an allocation that the code cannot otherwise make fail (a `pin-init` construction, a
/// collection that grows).
#[inline]
pub fn check() -> Result<(), AllocError> {
    fault::should_fail()
        .then_some(())
        .map_or(Ok(()), |()| Err(AllocError))
}

/// `Box::new`, fallible.
#[inline]
pub fn try_box<T>(v: T) -> Result<Box<T>, AllocError> {
    check()?;
    Ok(Box::new(v))
}

/// `Arc::new`, fallible.
#[inline]
pub fn try_arc<T>(v: T) -> Result<Arc<T>, AllocError> {
    check()?;
    Ok(Arc::new(v))
}

/// `Vec::try_reserve`, with fault injection: afterwards `v` can take `additional` more elements without allocating.
#[inline]
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize) -> Result<(), AllocError> {
    if v.capacity() - v.len() >= additional {
        // Nothing to allocate: not an allocation point (as `krealloc` to a size that fits is not).
        return Ok(());
    }
    check()?;
    v.try_reserve(additional).map_err(|_| AllocError)
}

/// `Vec::with_capacity`, fallible.
#[inline]
pub fn try_vec<T>(capacity: usize) -> Result<Vec<T>, AllocError> {
    let mut v = Vec::new();
    try_reserve(&mut v, capacity)?;
    Ok(v)
}

/// Pushes onto `v`, allocating fallibly if it is full.
#[inline]
pub fn try_push<T>(v: &mut Vec<T>, item: T) -> Result<(), AllocError> {
    try_reserve(v, 1)?;
    v.push(item);
    Ok(())
}

pub mod fault {
    //! Fault injection: which allocation points of the calling thread fail.
    //!
    //! The guards restore the previous state when dropped, so they nest and an early return in a test cannot leave
    //! injection armed.

    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Clone, Copy, Debug)]
    enum Mode {
        Off,
        /// Fail the allocation with this 0-based index (counted from arming), once.
        Nth(u64),
        /// Fail every allocation.
        All,
        /// Fail each allocation with probability 1/k, from an xorshift state.
        Random {
            one_in: u64,
            state: u64,
        },
    }

    thread_local! {
        static MODE: Cell<Mode> = const { Cell::new(Mode::Off) };
        static SEEN: Cell<u64> = const { Cell::new(0) };
        static FAILED: Cell<u64> = const { Cell::new(0) };
        static NO_ALLOC_DEPTH: Cell<u32> = const { Cell::new(0) };
        static VIOLATIONS: Cell<u64> = const { Cell::new(0) };
    }

    /// Violations of every thread (a worker thread's signalling path included).
    static GLOBAL_VIOLATIONS: AtomicU64 = AtomicU64::new(0);

    #[inline]
    pub(super) fn should_fail() -> bool {
        crate::sync::lockdep::alloc_point();
        if NO_ALLOC_DEPTH.get() > 0 {
            VIOLATIONS.set(VIOLATIONS.get() + 1);
            GLOBAL_VIOLATIONS.fetch_add(1, Ordering::Relaxed);
            tracing::error!(target: "lockdep", "allocation inside a no-allocation (fence-signalling) section");
            return true;
        }
        let n = SEEN.get();
        SEEN.set(n + 1);
        let fail = match MODE.get() {
            Mode::Off => false,
            Mode::Nth(k) => n == k,
            Mode::All => true,
            Mode::Random { one_in, mut state } => {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                MODE.set(Mode::Random { one_in, state });
                state % one_in == 0
            }
        };
        if fail {
            FAILED.set(FAILED.get() + 1);
        }
        fail
    }

    /// Restores the previous injection state when dropped.
    #[must_use = "injection is disarmed when the guard drops"]
    pub struct FaultGuard {
        mode: Mode,
        seen: u64,
        failed: u64,
    }

    impl FaultGuard {
        fn arm(mode: Mode) -> Self {
            let g = FaultGuard {
                mode: MODE.get(),
                seen: SEEN.get(),
                failed: FAILED.get(),
            };
            MODE.set(mode);
            SEEN.set(0);
            FAILED.set(0);
            g
        }

        /// Allocation points reached since this guard was armed.
        pub fn allocations(&self) -> u64 {
            SEEN.get()
        }

        /// Allocations made to fail since this guard was armed.
        pub fn failures(&self) -> u64 {
            FAILED.get()
        }
    }

    impl Drop for FaultGuard {
        fn drop(&mut self) {
            MODE.set(self.mode);
            SEEN.set(self.seen);
            FAILED.set(self.failed);
        }
    }

    /// Counts allocation points without failing any.
    pub fn count() -> FaultGuard {
        FaultGuard::arm(Mode::Off)
    }

    /// Makes the `n`th (0-based) allocation point reached from now on fail, once.
    pub fn fail_nth(n: u64) -> FaultGuard {
        FaultGuard::arm(Mode::Nth(n))
    }

    /// Makes every allocation point fail while the guard lives.
    pub fn fail_all() -> FaultGuard {
        FaultGuard::arm(Mode::All)
    }

    /// Makes each allocation point fail with probability `1/one_in` (deterministic for a `seed`).
    pub fn fail_random(one_in: u64, seed: u64) -> FaultGuard {
        FaultGuard::arm(Mode::Random {
            one_in: one_in.max(1),
            state: seed | 1,
        })
    }

    /// A section of code that must not allocate (the fence-signalling critical path). Allocation points reached
    /// inside fail and are counted by [`violations`].
    #[must_use = "the section ends when the guard drops"]
    pub struct NoAllocSection(());

    impl NoAllocSection {
        /// Enters a no-allocation section on this thread.
        #[inline]
        pub fn begin() -> Self {
            NO_ALLOC_DEPTH.set(NO_ALLOC_DEPTH.get() + 1);
            NoAllocSection(())
        }
    }

    impl Drop for NoAllocSection {
        #[inline]
        fn drop(&mut self) {
            NO_ALLOC_DEPTH.set(NO_ALLOC_DEPTH.get() - 1);
        }
    }

    /// Whether the calling thread is inside a [`NoAllocSection`].
    pub fn in_no_alloc_section() -> bool {
        NO_ALLOC_DEPTH.get() > 0
    }

    /// How many allocation points this thread reached inside a [`NoAllocSection`] so far.
    pub fn violations() -> u64 {
        VIOLATIONS.get()
    }

    /// How many allocation points any thread of the process reached inside a [`NoAllocSection`] so far: what a test
    /// asserts on when the section runs on a worker thread.
    pub fn global_violations() -> u64 {
        GLOBAL_VIOLATIONS.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_allocation_fails_once() {
        let g = fault::fail_nth(2);
        assert!(try_box(1).is_ok());
        assert!(try_arc(2).is_ok());
        assert_eq!(try_box(3), Err(AllocError));
        assert!(try_box(4).is_ok());
        assert_eq!((g.allocations(), g.failures()), (4, 1));
    }

    #[test]
    fn every_allocation_in_scope_fails_and_scope_end_disarms() {
        {
            let _g = fault::fail_all();
            assert!(try_vec::<u8>(4).is_err());
            let mut v = Vec::<u8>::new();
            assert!(try_push(&mut v, 1).is_err());
            assert!(v.is_empty());
        }
        assert!(try_vec::<u8>(4).is_ok());
    }

    #[test]
    fn reserve_within_capacity_is_not_an_allocation() {
        let mut v: Vec<u8> = try_vec(8).unwrap();
        let _g = fault::fail_all();
        assert!(try_reserve(&mut v, 8).is_ok());
        assert!(try_push(&mut v, 1).is_ok());
    }

    #[test]
    fn random_failures_are_deterministic_per_seed() {
        let run = |seed| {
            let _g = fault::fail_random(3, seed);
            (0..64).map(|i| try_box(i).is_err()).collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert!(a.iter().any(|f| *f) && a.iter().any(|f| !*f));
    }

    #[test]
    fn allocation_in_a_no_alloc_section_fails_and_is_counted() {
        let before = fault::violations();
        {
            let _s = fault::NoAllocSection::begin();
            assert!(try_box(1).is_err());
        }
        assert_eq!(fault::violations(), before + 1);
        assert!(fault::global_violations() > 0);
        assert!(try_box(1).is_ok());
    }

    #[test]
    fn alloc_error_is_enomem() {
        assert_eq!(Error::from(AllocError), ENOMEM);
    }
}
