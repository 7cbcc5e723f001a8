// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! [`register_fields!`](crate::register_fields): named bit fields of a register or interface word, for the driver's
//! side of the hardware, in the spirit of the field part of the kernel's `register!` macro that upstream Tyr uses.
//!
//! The driver reads `GlbReq(ack).ping()` where it would otherwise write `ack & (1 << 8)`. Offsets and accessors stay
//! with the driver's register and interface definitions; a type made here only names the bits inside one word. (The
//! GPU model has its own macro: the driver and the hardware share no code.)

/// Declares a `Copy` newtype over a `u32` or `u64` word with, per bit field `hi:lo get, set;`, a `const` getter (the
/// field shifted down to bit 0) and a `const` builder-style setter (the word with the field replaced by the low bits
/// of the argument). `hi:lo get, set = NAME;` also declares `NAME`, the word with only that field's bits set. Bit
/// numbers are inclusive and checked at compile time.
///
/// ```
/// kernel::register_fields! {
///     /// A status word.
///     pub struct Status(u32) {
///         /// Bits 3:0.
///         3:0 code, set_code;
///         /// Bit 31.
///         31:31 ready, set_ready = READY;
///     }
/// }
/// let s = Status(0).set_code(0x1f).set_ready(1);
/// assert_eq!((s.code(), s.ready(), s.0), (0xf, 1, 0x8000_000f));
/// assert_eq!(Status::READY.0, 1 << 31);
/// ```
#[macro_export]
macro_rules! register_fields {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident($word:ty) {
            $(
                $(#[$fattr:meta])*
                $hi:literal : $lo:literal $get:ident, $set:ident $(= $whole:ident)?;
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(transparent)]
        $vis struct $name(pub $word);

        // A register type names every field of its word, whether or not the driver uses it yet.
        #[allow(dead_code)]
        impl $name {
            $(
                $(
                    #[doc = concat!("Only `", stringify!($get), "` (bits ", stringify!($hi), ":", stringify!($lo),
                        "), every bit of it set.")]
                    pub const $whole: Self = Self(0).$set(!0);
                )?

                $(#[$fattr])*
                #[inline]
                pub const fn $get(self) -> $word {
                    let width: u32 = const {
                        assert!($lo <= $hi && $hi < <$word>::BITS, "bad field bits");
                        $hi - $lo + 1
                    };
                    (self.0 >> $lo) & (!0 >> (<$word>::BITS - width))
                }

                #[doc = concat!("The word with `", stringify!($get), "` (bits ", stringify!($hi), ":",
                    stringify!($lo), ") replaced by the low bits of `v`.")]
                #[inline]
                #[must_use]
                pub const fn $set(self, v: $word) -> Self {
                    let field: $word = (!0 >> (<$word>::BITS - ($hi - $lo + 1))) << $lo;
                    Self((self.0 & !field) | ((v << $lo) & field))
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    crate::register_fields! {
        /// A 64-bit word for the tests.
        struct Word(u64) {
            /// Everything.
            63:0 all, set_all;
            /// The top bit.
            63:63 top, set_top = TOP;
            /// Bits 11:4.
            11:4 mid, set_mid = MID;
        }
    }

    #[test]
    fn fields_read_and_replace_only_their_bits() {
        assert_eq!(Word(!0).set_mid(0).0, !0xFF0);
        assert_eq!(Word(0).set_mid(0x1AB).mid(), 0xAB, "higher bits dropped");
        assert_eq!((Word(!0).top(), Word(0).set_all(5).all()), (1, 5));
        assert_eq!((Word::TOP.0, Word::MID.0), (1 << 63, 0xFF0));
    }
}
