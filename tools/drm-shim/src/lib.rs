// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `libtyr_drm_shim.so`: loaded with `LD_PRELOAD`, it shows unmodified C programs (IGT's panthor tests, libdrm's
//! device enumeration, Mesa) a Panthor device — `/dev/dri/card0`, `/dev/dri/renderD128` and the sysfs entries that
//! describe them — backed by Tyr probed on the modelled RK3588, with no kernel driver.
//!
//! # Use
//! `LD_PRELOAD=target/debug/libtyr_drm_shim.so program`; `TYR_SHIM_LOG=1` traces every call the shim answers (with
//! ioctls by name and their result) on stderr. Everything else reaches libc untouched.
//!
//! # What is interposed
//! * Paths (`open`, `open64`, `openat`, `openat64`, `__open_2`, `__open64_2`, `__openat_2`, `__openat64_2`,
//!   `fopen`, `fopen64`, the `stat`/`lstat`/`fstatat`/`statx` family with the 64-bit and pre-2.33 `__xstat` names,
//!   `readlink`, `readlinkat`, `realpath`, `__realpath_chk`, `canonicalize_file_name`, `access`, `faccessat`,
//!   `chmod`, `fchmodat`, `opendir`, `fdopendir`, `readdir`, `readdir64`, `rewinddir`, `dirfd`, `closedir`): the fake tree in `vfs` —
//!   `/dev/dri` (nodes are character devices 226:0 and 226:128), `/sys/dev/char/226:N`, `/sys/class/drm/...`, the
//!   platform device `/sys/devices/platform/fb000000.gpu` (`uevent` with `DRIVER=panthor`, `OF_COMPATIBLE_*`,
//!   `MODALIAS`; `driver` → `.../drivers/panthor`; `subsystem` → `/sys/bus/platform`), and debugfs `sync/sw_sync` (each
//!   open a software sync timeline, `kernel::sw_sync`). Fake files are read through real descriptors (memfds holding
//!   their contents); `chmod` by root changes a fake node's permission bits.
//! * Descriptors (`close`, `dup`, `dup2`, `dup3`, `fcntl`/`fcntl64` `F_DUPFD*`, `ioctl`, `fstat`): opening a node
//!   gives a real memfd standing for a new DRM file (card0 a primary client, the first one master; renderD128 a
//!   render client); `ioctl` on it is `File::ioctl`, the driver's whole DRM ioctl path, with errors as `-1`/errno;
//!   dups share the file, and closing the last descriptor closes it. `/proc/self/fd/N` reads back as the node path,
//!   and opening it opens the node again (a new DRM file). The descriptors the kernel side hands out (dma-bufs,
//!   sync_files, syncobj files) are real descriptors; `ioctl` on a sync_file, dma-buf or sw_sync timeline reaches its
//!   kernel-crate handler, and `poll`/`select`/`epoll` work on them unchanged (a sync_file is readable once its
//!   fence has signalled). `lseek`/`lseek64` on a dma-buf follow `dma_buf_llseek` (`SEEK_END` gives its size).
//! * Live sysfs attributes (`read`, `write`, `lseek` of their descriptors; `fopen` gives a cookie stream): the GPU's
//!   `power/` files (`control`, `runtime_status`, `autosuspend_delay_ms`, ...) and devfreq files
//!   (`devfreq/fb000000.gpu/cur_freq`, `governor`, `min_freq`, `trans_stat`, ..., also reached through
//!   `/sys/class/devfreq/fb000000.gpu`) reach the driver's `show`/`store` with the kernel's sysfs semantics
//!   (`sysfs_attr`); `sigaction`/`signal` of SIGSEGV and SIGBUS keep the driver's user-copy fault fixup in front of
//!   the program's handler (`interpose::signals`); every other descriptor's `read`/`write` goes to libc after
//!   one atomic load.
//! * Memory (`mmap`, `mmap64`, `munmap`): BO offsets map the BO's RAM runs from the RAM memfd into one reservation,
//!   so the program, the driver and the GPU model share the bytes; the flush-ID offset maps a read-only page with
//!   LATEST_FLUSH_ID. A mapping holds its BO until its last page is unmapped. Mapping a dma-buf is refused (`ENODEV`,
//!   not modelled).
//! * System memory (`sysinfo`, `sysconf(_SC_PHYS_PAGES / _SC_AVPHYS_PAGES)`): the modelled board's RAM (total and
//!   free frames of its allocator) instead of the host's, as panvk sizes its memory heap from `sysinfo`.
//!
//! # Threads, fork, recursion, panics
//! One lock guards the descriptor and mapping tables and is never held across a driver call. A thread-local guard
//! sends every libc call made while the shim runs (by the shim, the driver or the model) straight to libc. Every
//! entry point catches panics (`EIO`). For `fork`, see `device`: a child boots a board of its own on its first
//! open; descriptors it inherited answer `ENODEV`.
//!
//! # Modules
//! * `vfs`: the fake nodes, directories, links and sysfs attributes, as data; `sysfs_attr`: the live attributes
//!   (`power/control`, ...) whose reads and writes reach the driver.
//! * `device`: the board booted on first open (once per process, again in a fork child), the table of DRM
//!   descriptors and the BO mappings.
//! * `fs` and `drm`: what the shim answers for each call; `interpose` holds the exported libc entry points.
//! * `ffi`: the re-entrancy guard and panic barrier every entry point goes through; `real`: libc's own entry
//!   points.
//! * `trace`: `TYR_SHIM_LOG=1` traces every call the shim answers on stderr.
//! * `log`: `TYR_LOG` installs a `tracing` subscriber, so the spans of the driver, the kernel layer and the model
//!   (ioctls, bind jobs and ops, AS commands, IRQs, faults) are seen; with `TYR_TRACE_FILE` as JSON lines for
//!   `tyr trace`.

// Unit tests build without the exported entry points (a test binary must not interpose its own libc calls), which
// leaves their helpers unused there.
#![cfg_attr(test, allow(dead_code))]

mod device;
mod drm;
mod ffi;
mod fs;
#[cfg(not(test))]
mod interpose;
mod real;
mod sysfs_attr;
mod trace;
mod vfs;
