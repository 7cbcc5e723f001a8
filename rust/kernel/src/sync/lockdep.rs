// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A lockdep-like check of the fence-signalling critical path (`dma_fence_begin_signalling()` /
//! `dma_fence_end_signalling()` and the lock classes of `kernel/locking/lockdep.c`, reduced to the one rule this
//! stack needs).
//!
//! Every lock of [`crate::sync`] belongs to a [`LockClass`]. A class that is also taken around fence waits or memory
//! allocation (the reservation ww-mutex, a GEM object's pages lock) is *signalling-unsafe*: taking it between the
//! point of no return of a job and the signal of its fence could wait for that very fence, which the kernel's lockdep
//! reports as a circular dependency through the `dma_fence_map` annotation. Here the rule is checked directly: a
//! [`SignallingSection`] marks the path, and a blocking acquisition of a signalling-unsafe class inside it is a
//! violation. The section also is an [`crate::alloc::fault::NoAllocSection`], so allocating inside it is caught as
//! well (`fs_reclaim` in lockdep's terms).
//!
//! A class may instead be *signalling-safe provided nothing allocates under it* ([`LockClass::no_alloc`]): the GEM
//! gpuva lock, which upstream Panthor takes in the bind job's run (`panthor_vma_link`, `drm_gpuva_unlink_defer`).
//! Taking it while signalling is fine; allocating (or, by the same token, waiting for a fence) while holding it is
//! what would close the `dma_fence_map` -> lock -> `fs_reclaim` -> `dma_fence_map` cycle. The rule is checked from
//! the other side: a holder of such a lock marks the hold with [`lock_held`], which is a
//! [`crate::alloc::fault::NoAllocSection`] for as long as the lock is held, so an allocation point reached there
//! fails and is counted wherever it happens, in a signalling section or not.
//!
//! A violation is recorded, per thread ([`violations`]) and process-wide ([`global_violations`], for paths that
//! run on worker threads), and logged; tests assert on the counters. Recording rather than panicking keeps a worker
//! thread alive, so that a test sees a count instead of a fence that never signals.
//!
//! The check is compiled in debug builds (tests included) only: in a release build [`lock_acquire`] is empty, as
//! lockdep is compiled out of a production kernel.
//!
//! Trylocks are not checked, as lockdep adds no dependency for them: a trylock cannot wait.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::alloc::fault::NoAllocSection;

/// Whether the check is compiled in: debug builds and tests.
pub const ENABLED: bool = cfg!(debug_assertions);

/// A lock class (`struct lock_class_key`): every lock of the class obeys the same rules.
#[derive(Debug)]
pub struct LockClass {
    name: &'static str,
    signalling_unsafe: bool,
    no_alloc: bool,
}

impl LockClass {
    /// A class named `name` that may be taken anywhere, the fence-signalling path included.
    pub const fn new(name: &'static str) -> Self {
        LockClass {
            name,
            signalling_unsafe: false,
            no_alloc: false,
        }
    }

    /// A class named `name` that must never be taken inside a [`SignallingSection`].
    pub const fn signalling_unsafe(name: &'static str) -> Self {
        LockClass {
            name,
            signalling_unsafe: true,
            no_alloc: false,
        }
    }

    /// A class named `name` that may be taken inside a [`SignallingSection`] because nothing is ever allocated while
    /// a lock of it is held: its holders mark the hold with [`lock_held`], under which allocating is a violation.
    pub const fn no_alloc(name: &'static str) -> Self {
        LockClass {
            name,
            signalling_unsafe: false,
            no_alloc: true,
        }
    }

    /// Whether allocating while holding a lock of the class is a violation.
    pub fn forbids_alloc(&self) -> bool {
        self.no_alloc
    }

    /// The class name, as violations report it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether taking the class while signalling is a violation.
    pub fn is_signalling_unsafe(&self) -> bool {
        self.signalling_unsafe
    }
}

/// Reservation objects' ww-mutex (`reservation_ww_class`): taken around fence waits and allocations.
pub static RESV_CLASS: LockClass = LockClass::signalling_unsafe("reservation_ww_class_mutex");

/// A GEM object's gpuva lock (`drm_gem_object::gpuva.lock`): taken in the bind job's run to link and unlink VAs
/// (`panthor_vma_link`, `drm_gpuva_unlink_defer`), so signalling-safe, and nothing may be allocated under it (vm_bos
/// are allocated before it is taken, `drm_gpuvm_bo_obtain_prealloc`).
pub static GEM_GPUVA_CLASS: LockClass = LockClass::no_alloc("drm_gem_object_gpuva_lock");

/// A GEM object's backing-pages lock: pages are allocated under it (upstream the shmem helper does this under the
/// object's resv, so it is signalling-unsafe for the same reason).
pub static GEM_PAGES_CLASS: LockClass = LockClass::signalling_unsafe("drm_gem_shmem_pages_lock");

/// The class of a [`crate::sync::Mutex`] made with `Default`.
pub static MUTEX_CLASS: LockClass = LockClass::new("mutex");

/// The class of a [`crate::sync::WwMutex`] created without one.
pub static WW_MUTEX_CLASS: LockClass = LockClass::new("ww_mutex");

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static VIOLATIONS: Cell<u64> = const { Cell::new(0) };
    static LAST: Cell<Option<&'static str>> = const { Cell::new(None) };
}

static GLOBAL_VIOLATIONS: AtomicU64 = AtomicU64::new(0);

/// The fence-signalling critical path of the calling thread, from [`dma_fence_begin_signalling`] until dropped
/// (`dma_fence_end_signalling`). Sections nest.
#[must_use = "the section ends when the guard drops"]
pub struct SignallingSection {
    _no_alloc: NoAllocSection,
    /// The section belongs to the thread that began it.
    _not_send: PhantomData<*const ()>,
}

impl SignallingSection {
    /// Enters the signalling path on this thread.
    pub fn begin() -> Self {
        if ENABLED {
            DEPTH.set(DEPTH.get() + 1);
        }
        SignallingSection {
            _no_alloc: NoAllocSection::begin(),
            _not_send: PhantomData,
        }
    }
}

impl Drop for SignallingSection {
    fn drop(&mut self) {
        if ENABLED {
            DEPTH.set(DEPTH.get() - 1);
        }
    }
}

/// Begins a fence-signalling section (`dma_fence_begin_signalling`); it ends when the guard drops.
pub fn dma_fence_begin_signalling() -> SignallingSection {
    SignallingSection::begin()
}

/// Whether the calling thread is inside a [`SignallingSection`] (always `false` when the check is compiled out).
pub fn in_signalling_section() -> bool {
    ENABLED && DEPTH.get() > 0
}

/// Notes a blocking acquisition of a lock of `class` (`lock_acquire`): a violation if the class is
/// signalling-unsafe and the thread is inside a [`SignallingSection`].
#[inline]
pub fn lock_acquire(class: &'static LockClass) {
    if ENABLED && class.signalling_unsafe && DEPTH.get() > 0 {
        record(class);
    }
}

/// The hold of a lock whose class forbids allocation ([`LockClass::no_alloc`]): from [`lock_held`] until dropped,
/// which the holder does when it releases the lock. Allocation points reached meanwhile fail and are counted
/// ([`crate::alloc::fault::violations`]).
#[must_use = "the hold ends when the guard drops"]
pub struct LockHeld {
    _no_alloc: Option<NoAllocSection>,
    /// The hold belongs to the thread that took the lock.
    _not_send: PhantomData<*const ()>,
}

/// Notes that the calling thread now holds a lock of `class` (acquired blocking or not). For a class that forbids
/// allocation ([`LockClass::no_alloc`]) the returned hold is a no-allocation section; for any other class, and when
/// the check is compiled out, it does nothing.
pub fn lock_held(class: &'static LockClass) -> LockHeld {
    LockHeld {
        _no_alloc: (ENABLED && class.no_alloc).then(NoAllocSection::begin),
        _not_send: PhantomData,
    }
}

#[cold]
fn record(class: &'static LockClass) {
    VIOLATIONS.set(VIOLATIONS.get() + 1);
    LAST.set(Some(class.name));
    GLOBAL_VIOLATIONS.fetch_add(1, Ordering::Relaxed);
    tracing::error!(target: "lockdep", class = class.name, "lock taken inside a fence-signalling section");
}

/// Violations this thread recorded so far.
pub fn violations() -> u64 {
    VIOLATIONS.get()
}

/// The class of this thread's latest violation.
pub fn last_violation() -> Option<&'static str> {
    LAST.get()
}

/// Violations recorded by every thread of the process so far (worker threads included).
pub fn global_violations() -> u64 {
    GLOBAL_VIOLATIONS.load(Ordering::Relaxed)
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;
    use crate::alloc;
    use crate::dma_resv::DmaResv;
    use crate::sync::Mutex;

    #[test]
    fn taking_the_resv_lock_inside_a_signalling_section_is_caught() {
        let resv = DmaResv::new().unwrap();
        let before = violations();
        {
            let _s = dma_fence_begin_signalling();
            assert!(in_signalling_section());
            drop(resv.lock());
        }
        assert_eq!(violations(), before + 1);
        assert_eq!(last_violation(), Some("reservation_ww_class_mutex"));
        assert!(!in_signalling_section());
    }

    #[test]
    fn a_resv_class_lock_taken_in_an_acquire_context_inside_a_section_is_caught() {
        let m = crate::sync::WwMutex::with_class(0, &RESV_CLASS);
        let mut ctx = crate::sync::WwAcquireCtx::new();
        let before = violations();
        let global = global_violations();
        {
            let _s = dma_fence_begin_signalling();
            m.lock_ctx(&mut ctx).unwrap();
        }
        m.unlock_ctx(&mut ctx).unwrap();
        assert_eq!(violations(), before + 1);
        assert!(global_violations() > global);
    }

    #[test]
    fn the_same_locks_outside_a_section_and_trylocks_inside_are_fine() {
        let resv = DmaResv::new().unwrap();
        let before = violations();
        drop(resv.lock());
        {
            let _s = dma_fence_begin_signalling();
            let m = crate::sync::WwMutex::with_class(0, &RESV_CLASS);
            assert!(m.try_lock().is_some());
            // A class that is safe to take while signalling.
            static SAFE: LockClass = LockClass::new("safe");
            drop(Mutex::with_class(1, &SAFE).lock());
        }
        assert_eq!(violations(), before);
    }

    #[test]
    fn sections_nest() {
        let m = Mutex::with_class((), &GEM_PAGES_CLASS);
        let before = violations();
        {
            let _outer = dma_fence_begin_signalling();
            {
                let _inner = dma_fence_begin_signalling();
            }
            assert!(in_signalling_section(), "the outer section is still open");
            drop(m.lock());
        }
        assert!(!in_signalling_section());
        assert_eq!(violations(), before + 1);
        assert_eq!(last_violation(), Some("drm_gem_shmem_pages_lock"));
    }

    #[test]
    fn the_gpuva_lock_class_may_be_taken_while_signalling() {
        let m = Mutex::with_class((), &GEM_GPUVA_CLASS);
        let (before, allocs) = (violations(), alloc::fault::violations());
        {
            let _s = dma_fence_begin_signalling();
            let _g = m.lock();
            let _held = lock_held(m.class());
        }
        assert_eq!(violations(), before);
        assert_eq!(alloc::fault::violations(), allocs);
        assert!(!GEM_GPUVA_CLASS.is_signalling_unsafe() && GEM_GPUVA_CLASS.forbids_alloc());
    }

    #[test]
    fn allocating_under_the_gpuva_lock_is_caught_in_a_section_or_not() {
        let m = Mutex::with_class((), &GEM_GPUVA_CLASS);
        let before = alloc::fault::violations();
        {
            let _g = m.lock();
            let _held = lock_held(m.class());
            assert!(
                alloc::try_box(1u8).is_err(),
                "outside any signalling section"
            );
        }
        assert_eq!(alloc::fault::violations(), before + 1);
        {
            let _s = dma_fence_begin_signalling();
            let _g = m.lock();
            let _held = lock_held(m.class());
            assert!(alloc::try_vec::<u8>(4).is_err());
        }
        assert_eq!(alloc::fault::violations(), before + 2);
        // Released: allocating is fine again.
        assert!(alloc::try_box(1u8).is_ok());
        assert_eq!(alloc::fault::violations(), before + 2);
    }

    #[test]
    fn holding_a_lock_of_another_class_forbids_nothing() {
        static SAFE: LockClass = LockClass::new("safe");
        let before = alloc::fault::violations();
        {
            let _held = lock_held(&SAFE);
            let _resv = lock_held(&RESV_CLASS);
            assert!(alloc::try_box(1u8).is_ok());
        }
        assert_eq!(alloc::fault::violations(), before);
        assert!(!SAFE.forbids_alloc() && !RESV_CLASS.forbids_alloc());
    }

    #[test]
    fn allocating_inside_a_signalling_section_is_caught() {
        let before = alloc::fault::violations();
        {
            let _s = dma_fence_begin_signalling();
            assert!(alloc::try_box(1u8).is_err());
        }
        assert_eq!(alloc::fault::violations(), before + 1);
    }
}
