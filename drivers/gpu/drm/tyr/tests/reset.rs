// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPU hang detection and reset (`panthor_device_reset_work` and the hangs that schedule it), through the ioctls on a
//! booted board whose model has hangs injected (`Documentation/hardware.md#fault-injection`): each hang class is
//! recovered; resident groups end SUSPENDED-and-resumed, TIMEDOUT or TIMEDOUT|INNOCENT as Panthor decides; every
//! fence of a cancelled job signals with its error and no other; VMs, BOs and mappings survive; new work runs after.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use common::sched::{increment, store, Client, LOOP};
use common::Board;
use hw_mali::mmu::AccessType;
use hw_mali::Mali;
use kernel::code::{ECANCELED, ENODEV, ETIMEDOUT};
use tyr::debugfs::device::{
    as_slots, gpu_faults, late_acks, resets, schedule_reset, set_job_timeout, set_ping_interval,
    set_progress_timer,
};
use tyr::debugfs::{check_files, ResetCause};
use tyr::drm_device::TyrDrmDevice;

/// GPU VAs: a stream, the BO it stores into, a looping stream, a counter.
const STREAM: u64 = 0x100_0000;
const TARGET: u64 = 0x100_1000;
const LOOPING: u64 = 0x100_2000;
const COUNTER: u64 = 0x100_3000;
/// GROUP_GET_STATE flags.
const TIMEDOUT: u32 = 1;
const INNOCENT: u32 = 4;

fn mali(b: &Board) -> Arc<Mali> {
    b.soc.board().gpu().clone()
}

/// A booted board kept powered (`echo on > power/control`): these tests are about hangs on a running GPU, and an idle
/// one would otherwise autosuspend after 50 ms, which stops the firmware watchdog (as `panthor_fw_suspend` cancels
/// the ping work) and, on resume, puts the firmware's progress timer back to Panthor's value.
fn boot() -> Board {
    let b = Board::boot();
    tyr::sysfs::write(&b.dev, "power/control", b"on").unwrap();
    b
}

/// Waits up to 20 s for `cond`, checking it whenever the model changes (or every millisecond); panics naming
/// `what` otherwise.
fn wait_for(m: &Mali, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        m.wait_until(Duration::from_millis(1), &mut cond);
    }
}

/// Waits until `n` resets have run.
fn wait_resets(m: &Mali, dev: &TyrDrmDevice, n: u64) {
    wait_for(m, "the reset", || {
        let s = resets(dev);
        s.count >= n && !s.pending
    });
}

/// Whether CSG slot `s` runs a group.
fn slot_running(m: &Mali, s: u32) -> bool {
    m.csg_latched(s).is_some_and(|l| l.running)
}

/// Runs the store job at [`STREAM`] on a new group of `c`, which must complete: the GPU, the VM's mappings and the
/// scheduler work.
fn store_runs(c: &Client) {
    let g = c.group(1);
    let out = c.syncobj();
    c.submit(g, STREAM, 32, &[], out).unwrap();
    c.wait(out, 10_000).unwrap();
    assert_eq!(c.fence_error(out), None, "the store job completed");
    assert_eq!(c.state(g), (0, 0));
    c.destroy_group(g);
}

#[test]
fn a_job_timeout_on_a_hung_firmware_resets_the_gpu_and_the_bystander_is_innocent() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    let target = c.bo_at(TARGET, &[]);
    let stream = c.bo_at(STREAM, &store(TARGET, 0x1111));
    c.bo_at(LOOPING, &LOOP);
    // A bystander that finished its job and stays resident on slot 0.
    let by = c.group(1);
    let o1 = c.syncobj();
    c.submit(by, STREAM, 32, &[], o1).unwrap();
    c.wait(o1, 10_000).unwrap();
    assert_eq!(c.fence_error(o1), None);
    // The culprit loops on slot 1; its job times out while the MCU is hung, so its termination is never
    // acknowledged.
    set_job_timeout(&b.dev, Duration::from_millis(300));
    let bad = c.group(1);
    let o2 = c.syncobj();
    c.submit(bad, LOOPING, 8, &[], o2).unwrap();
    wait_for(&m, "the culprit on slot 1", || slot_running(&m, 1));
    m.inject_mcu_stuck();
    c.wait(o2, 20_000).unwrap();
    assert_eq!(c.fence_error(o2), Some(ETIMEDOUT), "the culprit's job");
    wait_resets(&m, &b.dev, 1);
    assert_eq!(
        c.state(bad),
        (TIMEDOUT, 0),
        "the culprit is timed out, not innocent"
    );
    assert_eq!(
        c.state(by),
        (TIMEDOUT | INNOCENT, 0),
        "the bystander was usable when the firmware stopped answering"
    );
    assert_eq!(c.fence_error(o1), None, "a finished job keeps its result");
    let r = resets(&b.dev);
    let last = r.last.unwrap();
    assert_eq!((r.count, r.failed), (1, 0));
    assert_eq!(last.cause, ResetCause::CsgTimeout(1));
    assert_eq!(
        (last.suspended, last.innocent, last.terminated, last.ok),
        (0, 1, 2, true)
    );
    assert!(late_acks(&b.dev) >= 1);
    assert_eq!(
        m.injected(),
        hw_mali::InjectState::default(),
        "the reset cleared the hang"
    );
    eprintln!("stuck-MCU reset: latency {:?}", last.latency);

    // The GPU works again: the same VM, BO and mapping.
    c.write(stream, &store(TARGET, 0x2222));
    store_runs(&c);
    assert_eq!(c.read_u32(target, 0), 0x2222);
    common::assert_signalling_clean();
}

#[test]
fn a_reset_the_firmware_answers_suspends_and_resumes_every_group_unnoticed() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0x3333));
    c.bo_at(LOOPING, &LOOP);
    set_job_timeout(&b.dev, Duration::from_secs(60));
    let a = c.group(1);
    let oa = c.syncobj();
    c.submit(a, LOOPING, 8, &[], oa).unwrap();
    wait_for(&m, "the looping group on slot 0", || slot_running(&m, 0));

    schedule_reset(&b.dev);
    wait_resets(&m, &b.dev, 1);
    let last = resets(&b.dev).last.unwrap();
    assert_eq!(last.cause, ResetCause::Requested);
    assert_eq!(
        (last.suspended, last.innocent, last.terminated, last.ok),
        (1, 0, 0, true)
    );
    eprintln!("requested reset: latency {:?}", last.latency);
    // The looping group resumes where it was: still running its job, usable.
    wait_for(&m, "the looping group back on a slot", || {
        (0..8).any(|s| slot_running(&m, s))
    });
    assert_eq!(c.state(a), (0, 0));
    assert!(c.wait(oa, 0).is_err(), "its job is still running");
    // New work runs beside it.
    store_runs(&c);
    assert_eq!(c.read_u32(target, 0), 0x3333);
    c.destroy_group(a);
    c.wait(oa, 10_000).unwrap();
    assert_eq!(c.fence_error(oa), Some(ECANCELED));
    common::assert_signalling_clean();
}

#[test]
fn an_as_command_that_never_completes_resets_the_gpu_and_the_mappings_survive() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    let target = c.bo_at(TARGET, &[]);
    let stream = c.bo_at(STREAM, &store(TARGET, 1));
    let g = c.group(1);
    let o = c.syncobj();
    c.submit(g, STREAM, 32, &[], o).unwrap();
    c.wait(o, 10_000).unwrap();
    assert_eq!(c.fence_error(o), None);
    let (as_nr, _) = as_slots(&b.dev)
        .into_iter()
        .find(|(n, _)| *n != 0)
        .expect("the VM holds an AS");
    assert!(m.inject_as_stuck(as_nr as usize));
    // A bind on the VM locks the region: the LOCK never completes.
    let spare = c.bo();
    let map = common::map_op(spare, 0, 0x400_0000, 4096, 0);
    assert!(common::bind(&c.f, c.vm, &[map]).is_err(), "the bind fails");
    wait_resets(&m, &b.dev, 1);
    let last = resets(&b.dev).last.unwrap();
    assert_eq!(last.cause, ResetCause::AsTimeout(as_nr));
    assert_eq!((last.innocent, last.terminated, last.ok), (0, 0, true));
    assert_eq!(
        c.state(g),
        (0, 0),
        "the resident group was suspended, not killed"
    );
    // The same group, VM and mapping: the GPU translates them again.
    c.write(stream, &store(TARGET, 2));
    let o2 = c.syncobj();
    c.submit(g, STREAM, 32, &[], o2).unwrap();
    c.wait(o2, 10_000).unwrap();
    assert_eq!(c.fence_error(o2), None);
    assert_eq!(c.read_u32(target, 0), 2);
    // The failed update made the VM unusable for binds, as Panthor declares a VM whose page-table update failed;
    // another VM of the file binds and runs.
    assert_eq!(c.vm_state(), 1);
    let d = c.other_vm();
    let dtarget = d.bo_at(TARGET, &[]);
    d.bo_at(STREAM, &store(TARGET, 3));
    store_runs(&d);
    assert_eq!(d.read_u32(dtarget, 0), 3);
    common::assert_signalling_clean();
}

#[test]
fn the_progress_timer_times_a_group_out_without_a_reset() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 7));
    c.bo_at(LOOPING, &LOOP);
    set_job_timeout(&b.dev, Duration::from_secs(60));
    // The lowest OPP (300 MHz) throughout: the timer counts GPU cycles, and a looping stream would otherwise ramp the
    // clock to 850 MHz, where the model's time runs furthest behind the host's (each batch of the interpreter is a
    // fixed number of cycles), so the timer would take longer in real time for no gain in what is tested.
    tyr::devfreq::store(&b.dev, "governor", "powersave").unwrap();
    // About 34 ms at 300 MHz.
    set_progress_timer(&b.dev, 10_000).unwrap();
    // A stream that really loops.
    let g = c.group(1);
    let o = c.syncobj();
    c.submit(g, LOOPING, 8, &[], o).unwrap();
    c.wait(o, 10_000).unwrap();
    assert_eq!(c.fence_error(o), Some(ETIMEDOUT));
    assert_eq!(c.state(g), (TIMEDOUT, 0));
    // A stream made to spin after a job that completed: the next job never does.
    let h = c.group(1);
    let o1 = c.syncobj();
    c.submit(h, STREAM, 32, &[], o1).unwrap();
    c.wait(o1, 10_000).unwrap();
    assert_eq!(c.fence_error(o1), None);
    let slot = (0..8u32).find(|&s| slot_running(&m, s)).unwrap();
    assert!(m.inject_cs_spin(slot, 0));
    let o2 = c.syncobj();
    c.submit(h, STREAM, 32, &[], o2).unwrap();
    c.wait(o2, 10_000).unwrap();
    assert_eq!(c.fence_error(o2), Some(ETIMEDOUT));
    assert_eq!(c.state(h), (TIMEDOUT, 0));
    assert_eq!(
        resets(&b.dev).count,
        0,
        "Panthor does not reset for a progress timeout"
    );
    common::assert_signalling_clean();
}

#[test]
fn an_idle_firmware_that_hangs_is_caught_by_the_watchdog() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0x55));
    set_ping_interval(&b.dev, Duration::from_millis(50));
    m.inject_mcu_stuck();
    wait_resets(&m, &b.dev, 1);
    let last = resets(&b.dev).last.unwrap();
    assert_eq!((last.cause, last.ok), (ResetCause::PingTimeout, true));
    store_runs(&c);
    assert_eq!(c.read_u32(target, 0), 0x55);
}

#[test]
fn a_bus_fault_is_reported_and_a_reset_clears_it() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, 0x66));
    m.inject_bus_fault(0x8765_4000, AccessType::Read);
    wait_for(&m, "the GPU fault interrupt", || gpu_faults(&b.dev).0 == 1);
    let f = gpu_faults(&b.dev).1.unwrap();
    assert_eq!(
        (f.status & 0xff, f.address),
        (0x80, 0x8765_4000),
        "GPU_BUS_FAULT"
    );
    // Panthor logs it and goes on: no reset, work still runs.
    store_runs(&c);
    assert_eq!(resets(&b.dev).count, 0);
    assert_ne!(m.read32(0x3c).unwrap(), 0, "GPU_FAULTSTATUS holds it");
    schedule_reset(&b.dev);
    wait_resets(&m, &b.dev, 1);
    assert_eq!(m.read32(0x3c).unwrap(), 0, "the reset cleared it");
    assert_eq!(gpu_faults(&b.dev).0, 1, "and raised no new one");
}

/// One client of the soak: its own file, VM, counter and stream; each round binds and unbinds a scratch BO and runs
/// an increment job, which must succeed.
fn soak_client(
    b: &Board,
    stop: Arc<AtomicBool>,
    gate: Arc<RwLock<()>>,
    jobs: Arc<AtomicU64>,
) -> (
    Arc<tyr::drm_device::TyrDrmFile>,
    std::thread::JoinHandle<()>,
) {
    let c = Client::new(&b.dev, b.open());
    let f = c.f.clone();
    let h = std::thread::spawn(move || {
        let counter = c.bo_at(COUNTER, &[]);
        c.bo_at(STREAM, &increment(COUNTER));
        let scratch = c.bo();
        let g = c.group(1);
        let mut n = 0u32;
        while !stop.load(Ordering::Acquire) {
            let _held = gate.read().unwrap();
            let map = common::map_op(scratch, 0, 0x800_0000, 4096, 0);
            common::bind(&c.f, c.vm, &[map]).unwrap();
            let out = c.syncobj();
            c.submit(g, STREAM, 48, &[], out).unwrap();
            c.wait(out, 20_000).unwrap();
            assert_eq!(c.fence_error(out), None, "job {n}");
            common::bind(&c.f, c.vm, &[common::unmap_op(0x800_0000, 4096)]).unwrap();
            n += 1;
            assert_eq!(c.read_u32(counter, 0), n, "every job ran once");
            jobs.fetch_add(1, Ordering::Relaxed);
        }
        assert_eq!(c.state(g), (0, 0));
    });
    (f, h)
}

#[test]
fn many_resets_while_other_files_bind_and_submit_lose_nothing() {
    let b = boot();
    let m = mali(&b);
    set_job_timeout(&b.dev, Duration::from_secs(30));
    let stop = Arc::new(AtomicBool::new(false));
    let gate = Arc::new(RwLock::new(()));
    let jobs = Arc::new(AtomicU64::new(0));
    let (f1, t1) = soak_client(&b, stop.clone(), gate.clone(), jobs.clone());
    let (f2, t2) = soak_client(&b, stop.clone(), gate.clone(), jobs.clone());
    const RESETS: u64 = 20;
    let mut latencies = Vec::new();
    for i in 1..=RESETS {
        let before = jobs.load(Ordering::Relaxed);
        wait_for(&m, "jobs between resets", || {
            jobs.load(Ordering::Relaxed) >= before + 2
        });
        schedule_reset(&b.dev);
        wait_resets(&m, &b.dev, i);
        let last = resets(&b.dev).last.unwrap();
        assert!(
            last.ok && last.innocent == 0 && last.terminated == 0,
            "reset {i}: {last:?}"
        );
        latencies.push(last.latency);
        // The consistency checker, with the clients paused between rounds.
        let _paused = gate.write().unwrap();
        check_files(&[&f1, &f2]).unwrap_or_else(|e| panic!("after reset {i}: {e}"));
    }
    stop.store(true, Ordering::Release);
    t1.join().unwrap();
    t2.join().unwrap();
    assert_eq!(resets(&b.dev).count, RESETS);
    latencies.sort();
    let sum: Duration = latencies.iter().sum();
    eprintln!(
        "reset latency over {RESETS} resets (detection to scheduling resumed): min {:?} median {:?} mean {:?} max {:?}; {} jobs",
        latencies[0],
        latencies[latencies.len() / 2],
        sum / RESETS as u32,
        latencies[latencies.len() - 1],
        jobs.load(Ordering::Relaxed)
    );
    common::assert_signalling_clean();
}

/// A board with the `sched_events` fuzz target's knobs (100 ms job timeout, 50 ms watchdog ping), a client, and the
/// store job at [`STREAM`] that writes `value` at [`TARGET`] (returned).
fn fuzz_rig(value: u32) -> (Board, Arc<Mali>, Client, u32) {
    let b = Board::boot();
    set_job_timeout(&b.dev, Duration::from_millis(100));
    set_ping_interval(&b.dev, Duration::from_millis(50));
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    let target = c.bo_at(TARGET, &[]);
    c.bo_at(STREAM, &store(TARGET, value));
    (b, m, c, target)
}

/// Found by the `sched_events` fuzz target (input: MCU stuck, system sleep, MCU stuck): after a hang, a system
/// sleep with the firmware hung and another hang, the reset that clears it must leave a scheduler that runs a new
/// group's job.
#[test]
fn a_hang_across_a_system_sleep_then_another_hang_leave_work_running_after_the_reset() {
    let (b, m, c, target) = fuzz_rig(0x77);
    m.inject_mcu_stuck();
    if tyr::pm::system_suspend(&b.dev).is_ok() {
        tyr::pm::system_resume(&b.dev).unwrap();
    }
    // Hung again while asleep: the resume that power/control = "on" asks for fails, fast and slow, and leaves
    // runtime PM with an error (the slow attempt's soft reset on the way out clears the hang).
    m.inject_mcu_stuck();
    tyr::sysfs::write(&b.dev, "power/control", b"on").unwrap();
    assert_eq!(tyr::debugfs::pm::pm(&b.dev).stats.failed_resumes, 1);
    if m.injected() != hw_mali::InjectState::default() {
        schedule_reset(&b.dev);
    }
    wait_for(&m, "no reset pending", || !resets(&b.dev).pending);
    assert_eq!(m.injected(), hw_mali::InjectState::default());
    // The scheduler's first reference fails on the error and clears it (`panthor_device_resume_and_get`); its
    // next round resumes the GPU and runs the job.
    store_runs(&c);
    assert_eq!(c.read_u32(target, 0), 0x77);
}

/// Found by the `sched_events` fuzz target: hangs injected while a requested reset is still pending or running.
/// A request made meanwhile is dropped (one reset pending at a time, as upstream's `reset.pending`). If the MCU hangs
/// during the running reset's boot, that reset fails and the device is given up (as upstream: see
/// [`a_reset_after_which_the_mcu_never_boots_unplugs_the_device`]); otherwise, once it is over, a new request clears
/// whatever is left, and work runs again.
#[test]
fn hangs_injected_around_a_running_reset_are_cleared_by_the_next_one() {
    let (b, m, c, target) = fuzz_rig(0x78);
    schedule_reset(&b.dev);
    m.inject_cs_spin(1, 0);
    m.inject_as_stuck(5);
    m.inject_as_stuck(1);
    m.inject_mcu_stuck();
    tyr::sysfs::write(&b.dev, "power/control", b"on").unwrap();
    wait_for(&m, "the first reset", || !resets(&b.dev).pending);
    if resets(&b.dev).failed != 0 {
        wait_for(&m, "the unplug", || b.dev.is_unplugged());
        return;
    }
    if m.injected() != hw_mali::InjectState::default() {
        schedule_reset(&b.dev);
        wait_for(&m, "the second reset", || !resets(&b.dev).pending);
    }
    assert_eq!(m.injected(), hw_mali::InjectState::default());
    assert!(
        resets(&b.dev).last.is_some_and(|r| r.ok),
        "{:?}",
        resets(&b.dev)
    );
    store_runs(&c);
    assert_eq!(c.read_u32(target, 0), 0x78);
}

/// `panthor_device_reset_work`: a reset after which the MCU does not boot again ("Failed to boot MCU after reset,
/// making device unusable") terminates every group, their jobs failing with `ECANCELED`, and unplugs the device:
/// every later ioctl answers `ENODEV`, so does an open, and the GPU is left alone (no further reset, no boot
/// attempt).
#[test]
fn a_reset_after_which_the_mcu_never_boots_unplugs_the_device() {
    let b = boot();
    let m = mali(&b);
    let c = Client::new(&b.dev, b.open());
    c.bo_at(LOOPING, &LOOP);
    let g = c.group(1);
    let out = c.syncobj();
    c.submit(g, LOOPING, 8, &[], out).unwrap();
    wait_for(&m, "the looping job on a slot", || {
        (0..8).any(|s| slot_running(&m, s))
    });
    m.inject_mcu_boot_failures(1000);
    schedule_reset(&b.dev);
    wait_for(&m, "the device to be unplugged", || b.dev.is_unplugged());
    let r = resets(&b.dev);
    assert_eq!((r.count, r.failed, r.pending), (1, 1, false));
    assert!(!r.last.unwrap().ok);
    assert_eq!(
        m.injected().boot_failures,
        999,
        "one boot was tried, the reset's"
    );
    assert_eq!(c.fence_error(out), Some(ECANCELED), "the looping job");
    assert_eq!(
        c.submit(g, LOOPING, 8, &[], out),
        Err(ENODEV),
        "an open file's ioctls"
    );
    assert_eq!(
        tyr::drm_device::TyrDrmFile::open(&b.dev, tyr::drm_device::RENDER_CLIENT).err(),
        Some(ENODEV),
        "an open after (`drm_open`)"
    );
    // A hang reported now schedules nothing: the device is never reset again; and runtime PM and system sleep
    // leave its hardware alone (`drm_dev_enter` fails in `panthor_device_suspend`/`_resume`).
    schedule_reset(&b.dev);
    let r = resets(&b.dev);
    assert_eq!((r.count, r.pending), (1, false));
    tyr::pm::system_suspend(&b.dev).unwrap();
    tyr::pm::system_resume(&b.dev).unwrap();
    tyr::sysfs::write(&b.dev, "power/control", b"auto").unwrap();
    tyr::sysfs::write(&b.dev, "power/control", b"on").unwrap();
    assert_eq!(m.injected().boot_failures, 999, "no boot was tried since");
    drop(c);
    common::assert_signalling_clean();
}
