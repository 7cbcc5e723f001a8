// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What a VM keeps between bind ops so that preparing one rarely allocates (Panthor draws the same from slab caches:
//! `pt_cache` for page-table pages, kmalloc for its VMAs): spare page-table pages, the VA nodes with their VA-tree
//! reservation, and the room an op's page pool needs.
//!
//! One lock covers all of it, taken once when an op is prepared ([`Vm::take_op_resources`]) and once when it has
//! been applied ([`Vm::give_back_op_resources`]). The bind job takes it while signalling, so nothing ever allocates
//! under it: what has to be allocated is allocated after it is released, and what is freed is freed after too,
//! where that is simple (freeing would be allowed there).

use kernel::drm::gpuvm::VaPrealloc;
use kernel::error::Result;
use kernel::io_pgtable::ReservedPtPool;
use kernel::sync::LockClass;

use super::{Vm, VmData};

/// The class of a VM's op caches: the bind job gives spare pages and VA nodes back under it while signalling, so
/// nothing may allocate while it is held (the check learns both and reports the pair).
pub(crate) static CACHE_CLASS: LockClass = LockClass::new("tyr_vm_cache");

/// Spare page-table pages a VM keeps between ops.
pub(crate) const PT_CACHE_PAGES: usize = 64;

/// A VM's op caches (behind [`Vm`]'s `caches` lock).
pub(crate) struct OpCaches {
    /// Spare page-table pages left over by earlier ops: at most [`PT_CACHE_PAGES`], which its room holds.
    pub(crate) pt: ReservedPtPool,
    /// The VA nodes left over by the last op, with the VA-tree nodes reserved for them; `None` while ops hold them.
    vas: Option<VaPrealloc<VmData>>,
    /// An empty page pool kept for its room (the vector its frames go in), which the next op reuses.
    room: Option<ReservedPtPool>,
}

impl OpCaches {
    /// Empty caches over `pt`, a pool with room for [`PT_CACHE_PAGES`].
    pub(crate) fn new(pt: ReservedPtPool) -> Self {
        OpCaches {
            pt,
            vas: None,
            room: None,
        }
    }
}

/// What one prepared op holds: VA nodes and page-table pages, all allocated.
pub(crate) struct OpResources {
    /// At least as many VA nodes as the op can need, the VA-tree nodes for them reserved.
    pub(crate) vas: VaPrealloc<VmData>,
    /// The page-table pages the op can need.
    pub(crate) pt_pages: ReservedPtPool,
}

impl Vm {
    /// Gets `nodes` VA nodes and `pages` page-table pages for an op: what the caches hold, taken in one hold of their
    /// lock without allocating, then, outside it, whatever is missing (fresh VA nodes, room for the pages, fresh
    /// frames). On failure everything taken goes back and the caches are as they were (but for VA nodes allocated
    /// meanwhile, which stay there as spares).
    pub(super) fn take_op_resources(&self, nodes: usize, pages: usize) -> Result<OpResources> {
        let (vas, room, taken) = {
            let mut c = self.caches.lock();
            let c = &mut *c;
            let vas = c.vas.take();
            let mut room = c.room.take();
            let taken = room.as_mut().map_or(0, |p| p.take_from(&mut c.pt, pages));
            (vas, room, taken)
        };
        let mut res = OpResources {
            vas: vas.unwrap_or_else(|| VaPrealloc::empty(&self.gpuvm)),
            pt_pages: room.unwrap_or_else(|| ReservedPtPool::new(self.ram.clone())),
        };
        let filled = res.vas.top_up(nodes).and_then(|()| {
            if taken == pages {
                return Ok(());
            }
            // Too little room for the cache's pages (the VM's first op, or a larger one): room made here, then the
            // cache's pages again, then fresh frames for the rest.
            res.pt_pages.reserve_slots(pages - taken)?;
            let more = res
                .pt_pages
                .take_from(&mut self.caches.lock().pt, pages - taken);
            res.pt_pages.reserve(pages - taken - more)
        });
        match filled {
            Ok(()) => Ok(res),
            Err(e) => {
                self.give_back_op_resources(res);
                Err(e)
            }
        }
    }

    /// Gives back what an op did not use (all of it, for an op never applied): spare pages to the cache within its
    /// room (the rest to RAM), the pool's room, and the VA nodes. One hold of the caches' lock, under which nothing
    /// allocates, so the bind job may call it while signalling.
    pub(super) fn give_back_op_resources(&self, res: OpResources) {
        let OpResources { vas, mut pt_pages } = res;
        let (spare_vas, spare_room) = {
            let mut c = self.caches.lock();
            let c = &mut *c;
            pt_pages.drain_into(&mut c.pt);
            let spare_room = match &c.room {
                None => {
                    c.room = Some(pt_pages);
                    None
                }
                Some(_) => Some(pt_pages),
            };
            let spare_vas = match &mut c.vas {
                None => {
                    c.vas = Some(vas);
                    None
                }
                Some(cached) => {
                    // Another op's nodes came back first: this op's join them while there is room.
                    let mut vas = vas;
                    while let Some(node) = vas.take() {
                        if let Err(node) = cached.put(node) {
                            // Full: the node goes with the rest of `vas`.
                            let _ = vas.put(node);
                            break;
                        }
                    }
                    Some(vas)
                }
            };
            (spare_vas, spare_room)
        };
        // Freed after the lock: a second pool's room, and a second set of nodes with its VA-tree reservation.
        drop(spare_room);
        drop(spare_vas);
    }
}
