// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Loops, branches and integer division as panvk compiles them.

use super::*;

/// What `FLOW` computes for output `g`, written from the GLSL below.
fn flow_expected(g: u32) -> u32 {
    let x = g ^ 0x5555;
    let mut acc = 0u32;
    for j in 0..g % 7 {
        acc = acc.wrapping_add(j.wrapping_mul(x)).wrapping_add(acc >> 3);
        acc = if acc & 1 != 0 {
            acc ^ 0x1234
        } else {
            acc.wrapping_mul(5)
        };
    }
    let si = x as i32 - 10000;
    let parts = [
        (si / 7) as u32,
        (si % 5) as u32,
        x / 3,
        si.max(-3) as u32,
        (g as i32).min(11) as u32,
        si.unsigned_abs(),
        x.count_ones(),
        31 - x.leading_zeros(),
        x.trailing_zeros(),
        x.reverse_bits(),
        (x >> 3) & 31,
        x >> (g & 63),
        x << (g & 31),
    ];
    parts.iter().fold(acc, |a, p| a.wrapping_add(*p))
}

#[test]
fn loops_branches_and_integer_division_as_panvk_compiles_them() {
    let t = setup(&FLOW);
    t.set32(FAU + 20, 3); // the second push constant: pc.m
    for g in 0..128u64 {
        t.set32(INPUT + 4 * g, g as u32 ^ 0x5555);
    }
    dispatch_2d(&t, 16, 2, 2);
    for y in 0..2u32 {
        for x in 0..32u32 {
            let g = x + 64 * y;
            assert_eq!(
                t.mem32(OUTPUT + 4 * u64::from(g)),
                flow_expected(g),
                "out[{g}]"
            );
        }
    }
}

/// ```glsl
/// layout(local_size_x = 16, local_size_y = 2) in;
/// void main() {
///     uint g = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * 64u;
///     uint x = src.v[g];
///     uint acc = 0u;
///     for (uint j = 0u; j < (g % 7u); j++) {
///         acc += j * x + (acc >> 3);
///         if ((acc & 1u) != 0u) acc ^= 0x1234u; else acc = acc * 5u;
///     }
///     int si = int(x) - 10000;
///     acc += uint(si / 7) + uint(si % 5) + (x / pc.m) + uint(max(si, -3)) + uint(min(int(g), 11)) + uint(abs(si));
///     acc += bitCount(x) + findMSB(x) + uint(findLSB(x)) + bitfieldReverse(x) + bitfieldExtract(x, 3, 5)
///         + (x >> (g & 63u)) + (x << (g & 31u));
///     dst.v[g] = acc;
/// }
/// ```
/// Divergent loop trip counts, if/else inside the loop, signed and unsigned division (by a constant and by a push
/// constant, through FRCP), min/max/abs as CSEL, and the bit-counting instructions.
const FLOW: [u64; 220] = [
    0x0090_C000_3014_0037, // U16_TO_U32 r0, r55.h11
    0x0090_C100_0014_0077, // U16_TO_U32 r1, ^r55.h00
    0x00A8_C200_0000_8079, // IADD.s32 r2, ^r57, u0
    0x00A8_C300_0000_817A, // IADD.s32 r3, ^r58, u1
    0x00B4_C201_11C0_C942, // LSHIFT_OR.i32 r2, ^r2, 0x7060504.b00, 0x0
    0x00B4_C301_1DC0_C443, // LSHIFT_OR.i32 r3, ^r3, 0x1000000.b33, 0x0
    0x00A8_C100_0000_4142, // IADD.s32 r1, ^r2, ^r1
    0x00A8_C000_0000_4043, // IADD.s32 r0, ^r3, ^r0
    0x00B4_C001_19C0_C940, // LSHIFT_OR.i32 r0, ^r0, 0x7060504.b22, 0x0
    0x00A8_C000_0000_4041, // IADD.s32 r0, ^r1, ^r0
    0x00B4_C101_19C0_C800, // LSHIFT_OR.i32 r1, r0, 0x3020100.b22, 0x0
    0x006A_8282_1800_C401, // LD_BUFFER.i32.unsigned.slot0 @r2, r1, 0x1000000
    0x0110_C300_0000_00C0, // IADD_IMM.i32 r3, 0x0, #0x0
    0x5110_C400_0000_00C0, // IADD_IMM.i32.reconverge r4, 0x0, #0x0
    0x00A0_C500_5C00_C400, // IADD.u32.saturate r5, r0, 0x1000000.b3
    0x0110_C649_2492_49C0, // IADD_IMM.i32 r6, 0x0, #0x49249249
    0x0090_C700_0014_0005, // U16_TO_U32 r7, r5.h00
    0x00A0_C600_000A_4607, // IMUL.i32 r6, r7, ^r6
    0x0090_C500_3014_0045, // U16_TO_U32 r5, ^r5.h11
    0x0110_C800_0092_49C0, // IADD_IMM.i32 r8, 0x0, #0x9249
    0x00A0_C900_000A_0807, // IMUL.i32 r9, r7, r8
    0x00F0_C904_00C0_4906, // ICMP_OR.u32.lt.i1 r9, r6, ^r9, 0x0
    0x0110_CA00_0049_24C0, // IADD_IMM.i32 r10, 0x0, #0x4924
    0x00A0_C700_000A_0A47, // IMUL.i32 r7, ^r7, r10
    0x00A0_CA00_000A_4A05, // IMUL.i32 r10, r5, ^r10
    0x00A8_C900_0000_494A, // IADD.s32 r9, ^r10, ^r9
    0x0110_CA92_4900_00C0, // IADD_IMM.i32 r10, 0x0, #0x92490000
    0x00A0_CA00_000A_4A05, // IMUL.i32 r10, r5, ^r10
    0x00A8_CA00_0000_4A06, // IADD.s32 r10, r6, ^r10
    0x00F0_C604_00C0_464A, // ICMP_OR.u32.lt.i1 r6, ^r10, ^r6, 0x0
    0x0090_C700_3014_0047, // U16_TO_U32 r7, ^r7.h11
    0x00A8_C700_0000_4749, // IADD.s32 r7, ^r9, ^r7
    0x00A0_C500_000A_4845, // IMUL.i32 r5, ^r5, ^r8
    0x00A8_C600_0000_4647, // IADD.s32 r6, ^r7, ^r6
    0x0090_C500_3014_0045, // U16_TO_U32 r5, ^r5.h11
    0x00A8_C500_0000_4546, // IADD.s32 r5, ^r6, ^r5
    0x00B4_C500_1DC0_C445, // RSHIFT_OR.i32 r5, ^r5, 0x1000000.b33, 0x0
    0x00A0_C500_1C0A_C945, // IMUL.i32 r5, ^r5, 0x7060504.b3
    0x00A8_C500_0001_4500, // ISUB.s32 r5, r0, ^r5
    0x00F0_C504_80C0_4503, // ICMP_OR.u32.lt.m1 r5, r3, ^r5, 0x0
    0x501F_C030_0000_0145, // BRANCHZ.eq.reconverge ^r5.h0, offset:1
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x001F_C010_0000_0EC0, // BRANCHZ.eq 0x0, offset:14
    0x0800_C000_0000_0000, // NOP.wait0
    0x00A0_C500_000A_0203, // IMUL.i32 r5, r3, r2
    0x00B4_C600_1DC0_C804, // RSHIFT_OR.i32 r6, r4, 0x3020100.b33, 0x0
    0x00A8_C500_0000_4645, // IADD.s32 r5, ^r5, ^r6
    0x00A8_C400_0000_4544, // IADD.s32 r4, ^r4, ^r5
    0x0110_C500_0000_01C0, // IADD_IMM.i32 r5, 0x0, #0x1
    0x00B4_C501_1045_C004, // LSHIFT_AND.i32 r5, r4, 0x0.b00, ^r5
    0x0110_C600_0012_34C0, // IADD_IMM.i32 r6, 0x0, #0x1234
    0x00B4_C601_1246_C004, // LSHIFT_XOR.i32 r6, r4, 0x0.b00, ^r6
    0x00A0_C400_140A_C944, // IMUL.i32 r4, ^r4, 0x7060504.b1
    0x00F0_C503_80C0_C045, // ICMP_OR.u32.ne.m1 r5, ^r5, 0x0, 0x0
    0x0150_C400_4644_C045, // CSEL.u32.eq r4, ^r5, 0x0, ^r4, ^r6
    0x0110_C300_0000_0143, // IADD_IMM.i32 r3, ^r3, #0x1
    0x501F_C017_FFFF_D5C0, // BRANCHZ.eq.reconverge 0x0, offset:-43
    0x0800_C000_0000_0000, // NOP.wait0
    0x0110_C3FF_FFD8_F002, // IADD_IMM.i32 r3, r2, #0xFFFFD8F0
    0x0091_C500_0008_0003, // IABS.s32 r5, r3
    0x0090_C600_0014_0005, // U16_TO_U32 r6, r5.h00
    0x0090_C700_3014_0005, // U16_TO_U32 r7, r5.h11
    0x0110_C800_00DB_6DC0, // IADD_IMM.i32 r8, 0x0, #0xDB6D
    0x00A0_C900_000A_0806, // IMUL.i32 r9, r6, r8
    0x0110_CA00_006D_B6C0, // IADD_IMM.i32 r10, 0x0, #0x6DB6
    0x00A0_CB00_000A_0A06, // IMUL.i32 r11, r6, r10
    0x00A0_C800_000A_4807, // IMUL.i32 r8, r7, ^r8
    0x00A0_CA00_000A_4A07, // IMUL.i32 r10, r7, ^r10
    0x0110_CC6D_B6DB_6DC0, // IADD_IMM.i32 r12, 0x0, #0x6DB6DB6D
    0x00A0_CC00_000A_4C06, // IMUL.i32 r12, r6, ^r12
    0x00F0_C904_00C0_490C, // ICMP_OR.u32.lt.i1 r9, r12, ^r9, 0x0
    0x00A8_C900_0000_494A, // IADD.s32 r9, ^r10, ^r9
    0x0090_CA00_3014_004B, // U16_TO_U32 r10, ^r11.h11
    0x00A8_C900_0000_4A49, // IADD.s32 r9, ^r9, ^r10
    0x0110_CADB_6D00_00C0, // IADD_IMM.i32 r10, 0x0, #0xDB6D0000
    0x00A0_CA00_000A_4A07, // IMUL.i32 r10, r7, ^r10
    0x00A8_CA00_0000_4A0C, // IADD.s32 r10, r12, ^r10
    0x00F0_CB04_00C0_4C0A, // ICMP_OR.u32.lt.i1 r11, r10, ^r12, 0x0
    0x00A8_C900_0000_4B49, // IADD.s32 r9, ^r9, ^r11
    0x0090_C800_3014_0048, // U16_TO_U32 r8, ^r8.h11
    0x00A8_C800_0000_4849, // IADD.s32 r8, ^r9, ^r8
    0x00B4_C909_114A_C0C0, // LSHIFT_OR.i32 r9, 0x0, 0x0.b00, ^r10.not
    0x0110_CA00_0000_0109, // IADD_IMM.i32 r10, r9, #0x1
    0x00B4_CB09_1108_C0C0, // LSHIFT_OR.i32 r11, 0x0, 0x0.b00, r8.not
    0x00F0_C904_00C0_494A, // ICMP_OR.u32.lt.i1 r9, ^r10, ^r9, 0x0
    0x00A8_C900_0000_494B, // IADD.s32 r9, ^r11, ^r9
    0x00F8_CA04_80C0_C003, // ICMP_OR.s32.lt.m1 r10, r3, 0x0, 0x0
    0x0150_C800_4849_C00A, // CSEL.u32.eq r8, r10, 0x0, ^r9, ^r8
    0x00A8_C800_0000_0348, // IADD.s32 r8, ^r8, r3
    0x00B4_C804_19C0_C848, // RSHIFT_OR.i32.signed r8, ^r8, 0x3020100.b22, 0x0
    0x00B4_C900_1DC0_CF08, // RSHIFT_OR.i32 r9, r8, 0x1F1E1D1C.b33, 0x0
    0x00A8_C800_0000_4948, // IADD.s32 r8, ^r8, ^r9
    0x0110_C900_0066_67C0, // IADD_IMM.i32 r9, 0x0, #0x6667
    0x00A0_CB00_000A_0906, // IMUL.i32 r11, r6, r9
    0x0110_CC00_0066_66C0, // IADD_IMM.i32 r12, 0x0, #0x6666
    0x00A0_CD00_000A_0C06, // IMUL.i32 r13, r6, r12
    0x00A0_C900_000A_4907, // IMUL.i32 r9, r7, ^r9
    0x00A0_CC00_000A_4C07, // IMUL.i32 r12, r7, ^r12
    0x0110_CE66_6666_67C0, // IADD_IMM.i32 r14, 0x0, #0x66666667
    0x00A0_C600_000A_4E46, // IMUL.i32 r6, ^r6, ^r14
    0x00F0_CB04_00C0_4B06, // ICMP_OR.u32.lt.i1 r11, r6, ^r11, 0x0
    0x00A8_CB00_0000_4B4C, // IADD.s32 r11, ^r12, ^r11
    0x0090_CC00_3014_004D, // U16_TO_U32 r12, ^r13.h11
    0x00A8_CB00_0000_4C4B, // IADD.s32 r11, ^r11, ^r12
    0x0110_CC66_6700_00C0, // IADD_IMM.i32 r12, 0x0, #0x66670000
    0x00A0_C700_000A_4C47, // IMUL.i32 r7, ^r7, ^r12
    0x00A8_C700_0000_4706, // IADD.s32 r7, r6, ^r7
    0x00F0_C604_00C0_4607, // ICMP_OR.u32.lt.i1 r6, r7, ^r6, 0x0
    0x00A8_C600_0000_464B, // IADD.s32 r6, ^r11, ^r6
    0x0090_C900_3014_0049, // U16_TO_U32 r9, ^r9.h11
    0x00A8_C600_0000_4946, // IADD.s32 r6, ^r6, ^r9
    0x00B4_C709_1147_C0C0, // LSHIFT_OR.i32 r7, 0x0, 0x0.b00, ^r7.not
    0x0110_C900_0000_0107, // IADD_IMM.i32 r9, r7, #0x1
    0x00B4_CB09_1106_C0C0, // LSHIFT_OR.i32 r11, 0x0, 0x0.b00, r6.not
    0x00F0_C704_00C0_4749, // ICMP_OR.u32.lt.i1 r7, ^r9, ^r7, 0x0
    0x00A8_C700_0000_474B, // IADD.s32 r7, ^r11, ^r7
    0x0150_C600_4746_C04A, // CSEL.u32.eq r6, ^r10, 0x0, ^r6, ^r7
    0x00B4_C604_1DC0_C446, // RSHIFT_OR.i32.signed r6, ^r6, 0x1000000.b33, 0x0
    0x00B4_C700_1DC0_CF06, // RSHIFT_OR.i32 r7, r6, 0x1F1E1D1C.b33, 0x0
    0x00A8_C600_0000_4746, // IADD.s32 r6, ^r6, ^r7
    0x00A0_C600_140A_C946, // IMUL.i32 r6, ^r6, 0x7060504.b1
    0x00A8_C600_0001_4603, // ISUB.s32 r6, r3, ^r6
    0x0110_C700_0000_0506, // IADD_IMM.i32 r7, r6, #0x5
    0x00F8_C902_80C0_C003, // ICMP_OR.s32.ge.m1 r9, r3, 0x0, 0x0
    0x00F0_CA00_80C0_C006, // ICMP_OR.u32.eq.m1 r10, r6, 0x0, 0x0
    0x00B4_C901_1149_C04A, // LSHIFT_OR.i32 r9, ^r10, 0x0.b00, ^r9
    0x0150_C600_4647_C049, // CSEL.u32.eq r6, ^r9, 0x0, ^r7, ^r6
    0x00A8_C600_0000_4648, // IADD.s32 r6, ^r8, ^r6
    0x0090_C700_0019_0085, // U32_TO_F32 r7, u5
    0x009C_C700_0000_0047, // FRCP.f32 r7, ^r7
    0x0110_C84F_7FFF_FEC0, // IADD_IMM.i32 r8, 0x0, #0x4F7FFFFE
    0x00B2_C704_00C0_4847, // FMA.f32 r7, ^r7, ^r8, 0x0.neg
    0x0090_C700_C01C_0047, // F32_TO_U32.rtz r7, ^r7
    0x00A0_C800_000A_0785, // IMUL.i32 r8, u5, r7
    0x00A8_C800_0001_48C0, // ISUB.s32 r8, 0x0, ^r8
    0x0090_C900_0014_0007, // U16_TO_U32 r9, r7.h00
    0x0090_CA00_0014_0008, // U16_TO_U32 r10, r8.h00
    0x0090_CB00_3014_0007, // U16_TO_U32 r11, r7.h11
    0x0090_C800_3014_0048, // U16_TO_U32 r8, ^r8.h11
    0x00A0_CC00_000A_0A09, // IMUL.i32 r12, r9, r10
    0x00A0_C900_000A_0849, // IMUL.i32 r9, ^r9, r8
    0x00A0_CA00_000A_4A0B, // IMUL.i32 r10, r11, ^r10
    0x00A0_C800_000A_484B, // IMUL.i32 r8, ^r11, ^r8
    0x00A1_CB00_2005_09C0, // MKVEC.v2i16 r11, 0x0, r9.h00
    0x00A8_CB00_0000_4B0C, // IADD.s32 r11, r12, ^r11
    0x00F0_CC04_00C0_4C0B, // ICMP_OR.u32.lt.i1 r12, r11, ^r12, 0x0
    0x00A8_C800_0000_4C48, // IADD.s32 r8, ^r8, ^r12
    0x0090_C900_3014_0049, // U16_TO_U32 r9, ^r9.h11
    0x00A8_C800_0000_4948, // IADD.s32 r8, ^r8, ^r9
    0x00A1_C900_2005_0AC0, // MKVEC.v2i16 r9, 0x0, r10.h00
    0x00A8_C900_0000_490B, // IADD.s32 r9, r11, ^r9
    0x00F0_C904_00C0_4B49, // ICMP_OR.u32.lt.i1 r9, ^r9, ^r11, 0x0
    0x00A8_C800_0000_4948, // IADD.s32 r8, ^r8, ^r9
    0x0090_C900_3014_004A, // U16_TO_U32 r9, ^r10.h11
    0x00A8_C800_0000_4948, // IADD.s32 r8, ^r8, ^r9
    0x00A8_C700_0000_4847, // IADD.s32 r7, ^r7, ^r8
    0x0090_C800_0014_0002, // U16_TO_U32 r8, r2.h00
    0x0090_C900_0014_0007, // U16_TO_U32 r9, r7.h00
    0x0090_CA00_3014_0002, // U16_TO_U32 r10, r2.h11
    0x0090_C700_3014_0047, // U16_TO_U32 r7, ^r7.h11
    0x00A0_CB00_000A_0908, // IMUL.i32 r11, r8, r9
    0x00A0_C800_000A_0748, // IMUL.i32 r8, ^r8, r7
    0x00A0_C900_000A_490A, // IMUL.i32 r9, r10, ^r9
    0x00A0_C700_000A_474A, // IMUL.i32 r7, ^r10, ^r7
    0x00A1_CA00_2005_08C0, // MKVEC.v2i16 r10, 0x0, r8.h00
    0x00A8_CA00_0000_4A0B, // IADD.s32 r10, r11, ^r10
    0x00F0_CB04_00C0_4B0A, // ICMP_OR.u32.lt.i1 r11, r10, ^r11, 0x0
    0x00A8_C700_0000_4B47, // IADD.s32 r7, ^r7, ^r11
    0x0090_C800_3014_0048, // U16_TO_U32 r8, ^r8.h11
    0x00A8_C700_0000_4847, // IADD.s32 r7, ^r7, ^r8
    0x00A1_C800_2005_09C0, // MKVEC.v2i16 r8, 0x0, r9.h00
    0x00A8_C800_0000_480A, // IADD.s32 r8, r10, ^r8
    0x00F0_C804_00C0_4A48, // ICMP_OR.u32.lt.i1 r8, ^r8, ^r10, 0x0
    0x00A8_C700_0000_4847, // IADD.s32 r7, ^r7, ^r8
    0x0090_C800_3014_0049, // U16_TO_U32 r8, ^r9.h11
    0x00A8_C700_0000_4847, // IADD.s32 r7, ^r7, ^r8
    0x00A0_C800_000A_8507, // IMUL.i32 r8, r7, u5
    0x00A8_C800_0001_4802, // ISUB.s32 r8, r2, ^r8
    0x00F0_C902_80C0_8508, // ICMP_OR.u32.ge.m1 r9, r8, u5, 0x0
    0x0110_CA00_0000_01C0, // IADD_IMM.i32 r10, 0x0, #0x1
    0x0150_CA00_4AC0_C009, // CSEL.u32.eq r10, r9, 0x0, 0x0, ^r10
    0x00A8_C700_0000_4A47, // IADD.s32 r7, ^r7, ^r10
    0x00A8_CA00_0001_8508, // ISUB.s32 r10, r8, u5
    0x0150_C800_4A48_C049, // CSEL.u32.eq r8, ^r9, 0x0, ^r8, ^r10
    0x00F0_C802_00C0_8548, // ICMP_OR.u32.ge.i1 r8, ^r8, u5, 0x0
    0x00A8_C700_0000_4847, // IADD.s32 r7, ^r7, ^r8
    0x00A8_C600_0000_4746, // IADD.s32 r6, ^r6, ^r7
    0x0110_C7FF_FFFF_FDC0, // IADD_IMM.i32 r7, 0x0, #0xFFFFFFFD
    0x0158_C301_4743_4743, // CSEL.s32.gt r3, ^r3, ^r7, ^r3, ^r7
    0x00A8_C300_0000_4346, // IADD.s32 r3, ^r6, ^r3
    0x0110_C600_0000_0BC0, // IADD_IMM.i32 r6, 0x0, #0xB
    0x0158_C604_4600_4600, // CSEL.s32.lt r6, r0, ^r6, r0, ^r6
    0x00A8_C300_0000_4643, // IADD.s32 r3, ^r3, ^r6
    0x00A8_C300_0000_4543, // IADD.s32 r3, ^r3, ^r5
    0x00A8_C300_0000_4344, // IADD.s32 r3, ^r4, ^r3
    0x0091_C400_000C_0002, // POPCOUNT.i32 r4, r2
    0x0091_C500_0004_0002, // CLZ.u32 r5, r2
    0x00A0_C570_0001_45CF, // ISUB.u32 r5, 0x1F1E1D1C.b3, ^r5
    0x00A8_C400_0000_4544, // IADD.s32 r4, ^r4, ^r5
    0x00A8_C500_0001_02C0, // ISUB.s32 r5, 0x0, r2
    0x00B4_C501_1045_C002, // LSHIFT_AND.i32 r5, r2, 0x0.b00, ^r5
    0x0091_C500_0004_0045, // CLZ.u32 r5, ^r5
    0x00A0_C570_0001_45CF, // ISUB.u32 r5, 0x1F1E1D1C.b3, ^r5
    0x00A8_C400_0000_4544, // IADD.s32 r4, ^r4, ^r5
    0x0091_C500_000D_0002, // BITREV.i32 r5, r2
    0x00A8_C400_0000_4544, // IADD.s32 r4, ^r4, ^r5
    0x00B4_C500_1DC0_C802, // RSHIFT_OR.i32 r5, r2, 0x3020100.b33, 0x0
    0x0110_C600_0000_1FC0, // IADD_IMM.i32 r6, 0x0, #0x1F
    0x00B4_C501_1046_C045, // LSHIFT_AND.i32 r5, ^r5, 0x0.b00, ^r6
    0x00A8_C400_0000_4544, // IADD.s32 r4, ^r4, ^r5
    0x0110_C500_0000_3FC0, // IADD_IMM.i32 r5, 0x0, #0x3F
    0x00B4_C501_1045_C000, // LSHIFT_AND.i32 r5, r0, 0x0.b00, ^r5
    0x00B4_C500_11C0_4502, // RSHIFT_OR.i32 r5, r2, ^r5.b00, 0x0
    0x00A8_C400_0000_4544, // IADD.s32 r4, ^r4, ^r5
    0x00B4_C001_11C0_4042, // LSHIFT_OR.i32 r0, ^r2, ^r0.b00, 0x0
    0x00A8_C000_0000_4044, // IADD.s32 r0, ^r4, ^r0
    0x00A8_C000_0000_4043, // IADD.s32 r0, ^r3, ^r0
    0x0110_C201_0000_01C0, // IADD_IMM.i32 r2, 0x0, #0x1000001
    0x106B_8204_4000_4241, // LEA_BUFFER.slot1.wait1 @r2:r3, ^r1, ^r2
    0x7861_4002_9800_0042, // STORE.i32.slot2.end @r0, ^r2, offset:0
];
