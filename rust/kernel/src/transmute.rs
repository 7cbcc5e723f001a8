//! Types that can be copied to and from raw bytes (`kernel::transmute`): what may cross the user/kernel boundary.

/// Types for which every bit pattern of their size is a valid value, so they can be read from untrusted bytes.
///
/// # Safety
/// Implementors must have no padding-dependent invariants and accept every bit pattern: integers, arrays of them, and
/// `#[repr(C)]` structs made only of such fields (the uAPI structs).
pub unsafe trait FromBytes: Sized {}

/// Types whose every byte is initialised, so they can be written out as raw bytes.
///
/// # Safety
/// Implementors must contain no padding bytes (or only padding that is explicitly a field, as in the uAPI structs).
pub unsafe trait AsBytes: Sized {}

macro_rules! impl_pod {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: primitive integers accept every bit pattern and have no padding.
            unsafe impl FromBytes for $t {}
            // SAFETY: as above.
            unsafe impl AsBytes for $t {}
        )*
    };
}

impl_pod!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

// SAFETY: an array of `FromBytes` values accepts every bit pattern element-wise and has no padding between elements.
unsafe impl<T: FromBytes, const N: usize> FromBytes for [T; N] {}
// SAFETY: arrays have no padding between elements, and the elements have none.
unsafe impl<T: AsBytes, const N: usize> AsBytes for [T; N] {}

/// Implements [`FromBytes`] and [`AsBytes`] for `#[repr(C)]` structs whose fields are all plain integers (or arrays of
/// them) with explicit padding fields, as every DRM uAPI struct is.
///
/// # Safety
/// The caller asserts, by invoking the macro, that each listed type is such a struct; a layout test should back it.
#[macro_export]
macro_rules! impl_uapi_pod {
    ($($t:ty),* $(,)?) => {
        $(
            // SAFETY: the invoker asserts `$t` is a `#[repr(C)]` struct of integers with explicit padding.
            unsafe impl $crate::transmute::FromBytes for $t {}
            // SAFETY: as above; there are no implicit padding bytes.
            unsafe impl $crate::transmute::AsBytes for $t {}
        )*
    };
}
