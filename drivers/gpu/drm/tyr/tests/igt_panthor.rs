// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! In-process equivalents of the IGT `panthor_query`, `panthor_gem` and `panthor_vm` subtests
//! (`Documentation/uapi.md#per-ioctl-checks` `Documentation/uapi.md#per-ioctl-checks`, mainline and the pending sparse
//! series), through `File::ioctl` on the probed model exactly as IGT's helpers call it. Where IGT only checks return
//! codes, these also check the VM afterwards: the VA list against the page tables (`check_vm`), and what the VA list
//! must be.

use std::sync::Arc;

use kernel::code::{EINVAL, ENOENT};
use kernel::drm::gem::IntoGemObject;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::ioctl;
use tyr::uapi::map_flags;
use tyr::uapi::op_type;

/// IGT's sizes are in KiB and MiB.
const KB: u64 = 0x400;
const M: u64 = 0x10_0000;

struct Igt {
    fd: Arc<TyrDrmFile>,
    /// Dropped last: the device's teardown still talks to the board.
    _soc: Rk3588,
}

fn open() -> Igt {
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    let fd = TyrDrmFile::open(&dev, RENDER_CLIENT).unwrap();
    Igt { _soc: soc, fd }
}

impl Igt {
    fn vm_create(&self) -> (u32, u64) {
        let mut a = drm_panthor_vm_create::default();
        ioctl(&self.fd, DRM_IOCTL_PANTHOR_VM_CREATE, &mut a).unwrap();
        assert_ne!(a.id, 0);
        (a.id, a.user_va_range)
    }

    fn bo_create(&self, size: u64) -> (u32, u64) {
        let mut a = drm_panthor_bo_create {
            size,
            ..Default::default()
        };
        ioctl(&self.fd, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a).unwrap();
        assert_ne!(a.handle, 0);
        (a.handle, a.size)
    }

    fn bind(&self, vm: u32, op: drm_panthor_vm_bind_op) -> kernel::Result {
        let ops = [op];
        let mut a = drm_panthor_vm_bind {
            vm_id: vm,
            flags: 0,
            ops: drm_panthor_obj_array {
                stride: 48,
                count: 1,
                array: ops.as_ptr() as u64,
            },
        };
        let r = ioctl(&self.fd, DRM_IOCTL_PANTHOR_VM_BIND, &mut a);
        // Whatever happened, the page tables still say exactly what the VA list says.
        if let Ok(v) = tyr::debugfs::vm(&self.fd, vm) {
            v.check().unwrap();
        }
        r
    }

    fn map(&self, vm: u32, bo: u32, va: u64, size: u64, bo_offset: u64) -> kernel::Result {
        self.bind(
            vm,
            drm_panthor_vm_bind_op {
                bo_handle: bo,
                va,
                size,
                bo_offset,
                ..Default::default()
            },
        )
    }

    fn unmap(&self, vm: u32, va: u64, size: u64) -> kernel::Result {
        self.bind(
            vm,
            drm_panthor_vm_bind_op {
                flags: op_type::UNMAP,
                va,
                size,
                ..Default::default()
            },
        )
    }

    fn sparse(&self, vm: u32, va: u64, size: u64) -> kernel::Result {
        let flags = op_type::MAP | map_flags::SPARSE | map_flags::NOEXEC;
        self.bind(
            vm,
            drm_panthor_vm_bind_op {
                flags,
                va,
                size,
                ..Default::default()
            },
        )
    }

    /// The VM's mappings as `(va, size, bo offset, sparse)`.
    fn vas(&self, vm: u32) -> Vec<(u64, u64, u64, bool)> {
        let v = tyr::debugfs::vm(&self.fd, vm).unwrap();
        v.vas()
            .iter()
            .map(|a| (a.addr, a.size, a.offset, a.bo.is_none()))
            .collect()
    }

    fn vm_destroy(&self, id: u32) -> kernel::Result {
        ioctl(
            &self.fd,
            DRM_IOCTL_PANTHOR_VM_DESTROY,
            &mut drm_panthor_vm_destroy { id, pad: 0 },
        )
    }
}

#[test]
fn panthor_query() {
    let t = open();
    let mut gpu = drm_panthor_gpu_info::default();
    let mut q = drm_panthor_dev_query {
        type_: 0,
        size: 112,
        pointer: &mut gpu as *mut _ as u64,
    };
    ioctl(&t.fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
    assert_ne!(gpu.gpu_id, 0);
}

#[test]
fn panthor_gem() {
    let t = open();
    // bo_create
    let (h, _) = t.bo_create(4096);
    ioctl(
        &t.fd,
        DRM_IOCTL_GEM_CLOSE,
        &mut drm_gem_close { handle: h, pad: 0 },
    )
    .unwrap();
    // bo_mmap_offset
    let (h, _) = t.bo_create(4096);
    let mut m = drm_panthor_bo_mmap_offset {
        handle: h,
        ..Default::default()
    };
    ioctl(&t.fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).unwrap();
    assert_ne!(m.offset, 0);
    // bo_mmap_offset_invalid_handle
    let mut bad = drm_panthor_bo_mmap_offset {
        handle: 0xDEADBEEF,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&t.fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut bad),
        Err(ENOENT)
    );
    assert_eq!(bad.offset, 0);
    // bo_create_round_size
    assert_eq!(t.bo_create(5000).1, 8192);
    // bo_zeroed: the mapping shows the BO's pages, which read as zero.
    let (z, _) = t.bo_create(4096);
    let mut m = drm_panthor_bo_mmap_offset {
        handle: z,
        ..Default::default()
    };
    ioctl(&t.fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).unwrap();
    let req = tyr::mmap::MmapRequest {
        offset: m.offset,
        len: 4096,
        write: true,
        exec: false,
        shared: true,
    };
    let Ok(tyr::mmap::CpuMapping::Bo { runs, .. }) = tyr::mmap::mmap(&t.fd, req) else {
        panic!("mmap refused")
    };
    let mut word = [0xFFu8; 4];
    t.fd.device()
        .data()
        .ram()
        .read(runs[0].0, &mut word)
        .unwrap();
    assert_eq!(word, [0; 4]);
}

#[test]
fn panthor_vm_mainline() {
    let t = open();
    // vm_create_destroy, vm_destroy_invalid
    let (vm, _) = t.vm_create();
    t.vm_destroy(vm).unwrap();
    assert_eq!(t.vm_destroy(0xDEADBEEF), Err(EINVAL));

    // vm_bind, vm_unbind, vm_unbind_invalid_address
    let (vm, _) = t.vm_create();
    let (bo, _) = t.bo_create(4 * KB);
    t.map(vm, bo, 0x1000, 0x1000, 0).unwrap();
    assert_eq!(t.vas(vm), [(0x1000, 0x1000, 0, false)]);
    t.unmap(vm, 0x1000, 0x1000).unwrap();
    assert!(t.vas(vm).is_empty());
    let op = drm_panthor_vm_bind_op {
        flags: op_type::UNMAP,
        bo_handle: bo,
        va: 0x1000,
        size: 0x1000,
        ..Default::default()
    };
    assert_eq!(t.bind(vm, op), Err(EINVAL));
    t.unmap(vm, 0x1000, 0x1000).unwrap();
    t.vm_destroy(vm).unwrap();
}

/// The hugepage subtests: `(bo size, map (va, size, bo_offset), unmaps, VAs left)`.
#[test]
fn panthor_vm_hugepage_unbinds() {
    type Case = (
        &'static str,
        u64,
        (u64, u64, u64),
        &'static [(u64, u64)],
        &'static [(u64, u64, u64)],
    );
    let cases: [Case; 9] = [
        (
            "identical_hugepage_single",
            2 * M,
            (2 * M, 2 * M, 0),
            &[(2 * M, 2 * M)],
            &[],
        ),
        (
            "identical_hugepage_single_partial",
            4 * M,
            (2 * M, 4 * M, 0),
            &[(2 * M, 4 * M)],
            &[],
        ),
        (
            "identical_hugepage_multiple",
            6 * M,
            (2 * M, 6 * M, 0),
            &[(2 * M, 6 * M)],
            &[],
        ),
        (
            "identical_hugepage_offset",
            6 * M,
            (2 * M, 4 * M, 2 * M),
            &[(2 * M, 6 * M)],
            &[],
        ),
        (
            "hugepage_leftaligned",
            4 * M,
            (2 * M, 4 * M, 0),
            &[(2 * M, 8 * KB)],
            &[(2 * M + 8 * KB, 4 * M - 8 * KB, 8 * KB)],
        ),
        (
            "hugepage_rightaligned",
            4 * M,
            (2 * M, 4 * M, 0),
            &[(6 * M - 8 * KB, 8 * KB)],
            &[(2 * M, 4 * M - 8 * KB, 0)],
        ),
        (
            "hugepage_superset",
            2 * M,
            (2 * M, 2 * M, 0),
            &[(M, 5 * M)],
            &[],
        ),
        (
            "hugepage_subset",
            4 * M,
            (2 * M, 4 * M, 0),
            &[(3 * M, 8 * KB), (4 * M + 4 * KB, 8 * KB)],
            &[
                (2 * M, M, 0),
                (3 * M + 8 * KB, M - 4 * KB, M + 8 * KB),
                (4 * M + 12 * KB, 2 * M - 12 * KB, 2 * M + 12 * KB),
            ],
        ),
        (
            "hugepage_successive",
            6 * M,
            (2 * M, 6 * M, 0),
            &[
                (0x3FC000, 0x208000),
                (0x3FC000, 0x208000),
                (0x200000, 0x4000),
                (0x401000, 0x4000),
                (0x4FB000, 0xA000),
                (0x3FB000, 0xA000),
                (0x3FC000, 0x4000),
                (0x200000, 0x1000),
            ],
            &[(0x204000, 0x1F7000, 0x4000), (0x604000, 0x1FC000, 0x404000)],
        ),
    ];
    let t = open();
    for (name, bo_size, (va, size, off), unmaps, left) in cases {
        let (vm, _) = t.vm_create();
        let (bo, _) = t.bo_create(bo_size);
        assert_eq!(t.map(vm, bo, va, size, off), Ok(()), "{name}: map");
        for &(u, s) in unmaps {
            assert_eq!(t.unmap(vm, u, s), Ok(()), "{name}: unmap {u:#x}+{s:#x}");
        }
        let want: Vec<_> = left.iter().map(|&(a, s, o)| (a, s, o, false)).collect();
        assert_eq!(t.vas(vm), want, "{name}: what stays mapped");
        // VM_DESTROY with BOs still mapped succeeds.
        t.vm_destroy(vm).unwrap();
    }
}

#[test]
fn panthor_vm_pending_series() {
    let t = open();
    // vm_bind_intersect_kbo_range
    let (vm, user_va) = t.vm_create();
    let (bo2, _) = t.bo_create(2 * M);
    assert_eq!(
        t.map(vm, bo2, user_va.next_multiple_of(2 * M), 2 * M, 0),
        Err(EINVAL)
    );
    // vm_bind_sparse
    t.sparse(vm, 2 * M, 16 * KB).unwrap();
    assert_eq!(t.vas(vm), [(2 * M, 16 * KB, 0, true)]);
    t.vm_destroy(vm).unwrap();

    // Sparse region [4M, 10M), then one unmap or one 8 MiB-BO map: (name, op, VAs after as (va, size, sparse)).
    enum Op {
        Unmap(u64, u64),
        Map(u64, u64),
    }
    let cases = [
        (
            "partial_unmap_start_size_unaligned",
            Op::Unmap(4 * M, 8 * KB),
            vec![(4 * M + 8 * KB, 6 * M - 8 * KB, true)],
        ),
        (
            "partial_unmap_start_size_aligned",
            Op::Unmap(4 * M, 2 * M),
            vec![(6 * M, 4 * M, true)],
        ),
        (
            "partial_unmap_no_hugepage_multiple",
            Op::Unmap(4 * M, 256 * KB),
            vec![(4 * M + 256 * KB, 6 * M - 256 * KB, true)],
        ),
        (
            "partial_unmap_below_start",
            Op::Unmap(2 * M, 6 * M),
            vec![(8 * M, 2 * M, true)],
        ),
        (
            "partial_unmap_above_start",
            Op::Unmap(6 * M, 2 * M),
            vec![(4 * M, 2 * M, true), (8 * M, 2 * M, true)],
        ),
        (
            "remap",
            Op::Map(6 * M, 4 * M),
            vec![(4 * M, 2 * M, true), (6 * M, 4 * M, false)],
        ),
        (
            "remap_start_unaligned",
            Op::Map(9 * M, 4 * M),
            vec![(4 * M, 5 * M, true), (9 * M, 4 * M, false)],
        ),
        (
            "remap_start_size_unaligned",
            Op::Map(9 * M, M),
            vec![(4 * M, 5 * M, true), (9 * M, M, false)],
        ),
        (
            "remap_start_size_aligned",
            Op::Map(8 * M, 4 * M),
            vec![(4 * M, 4 * M, true), (8 * M, 4 * M, false)],
        ),
        (
            "remap_aligned_split_original_va",
            Op::Map(6 * M, 2 * M),
            vec![
                (4 * M, 2 * M, true),
                (6 * M, 2 * M, false),
                (8 * M, 2 * M, true),
            ],
        ),
        (
            "remap_start_aligned_size_unaligned",
            Op::Map(6 * M, M),
            vec![
                (4 * M, 2 * M, true),
                (6 * M, M, false),
                (7 * M, 3 * M, true),
            ],
        ),
        (
            "remap_aligned_intersect_left",
            Op::Map(2 * M, 4 * M),
            vec![(2 * M, 4 * M, false), (6 * M, 4 * M, true)],
        ),
        (
            "remap_size_unaligned_intersect_left",
            Op::Map(2 * M, 3 * M),
            vec![(2 * M, 3 * M, false), (5 * M, 5 * M, true)],
        ),
        (
            "remap_start_aligned_intersect_right",
            Op::Map(8 * M, 2 * M + 24 * KB),
            vec![(4 * M, 4 * M, true), (8 * M, 2 * M + 24 * KB, false)],
        ),
        (
            "remap_wrap_around_va",
            Op::Map(2 * M, 8 * M),
            vec![(2 * M, 8 * M, false)],
        ),
    ];
    for (name, op, want) in cases {
        let (vm, _) = t.vm_create();
        let (bo, _) = t.bo_create(8 * M);
        t.sparse(vm, 4 * M, 6 * M).unwrap();
        match op {
            Op::Unmap(va, size) => t.unmap(vm, va, size),
            Op::Map(va, size) => t.map(vm, bo, va, size, 0),
        }
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let got: Vec<_> = t
            .vas(vm)
            .into_iter()
            .map(|(a, s, _, sp)| (a, s, sp))
            .collect();
        assert_eq!(got, want, "{name}");
        t.vm_destroy(vm).unwrap();
    }

    // vm_bind_sparse_overflow, vm_unbind_sparse_overflow
    let (vm, _) = t.vm_create();
    assert_eq!(t.sparse(vm, 512 * M, 0xFFFF_FFFF_FF80_0000), Err(EINVAL));
    t.sparse(vm, 512 * M, 6 * M).unwrap();
    assert_eq!(t.unmap(vm, 512 * M, 0xFFFF_FFFF_FF80_0000), Err(EINVAL));
    assert_eq!(
        t.vas(vm),
        [(512 * M, 6 * M, 0, true)],
        "the failed unmap changed nothing"
    );
    let bo = t.fd.objects().lookup(bo2).unwrap();
    assert_eq!(bo.gem().size(), 2 * M);
}
