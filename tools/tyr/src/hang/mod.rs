// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr hang <CLASS>`: a hang injected into the GPU model (`hw_mali::Mali::inject_*`,
//! `Documentation/hardware.md#fault-injection`) and the driver's detection of it and recovery from it, through the
//! ioctls a client uses, on a freshly booted board per class.
//!
//! Each class boots the modelled RK3588, keeps the GPU powered (`power/control` = `on`: an idle GPU would autosuspend,
//! which stops the firmware watchdog), opens a render file with a VM and BOs holding command streams, submits work on a
//! culprit group (and a bystander group where the scenario has one), injects the hang and waits, bounded and on state,
//! for the driver to notice and recover. The report says what was injected, how it was detected (the reset record's
//! cause, a group timed out without a reset, or the GPU fault), the resets and their latency, each group's
//! GROUP_GET_STATE flags, each job's fence error, whether the model still has anything injected, and whether a new job
//! on a new group completes afterwards. The knobs shortened for the demonstration (job timeout, progress timer, ping
//! interval) are printed with their values.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hw_mali::mmu::AccessType;
use hw_mali::{InjectState, Mali};
use kernel::code::ETIMEDOUT;
use kernel::drm::gem::IntoGemObject;
use kernel::transmute::{AsBytes, FromBytes};
use rk3588_platform::Rk3588;
use tyr::debugfs::device::{
    as_slots, firmware_reloads, gpu_faults, resets, schedule_reset, set_job_timeout,
    set_ping_interval, set_progress_timer,
};
use tyr::debugfs::{ResetCause, ResetStats};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::op_type;
use tyr::uapi::*;

use crate::client;
use crate::replay::ReplayError;

mod scenarios;
use scenarios::{as_stuck, bus_fault, cs_spin, mcu_stuck};

/// A hang class `tyr hang` can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Class {
    /// The MCU stops answering while a culprit loops: a CSG request times out and the GPU is reset; then the same on
    /// an idle GPU, caught by the firmware watchdog's PING.
    McuStuck,
    /// A command stream spins without progress: the firmware's progress timer times its group out, without a reset.
    CsSpin,
    /// An AS command never completes: the bind that issued it fails and the GPU is reset.
    AsStuck,
    /// A GPU bus fault: reported by the GPU interrupt, no reset; a later reset clears the fault registers.
    BusFault,
    /// Every class above, one board each.
    All,
}

impl Class {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Class::McuStuck => "mcu-stuck",
            Class::CsSpin => "cs-spin",
            Class::AsStuck => "as-stuck",
            Class::BusFault => "bus-fault",
            Class::All => "all",
        }
    }
}

/// How long any one state change is waited for.
const BOUND: Duration = Duration::from_secs(20);
/// GPU VAs: a stream that stores a word, the BO it stores into, a stream that loops.
const STREAM: u64 = 0x100_0000;
const TARGET: u64 = 0x100_1000;
const LOOPING: u64 = 0x100_2000;
/// A free VA for the bind issued while an AS is stuck.
const SPARE: u64 = 0x400_0000;
/// GROUP_GET_STATE flags.
const TIMEDOUT: u32 = 1;
const FATAL: u32 = 2;
const INNOCENT: u32 = 4;
/// GPU_FAULTSTATUS.
const GPU_FAULTSTATUS: u32 = 0x3c;

/// A stream that stores `value` at `va` and waits for the store (MOVE48, MOVE32, STORE_MULTIPLE, WAIT; the stream of
/// `Documentation/hardware.md#the-igt-group_submit-stream`).
fn store(va: u64, value: u32) -> [u64; 4] {
    [
        0x0144_0000_0000_0000 | va,
        0x0246_0000_0000_0000 | u64::from(value),
        0x1546_4400_0001_0000,
        0x0300_0000_00FF_0000,
    ]
}

/// A stream that branches to itself forever (BRANCH ALWAYS, offset -1).
const LOOP: [u64; 1] = [0x1600_0000_6000_FFFF];

fn setup<E: std::fmt::Debug>(what: &str) -> impl FnOnce(E) -> ReplayError + '_ {
    move |e| ReplayError::Setup(format!("{what}: {e:?}"))
}

fn fail(what: impl Into<String>) -> ReplayError {
    ReplayError::Setup(what.into())
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// GROUP_GET_STATE's flags by name.
fn flags(state: u32) -> String {
    let names: Vec<&str> = [
        (TIMEDOUT, "TIMEDOUT"),
        (FATAL, "FATAL"),
        (INNOCENT, "INNOCENT"),
    ]
    .iter()
    .filter(|(b, _)| state & b != 0)
    .map(|&(_, n)| n)
    .collect();
    if names.is_empty() {
        "0 (none)".to_string()
    } else {
        format!("{state} ({})", names.join("|"))
    }
}

/// A fence's outcome: `ok` or the errno it signalled with.
fn outcome(e: Option<kernel::Error>) -> String {
    e.map_or("ok".into(), |e| format!("{e:?}"))
}

/// `ioctl(fd, cmd, arg)` naming the call on failure.
fn call<T: AsBytes + FromBytes>(
    f: &TyrDrmFile,
    cmd: u32,
    arg: &mut T,
    what: &str,
) -> Result<(), ReplayError> {
    client::ioctl(f, cmd, arg).map_err(setup(what))
}

/// Waits for `cond`, checking it whenever the model changes (or every millisecond), up to [`BOUND`].
fn wait_for(m: &Mali, what: &str, mut cond: impl FnMut() -> bool) -> Result<(), ReplayError> {
    let deadline = Instant::now() + BOUND;
    while !cond() {
        if Instant::now() > deadline {
            return Err(fail(format!("timed out waiting for {what}")));
        }
        m.wait_until(Duration::from_millis(1), &mut cond);
    }
    Ok(())
}

/// Waits until `n` resets have run and none is pending.
fn wait_resets(m: &Mali, dev: &TyrDrmDevice, n: u64) -> Result<ResetStats, ReplayError> {
    wait_for(m, "the reset", || {
        let s = resets(dev);
        s.count >= n && !s.pending
    })?;
    Ok(resets(dev))
}

/// Whether CSG slot `s` runs a group.
fn slot_running(m: &Mali, s: u32) -> bool {
    m.csg_latched(s).is_some_and(|l| l.running)
}

/// A render file and one of its VMs.
struct Client {
    dev: Arc<TyrDrmDevice>,
    f: Arc<TyrDrmFile>,
    vm: u32,
}

impl Client {
    fn new(dev: &Arc<TyrDrmDevice>, f: Arc<TyrDrmFile>) -> Result<Client, ReplayError> {
        let vm = client::vm_create(&f).map_err(setup("VM_CREATE"))?;
        Ok(Client {
            dev: dev.clone(),
            f,
            vm,
        })
    }

    /// GROUP_CREATE: one 4 KiB queue, one core of each kind, medium priority, on the client's VM.
    fn group(&self) -> Result<u32, ReplayError> {
        client::group_create(&self.f, self.vm).map_err(setup("GROUP_CREATE"))
    }

    fn destroy_group(&self, h: u32) -> Result<(), ReplayError> {
        let mut a = drm_panthor_group_destroy {
            group_handle: h,
            pad: 0,
        };
        call(
            &self.f,
            DRM_IOCTL_PANTHOR_GROUP_DESTROY,
            &mut a,
            "GROUP_DESTROY",
        )
    }

    /// GROUP_GET_STATE's state flags.
    fn state(&self, h: u32) -> Result<u32, ReplayError> {
        let mut s = drm_panthor_group_get_state {
            group_handle: h,
            ..Default::default()
        };
        call(
            &self.f,
            DRM_IOCTL_PANTHOR_GROUP_GET_STATE,
            &mut s,
            "GROUP_GET_STATE",
        )?;
        Ok(s.state)
    }

    /// VM_GET_STATE: 0 usable, 1 unusable.
    fn vm_state(&self) -> Result<u32, ReplayError> {
        let mut s = drm_panthor_vm_get_state {
            vm_id: self.vm,
            state: !0,
        };
        call(
            &self.f,
            DRM_IOCTL_PANTHOR_VM_GET_STATE,
            &mut s,
            "VM_GET_STATE",
        )?;
        Ok(s.state)
    }

    fn bo(&self) -> Result<u32, ReplayError> {
        client::bo_create(&self.f, 4096).map_err(setup("BO_CREATE"))
    }

    /// A synchronous VM_BIND mapping 4 KiB of `bo` at `va`.
    fn map(&self, bo: u32, va: u64) -> kernel::Result {
        client::map(&self.f, self.vm, bo, va, 4096, op_type::MAP)
    }

    /// A new 4 KiB BO mapped at `va`, holding `words`.
    fn bo_at(&self, va: u64, words: &[u64]) -> Result<u32, ReplayError> {
        let h = self.bo()?;
        self.map(h, va).map_err(setup("VM_BIND"))?;
        self.write(h, words)?;
        Ok(h)
    }

    /// The job every class submits: an empty BO at [`TARGET`] and, at [`STREAM`], a stream storing `value` there.
    /// Returns the two BO handles.
    fn store_job(&self, value: u32) -> Result<(u32, u32), ReplayError> {
        let target = self.bo_at(TARGET, &[])?;
        let stream = self.bo_at(STREAM, &store(TARGET, value))?;
        Ok((target, stream))
    }

    /// Writes `words` at the start of BO `h` through its pages, as the CPU would.
    fn write(&self, h: u32, words: &[u64]) -> Result<(), ReplayError> {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let bo = self.f.objects().lookup(h).map_err(setup("BO lookup"))?;
        let pages = bo.gem().get_pages().map_err(setup("BO pages"))?;
        self.dev
            .data()
            .ram()
            .write(pages[0], &bytes)
            .map_err(setup("RAM write"))
    }

    /// The u32 at the start of BO `h`.
    fn read_u32(&self, h: u32) -> Result<u32, ReplayError> {
        let bo = self.f.objects().lookup(h).map_err(setup("BO lookup"))?;
        let pages = bo.gem().get_pages().map_err(setup("BO pages"))?;
        let mut b = [0u8; 4];
        self.dev
            .data()
            .ram()
            .read(pages[0], &mut b)
            .map_err(setup("RAM read"))?;
        Ok(u32::from_le_bytes(b))
    }

    fn syncobj(&self) -> Result<u32, ReplayError> {
        client::syncobj_create(&self.f).map_err(setup("SYNCOBJ_CREATE"))
    }

    /// GROUP_SUBMIT of one job on queue 0 of `g`: `size` bytes of stream at `addr`, signalling syncobj `out`.
    fn submit(&self, g: u32, addr: u64, size: u32, out: u32) -> Result<(), ReplayError> {
        client::submit(&self.f, g, addr, size, out).map_err(setup("GROUP_SUBMIT"))
    }

    /// SYNCOBJ_WAIT on `h` (WAIT_FOR_SUBMIT) for up to [`BOUND`], then the error its fence signalled with, as the
    /// fence carries it (`None`: success).
    fn finish(&self, h: u32) -> Result<Option<kernel::Error>, ReplayError> {
        let hs = [h];
        let deadline = kernel::time::ktime_get_ns() + BOUND.as_nanos() as u64;
        let mut w = drm_syncobj_wait {
            handles: hs.as_ptr() as u64,
            count_handles: 1,
            timeout_nsec: deadline as i64,
            flags: DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
            ..Default::default()
        };
        call(&self.f, DRM_IOCTL_SYNCOBJ_WAIT, &mut w, "SYNCOBJ_WAIT")?;
        let fence = self
            .f
            .syncobjs()
            .lookup(h)
            .map_err(setup("syncobj lookup"))?
            .fence()
            .ok_or_else(|| fail("a waited syncobj holds no fence"))?;
        Ok(fence.error())
    }

    /// A store job on a new group, which is destroyed after: the job's outcome and the group's state flags.
    fn new_group_job(&self) -> Result<(Option<kernel::Error>, u32), ReplayError> {
        let g = self.group()?;
        let out = self.syncobj()?;
        self.submit(g, STREAM, 32, out)?;
        let e = self.finish(out)?;
        let s = self.state(g)?;
        self.destroy_group(g)?;
        Ok((e, s))
    }
}

/// One booted board, kept powered, and a client on it.
struct Rig {
    m: Arc<Mali>,
    c: Client,
    dev: Arc<TyrDrmDevice>,
    /// Dropped last: the device's teardown still talks to the board.
    _soc: Rk3588,
}

impl Rig {
    fn boot() -> Result<Rig, ReplayError> {
        let soc = Rk3588::new().map_err(setup("board"))?;
        let dev = probe(soc.gpu()).map_err(setup("probe"))?;
        tyr::sysfs::write(&dev, "power/control", b"on").map_err(setup("power/control"))?;
        let f = TyrDrmFile::open(&dev, RENDER_CLIENT).map_err(setup("open"))?;
        let c = Client::new(&dev, f)?;
        Ok(Rig {
            m: soc.board().gpu().clone(),
            c,
            dev,
            _soc: soc,
        })
    }
}

/// The common tail of every report: what is still injected, and a new job on a new group.
fn epilogue(out: &mut String, r: &Rig, c: &Client) -> Result<(), ReplayError> {
    let inj = r.m.injected();
    let _ = writeln!(
        out,
        "  injected after {}",
        if inj == InjectState::default() {
            "clear".to_string()
        } else {
            format!("{inj:?}")
        }
    );
    let (e, s) = c.new_group_job()?;
    let _ = writeln!(
        out,
        "  recovery new group: job {} state {}",
        outcome(e),
        flags(s)
    );
    Ok(())
}

/// How the last reset was detected, from its cause.
fn detection(s: &ResetStats) -> String {
    let Some(r) = s.last else {
        return "no reset".into();
    };
    let how = match r.cause {
        ResetCause::CsgTimeout(n) => format!("a request on CSG slot {n} not acknowledged"),
        ResetCause::PingTimeout => "the watchdog's PING not acknowledged".into(),
        ResetCause::AsTimeout(n) => format!("a command on AS {n} that did not complete"),
        ResetCause::Requested => "a requested reset".into(),
    };
    format!("{how}: reset cause {:?}", r.cause)
}

/// The reset counters, the firmware reloads (every reset reloads the firmware) and the last reset's record.
fn reset_line(out: &mut String, dev: &TyrDrmDevice, s: &ResetStats) {
    let _ = writeln!(
        out,
        "  resets {} failed {} firmware_reloads {}",
        s.count,
        s.failed,
        firmware_reloads(dev)
    );
    if let Some(r) = s.last {
        let _ = writeln!(
            out,
            "  last reset cause {:?} latency {} ok {} suspended {} innocent {} terminated {}",
            r.cause,
            ms(r.latency),
            r.ok,
            r.suspended,
            r.innocent,
            r.terminated
        );
    }
}

/// Runs `class` (every class for [`Class::All`], each on its own board) and renders the report.
pub fn run(class: Class) -> Result<String, ReplayError> {
    match class {
        Class::McuStuck => mcu_stuck(),
        Class::CsSpin => cs_spin(),
        Class::AsStuck => as_stuck(),
        Class::BusFault => bus_fault(),
        Class::All => {
            let mut out = String::new();
            for c in [
                Class::McuStuck,
                Class::CsSpin,
                Class::AsStuck,
                Class::BusFault,
            ] {
                out.push_str(&run(c)?);
            }
            Ok(out)
        }
    }
}
