// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! How trace rows are shown: one timeline line per row (ioctls, bind jobs and GPUVM ops, AS commands, IRQ lines,
//! faults, submissions, shader dispatches), the summary, and the rows as JSON.

use super::*;

fn hex_or(v: &Value) -> String {
    match v.as_u64() {
        Some(n) if n >= 0x1000 => format!("{n:#x}"),
        Some(n) => n.to_string(),
        None => v.as_str().map_or_else(|| v.to_string(), str::to_string),
    }
}

fn duration(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2}ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1}µs", ns / 1e3)
    } else {
        format!("{ns:.0}ns")
    }
}

fn errno_name(v: &Value) -> String {
    match v.as_i64() {
        Some(0) => "0".into(),
        Some(e) => kernel::error::Error::from_errno(e as i32)
            .name()
            .map_or(e.to_string(), |n| format!("-{n}")),
        None => "?".into(),
    }
}

/// The text of one row, without time and thread.
pub(super) fn describe(r: &Row) -> String {
    let f = &r.fields;
    let rest = |skip: &[&str]| -> String {
        f.iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .map(|(k, v)| format!(" {k}={}", hex_or(v)))
            .collect()
    };
    match (r.kind, r.name.as_str()) {
        (RowKind::Span, "ioctl") => {
            let name = f.get("ioctl").and_then(Value::as_str).unwrap_or("?");
            let res = f.get("result").map_or("?".into(), errno_name);
            format!("ioctl {name} = {res}")
        }
        (RowKind::Span, "vm_bind_op") => {
            let op = f.get("op").and_then(Value::as_str).unwrap_or("?");
            let (va, size) = (
                f.get("va").and_then(Value::as_u64),
                f.get("size").and_then(Value::as_u64),
            );
            let range = match (va, size) {
                (Some(va), Some(size)) => format!("[{va:#x}, {:#x})", va + size),
                _ => "?".into(),
            };
            let res = f
                .get("result")
                .map_or(String::new(), |e| format!(" = {}", errno_name(e)));
            format!(
                "bind op {op} {range} vm {}{res}",
                f.get("vm").map_or("?".into(), hex_or)
            )
        }
        (RowKind::Span, name) => format!("{name}{}", rest(&[])),
        (RowKind::Event, m) if m.starts_with("sm_step_") => {
            let (va, size) = (
                f.get("va").and_then(Value::as_u64),
                f.get("size").and_then(Value::as_u64),
            );
            let sparse = if f.get("sparse") == Some(&Value::Bool(true)) {
                " (sparse)"
            } else {
                ""
            };
            match (va, size) {
                (Some(va), Some(size)) => format!(
                    "GPUVM {} [{va:#x}, {:#x}){sparse}",
                    &m["sm_".len()..],
                    va + size
                ),
                _ => format!("GPUVM {m}"),
            }
        }
        (RowKind::Event, "AS_COMMAND") => format!(
            "AS{} {}",
            f.get("as_nr").map_or("?".into(), hex_or),
            f.get("command").and_then(Value::as_str).unwrap_or("?")
        ),
        (RowKind::Event, "dispatch") if r.target == "hw_mali::shader" => dispatch_line(f),
        (RowKind::Event, "GPU reset scheduled") => format!(
            "!! GPU reset scheduled: {}",
            f.get("cause").and_then(Value::as_str).unwrap_or("?")
        ),
        (RowKind::Event, "GPU reset done") => {
            let n = |k: &str| f.get(k).and_then(Value::as_u64).unwrap_or(0);
            format!(
                "GPU reset {} in {} us ({}): {} group(s) suspended and resumed, {} innocent, {} terminated",
                if f.get("ok") == Some(&Value::Bool(false)) {
                    "FAILED"
                } else {
                    "done"
                },
                n("latency_us"),
                f.get("cause").and_then(Value::as_str).unwrap_or("?"),
                n("suspended"),
                n("innocent"),
                n("terminated"),
            )
        }
        (RowKind::Event, "pm transition") => format!(
            "PM -> {} in {} us{}",
            f.get("to").and_then(Value::as_str).unwrap_or("?"),
            f.get("us").and_then(Value::as_u64).unwrap_or(0),
            if f.get("clean") == Some(&Value::Bool(false)) {
                " (MCU did not halt cleanly)"
            } else {
                ""
            }
        ),
        (RowKind::Event, "frequency change") => {
            let mhz = |k: &str| f.get(k).and_then(Value::as_u64).unwrap_or(0) / 1_000_000;
            format!(
                "GPU clock {} MHz -> {} MHz (runs at {} MHz)",
                mhz("from_hz"),
                mhz("to_hz"),
                mhz("clock_hz")
            )
        }
        (RowKind::Event, "IRQ raised") => {
            format!(
                "IRQ {} raised",
                f.get("line").and_then(Value::as_str).unwrap_or("?")
            )
        }
        (RowKind::Event, msg) => {
            let lvl = if matches!(r.level.as_str(), "WARN" | "ERROR") {
                "!! "
            } else {
                ""
            };
            format!("{lvl}{msg}{}", rest(&[]))
        }
    }
}

/// A shader-core dispatch: grid, shader, thread-instructions, workers, and its fault if any.
fn dispatch_line(f: &Map<String, Value>) -> String {
    let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("?");
    let n = |k: &str| f.get(k).and_then(Value::as_u64).unwrap_or(0);
    let fault = match s("fault") {
        "" | "?" => String::new(),
        e => format!(" !! fault: {e}"),
    };
    format!(
        "shader dispatch {} workgroups of {} ({} workgroups) shader {} {} thread-instructions on {} worker(s){fault}",
        s("groups"),
        s("local"),
        n("workgroups"),
        f.get("shader").map_or("?".into(), hex_or),
        n("thread_instructions"),
        n("workers"),
    )
}

/// Renders rows as a timeline and a summary.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "{:>12}  {:>3}  {:<80} {:>10}",
        "time", "thr", "what", "busy"
    )
    .ok();
    for r in rows {
        // The shim's own line per ioctl repeats the kernel's ioctl span.
        if r.target == "tyr_shim" && r.name.starts_with("ioctl(") {
            continue;
        }
        let what = format!("{}{}", "  ".repeat(r.depth), describe(r));
        let busy = r.busy_ns.map_or(String::new(), duration);
        writeln!(
            out,
            "{:>10.3}ms  {:>3}  {what:<80} {busy:>10}",
            r.t * 1e3,
            r.thread
        )
        .ok();
    }
    out.push_str(&summary(rows));
    out
}

/// Counts per kind: ioctls (with failures and time), bind jobs and ops, AS commands, TLB flushes, IRQs, faults, job
/// submissions, shader dispatches (with their thread-instructions and faults).
pub fn summary(rows: &[Row]) -> String {
    let mut ioctls: BTreeMap<String, (u64, u64, f64)> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for r in rows {
        let f = &r.fields;
        match (r.kind, r.name.as_str()) {
            (RowKind::Span, "ioctl") => {
                let e = ioctls
                    .entry(
                        f.get("ioctl")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string(),
                    )
                    .or_default();
                e.0 += 1;
                e.1 += u64::from(
                    f.get("result")
                        .and_then(Value::as_i64)
                        .is_some_and(|r| r != 0),
                );
                e.2 += r.busy_ns.unwrap_or(0.0);
            }
            (RowKind::Span, "vm_bind_op") => {
                *counts
                    .entry(format!(
                        "bind ops ({})",
                        f.get("op").and_then(Value::as_str).unwrap_or("?")
                    ))
                    .or_default() += 1
            }
            (RowKind::Span, "bind_job") => {
                *counts.entry("async bind jobs".into()).or_default() += 1
            }
            (RowKind::Span, "group_submit") => {
                *counts.entry("group submits".into()).or_default() += 1
            }
            (RowKind::Event, "AS_COMMAND") => {
                let c = f.get("command").and_then(Value::as_str).unwrap_or("?");
                *counts.entry(format!("AS commands ({c})")).or_default() += 1;
            }
            (RowKind::Event, m) if m.starts_with("TLB flush") => {
                *counts.entry("TLB flushes".into()).or_default() += 1
            }
            (RowKind::Event, "dispatch") if r.target == "hw_mali::shader" => {
                *counts.entry("shader dispatches".into()).or_default() += 1;
                *counts
                    .entry("shader thread-instructions".into())
                    .or_default() += f
                    .get("thread_instructions")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                if f.get("fault")
                    .and_then(Value::as_str)
                    .is_some_and(|e| !e.is_empty())
                {
                    *counts.entry("shader faults".into()).or_default() += 1;
                }
            }
            (RowKind::Event, "GPU reset done") => {
                *counts.entry("GPU resets".into()).or_default() += 1
            }
            (RowKind::Event, "pm transition") => {
                let to = f.get("to").and_then(Value::as_str).unwrap_or("?");
                *counts
                    .entry(format!("PM transitions (to {to})"))
                    .or_default() += 1;
            }
            (RowKind::Event, "frequency change") => {
                *counts.entry("GPU frequency changes".into()).or_default() += 1
            }
            (RowKind::Event, "IRQ raised") => {
                let l = f.get("line").and_then(Value::as_str).unwrap_or("?");
                *counts.entry(format!("IRQs raised ({l})")).or_default() += 1;
            }
            (RowKind::Event, m) if m.contains("fault") => {
                *counts.entry("faults".into()).or_default() += 1
            }
            (RowKind::Event, m) if m.starts_with("sm_step_") => {
                *counts
                    .entry(format!("GPUVM steps ({})", &m["sm_step_".len()..]))
                    .or_default() += 1
            }
            _ => {}
        }
    }
    let mut out = String::from("\nsummary\n");
    for (name, (n, failed, ns)) in &ioctls {
        writeln!(
            out,
            "  ioctl {name:<24} {n:>6} calls {failed:>5} failed {:>10} mean",
            duration(ns / *n as f64)
        )
        .ok();
    }
    for (what, n) in &counts {
        writeln!(out, "  {what:<30} {n:>6}").ok();
    }
    out
}

/// The rows as JSON (`tyr trace --json`).
pub fn rows_json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "t_s": r.t,
                    "thread": r.thread,
                    "depth": r.depth,
                    "kind": if r.kind == RowKind::Span { "span" } else { "event" },
                    "name": r.name,
                    "target": r.target,
                    "level": r.level,
                    "fields": r.fields,
                    "busy_ns": r.busy_ns,
                })
            })
            .collect(),
    )
}
