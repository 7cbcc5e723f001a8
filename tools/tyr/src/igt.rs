// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr igt`: run IGT-style test binaries (our ports in `tests/igt`, or the real IGT panthor tests from an IGT build)
//! through the drm-shim, one process each, and summarise their `Subtest NAME: RESULT (secs)` lines.
//!
//! A binary that dies in the middle of a subtest (a signal, or an exit with a subtest started but not reported) has
//! that subtest counted as a failure, with the reason; one that exits 77 before any subtest had no device, and its
//! subtests are skips, as IGT's runner counts them. A binary without subtests counts as one result, `(binary)`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use thiserror::Error;

/// What went wrong running the suite itself (as opposed to a subtest failing).
#[derive(Debug, Error)]
pub enum IgtError {
    /// The shim library is not there.
    #[error("drm-shim {0} not found (build it with `cargo build --release -p tyr-drm-shim`)")]
    NoShim(PathBuf),
    /// A binary could not be started.
    #[error("{0}: {1}")]
    Spawn(PathBuf, std::io::Error),
}

/// A subtest's outcome.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// `SUCCESS`.
    Pass,
    /// `FAIL`, `CRASH`, or died without a result; the text says which.
    Fail(String),
    /// `SKIP`.
    Skip,
}

/// One subtest's result.
#[derive(Clone, Debug, PartialEq)]
pub struct SubtestResult {
    /// Binary name (file name).
    pub binary: String,
    /// Subtest name.
    pub subtest: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Seconds, as reported.
    pub secs: f64,
}

/// Parses one binary's stdout and exit status into subtest results.
pub fn parse(
    binary: &str,
    stdout: &str,
    status: Option<i32>,
    signal: Option<i32>,
) -> Vec<SubtestResult> {
    let mut out = Vec::new();
    let mut started: Option<String> = None;
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("Starting subtest: ") {
            started = Some(name.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("Subtest ") {
            let Some((name, tail)) = rest.split_once(": ") else {
                continue;
            };
            let mut words = tail.split_whitespace();
            let result = words.next().unwrap_or("");
            let secs = words
                .next()
                .and_then(|s| {
                    s.trim_start_matches('(')
                        .trim_end_matches(')')
                        .trim_end_matches('s')
                        .parse()
                        .ok()
                })
                .unwrap_or(0.0);
            let outcome = match result {
                "SUCCESS" => Outcome::Pass,
                "SKIP" => Outcome::Skip,
                other => Outcome::Fail(other.to_string()),
            };
            out.push(SubtestResult {
                binary: binary.to_string(),
                subtest: name.to_string(),
                outcome,
                secs,
            });
            started = None;
        }
    }
    if let Some(name) = started {
        let why = match (signal, status) {
            (Some(s), _) => format!("killed by signal {s}"),
            (None, Some(c)) => format!("exited {c} without a result"),
            _ => "no result".to_string(),
        };
        out.push(SubtestResult {
            binary: binary.to_string(),
            subtest: name,
            outcome: Outcome::Fail(why),
            secs: 0.0,
        });
    }
    if out.is_empty() && status != Some(77) {
        // A binary without subtests (IGT's `igt_simple_main`) reports itself: exit 0 after its `SUCCESS` line.
        let outcome = match (signal, status) {
            (None, Some(0)) => Outcome::Pass,
            (Some(s), _) => Outcome::Fail(format!("killed by signal {s} before any subtest")),
            (None, c) => Outcome::Fail(format!("exited {} before any subtest", c.unwrap_or(-1))),
        };
        let secs = stdout
            .lines()
            .find_map(|l| l.strip_prefix("SUCCESS ("))
            .and_then(|t| t.trim_end_matches(')').trim_end_matches('s').parse().ok())
            .unwrap_or(0.0);
        out.push(SubtestResult {
            binary: binary.to_string(),
            subtest: "(binary)".to_string(),
            outcome,
            secs,
        });
    }
    out
}

/// Runs each binary with `LD_PRELOAD=shim` and returns every subtest's result.
pub fn run_all(shim: &Path, binaries: &[PathBuf]) -> Result<Vec<SubtestResult>, IgtError> {
    if !shim.is_file() {
        return Err(IgtError::NoShim(shim.to_path_buf()));
    }
    let shim = shim
        .canonicalize()
        .map_err(|e| IgtError::Spawn(shim.to_path_buf(), e))?;
    let mut all = Vec::new();
    for bin in binaries {
        let out = Command::new(bin)
            .env("LD_PRELOAD", &shim)
            // Keep IGT from looking elsewhere than the card walk (`Documentation/testing.md#igt-through-the-shim`).
            .env_remove("IGT_DEVICE")
            .env_remove("IGT_FORCE_DRIVER")
            .output()
            .map_err(|e| IgtError::Spawn(bin.clone(), e))?;
        let name = bin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stdout = String::from_utf8_lossy(&out.stdout);
        use std::os::unix::process::ExitStatusExt;
        all.extend(parse(
            &name,
            &stdout,
            out.status.code(),
            out.status.signal(),
        ));
    }
    Ok(all)
}

/// The table (one line per subtest) and the summary line `N passed, N failed, N skipped`.
pub fn report(results: &[SubtestResult]) -> String {
    let mut s = String::new();
    let width = results
        .iter()
        .map(|r| r.binary.len() + r.subtest.len() + 1)
        .max()
        .unwrap_or(0);
    let mut per_binary: BTreeMap<&str, (u32, u32, u32)> = BTreeMap::new();
    for r in results {
        let name = format!("{}:{}", r.binary, r.subtest);
        let (word, why) = match &r.outcome {
            Outcome::Pass => ("pass", String::new()),
            Outcome::Skip => ("skip", String::new()),
            Outcome::Fail(w) => ("FAIL", format!("  {w}")),
        };
        let _ = writeln!(s, "{name:<width$}  {word}  {:>7.3}s{why}", r.secs);
        let e = per_binary.entry(&r.binary).or_default();
        match r.outcome {
            Outcome::Pass => e.0 += 1,
            Outcome::Fail(_) => e.1 += 1,
            Outcome::Skip => e.2 += 1,
        }
    }
    let (p, f, k) = per_binary
        .values()
        .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    let _ = writeln!(s, "{p} passed, {f} failed, {k} skipped");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_crashes_and_missing_devices_are_counted() {
        let out =
            "Opened device: /dev/dri/card0\nStarting subtest: a\nSubtest a: SUCCESS (0.001s)\n\
                   Starting subtest: b\nSubtest b: SKIP (0.000s)\nStarting subtest: c\n";
        let r = parse("t", out, None, Some(11));
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].outcome.clone(), r[0].secs), (Outcome::Pass, 0.001));
        assert_eq!(r[1].outcome, Outcome::Skip);
        assert_eq!(r[2].outcome, Outcome::Fail("killed by signal 11".into()));
        assert_eq!(
            report(&r).lines().last(),
            Some("1 passed, 1 failed, 1 skipped")
        );

        assert!(
            parse("t", "", Some(77), None).is_empty(),
            "no device: nothing to count but the skips printed"
        );
        let dead = parse("t", "", Some(1), None);
        assert_eq!(
            dead[0].outcome,
            Outcome::Fail("exited 1 before any subtest".into())
        );
        let simple = parse(
            "t",
            "Opened device: /dev/dri/card0\nSUCCESS (0.002s)\n",
            Some(0),
            None,
        );
        assert_eq!(
            (
                simple[0].subtest.as_str(),
                simple[0].outcome.clone(),
                simple[0].secs
            ),
            ("(binary)", Outcome::Pass, 0.002)
        );
        let failed = parse("t", "Subtest x: FAIL (0.010s)\n", Some(1), None);
        assert_eq!(failed[0].outcome, Outcome::Fail("FAIL".into()));
    }
}
