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
//! the other side: every hold of a lock is marked ([`lock_held`], which a [`crate::sync::Mutex`] guard does for as
//! long as it lives), and the hold of such a lock is a [`crate::alloc::fault::NoAllocSection`], so an allocation point
//! reached there fails and is counted wherever it happens, in a signalling section or not.
//!
//! Lockdep also learns, per class, what the class's locks have been seen doing, and reports the combination that
//! closes the cycle even when the two halves happen far apart: a class taken inside a signalling section
//! (`dma_fence_map` -> lock) that is, anywhere and at any time, held while allocating (lock -> `fs_reclaim`), is a
//! violation, whichever of the two is seen first. This is how a cache lock that the signalling path takes to give
//! pages back is caught when the ioctl path refills from the same cache while holding its lock: each half alone is
//! legal. The rule applies to the classes made with [`LockClass::new`]; the catch-all classes of locks made without a
//! class of their own ([`MUTEX_CLASS`], [`WW_MUTEX_CLASS`]) lump unrelated locks together, which lockdep never does,
//! and learn nothing. Every hold of a [`crate::sync::Mutex`] is known to the check until its guard drops, and
//! taking the lock is noted on every blocking acquisition.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::alloc::fault::NoAllocSection;

/// Whether the check is compiled in: debug builds and tests.
pub const ENABLED: bool = cfg!(debug_assertions);

/// A lock class (`struct lock_class_key`): every lock of the class obeys the same rules.
#[derive(Debug)]
pub struct LockClass {
    name: &'static str,
    signalling_unsafe: bool,
    no_alloc: bool,
    /// Whether the class takes part in the learned rule (see the [module documentation](self)).
    learns: bool,
    /// A lock of the class was taken (blocking) inside a signalling section.
    taken_signalling: AtomicBool,
    /// A lock of the class was held, its hold marked, at an allocation point.
    held_allocating: AtomicBool,
}

impl LockClass {
    const fn make(
        name: &'static str,
        signalling_unsafe: bool,
        no_alloc: bool,
        learns: bool,
    ) -> Self {
        LockClass {
            name,
            signalling_unsafe,
            no_alloc,
            learns,
            taken_signalling: AtomicBool::new(false),
            held_allocating: AtomicBool::new(false),
        }
    }

    /// A class named `name` that may be taken anywhere, the fence-signalling path included, provided that, once it
    /// has been, no lock of it is ever held while allocating (and the other way round): the learned rule of the
    /// [module documentation](self).
    pub const fn new(name: &'static str) -> Self {
        Self::make(name, false, false, true)
    }

    /// A catch-all class for locks made without a class of their own: no rule applies to it.
    const fn catch_all(name: &'static str) -> Self {
        Self::make(name, false, false, false)
    }

    /// A class named `name` that must never be taken inside a [`SignallingSection`].
    pub const fn signalling_unsafe(name: &'static str) -> Self {
        Self::make(name, true, false, false)
    }

    /// A class named `name` that may be taken inside a [`SignallingSection`] because nothing is ever allocated while
    /// a lock of it is held: a hold ([`lock_held`], every [`crate::sync::Mutex`] guard) is a section where
    /// allocating is a violation.
    pub const fn no_alloc(name: &'static str) -> Self {
        Self::make(name, false, true, false)
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

    /// Whether a lock of the class has been taken inside a signalling section so far (learned classes only; always
    /// `false` when the check is compiled out).
    pub fn taken_while_signalling(&self) -> bool {
        self.taken_signalling.load(Ordering::Relaxed)
    }

    /// Whether a lock of the class has been held at an allocation point so far (learned classes only; always `false`
    /// when the check is compiled out).
    pub fn held_while_allocating(&self) -> bool {
        self.held_allocating.load(Ordering::Relaxed)
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
pub static MUTEX_CLASS: LockClass = LockClass::catch_all("mutex");

/// The class of a [`crate::sync::WwMutex`] created without one.
pub static WW_MUTEX_CLASS: LockClass = LockClass::catch_all("ww_mutex");

/// Held locks a thread keeps track of (lockdep's `MAX_LOCK_DEPTH` is 48; this stack nests far less). Deeper holds
/// are not tracked.
const MAX_HELD: usize = 16;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static HELD: Cell<[Option<&'static LockClass>; MAX_HELD]> = const { Cell::new([None; MAX_HELD]) };
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
///
/// For a learned class inside a section, it is also noted that the class is taken while signalling, and a violation
/// if a lock of the class has been held while allocating.
#[inline]
pub fn lock_acquire(class: &'static LockClass) {
    if ENABLED && DEPTH.get() > 0 {
        if class.signalling_unsafe {
            record(class);
        }
        if class.learns {
            class.taken_signalling.store(true, Ordering::Relaxed);
            if class.held_allocating.load(Ordering::Relaxed) {
                record_learned(class);
            }
        }
    }
}

/// An allocation point reached on the calling thread (called by [`crate::alloc`]): every held, marked lock of a
/// learned class is noted as held while allocating, and is a violation if its class has been taken while signalling.
pub(crate) fn alloc_point() {
    if !ENABLED {
        return;
    }
    for class in HELD.get().into_iter().flatten() {
        if class.learns {
            class.held_allocating.store(true, Ordering::Relaxed);
            if class.taken_signalling.load(Ordering::Relaxed) {
                record_learned(class);
            }
        }
    }
}

/// The hold of a lock, from [`lock_held`] until dropped, which the holder does when it releases the lock. For a class
/// that forbids allocation ([`LockClass::no_alloc`]), allocation points reached meanwhile fail and are counted
/// ([`crate::alloc::fault::violations`]); a learned class ([`LockClass::new`]) learns that it is held while
/// allocating.
#[must_use = "the hold ends when the guard drops"]
pub struct LockHeld {
    _no_alloc: Option<NoAllocSection>,
    /// The class, while the hold is on this thread's stack of tracked holds.
    tracked: Option<&'static LockClass>,
    /// The hold belongs to the thread that took the lock.
    _not_send: PhantomData<*const ()>,
}

/// Notes that the calling thread now holds a lock of `class` (acquired blocking or not). For a class that forbids
/// allocation ([`LockClass::no_alloc`]) the returned hold is a no-allocation section; for a learned class
/// ([`LockClass::new`]) allocation points reached during the hold teach the class that it is held while allocating;
/// for the other classes, and when the check is compiled out, it does nothing.
#[inline]
pub fn lock_held(class: &'static LockClass) -> LockHeld {
    let tracked = (ENABLED && class.learns && push_held(class)).then_some(class);
    LockHeld {
        _no_alloc: (ENABLED && class.no_alloc).then(NoAllocSection::begin),
        tracked,
        _not_send: PhantomData,
    }
}

impl Drop for LockHeld {
    // Inlined: with the check compiled out there is nothing to do, and every mutex unlock comes here.
    #[inline]
    fn drop(&mut self) {
        if !ENABLED {
            return;
        }
        if let Some(class) = self.tracked {
            // Holds may end in any order: the latest hold of the class goes.
            let mut held = HELD.get();
            if let Some(slot) = held
                .iter_mut()
                .rev()
                .find(|c| c.is_some_and(|c| core::ptr::eq(c, class)))
            {
                *slot = None;
            }
            HELD.set(held);
        }
    }
}

/// Puts `class` on the calling thread's stack of tracked holds; `false` when the stack is full.
fn push_held(class: &'static LockClass) -> bool {
    let mut held = HELD.get();
    match held.iter_mut().find(|c| c.is_none()) {
        Some(slot) => {
            *slot = Some(class);
            HELD.set(held);
            true
        }
        None => false,
    }
}

#[cold]
fn record(class: &'static LockClass) {
    VIOLATIONS.set(VIOLATIONS.get() + 1);
    LAST.set(Some(class.name));
    GLOBAL_VIOLATIONS.fetch_add(1, Ordering::Relaxed);
    tracing::error!(target: "lockdep", class = class.name, "lock taken inside a fence-signalling section");
}

#[cold]
fn record_learned(class: &'static LockClass) {
    VIOLATIONS.set(VIOLATIONS.get() + 1);
    LAST.set(Some(class.name));
    GLOBAL_VIOLATIONS.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        target: "lockdep",
        class = class.name,
        "lock class taken inside a fence-signalling section is held while allocating"
    );
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
            assert!(
                alloc::try_box(1u8).is_err(),
                "outside any signalling section"
            );
        }
        assert_eq!(alloc::fault::violations(), before + 1);
        {
            let _s = dma_fence_begin_signalling();
            let _g = m.lock();
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

    #[test]
    fn a_class_taken_while_signalling_and_held_while_allocating_is_caught_in_either_order() {
        static CACHE: LockClass = LockClass::new("test_cache");
        let m = Mutex::with_class((), &CACHE);
        let before = violations();
        // Taken while signalling, never held while allocating: fine so far.
        {
            let _s = dma_fence_begin_signalling();
            drop(m.lock());
        }
        assert!(CACHE.taken_while_signalling() && !CACHE.held_while_allocating());
        assert_eq!(violations(), before);
        // Then held while allocating, outside any section: the cycle closes here.
        {
            let _g = m.lock();
            assert!(
                alloc::try_box(1u8).is_ok(),
                "the allocation itself is not refused"
            );
        }
        assert_eq!(violations(), before + 1);
        assert_eq!(last_violation(), Some("test_cache"));
        // And every later acquisition inside a section reports it again.
        {
            let _s = dma_fence_begin_signalling();
            drop(m.lock());
        }
        assert_eq!(violations(), before + 2);

        // The other order: held while allocating first, then taken while signalling.
        static OTHER: LockClass = LockClass::new("test_cache_other");
        let m = Mutex::with_class((), &OTHER);
        {
            let _g = m.lock();
            assert!(alloc::try_vec::<u8>(8).is_ok());
        }
        assert_eq!(violations(), before + 2);
        {
            let _s = dma_fence_begin_signalling();
            drop(m.lock());
        }
        assert_eq!(violations(), before + 3);
        assert_eq!(last_violation(), Some("test_cache_other"));
    }

    #[test]
    fn allocating_after_the_hold_ends_or_under_a_catch_all_class_teaches_nothing() {
        static CACHE: LockClass = LockClass::new("test_cache_released");
        let m = Mutex::with_class((), &CACHE);
        let before = violations();
        {
            let _s = dma_fence_begin_signalling();
            drop(m.lock());
        }
        // Taken, released, then allocated: the shape of a cache refilled outside its lock.
        drop(m.lock());
        assert!(alloc::try_box(1u8).is_ok());
        assert!(!CACHE.held_while_allocating());
        // The catch-all class learns nothing, whatever its locks do.
        let any = Mutex::new(());
        {
            let _s = dma_fence_begin_signalling();
            drop(any.lock());
        }
        {
            let _g = any.lock();
            assert!(alloc::try_box(1u8).is_ok());
        }
        assert!(!MUTEX_CLASS.taken_while_signalling() && !MUTEX_CLASS.held_while_allocating());
        assert_eq!(violations(), before);
    }

    #[test]
    fn holds_end_in_any_order() {
        static A: LockClass = LockClass::new("test_hold_a");
        static B: LockClass = LockClass::new("test_hold_b");
        let (a, b) = (Mutex::with_class((), &A), Mutex::with_class((), &B));
        let ga = a.lock();
        let gb = b.lock();
        drop(ga);
        assert!(alloc::try_box(1u8).is_ok());
        drop(gb);
        assert!(!A.held_while_allocating() && B.held_while_allocating());
    }
}
