// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A file's scheduling groups and their queues as debugfs shows them: where their buffers live and what their sync
//! objects say.

use core::ops::Range;
use std::sync::Arc;

use kernel::error::Result;

use crate::drm_device::TyrDrmFile;
use crate::sched::group::Group;

/// A read-only view of one group.
#[derive(Clone)]
pub struct GroupView(Arc<Group>);

/// The group handles of `f`, in order.
pub fn handles(f: &TyrDrmFile) -> Vec<u32> {
    f.data().groups().handles()
}

/// The group `handle` of `f` (`EINVAL` when there is none, as GROUP_GET_STATE says).
pub fn group(f: &TyrDrmFile, handle: u32) -> Result<GroupView> {
    f.data().groups().get(handle).map(GroupView)
}

impl GroupView {
    /// Queue `q`'s sync object, read from GPU memory: (seqno, status).
    pub fn sync_object(&self, q: usize) -> Result<(u64, u32)> {
        self.0.sync_object(q)
    }

    /// The GPU VAs of the queues' sync objects, in the group's VM.
    pub fn syncobjs(&self) -> Range<u64> {
        range(self.0.syncobjs.va(), self.0.syncobjs.size())
    }

    /// The group's suspend buffer, in the MCU's VM.
    pub fn suspend(&self) -> Range<u64> {
        range(self.0.suspend.va(), self.0.suspend.size())
    }

    /// Queue `q`'s ring buffer, in the group's VM (`None` when there is no such queue).
    pub fn ring(&self, q: usize) -> Option<Range<u64>> {
        let r = &self.0.queues.get(q)?.ring;
        Some(range(r.va(), r.size()))
    }

    /// Queue `q`'s user I/O pages, in the MCU's VM (`None` when there is no such queue).
    pub fn user_io(&self, q: usize) -> Option<Range<u64>> {
        let io = &self.0.queues.get(q)?.io;
        Some(range(io.va(), io.size()))
    }
}

fn range(va: u64, size: u64) -> Range<u64> {
    va..va + size
}
