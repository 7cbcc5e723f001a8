// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What happens to running groups from outside their streams: hangs and faults injected into the GPU model (a stuck
//! MCU, a spinning stream, a stuck AS command, a bus fault, as `tyr hang` injects them; MCU boots that fail),
//! requested resets, system sleep, the device's sysfs attributes (runtime PM's `power/` files and devfreq's) written
//! and read, and VM_BINDs — synchronous or asynchronous, waiting on a running job — that map, unmap or replace
//! mappings jobs use; all while groups on one to three VMs run store jobs and jobs that poll a stop word.
//!
//! After the events the harness writes the stop word and lets a reset they left pending or running finish. A reset
//! fails when its MCU boot fails (an injected boot failure, or an MCU hang injected during the boot), and then the
//! device is given up as upstream's reset work does (unplugged: every ioctl answers `ENODEV`); the oracle is then
//! that every job's fence has signalled once the file is closed, that the file gives every frame back, and the next
//! input boots a new board. Otherwise: every job ends within a bound (completed, faulted, timed out or killed by a
//! reset) with its fence signalled; a job whose fence carries an error belongs to a group whose GROUP_GET_STATE
//! reports why (TIMEDOUT, FATAL or INNOCENT); the consistency checker passes; no reset is left pending
//! and nothing stays injected in the model (one more requested reset clears what no detection caught); a new group on
//! a new VM runs a store job to completion and the value lands; the sysfs attributes are written back to what they
//! were at boot; closing the file gives every frame back.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use hw_mali::mmu::AccessType;
use libfuzzer_sys::fuzz_target;
use tyr::debugfs::device::{resets, schedule_reset, set_ping_interval};
use tyr::drm_device::TyrDrmFile;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_cli::client;
use tyr_fuzz::*;

/// The code BO (in every VM): the polling stream at +0, the store stream at +[`STORE_AT`].
const CODE_VA: u64 = 0x100_0000;
/// The data BO (in every VM) store jobs write to.
const DATA_VA: u64 = 0x200_0000;
/// The control BO (in every VM): the stop word at +0.
const CTRL_VA: u64 = 0x300_0000;
/// A VA the bind events map and unmap.
const SPARE_VA: u64 = 0x400_0000;
const STORE_AT: u64 = 0x100;
const JOB_TIMEOUT: Duration = Duration::from_millis(100);
/// The firmware watchdog's period, short so that a stuck MCU on an idle GPU is caught within an input.
const PING: Duration = Duration::from_millis(50);
/// How long every job, a reset or a recovery may take before the input counts as a hang.
const BOUND: Duration = Duration::from_secs(5);

/// Polls the stop word until it is non-zero (MOVE48 r88; LOAD_MULTIPLE r90; WAIT; BRANCH back while r90 is zero).
const POLL: [u64; 4] = [
    0x0158_0000_0000_0000 | CTRL_VA,
    0x145A_5800_0001_0000,
    0x0300_0000_00FF_0000,
    0x1600_5A00_2000_FFFD,
];

/// Stores `value` at `va` and waits for the store (MOVE48, MOVE32, STORE_MULTIPLE, WAIT).
fn store(va: u64, value: u32) -> [u64; 4] {
    [
        0x0144_0000_0000_0000 | va,
        0x0246_0000_0000_0000 | u64::from(value),
        0x1546_4400_0001_0000,
        0x0300_0000_00FF_0000,
    ]
}

#[derive(Arbitrary, Debug)]
struct GroupSpec {
    /// Which VM (this % the VM count).
    vm: u8,
    /// GROUP_CREATE priority (this % 3).
    priority: u8,
    /// A polling job first (else a store job only).
    poll: bool,
}

#[derive(Arbitrary, Debug)]
enum Event {
    /// `inject_mcu_stuck`: CSG requests or the watchdog's PING time out, and the GPU is reset.
    McuStuck,
    /// `inject_cs_spin` on CS 0 of CSG slot `slot % 8`.
    CsSpin { slot: u8 },
    /// `inject_as_stuck` on AS `as_nr % 8`.
    AsStuck { as_nr: u8 },
    /// `inject_bus_fault`.
    BusFault { pa: u32, write: bool },
    /// A reset requested through debugfs.
    Reset,
    /// System suspend, then resume.
    Sleep,
    /// A write to the device's sysfs attribute `attr` (modulo their count).
    Sysfs { attr: u8, value: Value },
    /// A read of attribute `attr`.
    Read { attr: u8 },
    /// Another job on group `group`.
    Submit { group: u8, poll: bool },
    /// A VM_BIND on VM `vm`.
    Bind {
        vm: u8,
        what: BindWhat,
        wait_on: Option<u8>,
    },
    /// Until the model changes once (or a millisecond).
    Yield,
    /// `inject_mcu_boot_failures(n % 3)`: the next boots (a reset's, a resume's, its slow retry's) fail.
    BootFailures { n: u8 },
}

#[derive(Arbitrary, Debug)]
enum BindWhat {
    /// A new BO at the spare VA.
    MapSpare,
    /// Unmap the spare VA.
    UnmapSpare,
    /// Unmap the data BO that store jobs write to.
    UnmapData,
    /// Map a new BO over the data BO's VA (a remap of a live mapping).
    ReplaceData,
}

#[derive(Arbitrary, Debug)]
enum Value {
    /// One of the values the attributes take.
    Known(u8),
    /// Any text.
    Text(String),
}

/// Values runtime PM's and devfreq's attributes take, and some they refuse.
const VALUES: [&str; 16] = [
    "on",
    "auto",
    "0",
    "1",
    "-1",
    "50",
    "1000",
    "2147483648",
    "performance",
    "powersave",
    "simple_ondemand",
    "userspace",
    "300000000",
    "800000000",
    "1000000000",
    "on\n",
];

#[derive(Arbitrary, Debug)]
struct Input {
    /// VMs (1 + this % 3).
    vms: u8,
    groups: Vec<GroupSpec>,
    events: Vec<Event>,
}

struct Rig {
    d: Device,
    /// Every writable attribute and its text at boot.
    sysfs: Vec<(String, Vec<u8>)>,
}

impl Rig {
    fn boot() -> Rig {
        let d = Device::boot(Some(JOB_TIMEOUT));
        set_ping_interval(&d.dev, PING);
        let sysfs = tyr::sysfs::paths(&d.dev)
            .into_iter()
            .filter(|p| tyr::sysfs::mode(&d.dev, p).is_ok_and(|m| m & 0o200 != 0))
            .filter_map(|p| Some((p.clone(), tyr::sysfs::read(&d.dev, &p).ok()?)))
            .collect();
        Rig { d, sysfs }
    }
}

thread_local! {
    /// The booted board, kept between inputs; replaced after an input that left its device unplugged.
    static RIG: std::cell::RefCell<Option<Rig>> = const { std::cell::RefCell::new(None) };
}

fn bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A VM of `f` with the shared code, data and control BOs mapped.
fn vm_with(f: &TyrDrmFile, shared: &[(u32, u64)]) -> u32 {
    let vm = vm_create(f);
    for &(bo, va) in shared {
        client::map(f, vm, bo, va, 0x1000, 0).expect("VM_BIND");
    }
    vm
}

/// VM_BIND of one op on `vm`, asynchronous waiting on syncobj `wait` when given; the result.
fn bind(f: &TyrDrmFile, vm: u32, op: drm_panthor_vm_bind_op, wait: Option<u32>) -> kernel::Result {
    let syncs = wait.map(|h| drm_panthor_sync_op {
        flags: 0, // WAIT, binary
        handle: h,
        timeline_value: 0,
    });
    let syncs: Vec<drm_panthor_sync_op> = syncs.into_iter().collect();
    let ops = [drm_panthor_vm_bind_op {
        syncs: client::arr(&syncs),
        ..op
    }];
    let mut a = drm_panthor_vm_bind {
        vm_id: vm,
        flags: if wait.is_some() { 1 } else { 0 }, // ASYNC
        ops: client::arr(&ops),
    };
    ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &mut a)
}

/// The error the fence of syncobj `h` signalled with (it has signalled).
fn fence_error(f: &TyrDrmFile, h: u32) -> Option<kernel::Error> {
    f.syncobjs().lookup(h).ok()?.fence()?.error()
}

fn run(r: &Rig, input: &Input) {
    let d = &r.d;
    let f = d.open();
    let code = client::bo_create(&f, 0x1000).expect("BO_CREATE");
    let data = client::bo_create(&f, 0x1000).expect("BO_CREATE");
    let ctrl = client::bo_create(&f, 0x1000).expect("BO_CREATE");
    let mut words = POLL.to_vec();
    words.resize(STORE_AT as usize / 8, 0);
    words.extend_from_slice(&store(DATA_VA, 0x5a5a));
    d.write_bo(&f, code, &bytes(&words));
    let shared = [(code, CODE_VA), (data, DATA_VA), (ctrl, CTRL_VA)];
    let vms: Vec<u32> = (0..1 + input.vms % 3)
        .map(|_| vm_with(&f, &shared))
        .collect();
    let mut groups = Vec::new();
    let mut jobs: Vec<(usize, u32)> = Vec::new();
    let job = |g: u32, poll: bool| -> Option<u32> {
        let out = syncobj(&f);
        let (va, len) = if poll {
            (CODE_VA, POLL.len())
        } else {
            (CODE_VA + STORE_AT, 4)
        };
        // A group that was killed refuses more work: an answer, not a failure.
        submit(&f, g, va, (len * 8) as u32, out).ok().map(|()| out)
    };
    for s in input.groups.iter().take(10) {
        let Ok(g) = group_at(&f, vms[usize::from(s.vm) % vms.len()], s.priority % 3) else {
            continue;
        };
        groups.push(g);
        if let Some(out) = job(g, s.poll) {
            jobs.push((groups.len() - 1, out));
        }
    }
    let gpu = d.gpu();
    let paths = tyr::sysfs::paths(&d.dev);
    for e in input.events.iter().take(12) {
        match e {
            Event::McuStuck => gpu.inject_mcu_stuck(),
            Event::CsSpin { slot } => {
                gpu.inject_cs_spin(u32::from(slot % 8), 0);
            }
            Event::AsStuck { as_nr } => {
                gpu.inject_as_stuck(usize::from(as_nr % 8));
            }
            Event::BusFault { pa, write } => {
                let access = if *write {
                    AccessType::Write
                } else {
                    AccessType::Read
                };
                gpu.inject_bus_fault(u64::from(*pa) << 12, access);
            }
            Event::Reset => schedule_reset(&d.dev),
            Event::Sleep => {
                // A resume whose firmware does not boot (fast, then slow) fails, as upstream's; the recovery is
                // checked at the end.
                if tyr::pm::system_suspend(&d.dev).is_ok() {
                    let _ = tyr::pm::system_resume(&d.dev);
                }
            }
            Event::Sysfs { attr, value } if !paths.is_empty() => {
                let p = &paths[usize::from(*attr) % paths.len()];
                let v = match value {
                    Value::Known(i) => VALUES[usize::from(*i) % VALUES.len()].as_bytes(),
                    Value::Text(t) => t.as_bytes(),
                };
                let _ = tyr::sysfs::write(&d.dev, p, v);
            }
            Event::Read { attr } if !paths.is_empty() => {
                let _ = tyr::sysfs::read(&d.dev, &paths[usize::from(*attr) % paths.len()]);
            }
            Event::Sysfs { .. } | Event::Read { .. } => {}
            Event::Submit { group, poll } if !groups.is_empty() => {
                let i = usize::from(*group) % groups.len();
                if let Some(out) = job(groups[i], *poll) {
                    jobs.push((i, out));
                }
            }
            Event::Submit { .. } => {}
            Event::Bind { vm, what, wait_on } => {
                let vm = vms[usize::from(*vm) % vms.len()];
                let wait = wait_on
                    .filter(|_| !jobs.is_empty())
                    .map(|j| jobs[usize::from(j) % jobs.len()].1);
                // BO_CREATE fails only on a device a failed reset unplugged meanwhile: the bind is skipped.
                let new_bo = || client::bo_create(&f, 0x1000).ok();
                let (flags, bo, va) = match what {
                    BindWhat::MapSpare => match new_bo() {
                        Some(bo) => (op_type::MAP, bo, SPARE_VA),
                        None => continue,
                    },
                    BindWhat::UnmapSpare => (op_type::UNMAP, 0, SPARE_VA),
                    BindWhat::UnmapData => (op_type::UNMAP, 0, DATA_VA),
                    BindWhat::ReplaceData => match new_bo() {
                        Some(bo) => (op_type::MAP, bo, DATA_VA),
                        None => continue,
                    },
                };
                let op = drm_panthor_vm_bind_op {
                    flags,
                    bo_handle: bo,
                    va,
                    size: 0x1000,
                    ..Default::default()
                };
                // Refusals (a VM made unusable by a failed update, an unmap of nothing) are answers.
                let _ = bind(&f, vm, op, wait);
            }
            Event::Yield => {
                gpu.wait_until(Duration::from_millis(1), || false);
            }
            Event::BootFailures { n } => gpu.inject_mcu_boot_failures(u32::from(n % 3)),
        }
    }
    // Boots from here on work: a reset still to come recovers (one already failing gives the device up, below).
    gpu.inject_mcu_boot_failures(0);

    d.write_bo(&f, ctrl, &1u32.to_le_bytes());
    // Keep the GPU resumed (a reset requested while it is suspended waits for the next resume, as Panthor's reset
    // work does), and let a reset an event requested or a hang caused finish: one still pending or running may have
    // failed (a boot failure, or an MCU hang injected during its boot), which no later reset can do once the events
    // are over.
    tyr::sysfs::write(&d.dev, "power/control", b"on").expect("power/control");
    let no_reset_pending = || {
        assert!(
            d.wait_for(BOUND, || !resets(&d.dev).pending),
            "a reset still pending after {BOUND:?} on a resumed GPU: {:?}",
            resets(&d.dev)
        );
    };
    no_reset_pending();
    if resets(&d.dev).failed != 0 {
        given_up(d, f, &jobs);
        return;
    }
    let outs: Vec<u32> = jobs.iter().map(|&(_, o)| o).collect();
    wait_all_or_hang(&f, &outs, BOUND.as_millis() as u64);
    for &(g, out) in &jobs {
        let Some(err) = fence_error(&f, out) else {
            continue;
        };
        let mut st = drm_panthor_group_get_state {
            group_handle: groups[g],
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut st).expect("GROUP_GET_STATE");
        assert_ne!(
            st.state, 0,
            "a job of group {} ended with {err:?} but GROUP_GET_STATE reports nothing",
            groups[g]
        );
    }
    for &g in &groups {
        group_state_and_check(&f, g);
    }
    // Clear whatever no detection caught (a hang on a GPU that went idle, a stuck AS no command reached) with one
    // more reset, as an administrator's would.
    if gpu.injected() != hw_mali::InjectState::default() {
        schedule_reset(&d.dev);
    }
    no_reset_pending();
    assert_eq!(
        gpu.injected(),
        hw_mali::InjectState::default(),
        "a reset left an injection in place"
    );
    // Recovery: a new group on a new VM stores its value.
    let fresh = client::bo_create(&f, 0x1000).expect("BO_CREATE");
    let vm = vm_with(&f, &[(code, CODE_VA), (fresh, DATA_VA), (ctrl, CTRL_VA)]);
    let g = group(&f, vm);
    let out = job(g, false).expect("GROUP_SUBMIT on a new group after recovery");
    wait_all_or_hang(&f, &[out], BOUND.as_millis() as u64);
    assert_eq!(fence_error(&f, out), None, "a new job after recovery");
    assert_eq!(d.read_bo_u32(&f, fresh, 0), 0x5a5a, "the new job's store");
    group_state_and_check(&f, g);
    for g in groups.into_iter().chain([g]) {
        let mut destroy = drm_panthor_group_destroy {
            group_handle: g,
            pad: 0,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut destroy).expect("GROUP_DESTROY");
    }
    // Back to the attributes of boot (twice: a minimum may only go back below a maximum restored after it).
    for _ in 0..2 {
        for (p, v) in &r.sysfs {
            let _ = tyr::sysfs::write(&d.dev, p, v);
        }
    }
    d.close_and_check(f);
}

/// The end of an input whose device a failed reset gave up (`panthor_device_reset_work`: "Failed to boot MCU after
/// reset, making device unusable"): the device is unplugged and answers `ENODEV`; closing the file (which destroys
/// the groups) leaves every job's fence signalled and gives every frame back.
fn given_up(d: &Device, f: std::sync::Arc<TyrDrmFile>, jobs: &[(usize, u32)]) {
    assert!(
        d.wait_for(BOUND, || d.dev.is_unplugged()),
        "a reset failed but the device was not unplugged: {:?}",
        resets(&d.dev)
    );
    assert_eq!(
        client::bo_create(&f, 0x1000).err(),
        Some(kernel::code::ENODEV),
        "an ioctl on an unplugged device"
    );
    let fences: Vec<kernel::dma_fence::DmaFence> = jobs
        .iter()
        .filter_map(|&(_, out)| f.syncobjs().lookup(out).ok()?.fence())
        .collect();
    d.close_and_check(f);
    for fence in fences {
        assert!(
            fence.wait_timeout(BOUND).is_ok(),
            "a job's fence never signalled after its device was unplugged and its file closed"
        );
    }
}

fuzz_target!(|input: Input| {
    RIG.with(|cell| {
        let mut rig = cell.borrow_mut();
        let r = rig.get_or_insert_with(Rig::boot);
        run(r, &input);
        if r.d.dev.is_unplugged() {
            *rig = None;
        }
    });
});
