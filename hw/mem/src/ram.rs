// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The RAM itself: a memfd mapped once into this process, plus the frame allocator.

use std::ops::Range;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering};

use parking_lot::Mutex;

use crate::atomic_copy;
use crate::frames::FrameBitmap;
use crate::hints::LineHints;
use crate::{MemError, PhysAddr, Result, FRAME_SHIFT, FRAME_SIZE};

/// How the physical address space is laid out.
#[derive(Clone, Debug)]
pub struct RamConfig {
    /// Size of the physical address space that RAM spans, starting at PA 0. A multiple of [`FRAME_SIZE`].
    pub size: u64,
    /// Ranges inside `[0, size)` that are not RAM (the SoC's peripheral window): every access to them fails and their
    /// frames are never allocated.
    pub holes: Vec<Range<PhysAddr>>,
    /// RAM that exists and can be accessed but is never handed out by the allocator (boot firmware, PA 0).
    pub reserved: Vec<Range<PhysAddr>>,
}

impl RamConfig {
    /// The RK3588 peripheral window (`0xF000_0000..0x1_0000_0000`), which holds the Mali at `0xFB00_0000`.
    pub const RK3588_PERIPHERAL_WINDOW: Range<PhysAddr> = 0xF000_0000..0x1_0000_0000;

    /// A layout with `size` bytes of address space, the RK3588 peripheral window as a hole (where it falls inside
    /// `size`) and the first frame reserved, so that PA 0 is never handed out (0 means "no translation" to io-pgtable).
    pub fn rk3588(size: u64) -> Self {
        let w = Self::RK3588_PERIPHERAL_WINDOW;
        let holes = if size > w.start {
            vec![w.start..w.end.min(size)]
        } else {
            Vec::new()
        };
        Self {
            size,
            holes,
            reserved: vec![0..FRAME_SIZE],
        }
    }
}

impl Default for RamConfig {
    /// 4 GiB of address space, laid out as [`RamConfig::rk3588`].
    fn default() -> Self {
        Self::rk3588(4 << 30)
    }
}

/// Allocation figures, for tests and tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RamStats {
    /// Frames the allocator can hand out at all (RAM minus holes and reserved ranges).
    pub usable_frames: u64,
    /// Frames currently free.
    pub free_frames: u64,
}

/// [`Ram::zero`] gives whole frames back to the host from this many bytes of them on (fewer are cheaper to write).
pub const RELEASE_MIN: u64 = 64 * 1024;

/// The system RAM.
///
/// # Invariants
/// * `base` points to a live shared mapping of `memfd`, `size` bytes long, that stays mapped for the life of `self`
///   (owned by `map`).
/// * `size` is a non-zero multiple of [`FRAME_SIZE`]; every range in `holes` and `reserved` is frame-aligned and lies
///   inside `[0, size)`.
pub struct Ram {
    memfd: memfd::Memfd,
    /// Owns the mapping `base` points into; unmapped when `Ram` drops.
    map: memmap2::MmapRaw,
    base: *mut u8,
    size: u64,
    holes: Vec<Range<PhysAddr>>,
    reserved: Vec<Range<PhysAddr>>,
    usable_frames: u64,
    pub(crate) frames: Mutex<FrameBitmap>,
    /// Which lines of each frame may be dirty, for page-table owners (see `hints`).
    pub(crate) hints: LineHints,
}

// SAFETY: the mapping is shared memory that is only ever accessed through atomics (the copies in `atomic_copy` too;
// never through Rust references to plain data), so handing `Ram` to, and sharing it between, threads is sound.
unsafe impl Send for Ram {}
// SAFETY: see `Send` above; the allocator state is behind a mutex.
unsafe impl Sync for Ram {}

impl Ram {
    /// Creates RAM laid out as `cfg`. Nothing is materialised until touched.
    pub fn new(cfg: RamConfig) -> Result<Self> {
        if cfg.size == 0 || !cfg.size.is_multiple_of(FRAME_SIZE) {
            return Err(MemError::Config(
                "size must be a non-zero multiple of 4 KiB",
            ));
        }
        if usize::try_from(cfg.size).is_err() {
            return Err(MemError::Config(
                "size does not fit this host's address space",
            ));
        }
        for r in cfg.holes.iter().chain(&cfg.reserved) {
            if r.start % FRAME_SIZE != 0
                || r.end % FRAME_SIZE != 0
                || r.start >= r.end
                || r.end > cfg.size
            {
                return Err(MemError::Config(
                    "holes and reserved ranges must be non-empty, frame-aligned and inside RAM",
                ));
            }
        }
        let memfd = memfd::MemfdOptions::new()
            .close_on_exec(true)
            .allow_sealing(true)
            .create("tyr-system-ram")
            .map_err(|e| MemError::Io(std::io::Error::other(e)))?;
        memfd.as_file().set_len(cfg.size)?;
        // The size is fixed for good: a client that maps RAM can never make our mapping fault by truncating it.
        memfd
            .add_seals(&[
                memfd::FileSeal::SealShrink,
                memfd::FileSeal::SealGrow,
                memfd::FileSeal::SealSeal,
            ])
            .map_err(|e| MemError::Io(std::io::Error::other(e)))?;
        let map = memmap2::MmapOptions::new()
            .len(cfg.size as usize)
            .map_raw(memfd.as_file())?;
        let base = map.as_mut_ptr();

        let nframes = cfg.size >> FRAME_SHIFT;
        let mut frames = FrameBitmap::new(nframes);
        for r in cfg.holes.iter().chain(&cfg.reserved) {
            frames.mark_used(r.start >> FRAME_SHIFT, (r.end - r.start) >> FRAME_SHIFT);
        }
        let usable_frames = frames.free();
        Ok(Self {
            memfd,
            map,
            base,
            size: cfg.size,
            holes: cfg.holes,
            reserved: cfg.reserved,
            usable_frames,
            frames: Mutex::new(frames),
            hints: LineHints::new(nframes),
        })
    }

    /// Size of the physical address space RAM spans (holes included).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The memfd backing RAM: file offset `pa` holds physical address `pa`, so a client can `mmap` a frame run.
    /// Stores through such a mapping are not seen by the dirty-line hints, so only frames that are allocated and
    /// untracked (buffer objects) may be written through it.
    pub fn memfd(&self) -> BorrowedFd<'_> {
        self.memfd.as_file().as_fd()
    }

    /// Whether `[pa, pa + len)` is entirely RAM.
    #[inline]
    pub fn contains(&self, pa: PhysAddr, len: u64) -> bool {
        match pa.checked_add(len) {
            Some(end) if end <= self.size => {
                self.holes.iter().all(|h| end <= h.start || pa >= h.end)
            }
            _ => false,
        }
    }

    /// Checks `[pa, pa + len)` and returns a pointer to its first byte.
    #[inline]
    fn ptr(&self, pa: PhysAddr, len: u64) -> Result<*mut u8> {
        if !self.contains(pa, len) {
            return Err(MemError::OutOfRange { pa, len });
        }
        // SAFETY: `pa + len <= size` was just checked and `base` maps `size` bytes (type invariant), so the offset
        // stays inside the mapping.
        Ok(unsafe { self.base.add(pa as usize) })
    }

    /// A view of `count` naturally aligned 64-bit words at `pa`, for code that walks tables in RAM (page tables, ring
    /// buffers). Stores through it are single-copy atomic, like the 64-bit stores a CPU or GPU makes.
    ///
    /// Stores through it are not seen by the dirty-line hints: the tracked owner of a frame
    /// ([`Ram::alloc_tracked_frame`]) records the lines it writes in [`Ram::line_hint`]; anyone else must only store
    /// into frames that are untracked (allocated with [`Ram::alloc_frame`] or [`Ram::alloc_frames`]).
    #[inline]
    pub fn u64_slice(&self, pa: PhysAddr, count: usize) -> Result<&[AtomicU64]> {
        if !pa.is_multiple_of(8) {
            return Err(MemError::Misaligned { pa, align: 8 });
        }
        let p = self.ptr(pa, count as u64 * 8)?;
        // SAFETY: the range is inside the live mapping (checked by `ptr`) and 8-byte aligned (the mapping is
        // page-aligned and `pa` is a multiple of 8). `AtomicU64` has the layout of `u64`, and every access to RAM goes
        // through atomics (copies included), never through references to plain data, so the shared view is sound. The
        // mapping lives as long as `self`, which bounds the returned lifetime.
        Ok(unsafe { core::slice::from_raw_parts(p as *const AtomicU64, count) })
    }

    /// The 512 64-bit entries of the 4 KiB frame at `pa`, which must be frame-aligned.
    #[inline]
    pub fn frame_u64s(&self, pa: PhysAddr) -> Result<&[AtomicU64; 512]> {
        if !pa.is_multiple_of(FRAME_SIZE) {
            return Err(MemError::Misaligned {
                pa,
                align: FRAME_SIZE,
            });
        }
        let s = self.u64_slice(pa, 512)?;
        Ok(s.try_into().expect("u64_slice returned 512 entries"))
    }

    /// Copies `buf.len()` bytes from RAM at `pa` into `buf`.
    pub fn read(&self, pa: PhysAddr, buf: &mut [u8]) -> Result<()> {
        let p = self.ptr(pa, buf.len() as u64)?;
        // SAFETY: `p..p + buf.len()` is inside the mapping (checked), which lives as long as `self` and is only accessed
        // through atomics (type invariant); `buf` is ordinary memory, so it cannot overlap RAM.
        unsafe { atomic_copy::read(p, buf) };
        Ok(())
    }

    /// Copies `buf` into RAM at `pa`.
    pub fn write(&self, pa: PhysAddr, buf: &[u8]) -> Result<()> {
        let p = self.ptr(pa, buf.len() as u64)?;
        // SAFETY: as in `read`, with the direction reversed.
        unsafe { atomic_copy::write(p, buf) };
        if !buf.is_empty() {
            self.untrack_range(pa, buf.len() as u64);
        }
        Ok(())
    }

    /// Sets `len` bytes at `pa` to `byte`.
    pub fn fill(&self, pa: PhysAddr, len: u64, byte: u8) -> Result<()> {
        let p = self.ptr(pa, len)?;
        // SAFETY: the range is inside the mapping (checked by `ptr`), only accessed through atomics (type invariant).
        unsafe { atomic_copy::fill(p, len as usize, byte) };
        if byte != 0 && len != 0 {
            self.untrack_range(pa, len);
        }
        Ok(())
    }

    /// Zeroes `len` bytes at `pa`. Whole frames, from [`RELEASE_MIN`] bytes of them on, are given back to the host
    /// instead of written: `MADV_REMOVE` punches a hole in the memfd, which then reads as zero and holds no host memory
    /// until written again (what a freshly allocated shmem page costs the kernel). The rest is filled. Whole frames
    /// that are tracked get a clean dirty-line hint.
    pub fn zero(&self, pa: PhysAddr, len: u64) -> Result<()> {
        self.ptr(pa, len)?;
        let start = pa.next_multiple_of(FRAME_SIZE);
        let end = (pa + len) & !(FRAME_SIZE - 1);
        if end >= start.saturating_add(RELEASE_MIN) {
            // SAFETY: `[start, end)` lies inside the mapping (checked by `ptr` above: `pa + len <= size`), which is a
            // shared, writable mapping of the memfd. Its memory is only ever accessed through atomics (type
            // invariant), never through references to plain data, so the hole reading as zero afterwards is what a
            // store of zeros by another agent would be.
            let released = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::Remove,
                    start as usize,
                    (end - start) as usize,
                )
            };
            if released.is_ok() {
                self.fill(pa, start - pa, 0)?;
                self.fill(end, pa + len - end, 0)?;
                self.clean_whole_frames(start, end);
                return Ok(());
            }
        }
        self.fill(pa, len, 0)?;
        self.clean_whole_frames(start, end);
        Ok(())
    }

    /// The frames of `[start, end)` (frame-aligned, possibly empty or inverted) read zero now: the tracked ones get a
    /// clean hint.
    fn clean_whole_frames(&self, start: PhysAddr, end: PhysAddr) {
        if end > start {
            self.hints
                .clear_tracked(start >> FRAME_SHIFT, (end - start) >> FRAME_SHIFT);
        }
    }

    /// Host memory the RAM holds now: the memfd's allocated blocks, in bytes (what touching frames commits and
    /// [`Ram::zero`] of whole frames gives back).
    pub fn committed(&self) -> u64 {
        use std::os::unix::fs::MetadataExt;
        self.memfd
            .as_file()
            .metadata()
            .map_or(0, |m| m.blocks() * 512)
    }

    /// Hands out one frame. Its contents are whatever was last written there (zero if never touched).
    /// The frame leaves the dirty-line tracking (see [`Ram::alloc_tracked_frame`]).
    pub fn alloc_frame(&self) -> Result<PhysAddr> {
        let f = self
            .frames
            .lock()
            .alloc_one()
            .ok_or(MemError::OutOfMemory { count: 1 })?;
        self.hints.untrack(f, 1);
        Ok(f << FRAME_SHIFT)
    }

    /// Hands out `count` physically contiguous frames, the first aligned to `align` bytes (a power of two, at least
    /// [`FRAME_SIZE`]).
    pub fn alloc_frames(&self, count: u64, align: u64) -> Result<PhysAddr> {
        if !align.is_power_of_two() || align < FRAME_SIZE {
            return Err(MemError::Misaligned { pa: 0, align });
        }
        let f = self
            .frames
            .lock()
            .alloc_run(count, align >> FRAME_SHIFT)
            .ok_or(MemError::OutOfMemory { count })?;
        self.hints.untrack(f, count);
        Ok(f << FRAME_SHIFT)
    }

    /// Faults in the host pages behind `[pa, pa + len)` now, writable, without changing their contents: memory a
    /// driver obtained from the kernel's page allocator is resident, so code that reserves frames ahead of a hot path
    /// (a page-table pool) calls this to keep the host's first-touch cost out of that path. A host without
    /// `MADV_POPULATE_WRITE` gets each page touched instead.
    pub fn populate(&self, pa: PhysAddr, len: u64) -> Result<()> {
        self.ptr(pa, len)?;
        if len == 0 {
            return Ok(());
        }
        let first = pa & !(FRAME_SIZE - 1);
        let end = (pa + len).next_multiple_of(FRAME_SIZE).min(self.size);
        if self
            .map
            .advise_range(
                memmap2::Advice::PopulateWrite,
                first as usize,
                (end - first) as usize,
            )
            .is_ok()
        {
            return Ok(());
        }
        let mut off = 0;
        while off < len {
            // The aligned word holding byte `off`: in the same frame, so RAM too.
            let word = (pa + off) & !7;
            // SAFETY: `word` lies in the frame of `pa + off`, which is inside `[pa, pa + len)` (checked by `ptr`);
            // frames are wholly RAM or wholly hole, so the word is inside the mapping, and it is 8-aligned. RAM is
            // only accessed through atomics (type invariant), and an OR with 0 writes back what is there.
            unsafe { AtomicU64::from_ptr(self.base.add(word as usize).cast::<u64>()) }
                .fetch_or(0, Ordering::Relaxed);
            off = (pa + off + FRAME_SIZE) / FRAME_SIZE * FRAME_SIZE - pa;
        }
        Ok(())
    }

    /// Returns one frame to the allocator.
    pub fn free_frame(&self, pa: PhysAddr) -> Result<()> {
        self.free_frames(pa, 1)
    }

    /// Returns `count` frames starting at `pa`. Every one of them must be allocated; otherwise nothing is freed.
    pub fn free_frames(&self, pa: PhysAddr, count: u64) -> Result<()> {
        if !pa.is_multiple_of(FRAME_SIZE) {
            return Err(MemError::Misaligned {
                pa,
                align: FRAME_SIZE,
            });
        }
        let len = count
            .checked_mul(FRAME_SIZE)
            .ok_or(MemError::OutOfRange { pa, len: u64::MAX })?;
        if !self.contains(pa, len) {
            return Err(MemError::OutOfRange { pa, len });
        }
        let first = pa >> FRAME_SHIFT;
        let mut frames = self.frames.lock();
        if let Some(f) = (first..first + count).find(|&f| !frames.is_used(f)) {
            return Err(MemError::NotAllocated {
                pa: f << FRAME_SHIFT,
            });
        }
        // Reserved frames are RAM and marked used from start-up, but were never handed out: refuse them.
        if let Some(r) = self
            .reserved
            .iter()
            .find(|r| pa < r.end && pa + len > r.start)
        {
            return Err(MemError::NotAllocated {
                pa: r.start.max(pa),
            });
        }
        frames.release(first, count);
        self.hints.untrack(first, count);
        Ok(())
    }

    /// Returns each frame of `pas` to the allocator under one lock, as [`Ram::free_frame`] would one by one: frames
    /// that are misaligned, outside RAM, reserved or not allocated are skipped (and a later duplicate of a frame
    /// already freed is not allocated any more). Returns the first such address's error after freeing the rest.
    /// The frames leave the dirty-line tracking ([`Ram::free_tracked_frames`] keeps it).
    pub fn free_frame_list(&self, pas: &[PhysAddr]) -> Result<()> {
        self.free_list(pas, true)
    }

    /// [`Ram::free_frame_list`], forgetting the freed frames' line hints when `forget` is set.
    pub(crate) fn free_list(&self, pas: &[PhysAddr], forget: bool) -> Result<()> {
        let mut first_err = None;
        let mut frames = self.frames.lock();
        let mut rest = pas;
        while !rest.is_empty() {
            // Table pages often come back in the order they were handed out: a run of consecutive frames, either way,
            // is checked and released a bitmap word at a time.
            let (len, low) = consecutive_run(rest);
            let bytes = len as u64 * FRAME_SIZE;
            let (run, tail) = rest.split_at(len);
            rest = tail;
            if len > 1
                && low.is_multiple_of(FRAME_SIZE)
                && self.contains(low, bytes)
                && !self
                    .reserved
                    .iter()
                    .any(|r| low < r.end && low + bytes > r.start)
                && frames.all_used(low >> FRAME_SHIFT, len as u64)
            {
                frames.release(low >> FRAME_SHIFT, len as u64);
                if forget {
                    self.hints.untrack(low >> FRAME_SHIFT, len as u64);
                }
                continue;
            }
            for &pa in run {
                let err = if !pa.is_multiple_of(FRAME_SIZE) {
                    MemError::Misaligned {
                        pa,
                        align: FRAME_SIZE,
                    }
                } else if !self.contains(pa, FRAME_SIZE) {
                    MemError::OutOfRange {
                        pa,
                        len: FRAME_SIZE,
                    }
                } else if !self.reserved.iter().any(|r| r.contains(&pa))
                    && frames.release_one(pa >> FRAME_SHIFT)
                {
                    if forget {
                        self.hints.untrack(pa >> FRAME_SHIFT, 1);
                    }
                    continue;
                } else {
                    MemError::NotAllocated { pa }
                };
                first_err.get_or_insert(err);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Whether the frame holding `pa` is allocated (handed out and not yet freed), for consistency checkers that
    /// account for every frame. Holes, reserved frames and addresses outside RAM are not allocated.
    pub fn is_allocated(&self, pa: PhysAddr) -> bool {
        self.first_unallocated([pa]).is_none()
    }

    /// The first of `pas` whose frame is not allocated (as [`Self::is_allocated`] says), or `None` when every one is;
    /// the allocator is locked once for the whole sequence, so that a checker accounting for many frames does not
    /// pay a lock per frame. Holes, reserved frames and addresses outside RAM are not allocated.
    pub fn first_unallocated(&self, pas: impl IntoIterator<Item = PhysAddr>) -> Option<PhysAddr> {
        let frames = self.frames.lock();
        pas.into_iter().find(|&pa| {
            !self.contains(pa & !(FRAME_SIZE - 1), FRAME_SIZE)
                || self.reserved.iter().any(|r| r.contains(&pa))
                || !frames.is_used(pa >> FRAME_SHIFT)
        })
    }

    /// Allocation figures.
    pub fn stats(&self) -> RamStats {
        RamStats {
            usable_frames: self.usable_frames,
            free_frames: self.frames.lock().free(),
        }
    }
}

/// The length of the run of frame addresses at the start of `pas` (non-empty) that step by one frame, up or down, and
/// its lowest address.
fn consecutive_run(pas: &[PhysAddr]) -> (usize, PhysAddr) {
    let first = pas[0];
    let step = match pas.get(1) {
        Some(&next) if next == first.wrapping_add(FRAME_SIZE) => FRAME_SIZE,
        Some(&next) if next == first.wrapping_sub(FRAME_SIZE) => FRAME_SIZE.wrapping_neg(),
        _ => return (1, first),
    };
    let len = 1 + pas
        .windows(2)
        .take_while(|w| w[1] == w[0].wrapping_add(step))
        .count();
    let last = pas[len - 1];
    (len, first.min(last))
}

/// Scalar little-endian accessors, generated per width.
macro_rules! scalar_accessors {
    ($($read:ident, $write:ident, $t:ty, $atomic:ty;)*) => {
        impl Ram {
            $(
                #[doc = concat!("Reads a little-endian `", stringify!($t), "` at `pa`; single-copy atomic when naturally aligned.")]
                #[inline]
                pub fn $read(&self, pa: PhysAddr) -> Result<$t> {
                    let p = self.ptr(pa, size_of::<$t>() as u64)?;
                    if pa % size_of::<$t>() as u64 == 0 {
                        // SAFETY: in bounds (checked by `ptr`) and naturally aligned (the mapping is page-aligned);
                        // the atomic type has the layout of the integer and RAM is only accessed through atomics or
                        // the atomic copies.
                        let v = unsafe { &*(p as *const $atomic) }.load(Ordering::Relaxed);
                        Ok(<$t>::from_le(v))
                    } else {
                        let mut b = [0u8; size_of::<$t>()];
                        self.read(pa, &mut b)?;
                        Ok(<$t>::from_le_bytes(b))
                    }
                }

                #[doc = concat!("Writes a little-endian `", stringify!($t), "` at `pa`; single-copy atomic when naturally aligned.")]
                #[inline]
                pub fn $write(&self, pa: PhysAddr, v: $t) -> Result<()> {
                    let p = self.ptr(pa, size_of::<$t>() as u64)?;
                    if pa % size_of::<$t>() as u64 == 0 {
                        // SAFETY: as in the read accessor.
                        unsafe { &*(p as *const $atomic) }.store(v.to_le(), Ordering::Relaxed);
                        if v != 0 {
                            self.untrack_range(pa, size_of::<$t>() as u64);
                        }
                        Ok(())
                    } else {
                        self.write(pa, &v.to_le_bytes())
                    }
                }
            )*
        }
    };
}

scalar_accessors! {
    read_u8, write_u8, u8, AtomicU8;
    read_u16, write_u16, u16, AtomicU16;
    read_u32, write_u32, u32, AtomicU32;
    read_u64, write_u64, u64, AtomicU64;
}

impl core::fmt::Debug for Ram {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = self.stats();
        f.debug_struct("Ram")
            .field("size", &format_args!("{:#x}", self.size))
            .field("holes", &self.holes)
            .field("usable_frames", &s.usable_frames)
            .field("free_frames", &s.free_frames)
            .finish()
    }
}
