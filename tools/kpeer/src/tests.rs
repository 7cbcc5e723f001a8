// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The peer on small cases, with the answers the kernel code gives (the cross-check against our own implementations
//! is `tests/equivalence.rs`). Without the sources every constructor must say `Unavailable`.

use super::*;

const R: u32 = 1;
const W: u32 = 2;
const C: u32 = 4;
const EINVAL: i32 = 22;
const ERANGE: i32 = 34;
const EEXIST: i32 = 17;
const ENOMEM: i32 = 12;
/// Address bits [47:12] of a descriptor.
const ADDR: u64 = ((1 << 48) - 1) & !0xfff;

/// A pool when the peer is built; without it, checks that construction says so.
fn pool(bytes: usize) -> Option<PagePool> {
    match PagePool::new(bytes) {
        Ok(p) => Some(p),
        Err(e) => {
            assert!(!available(), "peer built but the pool failed: {e}");
            assert_eq!(e, Error::Unavailable);
            None
        }
    }
}

#[test]
fn availability_matches_the_build() {
    assert_eq!(available(), source().is_some());
    assert_eq!(KernelGpuVm::new(0, 1 << 32, None).is_ok(), available());
}

#[test]
fn pages_map_to_l3_leaves_and_translate() {
    let Some(pool) = pool(16 << 20) else { return };
    let mut pt = KernelPgtable::new(&pool).unwrap();
    assert_eq!(pt.tables_live(), 1);
    let (mapped, r) = pt.map_pages(0x1000, 0x8000_1000, 0x1000, 3, R | W | C);
    assert_eq!((mapped, r), (0x3000, Ok(())));
    // pgd, L1, L2, L3.
    assert_eq!(pt.tables_live(), 4);
    assert_eq!(pool.pages_live(), 4);
    let leaves = pt.leaves();
    assert_eq!(leaves.len(), 3);
    for (i, l) in leaves.iter().enumerate() {
        assert_eq!((l.level, l.iova), (3, 0x1000 * (i as u64 + 1)));
        assert_eq!(l.pte & ADDR, 0x8000_1000 + 0x1000 * i as u64);
        assert_eq!(l.pte & 3, 3, "page descriptor");
    }
    assert_eq!(pt.iova_to_phys(0x2abc), 0x8000_2abc);
    assert_eq!(pt.iova_to_phys(0x4000), 0);
    assert_eq!(pt.unmap_pages(0x1000, 0x1000, 3), 0x3000);
    assert!(pt.leaves().is_empty());
    assert_eq!(pt.iova_to_phys(0x1000), 0);
}

#[test]
fn a_2m_block_is_one_l2_leaf_and_unmapping_it_as_pages_unmaps_nothing() {
    let Some(pool) = pool(16 << 20) else { return };
    let mut pt = KernelPgtable::new(&pool).unwrap();
    assert_eq!(
        pt.map_pages(0x20_0000, 0x4000_0000, 0x20_0000, 1, R | W),
        (0x20_0000, Ok(()))
    );
    let leaves = pt.leaves();
    assert_eq!(leaves.len(), 1);
    assert_eq!(
        (leaves[0].level, leaves[0].iova, leaves[0].pte & 3),
        (2, 0x20_0000, 1)
    );
    assert_eq!(pt.iova_to_phys(0x3f_f123), 0x401f_f123);
    assert_eq!(pt.unmap_pages(0x20_0000, 0x20_0000, 1), 0x20_0000);
    assert!(pt.leaves().is_empty());
}

#[test]
fn bad_requests_fail_with_the_kernels_errno_and_change_nothing() {
    let Some(pool) = pool(16 << 20) else { return };
    let mut pt = KernelPgtable::new(&pool).unwrap();
    let before = warnings();
    assert_eq!(
        pt.map_pages(0x1000, 0x1000, 0x2000, 1, R).1,
        Err(Error::Errno(EINVAL))
    );
    assert_eq!(
        pt.map_pages(1 << 48, 0x1000, 0x1000, 1, R).1,
        Err(Error::Errno(ERANGE))
    );
    assert_eq!(
        pt.map_pages(0x1000, 1 << 40, 0x1000, 1, R).1,
        Err(Error::Errno(ERANGE))
    );
    assert_eq!(
        pt.map_pages(0x1000, 0x1000, 0x1000, 1, C).1,
        Err(Error::Errno(EINVAL))
    );
    assert!(pt.leaves().is_empty());
    assert!(warnings() > before, "the kernel warns on a bad page size");
    assert_eq!(pt.map_pages(0x1000, 0x1000, 0x1000, 1, R), (0x1000, Ok(())));
    assert_eq!(
        pt.map_pages(0x1000, 0x5000, 0x1000, 1, R).1,
        Err(Error::Errno(EEXIST))
    );
    assert_eq!(pt.iova_to_phys(0x1000), 0x1000);
    assert_eq!(pt.unmap_pages(0x1000, 0x1000, 0), 0);
}

#[test]
fn an_empty_pool_is_enomem_not_a_crash() {
    // 2 MiB: 512 pages, while 600 pages 2 MiB apart need one L3 table each.
    let Some(pool) = pool(2 << 20) else { return };
    let mut pt = KernelPgtable::new(&pool).unwrap();
    let mut err = None;
    for i in 0..600u64 {
        let (_, r) = pt.map_pages(i << 21, i << 21, 0x1000, 1, R | W);
        if let Err(e) = r {
            err = Some((i, e));
            break;
        }
    }
    let (i, e) = err.expect("the pool runs out");
    assert_eq!(e, Error::Errno(ENOMEM));
    assert_eq!(pt.leaves().len() as u64, i);
}

#[test]
fn freed_tables_go_back_to_the_pool() {
    let Some(pool) = pool(16 << 20) else { return };
    {
        let mut pt = KernelPgtable::new(&pool).unwrap();
        assert_eq!(pt.map_pages(0, 0, 0x1000, 512, R), (0x20_0000, Ok(())));
        assert_eq!(pool.pages_live(), 4);
        // One 2M unmap over a table of pages frees the table (Panthor's unmap of a whole range).
        assert_eq!(pt.unmap_pages(0, 0x20_0000, 1), 0x20_0000);
        assert_eq!(pool.pages_live(), 3);
    }
    assert_eq!(pool.pages_live(), 0);
}

#[test]
fn gpuvm_splits_and_merges_like_the_kernel() {
    let Ok(mut vm) = KernelGpuVm::new(0, 1 << 32, Some((0x10_0000, 0x1000))) else {
        assert!(!available());
        return;
    };
    vm.sm_map(0x1000, 0x3000, Some(1), 0).unwrap();
    vm.sm_map(0x2000, 0x1000, Some(2), 0x7000).unwrap();
    assert_eq!(
        vm.steps(),
        Steps {
            map: 2,
            remap: 1,
            unmap: 0
        }
    );
    let va = |addr, range, obj, offset| Va {
        addr,
        range,
        obj,
        offset,
    };
    assert_eq!(
        vm.vas(),
        [
            va(0x1000, 0x1000, Some(1), 0),
            va(0x2000, 0x1000, Some(2), 0x7000),
            va(0x3000, 0x1000, Some(1), 0x2000)
        ]
    );
    vm.sm_map(0x8000, 0x1000, None, 0).unwrap();
    assert_eq!(vm.num_vas(), 4);
    vm.sm_unmap(0, 0x10_0000).unwrap();
    assert_eq!(vm.num_vas(), 0);
    assert_eq!(
        vm.steps(),
        Steps {
            map: 3,
            remap: 1,
            unmap: 4
        }
    );
}

#[test]
fn gpuvm_rejects_bad_ranges_with_einval() {
    let Ok(mut vm) = KernelGpuVm::new(0x1000, 0x10_0000, Some((0x8000, 0x1000))) else {
        assert!(!available());
        return;
    };
    let e = Err(Error::Errno(EINVAL));
    // (A zero range is the ioctl's to reject: drm_gpuvm_range_valid lets it through.)
    assert_eq!(vm.sm_map(0, 0x2000, Some(1), 0), e);
    assert_eq!(
        vm.sm_map(0x7000, 0x2000, Some(1), 0),
        e,
        "overlaps the kernel node"
    );
    assert_eq!(vm.sm_map(u64::MAX - 0xfff, 0x2000, Some(1), 0), e);
    assert_eq!(vm.sm_unmap(0x10_0000, 0x10_0000), e, "beyond the VM");
    assert_eq!(vm.num_vas(), 0);
    assert_eq!(vm.steps(), Steps::default());
}

#[test]
fn the_peers_heap_is_counted_and_returned() {
    let Ok(mut vm) = KernelGpuVm::new(0, 1 << 40, None) else {
        assert!(!available());
        return;
    };
    for i in 0..100u64 {
        vm.sm_map(i << 16, 0x1000, Some(1), 0).unwrap();
    }
    assert!(heap_bytes() > 100 * 64, "{}", heap_bytes());
}
