// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Reservation objects (`drivers/dma-buf/dma-resv.c`) and multi-object locking (`drivers/gpu/drm/drm_exec.c`).
//!
//! A [`DmaResv`] is a ww-mutex over a list of fences, each with a [`DmaResvUsage`]. Several resvs are locked together
//! with an [`Exec`] context, which retries on `EDEADLK` the way `drm_exec_until_all_locked` does, so callers can lock
//! any set of resvs in any order without deadlock. Fences are added to a locked resv only into slots reserved
//! beforehand ([`Exec::reserve_fences`], `dma_resv_reserve_fences`), so adding them cannot fail.

use std::sync::Arc;

use crate::alloc;
use crate::dma_fence::DmaFence;
use crate::error::code::{EALREADY, EDEADLK, EINVAL, ENOSPC};
use crate::error::Result;
use crate::sync::lockdep::RESV_CLASS;
use crate::sync::{WwAcquireCtx, WwMutex, WwMutexGuard};

/// How a fence uses the buffer (`enum dma_resv_usage`), ordered from strongest to weakest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DmaResvUsage {
    /// The kernel's own memory management (moves, clears).
    Kernel,
    /// Implicitly synchronised writes.
    Write,
    /// Implicitly synchronised reads.
    Read,
    /// Explicitly synchronised access: never waited for implicitly (what Panthor uses for job fences).
    Bookkeep,
}

/// The fences of a resv, protected by its lock.
#[derive(Default)]
pub struct ResvFences {
    fences: Vec<(DmaFence, DmaResvUsage)>,
    /// Slots reserved by `dma_resv_reserve_fences` and not used yet.
    reserved: usize,
}

impl ResvFences {
    /// Reserves room for `n` more fences (`dma_resv_reserve_fences`): the fallible part.
    pub fn reserve(&mut self, n: usize) -> Result {
        alloc::try_reserve(&mut self.fences, n)?;
        self.reserved = self.reserved.max(n);
        Ok(())
    }

    /// Adds a fence into a reserved slot (`dma_resv_add_fence`). A fence of the same context replaces the older one
    /// instead of taking a slot, as in the kernel. `ENOSPC` if no slot was reserved (a driver bug in the kernel,
    /// where it is a `WARN`).
    pub fn add(&mut self, fence: &DmaFence, usage: DmaResvUsage) -> Result {
        if let Some(slot) = self
            .fences
            .iter_mut()
            .find(|(f, _)| f.context() == fence.context())
        {
            *slot = (fence.clone(), usage.min(slot.1));
            return Ok(());
        }
        if self.reserved == 0 || self.fences.len() == self.fences.capacity() {
            return Err(ENOSPC);
        }
        self.reserved -= 1;
        self.fences.push((fence.clone(), usage));
        Ok(())
    }

    /// Fences whose usage is at least as strong as `usage` (`dma_resv_for_each_fence`), unsignalled or not.
    pub fn iter(&self, usage: DmaResvUsage) -> impl Iterator<Item = &DmaFence> {
        self.fences
            .iter()
            .filter(move |(_, u)| *u <= usage)
            .map(|(f, _)| f)
    }

    /// Whether every fence of at least `usage` has signalled (`dma_resv_test_signaled`).
    pub fn test_signaled(&self, usage: DmaResvUsage) -> bool {
        self.iter(usage).all(|f| f.is_signaled())
    }

    /// Drops signalled fences (the kernel prunes them when the fence list is replaced).
    pub fn prune(&mut self) {
        self.fences.retain(|(f, _)| !f.is_signaled());
    }

    /// Number of fences held.
    pub fn len(&self) -> usize {
        self.fences.len()
    }

    /// Whether no fence is held.
    pub fn is_empty(&self) -> bool {
        self.fences.is_empty()
    }
}

/// A reservation object (`struct dma_resv`): a ww-mutex over its fences. Shared through `Arc`; identity is the
/// allocation (two GEM objects share a resv when they hold the same `Arc`).
pub struct DmaResv {
    lock: WwMutex<ResvFences>,
}

impl DmaResv {
    /// A new resv, fallibly allocated.
    pub fn new() -> Result<Arc<Self>> {
        Ok(alloc::try_arc(DmaResv {
            lock: WwMutex::with_class(ResvFences::default(), &RESV_CLASS),
        })?)
    }

    /// Locks without an acquire context (`dma_resv_lock(obj, NULL)`).
    pub fn lock(&self) -> ResvGuard<'_> {
        ResvGuard {
            resv: self,
            guard: self.lock.lock(),
        }
    }

    /// Whether anybody holds the lock.
    pub fn is_locked(&self) -> bool {
        self.lock.is_locked()
    }

    /// The ww-mutex itself, for [`Exec`].
    fn ww(&self) -> &WwMutex<ResvFences> {
        &self.lock
    }
}

/// Keeps [`ResvHeld`] closed: only this module's lock holders implement `private::Sealed`.
mod private {
    /// The supertrait outside code cannot name, so cannot implement.
    pub trait Sealed {}
}

/// Proof that a resv is held by the caller: a [`ResvGuard`] or an [`Exec`] context that locked it. What
/// `dma_resv_assert_held` checks at runtime in the kernel is checked here against the proof.
///
/// The trait is sealed: a `true` from [`ResvHeld::holds`] hands out `&mut` access to what the resv guards (GPUVM's
/// extobj and evict lists), so only the two holders the lock itself creates may answer it. Outside code cannot
/// forge a holder:
///
/// ```compile_fail,E0277
/// use kernel::dma_resv::{DmaResv, ResvHeld};
///
/// struct Forged;
///
/// impl ResvHeld for Forged {
///     fn holds(&self, _resv: &DmaResv) -> bool {
///         true
///     }
/// }
/// ```
///
/// while the real holders are accepted wherever a proof is asked for:
///
/// ```
/// use kernel::dma_resv::{DmaResv, Exec, ResvHeld};
///
/// let resv = DmaResv::new().unwrap();
/// let guard = resv.lock();
/// assert!(guard.holds(&resv));
/// drop(guard);
/// let mut exec = Exec::new();
/// exec.lock(&resv).unwrap();
/// assert!(exec.holds(&resv));
/// ```
pub trait ResvHeld: private::Sealed {
    /// Whether `resv` is locked by this holder.
    fn holds(&self, resv: &DmaResv) -> bool;
}

/// A resv locked without an acquire context; unlocks when dropped.
pub struct ResvGuard<'a> {
    resv: &'a DmaResv,
    guard: WwMutexGuard<'a, ResvFences>,
}

impl ResvGuard<'_> {
    /// The resv this guard holds.
    pub fn resv(&self) -> &DmaResv {
        self.resv
    }

    /// The fences.
    pub fn fences(&mut self) -> &mut ResvFences {
        &mut self.guard
    }
}

impl private::Sealed for ResvGuard<'_> {}

impl ResvHeld for ResvGuard<'_> {
    fn holds(&self, resv: &DmaResv) -> bool {
        core::ptr::eq(self.resv, resv)
    }
}

/// Locks a set of resvs in one acquire context (`struct drm_exec`), retrying on contention.
///
/// Resvs are kept by `Arc` so the set can outlive the objects it was collected from; every one is unlocked when the
/// context is dropped ([`Exec::unlock_all`] in `drm_exec_fini`), so no early return can leak a lock.
pub struct Exec {
    ctx: WwAcquireCtx,
    locked: Vec<Arc<DmaResv>>,
    /// The resv that made the last attempt back off, locked first on the next one.
    contended: Option<Arc<DmaResv>>,
    /// How many times the transaction backed off (for tests and statistics).
    retries: u64,
}

impl Default for Exec {
    fn default() -> Self {
        Self::new()
    }
}

impl Exec {
    /// A new, empty transaction (`drm_exec_init`).
    pub fn new() -> Self {
        Exec {
            ctx: WwAcquireCtx::new(),
            locked: Vec::new(),
            contended: None,
            retries: 0,
        }
    }

    /// Locks `resv` in this transaction (`drm_exec_lock_obj`). Locking one already held is a no-op. On `EDEADLK` every
    /// lock is dropped and the contended resv remembered: the caller restarts its whole locking sequence, which
    /// [`Exec::lock_all`] and [`Exec::until_all_locked`] do for it.
    pub fn lock(&mut self, resv: &Arc<DmaResv>) -> Result {
        alloc::try_reserve(&mut self.locked, 1)?;
        match resv.ww().lock_ctx(&mut self.ctx) {
            Ok(()) => {
                self.locked.push(resv.clone());
                Ok(())
            }
            Err(e) if e == EALREADY => Ok(()),
            Err(e) if e == EDEADLK => {
                self.unlock_all();
                self.contended = Some(resv.clone());
                self.retries += 1;
                Err(EDEADLK)
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `lock_fn` until it has locked everything without contention (`drm_exec_until_all_locked`): before each
    /// retry the contended resv is taken on the slow path, sleeping until it is free. `lock_fn` must lock through the
    /// given `Exec` and return `EDEADLK` as it got it; any other error ends the transaction with every lock dropped.
    pub fn until_all_locked(&mut self, mut lock_fn: impl FnMut(&mut Exec) -> Result) -> Result {
        loop {
            if let Some(c) = self.contended.take() {
                alloc::try_reserve(&mut self.locked, 1).inspect_err(|_| self.unlock_all())?;
                c.ww().lock_slow(&mut self.ctx)?;
                self.locked.push(c);
            }
            match lock_fn(self) {
                Ok(()) => return Ok(()),
                Err(e) if e == EDEADLK => continue,
                Err(e) => {
                    self.unlock_all();
                    return Err(e);
                }
            }
        }
    }

    /// Locks every resv of `resvs`, in the given order, retrying on contention.
    pub fn lock_all(&mut self, resvs: &[Arc<DmaResv>]) -> Result {
        self.until_all_locked(|exec| resvs.iter().try_for_each(|r| exec.lock(r)))
    }

    /// Reserves `n` fence slots in every locked resv (`drm_exec_prepare_obj`'s `num_fences`).
    pub fn reserve_fences(&mut self, n: usize) -> Result {
        for r in &self.locked {
            r.ww().get_mut_locked(&mut self.ctx)?.reserve(n)?;
        }
        Ok(())
    }

    /// Adds `fence` to every locked resv with `usage` (`drm_gpuvm_resv_add_fence` for all of them).
    pub fn add_fence_all(&mut self, fence: &DmaFence, usage: DmaResvUsage) -> Result {
        for r in &self.locked {
            r.ww().get_mut_locked(&mut self.ctx)?.add(fence, usage)?;
        }
        Ok(())
    }

    /// The fences of a resv this transaction holds; `EINVAL` if it does not hold it.
    pub fn fences<'a>(&'a mut self, resv: &'a DmaResv) -> Result<&'a mut ResvFences> {
        if !self.locked.iter().any(|r| core::ptr::eq(&**r, resv)) {
            return Err(EINVAL);
        }
        resv.ww().get_mut_locked(&mut self.ctx)
    }

    /// The resvs held, in locking order.
    pub fn locked(&self) -> &[Arc<DmaResv>] {
        &self.locked
    }

    /// How many times the transaction backed off.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// Drops every lock (`drm_exec_unlock_all`).
    pub fn unlock_all(&mut self) {
        for r in self.locked.drain(..) {
            // Cannot fail: every resv in `locked` was locked by this context and not yet unlocked.
            let _ = r.ww().unlock_ctx(&mut self.ctx);
        }
    }
}

impl private::Sealed for Exec {}

impl ResvHeld for Exec {
    fn holds(&self, resv: &DmaResv) -> bool {
        self.locked.iter().any(|r| core::ptr::eq(&**r, resv))
    }
}

impl Drop for Exec {
    fn drop(&mut self) {
        self.unlock_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_locks_a_set_and_unlocks_on_drop() {
        let (a, b) = (DmaResv::new().unwrap(), DmaResv::new().unwrap());
        {
            let mut exec = Exec::new();
            exec.lock_all(&[a.clone(), b.clone(), a.clone()]).unwrap();
            assert_eq!(exec.locked().len(), 2);
            assert!(exec.holds(&a) && a.is_locked() && b.is_locked());
        }
        assert!(!a.is_locked() && !b.is_locked());
    }

    #[test]
    fn fences_need_reserved_slots() {
        let r = DmaResv::new().unwrap();
        let f = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        let mut g = r.lock();
        assert_eq!(g.fences().add(&f, DmaResvUsage::Bookkeep), Err(ENOSPC));
        g.fences().reserve(1).unwrap();
        g.fences().add(&f, DmaResvUsage::Bookkeep).unwrap();
        assert!(!g.fences().test_signaled(DmaResvUsage::Bookkeep));
        assert!(g.fences().test_signaled(DmaResvUsage::Write));
        f.signal().unwrap();
        assert!(g.fences().test_signaled(DmaResvUsage::Bookkeep));
    }

    #[test]
    fn same_context_fence_replaces_the_older_one() {
        let r = DmaResv::new().unwrap();
        let ctx = DmaFence::context_alloc();
        let mut g = r.lock();
        g.fences().reserve(1).unwrap();
        g.fences()
            .add(&DmaFence::new(ctx, 1).unwrap(), DmaResvUsage::Read)
            .unwrap();
        g.fences()
            .add(&DmaFence::new(ctx, 2).unwrap(), DmaResvUsage::Read)
            .unwrap();
        assert_eq!(g.fences().len(), 1);
    }

    #[test]
    fn a_contended_transaction_backs_off_and_completes() {
        let (a, b) = (DmaResv::new().unwrap(), DmaResv::new().unwrap());
        let mut old = Exec::new();
        let mut young = Exec::new();
        old.lock(&b).unwrap();
        young.lock(&a).unwrap();
        // The young one meets the old one's lock: it dies, dropping `a`.
        assert_eq!(young.lock(&b), Err(EDEADLK));
        assert!(!a.is_locked());
        old.lock(&a).unwrap();
        drop(old);
        young.lock_all(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(young.locked().len(), 2);
    }
}
