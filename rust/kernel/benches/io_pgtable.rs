// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! io-pgtable ARM LPAE S1 map/unmap cost, per page or block, against the `aarch64-paging` crate on the same workloads
//! in the same run, and against the kernel's own C (`io-pgtable-arm.c` built in userspace) as measured on this
//! machine (figures recorded in `Documentation/testing.md#benchmarks`).
//!
//! Workloads (map and unmap timed separately; setup and teardown are outside the timed part):
//! * `1g-4k-per-call`: 1 GiB as 4 KiB pages, one `map_pages` call per page;
//! * `1g-4k-panthor`: 1 GiB as 4 KiB pages in Panthor's 512-page calls (one L3 table per call);
//! * `1g-2m-blocks`: 1 GiB as 2 MiB blocks (512 blocks per call);
//! * `scattered-4k`: 65 536 4 KiB pages 2 MiB apart, so every page needs a fresh L3 table (and every 512th a fresh
//!   L2 table).
//!
//! Our table pages come from a `ReservedPtPool` filled before the timed part, as Panthor reserves them in the ioctl;
//! zeroing them is inside the timed part, as in the kernel. The peer allocates its tables on the heap; it is forced to
//! use pages (`NO_BLOCK_MAPPINGS`) where the workload is pages, and its unmap is a remap without VALID (it has no
//! separate unmap). After criterion's runs, `main` prints a table: ours, the peer's, the ratio, and the kernel C figure.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aarch64_paging::descriptor::El1Attributes;
use aarch64_paging::idmap::IdMap;
use aarch64_paging::paging::{Constraints, El1And0, MemoryRegion};
use criterion::{BenchmarkId, Criterion, Throughput};
use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::prot::{CACHE, READ, WRITE};
use kernel::io_pgtable::{
    ArmLpaeS1, Config, IoPageTable, NoFlush, ReservedPtPool, SZ_1G, SZ_2M, SZ_4K,
};

const PROT: u32 = READ | WRITE | CACHE;
const SCATTERED: usize = 65_536;

/// One workload: a list of (iova, pa, pgsize, pgcount) calls, and the number of pages/blocks it maps.
struct Workload {
    name: &'static str,
    calls: Vec<(usize, u64, usize, usize)>,
    units: u64,
    unit: &'static str,
    /// The kernel C figures (`Documentation/testing.md#benchmarks`, ns per unit), the fast end of each measured range:
    /// map, unmap (None where none was measured).
    kernel_c: (Option<f64>, Option<f64>),
}

fn workloads() -> Vec<Workload> {
    let base = SZ_1G; // IOVA 1 GiB.. keeps clear of 0 for the peer's identity map.
    let pages = SZ_1G / SZ_4K;
    vec![
        Workload {
            name: "1g-4k-per-call",
            calls: (0..pages)
                .map(|i| (base + i * SZ_4K, (base + i * SZ_4K) as u64, SZ_4K, 1))
                .collect(),
            units: pages as u64,
            unit: "page",
            kernel_c: (Some(23.0), Some(18.0)),
        },
        Workload {
            name: "1g-4k-panthor",
            calls: (0..pages / 512)
                .map(|i| (base + i * SZ_2M, (base + i * SZ_2M) as u64, SZ_4K, 512))
                .collect(),
            units: pages as u64,
            unit: "page",
            kernel_c: (Some(6.5), None),
        },
        Workload {
            // Starts 2 MiB into a 1 GiB region so that neither side can use a 1 GiB block; ours needs two calls (one
            // per L2 table), the peer one range.
            name: "1g-2m-blocks",
            calls: vec![
                (base + SZ_2M, (base + SZ_2M) as u64, SZ_2M, 511),
                (2 * SZ_1G, (2 * SZ_1G) as u64, SZ_2M, 1),
            ],
            units: 512,
            unit: "block",
            kernel_c: (Some(5.0), None),
        },
        Workload {
            name: "scattered-4k",
            calls: (0..SCATTERED)
                .map(|i| (base + i * SZ_2M, (base + i * SZ_2M) as u64, SZ_4K, 1))
                .collect(),
            units: SCATTERED as u64,
            unit: "page",
            kernel_c: (Some(1500.0), Some(100.0)),
        },
    ]
}

fn tables_needed(w: &Workload) -> usize {
    w.calls
        .iter()
        .map(|&(iova, _, pgsize, n)| ReservedPtPool::pages_needed(iova as u64, (pgsize * n) as u64))
        .sum()
}

type Ours = ArmLpaeS1<ReservedPtPool, NoFlush>;

fn fresh_table(ram: &Arc<Ram>, w: &Workload) -> Ours {
    let mut pool = ReservedPtPool::new(ram.clone());
    pool.reserve(1).unwrap();
    let mut pt = ArmLpaeS1::new(ram.clone(), Config::PANTHOR_RK3588, pool, NoFlush).unwrap();
    // Worst case per call; shared tables make the real need smaller. Not timed.
    pt.alloc_mut()
        .reserve(tables_needed(w).min(200_000))
        .unwrap();
    pt
}

fn our_map(pt: &mut Ours, w: &Workload) {
    for &(iova, pa, pgsize, n) in &w.calls {
        let (mapped, r) = pt.map_pages(iova, pa, pgsize, n, PROT);
        debug_assert!(r.is_ok() && mapped == pgsize * n);
        std::hint::black_box(mapped);
    }
}

fn our_unmap(pt: &mut Ours, w: &Workload) {
    for &(iova, _, pgsize, n) in &w.calls {
        std::hint::black_box(pt.unmap_pages(iova, pgsize, n, None));
    }
}

fn peer_flags() -> El1Attributes {
    El1Attributes::VALID
        | El1Attributes::ATTRIBUTE_INDEX_1
        | El1Attributes::INNER_SHAREABLE
        | El1Attributes::ACCESSED
        | El1Attributes::NON_GLOBAL
        | El1Attributes::USER
}

fn peer_new() -> IdMap<El1And0> {
    IdMap::with_asid(1, 0, El1And0)
}

fn peer_constraints(w: &Workload) -> Constraints {
    if w.unit == "page" {
        Constraints::NO_BLOCK_MAPPINGS
    } else {
        Constraints::empty()
    }
}

fn peer_map(m: &mut IdMap<El1And0>, w: &Workload, flags: El1Attributes) {
    let c = peer_constraints(w);
    // The peer maps whole ranges; give it the workload's calls merged where they are contiguous.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &(iova, _, pgsize, n) in &w.calls {
        match ranges.last_mut() {
            Some(last) if last.1 == iova && w.unit == "block" => last.1 = iova + pgsize * n,
            _ => ranges.push((iova, iova + pgsize * n)),
        }
    }
    for (start, end) in ranges {
        m.map_range_with_constraints(&MemoryRegion::new(start, end), flags, c)
            .expect("peer map");
    }
}

/// Runs `setup` then `run` `iters` times and returns the time spent in `run` only (setup and drop are not timed).
fn timed<S>(iters: u64, mut setup: impl FnMut() -> S, mut run: impl FnMut(&mut S)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut state = setup();
        let t = Instant::now();
        run(&mut state);
        total += t.elapsed();
        drop(state);
    }
    total
}

fn bench(c: &mut Criterion) {
    let ram = Arc::new(Ram::new(RamConfig::default()).unwrap());
    for w in workloads() {
        let mut g = c.benchmark_group(format!("io_pgtable/{}", w.name));
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        g.throughput(Throughput::Elements(w.units));
        g.bench_function(BenchmarkId::new("map", "tyr"), |b| {
            b.iter_custom(|iters| timed(iters, || fresh_table(&ram, &w), |pt| our_map(pt, &w)))
        });
        g.bench_function(BenchmarkId::new("map", "aarch64-paging"), |b| {
            b.iter_custom(|iters| timed(iters, peer_new, |m| peer_map(m, &w, peer_flags())))
        });
        g.bench_function(BenchmarkId::new("unmap", "tyr"), |b| {
            let setup = || {
                let mut pt = fresh_table(&ram, &w);
                our_map(&mut pt, &w);
                pt
            };
            b.iter_custom(|iters| timed(iters, setup, |pt| our_unmap(pt, &w)))
        });
        g.bench_function(BenchmarkId::new("unmap", "aarch64-paging"), |b| {
            let setup = || {
                let mut m = peer_new();
                peer_map(&mut m, &w, peer_flags());
                m
            };
            b.iter_custom(|iters| timed(iters, setup, |m| peer_map(m, &w, El1Attributes::empty())))
        });
        g.finish();
    }
}

/// Mean ns per iteration of one benchmark, from criterion's own estimates.
fn mean_ns(root: &Path, group: &str, func: &str, param: &str) -> Option<f64> {
    let p = root
        .join(group.replace('/', "_"))
        .join(func)
        .join(param)
        .join("new/estimates.json");
    let s = std::fs::read_to_string(p).ok()?;
    let i = s.find("\"mean\"")?;
    let rest = &s[i..];
    let j = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    rest[j..].split([',', '}']).next()?.trim().parse().ok()
}

fn report() {
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("criterion");
    record_reset();
    println!(
        "\nio_pgtable: ns per unit (mean), ours vs aarch64-paging in this run, and the kernel's C"
    );
    println!(
        "{:<16} {:<6} {:>5} {:>12} {:>12} {:>10} {:>10} {:>10}",
        "workload", "op", "unit", "tyr", "aarch64-pg", "peer/tyr", "kernel-C", "C/tyr"
    );
    for w in workloads() {
        let group = format!("io_pgtable/{}", w.name);
        for (op, c) in [("map", w.kernel_c.0), ("unmap", w.kernel_c.1)] {
            let ours = mean_ns(&root, &group, op, "tyr").map(|n| n / w.units as f64);
            let peer = mean_ns(&root, &group, op, "aarch64-paging").map(|n| n / w.units as f64);
            let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}x", a / b),
                _ => "-".to_string(),
            };
            if let (Some(o), Some(p)) = (ours, peer) {
                record(w.name, op, w.unit, None, o, p, "aarch64-paging");
            }
            println!(
                "{:<16} {:<6} {:>5} {:>12} {:>12} {:>10} {:>10} {:>10}",
                w.name,
                op,
                w.unit,
                f(ours),
                f(peer),
                ratio(peer, ours),
                f(c),
                ratio(c, ours)
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    report();
}

/// Appends one row for `tyr bench`'s report to `$TYR_BENCH_OUT/io_pgtable.jsonl` (nothing when the variable is unset):
/// `x` is the row's position on a plot's x axis (live VAs), `ours`/`peer` the figures of this run.
fn record(
    workload: &str,
    op: &str,
    unit: &str,
    x: Option<f64>,
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
        "{{\"bench\":\"io_pgtable\",\"workload\":{workload:?},\"op\":{op:?},\"unit\":{unit:?},\"x\":{},\"ours\":{},\"peer\":{},\"peer_name\":{peer_name:?}}}\n",
        x.map_or("null".to_string(), num),
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
