// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Empty jobs (GROUP_SUBMIT with stream size 0), as drm_sched and `queue_run_job` treat them: such a job waits for
//! every dependency of its submit, leaves its queue in order behind the jobs submitted before it, and then completes
//! with the last job written to the ring (at once, with that job's error if any, when that one is already done). A
//! dependency's error is not the job's: drm_sched runs a job whatever its dependencies signalled with.

mod common;

use common::sched::{store, Client};
use common::Board;
use kernel::code::{EINVAL, EIO, ETIME};

const STREAM: u64 = 0x100_0000;
const TARGET: u64 = 0x100_1000;
/// How long a job that must not signal is given to (wrongly) do so.
const SHORT_MS: u64 = 200;
const LONG_MS: u64 = 10_000;

fn client() -> (Board, Client) {
    let b = Board::boot();
    let c = Client::new(&b.dev, b.open());
    (b, c)
}

#[test]
fn an_empty_job_waits_for_its_dependencies() {
    let (_b, c) = client();
    let g = c.group(1);
    for round in 0..5 {
        let (gate, fence) = c.gated_syncobj();
        let out = c.syncobj();
        c.submit(g, 0, 0, &[gate], out).unwrap();
        assert_eq!(
            c.wait(out, SHORT_MS),
            Err(ETIME),
            "round {round}: signalled before its dependency"
        );
        fence.signal().unwrap();
        c.wait(out, LONG_MS).unwrap();
        assert_eq!(c.fence_error(out), None, "round {round}");
    }
    // A dependency already signalled (SYNCOBJ_SIGNAL before the submit) holds nothing up.
    let dep = c.syncobj();
    c.signal(dep);
    let out = c.syncobj();
    c.submit(g, 0, 0, &[dep], out).unwrap();
    c.wait(out, LONG_MS).unwrap();
    assert_eq!(c.fence_error(out), None);
    assert_eq!(c.state(g), (0, 0));
}

#[test]
fn an_empty_job_is_ordered_after_the_queues_earlier_jobs() {
    let (_b, c) = client();
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0xC0FF_EE00));
    let g = c.group(1);
    // A store held back by a dependency, then an empty job with none: the empty job must wait for the store.
    let (gate, fence) = c.gated_syncobj();
    let (out_store, out_empty) = (c.syncobj(), c.syncobj());
    c.submit(g, STREAM, 32, &[gate], out_store).unwrap();
    c.submit(g, 0, 0, &[], out_empty).unwrap();
    assert_eq!(
        c.wait(out_empty, SHORT_MS),
        Err(ETIME),
        "overtook the store before it"
    );
    assert_eq!(c.read_u32(target, 0), 0);
    fence.signal().unwrap();
    c.wait(out_empty, LONG_MS).unwrap();
    assert_eq!(c.fence_error(out_empty), None);
    assert_eq!(
        c.read_u32(target, 0),
        0xC0FF_EE00,
        "the store ran by the time the empty job signalled"
    );
    c.wait(out_store, LONG_MS).unwrap();
}

#[test]
fn dependency_errors_are_not_propagated_but_the_last_jobs_error_is() {
    let (_b, c) = client();
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0xABCD_0001));
    let g = c.group(1);
    // A dependency failing: the empty job still signals without error (no job ran before it on its queue) …
    let (gate, fence) = c.gated_syncobj();
    let out = c.syncobj();
    c.submit(g, 0, 0, &[gate], out).unwrap();
    fence.signal_error(EIO).unwrap();
    c.wait(out, LONG_MS).unwrap();
    assert_eq!(
        c.fence_error(out),
        None,
        "drm_sched does not hand a dependency's error to the job"
    );
    // … and a real job whose dependency failed runs.
    let (gate, fence) = c.gated_syncobj();
    let out = c.syncobj();
    c.submit(g, STREAM, 32, &[gate], out).unwrap();
    fence.signal_error(EIO).unwrap();
    c.wait(out, LONG_MS).unwrap();
    assert_eq!(c.fence_error(out), None);
    assert_eq!(c.read_u32(target, 0), 0xABCD_0001);

    // An empty job behind a job that faults takes that job's error (on another VM: a fault kills every group
    // resident on the faulting VM).
    let d = c.other_vm();
    let bad = d.group(1);
    let (out_bad, out_empty) = (d.syncobj(), d.syncobj());
    // Held back until both are queued: the group takes no job once it is fatal.
    let (gate, fence) = d.gated_syncobj();
    d.submit(bad, 0x10_0000, 8, &[gate], out_bad).unwrap();
    d.submit(bad, 0, 0, &[], out_empty).unwrap();
    fence.signal().unwrap();
    d.wait(out_empty, LONG_MS).unwrap();
    assert_eq!(d.fence_error(out_empty), Some(EINVAL));
    d.wait(out_bad, LONG_MS).unwrap();
    assert_eq!(d.fence_error(out_bad), Some(EINVAL));
    // And an empty job on another group waiting for that failed job: the error stays with the failed job.
    // (Both VMs are the same file's, so the syncobj is at hand.)
    let out = c.syncobj();
    c.submit(g, 0, 0, &[out_bad], out).unwrap();
    c.wait(out, LONG_MS).unwrap();
    assert_eq!(
        c.fence_error(out),
        None,
        "its queue's last job (the store) succeeded"
    );
}
