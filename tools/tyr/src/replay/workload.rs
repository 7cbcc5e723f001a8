// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Synthetic GPUVM workloads for benchmarks (`tyr gen gpuvm`, `cargo bench -p tyr-cli --bench gpuvm`): the two
//! shapes the benchmark compares with the kernel's C GPUVM, built from a seed so that every run and every machine sees
//! the same commands.
//!
//! - **disjoint**: `n` maps of 1–15 pages at distinct 64 KiB-spaced slots in random order (so `n` VAs are live at the
//!   peak), then the unmap of each, in another random order. Objects 1–16, offset = address − VA start, as in the
//!   `disjoint-*` vectors.
//! - **overlap**: `n` random maps (53 %) and unmaps in a window of `window` pages, lengths drawn from the sizes the
//!   `random-*` vectors use (1, 2, 3, 4, 8, 16, 33, 64 pages), objects 1–4 or none, offsets below 64 pages — so that
//!   most requests split or replace live VAs.

use std::fmt::Write as _;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::gpuvm::Command;

const PAGE: u64 = 0x1000;
/// Where both workloads put their VAs.
const BASE: u64 = 0x1_0000_0000;

/// The disjoint workload: `n` maps, then their `n` unmaps.
pub fn disjoint(n: usize, seed: u64) -> Vec<Command> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut slots: Vec<u64> = (0..n as u64).collect();
    slots.shuffle(&mut rng);
    let mut sizes = vec![0u64; n];
    let mut cmds = Vec::with_capacity(2 * n + 2);
    cmds.push(Command::Init {
        start: BASE,
        range: 0x8000_0000_0000,
        reserve: None,
    });
    for &s in &slots {
        let addr = BASE + s * 0x10000;
        let range = rng.gen_range(1..=15) * PAGE;
        sizes[s as usize] = range;
        cmds.push(Command::Map {
            addr,
            range,
            obj: Some(rng.gen_range(1..=16)),
            offset: addr - BASE,
        });
    }
    slots.shuffle(&mut rng);
    for &s in &slots {
        cmds.push(Command::Unmap {
            addr: BASE + s * 0x10000,
            range: sizes[s as usize],
        });
    }
    cmds.push(Command::Dump);
    cmds
}

/// The overlapping workload: `n` random maps and unmaps inside `window` pages.
pub fn overlap(n: usize, window: u64, seed: u64) -> Vec<Command> {
    const SIZES: [u64; 9] = [1, 1, 2, 3, 4, 8, 16, 33, 64];
    let window = window.max(1);
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut cmds = Vec::with_capacity(n + 2);
    cmds.push(Command::Init {
        start: 0,
        range: 1 << 48,
        reserve: None,
    });
    for _ in 0..n {
        let page = rng.gen_range(0..window);
        let pages = SIZES[rng.gen_range(0..SIZES.len())].min(window - page);
        let (addr, range) = (BASE + page * PAGE, pages * PAGE);
        if rng.gen_bool(0.53) {
            let obj = if rng.gen_bool(0.02) {
                None
            } else {
                Some(rng.gen_range(1..=4))
            };
            cmds.push(Command::Map {
                addr,
                range,
                obj,
                offset: rng.gen_range(0..64) * PAGE,
            });
        } else {
            cmds.push(Command::Unmap { addr, range });
        }
    }
    cmds.push(Command::Dump);
    cmds
}

/// Renders commands as a script `tyr replay gpuvm` reads back.
pub fn to_script(cmds: &[Command]) -> String {
    let mut out = String::new();
    for c in cmds {
        let _ = match *c {
            Command::Init {
                start,
                range,
                reserve: None,
            } => writeln!(out, "init {start:#x} {range:#x}"),
            Command::Init {
                start,
                range,
                reserve: Some((o, r)),
            } => {
                writeln!(out, "init {start:#x} {range:#x} {o:#x} {r:#x}")
            }
            Command::Map {
                addr,
                range,
                obj: Some(o),
                offset,
            } => {
                writeln!(out, "map {addr:#x} {range:#x} {o} {offset:#x}")
            }
            Command::Map {
                addr,
                range,
                obj: None,
                offset,
            } => {
                writeln!(out, "map {addr:#x} {range:#x} none {offset:#x}")
            }
            Command::Unmap { addr, range } => writeln!(out, "unmap {addr:#x} {range:#x}"),
            Command::Dump => writeln!(out, "dump"),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::gpuvm::{parse, time};
    use super::*;

    #[test]
    fn disjoint_maps_every_slot_once_then_unmaps_everything() {
        let cmds = disjoint(500, 1);
        assert_eq!(cmds.len(), 1002);
        let t = time(&cmds).unwrap();
        assert_eq!((t.ops, t.errors, t.vas), (1000, 0, 0));
    }

    #[test]
    fn overlap_stays_in_its_window_and_is_seeded() {
        let a = overlap(2000, 300, 9);
        assert_eq!(a, overlap(2000, 300, 9));
        assert_ne!(a, overlap(2000, 300, 10));
        for c in &a {
            if let Command::Map { addr, range, .. } | Command::Unmap { addr, range } = *c {
                assert!(addr >= BASE && addr + range <= BASE + 300 * PAGE && range > 0);
            }
        }
        assert_eq!(time(&a).unwrap().errors, 0);
    }

    #[test]
    fn scripts_parse_back_to_the_same_commands() {
        let cmds = overlap(300, 50, 3);
        assert_eq!(parse(&to_script(&cmds)).unwrap(), cmds);
        let cmds = disjoint(100, 3);
        assert_eq!(parse(&to_script(&cmds)).unwrap(), cmds);
    }
}
