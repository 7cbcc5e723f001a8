// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `sysinfo` and `sysconf(_SC_PHYS_PAGES / _SC_AVPHYS_PAGES)`: the memory figures of the modelled board, not the
//! host's.
//!
//! A program on the board sees the board's RAM: panvk sizes its Vulkan memory heap from `sysinfo().totalram` (half of
//! it up to 4 GiB, three quarters above), so with the host's figures it would offer memory the GPU's board does not
//! have. The memory fields (`totalram`, `freeram`, `sharedram`, `bufferram`, `totalhigh`, `freehigh`, `mem_unit`)
//! come from the board's RAM allocator; uptime, loads, swap and the process count stay the host's. The first call
//! boots the board as a first open of a node does. `/proc/meminfo` is left alone (panvk does not read it).

use super::*;

/// The board's `(total, free)` RAM in bytes, booting it if needed; `None` when it cannot boot (the host's figures
/// are then reported).
fn board_ram() -> Option<(u64, u64)> {
    crate::device::device().ok().map(|d| d.ram_bytes())
}

/// `sysinfo(2)`: the host's record with the board's memory figures (in bytes, `mem_unit` 1).
///
/// # Safety
/// As for libc's `sysinfo`.
#[no_mangle]
pub unsafe extern "C" fn sysinfo(info: *mut libc::sysinfo) -> c_int {
    intercept(
        -1,
        // SAFETY: the caller's argument, passed on unchanged.
        || unsafe { real::sysinfo(info) },
        || {
            // SAFETY: as above; libc reports EFAULT for a bad pointer.
            let r = unsafe { real::sysinfo(info) };
            if r != 0 {
                return Outcome::Fail(errno());
            }
            let Some((total, free)) = board_ram() else {
                return Outcome::Done(0);
            };
            // SAFETY: the real call has just filled `*info`, so it points to a writable `struct sysinfo`.
            let i = unsafe { &mut *info };
            i.totalram = total as c_ulong;
            i.freeram = free as c_ulong;
            i.sharedram = 0;
            i.bufferram = 0;
            i.totalhigh = 0;
            i.freehigh = 0;
            i.mem_unit = 1;
            Outcome::Done(0)
        },
    )
}

/// `sysconf(3)`: `_SC_PHYS_PAGES` and `_SC_AVPHYS_PAGES` count the board's RAM in host pages; every other name is
/// libc's.
///
/// # Safety
/// As for libc's `sysconf`.
#[no_mangle]
pub unsafe extern "C" fn sysconf(name: c_int) -> libc::c_long {
    intercept(
        -1,
        // SAFETY: plain integer argument.
        || unsafe { real::sysconf(name) },
        || {
            if name != libc::_SC_PHYS_PAGES && name != libc::_SC_AVPHYS_PAGES {
                return Outcome::Pass;
            }
            // SAFETY: plain integer argument.
            let page = unsafe { real::sysconf(libc::_SC_PAGESIZE) };
            let (Some((total, free)), Ok(page @ 1..)) = (board_ram(), u64::try_from(page)) else {
                return Outcome::Pass;
            };
            let bytes = if name == libc::_SC_PHYS_PAGES {
                total
            } else {
                free
            };
            Outcome::Done((bytes / page) as libc::c_long)
        },
    )
}
