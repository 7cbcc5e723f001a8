// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr pgtable`: the page-table walk over a range, level by level, folded into lines; and the same as JSON.

use super::*;

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
