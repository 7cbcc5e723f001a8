// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Tests of the trace parser and its timeline and summary.

use super::show::describe;
use super::*;

#[test]
fn durations_parse_in_every_unit() {
    assert_eq!(parse_duration_ns("812ns"), Some(812.0));
    assert_eq!(parse_duration_ns("12.5µs"), Some(12_500.0));
    assert_eq!(parse_duration_ns("1.5ms"), Some(1_500_000.0));
    assert_eq!(parse_duration_ns("2s"), Some(2e9));
}

#[test]
fn shader_dispatches_show_their_grid_work_and_fault() {
    let line = |fault: &str| {
        format!(
            "{{\"timestamp\":\"0.5s\",\"level\":\"INFO\",\"fields\":{{\"message\":\"dispatch\",\"shader\":17825792,\"local\":\"64x1x1\",\"groups\":\"256x1x1\",\"workgroups\":256,\"thread_instructions\":98304,\"workers\":2,\"fault\":\"{fault}\"}},\"target\":\"hw_mali::shader\",\"threadId\":\"ThreadId(4)\"}}"
        )
    };
    let text = [
        line(""),
        line("workgroup 16: MMU fault 0xc1 at 0x41001000 (instruction 0x1100028)"),
    ]
    .join("\n");
    let rows = rows(&text);
    assert_eq!(rows.len(), 2);
    let ok = describe(&rows[0]);
    assert_eq!(
        ok,
        "shader dispatch 256x1x1 workgroups of 64x1x1 (256 workgroups) shader 0x1100000 98304 thread-instructions on 2 worker(s)"
    );
    let bad = describe(&rows[1]);
    assert!(
        bad.ends_with(
            "!! fault: workgroup 16: MMU fault 0xc1 at 0x41001000 (instruction 0x1100028)"
        ),
        "{bad}"
    );
    let sum = summary(&rows);
    assert!(
        sum.contains("shader dispatches                   2"),
        "{sum}"
    );
    assert!(
        sum.contains("shader thread-instructions     196608"),
        "{sum}"
    );
    assert!(
        sum.contains("shader faults                       1"),
        "{sum}"
    );
}

/// Runs in a child process of the test binary (see below): writes the demo's trace to `TYR_TRACE_DEMO_OUT`.
#[test]
#[ignore = "run by the_demo_timeline_... in a child process"]
fn demo_capture_child() {
    if let Some(out) = std::env::var_os("TYR_TRACE_DEMO_OUT") {
        std::fs::write(out, run_demo("debug,tyr::gpuvm=trace").unwrap()).unwrap();
    }
}

#[test]
fn the_demo_timeline_shows_ioctls_bind_ops_gpuvm_steps_and_their_results() {
    // The capture uses a thread-local subscriber; other tests of this binary run the same callsites on their
    // threads at the same time, which can leave tracing's per-callsite interest cache saying "nobody listens".
    // `tyr trace` itself runs in its own process with a global subscriber, so the capture runs in one too.
    let out = std::env::temp_dir().join(format!("tyr-trace-demo-{}.json", std::process::id()));
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "trace::tests::demo_capture_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env("TYR_TRACE_DEMO_OUT", &out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let json = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let rows = rows(&json);
    let ioctls: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Span && r.name == "ioctl")
        .collect();
    let names: Vec<&str> = ioctls
        .iter()
        .map(|r| r.fields["ioctl"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["VM_CREATE", "BO_CREATE", "BO_CREATE", "VM_BIND"]);
    assert!(ioctls
        .iter()
        .all(|r| r.fields["result"] == 0 && r.busy_ns.is_some()));
    // The bind's five ops nest under the VM_BIND span, their GPUVM steps under them.
    // (The probe's binds of firmware sections in the MCU's VM 0 come first, outside any ioctl.)
    let ops: Vec<&Row> = rows
        .iter()
        .filter(|r| r.name == "vm_bind_op" && r.fields["vm"] == 1)
        .collect();
    assert_eq!(ops.len(), 5);
    assert!(ops.iter().all(|r| r.depth == 1));
    let steps: Vec<(&str, usize)> = rows
        .iter()
        .filter(|r| r.name.starts_with("sm_step"))
        .map(|r| (r.name.as_str(), r.depth))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.name == "sm_step_remap" && r.depth == 2),
        "{steps:?}"
    );
    let text = render(&rows);
    assert!(text.contains("ioctl VM_BIND = 0"), "{text}");
    assert!(
        text.contains("bind op map_sparse [0x1000000, 0x1008000) vm 1"),
        "{text}"
    );
    assert!(text.contains("bind ops (unmap)"), "{text}");
}
