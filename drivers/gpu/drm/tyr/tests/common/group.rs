// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Helpers of the group tests: a probed device with a render file and a VM, and the GROUP_*, BO, syncobj and submit
//! calls they make on it.

use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use rk3588_platform::Rk3588;
use tyr::drm_device::{TyrDrmDevice, TyrDrmFile};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

use super::ioctl;

pub struct GroupFixture {
    pub dev: Arc<TyrDrmDevice>,
    pub f: Arc<TyrDrmFile>,
    pub vm: u32,
    /// Dropped last: the device's teardown still talks to the board.
    pub _soc: Rk3588,
}

pub fn setup() -> GroupFixture {
    let (soc, dev, f, vm) = super::probed_with_vm();
    GroupFixture {
        _soc: soc,
        dev,
        f,
        vm,
    }
}

pub fn queue(priority: u8, ringbuf_size: u32) -> drm_panthor_queue_create {
    drm_panthor_queue_create {
        priority,
        ringbuf_size,
        ..Default::default()
    }
}

impl GroupFixture {
    /// IGT's `group_create_simple` arguments for `queues`.
    pub fn args(&self, queues: &[drm_panthor_queue_create]) -> drm_panthor_group_create {
        super::simple_group(queues, self.vm)
    }

    pub fn create(&self, a: &mut drm_panthor_group_create) -> kernel::Result<u32> {
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_CREATE, a).map(|()| a.group_handle)
    }

    pub fn state(&self, h: u32) -> kernel::Result<(u32, u32)> {
        let mut s = drm_panthor_group_get_state {
            group_handle: h,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut s)
            .map(|()| (s.state, s.fatal_queues))
    }
}

impl GroupFixture {
    /// A 4 KiB BO mapped at `va` in the test's VM, holding `words`.
    pub fn bo_at(&self, va: u64, words: &[u64]) -> u32 {
        let mut b = drm_panthor_bo_create {
            size: 4096,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut b).unwrap();
        let op = [drm_panthor_vm_bind_op {
            bo_handle: b.handle,
            va,
            size: 4096,
            ..Default::default()
        }];
        let mut bind = drm_panthor_vm_bind {
            vm_id: self.vm,
            flags: 0,
            ops: drm_panthor_obj_array {
                stride: 48,
                count: 1,
                array: op.as_ptr() as u64,
            },
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_VM_BIND, &mut bind).unwrap();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.write_bo(b.handle, &bytes);
        b.handle
    }

    pub fn write_bo(&self, h: u32, bytes: &[u8]) {
        let bo = self.f.objects().lookup(h).unwrap();
        let pa = bo.gem().get_pages().unwrap()[0];
        self.dev.data().ram().write(pa, bytes).unwrap();
    }

    pub fn read_bo_u32(&self, h: u32) -> u32 {
        let bo = self.f.objects().lookup(h).unwrap();
        let mut b = [0u8; 4];
        self.dev
            .data()
            .ram()
            .read(bo.gem().get_pages().unwrap()[0], &mut b)
            .unwrap();
        u32::from_le_bytes(b)
    }

    pub fn syncobj(&self) -> u32 {
        let mut c = drm_syncobj_create::default();
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c).unwrap();
        c.handle
    }

    /// One GROUP_SUBMIT of `job` on group `h` signalling syncobj `out`.
    pub fn submit(
        &self,
        h: u32,
        mut job: drm_panthor_queue_submit,
        out: u32,
        pad: u32,
    ) -> kernel::Result {
        let sync = [drm_panthor_sync_op {
            flags: 1 << 31,
            handle: out,
            timeline_value: 0,
        }];
        job.syncs = drm_panthor_obj_array {
            stride: 16,
            count: 1,
            array: sync.as_ptr() as u64,
        };
        let subs = [job];
        let mut a = drm_panthor_group_submit {
            group_handle: h,
            pad,
            queue_submits: drm_panthor_obj_array {
                stride: 40,
                count: 1,
                array: subs.as_ptr() as u64,
            },
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut a)
    }

    pub fn out_fence(&self, out: u32) -> kernel::dma_fence::DmaFence {
        self.f
            .syncobjs()
            .lookup(out)
            .unwrap()
            .fence()
            .expect("the fence is attached before the ioctl returns")
    }
}
