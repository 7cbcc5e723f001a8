// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPUVM benchmark: `cargo bench -p tyr-cli --bench gpuvm` (or `make bench`).
//!
//! Each workload (`tyr_cli::replay::workload`) runs in this process through:
//! - **tyr**: `kernel::drm::gpuvm` driven as `tyr replay gpuvm --time` drives it (vm_bo obtained under the VM resv,
//!   VA nodes and tree nodes pre-allocated per bind, every step applied at once, deferred vm_bo cleanup);
//! - **kernel C**: the kernel's own `drm_gpuvm.c` (`tyr-kpeer`, built from the downloaded 6.12 sources) driven the
//!   same way (vm_bo obtained per map, a per-VM cache of 3 VA nodes, every step applied at once and counted);
//! - **BTreeMap**: the same request semantics on `std::collections::BTreeMap` with no GPUVM machinery at all (no
//!   objects, vm_bos, steps, pre-allocation or locks) — the floor an ordered map gives.
//!
//! tyr and the kernel's C run each workload cold and warm. Cold is a run in a fresh process of this benchmark (the
//! best of `TYR_BENCH_COLD_PROCS`, default 3, per side, the two sides' processes taking turns), so neither side
//! inherits the heap the other, or an earlier workload, left behind: whichever ran first in a shared process paid the
//! page faults of growing the heap for both, which made the first workload's order, not the code, decide the ratio.
//! Warm is the best of `TYR_BENCH_RUNS` runs (default 5) after one untimed run each, in which tyr, the kernel's C
//! and the `BTreeMap` take turns. Printed per workload: ns/op for each and the ratios, and the heap bytes per live
//! VA at the peak (ours through a counting allocator wrapping the system one; the C's as its kmalloc counts them,
//! `malloc_usable_size` per live allocation).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use tyr_cli::replay::gpuvm::{time, Command, Replay};
use tyr_cli::replay::workload;
use tyr_kpeer::KernelGpuVm;

/// The system allocator, counting live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call forwards to `System` with the caller's arguments; the counter has no effect on the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The peer: VAs in a `BTreeMap` keyed by start, value `(end, object, offset)`; a map removes or trims what it
/// covers and inserts itself, an unmap removes or trims. Returns how many steps GPUVM would have emitted.
#[derive(Default)]
struct Peer {
    vas: BTreeMap<u64, (u64, Option<u32>, u64)>,
}

impl Peer {
    fn cut(&mut self, addr: u64, end: u64) -> u64 {
        let mut steps = 0;
        let first = match self.vas.range(..=addr).next_back() {
            Some((&a, &(e, _, _))) if e > addr => a,
            _ => addr,
        };
        let hit: Vec<u64> = self.vas.range(first..end).map(|(&a, _)| a).collect();
        for a in hit {
            let Some((e, o, off)) = self.vas.remove(&a) else {
                continue;
            };
            steps += 1;
            if a < addr {
                self.vas.insert(a, (addr, o, off));
            }
            if e > end {
                self.vas.insert(end, (e, o, off + (end - a)));
            }
        }
        steps
    }

    fn exec(&mut self, c: &Command) -> u64 {
        match *c {
            Command::Init { .. } => {
                self.vas.clear();
                0
            }
            Command::Map {
                addr,
                range,
                obj,
                offset,
            } => {
                let s = self.cut(addr, addr + range);
                self.vas.insert(addr, (addr + range, obj, offset));
                s + 1
            }
            Command::Unmap { addr, range } => self.cut(addr, addr + range),
            Command::Dump => 0,
        }
    }
}

/// Runs one command on the kernel's C GPUVM (an `init` replaces the VM); `false` if the kernel rejected it.
fn kernel_exec(vm: &mut Option<KernelGpuVm>, c: &Command) -> bool {
    match *c {
        Command::Init {
            start,
            range,
            reserve,
        } => {
            drop(vm.take());
            *vm = Some(KernelGpuVm::new(start, range, reserve).expect("kernel C VM"));
            true
        }
        Command::Map {
            addr,
            range,
            obj,
            offset,
        } => vm
            .as_mut()
            .is_some_and(|v| v.sm_map(addr, range, obj, offset).is_ok()),
        Command::Unmap { addr, range } => {
            vm.as_mut().is_some_and(|v| v.sm_unmap(addr, range).is_ok())
        }
        Command::Dump => true,
    }
}

/// The kernel's C on `cmds` as `time` runs ours: leading `init`s untimed, every later command under one clock pair.
fn kernel_ns_per_op(cmds: &[Command]) -> f64 {
    let mut vm = None;
    let first = cmds
        .iter()
        .position(|c| !matches!(c, Command::Init { .. }))
        .unwrap_or(cmds.len());
    for c in &cmds[..first] {
        kernel_exec(&mut vm, c);
    }
    let ops = cmds[first..]
        .iter()
        .filter(|c| matches!(c, Command::Map { .. } | Command::Unmap { .. }))
        .count();
    let mut errors = 0;
    let t0 = Instant::now();
    for c in &cmds[first..] {
        errors += usize::from(!kernel_exec(&mut vm, c));
    }
    let ns = t0.elapsed().as_nanos() as f64;
    assert_eq!(errors, 0, "the kernel's C rejected workload commands");
    drop(vm);
    ns / ops.max(1) as f64
}

fn peer_ns_per_op(cmds: &[Command]) -> f64 {
    let mut p = Peer::default();
    let (init, rest) = cmds.split_at(1);
    p.exec(&init[0]);
    let ops = rest
        .iter()
        .filter(|c| matches!(c, Command::Map { .. } | Command::Unmap { .. }))
        .count();
    let t0 = Instant::now();
    let mut steps = 0;
    for c in rest {
        steps += p.exec(c);
    }
    let ns = t0.elapsed().as_nanos() as f64;
    black_box(steps);
    ns / ops.max(1) as f64
}

/// ns/op of one timed run of `cmds` by `side`: `tyr` (ours, as `tyr replay gpuvm --time` runs it) or anything else
/// for the kernel's C (NaN when the C peer is not built).
fn ns_per_op(cmds: &[Command], side: &str) -> f64 {
    match side {
        "tyr" => time(cmds).map(|t| t.ns_per_op()).unwrap_or(f64::NAN),
        _ if tyr_kpeer::available() => kernel_ns_per_op(cmds),
        _ => f64::NAN,
    }
}

/// The environment variable that makes this benchmark a child running one cold run: `<case index>:<tyr|c>`.
const COLD_JOB: &str = "TYR_GPUVM_COLD_JOB";

/// ns/op of one run of case `case` by `side` (`tyr` or `c`) in a fresh process of this benchmark, with this
/// process's arguments (so the child builds the same workloads). Panics when the child fails: a cold figure that
/// cannot be had would otherwise print as a ratio.
fn cold_in_child(case: usize, side: &str) -> f64 {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let out = std::process::Command::new(exe)
        .args(std::env::args().skip(1))
        .env(COLD_JOB, format!("{case}:{side}"))
        .output()
        .expect("a cold-run child");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cold run {case}:{side} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("cold_ns_per_op="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("cold run {case}:{side} printed no figure: {text:?}"))
}

/// Heap bytes per live VA after the maps of a disjoint workload (`n` VAs live), as the kernel's C kmalloc counts them.
fn kernel_bytes_per_va(cmds: &[Command], n: usize) -> f64 {
    let before = tyr_kpeer::heap_bytes();
    let mut vm = None;
    for c in &cmds[..=n] {
        kernel_exec(&mut vm, c);
    }
    let bytes = (tyr_kpeer::heap_bytes() - before) as f64 / n as f64;
    drop(vm);
    bytes
}

/// Heap bytes per live VA after the maps of a disjoint workload (`n` VAs live), GPUVM's and the peer's.
fn bytes_per_va(cmds: &[Command], n: usize) -> (f64, f64) {
    let maps = &cmds[..=n];
    let before = LIVE.load(Ordering::Relaxed);
    let mut r = Replay::new();
    for c in maps {
        let _ = black_box(r.exec(c, None));
    }
    let ours = (LIVE.load(Ordering::Relaxed) - before) as f64 / n as f64;
    drop(r);
    let before = LIVE.load(Ordering::Relaxed);
    let mut p = Peer::default();
    for c in maps {
        p.exec(c);
    }
    let peer = (LIVE.load(Ordering::Relaxed) - before) as f64 / n as f64;
    drop(p);
    (ours, peer)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scale = if quick { 100 } else { 1 };
    let runs = std::env::var("TYR_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let kc = tyr_kpeer::available();
    let cases: [(&str, Vec<Command>, Option<usize>); 4] = [
        (
            "disjoint 10^4 map+unmap",
            workload::disjoint(10_000 / scale, 1),
            Some(10_000 / scale),
        ),
        (
            "disjoint 10^5 map+unmap",
            workload::disjoint(100_000 / scale, 1),
            Some(100_000 / scale),
        ),
        (
            "disjoint 10^6 map+unmap",
            workload::disjoint(1_000_000 / scale, 1),
            Some(1_000_000 / scale),
        ),
        (
            "overlap 2*10^5 in 20000 pg",
            workload::overlap(200_000 / scale, 20_000, 1),
            None,
        ),
    ];
    // A child started for one cold run: run it, print the figure, and go.
    if let Ok(job) = std::env::var(COLD_JOB) {
        let (i, side) = job
            .split_once(':')
            .expect("TYR_GPUVM_COLD_JOB=<case>:<side>");
        let cmds = &cases[i.parse::<usize>().expect("case index")].1;
        println!("cold_ns_per_op={}", ns_per_op(cmds, side));
        return;
    }
    record_reset();
    if !kc {
        println!("(kernel C peer unavailable: run scripts/fetch-kernel-peer.sh or make bench)");
    }
    println!(
        "{:<28} {:<5} {:>10} {:>10} {:>7} {:>10} {:>7} {:>9} {:>9} {:>9}",
        "workload",
        "warm",
        "tyr ns/op",
        "C ns/op",
        "tyr/C",
        "BTree ns",
        "tyr/BT",
        "B/VA tyr",
        "B/VA C",
        "B/VA BT"
    );
    let cold_procs = std::env::var("TYR_BENCH_COLD_PROCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    // Further arguments (`cargo bench -p tyr-cli --bench gpuvm -- 10^6`) keep only the workloads whose name contains
    // one of them.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for (i, (name, cmds, live)) in cases.into_iter().enumerate() {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let runs = if cmds.len() > 1_000_000 {
            runs.min(2)
        } else {
            runs
        };
        // Cold: the best of `cold_procs` fresh processes per side, taking turns. Warm: after one untimed run each, the
        // best of `runs` more, the three taking turns so that a change in the machine's load during the measurement
        // falls on each of them alike.
        let ours_once = || ns_per_op(&cmds, "tyr");
        let c_once = || ns_per_op(&cmds, "c");
        let (mut cold_ours, mut cold_c) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..cold_procs {
            cold_ours = cold_ours.min(cold_in_child(i, "tyr"));
            if kc {
                cold_c = cold_c.min(cold_in_child(i, "c"));
            }
        }
        black_box((ours_once(), c_once()));
        let mut ours = (cold_ours, f64::INFINITY);
        let mut c = (if kc { cold_c } else { f64::NAN }, f64::INFINITY);
        let mut peer = f64::INFINITY;
        for _ in 0..runs {
            ours.1 = ours.1.min(ours_once());
            c.1 = c.1.min(c_once());
            peer = peer.min(peer_ns_per_op(&cmds));
        }
        if !kc {
            c.1 = f64::NAN;
        }
        let (b_ours, b_peer) = live.map_or((f64::NAN, f64::NAN), |n| bytes_per_va(&cmds, n));
        let b_c = live
            .filter(|_| kc)
            .map_or(f64::NAN, |n| kernel_bytes_per_va(&cmds, n));
        let x = live.map(|n| n as f64);
        record(
            name,
            "map+unmap",
            "cold",
            "ns/op",
            x,
            ours.0,
            c.0,
            "kernel C",
        );
        record(
            name,
            "map+unmap",
            "warm",
            "ns/op",
            x,
            ours.1,
            c.1,
            "kernel C",
        );
        record(
            name,
            "map+unmap",
            "warm",
            "ns/op",
            x,
            ours.1,
            peer,
            "BTreeMap",
        );
        if live.is_some() {
            record(name, "live VAs", "-", "B/VA", x, b_ours, b_c, "kernel C");
            record(name, "live VAs", "-", "B/VA", x, b_ours, b_peer, "BTreeMap");
        }
        for (warmth, o, k) in [("cold", ours.0, c.0), ("warm", ours.1, c.1)] {
            let bt = if warmth == "warm" { peer } else { f64::NAN };
            println!(
                "{name:<28} {warmth:<5} {o:>10.1} {k:>10.1} {:>6.2}x {bt:>10.1} {:>6.2}x {b_ours:>9.0} {b_c:>9.0} {b_peer:>9.0}",
                o / k,
                o / bt,
            );
        }
    }
    println!("tyr/C and tyr/BT: ours over the peer's, same run (below 1: faster); B/VA = heap bytes per live VA");
}

/// Appends one row for `tyr bench`'s report to `$TYR_BENCH_OUT/gpuvm.jsonl` (nothing when the variable is unset):
/// `x` is the row's position on a plot's x axis (live VAs), `ours`/`peer` the figures of this run.
#[allow(clippy::too_many_arguments)]
fn record(
    workload: &str,
    op: &str,
    warmth: &str,
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
        "{{\"bench\":\"gpuvm\",\"workload\":{workload:?},\"op\":{op:?},\"warmth\":{warmth:?},\"unit\":{unit:?},\"x\":{},\"ours\":{},\"peer\":{},\"peer_name\":{peer_name:?}}}\n",
        x.map_or("null".to_string(), num),
        num(ours),
        num(peer)
    );
    let path = std::path::Path::new(&dir).join("gpuvm.jsonl");
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
        let _ = std::fs::remove_file(std::path::Path::new(&dir).join("gpuvm.jsonl"));
    }
}
