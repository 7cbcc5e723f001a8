// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr e2e`: the end-to-end figures of `make bench` — what a user of the whole stack waits for, measured in this run
//! (best and median of `reps` repetitions) and written as rows for `tyr bench`, which sets each beside the same figure
//! of earlier runs (its trend; see [`crate::bench::trend`]):
//!
//! - **IGT ports**: our C ports of the IGT panthor tests (`tests/igt`), each binary a process through the drm-shim, as
//!   `make test` runs them: seconds for the whole suite;
//! - **real IGT**: the same for the real IGT binaries, when an IGT build is given;
//! - **fuzz**: `tyr fuzz` (seed 1, 3 files, every call checked) in ioctls per second;
//! - **vulkaninfo**: Mesa's panvk through the shim, `vulkaninfo --summary` from exec to exit, in milliseconds (the
//!   Vulkan loader's environment is the caller's: `make bench` points it at panvk's ICD).
//!
//! A figure whose run fails (a subtest fails, the fuzzer has a finding, vulkaninfo does not name the Mali-G610) is an
//! error, not a figure: a broken stack has no speed worth tracking.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

use crate::{fuzz, igt};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    /// Running a suite failed before any figure.
    #[error("{0}")]
    Igt(#[from] igt::IgtError),
    /// A suite ran but some of it failed.
    #[error("{what}: {failed} of {total} subtests did not pass")]
    Failed {
        /// Which suite.
        what: String,
        /// Subtests not passed.
        failed: usize,
        /// Subtests run.
        total: usize,
    },
    /// The fuzzer had a finding or could not boot.
    #[error("fuzz: {0}")]
    Fuzz(String),
    /// vulkaninfo could not run or did not show the device.
    #[error("vulkaninfo: {0}")]
    Vulkan(String),
    /// The rows could not be written.
    #[error("{path}: {err}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        err: std::io::Error,
    },
}

/// Which way a figure improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Less is better (a duration).
    Lower,
    /// More is better (a rate).
    Higher,
}

/// One end-to-end figure of this run.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// Unit (`s`, `ms`, `ioctls/s`).
    pub unit: String,
    /// The best repetition.
    pub best: f64,
    /// The median repetition.
    pub median: f64,
    /// Repetitions.
    pub reps: usize,
    /// Which way is better.
    pub better: Better,
    /// What the runs showed besides the figure (`41/41 passed`).
    pub note: String,
}

impl Figure {
    /// A figure from the repetitions' values.
    fn from_values(name: &str, unit: &str, mut v: Vec<f64>, better: Better, note: String) -> Self {
        v.sort_by(f64::total_cmp);
        let best = match better {
            Better::Lower => v.first(),
            Better::Higher => v.last(),
        }
        .copied()
        .unwrap_or(f64::NAN);
        Figure {
            name: name.to_string(),
            unit: unit.to_string(),
            best,
            median: median(&v),
            reps: v.len(),
            better,
            note,
        }
    }

    /// The figure as a JSON row (`"bench":"e2e"`).
    pub fn to_row(&self) -> Value {
        json!({
            "bench": "e2e",
            "figure": self.name,
            "unit": self.unit,
            "best": self.best,
            "median": self.median,
            "reps": self.reps,
            "better": if self.better == Better::Lower { "lower" } else { "higher" },
            "note": self.note,
        })
    }

    /// Parses a row written by [`Self::to_row`]; `None` for any other line.
    pub fn from_row(v: &Value) -> Option<Self> {
        if v["bench"].as_str()? != "e2e" {
            return None;
        }
        Some(Figure {
            name: v["figure"].as_str()?.to_string(),
            unit: v["unit"].as_str()?.to_string(),
            best: v["best"].as_f64()?,
            median: v["median"].as_f64()?,
            reps: v["reps"].as_u64()? as usize,
            better: match v["better"].as_str()? {
                "higher" => Better::Higher,
                _ => Better::Lower,
            },
            note: v["note"].as_str().unwrap_or_default().to_string(),
        })
    }
}

/// The median of sorted values (the mean of the middle two for an even count).
pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// What to measure.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The drm-shim library.
    pub shim: PathBuf,
    /// Repetitions of each figure.
    pub reps: usize,
    /// Our IGT ports.
    pub igt_ports: Vec<PathBuf>,
    /// Real IGT binaries (none: no such figure).
    pub igt: Vec<PathBuf>,
    /// Fuzz steps per repetition (0: no fuzz figure).
    pub fuzz_iterations: u64,
    /// The vulkaninfo binary (none: no Vulkan figure).
    pub vulkaninfo: Option<PathBuf>,
}

/// One suite through the shim `reps` times: seconds per pass, every subtest passing each time.
fn suite(what: &str, shim: &Path, bins: &[PathBuf], reps: usize) -> Result<Figure, E2eError> {
    let mut secs = Vec::new();
    let mut total = 0;
    for _ in 0..reps {
        let t0 = Instant::now();
        let results = igt::run_all(shim, bins)?;
        secs.push(t0.elapsed().as_secs_f64());
        total = results.len();
        let failed = results
            .iter()
            .filter(|r| !matches!(r.outcome, igt::Outcome::Pass | igt::Outcome::Skip))
            .count();
        if failed > 0 || total == 0 {
            return Err(E2eError::Failed {
                what: what.to_string(),
                failed,
                total,
            });
        }
    }
    let note = format!("{total} subtests in {} binaries, all passed", bins.len());
    Ok(Figure::from_values(
        &format!("{what} through the shim"),
        "s",
        secs,
        Better::Lower,
        note,
    ))
}

/// `tyr fuzz --seed 1 --files 3` for `iterations` steps, `reps` times: checked ioctls per second.
fn fuzz_rate(iterations: u64, reps: usize) -> Result<Figure, E2eError> {
    let mut rates = Vec::new();
    let mut ioctls = 0;
    for _ in 0..reps {
        let opts = fuzz::Options {
            seed: 1,
            iterations,
            files: 3,
            minimise_budget: 0,
        };
        let t0 = Instant::now();
        let stats = fuzz::run(opts, &mut |_| {}).map_err(|e| E2eError::Fuzz(e.to_string()))?;
        rates.push(stats.ioctls as f64 / t0.elapsed().as_secs_f64());
        ioctls = stats.ioctls;
    }
    let note = format!("seed 1, 3 files, {iterations} steps ({ioctls} ioctls), each call checked");
    Ok(Figure::from_values(
        "tyr fuzz",
        "ioctls/s",
        rates,
        Better::Higher,
        note,
    ))
}

/// `vulkaninfo --summary` through the shim `reps` times: milliseconds from exec to exit.
fn vulkaninfo(bin: &Path, shim: &Path, reps: usize) -> Result<Figure, E2eError> {
    let mut ms = Vec::new();
    let mut device = String::new();
    for _ in 0..reps {
        let t0 = Instant::now();
        let out = Command::new(bin)
            .arg("--summary")
            .env("LD_PRELOAD", shim)
            .output()
            .map_err(|e| E2eError::Vulkan(format!("{}: {e}", bin.display())))?;
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        let text = String::from_utf8_lossy(&out.stdout);
        let name = text
            .lines()
            .find(|l| l.trim_start().starts_with("deviceName") && l.contains("Mali-G610"));
        match name {
            Some(l) if out.status.success() => {
                device = l.split('=').nth(1).unwrap_or(l).trim().to_string();
            }
            _ => {
                return Err(E2eError::Vulkan(format!(
                    "exit {:?} without a Mali-G610 device (is VK_DRIVER_FILES panvk's ICD?): {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        }
    }
    Ok(Figure::from_values(
        "panvk vulkaninfo --summary start-up",
        "ms",
        ms,
        Better::Lower,
        format!("device {device}"),
    ))
}

/// Measures every figure `opts` asks for.
pub fn run(opts: &Options) -> Result<Vec<Figure>, E2eError> {
    let reps = opts.reps.max(1);
    let shim = opts.shim.canonicalize().map_err(|err| E2eError::Io {
        path: opts.shim.clone(),
        err,
    })?;
    let mut figs = Vec::new();
    if !opts.igt_ports.is_empty() {
        figs.push(suite("IGT panthor ports", &shim, &opts.igt_ports, reps)?);
    }
    if !opts.igt.is_empty() {
        figs.push(suite("real IGT", &shim, &opts.igt, reps)?);
    }
    if opts.fuzz_iterations > 0 {
        figs.push(fuzz_rate(opts.fuzz_iterations, reps)?);
    }
    if let Some(bin) = &opts.vulkaninfo {
        figs.push(vulkaninfo(bin, &shim, reps)?);
    }
    Ok(figs)
}

/// Writes the figures as `dir/e2e.jsonl` (replacing an earlier run's) and returns a short table for the terminal.
pub fn write(dir: &Path, figs: &[Figure]) -> Result<String, E2eError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |err| E2eError::Io { path, err }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join("e2e.jsonl");
    let mut rows = String::new();
    let mut table = String::new();
    for f in figs {
        rows.push_str(&f.to_row().to_string());
        rows.push('\n');
        let _ = writeln!(
            table,
            "{:<40} best {:>10.3} {:<8} median {:>10.3}  ({} reps; {})",
            f.name, f.best, f.unit, f.median, f.reps, f.note
        );
    }
    std::fs::write(&path, rows).map_err(io(&path))?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_is_the_lowest_duration_or_the_highest_rate() {
        let d = Figure::from_values("d", "s", vec![3.0, 1.0, 2.0], Better::Lower, String::new());
        assert_eq!((d.best, d.median, d.reps), (1.0, 2.0, 3));
        let r = Figure::from_values(
            "r",
            "x/s",
            vec![3.0, 1.0, 2.0, 4.0],
            Better::Higher,
            String::new(),
        );
        assert_eq!((r.best, r.median), (4.0, 2.5));
    }

    #[test]
    fn rows_round_trip_and_other_rows_are_not_figures() {
        let f = Figure::from_values("fuzz", "ioctls/s", vec![10.0], Better::Higher, "n".into());
        assert_eq!(Figure::from_row(&f.to_row()), Some(f));
        let other = json!({"bench": "gpuvm", "figure": "x"});
        assert_eq!(Figure::from_row(&other), None);
    }

    #[test]
    fn a_failing_suite_is_an_error_not_a_figure() {
        // `false` exits 1 without a subtest line: one failed `(binary)` result.
        let shim = std::env::current_exe().unwrap();
        let err = suite("x", &shim, &[PathBuf::from("/bin/false")], 1).unwrap_err();
        assert!(
            matches!(
                err,
                E2eError::Failed {
                    failed: 1,
                    total: 1,
                    ..
                }
            ),
            "{err}"
        );
    }
}
