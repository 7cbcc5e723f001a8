// SPDX-License-Identifier: GPL-2.0-only OR MIT
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

// SAFETY: a raw pointer is a plain address: every bit pattern is a valid (possibly dangling) pointer, and it has no
// padding. bindgen spells the uAPI's `__user` pointers (`char __user *name` in `drm_version`) this way; the kernel only
// ever hands them to `uaccess` as user addresses and never dereferences them.
unsafe impl<T> FromBytes for *mut T {}
// SAFETY: as above; all of a pointer's bytes are its address.
unsafe impl<T> AsBytes for *mut T {}
// SAFETY: as for `*mut T`.
unsafe impl<T> FromBytes for *const T {}
// SAFETY: as for `*mut T`.
unsafe impl<T> AsBytes for *const T {}

/// The size of the field that `field` projects to, for [`impl_uapi_pod!`]'s padding proof. Bounding the field's type
/// by [`FromBytes`] and [`AsBytes`] is what makes the struct's own implementations sound field by field.
#[doc(hidden)]
pub const fn pod_field_size<S, F: FromBytes + AsBytes>(_field: fn(&S) -> &F) -> usize {
    core::mem::size_of::<F>()
}

/// Implements [`FromBytes`] and [`AsBytes`] for structs made only of such fields, with no implicit padding, as every
/// DRM uAPI struct is: `impl_uapi_pod!(drm_gem_close { handle, pad })`.
///
/// The invocation is safe because the macro proves what the unsafe implementations need, at compile time:
/// * the listed fields are exactly the struct's fields, each once (an exhaustive destructuring pattern names them);
/// * each field's type is itself [`FromBytes`] and [`AsBytes`];
/// * the struct's size is the sum of its fields' sizes, so no byte is padding (no explicit `#[repr(C)]` needed for
///   soundness, though the uAPI structs have it for the layout).
///
/// A struct with a hole fails to build:
///
/// ```compile_fail,E0080
/// #[repr(C)]
/// pub struct Holey {
///     a: u32,
///     b: u64,
/// }
/// kernel::impl_uapi_pod!(Holey { a, b });
/// ```
///
/// and so does a field list that leaves a field out or names one twice:
///
/// ```compile_fail,E0027
/// #[repr(C)]
/// pub struct Two {
///     a: u32,
///     b: u32,
/// }
/// kernel::impl_uapi_pod!(Two { a });
/// ```
///
/// ```compile_fail,E0025
/// #[repr(C)]
/// pub struct Two {
///     a: u32,
///     b: u32,
/// }
/// kernel::impl_uapi_pod!(Two { a, a });
/// ```
///
/// as does a field that is not plain data:
///
/// ```compile_fail,E0277
/// #[repr(C)]
/// pub struct Flag {
///     a: bool,
///     pad: [u8; 7],
/// }
/// kernel::impl_uapi_pod!(Flag { a, pad });
/// ```
///
/// while a struct with explicit padding fields is accepted:
///
/// ```
/// use kernel::transmute::{AsBytes, FromBytes};
///
/// #[repr(C)]
/// pub struct Padded {
///     a: u32,
///     pad: u32,
///     b: u64,
/// }
/// kernel::impl_uapi_pod!(Padded { a, pad, b });
///
/// fn pod<T: FromBytes + AsBytes>() {}
/// pod::<Padded>();
/// ```
#[macro_export]
macro_rules! impl_uapi_pod {
    ($($t:ident { $($f:ident),* $(,)? }),* $(,)?) => {
        $(
            const _: () = {
                /// Exactly the struct's fields: the pattern must name each once, with no `..`.
                #[allow(dead_code)]
                fn exact_fields(v: $t) {
                    let $t { $($f: _),* } = v;
                }
                assert!(
                    ::core::mem::size_of::<$t>()
                        == 0 $(+ $crate::transmute::pod_field_size(|v: &$t| &v.$f))*,
                    concat!(stringify!($t), " has implicit padding"),
                );
            };
            // SAFETY: the assertion above proves at compile time that `$t`'s fields, listed exactly, are all
            // `FromBytes + AsBytes` and fill its size, so it has no padding and accepts every bit pattern.
            unsafe impl $crate::transmute::FromBytes for $t {}
            // SAFETY: as above; every byte of `$t` belongs to a field with no padding of its own.
            unsafe impl $crate::transmute::AsBytes for $t {}
        )*
    };
}
