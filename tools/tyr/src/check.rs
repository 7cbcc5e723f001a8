// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr check`: boots the board, runs a small scripted workload through the ioctls on two files (or a fuzz seed's
//! steps), and prints the consistency checker's verdict — before and after every file is closed.

use std::fmt::Write as _;
use std::time::Duration;

use kernel::transmute::{AsBytes, FromBytes};
use rk3588_platform::Rk3588;
use tyr::debugfs::{check_files, Baseline};
use tyr::drm_device::{probe, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::op_type;
use tyr::uapi::*;

use crate::fuzz;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The board, the device or a workload ioctl failed.
    #[error("{0}")]
    Setup(String),
    /// The checker found an inconsistency.
    #[error("inconsistent: {0}")]
    Inconsistent(#[from] tyr::debugfs::CheckError),
    /// A fuzz run found something.
    #[error("{0}")]
    Fuzz(#[from] fuzz::FuzzError),
}

fn ioctl<T: AsBytes + FromBytes>(
    f: &TyrDrmFile,
    cmd: u32,
    arg: &mut T,
    what: &str,
) -> Result<(), CheckError> {
    crate::client::ioctl(f, cmd, arg).map_err(|e| CheckError::Setup(format!("{what}: {e:?}")))
}

/// The scripted workload: two files, VMs, private, exclusive and shared BOs, 2 MiB blocks split by partial unmaps.
pub fn scripted() -> Result<String, CheckError> {
    let soc = Rk3588::new().map_err(|e| CheckError::Setup(format!("board: {e:?}")))?;
    let dev = probe(soc.gpu()).map_err(|e| CheckError::Setup(format!("probe: {e:?}")))?;
    let base = Baseline::capture(&dev);
    let open = || {
        TyrDrmFile::open(&dev, RENDER_CLIENT).map_err(|e| CheckError::Setup(format!("open: {e:?}")))
    };
    let (f, g) = (open()?, open()?);
    let mut out = String::new();
    let mut vms = Vec::new();
    for file in [&f, &g] {
        let mut vm = drm_panthor_vm_create::default();
        ioctl(file, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm, "VM_CREATE")?;
        vms.push(vm.id);
    }
    let mut excl = drm_panthor_bo_create {
        size: 0x4000,
        exclusive_vm_id: vms[0],
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut excl, "BO_CREATE")?;
    let mut big = drm_panthor_bo_create {
        size: 4 << 20,
        ..Default::default()
    };
    ioctl(&g, DRM_IOCTL_PANTHOR_BO_CREATE, &mut big, "BO_CREATE")?;
    let map = |bo: u32, va: u64, size: u64| drm_panthor_vm_bind_op {
        flags: op_type::MAP,
        bo_handle: bo,
        va,
        size,
        ..Default::default()
    };
    let unmap = |va: u64, size: u64| drm_panthor_vm_bind_op {
        flags: op_type::UNMAP,
        va,
        size,
        ..Default::default()
    };
    let bind = |file: &TyrDrmFile, vm: u32, ops: &[drm_panthor_vm_bind_op]| {
        let arr = drm_panthor_obj_array {
            stride: 48,
            count: ops.len() as u32,
            array: ops.as_ptr() as u64,
        };
        let mut b = drm_panthor_vm_bind {
            vm_id: vm,
            flags: 0,
            ops: arr,
        };
        ioctl(file, DRM_IOCTL_PANTHOR_VM_BIND, &mut b, "VM_BIND")
    };
    bind(&f, vms[0], &[map(excl.handle, 0x10_0000, 0x4000)])?;
    bind(
        &g,
        vms[1],
        &[
            map(big.handle, 2 << 20, 4 << 20),
            unmap((3 << 20) + 0x1000, 0x2000),
        ],
    )?;
    let v = check_files(&[&f, &g])?;
    writeln!(
        out,
        "scripted workload: {} VMs, {} VAs, {} BOs, {} frames owned: consistent",
        v.vms, v.vas, v.bos, v.frames
    )
    .ok();
    base.check(&[&f, &g], &dev, Duration::from_secs(5))?;
    writeln!(
        out,
        "frame accounting: {} device frames + {} owned = allocated: exact",
        base.device_frames(),
        v.frames
    )
    .ok();
    drop((f, g));
    base.check(&[], &dev, Duration::from_secs(5))?;
    writeln!(
        out,
        "after closing both files: RAM back at the device's {} frames",
        base.device_frames()
    )
    .ok();
    Ok(out)
}

/// Runs fuzz seed `seed` for `iterations` steps, checking after every one; prints the verdict.
pub fn seeded(seed: u64, iterations: u64, files: usize) -> Result<String, CheckError> {
    let opts = fuzz::Options {
        seed,
        iterations,
        files,
        minimise_budget: 100,
    };
    let stats = fuzz::run(opts, &mut |_| {})?;
    Ok(format!(
        "seed {seed}: {} steps, {} consistency checks: consistent; no frame leaked\n",
        stats.steps, stats.checks
    ))
}
