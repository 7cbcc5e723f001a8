// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Integer and float arithmetic, shifts, selects, compares, conversions and moves.

use super::*;

#[test]
fn iadd_imm_and_integer_arithmetic() {
    // IADD_IMM.i32 r0, 0x0, #0x7
    let i = decode(0x0110_C000_0000_07C0).unwrap();
    assert_eq!(
        i.op,
        Op::IAddImm {
            lane_bits: 32,
            imm: 7
        }
    );
    assert_eq!(i.src[0], Src::Imm(0));
    assert_eq!(i.dest, d(0));
    // IADD_IMM.i32.end r1, r2, #0xFFFFFFFF
    let i = decode(0x7910_C1FF_FFFF_FF02).unwrap();
    assert_eq!(
        i.op,
        Op::IAddImm {
            lane_bits: 32,
            imm: u32::MAX
        }
    );
    assert_eq!(i.flow, Flow::End);
    // IADD.u32 r1, r60, r0
    let i = decode(0x00A0_C100_0000_003C).unwrap();
    assert_eq!(
        i.op,
        Op::Int {
            op: IntOp::Add,
            ty: IntTy::U32,
            widen: [Widen::None; 2],
            saturate: false
        }
    );
    assert_eq!(&i.src[..2], &[r(60), r(0)]);
    // IADD.s32 r1, r60.h1, u3
    let i = decode(0x00A8_C130_0000_833C).unwrap();
    assert_eq!(
        i.op,
        Op::Int {
            op: IntOp::Add,
            ty: IntTy::S32,
            widen: [Widen::Half(1), Widen::None],
            saturate: false
        }
    );
    assert_eq!(i.src[1], Src::Uniform(3));
    // IMUL.i32 r2, r1, 0x3020100.b1
    let i = decode(0x00A0_C200_140A_C801).unwrap();
    assert_eq!(
        i.op,
        Op::Int {
            op: IntOp::Mul,
            ty: IntTy::U32,
            widen: [Widen::None, Widen::Byte(1)],
            saturate: false
        }
    );
    assert_eq!(i.src[1], Src::Imm(0x0302_0100));
    // ISUB.s32.saturate r1, r2, r3
    let i = decode(0x00A8_C100_4001_0302).unwrap();
    assert_eq!(
        i.op,
        Op::Int {
            op: IntOp::Sub,
            ty: IntTy::S32,
            widen: [Widen::None; 2],
            saturate: true
        }
    );
    // IADD.u64 r2, r4, u2
    let i = decode(0x01A3_C200_0000_8204).unwrap();
    assert_eq!(
        i.op,
        Op::Int {
            op: IntOp::Add,
            ty: IntTy::U64,
            widen: [Widen::None; 2],
            saturate: false
        }
    );
    // SHADDX.u64 r2, u0, r7, shift:2
    let i = decode(0x01A3_C200_0027_0780).unwrap();
    assert_eq!(
        i.op,
        Op::Shaddx {
            signed: false,
            shift: 2
        }
    );
    assert_eq!(&i.src[..2], &[Src::Uniform(0), r(7)]);
}

#[test]
fn float_arithmetic_with_modifiers() {
    // FADD.f32 r3, r1.neg, u0.abs
    let i = decode(0x00A4_C360_0000_8001).unwrap();
    let neg = FMod {
        neg: true,
        ..FMod::default()
    };
    let abs = FMod {
        abs: true,
        ..FMod::default()
    };
    assert_eq!(
        i.op,
        Op::FBin {
            op: FOp::Add,
            mods: [neg, abs],
            clamp: Clamp::None
        }
    );
    // FMA.f32.clamp_0_1 r4, r1, r2.h1, r3.neg
    let i = decode(0x00B2_C407_0803_0201).unwrap();
    let h1 = FMod {
        half: Some(1),
        ..FMod::default()
    };
    assert_eq!(
        i.op,
        Op::Fma {
            mods: [FMod::default(), h1, neg],
            clamp: Clamp::ZeroOne
        }
    );
    assert_eq!(i.dest, d(4));
    // FMIN.f32 r1, r2, r3
    let i = decode(0x00A4_C100_0002_0302).unwrap();
    assert!(matches!(i.op, Op::FBin { op: FOp::Min, .. }));
    // FADD_IMM.f32 r1, r2, #0x3F800000
    assert_eq!(
        decode(0x0114_C13F_8000_0002).unwrap().op,
        Op::FAddImm { imm: 0x3F80_0000 }
    );
}

#[test]
fn shifts_selects_and_compares() {
    // RSHIFT_AND.i32.signed r5, r1, u2.b00, r3.not
    let i = decode(0x00B4_C50C_1003_8201).unwrap();
    assert_eq!(
        i.op,
        Op::Shift {
            left: false,
            logic: Logic::And,
            wide: false,
            signed: true,
            not_b: true,
            not_result: false,
            widen: Widen::None,
            lane: 0
        }
    );
    // RSHIFT_XOR.i32.not_result r5, r1, u2.b33, r3
    let i = decode(0x00B4_C500_5E03_8201).unwrap();
    assert!(matches!(
        i.op,
        Op::Shift {
            logic: Logic::Xor,
            not_result: true,
            lane: 3,
            left: false,
            ..
        }
    ));
    // LSHIFT_OR.i64 r4, r6, u1.b00, 0x0
    let i = decode(0x01B7_C401_11C0_8106).unwrap();
    assert!(matches!(
        i.op,
        Op::Shift {
            left: true,
            logic: Logic::Or,
            wide: true,
            ..
        }
    ));
    // ICMP_OR.s32.lt.m1 r7, r1, u1, 0x0
    let i = decode(0x00F8_C704_80C0_8101).unwrap();
    assert_eq!(
        i.op,
        Op::Icmp {
            cmp: Cmp::Lt,
            signed: true,
            and: false,
            result: ResultType::M1,
            widen: [Widen::None; 2]
        }
    );
    // FCMP_AND.f32.gt.f1 r7, r1.abs, r2, 0x0
    let i = decode(0x00F4_C781_41C0_0201).unwrap();
    let abs = FMod {
        abs: true,
        ..FMod::default()
    };
    assert_eq!(
        i.op,
        Op::Fcmp {
            cmp: Cmp::Gt,
            and: true,
            result: ResultType::F1,
            mods: [abs, FMod::default()]
        }
    );
    // CSEL.s32.lt r7, r1, r2, r3, r4
    let i = decode(0x0158_C704_0403_0201).unwrap();
    assert_eq!(
        i.op,
        Op::Csel {
            cmp: Cmp::Lt,
            ty: CmpTy::S32
        }
    );
    assert_eq!(i.src, [r(1), r(2), r(3), r(4)]);
    // MUX.i32.bit r7, r1, r2, r3
    assert_eq!(
        decode(0x00B8_C703_0003_0201).unwrap().op,
        Op::Mux(MuxMode::Bit)
    );
    // MKVEC.v2i16 r1, r2.h00, r3.h11
    assert_eq!(
        decode(0x00A1_C100_0C05_0302).unwrap().op,
        Op::MkvecV2i16 { halves: [0, 1] }
    );
}

#[test]
fn conversions_and_moves() {
    // S32_TO_F32 r1, r2
    let i = decode(0x0090_C100_0009_0002).unwrap();
    assert!(matches!(
        i.op,
        Op::Cvt {
            kind: Cvt::S32ToF32,
            round: Round::Rte,
            ..
        }
    ));
    // F32_TO_U32.rtz r1, r2.neg
    let i = decode(0x0090_C140_C01C_0002).unwrap();
    assert!(matches!(
        i.op,
        Op::Cvt {
            kind: Cvt::F32ToU32,
            round: Round::Rtz,
            fmod: FMod { neg: true, .. },
            ..
        }
    ));
    // U16_TO_U32 r1, r55.h11
    assert!(matches!(
        decode(0x0090_C100_3014_0037).unwrap().op,
        Op::Cvt {
            kind: Cvt::U16ToU32,
            lane: 1,
            ..
        }
    ));
    // F16_TO_F32 r1, r2.h1
    assert!(matches!(
        decode(0x0090_C100_100B_0002).unwrap().op,
        Op::Cvt {
            kind: Cvt::F16ToF32,
            lane: 1,
            ..
        }
    ));
    // FROUND.f32.rtn r1, r2
    assert!(matches!(
        decode(0x0090_C100_800D_0002).unwrap().op,
        Op::Cvt {
            kind: Cvt::Fround,
            round: Round::Rtn,
            ..
        }
    ));
    // CLZ.u32 r1, r2
    assert_eq!(
        decode(0x0091_C100_0004_0002).unwrap().op,
        Op::Unary(Unary::Clz)
    );
    // MOV.i32 r1, lane_id.w0
    let i = decode(0x0691_C100_0000_00E2).unwrap();
    assert_eq!(i.op, Op::Unary(Unary::Mov));
    assert_eq!(
        i.src[0],
        Src::Special {
            page: 3,
            index: 1,
            word: 0
        }
    );
    // MOV.i32 r1, thread_local_pointer.w1
    let i = decode(0x0291_C100_0000_00E3).unwrap();
    assert_eq!(
        i.src[0],
        Src::Special {
            page: 1,
            index: 1,
            word: 1
        }
    );
}
