// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Every pgtable reference vector replays byte-identical to what the kernel's own io-pgtable-arm.c printed.

use std::path::{Path, PathBuf};

fn vectors() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/pgtable");
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
fn every_pgtable_vector_replays_byte_identical() {
    let all = vectors();
    assert!(
        all.len() >= 4,
        "expected the basic and random pgtable vectors, found {}",
        all.len()
    );
    for script in all {
        let expected = std::fs::read_to_string(script.with_extension("expected")).unwrap();
        let got = tyr_cli::replay::pgtable::run_file(&script, false).unwrap();
        assert_same(&script.display().to_string(), &got, &expected);
    }
}

#[test]
fn the_binary_prints_the_same_transcript() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/pgtable/basic.script");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tyr"))
        .args(["replay", "pgtable"])
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
        "tyr replay pgtable basic",
        &String::from_utf8(out.stdout).unwrap(),
        &want,
    );
}

#[test]
fn timed_replay_reports_ops_first() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/pgtable/random-21.script");
    let out = tyr_cli::replay::pgtable::run_file(&script, true).unwrap();
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
