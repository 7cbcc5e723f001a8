// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Every gpuvm reference vector replays byte-identical to what the kernel's own drm_gpuvm.c printed: `basic` in list
//! mode, every other one with `--no-list`.

use std::path::{Path, PathBuf};

fn vectors() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/gpuvm");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "script"))
        .collect();
    v.sort();
    v
}

/// Panics with the first differing line, so a failure says where the transcript went wrong.
fn assert_same(name: &str, got: &str, want: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<_>, Vec<_>) = (got.lines().collect(), want.lines().collect());
    let i = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    panic!(
        "{name}: transcript differs at line {}:\n  got:  {:?}\n  want: {:?}\n(got {} lines, want {})",
        i + 1,
        g.get(i),
        w.get(i),
        g.len(),
        w.len()
    );
}

#[test]
fn every_gpuvm_vector_replays_byte_identical() {
    let all = vectors();
    assert!(
        all.len() >= 6,
        "expected the basic, disjoint and random gpuvm vectors, found {}",
        all.len()
    );
    for script in all {
        let expected = std::fs::read_to_string(script.with_extension("expected")).unwrap();
        let got = tyr_cli::replay::gpuvm::run_vector(&script).unwrap();
        assert_same(&script.display().to_string(), &got, &expected);
    }
}

#[test]
fn the_binary_prints_the_same_transcript_in_both_modes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/gpuvm");
    for (name, args) in [
        ("basic", &["replay", "gpuvm"][..]),
        ("random-12", &["replay", "gpuvm", "--no-list"][..]),
    ] {
        let script = dir.join(format!("{name}.script"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tyr"))
            .args(args)
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read_to_string(script.with_extension("expected")).unwrap();
        assert_same(
            &format!("tyr replay gpuvm {name}"),
            &String::from_utf8(out.stdout).unwrap(),
            &want,
        );
    }
}

#[test]
fn timed_replay_reports_ops_first() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/gpuvm/random-13.script");
    let out = tyr_cli::replay::gpuvm::run_file(&script, false, true).unwrap();
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert!(
        fields[0].starts_with("ops=") && fields[1].starts_with("ns_per_op="),
        "{out}"
    );
    let ops: usize = fields[0]["ops=".len()..].parse().unwrap();
    let src = std::fs::read_to_string(&script).unwrap();
    let want = src
        .lines()
        .filter(|l| l.starts_with("map ") || l.starts_with("unmap "))
        .count();
    assert_eq!(ops, want, "{out}");
}

/// `tyr replay all` (what `make run` prints) covers every vector directory, and each set passes.
#[test]
fn replay_all_covers_every_vector_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut sets: Vec<String> = tyr_cli::replay::sets::SETS
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    sets.sort();
    assert_eq!(sets, dirs);
    for set in tyr_cli::replay::sets::SETS {
        let r = tyr_cli::replay::sets::run_set(set, &root).unwrap();
        assert!(r.passed(), "{}", r.summary());
    }
}
