// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! 16- and 8-bit lanes and f16 pairs: arithmetic, shifts, selects, compares and conversions, each lane worked out by
//! hand.

use super::*;

#[test]
fn sixteen_and_eight_bit_lanes() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(
        CODE,
        &[
            0x0091_C400_0000_0080, // MOV.i32 r4, u0
            0x0091_C500_0000_0081, // MOV.i32 r5, u1
            0x0091_C600_0000_0082, // MOV.i32 r6, u2
            0x0091_C700_0000_0083, // MOV.i32 r7, u3
            0x00A9_C020_4400_0504, // IADD.v2s16.saturate r0, r4, r5.h10
            0x0061_4002_1800_0088, // STORE.i32.slot0 @r0, u8, offset:0
            0x00A2_C000_4001_0504, // ISUB.v4u8.saturate r0, r4, r5
            0x0061_4002_1800_0488, // STORE.i32.slot0 @r0, u8, offset:4
            0x00A1_C050_080A_0504, // IMUL.v2i16 r0, r4.b20, r5
            0x0061_4002_1800_0888, // STORE.i32.slot0 @r0, u8, offset:8
            0x00B5_C021_15C0_0604, // LSHIFT_OR.v2i16 r0, r4, r6.b11, 0x0
            0x0061_4002_1800_0C88, // STORE.i32.slot0 @r0, u8, offset:12
            0x00B6_C00C_1007_0604, // RSHIFT_AND.v4i8.signed r0, r4, r6.b00, r7.not
            0x0061_4002_1800_1088, // STORE.i32.slot0 @r0, u8, offset:16
            0x00B9_C000_1A07_0504, // MUX.v2i16.neg r0, r4.h10, r5, r7
            0x0061_4002_1800_1488, // STORE.i32.slot0 @r0, u8, offset:20
            0x0159_C004_0706_0504, // CSEL.v2s16.lt r0, r4, r5, r6, r7
            0x0061_4002_1800_1888, // STORE.i32.slot0 @r0, u8, offset:24
            0x00F9_C024_80C0_0504, // ICMP_OR.v2s16.lt.m1 r0, r4, r5.h00, 0x0
            0x0061_4002_1800_1C88, // STORE.i32.slot0 @r0, u8, offset:28
            0x00F2_C003_0106_0504, // ICMP_AND.v4u8.ne.i1 r0, r4, r5, r6
            0x0061_4002_1800_2088, // STORE.i32.slot0 @r0, u8, offset:32
            0x00BA_C003_0007_0504, // MUX.v4i8.bit r0, r4, r5, r7
            0x7861_4002_1800_2488, // STORE.i32.slot0.end @r0, u8, offset:36
        ],
    );
    let mut fau = [0u32; 10];
    fau[..4].copy_from_slice(&[0x7FF0_8005, 0x0020_FFF0, 0x0000_0403, 0x00FF_8001]);
    fau[8..].copy_from_slice(&ptr(OUT));
    m.u32s(FAU, &fau);
    run(&mut m, &dispatch(1, 1, 10)).unwrap();
    let got: Vec<u32> = (0..10).map(|k| m.get32(OUT + 4 * k)).collect();
    assert_eq!(
        got,
        [
            0x7FE0_8025, // (-32763 + 32, 32752 - 16), saturating signed
            0x7FD0_0000, // bytes 05-F0, 80-FF, F0-20, 7F-00 saturating at 0
            0x00A0_F100, // (0xF0 * 0xFFF0, 0x05 * 0x20) from bytes 2 and 0
            0xFF00_0050, // each half << 4 (byte 1 of r6)
            0x0F00_7000, // signed bytes >> 3, AND !r7
            0x0020_7FF0, // lane 0: mask negative -> A (r4.h1); lane 1: B
            0x00FF_0403, // lane 0: -32763 < -16 -> r6; lane 1: r7
            0x0000_FFFF, // lane 0 true (m1), lane 1 false
            0x0000_0101, // all bytes differ, AND r6's nonzero bytes
            0x00F0_FFF1, // bitwise select
        ]
    );
}

#[test]
fn f16_pairs() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(
        CODE,
        &[
            0x0091_C400_0000_0080, // MOV.i32 r4, u0
            0x0091_C500_0000_0081, // MOV.i32 r5, u1
            0x0091_C600_0000_0082, // MOV.i32 r6, u2
            0x0091_C700_0000_0083, // MOV.i32 r7, u3
            0x00A5_C000_2400_0504, // FADD.v2f16 r0, r4, r5.h10
            0x0061_4002_1800_0088, // STORE.i32.slot0 @r0, u8, offset:0
            0x00A5_C040_2802_0504, // FMIN.v2f16 r0, r4.neg, r5
            0x0061_4002_1800_0488, // STORE.i32.slot0 @r0, u8, offset:4
            0x00A5_C023_2803_0504, // FMAX.v2f16.clamp_0_1 r0, r4, r5.abs
            0x0061_4002_1800_0888, // STORE.i32.slot0 @r0, u8, offset:8
            0x00B3_C004_2E06_0504, // FMA.v2f16 r0, r4, r5.h11, r6.neg
            0x0061_4002_1800_0C88, // STORE.i32.slot0 @r0, u8, offset:12
            0x00F5_C004_A8C0_0504, // FCMP_OR.v2f16.lt.m1 r0, r4, r5, 0x0
            0x0061_4002_1800_1088, // STORE.i32.slot0 @r0, u8, offset:16
            0x00F5_C003_6106_0504, // FCMP_AND.v2f16.ne.f1 r0, r4, r5.h00, r6
            0x0061_4002_1800_1488, // STORE.i32.slot0 @r0, u8, offset:20
            0x0155_C001_0706_0504, // CSEL.v2f16.gt r0, r4, r5, r6, r7
            0x7861_4002_1800_1888, // STORE.i32.slot0.end @r0, u8, offset:24
        ],
    );
    let mut fau = [0u32; 10];
    // r4 = (1.5, -2.0), r5 = (0.25, 3.0), r6 = (1.0, 0.0), r7 = (NaN, 10.0); low lane first.
    fau[..4].copy_from_slice(&[0xC000_3E00, 0x4200_3400, 0x0000_3C00, 0x4900_7E00]);
    fau[8..].copy_from_slice(&ptr(OUT));
    m.u32s(FAU, &fau);
    run(&mut m, &dispatch(1, 1, 10)).unwrap();
    let got: Vec<u32> = (0..7).map(|k| m.get32(OUT + 4 * k)).collect();
    assert_eq!(
        got,
        [
            0xBF00_4480, // (1.5 + 3.0, -2.0 + 0.25)
            0x4000_BE00, // (min(-1.5, 0.25), min(2.0, 3.0))
            0x3C00_3C00, // max(.., |r5|) clamped to [0, 1]
            0xC600_4300, // (1.5 * 3 - 1, -2 * 3 - 0)
            0xFFFF_0000, // (1.5 < 0.25, -2 < 3) as m1
            0x0000_3C00, // (0.25 != 1.5 and 1.0, .. and 0.0) as f1
            0x4900_3C00, // (1.5 > 0.25 ? r6 : r7, -2 > 3 ? r6 : r7)
        ]
    );
}

#[test]
fn pair_conversions_and_lane_unaries() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(
        CODE,
        &[
            0x0091_C400_0000_0080, // MOV.i32 r4, u0
            0x0091_C500_0000_0081, // MOV.i32 r5, u1
            0x0091_C600_0000_0082, // MOV.i32 r6, u2
            0x0090_C010_C007_0004, // V2S16_TO_V2F16.rtz r0, r4.h10
            0x0061_4002_1800_0088, // STORE.i32.slot0 @r0, u8, offset:0
            0x0090_C020_0017_0004, // V2U16_TO_V2F16 r0, r4
            0x0061_4002_1800_0488, // STORE.i32.slot0 @r0, u8, offset:4
            0x0090_C040_A00E_0005, // V2F16_TO_V2S16.rtn r0, r5.neg
            0x0061_4002_1800_0888, // STORE.i32.slot0 @r0, u8, offset:8
            0x0090_C000_F01E_0006, // V2F16_TO_V2U16.rtz r0, r6.h11
            0x0061_4002_1800_0C88, // STORE.i32.slot0 @r0, u8, offset:12
            0x0090_C000_F00A_0005, // F16_TO_S32.rtz r0, r5.h11
            0x0061_4002_1800_1088, // STORE.i32.slot0 @r0, u8, offset:16
            0x0090_C000_301A_0006, // F16_TO_U32 r0, r6.h11
            0x0061_4002_1800_1488, // STORE.i32.slot0 @r0, u8, offset:20
            0x0090_C000_600F_0005, // FROUND.v2f16.rtp r0, r5
            0x0061_4002_1800_1888, // STORE.i32.slot0 @r0, u8, offset:24
            0x0091_C000_1005_0004, // CLZ.v2u16 r0, r4.h10
            0x0061_4002_1800_1C88, // STORE.i32.slot0 @r0, u8, offset:28
            0x0091_C000_0006_0004, // CLZ.v4u8 r0, r4
            0x0061_4002_1800_2088, // STORE.i32.slot0 @r0, u8, offset:32
            0x0091_C020_0009_0004, // IABS.v2s16 r0, r4
            0x0061_4002_1800_2488, // STORE.i32.slot0 @r0, u8, offset:36
            0x0091_C000_000A_0004, // IABS.v4s8 r0, r4
            0x7861_4002_1800_2888, // STORE.i32.slot0.end @r0, u8, offset:40
        ],
    );
    let mut fau = [0u32; 10];
    // r4 = (i16 -32767, 7), r5 = (f16 1.5, -inf), r6 = (f16 NaN, 192.0); low lane first.
    fau[..3].copy_from_slice(&[0x0007_8001, 0xFC00_3E00, 0x5A00_7E00]);
    fau[8..].copy_from_slice(&ptr(OUT));
    m.u32s(FAU, &fau);
    run(&mut m, &dispatch(1, 1, 10)).unwrap();
    let got: Vec<u32> = (0..11).map(|k| m.get32(OUT + 4 * k)).collect();
    assert_eq!(
        got,
        [
            0xF7FF_4700, // (7.0, -32752.0): -32767 rounded towards zero
            0x4700_7800, // (32768.0 from 32769 to nearest, 7.0)
            0x7FFF_FFFE, // (-1.5 rounded down = -2, +inf saturated)
            0x00C0_00C0, // 192.0 twice
            0x8000_0000, // -inf saturates to i32::MIN
            0x0000_00C0, // 192
            0xFC00_4000, // (1.5 rounded up = 2.0, -inf)
            0x0000_000D, // clz16 of (7, 0x8001)
            0x0805_0007, // clz8 of (0x01, 0x80, 0x07, 0x00)
            0x0007_7FFF, // |-32767|, |7|
            0x0007_8001, // |1|, |-128| = 0x80, |7|, |0|
        ]
    );
}
