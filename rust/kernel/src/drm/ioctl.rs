// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DRM ioctl dispatch with the DRM core's argument rules (`drm_ioctl()` and `drm_ioctl_kernel()` in
//! `drivers/gpu/drm/drm_ioctl.c`).
//!
//! What a caller observes is decided here, before and after any handler runs:
//!
//! * a command whose type byte is not `'d'` is `ENOTTY`; a driver number (`0x40..0xA0`) beyond the driver's table, or
//!   a core number with no handler, is `EINVAL`;
//! * the kernel buffer is `max(in, out, K)` bytes, where `K` is the size in the *kernel's* command and `in`/`out` are
//!   the *caller's* size when both commands carry the write/read direction: a shorter caller struct is zero-extended,
//!   a longer one is read and written back unchanged beyond the kernel's size (no `E2BIG` at this level);
//! * permissions (`DRM_ROOT_ONLY`, `DRM_AUTH`, `DRM_MASTER`, render nodes needing `DRM_RENDER_ALLOW`) are checked
//!   after the copy-in and fail with `EACCES` (`drm_ioctl_permit`); a bad argument pointer is therefore `EFAULT`
//!   even for a call the caller may not make, and an empty slot `EINVAL` before either;
//! * `out` bytes are copied back whatever the handler returned, so fields written before a failure are visible; a
//!   fault in that copy replaces the result with `EFAULT`.

use crate::error::code::{EACCES, EFAULT, EINVAL, ENOMEM, ENOTTY};
use crate::error::Result;
use crate::transmute::{AsBytes, FromBytes};
use crate::uaccess::{UserPtr, UserSlice};

/// `_IOC_WRITE`: the caller passes data in.
pub const IOC_IN: u32 = 1 << 30;
/// `_IOC_READ`: data comes back to the caller.
pub const IOC_OUT: u32 = 2 << 30;
/// The DRM ioctl type byte.
pub const DRM_IOCTL_BASE: u32 = b'd' as u32;
/// First driver-private ioctl number (`DRM_COMMAND_BASE`).
pub const DRM_COMMAND_BASE: u32 = 0x40;
/// One past the last driver-private ioctl number (`DRM_COMMAND_END`).
pub const DRM_COMMAND_END: u32 = 0xa0;

bitflags::bitflags! {
    /// Who may call an ioctl (`enum drm_ioctl_flags`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct IoctlFlags: u32 {
        /// Needs an authenticated primary-node client (render clients pass).
        const AUTH = 1 << 0;
        /// Needs the DRM master.
        const MASTER = 1 << 1;
        /// Needs CAP_SYS_ADMIN.
        const ROOT_ONLY = 1 << 2;
        /// Allowed on render nodes.
        const RENDER_ALLOW = 1 << 5;
    }
}

/// The size field of a command (`_IOC_SIZE`).
pub const fn ioc_size(cmd: u32) -> usize {
    ((cmd >> 16) & 0x3fff) as usize
}

/// The number field of a command (`_IOC_NR`).
pub const fn ioc_nr(cmd: u32) -> u32 {
    cmd & 0xff
}

/// The type field of a command (`_IOC_TYPE`).
pub const fn ioc_type(cmd: u32) -> u32 {
    (cmd >> 8) & 0xff
}

/// What the caller is, for the permission checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The file is a render node (`/dev/dri/renderD*`).
    pub render_node: bool,
    /// The primary-node client is authenticated.
    pub authenticated: bool,
    /// The client is the current DRM master.
    pub master: bool,
    /// The process has CAP_SYS_ADMIN.
    pub sys_admin: bool,
    /// The process has CAP_SYS_NICE (drivers gate high scheduling priorities on it).
    pub sys_nice: bool,
}

/// The kernel-side copy of an ioctl argument, as a handler sees it.
///
/// Arguments up to this many bytes are copied into a buffer on the dispatcher's stack, as `drm_ioctl` does with its
/// `stack_kdata[128]`; larger ones into an allocation.
const STACK_KDATA: usize = 128;

/// Where an argument's kernel copy lives.
enum KData {
    /// `drm_ioctl`'s `stack_kdata`.
    Stack([u64; STACK_KDATA / 8]),
    /// `kmalloc`'d for a larger argument.
    Heap(Vec<u64>),
}

/// # Invariants
/// `buf` holds at least `len` initialised bytes; `len >= ` the size in the kernel's command for this ioctl.
pub struct IoctlData {
    buf: KData,
    len: usize,
}

impl IoctlData {
    /// The argument as the kernel's struct `T`. `EINVAL` if `T` is larger than the kernel buffer, which only a table
    /// whose command size disagrees with its handler's type can cause.
    pub fn get<T: FromBytes + AsBytes>(&mut self) -> Result<&mut T> {
        if size_of::<T>() > self.len || align_of::<T>() > align_of::<u64>() {
            return Err(EINVAL);
        }
        // SAFETY: the buffer is 8-byte aligned (`u64` words), at least `size_of::<T>()` bytes long (checked), fully
        // initialised, and `T: FromBytes` accepts every bit pattern; `T: AsBytes` makes writes through it keep every
        // byte initialised. The returned borrow is tied to `&mut self`.
        Ok(unsafe { &mut *(self.words().as_mut_ptr().cast::<T>()) })
    }

    /// The raw bytes.
    pub fn bytes(&mut self) -> &mut [u8] {
        let len = self.len;
        let words = self.words();
        // SAFETY: `words` holds at least `len` initialised bytes (type invariant); u8 has no alignment needs; the
        // slice borrows `self` mutably.
        unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
    }

    /// A zeroed buffer of `len` bytes: on the stack up to [`STACK_KDATA`], else allocated (`ENOMEM` if it cannot be).
    /// Inlined, so that the stack buffer is built where the dispatcher keeps it rather than copied there.
    #[inline(always)]
    fn zeroed(len: usize) -> Result<Self> {
        let buf = if len <= STACK_KDATA {
            KData::Stack([0; STACK_KDATA / 8])
        } else {
            let mut v = Vec::new();
            v.try_reserve_exact(len.div_ceil(8)).map_err(|_| ENOMEM)?;
            v.resize(len.div_ceil(8), 0u64);
            KData::Heap(v)
        };
        // INVARIANT: both buffers hold at least `len` zeroed bytes.
        Ok(IoctlData { buf, len })
    }

    fn words(&mut self) -> &mut [u64] {
        match &mut self.buf {
            KData::Stack(a) => a,
            KData::Heap(v) => v,
        }
    }
}

/// One entry of an ioctl table (`struct drm_ioctl_desc`).
pub struct IoctlDesc<C: ?Sized> {
    /// The kernel's own command: its direction and size are what the dispatcher compares the caller's against.
    pub cmd: u32,
    /// Permission flags.
    pub flags: IoctlFlags,
    /// Name, for logs and tracing.
    pub name: &'static str,
    /// The handler.
    pub func: fn(&C, &mut IoctlData) -> Result,
}

/// The two tables `drm_ioctl()` looks in: the DRM core's, by number, and the driver's, by `nr - DRM_COMMAND_BASE`.
pub struct IoctlTables<'a, C: ?Sized> {
    /// Core ioctls (numbers outside the driver range) that have a handler.
    pub core: &'a [IoctlDesc<C>],
    /// Driver ioctls, index `i` for number `DRM_COMMAND_BASE + i`.
    pub driver: &'a [IoctlDesc<C>],
}

impl<C: ?Sized> IoctlTables<'_, C> {
    /// Finds the entry for `nr`: `EINVAL` when there is none.
    pub fn lookup(&self, nr: u32) -> Result<&IoctlDesc<C>> {
        if (DRM_COMMAND_BASE..DRM_COMMAND_END).contains(&nr) {
            self.driver
                .get((nr - DRM_COMMAND_BASE) as usize)
                .ok_or(EINVAL)
        } else {
            self.core.iter().find(|d| ioc_nr(d.cmd) == nr).ok_or(EINVAL)
        }
    }
}

/// `drm_ioctl_permit()`.
fn permit(flags: IoctlFlags, caller: Caller) -> Result {
    if flags.contains(IoctlFlags::ROOT_ONLY) && !caller.sys_admin {
        return Err(EACCES);
    }
    if flags.contains(IoctlFlags::AUTH) && !caller.render_node && !caller.authenticated {
        return Err(EACCES);
    }
    if flags.contains(IoctlFlags::MASTER) && !caller.master {
        return Err(EACCES);
    }
    if !flags.contains(IoctlFlags::RENDER_ALLOW) && caller.render_node {
        return Err(EACCES);
    }
    Ok(())
}

/// Runs ioctl `cmd` with argument pointer `arg` for `ctx` as the DRM core does (`drm_ioctl`).
pub fn dispatch<C: ?Sized>(
    tables: &IoctlTables<'_, C>,
    ctx: &C,
    caller: Caller,
    cmd: u32,
    arg: UserPtr,
) -> Result {
    dispatch_with(tables, ctx, |_| Ok(caller), cmd, arg)
}

/// [`dispatch`] with the caller's permission view taken after the copy-in, where `drm_ioctl_kernel` looks at it:
/// `caller` may fail (`ENODEV` for a device unplugged meanwhile), and sees the master and authentication state of
/// that moment. It is given the ioctl's flags: the task's capabilities matter only for `ROOT_ONLY`, and
/// `drm_ioctl_permit` calls `capable()` only then. Order: type (`ENOTTY`), table lookup and empty slots (`EINVAL`), copy-in (`EFAULT`), `caller` and
/// `drm_ioctl_permit` (`EACCES`), the handler, then the copy-out whatever the result.
pub fn dispatch_with<C: ?Sized>(
    tables: &IoctlTables<'_, C>,
    ctx: &C,
    caller: impl FnOnce(IoctlFlags) -> Result<Caller>,
    cmd: u32,
    arg: UserPtr,
) -> Result {
    if ioc_type(cmd) != DRM_IOCTL_BASE {
        return Err(ENOTTY);
    }
    let desc = tables.lookup(ioc_nr(cmd))?;
    let user_size = ioc_size(cmd);
    let in_size = if cmd & desc.cmd & IOC_IN != 0 {
        user_size
    } else {
        0
    };
    let out_size = if cmd & desc.cmd & IOC_OUT != 0 {
        user_size
    } else {
        0
    };
    let ksize = in_size.max(out_size).max(ioc_size(desc.cmd));

    let mut data = IoctlData::zeroed(ksize)?;
    let user = UserSlice::new(arg, user_size);
    user.reader().read_slice(&mut data.bytes()[..in_size])?;

    let res = caller(desc.flags)
        .and_then(|c| permit(desc.flags, c))
        .and_then(|()| (desc.func)(ctx, &mut data));
    if out_size > 0 {
        user.writer()
            .write_slice(&data.bytes()[..out_size])
            .map_err(|_| EFAULT)?;
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code::{EEXIST, EFAULT, ENODEV};

    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    struct Arg {
        a: u32,
        b: u32,
        c: u64,
    }
    crate::impl_uapi_pod!(Arg { a, b, c },);

    #[derive(Default)]
    struct Ctx {
        seen: std::sync::Mutex<Vec<Arg>>,
    }

    use crate::uapi::ioctl::{iow, iowr};

    /// Records the argument, writes `a + 1` into `b`, and fails with EEXIST when `a == 99`.
    fn bump(ctx: &Ctx, d: &mut IoctlData) -> Result {
        let arg = d.get::<Arg>()?;
        ctx.seen.lock().unwrap().push(*arg);
        arg.b = arg.a + 1;
        if arg.a == 99 {
            return Err(EEXIST);
        }
        Ok(())
    }

    const DRIVER: [IoctlDesc<Ctx>; 2] = [
        IoctlDesc {
            cmd: iowr(0x40, 16),
            flags: IoctlFlags::RENDER_ALLOW,
            name: "BUMP",
            func: bump,
        },
        IoctlDesc {
            cmd: iowr(0x41, 16),
            flags: IoctlFlags::empty(),
            name: "PRIMARY_ONLY",
            func: bump,
        },
    ];
    const CORE: [IoctlDesc<Ctx>; 1] = [IoctlDesc {
        cmd: iow(0x09, 16),
        flags: IoctlFlags::RENDER_ALLOW,
        name: "W_ONLY",
        func: bump,
    }];
    const TABLES: IoctlTables<'static, Ctx> = IoctlTables {
        core: &CORE,
        driver: &DRIVER,
    };
    const RENDER: Caller = Caller {
        render_node: true,
        authenticated: false,
        master: false,
        sys_admin: false,
        sys_nice: false,
    };

    fn call(ctx: &Ctx, cmd: u32, buf: &mut [u8]) -> Result {
        dispatch(
            &TABLES,
            ctx,
            RENDER,
            cmd,
            UserPtr(buf.as_mut_ptr() as usize),
        )
    }

    fn bytes(a: u32, b: u32, c: u64) -> Vec<u8> {
        [&a.to_le_bytes()[..], &b.to_le_bytes(), &c.to_le_bytes()].concat()
    }

    #[test]
    fn exact_size_round_trips() {
        let ctx = Ctx::default();
        let mut buf = bytes(5, 0, 7);
        call(&ctx, iowr(0x40, 16), &mut buf).unwrap();
        assert_eq!(buf, bytes(5, 6, 7));
    }

    #[test]
    fn a_shorter_caller_struct_is_zero_extended_and_truncated_back() {
        let ctx = Ctx::default();
        let mut buf = [bytes(5, 0, 7), vec![0xaa; 8]].concat();
        call(&ctx, iowr(0x40, 4), &mut buf).unwrap();
        assert_eq!(ctx.seen.lock().unwrap()[0], Arg { a: 5, b: 0, c: 0 });
        assert_eq!(
            buf,
            [bytes(5, 0, 7), vec![0xaa; 8]].concat(),
            "only 4 bytes go back, unchanged"
        );
    }

    #[test]
    fn a_longer_caller_struct_is_accepted_and_its_tail_comes_back_unchanged() {
        let ctx = Ctx::default();
        let mut buf = [bytes(1, 0, 2), vec![0x5a; 8]].concat();
        call(&ctx, iowr(0x40, 24), &mut buf).unwrap();
        assert_eq!(buf, [bytes(1, 2, 2), vec![0x5a; 8]].concat());
    }

    #[test]
    fn fields_written_before_a_failure_are_copied_back() {
        let ctx = Ctx::default();
        let mut buf = bytes(99, 0, 0);
        assert_eq!(call(&ctx, iowr(0x40, 16), &mut buf), Err(EEXIST));
        assert_eq!(buf, bytes(99, 100, 0));
    }

    #[test]
    fn a_bad_argument_pointer_is_efault_and_the_handler_never_runs() {
        let ctx = Ctx::default();
        assert_eq!(
            dispatch(&TABLES, &ctx, RENDER, iowr(0x40, 16), UserPtr(0x8)),
            Err(EFAULT)
        );
        assert!(ctx.seen.lock().unwrap().is_empty());
    }

    #[test]
    fn unknown_numbers_and_foreign_types() {
        let ctx = Ctx::default();
        let mut buf = bytes(0, 0, 0);
        assert_eq!(
            call(&ctx, iowr(0x42, 16), &mut buf),
            Err(EINVAL),
            "past the driver table"
        );
        assert_eq!(call(&ctx, iowr(0x9f, 16), &mut buf), Err(EINVAL));
        assert_eq!(
            call(&ctx, iowr(0x0a, 16), &mut buf),
            Err(EINVAL),
            "core number without handler"
        );
        assert_eq!(
            call(
                &ctx,
                (iowr(0x40, 16) & !0xff00) | (u32::from(b'e') << 8),
                &mut buf
            ),
            Err(ENOTTY)
        );
        assert!(ctx.seen.lock().unwrap().is_empty());
    }

    #[test]
    fn render_nodes_need_render_allow_and_the_argument_still_goes_back() {
        let ctx = Ctx::default();
        let mut buf = bytes(3, 9, 0);
        // The caller only asked for output: the kernel buffer starts zeroed and is copied back as such.
        let read_only_cmd = iowr(0x41, 16) & !IOC_IN;
        assert_eq!(call(&ctx, read_only_cmd, &mut buf), Err(EACCES));
        assert_eq!(buf, bytes(0, 0, 0));
        let primary = Caller {
            render_node: false,
            ..RENDER
        };
        let mut buf = bytes(3, 0, 0);
        dispatch(
            &TABLES,
            &ctx,
            primary,
            iowr(0x41, 16),
            UserPtr(buf.as_mut_ptr() as usize),
        )
        .unwrap();
        assert_eq!(buf, bytes(3, 4, 0));
    }

    #[test]
    fn upstream_order_empty_slot_then_copy_in_then_permission() {
        let ctx = Ctx::default();
        let bad = UserPtr(0x8);
        assert_eq!(
            dispatch(&TABLES, &ctx, RENDER, iowr(0x0a, 16), bad),
            Err(EINVAL),
            "empty slot before the copy"
        );
        assert_eq!(
            dispatch(&TABLES, &ctx, RENDER, iowr(0x41, 16), bad),
            Err(EFAULT),
            "copy-in before the permit"
        );
        let mut buf = bytes(3, 0, 0);
        assert_eq!(call(&ctx, iowr(0x41, 16), &mut buf), Err(EACCES));
        assert!(ctx.seen.lock().unwrap().is_empty(), "no handler ran");
    }

    #[test]
    fn the_caller_is_asked_after_the_copy_in_and_its_failure_still_copies_back() {
        let ctx = Ctx::default();
        let asked = core::cell::Cell::new(false);
        let bad = UserPtr(0x8);
        let r = dispatch_with(
            &TABLES,
            &ctx,
            |_| {
                asked.set(true);
                Ok(RENDER)
            },
            iowr(0x40, 16),
            bad,
        );
        assert_eq!(r, Err(EFAULT));
        assert!(
            !asked.get(),
            "a failed copy-in never reaches drm_ioctl_kernel"
        );
        let mut buf = bytes(4, 9, 0);
        let r = dispatch_with(
            &TABLES,
            &ctx,
            |_| Err(ENODEV),
            iowr(0x40, 16),
            UserPtr(buf.as_mut_ptr() as usize),
        );
        assert_eq!(r, Err(ENODEV));
        assert_eq!(buf, bytes(4, 9, 0), "the unchanged argument went back");
        assert!(ctx.seen.lock().unwrap().is_empty());
    }

    #[test]
    fn write_only_ioctls_copy_nothing_back() {
        let ctx = Ctx::default();
        let mut buf = bytes(7, 0, 0);
        call(&ctx, iow(0x09, 16), &mut buf).unwrap();
        assert_eq!(ctx.seen.lock().unwrap()[0].a, 7);
        assert_eq!(buf, bytes(7, 0, 0));
    }

    #[test]
    fn a_fault_on_copy_back_replaces_the_result() {
        let ctx = Ctx::default();
        // SAFETY: a fresh anonymous read-only mapping, unmapped below.
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
        assert_eq!(
            dispatch(&TABLES, &ctx, RENDER, iowr(0x40, 16), UserPtr(p as usize)),
            Err(EFAULT)
        );
        assert_eq!(
            ctx.seen.lock().unwrap().len(),
            1,
            "the handler ran; only the copy-back failed"
        );
        // SAFETY: `p` is the mapping made above.
        unsafe { libc::munmap(p, 4096) };
    }
}
