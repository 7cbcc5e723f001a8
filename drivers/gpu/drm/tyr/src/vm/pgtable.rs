// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Mapping and unmapping ranges in a VM's page table with Panthor's calling convention.
//!
//! io-pgtable only maps or unmaps entries of one table per call, so Panthor (`panthor_vm_map_pages`,
//! `panthor_vm_unmap_pages` and `get_pgsize` in `drivers/gpu/drm/panthor/panthor_mmu.c`) cuts every range at table
//! boundaries and picks the largest page size the alignment allows: 2 MiB blocks where address *and* remaining length
//! allow, 4 KiB pages otherwise. The reference vectors' `map`/`unmap` commands are exactly these loops.

use kernel::error::code::{EINVAL, ENOMEM};
use kernel::error::Result;
use kernel::io_pgtable::{IoPageTable, SZ_1G, SZ_2M, SZ_4K};

/// The page size and page count of the next io-pgtable call for `size` bytes at `addr` (`get_pgsize`).
///
/// `addr` is the IOVA for an unmap and `iova | paddr` for a map, so a block is used only where both are 2 MiB aligned.
/// The count never crosses the next table boundary: the next 2 MiB for pages, the next 1 GiB for blocks.
pub(crate) fn get_pgsize(addr: u64, size: u64) -> (usize, usize) {
    let sz_2m = SZ_2M as u64;
    // Distance to the next 2 MiB boundary; 0 when aligned.
    let blk_offset = addr.wrapping_neg() % sz_2m;
    if blk_offset != 0 || size < sz_2m {
        let len = if blk_offset == 0 {
            size
        } else {
            blk_offset.min(size)
        };
        return (SZ_4K, (len / SZ_4K as u64) as usize);
    }
    let to_1g = match addr.wrapping_neg() % SZ_1G as u64 {
        0 => SZ_1G as u64,
        d => d,
    };
    (SZ_2M, (to_1g.min(size) / sz_2m) as usize)
}

/// Maps the physically contiguous chunks `chunks` (address, length) back to back from `iova` with `prot`.
///
/// On failure, everything this call mapped is unmapped again and the error returned, so the table is as before
/// (Panthor's behaviour). Addresses and lengths must be 4 KiB aligned (`EINVAL` otherwise; Panthor's ioctl checks
/// guarantee it, and an unaligned length would make the page-size split loop on zero-page steps).
pub fn map_sg(
    pt: &mut (impl IoPageTable + ?Sized),
    iova: u64,
    chunks: impl IntoIterator<Item = (u64, u64)>,
    prot: u32,
) -> Result {
    let start = iova;
    let mut iova = iova;
    for (mut paddr, mut len) in chunks {
        if !(iova | paddr | len).is_multiple_of(SZ_4K as u64) {
            rollback(pt, start, iova);
            return Err(EINVAL);
        }
        while len > 0 {
            let (pgsize, pgcount) = get_pgsize(iova | paddr, len);
            let (mapped, res) = pt.map_pages(iova as usize, paddr, pgsize, pgcount, prot);
            let mapped = mapped as u64;
            iova += mapped;
            paddr += mapped;
            len -= mapped;
            // io-pgtable must make progress; Panthor turns a silent zero-byte map into ENOMEM.
            let res = match res {
                Ok(()) if mapped == 0 => Err(ENOMEM),
                r => r,
            };
            if let Err(e) = res {
                rollback(pt, start, iova);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Maps `size` bytes from `iova` to the contiguous physical range at `paddr`.
pub fn map_range(
    pt: &mut (impl IoPageTable + ?Sized),
    iova: u64,
    paddr: u64,
    size: u64,
    prot: u32,
) -> Result {
    map_sg(pt, iova, [(paddr, size)], prot)
}

fn rollback(pt: &mut (impl IoPageTable + ?Sized), start: u64, end: u64) {
    // Panthor warns if this fails; it cannot, since it only removes what the same call just mapped. The caller
    // returns the map's error either way (and a failed op makes the VM unusable).
    if let Err(e) = unmap_range(pt, start, end - start) {
        tracing::error!(
            iova = start,
            size = end - start,
            errno = e.to_errno(),
            "map rollback failed"
        );
    }
}

/// Unmaps `size` bytes from `iova`.
///
/// Fails with `EINVAL` as soon as io-pgtable unmaps fewer bytes than a step asked for (a hole, or a block that would
/// need splitting); the steps before it stay unmapped, as in Panthor.
pub fn unmap_range(pt: &mut (impl IoPageTable + ?Sized), iova: u64, size: u64) -> Result {
    if !(iova | size).is_multiple_of(SZ_4K as u64) {
        return Err(EINVAL);
    }
    let mut offset = 0;
    while offset < size {
        let (pgsize, pgcount) = get_pgsize(iova + offset, size - offset);
        let unmapped = pt.unmap_pages((iova + offset) as usize, pgsize, pgcount, None);
        if unmapped != pgsize * pgcount {
            return Err(EINVAL);
        }
        offset += unmapped as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_up_to_the_next_2m_boundary_when_unaligned() {
        assert_eq!(get_pgsize(0x1000, 0x3000), (SZ_4K, 3));
        assert_eq!(get_pgsize(0x1ff000, 0x10_0000), (SZ_4K, 1));
        assert_eq!(get_pgsize(0x5fe000, 0x404000), (SZ_4K, 2));
    }

    #[test]
    fn pages_when_aligned_but_shorter_than_a_block() {
        assert_eq!(get_pgsize(0x200000, 0x1000), (SZ_4K, 1));
        assert_eq!(get_pgsize(0x200000, 0x1ff000), (SZ_4K, 0x1ff));
    }

    #[test]
    fn blocks_up_to_the_next_1g_boundary_when_aligned() {
        assert_eq!(get_pgsize(0x600000, 0x404000), (SZ_2M, 2));
        assert_eq!(get_pgsize(0x3fe0_0000, 0x40_0000), (SZ_2M, 1));
        assert_eq!(get_pgsize(0x4000_0000, 0x8000_0000), (SZ_2M, 512));
        assert_eq!(get_pgsize(0, 0x201000), (SZ_2M, 1));
    }
}
