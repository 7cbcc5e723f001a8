// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The sync_file side of dma-bufs (`drivers/dma-buf/dma-buf.c`): `DMA_BUF_IOCTL_EXPORT_SYNC_FILE`,
//! `DMA_BUF_IOCTL_IMPORT_SYNC_FILE`, `DMA_BUF_IOCTL_SYNC` and `DMA_BUF_SET_NAME` on the dma-buf descriptors PRIME
//! hands out ([`crate::drm::prime`]).
//!
//! PRIME registers each dma-buf's identity (`fstat`'s device and inode) with the resv of its object for as long as
//! the export lives; [`lookup`] finds it from any descriptor of the dma-buf. Entries made before a `fork` are
//! forgotten in the child, as [`crate::anon_file`] does.

use crate::sync::Mutex;
use crate::sync::MutexGuard;
use core::mem::size_of;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use crate::anon_file::{key_of, FileKey};
use crate::dma_fence::{DmaFence, FenceNames};
use crate::dma_resv::{DmaResv, DmaResvUsage};
use crate::error::code::{EFAULT, EINVAL, ENOTTY};
use crate::error::Result;
use crate::sync_file::SyncFile;
use crate::uaccess::{UserPtr, UserSlice};

/// `DMA_BUF_BASE`.
pub const DMA_BUF_BASE: u32 = b'b' as u32;
const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    crate::uapi::ioctl::ioc_typed(dir, DMA_BUF_BASE, nr, size)
}

/// `struct dma_buf_sync`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct dma_buf_sync {
    /// `DMA_BUF_SYNC_*`.
    pub flags: u64,
}

/// `struct dma_buf_export_sync_file` (also `dma_buf_import_sync_file`: the same two fields).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct dma_buf_sync_file {
    /// `DMA_BUF_SYNC_READ` and/or `DMA_BUF_SYNC_WRITE`.
    pub flags: u32,
    /// The sync_file (out for export, in for import).
    pub fd: i32,
}

crate::impl_uapi_pod!(dma_buf_sync { flags }, dma_buf_sync_file { flags, fd },);

/// `DMA_BUF_SYNC_READ`.
pub const DMA_BUF_SYNC_READ: u32 = 1 << 0;
/// `DMA_BUF_SYNC_WRITE`.
pub const DMA_BUF_SYNC_WRITE: u32 = 1 << 1;
/// `DMA_BUF_SYNC_RW`.
pub const DMA_BUF_SYNC_RW: u32 = DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE;
/// `DMA_BUF_SYNC_END`.
pub const DMA_BUF_SYNC_END: u64 = 1 << 2;
/// `DMA_BUF_NAME_LEN`.
pub const DMA_BUF_NAME_LEN: usize = 32;

/// `DMA_BUF_IOCTL_SYNC`: `_IOW('b', 0, struct dma_buf_sync)`.
pub const DMA_BUF_IOCTL_SYNC: u32 = ioc(1, 0, size_of::<dma_buf_sync>());
/// `DMA_BUF_SET_NAME_A`: `_IOW('b', 1, __u32)`.
pub const DMA_BUF_SET_NAME_A: u32 = ioc(1, 1, 4);
/// `DMA_BUF_SET_NAME_B` (and `DMA_BUF_SET_NAME` on 64-bit): `_IOW('b', 1, __u64)`.
pub const DMA_BUF_SET_NAME_B: u32 = ioc(1, 1, 8);
/// `DMA_BUF_IOCTL_EXPORT_SYNC_FILE`: `_IOWR('b', 2, struct dma_buf_export_sync_file)`.
pub const DMA_BUF_IOCTL_EXPORT_SYNC_FILE: u32 = ioc(3, 2, size_of::<dma_buf_sync_file>());
/// `DMA_BUF_IOCTL_IMPORT_SYNC_FILE`: `_IOW('b', 3, struct dma_buf_import_sync_file)`.
pub const DMA_BUF_IOCTL_IMPORT_SYNC_FILE: u32 = ioc(1, 3, size_of::<dma_buf_sync_file>());

/// A dma-buf as its ioctls see it (`struct dma_buf`).
pub struct DmaBuf {
    key: FileKey,
    resv: Weak<DmaResv>,
    name: Mutex<[u8; DMA_BUF_NAME_LEN]>,
}

impl DmaBuf {
    /// The name set with `DMA_BUF_SET_NAME` (empty if none).
    pub fn name(&self) -> String {
        let n = *self.name.lock();
        let len = n.iter().position(|&b| b == 0).unwrap_or(n.len());
        String::from_utf8_lossy(&n[..len]).into_owned()
    }
}

/// The dma-buf registry (locked across `fork` by [`crate::anon_file::fork_prepare`]).
pub(crate) struct Registry {
    pid: libc::pid_t,
    bufs: Vec<Arc<DmaBuf>>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The registry's lock, without the fork check.
pub(crate) fn registry_lock() -> MutexGuard<'static, Option<Registry>> {
    REGISTRY.lock()
}

fn registry() -> MutexGuard<'static, Option<Registry>> {
    let mut g = registry_lock();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    match g.as_mut() {
        Some(r) if r.pid == pid => {}
        Some(r) => {
            core::mem::forget(core::mem::take(&mut r.bufs));
            r.pid = pid;
            LIVE.store(0, Ordering::Relaxed);
        }
        None => {
            *g = Some(Registry {
                pid,
                bufs: Vec::new(),
            })
        }
    }
    g
}

/// Keeps a dma-buf registered; dropping it (the export's release) unregisters it.
pub struct Registration(FileKey);

impl Drop for Registration {
    fn drop(&mut self) {
        let mut g = registry();
        if let Some(r) = g.as_mut() {
            r.bufs.retain(|b| b.key != self.0);
            LIVE.store(r.bufs.len(), Ordering::Relaxed);
        }
    }
}

/// Registers the dma-buf whose file is `key`, over `resv`.
pub fn register(key: FileKey, resv: &Arc<DmaResv>) -> Result<Registration> {
    let buf = crate::alloc::try_arc(DmaBuf {
        key,
        resv: Arc::downgrade(resv),
        name: Mutex::new([0; 32]),
    })?;
    let mut g = registry();
    let r = g.as_mut().ok_or(EINVAL)?;
    crate::alloc::try_push(&mut r.bufs, buf)?;
    LIVE.store(r.bufs.len(), Ordering::Relaxed);
    Ok(Registration(key))
}

/// The dma-buf behind `fd`, if it is one.
pub fn lookup(fd: RawFd) -> Option<Arc<DmaBuf>> {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let key = key_of(fd)?;
    let g = registry();
    g.as_ref()?.bufs.iter().find(|b| b.key == key).cloned()
}

/// `dma_resv_usage_rw(write)`: to write, wait for readers and writers (up to `Read`); to read, for writers.
/// `Bookkeep` fences (Panthor's job fences) are never included.
fn usage_rw(write: bool) -> DmaResvUsage {
    if write {
        DmaResvUsage::Read
    } else {
        DmaResvUsage::Write
    }
}

/// `dma_resv_get_singleton`: the unsignalled fences of at least `usage` as one fence: none, the one, or an array
/// (returned with its fences).
fn singleton(resv: &DmaResv, usage: DmaResvUsage) -> Result<Option<(DmaFence, Vec<DmaFence>)>> {
    let mut g = resv.lock();
    let mut fences: Vec<DmaFence> = Vec::new();
    crate::alloc::try_reserve(&mut fences, g.fences().len())?;
    fences.extend(g.fences().iter(usage).filter(|f| !f.is_signaled()).cloned());
    drop(g);
    match fences.len() {
        0 => Ok(None),
        1 => Ok(Some((fences[0].clone(), fences))),
        _ => Ok(Some((crate::sync_file::fence_array(&fences)?, fences))),
    }
}

/// `dma_buf_export_sync_file`: `EFAULT`, `EINVAL` for flags beyond `RW` or neither; a sync_file of the fences a
/// reader (`READ`) or writer (`WRITE`) would wait for, a signalled stub when there are none.
fn export_sync_file(buf: &DmaBuf, arg: UserPtr) -> Result {
    let mut a: dma_buf_sync_file = UserSlice::new(arg, size_of::<dma_buf_sync_file>())
        .reader()
        .read()?;
    if a.flags & !DMA_BUF_SYNC_RW != 0 || a.flags & DMA_BUF_SYNC_RW == 0 {
        return Err(EINVAL);
    }
    let resv = buf.resv.upgrade().ok_or(EINVAL)?;
    let fd = match singleton(&resv, usage_rw(a.flags & DMA_BUF_SYNC_WRITE != 0))? {
        Some((fence, fences)) => SyncFile::create_fd_unwrapped(fence, fences)?,
        None => {
            let stub = DmaFence::with_names(DmaFence::context_alloc(), 0, FenceNames::STUB)?;
            stub.signal()?;
            SyncFile::create_fd(&stub)?
        }
    };
    a.fd = fd;
    if let Err(e) = UserSlice::new(arg, size_of::<dma_buf_sync_file>())
        .writer()
        .write(&a)
    {
        // SAFETY: the descriptor was made above and never handed out (upstream installs it after the copy).
        unsafe { libc::close(fd) };
        return Err(e);
    }
    Ok(())
}

/// `dma_buf_import_sync_file`: `EFAULT`, `EINVAL` for flags beyond `RW` or neither, `EINVAL` if `fd` is not a
/// sync_file; each of its fences joins the resv as a writer (`WRITE`) or reader, all or none.
fn import_sync_file(buf: &DmaBuf, arg: UserPtr) -> Result {
    let a: dma_buf_sync_file = UserSlice::new(arg, size_of::<dma_buf_sync_file>())
        .reader()
        .read()?;
    if a.flags & !DMA_BUF_SYNC_RW != 0 || a.flags & DMA_BUF_SYNC_RW == 0 {
        return Err(EINVAL);
    }
    let file = SyncFile::from_fd(a.fd).ok_or(EINVAL)?;
    let usage = if a.flags & DMA_BUF_SYNC_WRITE != 0 {
        DmaResvUsage::Write
    } else {
        DmaResvUsage::Read
    };
    let resv = buf.resv.upgrade().ok_or(EINVAL)?;
    let fences = file.fences();
    if fences.is_empty() {
        return Ok(());
    }
    let mut g = resv.lock();
    g.fences().reserve(fences.len())?;
    for f in fences {
        g.fences().add(f, usage)?;
    }
    Ok(())
}

/// `DMA_BUF_IOCTL_SYNC`: `EFAULT`; `EINVAL` for unknown flags or neither READ nor WRITE. CPU access needs no cache
/// maintenance here, so the rest is a no-op.
fn sync(arg: UserPtr) -> Result {
    let s: dma_buf_sync = UserSlice::new(arg, size_of::<dma_buf_sync>())
        .reader()
        .read()?;
    if s.flags & !(u64::from(DMA_BUF_SYNC_RW) | DMA_BUF_SYNC_END) != 0 {
        return Err(EINVAL);
    }
    if s.flags & u64::from(DMA_BUF_SYNC_RW) == 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// `dma_buf_set_name`: the argument is a pointer to a NUL-terminated name (`strndup_user(.., DMA_BUF_NAME_LEN)`):
/// `EFAULT` if unreadable, `EINVAL` if no NUL within 32 bytes.
fn set_name(buf: &DmaBuf, arg: UserPtr) -> Result {
    let mut name = [0u8; DMA_BUF_NAME_LEN];
    for (i, slot) in name.iter_mut().enumerate() {
        let mut b = [0u8; 1];
        UserSlice::new(UserPtr(arg.0.checked_add(i).ok_or(EFAULT)?), 1)
            .reader()
            .read_slice(&mut b)?;
        if b[0] == 0 {
            *buf.name.lock() = name;
            return Ok(());
        }
        *slot = b[0];
    }
    Err(EINVAL)
}

/// `dma_buf_ioctl` for the commands above; anything else `ENOTTY`.
pub fn ioctl(buf: &DmaBuf, cmd: u32, arg: UserPtr) -> Result {
    match cmd {
        DMA_BUF_IOCTL_SYNC => sync(arg),
        DMA_BUF_SET_NAME_A | DMA_BUF_SET_NAME_B => set_name(buf, arg),
        DMA_BUF_IOCTL_EXPORT_SYNC_FILE => export_sync_file(buf, arg),
        DMA_BUF_IOCTL_IMPORT_SYNC_FILE => import_sync_file(buf, arg),
        _ => Err(ENOTTY),
    }
}

/// The kernel's ioctl for a descriptor that is not a DRM file: sync_files and dma-bufs answer, anything else is
/// `None` (not ours: the real ioctl applies). This is what the shim calls for non-DRM descriptors.
pub fn file_ioctl(fd: RawFd, cmd: u32, arg: UserPtr) -> Option<Result> {
    match (cmd >> 8) & 0xff {
        t if t == crate::sync_file::SYNC_IOC_MAGIC => {
            SyncFile::from_fd(fd).map(|f| crate::sync_file::ioctl(&f, cmd, arg))
        }
        DMA_BUF_BASE => lookup(fd).map(|b| ioctl(&b, cmd, arg)),
        _ => None,
    }
}
