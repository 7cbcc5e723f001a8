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

mod show;
pub use show::{render, rows_json, summary};

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
mod tests;
