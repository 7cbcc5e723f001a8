// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VA tree: a B+-tree keyed by start address whose nodes come from a reserve, so that the fence-signalling path
//! never allocates.
//!
//! GPUVM's VAs never overlap, so the only VA that can contain an address is the one with the greatest start at or
//! below it: a tree keyed by start answers every question the interval tree of `drm_gpuvm.c` answers, in O(log n).
//! A B+-tree keeps 16 keys per node in one array, so a lookup touches a handful of cache lines where a binary tree
//! touches one per level — what matters at 10^5–10^6 live VAs. Leaves also keep each entry's end ([`Span`]), so
//! [`Tree::first_overlap`] finds the first entry overlapping a range in one descent without reading any entry.
//!
//! VA nodes are boxed and owned by the caller until inserted ([`super::GpuVaAlloc`]), and come back out on removal.
//! Tree nodes are taken from a [`NodePool`] that the driver fills in the ioctl (as the kernel's maple tree is
//! filled by `mas_preallocate`), and return to it when a node empties: inserting and removing never allocate. A node
//! that empties is unlinked; nodes that merely shrink are not merged (routing stays correct, since separators only
//! bound their subtrees), so the height is bounded by the logarithm of the peak size.
//!
//! A search can record its way down ([`Path`]: child indices and the leaf position, never pointers). A caller that
//! has changed nothing since hands it back to insert or remove in that leaf without searching again
//! ([`TreeMut::insert_along`], [`TreeMut::remove_along`]); a full leaf, or one the removal would empty, falls back to
//! the full operation, and the reserve ([`Reserve`]) is reached only then.

mod node;

use node::{
    ceil, first_overlap, floor, insert, leaf_put, leaf_take, prefetch, remove, Slots, B,
    MAX_HEIGHT, PAD,
};
pub(crate) use node::{BNode, Hit, Node, NodePool, Path, Span};

/// The tree. `len` counts its entries; `height` its levels (1 for a lone leaf).
pub(crate) struct Tree<V> {
    root: Box<BNode<V>>,
    len: usize,
    height: usize,
}

impl<V> Tree<V> {
    /// An empty tree: one empty leaf (allocated here, at VM creation).
    pub(crate) fn new() -> Result<Self, crate::alloc::AllocError> {
        let mut root = NodePool::alloc_node()?;
        root.slots = Slots::leaf();
        Ok(Tree {
            root,
            len: 0,
            height: 1,
        })
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Levels.
    pub(crate) fn height(&self) -> usize {
        self.height
    }

    /// Tree nodes that `inserts` insertions (with any removals in between) may take from the pool, worst case: each
    /// splits a node per level and may add a root level.
    pub(crate) fn nodes_needed(&self, inserts: usize) -> usize {
        (0..inserts).map(|i| self.height + 1 + i).sum()
    }

    /// Removes and returns the entry with `key`, returning emptied nodes to `pool`.
    pub(crate) fn remove(&mut self, key: u64, pool: &mut NodePool<V>) -> Option<Box<Node<V>>> {
        let v = remove(&mut self.root, key, pool)?;
        self.len -= 1;
        // Collapse a root left with one child (or none: an emptied tree becomes a lone leaf again).
        while matches!(self.root.slots, Slots::Internal(_)) && self.root.len <= 1 {
            let child = match &mut self.root.slots {
                Slots::Internal(c) if self.root.len == 1 => c[0].take(),
                _ => None,
            };
            match child {
                Some(child) => {
                    let old = core::mem::replace(&mut self.root, child);
                    pool.push(old);
                    self.height -= 1;
                }
                None => {
                    self.root.len = 0;
                    self.root.keys = [PAD; B];
                    self.root.slots = Slots::leaf();
                    self.height = 1;
                }
            }
        }
        Some(v)
    }

    /// The entry with `key`.
    pub(crate) fn get(&self, key: u64) -> Option<&Node<V>> {
        let mut n = &*self.root;
        loop {
            match &n.slots {
                Slots::Leaf { vals, .. } => {
                    let pos = n.lower(key);
                    return vals[..n.len]
                        .get(pos)
                        .filter(|_| n.keys[pos] == key)
                        .and_then(|v| v.as_deref());
                }
                Slots::Internal(c) => {
                    n = c[n.route(key)].as_deref()?;
                    prefetch(n);
                }
            }
        }
    }

    /// The entry with `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut Node<V>> {
        let mut n = &mut *self.root;
        loop {
            let leaf = matches!(n.slots, Slots::Leaf { .. });
            let i = if leaf { n.lower(key) } else { n.route(key) };
            let len = n.len;
            match &mut n.slots {
                Slots::Leaf { vals, .. } => {
                    if i < len && n.keys[i] == key {
                        return vals[i].as_deref_mut();
                    }
                    return None;
                }
                Slots::Internal(c) => n = c[i].as_deref_mut()?,
            }
        }
    }

    /// The entry with the greatest key `<= key`.
    pub(crate) fn floor(&self, key: u64) -> Option<&Node<V>> {
        floor(&self.root, key).and_then(|h| h.node())
    }

    /// The entry with the smallest key `>= key`, with its key and end read from its leaf.
    pub(crate) fn ceil(&self, key: u64) -> Option<Hit<'_, V>> {
        ceil(&self.root, key)
    }

    /// The first entry, in key order, that intersects `[addr, end)`, with its key and end read from its leaf: one
    /// descent, and no entry read.
    pub(crate) fn first_overlap(&self, addr: u64, end: u64) -> Option<Hit<'_, V>> {
        first_overlap(&self.root, addr, end, &mut Path::root())
    }

    /// [`Self::first_overlap`], with the way down to the leaf `addr` belongs in: as long as nothing changes, a VA
    /// found in that leaf can be removed, and one starting at `addr` inserted, along it without a search
    /// ([`Self::remove_along`], [`Self::insert_along`]).
    pub(crate) fn first_overlap_path(&self, addr: u64, end: u64) -> (Option<Hit<'_, V>>, Path) {
        let mut path = Path::root();
        (first_overlap(&self.root, addr, end, &mut path), path)
    }

    /// The node at the end of `path`, mutably, if it is a leaf.
    fn leaf_along<'a>(root: &'a mut BNode<V>, path: &Path) -> Option<&'a mut BNode<V>> {
        let mut n = root;
        for &i in &path.idx[..path.depth] {
            match &mut n.slots {
                Slots::Internal(c) => n = c.get_mut(usize::from(i))?.as_deref_mut()?,
                Slots::Leaf { .. } => return None,
            }
        }
        if matches!(n.slots, Slots::Leaf { .. }) {
            Some(n)
        } else {
            None
        }
    }

    /// Removes the entry with `key` as [`Self::remove`] does, taking it straight out of the leaf `path` leads to
    /// when it is there and the leaf keeps other entries. `path` must have been recorded by a search of this tree
    /// with nothing changed since. (Tests; [`TreeMut::remove_along`] reaches the reserve only for the fallback.)
    #[cfg(test)]
    pub(crate) fn remove_along(
        &mut self,
        path: &Path,
        key: u64,
        pool: &mut NodePool<V>,
    ) -> Option<Box<Node<V>>> {
        self.try_remove_along(path, key)
            .or_else(|| self.remove(key, pool))
    }

    /// The fast half of [`Self::remove_along`]: `None` when the entry is not in the leaf `path` leads to or is its
    /// last entry (the caller then removes it with [`Self::remove`]).
    pub(crate) fn try_remove_along(&mut self, path: &Path, key: u64) -> Option<Box<Node<V>>> {
        let v = Self::leaf_along(&mut self.root, path).and_then(|l| leaf_take(l, key, path.at))?;
        self.len -= 1;
        Some(v)
    }

    /// In-order iteration (no allocation: the path lives in a fixed array).
    pub(crate) fn iter(&self) -> Iter<'_, V> {
        let mut it = Iter {
            stack: [(None, 0); MAX_HEIGHT],
            depth: 0,
        };
        it.stack[0] = (Some(&*self.root), 0);
        it.depth = 1;
        it
    }

    /// Detaches every entry, in order, handing each to `f`, and returns the nodes below the root to `pool` (VM
    /// teardown). The root stays, as an empty leaf.
    pub(crate) fn drain(&mut self, pool: &mut NodePool<V>, f: &mut impl FnMut(Box<Node<V>>)) {
        fn go<V>(n: &mut BNode<V>, pool: &mut NodePool<V>, f: &mut impl FnMut(Box<Node<V>>)) {
            let len = n.len;
            match &mut n.slots {
                Slots::Leaf { vals, .. } => vals[..len]
                    .iter_mut()
                    .filter_map(Option::take)
                    .for_each(&mut *f),
                Slots::Internal(c) => {
                    for mut child in c[..len].iter_mut().filter_map(Option::take) {
                        go(&mut child, pool, f);
                        pool.push(child);
                    }
                }
            }
            n.len = 0;
        }
        go(&mut self.root, pool, f);
        self.root.keys = [PAD; B];
        self.root.slots = Slots::leaf();
        self.len = 0;
        self.height = 1;
    }
}

impl<V: Span> Tree<V> {
    /// Inserts `node` as [`Self::insert`] does, straight into the leaf `path` leads to when it has room (no split, so
    /// no spare node needed). `path` must have been recorded by a search for the node's key in this tree
    /// ([`Self::first_overlap_path`]) with nothing changed since. (Tests; [`TreeMut::insert_along`] reaches the
    /// reserve only for the fallback.)
    #[cfg(test)]
    pub(crate) fn insert_along(
        &mut self,
        path: &Path,
        node: Box<Node<V>>,
        pool: &mut NodePool<V>,
    ) -> Result<(), Box<Node<V>>> {
        match self.try_insert_along(path, node) {
            Ok(()) => Ok(()),
            Err(node) => self.insert(node, pool),
        }
    }

    /// The fast half of [`Self::insert_along`]: gives the node back when the leaf `path` leads to is full (or holds
    /// its key); the caller then inserts it with [`Self::insert`].
    pub(crate) fn try_insert_along(
        &mut self,
        path: &Path,
        node: Box<Node<V>>,
    ) -> Result<(), Box<Node<V>>> {
        let Some(leaf) = Self::leaf_along(&mut self.root, path) else {
            return Err(node);
        };
        let end = node.val.span_end();
        leaf_put(leaf, node, end, path.at)?;
        self.len += 1;
        Ok(())
    }

    /// Checks ordering, routing bounds and counts (tests).
    #[cfg(test)]
    pub(crate) fn check(&self) -> usize {
        fn go<V: Span>(
            n: &BNode<V>,
            lo: Option<u64>,
            hi: Option<u64>,
            depth: usize,
            leaf_depth: &mut Option<usize>,
        ) -> usize {
            assert!(n.len <= B);
            assert!(
                n.keys[n.len..].iter().all(|&k| k == PAD),
                "keys past the length not padded"
            );
            match &n.slots {
                Slots::Leaf { ends, vals } => {
                    assert_eq!(
                        *leaf_depth.get_or_insert(depth),
                        depth,
                        "leaves at different depths"
                    );
                    for (i, (&k, v)) in n.keys[..n.len].iter().zip(vals).enumerate() {
                        assert!(lo.is_none_or(|lo| k >= lo) && hi.is_none_or(|hi| k < hi));
                        assert!(i == 0 || n.keys[i - 1] < k);
                        assert_eq!(v.as_ref().map(|v| v.key()), Some(k));
                        assert_eq!(v.as_ref().map(|v| v.val.span_end()), Some(ends[i]));
                    }
                    assert!(vals[n.len..].iter().all(Option::is_none));
                    n.len
                }
                Slots::Internal(c) => {
                    assert!(n.len >= 1);
                    (0..n.len)
                        .map(|i| {
                            let clo = if i == 0 { lo } else { Some(n.keys[i]) };
                            let chi = if i + 1 < n.len {
                                Some(n.keys[i + 1])
                            } else {
                                hi
                            };
                            let child = c[i].as_deref().expect("child");
                            assert!(child.len > 0, "empty child kept");
                            go(child, clo, chi, depth + 1, leaf_depth)
                        })
                        .sum()
                }
            }
        }
        let mut leaf_depth = None;
        let c = go(&self.root, None, None, 1, &mut leaf_depth);
        assert_eq!(c, self.len);
        assert_eq!(leaf_depth, Some(self.height));
        c
    }
    /// Inserts `node`, taking split nodes from `pool`; gives it back, with nothing changed, if its key exists or if
    /// `pool` holds fewer nodes than the insertion may take ([`Self::nodes_needed`]`(1)`): a tree change never
    /// allocates, not even when a caller's reserve accounting is wrong.
    pub(crate) fn insert(
        &mut self,
        node: Box<Node<V>>,
        pool: &mut NodePool<V>,
    ) -> Result<(), Box<Node<V>>> {
        // One split per level plus a new root at most: with that many spares every `pop` below finds one.
        if pool.len() < self.nodes_needed(1) {
            return Err(node);
        }
        let end = node.val.span_end();
        if let Some((skey, sib)) = insert(&mut self.root, node, end, pool)? {
            let old = core::mem::replace(&mut self.root, pool.pop(false));
            self.root.keys[0] = old.keys[0];
            self.root.keys[1] = skey;
            if let Slots::Internal(c) = &mut self.root.slots {
                c[0] = Some(old);
                c[1] = Some(sib);
            }
            self.root.len = 2;
            self.height += 1;
        }
        self.len += 1;
        Ok(())
    }

    /// Puts `node` in the place of the entry with `key`, in place, and returns that entry. The new key may differ
    /// from `key` as long as the order of the tree stays what it was (no entry between the two keys, and the new key
    /// still inside the leaf's routing bounds); otherwise, or if `key` is absent, `node` comes back untouched and
    /// nothing changes. No node is split or freed. (Tests; the remap uses [`Self::slot`], which lets it read the old
    /// entry on the same descent.)
    #[cfg(test)]
    pub(crate) fn replace(
        &mut self,
        key: u64,
        node: Box<Node<V>>,
    ) -> Result<Box<Node<V>>, Box<Node<V>>> {
        match self.slot(key, node.key()) {
            Some(s) if s.fits => Ok(s.put(node)),
            _ => Err(node),
        }
    }

    /// The place of the entry with `key`, in one descent, and whether an entry keyed `new` could take it without
    /// changing the order of the tree (see [`Self::replace`]). `None` if `key` is absent.
    pub(crate) fn slot(&mut self, key: u64, new: u64) -> Option<EntrySlot<'_, V>> {
        // The least separator to the right of the path: every key routed here must stay below it.
        let mut bound = u64::MAX;
        let mut n = &mut *self.root;
        loop {
            let leaf = matches!(n.slots, Slots::Leaf { .. });
            let i = if leaf { n.lower(key) } else { n.route(key) };
            if !leaf && i + 1 < n.len {
                bound = bound.min(n.keys[i + 1]);
            }
            let len = n.len;
            match &mut n.slots {
                Slots::Internal(c) => n = c[i].as_deref_mut()?,
                Slots::Leaf { ends, vals } => {
                    let pos = i;
                    if pos == len || n.keys[pos] != key {
                        return None;
                    }
                    let next = if pos + 1 < len {
                        n.keys[pos + 1]
                    } else {
                        bound
                    };
                    let fits = new == key || (new > key && new < next.min(bound));
                    let (key, end, entry) = (&mut n.keys[pos], &mut ends[pos], vals[pos].as_mut()?);
                    return Some(EntrySlot {
                        key,
                        end,
                        entry,
                        fits,
                    });
                }
            }
        }
    }
}

/// The place of one entry in a leaf ([`Tree::slot`]): the entry, readable, and the means to put another in its place.
pub(crate) struct EntrySlot<'a, V> {
    key: &'a mut u64,
    end: &'a mut u64,
    entry: &'a mut Box<Node<V>>,
    /// Whether the key asked about can take this place.
    pub(crate) fits: bool,
}

impl<V: Span> EntrySlot<'_, V> {
    /// The entry in this place.
    pub(crate) fn entry(&self) -> &Node<V> {
        self.entry
    }

    /// Puts `node` in this place, returning the entry that was there. Only for a node whose key [`Self::fits`].
    pub(crate) fn put(self, node: Box<Node<V>>) -> Box<Node<V>> {
        debug_assert!(self.fits);
        *self.key = node.key();
        *self.end = node.val.span_end();
        core::mem::replace(self.entry, node)
    }
}

/// Where a tree's changes find spare nodes: a [`NodePool`], or something that reaches one only when a change needs
/// it (the VM's reserve, whose lock is then taken: see `gpuvm::reserve::LazySpare`).
pub(crate) trait Reserve<V> {
    /// The spare nodes.
    fn nodes(&mut self) -> &mut NodePool<V>;
}

impl<V> Reserve<V> for NodePool<V> {
    fn nodes(&mut self) -> &mut NodePool<V> {
        self
    }
}

/// A tree with the node reserve its changes draw on: what a step operation holds.
pub(crate) struct TreeMut<'a, V> {
    pub(crate) tree: &'a mut Tree<V>,
    pub(crate) pool: &'a mut dyn Reserve<V>,
}

impl<V: Span> TreeMut<'_, V> {
    /// Inserts, drawing split nodes from the reserve.
    pub(crate) fn insert(&mut self, node: Box<Node<V>>) -> Result<(), Box<Node<V>>> {
        self.tree.insert(node, self.pool.nodes())
    }

    /// Inserts along a fresh search path ([`Tree::insert_along`]); the reserve is reached only for a split.
    pub(crate) fn insert_along(
        &mut self,
        path: &Path,
        node: Box<Node<V>>,
    ) -> Result<(), Box<Node<V>>> {
        match self.tree.try_insert_along(path, node) {
            Ok(()) => Ok(()),
            Err(node) => self.tree.insert(node, self.pool.nodes()),
        }
    }

    /// Removes along a fresh search path ([`Tree::remove_along`]); the reserve is reached only when a leaf empties.
    pub(crate) fn remove_along(&mut self, path: &Path, key: u64) -> Option<Box<Node<V>>> {
        self.tree
            .try_remove_along(path, key)
            .or_else(|| self.tree.remove(key, self.pool.nodes()))
    }

    /// Removes, returning emptied nodes to the reserve.
    pub(crate) fn remove(&mut self, key: u64) -> Option<Box<Node<V>>> {
        self.tree.remove(key, self.pool.nodes())
    }
}

/// In-order iterator over a [`Tree`].
pub(crate) struct Iter<'a, V> {
    stack: [(Option<&'a BNode<V>>, usize); MAX_HEIGHT],
    depth: usize,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = &'a Node<V>;

    fn next(&mut self) -> Option<&'a Node<V>> {
        while self.depth > 0 {
            let (n, i) = self.stack[self.depth - 1];
            let n = n?;
            if i >= n.len {
                self.depth -= 1;
                continue;
            }
            self.stack[self.depth - 1].1 += 1;
            match &n.slots {
                Slots::Leaf { vals, .. } => return vals[i].as_deref(),
                Slots::Internal(c) => {
                    if self.depth < MAX_HEIGHT {
                        self.stack[self.depth] = (c[i].as_deref(), 0);
                        self.depth += 1;
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
