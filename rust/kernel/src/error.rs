// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Kernel errors: a negative errno, as the kernel's `kernel::error::Error` carries it.
//!
//! Functions that can fail return [`Result`]; at the uAPI edge the errno is what the caller of an ioctl sees. The
//! constants in [`code`] carry Linux's numbers (asm-generic), so values printed by tools match what the kernel prints.

use core::fmt;
use core::num::NonZeroI32;

/// Errno constants, as `kernel::error::code` has them.
pub mod code {
    use super::Error;

    macro_rules! declare_errors {
        ($($name:ident = $num:literal, $doc:literal;)*) => {
            $(
                #[doc = $doc]
                pub const $name: Error = Error::from_errno_const(-$num);
            )*

            /// The symbolic name of a known errno (e.g. `"EINVAL"` for -22).
            pub(super) fn name(errno: i32) -> Option<&'static str> {
                match -errno {
                    $($num => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        };
    }

    declare_errors! {
        EPERM = 1, "Operation not permitted.";
        ENOENT = 2, "No such file or directory.";
        ESRCH = 3, "No such process.";
        EINTR = 4, "Interrupted system call.";
        EIO = 5, "I/O error.";
        ENXIO = 6, "No such device or address.";
        E2BIG = 7, "Argument list too long.";
        ENOEXEC = 8, "Exec format error.";
        EBADF = 9, "Bad file number.";
        EAGAIN = 11, "Try again.";
        ENOMEM = 12, "Out of memory.";
        EACCES = 13, "Permission denied.";
        EFAULT = 14, "Bad address.";
        EBUSY = 16, "Device or resource busy.";
        EFBIG = 27, "File too large.";
        EEXIST = 17, "File exists.";
        ENODEV = 19, "No such device.";
        EINVAL = 22, "Invalid argument.";
        ENFILE = 23, "File table overflow.";
        EMFILE = 24, "Too many open files.";
        ENOSPC = 28, "No space left on device.";
        EPIPE = 32, "Broken pipe.";
        EDOM = 33, "Math argument out of domain of func.";
        ERANGE = 34, "Math result not representable.";
        EDEADLK = 35, "Resource deadlock would occur.";
        ENOTTY = 25, "Not a typewriter (inappropriate ioctl).";
        ENOSYS = 38, "Invalid system call number.";
        ENODATA = 61, "No data available.";
        ETIME = 62, "Timer expired.";
        EOVERFLOW = 75, "Value too large for defined data type.";
        EOPNOTSUPP = 95, "Operation not supported on transport endpoint.";
        ETIMEDOUT = 110, "Connection timed out.";
        EALREADY = 114, "Operation already in progress.";
        EINPROGRESS = 115, "Operation now in progress.";
        ECANCELED = 125, "Operation canceled.";
    }
}

/// A kernel error: a negative errno in `-4095..=-1`.
///
/// # Invariants
/// The wrapped value is in `-4095..=-1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error(NonZeroI32);

impl Error {
    /// Makes an error from a negative errno. Values outside `-4095..=-1` become `EINVAL`, as the kernel's
    /// `Error::from_errno` does (with a warning there).
    pub fn from_errno(errno: i32) -> Error {
        if !(-4095..=-1).contains(&errno) {
            return code::EINVAL;
        }
        Self::from_errno_const(errno)
    }

    const fn from_errno_const(errno: i32) -> Error {
        match NonZeroI32::new(errno) {
            // The invariant holds for every constant in `code` (checked by a unit test) and for `from_errno`'s values.
            Some(v) => Error(v),
            None => panic!("errno 0 is not an error"),
        }
    }

    /// The negative errno, e.g. -22 for `EINVAL`.
    pub fn to_errno(self) -> i32 {
        self.0.get()
    }

    /// The symbolic name, e.g. `"EINVAL"`, if known.
    pub fn name(self) -> Option<&'static str> {
        code::name(self.0.get())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "Error({})", self.0.get()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self, self.0.get())
    }
}

impl std::error::Error for Error {}

/// The result type of fallible kernel functions.
pub type Result<T = (), E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::code::*;
    use super::*;

    #[test]
    fn errnos_carry_linux_numbers() {
        assert_eq!(EINVAL.to_errno(), -22);
        assert_eq!(EEXIST.to_errno(), -17);
        assert_eq!(ERANGE.to_errno(), -34);
        assert_eq!(ENOMEM.to_errno(), -12);
        assert_eq!(EFAULT.to_errno(), -14);
        assert_eq!(ENOTTY.to_errno(), -25);
    }

    #[test]
    fn out_of_range_errno_becomes_einval() {
        assert_eq!(Error::from_errno(0), EINVAL);
        assert_eq!(Error::from_errno(5), EINVAL);
        assert_eq!(Error::from_errno(-4096), EINVAL);
        assert_eq!(Error::from_errno(-4095).to_errno(), -4095);
    }

    #[test]
    fn debug_prints_the_symbol() {
        assert_eq!(format!("{:?}", ERANGE), "ERANGE");
        assert_eq!(format!("{}", EEXIST), "EEXIST (-17)");
        assert_eq!(format!("{:?}", Error::from_errno(-4000)), "Error(-4000)");
    }
}
