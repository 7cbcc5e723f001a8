// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Control flow, memory access, and the names of what the model does not execute.

use super::*;

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
