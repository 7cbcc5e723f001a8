// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr replay pgtable|gpuvm --time --reps N`: N runs, each on a fresh table or VM; the line starts `ops=N
//! ns_per_op=<best> first_ns_per_op=<first> reps=N`, and what the runs leave behind is what one run leaves.

use std::path::{Path, PathBuf};
use std::process::Command;

fn vector(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/vectors/{kind}/{name}.script"))
}

fn tyr(args: &[&str], script: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tyr"))
        .args(args)
        .arg(script)
        .output()
        .unwrap();
    let text = if out.status.success() {
        out.stdout
    } else {
        out.stderr
    };
    (out.status.success(), String::from_utf8(text).unwrap())
}

/// The `key=value` fields of the first line, in order.
fn fields(out: &str) -> Vec<(String, String)> {
    out.lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(|f| {
            let (k, v) = f
                .split_once('=')
                .unwrap_or_else(|| panic!("not key=value: {f:?} in {out:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn map_unmap_lines(script: &Path) -> usize {
    std::fs::read_to_string(script)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("map ") || l.starts_with("unmap "))
        .count()
}

fn check(kind: &str, name: &str, state: &[&str]) {
    let script = vector(kind, name);
    let (ok, one) = tyr(&["replay", kind, "--time"], &script);
    assert!(ok, "{one}");
    let (ok, three) = tyr(&["replay", kind, "--time", "--reps", "3"], &script);
    assert!(ok, "{three}");
    let f = fields(&three);
    let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys[..4],
        ["ops", "ns_per_op", "first_ns_per_op", "reps"],
        "{three}"
    );
    assert_eq!(f[0].1.parse::<usize>().unwrap(), map_unmap_lines(&script));
    assert_eq!(f[3].1, "3");
    let best: f64 = f[1].1.parse().unwrap();
    let first: f64 = f[2].1.parse().unwrap();
    assert!(best > 0.0 && best <= first, "best {best} first {first}");
    // Every run starts afresh: errors and what is left live are those of a single run (a reused table or VM would
    // see its own earlier mappings and fail differently).
    let single = fields(&one);
    assert_eq!(single[3], ("reps".to_string(), "1".to_string()), "{one}");
    for key in state {
        let get = |f: &[(String, String)]| f.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        assert_eq!(get(&f), get(&single), "{key}: {three} vs {one}");
        assert!(get(&f).is_some(), "{key} missing: {three}");
    }
}

#[test]
fn pgtable_reps_report_best_and_first_runs_on_fresh_tables() {
    check("pgtable", "random-21", &["ops", "errors", "tables_live"]);
}

#[test]
fn gpuvm_reps_report_best_and_first_runs_on_fresh_vms() {
    check("gpuvm", "random-13", &["ops", "errors", "vas"]);
}

#[test]
fn reps_needs_time_and_at_least_one_run() {
    let script = vector("pgtable", "random-21");
    assert!(!tyr(&["replay", "pgtable", "--reps", "2"], &script).0);
    assert!(!tyr(&["replay", "pgtable", "--time", "--reps", "0"], &script).0);
    assert!(
        !tyr(
            &["replay", "gpuvm", "--time", "--reps", "x"],
            &vector("gpuvm", "random-13")
        )
        .0
    );
}
