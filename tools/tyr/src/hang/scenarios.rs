// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The hang classes' scenarios: the stuck MCU (with a culprit and a bystander, then on an idle GPU), the spinning
//! stream, the stuck AS command and the bus fault, each on a freshly booted [`Rig`].

use super::*;

/// The MCU hangs while a culprit loops on slot 1 and a bystander sits idle on slot 0; then, after that reset, the MCU
/// hangs on an idle GPU.
pub(super) fn mcu_stuck() -> Result<String, ReplayError> {
    let r = Rig::boot()?;
    let c = &r.c;
    let mut out = String::from("[mcu-stuck]\n");
    c.store_job(0x1111)?;
    c.bo_at(LOOPING, &LOOP)?;
    let by = c.group()?;
    let o1 = c.syncobj()?;
    c.submit(by, STREAM, 32, o1)?;
    let e1 = c.finish(o1)?;
    let timeout = Duration::from_millis(300);
    set_job_timeout(&r.dev, timeout);
    let ping = Duration::from_millis(50);
    let _ = writeln!(
        out,
        "  knobs job_timeout {} ms (Panthor 5000 ms)",
        timeout.as_millis()
    );
    let bad = c.group()?;
    let o2 = c.syncobj()?;
    c.submit(bad, LOOPING, 8, o2)?;
    wait_for(&r.m, "the culprit on CSG slot 1", || slot_running(&r.m, 1))?;
    r.m.inject_mcu_stuck();
    let _ = writeln!(
        out,
        "  injected inject_mcu_stuck() with the culprit looping on CSG slot 1 and the bystander idle on slot 0"
    );
    let e2 = c.finish(o2)?;
    let s = wait_resets(&r.m, &r.dev, 1)?;
    let first = if e2 == Some(ETIMEDOUT) {
        "by the job timeout, then "
    } else {
        ""
    };
    let _ = writeln!(out, "  detected {first}{}", detection(&s));
    reset_line(&mut out, &r.dev, &s);
    let _ = writeln!(out, "  group culprit state {}", flags(c.state(bad)?));
    let _ = writeln!(out, "  group bystander state {}", flags(c.state(by)?));
    let _ = writeln!(out, "  job culprit fence {}", outcome(e2));
    let _ = writeln!(out, "  job bystander fence {}", outcome(e1));
    epilogue(&mut out, &r, c)?;

    // The same hang on an idle GPU: nothing waits on the firmware but the watchdog.
    set_ping_interval(&r.dev, ping);
    let _ = writeln!(
        out,
        "[mcu-stuck idle]\n  knobs ping_interval {} ms (Panthor 12000 ms)",
        ping.as_millis()
    );
    // Idle: the group the last job ran on was destroyed, and leaves its slot when the scheduler evicts it (a
    // TERMINATE the stuck firmware would not acknowledge, which would be detected instead of the watchdog's PING).
    wait_for(&r.m, "every CSG slot empty", || {
        (0..8).all(|s| !slot_running(&r.m, s))
    })?;
    r.m.inject_mcu_stuck();
    let _ = writeln!(
        out,
        "  injected inject_mcu_stuck() on an idle GPU (no CSG slot in use)"
    );
    let s = wait_resets(&r.m, &r.dev, 2)?;
    let _ = writeln!(out, "  detected {}", detection(&s));
    reset_line(&mut out, &r.dev, &s);
    epilogue(&mut out, &r, c)?;
    Ok(out)
}

/// A stream made to spin after a job that completed: the next job makes no progress and the progress timer trips.
pub(super) fn cs_spin() -> Result<String, ReplayError> {
    let r = Rig::boot()?;
    let c = &r.c;
    let mut out = String::from("[cs-spin]\n");
    c.store_job(7)?;
    set_job_timeout(&r.dev, Duration::from_secs(60));
    // The progress timer counts GPU cycles: pin the lowest OPP so that its period in real time stays short.
    tyr::devfreq::store(&r.dev, "governor", "powersave").map_err(setup("governor"))?;
    let units = 10_000;
    set_progress_timer(&r.dev, units).map_err(setup("progress timer"))?;
    let _ = writeln!(
        out,
        "  knobs job_timeout 60000 ms, progress_timer {units} x 1024 cycles (about 34 ms at 300 MHz, governor \
         powersave; Panthor 2560000)"
    );
    let by = c.group()?;
    let o0 = c.syncobj()?;
    c.submit(by, STREAM, 32, o0)?;
    let e0 = c.finish(o0)?;
    let g = c.group()?;
    let o1 = c.syncobj()?;
    c.submit(g, STREAM, 32, o1)?;
    let e1 = c.finish(o1)?;
    let slot = (0..8u32)
        .rev()
        .find(|&s| slot_running(&r.m, s))
        .ok_or_else(|| fail("no group resident"))?;
    if !r.m.inject_cs_spin(slot, 0) {
        return Err(fail(format!("CS 0 of CSG slot {slot} took no spin")));
    }
    let _ = writeln!(
        out,
        "  injected inject_cs_spin({slot}, 0) on the culprit's stream after its first job completed ({})",
        outcome(e1)
    );
    let o2 = c.syncobj()?;
    c.submit(g, STREAM, 32, o2)?;
    let e2 = c.finish(o2)?;
    let s = resets(&r.dev);
    let st = c.state(g)?;
    let _ = writeln!(
        out,
        "  detected {}",
        if st & TIMEDOUT != 0 && s.count == 0 {
            "by the progress timer: the group TIMEDOUT without a reset"
        } else {
            "otherwise"
        }
    );
    reset_line(&mut out, &r.dev, &s);
    let _ = writeln!(out, "  group culprit state {}", flags(st));
    let _ = writeln!(out, "  group bystander state {}", flags(c.state(by)?));
    let _ = writeln!(out, "  job culprit fence {}", outcome(e2));
    let _ = writeln!(out, "  job bystander fence {}", outcome(e0));
    epilogue(&mut out, &r, c)?;
    Ok(out)
}

/// The VM's AS hangs after a job ran: the next bind on that VM locks the region and the LOCK never completes.
pub(super) fn as_stuck() -> Result<String, ReplayError> {
    let r = Rig::boot()?;
    let c = &r.c;
    let mut out = String::from("[as-stuck]\n");
    let (target, stream) = c.store_job(1)?;
    let _ = writeln!(out, "  knobs none (Panthor's 100 ms AS timeout)");
    let g = c.group()?;
    let o = c.syncobj()?;
    c.submit(g, STREAM, 32, o)?;
    let e0 = c.finish(o)?;
    let (as_nr, _) = as_slots(&r.dev)
        .into_iter()
        .find(|(n, _)| *n != 0)
        .ok_or_else(|| fail("the VM holds no AS"))?;
    if !r.m.inject_as_stuck(as_nr as usize) {
        return Err(fail(format!("AS {as_nr} does not exist")));
    }
    let spare = c.bo()?;
    let bind = c.map(spare, SPARE);
    let _ = writeln!(
        out,
        "  injected inject_as_stuck({as_nr}) on the VM's AS, then a VM_BIND on it: {}",
        bind.map_or_else(|e| format!("{e:?}"), |()| "ok".into())
    );
    let s = wait_resets(&r.m, &r.dev, 1)?;
    let _ = writeln!(out, "  detected {}", detection(&s));
    reset_line(&mut out, &r.dev, &s);
    let _ = writeln!(out, "  group resident state {}", flags(c.state(g)?));
    let _ = writeln!(out, "  job before fence {}", outcome(e0));
    // The same group, VM and mapping run again.
    c.write(stream, &store(TARGET, 2))?;
    let o2 = c.syncobj()?;
    c.submit(g, STREAM, 32, o2)?;
    let e2 = c.finish(o2)?;
    let _ = writeln!(
        out,
        "  job after on the same group fence {} stored {:#x}",
        outcome(e2),
        c.read_u32(target)?
    );
    let _ = writeln!(
        out,
        "  vm state {} (the failed page-table update made it unusable for binds)",
        c.vm_state()?
    );
    // New work goes on another VM of the file.
    let d = Client::new(&r.dev, c.f.clone())?;
    d.store_job(3)?;
    epilogue(&mut out, &r, &d)?;
    Ok(out)
}

/// A GPU bus fault: the interrupt reports it and the driver goes on; a requested reset then clears it.
pub(super) fn bus_fault() -> Result<String, ReplayError> {
    let r = Rig::boot()?;
    let c = &r.c;
    let mut out = String::from("[bus-fault]\n");
    c.store_job(0x66)?;
    let _ = writeln!(out, "  knobs none");
    let pa = 0x8765_4000;
    r.m.inject_bus_fault(pa, AccessType::Read);
    let _ = writeln!(out, "  injected inject_bus_fault({pa:#x}, Read)");
    wait_for(&r.m, "the GPU fault interrupt", || {
        gpu_faults(&r.dev).0 >= 1
    })?;
    let (n, f) = gpu_faults(&r.dev);
    let f = f.ok_or_else(|| fail("a GPU fault counted but not recorded"))?;
    let _ = writeln!(
        out,
        "  detected GPU fault status {:#x} (exception {:#x}) address {:#x}, faults {n}",
        f.status,
        f.status & 0xff,
        f.address
    );
    let (e, s) = c.new_group_job()?;
    let _ = writeln!(
        out,
        "  job after the fault fence {} state {}",
        outcome(e),
        flags(s)
    );
    reset_line(&mut out, &r.dev, &resets(&r.dev));
    let before =
        r.m.read32(GPU_FAULTSTATUS)
            .map_err(setup("GPU_FAULTSTATUS"))?;
    schedule_reset(&r.dev);
    let s = wait_resets(&r.m, &r.dev, 1)?;
    let after =
        r.m.read32(GPU_FAULTSTATUS)
            .map_err(setup("GPU_FAULTSTATUS"))?;
    let _ = writeln!(
        out,
        "  requested reset: GPU_FAULTSTATUS {before:#x} -> {after:#x}, faults {}",
        gpu_faults(&r.dev).0
    );
    reset_line(&mut out, &r.dev, &s);
    epilogue(&mut out, &r, c)?;
    Ok(out)
}
