// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The real libc entry points the shim stands in front of, found once with `dlsym(RTLD_NEXT, name)`.
//!
//! Every interposed function that is not about a fake path or a DRM descriptor ends in one of these, so the host sees
//! exactly the call the program made.

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

use libc::{mode_t, off_t, size_t, ssize_t, DIR, FILE};

/// Looks `name` (NUL-terminated) up after the shim in the symbol search order.
fn lookup(name: &'static str) -> usize {
    // SAFETY: `name` is a NUL-terminated literal; `dlsym` with RTLD_NEXT has no other precondition.
    unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr().cast()) as usize }
}

macro_rules! real {
    ($( $name:ident ( $($a:ident : $t:ty),* ) -> $r:ty, fail $fail:expr; )*) => {$(
        /// The next definition of the function of the same name (libc's).
        ///
        /// # Safety
        /// As for the libc function of the same name.
        #[allow(clippy::unused_unit)] // `rewinddir` returns `()`, spelled out by the macro.
        pub(crate) unsafe fn $name($($a: $t),*) -> $r {
            static PTR: AtomicUsize = AtomicUsize::new(0);
            let mut p = PTR.load(Ordering::Relaxed);
            if p == 0 {
                p = lookup(concat!(stringify!($name), "\0"));
                PTR.store(p, Ordering::Relaxed);
            }
            if p == 0 {
                crate::ffi::set_errno(libc::ENOSYS);
                return $fail;
            }
            // SAFETY: `p` is the address libc exports under this name, whose C prototype is this signature.
            let f: unsafe extern "C" fn($($t),*) -> $r = unsafe { core::mem::transmute(p) };
            // SAFETY: the caller upholds libc's contract for this function.
            unsafe { f($($a),*) }
        }
    )*};
}

real! {
    openat64(dirfd: c_int, path: *const c_char, flags: c_int, mode: mode_t) -> c_int, fail -1;
    close(fd: c_int) -> c_int, fail -1;
    dup(fd: c_int) -> c_int, fail -1;
    dup2(fd: c_int, new: c_int) -> c_int, fail -1;
    dup3(fd: c_int, new: c_int, flags: c_int) -> c_int, fail -1;
    fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int, fail -1;
    fcntl64(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int, fail -1;
    ioctl(fd: c_int, req: c_ulong, arg: *mut c_void) -> c_int, fail -1;
    mmap(addr: *mut c_void, len: size_t, prot: c_int, flags: c_int, fd: c_int, off: off_t) -> *mut c_void,
        fail libc::MAP_FAILED;
    munmap(addr: *mut c_void, len: size_t) -> c_int, fail -1;
    fstat(fd: c_int, buf: *mut libc::stat) -> c_int, fail -1;
    fstatat(dirfd: c_int, path: *const c_char, buf: *mut libc::stat, flags: c_int) -> c_int, fail -1;
    statx(dirfd: c_int, path: *const c_char, flags: c_int, mask: c_uint, buf: *mut libc::statx) -> c_int, fail -1;
    access(path: *const c_char, mode: c_int) -> c_int, fail -1;
    chmod(path: *const c_char, mode: mode_t) -> c_int, fail -1;
    fchmodat(dirfd: c_int, path: *const c_char, mode: mode_t, flags: c_int) -> c_int, fail -1;
    faccessat(dirfd: c_int, path: *const c_char, mode: c_int, flags: c_int) -> c_int, fail -1;
    readlinkat(dirfd: c_int, path: *const c_char, buf: *mut c_char, len: size_t) -> ssize_t, fail -1;
    realpath(path: *const c_char, out: *mut c_char) -> *mut c_char, fail core::ptr::null_mut();
    opendir(path: *const c_char) -> *mut DIR, fail core::ptr::null_mut();
    fdopendir(fd: c_int) -> *mut DIR, fail core::ptr::null_mut();
    readdir(dir: *mut DIR) -> *mut libc::dirent, fail core::ptr::null_mut();
    readdir64(dir: *mut DIR) -> *mut libc::dirent64, fail core::ptr::null_mut();
    closedir(dir: *mut DIR) -> c_int, fail -1;
    rewinddir(dir: *mut DIR) -> (), fail ();
    dirfd(dir: *mut DIR) -> c_int, fail -1;
    fopen(path: *const c_char, mode: *const c_char) -> *mut FILE, fail core::ptr::null_mut();
    fopen64(path: *const c_char, mode: *const c_char) -> *mut FILE, fail core::ptr::null_mut();
    sysinfo(info: *mut libc::sysinfo) -> c_int, fail -1;
    lseek64(fd: c_int, off: libc::off64_t, whence: c_int) -> libc::off64_t, fail -1;
    sysconf(name: c_int) -> libc::c_long, fail -1;
    sigaction(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction) -> c_int, fail -1;
    signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t, fail libc::SIG_ERR;
    read(fd: c_int, buf: *mut c_void, len: size_t) -> ssize_t, fail -1;
    write(fd: c_int, buf: *const c_void, len: size_t) -> ssize_t, fail -1;
}
