// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Runtime power management and system sleep, driven as clients and the PM core drive them: an idle GPU suspends
//! after the autosuspend delay (L2 down, MCU halted, no address space in use), a submission or a query resumes it
//! transparently, `power/control` = "on" keeps it up, and a system suspend with a job in flight preempts the job
//! into its group's suspend buffer and loses nothing. Transitions are waited for with a bound, never slept for;
//! the suspend/resume latencies are printed (`cargo test -p tyr --test pm -- --nocapture`).

mod common;

use std::time::{Duration, Instant};

use common::sched::{store, Client};
use common::{ioctl, Board};
use kernel::code::{EINVAL, ETIME};
use tyr::debugfs::pm::{pm, wait_for_status};
use tyr::pm::{system_resume, system_suspend, RpmStatus, AUTOSUSPEND_DELAY_MS};
use tyr::uapi::ioctl::DRM_IOCTL_PANTHOR_DEV_QUERY;
use tyr::uapi::{drm_panthor_dev_query, drm_panthor_timestamp_info};

const STREAM: u64 = 0x100_0000;
const TARGET: u64 = 0x100_1000;
const SYNC: u64 = 0x100_2000;
const STREAM2: u64 = 0x100_3000;
/// Bound on a transition the PM worker makes (the delay is 50 ms; the host may be loaded).
const BOUND: Duration = Duration::from_secs(10);
const LONG_MS: u64 = 10_000;

fn client() -> (Board, Client) {
    let b = Board::boot();
    let c = Client::new(&b.dev, b.open());
    (b, c)
}

fn sysfs_read(b: &Board, path: &str) -> String {
    String::from_utf8(tyr::sysfs::read(&b.dev, path).unwrap()).unwrap()
}

fn sysfs_write(b: &Board, path: &str, text: &str) {
    tyr::sysfs::write(&b.dev, path, text.as_bytes()).unwrap();
}

/// The model's view: (L2 ready, shader ready, MCU_STATUS).
fn hw_power(b: &Board) -> (u64, u64, u32) {
    let p = b.soc.board().gpu().power_state();
    (p.l2_ready, p.shader_ready, p.mcu_status)
}

fn suspended(b: &Board) {
    assert!(
        wait_for_status(&b.dev, RpmStatus::Suspended, BOUND),
        "not suspended: {:?}",
        pm(&b.dev)
    );
}

#[test]
fn an_idle_gpu_suspends_after_the_autosuspend_delay() {
    let t = Instant::now();
    let b = Board::boot();
    suspended(&b);
    let after = t.elapsed();
    let v = pm(&b.dev);
    assert!(
        after >= Duration::from_millis(AUTOSUSPEND_DELAY_MS as u64),
        "{after:?}"
    );
    assert_eq!(v.usage_count, 0);
    assert!(!v.as_in_use, "every address space released");
    assert!(!v.sched_has_ref);
    assert_eq!(v.stats.suspends, 1);
    assert_eq!(v.stats.unclean_halts, 0);
    let (l2, shader, mcu) = hw_power(&b);
    assert_eq!((l2, shader), (0, 0), "L2 and shader cores powered down");
    assert_eq!(
        mcu,
        hw_mali::regs::mcu::STATUS_HALT,
        "the MCU is halted, not stopped"
    );
    assert_eq!(sysfs_read(&b, "power/runtime_status"), "suspended\n");
    assert_eq!(sysfs_read(&b, "power/autosuspend_delay_ms"), "50\n");
    println!(
        "probe to suspended: {after:?}; suspend took {:?}",
        v.stats.last_suspend.unwrap()
    );
}

#[test]
fn a_submission_resumes_the_gpu_and_its_job_completes() {
    let (b, c) = client();
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0xC0FF_EE00));
    let g = c.group(1);
    suspended(&b);
    for round in 1..=3u32 {
        let out = c.syncobj();
        c.submit(g, STREAM, 32, &[], out).unwrap();
        c.wait(out, LONG_MS).unwrap();
        assert_eq!(c.fence_error(out), None, "round {round}");
        assert_eq!(c.read_u32(target, 0), 0xC0FF_EE00, "round {round}");
        c.write(target, &[0]);
        let v = pm(&b.dev);
        assert_eq!(v.stats.resumes, u64::from(round), "{v:?}");
        // Idle again: suspended again, its group saved off its slot.
        suspended(&b);
        assert_eq!(pm(&b.dev).stats.suspends, u64::from(round) + 1);
    }
    assert_eq!(c.state(g), (0, 0));
    assert_eq!(
        tyr::debugfs::device::firmware_reloads(&b.dev),
        0,
        "fast resumes boot the MCU from its memory"
    );
    let s = pm(&b.dev).stats;
    println!(
        "suspend {:?}, resume {:?} (last of {} each)",
        s.last_suspend.unwrap(),
        s.last_resume.unwrap(),
        s.resumes
    );
}

#[test]
fn a_timestamp_query_resumes_the_gpu_and_lets_it_sleep_again() {
    let b = Board::boot();
    let f = b.open();
    suspended(&b);
    let mut info = drm_panthor_timestamp_info::default();
    let mut q = drm_panthor_dev_query {
        type_: tyr::uapi::DRM_PANTHOR_DEV_QUERY_TIMESTAMP_INFO,
        size: core::mem::size_of::<drm_panthor_timestamp_info>() as u32,
        pointer: &mut info as *mut _ as u64,
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
    assert_ne!(info.timestamp_frequency, 0);
    assert_eq!(pm(&b.dev).stats.resumes, 1);
    suspended(&b);
    assert_eq!(pm(&b.dev).stats.suspends, 2);
}

#[test]
fn power_control_on_keeps_the_gpu_up_and_auto_lets_it_sleep() {
    let b = Board::boot();
    suspended(&b);
    assert_eq!(tyr::sysfs::write(&b.dev, "power/control", b"on\n"), Ok(3));
    // Forbidding resumes synchronously.
    assert_eq!(pm(&b.dev).status, RpmStatus::Active);
    assert_eq!(sysfs_read(&b, "power/control"), "on\n");
    assert_eq!(sysfs_read(&b, "power/runtime_status"), "active\n");
    // control's own reference; the scheduler's worker holds another for the length of a round that touches the GPU
    // (a tick or the watchdog's ping), so a read may land inside one.
    let usage: u32 = sysfs_read(&b, "power/runtime_usage")
        .trim()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&usage), "usage {usage}");
    // Ten delays later it is still up.
    assert!(!wait_for_status(
        &b.dev,
        RpmStatus::Suspended,
        Duration::from_millis(10 * AUTOSUSPEND_DELAY_MS as u64)
    ));
    assert_ne!(hw_power(&b).0, 0, "the L2 stays powered");
    for bad in [&b"off"[..], b"", b"onn", b"auto\nauto"] {
        let want = if bad.is_empty() { Ok(0) } else { Err(EINVAL) };
        assert_eq!(
            tyr::sysfs::write(&b.dev, "power/control", bad),
            want,
            "{bad:?}"
        );
    }
    assert_eq!(tyr::sysfs::write(&b.dev, "power/control", b"auto"), Ok(4));
    suspended(&b);
    // A negative delay also keeps it up, and resumes it.
    assert_eq!(
        tyr::sysfs::write(&b.dev, "power/autosuspend_delay_ms", b"-1\n"),
        Ok(3)
    );
    assert_eq!(pm(&b.dev).status, RpmStatus::Active);
    assert_eq!(
        tyr::sysfs::write(&b.dev, "power/autosuspend_delay_ms", b"20"),
        Ok(2)
    );
    suspended(&b);
    assert_eq!(sysfs_read(&b, "power/autosuspend_delay_ms"), "20\n");
}

/// CS instruction encoders (`Documentation/hardware.md#encodings`) for the blocking stream below.
fn move48(d: u64, imm: u64) -> u64 {
    1 << 56 | d << 48 | (imm & 0xFFFF_FFFF_FFFF)
}
fn move32(r: u64, imm: u32) -> u64 {
    2 << 56 | r << 48 | u64::from(imm)
}
fn wait(mask: u64) -> u64 {
    3 << 56 | mask << 16
}
fn stm(base: u64, addr: u64, mask: u64) -> u64 {
    21 << 56 | base << 48 | addr << 40 | mask << 16
}
fn sync_wait32(addr: u64, data: u64, cond: u64) -> u64 {
    39 << 56 | addr << 40 | data << 32 | cond << 28
}

#[test]
fn system_sleep_with_a_job_in_flight_loses_nothing() {
    let (b, c) = client();
    let target = c.bo_at(TARGET, &[]);
    let sync = c.bo_at(SYNC, &[]);
    // r10 is set before the job blocks on a sync object the CPU writes; it is stored after: a job that comes back
    // from the suspend with its registers stores 0xABCD.
    let blocking = [
        move32(10, 0xABCD),
        move48(0, SYNC),
        move32(2, 2),
        sync_wait32(0, 2, 2),
        move48(20, TARGET),
        stm(10, 20, 1),
        wait(0xFF),
    ];
    c.bo_at(STREAM, &blocking);
    let g = c.group(1);
    let out = c.syncobj();
    c.submit(g, STREAM, 8 * blocking.len() as u32, &[], out)
        .unwrap();
    assert_eq!(c.wait(out, 200), Err(ETIME), "the job is blocked in flight");
    assert!(pm(&b.dev).sched_has_ref, "jobs in flight hold the GPU");

    let t = Instant::now();
    system_suspend(&b.dev).unwrap();
    let suspend_took = t.elapsed();
    let v = pm(&b.dev);
    assert_eq!(v.status, RpmStatus::Suspended);
    assert_eq!(
        v.runtime_status, "unsupported",
        "runtime PM is off during the sleep"
    );
    assert_eq!(hw_power(&b).0, 0, "the L2 is down");
    assert_eq!(
        c.wait(out, 100),
        Err(ETIME),
        "preempted, neither done nor failed"
    );

    let t = Instant::now();
    system_resume(&b.dev).unwrap();
    let resume_took = t.elapsed();
    assert_eq!(pm(&b.dev).status, RpmStatus::Active, "in use, so resumed");
    // Release the job: the CPU writes the sync object, a second job rings the queue's doorbell.
    c.write(sync, &[2]);
    let out2 = c.syncobj();
    c.bo_at(STREAM2, &store(TARGET + 4, 0x5EC0_D000));
    c.submit(g, STREAM2, 32, &[], out2).unwrap();
    c.wait(out, LONG_MS).unwrap();
    c.wait(out2, LONG_MS).unwrap();
    assert_eq!(c.fence_error(out), None);
    assert_eq!(
        c.read_u32(target, 0),
        0xABCD,
        "the preempted job resumed with its registers"
    );
    assert_eq!(c.read_u32(target, 4), 0x5EC0_D000);
    assert_eq!(c.state(g), (0, 0));
    // Idle after the sleep: runtime PM suspends it again.
    suspended(&b);
    println!("system suspend with a job in flight {suspend_took:?}, resume {resume_took:?}");
}

#[test]
fn an_idle_gpu_stays_asleep_across_a_system_sleep() {
    let b = Board::boot();
    suspended(&b);
    system_suspend(&b.dev).unwrap();
    system_resume(&b.dev).unwrap();
    let v = pm(&b.dev);
    assert_eq!(v.status, RpmStatus::Suspended, "nobody needed it");
    assert_eq!((v.stats.suspends, v.stats.resumes), (1, 0));
    assert_eq!(v.runtime_status, "suspended");
}

/// A halt the firmware does not answer (its MCU stuck when the idle GPU autosuspends) makes the suspend unclean: the
/// GPU is soft-reset instead of its L2 powered down, and the next resume is a slow one that reloads every firmware
/// section before booting the MCU (`panthor_fw_post_reset` with `reset.fast` false). Work runs afterwards.
#[test]
fn an_unanswered_halt_makes_a_slow_resume_that_reloads_the_firmware() {
    let (b, c) = client();
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0xC0FF_EE00));
    // Awake and idle, then the MCU hangs; nothing is resident, so only the halt asks anything of it.
    sysfs_write(&b, "power/control", "on");
    let v = pm(&b.dev);
    let reloads = tyr::debugfs::device::firmware_reloads(&b.dev);
    b.soc.board().gpu().inject_mcu_stuck();
    sysfs_write(&b, "power/control", "auto");
    suspended(&b);
    let after = pm(&b.dev);
    assert_eq!(
        after.stats.unclean_halts,
        v.stats.unclean_halts + 1,
        "{after:?}"
    );
    assert!(
        !b.soc.board().gpu().injected().mcu_stuck,
        "the soft reset of an unclean suspend clears the hang"
    );
    let g = c.group(1);
    let out = c.syncobj();
    c.submit(g, STREAM, 32, &[], out).unwrap();
    c.wait(out, LONG_MS).unwrap();
    assert_eq!(c.fence_error(out), None);
    assert_eq!(c.read_u32(target, 0), 0xC0FF_EE00);
    let s = pm(&b.dev).stats;
    assert_eq!(s.failed_resumes, 0, "{s:?}");
    assert_eq!(s.resumes, after.stats.resumes + 1, "{s:?}");
    assert_eq!(
        tyr::debugfs::device::firmware_reloads(&b.dev),
        reloads + 1,
        "the slow resume reloaded the sections"
    );
}
