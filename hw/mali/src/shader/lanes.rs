// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Integer semantics of the 16- and 8-bit vector instructions (`.v2i16`, `.v4i8` and their signed/unsigned forms):
//! source swizzles, and per-lane arithmetic, shifts, selects and compares (`Documentation/hardware.md#shader-core`).

use super::alu;
use super::decode::{Cmp, IntOp, Lanes, Logic, MuxMode, ResultType};

impl Lanes {
    /// Lanes in a register.
    pub fn count(self) -> usize {
        match self {
            Lanes::V2 => 2,
            Lanes::V4 => 4,
        }
    }

    /// Bits per lane.
    pub fn bits(self) -> u32 {
        match self {
            Lanes::V2 => 16,
            Lanes::V4 => 8,
        }
    }

    fn mask(self) -> u32 {
        (1 << self.bits()) - 1
    }
}

/// Byte selects of `Swizzles (16-bit)` values 4..13 (b00, b20, b02, b22, b11, b31, b13, b33, b01, b23).
const BYTE_PAIRS: [[u8; 2]; 10] = [
    [0, 0],
    [2, 0],
    [0, 2],
    [2, 2],
    [1, 1],
    [3, 1],
    [1, 3],
    [3, 3],
    [0, 1],
    [2, 3],
];

/// Byte selects of `Swizzles (8-bit)` (b0123, b3210, b0101, b2323, b0000, b1111, b2222, b3333, b2301, b1032, b0011,
/// b2233).
const BYTE_QUADS: [[u8; 4]; 12] = [
    [0, 1, 2, 3],
    [3, 2, 1, 0],
    [0, 1, 0, 1],
    [2, 3, 2, 3],
    [0, 0, 0, 0],
    [1, 1, 1, 1],
    [2, 2, 2, 2],
    [3, 3, 3, 3],
    [2, 3, 0, 1],
    [1, 0, 3, 2],
    [0, 0, 1, 1],
    [2, 2, 3, 3],
];

/// The lanes of `v` after swizzle `swz` (the decoder has checked it is defined), each the lane's bits (16-bit lanes
/// built from a byte are zero- or sign-extended by `signed`).
pub fn split(v: u32, lanes: Lanes, swz: u8, signed: bool) -> [u32; 4] {
    let byte = |b: u8| (v >> (8 * u32::from(b))) & 0xFF;
    let half = |h: u32| (v >> (16 * h)) & 0xFFFF;
    let mut out = [0; 4];
    match lanes {
        Lanes::V2 => match swz {
            0..=3 => {
                // hXY: lane 0 from half X, lane 1 from half Y (h00, h10, h01, h11).
                out[0] = half(u32::from(swz & 1));
                out[1] = half(u32::from(swz >> 1));
            }
            _ => {
                let pair = BYTE_PAIRS
                    .get(usize::from(swz - 4))
                    .copied()
                    .unwrap_or([0, 1]);
                for (o, b) in out.iter_mut().zip(pair) {
                    let x = byte(b);
                    *o = if signed {
                        (x as u8 as i8 as i16 as u16).into()
                    } else {
                        x
                    };
                }
            }
        },
        Lanes::V4 => {
            let quad = BYTE_QUADS
                .get(usize::from(swz))
                .copied()
                .unwrap_or([0, 1, 2, 3]);
            for (o, b) in out.iter_mut().zip(quad) {
                *o = byte(b);
            }
        }
    }
    out
}

/// The lanes of `v` in order, without a swizzle.
pub fn plain(v: u32, lanes: Lanes) -> [u32; 4] {
    let mut out = [0; 4];
    for (i, o) in out.iter_mut().enumerate().take(lanes.count()) {
        *o = (v >> (lanes.bits() * i as u32)) & lanes.mask();
    }
    out
}

/// Packs lane values (each masked to the lane width) into a register.
pub fn join(vals: [u32; 4], lanes: Lanes) -> u32 {
    (0..lanes.count()).fold(0, |acc, i| {
        acc | (vals[i] & lanes.mask()) << (lanes.bits() * i as u32)
    })
}

fn sext(x: u32, bits: u32) -> i64 {
    i64::from(((x << (32 - bits)) as i32) >> (32 - bits))
}

/// `IADD`/`ISUB`/`IMUL` on one lane of `lanes`.
pub fn int(op: IntOp, lanes: Lanes, a: u32, b: u32, signed: bool, saturate: bool) -> u32 {
    let bits = lanes.bits();
    let mask = lanes.mask();
    if op == IntOp::Mul {
        return a.wrapping_mul(b) & mask;
    }
    let (x, y) = if signed {
        (sext(a, bits), sext(b, bits))
    } else {
        (i64::from(a & mask), i64::from(b & mask))
    };
    let r = if op == IntOp::Add { x + y } else { x - y };
    let r = if saturate {
        let (lo, hi) = if signed {
            (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
        } else {
            (0, i64::from(mask))
        };
        r.clamp(lo, hi)
    } else {
        r
    };
    r as u32 & mask
}

/// A shift on one lane: the amount is taken modulo the lane width, as for 32-bit shifts \[model\].
#[allow(clippy::too_many_arguments)]
pub fn shift(
    lanes: Lanes,
    a: u32,
    amount: u32,
    b: u32,
    left: bool,
    signed: bool,
    logic: Logic,
    not_b: bool,
    not_result: bool,
) -> u32 {
    let r = alu::shift(
        u64::from(a),
        amount,
        u64::from(b),
        lanes.bits(),
        left,
        signed,
        logic,
        not_b,
        not_result,
    );
    r as u32 & lanes.mask()
}

/// `MUX` on one lane.
pub fn mux(lanes: Lanes, mode: MuxMode, a: u32, b: u32, m: u32) -> u32 {
    let sign = 1 << (lanes.bits() - 1);
    let pick_a = match mode {
        MuxMode::Neg => m & sign != 0,
        MuxMode::IntZero => m & lanes.mask() == 0,
        MuxMode::FpZero => m & (lanes.mask() >> 1) == 0,
        MuxMode::Bit => return ((a & m) | (b & !m)) & lanes.mask(),
    };
    if pick_a {
        a
    } else {
        b
    }
}

/// An integer comparison of one lane.
pub fn cmp(lanes: Lanes, c: Cmp, a: u32, b: u32, signed: bool) -> bool {
    let bits = lanes.bits();
    let (x, y) = if signed {
        (sext(a, bits), sext(b, bits))
    } else {
        (i64::from(a & lanes.mask()), i64::from(b & lanes.mask()))
    };
    let ord = x.cmp(&y);
    match c {
        Cmp::Eq => ord.is_eq(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Ge => ord.is_ge(),
        Cmp::Ne => ord.is_ne(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Le => ord.is_le(),
        Cmp::GtLt | Cmp::Total => false,
    }
}

/// A lane's boolean in its result type (`f1` is the f16 1.0 in a 16-bit lane).
pub fn boolean(lanes: Lanes, v: bool, ty: ResultType) -> u32 {
    match (v, ty) {
        (false, _) => 0,
        (true, ResultType::I1) => 1,
        (true, ResultType::M1) => lanes.mask(),
        (true, ResultType::F1) => 0x3C00,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swizzles_pick_halves_and_bytes() {
        let v = 0x8877_6655;
        assert_eq!(
            split(v, Lanes::V2, 2, false)[..2],
            [0x6655, 0x8877],
            "h01 is the identity"
        );
        assert_eq!(
            split(v, Lanes::V2, 1, false)[..2],
            [0x8877, 0x6655],
            "h10 swaps"
        );
        assert_eq!(split(v, Lanes::V2, 5, false)[..2], [0x77, 0x55], "b20");
        assert_eq!(
            split(v, Lanes::V2, 11, true)[..2],
            [0xFF88, 0xFF88],
            "b33 sign-extends"
        );
        assert_eq!(
            split(v, Lanes::V4, 1, false),
            [0x88, 0x77, 0x66, 0x55],
            "b3210"
        );
        assert_eq!(join([0x55, 0x66, 0x77, 0x88], Lanes::V4), 0x8877_6655);
        assert_eq!(plain(v, Lanes::V2)[..2], [0x6655, 0x8877]);
    }

    #[test]
    fn lane_arithmetic_wraps_or_saturates_per_lane() {
        assert_eq!(int(IntOp::Add, Lanes::V2, 0xFFFF, 2, false, false), 1);
        assert_eq!(int(IntOp::Add, Lanes::V2, 0xFFFF, 2, false, true), 0xFFFF);
        assert_eq!(int(IntOp::Add, Lanes::V2, 0x7FFF, 1, true, true), 0x7FFF);
        assert_eq!(int(IntOp::Sub, Lanes::V4, 0x80, 1, true, true), 0x80);
        assert_eq!(int(IntOp::Sub, Lanes::V4, 0, 1, false, true), 0);
        assert_eq!(int(IntOp::Mul, Lanes::V4, 0x10, 0x11, false, false), 0x10);
        assert_eq!(
            shift(
                Lanes::V2,
                0x8000,
                15,
                0,
                false,
                true,
                Logic::Or,
                false,
                false
            ),
            0xFFFF
        );
        assert_eq!(
            shift(Lanes::V4, 1, 9, 0, true, false, Logic::Or, false, false),
            2
        );
        assert_eq!(mux(Lanes::V2, MuxMode::Neg, 1, 2, 0x8000), 1);
        assert_eq!(mux(Lanes::V4, MuxMode::Bit, 0xF0, 0x0F, 0xCC), 0xC3);
        assert!(cmp(Lanes::V2, Cmp::Lt, 0xFFFF, 0, true));
        assert!(!cmp(Lanes::V2, Cmp::Lt, 0xFFFF, 0, false));
        assert_eq!(boolean(Lanes::V2, true, ResultType::M1), 0xFFFF);
        assert_eq!(boolean(Lanes::V2, true, ResultType::F1), 0x3C00);
    }
}
