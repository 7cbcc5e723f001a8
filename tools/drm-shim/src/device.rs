// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The process's Panthor device and what refers to it: the booted board, the table of descriptors that are open
//! DRM files (or fake directories), and the CPU mappings of BOs.
//!
//! # Fork
//! The model's threads do not survive `fork`, and neither does anything the driver was waiting on, so a child
//! never touches its parent's device. A `pthread_atfork` child handler bumps the *generation*; the first open in
//! the child boots a fresh board and probes it again. Descriptors and mappings the child inherited belong to the
//! old generation: their ioctls and mmaps fail with `ENODEV` (the device is gone, as after an unplug), closing or
//! unmapping them works, and the objects they refer to are forgotten rather than dropped, because dropping would run
//! driver code against a device whose threads are gone. The parent's state is untouched.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Once};

use kernel::drm::auth::{as_task_lazy, Capabilities, NodeType, Opener};
use kernel::sw_sync::SwSyncTimeline;
use kernel::uaccess::UserPtr;
use lock_api::RawMutex as _;
use parking_lot::Mutex;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile};
use tyr::gem::TyrObject;

use crate::vfs::Minor;

/// The generation of the device state: bumped in every fork child.
static GENERATION: AtomicU32 = AtomicU32::new(0);

fn generation() -> u32 {
    GENERATION.load(Ordering::Acquire)
}

/// A booted board with Tyr probed on it, for one generation. Leaked: it lives as long as the process (statics are
/// never dropped), and a fork child must never drop its parent's.
pub struct Booted {
    soc: Rk3588,
    dev: Arc<TyrDrmDevice>,
    generation: u32,
}

impl Booted {
    /// The DRM device.
    pub fn dev(&self) -> &Arc<TyrDrmDevice> {
        &self.dev
    }

    /// The platform device's name (for traces).
    pub fn name(&self) -> &str {
        self.soc.gpu().name()
    }

    /// The modelled board's system RAM as `(total, free)` bytes: every frame the board's allocator can hand out, and
    /// those it has not (what `sysinfo` reports as `totalram`/`freeram` on the board).
    pub fn ram_bytes(&self) -> (u64, u64) {
        let s = self.soc.board().ram().stats();
        (
            s.usable_frames * hw_mem::FRAME_SIZE,
            s.free_frames * hw_mem::FRAME_SIZE,
        )
    }
}

static BOOT: Mutex<Option<&'static Booted>> = Mutex::new(None);

/// The device of this generation, booting the board and probing the driver on first use.
pub fn device() -> kernel::Result<&'static Booted> {
    install_fork_handlers();
    let mut b = BOOT.lock();
    let generation = generation();
    if let Some(d) = *b {
        if d.generation == generation {
            return Ok(d);
        }
    }
    if generation > 0 {
        occupy_inherited_stacks();
    }
    tyr_trace_setup::init_from_env();
    let soc = Rk3588::new()?;
    let dev = probe(soc.gpu())?;
    let d: &'static Booted = Box::leak(Box::new(Booted {
        soc,
        dev,
        generation,
    }));
    crate::trace::line(format_args!(
        "booted {} (generation {generation})",
        d.name()
    ));
    *b = Some(d);
    Ok(d)
}

/// An open DRM file, shared by every descriptor that refers to it (`dup`, as the kernel's `struct file`).
pub struct DrmOpen {
    /// The driver's file.
    pub file: Arc<TyrDrmFile>,
    /// Which node was opened.
    pub minor: Minor,
    /// `(st_dev, st_ino)` of the real descriptor standing for it, to tell a reused descriptor number from ours.
    pub key: (u64, u64),
    generation: u32,
}

/// `CAP_SYS_ADMIN`.
const CAP_SYS_ADMIN: u32 = 21;
/// `CAP_SYS_NICE`.
const CAP_SYS_NICE: u32 = 23;

/// The calling thread's effective capability set (`capget`), empty if it cannot be read.
fn effective_caps() -> u64 {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.
    let mut hdr = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget reads `hdr` and writes two `Data` records, the layout the v3 header promises.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut hdr as *mut Header, data.as_mut_ptr()) };
    if r != 0 {
        return 0;
    }
    u64::from(data[0].effective) | (u64::from(data[1].effective) << 32)
}

/// `CAP_FOWNER`.
const CAP_FOWNER: u32 = 3;

/// Whether the calling thread may change the mode of a file root owns (`inode_owner_or_capable`): its fsuid is 0
/// or it has CAP_FOWNER. The fake nodes, like devtmpfs and sysfs ones, belong to root.
pub fn owns_root_files() -> bool {
    // SAFETY: setfsuid(-1) changes nothing and returns the current fsuid.
    let fsuid = unsafe { libc::setfsuid(u32::MAX) };
    fsuid == 0 || effective_caps() & (1 << CAP_FOWNER) != 0
}

/// The calling thread's CAP_SYS_ADMIN and CAP_SYS_NICE.
fn capabilities() -> Capabilities {
    let caps = effective_caps();
    Capabilities {
        sys_admin: caps & (1 << CAP_SYS_ADMIN) != 0,
        sys_nice: caps & (1 << CAP_SYS_NICE) != 0,
    }
}

/// Who opens `minor` now: the node and the caller's capabilities, which the DRM core samples for the new file
/// (root is authenticated from the start; the device decides who is master).
fn opener(minor: Minor) -> Opener {
    let caps = capabilities();
    let node = match minor {
        Minor::Card0 => NodeType::Primary,
        Minor::Render128 => NodeType::Render,
    };
    Opener {
        node,
        sys_admin: caps.sys_admin,
        sys_nice: caps.sys_nice,
    }
}

impl DrmOpen {
    /// Opens `minor` on this generation's device (a new DRM file, as every `open` of a node gives), with `key` the
    /// identity of the real descriptor that will stand for it.
    pub fn open(minor: Minor, key: (u64, u64)) -> kernel::Result<Arc<DrmOpen>> {
        let d = device()?;
        let file = TyrDrmFile::open(d.dev(), opener(minor))?;
        Ok(Arc::new(DrmOpen {
            file,
            minor,
            key,
            generation: d.generation,
        }))
    }

    /// `ioctl` on the file as the calling thread: its capabilities now, not the opener's, are what `capable()`
    /// checks see (`DRM_ROOT_ONLY`, SET/DROP_MASTER, Panthor's priorities), read (`capget`) only if the call makes
    /// such a check.
    pub fn ioctl(&self, cmd: u32, arg: UserPtr) -> kernel::Result {
        as_task_lazy(capabilities, || self.file.ioctl(cmd, arg))
    }

    /// Whether the file belongs to this process's current device (not inherited across fork).
    pub fn is_current(&self) -> bool {
        self.generation == generation()
    }
}

/// What a tracked descriptor is.
#[derive(Clone)]
pub enum Tracked {
    /// An open DRM node.
    Drm(Arc<DrmOpen>),
    /// A fake directory opened with `open(O_DIRECTORY)`/`opendir`, by canonical path.
    Dir(Arc<str>),
    /// An open sw_sync timeline, shared by every descriptor that refers to it.
    SwSync(Arc<SwSyncOpen>),
    /// An open live sysfs attribute.
    Attr(Arc<crate::sysfs_attr::AttrOpen>),
}

/// An open of debugfs `sync/sw_sync`: a software sync timeline, released (its pending fences signalled with ENOENT)
/// when its last descriptor closes.
pub struct SwSyncOpen {
    /// The timeline.
    pub timeline: SwSyncTimeline,
    /// `(st_dev, st_ino)` of the real descriptor standing for it.
    pub key: (u64, u64),
    generation: u32,
}

impl SwSyncOpen {
    /// A new timeline named after the calling process (`get_task_comm`), for the descriptor with identity `key`.
    pub fn open(key: (u64, u64)) -> kernel::Result<Arc<SwSyncOpen>> {
        let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap_or_default();
        let timeline = SwSyncTimeline::new(comm.trim_end_matches('\n'))?;
        Ok(Arc::new(SwSyncOpen {
            timeline,
            key,
            generation: generation(),
        }))
    }

    /// Whether the timeline belongs to this process (not inherited across fork: its fences live in the parent).
    pub fn is_current(&self) -> bool {
        self.generation == generation()
    }
}

/// Releases a value that may belong to an earlier generation: dropped normally when current, forgotten otherwise
/// (see the module docs).
fn release(t: Tracked) {
    match t {
        Tracked::Drm(d) if !d.is_current() => core::mem::forget(d),
        Tracked::SwSync(t) if !t.is_current() => core::mem::forget(t),
        t => drop(t),
    }
}

struct Tables {
    fds: HashMap<i32, Tracked>,
    maps: Vec<Mapping>,
}

/// Count of tracked descriptors and mappings, so that the common case (a process's ordinary files) skips the lock.
static TRACKED: AtomicUsize = AtomicUsize::new(0);
static TABLES: Mutex<Option<Tables>> = Mutex::new(None);

fn with_tables<R>(f: impl FnOnce(&mut Tables) -> R) -> R {
    let mut g = TABLES.lock();
    let t = g.get_or_insert_with(|| Tables {
        fds: HashMap::new(),
        maps: Vec::new(),
    });
    let r = f(t);
    TRACKED.store(t.fds.len() + t.maps.len(), Ordering::Release);
    r
}

fn anything_tracked() -> bool {
    TRACKED.load(Ordering::Acquire) != 0
}

/// Starts tracking `fd` as `t`; whatever `fd` was tracked as before is released (outside the lock).
pub fn track(fd: i32, t: Tracked) {
    if let Some(old) = with_tables(|tb| tb.fds.insert(fd, t)) {
        release(old);
    }
}

/// What `fd` is tracked as, if anything.
pub fn lookup(fd: i32) -> Option<Tracked> {
    if !anything_tracked() {
        return None;
    }
    with_tables(|tb| tb.fds.get(&fd).cloned())
}

/// Stops tracking `fd` (it was closed, or its number was reused behind the shim's back) and releases what it
/// referred to outside the lock: the last descriptor of a DRM file closes the file.
pub fn untrack(fd: i32) -> bool {
    if !anything_tracked() {
        return false;
    }
    match with_tables(|tb| tb.fds.remove(&fd)) {
        Some(t) => {
            release(t);
            true
        }
        None => false,
    }
}

/// A CPU mapping the shim made on a DRM descriptor. Holds the BO, as a VMA does, until the last page of it is
/// unmapped.
pub struct Mapping {
    /// First address.
    pub start: usize,
    /// One past the last address.
    pub end: usize,
    /// The BO shown (none for the flush-ID page).
    pub obj: Option<Arc<TyrObject>>,
    generation: u32,
}

impl Mapping {
    /// A mapping of this generation.
    pub fn new(start: usize, len: usize, obj: Option<Arc<TyrObject>>) -> Self {
        Mapping {
            start,
            end: start + len,
            obj,
            generation: generation(),
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.generation != generation() {
            core::mem::forget(self.obj.take());
        }
    }
}

/// Records a new mapping.
pub fn add_mapping(m: Mapping) {
    with_tables(|tb| tb.maps.push(m));
}

/// Forgets whatever the shim had mapped in `[start, end)` (after `munmap`, or a `MAP_FIXED` mapping over it); pieces
/// outside the range stay recorded. The BOs no longer mapped are released outside the lock.
pub fn unmap_range(start: usize, end: usize) {
    if !anything_tracked() || start >= end {
        return;
    }
    let gone: Vec<Mapping> = with_tables(|tb| {
        let mut gone = Vec::new();
        let mut keep = Vec::with_capacity(tb.maps.len());
        for mut m in tb.maps.drain(..) {
            if m.end <= start || m.start >= end {
                keep.push(m);
                continue;
            }
            if m.start < start {
                keep.push(Mapping {
                    start: m.start,
                    end: start,
                    obj: m.obj.clone(),
                    generation: m.generation,
                });
            }
            if m.end > end {
                keep.push(Mapping {
                    start: end,
                    end: m.end,
                    obj: m.obj.clone(),
                    generation: m.generation,
                });
            }
            m.end = m.start;
            gone.push(m);
        }
        tb.maps = keep;
        gone
    });
    drop(gone);
}

/// Threads the process had when it last forked (counted in the prepare handler).
static THREADS_AT_FORK: AtomicUsize = AtomicUsize::new(0);

/// Stacks glibc keeps for reuse, at most (`stack_cache_maxsize` is 40 MiB; Rust's threads take 2 MiB each).
const STACK_CACHE_SLOTS: usize = 24;

/// Keeps the stacks of the parent's threads from being reused by the child's model threads.
///
/// The model and driver wait on `parking_lot` condvars. A parent thread parked at the moment of `fork` stays linked
/// in `parking_lot`'s global wait queue in the child, through a record in its TLS, which glibc keeps at the top of
/// the thread's stack. The child's glibc puts the dead threads' stacks in its stack cache, so a new thread of the
/// same stack size would get the same TLS address, link the same record again and make the queue a cycle (an
/// endless loop in the next notify). Before booting its own board, the child therefore starts idle threads of
/// Rust's default stack size that block forever and take every stack the cache could hand out.
fn occupy_inherited_stacks() {
    let n = THREADS_AT_FORK.load(Ordering::Acquire).saturating_sub(1) + STACK_CACHE_SLOTS;
    for _ in 0..n {
        let idle = std::thread::Builder::new()
            .name("tyr-shim-idle".into())
            .spawn(|| loop {
                // SAFETY: pause has no preconditions; it only returns after a signal handler ran.
                unsafe { libc::pause() };
            });
        if idle.is_err() {
            break;
        }
    }
}

/// This process's thread count (`num_threads`, field 20 of `/proc/self/stat`).
fn thread_count() -> usize {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; fields after it are counted from its closing parenthesis.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(17)?.parse().ok())
        .unwrap_or(1)
}

/// Installs the fork handlers once: the tables and the boot lock are held across `fork` so the child never inherits
/// them locked by a thread that does not exist there, and the child starts a new generation.
fn install_fork_handlers() {
    static ONCE: Once = Once::new();
    extern "C" fn prepare() {
        THREADS_AT_FORK.store(thread_count(), Ordering::Release);
        // SAFETY: raw lock/unlock pairs are matched in `parent` and `child`; the order (boot, then tables) is the
        // order every other path takes them in.
        unsafe {
            BOOT.raw().lock();
            TABLES.raw().lock();
        }
        // The kernel's registries of sync_files, syncobj files and dma-bufs, after the shim's own locks.
        kernel::anon_file::fork_prepare();
    }
    extern "C" fn parent() {
        kernel::anon_file::fork_parent();
        // SAFETY: `prepare` locked both in this thread just before fork.
        unsafe {
            TABLES.raw().unlock();
            BOOT.raw().unlock();
        }
    }
    extern "C" fn child() {
        GENERATION.fetch_add(1, Ordering::AcqRel);
        kernel::anon_file::fork_child();
        // SAFETY: the child's only thread is the one that ran `prepare`, so it owns both locks.
        unsafe {
            TABLES.raw().unlock();
            BOOT.raw().unlock();
        }
    }
    ONCE.call_once(|| {
        // SAFETY: the handlers are valid `extern "C"` functions for the life of the process (the shim is never
        // unloaded: it is preloaded).
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}
