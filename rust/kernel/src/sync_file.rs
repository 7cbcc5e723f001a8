// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Sync files (`drivers/dma-buf/sync_file.c`): a fence handed to user space as a file descriptor that polls
//! readable once the fence signals, with the `SYNC_IOC_*` ioctls of `include/uapi/linux/sync_file.h`.
//!
//! The descriptor is an [`crate::anon_file`] (the read end of a pipe). A sync_file holds one fence; a merged one
//! holds a composite of the pending fences of both sides, the way `dma_fence_unwrap_merge` builds a
//! `dma_fence_array`, and keeps the list of those fences for FILE_INFO (`dma_fence_unwrap_for_each`).

use core::mem::size_of;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::alloc;
use crate::anon_file::{self, AnonObject};
use crate::dma_fence::{DmaFence, FenceNames};
use crate::error::code::{EINVAL, ENOENT, ENOTTY};
use crate::error::{Error, Result};
use crate::uaccess::{UserPtr, UserSlice};

/// `struct sync_merge_data` (48 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sync_merge_data {
    /// Name of the new sync_file (NUL-terminated within 32 bytes; the kernel cuts it there).
    pub name: [u8; 32],
    /// The other sync_file.
    pub fd2: i32,
    /// Out: the new sync_file's descriptor.
    pub fence: i32,
    /// Must be 0.
    pub flags: u32,
    /// Must be 0.
    pub pad: u32,
}

/// `struct sync_fence_info` (80 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sync_fence_info {
    /// The fence's timeline name.
    pub obj_name: [u8; 32],
    /// The fence's driver name.
    pub driver_name: [u8; 32],
    /// 1 signalled, 0 active, negative errno when signalled with an error.
    pub status: i32,
    /// Always 0.
    pub flags: u32,
    /// When it signalled (CLOCK_MONOTONIC ns), 0 while active.
    pub timestamp_ns: u64,
}

/// `struct sync_file_info` (56 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sync_file_info {
    /// Out: the sync_file's name.
    pub name: [u8; 32],
    /// Out: as [`sync_fence_info::status`], for the whole file.
    pub status: i32,
    /// Must be 0.
    pub flags: u32,
    /// In: room in the array (0: just count); out: the number of fences.
    pub num_fences: u32,
    /// Must be 0.
    pub pad: u32,
    /// User pointer to an array of [`sync_fence_info`].
    pub sync_fence_info: u64,
}

/// `struct sync_set_deadline` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct sync_set_deadline {
    /// Absolute CLOCK_MONOTONIC deadline.
    pub deadline_ns: u64,
    /// Must be 0.
    pub pad: u64,
}

crate::impl_uapi_pod!(
    sync_merge_data {
        name,
        fd2,
        fence,
        flags,
        pad
    },
    sync_fence_info {
        obj_name,
        driver_name,
        status,
        flags,
        timestamp_ns
    },
    sync_file_info {
        name,
        status,
        flags,
        num_fences,
        pad,
        sync_fence_info
    },
    sync_set_deadline { deadline_ns, pad },
);

/// `SYNC_IOC_MAGIC`.
pub const SYNC_IOC_MAGIC: u32 = b'>' as u32;
const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    crate::uapi::ioctl::ioc_typed(dir, SYNC_IOC_MAGIC, nr, size)
}
/// `SYNC_IOC_MERGE`: `_IOWR('>', 3, struct sync_merge_data)`.
pub const SYNC_IOC_MERGE: u32 = ioc(3, 3, size_of::<sync_merge_data>());
/// `SYNC_IOC_FILE_INFO`: `_IOWR('>', 4, struct sync_file_info)`.
pub const SYNC_IOC_FILE_INFO: u32 = ioc(3, 4, size_of::<sync_file_info>());
/// `SYNC_IOC_SET_DEADLINE`: `_IOW('>', 5, struct sync_set_deadline)`.
pub const SYNC_IOC_SET_DEADLINE: u32 = ioc(1, 5, size_of::<sync_set_deadline>());

/// A sync_file (`struct sync_file`).
pub struct SyncFile {
    /// The fence the file stands for: what importers get (`sync_file_get_fence`) and what makes it readable.
    fence: DmaFence,
    /// `fence` unwrapped: itself, or the fences a merge put in its composite.
    fences: Vec<DmaFence>,
    /// The name given at MERGE, or empty (then FILE_INFO derives one from the fence).
    user_name: [u8; 32],
}

impl SyncFile {
    fn new(fence: DmaFence, fences: Vec<DmaFence>, user_name: [u8; 32]) -> Result<Arc<Self>> {
        Ok(alloc::try_arc(SyncFile {
            fence,
            fences,
            user_name,
        })?)
    }

    /// `sync_file_create` and `fd_install`: a new sync_file holding `fence`, as a close-on-exec descriptor.
    pub fn create_fd(fence: &DmaFence) -> Result<RawFd> {
        let fences = one(fence)?;
        Self::install(Self::new(fence.clone(), fences, [0; 32])?)
    }

    /// A sync_file of `fence`, a container (an array from [`fence_array`], a timeline chain node) whose unwrapped
    /// `fences` FILE_INFO lists.
    pub(crate) fn create_fd_unwrapped(fence: DmaFence, fences: Vec<DmaFence>) -> Result<RawFd> {
        Self::install(Self::new(fence, fences, [0; 32])?)
    }

    fn install(file: Arc<SyncFile>) -> Result<RawFd> {
        let fence = file.fence.clone();
        anon_file::install(AnonObject::SyncFile(file), Some(&fence))
    }

    /// The sync_file behind `fd` (`sync_file_fdget`); `None` if `fd` is not one.
    pub fn from_fd(fd: RawFd) -> Option<Arc<SyncFile>> {
        match anon_file::lookup(fd) {
            Some(AnonObject::SyncFile(f)) => Some(f),
            _ => None,
        }
    }

    /// `sync_file_get_fence`: the fence of the sync_file `fd`, `None` if `fd` is not a sync_file.
    pub fn get_fence(fd: RawFd) -> Option<DmaFence> {
        Self::from_fd(fd).map(|f| f.fence.clone())
    }

    /// The fence the file stands for.
    pub fn fence(&self) -> &DmaFence {
        &self.fence
    }

    /// The fences FILE_INFO lists (`dma_fence_unwrap_for_each`).
    pub fn fences(&self) -> &[DmaFence] {
        &self.fences
    }

    /// `sync_file_get_name`: the MERGE name, or `<driver>-<timeline><context>-<seqno>` of the fence, cut to 31
    /// bytes and NUL-terminated.
    pub fn name(&self) -> [u8; 32] {
        if self.user_name[0] != 0 {
            return self.user_name;
        }
        let n = self.fence.names();
        let s = format!(
            "{}-{}{}-{}",
            n.driver,
            n.timeline,
            self.fence.context(),
            self.fence.seqno() as i64
        );
        c_name(s.as_bytes())
    }
}

/// A one-fence list.
fn one(fence: &DmaFence) -> Result<Vec<DmaFence>> {
    let mut v = alloc::try_vec(1)?;
    v.push(fence.clone());
    Ok(v)
}

/// `strscpy` into a 32-byte field: at most 31 bytes, stopping at a NUL, zero-filled after.
fn c_name(src: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let len = src
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(src.len())
        .min(31);
    out[..len].copy_from_slice(&src[..len]);
    out
}

/// A `dma_fence_array` over `fences` (signal-on-all): a fresh fence that signals once all have, with the first
/// error one of them signalled with. The counting callbacks are registered here; they allocate nothing.
pub(crate) fn fence_array(fences: &[DmaFence]) -> Result<DmaFence> {
    struct Countdown {
        pending: AtomicUsize,
        error: AtomicI32,
        array: DmaFence,
    }
    fn arrive(c: &Countdown, error: Option<Error>) {
        if let Some(e) = error {
            let _ = c
                .error
                .compare_exchange(0, e.to_errno(), Ordering::AcqRel, Ordering::Acquire);
        }
        if c.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = match c.error.load(Ordering::Acquire) {
                0 => c.array.signal(),
                e => c.array.signal_error(Error::from_errno(e)),
            };
        }
    }
    let array = DmaFence::with_names(DmaFence::context_alloc(), 1, FenceNames::ARRAY)?;
    // One extra count held while registering, so the array cannot signal half-way through.
    let c = alloc::try_arc(Countdown {
        pending: AtomicUsize::new(fences.len() + 1),
        error: AtomicI32::new(0),
        array,
    })?;
    let mut ids = alloc::try_vec(fences.len())?;
    for f in fences {
        let c2 = c.clone();
        match f.add_callback(move |e| arrive(&c2, e)) {
            Ok(id) => ids.push((f, id)),
            Err(e) if e == ENOENT => arrive(&c, f.error()),
            Err(e) => {
                for (f, id) in ids {
                    f.remove_callback(id);
                }
                return Err(e);
            }
        }
    }
    let array = c.array.clone();
    arrive(&c, None);
    Ok(array)
}

/// `dma_fence_unwrap_merge` of two sync_files' fences: the signalled ones are dropped; none left gives a signalled
/// stub, one gives that fence, more (after keeping only the latest of each context) an array. Returns the fence and
/// its unwrapped list.
fn unwrap_merge(a: &[DmaFence], b: &[DmaFence]) -> Result<(DmaFence, Vec<DmaFence>)> {
    let mut pending: Vec<DmaFence> = alloc::try_vec(a.len() + b.len())?;
    pending.extend(a.iter().chain(b).filter(|f| !f.is_signaled()).cloned());
    // Latest seqno first within a context, then keep the first of each context.
    pending.sort_by(|x, y| {
        x.context()
            .cmp(&y.context())
            .then(y.seqno().cmp(&x.seqno()))
    });
    pending.dedup_by(|later, first| later.context() == first.context());
    match pending.len() {
        0 => {
            let stub = DmaFence::with_names(DmaFence::context_alloc(), 0, FenceNames::STUB)?;
            stub.signal()?;
            let list = one(&stub)?;
            Ok((stub, list))
        }
        1 => Ok((pending[0].clone(), pending)),
        _ => Ok((fence_array(&pending)?, pending)),
    }
}

fn user(arg: UserPtr, len: usize) -> UserSlice {
    UserSlice::new(arg, len)
}

/// SYNC_IOC_MERGE (`sync_file_ioctl_merge`): `EFAULT` reading the argument, `EINVAL` for nonzero `flags`/`pad`,
/// `ENOENT` if `fd2` is not a sync_file, then `EFAULT` writing the new descriptor back (which is then closed).
fn merge(file: &Arc<SyncFile>, arg: UserPtr) -> Result {
    let mut data: sync_merge_data = user(arg, size_of::<sync_merge_data>()).reader().read()?;
    if data.flags != 0 || data.pad != 0 {
        return Err(EINVAL);
    }
    let other = SyncFile::from_fd(data.fd2).ok_or(ENOENT)?;
    let (fence, fences) = unwrap_merge(&file.fences, &other.fences)?;
    let merged = SyncFile::new(fence, fences, c_name(&data.name))?;
    let fd = SyncFile::install(merged)?;
    data.fence = fd;
    if let Err(e) = user(arg, size_of::<sync_merge_data>())
        .writer()
        .write(&data)
    {
        // SAFETY: the descriptor was made above and never handed out (upstream installs it only after the copy).
        unsafe { libc::close(fd) };
        return Err(e);
    }
    Ok(())
}

/// SYNC_IOC_FILE_INFO (`sync_file_ioctl_fence_info`): `EFAULT`, `EINVAL` for nonzero `flags`/`pad`. With
/// `num_fences` 0 only the count, the file's status and name are written; otherwise `EINVAL` if the array is too
/// small, the per-fence info goes to `sync_fence_info`, and the status is the first non-positive fence status (1 if
/// all signalled cleanly).
fn file_info(file: &SyncFile, arg: UserPtr) -> Result {
    let mut info: sync_file_info = user(arg, size_of::<sync_file_info>()).reader().read()?;
    if info.flags != 0 || info.pad != 0 {
        return Err(EINVAL);
    }
    let count = file.fences.len();
    if info.num_fences == 0 {
        info.status = file.fence.status();
    } else {
        if (info.num_fences as usize) < count {
            return Err(EINVAL);
        }
        let mut out: Vec<sync_fence_info> = alloc::try_vec(count)?;
        info.status = 1;
        for f in &file.fences {
            let status = f.status();
            let names = f.names();
            out.push(sync_fence_info {
                obj_name: c_name(names.timeline.as_bytes()),
                driver_name: c_name(names.driver.as_bytes()),
                status,
                flags: 0,
                timestamp_ns: f.timestamp_ns().unwrap_or(0) as u64,
            });
            if info.status > 0 {
                info.status = status;
            }
        }
        let mut w = user(
            UserPtr::from_u64(info.sync_fence_info)?,
            count * size_of::<sync_fence_info>(),
        )
        .writer();
        for i in &out {
            w.write(i)?;
        }
    }
    info.name = file.name();
    info.num_fences = count as u32;
    user(arg, size_of::<sync_file_info>()).writer().write(&info)
}

/// SYNC_IOC_SET_DEADLINE: `EFAULT`, `EINVAL` for nonzero `pad`; the hint itself has no effect here (no fence of
/// this kernel implements `set_deadline`).
fn set_deadline(arg: UserPtr) -> Result {
    let ts: sync_set_deadline = user(arg, size_of::<sync_set_deadline>()).reader().read()?;
    if ts.pad != 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// `sync_file_ioctl`: the three commands by exact number, anything else `ENOTTY`.
pub fn ioctl(file: &Arc<SyncFile>, cmd: u32, arg: UserPtr) -> Result {
    match cmd {
        SYNC_IOC_MERGE => merge(file, arg),
        SYNC_IOC_FILE_INFO => file_info(file, arg),
        SYNC_IOC_SET_DEADLINE => set_deadline(arg),
        _ => Err(ENOTTY),
    }
}

#[cfg(test)]
mod tests;
