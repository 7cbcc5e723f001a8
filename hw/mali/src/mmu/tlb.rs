// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A per-address-space TLB: a bounded cache of [`Translation`]s with least-recently-used eviction.
//!
//! It really caches: once a translation is in, a later PTE edit is not seen until UNLOCK / FLUSH_PT / FLUSH_MEM over a
//! region covering it, UPDATE, or a reset drops it — which is how silicon punishes a driver that forgets its maintenance.
//! Blocks are cached as blocks, so a flush drops an entry when the flushed region overlaps any part of it.

use super::region::Region;
use super::walker::Translation;

#[derive(Clone, Copy, Debug)]
struct Entry {
    t: Translation,
    last_use: u64,
}

/// The TLB of one address space.
///
/// # Invariants
/// `entries.len() <= capacity`, `capacity >= 1`, and no two entries cover the same VA.
#[derive(Clone, Debug)]
pub struct Tlb {
    entries: Vec<Entry>,
    capacity: usize,
    tick: u64,
    hits: u64,
    misses: u64,
}

impl Tlb {
    /// An empty TLB holding up to `capacity` translations (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            entries: Vec::with_capacity(capacity),
            capacity,
            tick: 0,
            hits: 0,
            misses: 0,
        }
    }

    /// The cached translation covering `va`, if any (counts as a use).
    pub fn lookup(&mut self, va: u64) -> Option<Translation> {
        self.tick += 1;
        let tick = self.tick;
        match self.entries.iter_mut().find(|e| e.t.covers(va)) {
            Some(e) => {
                e.last_use = tick;
                self.hits += 1;
                Some(e.t)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Caches `t`, evicting the least recently used entry when full.
    pub fn insert(&mut self, t: Translation) {
        self.tick += 1;
        self.entries
            .retain(|e| !(e.t.covers(t.va_base) || t.covers(e.t.va_base)));
        if self.entries.len() >= self.capacity {
            if let Some(i) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.last_use)
                .map(|(i, _)| i)
            {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push(Entry {
            t,
            last_use: self.tick,
        });
    }

    /// Drops everything.
    pub fn flush_all(&mut self) {
        self.entries.clear();
    }

    /// Drops every translation that overlaps `region`, and nothing else.
    pub fn flush_region(&mut self, region: &Region) {
        self.entries
            .retain(|e| !region.overlaps(&Region::containing(e.t.va_base, e.t.size_log2)));
    }

    /// Number of cached translations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (hits, misses) since creation.
    pub fn counters(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(va: u64, pa: u64) -> Translation {
        Translation {
            va_base: va,
            size_log2: 12,
            pa_base: pa,
            level: 3,
            read_only: false,
            no_exec: false,
            attr_index: 1,
            memattr: 0x8F,
        }
    }

    #[test]
    fn lookup_hits_inside_the_cached_span_only() {
        let mut t = Tlb::new(4);
        t.insert(page(0x1000, 0x8000_0000));
        assert_eq!(t.lookup(0x1FFF).map(|x| x.pa_of(0x1FFF)), Some(0x8000_0FFF));
        assert!(t.lookup(0x2000).is_none());
    }

    #[test]
    fn full_tlb_evicts_the_least_recently_used_entry() {
        let mut t = Tlb::new(2);
        t.insert(page(0x1000, 0x1000));
        t.insert(page(0x2000, 0x2000));
        t.lookup(0x1000);
        t.insert(page(0x3000, 0x3000));
        assert!(t.lookup(0x1000).is_some());
        assert!(t.lookup(0x2000).is_none());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn region_flush_drops_overlapping_entries_only() {
        let mut t = Tlb::new(8);
        t.insert(page(0x0000, 0x1000));
        t.insert(page(0x8000, 0x2000));
        t.flush_region(&Region::containing(0, 15));
        assert!(t.lookup(0x0).is_none());
        assert!(t.lookup(0x8000).is_some());
    }

    #[test]
    fn region_flush_inside_a_block_drops_the_block() {
        let mut t = Tlb::new(8);
        t.insert(Translation {
            size_log2: 21,
            level: 2,
            ..page(0x20_0000, 0x4000_0000)
        });
        t.flush_region(&Region::containing(0x30_0000, 15));
        assert!(t.is_empty());
    }
}
