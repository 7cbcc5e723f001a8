// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Faults: MMU refusals with their address, encoding faults, running off the binary, lazy fetch, unusable descriptors.

use super::*;

#[test]
fn faults_name_the_address() {
    let store = 0x7861_7702_1800_0080; // STORE.i32.slot0.end @r55, u0, offset:0
    for (target, code) in [(UNMAPPED, TRANSLATION), (RO, PERMISSION)] {
        let mut m = Mem::new();
        m.spd(0);
        m.words(CODE, &[store]);
        m.u32s(FAU, &ptr(target + 8));
        let err = run(&mut m, &dispatch(1, 1, 2)).unwrap_err();
        assert_eq!(
            err,
            Fault::Mem {
                err: MemError::Mmu {
                    va: target + 8,
                    code
                },
                pc: CODE
            }
        );
    }
    // An instruction the model does not execute: TEX_FETCH.
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &[0x0091_C100_0000_0083, 0x0125_4434_17C0_0080]);
    let err = run(&mut m, &dispatch(1, 1, 0)).unwrap_err();
    assert_eq!(
        err,
        Fault::Exception {
            code: exception::INSTR_INVALID_ENC,
            va: CODE + 8,
            fatal: false
        }
    );
    // Running off the end of the binary into its zero padding.
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &[0x0091_C100_0000_0083]);
    let err = run(&mut m, &dispatch(1, 1, 0)).unwrap_err();
    assert!(
        matches!(err, Fault::Exception { code: exception::INSTR_INVALID_ENC, va, .. } if va == CODE + 8)
    );
}

#[test]
fn fetching_stops_at_the_page_a_thread_reaches() {
    // A binary filling its page exactly, ending with NOP.end, followed by an unmapped page: no fault.
    let mut m = Mem::new();
    m.pages.remove(&(CODE + 0x1000));
    m.spd(0);
    m.u32s(SPD + 8, &ptr(CODE + 0xFF8));
    m.words(CODE + 0xFF8, &[0x7800_C000_0000_0000]);
    run(&mut m, &dispatch(1, 1, 0)).unwrap();
    // A branch into the unmapped page faults on the fetch.
    m.words(CODE + 0xFF8, &[0x001F_C000_0000_05C1]); // BRANCHZ 0xFFFFFFFF, offset:5
    let err = run(&mut m, &dispatch(1, 1, 0)).unwrap_err();
    assert_eq!(
        err,
        Fault::Mem {
            err: MemError::Mmu {
                va: CODE + 0x1000,
                code: TRANSLATION
            },
            pc: CODE + 0x1028
        }
    );
}

#[test]
fn unusable_descriptors_are_data_faults_and_empty_grids_run_nothing() {
    let mut m = Mem::new();
    m.words(CODE, &TRIPLE);
    // SPD of the wrong type.
    m.u32s(SPD, &[9, 0, CODE as u32, 0]);
    let err = run(&mut m, &dispatch(1, 1, 0)).unwrap_err();
    assert!(matches!(
        err,
        Fault::Exception {
            code: exception::DATA_INVALID_FAULT,
            ..
        }
    ));
    // An empty grid does not look at it.
    let mut d = dispatch(1, 1, 0);
    d.size = [4, 0, 1];
    assert_eq!(run(&mut m, &d), Ok(0));
    // More than 1024 threads in a workgroup.
    m.spd(0);
    let mut d = dispatch(1, 1, 0);
    d.wg_size = 1023 | 1 << 10;
    let err = run(&mut m, &d).unwrap_err();
    assert!(matches!(
        err,
        Fault::Exception {
            code: exception::DATA_INVALID_FAULT,
            ..
        }
    ));
    // A binary that is not 8-byte aligned.
    m.u32s(SPD + 8, &ptr(CODE + 4));
    let err = run(&mut m, &dispatch(1, 1, 0)).unwrap_err();
    assert!(matches!(
        err,
        Fault::Exception {
            code: exception::DATA_INVALID_FAULT,
            ..
        }
    ));
    // No SPD at all.
    let mut d = dispatch(1, 1, 0);
    d.spd = 0;
    assert!(run(&mut m, &d).is_err());
}
