// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What the fuzzer runs: [`Step`]s — an ioctl with its argument bytes and the user buffers it points to, a CPU
//! mapping lookup, an ioctl on a descriptor calls handed out, making an eventfd or a sw_sync timeline,
//! closing descriptors, or re-opening a file — with every value literal, so that a step list
//! is a replayable script ([`super::script`]).

/// How a user pointer is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtrKind {
    /// Readable and writable memory holding the bytes, followed by an unmapped guard page.
    Valid,
    /// The bytes in a read-only page.
    ReadOnly,
    /// An address with nothing mapped.
    Unmapped,
    /// Zero.
    Null,
    /// A literal address (garbage).
    Wild(u64),
}

/// Where a pointer to a buffer is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// In the ioctl argument.
    Arg,
    /// In buffer `i`.
    Buf(usize),
}

/// "Write the address of buffer `buf` as a u64 at `offset` of `at`."
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The bytes patched.
    pub at: Loc,
    /// Byte offset of the u64 pointer field.
    pub offset: usize,
    /// The buffer pointed to.
    pub buf: usize,
}

/// A user buffer an ioctl argument points to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buf {
    /// How its address is made.
    pub ptr: PtrKind,
    /// Its contents (before links are patched in).
    pub bytes: Vec<u8>,
}

/// One ioctl call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Index of the file.
    pub file: usize,
    /// The command, as the caller passes it (its size and direction may differ from the kernel's).
    pub cmd: u32,
    /// How the argument pointer is made.
    pub arg: PtrKind,
    /// The argument bytes.
    pub bytes: Vec<u8>,
    /// Buffers the argument (or another buffer) points to.
    pub bufs: Vec<Buf>,
    /// Pointer fields to patch.
    pub links: Vec<Link>,
}

/// One fuzzer step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An ioctl through `File::ioctl`.
    Ioctl(Call),
    /// A CPU mapping lookup through `tyr::mmap::mmap`.
    Mmap {
        /// Index of the file.
        file: usize,
        /// File offset.
        offset: u64,
        /// Length.
        len: u64,
        /// `PROT_WRITE`.
        write: bool,
        /// `MAP_SHARED`.
        shared: bool,
    },
    /// An ioctl on descriptor `fd` instead of a DRM file (the sync_file and dma-buf ioctls); `call.file` is unused.
    FdIoctl {
        /// The descriptor, as a number (one the run tracks, or any other).
        fd: i32,
        /// The call.
        call: Call,
    },
    /// Closes descriptor `fd` if the run tracks it (else nothing).
    CloseFd {
        /// The descriptor.
        fd: i32,
    },
    /// Makes an eventfd the run tracks (for SYNCOBJ_EVENTFD).
    Eventfd,
    /// Opens a sw_sync timeline the run tracks (a descriptor whose CREATE_FENCE and INC ioctls make and signal
    /// fences the run controls).
    SwSync,
    /// Closes every descriptor the run tracks.
    CloseFds,
    /// Closes the file (tearing down its VMs, handles and syncobjs) and opens a fresh one in its place.
    Reopen {
        /// Index of the file.
        file: usize,
    },
}

/// Little-endian field writers over an argument's bytes.
pub trait Fields {
    /// Writes a byte at `off` (growing the bytes if needed).
    fn put8(&mut self, off: usize, v: u8);
    /// Writes a u32 at `off` (growing the bytes if needed).
    fn put32(&mut self, off: usize, v: u32);
    /// Writes a u64 at `off` (growing the bytes if needed).
    fn put64(&mut self, off: usize, v: u64);
    /// Reads a u32 at `off` (0 beyond the end).
    fn get32(&self, off: usize) -> u32;
}

impl Fields for Vec<u8> {
    fn put8(&mut self, off: usize, v: u8) {
        if self.len() < off + 1 {
            self.resize(off + 1, 0);
        }
        self[off] = v;
    }

    fn put32(&mut self, off: usize, v: u32) {
        if self.len() < off + 4 {
            self.resize(off + 4, 0);
        }
        self[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn put64(&mut self, off: usize, v: u64) {
        if self.len() < off + 8 {
            self.resize(off + 8, 0);
        }
        self[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    fn get32(&self, off: usize) -> u32 {
        self.get(off..off + 4)
            .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }
}
