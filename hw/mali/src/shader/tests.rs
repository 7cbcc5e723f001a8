// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shader-core tests against a memory port with pages, permissions and MMU-style faults, so semantics, faults, barriers
//! and budgets are checked without a GPU around them. Programs are the words Mesa's `asm.py` emits for the assembly in
//! the comments. The end-to-end run through a modelled GPU is in `hw/mali/tests/shader_compute.rs`.

use std::collections::HashMap;

use super::exec::{JOB_STEP_BUDGET, WARP_STEP_BUDGET};
use super::launch::{run_with_budgets, Dispatch};
use super::{exception, Fault};
use crate::cs::machine::{CsMemory, MemError};

/// Translation and permission fault codes the fake port reports (TRANSLATION_FAULT_1, PERM_FAULT_1).
const TRANSLATION: u8 = 0xC1;
const PERMISSION: u8 = 0xC9;

const SPD: u64 = 0x10_0000;
const TSD: u64 = 0x10_0040;
const FAU: u64 = 0x10_0100;
const CODE: u64 = 0x20_0000;
const BUF: u64 = 0x30_0000;
const OUT: u64 = 0x40_0000;
const RO: u64 = 0x50_0000;
const UNMAPPED: u64 = 0x60_0000;

/// Pages by VA (writable flag), and a count of reads that fetched code.
#[derive(Default)]
struct Mem {
    pages: HashMap<u64, (Vec<u8>, bool)>,
    code_reads: usize,
}

impl Mem {
    fn new() -> Self {
        let mut m = Self::default();
        for va in [SPD, CODE, CODE + 0x1000, BUF, OUT] {
            m.pages.insert(va, (vec![0; 4096], true));
        }
        m.pages.insert(RO, (vec![0; 4096], false));
        m
    }

    fn put(&mut self, va: u64, data: &[u8]) {
        for (k, b) in data.iter().enumerate() {
            let a = va + k as u64;
            self.pages.get_mut(&(a & !0xFFF)).unwrap().0[(a & 0xFFF) as usize] = *b;
        }
    }

    fn words(&mut self, va: u64, words: &[u64]) {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put(va, &bytes);
    }

    fn u32s(&mut self, va: u64, vals: &[u32]) {
        let bytes: Vec<u8> = vals.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put(va, &bytes);
    }

    fn get32(&self, va: u64) -> u32 {
        let p = &self.pages[&(va & !0xFFF)].0;
        let o = (va & 0xFFF) as usize;
        u32::from_le_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]])
    }

    fn check(&self, va: u64, len: usize, write: bool) -> Result<(), MemError> {
        let mut a = va;
        while a < va + len as u64 {
            match self.pages.get(&(a & !0xFFF)) {
                None => {
                    return Err(MemError::Mmu {
                        va: a,
                        code: TRANSLATION,
                    })
                }
                Some((_, false)) if write => {
                    return Err(MemError::Mmu {
                        va: a,
                        code: PERMISSION,
                    })
                }
                _ => {}
            }
            a = (a & !0xFFF) + 0x1000;
        }
        Ok(())
    }

    /// A compute SPD: shader type, `ftz` mode, 64 registers, preload r55..r62, binary at CODE.
    fn spd(&mut self, ftz: u32) {
        self.u32s(SPD, &[8 | 1 << 4 | ftz << 17, 0x7F80, CODE as u32, 0]);
    }
}

impl CsMemory for Mem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        self.check(va, buf.len(), false)?;
        if (CODE..CODE + 0x2000).contains(&va) {
            self.code_reads += 1;
        }
        for (k, b) in buf.iter_mut().enumerate() {
            let a = va + k as u64;
            *b = self.pages[&(a & !0xFFF)].0[(a & 0xFFF) as usize];
        }
        Ok(())
    }

    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), MemError> {
        self.check(va, data.len(), true)?;
        self.put(va, data);
        Ok(())
    }

    fn atomic_check(&mut self, va: u64) -> Result<(), MemError> {
        self.check(va, 1, true)
    }

    fn timestamp(&self) -> u64 {
        0
    }

    fn cycles(&self) -> u64 {
        0
    }

    fn latest_flush_id(&self) -> u32 {
        0
    }

    fn flushed(&mut self) {}
}

/// A dispatch of `groups` workgroups of `local` threads along X, FAU words at FAU.
fn dispatch(local: u32, groups: u32, fau_words: usize) -> Dispatch {
    Dispatch {
        srt: 0,
        fau: FAU | ((fau_words as u64).div_ceil(2) << 56),
        spd: SPD,
        tsd: 0,
        wg_size: local - 1,
        offset: [0; 3],
        size: [groups, 1, 1],
    }
}

fn run(m: &mut Mem, d: &Dispatch) -> Result<u64, Fault> {
    run_with_budgets(d, m, 0x99_0000, (WARP_STEP_BUDGET, JOB_STEP_BUDGET))
}

fn ptr(va: u64) -> [u32; 2] {
    [va as u32, (va >> 32) as u32]
}

/// out[i] = in[i] * 3 + global_id.x
const TRIPLE: [u64; 6] = [
    0x01A3_C200_0027_3C80, // SHADDX.u64 r2, u0, r60, shift:2
    0x0860_8482_1800_0002, // LOAD.i32.unsigned.slot0.wait0 @r4, r2, offset:0
    0x00A0_C500_1C0A_C804, // IMUL.i32 r5, r4, 0x3020100.b3
    0x00A0_C500_0000_3C05, // IADD.u32 r5, r5, r60
    0x01A3_C600_0027_3C82, // SHADDX.u64 r6, u2, r60, shift:2
    0x7861_4502_1800_0006, // STORE.i32.slot0.end @r5, r6, offset:0
];

#[test]
fn triple_plus_global_id_over_several_workgroups() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &TRIPLE);
    let input: Vec<u32> = (0..24).map(|i| 1000 + 7 * i).collect();
    m.u32s(BUF, &input);
    m.u32s(FAU, &[ptr(BUF)[0], ptr(BUF)[1], ptr(OUT)[0], ptr(OUT)[1]]);
    let steps = run(&mut m, &dispatch(8, 3, 4)).unwrap();
    assert_eq!(steps, 24 * 6);
    for (i, v) in input.iter().enumerate() {
        assert_eq!(m.get32(OUT + 4 * i as u64), v * 3 + i as u32, "out[{i}]");
    }
    assert_eq!(m.get32(OUT + 4 * 24), 0, "nothing past the grid");
}

#[test]
fn a_second_run_reuses_the_decoded_program_and_sees_a_changed_binary() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &TRIPLE);
    m.u32s(FAU, &[ptr(BUF)[0], ptr(BUF)[1], ptr(OUT)[0], ptr(OUT)[1]]);
    run(&mut m, &dispatch(4, 1, 4)).unwrap();
    let first = m.code_reads;
    assert_eq!(
        first, 1,
        "one page read fetches the whole binary for every thread"
    );
    run(&mut m, &dispatch(4, 1, 4)).unwrap();
    assert_eq!(
        m.code_reads,
        first + 1,
        "only the check that the binary is unchanged"
    );
    // Same address, new binary: out[i] = global_id.x (STORE r60 instead of r5).
    let mut changed = TRIPLE;
    changed[5] = 0x7861_7C02_1800_0006; // STORE.i32.slot0.end @r60, r6, offset:0
    m.words(CODE, &changed);
    run(&mut m, &dispatch(4, 1, 4)).unwrap();
    assert_eq!((m.get32(OUT + 4), m.get32(OUT + 12)), (1, 3));
}

/// Results of the ALU battery, in the order the shader stores them.
fn alu_battery(ftz: u32) -> Vec<u32> {
    let prog = [
        0x0091_C100_0000_0083, // MOV.i32 r1, u3
        0x00B4_C001_11C0_0182, // LSHIFT_OR.i32 r0, u2, r1.b00, 0x0
        0x0061_4002_1800_0080, // STORE.i32.slot0 @r0, u0, offset:0
        0x0091_C100_0000_0085, // MOV.i32 r1, u5
        0x00B4_C004_11C0_0184, // RSHIFT_OR.i32.signed r0, u4, r1.b00, 0x0
        0x0061_4002_1800_0480, // STORE.i32.slot0 @r0, u0, offset:4
        0x00A8_C000_4000_8786, // IADD.s32.saturate r0, u6, u7
        0x0061_4002_1800_0880, // STORE.i32.slot0 @r0, u0, offset:8
        0x00A8_C000_0000_8786, // IADD.s32 r0, u6, u7
        0x0061_4002_1800_0C80, // STORE.i32.slot0 @r0, u0, offset:12
        0x00A4_C000_0000_8988, // FADD.f32 r0, u8, u9
        0x0061_4002_1800_1080, // STORE.i32.slot0 @r0, u0, offset:16
        0x00A4_C000_0002_8B8A, // FMIN.f32 r0, u10, u11
        0x0061_4002_1800_1480, // STORE.i32.slot0 @r0, u0, offset:20
        0x00A4_C010_0000_8D8C, // FADD.f32 r0, u12, u13.neg
        0x0061_4002_1800_1880, // STORE.i32.slot0 @r0, u0, offset:24
        0x0090_C000_C00C_008C, // F32_TO_S32.rtz r0, u12
        0x0061_4002_1800_1C80, // STORE.i32.slot0 @r0, u0, offset:28
        0x00B4_C000_11C0_0184, // RSHIFT_OR.i32 r0, u4, r1.b00, 0x0
        0x0061_4002_1800_2080, // STORE.i32.slot0 @r0, u0, offset:32
        0x0091_C100_0000_0084, // MOV.i32 r1, u4
        0x00F8_C004_00C0_0186, // ICMP_OR.s32.lt.i1 r0, u6, r1, 0x0
        0x0061_4002_1800_2480, // STORE.i32.slot0 @r0, u0, offset:36
        0x00B2_C000_008B_8B8A, // FMA.f32 r0, u10, u11, u11
        0x0061_4002_1800_2880, // STORE.i32.slot0 @r0, u0, offset:40
        0x0691_C000_0000_00E2, // MOV.i32 r0, lane_id.w0
        0x0061_4002_1800_2C80, // STORE.i32.slot0 @r0, u0, offset:44
        0x0110_C700_0000_05C0, // IADD_IMM.i32 r7, 0x0, #0x5
        0x0120_C702_1881_3080, // ATOM_RETURN.i32.slot0.aadd @r1, @r7, u0, offset:48
        0x7861_4102_1800_3480, // STORE.i32.slot0.end @r1, u0, offset:52
    ];
    let mut m = Mem::new();
    m.spd(ftz);
    m.words(CODE, &prog);
    let fau = [
        ptr(OUT)[0],
        ptr(OUT)[1],
        1,           // u2: shifted
        33,          // u3: shift amount >= 32
        0x8000_0000, // u4
        33,          // u5
        0x7FFF_FFFF, // u6: i32::MAX
        1,           // u7
        1,           // u8: the smallest subnormal
        1,           // u9
        0x7FC0_0000, // u10: NaN
        0x3F80_0000, // u11: 1.0
        0x7F80_0000, // u12: +inf
        0x3F80_0000, // u13: 1.0
    ];
    m.u32s(FAU, &fau);
    m.u32s(OUT + 48, &[40]);
    let mut d = dispatch(1, 1, fau.len());
    d.offset = [0; 3];
    run(&mut m, &d).unwrap();
    (0..15).map(|k| m.get32(OUT + 4 * k)).collect()
}

#[test]
fn arithmetic_edge_cases() {
    let r = alu_battery(0);
    assert_eq!(r[0], 2, "1 << 33 shifts by 33 mod 32");
    assert_eq!(r[1], 0xC000_0000, "arithmetic shift right by 33 mod 32");
    assert_eq!(
        r[2], 0x7FFF_FFFF,
        "signed saturating add clamps at i32::MAX"
    );
    assert_eq!(r[3], 0x8000_0000, "plain signed add wraps");
    assert_eq!(
        r[4], 2,
        "subnormal + subnormal kept when the SPD preserves subnormals"
    );
    assert_eq!(r[5], 0x3F80_0000, "FMIN(NaN, 1.0) = 1.0");
    assert_eq!(r[6], 0x7F80_0000, "inf - 1 = inf");
    assert_eq!(r[7], 0x7FFF_FFFF, "F32_TO_S32(inf) saturates");
    assert_eq!(r[8], 0x4000_0000, "logical shift right by 33 mod 32");
    assert_eq!(r[9], 0, "i32::MAX < i32::MIN is false");
    assert_eq!(r[10] & 0x7FC0_0000, 0x7FC0_0000, "FMA(NaN, 1, 1) is NaN");
    assert_eq!(r[11], 0, "lane 0");
    assert_eq!(r[12], 45, "ATOM_RETURN.aadd added 5");
    assert_eq!(r[13], 40, "and returned the old value");
}

#[test]
fn flush_to_zero_follows_the_spd() {
    for ftz in 1..=3 {
        assert_eq!(alu_battery(ftz)[4], 0, "FTZ mode {ftz} flushes subnormals");
    }
}

#[test]
fn narrow_wide_loads_stores_and_atomics() {
    let prog = [
        0x0060_8022_0000_0180, // LOAD.i8.slot0.b2 @r0, u0, offset:1
        0x0060_8122_0800_0280, // LOAD.i16.slot0.w0 @r1, u0, offset:2
        0x0060_82F4_2800_0880, // LOAD.i64.unsigned.slot0 @r2:r3, u0, offset:8
        0x0061_4008_3800_0082, // STORE.i128.slot0 @r0:r1:r2:r3, u2, offset:0
        0x0120_C018_2FC4_1082, // ATOM_RETURN.i64.slot0.axchg.compare @r4:r5, @r0:r1:r2:r3, u2, offset:16
        0x0068_4002_1A00_2082, // ATOM.i32.slot0.asmin @r0, u2, offset:32
        0x0069_8602_1840_2482, // ATOM1_RETURN.i32.slot0.adec @r6, u2, offset:36
        0x7861_4602_1800_2882, // STORE.i32.slot0.end @r6, u2, offset:40
    ];
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &prog);
    m.put(BUF, &[0x11, 0x82, 0x33, 0x84, 0, 0, 0, 0]);
    m.u32s(BUF + 8, &[0xAAAA_AAAA, 0xBBBB_BBBB]);
    m.u32s(FAU, &[ptr(BUF)[0], ptr(BUF)[1], ptr(OUT)[0], ptr(OUT)[1]]);
    // OUT+16 holds the comparand the CAS expects (r2:r3), so the swap happens.
    m.u32s(OUT + 16, &[0xAAAA_AAAA, 0xBBBB_BBBB]);
    m.u32s(OUT + 32, &[0x7FFF_FFFF, 7]);
    run(&mut m, &dispatch(1, 1, 4)).unwrap();
    // r0: byte 0x82 (signed load, lane b2) inserted into byte 2 of a zero register.
    assert_eq!(m.get32(OUT), 0x0082_0000);
    // r1: 0x8433 sign-extended to 32 bits.
    assert_eq!(m.get32(OUT + 4), 0xFFFF_8433);
    assert_eq!(
        (m.get32(OUT + 8), m.get32(OUT + 12)),
        (0xAAAA_AAAA, 0xBBBB_BBBB)
    );
    // CAS: r0:r1 (new) replaced the comparand; smin with r0 (0x00820000) kept the smaller.
    assert_eq!(
        (m.get32(OUT + 16), m.get32(OUT + 20)),
        (0x0082_0000, 0xFFFF_8433)
    );
    assert_eq!(m.get32(OUT + 32), 0x0082_0000);
    assert_eq!(m.get32(OUT + 36), 6, "decremented");
    assert_eq!(m.get32(OUT + 40), 7, "ATOM1 returned the old value");
}

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

#[test]
fn preloads_and_special_values() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(
        CODE,
        &[
            0x01A3_C200_0067_3C80, // SHADDX.u64 r2, u0, r60, shift:6
            0x0291_C000_0000_00E6, // MOV.i32 r0, workgroup_local_pointer.w0
            0x0291_C100_0000_00E2, // MOV.i32 r1, thread_local_pointer.w0
            0x0061_4002_1800_0002, // STORE.i32.slot0 @r0, r2, offset:0
            0x0061_4102_1800_0402, // STORE.i32.slot0 @r1, r2, offset:4
            0x0061_7702_1800_0802, // STORE.i32.slot0 @r55, r2, offset:8
            0x0061_7902_1800_0C02, // STORE.i32.slot0 @r57, r2, offset:12
            0x0061_7C02_1800_1002, // STORE.i32.slot0 @r60, r2, offset:16
            0x0691_C400_0000_00E2, // MOV.i32 r4, lane_id.w0
            0x0061_4402_1800_1402, // STORE.i32.slot0 @r4, r2, offset:20
            0x0091_C400_0000_00E4, // MOV.i32 r4, warp_id.w0
            0x7861_4402_1800_1802, // STORE.i32.slot0.end @r4, r2, offset:24
        ],
    );
    m.u32s(FAU, &ptr(OUT));
    // TSD: 16 << 2 = 64 bytes of TLS per thread at 0x7000_0000 (stored >> 8); WLS of 2^(5-1) = 16 bytes, 2 instances.
    m.u32s(
        TSD,
        &[2, 1 | 5 << 8, 0x7000_0000 >> 8, 0, 0x6000_0000, 0, 0, 0],
    );
    let mut d = dispatch(20, 3, 2);
    d.tsd = TSD;
    d.offset = [2, 0, 0];
    run(&mut m, &d).unwrap();
    for g in 0..60u32 {
        let base = OUT + 64 * u64::from(g + 2);
        let (wg, l) = (g / 20, g % 20);
        assert_eq!(m.get32(base), 0x6000_0000 + 16 * (wg % 2), "WLS instance");
        assert_eq!(m.get32(base + 4), 0x7000_0000 + 64 * l, "TLS slot");
        assert_eq!(m.get32(base + 8), l, "r55: local id x | y << 16");
        assert_eq!(m.get32(base + 12), wg, "r57: workgroup id");
        assert_eq!(
            m.get32(base + 16),
            g + 2,
            "r60: global id, job offset included"
        );
        assert_eq!(m.get32(base + 20), l % 16, "lane id");
        assert_eq!(m.get32(base + 24), l / 16, "warp id");
    }
}

/// What Mesa 25.0.7's compiler emits for panvk's `out.v[i] = in.v[i] * 3u + gl_GlobalInvocationID.x` (workgroups of
/// 64, SSBOs in set 0 bindings 0 and 1): global ID from r55/r57 and the base-workgroup push constant, the load
/// through `LD_BUFFER` and the store address from `LEA_BUFFER`, both naming resource table 1.
const PANVK_TIMES3: [u64; 11] = [
    0x0090_C000_0014_0077, // U16_TO_U32 r0, ^r55.h00
    0x00A8_C100_0000_8079, // IADD.s32 r1, ^r57, u0
    0x00B4_C101_19C0_C941, // LSHIFT_OR.i32 r1, ^r1, 0x7060504.b22, 0x0
    0x00A8_C000_0000_4041, // IADD.s32 r0, ^r1, ^r0
    0x00B4_C101_19C0_C800, // LSHIFT_OR.i32 r1, r0, 0x3020100.b22, 0x0
    0x086A_8282_1800_C401, // LD_BUFFER.i32.unsigned.slot0.wait0 @r2, r1, 0x1000000
    0x00A0_C200_1C0A_C842, // IMUL.i32 r2, ^r2, 0x3020100.b3
    0x00A8_C000_0000_4042, // IADD.s32 r0, ^r2, ^r0
    0x0110_C201_0000_01C0, // IADD_IMM.i32 r2, 0x0, #0x1000001
    0x106B_8204_4000_4241, // LEA_BUFFER.slot1.wait1 @r2:r3, ^r1, ^r2
    0x7861_4002_9800_0042, // STORE.i32.slot2.end @r0, ^r2, offset:0
];

const SRT: u64 = SPD + 0x400;
const SET0: u64 = SPD + 0x800;

/// panvk's resource table: entry 0 the (empty) driver set, entry 1 set 0 with two Buffer descriptors.
fn panvk_tables(m: &mut Mem, in_bytes: u32, out_bytes: u32) {
    m.u32s(SRT, &[0, 0, 0, 0, SET0 as u32, 1 << 24, 64, 0]);
    let buffer = |size: u32, va: u64| [9 | 1 << 4, size, va as u32, (va >> 32) as u32, 0, 0, 0, 0];
    m.u32s(SET0, &buffer(in_bytes, BUF));
    m.u32s(SET0 + 32, &buffer(out_bytes, OUT));
}

#[test]
fn panvks_compiled_times3_runs_through_the_resource_table() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &PANVK_TIMES3);
    panvk_tables(&mut m, 256 * 4, 256 * 4);
    let input: Vec<u32> = (0..256).map(|i| 0xFFFF_0000 + 3 * i).collect();
    m.u32s(BUF, &input);
    m.u32s(FAU, &[0, 0]);
    let mut d = dispatch(64, 4, 2);
    d.srt = SRT | 2;
    run(&mut m, &d).unwrap();
    for (i, v) in input.iter().enumerate() {
        assert_eq!(
            m.get32(OUT + 4 * i as u64),
            v.wrapping_mul(3).wrapping_add(i as u32)
        );
    }
    // The base workgroup (a push constant panvk sets for vkCmdDispatchBase) moves the global IDs.
    m.u32s(FAU, &[2, 0]);
    let mut d = dispatch(64, 1, 2);
    d.srt = SRT | 2;
    run(&mut m, &d).unwrap();
    assert_eq!(m.get32(OUT + 4 * 128), input[128].wrapping_mul(3) + 128);
}

#[test]
fn buffer_loads_out_of_bounds_read_zero_and_bad_handles_fault() {
    let mut m = Mem::new();
    m.spd(0);
    m.words(CODE, &PANVK_TIMES3);
    panvk_tables(&mut m, 16 * 4, 64 * 4);
    m.u32s(BUF, &[7; 64]);
    m.u32s(FAU, &[0, 0]);
    let mut d = dispatch(64, 1, 2);
    d.srt = SRT | 2;
    run(&mut m, &d).unwrap();
    assert_eq!(m.get32(OUT + 4 * 15), 7 * 3 + 15);
    assert_eq!(
        m.get32(OUT + 4 * 16),
        16,
        "past the 16-word buffer the load reads 0"
    );
    // An SRT with one table: table 1 does not exist.
    d.srt = SRT | 1;
    let err = run(&mut m, &d).unwrap_err();
    assert_eq!(
        err,
        Fault::Exception {
            code: exception::DATA_INVALID_FAULT,
            va: CODE + 40,
            fatal: false
        }
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

mod random_programs {
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
}

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
