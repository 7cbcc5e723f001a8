// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The executor: a booted board with several render files, running [`Step`]s through the real entry points
//! (`File::ioctl` with user pointers into this process, `tyr::mmap::mmap`), and the checks after each one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use kernel::code::{EBADF, EFAULT, ENOTTY};
use kernel::drm::gem::IntoGemObject;
use kernel::drm::ioctl::{ioc_size, IOC_IN, IOC_OUT};
use kernel::error::Error;
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::debugfs::{check_files, vms, Baseline, CheckError, FileSnapshot};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, PRIMARY_CLIENT, RENDER_CLIENT};
use tyr::mmap::{mmap, MmapRequest};
use tyr::uapi::ioctl::*;

use super::call::{Buf, Call, Fields, Loc, PtrKind, Step};
use super::errno;
use super::fds::{self, FdId, FdKind, Tracked};
use super::gen::{FileView, View};
use super::FuzzError;

mod ioctl;
mod memory;
mod snapshot;

use memory::{Hole, Region};
pub use snapshot::Snapshot;

/// Panics seen on any thread since the hook was installed (bind-queue workers included).
static PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts every panic, then reports it as before.
fn install_panic_counter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            prev(info);
        }));
    });
}

/// What one step did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Its result.
    pub result: Result<(), Error>,
    /// The argument bytes afterwards (when the argument was readable).
    pub arg_after: Option<Vec<u8>>,
    /// A call that hands out a descriptor succeeded but wrote another number than the descriptor it made.
    pub wrong_fd: Option<String>,
}

/// Where an ioctl goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// The DRM file with this index.
    File(usize),
    /// A descriptor (a sync_file's or dma-buf's ioctls).
    Fd(i32),
}

/// The board, the files (the last one a primary-node file when there are several), and the descriptors handed out.
pub struct Executor {
    // Dropped in this order: files before the device before the board.
    files: Vec<Arc<TyrDrmFile>>,
    primary: Vec<bool>,
    tracked: Tracked,
    offsets: Vec<Vec<u64>>,
    names: Vec<u32>,
    magics: Vec<u32>,
    dev: Arc<TyrDrmDevice>,
    baseline: Baseline,
    /// Descriptors open (number and file identity), and anonymous files live, once the board and files were up.
    fd_base: Vec<fds::FdId>,
    anon_base: usize,
    hole: Hole,
    _soc: Rk3588,
}

/// Opens `nfiles` files (at least one): render files, and with two or more the last one a primary-node file.
fn open_files(
    dev: &Arc<TyrDrmDevice>,
    nfiles: usize,
) -> Result<(Vec<Arc<TyrDrmFile>>, Vec<bool>), FuzzError> {
    let n = nfiles.max(1);
    let primary: Vec<bool> = (0..n).map(|i| n >= 2 && i == n - 1).collect();
    let files = primary
        .iter()
        .map(|&p| TyrDrmFile::open(dev, if p { PRIMARY_CLIENT } else { RENDER_CLIENT }))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
    Ok((files, primary))
}

impl Executor {
    /// Boots a board and opens `nfiles` files: render files, and with two or more the last one a primary-node file
    /// (the master, so that the master, authentication and GEM-name ioctls are fuzzed too).
    pub fn new(nfiles: usize) -> Result<Executor, FuzzError> {
        install_panic_counter();
        let soc = Rk3588::new().map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        let dev = probe(soc.gpu()).map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        let baseline = Baseline::capture(&dev);
        let (files, primary) = open_files(&dev, nfiles)?;
        Ok(Executor {
            offsets: vec![Vec::new(); files.len()],
            files,
            primary,
            tracked: Tracked::default(),
            names: Vec::new(),
            magics: Vec::new(),
            dev,
            baseline,
            fd_base: fds::open_ids(),
            anon_base: kernel::anon_file::live(),
            hole: Hole::new(),
            _soc: soc,
        })
    }

    /// Whether file `file` (an index as steps give it) is a primary-node file.
    pub fn is_primary(&self, file: usize) -> bool {
        self.primary[file % self.files.len()]
    }

    /// Waits for the scheduler's asynchronous teardown of destroyed groups.
    pub fn settle(&self) {
        tyr::debugfs::device::settle(&self.dev, Duration::from_secs(5));
    }

    /// Panics counted so far, process-wide.
    pub fn panics() -> u64 {
        PANICS.load(Ordering::SeqCst)
    }

    /// Number of descriptors the run tracks now.
    pub fn tracked_fds(&self) -> usize {
        self.tracked.list().len()
    }

    /// What the files hold, for the generator.
    pub fn view(&self) -> View {
        let files = self
            .files
            .iter()
            .zip(&self.offsets)
            .zip(&self.primary)
            .map(|((f, offs), &primary)| FileView {
                bos: f
                    .objects()
                    .handles()
                    .into_iter()
                    .map(|(h, o)| (h, o.gem().size()))
                    .collect(),
                vms: vms(f).iter().map(|v| v.id()).collect(),
                syncobjs: f.syncobjs().handles().into_iter().map(|(h, _)| h).collect(),
                offsets: offs.clone(),
                groups: tyr::debugfs::groups::handles(f),
                primary,
            })
            .collect();
        View {
            files,
            fds: self.tracked.list().to_vec(),
            names: self.names.clone(),
            magics: self.magics.clone(),
            timelines: self.tracked.sw_sync_points(),
        }
    }

    /// What a failed call must not change.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            files: self.files.iter().map(|f| FileSnapshot::take(f)).collect(),
            auth: self
                .files
                .iter()
                .map(|f| {
                    let c = f.caller();
                    (c.authenticated, c.master)
                })
                .collect(),
            resv: self
                .files
                .iter()
                .flat_map(|f| f.objects().handles())
                .map(|(_, o)| (o.gem().id(), o.gem().resv().lock().fences().len()))
                .collect(),
            names: self
                .tracked
                .list()
                .iter()
                .filter_map(|&(fd, _)| Some((fd, kernel::dma_buf::lookup(fd)?.name())))
                .collect(),
            fds: fds::open_ids(),
        }
    }

    /// The open files (for views of the state a run left: `tyr vm --seed`).
    pub fn files(&self) -> &[Arc<TyrDrmFile>] {
        &self.files
    }

    /// Runs the consistency checker over every file.
    pub fn check(&self) -> Result<(), String> {
        self.check_fds()?;
        let files: Vec<&TyrDrmFile> = self.files.iter().map(|f| &**f).collect();
        let mut tries = 0;
        loop {
            match check_files(&files) {
                Ok(_) => return Ok(()),
                // The check reads each VM under its lock but RAM's allocator afterwards: an asynchronous bind job
                // that frees a table in between makes a frame look free. A real use-after-free stays; a race does
                // not survive a fresh look once the job is done.
                Err(CheckError::FreeFrame { .. }) if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// The tracked descriptors against the kernel's registries: every open dma-buf, sync_file and syncobj file is
    /// still found from its descriptor (nothing released while a descriptor holds it), and a sync_file polls readable
    /// exactly when its fence has signalled (never before; after, once the fence's callback has run).
    fn check_fds(&self) -> Result<(), String> {
        use kernel::anon_file::{lookup, AnonObject};
        for &(fd, kind) in self.tracked.list() {
            let found = match kind {
                FdKind::DmaBuf => kernel::dma_buf::lookup(fd).is_some(),
                FdKind::SyncobjFile => matches!(lookup(fd), Some(AnonObject::Syncobj(_))),
                FdKind::SyncFile => matches!(lookup(fd), Some(AnonObject::SyncFile(_))),
                FdKind::Eventfd => true,
                FdKind::SwSync => self.tracked.sw_sync(fd).is_some(),
            };
            if !found {
                return Err(format!(
                    "descriptor {fd} ({kind:?}) is open but its kernel object is gone"
                ));
            }
            let Some(file) = kernel::sync_file::SyncFile::from_fd(fd) else {
                continue;
            };
            let fence = file.fence();
            match fds::sync_file_agrees(
                || fds::readable(fd),
                || fence.is_signaled(),
                Duration::from_secs(1),
            ) {
                Ok(()) => {}
                Err(fds::SyncFileDisagrees::ReadableUnsignalled) => {
                    return Err(format!(
                        "sync_file {fd} polls readable before its fence signalled"
                    ))
                }
                Err(fds::SyncFileDisagrees::SignalledNeverReadable) => {
                    return Err(format!(
                        "sync_file {fd}: its fence signalled but the file never became readable"
                    ))
                }
            }
        }
        Ok(())
    }

    /// After every tracked descriptor was closed: no dma-buf and no sync_file or syncobj file may be left, since
    /// only descriptors keep them (the kernel side holds none of its own that would).
    pub fn check_released(&self) -> Result<(), String> {
        let (anon, bufs) = (kernel::anon_file::live(), self.dev.dma_buf_count());
        if anon != self.anon_base || bufs != 0 {
            return Err(format!(
                "with every descriptor closed, {anon} anonymous files live (started with {}) and {bufs} dma-bufs",
                self.anon_base
            ));
        }
        Ok(())
    }

    /// Closes everything and checks that RAM returns to the device's baseline (no frame leaked), that no dma-buf
    /// and no sync_file or syncobj file is left, and that every descriptor opened since the start is closed again.
    pub fn finish(mut self) -> Result<(), String> {
        self.close_and_check()
    }

    /// Takes the process's descriptors and anonymous files as they are now as the run's starting point: for a host
    /// process that opens descriptors of its own between runs (a fuzzing engine), called while the executor holds
    /// none of its own, i.e. before any step or right after [`Executor::reset`].
    pub fn rebase(&mut self) {
        self.fd_base = fds::open_ids();
        self.anon_base = kernel::anon_file::live();
    }

    /// [`Executor::finish`] without giving the device up: everything closed and checked, then `nfiles` files opened
    /// afresh as [`Executor::new`] opens them, so that the next run starts from the device's baseline without booting
    /// a board again (what a coverage-guided fuzzer needs between inputs).
    pub fn reset(&mut self, nfiles: usize) -> Result<(), String> {
        self.close_and_check()?;
        let (files, primary) = open_files(&self.dev, nfiles).map_err(|e| format!("{e}"))?;
        self.offsets = vec![Vec::new(); files.len()];
        self.files = files;
        self.primary = primary;
        self.names.clear();
        self.magics.clear();
        Ok(())
    }

    fn close_and_check(&mut self) -> Result<(), String> {
        self.tracked.close_all();
        self.files.clear();
        self.baseline
            .check(&[], &self.dev, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        // What the files held goes with them, but a job's fence may still hold a syncobj (and the eventfds waiting
        // on it) until the scheduler lets go: look again until the deadline.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            self.settle();
            let (anon, bufs, new) = (
                kernel::anon_file::live(),
                self.dev.dma_buf_count(),
                fds::new_since(&self.fd_base),
            );
            if anon == self.anon_base && bufs == 0 && new.is_empty() {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                let names: Vec<String> = new
                    .iter()
                    .map(|(fd, _)| {
                        let l =
                            std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap_or_default();
                        format!("{fd}:{}", l.display())
                    })
                    .collect();
                return Err(format!(
                    "{anon} anonymous files live (started with {}), {bufs} dma-bufs, descriptors opened since \
                     the start and still open: {}",
                    self.anon_base,
                    names.join(" ")
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Runs one step (panics are caught and reported as `Err`).
    pub fn run(&mut self, step: &Step) -> Result<Outcome, String> {
        let before = Self::panics();
        let out = catch_unwind(AssertUnwindSafe(|| self.run_inner(step)));
        match out {
            Ok(o) if Self::panics() == before => Ok(o),
            Ok(_) => Err("a panic on another thread".into()),
            Err(p) => Err(p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into())),
        }
    }

    fn run_inner(&mut self, step: &Step) -> Outcome {
        match step {
            Step::Ioctl(c) => self.ioctl(c, Target::File(c.file % self.files.len())),
            Step::FdIoctl { fd, call } => self.ioctl(call, Target::Fd(*fd)),
            Step::CloseFd { fd } => {
                self.tracked.close(*fd);
                Outcome {
                    result: Ok(()),
                    arg_after: None,
                    wrong_fd: None,
                }
            }
            Step::Eventfd => {
                if let Some(fd) = fds::eventfd() {
                    self.tracked.add(fd, FdKind::Eventfd);
                }
                Outcome {
                    result: Ok(()),
                    arg_after: None,
                    wrong_fd: None,
                }
            }
            Step::Mmap {
                file,
                offset,
                len,
                write,
                shared,
            } => {
                let f = &self.files[*file % self.files.len()];
                let req = MmapRequest {
                    offset: *offset,
                    len: *len,
                    write: *write,
                    exec: false,
                    shared: *shared,
                };
                Outcome {
                    result: mmap(f, req).map(drop),
                    arg_after: None,
                    wrong_fd: None,
                }
            }
            Step::SwSync => {
                self.tracked.add_sw_sync();
                Outcome {
                    result: Ok(()),
                    arg_after: None,
                    wrong_fd: None,
                }
            }
            Step::CloseFds => {
                self.tracked.close_all();
                Outcome {
                    result: Ok(()),
                    arg_after: None,
                    wrong_fd: None,
                }
            }
            Step::Reopen { file } => {
                let i = *file % self.files.len();
                let opener = if self.primary[i] {
                    PRIMARY_CLIENT
                } else {
                    RENDER_CLIENT
                };
                let result = TyrDrmFile::open(&self.dev, opener).map(|f| {
                    self.files[i] = f;
                    self.offsets[i].clear();
                });
                Outcome {
                    result,
                    arg_after: None,
                    wrong_fd: None,
                }
            }
        }
    }
}

/// Whether a failed `step` may have changed state: a synchronous VM_BIND keeps the ops before the failing one
/// (`Documentation/uapi.md#vm_bind`, it writes their number back), and a handler that succeeded before the copy-back
/// faulted on a read-only (or, with nothing to read, any unwritable) argument keeps its effect, as in `drm_ioctl`
/// (`Documentation/uapi.md#drm-core-ioctl-path`: the copy-back fault replaces the result).
pub fn failure_may_change_state(step: &Step, out: &Outcome) -> bool {
    let c = match step {
        Step::Ioctl(c) => c,
        // `sync_file_ioctl` and `dma_buf_ioctl` copy their argument in themselves and undo a new descriptor whose
        // copy-back faulted: a failure changes nothing.
        Step::FdIoctl { .. } => return false,
        _ => return true,
    };
    let Err(e) = out.result else { return false };
    // The handler ran when nothing had to be read (no write direction, or size 0) or the argument was readable;
    // only the copy-back then faulted.
    let nothing_read = c.cmd & IOC_IN == 0 || ioc_size(c.cmd) == 0;
    if e == EFAULT && c.arg != PtrKind::Valid && (c.arg == PtrKind::ReadOnly || nothing_read) {
        return true;
    }
    if errno::known(c.cmd).is_some_and(|k| k.cmd == DRM_IOCTL_PANTHOR_VM_BIND) {
        let asynchronous = c.bytes.get32(4) & 1 != 0;
        return !asynchronous && out.arg_after.as_ref().is_none_or(|a| a.get32(12) != 0);
    }
    false
}
