// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The executor's user memory: a buffer with an unmapped guard page after it (and read-only when the step asks), and
//! an address that is never mapped.

const PAGE: usize = 4096;

/// Anonymous memory for one user buffer, with an unmapped guard page after it so that the kernel writing past the
/// caller's buffer (as a too-large size field invites) faults instead of corrupting this process.
///
/// # Invariants
/// `base` is a live private anonymous mapping of `len` bytes owned by this value.
pub(super) struct Region {
    base: *mut libc::c_void,
    len: usize,
}

impl Region {
    pub(super) fn new(data_len: usize) -> Region {
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
    pub(super) fn data(&self, n: usize) -> usize {
        self.base as usize + (self.len - PAGE) - n
    }

    pub(super) fn protect_read_only(&self) {
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
pub(super) struct Hole(Region);

impl Hole {
    pub(super) fn new() -> Hole {
        let r = Region::new(PAGE);
        // SAFETY: this region's own pages.
        unsafe { libc::mprotect(r.base, r.len, libc::PROT_NONE) };
        Hole(r)
    }

    pub(super) fn addr(&self) -> usize {
        self.0.base as usize + 64
    }
}
