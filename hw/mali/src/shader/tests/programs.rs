// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Whole programs: the triple-plus-ID grid, the decode cache, integer and float semantics at their edges, loads, stores
//! and atomics, preloaded registers and special FAU values.

use super::*;

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

#[test]
fn an_spd_at_a_32_byte_boundary_is_read_there_not_at_its_64_byte_line() {
    // panvk allocates Shader Program descriptors 32 bytes apart: two pipelines' SPDs share a 64-byte line. The one at
    // +0x20 runs TRIPLE at CODE + 0x1000; the one at the line's start names a binary at CODE that would store
    // global_id.x instead.
    let mut m = Mem::new();
    m.spd(0);
    let mut other = TRIPLE;
    other[5] = 0x7861_7C02_1800_0006; // STORE.i32.slot0.end @r60, r6, offset:0
    m.words(CODE, &other);
    m.words(CODE + 0x1000, &TRIPLE);
    m.u32s(SPD + 0x20, &[8 | 1 << 4, 0x7F80, (CODE + 0x1000) as u32, 0]);
    m.u32s(BUF, &[10, 20, 30, 40]);
    m.u32s(FAU, &[ptr(BUF)[0], ptr(BUF)[1], ptr(OUT)[0], ptr(OUT)[1]]);
    let d = Dispatch {
        spd: SPD + 0x20,
        ..dispatch(4, 1, 4)
    };
    run(&mut m, &d).unwrap();
    let out: Vec<u32> = (0..4).map(|i| m.get32(OUT + 4 * i)).collect();
    assert_eq!(out, [30, 61, 92, 123], "TRIPLE ran, from the SPD at +0x20");
}
