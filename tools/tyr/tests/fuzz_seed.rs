// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Seeds from traces: a client's ioctls, traced with `tyr fuzz-seed`'s filter, converted to a seed of the `ioctls`
//! fuzz target and run through the target's own input path (`tyr_cli::fuzz::input::run`) on a fresh device, issue
//! the same ioctls — same files, commands, argument bytes, buffers read and results — as the client did; and the
//! committed seeds under fuzz/corpus/ioctls replay clean.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tyr::drm_device::TyrDrmFile;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_cli::client;
use tyr_cli::fuzz::call::Step;
use tyr_cli::fuzz::exec::Executor;
use tyr_cli::fuzz::from_trace::{self, TracedIoctl, TRACE_FILTER};
use tyr_cli::fuzz::input::{self, FILES, MAX_STEPS};
use tyr_cli::fuzz::seed;

/// The executor's checks count descriptors and anonymous files process-wide: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Clone, Default)]
struct Records(Arc<Mutex<Vec<u8>>>);

impl Write for Records {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The ioctls `f` makes while traced on this thread.
fn traced<R>(f: impl FnOnce() -> R) -> (R, Vec<TracedIoctl>) {
    let rec = Records::default();
    let w = rec.clone();
    let sub = tyr_trace_setup::json_subscriber(TRACE_FILTER, move || w.clone());
    let r = tracing::subscriber::with_default(sub, f);
    let text = String::from_utf8(rec.0.lock().unwrap().clone()).unwrap();
    (r, from_trace::ioctls(&text))
}

/// What an IGT port does, in small: query the GPU, make a VM, a BO mapped in it, a group, a syncobj; submit a job
/// signalling it and wait; then tear down — across two files, with one call that fails.
fn client_workload(a: &TyrDrmFile, b: &TyrDrmFile) {
    let mut gpu = [0u8; 112];
    let mut q = drm_panthor_dev_query {
        type_: 0,
        size: 112,
        pointer: gpu.as_mut_ptr() as u64,
    };
    client::ioctl(a, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
    let vm = client::vm_create(a).unwrap();
    let bo = client::bo_create(a, 0x10000).unwrap();
    client::map(a, vm, bo, 0x100_0000, 0x10000, 0).unwrap();
    let group = client::group_create(a, vm).unwrap();
    let sync = client::syncobj_create(a).unwrap();
    client::submit(a, group, 0x100_0000, 8, sync).unwrap();
    let handles = [sync];
    let mut w = drm_syncobj_wait {
        handles: handles.as_ptr() as u64,
        count_handles: 1,
        timeout_nsec: i64::MAX,
        flags: 1,
        ..Default::default()
    };
    client::ioctl(a, DRM_IOCTL_SYNCOBJ_WAIT, &mut w).unwrap();
    // Another file: its own VM, and a VM id of the first file it does not hold (ENOENT).
    let vm_b = client::vm_create(b).unwrap();
    let mut bad = drm_panthor_vm_destroy { id: vm + 7, pad: 0 };
    assert!(client::ioctl(b, DRM_IOCTL_PANTHOR_VM_DESTROY, &mut bad).is_err());
    let mut d = drm_panthor_vm_destroy { id: vm_b, pad: 0 };
    client::ioctl(b, DRM_IOCTL_PANTHOR_VM_DESTROY, &mut d).unwrap();
    let mut gd = drm_panthor_group_destroy {
        group_handle: group,
        pad: 0,
    };
    client::ioctl(a, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut gd).unwrap();
}

/// The sequence as the replay sees it: the calls (argument, buffers and links) and their results.
fn shape(t: &[TracedIoctl]) -> (Vec<Step>, Vec<Option<i64>>) {
    (
        from_trace::steps(t, FILES, MAX_STEPS),
        t.iter().map(|x| x.result).collect(),
    )
}

/// `steps` with every SYNCOBJ_WAIT's absolute timeout left out, for comparing a replay with its trace: the input
/// path brings a literal one within a second of the replay's clock (`tyr_cli::fuzz::bounded`).
fn without_wait_timeouts(mut steps: Vec<Step>) -> Vec<Step> {
    for s in &mut steps {
        if let Step::Ioctl(c) = s {
            if c.cmd == DRM_IOCTL_SYNCOBJ_WAIT {
                c.bytes[8..16].fill(0);
            }
        }
    }
    steps
}

#[test]
fn a_converted_trace_replays_the_same_ioctls_through_the_targets_input_path() {
    let _serial = serial();
    let ex = Executor::new(FILES).unwrap();
    let files = ex.files().to_vec();
    let ((), client) = traced(|| client_workload(&files[0], &files[1]));
    drop(files);
    drop(ex);
    assert_eq!(client.len(), 12, "{client:#?}");
    assert!(client.iter().all(|t| t.result.is_some()));
    // The VM_BIND and GROUP_SUBMIT arrays were found and linked.
    let (steps, results) = shape(&client);
    let linked = steps
        .iter()
        .filter(|s| matches!(s, Step::Ioctl(c) if !c.links.is_empty()))
        .count();
    assert!(linked >= 5, "{steps:#?}");

    let (bytes, n) = seed::encode(&steps, &[]);
    assert_eq!(n, 12);
    let mut ex = Executor::new(FILES).unwrap();
    let (run, replay) = traced(|| input::run(&mut ex, &bytes, FILES, MAX_STEPS));
    let run = run.unwrap();
    assert_eq!(run.scripted, 12);
    assert_eq!(run.steps.len(), 12, "no generated steps without choices");
    let (steps_again, results_again) = shape(&replay);
    assert_eq!(results_again, results);
    assert_eq!(
        without_wait_timeouts(steps_again),
        without_wait_timeouts(steps)
    );
}

#[test]
fn a_seed_with_choices_runs_generated_steps_after_its_script() {
    let _serial = serial();
    let ex = Executor::new(FILES).unwrap();
    let files = ex.files().to_vec();
    let ((), client) = traced(|| client_workload(&files[0], &files[1]));
    drop(files);
    drop(ex);
    let (bytes, _) = seed::encode(&from_trace::steps(&client, FILES, 4), &[7; 64]);
    let mut ex = Executor::new(FILES).unwrap();
    let run = input::run(&mut ex, &bytes, FILES, MAX_STEPS).unwrap();
    assert_eq!(run.scripted, 4);
    assert!(run.steps.len() > 4);
}

#[test]
fn the_committed_trace_seeds_replay_clean() {
    let _serial = serial();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/ioctls");
    // Listed first: the directory's descriptor must be closed before the runs count descriptors.
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut ex = Executor::new(FILES).unwrap();
    let mut seeds = 0;
    // The seeds `tyr fuzz-seed` wrote (`trace-*`, `scenario-*`); the corpus's other files are libFuzzer's
    // mutations of them, whose scripts may have lost every step.
    let written = |p: &std::path::Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("trace-") || n.starts_with("scenario-"))
    };
    for p in paths.into_iter().filter(|p| written(p)) {
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            bytes.starts_with(seed::MAGIC),
            "{} is not a seed",
            p.display()
        );
        seeds += 1;
        let run = input::run(&mut ex, &bytes, FILES, MAX_STEPS)
            .unwrap_or_else(|m| panic!("{}: {m}", p.display()));
        assert!(run.scripted > 0, "{}", p.display());
    }
    assert!(seeds > 0, "no trace seed in {}", dir.display());
}

#[test]
fn the_scenarios_run_clean_and_their_descriptor_calls_succeed() {
    let _serial = serial();
    use tyr_cli::fuzz::scenarios;
    let mut ex = Executor::new(FILES).unwrap();
    for (name, script) in scenarios::all() {
        let (bytes, n) = seed::encode_script(&script, &[]);
        assert_eq!(n, script.len(), "{name}: every step has an encoding");
        let run =
            input::run(&mut ex, &bytes, FILES, MAX_STEPS).unwrap_or_else(|m| panic!("{name}: {m}"));
        assert_eq!(run.scripted, script.len());
        let ok = |k: &str| run.stats.per_ioctl.get(k).map_or(0, |x| x.0);
        let want: &[(&str, u64)] = match name {
            "sync_file" => &[
                ("SYNC_IOC_MERGE", 2),
                ("SYNC_IOC_FILE_INFO", 2),
                ("SYNCOBJ_FD_TO_HANDLE", 2),
            ],
            "dma_buf" => &[
                ("DMA_BUF_EXPORT_SYNC_FILE", 2),
                ("DMA_BUF_IMPORT_SYNC_FILE", 2),
                ("PRIME_FD_TO_HANDLE", 2),
            ],
            "sw_sync" => &[
                ("SW_SYNC_IOC_CREATE_FENCE", 3),
                ("SW_SYNC_IOC_INC", 2),
                ("SYNCOBJ_FD_TO_HANDLE", 2),
                ("SYNCOBJ_EVENTFD", 1),
            ],
            _ => &[
                ("SYNCOBJ_TIMELINE_SIGNAL", 3),
                ("SYNCOBJ_TRANSFER", 4),
                ("SYNCOBJ_TIMELINE_WAIT", 2),
            ],
        };
        for &(k, n) in want {
            assert!(
                ok(k) >= n,
                "{name}: {k} succeeded {} times, want {n}\n{}",
                ok(k),
                run.stats
            );
        }
    }
}

/// Regression (the `ioctls` target, a mutated seed): a script's link whose offset lies past the end of the bytes it
/// patches made the executor grow those bytes past the region laid out for them and copy over the guard page.
#[test]
fn a_link_past_the_end_of_its_argument_is_not_written() {
    use tyr_cli::fuzz::call::{Buf, Call, Link, Loc, PtrKind};
    let _serial = serial();
    let call = Call {
        file: 0,
        cmd: DRM_IOCTL_PANTHOR_VM_CREATE,
        arg: PtrKind::Valid,
        bytes: vec![0; 16],
        bufs: vec![Buf {
            ptr: PtrKind::Valid,
            bytes: vec![1; 8],
        }],
        links: vec![
            Link {
                at: Loc::Arg,
                offset: 0x3000,
                buf: 0,
            },
            Link {
                at: Loc::Buf(0),
                offset: 4,
                buf: 0,
            },
        ],
    };
    let (bytes, _) = seed::encode(&[Step::Ioctl(call)], &[]);
    let mut ex = Executor::new(FILES).unwrap();
    let run = input::run(&mut ex, &bytes, FILES, MAX_STEPS).unwrap();
    assert_eq!(run.stats.per_ioctl.get("VM_CREATE").map(|x| x.0), Some(1));
}

/// Regression (the `ioctls` target, a mutated seed): PRIME_HANDLE_TO_FD called with a command without the OUT
/// direction makes the dma-buf but, as `drm_ioctl` copies out only what the caller's command says is written, never
/// tells the caller its number. The executor took that for a wrong descriptor written back.
#[test]
fn a_descriptor_made_by_a_command_without_out_direction_is_not_reported_as_written() {
    let _serial = serial();
    let script =
        "ioctl f=0 cmd=0xc0186445 arg=valid:005000000000000000000000000000000000000000000000\n\
                  ioctl f=0 cmd=0x400c642d arg=valid:010000000200080000000000\n";
    let steps = tyr_cli::fuzz::script::parse(script).unwrap();
    let stats = tyr_cli::fuzz::replay(&steps, FILES).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stats.per_ioctl.get("PRIME_HANDLE_TO_FD").map(|x| x.0),
        Some(1)
    );
}

/// A campaign once stalled on a mutated seed whose SYNCOBJ_WAIT (WAIT_FOR_SUBMIT, on a syncobj nothing will ever
/// signal) had a timeout centuries ahead: a valid call the driver sleeps through. The target's input path bounds it.
#[test]
fn a_literal_wait_for_centuries_ends_within_the_bound() {
    use tyr_cli::fuzz::call::{Buf, Call, Link, Loc, PtrKind};
    let _serial = serial();
    let create = Step::Ioctl(Call {
        file: 0,
        cmd: DRM_IOCTL_SYNCOBJ_CREATE,
        arg: PtrKind::Valid,
        bytes: vec![0; 8],
        bufs: Vec::new(),
        links: Vec::new(),
    });
    let mut wait = vec![0u8; 32];
    wait[8..16].copy_from_slice(&i64::MAX.to_ne_bytes());
    wait[16..20].copy_from_slice(&1u32.to_ne_bytes());
    wait[20..24].copy_from_slice(&2u32.to_ne_bytes()); // WAIT_FOR_SUBMIT
    let wait = Step::Ioctl(Call {
        file: 0,
        cmd: DRM_IOCTL_SYNCOBJ_WAIT,
        arg: PtrKind::Valid,
        bytes: wait,
        bufs: vec![Buf {
            ptr: PtrKind::Valid,
            bytes: 1u32.to_ne_bytes().to_vec(),
        }],
        links: vec![Link {
            at: Loc::Arg,
            offset: 0,
            buf: 0,
        }],
    });
    let (bytes, n) = seed::encode(&[create, wait], &[]);
    assert_eq!(n, 2);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut ex = Executor::new(FILES).unwrap();
        let run = input::run(&mut ex, &bytes, FILES, MAX_STEPS).map(|r| r.scripted);
        let _ = tx.send(run);
    });
    // A watchdog, not a measurement: unbounded, the wait would hold this test for the timeout's centuries.
    let run = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the literal wait was not bounded");
    assert_eq!(run, Ok(2));
}
