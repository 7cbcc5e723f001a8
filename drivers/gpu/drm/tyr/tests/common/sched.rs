// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A client of the scheduler through the ioctls: groups, BOs mapped at fixed VAs with given words, GROUP_SUBMITs
//! that wait on and signal syncobjs, and waits through SYNCOBJ_WAIT.

use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use tyr::drm_device::{TyrDrmDevice, TyrDrmFile};
use tyr::uapi::ioctl::*;
use tyr::uapi::sync_flags;
use tyr::uapi::*;

use super::{arr, ioctl, simple_group};

/// GROUP_GET_STATE's FATAL_FAULT flag.
pub const FATAL_FAULT: u32 = 2;

/// A file on a device, and one of its VMs that the helpers use.
pub struct Client {
    pub dev: Arc<TyrDrmDevice>,
    pub f: Arc<TyrDrmFile>,
    pub vm: u32,
}

/// A stream that stores the 32-bit `value` at `va`, then waits for the store
/// (`Documentation/hardware.md#the-igt-group_submit-stream`: MOVE48, MOVE32, STORE_MULTIPLE, WAIT).
pub fn store(va: u64, value: u32) -> [u64; 4] {
    [
        0x0144_0000_0000_0000 | va,
        0x0246_0000_0000_0000 | u64::from(value),
        0x1546_4400_0001_0000,
        0x0300_0000_00FF_0000,
    ]
}

/// A stream that adds 1 to the u32 at `counter` and waits for the store (MOVE48, LOAD_MULTIPLE, WAIT,
/// ADD_IMMEDIATE32, STORE_MULTIPLE, WAIT): 48 bytes.
pub fn increment(counter: u64) -> [u64; 6] {
    [
        0x0144_0000_0000_0000 | counter,
        0x1446_4400_0001_0000,
        0x0300_0000_00FF_0000,
        0x1046_4600_0000_0001,
        0x1546_4400_0001_0000,
        0x0300_0000_00FF_0000,
    ]
}

/// A stream that branches to itself forever (BRANCH ALWAYS, offset -1).
pub const LOOP: [u64; 1] = [0x1600_0000_6000_FFFF];

/// One queue of the given ring size and priority.
pub fn queue(priority: u8, ringbuf_size: u32) -> drm_panthor_queue_create {
    drm_panthor_queue_create {
        priority,
        ringbuf_size,
        ..Default::default()
    }
}

impl Client {
    /// A client of `dev` with a new VM.
    pub fn new(dev: &Arc<TyrDrmDevice>, f: Arc<TyrDrmFile>) -> Client {
        let vm = super::vm_create(&f);
        Client {
            dev: dev.clone(),
            f,
            vm,
        }
    }

    /// The same file on another of its VMs (created here).
    pub fn other_vm(&self) -> Client {
        Client::new(&self.dev, self.f.clone())
    }

    /// GROUP_CREATE of one 4 KiB queue at `priority` on the client's VM.
    pub fn try_group(&self, priority: u8) -> kernel::Result<u32> {
        let qs = [queue(0, 4096)];
        let mut a = simple_group(&qs, self.vm);
        a.priority = priority;
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut a).map(|()| a.group_handle)
    }

    /// [`Self::try_group`] that must succeed.
    pub fn group(&self, priority: u8) -> u32 {
        self.try_group(priority).unwrap()
    }

    pub fn destroy_group(&self, h: u32) {
        ioctl(
            &self.f,
            DRM_IOCTL_PANTHOR_GROUP_DESTROY,
            &mut drm_panthor_group_destroy {
                group_handle: h,
                pad: 0,
            },
        )
        .unwrap();
    }

    /// GROUP_GET_STATE: `(state, fatal_queues)`.
    pub fn state(&self, h: u32) -> (u32, u32) {
        let mut s = drm_panthor_group_get_state {
            group_handle: h,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut s).unwrap();
        (s.state, s.fatal_queues)
    }

    /// VM_GET_STATE: 0 usable, 1 unusable.
    pub fn vm_state(&self) -> u32 {
        let mut s = drm_panthor_vm_get_state {
            vm_id: self.vm,
            state: !0,
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_VM_GET_STATE, &mut s).unwrap();
        s.state
    }

    /// A new 4 KiB BO.
    pub fn bo(&self) -> u32 {
        super::bo_create(&self.f, 4096)
    }

    /// A new 4 KiB BO mapped at `va` in the client's VM, holding `words`.
    pub fn bo_at(&self, va: u64, words: &[u64]) -> u32 {
        let h = self.bo();
        super::bind(&self.f, self.vm, &[super::map_op(h, 0, va, 4096, 0)]).unwrap();
        self.write(h, words);
        h
    }

    /// Writes `words` at the start of BO `h` (through its pages, as the CPU would).
    pub fn write(&self, h: u32, words: &[u64]) {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let bo = self.f.objects().lookup(h).unwrap();
        self.dev
            .data()
            .ram()
            .write(bo.gem().get_pages().unwrap()[0], &bytes)
            .unwrap();
    }

    /// The u32 at byte `off` of BO `h`.
    pub fn read_u32(&self, h: u32, off: u64) -> u32 {
        let bo = self.f.objects().lookup(h).unwrap();
        let mut b = [0u8; 4];
        self.dev
            .data()
            .ram()
            .read(bo.gem().get_pages().unwrap()[0] + off, &mut b)
            .unwrap();
        u32::from_le_bytes(b)
    }

    pub fn syncobj(&self) -> u32 {
        let mut c = drm_syncobj_create::default();
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c).unwrap();
        c.handle
    }

    /// A binary syncobj holding a fence nothing signals but the returned handle: a dependency the test releases
    /// itself (as another driver's fence would be released).
    pub fn gated_syncobj(&self) -> (u32, kernel::dma_fence::DmaFence) {
        let h = self.syncobj();
        let fence =
            kernel::dma_fence::DmaFence::new(kernel::dma_fence::DmaFence::context_alloc(), 1)
                .unwrap();
        self.f
            .syncobjs()
            .lookup(h)
            .unwrap()
            .replace_fence(Some(fence.clone()));
        (h, fence)
    }

    /// SYNCOBJ_SIGNAL of binary syncobj `h`.
    pub fn signal(&self, h: u32) {
        let hs = [h];
        let mut a = drm_syncobj_array {
            handles: hs.as_ptr() as u64,
            count_handles: 1,
            pad: 0,
        };
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_SIGNAL, &mut a).unwrap();
    }

    /// GROUP_SUBMIT of one job on queue 0 of group `h`: the stream at `addr` of `size` bytes (0, 0: an empty job),
    /// waiting for the binary syncobjs `waits` and signalling `out`.
    pub fn submit(&self, h: u32, addr: u64, size: u32, waits: &[u32], out: u32) -> kernel::Result {
        let mut syncs: Vec<drm_panthor_sync_op> = waits
            .iter()
            .map(|&w| drm_panthor_sync_op {
                flags: sync_flags::SYNCOBJ,
                handle: w,
                timeline_value: 0,
            })
            .collect();
        syncs.push(drm_panthor_sync_op {
            flags: sync_flags::SIGNAL,
            handle: out,
            timeline_value: 0,
        });
        let subs = [drm_panthor_queue_submit {
            queue_index: 0,
            stream_size: size,
            stream_addr: addr,
            syncs: arr(&syncs),
            ..Default::default()
        }];
        let mut a = drm_panthor_group_submit {
            group_handle: h,
            pad: 0,
            queue_submits: arr(&subs),
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut a)
    }

    /// SYNCOBJ_WAIT on `h` (all, for submit) for up to `timeout_ms`: `Err(ETIME)` if it did not signal.
    pub fn wait(&self, h: u32, timeout_ms: u64) -> kernel::Result {
        let hs = [h];
        let deadline = kernel::time::ktime_get_ns() + timeout_ms * 1_000_000;
        let mut w = drm_syncobj_wait {
            handles: hs.as_ptr() as u64,
            count_handles: 1,
            timeout_nsec: deadline as i64,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_WAIT, &mut w)
    }

    /// The error the fence in syncobj `h` signalled with (`None`: success). The fence must have signalled.
    pub fn fence_error(&self, h: u32) -> Option<kernel::Error> {
        let f = self.f.syncobjs().lookup(h).unwrap().fence().unwrap();
        assert!(f.is_signaled());
        f.error()
    }
}
