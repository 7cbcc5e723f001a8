// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! [`register_fields!`]: typed views of a register word with named bit fields, so the model reads `cmd.code()` where
//! it would otherwise write `v & 0xFF`.
//!
//! In the spirit of the kernel's `register!` macro as upstream Tyr uses it, but only the field part: the model's
//! registers live in its own register file, so the types carry no MMIO accessors.

/// Declares a `Copy` newtype over a register word (`u32` or `u64`) with a getter and a builder-style setter per bit
/// field.
///
/// ```
/// hw_mali::register_fields! {
///     /// An example register.
///     pub struct Example(u32) {
///         /// Bits 7:0.
///         7:0 code, set_code;
///         /// Bit 10 alone.
///         10:10 valid, set_valid = VALID;
///     }
/// }
/// let r = Example(0).set_code(0x1ff).set_valid(1);
/// assert_eq!((r.code(), r.valid(), r.0), (0xff, 1, 0x4ff));
/// assert_eq!(Example::VALID.0, 1 << 10);
/// ```
///
/// A field is `hi:lo getter, setter;` (inclusive bit numbers, `hi >= lo`, checked at compile time). The getter returns
/// the field shifted down to bit 0; the setter returns the word with the field replaced by the low bits of its
/// argument (higher bits are dropped, as the hardware drops them). `hi:lo getter, setter = NAME;` also declares
/// `NAME`, the word with only that field's bits set (for request bits that are toggled, or combined into a mask).
/// `Debug` prints every field.
#[macro_export]
macro_rules! register_fields {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($ty:ty) {
            $(
                $(#[$fmeta:meta])*
                $hi:literal : $lo:literal $get:ident, $set:ident $(= $all:ident)?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
        #[repr(transparent)]
        $vis struct $name(pub $ty);

        impl $name {
            $(
                $(
                    #[doc = concat!("The word with every bit of `", stringify!($get), "` (bits ", stringify!($hi), ":",
                        stringify!($lo), ") set and the others clear.")]
                    pub const $all: Self = Self(0).$set(<$ty>::MAX);
                )?

                $(#[$fmeta])*
                #[inline]
                pub const fn $get(self) -> $ty {
                    const { assert!($hi >= $lo && $hi < <$ty>::BITS, "field bits out of order or out of the word") };
                    (self.0 >> $lo) & (<$ty>::MAX >> (<$ty>::BITS - 1 - ($hi - $lo)))
                }

                #[doc = concat!("The word with `", stringify!($get), "` (bits ", stringify!($hi), ":", stringify!($lo),
                    ") set to the low bits of `v`.")]
                #[inline]
                #[must_use]
                pub const fn $set(self, v: $ty) -> Self {
                    let mask = (<$ty>::MAX >> (<$ty>::BITS - 1 - ($hi - $lo))) << $lo;
                    Self((self.0 & !mask) | ((v << $lo) & mask))
                }
            )*
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($get), &format_args!("{:#x}", self.$get())))*
                    .finish()
            }
        }

        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                Self(v)
            }
        }

        impl From<$name> for $ty {
            fn from(r: $name) -> $ty {
                r.0
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::register_fields! {
        /// A 64-bit test register.
        struct Wide(u64) {
            /// The whole word.
            63:0 all, set_all;
            /// The top bit.
            63:63 top, set_top;
            /// A middle field.
            15:4 mid, set_mid = MID;
        }
    }

    #[test]
    fn a_named_field_constant_sets_only_that_field() {
        assert_eq!(Wide::MID.0, 0xFFF0);
        assert_eq!(Wide::MID.mid(), 0xFFF);
    }

    #[test]
    fn getters_shift_and_mask_setters_replace_only_their_field() {
        let w = Wide(u64::MAX).set_mid(0);
        assert_eq!(w.0, !0xFFF0);
        assert_eq!(w.top(), 1);
        assert_eq!(
            Wide(0).set_mid(0x1_2345).mid(),
            0x345,
            "bits beyond the field are dropped"
        );
        assert_eq!(Wide(0).set_mid(0xABC).0, 0xABC0);
        assert_eq!(Wide(0).set_all(7).all(), 7);
        assert_eq!(Wide(0).set_top(1).0, 1 << 63);
    }

    #[test]
    fn debug_names_every_field() {
        assert_eq!(
            format!("{:?}", Wide(0xAB0)),
            "Wide { all: 0xab0, top: 0x0, mid: 0xab }"
        );
    }
}
