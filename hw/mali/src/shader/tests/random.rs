// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Random programs never panic and stay inside their budgets.

use super::*;
use proptest::prelude::*;

/// Primary opcodes the model executes, so random words mostly decode and run.
const OPCODES: [u64; 45] = [
    0x000, 0x01F, 0x02F, 0x045, 0x150, 0x154, 0x158, 0x05E, 0x060, 0x061, 0x068, 0x069, 0x120,
    0x06A, 0x06B, 0x090, 0x091, 0x095, 0x09C, 0x0A0, 0x0A8, 0x1A3, 0x1AB, 0x0A4, 0x0B2, 0x0B4,
    0x1B7, 0x0B8, 0x0F0, 0x110, 0x0A1, 0x0A9, 0x0AA, 0x0B5, 0x0B6, 0x0B9, 0x151, 0x0F9, 0x099,
    0x0BD, 0x0A5, 0x0B3, 0x0F5, 0x155, 0x098,
];

/// A source byte: a low register, a uniform, or a constant.
fn source() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..12, 0x80u64..0x88, 0xC0u64..0xE0]
}

/// A word with an executed primary opcode, plausible sources, a full-width destination (or staging register),
/// mostly plain or `.end` flow, and random modifier bits.
fn word() -> impl Strategy<Value = u64> {
    (
        any::<u64>(),
        0..OPCODES.len(),
        [source(), source(), source(), source()],
        0u64..12,
        prop_oneof![Just(0u64), Just(0), Just(15), Just(10), Just(1)],
    )
        .prop_map(|(w, op, src, dest, flow)| {
            let srcs = src.iter().enumerate().fold(0, |a, (i, s)| a | s << (8 * i));
            (w & 0x0000_00FF_0000_0000)
                | srcs
                | (0xC0 | dest) << 40
                | OPCODES[op] << 48
                | flow << 59
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any binary, FAU and grid runs to an end or a fault: never a panic, never past the budgets.
    #[test]
    fn arbitrary_words_end_or_fault(
        words in proptest::collection::vec(prop_oneof![word(), any::<u64>()], 1..24),
        fau in proptest::collection::vec(any::<u32>(), 8),
        local in 1u32..40,
        groups in 1u32..3,
        regs32 in any::<bool>(),
    ) {
        let mut m = Mem::new();
        m.spd(0);
        if regs32 {
            m.u32s(SPD, &[8 | 1 << 4 | 2 << 30]);
        }
        m.words(CODE, &words);
        // Point the first FAU pair at mapped memory half of the time so loads and stores get somewhere.
        let mut fau = fau;
        if fau[7] & 1 == 0 {
            let target = ptr(OUT + u64::from(fau[6] & 0xFF0));
            fau[..2].copy_from_slice(&target);
        }
        m.u32s(FAU, &fau);
        let mut d = dispatch(local, groups, 8);
        d.srt = SRT | 2;
        d.tsd = TSD;
        m.u32s(TSD, &[2, 1 | 5 << 8, 0x7000_0000 >> 8, 0, 0x6000_0000, 0, 0, 0]);
        match run_with_budgets(&d, &mut m, 0, (2000, 50_000)) {
            Ok(steps) => prop_assert!(steps <= 50_000),
            Err(Fault::Exception { va, .. }) => prop_assert!(va == 0 || va >= CODE),
            Err(Fault::Mem { .. }) => {}
        }
    }
}
