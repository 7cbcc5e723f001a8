// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Whole vector sets: replay every script of a directory and compare with its `.expected` (what `make run` prints).

use std::path::{Path, PathBuf};

use super::ReplayError;

/// A set of reference vectors: the directory name under `tests/vectors/` and how to replay one of its scripts the way
/// its `.expected` file was produced.
pub struct VectorSet {
    /// Directory name, e.g. `pgtable`.
    pub name: &'static str,
    /// Replays one script and returns the transcript.
    pub replay: fn(&Path) -> Result<String, ReplayError>,
}

/// Every vector set this tool can replay.
pub const SETS: &[VectorSet] = &[
    VectorSet {
        name: "pgtable",
        replay: |p| super::pgtable::run_file(p, false),
    },
    // `basic` was printed in list mode, every other gpuvm vector with `--no-list`
    // (`Documentation/testing.md#reference-vectors`).
    VectorSet {
        name: "gpuvm",
        replay: super::gpuvm::run_vector,
    },
];

/// How one script fared.
#[derive(Debug)]
pub enum Outcome {
    /// Byte-identical to the expected transcript.
    Identical,
    /// Differs; the first differing line (1-based), with what we printed and what was expected there.
    Differs {
        /// 1-based line number.
        line: usize,
        /// Our line there, if any.
        got: Option<String>,
        /// The expected line there, if any.
        want: Option<String>,
    },
    /// Could not be replayed (unreadable, malformed) or has no `.expected`.
    Failed(String),
}

/// The result of replaying a whole set.
#[derive(Debug)]
pub struct SetReport {
    /// The set's name.
    pub name: &'static str,
    /// Each script with its outcome, in file-name order.
    pub scripts: Vec<(PathBuf, Outcome)>,
}

impl SetReport {
    /// Scripts whose transcript was byte-identical.
    pub fn identical(&self) -> usize {
        self.scripts
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Identical))
            .count()
    }

    /// Whether every script was byte-identical (and there was at least one).
    pub fn passed(&self) -> bool {
        !self.scripts.is_empty() && self.identical() == self.scripts.len()
    }

    /// The one-line summary, then one indented line per script that did not match.
    pub fn summary(&self) -> String {
        let names: Vec<String> = self
            .scripts
            .iter()
            .map(|(p, _)| {
                p.file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            })
            .collect();
        let mut s = format!(
            "{}: {}/{} vectors byte-identical ({})\n",
            self.name,
            self.identical(),
            self.scripts.len(),
            names.join(", ")
        );
        for (p, o) in &self.scripts {
            match o {
                Outcome::Identical => {}
                Outcome::Differs { line, got, want } => {
                    s += &format!(
                        "  {}: line {line}: got {got:?}, want {want:?}\n",
                        p.display()
                    );
                }
                Outcome::Failed(e) => s += &format!("  {}: {e}\n", p.display()),
            }
        }
        s
    }
}

/// Compares a transcript with the expected one.
pub fn compare(got: &str, want: &str) -> Outcome {
    if got == want {
        return Outcome::Identical;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.split('\n').collect(), want.split('\n').collect());
    let i = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    Outcome::Differs {
        line: i + 1,
        got: g.get(i).map(|s| s.to_string()),
        want: w.get(i).map(|s| s.to_string()),
    }
}

/// Replays every `*.script` under `root/<set.name>`.
pub fn run_set(set: &VectorSet, root: &Path) -> Result<SetReport, ReplayError> {
    let dir = root.join(set.name);
    let entries = std::fs::read_dir(&dir).map_err(|source| ReplayError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut scripts: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "script"))
        .collect();
    scripts.sort();
    let scripts = scripts
        .into_iter()
        .map(|p| {
            let outcome = match (
                std::fs::read_to_string(p.with_extension("expected")),
                (set.replay)(&p),
            ) {
                (Err(e), _) => Outcome::Failed(format!("no expected transcript: {e}")),
                (_, Err(e)) => Outcome::Failed(e.to_string()),
                (Ok(want), Ok(got)) => compare(&got, &want),
            };
            (p, outcome)
        })
        .collect();
    Ok(SetReport {
        name: set.name,
        scripts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_names_the_first_differing_line() {
        assert!(matches!(compare("a\nb\n", "a\nb\n"), Outcome::Identical));
        match compare("a\nx\nc\n", "a\nb\nc\n") {
            Outcome::Differs { line, got, want } => {
                assert_eq!(
                    (line, got.as_deref(), want.as_deref()),
                    (2, Some("x"), Some("b"))
                );
            }
            o => panic!("{o:?}"),
        }
        match compare("a\n", "a\nb\n") {
            Outcome::Differs { line, got, want } => {
                assert_eq!(
                    (line, got.as_deref(), want.as_deref()),
                    (2, Some(""), Some("b"))
                );
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn a_set_with_a_wrong_expectation_is_reported_not_passed() {
        let dir = std::env::temp_dir().join(format!("tyr-sets-{}", std::process::id()));
        let set_dir = dir.join("pgtable");
        std::fs::create_dir_all(&set_dir).unwrap();
        std::fs::write(set_dir.join("a.script"), "info\n").unwrap();
        std::fs::write(set_dir.join("a.expected"), "> info\nwrong\n").unwrap();
        std::fs::write(set_dir.join("b.script"), "bogus\n").unwrap();
        let r = run_set(&SETS[0], &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!r.passed());
        assert_eq!(r.identical(), 0);
        assert!(matches!(r.scripts[0].1, Outcome::Differs { line: 2, .. }));
        assert!(matches!(r.scripts[1].1, Outcome::Failed(_)));
        assert!(
            r.summary()
                .starts_with("pgtable: 0/2 vectors byte-identical (a, b)\n"),
            "{}",
            r.summary()
        );
    }
}
