// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What the fuzz targets share: a device booted once per process, ioctls with real pointers, BOs mapped at fixed VAs
//! and filled through their pages, a one-queue group, and the end-of-input check that closing a file gives every
//! frame back.

pub mod shader_words;

use std::sync::Arc;
use std::time::Duration;

use rk3588_platform::Rk3588;
use tyr::debugfs::{self, Baseline};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_cli::client;

/// A booted board and its probed device, with the baseline a closed file must return RAM to.
pub struct Device {
    /// The DRM device.
    pub dev: Arc<TyrDrmDevice>,
    baseline: Baseline,
    _soc: Rk3588,
}

impl Device {
    /// Boots a board and probes the device, with the scheduler's job timeout set to `job_timeout` when given.
    pub fn boot(job_timeout: Option<Duration>) -> Device {
        let soc = Rk3588::new().expect("board");
        let dev = probe(soc.gpu()).expect("probe");
        if let Some(t) = job_timeout {
            debugfs::device::set_job_timeout(&dev, t);
        }
        let baseline = Baseline::capture(&dev);
        Device {
            dev,
            baseline,
            _soc: soc,
        }
    }

    /// The modelled GPU (for the firmware events only it can raise, such as TILER_OOM).
    pub fn gpu(&self) -> &Arc<hw_mali::Mali> {
        self._soc.board().gpu()
    }

    /// A render-node file.
    pub fn open(&self) -> Arc<TyrDrmFile> {
        TyrDrmFile::open(&self.dev, RENDER_CLIENT).expect("open")
    }

    /// Closes `f` (it must be the last reference) and checks that RAM is back at the baseline: every frame the
    /// file's objects held came back.
    pub fn close_and_check(&self, f: Arc<TyrDrmFile>) {
        drop(f);
        if let Err(e) = self.baseline.check(&[], &self.dev, Duration::from_secs(5)) {
            panic!("after closing the file: {e}");
        }
    }

    /// Writes `bytes` at the start of BO `handle` of `f`, through its pages as the CPU would.
    pub fn write_bo(&self, f: &TyrDrmFile, handle: u32, bytes: &[u8]) {
        self.write_bo_at(f, handle, 0, bytes);
    }

    /// Writes `bytes` at byte `offset` of BO `handle` of `f`, through its pages as the CPU would.
    pub fn write_bo_at(&self, f: &TyrDrmFile, handle: u32, offset: usize, bytes: &[u8]) {
        let obj = f.objects().lookup(handle).expect("BO");
        let size = obj_size(&obj);
        let mut at = 0usize;
        for (run, len) in
            debugfs::gems::sg_range(&obj, offset as u64, size - offset as u64).expect("pages")
        {
            let n = (len as usize).min(bytes.len().saturating_sub(at));
            if n == 0 {
                break;
            }
            self.dev
                .data()
                .ram()
                .write(run, &bytes[at..at + n])
                .expect("RAM");
            at += n;
        }
    }

    /// The little-endian u32 at byte `offset` (4-aligned) of BO `handle` of `f`, read through its pages.
    pub fn read_bo_u32(&self, f: &TyrDrmFile, handle: u32, offset: usize) -> u32 {
        let obj = f.objects().lookup(handle).expect("BO");
        let (pa, _) = debugfs::gems::sg_range(&obj, offset as u64, 4).expect("pages")[0];
        let mut b = [0u8; 4];
        self.dev.data().ram().read(pa, &mut b).expect("RAM");
        u32::from_le_bytes(b)
    }

    /// Waits until `cond` holds, checking it whenever the model changes and at least every millisecond, for up to
    /// `bound`; whether it held.
    pub fn wait_for(&self, bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = std::time::Instant::now() + bound;
        loop {
            if cond() {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            self.gpu().wait_until(Duration::from_millis(1), &mut cond);
        }
    }
}

fn obj_size(obj: &tyr::gem::TyrObject) -> u64 {
    use kernel::drm::gem::IntoGemObject;
    obj.gem().size()
}

pub use tyr_cli::client::{arr, ioctl, submit};

/// A new VM of `f` with default arguments.
pub fn vm_create(f: &TyrDrmFile) -> u32 {
    client::vm_create(f).expect("VM_CREATE")
}

/// A BO of `size` bytes mapped at `va` in VM `vm` with the map `flags`.
pub fn bo_at(f: &TyrDrmFile, vm: u32, va: u64, size: u64, flags: u32) -> u32 {
    let bo = client::bo_create(f, size).expect("BO_CREATE");
    client::map(f, vm, bo, va, size, flags).expect("VM_BIND");
    bo
}

/// A group of one 4 KiB-ring queue on VM `vm`, one core of each kind (IGT's `group_create_simple`).
pub fn group(f: &TyrDrmFile, vm: u32) -> u32 {
    client::group_create(f, vm).expect("GROUP_CREATE")
}

/// A group of one 4 KiB-ring queue on VM `vm` at `priority` (0 low, 1 medium, 2 high), one core of each kind;
/// `Err` when the call fails (a priority the caller may not have).
pub fn group_at(f: &TyrDrmFile, vm: u32, priority: u8) -> kernel::Result<u32> {
    let queues = [drm_panthor_queue_create {
        priority: 0,
        ringbuf_size: 4096,
        ..Default::default()
    }];
    let mut g = drm_panthor_group_create {
        queues: arr(&queues),
        max_compute_cores: 1,
        max_fragment_cores: 1,
        max_tiler_cores: 1,
        priority,
        compute_core_mask: 1,
        fragment_core_mask: 1,
        tiler_core_mask: 1,
        vm_id: vm,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut g)?;
    Ok(g.group_handle)
}

/// A tiler heap on VM `vm` of `initial` 128 KiB chunks growing to at most `max`; its handle and context address.
pub fn tiler_heap(f: &TyrDrmFile, vm: u32, initial: u32, max: u32) -> kernel::Result<(u32, u64)> {
    let mut a = drm_panthor_tiler_heap_create {
        vm_id: vm,
        initial_chunk_count: initial,
        chunk_size: 0x2_0000,
        max_chunks: max,
        target_in_flight: 1,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE, &mut a)?;
    Ok((a.handle, a.tiler_heap_ctx_gpu_va))
}

/// A new binary syncobj of `f`.
pub fn syncobj(f: &TyrDrmFile) -> u32 {
    client::syncobj_create(f).expect("SYNCOBJ_CREATE")
}

/// Waits for every syncobj of `handles` to signal, failing the input if that takes more than `ms` milliseconds:
/// a job that outlives the job timeout by that much is a hang.
pub fn wait_all_or_hang(f: &TyrDrmFile, handles: &[u32], ms: u64) {
    if handles.is_empty() {
        return;
    }
    let mut w = drm_syncobj_wait {
        handles: handles.as_ptr() as u64,
        count_handles: handles.len() as u32,
        timeout_nsec: (kernel::time::ktime_get_ns() + ms * 1_000_000) as i64,
        flags: 1, // WAIT_ALL
        ..Default::default()
    };
    if let Err(e) = ioctl(f, DRM_IOCTL_SYNCOBJ_WAIT, &mut w) {
        let dev = f.device();
        let before = debugfs::device::sched_dump(dev);
        // Does it end later (a stall) or never (a lost wake-up)?
        w.timeout_nsec = (kernel::time::ktime_get_ns() + 20_000_000_000) as i64;
        let later = ioctl(f, DRM_IOCTL_SYNCOBJ_WAIT, &mut w);
        panic!(
            "jobs not finished {ms} ms after submission ({e:?}): a hang past the job timeout; 20 s later: {later:?}\n\
             scheduler at the deadline:\n{before}scheduler now:\n{}",
            debugfs::device::sched_dump(dev)
        );
    }
}

/// GROUP_GET_STATE answers, and the consistency checker passes on `f`.
pub fn group_state_and_check(f: &TyrDrmFile, group: u32) {
    let mut st = drm_panthor_group_get_state {
        group_handle: group,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut st).expect("GROUP_GET_STATE");
    if let Err(e) = debugfs::check_files(&[f]) {
        panic!("consistency checker: {e}");
    }
}
