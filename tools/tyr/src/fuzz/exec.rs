//! The executor: a booted board with several render files, running [`Step`]s through the real entry points
//! (`File::ioctl` with user pointers into this process, `tyr::mmap::mmap`), and the checks after each one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use kernel::code::EFAULT;
use kernel::drm::gem::IntoGemObject;
use kernel::drm::ioctl::{ioc_size, IOC_IN};
use kernel::error::Error;
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::check::{check_files, vms_of, Baseline, CheckError, FileSnapshot};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::mmap::{mmap, MmapRequest};
use tyr::uapi::ioctl::*;

use super::call::{Buf, Call, Fields, Loc, PtrKind, Step};
use super::errno;
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
        unsafe { libc::mprotect(base.cast::<u8>().add(pages * PAGE).cast(), PAGE, libc::PROT_NONE) };
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
}

/// The board, the files, and the descriptors handed out.
pub struct Executor {
    // Dropped in this order: files before the device before the board.
    files: Vec<Arc<TyrDrmFile>>,
    fds: Vec<i32>,
    offsets: Vec<Vec<u64>>,
    dev: Arc<TyrDrmDevice>,
    baseline: Baseline,
    hole: Hole,
    _soc: Rk3588,
}

impl Executor {
    /// Boots a board and opens `nfiles` render files.
    pub fn new(nfiles: usize) -> Result<Executor, FuzzError> {
        install_panic_counter();
        let soc = Rk3588::new().map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        let dev = probe(soc.gpu()).map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        let baseline = Baseline::capture(&dev);
        let files = (0..nfiles.max(1))
            .map(|_| TyrDrmFile::open(&dev, RENDER_CLIENT))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FuzzError::Boot(format!("{e:?}")))?;
        Ok(Executor {
            offsets: vec![Vec::new(); files.len()],
            files,
            fds: Vec::new(),
            dev,
            baseline,
            hole: Hole::new(),
            _soc: soc,
        })
    }

    /// Waits for the scheduler's asynchronous teardown of destroyed groups.
    pub fn settle(&self) {
        self.dev.data().sched().settle(Duration::from_secs(5));
    }

    /// Panics counted so far, process-wide.
    pub fn panics() -> u64 {
        PANICS.load(Ordering::SeqCst)
    }

    /// What the files hold, for the generator.
    pub fn view(&self) -> View {
        let files = self
            .files
            .iter()
            .zip(&self.offsets)
            .map(|(f, offs)| FileView {
                bos: f.objects().handles().into_iter().map(|(h, o)| (h, o.gem().size())).collect(),
                vms: vms_of(f).iter().map(|v| v.id()).collect(),
                syncobjs: f.syncobjs().handles().into_iter().map(|(h, _)| h).collect(),
                offsets: offs.clone(),
                groups: f.data().groups().handles(),
            })
            .collect();
        View { files, fds: self.fds.clone() }
    }

    /// Snapshots of every file.
    pub fn snapshots(&self) -> Vec<FileSnapshot> {
        self.files.iter().map(|f| FileSnapshot::take(f)).collect()
    }

    /// The open files (for views of the state a run left: `tyr vm --seed`).
    pub fn files(&self) -> &[Arc<TyrDrmFile>] {
        &self.files
    }

    /// Runs the consistency checker over every file.
    pub fn check(&self) -> Result<(), String> {
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

    /// Closes everything and checks that RAM returns to the device's baseline (no frame leaked).
    pub fn finish(mut self) -> Result<(), String> {
        self.close_fds();
        self.files.clear();
        self.baseline.check(&[], &self.dev, Duration::from_secs(5)).map(drop).map_err(|e| e.to_string())
    }

    fn close_fds(&mut self) {
        for fd in self.fds.drain(..) {
            // SAFETY: a descriptor PRIME_HANDLE_TO_FD gave this executor; closed once.
            unsafe { libc::close(fd) };
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
            Step::Ioctl(c) => self.ioctl(c),
            Step::Mmap { file, offset, len, write, shared } => {
                let f = &self.files[*file % self.files.len()];
                let req = MmapRequest { offset: *offset, len: *len, write: *write, exec: false, shared: *shared };
                Outcome { result: mmap(f, req).map(drop), arg_after: None }
            }
            Step::CloseFds => {
                self.close_fds();
                Outcome { result: Ok(()), arg_after: None }
            }
            Step::Reopen { file } => {
                let i = *file % self.files.len();
                let result = TyrDrmFile::open(&self.dev, RENDER_CLIENT).map(|f| {
                    self.files[i] = f;
                    self.offsets[i].clear();
                });
                Outcome { result, arg_after: None }
            }
        }
    }

    fn ioctl(&mut self, c: &Call) -> Outcome {
        let file = c.file % self.files.len();
        // Lay the buffers out: addresses first, then contents with the links patched in, then protections.
        let regions: Vec<Option<Region>> = c
            .bufs
            .iter()
            .map(|b| matches!(b.ptr, PtrKind::Valid | PtrKind::ReadOnly).then(|| Region::new(b.bytes.len())))
            .collect();
        let arg_len = c.bytes.len().max(ioc_size(c.cmd));
        let arg_region = matches!(c.arg, PtrKind::Valid | PtrKind::ReadOnly).then(|| Region::new(arg_len));
        let addrs: Vec<usize> =
            c.bufs.iter().zip(&regions).map(|(b, r)| self.addr(b.ptr, r.as_ref(), b.bytes.len())).collect();
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
                unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), r.data(data.len()) as *mut u8, data.len()) };
                if b.ptr == PtrKind::ReadOnly {
                    r.protect_read_only();
                }
            }
        }
        if let Some(r) = &arg_region {
            // SAFETY: as above, for the argument.
            unsafe { core::ptr::copy_nonoverlapping(arg.as_ptr(), r.data(arg.len()) as *mut u8, arg.len()) };
            if c.arg == PtrKind::ReadOnly {
                r.protect_read_only();
            }
        }
        let ptr = self.addr(c.arg, arg_region.as_ref(), arg.len());
        // An export whose copy-back faults still made a descriptor (as `drm_ioctl` would: the fd is installed before
        // the copy-back), which the caller never learns: find it in /proc so that it is closed like the others.
        let exporting = errno::known(c.cmd).is_some_and(|k| k.cmd == DRM_IOCTL_PRIME_HANDLE_TO_FD);
        let fds_before = if exporting { open_fds() } else { Vec::new() };
        let result = self.files[file].ioctl(c.cmd, UserPtr(ptr));
        if exporting {
            // A first export also opens the device's own descriptor of the dma-buf (before the caller's duplicate,
            // so with the lower number): only the highest new descriptor is the caller's.
            let new = open_fds().into_iter().filter(|fd| !fds_before.contains(fd)).max();
            self.fds.extend(new);
        }
        let arg_after = arg_region.as_ref().map(|r| {
            let mut v = vec![0u8; arg.len()];
            // SAFETY: reading back the argument region, which is readable (valid or read-only).
            unsafe { core::ptr::copy_nonoverlapping(r.data(arg.len()) as *const u8, v.as_mut_ptr(), v.len()) };
            v
        });
        if let (Ok(()), Some(after)) = (result, &arg_after) {
            if c.cmd == DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET {
                let o = u64::from_le_bytes(after[8..16].try_into().unwrap_or_default());
                if !self.offsets[file].contains(&o) {
                    self.offsets[file].push(o);
                }
            }
        }
        Outcome { result, arg_after }
    }
}

/// The descriptors open in this process.
fn open_fds() -> Vec<i32> {
    let listed: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    // The listing's own directory descriptor is closed by now.
    // SAFETY: F_GETFD only queries the descriptor table.
    listed.into_iter().filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1).collect()
}

/// Whether a failed `step` may have changed state: a synchronous VM_BIND keeps the ops before the failing one
/// (§7.4, it writes their number back), and a handler that succeeded before the copy-back faulted on a read-only
/// (or, with nothing to read, any unwritable) argument keeps its effect, as in `drm_ioctl` (§1.2: the copy-back fault
/// replaces the result).
pub fn failure_may_change_state(step: &Step, out: &Outcome) -> bool {
    let Step::Ioctl(c) = step else { return true };
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
