// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Warp-wide operations, FLUSH, FREXP/LDEXP and packing, 16- and 8-bit lanes, f16 pairs.

use super::*;

#[test]
fn warp_wide_operations() {
    // WMASK.subgroup16 r4, r1
    let i = decode(0x0095_C430_0000_0001).unwrap();
    assert_eq!(i.op, Op::Wmask { subgroup: 16 });
    assert_eq!(i.src[0], r(1));
    // WMASK.subgroup4 r7, r1
    assert_eq!(
        decode(0x0095_C710_0000_0001).unwrap().op,
        Op::Wmask { subgroup: 4 }
    );
    // CLPER.i32.subgroup16 r5, r60, u1.b00
    let i = decode(0x00A0_C530_100F_813C).unwrap();
    assert_eq!(
        i.op,
        Op::Clper {
            subgroup: 16,
            xor: false,
            inactive: 0,
            lane: 0
        }
    );
    assert_eq!(&i.src[..2], &[r(60), Src::Uniform(1)]);
    // CLPER.i32.subgroup4.xor.umax r6, r60, u2.b00
    assert_eq!(
        decode(0x00A0_C611_104F_823C).unwrap().op,
        Op::Clper {
            subgroup: 4,
            xor: true,
            inactive: u32::MAX,
            lane: 0
        }
    );
}

#[test]
fn flush() {
    // FLUSH.f32.flush_nan.ftz.flush_inf r1, r2.neg
    let neg = FMod {
        neg: true,
        ..FMod::default()
    };
    assert_eq!(
        decode(0x0098_C140_0000_0D02).unwrap().op,
        Op::Flush {
            fmod: neg,
            flush_nan: true,
            quiet_nan: false,
            ftz: true,
            flush_inf: true
        }
    );
    // FLUSH.f32.quiet_nan r1, r2.h1
    let h1 = FMod {
        half: Some(1),
        ..FMod::default()
    };
    assert_eq!(
        decode(0x0098_C100_2000_0202).unwrap().op,
        Op::Flush {
            fmod: h1,
            flush_nan: false,
            quiet_nan: true,
            ftz: false,
            flush_inf: false
        }
    );
}

#[test]
fn frexp_ldexp_packing() {
    // FREXPM.f32 r1, r2 / FREXPE.f32 r1, r2.h1
    assert_eq!(
        decode(0x0099_C100_0000_0002).unwrap().op,
        Op::Frexp {
            exponent: false,
            half: None
        }
    );
    assert_eq!(
        decode(0x0099_C100_2002_0002).unwrap().op,
        Op::Frexp {
            exponent: true,
            half: Some(1)
        }
    );
    // FREXPM.f32.sqrt r1, r2: the argument-reduction forms are not executed.
    assert!(matches!(
        decode(0x0099_C100_0100_0002),
        Err(DecodeError::Unimplemented { .. })
    ));
    // LDEXP.f32.rtz r1, r2.neg, r3
    let neg = FMod {
        neg: true,
        ..FMod::default()
    };
    assert_eq!(
        decode(0x00A4_C140_C006_0302).unwrap().op,
        Op::Ldexp {
            fmod: neg,
            round: Round::Rtz
        }
    );
    // V2F32_TO_V2F16.rtp r1, r2, r3.neg
    assert_eq!(
        decode(0x00A5_C110_4004_0302).unwrap().op,
        Op::V2f32ToV2f16 {
            mods: [FMod::default(), neg],
            round: Round::Rtp,
            clamp: Clamp::None
        }
    );
    // MKVEC.v2i8 r1, r2.b1, r3.b2, r4
    let i = decode(0x00BD_C160_0004_0302).unwrap();
    assert_eq!(i.op, Op::MkvecV2i8 { lanes: [1, 2] });
    assert_eq!(&i.src[..3], &[r(2), r(3), r(4)]);
}

#[test]
fn sixteen_and_eight_bit_lanes() {
    // IADD.v2s16.saturate r1, r2.h10, r3.h11
    assert_eq!(
        decode(0x00A9_C110_4C00_0302).unwrap().op,
        Op::IntV {
            op: IntOp::Add,
            lanes: Lanes::V2,
            signed: true,
            saturate: true,
            swz: [1, 3]
        }
    );
    // IMUL.v2i16 r1, r2.b20, r3
    assert_eq!(
        decode(0x00A1_C150_080A_0302).unwrap().op,
        Op::IntV {
            op: IntOp::Mul,
            lanes: Lanes::V2,
            signed: false,
            saturate: false,
            swz: [5, 2]
        }
    );
    // RSHIFT_AND.v4i8.signed r1, r2, r3.b00, r4.not
    assert!(matches!(
        decode(0x00B6_C10C_1004_0302).unwrap().op,
        Op::ShiftV {
            lanes: Lanes::V4,
            left: false,
            signed: true,
            not_b: true,
            lane: 0,
            ..
        }
    ));
    // MUX.v2i16.neg r1, r2.h10, r3, r4
    assert_eq!(
        decode(0x00B9_C100_1A04_0302).unwrap().op,
        Op::MuxV {
            lanes: Lanes::V2,
            mode: MuxMode::Neg,
            swz: [1, 2, 2]
        }
    );
    // CSEL.v2s16.lt r1, r2, r3, r4, r5
    assert_eq!(
        decode(0x0159_C104_0504_0302).unwrap().op,
        Op::CselV {
            cmp: Cmp::Lt,
            signed: true
        }
    );
    // ICMP_OR.v2s16.lt.m1 r1, r2, r3.h00, 0x0
    assert_eq!(
        decode(0x00F9_C124_80C0_0302).unwrap().op,
        Op::IcmpV {
            lanes: Lanes::V2,
            cmp: Cmp::Lt,
            signed: true,
            and: false,
            result: ResultType::M1,
            swz: [2, 0]
        }
    );
}

#[test]
fn f16_pairs() {
    let neg = FMod {
        neg: true,
        ..FMod::default()
    };
    // FADD.v2f16 r0, r4, r5.h10
    assert_eq!(
        decode(0x00A5_C000_2400_0504).unwrap().op,
        Op::F16Bin {
            op: FOp::Add,
            mods: [FMod::default(); 2],
            swz: [2, 1],
            clamp: Clamp::None
        }
    );
    // FMA.v2f16 r0, r4, r5.h11, r6.neg
    assert_eq!(
        decode(0x00B3_C004_2E06_0504).unwrap().op,
        Op::F16Fma {
            mods: [FMod::default(), FMod::default(), neg],
            swz: [2, 3, 2],
            clamp: Clamp::None
        }
    );
    // FCMP_AND.v2f16.ne.f1 r0, r4, r5.h00, r6
    assert_eq!(
        decode(0x00F5_C003_6106_0504).unwrap().op,
        Op::F16Cmp {
            cmp: Cmp::Ne,
            and: true,
            result: ResultType::F1,
            mods: [FMod::default(); 2],
            swz: [2, 0]
        }
    );
    // CSEL.v2f16.gt r0, r4, r5, r6, r7
    assert_eq!(
        decode(0x0155_C001_0706_0504).unwrap().op,
        Op::CselF16 { cmp: Cmp::Gt }
    );
}
