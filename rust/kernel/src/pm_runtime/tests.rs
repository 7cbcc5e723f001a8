// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The runtime-PM core's semantics, on a manual clock: nothing here sleeps; transitions the PM worker makes are
//! waited for with a bound.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use super::sysfs::*;
use super::*;
use crate::error::code::{EIO, ERANGE};

const MS: u64 = 1_000_000;
const BOUND: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Ops {
    suspends: AtomicU32,
    resumes: AtomicU32,
    suspend_result: StdMutex<Option<Error>>,
    resume_result: StdMutex<Option<Error>>,
}

impl RuntimePmOps for Ops {
    fn runtime_suspend(&self) -> Result {
        self.suspends.fetch_add(1, Ordering::SeqCst);
        self.suspend_result.lock().unwrap().map_or(Ok(()), Err)
    }
    fn runtime_resume(&self) -> Result {
        self.resumes.fetch_add(1, Ordering::SeqCst);
        self.resume_result.lock().unwrap().map_or(Ok(()), Err)
    }
}

/// A probed device as Panthor leaves it: enabled, active, autosuspend at `delay` ms, one reference held by probe.
fn probed(delay: i32) -> (Arc<PmRuntime>, Arc<Ops>) {
    let pm = Arc::new(PmRuntime::new_manual_clock(1_000 * MS).unwrap());
    let ops = Arc::new(Ops::default());
    let weak: Weak<dyn RuntimePmOps> = Arc::downgrade(&(ops.clone() as Arc<dyn RuntimePmOps>));
    pm.set_ops(weak);
    pm.enable();
    pm.resume_and_get().unwrap();
    pm.set_autosuspend_delay(delay);
    pm.use_autosuspend(true);
    (pm, ops)
}

#[test]
fn a_new_device_is_suspended_and_disabled() {
    let pm = PmRuntime::new_manual_clock(0).unwrap();
    assert_eq!(pm.status(), RpmStatus::Suspended);
    assert!(!pm.enabled());
    assert_eq!(runtime_status_show(&pm), "unsupported\n");
    assert_eq!(runtime_enabled_show(&pm), "disabled\n");
    assert_eq!(pm.get_sync(), Err(EACCES), "no resume while disabled");
    assert_eq!(pm.usage_count(), 1, "get_sync keeps its reference on error");
    pm.put_noidle();
    pm.set_active().unwrap();
    pm.enable();
    assert_eq!(runtime_status_show(&pm), "active\n");
    assert_eq!(
        pm.set_suspended(),
        Err(EAGAIN),
        "status is only set while disabled"
    );
}

#[test]
fn resume_reports_whether_it_had_to_resume() {
    let (pm, ops) = probed(50);
    assert_eq!(ops.resumes.load(Ordering::SeqCst), 1);
    assert_eq!(pm.get_sync(), Ok(1), "already active");
    pm.put_noidle();
    pm.put_sync_suspend().unwrap();
    assert_eq!(pm.status(), RpmStatus::Suspended);
    assert_eq!(ops.suspends.load(Ordering::SeqCst), 1);
    assert_eq!(pm.get_sync(), Ok(0), "resumed");
    assert_eq!(ops.resumes.load(Ordering::SeqCst), 2);
    assert_eq!(pm.put(), Ok(()));
    assert_eq!(pm.put(), Err(EINVAL), "no reference left to drop");
    assert_eq!(pm.usage_count(), 0);
}

#[test]
fn put_autosuspend_suspends_after_the_delay_and_not_before() {
    let (pm, ops) = probed(50);
    pm.put_autosuspend().unwrap();
    let expires = pm.timer_expires().expect("timer armed");
    assert_eq!(expires, pm.now_ns() + 50 * MS);
    pm.advance_clock(49 * MS);
    assert_eq!(pm.status(), RpmStatus::Active);
    assert_eq!(ops.suspends.load(Ordering::SeqCst), 0);
    pm.advance_clock(MS);
    assert!(pm.wait_for_status(RpmStatus::Suspended, BOUND));
    assert_eq!(ops.suspends.load(Ordering::SeqCst), 1);
    assert_eq!(pm.timer_expires(), None);
}

#[test]
fn a_reference_taken_before_the_timer_fires_keeps_the_device_active() {
    let (pm, ops) = probed(50);
    pm.put_autosuspend().unwrap();
    pm.advance_clock(10 * MS);
    pm.resume_and_get().unwrap();
    pm.advance_clock(100 * MS);
    // The timer fires, finds the device in use and does nothing; dropping the reference counts the delay from now.
    pm.put_autosuspend().unwrap();
    pm.advance_clock(49 * MS);
    assert_eq!(pm.status(), RpmStatus::Active);
    assert_eq!(ops.suspends.load(Ordering::SeqCst), 0);
    pm.advance_clock(MS);
    assert!(pm.wait_for_status(RpmStatus::Suspended, BOUND));
}

#[test]
fn forbid_keeps_the_device_active_and_allow_lets_it_suspend() {
    let (pm, ops) = probed(20);
    pm.forbid();
    assert_eq!(control_show(&pm), "on\n");
    assert_eq!(runtime_enabled_show(&pm), "forbidden\n");
    pm.put_autosuspend().unwrap();
    assert_eq!(pm.usage_count(), 1, "forbid holds a reference");
    pm.advance_clock(1_000 * MS);
    assert_eq!(pm.timer_expires(), None);
    assert_eq!(pm.status(), RpmStatus::Active);
    pm.forbid();
    assert_eq!(pm.usage_count(), 1, "forbidding twice takes one reference");
    pm.allow();
    assert_eq!(pm.usage_count(), 0);
    // The last busy mark is 1 s old: the idle check suspends at once.
    assert!(pm.wait_for_status(RpmStatus::Suspended, BOUND));
    pm.forbid();
    assert_eq!(pm.status(), RpmStatus::Active, "forbid resumes");
    assert_eq!(ops.resumes.load(Ordering::SeqCst), 2);
}

#[test]
fn a_negative_delay_prevents_runtime_suspend() {
    let (pm, _ops) = probed(50);
    pm.put_sync_suspend().unwrap();
    assert_eq!(pm.status(), RpmStatus::Suspended);
    pm.set_autosuspend_delay(-1);
    assert_eq!(pm.status(), RpmStatus::Active, "a negative delay resumes");
    assert_eq!(pm.usage_count(), 1);
    pm.set_autosuspend_delay(-5);
    assert_eq!(pm.usage_count(), 1, "still one reference");
    pm.mark_last_busy();
    pm.set_autosuspend_delay(30);
    assert_eq!(pm.usage_count(), 0);
    assert_eq!(pm.timer_expires(), Some(pm.now_ns() + 30 * MS));
    pm.advance_clock(30 * MS);
    assert!(pm.wait_for_status(RpmStatus::Suspended, BOUND));
}

#[test]
fn a_failed_suspend_is_recorded_unless_it_says_try_again() {
    let (pm, ops) = probed(0);
    *ops.suspend_result.lock().unwrap() = Some(EBUSY);
    assert_eq!(pm.put_sync_suspend(), Err(EBUSY));
    assert_eq!(pm.status(), RpmStatus::Active);
    assert_eq!(pm.runtime_error(), None);
    *ops.suspend_result.lock().unwrap() = Some(EIO);
    pm.get_noresume();
    assert_eq!(pm.put_sync_suspend(), Err(EIO));
    assert_eq!(pm.status(), RpmStatus::Active);
    assert_eq!(runtime_status_show(&pm), "error\n");
    assert_eq!(
        pm.get_sync(),
        Err(EINVAL),
        "stuck until the status is set again"
    );
    pm.put_noidle();
    pm.disable();
    pm.set_active().unwrap();
    pm.enable();
    assert_eq!(runtime_status_show(&pm), "active\n");
}

#[test]
fn a_failed_resume_leaves_the_device_suspended() {
    let (pm, ops) = probed(0);
    pm.put_sync_suspend().unwrap();
    *ops.resume_result.lock().unwrap() = Some(EIO);
    assert_eq!(pm.resume_and_get(), Err(EIO));
    assert_eq!(
        pm.usage_count(),
        0,
        "resume_and_get drops its reference on failure"
    );
    assert_eq!(pm.status(), RpmStatus::Suspended);
    assert_eq!(pm.runtime_error(), Some(EIO));
    assert_eq!(pm.resume_and_get(), Err(EINVAL), "stuck on the error");
    // As `__pm_runtime_set_status`: allowed on an enabled device with a runtime error, which it clears.
    *ops.resume_result.lock().unwrap() = None;
    pm.set_suspended().unwrap();
    assert_eq!(pm.runtime_error(), None);
    assert_eq!(pm.set_suspended(), Err(EAGAIN), "enabled and working again");
    assert_eq!(pm.resume_and_get(), Ok(()));
    assert_eq!(pm.status(), RpmStatus::Active);
}

#[test]
fn time_is_accounted_per_status_in_ms() {
    let (pm, _ops) = probed(10);
    let (a0, s0) = (pm.active_time_ns(), pm.suspended_time_ns());
    pm.advance_clock(30 * MS);
    pm.put_sync_suspend().unwrap();
    pm.advance_clock(20 * MS);
    assert_eq!(pm.active_time_ns() - a0, 30 * MS);
    assert_eq!(pm.suspended_time_ns() - s0, 20 * MS);
    assert_eq!(
        runtime_active_time_show(&pm),
        format!("{}\n", pm.active_time_ns() / MS)
    );
    pm.disable();
    pm.advance_clock(500 * MS);
    assert_eq!(
        pm.suspended_time_ns() - s0,
        20 * MS,
        "nothing is accounted while disabled"
    );
}

#[test]
fn system_sleep_resumes_only_a_device_in_use() {
    // In use (a reference besides the PM core's): suspended for the sleep, resumed after it.
    let (pm, ops) = probed(50);
    pm.system_suspend().unwrap();
    assert_eq!(pm.status(), RpmStatus::Suspended);
    assert_eq!(ops.suspends.load(Ordering::SeqCst), 1);
    assert_eq!(
        runtime_status_show(&pm),
        "unsupported\n",
        "runtime PM is off during the sleep"
    );
    pm.system_resume().unwrap();
    assert_eq!(pm.status(), RpmStatus::Active);
    assert_eq!(ops.resumes.load(Ordering::SeqCst), 2);
    assert_eq!(pm.usage_count(), 1);
    // Idle (only the PM core's reference): it stays suspended after the sleep.
    pm.put_sync_suspend().unwrap();
    pm.system_suspend().unwrap();
    assert_eq!(
        ops.suspends.load(Ordering::SeqCst),
        2,
        "already suspended: no callback"
    );
    pm.system_resume().unwrap();
    assert_eq!(pm.status(), RpmStatus::Suspended);
    assert_eq!(ops.resumes.load(Ordering::SeqCst), 2);
    assert!(pm.enabled());
}

#[test]
fn a_failed_system_suspend_leaves_runtime_pm_enabled() {
    let (pm, ops) = probed(50);
    *ops.suspend_result.lock().unwrap() = Some(EBUSY);
    assert_eq!(pm.system_suspend(), Err(EBUSY));
    assert!(pm.enabled());
    assert_eq!(pm.usage_count(), 1);
    assert_eq!(pm.status(), RpmStatus::Active);
}

#[test]
fn control_takes_auto_or_on_and_nothing_else() {
    let (pm, _ops) = probed(50);
    for bad in [
        &b"onn"[..],
        b"auto\nx",
        b"",
        b"AUTO",
        b" on",
        b"on\n\n",
        b"of",
    ] {
        assert_eq!(control_store(&pm, bad), Err(EINVAL), "{bad:?}");
    }
    assert_eq!(control_store(&pm, b"on\n"), Ok(3));
    assert!(!pm.runtime_auto());
    assert_eq!(control_store(&pm, b"auto"), Ok(4));
    assert!(pm.runtime_auto());
    assert_eq!(
        control_store(&pm, b"on\0junk"),
        Ok(7),
        "the buffer is a C string"
    );
}

#[test]
fn autosuspend_delay_parses_like_kstrtol() {
    let (pm, _ops) = probed(50);
    assert_eq!(autosuspend_delay_ms_show(&pm).unwrap(), "50\n");
    assert_eq!(autosuspend_delay_ms_store(&pm, b"120\n"), Ok(4));
    assert_eq!(autosuspend_delay_ms_show(&pm).unwrap(), "120\n");
    assert_eq!(autosuspend_delay_ms_store(&pm, b"+7"), Ok(2));
    for bad in [
        &b"abc"[..],
        b"",
        b"1 ",
        b"1\n\n",
        b"--1",
        b"-+1",
        b"2147483648",
        b"99999999999999999999",
    ] {
        assert_eq!(autosuspend_delay_ms_store(&pm, bad), Err(EINVAL), "{bad:?}");
    }
    assert_eq!(autosuspend_delay_ms_store(&pm, b"-2147483648"), Ok(11));
    assert_eq!(autosuspend_delay_ms_show(&pm).unwrap(), "-2147483648\n");
    assert_eq!(kstrtol(b"99999999999999999999"), Err(ERANGE));
    assert_eq!(kstrtol(b"-9223372036854775808"), Ok(i64::MIN));
    pm.use_autosuspend(false);
    assert_eq!(autosuspend_delay_ms_show(&pm), Err(EIO));
    assert_eq!(autosuspend_delay_ms_store(&pm, b"10"), Err(EIO));
}

#[test]
fn the_power_attributes_are_registered_by_path() {
    let (pm, _ops) = probed(50);
    let set = crate::sysfs::AttributeSet::new();
    add_power_attributes(&set, &pm).unwrap();
    let read = |p: &str| String::from_utf8(set.find(p).unwrap().read().unwrap()).unwrap();
    assert_eq!(read("power/runtime_status"), "active\n");
    assert_eq!(read("power/runtime_usage"), "1\n");
    assert_eq!(
        set.find("power/control").unwrap().write(b"bogus"),
        Err(EINVAL)
    );
    assert_eq!(set.find("power/control").unwrap().mode(), 0o644);
    assert_eq!(set.find("power/runtime_status").unwrap().mode(), 0o444);
    drop(set);
}

/// Callbacks that reach back into their own device: a resume request from inside `runtime_suspend` fails instead of
/// waiting for itself, and the device's last reference may be dropped there (its owner torn down from the worker).
struct Reentrant {
    pm: StdMutex<Option<Arc<PmRuntime>>>,
    seen: std::sync::mpsc::Sender<Result<i32>>,
}

impl RuntimePmOps for Reentrant {
    fn runtime_suspend(&self) -> Result {
        let pm = self.pm.lock().unwrap().take().unwrap();
        let r = pm.get_sync();
        pm.put_noidle();
        pm.disable();
        drop(pm);
        self.seen.send(r).unwrap();
        Ok(())
    }
    fn runtime_resume(&self) -> Result {
        Ok(())
    }
}

#[test]
fn a_callback_may_reach_back_into_its_device_and_drop_it() {
    let pm = Arc::new(PmRuntime::new_manual_clock(0).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let ops = Arc::new(Reentrant {
        pm: StdMutex::new(Some(pm.clone())),
        seen: tx,
    });
    let weak: Weak<dyn RuntimePmOps> = Arc::downgrade(&(ops.clone() as Arc<dyn RuntimePmOps>));
    pm.set_ops(weak);
    pm.set_active().unwrap();
    pm.enable();
    pm.get_noresume();
    pm.set_autosuspend_delay(10);
    pm.use_autosuspend(true);
    pm.put_autosuspend().unwrap();
    let clock = Arc::downgrade(&pm);
    drop(pm);
    // The callback now holds the last reference; the timer fires on the worker.
    clock.upgrade().unwrap().advance_clock(10 * MS);
    let r = rx
        .recv_timeout(BOUND)
        .expect("the callback ran and returned");
    assert_eq!(r, Err(EINPROGRESS));
}
