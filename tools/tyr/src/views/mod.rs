// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr vm` and `tyr pgtable`: what a kernel developer reads from debugfs on a board (`gpuvas`, the MMU's page
//! tables), on a device that has state — a scripted demo workload ([`Session::demo`]) or the state a fuzz seed's
//! steps left ([`Session::fuzz_seed`]).
//!
//! `tyr vm` prints each VM's VA list in the layout of `drm_debugfs_gpuva_info()` (`drm_debugfs.c`), followed by the
//! page table's figures: table pages per level, 4 KiB pages and 2 MiB blocks. `tyr pgtable` prints the page-table
//! walk over a range level by level, one line per table or block entry and one per run of contiguous 4 KiB pages.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::io_pgtable::{EntryKind, PtStats, PteAttrs, Visit};
use kernel::transmute::{AsBytes, FromBytes};
use rk3588_platform::Rk3588;
use serde_json::{json, Value};
use tyr::debugfs::VmView;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::map_flags;
use tyr::uapi::op_type;
use tyr::uapi::*;

use crate::fuzz;

mod pgtable;
mod session;
mod vm;

pub use pgtable::{pgtable_json, pgtable_report, walk_lines, WalkLine};
pub use session::{demo, Session};
pub use vm::{vm_json, vm_report};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The board, the device or a workload ioctl failed.
    #[error("{0}")]
    Setup(String),
    /// The fuzz seed's executor could not be set up.
    #[error("{0}")]
    Fuzz(#[from] fuzz::FuzzError),
    /// No VM with that id in that file.
    #[error("no VM {vm} in file {file}")]
    NoVm {
        /// File index.
        file: usize,
        /// VM id.
        vm: u32,
    },
    /// A `--range` that is not `START..END` with START < END.
    #[error("bad range {0:?}: expected START..END (hex with 0x, or decimal), START < END")]
    BadRange(String),
}

/// Parses `START..END` (each hex with `0x` or decimal).
pub fn parse_range(s: &str) -> Result<Range<u64>, ViewError> {
    let bad = || ViewError::BadRange(s.to_string());
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let num = |t: &str| {
        let t = t.trim().replace('_', "");
        match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => t.parse().ok(),
        }
    };
    let (a, b) = (num(a).ok_or_else(bad)?, num(b).ok_or_else(bad)?);
    if a >= b {
        return Err(bad());
    }
    Ok(a..b)
}

/// VM_BIND map flags by name (`readonly,noexec,uncached,sparse`), `-` for none.
pub fn flag_names(flags: u32) -> String {
    let names: Vec<&str> = [
        (map_flags::READONLY, "readonly"),
        (map_flags::NOEXEC, "noexec"),
        (map_flags::UNCACHED, "uncached"),
        (map_flags::SPARSE, "sparse"),
    ]
    .iter()
    .filter(|(b, _)| flags & b != 0)
    .map(|(_, n)| *n)
    .collect();
    if names.is_empty() {
        "-".into()
    } else {
        names.join(",")
    }
}

/// A leaf's permissions as a person reads them: `rw`/`ro`, `x`/`xn`, and the memory type of its MAIR index.
pub fn attr_names(pte: u64) -> String {
    let a = PteAttrs::from_bits_truncate(pte);
    let rw = if a.contains(PteAttrs::AP_RDONLY) {
        "ro"
    } else {
        "rw"
    };
    let x = if a.intersects(PteAttrs::XN) {
        "xn"
    } else {
        "x"
    };
    let mem = match (pte >> 2) & 7 {
        0 => "device",
        1 => "cached",
        2 => "device-nGnRE",
        3 => "uncached",
        _ => "attr?",
    };
    format!("{rw} {x} {mem}")
}

fn size_name(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (u, n) in UNITS {
        if bytes >= u && bytes.is_multiple_of(u) {
            return format!("{}{n}", bytes / u);
        }
    }
    format!("{bytes}")
}

fn stats_json(s: &PtStats) -> Value {
    json!({
        "tables_per_level": s.tables,
        "tables": s.tables_total(),
        "pages_4k": s.pages_4k,
        "blocks_2m": s.blocks_2m,
        "blocks_1g": s.blocks_1g,
        "mapped_bytes": s.mapped_bytes(),
    })
}

/// The page-table statistics line of `tyr vm`.
pub fn stats_line(s: &PtStats) -> String {
    format!(
        "page table: {} table pages (L0 {}, L1 {}, L2 {}, L3 {}); {} 4K pages, {} 2M blocks, {} 1G blocks; {} mapped",
        s.tables_total(),
        s.tables[0],
        s.tables[1],
        s.tables[2],
        s.tables[3],
        s.pages_4k,
        s.blocks_2m,
        s.blocks_1g,
        size_name(s.mapped_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_in_hex_and_decimal() {
        assert_eq!(parse_range("0x1000..0x2000").unwrap(), 0x1000..0x2000);
        assert_eq!(parse_range("4096..8192").unwrap(), 4096..8192);
        assert!(parse_range("0x2000..0x1000").is_err());
        assert!(parse_range("0x1000").is_err());
    }

    #[test]
    fn the_demo_vm_lists_its_vas_as_gpuvas_does_with_a_block_and_a_sparse_range() {
        let s = Session::demo().unwrap();
        let out = vm_report(&s);
        assert!(
            out.contains("DRM GPU VA space (tyr-vm) [0x0000000000000000;0x0001000000000000]"),
            "{out}"
        );
        // The big BO's two blocks, split around the hole: [0x400000, 0x601000) and [0x603000, 0x800000).
        assert!(
            out.contains("| 0x0000000000400000 | 0x0000000000201000 | 0x0000000000601000 |"),
            "{out}"
        );
        assert!(
            out.contains("| 0x0000000000603000 | 0x00000000001fd000 | 0x0000000000800000 |"),
            "{out}"
        );
        assert!(out.contains(
            "| 0x0000000001000000 | 0x0000000000008000 | 0x0000000001008000 | 0x0000000000000000"
        ));
        assert!(out.contains("noexec,sparse"), "{out}");
        let stats = s.vm(0, 1).unwrap().pt_stats();
        assert_eq!(
            stats.blocks_2m, 1,
            "the first block survives, the second was split"
        );
        // 16 + 16 small-BO pages, 0x201 + 0x1fd pages around the hole... minus the first block's 512, 8 sparse.
        assert_eq!(stats.pages_4k, 16 + 16 + 1 + 0x1fd + 8);
        assert_eq!(stats.tables, [1, 1, 1, 3]);
    }

    #[test]
    fn the_walk_folds_contiguous_pages_and_marks_the_dummy_page() {
        let s = Session::demo().unwrap();
        let vm = s.vm(0, 1).unwrap();
        let out = pgtable_report(&vm, 0, demo::SPARSE_VA..demo::SPARSE_VA + demo::SPARSE_SIZE);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[1].starts_with("L0[0]"), "{out}");
        // Eight sparse pages all read the one dummy page: one line.
        let dummy: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains("(dummy page)"))
            .collect();
        assert_eq!(dummy.len(), 1, "{out}");
        assert!(
            dummy[0].contains("L3[0..=7]") && dummy[0].contains("8 pages"),
            "{out}"
        );
        let out = pgtable_report(&vm, 0, demo::BIG_VA..demo::BIG_VA + demo::BIG_SIZE);
        assert!(out.contains("block  ->"), "{out}");
        assert!(
            out.contains("L3[0..=0] ") || out.contains("L3[0] "),
            "{out}"
        );
        assert!(
            out.contains("L3[3..=511]"),
            "the pages after the hole fold into one line: {out}"
        );
    }

    #[test]
    fn json_views_carry_the_same_figures() {
        let s = Session::demo().unwrap();
        let v = vm_json(&s);
        assert_eq!(v["vms"][0]["vas"].as_array().unwrap().len(), 5);
        assert_eq!(v["vms"][0]["page_table"]["blocks_2m"], 1);
        let p = pgtable_json(&s.vm(0, 1).unwrap(), 0, 0..1 << 48);
        assert!(p["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "block"));
    }
}
