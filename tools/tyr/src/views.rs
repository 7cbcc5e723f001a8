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
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use serde_json::{json, Value};
use tyr::debugfs::VmView;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::map_flags;
use tyr::uapi::op_type;
use tyr::uapi::*;

use crate::fuzz;

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

/// A booted device with state to look at.
pub enum Session {
    /// The scripted demo workload.
    Demo {
        /// The open files (dropped before the device and the board).
        files: Vec<Arc<TyrDrmFile>>,
        /// The device (kept for the files' sake, dropped after them).
        _dev: Arc<TyrDrmDevice>,
        /// The board.
        soc: Rk3588,
    },
    /// The state a fuzz seed's steps left.
    Fuzz(fuzz::exec::Executor),
}

/// Where the demo workload puts things (also what the tests assert).
pub mod demo {
    /// The small BO's VA (16 pages).
    pub const SMALL_VA: u64 = 0x10_0000;
    /// The small BO's size.
    pub const SMALL_SIZE: u64 = 0x1_0000;
    /// The 4 MiB BO's VA, 2 MiB aligned: mapped with 2 MiB blocks.
    pub const BIG_VA: u64 = 0x40_0000;
    /// The 4 MiB BO's size.
    pub const BIG_SIZE: u64 = 4 << 20;
    /// A partial unmap inside the second block of the big BO: the block is split and re-mapped with 4 KiB pages.
    pub const HOLE: (u64, u64) = (0x60_1000, 0x2000);
    /// The sparse range's VA.
    pub const SPARSE_VA: u64 = 0x100_0000;
    /// The sparse range's size.
    pub const SPARSE_SIZE: u64 = 0x8000;
}

fn ioctl<T: AsBytes + FromBytes>(
    f: &TyrDrmFile,
    cmd: u32,
    arg: &mut T,
    what: &str,
) -> Result<(), ViewError> {
    f.ioctl(cmd, UserPtr(arg as *mut T as usize))
        .map_err(|e| ViewError::Setup(format!("{what}: {e:?}")))
}

impl Session {
    /// Boots the board and runs the demo workload on one render file: VM 1 with a 64 KiB BO, a 4 MiB BO on 2 MiB
    /// blocks with a hole punched in its second block, a read-only mapping of the small BO again, and a sparse range.
    pub fn demo() -> Result<Session, ViewError> {
        use demo::*;
        let soc = Rk3588::new().map_err(|e| ViewError::Setup(format!("board: {e:?}")))?;
        let dev = probe(soc.gpu()).map_err(|e| ViewError::Setup(format!("probe: {e:?}")))?;
        let f = TyrDrmFile::open(&dev, RENDER_CLIENT)
            .map_err(|e| ViewError::Setup(format!("open: {e:?}")))?;
        let mut vm = drm_panthor_vm_create::default();
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm, "VM_CREATE")?;
        let mut small = drm_panthor_bo_create {
            size: SMALL_SIZE,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut small, "BO_CREATE")?;
        let mut big = drm_panthor_bo_create {
            size: BIG_SIZE,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut big, "BO_CREATE")?;
        let map = |bo: u32, va: u64, size: u64, flags: u32| drm_panthor_vm_bind_op {
            flags: op_type::MAP | flags,
            bo_handle: bo,
            va,
            size,
            ..Default::default()
        };
        let ops = [
            map(small.handle, SMALL_VA, SMALL_SIZE, 0),
            map(big.handle, BIG_VA, BIG_SIZE, map_flags::NOEXEC),
            drm_panthor_vm_bind_op {
                flags: op_type::UNMAP,
                va: HOLE.0,
                size: HOLE.1,
                ..Default::default()
            },
            map(
                small.handle,
                SMALL_VA + 0x8_0000,
                SMALL_SIZE,
                map_flags::READONLY | map_flags::NOEXEC,
            ),
            map(
                0,
                SPARSE_VA,
                SPARSE_SIZE,
                map_flags::SPARSE | map_flags::NOEXEC,
            ),
        ];
        let arr = drm_panthor_obj_array {
            stride: size_of::<drm_panthor_vm_bind_op>() as u32,
            count: ops.len() as u32,
            array: ops.as_ptr() as u64,
        };
        let mut b = drm_panthor_vm_bind {
            vm_id: vm.id,
            flags: 0,
            ops: arr,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b, "VM_BIND")?;
        Ok(Session::Demo {
            files: vec![f],
            _dev: dev,
            soc,
        })
    }

    /// Boots a board and runs `iterations` steps of fuzz seed `seed` on `files` files.
    pub fn fuzz_seed(seed: u64, iterations: u64, files: usize) -> Result<Session, ViewError> {
        Ok(Session::Fuzz(fuzz::state_after(seed, iterations, files)?))
    }

    /// The open files, by index.
    pub fn files(&self) -> &[Arc<TyrDrmFile>] {
        match self {
            Session::Demo { files, .. } => files,
            Session::Fuzz(ex) => ex.files(),
        }
    }

    /// The name of the board's GPU device (`fb000000.gpu`).
    pub fn device_name(&self) -> String {
        match self {
            Session::Demo { soc, .. } => soc.gpu().name().to_string(),
            Session::Fuzz(_) => "fb000000.gpu".to_string(),
        }
    }

    /// VM `id` of file `file`.
    pub fn vm(&self, file: usize, id: u32) -> Result<VmView, ViewError> {
        self.files()
            .get(file)
            .and_then(|f| tyr::debugfs::vm(f, id).ok())
            .ok_or(ViewError::NoVm { file, vm: id })
    }
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

/// `tyr vm`: every VM of every file, its VA list as debugfs `gpuvas` prints it, then its page-table figures.
pub fn vm_report(s: &Session) -> String {
    let mut out = String::new();
    for (i, f) in s.files().iter().enumerate() {
        for vm in tyr::debugfs::vms(f) {
            let kernel = vm.kernel_area();
            let full = vm.va_range();
            let state = if vm.is_unusable() {
                "unusable"
            } else {
                "usable"
            };
            let as_nr = vm.as_nr().map_or("none".into(), |n| n.to_string());
            let vas = vm.vas();
            writeln!(
                out,
                "file {i} VM {}: {state}, AS {as_nr}, {} VAs, {} bind jobs pending",
                vm.id(),
                vas.len(),
                vm.pending_binds()
            )
            .ok();
            writeln!(
                out,
                "DRM GPU VA space ({}) [0x{:016x};0x{:016x}]",
                vm.name(),
                full.start,
                full.end
            )
            .ok();
            writeln!(
                out,
                "Kernel area [0x{:016x};0x{:016x}]",
                kernel.start, kernel.end
            )
            .ok();
            out.push('\n');
            out.push_str(
                " VAs | start              | range              | end                | object             | object offset      | flags\n",
            );
            out.push_str(&"-".repeat(130));
            out.push('\n');
            for v in &vas {
                let obj = v.bo.as_ref().map_or(0, |b| b.gem().id());
                writeln!(
                    out,
                    "     | 0x{:016x} | 0x{:016x} | 0x{:016x} | 0x{:016x} | 0x{:016x} | {}",
                    v.addr,
                    v.size,
                    v.addr + v.size,
                    obj,
                    v.offset,
                    flag_names(v.flags)
                )
                .ok();
            }
            writeln!(out, "{}", stats_line(&vm.pt_stats())).ok();
            if let Some(fault) = vm.last_fault() {
                writeln!(
                    out,
                    "last fault: AS {} addr {:#x} exception {:#x} access {}",
                    fault.as_nr, fault.addr, fault.exception_type, fault.access_type
                )
                .ok();
            }
            out.push('\n');
        }
    }
    if out.is_empty() {
        out.push_str("no VMs\n");
    }
    out
}

/// `tyr vm --json`.
pub fn vm_json(s: &Session) -> Value {
    let mut vms = Vec::new();
    for (i, f) in s.files().iter().enumerate() {
        for vm in tyr::debugfs::vms(f) {
            let vas: Vec<Value> = vm
                .vas()
                .iter()
                .map(|v| {
                    json!({
                        "start": v.addr,
                        "range": v.size,
                        "end": v.addr + v.size,
                        "object": v.bo.as_ref().map(|b| b.gem().id()),
                        "object_offset": v.offset,
                        "flags": v.flags,
                        "flag_names": flag_names(v.flags),
                    })
                })
                .collect();
            vms.push(json!({
                "file": i,
                "vm": vm.id(),
                "name": vm.name(),
                "va_space": [vm.va_range().start, vm.va_range().end],
                "kernel_area": [vm.kernel_area().start, vm.kernel_area().end],
                "unusable": vm.is_unusable(),
                "as": vm.as_nr(),
                "pending_binds": vm.pending_binds(),
                "vas": vas,
                "page_table": stats_json(&vm.pt_stats()),
            }));
        }
    }
    json!({ "device": s.device_name(), "vms": vms })
}

/// One line of the walk: a table or block entry, or a run of 4 KiB pages in one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkLine {
    /// Level of the table holding the entries.
    pub level: u32,
    /// First and last index in that table.
    pub index: (usize, usize),
    /// First IOVA covered.
    pub iova: u64,
    /// Bytes covered.
    pub size: u64,
    /// What the entries are.
    pub kind: EntryKind,
    /// Next-level table or first physical address mapped.
    pub paddr: u64,
    /// The descriptor of the first entry.
    pub pte: u64,
}

/// The walk over `range`, with runs of 4 KiB pages that are adjacent in one table, equal in attributes, and either
/// physically contiguous or all on the sparse `dummy` page folded into one line.
pub fn walk_lines(entries: &[Visit], dummy: u64) -> Vec<WalkLine> {
    let mut out: Vec<WalkLine> = Vec::new();
    let attrs = |pte: u64| pte & !0x0000_ffff_ffff_f000;
    for v in entries {
        if let Some(last) = out.last_mut() {
            if v.kind == EntryKind::Page
                && last.kind == EntryKind::Page
                && last.index.1 + 1 == v.index
                && last.iova + last.size == v.iova as u64
                && (last.paddr + last.size == v.paddr()
                    || (last.paddr == dummy && v.paddr() == dummy))
                && attrs(last.pte) == attrs(v.pte.bits())
            {
                last.index.1 = v.index;
                last.size += v.size as u64;
                continue;
            }
        }
        out.push(WalkLine {
            level: v.level,
            index: (v.index, v.index),
            iova: v.iova as u64,
            size: v.size as u64,
            kind: v.kind,
            paddr: v.paddr(),
            pte: v.pte.bits(),
        });
    }
    out
}

/// `tyr pgtable --vm N [--range A..B]`: the walk, level by level.
pub fn pgtable_report(vm: &VmView, file: usize, range: Range<u64>) -> String {
    let stats = vm.pt_stats();
    let mut out = format!(
        "file {file} VM {}: root table 0x{:010x} (AS TRANSTAB), walk of [0x{:016x};0x{:016x}]\n",
        vm.id(),
        vm.pt_root(),
        range.start,
        range.end
    );
    let dummy = vm.dummy_page();
    for l in walk_lines(&vm.pt_entries(range), dummy) {
        let indent = "  ".repeat(l.level as usize);
        let idx = if l.index.0 == l.index.1 {
            format!("L{}[{}]", l.level, l.index.0)
        } else {
            format!("L{}[{}..={}]", l.level, l.index.0, l.index.1)
        };
        let what = match l.kind {
            EntryKind::Table => format!("table  -> 0x{:010x}", l.paddr),
            EntryKind::Block => format!("block  -> 0x{:010x}  {}", l.paddr, attr_names(l.pte)),
            EntryKind::Page => {
                let n = l.size / 0x1000;
                let what = if n == 1 {
                    "page ".to_string()
                } else {
                    format!("{n} pages")
                };
                let sparse = if l.paddr == dummy {
                    " (dummy page)"
                } else {
                    ""
                };
                format!(
                    "{what} -> 0x{:010x}  {}{sparse}",
                    l.paddr,
                    attr_names(l.pte)
                )
            }
            EntryKind::Invalid => "invalid".into(),
        };
        writeln!(
            out,
            "{indent}{idx:<14} 0x{:016x} +{:<5} {what}",
            l.iova,
            size_name(l.size)
        )
        .ok();
    }
    writeln!(out, "{}", stats_line(&stats)).ok();
    out
}

/// `tyr pgtable --json`.
pub fn pgtable_json(vm: &VmView, file: usize, range: Range<u64>) -> Value {
    let dummy = vm.dummy_page();
    let lines: Vec<Value> = walk_lines(&vm.pt_entries(range.clone()), dummy)
        .iter()
        .map(|l| {
            json!({
                "level": l.level,
                "index": [l.index.0, l.index.1],
                "iova": l.iova,
                "size": l.size,
                "kind": format!("{:?}", l.kind).to_lowercase(),
                "paddr": l.paddr,
                "pte": l.pte,
                "attrs": (l.kind != EntryKind::Table).then(|| attr_names(l.pte)),
                "dummy": l.kind == EntryKind::Page && l.paddr == dummy,
            })
        })
        .collect();
    json!({
        "file": file,
        "vm": vm.id(),
        "root": vm.pt_root(),
        "range": [range.start, range.end],
        "entries": lines,
        "stats": stats_json(&vm.pt_stats()),
    })
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
