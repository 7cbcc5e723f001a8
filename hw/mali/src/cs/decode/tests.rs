// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Decoder unit tests: encodings from the ISA description, and what v10 must reject.

use super::*;

#[test]
fn panthor_preamble_words_decode() {
    assert_eq!(
        decode(0x025E_0000_0000_0000),
        Ok(Instr::Move32 { dst: 94, imm: 0 })
    );
    assert_eq!(
        decode(0x2400_5E00_0000_0233),
        Ok(Instr::FlushCache2 {
            sb: Async {
                signal: Some(0),
                wait: 0
            },
            flush_id: 94,
            l2: 3,
            lsc: 3,
            other: 2
        })
    );
    assert_eq!(
        decode(0x015C_0000_0100_0000),
        Ok(Instr::Move48 {
            dst: 92,
            imm: 0x100_0000
        })
    );
    assert_eq!(
        decode(0x0300_0000_0001_0000),
        Ok(Instr::Wait {
            mask: 1,
            progress: false
        })
    );
    assert_eq!(
        decode(0x2000_5C5E_0000_0000),
        Ok(Instr::Call { addr: 92, len: 94 })
    );
    assert_eq!(
        decode(0x3300_5C5E_0000_0001),
        Ok(Instr::SyncAdd {
            width: Width::W64,
            sb: Async {
                signal: None,
                wait: 0
            },
            addr: 92,
            data: 94,
            propagate: true,
            scope: 0
        })
    );
    assert_eq!(decode(0x2F00_0000_0000_0000), Ok(Instr::ErrorBarrier));
    assert_eq!(
        decode(0x1546_4400_0001_0000),
        Ok(Instr::StoreMultiple {
            base: 70,
            addr: 68,
            mask: 1,
            offset: 0
        })
    );
}

#[test]
fn v12_only_and_undefined_opcodes_are_rejected() {
    for op in [12u64, 19, 26, 27, 28, 30, 31] {
        assert_eq!(decode(op << 56), Err(DecodeError::AbsentOnV10(op as u8)));
    }
    for op in [10u64, 13, 35, 45, 46, 54, 255] {
        assert_eq!(decode(op << 56), Err(DecodeError::Undefined(op as u8)));
    }
}

#[test]
fn registers_and_pairs_are_checked() {
    assert_eq!(decode(0x0260 << 48), Err(DecodeError::BadRegister(96)));
    assert_eq!(decode(0x0145 << 48), Err(DecodeError::BadPair(0x45)));
    // LOAD_MULTIPLE r90 with mask bit 6 touches r96.
    assert_eq!(
        decode(0x145A_4400_0040_0000),
        Err(DecodeError::BadRegister(96))
    );
    assert!(
        decode(0x1600_0000_7000_0000).is_err(),
        "branch condition 7 is undefined"
    );
}
