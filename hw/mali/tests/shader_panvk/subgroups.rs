// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Subgroup operations as panvk compiles them.

use super::*;

#[test]
fn subgroup_operations_as_panvk_compiles_them() {
    let t = setup(&SUBGROUPS);
    for g in 0..64u64 {
        t.set32(INPUT + 4 * g, g as u32 ^ 0x5555);
    }
    dispatch(&t, 64, 1);
    for g in 0..64u32 {
        let (warp, lane) = (g / 16, g % 16);
        let xs: Vec<u32> = (warp * 16..warp * 16 + 16).map(|l| l ^ 0x5555).collect();
        let ballot = xs
            .iter()
            .enumerate()
            .fold(0, |m, (i, x)| if *x > 21850 { m | 1 << i } else { m });
        let want = [
            lane,
            16,
            xs.iter().fold(0u32, |a, x| a.wrapping_add(*x)),
            xs[0],
            (g ^ 1) ^ 0x5555,
            u32::from(xs.iter().all(|x| *x > 100)),
            ballot,
            warp,
        ];
        for (k, w) in want.iter().enumerate() {
            let got = t.mem32(OUTPUT + 4 * u64::from(8 * g) + 4 * k as u64);
            assert_eq!(got, *w, "thread {g}, result {k}");
        }
    }
}

/// ```glsl
/// layout(local_size_x = 64) in;
/// void main() {
///     uint g = gl_GlobalInvocationID.x, x = src.v[g];
///     dst.v[8 * g + 0] = gl_SubgroupInvocationID;
///     dst.v[8 * g + 1] = gl_SubgroupSize;
///     dst.v[8 * g + 2] = subgroupAdd(x);
///     dst.v[8 * g + 3] = subgroupBroadcastFirst(x);
///     dst.v[8 * g + 4] = subgroupShuffleXor(x, 1u);
///     dst.v[8 * g + 5] = subgroupAll(x > 100u) ? 1u : 0u;
///     dst.v[8 * g + 6] = subgroupBallot(x > 21850u).x;
///     dst.v[8 * g + 7] = gl_SubgroupID;
/// }
/// ```
/// Reductions and broadcasts compile to loops that pick the first active lane with WMASK, read it with CLPER and
/// retire the lanes that match, so they work only if the warp runs its active lanes together and reconverges.
const SUBGROUPS: [u64; 366] = [
    0x0090_C000_0014_0078, // U16_TO_U32 r0, ^r56.h00
    0x0090_C100_3014_0037, // U16_TO_U32 r1, r55.h11
    0x0090_C200_0014_0077, // U16_TO_U32 r2, ^r55.h00
    0x00A8_C300_0000_8079, // IADD.s32 r3, ^r57, u0
    0x00B4_C301_19C0_C943, // LSHIFT_OR.i32 r3, ^r3, 0x7060504.b22, 0x0
    0x00A8_C300_0000_0243, // IADD.s32 r3, ^r3, r2
    0x00B4_C401_19C0_C803, // LSHIFT_OR.i32 r4, r3, 0x3020100.b22, 0x0
    0x006A_8482_1800_C444, // LD_BUFFER.i32.unsigned.slot0 @r4, ^r4, 0x1000000
    0x0691_C500_0000_00E2, // MOV.i32 r5, lane_id.w0
    0x00B4_C301_15C0_C943, // LSHIFT_OR.i32 r3, ^r3, 0x7060504.b11, 0x0
    0x0110_C601_0000_01C0, // IADD_IMM.i32 r6, 0x0, #0x1000001
    0x186B_8804_4000_0603, // LEA_BUFFER.slot1.wait01 @r8:r9, r3, r6
    0x0061_4502_9800_0048, // STORE.i32.slot2 @r5, ^r8, offset:0
    0x0110_C500_0000_0403, // IADD_IMM.i32 r5, r3, #0x4
    0x006B_8604_0000_4605, // LEA_BUFFER.slot0 @r6:r7, r5, ^r6
    0x2910_C500_0000_10C0, // IADD_IMM.i32.wait02 r5, 0x0, #0x10
    0x0061_4502_5800_0046, // STORE.i32.slot1 @r5, ^r6, offset:0
    0x0095_C530_0000_00C1, // WMASK r5, 0xFFFFFFFF
    0x00F0_C600_88C0_C105, // ICMP_OR.u32.eq.m1 r6, r5, 0xFFFFFFFF.h0, 0x0
    0x501F_C030_0000_6146, // BRANCHZ.eq.reconverge ^r6.h0, offset:97
    0x0110_C500_0000_01C0, // IADD_IMM.i32 r5, 0x0, #0x1
    0x0091_C600_0000_00C0, // MOV.i32 r6, 0x0
    0x06B4_C501_1205_46E2, // LSHIFT_XOR.i32 r5, lane_id.w0, ^r6.b00, r5
    0x5110_C600_0000_00C0, // IADD_IMM.i32.reconverge r6, 0x0, #0x0
    0x0095_C730_0000_00C1, // WMASK r7, 0xFFFFFFFF
    0x00A8_C800_0001_07C0, // ISUB.s32 r8, 0x0, r7
    0x00B4_C701_1048_C047, // LSHIFT_AND.i32 r7, ^r7, 0x0.b00, ^r8
    0x0091_C700_0004_0047, // CLZ.u32 r7, ^r7
    0x00A0_C770_0001_47CF, // ISUB.u32 r7, 0x1F1E1D1C.b3, ^r7
    0x06A0_C830_100F_07E2, // CLPER.i32 r8, lane_id.w0, r7.b00
    0x00F0_C800_80C0_4805, // ICMP_OR.u32.eq.m1 r8, r5, ^r8, 0x0
    0x00A0_C930_100F_0704, // CLPER.i32 r9, r4, r7.b00
    0x0150_C600_4946_C048, // CSEL.u32.eq r6, ^r8, 0x0, ^r6, ^r9
    0x0091_C800_0000_00C0, // MOV.i32 r8, 0x0
    0x06F0_C800_8048_07E2, // ICMP_OR.u32.eq.m1 r8, lane_id.w0, r7, ^r8
    0x00A0_C730_100F_4705, // CLPER.i32 r7, r5, ^r7.b00
    0x00A0_C730_100F_4704, // CLPER.i32 r7, r4, ^r7.b00
    0x501F_C030_0000_0448, // BRANCHZ.eq.reconverge ^r8.h0, offset:4
    0x0091_C800_0000_00C0, // MOV.i32 r8, 0x0
    0x06F0_C504_8048_05E2, // ICMP_OR.u32.lt.m1 r5, lane_id.w0, r5, ^r8
    0x0150_C500_4746_C005, // CSEL.u32.eq r5, r5, 0x0, ^r6, ^r7
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C500_0000_0504, // IADD.s32 r5, r4, r5
    0x0110_C600_0000_02C0, // IADD_IMM.i32 r6, 0x0, #0x2
    0x0091_C700_0000_00C0, // MOV.i32 r7, 0x0
    0x06B4_C601_1246_47E2, // LSHIFT_XOR.i32 r6, lane_id.w0, ^r7.b00, ^r6
    0x5110_C700_0000_00C0, // IADD_IMM.i32.reconverge r7, 0x0, #0x0
    0x0095_C830_0000_00C1, // WMASK r8, 0xFFFFFFFF
    0x00A8_C900_0001_08C0, // ISUB.s32 r9, 0x0, r8
    0x00B4_C801_1049_C048, // LSHIFT_AND.i32 r8, ^r8, 0x0.b00, ^r9
    0x0091_C800_0004_0048, // CLZ.u32 r8, ^r8
    0x00A0_C870_0001_48CF, // ISUB.u32 r8, 0x1F1E1D1C.b3, ^r8
    0x06A0_C930_100F_08E2, // CLPER.i32 r9, lane_id.w0, r8.b00
    0x00F0_C900_80C0_4906, // ICMP_OR.u32.eq.m1 r9, r6, ^r9, 0x0
    0x00A0_CA30_100F_0805, // CLPER.i32 r10, r5, r8.b00
    0x0150_C700_4A47_C049, // CSEL.u32.eq r7, ^r9, 0x0, ^r7, ^r10
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C900_8049_08E2, // ICMP_OR.u32.eq.m1 r9, lane_id.w0, r8, ^r9
    0x00A0_C830_100F_4806, // CLPER.i32 r8, r6, ^r8.b00
    0x00A0_C830_100F_4805, // CLPER.i32 r8, r5, ^r8.b00
    0x501F_C030_0000_0449, // BRANCHZ.eq.reconverge ^r9.h0, offset:4
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C604_8049_46E2, // ICMP_OR.u32.lt.m1 r6, lane_id.w0, ^r6, ^r9
    0x0150_C600_4847_C046, // CSEL.u32.eq r6, ^r6, 0x0, ^r7, ^r8
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C500_0000_4605, // IADD.s32 r5, r5, ^r6
    0x0110_C600_0000_04C0, // IADD_IMM.i32 r6, 0x0, #0x4
    0x0091_C700_0000_00C0, // MOV.i32 r7, 0x0
    0x06B4_C601_1246_47E2, // LSHIFT_XOR.i32 r6, lane_id.w0, ^r7.b00, ^r6
    0x5110_C700_0000_00C0, // IADD_IMM.i32.reconverge r7, 0x0, #0x0
    0x0095_C830_0000_00C1, // WMASK r8, 0xFFFFFFFF
    0x00A8_C900_0001_08C0, // ISUB.s32 r9, 0x0, r8
    0x00B4_C801_1049_C048, // LSHIFT_AND.i32 r8, ^r8, 0x0.b00, ^r9
    0x0091_C800_0004_0048, // CLZ.u32 r8, ^r8
    0x00A0_C870_0001_48CF, // ISUB.u32 r8, 0x1F1E1D1C.b3, ^r8
    0x06A0_C930_100F_08E2, // CLPER.i32 r9, lane_id.w0, r8.b00
    0x00F0_C900_80C0_4906, // ICMP_OR.u32.eq.m1 r9, r6, ^r9, 0x0
    0x00A0_CA30_100F_0805, // CLPER.i32 r10, r5, r8.b00
    0x0150_C700_4A47_C049, // CSEL.u32.eq r7, ^r9, 0x0, ^r7, ^r10
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C900_8049_08E2, // ICMP_OR.u32.eq.m1 r9, lane_id.w0, r8, ^r9
    0x00A0_C830_100F_4806, // CLPER.i32 r8, r6, ^r8.b00
    0x00A0_C830_100F_4805, // CLPER.i32 r8, r5, ^r8.b00
    0x501F_C030_0000_0449, // BRANCHZ.eq.reconverge ^r9.h0, offset:4
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C604_8049_46E2, // ICMP_OR.u32.lt.m1 r6, lane_id.w0, ^r6, ^r9
    0x0150_C600_4847_C046, // CSEL.u32.eq r6, ^r6, 0x0, ^r7, ^r8
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C500_0000_4605, // IADD.s32 r5, r5, ^r6
    0x0110_C600_0000_08C0, // IADD_IMM.i32 r6, 0x0, #0x8
    0x0091_C700_0000_00C0, // MOV.i32 r7, 0x0
    0x06B4_C601_1246_47E2, // LSHIFT_XOR.i32 r6, lane_id.w0, ^r7.b00, ^r6
    0x5110_C700_0000_00C0, // IADD_IMM.i32.reconverge r7, 0x0, #0x0
    0x0095_C830_0000_00C1, // WMASK r8, 0xFFFFFFFF
    0x00A8_C900_0001_08C0, // ISUB.s32 r9, 0x0, r8
    0x00B4_C801_1049_C048, // LSHIFT_AND.i32 r8, ^r8, 0x0.b00, ^r9
    0x0091_C800_0004_0048, // CLZ.u32 r8, ^r8
    0x00A0_C870_0001_48CF, // ISUB.u32 r8, 0x1F1E1D1C.b3, ^r8
    0x06A0_C930_100F_08E2, // CLPER.i32 r9, lane_id.w0, r8.b00
    0x00F0_C900_80C0_4906, // ICMP_OR.u32.eq.m1 r9, r6, ^r9, 0x0
    0x00A0_CA30_100F_0805, // CLPER.i32 r10, r5, r8.b00
    0x0150_C700_4A47_C049, // CSEL.u32.eq r7, ^r9, 0x0, ^r7, ^r10
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C900_8049_08E2, // ICMP_OR.u32.eq.m1 r9, lane_id.w0, r8, ^r9
    0x00A0_C830_100F_4806, // CLPER.i32 r8, r6, ^r8.b00
    0x00A0_C830_100F_4805, // CLPER.i32 r8, r5, ^r8.b00
    0x501F_C030_0000_0449, // BRANCHZ.eq.reconverge ^r9.h0, offset:4
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C604_8049_46E2, // ICMP_OR.u32.lt.m1 r6, lane_id.w0, ^r6, ^r9
    0x0150_C600_4847_C046, // CSEL.u32.eq r6, ^r6, 0x0, ^r7, ^r8
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C500_0000_4605, // IADD.s32 r5, r5, ^r6
    0x501F_C010_0000_BCC0, // BRANCHZ.eq.reconverge 0x0, offset:188
    0x0691_C600_0000_00E2, // MOV.i32 r6, lane_id.w0
    0x00B4_C601_11C0_46C1, // LSHIFT_OR.i32 r6, 0xFFFFFFFF, ^r6.b00, 0x0
    0x00B4_C609_1146_C0C0, // LSHIFT_OR.i32 r6, 0x0, 0x0.b00, ^r6.not
    0x00B4_C601_1046_C005, // LSHIFT_AND.i32 r6, r5, 0x0.b00, ^r6
    0x0090_C700_0014_0006, // U16_TO_U32 r7, r6.h00
    0x0091_C700_0004_0047, // CLZ.u32 r7, ^r7
    0x00A0_C770_0001_47CF, // ISUB.u32 r7, 0x1F1E1D1C.b3, ^r7
    0x5110_C800_0000_00C0, // IADD_IMM.i32.reconverge r8, 0x0, #0x0
    0x0095_C930_0000_00C1, // WMASK r9, 0xFFFFFFFF
    0x00A8_CA00_0001_09C0, // ISUB.s32 r10, 0x0, r9
    0x00B4_C901_104A_C049, // LSHIFT_AND.i32 r9, ^r9, 0x0.b00, ^r10
    0x0091_C900_0004_0049, // CLZ.u32 r9, ^r9
    0x00A0_C970_0001_49CF, // ISUB.u32 r9, 0x1F1E1D1C.b3, ^r9
    0x06A0_CA30_100F_09E2, // CLPER.i32 r10, lane_id.w0, r9.b00
    0x00F0_CA00_80C0_4A07, // ICMP_OR.u32.eq.m1 r10, r7, ^r10, 0x0
    0x00A0_CB30_100F_0904, // CLPER.i32 r11, r4, r9.b00
    0x0150_C800_4B48_C04A, // CSEL.u32.eq r8, ^r10, 0x0, ^r8, ^r11
    0x0091_CA00_0000_00C0, // MOV.i32 r10, 0x0
    0x06F0_CA00_804A_09E2, // ICMP_OR.u32.eq.m1 r10, lane_id.w0, r9, ^r10
    0x00A0_C930_100F_4907, // CLPER.i32 r9, r7, ^r9.b00
    0x00A0_C930_100F_4904, // CLPER.i32 r9, r4, ^r9.b00
    0x501F_C030_0000_044A, // BRANCHZ.eq.reconverge ^r10.h0, offset:4
    0x0091_CA00_0000_00C0, // MOV.i32 r10, 0x0
    0x06F0_CA04_804A_07E2, // ICMP_OR.u32.lt.m1 r10, lane_id.w0, r7, ^r10
    0x0150_C800_4948_C00A, // CSEL.u32.eq r8, r10, 0x0, ^r8, ^r9
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C800_0000_4804, // IADD.s32 r8, r4, ^r8
    0x00F0_C903_80C0_C006, // ICMP_OR.u32.ne.m1 r9, r6, 0x0, 0x0
    0x0150_C800_4804_C009, // CSEL.u32.eq r8, r9, 0x0, r4, ^r8
    0x5110_CB00_0000_00C0, // IADD_IMM.i32.reconverge r11, 0x0, #0x0
    0x0095_CC30_0000_00C1, // WMASK r12, 0xFFFFFFFF
    0x00A8_CD00_0001_0CC0, // ISUB.s32 r13, 0x0, r12
    0x00B4_CC01_104D_C04C, // LSHIFT_AND.i32 r12, ^r12, 0x0.b00, ^r13
    0x0091_CC00_0004_004C, // CLZ.u32 r12, ^r12
    0x00A0_CC70_0001_4CCF, // ISUB.u32 r12, 0x1F1E1D1C.b3, ^r12
    0x06A0_CD30_100F_0CE2, // CLPER.i32 r13, lane_id.w0, r12.b00
    0x00F0_CD00_80C0_4D07, // ICMP_OR.u32.eq.m1 r13, r7, ^r13, 0x0
    0x00A0_CE30_100F_0C06, // CLPER.i32 r14, r6, r12.b00
    0x0150_CB00_4E4B_C04D, // CSEL.u32.eq r11, ^r13, 0x0, ^r11, ^r14
    0x0091_CD00_0000_00C0, // MOV.i32 r13, 0x0
    0x06F0_CD00_804D_0CE2, // ICMP_OR.u32.eq.m1 r13, lane_id.w0, r12, ^r13
    0x00A0_CC30_100F_4C07, // CLPER.i32 r12, r7, ^r12.b00
    0x00A0_CC30_100F_4C06, // CLPER.i32 r12, r6, ^r12.b00
    0x501F_C030_0000_024D, // BRANCHZ.eq.reconverge ^r13.h0, offset:2
    0x0150_C600_4C4B_C04A, // CSEL.u32.eq r6, ^r10, 0x0, ^r11, ^r12
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EFC0, // BRANCHZ.eq.reconverge 0x0, offset:-17
    0x0150_C600_46C0_C049, // CSEL.u32.eq r6, ^r9, 0x0, 0x0, ^r6
    0x0090_C700_0014_0006, // U16_TO_U32 r7, r6.h00
    0x0091_C700_0004_0047, // CLZ.u32 r7, ^r7
    0x00A0_C770_0001_47CF, // ISUB.u32 r7, 0x1F1E1D1C.b3, ^r7
    0x5110_C900_0000_00C0, // IADD_IMM.i32.reconverge r9, 0x0, #0x0
    0x0095_CA30_0000_00C1, // WMASK r10, 0xFFFFFFFF
    0x00A8_CB00_0001_0AC0, // ISUB.s32 r11, 0x0, r10
    0x00B4_CA01_104B_C04A, // LSHIFT_AND.i32 r10, ^r10, 0x0.b00, ^r11
    0x0091_CA00_0004_004A, // CLZ.u32 r10, ^r10
    0x00A0_CA70_0001_4ACF, // ISUB.u32 r10, 0x1F1E1D1C.b3, ^r10
    0x06A0_CB30_100F_0AE2, // CLPER.i32 r11, lane_id.w0, r10.b00
    0x00F0_CB00_80C0_4B07, // ICMP_OR.u32.eq.m1 r11, r7, ^r11, 0x0
    0x00A0_CC30_100F_0A08, // CLPER.i32 r12, r8, r10.b00
    0x0150_C900_4C49_C04B, // CSEL.u32.eq r9, ^r11, 0x0, ^r9, ^r12
    0x0091_CB00_0000_00C0, // MOV.i32 r11, 0x0
    0x06F0_CB00_804B_0AE2, // ICMP_OR.u32.eq.m1 r11, lane_id.w0, r10, ^r11
    0x00A0_CA30_100F_4A07, // CLPER.i32 r10, r7, ^r10.b00
    0x00A0_CA30_100F_4A08, // CLPER.i32 r10, r8, ^r10.b00
    0x501F_C030_0000_044B, // BRANCHZ.eq.reconverge ^r11.h0, offset:4
    0x0091_CB00_0000_00C0, // MOV.i32 r11, 0x0
    0x06F0_CB04_804B_07E2, // ICMP_OR.u32.lt.m1 r11, lane_id.w0, r7, ^r11
    0x0150_C900_4A49_C00B, // CSEL.u32.eq r9, r11, 0x0, ^r9, ^r10
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C900_0000_4908, // IADD.s32 r9, r8, ^r9
    0x00F0_CA03_80C0_C006, // ICMP_OR.u32.ne.m1 r10, r6, 0x0, 0x0
    0x0150_C800_4948_C00A, // CSEL.u32.eq r8, r10, 0x0, ^r8, ^r9
    0x5110_C900_0000_00C0, // IADD_IMM.i32.reconverge r9, 0x0, #0x0
    0x0095_CC30_0000_00C1, // WMASK r12, 0xFFFFFFFF
    0x00A8_CD00_0001_0CC0, // ISUB.s32 r13, 0x0, r12
    0x00B4_CC01_104D_C04C, // LSHIFT_AND.i32 r12, ^r12, 0x0.b00, ^r13
    0x0091_CC00_0004_004C, // CLZ.u32 r12, ^r12
    0x00A0_CC70_0001_4CCF, // ISUB.u32 r12, 0x1F1E1D1C.b3, ^r12
    0x06A0_CD30_100F_0CE2, // CLPER.i32 r13, lane_id.w0, r12.b00
    0x00F0_CD00_80C0_4D07, // ICMP_OR.u32.eq.m1 r13, r7, ^r13, 0x0
    0x00A0_CE30_100F_0C06, // CLPER.i32 r14, r6, r12.b00
    0x0150_C900_4E49_C04D, // CSEL.u32.eq r9, ^r13, 0x0, ^r9, ^r14
    0x0091_CD00_0000_00C0, // MOV.i32 r13, 0x0
    0x06F0_CD00_804D_0CE2, // ICMP_OR.u32.eq.m1 r13, lane_id.w0, r12, ^r13
    0x00A0_CC30_100F_4C07, // CLPER.i32 r12, r7, ^r12.b00
    0x00A0_CC30_100F_4C06, // CLPER.i32 r12, r6, ^r12.b00
    0x501F_C030_0000_024D, // BRANCHZ.eq.reconverge ^r13.h0, offset:2
    0x0150_C600_4C49_C04B, // CSEL.u32.eq r6, ^r11, 0x0, ^r9, ^r12
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EFC0, // BRANCHZ.eq.reconverge 0x0, offset:-17
    0x0150_C600_46C0_C04A, // CSEL.u32.eq r6, ^r10, 0x0, 0x0, ^r6
    0x0090_C700_0014_0006, // U16_TO_U32 r7, r6.h00
    0x0091_C700_0004_0047, // CLZ.u32 r7, ^r7
    0x00A0_C770_0001_47CF, // ISUB.u32 r7, 0x1F1E1D1C.b3, ^r7
    0x5110_C900_0000_00C0, // IADD_IMM.i32.reconverge r9, 0x0, #0x0
    0x0095_CA30_0000_00C1, // WMASK r10, 0xFFFFFFFF
    0x00A8_CB00_0001_0AC0, // ISUB.s32 r11, 0x0, r10
    0x00B4_CA01_104B_C04A, // LSHIFT_AND.i32 r10, ^r10, 0x0.b00, ^r11
    0x0091_CA00_0004_004A, // CLZ.u32 r10, ^r10
    0x00A0_CA70_0001_4ACF, // ISUB.u32 r10, 0x1F1E1D1C.b3, ^r10
    0x06A0_CB30_100F_0AE2, // CLPER.i32 r11, lane_id.w0, r10.b00
    0x00F0_CB00_80C0_4B07, // ICMP_OR.u32.eq.m1 r11, r7, ^r11, 0x0
    0x00A0_CC30_100F_0A08, // CLPER.i32 r12, r8, r10.b00
    0x0150_C900_4C49_C04B, // CSEL.u32.eq r9, ^r11, 0x0, ^r9, ^r12
    0x0091_CB00_0000_00C0, // MOV.i32 r11, 0x0
    0x06F0_CB00_804B_0AE2, // ICMP_OR.u32.eq.m1 r11, lane_id.w0, r10, ^r11
    0x00A0_CA30_100F_4A07, // CLPER.i32 r10, r7, ^r10.b00
    0x00A0_CA30_100F_4A08, // CLPER.i32 r10, r8, ^r10.b00
    0x501F_C030_0000_044B, // BRANCHZ.eq.reconverge ^r11.h0, offset:4
    0x0091_CB00_0000_00C0, // MOV.i32 r11, 0x0
    0x06F0_CB04_804B_07E2, // ICMP_OR.u32.lt.m1 r11, lane_id.w0, r7, ^r11
    0x0150_C900_4A49_C00B, // CSEL.u32.eq r9, r11, 0x0, ^r9, ^r10
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C900_0000_4908, // IADD.s32 r9, r8, ^r9
    0x00F0_CA03_80C0_C006, // ICMP_OR.u32.ne.m1 r10, r6, 0x0, 0x0
    0x0150_C800_4948_C00A, // CSEL.u32.eq r8, r10, 0x0, ^r8, ^r9
    0x5110_C900_0000_00C0, // IADD_IMM.i32.reconverge r9, 0x0, #0x0
    0x0095_CC30_0000_00C1, // WMASK r12, 0xFFFFFFFF
    0x00A8_CD00_0001_0CC0, // ISUB.s32 r13, 0x0, r12
    0x00B4_CC01_104D_C04C, // LSHIFT_AND.i32 r12, ^r12, 0x0.b00, ^r13
    0x0091_CC00_0004_004C, // CLZ.u32 r12, ^r12
    0x00A0_CC70_0001_4CCF, // ISUB.u32 r12, 0x1F1E1D1C.b3, ^r12
    0x06A0_CD30_100F_0CE2, // CLPER.i32 r13, lane_id.w0, r12.b00
    0x00F0_CD00_80C0_4D07, // ICMP_OR.u32.eq.m1 r13, r7, ^r13, 0x0
    0x00A0_CE30_100F_0C06, // CLPER.i32 r14, r6, r12.b00
    0x0150_C900_4E49_C04D, // CSEL.u32.eq r9, ^r13, 0x0, ^r9, ^r14
    0x0091_CD00_0000_00C0, // MOV.i32 r13, 0x0
    0x06F0_CD00_804D_0CE2, // ICMP_OR.u32.eq.m1 r13, lane_id.w0, r12, ^r13
    0x00A0_CC30_100F_4C07, // CLPER.i32 r12, r7, ^r12.b00
    0x00A0_CC30_100F_4C06, // CLPER.i32 r12, r6, ^r12.b00
    0x501F_C030_0000_024D, // BRANCHZ.eq.reconverge ^r13.h0, offset:2
    0x0150_C600_4C49_C04B, // CSEL.u32.eq r6, ^r11, 0x0, ^r9, ^r12
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EFC0, // BRANCHZ.eq.reconverge 0x0, offset:-17
    0x0150_C600_46C0_C04A, // CSEL.u32.eq r6, ^r10, 0x0, 0x0, ^r6
    0x0090_C700_0014_0006, // U16_TO_U32 r7, r6.h00
    0x0091_C700_0004_0047, // CLZ.u32 r7, ^r7
    0x00A0_C770_0001_47CF, // ISUB.u32 r7, 0x1F1E1D1C.b3, ^r7
    0x5110_C900_0000_00C0, // IADD_IMM.i32.reconverge r9, 0x0, #0x0
    0x0095_CA30_0000_00C1, // WMASK r10, 0xFFFFFFFF
    0x00A8_CB00_0001_0AC0, // ISUB.s32 r11, 0x0, r10
    0x00B4_CA01_104B_C04A, // LSHIFT_AND.i32 r10, ^r10, 0x0.b00, ^r11
    0x0091_CA00_0004_004A, // CLZ.u32 r10, ^r10
    0x00A0_CA70_0001_4ACF, // ISUB.u32 r10, 0x1F1E1D1C.b3, ^r10
    0x06A0_CB30_100F_0AE2, // CLPER.i32 r11, lane_id.w0, r10.b00
    0x00F0_CB00_80C0_4B07, // ICMP_OR.u32.eq.m1 r11, r7, ^r11, 0x0
    0x00A0_CC30_100F_0A08, // CLPER.i32 r12, r8, r10.b00
    0x0150_C900_4C49_C04B, // CSEL.u32.eq r9, ^r11, 0x0, ^r9, ^r12
    0x0091_CB00_0000_00C0, // MOV.i32 r11, 0x0
    0x06F0_CB00_804B_0AE2, // ICMP_OR.u32.eq.m1 r11, lane_id.w0, r10, ^r11
    0x00A0_CA30_100F_4A07, // CLPER.i32 r10, r7, ^r10.b00
    0x00A0_CA30_100F_4A08, // CLPER.i32 r10, r8, ^r10.b00
    0x501F_C030_0000_044B, // BRANCHZ.eq.reconverge ^r11.h0, offset:4
    0x0091_CB00_0000_00C0, // MOV.i32 r11, 0x0
    0x06F0_C704_804B_47E2, // ICMP_OR.u32.lt.m1 r7, lane_id.w0, ^r7, ^r11
    0x0150_C700_4A49_C047, // CSEL.u32.eq r7, ^r7, 0x0, ^r9, ^r10
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x00A8_C700_0000_4708, // IADD.s32 r7, r8, ^r7
    0x00F0_C603_80C0_C046, // ICMP_OR.u32.ne.m1 r6, ^r6, 0x0, 0x0
    0x0150_C600_4748_C046, // CSEL.u32.eq r6, ^r6, 0x0, ^r8, ^r7
    0x0090_C500_0014_0005, // U16_TO_U32 r5, r5.h00
    0x0091_C500_0004_0005, // CLZ.u32 r5, r5
    0x00A0_C570_0001_05CF, // ISUB.u32 r5, 0x1F1E1D1C.b3, r5
    0x5110_C700_0000_00C0, // IADD_IMM.i32.reconverge r7, 0x0, #0x0
    0x0095_C830_0000_00C1, // WMASK r8, 0xFFFFFFFF
    0x00A8_C900_0001_08C0, // ISUB.s32 r9, 0x0, r8
    0x00B4_C801_1049_C048, // LSHIFT_AND.i32 r8, ^r8, 0x0.b00, ^r9
    0x0091_C800_0004_0048, // CLZ.u32 r8, ^r8
    0x00A0_C870_0001_48CF, // ISUB.u32 r8, 0x1F1E1D1C.b3, ^r8
    0x06A0_C930_100F_08E2, // CLPER.i32 r9, lane_id.w0, r8.b00
    0x00F0_C900_80C0_4905, // ICMP_OR.u32.eq.m1 r9, r5, ^r9, 0x0
    0x00A0_CA30_100F_0806, // CLPER.i32 r10, r6, r8.b00
    0x0150_C700_4A47_C049, // CSEL.u32.eq r7, ^r9, 0x0, ^r7, ^r10
    0x0091_C900_0000_00C0, // MOV.i32 r9, 0x0
    0x06F0_C900_8049_08E2, // ICMP_OR.u32.eq.m1 r9, lane_id.w0, r8, ^r9
    0x00A0_C830_100F_4805, // CLPER.i32 r8, r5, ^r8.b00
    0x00A0_C830_100F_4806, // CLPER.i32 r8, r6, ^r8.b00
    0x501F_C030_0000_0449, // BRANCHZ.eq.reconverge ^r9.h0, offset:4
    0x0091_C600_0000_00C0, // MOV.i32 r6, 0x0
    0x06F0_C504_8046_05E2, // ICMP_OR.u32.lt.m1 r5, lane_id.w0, r5, ^r6
    0x0150_C500_4847_C005, // CSEL.u32.eq r5, r5, 0x0, ^r7, ^r8
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x0110_C600_0000_0803, // IADD_IMM.i32 r6, r3, #0x8
    0x0110_C701_0000_01C0, // IADD_IMM.i32 r7, 0x0, #0x1000001
    0x306B_8804_8000_0746, // LEA_BUFFER.slot2.wait12 @r8:r9, ^r6, r7
    0x0061_4502_1800_0048, // STORE.i32.slot0 @r5, ^r8, offset:0
    0x0095_C530_0000_00C1, // WMASK r5, 0xFFFFFFFF
    0x00A8_C600_0001_05C0, // ISUB.s32 r6, 0x0, r5
    0x00B4_C501_1046_C005, // LSHIFT_AND.i32 r5, r5, 0x0.b00, ^r6
    0x0091_C500_0004_0005, // CLZ.u32 r5, r5
    0x00A0_C570_0001_05CF, // ISUB.u32 r5, 0x1F1E1D1C.b3, r5
    0x00A0_C530_100F_0504, // CLPER.i32 r5, r4, r5.b00
    0x0110_C600_0000_0C03, // IADD_IMM.i32 r6, r3, #0xC
    0x186B_8604_4000_4746, // LEA_BUFFER.slot1.wait01 @r6:r7, ^r6, ^r7
    0x0061_4502_9800_0046, // STORE.i32.slot2 @r5, ^r6, offset:0
    0x0110_C500_0000_01C0, // IADD_IMM.i32 r5, 0x0, #0x1
    0x0091_C600_0000_00C0, // MOV.i32 r6, 0x0
    0x06B4_C501_1205_46E2, // LSHIFT_XOR.i32 r5, lane_id.w0, ^r6.b00, r5
    0x5110_C600_0000_00C0, // IADD_IMM.i32.reconverge r6, 0x0, #0x0
    0x0095_C730_0000_00C1, // WMASK r7, 0xFFFFFFFF
    0x00A8_C800_0001_07C0, // ISUB.s32 r8, 0x0, r7
    0x00B4_C701_1048_C047, // LSHIFT_AND.i32 r7, ^r7, 0x0.b00, ^r8
    0x0091_C700_0004_0047, // CLZ.u32 r7, ^r7
    0x00A0_C770_0001_47CF, // ISUB.u32 r7, 0x1F1E1D1C.b3, ^r7
    0x06A0_C830_100F_07E2, // CLPER.i32 r8, lane_id.w0, r7.b00
    0x00F0_C800_80C0_4805, // ICMP_OR.u32.eq.m1 r8, r5, ^r8, 0x0
    0x00A0_C930_100F_0704, // CLPER.i32 r9, r4, r7.b00
    0x0150_C600_4946_C048, // CSEL.u32.eq r6, ^r8, 0x0, ^r6, ^r9
    0x0091_C800_0000_00C0, // MOV.i32 r8, 0x0
    0x06F0_C800_8048_07E2, // ICMP_OR.u32.eq.m1 r8, lane_id.w0, r7, ^r8
    0x00A0_C730_100F_4705, // CLPER.i32 r7, r5, ^r7.b00
    0x00A0_C730_100F_4704, // CLPER.i32 r7, r4, ^r7.b00
    0x501F_C030_0000_0448, // BRANCHZ.eq.reconverge ^r8.h0, offset:4
    0x0091_C800_0000_00C0, // MOV.i32 r8, 0x0
    0x06F0_C504_8048_05E2, // ICMP_OR.u32.lt.m1 r5, lane_id.w0, r5, ^r8
    0x0150_C500_4746_C005, // CSEL.u32.eq r5, r5, 0x0, ^r6, ^r7
    0x001F_C010_0000_01C0, // BRANCHZ.eq 0x0, offset:1
    0x501F_C017_FFFF_EDC0, // BRANCHZ.eq.reconverge 0x0, offset:-19
    0x0110_C600_0000_1003, // IADD_IMM.i32 r6, r3, #0x10
    0x0110_C701_0000_01C0, // IADD_IMM.i32 r7, 0x0, #0x1000001
    0x286B_8804_0000_0746, // LEA_BUFFER.slot0.wait02 @r8:r9, ^r6, r7
    0x0061_4502_5800_0048, // STORE.i32.slot1 @r5, ^r8, offset:0
    0x0110_C500_0000_64C0, // IADD_IMM.i32 r5, 0x0, #0x64
    0x00F0_C502_80C0_0405, // ICMP_OR.u32.ge.m1 r5, r5, r4, 0x0
    0x0095_C530_0000_0005, // WMASK r5, r5
    0x0110_C600_0000_1403, // IADD_IMM.i32 r6, r3, #0x14
    0x006B_8804_8000_0746, // LEA_BUFFER.slot2 @r8:r9, ^r6, r7
    0x30F0_C500_00C0_C005, // ICMP_OR.u32.eq.i1.wait12 r5, r5, 0x0, 0x0
    0x0061_4502_1800_0048, // STORE.i32.slot0 @r5, ^r8, offset:0
    0x0110_C500_0055_5AC0, // IADD_IMM.i32 r5, 0x0, #0x555A
    0x00F0_C404_80C0_4405, // ICMP_OR.u32.lt.m1 r4, r5, ^r4, 0x0
    0x0095_C430_0000_0044, // WMASK r4, ^r4
    0x0110_C500_0000_1803, // IADD_IMM.i32 r5, r3, #0x18
    0x186B_8804_4000_0705, // LEA_BUFFER.slot1.wait01 @r8:r9, r5, r7
    0x0061_4402_9800_0048, // STORE.i32.slot2 @r4, ^r8, offset:0
    0x00A0_C000_000A_4085, // IMUL.i32 r0, u5, ^r0
    0x00A8_C000_0000_4041, // IADD.s32 r0, ^r1, ^r0
    0x00A0_C000_000A_4084, // IMUL.i32 r0, u4, ^r0
    0x00A8_C000_0000_4042, // IADD.s32 r0, ^r2, ^r0
    0x00B4_C000_11C0_C940, // RSHIFT_OR.i32 r0, ^r0, 0x7060504.b00, 0x0
    0x0110_C100_0000_1C43, // IADD_IMM.i32 r1, ^r3, #0x1C
    0x286B_8204_0000_4741, // LEA_BUFFER.slot0.wait02 @r2:r3, ^r1, ^r7
    0x7861_4002_5800_0042, // STORE.i32.slot1.end @r0, ^r2, offset:0
];
