// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Access to the memory of the process that made a system call (`kernel::uaccess`).
//!
//! In the kernel, `copy_from_user`/`copy_to_user` fault-check every access and return `-EFAULT` for a bad pointer. Here
//! the "user" is the calling process itself (a Rust test, or a C client through the drm-shim), so a bad pointer would
//! crash the process if dereferenced. Copies therefore go through [`fixup`]'s routine, which is what the kernel's are:
//! a copy whose faults resume at a fixup that reports the bytes left, so unmapped memory or a write to a read-only
//! page is `EFAULT`, exactly as `copy_*_user` gives, at the cost of a plain copy. Where that handler cannot be
//! installed, copies go through `process_vm_readv`/`process_vm_writev` on our own pid, whose range checks give the
//! same answers at the cost of a system call each. No Rust reference to user memory is ever formed.
//!
//! As upstream, a [`UserSlice`] is read once, front to back, through a [`UserSliceReader`], and written through a
//! [`UserSliceWriter`], which makes double-fetch bugs hard to write.

use core::mem::{size_of, MaybeUninit};

use crate::error::code::EFAULT;
use crate::error::Result;
use crate::transmute::{AsBytes, FromBytes};

pub mod fixup;

/// An address in the calling process, as an ioctl argument carries it (`__u64` in the uAPI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UserPtr(pub usize);

impl UserPtr {
    /// Wraps a uAPI `u64` pointer field. Values beyond the host's address width cannot be valid.
    pub fn from_u64(v: u64) -> Result<Self> {
        usize::try_from(v).map(UserPtr).map_err(|_| EFAULT)
    }

    /// Whether the pointer is null.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
}

/// How many bytes from user address `addr` (of `len` asked for) belong to the caller's address space: see
/// [`set_user_space`].
pub type UserSpace = fn(addr: usize, len: usize) -> usize;

static USER_SPACE: std::sync::OnceLock<UserSpace> = std::sync::OnceLock::new();

/// Narrows what counts as the caller's memory to what `space` says, for the rest of the process: a copy reaches the
/// bytes `space` grants from its start and faults (`EFAULT`) at the first one it does not, as at an unmapped page.
///
/// The driver and its "user" share one process here, so a pointer field holding an arbitrary number — what a fuzzer
/// writes — can land in the driver's own memory, the modelled RAM, or (under AddressSanitizer) the sanitizer's
/// shadow, none of which a real client's pointer can reach: reading terabytes of shadow zeros stalled the `ioctls`
/// fuzz target, and a write there would corrupt the process. A fuzzing harness therefore declares the buffers it
/// handed the driver as the whole user address space. Returns `false` (and changes nothing) if a space was set
/// already. Without one, every address the process can read is user memory.
pub fn set_user_space(space: UserSpace) -> bool {
    USER_SPACE.set(space).is_ok()
}

/// Copies `len` bytes between this process's local buffer `local` and user address `user`; `write` selects the
/// direction (local → user). Fails with `EFAULT` unless every byte was transferred.
fn copy(local: *mut u8, user: usize, len: usize, write: bool) -> Result {
    if len == 0 {
        return Ok(());
    }
    if user.checked_add(len).is_none() || len > isize::MAX as usize {
        return Err(EFAULT);
    }
    // With a narrowed space, the bytes before its "unmapped" part are transferred, as a copy faulting there would.
    // One call site for the copy, so that it stays inlined here.
    let reach = USER_SPACE
        .get()
        .map_or(len, |space| space(user, len).min(len));
    if reach == 0 {
        return Err(EFAULT);
    }
    let res = copy_checked(local, user, reach, write);
    if reach < len {
        return Err(EFAULT);
    }
    if res.is_ok() {
        trace_copy(local, user, len, write);
    }
    res
}

/// Hex digits of the bytes a read copied, formatted only when a subscriber records them.
struct Hex<'a>(&'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The trace records of a copy (target `kernel::uaccess`, level TRACE): `copy_from_user` with the user address and
/// the bytes read, `copy_to_user` with the address and length written. Inside an ioctl's span these give the user
/// memory the call touched — the argument and the arrays it points to, with what was read from them — which is what
/// `tyr fuzz-seed` turns back into a replayable call. Off unless asked for (`TYR_LOG=kernel::uaccess=trace`); then
/// it costs one check per copy.
fn trace_copy(local: *mut u8, user: usize, len: usize, write: bool) {
    if !tracing::enabled!(target: "kernel::uaccess", tracing::Level::TRACE) {
        return;
    }
    if write {
        tracing::trace!(target: "kernel::uaccess", user = user as u64, len = len as u64, "copy_to_user");
    } else {
        // SAFETY: the read succeeded, so every one of the `len` bytes at `local`, the caller's buffer, was written;
        // the slice lives only for this call, while the caller still holds the buffer.
        let bytes = unsafe { core::slice::from_raw_parts(local, len) };
        tracing::trace!(target: "kernel::uaccess", user = user as u64, bytes = %Hex(bytes), "copy_from_user");
    }
}

/// [`copy`] without its trace record, for a non-empty user range that does not wrap (`copy` checks both).
fn copy_checked(local: *mut u8, user: usize, len: usize, write: bool) -> Result {
    if fixup::install() {
        // SAFETY: `local` is the caller's buffer of `len` bytes (writable when reading from the user); the user range
        // does not wrap (`copy` checked it) and any fault in it ends the copy at the fixup.
        let left = unsafe {
            if write {
                fixup::copy(user as *mut u8, local, len)
            } else {
                fixup::copy(local, user as *const u8, len)
            }
        };
        return if left == 0 { Ok(()) } else { Err(EFAULT) };
    }
    let liov = libc::iovec {
        iov_base: local.cast(),
        iov_len: len,
    };
    let riov = libc::iovec {
        iov_base: user as *mut libc::c_void,
        iov_len: len,
    };
    let pid = own_pid();
    // SAFETY: `liov` describes `len` bytes of a local buffer the caller owns for the duration of the call (valid for
    // writes when reading from the user); the remote range is only accessed by the host kernel, which checks it and
    // fails with EFAULT instead of faulting this process.
    let n = unsafe {
        if write {
            libc::process_vm_writev(pid, &liov, 1, &riov, 1, 0)
        } else {
            libc::process_vm_readv(pid, &liov, 1, &riov, 1, 0)
        }
    };
    if n < 0 || n as usize != len {
        return Err(EFAULT);
    }
    Ok(())
}

/// A range of the caller's memory an ioctl may read and/or write.
#[derive(Clone, Copy, Debug)]
pub struct UserSlice {
    ptr: UserPtr,
    length: usize,
}

impl UserSlice {
    /// The `length` bytes at `ptr`. Nothing is checked until an access.
    pub fn new(ptr: UserPtr, length: usize) -> Self {
        Self { ptr, length }
    }

    /// Reads the whole slice into a freshly allocated vector (fallibly: `ENOMEM` if it cannot be had).
    pub fn read_all(self) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        v.try_reserve_exact(self.length)
            .map_err(|_| crate::error::code::ENOMEM)?;
        v.resize(self.length, 0);
        self.reader().read_slice(&mut v)?;
        Ok(v)
    }

    /// A reader from the start of the slice.
    pub fn reader(self) -> UserSliceReader {
        UserSliceReader {
            ptr: self.ptr.0,
            length: self.length,
        }
    }

    /// A writer from the start of the slice.
    pub fn writer(self) -> UserSliceWriter {
        UserSliceWriter {
            ptr: self.ptr.0,
            length: self.length,
        }
    }

    /// A reader and a writer over the same range, for in/out arguments.
    pub fn reader_writer(self) -> (UserSliceReader, UserSliceWriter) {
        (self.reader(), self.writer())
    }
}

/// Reads a [`UserSlice`] front to back.
///
/// # Invariants
/// `ptr..ptr + length` is what is left to read.
#[derive(Debug)]
pub struct UserSliceReader {
    ptr: usize,
    length: usize,
}

impl UserSliceReader {
    /// Bytes left.
    pub fn len(&self) -> usize {
        self.length
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Skips `n` bytes; `EFAULT` if fewer are left.
    pub fn skip(&mut self, n: usize) -> Result {
        self.length = self.length.checked_sub(n).ok_or(EFAULT)?;
        self.ptr = self.ptr.wrapping_add(n);
        Ok(())
    }

    /// Fills `out` from the slice; `EFAULT` if fewer bytes are left or the memory is not readable. On failure the
    /// reader does not advance.
    pub fn read_slice(&mut self, out: &mut [u8]) -> Result {
        if out.len() > self.length {
            return Err(EFAULT);
        }
        copy(out.as_mut_ptr(), self.ptr, out.len(), false)?;
        self.skip(out.len())
    }

    /// Fills `out`, which may be uninitialised (a vector's spare capacity), from the slice; on success every byte of
    /// `out` is initialised. Same errors as [`UserSliceReader::read_slice`].
    pub fn read_raw(&mut self, out: &mut [MaybeUninit<u8>]) -> Result {
        if out.len() > self.length {
            return Err(EFAULT);
        }
        copy(out.as_mut_ptr().cast(), self.ptr, out.len(), false)?;
        self.skip(out.len())
    }

    /// Whether the next `n` bytes are all zero (`check_zeroed_user`); consumes them. `EFAULT` if the range wraps or
    /// a byte up to the first non-zero one cannot be read. As upstream, which reads word by word and stops at the
    /// first word that is not zero, nothing after a non-zero byte is read: a non-zero byte followed by an unmapped
    /// page is `Ok(false)` (the caller's `E2BIG`), not `EFAULT`. Reads go a page at most at a time and never cross a
    /// 4 KiB boundary, so a chunk is readable whole or not at all, as the words upstream reads are.
    pub fn is_zeroed(&mut self, n: usize) -> Result<bool> {
        const GRANULE: usize = 4096;
        static ZEROS: [u8; GRANULE] = [0; GRANULE];
        if n > self.length || self.ptr.checked_add(n).is_none() {
            return Err(EFAULT);
        }
        let mut chunk = [0u8; GRANULE];
        let mut left = n;
        while left > 0 {
            let k = left.min(GRANULE - self.ptr % GRANULE);
            self.read_slice(&mut chunk[..k])?;
            left -= k;
            // A slice comparison of bytes is one memcmp.
            if chunk[..k] != ZEROS[..k] {
                self.skip(left)?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads one `T`.
    pub fn read<T: FromBytes>(&mut self) -> Result<T> {
        let mut v = MaybeUninit::<T>::uninit();
        if size_of::<T>() > self.length {
            return Err(EFAULT);
        }
        copy(v.as_mut_ptr().cast(), self.ptr, size_of::<T>(), false)?;
        self.skip(size_of::<T>())?;
        // SAFETY: all `size_of::<T>()` bytes were written by the copy, and `T: FromBytes` accepts any bit pattern.
        Ok(unsafe { v.assume_init() })
    }
}

/// Writes a [`UserSlice`] front to back.
///
/// # Invariants
/// `ptr..ptr + length` is what is left to write.
#[derive(Debug)]
pub struct UserSliceWriter {
    ptr: usize,
    length: usize,
}

impl UserSliceWriter {
    /// Bytes left.
    pub fn len(&self) -> usize {
        self.length
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Writes `data`; `EFAULT` if fewer bytes are left or the memory is not writable. On failure the writer does not
    /// advance (bytes may have been partly written, as with `copy_to_user`).
    pub fn write_slice(&mut self, data: &[u8]) -> Result {
        if data.len() > self.length {
            return Err(EFAULT);
        }
        copy(data.as_ptr().cast_mut(), self.ptr, data.len(), true)?;
        self.length -= data.len();
        self.ptr = self.ptr.wrapping_add(data.len());
        Ok(())
    }

    /// Writes one `T`.
    pub fn write<T: AsBytes>(&mut self, v: &T) -> Result {
        // SAFETY: `T: AsBytes` has every byte initialised, so viewing it as `size_of::<T>()` bytes is sound.
        let bytes =
            unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) };
        self.write_slice(bytes)
    }
}

/// This process's pid, cached (every copy needs it and `getpid` is a system call), and forgotten in a forked child
/// so that the child copies from its own memory.
fn own_pid() -> libc::pid_t {
    use std::sync::atomic::{AtomicI32, Ordering};
    use std::sync::Once;
    static PID: AtomicI32 = AtomicI32::new(0);
    static ATFORK: Once = Once::new();
    extern "C" fn forget() {
        PID.store(0, Ordering::Relaxed);
    }
    ATFORK.call_once(|| {
        // SAFETY: `forget` is a valid `extern "C"` function that only stores to an atomic (async-signal-safe, as a
        // fork child handler must be); registering it has no other precondition.
        unsafe { libc::pthread_atfork(None, None, Some(forget)) };
    });
    match PID.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: getpid has no preconditions.
            let pid = unsafe { libc::getpid() };
            PID.store(pid, Ordering::Relaxed);
            pid
        }
        pid => pid,
    }
}

/// For tests: a fresh readable and writable 4 KiB page with nothing mapped after it (the caller unmaps it with
/// `munmap(page, 0x1000)` when done).
#[cfg(test)]
pub(crate) fn page_before_a_hole() -> *mut u8 {
    // SAFETY: a fresh anonymous two-page mapping; its second page is unmapped again, leaving the first to the caller.
    unsafe {
        let p = libc::mmap(
            core::ptr::null_mut(),
            0x2000,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        libc::munmap(p.cast::<u8>().add(0x1000).cast(), 0x1000);
        p.cast::<u8>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ptr_of<T>(v: &T) -> UserPtr {
        UserPtr(v as *const T as usize)
    }

    #[test]
    fn reads_and_writes_the_callers_memory() {
        let src: [u32; 3] = [1, 2, 3];
        let mut r = UserSlice::new(ptr_of(&src), 12).reader();
        assert_eq!(r.read::<u32>().unwrap(), 1);
        assert_eq!(r.read::<u64>().unwrap(), 2 | (3 << 32));
        assert!(r.is_empty());
        let mut dst = [0u16; 2];
        // A pointer with write provenance, exposed to the host kernel that writes through it.
        let mut w = UserSlice::new(UserPtr(dst.as_mut_ptr() as usize), 4).writer();
        w.write(&0xbeefu16).unwrap();
        w.write_slice(&[0x34, 0x12]).unwrap();
        assert_eq!(dst, [0xbeef, 0x1234]);
    }

    #[test]
    fn unmapped_and_null_pointers_are_efault() {
        let mut buf = [0u8; 8];
        assert_eq!(
            UserSlice::new(UserPtr(0), 8).reader().read_slice(&mut buf),
            Err(EFAULT)
        );
        assert_eq!(
            UserSlice::new(UserPtr(0x10), 4).reader().read::<u32>(),
            Err(EFAULT)
        );
        assert_eq!(
            UserSlice::new(UserPtr(usize::MAX - 3), 8)
                .writer()
                .write(&1u64),
            Err(EFAULT)
        );
        assert_eq!(UserPtr::from_u64(u64::MAX).map(|p| p.is_null()), Ok(false));
    }

    #[test]
    fn reading_past_the_slice_is_efault_and_does_not_advance() {
        let src = [7u8; 4];
        let mut r = UserSlice::new(ptr_of(&src), 4).reader();
        assert_eq!(r.read::<u64>(), Err(EFAULT));
        assert_eq!(r.len(), 4);
        assert_eq!(r.skip(5), Err(EFAULT));
        assert_eq!(r.read::<u32>().unwrap(), 0x0707_0707);
        assert!(UserSlice::new(ptr_of(&src), 8)
            .writer()
            .write_slice(&[0; 9])
            .is_err());
    }

    #[test]
    fn writing_to_read_only_memory_is_efault() {
        // SAFETY: a fresh anonymous read-only mapping, unmapped at the end of the test.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        let s = UserSlice::new(UserPtr(p as usize), 4096);
        assert_eq!(s.writer().write(&1u32), Err(EFAULT));
        assert_eq!(s.reader().read::<u32>(), Ok(0));
        // SAFETY: `p` is the mapping made above.
        unsafe { libc::munmap(p, 4096) };
        assert_eq!(
            s.reader().read::<u32>(),
            Err(EFAULT),
            "after munmap the range is gone"
        );
    }

    #[test]
    fn is_zeroed_checks_and_consumes() {
        let src = [0u8, 0, 0, 1, 0];
        let mut r = UserSlice::new(ptr_of(&src), 5).reader();
        assert_eq!(r.is_zeroed(3), Ok(true));
        assert_eq!(r.is_zeroed(2), Ok(false));
        assert!(r.is_empty());
        let big = vec![0u8; 1000];
        assert_eq!(
            UserSlice::new(ptr_of(&big[0]), 1000)
                .reader()
                .is_zeroed(1000),
            Ok(true)
        );
        assert_eq!(
            UserSlice::new(UserPtr(16), 8).reader().is_zeroed(8),
            Err(EFAULT)
        );
    }

    #[test]
    fn is_zeroed_stops_at_the_first_non_zero_byte_as_upstream() {
        let page = crate::uaccess::page_before_a_hole();
        let at = page as usize + 0x1000 - 16;
        // SAFETY: the last byte of the mapped page.
        unsafe { page.add(0xfff).write(1) };
        // Zero up to the non-zero byte, then the unmapped page: upstream returns 0 (E2BIG) without reading on.
        let mut r = UserSlice::new(UserPtr(at), 64).reader();
        assert_eq!(r.is_zeroed(64), Ok(false));
        assert!(r.is_empty(), "consumed");
        // All zero up to the unmapped page: the fault is seen.
        // SAFETY: as above.
        unsafe { page.add(0xfff).write(0) };
        assert_eq!(
            UserSlice::new(UserPtr(at), 64).reader().is_zeroed(64),
            Err(EFAULT)
        );
        assert_eq!(
            UserSlice::new(UserPtr(at), 16).reader().is_zeroed(16),
            Ok(true)
        );
        assert_eq!(
            UserSlice::new(UserPtr(usize::MAX - 3), 8)
                .reader()
                .is_zeroed(8),
            Err(EFAULT),
            "a wrapping range"
        );
        // SAFETY: unmapping what is left of the mapping.
        unsafe { libc::munmap(page.cast(), 0x1000) };
    }

    #[test]
    fn read_all_copies_the_whole_slice() {
        let src = *b"panthor";
        assert_eq!(
            UserSlice::new(ptr_of(&src), 7).read_all().unwrap(),
            b"panthor"
        );
        assert_eq!(UserSlice::new(UserPtr(8), 7).read_all(), Err(EFAULT));
    }
}
