// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VA tree's nodes and the recursive walks over them: entries ([`Node`]), tree nodes ([`BNode`]) and their
//! reserve ([`NodePool`]), and insertion, removal and the floor/ceiling searches below a root.

/// One VA node, owning its value.
pub(crate) struct Node<V> {
    pub(crate) key: u64,
    pub(crate) val: V,
}

impl<V> Node<V> {
    /// A detached node.
    pub(crate) fn new(key: u64, val: V) -> Self {
        Node { key, val }
    }
}

/// Entries per leaf, children per internal node.
pub(super) const B: usize = 16;
/// Height bound for the fixed-size iteration stack: each extra level needs at least 8x more insertions (a full
/// node splits in two halves of 8), so 24 levels cover 2^64 insertions.
pub(super) const MAX_HEIGHT: usize = 24;

/// What a tree node holds: entries in a leaf, children in an internal node.
pub(super) enum Slots<V> {
    Leaf([Option<Box<Node<V>>>; B]),
    Internal([Option<Box<BNode<V>>>; B]),
}

/// A tree node. In a leaf, `keys[..len]` are the entries' keys, ascending. In an internal node, child `i` holds keys
/// `>= keys[i]` (for `i > 0`) and `< keys[i + 1]`; `keys[0]` is a lower bound kept only for splits.
pub(crate) struct BNode<V> {
    pub(super) len: usize,
    pub(super) keys: [u64; B],
    pub(super) slots: Slots<V>,
}

impl<V> BNode<V> {
    pub(super) fn blank() -> Self {
        BNode {
            len: 0,
            keys: [0; B],
            slots: Slots::Internal([const { None }; B]),
        }
    }

    /// The child to follow for `key` in an internal node.
    pub(super) fn route(&self, key: u64) -> usize {
        let mut i = 1;
        while i < self.len && self.keys[i] <= key {
            i += 1;
        }
        i - 1
    }
}

/// Spare tree nodes (an intrusive free list through the first child slot: pushing and popping never allocate).
pub(crate) struct NodePool<V> {
    head: Option<Box<BNode<V>>>,
    count: usize,
}

impl<V> Default for NodePool<V> {
    fn default() -> Self {
        NodePool {
            head: None,
            count: 0,
        }
    }
}

impl<V> NodePool<V> {
    /// Nodes held.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Adds a freshly allocated node.
    pub(crate) fn add(&mut self, n: Box<BNode<V>>) {
        self.push(n);
    }

    /// Allocates one node (fallibly, through `kernel::alloc`).
    pub(crate) fn alloc_node() -> Result<Box<BNode<V>>, crate::alloc::AllocError> {
        crate::alloc::try_box(BNode::blank())
    }

    pub(super) fn push(&mut self, mut n: Box<BNode<V>>) {
        n.len = 0;
        n.slots = Slots::Internal([const { None }; B]);
        if let Slots::Internal(c) = &mut n.slots {
            c[0] = self.head.take();
        }
        self.head = Some(n);
        self.count += 1;
    }

    /// Takes a spare node. Never allocates: [`Tree::insert`](super::Tree::insert), the only caller, checks
    /// before changing anything that the pool covers every node the insertion can take.
    pub(super) fn pop(&mut self, leaf: bool) -> Box<BNode<V>> {
        let mut n = match self.head.take() {
            Some(n) => n,
            None => unreachable!("VA tree node reserve checked by Tree::insert"),
        };
        if let Slots::Internal(c) = &mut n.slots {
            self.head = c[0].take();
        }
        self.count -= 1;
        if leaf {
            n.slots = Slots::Leaf([const { None }; B]);
        }
        n
    }
}

/// What a node slot holds: an entry in a leaf, a child in an internal node.
enum Item<V> {
    Val(Box<Node<V>>),
    Child(Box<BNode<V>>),
}

/// Puts `(key, item)` at `at` in a node with room.
fn put<V>(n: &mut BNode<V>, at: usize, key: u64, item: Item<V>) {
    let len = n.len;
    n.keys.copy_within(at..len, at + 1);
    n.keys[at] = key;
    match (&mut n.slots, item) {
        (Slots::Leaf(v), Item::Val(x)) => {
            v[at..=len].rotate_right(1);
            v[at] = Some(x);
        }
        (Slots::Internal(c), Item::Child(x)) => {
            c[at..=len].rotate_right(1);
            c[at] = Some(x);
        }
        _ => unreachable!("entry put in an internal node or child in a leaf"),
    }
    n.len += 1;
}

/// A node split off by an insertion: the new right sibling's lower bound and the sibling.
type Split<V> = Option<(u64, Box<BNode<V>>)>;

/// Puts `(key, item)` at `at`, splitting a full node in two halves: returns the new right half and its lower bound.
fn put_or_split<V>(
    n: &mut BNode<V>,
    at: usize,
    key: u64,
    item: Item<V>,
    pool: &mut NodePool<V>,
) -> Split<V> {
    if n.len < B {
        put(n, at, key, item);
        return None;
    }
    let half = B / 2;
    let mut right = pool.pop(matches!(n.slots, Slots::Leaf(_)));
    right.keys[..B - half].copy_from_slice(&n.keys[half..]);
    match (&mut n.slots, &mut right.slots) {
        (Slots::Leaf(a), Slots::Leaf(b)) => b
            .iter_mut()
            .zip(a[half..].iter_mut())
            .for_each(|(d, s)| *d = s.take()),
        (Slots::Internal(a), Slots::Internal(b)) => b
            .iter_mut()
            .zip(a[half..].iter_mut())
            .for_each(|(d, s)| *d = s.take()),
        _ => unreachable!("split into a node of the other kind"),
    }
    n.len = half;
    right.len = B - half;
    if at <= half {
        put(n, at, key, item);
    } else {
        put(&mut right, at - half, key, item);
    }
    Some((right.keys[0], right))
}

/// Inserts into the subtree at `n`; on a split, returns the new right sibling and its lower bound.
pub(super) fn insert<V>(
    n: &mut BNode<V>,
    node: Box<Node<V>>,
    pool: &mut NodePool<V>,
) -> Result<Split<V>, Box<Node<V>>> {
    let key = node.key;
    if let Slots::Internal(_) = n.slots {
        let i = n.route(key);
        let Slots::Internal(children) = &mut n.slots else {
            unreachable!()
        };
        let Some(child) = children[i].as_deref_mut() else {
            return Err(node);
        };
        let Some((skey, sib)) = insert(child, node, pool)? else {
            return Ok(None);
        };
        return Ok(put_or_split(n, i + 1, skey, Item::Child(sib), pool));
    }
    let pos = n.keys[..n.len].partition_point(|k| *k < key);
    if pos < n.len && n.keys[pos] == key {
        return Err(node);
    }
    Ok(put_or_split(n, pos, key, Item::Val(node), pool))
}

/// Removes `key` from the subtree at `n`, freeing children that empty.
pub(super) fn remove<V>(
    n: &mut BNode<V>,
    key: u64,
    pool: &mut NodePool<V>,
) -> Option<Box<Node<V>>> {
    let len = n.len;
    let i = n.route(key);
    match &mut n.slots {
        Slots::Leaf(vals) => {
            let pos = n.keys[..len].partition_point(|k| *k < key);
            if pos == len || n.keys[pos] != key {
                return None;
            }
            let v = vals[pos].take();
            n.keys.copy_within(pos + 1..len, pos);
            vals[pos..len].rotate_left(1);
            n.len -= 1;
            v
        }
        Slots::Internal(children) => {
            let child = children[i].as_deref_mut()?;
            let v = remove(child, key, pool)?;
            if child.len == 0 {
                if let Some(c) = children[i].take() {
                    pool.push(c);
                }
                n.keys.copy_within(i + 1..len, i);
                children[i..len].rotate_left(1);
                n.len -= 1;
            }
            Some(v)
        }
    }
}

/// The entry with the greatest key `<= key` below `n`, in one descent: the nearest subtree left of the path is
/// remembered, and its last entry is the answer when the leaf reached holds none (no node is ever empty).
pub(super) fn floor<V>(mut n: &BNode<V>, key: u64) -> Option<&Node<V>> {
    let mut left: Option<&BNode<V>> = None;
    loop {
        match &n.slots {
            Slots::Internal(c) => {
                let i = n.route(key);
                if i > 0 {
                    left = c[i - 1].as_deref();
                }
                n = c[i].as_deref()?;
            }
            Slots::Leaf(vals) => {
                let pos = n.keys[..n.len].partition_point(|k| *k <= key);
                if pos > 0 {
                    return vals[pos - 1].as_deref();
                }
                break;
            }
        }
    }
    let mut n = left?;
    loop {
        let last = n.len.checked_sub(1)?;
        match &n.slots {
            Slots::Internal(c) => n = c[last].as_deref()?,
            Slots::Leaf(vals) => return vals[last].as_deref(),
        }
    }
}

/// The entry with the smallest key `>= key` below `n`, in one descent (as [`floor`], mirrored).
pub(super) fn ceil<V>(mut n: &BNode<V>, key: u64) -> Option<&Node<V>> {
    let mut right: Option<&BNode<V>> = None;
    loop {
        match &n.slots {
            Slots::Internal(c) => {
                let i = n.route(key);
                if i + 1 < n.len {
                    right = c[i + 1].as_deref();
                }
                n = c[i].as_deref()?;
            }
            Slots::Leaf(vals) => {
                let pos = n.keys[..n.len].partition_point(|k| *k < key);
                if pos < n.len {
                    return vals[pos].as_deref();
                }
                break;
            }
        }
    }
    let mut n = right?;
    loop {
        match &n.slots {
            Slots::Internal(c) => n = c[0].as_deref()?,
            Slots::Leaf(vals) => return vals[0].as_deref(),
        }
    }
}
