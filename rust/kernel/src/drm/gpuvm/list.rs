// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Intrusive doubly linked lists (`struct list_head`): the links live in the listed items, so adding and removing
//! never allocate. GPUVM keeps two of them under a GEM object's gpuva lock: the object's vm_bos
//! (`drm_gem_object::gpuva.list`) and each vm_bo's VAs (`drm_gpuvm_bo::list.gpuva`).
//!
//! A list does not own its items and does not know its lock: every operation is `unsafe`, and its caller promises
//! that it holds the lock that guards the list and that every item on it stays alive until removed. The pointers
//! are atomics only so that the types are `Send` and `Sync` without an `unsafe impl`; the lock orders every access,
//! so they are read and written `Relaxed`.

use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering::Relaxed};

/// The links of one item (`struct list_head` embedded in an item).
///
/// # Invariants
/// While the item is on a list, `prev` and `next` point at its neighbours on that list (null at the ends); off a
/// list both are null.
#[derive(Debug, Default)]
pub(crate) struct Links {
    prev: AtomicPtr<Links>,
    next: AtomicPtr<Links>,
}

impl Links {
    /// Links of an item on no list.
    pub(crate) const fn new() -> Self {
        Links {
            prev: AtomicPtr::new(ptr::null_mut()),
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// The head of a list: its first and last item.
///
/// # Invariants
/// `first` and `last` are both null (empty) or point at the ends of a chain of [`Links`] linked both ways.
#[derive(Debug, Default)]
pub(crate) struct List {
    first: AtomicPtr<Links>,
    last: AtomicPtr<Links>,
}

impl List {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        List {
            first: AtomicPtr::new(ptr::null_mut()),
            last: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Whether the list is empty.
    ///
    /// # Safety
    /// The caller holds the lock that guards the list.
    pub(crate) unsafe fn is_empty(&self) -> bool {
        self.first.load(Relaxed).is_null()
    }

    /// Adds `item` at the end (`list_add_tail`). Never allocates.
    ///
    /// # Safety
    /// The caller holds the lock that guards the list; `item` is valid, on no list, and stays valid and in place
    /// until it is removed with [`Self::remove`].
    #[inline]
    pub(crate) unsafe fn push_back(&self, item: NonNull<Links>) {
        let item = item.as_ptr();
        let last = self.last.load(Relaxed);
        // SAFETY: `item` is valid (caller); `last`, if not null, is an item of this list, alive until removed
        // (this function's contract, as every item was added through it).
        unsafe {
            (*item).prev.store(last, Relaxed);
            (*item).next.store(ptr::null_mut(), Relaxed);
            if last.is_null() {
                self.first.store(item, Relaxed);
            } else {
                (*last).next.store(item, Relaxed);
            }
        }
        // INVARIANT: `item` is the new end of the chain, linked to the old one both ways.
        self.last.store(item, Relaxed);
    }

    /// Takes `item` off the list (`list_del_init`). Never allocates.
    ///
    /// # Safety
    /// The caller holds the lock that guards the list, and `item` is on this list.
    #[inline]
    pub(crate) unsafe fn remove(&self, item: NonNull<Links>) {
        let item = item.as_ptr();
        // SAFETY: `item` is on this list (caller), so it and its neighbours are alive (`push_back`'s contract).
        unsafe {
            // Loads and stores, not swaps: the lock orders every access, so no read-modify-write is needed.
            let prev = (*item).prev.load(Relaxed);
            let next = (*item).next.load(Relaxed);
            (*item).prev.store(ptr::null_mut(), Relaxed);
            (*item).next.store(ptr::null_mut(), Relaxed);
            // INVARIANT: the neighbours (or the head's ends) now point at each other, past `item`, whose links
            // are null as it is on no list.
            if prev.is_null() {
                self.first.store(next, Relaxed);
            } else {
                (*prev).next.store(next, Relaxed);
            }
            if next.is_null() {
                self.last.store(prev, Relaxed);
            } else {
                (*next).prev.store(prev, Relaxed);
            }
        }
    }

    /// The items, first to last (`list_for_each`).
    ///
    /// # Safety
    /// The caller holds the lock that guards the list for as long as the iterator is used, and takes no item off
    /// the list meanwhile.
    pub(crate) unsafe fn iter(&self) -> Iter<'_> {
        Iter {
            next: self.first.load(Relaxed),
            _list: core::marker::PhantomData,
        }
    }

    /// Number of items, counted by walking the list (`list_count_nodes`).
    ///
    /// # Safety
    /// The caller holds the lock that guards the list.
    pub(crate) unsafe fn count(&self) -> usize {
        // SAFETY: the caller holds the lock; nothing is removed during the walk.
        unsafe { self.iter() }.count()
    }
}

/// Iterator over the items of a [`List`]; see [`List::iter`] for its contract.
pub(crate) struct Iter<'a> {
    next: *mut Links,
    _list: core::marker::PhantomData<&'a List>,
}

impl Iterator for Iter<'_> {
    type Item = NonNull<Links>;

    fn next(&mut self) -> Option<NonNull<Links>> {
        let cur = NonNull::new(self.next)?;
        // SAFETY: `cur` is on the list, alive and not removed while the iterator is used (`List::iter`'s contract,
        // under the list's lock).
        self.next = unsafe { cur.as_ref() }.next.load(Relaxed);
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list that owns its items for the test: every call below meets the contracts (no other thread, the items
    /// outlive the list, each is added while off it and removed while on it).
    struct Owned<'a> {
        list: List,
        items: &'a [Links],
    }

    impl Owned<'_> {
        fn push(&self, i: usize) {
            // SAFETY: see `Owned`.
            unsafe { self.list.push_back(NonNull::from(&self.items[i])) }
        }

        fn remove(&self, i: usize) {
            // SAFETY: see `Owned`.
            unsafe { self.list.remove(NonNull::from(&self.items[i])) }
        }

        fn order(&self) -> Vec<usize> {
            // SAFETY: see `Owned`.
            let it = unsafe { self.list.iter() };
            it.map(|p| {
                self.items
                    .iter()
                    .position(|i| core::ptr::eq(i, p.as_ptr()))
                    .unwrap()
            })
            .collect()
        }

        fn count_and_empty(&self) -> (usize, bool) {
            // SAFETY: see `Owned`.
            unsafe { (self.list.count(), self.list.is_empty()) }
        }
    }

    #[test]
    fn push_iterate_and_remove_at_either_end_and_in_the_middle() {
        let items: Vec<Links> = (0..4).map(|_| Links::new()).collect();
        let l = Owned {
            list: List::new(),
            items: &items,
        };
        assert_eq!(l.count_and_empty(), (0, true));
        (0..4).for_each(|i| l.push(i));
        assert_eq!(l.order(), [0, 1, 2, 3]);
        assert_eq!(l.count_and_empty(), (4, false));
        l.remove(1);
        assert_eq!(l.order(), [0, 2, 3]);
        l.remove(0);
        l.remove(3);
        assert_eq!(l.order(), [2]);
        // A removed item can be added again, at the end.
        l.push(0);
        assert_eq!(l.order(), [2, 0]);
        l.remove(2);
        l.remove(0);
        assert_eq!(l.count_and_empty(), (0, true));
        assert!(items
            .iter()
            .all(|i| i.prev.load(Relaxed).is_null() && i.next.load(Relaxed).is_null()));
    }
}
