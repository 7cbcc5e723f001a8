//! The VA tree: an AVL tree of boxed nodes keyed by start address.
//!
//! GPUVM's VAs never overlap, so the only VA that can contain an address is the one with the greatest start at or
//! below it: a tree keyed by start answers every question the interval tree of `drm_gpuvm.c` answers, in O(log n).
//! Nodes are allocated by the caller ([`super::GpuVaAlloc`]) and moved in and out by `Box`, so inserting and removing
//! never allocate — which is what lets the tree change inside the fence-signalling path.

/// One tree node, owning its value.
pub(crate) struct Node<V> {
    pub(crate) key: u64,
    height: u8,
    left: Link<V>,
    right: Link<V>,
    pub(crate) val: V,
}

type Link<V> = Option<Box<Node<V>>>;

impl<V> Node<V> {
    /// A detached node.
    pub(crate) fn new(key: u64, val: V) -> Self {
        Node { key, height: 1, left: None, right: None, val }
    }
}

fn height<V>(l: &Link<V>) -> u8 {
    l.as_ref().map_or(0, |n| n.height)
}

fn update<V>(n: &mut Node<V>) {
    n.height = 1 + height(&n.left).max(height(&n.right));
}

fn rotate_right<V>(mut n: Box<Node<V>>) -> Box<Node<V>> {
    match n.left.take() {
        Some(mut l) => {
            n.left = l.right.take();
            update(&mut n);
            l.right = Some(n);
            update(&mut l);
            l
        }
        None => n,
    }
}

fn rotate_left<V>(mut n: Box<Node<V>>) -> Box<Node<V>> {
    match n.right.take() {
        Some(mut r) => {
            n.right = r.left.take();
            update(&mut n);
            r.left = Some(n);
            update(&mut r);
            r
        }
        None => n,
    }
}

fn rebalance<V>(mut n: Box<Node<V>>) -> Box<Node<V>> {
    update(&mut n);
    let (hl, hr) = (height(&n.left), height(&n.right));
    if hl > hr + 1 {
        let l = n.left.take().map(|l| if height(&l.right) > height(&l.left) { rotate_left(l) } else { l });
        n.left = l;
        rotate_right(n)
    } else if hr > hl + 1 {
        let r = n.right.take().map(|r| if height(&r.left) > height(&r.right) { rotate_right(r) } else { r });
        n.right = r;
        rotate_left(n)
    } else {
        n
    }
}

/// Rebalances the subtree at `link` after one of its children changed height; returns whether its own height
/// changed, so callers above can stop as soon as nothing changes.
fn fix<V>(link: &mut Link<V>) -> bool {
    match link.take() {
        Some(n) => {
            let old = n.height;
            let n = rebalance(n);
            let changed = n.height != old;
            *link = Some(n);
            changed
        }
        None => false,
    }
}

/// Inserts `node` below `link`: `Ok(grew)` or the node back if its key exists.
fn insert<V>(link: &mut Link<V>, node: Box<Node<V>>) -> Result<bool, Box<Node<V>>> {
    let Some(n) = link.as_mut() else {
        *link = Some(node);
        return Ok(true);
    };
    let grew = match node.key.cmp(&n.key) {
        core::cmp::Ordering::Less => insert(&mut n.left, node)?,
        core::cmp::Ordering::Greater => insert(&mut n.right, node)?,
        core::cmp::Ordering::Equal => return Err(node),
    };
    Ok(grew && fix(link))
}

/// Removes the smallest node of a non-empty subtree: (rest of the subtree, the node).
fn remove_min<V>(mut n: Box<Node<V>>) -> (Link<V>, Box<Node<V>>) {
    match n.left.take() {
        None => (n.right.take(), n),
        Some(l) => {
            let (rest, min) = remove_min(l);
            n.left = rest;
            (Some(rebalance(n)), min)
        }
    }
}

/// Removes the node with `key` below `link`: the node and whether the subtree shrank.
fn remove<V>(link: &mut Link<V>, key: u64) -> Option<(Box<Node<V>>, bool)> {
    let n = link.as_mut()?;
    let (removed, shrank) = match key.cmp(&n.key) {
        core::cmp::Ordering::Less => remove(&mut n.left, key)?,
        core::cmp::Ordering::Greater => remove(&mut n.right, key)?,
        core::cmp::Ordering::Equal => {
            let mut gone = link.take()?;
            *link = match (gone.left.take(), gone.right.take()) {
                (None, r) => r,
                (l, None) => l,
                (l, Some(r)) => {
                    let (rest, mut succ) = remove_min(r);
                    succ.left = l;
                    succ.right = rest;
                    Some(rebalance(succ))
                }
            };
            gone.height = 1;
            return Some((gone, true));
        }
    };
    Some((removed, shrank && fix(link)))
}

/// The tree. `len` counts its nodes.
pub(crate) struct Tree<V> {
    root: Link<V>,
    len: usize,
}

impl<V> Default for Tree<V> {
    fn default() -> Self {
        Tree { root: None, len: 0 }
    }
}

/// AVL height is below 1.45·log2(n + 2); 96 levels cover any tree that fits in memory.
const MAX_DEPTH: usize = 96;

impl<V> Tree<V> {
    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Inserts `node`; gives it back if a node with its key exists.
    pub(crate) fn insert(&mut self, node: Box<Node<V>>) -> Result<(), Box<Node<V>>> {
        insert(&mut self.root, node)?;
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the node with `key`.
    pub(crate) fn remove(&mut self, key: u64) -> Option<Box<Node<V>>> {
        let (n, _) = remove(&mut self.root, key)?;
        self.len -= 1;
        Some(n)
    }

    /// The node with `key`.
    pub(crate) fn get(&self, key: u64) -> Option<&Node<V>> {
        let mut cur = self.root.as_deref();
        while let Some(n) = cur {
            cur = match key.cmp(&n.key) {
                core::cmp::Ordering::Less => n.left.as_deref(),
                core::cmp::Ordering::Greater => n.right.as_deref(),
                core::cmp::Ordering::Equal => return Some(n),
            };
        }
        None
    }

    /// The node with `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut Node<V>> {
        let mut cur = self.root.as_deref_mut();
        while let Some(n) = cur {
            cur = match key.cmp(&n.key) {
                core::cmp::Ordering::Less => n.left.as_deref_mut(),
                core::cmp::Ordering::Greater => n.right.as_deref_mut(),
                core::cmp::Ordering::Equal => return Some(n),
            };
        }
        None
    }

    /// The node with the greatest key `<= key`.
    pub(crate) fn floor(&self, key: u64) -> Option<&Node<V>> {
        let (mut cur, mut best) = (self.root.as_deref(), None);
        while let Some(n) = cur {
            if n.key <= key {
                best = Some(n);
                cur = n.right.as_deref();
            } else {
                cur = n.left.as_deref();
            }
        }
        best
    }

    /// In one descent: the node with the greatest key `<= key` and the one with the smallest key `> key`.
    pub(crate) fn neighbours(&self, key: u64) -> (Option<&Node<V>>, Option<&Node<V>>) {
        let (mut cur, mut lo, mut hi) = (self.root.as_deref(), None, None);
        while let Some(n) = cur {
            if n.key <= key {
                lo = Some(n);
                cur = n.right.as_deref();
            } else {
                hi = Some(n);
                cur = n.left.as_deref();
            }
        }
        (lo, hi)
    }

    /// The node with the smallest key `>= key`.
    pub(crate) fn ceil(&self, key: u64) -> Option<&Node<V>> {
        let (mut cur, mut best) = (self.root.as_deref(), None);
        while let Some(n) = cur {
            if n.key >= key {
                best = Some(n);
                cur = n.left.as_deref();
            } else {
                cur = n.right.as_deref();
            }
        }
        best
    }

    /// In-order iteration (no allocation: the path lives in a fixed array).
    pub(crate) fn iter(&self) -> Iter<'_, V> {
        let mut it = Iter { stack: [None; MAX_DEPTH], depth: 0 };
        it.push_left(self.root.as_deref());
        it
    }

    /// Detaches every node, in order, handing each to `f` (used to tear a VM down).
    pub(crate) fn drain(&mut self, f: &mut impl FnMut(Box<Node<V>>)) {
        fn go<V>(link: Link<V>, f: &mut impl FnMut(Box<Node<V>>)) {
            if let Some(mut n) = link {
                go(n.left.take(), f);
                let r = n.right.take();
                f(n);
                go(r, f);
            }
        }
        self.len = 0;
        go(self.root.take(), f);
    }

    /// Checks the AVL and ordering invariants (tests).
    #[cfg(test)]
    pub(crate) fn check(&self) -> usize {
        fn go<V>(l: &Link<V>, lo: Option<u64>, hi: Option<u64>) -> (u8, usize) {
            match l {
                None => (0, 0),
                Some(n) => {
                    assert!(lo.is_none_or(|lo| n.key > lo) && hi.is_none_or(|hi| n.key < hi));
                    let (hl, cl) = go(&n.left, lo, Some(n.key));
                    let (hr, cr) = go(&n.right, Some(n.key), hi);
                    assert!(hl.abs_diff(hr) <= 1);
                    assert_eq!(n.height, 1 + hl.max(hr));
                    (n.height, cl + cr + 1)
                }
            }
        }
        let (_, c) = go(&self.root, None, None);
        assert_eq!(c, self.len);
        c
    }
}

/// In-order iterator over a [`Tree`].
pub(crate) struct Iter<'a, V> {
    stack: [Option<&'a Node<V>>; MAX_DEPTH],
    depth: usize,
}

impl<'a, V> Iter<'a, V> {
    fn push_left(&mut self, mut n: Option<&'a Node<V>>) {
        while let Some(node) = n {
            self.stack[self.depth] = Some(node);
            self.depth += 1;
            n = node.left.as_deref();
        }
    }
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = &'a Node<V>;

    fn next(&mut self) -> Option<&'a Node<V>> {
        if self.depth == 0 {
            return None;
        }
        self.depth -= 1;
        let n = self.stack[self.depth].take()?;
        self.push_left(n.right.as_deref());
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn tree_matches_a_btreeset(ops in proptest::collection::vec((any::<bool>(), 0u64..64), 0..200)) {
            let mut t = Tree::default();
            let mut m = BTreeSet::new();
            for (ins, k) in ops {
                if ins {
                    prop_assert_eq!(t.insert(Box::new(Node::new(k, ()))).is_ok(), m.insert(k));
                } else {
                    prop_assert_eq!(t.remove(k).map(|n| n.key), m.take(&k));
                }
                t.check();
                let keys: Vec<u64> = t.iter().map(|n| n.key).collect();
                prop_assert_eq!(keys, m.iter().copied().collect::<Vec<_>>());
                for q in 0..66 {
                    prop_assert_eq!(t.floor(q).map(|n| n.key), m.range(..=q).next_back().copied());
                    prop_assert_eq!(t.ceil(q).map(|n| n.key), m.range(q..).next().copied());
                    let (lo, hi) = t.neighbours(q);
                    prop_assert_eq!(lo.map(|n| n.key), m.range(..=q).next_back().copied());
                    prop_assert_eq!(hi.map(|n| n.key), m.range(q + 1..).next().copied());
                }
            }
        }
    }
}
