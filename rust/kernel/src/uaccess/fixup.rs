// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! User copies with fault fixups, as the kernel's `copy_from_user`/`copy_to_user` are built: one small copy routine
//! whose faulting instructions have a fixup (the kernel's exception table, `_ASM_EXTABLE_UA`), so that a bad user
//! pointer makes the copy stop and report how many bytes it did not copy instead of crashing.
//!
//! Here the fault is the host's `SIGSEGV` or `SIGBUS`. [`install`] puts a handler in front of whatever the process
//! had: when the faulting instruction is one of the copy routine's, the handler moves the program counter to the
//! routine's fixup, which returns the bytes left; any other fault goes to the handler the process had (called as it
//! asked to be, or the default action taken), so crashes stay crashes and other handlers keep working. A copy then
//! costs no system call, where `process_vm_readv` costs one per copy (the fallback before installation, or where
//! the handler could not be installed).
//!
//! A program that sets its own `SIGSEGV`/`SIGBUS` handler after installation would take the fault away from the
//! fixup; [`chain_sigaction`] lets an interposer (the drm-shim's `sigaction`/`signal`) record such a handler as the
//! one to forward to instead, which is how IGT's crash handlers and the fixup live together.
//!
//! Architectures: x86_64 (8-byte then 1-byte moves up to 64 bytes, `rep movsb` beyond, with the bytes left in one
//! register throughout; a fault in an 8-byte move counts those eight as not copied) and AArch64 (a byte loop). Elsewhere
//! [`install`] returns false and copies keep using `process_vm_readv`.

use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Mutex, Once};

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".pushsection .text.tyr_uaccess,\"ax\",@progbits",
    ".p2align 4",
    ".globl tyr_uaccess_copy",
    ".hidden tyr_uaccess_copy",
    ".type tyr_uaccess_copy,@function",
    "tyr_uaccess_copy:",
    // rcx holds the bytes left throughout, so that the fixup can return it whichever instruction faulted.
    "mov rcx, rdx",
    // Up to 64 bytes (ioctl arguments, op arrays of a few entries): eight at a time, then one at a time, as
    // `rep movsb` takes longer to start than such a copy takes.
    "cmp rcx, 64",
    "ja 4f",
    "2:",
    "cmp rcx, 8",
    "jb 3f",
    ".globl tyr_uaccess_copy_fault_q1",
    ".hidden tyr_uaccess_copy_fault_q1",
    "tyr_uaccess_copy_fault_q1:",
    "mov rax, qword ptr [rsi]",
    ".globl tyr_uaccess_copy_fault_q2",
    ".hidden tyr_uaccess_copy_fault_q2",
    "tyr_uaccess_copy_fault_q2:",
    "mov qword ptr [rdi], rax",
    "add rsi, 8",
    "add rdi, 8",
    "sub rcx, 8",
    "jmp 2b",
    "3:",
    "test rcx, rcx",
    "jz 5f",
    ".globl tyr_uaccess_copy_fault_b1",
    ".hidden tyr_uaccess_copy_fault_b1",
    "tyr_uaccess_copy_fault_b1:",
    "mov al, byte ptr [rsi]",
    ".globl tyr_uaccess_copy_fault_b2",
    ".hidden tyr_uaccess_copy_fault_b2",
    "tyr_uaccess_copy_fault_b2:",
    "mov byte ptr [rdi], al",
    "inc rsi",
    "inc rdi",
    "dec rcx",
    "jmp 3b",
    "4:",
    ".globl tyr_uaccess_copy_fault",
    ".hidden tyr_uaccess_copy_fault",
    "tyr_uaccess_copy_fault:",
    "rep movsb",
    "5:",
    "xor eax, eax",
    "ret",
    ".globl tyr_uaccess_copy_fixup",
    ".hidden tyr_uaccess_copy_fixup",
    "tyr_uaccess_copy_fixup:",
    "mov rax, rcx",
    "ret",
    ".size tyr_uaccess_copy, .-tyr_uaccess_copy",
    ".popsection",
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".pushsection .text.tyr_uaccess,\"ax\",%progbits",
    ".p2align 4",
    ".globl tyr_uaccess_copy",
    ".hidden tyr_uaccess_copy",
    ".type tyr_uaccess_copy,%function",
    "tyr_uaccess_copy:",
    "cbz x2, 2f",
    "1:",
    ".globl tyr_uaccess_copy_fault",
    ".hidden tyr_uaccess_copy_fault",
    "tyr_uaccess_copy_fault:",
    "ldrb w3, [x1]",
    ".globl tyr_uaccess_copy_fault2",
    ".hidden tyr_uaccess_copy_fault2",
    "tyr_uaccess_copy_fault2:",
    "strb w3, [x0]",
    "add x0, x0, #1",
    "add x1, x1, #1",
    "subs x2, x2, #1",
    "b.ne 1b",
    "2:",
    "mov x0, #0",
    "ret",
    ".globl tyr_uaccess_copy_fixup",
    ".hidden tyr_uaccess_copy_fixup",
    "tyr_uaccess_copy_fixup:",
    "mov x0, x2",
    "ret",
    ".size tyr_uaccess_copy, .-tyr_uaccess_copy",
    ".popsection",
);

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
extern "C" {
    /// Copies `len` bytes from `src` to `dst`; returns how many were not copied (0 on success).
    fn tyr_uaccess_copy(dst: *mut u8, src: *const u8, len: usize) -> usize;
    /// The routine's instruction that may fault (on AArch64, the load).
    static tyr_uaccess_copy_fault: u8;
    /// AArch64's second instruction that may fault (the store).
    #[cfg(target_arch = "aarch64")]
    static tyr_uaccess_copy_fault2: u8;
    /// x86_64's short-copy instructions that may fault: the 8-byte load and store, the 1-byte load and store.
    #[cfg(target_arch = "x86_64")]
    static tyr_uaccess_copy_fault_q1: u8;
    #[cfg(target_arch = "x86_64")]
    static tyr_uaccess_copy_fault_q2: u8;
    #[cfg(target_arch = "x86_64")]
    static tyr_uaccess_copy_fault_b1: u8;
    #[cfg(target_arch = "x86_64")]
    static tyr_uaccess_copy_fault_b2: u8;
    /// Where a fault in the routine resumes: returns the bytes left.
    static tyr_uaccess_copy_fixup: u8;
}

/// The signals a bad pointer raises.
const SIGNALS: [c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Whether the handler is in place (set once, after the forwarding targets are recorded).
static INSTALLED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Per signal in [`SIGNALS`], the action a fault outside the copy routine goes to. Null until [`install`]; the
/// records are never freed (a handler may be reading one while it is replaced), only kept in [`RECORDS`].
static FORWARD: [AtomicPtr<libc::sigaction>; 2] = [
    AtomicPtr::new(core::ptr::null_mut()),
    AtomicPtr::new(core::ptr::null_mut()),
];
/// Every forwarding record ever made, so that none is unreachable (they are few: one per `sigaction` the process
/// makes on these two signals). Boxed so that a record never moves when the vector grows.
#[allow(clippy::vec_box)]
static RECORDS: Mutex<Vec<Box<libc::sigaction>>> = Mutex::new(Vec::new());

/// The C library's `sigaction`, found past any interposer (the drm-shim stands in front of it, and its `sigaction`
/// forwards to [`chain_sigaction`] once the handler is installed, which must not be asked to install the handler).
fn real_sigaction(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction) -> c_int {
    type SigactionFn =
        unsafe extern "C" fn(c_int, *const libc::sigaction, *mut libc::sigaction) -> c_int;
    // SAFETY: `dlsym` with RTLD_NEXT and a NUL-terminated name has no other precondition.
    let p = unsafe { libc::dlsym(libc::RTLD_NEXT, c"sigaction".as_ptr()) };
    let f: SigactionFn = if p.is_null() {
        libc::sigaction
    } else {
        // SAFETY: the symbol libc exports as `sigaction` has this C prototype.
        unsafe { core::mem::transmute::<*mut libc::c_void, SigactionFn>(p) }
    };
    // SAFETY: the caller passes what `sigaction` accepts (null or valid pointers).
    unsafe { f(sig, act, old) }
}

/// Sets `sig`'s disposition to the default action with the raw system call: async-signal-safe and past any
/// interposer (no restorer is needed for SIG_DFL).
fn reset_to_default(sig: c_int) {
    /// The kernel's `struct sigaction` on x86_64 and AArch64.
    #[repr(C)]
    struct KernelSigaction {
        handler: usize,
        flags: u64,
        restorer: usize,
        mask: u64,
    }
    let dfl = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: rt_sigaction with a valid action of the kernel's layout, no old action, and the kernel's sigset size.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            &dfl as *const KernelSigaction,
            core::ptr::null_mut::<KernelSigaction>(),
            8usize,
        )
    };
}

fn slot(sig: c_int) -> Option<usize> {
    SIGNALS.iter().position(|&s| s == sig)
}

/// Keeps `act` reachable for the rest of the process and returns a pointer to it for [`FORWARD`].
fn record(act: libc::sigaction) -> *mut libc::sigaction {
    let mut b = Box::new(act);
    let p: *mut libc::sigaction = &mut *b;
    RECORDS.lock().unwrap_or_else(|e| e.into_inner()).push(b);
    p
}

/// Installs the fault handler (once per process); whether copies can use the fixup routine.
pub fn install() -> bool {
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        return false;
    }
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: an all-zero `sigaction` is a valid value of the C struct (SIG_DFL, empty mask, no flags).
            let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
            // Querying the current action: a null new action and a valid out-pointer.
            if real_sigaction(sig, core::ptr::null(), &mut old) != 0 {
                return;
            }
            FORWARD[i].store(record(old), Ordering::Release);
        }
        for &sig in &SIGNALS {
            // SAFETY: as above.
            let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
            act.sa_sigaction = on_fault as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: `act.sa_mask` is a valid signal set to initialise.
            unsafe { libc::sigemptyset(&mut act.sa_mask) };
            // `act` is a fully initialised action whose handler is an `extern "C"` function of the SA_SIGINFO
            // signature; the previous action was recorded above.
            if real_sigaction(sig, &act, core::ptr::null_mut()) != 0 {
                return;
            }
        }
        INSTALLED.store(true, Ordering::Release);
    });
    INSTALLED.load(Ordering::Acquire)
}

/// Whether [`install`] has put the handler in place.
pub fn installed() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

/// For an interposed `sigaction(sig, act, oldact)`: when the handler is installed and `sig` is `SIGSEGV` or `SIGBUS`,
/// `act` (if not null) becomes the action faults outside the copy routine are forwarded to and the previous one is
/// stored in `oldact` (if not null), leaving the real disposition alone; returns false (nothing done) otherwise.
///
/// # Safety
/// `act` is null or points to a valid `sigaction`; `oldact` is null or valid for a write of one.
pub unsafe fn chain_sigaction(
    sig: c_int,
    act: *const libc::sigaction,
    oldact: *mut libc::sigaction,
) -> bool {
    let Some(i) = slot(sig) else {
        return false;
    };
    if !installed() {
        return false;
    }
    let prev = if act.is_null() {
        FORWARD[i].load(Ordering::Acquire)
    } else {
        // SAFETY: `act` points to a valid action (the caller's contract); it is copied.
        let new = record(unsafe { *act });
        FORWARD[i].swap(new, Ordering::AcqRel)
    };
    if !oldact.is_null() {
        // SAFETY: `prev` is a record that is never freed; `oldact` is valid for a write (the caller's contract).
        unsafe { *oldact = *prev };
    }
    true
}

/// Copies `len` bytes from `src` to `dst` through the fixup routine; the number of bytes not copied (0 on
/// success; after a fault, possibly up to seven more than the bytes that could not be reached, as the kernel's
/// `copy_from_user` may also report). Call only after [`install`] returned true.
///
/// # Safety
/// The local side (`dst` for a read from the user, `src` for a write) is valid for `len` bytes; the user side may be
/// any address range that does not wrap.
pub(super) unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) -> usize {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: the routine only reads `src..src + len` and writes `dst..dst + len`; a fault on either goes to the
    // fixup (the handler is installed), which returns the count left.
    return unsafe { tyr_uaccess_copy(dst, src, len) };
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = (dst, src);
        len
    }
}

/// The program counter in a signal's saved context.
///
/// # Safety
/// `ctx` is the `ucontext_t` the kernel passed to an SA_SIGINFO handler.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
unsafe fn pc(ctx: *mut libc::c_void) -> *mut usize {
    let uc = ctx.cast::<libc::ucontext_t>();
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `uc` is the live context (the caller's contract); RIP is a 64-bit general register slot.
    return unsafe { (&raw mut (*uc).uc_mcontext.gregs[libc::REG_RIP as usize]).cast() };
    #[cfg(target_arch = "aarch64")]
    // SAFETY: as above; `pc` is the 64-bit program counter.
    return unsafe { (&raw mut (*uc).uc_mcontext.pc).cast() };
}

/// The SIGSEGV/SIGBUS handler: a fault in the copy routine resumes at its fixup; anything else is forwarded.
extern "C" fn on_fault(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        // SAFETY: the kernel passes a valid context to an SA_SIGINFO handler.
        let pc = unsafe { pc(ctx) };
        // SAFETY: `pc` points into the live context; reading and writing it is what the context is for.
        let at = unsafe { *pc };
        // Only the labels' addresses are taken (no read of the extern statics).
        let fault = &raw const tyr_uaccess_copy_fault as usize;
        #[cfg(target_arch = "aarch64")]
        let faulting = [fault, &raw const tyr_uaccess_copy_fault2 as usize];
        #[cfg(target_arch = "x86_64")]
        let faulting = [
            fault,
            &raw const tyr_uaccess_copy_fault_q1 as usize,
            &raw const tyr_uaccess_copy_fault_q2 as usize,
            &raw const tyr_uaccess_copy_fault_b1 as usize,
            &raw const tyr_uaccess_copy_fault_b2 as usize,
        ];
        if faulting.contains(&at) {
            // SAFETY: as above.
            unsafe { *pc = &raw const tyr_uaccess_copy_fixup as usize };
            return;
        }
    }
    forward(sig, info, ctx);
}

/// Gives a fault that is not the copy routine's to the action the process has for it.
fn forward(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let act = slot(sig).map_or(core::ptr::null_mut(), |i| {
        FORWARD[i].load(Ordering::Acquire)
    });
    // SAFETY: a non-null `FORWARD` entry is a record that is never freed.
    let (handler, flags) = match unsafe { act.as_ref() } {
        Some(a) => (a.sa_sigaction, a.sa_flags),
        None => (libc::SIG_DFL, 0),
    };
    // SAFETY: `info` is null or the kernel's siginfo for this signal.
    let sent = info.is_null() || unsafe { (*info).si_code } <= 0;
    if handler == libc::SIG_IGN && sent {
        return;
    }
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // The default action (a fault cannot be ignored: the kernel forces it): restore it and let the signal come
        // again, by re-executing the faulting instruction or, for a sent signal, by raising it once more (it is
        // blocked in this handler, so it is delivered as the handler returns).
        reset_to_default(sig);
        if sent {
            // SAFETY: raise is async-signal-safe.
            unsafe { libc::raise(sig) };
        }
        return;
    }
    if flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the process installed this function as an SA_SIGINFO handler; it gets what the kernel gave us.
        let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { core::mem::transmute(handler) };
        f(sig, info, ctx);
    } else {
        // SAFETY: the process installed this function as a plain handler.
        let f: extern "C" fn(c_int) = unsafe { core::mem::transmute(handler) };
        f(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routine_copies_and_reports_what_a_fault_left() {
        assert!(install());
        let src: Vec<u8> = (0..200u8).collect();
        let mut dst = vec![0u8; 200];
        // SAFETY: both buffers are valid for 200 bytes.
        assert_eq!(unsafe { copy(dst.as_mut_ptr(), src.as_ptr(), 200) }, 0);
        assert_eq!(dst, src);
        // A range running from a readable page into an unmapped one copies up to the boundary.
        let page = crate::uaccess::page_before_a_hole();
        // SAFETY: the first page is mapped and writable.
        unsafe { page.add(0x1000 - 16).write_bytes(0xAB, 16) };
        let mut out = [0u8; 64];
        // SAFETY: `out` is valid for 64 bytes; the user side straddles the unmapped page.
        let left = unsafe { copy(out.as_mut_ptr(), page.add(0x1000 - 16), 64) };
        assert_eq!(left, 48);
        assert_eq!(&out[..16], &[0xAB; 16]);
        // SAFETY: unmapping what is left of the mapping.
        unsafe { libc::munmap(page.cast(), 0x1000) };
    }

    #[test]
    fn short_copies_both_ways_report_a_fault_within_eight_bytes() {
        assert!(install());
        let page = crate::uaccess::page_before_a_hole();
        // Every length up to 64 and every number of reachable bytes: whole lengths copy, and a fault leaves at least
        // the unreachable bytes and at most seven more, the reachable ones before that copied.
        for len in 1..=64usize {
            for reachable in 0..=len {
                let at = 0x1000 - reachable;
                // SAFETY: `reachable` bytes before the unmapped page are mapped and writable.
                unsafe { page.add(at).write_bytes(0xCD, reachable) };
                let mut out = [0u8; 64];
                // SAFETY: `out` is valid for `len` bytes; the user side runs into the unmapped page.
                let left = unsafe { copy(out.as_mut_ptr(), page.add(at), len) };
                let missing = len - reachable;
                assert!(
                    left >= missing && left <= missing + 7,
                    "read {len}/{reachable}: {left}"
                );
                assert!(out[..len - left].iter().all(|&b| b == 0xCD));
                let src = [0x5Au8; 64];
                // SAFETY: `src` is valid for `len` bytes; the user side runs into the unmapped page.
                let left = unsafe { copy(page.add(at), src.as_ptr(), len) };
                assert!(
                    left >= missing && left <= missing + 7,
                    "write {len}/{reachable}: {left}"
                );
                // SAFETY: the bytes reported copied are mapped.
                let written = unsafe { core::slice::from_raw_parts(page.add(at), len - left) };
                assert!(written.iter().all(|&b| b == 0x5A));
            }
        }
        // SAFETY: unmapping what is left of the mapping.
        unsafe { libc::munmap(page.cast(), 0x1000) };
    }

    /// Runs `child` in a forked process and returns its wait status.
    fn in_child(child: impl FnOnce()) -> c_int {
        // Installed before the fork: a child forked while another test thread is inside `install`'s `Once` would
        // inherit it mid-run and wait on it forever.
        assert!(install());
        // SAFETY: the child only runs `child` (signal-handler-level work and `_exit`), never returning to the harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            child();
            // SAFETY: ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        status
    }

    fn null_read() {
        // SAFETY: deliberately not sound: the fault is what the test is about, and it ends the child process.
        unsafe { core::ptr::read_volatile(core::ptr::without_provenance::<u64>(8)) };
    }

    extern "C" fn exit_42(_: c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(42) };
    }

    #[test]
    fn other_faults_reach_the_handler_the_process_set_or_the_default_action() {
        let status = in_child(|| {
            assert!(install());
            // SAFETY: an all-zero action is valid; the handler has the SA_SIGINFO signature.
            let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
            act.sa_sigaction = exit_42 as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO;
            // SAFETY: `act` is valid; no old action is asked for.
            assert!(unsafe { chain_sigaction(libc::SIGSEGV, &act, core::ptr::null_mut()) });
            null_read();
        });
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 42,
            "{status:#x}"
        );

        let status = in_child(|| {
            assert!(install());
            // SAFETY: an all-zero action is SIG_DFL.
            let dfl: libc::sigaction = unsafe { core::mem::zeroed() };
            // SAFETY: as above.
            assert!(unsafe { chain_sigaction(libc::SIGSEGV, &dfl, core::ptr::null_mut()) });
            null_read();
        });
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSEGV,
            "{status:#x}"
        );

        // A copy still recovers with a forwarding handler set, and chain_sigaction hands back what was set.
        let status = in_child(|| {
            assert!(install());
            // SAFETY: as above.
            let mut act: libc::sigaction = unsafe { core::mem::zeroed() };
            act.sa_sigaction = exit_42 as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO;
            // SAFETY: as above.
            let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
            // SAFETY: valid pointers.
            unsafe {
                chain_sigaction(libc::SIGSEGV, &act, core::ptr::null_mut());
                chain_sigaction(libc::SIGSEGV, core::ptr::null(), &mut old);
            }
            if old.sa_sigaction != exit_42 as *const () as usize {
                // SAFETY: async-signal-safe exit.
                unsafe { libc::_exit(1) };
            }
            let mut out = [0u8; 8];
            // SAFETY: `out` is valid; the user side is unmapped.
            if unsafe { copy(out.as_mut_ptr(), core::ptr::without_provenance(8), 8) } != 8 {
                // SAFETY: as above.
                unsafe { libc::_exit(2) };
            }
        });
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{status:#x}"
        );
    }
}
