// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The executor: a booted board with several render files, running [`Step`]s through the real entry points
//! (`File::ioctl` with user pointers into this process, `tyr::mmap::mmap`), and the checks after each one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use kernel::code::{EBADF, EFAULT, ENOTTY};
use kernel::drm::gem::IntoGemObject;
use kernel::drm::ioctl::{ioc_size, IOC_IN};
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

const PAGE: usize = 4096;

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

/// Anonymous memory for one user buffer, with an unmapped guard page after it so that the kernel writing past the
/// caller's buffer (as a too-large size field invites) faults instead of corrupting this process.
///
/// # Invariants
/// `base` is a live private anonymous mapping of `len` bytes owned by this value.
struct Region {
    base: *mut libc::c_void,
    len: usize,
}

impl Region {
    fn new(data_len: usize) -> Region {
        let pages = data_len.div_ceil(PAGE).max(1);
        let len = (pages + 1) * PAGE;
        // SAFETY: a fresh anonymous mapping; no existing memory is affected.
        let base = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap for a fuzz buffer");
        // SAFETY: the last page of the mapping just made.
        unsafe {
            libc::mprotect(
                base.cast::<u8>().add(pages * PAGE).cast(),
                PAGE,
                libc::PROT_NONE,
            )
        };
        Region { base, len }
    }

    /// Where `n` bytes start so that they end at the guard page.
    fn data(&self, n: usize) -> usize {
        self.base as usize + (self.len - PAGE) - n
    }

    fn protect_read_only(&self) {
        // SAFETY: changes the protection of this region's own pages.
        unsafe { libc::mprotect(self.base, self.len - PAGE, libc::PROT_READ) };
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping is owned by this value (type invariant) and nothing refers to it any more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// An address range with nothing mapped behind it (reserved PROT_NONE, so nothing else lands there).
struct Hole(Region);

impl Hole {
    fn new() -> Hole {
        let r = Region::new(PAGE);
        // SAFETY: this region's own pages.
        unsafe { libc::mprotect(r.base, r.len, libc::PROT_NONE) };
        Hole(r)
    }

    fn addr(&self) -> usize {
        self.0.base as usize + 64
    }
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

/// What a failed call must leave as it was: every file's snapshot, every primary file's master and authentication
/// state, and the process's descriptors (a failed call hands out none; the kernel side may close some of its own).
pub struct Snapshot {
    files: Vec<FileSnapshot>,
    auth: Vec<(bool, bool)>,
    /// Per GEM id a file holds: the fences in its reservation object (what DMA_BUF_IOCTL_IMPORT_SYNC_FILE adds).
    resv: std::collections::BTreeMap<u64, usize>,
    /// The names of the tracked dma-bufs (DMA_BUF_SET_NAME).
    names: Vec<(i32, String)>,
    fds: Vec<FdId>,
}

impl Snapshot {
    /// The first difference from `later`, if any.
    pub fn diff(&self, later: &Snapshot) -> Option<String> {
        if let Some(d) = self
            .files
            .iter()
            .zip(&later.files)
            .find_map(|(a, b)| a.diff(b))
        {
            return Some(d);
        }
        if self.resv != later.resv {
            return Some(format!(
                "reservation fences changed: {:?} -> {:?}",
                self.resv, later.resv
            ));
        }
        if self.names != later.names {
            return Some(format!(
                "dma-buf names changed: {:?} -> {:?}",
                self.names, later.names
            ));
        }
        if self.auth != later.auth {
            return Some(format!(
                "(authenticated, master) of the files changed: {:?} -> {:?}",
                self.auth, later.auth
            ));
        }
        // A write-only pipe end is the kernel side's half of an anonymous file, which it releases lazily (a merged
        // sync_file whose copy-back faulted was closed on the caller's side and waits for the next reap).
        let new: Vec<i32> = later
            .fds
            .iter()
            .filter(|x| !self.fds.contains(x) && !fds::is_kernel_pipe_end(x.0))
            .map(|x| x.0)
            .collect();
        if !new.is_empty() {
            return Some(format!("new descriptors {new:?}"));
        }
        None
    }
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
    /// Descriptors open, and anonymous files live, once the board and files were up.
    fd_base: usize,
    anon_base: usize,
    hole: Hole,
    _soc: Rk3588,
}

impl Executor {
    /// Boots a board and opens `nfiles` files: render files, and with two or more the last one a primary-node file
    /// (the master, so that the master, authentication and GEM-name ioctls are fuzzed too).
    pub fn new(nfiles: usize) -> Result<Executor, FuzzError> {
        install_panic_counter();
        let soc = Rk3588::new().map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        let dev = probe(soc.gpu()).map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        let baseline = Baseline::capture(&dev);
        let n = nfiles.max(1);
        let primary: Vec<bool> = (0..n).map(|i| n >= 2 && i == n - 1).collect();
        let files = primary
            .iter()
            .map(|&p| TyrDrmFile::open(&dev, if p { PRIMARY_CLIENT } else { RENDER_CLIENT }))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        Ok(Executor {
            offsets: vec![Vec::new(); files.len()],
            files,
            primary,
            tracked: Tracked::default(),
            names: Vec::new(),
            magics: Vec::new(),
            dev,
            baseline,
            fd_base: fds::open_ids().len(),
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
            };
            if !found {
                return Err(format!(
                    "descriptor {fd} ({kind:?}) is open but its kernel object is gone"
                ));
            }
            let Some(file) = kernel::sync_file::SyncFile::from_fd(fd) else {
                continue;
            };
            let deadline = std::time::Instant::now() + Duration::from_secs(1);
            loop {
                // Read the fence first: a readable file whose fence was unsignalled just before is a bug.
                let signalled = file.fence().is_signaled();
                let readable = fds::readable(fd);
                if readable && !signalled {
                    return Err(format!(
                        "sync_file {fd} polls readable before its fence signalled"
                    ));
                }
                if readable == signalled {
                    break;
                }
                if std::time::Instant::now() >= deadline {
                    return Err(format!(
                        "sync_file {fd}: its fence signalled but the file never became readable"
                    ));
                }
                std::thread::sleep(Duration::from_millis(1));
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
    /// and no sync_file or syncobj file is left, and that the process holds as many descriptors as before the run.
    pub fn finish(mut self) -> Result<(), String> {
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
            let (anon, bufs, open) = (
                kernel::anon_file::live(),
                self.dev.dma_buf_count(),
                fds::open_ids(),
            );
            if anon == self.anon_base && bufs == 0 && open.len() == self.fd_base {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                let names: Vec<String> = open
                    .iter()
                    .map(|(fd, _)| {
                        let l =
                            std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap_or_default();
                        format!("{fd}:{}", l.display())
                    })
                    .collect();
                return Err(format!(
                    "{anon} anonymous files live (started with {}), {bufs} dma-bufs, {} descriptors open \
                     (started with {}): {}",
                    self.anon_base,
                    open.len(),
                    self.fd_base,
                    names.join(" ")
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn addr(&self, kind: PtrKind, region: Option<&Region>, n: usize) -> usize {
        match kind {
            PtrKind::Valid | PtrKind::ReadOnly => region.map_or(0, |r| r.data(n)),
            PtrKind::Unmapped => self.hole.addr(),
            PtrKind::Null => 0,
            PtrKind::Wild(a) => a as usize,
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

    fn ioctl(&mut self, c: &Call, target: Target) -> Outcome {
        // Lay the buffers out: addresses first, then contents with the links patched in, then protections.
        let regions: Vec<Option<Region>> = c
            .bufs
            .iter()
            .map(|b| {
                matches!(b.ptr, PtrKind::Valid | PtrKind::ReadOnly)
                    .then(|| Region::new(b.bytes.len()))
            })
            .collect();
        let arg_len = c.bytes.len().max(ioc_size(c.cmd));
        let arg_region =
            matches!(c.arg, PtrKind::Valid | PtrKind::ReadOnly).then(|| Region::new(arg_len));
        let addrs: Vec<usize> = c
            .bufs
            .iter()
            .zip(&regions)
            .map(|(b, r)| self.addr(b.ptr, r.as_ref(), b.bytes.len()))
            .collect();
        let mut contents: Vec<Vec<u8>> = c.bufs.iter().map(|b: &Buf| b.bytes.clone()).collect();
        let mut arg = c.bytes.clone();
        arg.resize(arg_len, 0);
        for l in &c.links {
            let a = addrs.get(l.buf).copied().unwrap_or(0) as u64;
            match l.at {
                Loc::Arg => arg.put64(l.offset, a),
                Loc::Buf(i) => {
                    if let Some(b) = contents.get_mut(i) {
                        b.put64(l.offset, a);
                    }
                }
            }
        }
        for ((b, r), data) in c.bufs.iter().zip(&regions).zip(&contents) {
            if let Some(r) = r {
                // SAFETY: `r.data(len)..+len` lies inside the region's writable pages (made for this length).
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        data.as_ptr(),
                        r.data(data.len()) as *mut u8,
                        data.len(),
                    )
                };
                if b.ptr == PtrKind::ReadOnly {
                    r.protect_read_only();
                }
            }
        }
        if let Some(r) = &arg_region {
            // SAFETY: as above, for the argument.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    arg.as_ptr(),
                    r.data(arg.len()) as *mut u8,
                    arg.len(),
                )
            };
            if c.arg == PtrKind::ReadOnly {
                r.protect_read_only();
            }
        }
        let ptr = self.addr(c.arg, arg_region.as_ref(), arg.len());
        // The new descriptor of a call that hands one out is found in /proc rather than in the argument: an export
        // whose copy-back faults still made it (as `drm_ioctl` would: the fd is installed before the copy-back),
        // which the caller never learns, and it is closed like the others.
        // (Whether it makes a dma-buf, and where it writes the descriptor's number.)
        let hands_out = match target {
            Target::File(_) => errno::known(c.cmd)
                .filter(|k| {
                    k.cmd == DRM_IOCTL_PRIME_HANDLE_TO_FD || k.cmd == DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD
                })
                .map(|k| (k.cmd == DRM_IOCTL_PRIME_HANDLE_TO_FD, 8)),
            Target::Fd(_) => match c.cmd {
                kernel::sync_file::SYNC_IOC_MERGE => Some((false, 36)),
                kernel::dma_buf::DMA_BUF_IOCTL_EXPORT_SYNC_FILE => Some((false, 4)),
                _ => None,
            },
        };
        let fds_before = if hands_out.is_some() {
            fds::open_ids()
        } else {
            Vec::new()
        };
        let result = match target {
            Target::File(file) => self.files[file].ioctl(c.cmd, UserPtr(ptr)),
            // Not a sync_file or dma-buf: what the real ioctl answers for a pipe, memfd or eventfd, or a closed fd.
            Target::Fd(fd) => kernel::dma_buf::file_ioctl(fd, c.cmd, UserPtr(ptr)).unwrap_or(
                if fds::is_open(fd) {
                    Err(ENOTTY)
                } else {
                    Err(EBADF)
                },
            ),
        };
        let made = hands_out
            .and_then(|(dma_buf, _)| fds::handed_out(&fds::new_since(&fds_before), dma_buf));
        if let Some((fd, kind)) = made {
            self.tracked.add(fd, kind);
        }
        let arg_after = arg_region.as_ref().map(|r| {
            let mut v = vec![0u8; arg.len()];
            // SAFETY: reading back the argument region, which is readable (valid or read-only).
            unsafe {
                core::ptr::copy_nonoverlapping(
                    r.data(arg.len()) as *const u8,
                    v.as_mut_ptr(),
                    v.len(),
                )
            };
            v
        });
        if let (Ok(()), Some(after), Target::File(file)) = (result, &arg_after, target) {
            if c.cmd == DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET {
                let o = u64::from_le_bytes(after[8..16].try_into().unwrap_or_default());
                if !self.offsets[file].contains(&o) {
                    self.offsets[file].push(o);
                }
            }
            // GEM names and magics the device handed out, for GEM_OPEN and AUTH_MAGIC to name (the newest few).
            let seen = match c.cmd {
                DRM_IOCTL_GEM_FLINK => Some((&mut self.names, after.get32(4))),
                DRM_IOCTL_GET_MAGIC => Some((&mut self.magics, after.get32(0))),
                _ => None,
            };
            if let Some((list, v)) = seen {
                if !list.contains(&v) {
                    if list.len() >= 8 {
                        list.remove(0);
                    }
                    list.push(v);
                }
            }
        }
        // A success with a writable argument whose copy-back reaches the field reports the descriptor it made.
        let wrong_fd = match (result, c.arg, &arg_after, hands_out) {
            (Ok(()), PtrKind::Valid, Some(after), Some((_, off))) if ioc_size(c.cmd) >= off + 4 => {
                let written = after.get32(off) as i32;
                (made.map(|m| m.0) != Some(written)).then(|| {
                    format!(
                        "{} wrote descriptor {written}, but the new one is {made:?}",
                        errno::name(c.cmd)
                    )
                })
            }
            _ => None,
        };
        Outcome {
            result,
            arg_after,
            wrong_fd,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            files: vec![],
            auth: vec![],
            resv: Default::default(),
            names: vec![],
            fds: fds::open_ids(),
        }
    }

    #[test]
    fn a_new_descriptor_is_a_change_but_the_kernel_sides_pipe_end_is_not() {
        let before = snap();
        let mut p = [0; 2];
        // SAFETY: `p` has room for the two descriptors pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let diff = before.diff(&snap()).expect("the read end is new");
        // Other tests run beside this one: look for these two numbers only.
        let listed: Vec<String> = diff
            .trim_start_matches("new descriptors [")
            .trim_end_matches(']')
            .split(", ")
            .map(String::from)
            .collect();
        assert!(listed.contains(&p[0].to_string()), "{diff}");
        assert!(!listed.contains(&p[1].to_string()), "{diff}");
        let mut changed = snap();
        changed.auth = vec![(true, false)];
        assert!(snap().diff(&changed).is_some_and(|d| d.contains("master")));
        for fd in p {
            // SAFETY: the pipe made above.
            unsafe { libc::close(fd) };
        }
    }
}
