// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr trace -- <command>`: runs a DRM client through the drm-shim with `TYR_LOG` set and the shim writing JSON
//! lines to a file (`TYR_TRACE_FILE`), then renders them as a timeline — ioctls with their result and duration, the
//! bind jobs and GPUVM ops under them, AS commands (TLB locks and flushes), IRQ lines, faults, job submissions and the
//! shader core's dispatches (grid, shader, thread-instructions, workers, fault) — and
//! a summary. Without a command it traces the in-process demo workload of `tyr vm`.
//!
//! The records are those of `tracing-subscriber`'s JSON formatter with span events on: a span's `new` and `close`
//! records carry the span as `span` and its parents as `spans`, and `close` its `time.busy`. Spans are matched per thread with a
//! stack, which holds because every span here is created, entered and dropped in one scope.

use kernel::sync::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Map, Value};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The shim library is not there.
    #[error("shim {0}: not found (build it with `make shim`, or pass --shim)")]
    NoShim(PathBuf),
    /// The command could not be started.
    #[error("{cmd}: {err}")]
    Spawn {
        /// The command.
        cmd: String,
        /// Why.
        err: std::io::Error,
    },
    /// The trace file could not be read.
    #[error("trace file {path}: {err}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        err: std::io::Error,
    },
    /// The demo workload failed.
    #[error("{0}")]
    Demo(#[from] crate::views::ViewError),
}

/// One row of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Seconds since the subscriber started (per process).
    pub t: f64,
    /// The thread (`ThreadId(N)` → N).
    pub thread: u64,
    /// Nesting depth in spans.
    pub depth: usize,
    /// `span` or `event`.
    pub kind: RowKind,
    /// The span's name or the event's message.
    pub name: String,
    /// The event's target.
    pub target: String,
    /// Level (`DEBUG`, `WARN`, ...).
    pub level: String,
    /// Fields (for a span, as recorded when it closed).
    pub fields: Map<String, Value>,
    /// For a span: nanoseconds busy.
    pub busy_ns: Option<f64>,
}

/// Whether a row is a span or an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A span, from its `new` record to its `close`.
    Span,
    /// A single event.
    Event,
}

fn parse_secs(s: &str) -> f64 {
    s.trim().trim_end_matches('s').parse().unwrap_or(0.0)
}

/// `12.3µs` → 12300.
fn parse_duration_ns(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = [
        ("ns", 1.0),
        ("µs", 1e3),
        ("us", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
    ]
    .iter()
    .find_map(|(u, m)| s.strip_suffix(u).map(|n| (n, *m)))?;
    num.trim().parse::<f64>().ok().map(|v| v * mult)
}

fn thread_of(v: &Value) -> u64 {
    v["threadId"]
        .as_str()
        .and_then(|t| {
            t.trim_start_matches("ThreadId(")
                .trim_end_matches(')')
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Turns JSON-line records into timeline rows (lines that are not records are skipped).
pub fn rows(jsonl: &str) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut stacks: HashMap<u64, Vec<usize>> = HashMap::new();
    for line in jsonl.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let thread = thread_of(&v);
        let stack = stacks.entry(thread).or_default();
        let message = v["fields"]["message"].as_str().unwrap_or("");
        let spans = v["spans"].as_array().cloned().unwrap_or_default();
        let fields_of = |span: &Value| -> Map<String, Value> {
            span.as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| *k != "name")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let span_record = matches!(message, "new" | "close")
            && v["fields"].as_object().is_some_and(|f| f.len() <= 3);
        // A span's own records carry it as `span`, its parents as `spans`; an event's `spans` is its whole scope.
        if span_record && message == "new" {
            let span = &v["span"];
            stack.push(out.len());
            out.push(Row {
                t: parse_secs(v["timestamp"].as_str().unwrap_or("0")),
                thread,
                depth: spans.len(),
                kind: RowKind::Span,
                name: span["name"].as_str().unwrap_or("?").to_string(),
                target: v["target"].as_str().unwrap_or("").to_string(),
                level: v["level"].as_str().unwrap_or("").to_string(),
                fields: fields_of(span),
                busy_ns: None,
            });
        } else if span_record && message == "close" {
            let Some(i) = stack.pop() else { continue };
            // The closing record carries the span with every field recorded since it was created.
            if v["span"].is_object() {
                out[i].fields = fields_of(&v["span"]);
            }
            out[i].busy_ns = v["fields"]["time.busy"]
                .as_str()
                .and_then(parse_duration_ns);
        } else {
            let mut fields = v["fields"].as_object().cloned().unwrap_or_default();
            fields.remove("message");
            out.push(Row {
                t: parse_secs(v["timestamp"].as_str().unwrap_or("0")),
                thread,
                depth: spans.len(),
                kind: RowKind::Event,
                name: message.to_string(),
                target: v["target"].as_str().unwrap_or("").to_string(),
                level: v["level"].as_str().unwrap_or("").to_string(),
                fields,
                busy_ns: None,
            });
        }
    }
    out
}

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
fn describe(r: &Row) -> String {
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

/// Runs `cmd` with the shim preloaded and `TYR_LOG=filter`; returns the JSON-line records the shim wrote and the
/// command's exit status.
pub fn run_command(
    shim: &Path,
    filter: &str,
    cmd: &[OsString],
) -> Result<(String, std::process::ExitStatus), TraceError> {
    let shim = std::fs::canonicalize(shim).map_err(|_| TraceError::NoShim(shim.to_path_buf()))?;
    let path = std::env::temp_dir().join(format!("tyr-trace-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let name = cmd
        .first()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    let status = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("LD_PRELOAD", &shim)
        .env("TYR_LOG", filter)
        .env("TYR_TRACE_FILE", &path)
        .status()
        .map_err(|err| TraceError::Spawn { cmd: name, err })?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(TraceError::Read { path, err }),
    };
    let _ = std::fs::remove_file(&path);
    Ok((text, status))
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the demo workload of `tyr vm` in this process under a JSON subscriber with `filter`; returns its records.
pub fn run_demo(filter: &str) -> Result<String, TraceError> {
    let buf = Buffer::default();
    let writer = buf.clone();
    let sub = tyr_trace_setup::json_subscriber(filter, move || writer.clone());
    let session = tracing::subscriber::with_default(sub, crate::views::Session::demo)?;
    drop(session);
    let bytes = buf.0.lock().clone();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration_ns("812ns"), Some(812.0));
        assert_eq!(parse_duration_ns("12.5µs"), Some(12_500.0));
        assert_eq!(parse_duration_ns("1.5ms"), Some(1_500_000.0));
        assert_eq!(parse_duration_ns("2s"), Some(2e9));
    }

    #[test]
    fn shader_dispatches_show_their_grid_work_and_fault() {
        let line = |fault: &str| {
            format!(
                "{{\"timestamp\":\"0.5s\",\"level\":\"INFO\",\"fields\":{{\"message\":\"dispatch\",\"shader\":17825792,\"local\":\"64x1x1\",\"groups\":\"256x1x1\",\"workgroups\":256,\"thread_instructions\":98304,\"workers\":2,\"fault\":\"{fault}\"}},\"target\":\"hw_mali::shader\",\"threadId\":\"ThreadId(4)\"}}"
            )
        };
        let text = [
            line(""),
            line("workgroup 16: MMU fault 0xc1 at 0x41001000 (instruction 0x1100028)"),
        ]
        .join("\n");
        let rows = rows(&text);
        assert_eq!(rows.len(), 2);
        let ok = describe(&rows[0]);
        assert_eq!(
            ok,
            "shader dispatch 256x1x1 workgroups of 64x1x1 (256 workgroups) shader 0x1100000 98304 thread-instructions on 2 worker(s)"
        );
        let bad = describe(&rows[1]);
        assert!(
            bad.ends_with(
                "!! fault: workgroup 16: MMU fault 0xc1 at 0x41001000 (instruction 0x1100028)"
            ),
            "{bad}"
        );
        let sum = summary(&rows);
        assert!(
            sum.contains("shader dispatches                   2"),
            "{sum}"
        );
        assert!(
            sum.contains("shader thread-instructions     196608"),
            "{sum}"
        );
        assert!(
            sum.contains("shader faults                       1"),
            "{sum}"
        );
    }

    /// Runs in a child process of the test binary (see below): writes the demo's trace to `TYR_TRACE_DEMO_OUT`.
    #[test]
    #[ignore = "run by the_demo_timeline_... in a child process"]
    fn demo_capture_child() {
        if let Some(out) = std::env::var_os("TYR_TRACE_DEMO_OUT") {
            std::fs::write(out, run_demo("debug,tyr::gpuvm=trace").unwrap()).unwrap();
        }
    }

    #[test]
    fn the_demo_timeline_shows_ioctls_bind_ops_gpuvm_steps_and_their_results() {
        // The capture uses a thread-local subscriber; other tests of this binary run the same callsites on their
        // threads at the same time, which can leave tracing's per-callsite interest cache saying "nobody listens".
        // `tyr trace` itself runs in its own process with a global subscriber, so the capture runs in one too.
        let out = std::env::temp_dir().join(format!("tyr-trace-demo-{}.json", std::process::id()));
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "trace::tests::demo_capture_child",
                "--ignored",
                "--test-threads=1",
            ])
            .env("TYR_TRACE_DEMO_OUT", &out)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let json = std::fs::read_to_string(&out).unwrap();
        let _ = std::fs::remove_file(&out);
        let rows = rows(&json);
        let ioctls: Vec<&Row> = rows
            .iter()
            .filter(|r| r.kind == RowKind::Span && r.name == "ioctl")
            .collect();
        let names: Vec<&str> = ioctls
            .iter()
            .map(|r| r.fields["ioctl"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["VM_CREATE", "BO_CREATE", "BO_CREATE", "VM_BIND"]);
        assert!(ioctls
            .iter()
            .all(|r| r.fields["result"] == 0 && r.busy_ns.is_some()));
        // The bind's five ops nest under the VM_BIND span, their GPUVM steps under them.
        // (The probe's binds of firmware sections in the MCU's VM 0 come first, outside any ioctl.)
        let ops: Vec<&Row> = rows
            .iter()
            .filter(|r| r.name == "vm_bind_op" && r.fields["vm"] == 1)
            .collect();
        assert_eq!(ops.len(), 5);
        assert!(ops.iter().all(|r| r.depth == 1));
        let steps: Vec<(&str, usize)> = rows
            .iter()
            .filter(|r| r.name.starts_with("sm_step"))
            .map(|r| (r.name.as_str(), r.depth))
            .collect();
        assert!(
            rows.iter()
                .any(|r| r.name == "sm_step_remap" && r.depth == 2),
            "{steps:?}"
        );
        let text = render(&rows);
        assert!(text.contains("ioctl VM_BIND = 0"), "{text}");
        assert!(
            text.contains("bind op map_sparse [0x1000000, 0x1008000) vm 1"),
            "{text}"
        );
        assert!(text.contains("bind ops (unmap)"), "{text}");
    }
}
