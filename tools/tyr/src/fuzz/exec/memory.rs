// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The executor's user memory: a buffer with an unmapped guard page after it (and read-only when the step asks), and
//! an address that is never mapped. These are the fuzzed client's whole address space ([`reachable`]).

use std::cell::RefCell;

const PAGE: usize = 4096;

thread_local! {
    /// The live regions of this thread's executor: `(base, len)`, guard pages included.
    static LIVE: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
    /// Whether a fuzzed call runs on this thread now ([`ClientCall`]).
    static IN_CALL: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// The fuzzed client's address space ([`kernel::uaccess::set_user_space`]). While a fuzzed call runs on this thread
/// ([`ClientCall`]): of the `len` bytes at `addr`, those inside one live [`Region`] of the thread's executor (its
/// guard page and the [`Hole`] included: the copy itself faults there). Anything else — a pointer field the
/// generator filled with an arbitrary number that happens to land in this process's heap, the modelled RAM or
/// AddressSanitizer's shadow — is outside the client's memory, as it would be in a real client's process. Outside a
/// fuzzed call (the harness's own calls, other users of the process) every byte is reachable, as without a space.
pub fn reachable(addr: usize, len: usize) -> usize {
    if !IN_CALL.with(|c| c.get()) {
        return len;
    }
    LIVE.with(|l| {
        l.borrow()
            .iter()
            .find(|&&(base, n)| addr >= base && addr - base < n)
            .map_or(0, |&(base, n)| len.min(base + n - addr))
    })
}

/// While it lives, the calling thread runs a fuzzed call: its copies reach only the executor's regions
/// ([`reachable`]).
pub(super) struct ClientCall(());

impl ClientCall {
    pub(super) fn enter() -> ClientCall {
        // The process-wide hook; set once, by whichever executor comes first.
        let _ = kernel::uaccess::set_user_space(reachable);
        IN_CALL.with(|c| c.set(true));
        ClientCall(())
    }
}

impl Drop for ClientCall {
    fn drop(&mut self) {
        IN_CALL.with(|c| c.set(false));
    }
}

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
        LIVE.with(|l| l.borrow_mut().push((base as usize, len)));
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
        let base = self.base as usize;
        LIVE.with(|l| l.borrow_mut().retain(|&(b, _)| b != base));
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

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::code::EFAULT;
    use kernel::uaccess::{UserPtr, UserSlice};

    fn read(addr: usize, n: usize) -> kernel::Result<Vec<u8>> {
        let mut v = vec![0u8; n];
        UserSlice::new(UserPtr(addr), n)
            .reader()
            .read_slice(&mut v)?;
        Ok(v)
    }

    #[test]
    fn a_fuzzed_call_reaches_the_executors_buffers_only() {
        let r = Region::new(64);
        let at = r.data(64);
        // SAFETY: the region's 64 bytes before its guard page, mapped read-write.
        unsafe { core::ptr::write_bytes(at as *mut u8, 0xab, 64) };
        // The process's own memory: readable, but no buffer the executor handed out.
        let heap = vec![0xcdu8; 64];
        let heap_addr = heap.as_ptr() as usize;
        assert_eq!(read(heap_addr, 64).unwrap(), heap, "outside a fuzzed call");
        {
            let _call = ClientCall::enter();
            assert_eq!(read(at, 64).unwrap(), vec![0xab; 64]);
            assert_eq!(
                read(heap_addr, 64),
                Err(EFAULT),
                "the heap is not the client's"
            );
            assert_eq!(read(at, 65), Err(EFAULT), "the guard page faults");
            assert_eq!(
                reachable(at, 65),
                65,
                "the guard is the region's: the copy faults on it"
            );
            assert_eq!(reachable(heap_addr, 8), 0);
            assert_eq!(reachable(at + 32, 8), 8);
        }
        assert_eq!(read(heap_addr, 64).unwrap(), heap, "after the call");
        let base = r.base as usize;
        drop(r);
        let _call = ClientCall::enter();
        assert_eq!(reachable(base, 8), 0, "a dropped region is gone");
    }
}
