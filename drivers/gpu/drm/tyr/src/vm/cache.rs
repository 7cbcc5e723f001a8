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

use super::ops::PendingOp;
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

impl OpResources {
    /// Whether these are enough, as they are, for an op needing `nodes` VA nodes and `pages` pages. Allocates
    /// nothing and takes no lock.
    fn ready(&self, nodes: usize, pages: usize) -> bool {
        self.pt_pages.remaining() >= pages && self.vas.ready(nodes)
    }
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

impl Vm {
    /// A synchronous bind's op, applied at once (`panthor_vm_exec_op` then `panthor_vm_cleanup_op_ctx`), as
    /// [`Vm::reserve`] then [`Vm::execute`] would, with one difference: what the previous synchronous op left over is
    /// kept under the op lock ([`VmData::sync_spare`]) and used again when it is enough, so that a run of synchronous
    /// binds does not go through the op caches' lock. When it is not enough, the op's VA nodes and pages are taken as
    /// [`Vm::reserve`] takes them, before anything changes (`ENOMEM` then changes nothing), and the leftovers
    /// replace it.
    pub(crate) fn execute_pending(&self, op: PendingOp) -> Result {
        let span = op.span(self);
        let _entered = span.enter();
        let (nodes, pages) = op.needs();
        let mut core = self.core();
        let mut res = match core.data().sync_spare.take_if(|r| r.ready(nodes, pages)) {
            Some(res) => res,
            None => {
                // Taken outside the op lock, which nothing may allocate under (the bind job takes it while
                // signalling); whatever was kept goes back to the caches.
                let short = core.data().sync_spare.take();
                drop(core);
                if let Some(short) = short {
                    self.give_back_op_resources(short);
                }
                let res = match self.take_op_resources(nodes, pages) {
                    Ok(res) => res,
                    Err(e) => {
                        // Nothing changed; a vm_bo the op alone held is freed now, as after any other op.
                        drop(op);
                        self.deferred_cleanup();
                        return Err(e);
                    }
                };
                core = self.core();
                res
            }
        };
        let result = self.apply_locked(&mut core, op.kind(), op.va(), op.size(), &mut res);
        let displaced = core.data().sync_spare.replace(res);
        drop(core);
        if let Some(displaced) = displaced {
            // Another synchronous op left its own meanwhile: this one's go back to the caches.
            self.give_back_op_resources(displaced);
        }
        // The op's vm_bo reference goes here: a last one only queues the pair for the cleanup below.
        drop(op);
        let result = self.note_result(&span, result);
        self.deferred_cleanup();
        result
    }
}
