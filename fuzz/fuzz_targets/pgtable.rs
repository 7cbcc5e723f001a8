// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! io-pgtable ARM LPAE: sequences of `map_pages`/`unmap_pages` against the reference model `tyr_models::pgtable`.
//! After every call the result, the leaves, the table-page count and the RAM frames in use must equal the model's;
//! at the end, translations at and around every leaf, and freeing the table returns every frame.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::{ArmLpaeS1, Config, IoPageTable, SZ_2M, SZ_4K};
use libfuzzer_sys::fuzz_target;
use tyr_models::pgtable::Model;

/// IOVA windows where calls collide: at 0, across a 1 GiB boundary, across the 512 GiB boundary of the root table,
/// and at the top of the 48-bit space (plus a few bits beyond, for ERANGE).
const WINDOWS: [u64; 5] = [
    0,
    (1 << 30) - (8 << 20),
    (1 << 39) - (8 << 20),
    (1 << 48) - (16 << 20),
    1 << 48,
];
const PROTS: [u32; 6] = [
    READ | WRITE | CACHE,
    READ,
    READ | WRITE | NOEXEC,
    READ | MMIO | PRIV,
    WRITE,
    0,
];

#[derive(Arbitrary, Debug)]
enum Op {
    Map {
        window: u8,
        page: u16,
        pa: u32,
        big: bool,
        n: u16,
        prot: u8,
    },
    Unmap {
        window: u8,
        page: u16,
        big: bool,
        n: u16,
    },
}

fn iova(window: u8, page: u16, big: bool) -> u64 {
    let base = WINDOWS[usize::from(window) % WINDOWS.len()];
    let align = if big { SZ_2M } else { SZ_4K } as u64;
    // 16 MiB per window, aligned to the page size used.
    (base + u64::from(page % 4096) * 4096) / align * align
}

fn ram() -> &'static Arc<Ram> {
    static RAM: OnceLock<Arc<Ram>> = OnceLock::new();
    RAM.get_or_init(|| Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).expect("RAM")))
}

fuzz_target!(|ops: Vec<Op>| {
    let ram = ram();
    let free0 = ram.stats().free_frames;
    let mut pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588).expect("table");
    let mut m = Model::default();
    for op in ops.iter().take(64) {
        match *op {
            Op::Map {
                window,
                page,
                pa,
                big,
                n,
                prot,
            } => {
                let pgsize = if big { SZ_2M } else { SZ_4K };
                let iova = iova(window, page, big);
                // Output addresses up to 2^41, so ERANGE beyond the 40-bit OAS is reached too.
                let pa = (u64::from(pa) << 9) / pgsize as u64 * pgsize as u64;
                let n = usize::from(n % if big { 8 } else { 1100 }) + 1;
                let prot = PROTS[usize::from(prot) % PROTS.len()];
                let got = pt.map_pages(iova as usize, pa, pgsize, n, prot);
                let got = (got.0, got.1.map_err(|e| -e.to_errno()));
                assert_eq!(got, m.map(iova, pa, pgsize, n, prot), "{op:?}");
            }
            Op::Unmap {
                window,
                page,
                big,
                n,
            } => {
                let pgsize = if big { SZ_2M } else { SZ_4K };
                let iova = iova(window, page, big);
                let n = usize::from(n % if big { 8 } else { 1100 }) + 1;
                assert_eq!(
                    pt.unmap_pages(iova as usize, pgsize, n, None),
                    m.unmap(iova, pgsize, n),
                    "{op:?}"
                );
            }
        }
        let mut leaves = Vec::new();
        pt.for_each_leaf(|l| leaves.push((l.iova, l.level, l.pte.bits())));
        assert_eq!(leaves, m.leaves(), "after {op:?}");
        assert_eq!(pt.tables_live(), m.tables_live(), "after {op:?}");
        assert_eq!(
            ram.stats().free_frames + pt.tables_live() as u64,
            free0,
            "table pages leaked"
        );
    }
    for (iova, _, _) in m.leaves() {
        for p in [iova as u64, iova as u64 + 0x123, iova as u64 + 0x1f_f000] {
            assert_eq!(pt.iova_to_phys(p as usize), m.lookup(p), "iova {p:#x}");
        }
    }
    drop(pt);
    assert_eq!(ram.stats().free_frames, free0, "frames not returned");
});
