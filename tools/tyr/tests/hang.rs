// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr hang`: each injected hang is detected the way Panthor detects it and recovered from, as the report states.

use tyr_cli::hang::{run, Class};

/// The lines of section `[name]` of `out`.
fn section(out: &str, name: &str) -> String {
    let start = out
        .find(&format!("[{name}]\n"))
        .unwrap_or_else(|| panic!("{name}: {out}"));
    let rest = &out[start + name.len() + 3..];
    rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
}

/// Asserts that `s` has a line starting with `prefix` (after the indent).
fn line(s: &str, prefix: &str, out: &str) {
    assert!(
        s.lines().any(|l| l.trim_start().starts_with(prefix)),
        "no line `{prefix}`: {out}"
    );
}

/// What every class ends with: nothing left injected and new work that runs.
fn recovered(s: &str, out: &str) {
    line(s, "injected after clear", out);
    line(s, "recovery new group: job ok state 0 (none)", out);
}

#[test]
fn a_stuck_mcu_is_reset_by_the_csg_timeout_and_by_the_watchdog_when_idle() {
    let out = run(Class::McuStuck).unwrap();
    let s = section(&out, "mcu-stuck");
    line(&s, "knobs job_timeout 300 ms", &out);
    line(&s, "injected inject_mcu_stuck()", &out);
    line(
        &s,
        "detected by the job timeout, then a request on CSG slot 1 not acknowledged: reset cause CsgTimeout(1)",
        &out,
    );
    line(&s, "resets 1 failed 0", &out);
    line(&s, "last reset cause CsgTimeout(1) latency ", &out);
    assert!(
        s.contains(" ok true suspended 0 innocent 1 terminated 2\n"),
        "{out}"
    );
    line(&s, "group culprit state 1 (TIMEDOUT)", &out);
    line(&s, "group bystander state 5 (TIMEDOUT|INNOCENT)", &out);
    line(&s, "job culprit fence ETIMEDOUT", &out);
    line(&s, "job bystander fence ok", &out);
    recovered(&s, &out);
    let idle = section(&out, "mcu-stuck idle");
    line(&idle, "knobs ping_interval 50 ms", &out);
    line(
        &idle,
        "detected the watchdog's PING not acknowledged: reset cause PingTimeout",
        &out,
    );
    line(&idle, "resets 2 failed 0", &out);
    recovered(&idle, &out);
}

#[test]
fn a_spinning_stream_times_its_group_out_without_a_reset() {
    let out = run(Class::CsSpin).unwrap();
    let s = section(&out, "cs-spin");
    line(&s, "knobs job_timeout 60000 ms, progress_timer 10000", &out);
    line(&s, "injected inject_cs_spin(", &out);
    line(
        &s,
        "detected by the progress timer: the group TIMEDOUT without a reset",
        &out,
    );
    line(&s, "resets 0 failed 0", &out);
    line(&s, "group culprit state 1 (TIMEDOUT)", &out);
    line(&s, "group bystander state 0 (none)", &out);
    line(&s, "job culprit fence ETIMEDOUT", &out);
    line(&s, "job bystander fence ok", &out);
    recovered(&s, &out);
}

#[test]
fn a_stuck_as_fails_the_bind_resets_the_gpu_and_keeps_the_mappings() {
    let out = run(Class::AsStuck).unwrap();
    let s = section(&out, "as-stuck");
    line(&s, "injected inject_as_stuck(", &out);
    assert!(s.contains("then a VM_BIND on it: ETIMEDOUT\n"), "{out}");
    line(&s, "detected a command on AS ", &out);
    assert!(
        s.contains(" that did not complete: reset cause AsTimeout("),
        "{out}"
    );
    line(&s, "resets 1 failed 0", &out);
    assert!(
        s.contains(" ok true suspended 1 innocent 0 terminated 0\n"),
        "{out}"
    );
    line(&s, "group resident state 0 (none)", &out);
    line(&s, "job after on the same group fence ok stored 0x2", &out);
    line(&s, "vm state 1", &out);
    recovered(&s, &out);
}

#[test]
fn a_bus_fault_is_reported_without_a_reset_and_a_reset_clears_it() {
    let out = run(Class::BusFault).unwrap();
    let s = section(&out, "bus-fault");
    line(&s, "injected inject_bus_fault(0x87654000, Read)", &out);
    line(
        &s,
        "detected GPU fault status 0x680 (exception 0x80) address 0x87654000, faults 1",
        &out,
    );
    line(&s, "job after the fault fence ok state 0 (none)", &out);
    line(&s, "resets 0 failed 0", &out);
    line(
        &s,
        "requested reset: GPU_FAULTSTATUS 0x680 -> 0x0, faults 1",
        &out,
    );
    line(&s, "resets 1 failed 0", &out);
    line(&s, "last reset cause Requested latency ", &out);
    recovered(&s, &out);
}

#[test]
fn all_runs_every_class() {
    let out = run(Class::All).unwrap();
    for name in [
        "mcu-stuck",
        "mcu-stuck idle",
        "cs-spin",
        "as-stuck",
        "bus-fault",
    ] {
        recovered(&section(&out, name), &out);
    }
}
