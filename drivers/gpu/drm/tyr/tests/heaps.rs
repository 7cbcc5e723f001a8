// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tiler heaps through the ioctl path (`Documentation/uapi.md#tiler-heaps`): TILER_HEAP_CREATE's checks, the handle
//! encoding, the chunk list the GPU walks (headers linking `(va & !0xfff) | size >> 12`), TILER_HEAP_DESTROY's
//! errnos, and the heap growing by one chunk when the firmware reports TILER_OOM for a running stream.

use std::sync::Arc;
use std::time::Duration;

use kernel::code::{EBUSY, EINVAL, ENOENT};
use kernel::drm::gem::IntoGemObject;
use rk3588_platform::Rk3588;
use tyr::debugfs::chunk_ref;
use tyr::drm_device::{TyrDrmDevice, TyrDrmFile};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::ioctl;

const K: u32 = 0x400;

struct T {
    dev: Arc<TyrDrmDevice>,
    f: Arc<TyrDrmFile>,
    vm: u32,
    soc: Rk3588,
}

fn setup() -> T {
    let (soc, dev, f, vm) = common::probed_with_vm();
    T { dev, f, vm, soc }
}

impl T {
    fn create(
        &self,
        initial: u32,
        chunk: u32,
        max: u32,
    ) -> kernel::Result<drm_panthor_tiler_heap_create> {
        let mut a = drm_panthor_tiler_heap_create {
            vm_id: self.vm,
            initial_chunk_count: initial,
            chunk_size: chunk,
            max_chunks: max,
            target_in_flight: 2,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &mut a).map(|()| a)
    }

    fn destroy(&self, handle: u32, pad: u32) -> kernel::Result {
        ioctl(
            &self.f,
            DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY,
            &mut drm_panthor_tiler_heap_destroy { handle, pad },
        )
    }

    /// The u64 at GPU VA `va` of the test's VM, read through its page table and RAM.
    fn gpu_u64(&self, va: u64) -> u64 {
        let vm = tyr::debugfs::vm(&self.f, self.vm).unwrap();
        let pa = vm.iova_to_phys(va);
        assert_ne!(pa, 0, "{va:#x} is mapped");
        let mut b = [0u8; 8];
        self.dev.data().ram().read(pa, &mut b).unwrap();
        u64::from_le_bytes(b)
    }
}

#[test]
fn heap_create_checks_and_the_chunk_list() {
    let t = setup();
    assert_eq!(
        t.create(0, 128 * K, 4).err(),
        Some(EINVAL),
        "no initial chunk"
    );
    assert_eq!(
        t.create(5, 128 * K, 4).err(),
        Some(EINVAL),
        "more initial chunks than the maximum"
    );
    assert_eq!(
        t.create(1, 64 * K, 4).err(),
        Some(EINVAL),
        "chunk below 128 KiB"
    );
    assert_eq!(
        t.create(1, 16 * 1024 * K, 4).err(),
        Some(EINVAL),
        "chunk above 8 MiB"
    );
    assert_eq!(
        t.create(1, 128 * K + 512, 4).err(),
        Some(EINVAL),
        "not a page multiple"
    );
    let mut bad_vm = drm_panthor_tiler_heap_create {
        vm_id: 9,
        initial_chunk_count: 1,
        chunk_size: 128 * K,
        max_chunks: 1,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&t.f, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &mut bad_vm),
        Err(EINVAL)
    );

    let h = t.create(3, 256 * K, 8).unwrap();
    assert_eq!(h.handle, t.vm << 16, "heap id 0 of the VM");
    let vm = tyr::debugfs::vm(&t.f, t.vm).unwrap();
    let area = vm.kernel_auto_va();
    assert!(area.contains(&h.tiler_heap_ctx_gpu_va) && area.contains(&h.first_heap_chunk_gpu_va));
    assert_eq!(h.tiler_heap_ctx_gpu_va % 64, 0);
    // Walk the list the way the tiler does: 3 chunks, the last one ends it.
    let mut at = h.first_heap_chunk_gpu_va;
    for _ in 0..2 {
        let next = t.gpu_u64(at);
        assert_eq!(
            next & 0xfff,
            u64::from(256 * K) >> 12,
            "size in 4 KiB units"
        );
        at = next & !0xfff;
    }
    assert_eq!(t.gpu_u64(at), 0, "the last chunk links nothing");
    let h2 = t.create(1, 128 * K, 1).unwrap();
    assert_eq!(h2.handle, t.vm << 16 | 1);
    assert_eq!(h2.tiler_heap_ctx_gpu_va, h.tiler_heap_ctx_gpu_va + 64);
}

#[test]
fn heap_destroy_errnos_and_reuse() {
    let t = setup();
    assert_eq!(
        t.destroy(t.vm << 16, 0),
        Err(ENOENT),
        "the VM has no heap pool yet"
    );
    let h = t.create(1, 128 * K, 2).unwrap();
    assert_eq!(t.destroy(h.handle, 1), Err(EINVAL), "pad");
    assert_eq!(t.destroy(9 << 16, 0), Err(EINVAL), "unknown VM");
    assert_eq!(t.destroy(h.handle | 5, 0), Err(EINVAL), "unknown heap");
    let chunk = h.first_heap_chunk_gpu_va;
    t.destroy(h.handle, 0).unwrap();
    let vm = tyr::debugfs::vm(&t.f, t.vm).unwrap();
    assert_eq!(vm.iova_to_phys(chunk), 0, "the chunks are unmapped");
    assert_eq!(t.destroy(h.handle, 0), Err(EINVAL));
    assert_eq!(
        t.create(1, 128 * K, 2).unwrap().handle,
        h.handle,
        "the id is reused"
    );
}

#[test]
fn a_destroyed_vms_heaps_go_with_it_and_its_id_starts_afresh() {
    let t = setup();
    let free = || t.dev.data().ram().stats().free_frames;
    let before = free();
    let h = t.create(2, 128 * K, 4).unwrap();
    assert!(free() < before, "the pool and its chunks took frames");
    let mut d = drm_panthor_vm_destroy { id: t.vm, pad: 0 };
    ioctl(&t.f, DRM_IOCTL_PANTHOR_VM_DESTROY, &mut d).unwrap();
    // Nothing else holds the VM: it goes, and its heaps' frames (contexts, chunks, their tables) with it.
    assert!(free() >= before, "the heaps' frames were freed");
    assert_eq!(t.destroy(h.handle, 0), Err(EINVAL), "no such VM any more");
    let mut c = drm_panthor_vm_create::default();
    ioctl(&t.f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut c).unwrap();
    assert_eq!(c.id, t.vm, "the id is reused");
    assert_eq!(
        t.destroy(h.handle, 0),
        Err(ENOENT),
        "the new VM with that id has no heap pool"
    );
    assert_eq!(tyr::debugfs::vm(&t.f, c.id).unwrap().heap_chunks(0), None);
    assert_eq!(t.create(1, 128 * K, 2).unwrap().handle, h.handle);
}

#[test]
fn a_vm_holds_128_heaps() {
    let t = setup();
    for i in 0..128 {
        assert_eq!(t.create(1, 128 * K, 1).unwrap().handle & 0xffff, i);
    }
    assert_eq!(t.create(1, 128 * K, 1).err(), Some(EBUSY));
}

#[test]
fn tiler_oom_grows_the_heap_by_one_chunk() {
    let t = setup();
    let heap = t.create(1, 128 * K, 4).unwrap();
    // A queue whose stream latches the heap context (HEAP_SET) and then keeps running.
    let qs = [drm_panthor_queue_create {
        priority: 0,
        ringbuf_size: 4096,
        ..Default::default()
    }];
    let mut g = common::simple_group(&qs, t.vm);
    ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut g).unwrap();
    let mut b = drm_panthor_bo_create {
        size: 4096,
        ..Default::default()
    };
    ioctl(&t.f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut b).unwrap();
    let op = [drm_panthor_vm_bind_op {
        bo_handle: b.handle,
        va: 0x100_0000,
        size: 4096,
        ..Default::default()
    }];
    let mut bind = drm_panthor_vm_bind {
        vm_id: t.vm,
        flags: 0,
        ops: drm_panthor_obj_array {
            stride: 48,
            count: 1,
            array: op.as_ptr() as u64,
        },
    };
    ioctl(&t.f, DRM_IOCTL_PANTHOR_VM_BIND, &mut bind).unwrap();
    let words = [
        0x0144_0000_0000_0000 | heap.tiler_heap_ctx_gpu_va, // MOVE48 d68 <- heap context
        0x3000_4400_0000_0000,                              // HEAP_SET d68
        0x1600_0000_6000_FFFF,                              // BRANCH ALWAYS to itself
    ];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let pa =
        t.f.objects()
            .lookup(b.handle)
            .unwrap()
            .gem()
            .get_pages()
            .unwrap()[0];
    t.dev.data().ram().write(pa, &bytes).unwrap();
    let subs = [drm_panthor_queue_submit {
        queue_index: 0,
        stream_size: 24,
        stream_addr: 0x100_0000,
        ..Default::default()
    }];
    let mut s = drm_panthor_group_submit {
        group_handle: g.group_handle,
        pad: 0,
        queue_submits: drm_panthor_obj_array {
            stride: 40,
            count: 1,
            array: subs.as_ptr() as u64,
        },
    };
    ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut s).unwrap();

    let mali = t.soc.board().gpu().clone();
    let vm = tyr::debugfs::vm(&t.f, t.vm).unwrap();
    // The stream must be running (its group on slot 0) before the firmware can report an OOM for it.
    assert!(
        mali.wait_until(Duration::from_secs(5), || mali.inject_tiler_oom(0, 0)),
        "the stream never ran"
    );
    let grown = || vm.heap_chunks(0).map_or(0, |c| c.len());
    assert!(
        mali.wait_until(Duration::from_secs(5), || grown() == 2),
        "the heap grew"
    );
    let chunks = vm.heap_chunks(0).unwrap();
    let new = chunks[0];
    assert_ne!(vm.iova_to_phys(new), 0, "the new chunk is mapped");
    // The firmware got it in heap_start and heap_end.
    let (cin, _) = hw_mali::csf::cs_iface(0, 0);
    let rd64 = |off| {
        let lo = mali.gpu_read_u32(0, cin + off).unwrap();
        let hi = mali.gpu_read_u32(0, cin + off + 4).unwrap();
        u64::from(hi) << 32 | u64::from(lo)
    };
    assert!(mali.wait_until(Duration::from_secs(5), || rd64(0x20)
        == chunk_ref(new, 128 * K)));
    assert_eq!(rd64(0x28), chunk_ref(new, 128 * K));
}
