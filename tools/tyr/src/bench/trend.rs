// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Figures across runs: every `make bench` appends its figures to a history file (`build/bench-history.jsonl`,
//! kept between runs and never committed), and the report sets each end-to-end figure, and each same-run ratio
//! against a peer, beside its values in earlier runs.
//!
//! A history line is one figure of one run: `{"run":<unix seconds>,"rev":"<git revision>","kind":"e2e"|"ratio",
//! "key":"<what>","unit":"<unit>","value":<number>}`. For an end-to-end figure the value is the run's best; for a
//! peer row it is the ratio ours / peer, which stays comparable across machines and loads where absolute figures do
//! not.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use super::{figure, BenchError, Row};
use crate::e2e::{Better, Figure};

/// How many earlier values a trend shows.
pub const SHOWN: usize = 6;

/// One history line.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// When the run was (unix seconds).
    pub run: u64,
    /// The source revision it measured.
    pub rev: String,
    /// `e2e` or `ratio`.
    pub kind: String,
    /// What was measured.
    pub key: String,
    /// Unit.
    pub unit: String,
    /// The value.
    pub value: f64,
}

/// The key of a peer row: bench, workload, op, warmth and peer.
pub fn row_key(r: &Row) -> String {
    format!(
        "{} | {} | {} | {} | vs {}",
        r.bench,
        r.workload,
        r.op,
        r.warmth.as_deref().unwrap_or("-"),
        r.peer_name
    )
}

/// This run's points: the end-to-end figures' best values and the peer rows' ratios.
pub fn points(run: u64, rev: &str, rows: &[Row], figs: &[Figure]) -> Vec<Point> {
    let mut out: Vec<Point> = figs
        .iter()
        .map(|f| Point {
            run,
            rev: rev.to_string(),
            kind: "e2e".into(),
            key: f.name.clone(),
            unit: f.unit.clone(),
            value: f.best,
        })
        .collect();
    out.extend(
        rows.iter()
            .filter(|r| r.ratio().is_finite())
            .map(|r| Point {
                run,
                rev: rev.to_string(),
                kind: "ratio".into(),
                key: row_key(r),
                unit: "x".into(),
                value: r.ratio(),
            }),
    );
    out
}

/// Parses a history file's text (lines that are not points are skipped).
pub fn parse(text: &str) -> Vec<Point> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            Some(Point {
                run: v["run"].as_u64()?,
                rev: v["rev"].as_str().unwrap_or("?").to_string(),
                kind: v["kind"].as_str()?.to_string(),
                key: v["key"].as_str()?.to_string(),
                unit: v["unit"].as_str().unwrap_or("").to_string(),
                value: v["value"].as_f64()?,
            })
        })
        .collect()
}

/// Reads the history (an absent file is an empty history), then appends `new` to it; returns the earlier points.
pub fn read_and_append(path: &Path, new: &[Point]) -> Result<Vec<Point>, BenchError> {
    let io = |err| BenchError::Io {
        path: path.to_path_buf(),
        err,
    };
    let earlier = match std::fs::read_to_string(path) {
        Ok(t) => parse(&t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(e)),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    let mut text = String::new();
    for p in new {
        let line = json!({
            "run": p.run, "rev": p.rev, "kind": p.kind, "key": p.key, "unit": p.unit, "value": p.value,
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    f.write_all(text.as_bytes()).map_err(io)?;
    Ok(earlier)
}

/// The last [`SHOWN`] earlier values of `key` (oldest first), one per run.
fn earlier_values(history: &[Point], kind: &str, key: &str) -> Vec<f64> {
    let mut v: Vec<&Point> = history
        .iter()
        .filter(|p| p.kind == kind && p.key == key)
        .collect();
    v.sort_by_key(|p| p.run);
    let skip = v.len().saturating_sub(SHOWN);
    v.into_iter().skip(skip).map(|p| p.value).collect()
}

/// The change of `now` against the median of `earlier`, as a signed percentage and whether it is better, worse or
/// within `noise` (a fraction) of it.
fn change(now: f64, earlier: &[f64], better: Better, noise: f64) -> String {
    if earlier.is_empty() {
        return "first run".into();
    }
    let mut sorted = earlier.to_vec();
    sorted.sort_by(f64::total_cmp);
    let med = crate::e2e::median(&sorted);
    let rel = (now - med) / med;
    let word = if rel.abs() <= noise {
        "steady"
    } else if (rel < 0.0) == (better == Better::Lower) {
        "better"
    } else {
        "worse"
    };
    format!("{:+.1}% {word}", rel * 100.0)
}

/// The report's trend sections: the end-to-end figures (this run's best and median, the earlier runs' bests, the
/// change against their median) and the peer ratios (this run's and the earlier runs').
pub fn report(figs: &[Figure], rows: &[Row], history: &[Point]) -> String {
    let mut out = String::new();
    let runs = {
        let mut r: Vec<u64> = history.iter().map(|p| p.run).collect();
        r.sort_unstable();
        r.dedup();
        r.len()
    };
    if !figs.is_empty() {
        out.push_str("\n## End-to-end figures and their trend\n\n");
        let _ = writeln!(
            out,
            "This run's best and median of its repetitions; then the best of each earlier run in the history \
             ({runs} runs, the last {SHOWN} shown, oldest first) and this run against their median (within 10%: \
             steady).\n"
        );
        out.push_str("| figure | unit | best | median | earlier runs | trend | runs showed |\n");
        out.push_str("|---|---|---:|---:|---|---|---|\n");
        for f in figs {
            let earlier = earlier_values(history, "e2e", &f.name);
            let list: Vec<String> = earlier.iter().map(|v| figure(*v)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                f.name,
                f.unit,
                figure(f.best),
                figure(f.median),
                if list.is_empty() {
                    "-".into()
                } else {
                    list.join(" → ")
                },
                change(f.best, &earlier, f.better, 0.10),
                f.note
            );
        }
    }
    if !rows.is_empty() && runs > 0 {
        out.push_str("\n## Ratio trend (ours / peer, same run each time)\n\n");
        out.push_str("| row | this run | earlier runs | trend |\n|---|---:|---|---|\n");
        for r in rows.iter().filter(|r| r.ratio().is_finite()) {
            let key = row_key(r);
            let earlier = earlier_values(history, "ratio", &key);
            if earlier.is_empty() {
                continue;
            }
            let list: Vec<String> = earlier.iter().map(|v| format!("{v:.2}x")).collect();
            let _ = writeln!(
                out,
                "| {key} | {:.2}x | {} | {} |",
                r.ratio(),
                list.join(" → "),
                change(r.ratio(), &earlier, Better::Lower, 0.10)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(name: &str, best: f64, better: Better) -> Figure {
        Figure {
            name: name.into(),
            unit: "s".into(),
            best,
            median: best,
            reps: 1,
            better,
            note: "ok".into(),
        }
    }

    #[test]
    fn the_history_grows_by_one_run_and_the_trend_compares_with_the_earlier_median() {
        let dir = std::env::temp_dir().join(format!("tyr-trend-{}", std::process::id()));
        let path = dir.join("h.jsonl");
        let _ = std::fs::remove_file(&path);
        let rows = super::super::parse(
            r#"{"bench":"gpuvm","workload":"w","op":"map","warmth":"warm","unit":"ns/op","ours":100,"peer":200,"peer_name":"kernel C"}"#,
        );
        for (run, best) in [(1, 10.0), (2, 12.0), (3, 11.0)] {
            let figs = [fig("suite", best, Better::Lower)];
            read_and_append(&path, &points(run, "r", &rows, &figs)).unwrap();
        }
        let figs = [
            fig("suite", 8.0, Better::Lower),
            fig("new", 1.0, Better::Higher),
        ];
        let earlier = read_and_append(&path, &points(4, "r", &rows, &figs)).unwrap();
        assert_eq!(earlier.len(), 6, "three runs of two points each");
        let md = report(&figs, &rows, &earlier);
        assert!(
            md.contains("| suite | s | 8.00 | 8.00 | 10.0 → 12.0 → 11.0 | -27.3% better | ok |"),
            "{md}"
        );
        assert!(
            md.contains("| new | s | 1.00 | 1.00 | - | first run | ok |"),
            "{md}"
        );
        assert!(
            md.contains("| gpuvm | w | map | warm | vs kernel C | 0.50x | 0.50x → 0.50x → 0.50x | +0.0% steady |"),
            "{md}"
        );
        assert_eq!(
            parse(&std::fs::read_to_string(&path).unwrap()).len(),
            9,
            "and the fourth run added three"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_higher_is_better_figure_that_drops_is_worse() {
        assert_eq!(
            change(80.0, &[100.0, 100.0], Better::Higher, 0.1),
            "-20.0% worse"
        );
        assert_eq!(change(105.0, &[100.0], Better::Higher, 0.1), "+5.0% steady");
    }

    #[test]
    fn only_the_last_runs_are_shown() {
        let h: Vec<Point> = (0..10)
            .map(|i| Point {
                run: i,
                rev: "r".into(),
                kind: "e2e".into(),
                key: "k".into(),
                unit: "s".into(),
                value: i as f64,
            })
            .collect();
        assert_eq!(
            earlier_values(&h, "e2e", "k"),
            vec![4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        );
    }
}
