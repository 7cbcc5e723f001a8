// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VA tree's nodes and the recursive walks over them: entries ([`Node`]), tree nodes ([`BNode`]) and their
//! reserve ([`NodePool`]), and insertion, removal and the floor/ceiling searches below a root.

/// One VA node, owning its value; its key is the value's start ([`Span`]), not stored a second time.
pub(crate) struct Node<V> {
    pub(crate) val: V,
}

impl<V> Node<V> {
    /// A detached node.
    pub(crate) fn new(val: V) -> Self {
        Node { val }
    }
}

impl<V: Span> Node<V> {
    /// The key: where the entry starts.
    #[inline]
    pub(crate) fn key(&self) -> u64 {
        self.val.span_start()
    }
}

/// What the tree needs to know of an entry: where it starts (its key) and where it ends. Leaves keep each entry's
/// key and end, so that the searches ([`first_overlap`], [`ceil`], ...) answer from the leaf without reading the
/// entry; an entry's start does not change while it is in the tree.
pub(crate) trait Span {
    /// The first address the entry covers: its key.
    fn span_start(&self) -> u64;
    /// One past the last address the entry covers.
    fn span_end(&self) -> u64;
}

/// Entries per leaf, children per internal node.
pub(super) const B: usize = 16;
/// Height bound for the fixed-size iteration stack: each extra level needs at least 8x more insertions (a full
/// node splits in two halves of 8), so 24 levels cover 2^64 insertions.
pub(super) const MAX_HEIGHT: usize = 24;

/// What a tree node holds: entries and their ends in a leaf, children in an internal node.
pub(super) enum Slots<V> {
    Leaf {
        ends: [u64; B],
        vals: [Option<Box<Node<V>>>; B],
    },
    Internal([Option<Box<BNode<V>>>; B]),
}

impl<V> Slots<V> {
    /// An empty leaf's slots.
    pub(super) const fn leaf() -> Self {
        Slots::Leaf {
            ends: [0; B],
            vals: [const { None }; B],
        }
    }

    /// An empty internal node's slots.
    pub(super) const fn internal() -> Self {
        Slots::Internal([const { None }; B])
    }
}

/// What a node's keys past its length hold, so that a search can count over all of them.
pub(super) const PAD: u64 = u64::MAX;

/// A tree node. In a leaf, `keys[..len]` are the entries' keys, ascending, and `ends[..len]` their ends. In an
/// internal node, child `i` holds keys `>= keys[i]` (for `i > 0`) and `< keys[i + 1]`; `keys[0]` is a lower bound
/// kept only for splits. In both, `keys[len..]` are [`PAD`].
///
/// Laid out in the order a search reads it: the keys (two cache lines), the length and kind, then the ends and
/// children or entries.
#[repr(C)]
pub(crate) struct BNode<V> {
    pub(super) keys: [u64; B],
    pub(super) len: usize,
    pub(super) slots: Slots<V>,
}

impl<V> BNode<V> {
    pub(super) fn blank() -> Self {
        BNode {
            len: 0,
            keys: [PAD; B],
            slots: Slots::internal(),
        }
    }

    /// How many keys from `from` on are `<= key` (`strict`: `< key`). Every key past `len` is [`PAD`], which is
    /// counted only when `key` is `u64::MAX` and not strict (the callers clamp to `len`). The middle key says which
    /// half the answer lies in (a select, not a branch); a plain count over that half does the rest: independent
    /// compares, no branch to mispredict and no chain of dependent loads.
    #[inline]
    fn count(&self, from: usize, key: u64, strict: bool) -> usize {
        let pass = |k: u64| if strict { k < key } else { k <= key };
        let half = B / 2;
        let base = if pass(self.keys[half - 1]) {
            half
        } else {
            from
        };
        let mut n = base - from;
        for &k in self.keys[base..].iter().take(half) {
            n += usize::from(pass(k));
        }
        n
    }

    /// The child to follow for `key` in an internal node: the number of separators `keys[1..len]` at or below it.
    #[inline]
    pub(super) fn route(&self, key: u64) -> usize {
        self.count(1, key, false).min(self.len.saturating_sub(1))
    }

    /// In a leaf, the number of keys `< key` (where `key` is or would go).
    #[inline]
    pub(super) fn lower(&self, key: u64) -> usize {
        self.count(0, key, true)
    }

    /// In a leaf, the number of keys `<= key`.
    #[inline]
    pub(super) fn upper(&self, key: u64) -> usize {
        self.count(0, key, false).min(self.len)
    }

    /// The entry at `i` of a leaf, with its key and end.
    #[inline]
    fn hit(&self, i: usize) -> Option<Hit<'_, V>> {
        match &self.slots {
            Slots::Leaf { ends, .. } if i < self.len => Some(Hit {
                key: self.keys[i],
                end: ends[i],
                leaf: self,
                at: i,
            }),
            _ => None,
        }
    }

    /// The last entry below this node.
    fn last(&self) -> Option<Hit<'_, V>> {
        let mut n = self;
        loop {
            let last = n.len.checked_sub(1)?;
            match &n.slots {
                Slots::Internal(c) => n = c[last].as_deref()?,
                Slots::Leaf { .. } => return n.hit(last),
            }
        }
    }

    /// The first entry below this node.
    fn first(&self) -> Option<Hit<'_, V>> {
        let mut n = self;
        loop {
            match &n.slots {
                Slots::Internal(c) => n = c[0].as_deref()?,
                Slots::Leaf { .. } => return n.hit(0),
            }
        }
    }
}

/// The way down to a leaf: the child taken at each level. Plain indices, not pointers: it is only followed again
/// (by [`super::Tree::insert_along`] and [`super::Tree::remove_along`]) while the tree is borrowed mutably, and only
/// by callers that changed nothing since the search that recorded it; even then the leaf reached is checked.
#[derive(Clone, Copy)]
pub(crate) struct Path {
    pub(super) idx: [u8; MAX_HEIGHT],
    pub(super) depth: usize,
    /// In the leaf, the number of keys at or below the address searched for: where a new key equal to it goes,
    /// and one past an entry keyed by it. A hint, checked before use.
    pub(super) at: usize,
}

impl Path {
    /// The way to the root.
    pub(super) const fn root() -> Self {
        Path {
            idx: [0; MAX_HEIGHT],
            depth: 0,
            at: 0,
        }
    }

    /// Notes that the search went down child `i`. (A tree higher than the array, which cannot be built, leaves the
    /// path short: it then leads to an internal node, and the callers fall back to a search.)
    #[inline]
    fn push(&mut self, i: usize) {
        if let Some(slot) = self.idx.get_mut(self.depth) {
            *slot = i as u8;
            self.depth += 1;
        }
    }
}

/// An entry found by a search, with the key and end its leaf keeps: reading them does not touch the entry, nor even
/// the leaf's entry pointers (until [`Hit::node`]).
pub(crate) struct Hit<'a, V> {
    pub(crate) key: u64,
    pub(crate) end: u64,
    leaf: &'a BNode<V>,
    at: usize,
}

impl<'a, V> Hit<'a, V> {
    /// Starts loading the entry (which the caller is about to read, or to take out of the tree).
    #[inline]
    pub(crate) fn prefetch_entry(&self) {
        if let Some(n) = self.node() {
            // The first and last byte of the entry, which may straddle two lines.
            let base = (n as *const Node<V>).cast::<u8>();
            prefetch_line(base);
            prefetch_line(base.wrapping_add(core::mem::size_of::<Node<V>>().saturating_sub(1)));
        }
    }

    /// The entry.
    #[inline]
    pub(crate) fn node(&self) -> Option<&'a Node<V>> {
        match &self.leaf.slots {
            Slots::Leaf { vals, .. } => vals[self.at].as_deref(),
            Slots::Internal(_) => None,
        }
    }
}

/// Starts loading every cache line of `n` (a node about to be searched): its lines are then fetched together rather
/// than one after another as the search reaches them.
#[inline(always)]
pub(super) fn prefetch<V>(n: &BNode<V>) {
    let base = (n as *const BNode<V>).cast::<u8>();
    let mut off = 0;
    while off < core::mem::size_of::<BNode<V>>() {
        prefetch_line(base.wrapping_add(off));
        off += 64;
    }
}

/// Asks the CPU to start loading the cache line holding `p` (a hint; nothing where the architecture has no such
/// instruction here).
#[inline(always)]
fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` needs SSE, which every x86-64 CPU has (it is in the target's baseline); a prefetch reads
    // nothing the program sees and never faults, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Puts `v` at `at` (below `B`) in `a`, moving `a[at..B - 1]` one place right (the last element is dropped: the
/// caller's node has room). A two-way select between the array and its shifted copy over every element, which
/// compiles to vector blends rather than a `memmove` call.
#[inline]
fn insert_at(a: &mut [u64; B], at: usize, v: u64) {
    let old = *a;
    let mut shifted = [v; B];
    shifted[1..].copy_from_slice(&old[..B - 1]);
    for (j, x) in a.iter_mut().enumerate() {
        *x = if j < at { old[j] } else { shifted[j] };
    }
    if let Some(x) = a.get_mut(at) {
        *x = v;
    }
}

/// Removes `a[at]`, moving `a[at + 1..]` one place left; the last element becomes `fill`.
#[inline]
fn remove_at(a: &mut [u64; B], at: usize, fill: u64) {
    let old = *a;
    let mut shifted = [fill; B];
    shifted[..B - 1].copy_from_slice(&old[1..]);
    for (j, x) in a.iter_mut().enumerate() {
        *x = if j < at { old[j] } else { shifted[j] };
    }
}

/// Shifts `a[at..len]` one place right (`a[len]` must be free), leaving `a[at]` free.
#[inline]
fn shift_right<T>(a: &mut [Option<T>], at: usize, len: usize) {
    for j in (at..len).rev() {
        a[j + 1] = a[j].take();
    }
}

/// Shifts `a[at + 1..len]` one place left over `a[at]` (which must be free), leaving `a[len - 1]` free.
#[inline]
fn shift_left<T>(a: &mut [Option<T>], at: usize, len: usize) {
    for j in at + 1..len {
        a[j - 1] = a[j].take();
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
        n.keys = [PAD; B];
        n.slots = Slots::internal();
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
            n.slots = Slots::leaf();
        }
        n
    }
}

/// What a node slot holds: an entry and its end in a leaf, a child in an internal node.
enum Item<V> {
    Val(Box<Node<V>>, u64),
    Child(Box<BNode<V>>),
}

/// Puts `(key, item)` at `at` in a node with room.
fn put<V>(n: &mut BNode<V>, at: usize, key: u64, item: Item<V>) {
    let len = n.len;
    insert_at(&mut n.keys, at, key);
    match (&mut n.slots, item) {
        (Slots::Leaf { ends, vals }, Item::Val(x, end)) => {
            insert_at(ends, at, end);
            shift_right(vals, at, len);
            vals[at] = Some(x);
        }
        (Slots::Internal(c), Item::Child(x)) => {
            shift_right(c, at, len);
            c[at] = Some(x);
        }
        _ => unreachable!("entry put in an internal node or child in a leaf"),
    }
    n.len += 1;
}

/// A node split off by an insertion: the new right sibling's lower bound and the sibling.
type Split<V> = Option<(u64, Box<BNode<V>>)>;

/// Moves the upper half of `a` into the empty `b`.
fn move_half<T>(a: &mut [Option<T>; B], b: &mut [Option<T>; B]) {
    b.iter_mut()
        .zip(a[B / 2..].iter_mut())
        .for_each(|(d, s)| *d = s.take());
}

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
    let mut right = pool.pop(matches!(n.slots, Slots::Leaf { .. }));
    right.keys[..B - half].copy_from_slice(&n.keys[half..]);
    n.keys[half..].fill(PAD);
    match (&mut n.slots, &mut right.slots) {
        (Slots::Leaf { ends: ea, vals: a }, Slots::Leaf { ends: eb, vals: b }) => {
            eb[..B - half].copy_from_slice(&ea[half..]);
            move_half(a, b);
        }
        (Slots::Internal(a), Slots::Internal(b)) => move_half(a, b),
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

/// Inserts `node`, which ends at `end`, into the subtree at `n`; on a split, returns the new right sibling and its
/// lower bound.
pub(super) fn insert<V: Span>(
    n: &mut BNode<V>,
    node: Box<Node<V>>,
    end: u64,
    pool: &mut NodePool<V>,
) -> Result<Split<V>, Box<Node<V>>> {
    let key = node.key();
    if let Slots::Internal(_) = n.slots {
        let i = n.route(key);
        let Slots::Internal(children) = &mut n.slots else {
            unreachable!()
        };
        let Some(child) = children[i].as_deref_mut() else {
            return Err(node);
        };
        prefetch(child);
        let Some((skey, sib)) = insert(child, node, end, pool)? else {
            return Ok(None);
        };
        return Ok(put_or_split(n, i + 1, skey, Item::Child(sib), pool));
    }
    let pos = n.lower(key);
    if pos < n.len && n.keys[pos] == key {
        return Err(node);
    }
    Ok(put_or_split(n, pos, key, Item::Val(node, end), pool))
}

/// Puts `node`, which ends at `end`, into the leaf `n` if it has room and does not hold its key; gives it back
/// otherwise. The caller routed the key to this leaf; `hint` is where it probably goes (checked).
pub(super) fn leaf_put<V: Span>(
    n: &mut BNode<V>,
    node: Box<Node<V>>,
    end: u64,
    hint: usize,
) -> Result<(), Box<Node<V>>> {
    let key = node.key();
    let pos = if hint <= n.len
        && (hint == 0 || n.keys[hint - 1] < key)
        && (hint == n.len || n.keys[hint] > key)
    {
        hint
    } else {
        n.lower(key)
    };
    if n.len >= B || !matches!(n.slots, Slots::Leaf { .. }) || (pos < n.len && n.keys[pos] == key) {
        return Err(node);
    }
    put(n, pos, key, Item::Val(node, end));
    Ok(())
}

/// Takes the entry with `key` out of the leaf `n`, unless that would empty it (the caller then removes it from the
/// tree, which unlinks the emptied leaf). `hint` is probably one past its position (checked).
pub(super) fn leaf_take<V>(n: &mut BNode<V>, key: u64, hint: usize) -> Option<Box<Node<V>>> {
    let len = n.len;
    let pos = match hint.checked_sub(1) {
        Some(p) if p < len && n.keys[p] == key => p,
        _ => n.lower(key),
    };
    if len < 2 || pos == len || n.keys[pos] != key {
        return None;
    }
    let Slots::Leaf { ends, vals } = &mut n.slots else {
        return None;
    };
    let v = vals[pos].take();
    remove_at(&mut n.keys, pos, PAD);
    remove_at(ends, pos, 0);
    shift_left(vals, pos, len);
    n.len -= 1;
    v
}

/// Removes `key` from the subtree at `n`, freeing children that empty.
pub(super) fn remove<V>(
    n: &mut BNode<V>,
    key: u64,
    pool: &mut NodePool<V>,
) -> Option<Box<Node<V>>> {
    let len = n.len;
    let at = match n.slots {
        Slots::Leaf { .. } => n.lower(key),
        Slots::Internal(_) => n.route(key),
    };
    match &mut n.slots {
        Slots::Leaf { ends, vals } => {
            let pos = at;
            if pos == len || n.keys[pos] != key {
                return None;
            }
            let v = vals[pos].take();
            remove_at(&mut n.keys, pos, PAD);
            remove_at(ends, pos, 0);
            shift_left(vals, pos, len);
            n.len -= 1;
            v
        }
        Slots::Internal(children) => {
            let i = at;
            let child = children[i].as_deref_mut()?;
            prefetch(child);
            let v = remove(child, key, pool)?;
            if child.len == 0 {
                if let Some(c) = children[i].take() {
                    pool.push(c);
                }
                shift_left(children, i, len);
                remove_at(&mut n.keys, i, PAD);
                n.len -= 1;
            }
            Some(v)
        }
    }
}

/// The entry with the greatest key `<= key` below `n`, in one descent: the nearest subtree left of the path is
/// remembered, and its last entry is the answer when the leaf reached holds none (no node is ever empty).
pub(super) fn floor<V>(mut n: &BNode<V>, key: u64) -> Option<Hit<'_, V>> {
    let mut left: Option<&BNode<V>> = None;
    loop {
        match &n.slots {
            Slots::Internal(c) => {
                let i = n.route(key);
                if i > 0 {
                    left = c[i - 1].as_deref();
                }
                n = c[i].as_deref()?;
                prefetch(n);
            }
            Slots::Leaf { .. } => {
                return match n.upper(key) {
                    0 => left?.last(),
                    pos => n.hit(pos - 1),
                };
            }
        }
    }
}

/// The entry with the smallest key `>= key` below `n`, in one descent (as [`floor`], mirrored).
pub(super) fn ceil<V>(mut n: &BNode<V>, key: u64) -> Option<Hit<'_, V>> {
    let mut right: Option<&BNode<V>> = None;
    loop {
        match &n.slots {
            Slots::Internal(c) => {
                let i = n.route(key);
                if i + 1 < n.len {
                    right = c[i + 1].as_deref();
                }
                n = c[i].as_deref()?;
                prefetch(n);
            }
            Slots::Leaf { .. } => {
                let pos = n.lower(key);
                return if pos < n.len {
                    n.hit(pos)
                } else {
                    right?.first()
                };
            }
        }
    }
}

/// The first entry, in key order, that intersects `[addr, end)` below `n`, in one descent: the entry at or below
/// `addr` if it reaches past `addr`, else the first one starting in `(addr, end)`. Both candidates are neighbours
/// in the leaf reached, or the last (first) entry of the nearest subtree left (right) of the path; their ends come
/// from the leaves, so no entry is read.
pub(super) fn first_overlap<'a, V>(
    mut n: &'a BNode<V>,
    addr: u64,
    end: u64,
    path: &mut Path,
) -> Option<Hit<'a, V>> {
    let mut left: Option<&BNode<V>> = None;
    let mut right: Option<&BNode<V>> = None;
    loop {
        match &n.slots {
            Slots::Internal(c) => {
                let i = n.route(addr);
                path.push(i);
                if i > 0 {
                    left = c[i - 1].as_deref();
                }
                if i + 1 < n.len {
                    right = c[i + 1].as_deref();
                }
                n = c[i].as_deref()?;
                prefetch(n);
            }
            Slots::Leaf { .. } => {
                let pos = n.upper(addr);
                path.at = pos;
                let below = match pos {
                    0 => left.and_then(BNode::last),
                    _ => n.hit(pos - 1),
                };
                if let Some(h) = below.filter(|h| h.end > addr) {
                    return Some(h);
                }
                let above = if pos < n.len {
                    n.hit(pos)
                } else {
                    right.and_then(BNode::first)
                };
                return above.filter(|h| h.key < end);
            }
        }
    }
}
