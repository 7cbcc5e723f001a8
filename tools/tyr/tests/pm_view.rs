// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr pm`: the scripted day renders every stage, with the states runtime PM must be in.

#[test]
fn the_pm_view_shows_each_stage_in_its_state() {
    let out = tyr_cli::pm::run().unwrap();
    let stage = |name: &str| {
        let start = out
            .find(&format!("[{name}]\n"))
            .unwrap_or_else(|| panic!("{name}: {out}"));
        let rest = &out[start + name.len() + 3..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
    };
    assert!(stage("probed").contains("runtime_status active\n"), "{out}");
    let idle = stage("idle");
    assert!(
        idle.contains("runtime_status suspended\n") && idle.contains("as_in_use false\n"),
        "{out}"
    );
    assert!(idle.contains("suspends 1 resumes 0"), "{out}");
    assert!(stage("after TIMESTAMP_INFO").contains("resumes 1"), "{out}");
    let sys = stage("system suspended");
    assert!(
        sys.contains("runtime_status unsupported\n") && sys.contains("usage_count 1\n"),
        "{out}"
    );
    assert!(
        stage("system resumed").contains("runtime_status suspended\n"),
        "{out}"
    );
    assert!(
        stage("devfreq at boot").contains("cur_freq 300 MHz clock 300 MHz"),
        "{out}"
    );
    let perf = stage("devfreq performance");
    assert!(perf.contains("governor performance"), "{out}");
    assert!(perf.contains("cur_freq 1000 MHz clock 850 MHz"), "{out}");
    let save = stage("devfreq powersave");
    assert!(save.contains("cur_freq 300 MHz"), "{out}");
    assert!(save.contains("Total transition : 2"), "{out}");
    let reset = stage("reset requested");
    assert!(reset.contains("resets 1 failed 0"), "{out}");
    assert!(reset.contains("last Requested in "), "{out}");
    assert!(
        stage("after the reset").contains("runtime_status active\n"),
        "{out}"
    );
}
