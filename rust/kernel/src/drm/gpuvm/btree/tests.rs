// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Unit and property tests of the VA tree against `std::collections::BTreeSet`.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A test entry: the interval `[.0, .1)`, keyed by its start.
struct Iv(u64, u64);

impl Span for Iv {
    fn span_start(&self) -> u64 {
        self.0
    }

    fn span_end(&self) -> u64 {
        self.1
    }
}

fn pool(n: usize) -> NodePool<Iv> {
    let mut p = NodePool::default();
    for _ in 0..n {
        p.add(NodePool::alloc_node().unwrap());
    }
    p
}

proptest! {
    #[test]
    fn tree_matches_a_btreeset(ops in proptest::collection::vec((any::<bool>(), 0u64..400), 0..600)) {
        let mut t = Tree::new().unwrap();
        let mut p = pool(0);
        let mut m = BTreeSet::new();
        for (ins, k) in ops {
            if ins {
                let need = t.nodes_needed(1);
                while p.len() < need {
                    p.add(NodePool::alloc_node().unwrap());
                }
                prop_assert_eq!(t.insert(Box::new(Node::new(Iv(k, k + 1))), &mut p).is_ok(), m.insert(k));
            } else {
                prop_assert_eq!(t.remove(k, &mut p).map(|n| n.key()), m.take(&k));
            }
            t.check();
        }
        let keys: Vec<u64> = t.iter().map(|n| n.key()).collect();
        prop_assert_eq!(keys, m.iter().copied().collect::<Vec<_>>());
        for q in 0..402 {
            prop_assert_eq!(t.floor(q).map(|n| n.key()), m.range(..=q).next_back().copied());
            prop_assert_eq!(t.ceil(q).map(|h| h.key), m.range(q..).next().copied());
            prop_assert_eq!(t.get(q).map(|n| n.key()), m.get(&q).copied());
            prop_assert_eq!(t.get_mut(q).map(|n| n.key()), m.get(&q).copied());
        }
    }
}

proptest! {
    #[test]
    fn replace_keeps_the_tree_ordered(keys in proptest::collection::btree_set(0u64..2000, 1..300),
                                      picks in proptest::collection::vec((any::<prop::sample::Index>(), 0u64..40), 1..50)) {
        let mut t = Tree::new().unwrap();
        let mut p = pool(0);
        let mut m: BTreeSet<u64> = BTreeSet::new();
        for &k in &keys {
            while p.len() < t.nodes_needed(1) {
                p.add(NodePool::alloc_node().unwrap());
            }
            prop_assert!(t.insert(Box::new(Node::new(Iv(k, k + 1))), &mut p).is_ok());
            m.insert(k);
        }
        // Shrink the tree so that stale separators exist.
        for k in keys.iter().copied().filter(|k| k % 3 == 0) {
            t.remove(k, &mut p);
            m.remove(&k);
        }
        for (ix, delta) in picks {
            if m.is_empty() {
                break;
            }
            let k = *ix.get(&m.iter().copied().collect::<Vec<_>>());
            let new = k + delta;
            let fits = delta == 0 || m.range(k + 1..=new).next().is_none();
            match t.replace(k, Box::new(Node::new(Iv(new, new + 1)))) {
                Ok(old) => {
                    prop_assert!(fits);
                    prop_assert_eq!(old.key(), k);
                    m.remove(&k);
                    m.insert(new);
                }
                Err(n) => prop_assert_eq!(n.key(), new),
            }
            t.check();
            prop_assert_eq!(t.iter().map(|n| n.key()).collect::<Vec<_>>(), m.iter().copied().collect::<Vec<_>>());
        }
        prop_assert!(t.replace(5000, Box::new(Node::new(Iv(5000, 5000 + 1)))).map(|n| n.key()).is_err());
    }
}

#[test]
fn an_insert_without_enough_spares_changes_nothing() {
    let mut t = Tree::new().unwrap();
    let mut p = pool(t.nodes_needed(1));
    for k in 0..B as u64 {
        assert!(t.insert(Box::new(Node::new(Iv(k, k + 1))), &mut p).is_ok());
    }
    // The leaf is full: the next insertion would split it and add a root, two nodes; give it one.
    let mut short = pool(1);
    let back = t
        .insert(Box::new(Node::new(Iv(100, 100 + 1))), &mut short)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(back.key(), 100);
    assert_eq!((t.len(), t.height(), short.len()), (B, 1, 1));
    assert_eq!(t.check(), B);
    // Even a key that fits without a split is refused without the worst-case reserve.
    let mut empty = pool(0);
    assert!(t
        .insert(Box::new(Node::new(Iv(200, 200 + 1))), &mut empty)
        .is_err());
    assert_eq!(t.len(), B);
}

#[test]
fn ascending_inserts_then_removals_return_every_node() {
    let mut t = Tree::new().unwrap();
    let mut p = pool(0);
    for k in 0..5000u64 {
        while p.len() < t.nodes_needed(1) {
            p.add(NodePool::alloc_node().unwrap());
        }
        assert!(t.insert(Box::new(Node::new(Iv(k, k + 1))), &mut p).is_ok());
    }
    t.check();
    assert!(t.height() >= 3);
    let before = p.len();
    for k in (0..5000u64).rev() {
        assert_eq!(t.remove(k, &mut p).map(|n| n.key()), Some(k));
    }
    t.check();
    assert_eq!((t.len(), t.height()), (0, 1));
    assert!(p.len() > before);
}

proptest! {
    // Each case sweeps every address: fewer cases than the default suffice.
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn first_overlap_and_ceil_answer_from_the_leaves(
        slots in proptest::collection::btree_map(0u64..300, 1u64..4, 0..250),
        gone in proptest::collection::vec(0u64..300, 0..120),
    ) {
        // Disjoint intervals [10 * s, 10 * s + 3 * len), some removed again so that stale separators exist.
        let mut t = Tree::new().unwrap();
        let mut p = NodePool::default();
        let mut m = std::collections::BTreeMap::new();
        for (&s, &len) in &slots {
            while p.len() < t.nodes_needed(1) {
                p.add(NodePool::alloc_node().unwrap());
            }
            let (a, e) = (10 * s, 10 * s + 3 * len);
            prop_assert!(t.insert(Box::new(Node::new(Iv(a, e))), &mut p).is_ok());
            m.insert(a, e);
        }
        for s in gone {
            prop_assert_eq!(t.remove(10 * s, &mut p).map(|n| n.val.1), m.remove(&(10 * s)));
        }
        t.check();
        for addr in 0..3010u64 {
            for len in [1u64, 4, 25] {
                let end = addr + len;
                let want = m
                    .range(..end)
                    .find(|(&a, &e)| e > addr && a < end)
                    .map(|(&a, &e)| (a, e));
                let got = t.first_overlap(addr, end).map(|h| {
                    let n = h.node().unwrap();
                    assert_eq!((n.key(), n.val.1), (h.key, h.end));
                    (h.key, h.end)
                });
                prop_assert_eq!(got, want);
            }
            let want = m.range(addr..).next().map(|(&a, &e)| (a, e));
            prop_assert_eq!(t.ceil(addr).map(|h| (h.key, h.end)), want);
        }
    }
}

proptest! {
    #[test]
    fn inserts_and_removals_along_a_search_path_match_a_btreeset(
        ops in proptest::collection::vec((any::<bool>(), 0u64..300), 0..700),
    ) {
        // Every change goes along the path of a search made just before it: straight into (out of) the leaf when
        // it has room (keeps another entry), through the full insertion (removal) otherwise.
        let mut t = Tree::new().unwrap();
        let mut p = NodePool::default();
        let mut m = BTreeSet::new();
        for (ins, k) in ops {
            let (_, path) = t.first_overlap_path(k, k + 1);
            if ins {
                while p.len() < t.nodes_needed(1) {
                    p.add(NodePool::alloc_node().unwrap());
                }
                let got = t.insert_along(&path, Box::new(Node::new(Iv(k, k + 1))), &mut p);
                prop_assert_eq!(got.is_ok(), m.insert(k));
            } else {
                prop_assert_eq!(t.remove_along(&path, k, &mut p).map(|n| n.key()), m.take(&k));
            }
            t.check();
        }
        prop_assert_eq!(t.iter().map(|n| n.key()).collect::<Vec<_>>(), m.iter().copied().collect::<Vec<_>>());
    }
}
