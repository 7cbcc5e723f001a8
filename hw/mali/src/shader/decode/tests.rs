// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoder tests. Every word is what Mesa's Valhall assembler (`asm.py`) emits for the assembly in the comment.

use super::*;

fn r(n: u8) -> Src {
    Src::Reg { n, discard: false }
}

fn d(reg: u8) -> Option<Dest> {
    Some(Dest { reg, mask: 3 })
}

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

#[test]
fn control_flow() {
    // BRANCHZ.eq.reconverge r1, offset:-3
    let i = decode(0x501F_C017_FFFF_FD01).unwrap();
    assert_eq!(
        i.op,
        Op::BranchZ {
            half: None,
            eq: true,
            offset: -3
        }
    );
    assert_eq!(i.flow, Flow::Reconverge);
    assert_eq!(i.dest, None);
    // BRANCHZI.eq.absolute 0x0, r48
    let i = decode(0x002F_C110_0000_30C0).unwrap();
    assert_eq!(
        i.op,
        Op::BranchZI {
            half: None,
            eq: true,
            absolute: true
        }
    );
    assert_eq!(&i.src[..2], &[Src::Imm(0), r(48)]);
    // BARRIER.slot7.wait
    let i = decode(0x4845_C001_C000_0000).unwrap();
    assert_eq!(i.op, Op::Barrier);
    assert_eq!(i.flow, Flow::WaitAll);
    // NOP.end
    let i = decode(0x7800_C000_0000_0000).unwrap();
    assert_eq!((i.op, i.flow), (Op::Nop, Flow::End));
}

#[test]
fn memory_access() {
    // LOAD.i32.unsigned.slot0.wait0 @r6, u0, offset:-8
    let i = decode(0x0860_8682_18FF_F880).unwrap();
    assert_eq!(
        i.op,
        Op::Load {
            bytes: 4,
            lane: 0,
            unsigned: true,
            sr: 6,
            offset: -8
        }
    );
    assert_eq!(i.src[0], Src::Uniform(0));
    assert_eq!(i.flow, Flow::Wait(1));
    // LOAD.i128.unsigned.slot0 @r8:r9:r10:r11, r2, offset:16
    let i = decode(0x0060_88F8_3800_1002).unwrap();
    assert_eq!(
        i.op,
        Op::Load {
            bytes: 16,
            lane: 7,
            unsigned: true,
            sr: 8,
            offset: 16
        }
    );
    // STORE.i32.slot0.end @r6, u2, offset:4
    let i = decode(0x7861_4602_1800_0482).unwrap();
    assert_eq!(
        i.op,
        Op::Store {
            bytes: 4,
            sr: 6,
            offset: 4
        }
    );
    assert_eq!(i.flow, Flow::End);
    // ATOM.i32.slot0.aadd @r1, u4, offset:0
    let i = decode(0x0068_4102_1880_0084).unwrap();
    assert_eq!(
        i.op,
        Op::Atom {
            op: AtomOp::Add,
            wide: false,
            data: Some(1),
            ret: None,
            compare: false,
            offset: 0
        }
    );
    // ATOM_RETURN.i32.slot0.axchg @r2, @r4:r5, r8, offset:4
    let i = decode(0x0120_C404_1BC2_0408).unwrap();
    assert_eq!(
        i.op,
        Op::Atom {
            op: AtomOp::Xchg,
            wide: false,
            data: Some(4),
            ret: Some(2),
            compare: false,
            offset: 4
        }
    );
    // ATOM_RETURN.i32.slot0.axchg.compare @r2, @r4:r5, r8, offset:4
    let i = decode(0x0120_C404_1FC2_0408).unwrap();
    assert!(matches!(i.op, Op::Atom { compare: true, .. }));
    // ATOM1_RETURN.i32.slot0.ainc @r3, r8, offset:0 / without a return
    let i = decode(0x0069_8302_1800_0008).unwrap();
    assert_eq!(
        i.op,
        Op::Atom {
            op: AtomOp::Inc,
            wide: false,
            data: None,
            ret: Some(3),
            compare: false,
            offset: 0
        }
    );
    assert!(matches!(
        decode(0x0069_8000_1800_0008).unwrap().op,
        Op::Atom { ret: None, .. }
    ));
    // LD_BUFFER.i32.unsigned.slot0.wait0 @r2, r1, 0x1000000 (panvk's SSBO load)
    let i = decode(0x086A_8282_1800_C401).unwrap();
    assert_eq!(
        i.op,
        Op::LdBuffer {
            bytes: 4,
            lane: 0,
            unsigned: true,
            sr: 2
        }
    );
    assert_eq!(&i.src[..2], &[r(1), Src::Imm(0x0100_0000)]);
    // LD_BUFFER.i64.unsigned.slot0 @r2:r3, r1, u2 / LD_BUFFER.i8.slot0.w0 @r2, r1, u2
    assert!(matches!(
        decode(0x006A_82F4_2800_8201).unwrap().op,
        Op::LdBuffer {
            bytes: 8,
            lane: 7,
            ..
        }
    ));
    assert!(matches!(
        decode(0x006A_8262_0000_8201).unwrap().op,
        Op::LdBuffer {
            bytes: 1,
            lane: 6,
            unsigned: false,
            ..
        }
    ));
    // LEA_BUFFER.slot1.wait1 @r2:r3, ^r1, ^r2
    let i = decode(0x106B_8204_4000_4241).unwrap();
    assert_eq!(i.op, Op::LeaBuffer { sr: 2 });
    assert_eq!(
        &i.src[..2],
        &[
            Src::Reg {
                n: 1,
                discard: true
            },
            Src::Reg {
                n: 2,
                discard: true
            }
        ]
    );
    // LEA_BUF_IMM.slot0 @r2:r3, r1, table:0x2, index:0x3
    assert_eq!(
        decode(0x005E_8204_0000_3201).unwrap().op,
        Op::LeaBufImm {
            sr: 2,
            table: 2,
            index: 3
        }
    );
}

#[test]
fn what_the_model_does_not_execute_is_named() {
    assert_eq!(decode(0), Err(DecodeError::Invalid("all-zero word")));
    assert_eq!(
        decode(1 << 63 | 0xC0 << 40),
        Err(DecodeError::Invalid("reserved bit 63"))
    );
    // Flow 11 is reserved.
    assert_eq!(
        decode(11 << 59 | 0xC0 << 40),
        Err(DecodeError::Invalid("reserved flow"))
    );
    // TEX_SINGLE (opcode 0x128) and a made-up primary opcode.
    assert_eq!(
        decode(0x0128_C000_0000_0000),
        Err(DecodeError::Unimplemented {
            name: "TEX",
            opcode: 0x128
        })
    );
    assert_eq!(
        decode(0x01FF_C000_0000_0000),
        Err(DecodeError::Unimplemented {
            name: "opcode",
            opcode: 0x1FF
        })
    );
    // A reserved special FAU entry (page 1, entry 0).
    assert_eq!(
        decode(0x0291_C100_0000_00E0),
        Err(DecodeError::Invalid("reserved FAU special entry"))
    );
}
