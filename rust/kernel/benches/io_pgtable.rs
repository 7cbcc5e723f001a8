// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! io-pgtable ARM LPAE S1 map/unmap cost per page or block: ours against the kernel's own `io-pgtable-arm.c`
//! (`tyr-kpeer`, built from the downloaded 6.12 sources) on the same calls, in the same process and run.
//!
//! Workloads (the calls are computed before timing; map and unmap timed separately):
//! * `1g-4k-per-call`: 1 GiB as 4 KiB pages, one `map_pages`/`unmap_pages` call per page;
//! * `1g-4k-panthor`: 1 GiB as 4 KiB pages through Panthor's loop (`panthor_vm_map_pages`' `get_pgsize`), with the
//!   physical address one page off the IOVA so no block fits: alternating 511- and 1-page calls. Its unmap is the
//!   same 1 GiB in one Panthor unmap (`get_pgsize` of the range: one 2M×512 call that frees every L3 table);
//! * `1g-2m-blocks`: 512 2 MiB blocks in one call, unmapped in one call;
//! * `scattered-4k`: 65 536 4 KiB pages 2 MiB apart (every page a fresh L3 table, every 512th a fresh L2 table).
//!
//! Each side runs each workload **cold** (a fresh page allocator whose memory was never touched, then a fresh table)
//! and then **warm** (a fresh table over the same allocator again, freed table pages reused), in several rounds; each
//! figure is the best of its rounds. Our table pages come from a `ReservedPtPool` filled (and made resident) before
//! the timed part, as Panthor reserves them in the ioctl; the kernel's come through `cfg->alloc` from a preallocated
//! pool as Panthor's `alloc_pt` takes them. Both make each new table page zero inside the timed part, as the kernel
//! does. Without the kernel sources only our figures are printed.
//!
//! `cargo bench -p kernel --bench io_pgtable` (or `make bench`); `TYR_BENCH_RUNS` sets the rounds (default 5),
//! `TYR_BENCH_ONLY` keeps the workloads whose name contains it (for profiling one).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::prot::{CACHE, READ, WRITE};
use kernel::io_pgtable::{
    ArmLpaeS1, Config, IoPageTable, NoFlush, ReservedPtPool, SZ_1G, SZ_2M, SZ_4K,
};
use tyr_kpeer::{KernelPgtable, PagePool};

const PROT: u32 = READ | WRITE | CACHE;
const SCATTERED: usize = 65_536;
/// Enough pool for the largest workload (scattered: 65 536 L3 tables and their parents).
const POOL_BYTES: usize = 512 << 20;

/// One call: (iova, pa, pgsize, pgcount); an unmap ignores `pa`.
type Call = (u64, u64, usize, usize);

/// One workload: its map calls, its unmap calls, and how many units (pages or blocks) they cover.
struct Workload {
    name: &'static str,
    map: Vec<Call>,
    unmap: Vec<Call>,
    units: u64,
    unit: &'static str,
}

/// Panthor's `get_pgsize`: pages up to the next 2 MiB boundary, else 2 MiB blocks up to the next 1 GiB boundary.
fn get_pgsize(addr: u64, size: u64) -> (usize, usize) {
    let blk = addr.wrapping_neg() % SZ_2M as u64;
    if blk != 0 || size < SZ_2M as u64 {
        let len = if blk == 0 { size } else { blk.min(size) };
        return (SZ_4K, (len / SZ_4K as u64) as usize);
    }
    let to_1g = match addr.wrapping_neg() % SZ_1G as u64 {
        0 => SZ_1G as u64,
        d => d,
    };
    (SZ_2M, (to_1g.min(size) / SZ_2M as u64) as usize)
}

/// Panthor's map loop over one contiguous range (`get_pgsize(iova | paddr, left)` per call).
fn panthor_map_calls(iova: u64, pa: u64, size: u64) -> Vec<Call> {
    let (mut off, mut calls) = (0, Vec::new());
    while off < size {
        let (pgsize, n) = get_pgsize((iova + off) | (pa + off), size - off);
        calls.push((iova + off, pa + off, pgsize, n));
        off += (pgsize * n) as u64;
    }
    calls
}

/// Panthor's unmap loop (`get_pgsize(iova, left)` per call).
fn panthor_unmap_calls(iova: u64, size: u64) -> Vec<Call> {
    let (mut off, mut calls) = (0, Vec::new());
    while off < size {
        let (pgsize, n) = get_pgsize(iova + off, size - off);
        calls.push((iova + off, 0, pgsize, n));
        off += (pgsize * n) as u64;
    }
    calls
}

fn workloads() -> Vec<Workload> {
    let base = SZ_1G as u64;
    let pages = (SZ_1G / SZ_4K) as u64;
    let per_page: Vec<Call> = (0..pages)
        .map(|i| (base + i * 4096, base + i * 4096, SZ_4K, 1))
        .collect();
    let scattered: Vec<Call> = (0..SCATTERED as u64)
        .map(|i| (base + i * SZ_2M as u64, base + i * SZ_2M as u64, SZ_4K, 1))
        .collect();
    vec![
        Workload {
            name: "1g-4k-per-call",
            map: per_page.clone(),
            unmap: per_page,
            units: pages,
            unit: "page",
        },
        Workload {
            name: "1g-4k-panthor",
            map: panthor_map_calls(base, base + SZ_4K as u64, SZ_1G as u64),
            unmap: panthor_unmap_calls(base, SZ_1G as u64),
            units: pages,
            unit: "page",
        },
        Workload {
            name: "1g-2m-blocks",
            map: vec![(base, base, SZ_2M, 512)],
            unmap: vec![(base, 0, SZ_2M, 512)],
            units: 512,
            unit: "block",
        },
        Workload {
            name: "scattered-4k",
            map: scattered.clone(),
            unmap: scattered,
            units: SCATTERED as u64,
            unit: "page",
        },
    ]
}

/// Table pages the map calls need below the root: one per distinct 2 MiB (L3), 1 GiB (L2) and 512 GiB (L1) region.
fn tables_needed(calls: &[Call]) -> usize {
    let mut l3 = HashSet::new();
    let (mut l2, mut l1) = (HashSet::new(), HashSet::new());
    for &(iova, _, pgsize, n) in calls {
        let end = iova + (pgsize * n) as u64;
        let mut a = iova;
        while a < end {
            if pgsize == SZ_4K {
                l3.insert(a >> 21);
            }
            l2.insert(a >> 30);
            l1.insert(a >> 39);
            a = ((a >> 21) + 1) << 21;
        }
    }
    l3.len() + l2.len() + l1.len()
}

/// One side's timings of one workload, ns per unit.
#[derive(Clone, Copy, Debug, Default)]
struct Figures {
    cold_map: f64,
    cold_unmap: f64,
    warm_map: f64,
    warm_unmap: f64,
}

/// `runs` rounds, each a cold run on a fresh allocator then a warm run on the same one; the best of each kind.
/// `new_alloc` makes a fresh allocator, `run(alloc)` builds a fresh table on it (not timed) and returns the map and
/// unmap times in ns. Taking the best cold run too keeps a scheduler hiccup on the shared machine out of the one
/// figure a single cold run would give.
fn measure<A>(
    w: &Workload,
    runs: usize,
    new_alloc: impl Fn() -> A,
    run: impl Fn(&A) -> (f64, f64),
) -> Figures {
    let units = w.units as f64;
    let mut f = Figures {
        cold_map: f64::MAX,
        cold_unmap: f64::MAX,
        warm_map: f64::MAX,
        warm_unmap: f64::MAX,
    };
    for _ in 0..runs.max(1) {
        let alloc = new_alloc();
        let (m, u) = run(&alloc);
        f.cold_map = f.cold_map.min(m / units);
        f.cold_unmap = f.cold_unmap.min(u / units);
        let (m, u) = run(&alloc);
        f.warm_map = f.warm_map.min(m / units);
        f.warm_unmap = f.warm_unmap.min(u / units);
    }
    f
}

type Ours = ArmLpaeS1<ReservedPtPool, NoFlush>;

fn ours(w: &Workload, ram: &Arc<Ram>) -> (f64, f64) {
    let mut pool = ReservedPtPool::new(ram.clone());
    pool.reserve(1).unwrap();
    let mut pt: Ours = ArmLpaeS1::new(ram.clone(), Config::PANTHOR_RK3588, pool, NoFlush).unwrap();
    pt.alloc_mut().reserve(tables_needed(&w.map)).unwrap();
    let mut bad = 0;
    let t = Instant::now();
    for &(iova, pa, pgsize, n) in &w.map {
        let (mapped, r) = pt.map_pages(iova as usize, pa, pgsize, n, PROT);
        bad += usize::from(r.is_err() || mapped != pgsize * n);
    }
    let map = t.elapsed().as_nanos() as f64;
    let t = Instant::now();
    for &(iova, _, pgsize, n) in &w.unmap {
        let unmapped = pt.unmap_pages(iova as usize, pgsize, n, None);
        bad += usize::from(unmapped != pgsize * n);
    }
    let unmap = t.elapsed().as_nanos() as f64;
    assert_eq!(bad, 0, "{}: our calls failed", w.name);
    (map, unmap)
}

fn kernel_c(w: &Workload, pool: &PagePool) -> (f64, f64) {
    let mut pt = KernelPgtable::new(pool).expect("kernel C table");
    let mut bad = 0;
    let t = Instant::now();
    for &(iova, pa, pgsize, n) in &w.map {
        let (mapped, r) = pt.map_pages(iova, pa, pgsize, n, PROT);
        bad += usize::from(r.is_err() || mapped != pgsize * n);
    }
    let map = t.elapsed().as_nanos() as f64;
    let t = Instant::now();
    for &(iova, _, pgsize, n) in &w.unmap {
        let unmapped = pt.unmap_pages(iova, pgsize, n);
        bad += usize::from(unmapped != pgsize * n);
    }
    let unmap = t.elapsed().as_nanos() as f64;
    assert_eq!(bad, 0, "{}: the kernel's calls failed", w.name);
    (map, unmap)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: one warm run is enough there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick {
        1
    } else {
        std::env::var("TYR_BENCH_RUNS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5)
    };
    record_reset();
    println!("io_pgtable: ns per unit, tyr and the kernel's C (io-pgtable-arm.c) in this run; ratio = tyr / kernel C");
    if !tyr_kpeer::available() {
        println!("  (kernel C peer unavailable: run scripts/fetch-kernel-peer.sh or make bench)");
    }
    println!(
        "{:<16} {:<6} {:<5} {:>5} {:>10} {:>10} {:>8}",
        "workload", "op", "warm", "unit", "tyr", "kernel C", "ratio"
    );
    let only = std::env::var("TYR_BENCH_ONLY").ok();
    for w in workloads() {
        if only.as_deref().is_some_and(|o| !w.name.contains(o)) {
            continue;
        }
        let o = measure(
            &w,
            runs,
            || Arc::new(Ram::new(RamConfig::default()).unwrap()),
            |ram| ours(&w, ram),
        );
        let c = tyr_kpeer::available().then(|| {
            measure(
                &w,
                runs,
                || PagePool::new(POOL_BYTES).unwrap(),
                |pool| kernel_c(&w, pool),
            )
        });
        let rows = [
            ("map", "cold", o.cold_map, c.map(|c| c.cold_map)),
            ("map", "warm", o.warm_map, c.map(|c| c.warm_map)),
            ("unmap", "cold", o.cold_unmap, c.map(|c| c.cold_unmap)),
            ("unmap", "warm", o.warm_unmap, c.map(|c| c.warm_unmap)),
        ];
        for (op, warmth, ours, peer) in rows {
            // Three significant digits: the whole-table unmap costs hundredths of a ns per page.
            let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
            let ratio = peer.map_or("-".to_string(), |p| format!("{:.2}x", ours / p));
            println!(
                "{:<16} {op:<6} {warmth:<5} {:>5} {:>10} {:>10} {ratio:>8}",
                w.name,
                w.unit,
                fmt(Some(ours)),
                fmt(peer)
            );
            record(
                w.name,
                op,
                warmth,
                &format!("ns/{}", w.unit),
                ours,
                peer.unwrap_or(f64::NAN),
                "kernel C",
            );
        }
    }
}

/// Appends one row for `tyr bench`'s report to `$TYR_BENCH_OUT/io_pgtable.jsonl` (nothing when the variable is unset).
fn record(
    workload: &str,
    op: &str,
    warmth: &str,
    unit: &str,
    ours: f64,
    peer: f64,
    peer_name: &str,
) {
    use std::io::Write as _;
    let Some(dir) = std::env::var_os("TYR_BENCH_OUT") else {
        return;
    };
    let _ = std::fs::create_dir_all(&dir);
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v}")
        } else {
            "null".to_string()
        }
    };
    let line = format!(
        "{{\"bench\":\"io_pgtable\",\"workload\":{workload:?},\"op\":{op:?},\"warmth\":{warmth:?},\"unit\":{unit:?},\"x\":null,\"ours\":{},\"peer\":{},\"peer_name\":{peer_name:?}}}\n",
        num(ours),
        num(peer)
    );
    let path = std::path::Path::new(&dir).join("io_pgtable.jsonl");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Starts this bench's rows afresh.
fn record_reset() {
    if let Some(dir) = std::env::var_os("TYR_BENCH_OUT") {
        let _ = std::fs::remove_file(std::path::Path::new(&dir).join("io_pgtable.jsonl"));
    }
}
