// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr vm`: each VM's VA list as debugfs `gpuvas` prints it, then its page-table figures; and the same as JSON.

use super::*;

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
