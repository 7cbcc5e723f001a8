// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Barriers, budgets and warps: barrier ordering and disagreement, the step budgets, lanes that run together and
//! reconverge, WMASK and CLPER.

use super::*;

/// buf[local] = local; barrier; out[global] = buf[(local + 1) & 3]
const ROTATE: [u64; 9] = [
    0x01A3_C200_0027_3780, // SHADDX.u64 r2, u0, r55, shift:2
    0x0861_7702_1800_0002, // STORE.i32.slot0.wait0 @r55, r2, offset:0
    0x4845_C001_C000_0000, // BARRIER.slot7.wait
    0x0110_C400_0000_0137, // IADD_IMM.i32 r4, r55, #0x1
    0x00B4_C400_1084_C004, // RSHIFT_AND.i32 r4, r4, 0x0.b00, u4
    0x01A3_C600_0027_0480, // SHADDX.u64 r6, u0, r4, shift:2
    0x0860_8582_1800_0006, // LOAD.i32.unsigned.slot0.wait0 @r5, r6, offset:0
    0x01A3_C800_0027_3C82, // SHADDX.u64 r8, u2, r60, shift:2
    0x7861_4502_1800_0008, // STORE.i32.slot0.end @r5, r8, offset:0
];

#[test]
fn a_barrier_orders_the_threads_of_a_workgroup() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &ROTATE);
    m.u32s(
        FAU,
        &[ptr(BUF)[0], ptr(BUF)[1], ptr(OUT)[0], ptr(OUT)[1], 3, 0],
    );
    run(&mut m, &dispatch(4, 2, 6)).unwrap();
    // Without the barrier, thread 0 would read buf[1] before thread 1 wrote it.
    let out: Vec<u32> = (0..8).map(|i| m.get32(OUT + 4 * i)).collect();
    assert_eq!(out, [1, 2, 3, 0, 1, 2, 3, 0]);
}

#[test]
fn threads_that_disagree_on_a_barrier_fault() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(
        CODE,
        &[
            0x001F_C000_0000_013C, // BRANCHZ r60, offset:1
            0x7800_C000_0000_0000, // NOP.end
            0x4845_C001_C000_0000, // BARRIER.slot7.wait
            0x7800_C000_0000_0000, // NOP.end
        ],
    );
    let err = run(&mut m, &dispatch(4, 1, 0)).unwrap_err();
    assert_eq!(
        err,
        Fault::Exception {
            code: exception::INSTR_BARRIER_FAULT,
            va: CODE + 16,
            fatal: false
        }
    );
}

#[test]
fn a_shader_that_never_ends_uses_up_its_budget() {
    let mut m = Mem::new();
    m.spd(0);
    // BRANCHZ 0xFFFFFFFF, offset:-1 (to itself); NOP.end
    m.words(CODE, &[0x001F_C007_FFFF_FFC1, 0x7800_C000_0000_0000]);
    // The per-warp budget: the warp issues the branch 1000 times, then faults on the 1001st.
    let err = run_with_budgets(&dispatch(2, 1, 0), &mut m, 0, (1000, u64::MAX)).unwrap_err();
    assert_eq!(
        err,
        Fault::Exception {
            code: exception::CS_UNRECOVERABLE,
            va: CODE,
            fatal: true
        }
    );
    // The job budget counts every thread: two threads use up 1500 in 750 issues.
    let err = run_with_budgets(&dispatch(2, 1, 0), &mut m, 0, (u64::MAX, 1500)).unwrap_err();
    assert!(matches!(
        err,
        Fault::Exception {
            code: exception::CS_UNRECOVERABLE,
            ..
        }
    ));
    // A shader that ends is not affected by a budget it stays inside.
    m.words(CODE, &[0x7800_C000_0000_0000]);
    assert_eq!(
        run_with_budgets(&dispatch(2, 1, 0), &mut m, 0, (1, 2)),
        Ok(2)
    );
}

#[test]
fn warps_run_their_active_lanes_together_and_reconverge() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(
        CODE,
        &[
            0x00B4_C100_1080_C03C, // RSHIFT_AND.i32 r1, r60, 0x0.b00, u0 (r1 = odd)
            0x0095_C430_0000_0001, // WMASK.subgroup16 r4, r1
            0x00A0_C530_100F_813C, // CLPER.i32.subgroup16 r5, r60, u1.b00
            0x00A0_C631_100F_823C, // CLPER.i32.subgroup16.xor r6, r60, u2.b00
            0x001F_C000_0000_0101, // BRANCHZ r1, offset:1 (odd lanes skip the next)
            0x0095_C730_0000_00C1, // WMASK.subgroup16 r7, 0xFFFFFFFF
            0x01A3_C800_0047_3C84, // SHADDX.u64 r8, u4, r60, shift:4
            0x7861_4408_3800_0008, // STORE.i128.slot0.end @r4:r5:r6:r7, r8, offset:0
        ],
    );
    // u0 = 1, u1 = lane 7, u2 = 1, u4:u5 = OUT.
    m.u32s(FAU, &[1, 7, 1, 0, ptr(OUT)[0], ptr(OUT)[1]]);
    // 20 threads: a full warp and a warp of 4 lanes.
    run(&mut m, &dispatch(20, 1, 6)).unwrap();
    for g in 0..20u32 {
        let o = OUT + 16 * u64::from(g);
        let (warp, lane) = (g / 16, g % 16);
        let wmask = if warp == 0 { 0xAAAA } else { 0b1010 };
        assert_eq!(m.get32(o), wmask, "WMASK of the odd lanes, lane {g}");
        let bcast = if warp == 0 { 7 } else { 0 };
        assert_eq!(
            m.get32(o + 4),
            bcast,
            "lane 7's value, or 0 when it is inactive ({g})"
        );
        assert_eq!(m.get32(o + 8), g ^ 1, "xor shuffle ({g})");
        let even = if warp == 0 { 0x5555 } else { 0b0101 };
        let inside = if lane % 2 == 0 { even } else { 0 };
        assert_eq!(
            m.get32(o + 12),
            inside,
            "WMASK inside the branch sees the even lanes only ({g})"
        );
    }
}
