// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The state the views show: the scripted demo workload or the state a fuzz seed's steps left.

use super::*;

/// A booted device with state to look at.
pub enum Session {
    /// The scripted demo workload.
    Demo {
        /// The open files (dropped before the device and the board).
        files: Vec<Arc<TyrDrmFile>>,
        /// The device (kept for the files' sake, dropped after them).
        _dev: Arc<TyrDrmDevice>,
        /// The board.
        soc: Rk3588,
    },
    /// The state a fuzz seed's steps left.
    Fuzz(fuzz::exec::Executor),
}

/// Where the demo workload puts things (also what the tests assert).
pub mod demo {
    /// The small BO's VA (16 pages).
    pub const SMALL_VA: u64 = 0x10_0000;
    /// The small BO's size.
    pub const SMALL_SIZE: u64 = 0x1_0000;
    /// The 4 MiB BO's VA, 2 MiB aligned: mapped with 2 MiB blocks.
    pub const BIG_VA: u64 = 0x40_0000;
    /// The 4 MiB BO's size.
    pub const BIG_SIZE: u64 = 4 << 20;
    /// A partial unmap inside the second block of the big BO: the block is split and re-mapped with 4 KiB pages.
    pub const HOLE: (u64, u64) = (0x60_1000, 0x2000);
    /// The sparse range's VA.
    pub const SPARSE_VA: u64 = 0x100_0000;
    /// The sparse range's size.
    pub const SPARSE_SIZE: u64 = 0x8000;
}

fn ioctl<T: AsBytes + FromBytes>(
    f: &TyrDrmFile,
    cmd: u32,
    arg: &mut T,
    what: &str,
) -> Result<(), ViewError> {
    crate::client::ioctl(f, cmd, arg).map_err(|e| ViewError::Setup(format!("{what}: {e:?}")))
}

impl Session {
    /// Boots the board and runs the demo workload on one render file: VM 1 with a 64 KiB BO, a 4 MiB BO on 2 MiB
    /// blocks with a hole punched in its second block, a read-only mapping of the small BO again, and a sparse range.
    pub fn demo() -> Result<Session, ViewError> {
        use demo::*;
        let soc = Rk3588::new().map_err(|e| ViewError::Setup(format!("board: {e:?}")))?;
        let dev = probe(soc.gpu()).map_err(|e| ViewError::Setup(format!("probe: {e:?}")))?;
        let f = TyrDrmFile::open(&dev, RENDER_CLIENT)
            .map_err(|e| ViewError::Setup(format!("open: {e:?}")))?;
        let mut vm = drm_panthor_vm_create::default();
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm, "VM_CREATE")?;
        let mut small = drm_panthor_bo_create {
            size: SMALL_SIZE,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut small, "BO_CREATE")?;
        let mut big = drm_panthor_bo_create {
            size: BIG_SIZE,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut big, "BO_CREATE")?;
        let map = |bo: u32, va: u64, size: u64, flags: u32| drm_panthor_vm_bind_op {
            flags: op_type::MAP | flags,
            bo_handle: bo,
            va,
            size,
            ..Default::default()
        };
        let ops = [
            map(small.handle, SMALL_VA, SMALL_SIZE, 0),
            map(big.handle, BIG_VA, BIG_SIZE, map_flags::NOEXEC),
            drm_panthor_vm_bind_op {
                flags: op_type::UNMAP,
                va: HOLE.0,
                size: HOLE.1,
                ..Default::default()
            },
            map(
                small.handle,
                SMALL_VA + 0x8_0000,
                SMALL_SIZE,
                map_flags::READONLY | map_flags::NOEXEC,
            ),
            map(
                0,
                SPARSE_VA,
                SPARSE_SIZE,
                map_flags::SPARSE | map_flags::NOEXEC,
            ),
        ];
        let arr = drm_panthor_obj_array {
            stride: size_of::<drm_panthor_vm_bind_op>() as u32,
            count: ops.len() as u32,
            array: ops.as_ptr() as u64,
        };
        let mut b = drm_panthor_vm_bind {
            vm_id: vm.id,
            flags: 0,
            ops: arr,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b, "VM_BIND")?;
        Ok(Session::Demo {
            files: vec![f],
            _dev: dev,
            soc,
        })
    }

    /// Boots a board and runs `iterations` steps of fuzz seed `seed` on `files` files.
    pub fn fuzz_seed(seed: u64, iterations: u64, files: usize) -> Result<Session, ViewError> {
        Ok(Session::Fuzz(fuzz::state_after(seed, iterations, files)?))
    }

    /// The open files, by index.
    pub fn files(&self) -> &[Arc<TyrDrmFile>] {
        match self {
            Session::Demo { files, .. } => files,
            Session::Fuzz(ex) => ex.files(),
        }
    }

    /// The name of the board's GPU device (`fb000000.gpu`).
    pub fn device_name(&self) -> String {
        match self {
            Session::Demo { soc, .. } => soc.gpu().name().to_string(),
            Session::Fuzz(_) => "fb000000.gpu".to_string(),
        }
    }

    /// VM `id` of file `file`.
    pub fn vm(&self, file: usize, id: u32) -> Result<VmView, ViewError> {
        self.files()
            .get(file)
            .and_then(|f| tyr::debugfs::vm(f, id).ok())
            .ok_or(ViewError::NoVm { file, vm: id })
    }
}
