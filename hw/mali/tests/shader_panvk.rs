// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shaders exactly as Mesa 25.0.7 compiles them for panvk, run on the modelled GPU the way panvk launches them: the
//! resource table (entry 0 the driver set, entry 1 descriptor set 0 with two storage-buffer descriptors), push
//! constants in the FAU after the base-workgroup sysval, workgroup-local storage from the thread storage descriptor
//! (`Documentation/hardware.md#shader-core`). The words are the compiler's disassembly (`BIFROST_MESA_DEBUG=shaders`)
//! put back through Mesa's assembler (`asm.py`); the GLSL is in each constant's comment.

mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::fields::CsReq;

const BINARY: u64 = CODE_VA;
const SPD: u64 = CODE_VA + 0x1000;
const TSD: u64 = SPD + 0x40;
const FAU: u64 = SPD + 0x100;
const SRT: u64 = SPD + 0x400;
const SET0: u64 = SPD + 0x800;
const INPUT: u64 = CODE_VA + 0x2000;
const OUTPUT: u64 = CODE_VA + 0x3000;
/// Workgroup-local storage: two instances of 256 bytes.
const WLS: u64 = RESULT_VA;

/// ```glsl
/// layout(local_size_x = 64) in;
/// shared uint s[64];
/// void main() {
///     uint l = gl_LocalInvocationID.x, g = gl_GlobalInvocationID.x;
///     s[l] = src.v[g];
///     barrier();
///     dst.v[g] = s[63u - l] + l * pc.k + gl_WorkGroupID.x;
/// }
/// ```
const SHARED_REVERSE: [u64; 24] = [
    0x0090_C000_0014_0077, // U16_TO_U32 r0, ^r55.h00
    0x00A8_C100_0000_8079, // IADD.s32 r1, ^r57, u0
    0x00B4_C201_19C0_C901, // LSHIFT_OR.i32 r2, r1, 0x7060504.b22, 0x0
    0x00A8_C200_0000_0042, // IADD.s32 r2, ^r2, r0
    0x00B4_C201_19C0_C842, // LSHIFT_OR.i32 r2, ^r2, 0x3020100.b22, 0x0
    0x006A_8382_1800_C402, // LD_BUFFER.i32.unsigned.slot0 @r3, r2, 0x1000000
    0x00B4_C401_19C0_C800, // LSHIFT_OR.i32 r4, r0, 0x3020100.b22, 0x0
    0x02A0_C400_0000_44E6, // IADD.u32 r4, workgroup_local_pointer.w0, ^r4
    0x0A91_C500_0000_00E7, // MOV.i32.wait0 r5, workgroup_local_pointer.w1
    0x1061_4302_5800_0044, // STORE.i32.slot1.wait1 @r3, ^r4, offset:0
    0x4845_C001_C000_0000, // BARRIER.slot7.wait
    0x00A8_C300_0001_00C0, // ISUB.s32 r3, 0x0, r0
    0x00B4_C301_19C0_C843, // LSHIFT_OR.i32 r3, ^r3, 0x3020100.b22, 0x0
    0x0110_C300_0000_FC43, // IADD_IMM.i32 r3, ^r3, #0xFC
    0x02A0_C300_0000_43E6, // IADD.u32 r3, workgroup_local_pointer.w0, ^r3
    0x0091_C400_0000_0043, // MOV.i32 r4, ^r3
    0x0291_C500_0000_00E7, // MOV.i32 r5, workgroup_local_pointer.w1
    0x0060_8382_9800_0044, // LOAD.i32.unsigned.slot2 @r3, ^r4, offset:0
    0x20A0_C000_000A_8440, // IMUL.i32.wait2 r0, ^r0, u4
    0x00A8_C000_0000_4043, // IADD.s32 r0, ^r3, ^r0
    0x00A8_C000_0000_4140, // IADD.s32 r0, ^r0, ^r1
    0x0110_C101_0000_01C0, // IADD_IMM.i32 r1, 0x0, #0x1000001
    0x086B_8204_0000_4142, // LEA_BUFFER.slot0.wait0 @r2:r3, ^r2, ^r1
    0x7861_4002_5800_0042, // STORE.i32.slot1.end @r0, ^r2, offset:0
];

/// ```glsl
/// layout(local_size_x = 32) in;
/// buffer Out { uint v[64]; int w[64]; uint r[]; } dst;
/// void main() {
///     uint g = gl_GlobalInvocationID.x, x = src.v[g];
///     atomicAdd(dst.v[0], x); atomicMax(dst.v[1], x); atomicMin(dst.v[2], x | 0x80000000u);
///     atomicOr(dst.v[3], 1u << (g & 31u)); atomicXor(dst.v[4], x); atomicAnd(dst.v[5], ~(1u << (g & 15u)));
///     uint old = atomicAdd(dst.v[6], 1u); dst.r[g] = old < 1000u ? 1u : 0u;
///     atomicCompSwap(dst.v[7], g, g + 1u);
///     atomicMax(dst.w[8], int(x) - 20000); atomicMin(dst.w[9], int(x) - 20000);
/// }
/// ```
const ATOMICS: [u64; 62] = [
    0x0090_C000_0014_0077, // U16_TO_U32 r0, ^r55.h00
    0x00A8_C100_0000_8079, // IADD.s32 r1, ^r57, u0
    0x00B4_C101_15C0_C941, // LSHIFT_OR.i32 r1, ^r1, 0x7060504.b11, 0x0
    0x00A8_C000_0000_4041, // IADD.s32 r0, ^r1, ^r0
    0x00B4_C101_19C0_C800, // LSHIFT_OR.i32 r1, r0, 0x3020100.b22, 0x0
    0x006A_8282_1800_C401, // LD_BUFFER.i32.unsigned.slot0 @r2, r1, 0x1000000
    0x0110_C301_0000_01C0, // IADD_IMM.i32 r3, 0x0, #0x1000001
    0x086B_8404_4000_03C0, // LEA_BUFFER.slot1.wait0 @r4:r5, 0x0, r3
    0x1091_C600_0000_0002, // MOV.i32.wait1 r6, r2
    0x0120_C602_9886_0044, // ATOM_RETURN.i32.slot2.aadd @r6, @r6, ^r4, offset:0x0
    0x0110_C400_0000_04C0, // IADD_IMM.i32 r4, 0x0, #0x4
    0x206B_8404_0000_0344, // LEA_BUFFER.slot0.wait2 @r4:r5, ^r4, r3
    0x0891_C600_0000_0002, // MOV.i32.wait0 r6, r2
    0x0120_C602_5AC6_0044, // ATOM_RETURN.i32.slot1.aumax @r6, @r6, ^r4, offset:0x0
    0x0110_C480_0000_00C0, // IADD_IMM.i32 r4, 0x0, #0x80000000
    0x00B4_C401_1144_C002, // LSHIFT_OR.i32 r4, r2, 0x0.b00, ^r4
    0x1110_C500_0000_08C0, // IADD_IMM.i32.wait1 r5, 0x0, #0x8
    0x206B_8604_8000_0345, // LEA_BUFFER.slot2.wait2 @r6:r7, ^r5, r3
    0x0920_C402_1A84_0046, // ATOM_RETURN.i32.slot0.aumin.wait0 @r4, @r4, ^r6, offset:0x0
    0x00B4_C471_11C0_00C4, // LSHIFT_OR.i32 r4, 0x1000000.b3, r0.b00, 0x0
    0x0110_C500_0000_0CC0, // IADD_IMM.i32 r5, 0x0, #0xC
    0x106B_8604_4000_0345, // LEA_BUFFER.slot1.wait1 @r6:r7, ^r5, r3
    0x2120_C402_9B44_0046, // ATOM_RETURN.i32.slot2.aor.wait2 @r4, @r4, ^r6, offset:0x0
    0x0110_C400_0000_10C0, // IADD_IMM.i32 r4, 0x0, #0x10
    0x006B_8404_0000_0344, // LEA_BUFFER.slot0 @r4:r5, ^r4, r3
    0x0891_C600_0000_0002, // MOV.i32.wait0 r6, r2
    0x0120_C602_5B86_0044, // ATOM_RETURN.i32.slot1.axor @r6, @r6, ^r4, offset:0x0
    0x0110_C400_0000_0FC0, // IADD_IMM.i32 r4, 0x0, #0xF
    0x00B4_C401_1044_C000, // LSHIFT_AND.i32 r4, r0, 0x0.b00, ^r4
    0x00B4_C471_11C0_44C4, // LSHIFT_OR.i32 r4, 0x1000000.b3, ^r4.b00, 0x0
    0x1110_C500_0000_14C0, // IADD_IMM.i32.wait1 r5, 0x0, #0x14
    0x006B_8604_8000_0345, // LEA_BUFFER.slot2 @r6:r7, ^r5, r3
    0x20B4_C409_1144_C0C0, // LSHIFT_OR.i32.wait2 r4, 0x0, 0x0.b00, ^r4.not
    0x0920_C402_1B04_0046, // ATOM_RETURN.i32.slot0.aand.wait0 @r4, @r4, ^r6, offset:0x0
    0x0110_C400_0000_18C0, // IADD_IMM.i32 r4, 0x0, #0x18
    0x106B_8404_4000_0344, // LEA_BUFFER.slot1.wait1 @r4:r5, ^r4, r3
    0x0069_8402_9800_0044, // ATOM1_RETURN.i32.slot2.ainc @r4, ^r4, offset:0x0
    0x0110_C100_0002_0041, // IADD_IMM.i32 r1, ^r1, #0x200
    0x006B_8604_0000_0341, // LEA_BUFFER.slot0 @r6:r7, ^r1, r3
    0x2110_C100_0003_E8C0, // IADD_IMM.i32.wait2 r1, 0x0, #0x3E8
    0x08F0_C104_00C0_4144, // ICMP_OR.u32.lt.i1.wait0 r1, ^r4, ^r1, 0x0
    0x0091_C400_0000_0046, // MOV.i32 r4, ^r6
    0x0091_C500_0000_0047, // MOV.i32 r5, ^r7
    0x0061_4102_5800_0044, // STORE.i32.slot1 @r1, ^r4, offset:0
    0x0110_C100_0000_0100, // IADD_IMM.i32 r1, r0, #0x1
    0x0110_C400_0000_1CC0, // IADD_IMM.i32 r4, 0x0, #0x1C
    0x006B_8404_8000_0344, // LEA_BUFFER.slot2 @r4:r5, ^r4, r3
    0x0091_C600_0000_0001, // MOV.i32 r6, r1
    0x2091_C700_0000_0040, // MOV.i32.wait2 r7, ^r0
    0x0091_C000_0000_0044, // MOV.i32 r0, ^r4
    0x0091_C100_0000_0045, // MOV.i32 r1, ^r5
    0x0091_C400_0000_0046, // MOV.i32 r4, ^r6
    0x1091_C500_0000_0047, // MOV.i32.wait1 r5, ^r7
    0x0120_C404_1FC4_0040, // ATOM_RETURN.i32.slot0.compare.axchg @r4, @r4:r5, ^r0, offset:0x0
    0x0110_C0FF_FFB1_E042, // IADD_IMM.i32 r0, ^r2, #0xFFFFB1E0
    0x0910_C100_0001_20C0, // IADD_IMM.i32.wait0 r1, 0x0, #0x120
    0x006B_8404_4000_0341, // LEA_BUFFER.slot1 @r4:r5, ^r1, r3
    0x1091_C100_0000_0000, // MOV.i32.wait1 r1, r0
    0x2120_C102_9A41_0044, // ATOM_RETURN.i32.slot2.asmax.wait2 @r1, @r1, ^r4, offset:0x0
    0x0110_C100_0001_24C0, // IADD_IMM.i32 r1, 0x0, #0x124
    0x086B_8204_0000_4341, // LEA_BUFFER.slot0.wait0 @r2:r3, ^r1, ^r3
    0x7920_C002_5A00_0042, // ATOM_RETURN.i32.slot1.asmin.end @r0, @r0, ^r2, offset:0x0
];

/// A started queue with `binary`, an SPD preloading r55..r62, the SRT and set 0 (binding 0 = INPUT, 1 = OUTPUT), the
/// FAU (u0..u3 sysvals, u4 the first push constant = 7) and a TSD with two 256-byte WLS instances.
fn setup(binary: &[u64]) -> Gpu {
    let t = Gpu::new();
    t.start_group(0, 1);
    t.r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    t.code(BINARY, binary);
    t.set32(SPD, 8 | 1 << 4);
    t.set32(SPD + 4, 0x7F80);
    t.set64(SPD + 8, BINARY);
    // WLS: instances log2 1, size scale 9 (2^8 bytes); base.
    t.set32(TSD + 4, 1 | 9 << 8);
    t.set64(TSD + 16, WLS);
    t.set32(FAU + 16, 7);
    // Resource entries: address, contains-descriptors (bit 24 of word 1), size.
    t.set64(SRT + 16, SET0 | 1 << 56);
    t.set64(SRT + 24, 64);
    for (k, va) in [INPUT, OUTPUT].into_iter().enumerate() {
        let desc = SET0 + 32 * k as u64;
        t.set32(desc, 9 | 1 << 4);
        t.set32(desc + 4, 0x1000);
        t.set64(desc + 8, va);
    }
    t
}

/// Runs `groups` workgroups of `local` threads as panvk's dispatch does, behind Panthor's preamble.
fn dispatch(t: &Gpu, local: u32, groups: u32) {
    dispatch_2d(t, local, 1, groups);
}

/// Runs `groups` workgroups of `x` by `y` threads (r33 = `Compute size workgroup`).
fn dispatch_2d(t: &Gpu, x: u32, y: u32, groups: u32) {
    let stream = [
        move48(0, SRT | 2),
        move48(8, FAU),
        move32(9, 4 << 24),
        move48(16, SPD),
        move48(24, TSD),
        move32(32, 0),
        move32(33, (x - 1) | (y - 1) << 10),
        move32(34, 0),
        move32(35, 0),
        move32(36, 0),
        move32(37, groups),
        move32(38, 1),
        move32(39, 1),
        run_compute(0),
        wait(0xFF),
    ];
    t.code(STREAM_VA, &stream);
    t.submit(
        0,
        0,
        &preamble(0, STREAM_VA, 8 * stream.len() as u32, SYNC_VA),
    );
    t.settle();
    assert_eq!(
        t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0),
        0,
        "no fault"
    );
    assert_eq!(
        (t.mem64(SYNC_VA), t.mem32(SYNC_VA + 8)),
        (1, 0),
        "job done without error"
    );
}

#[test]
fn shared_memory_and_a_barrier_reverse_each_workgroup() {
    let t = setup(&SHARED_REVERSE);
    for g in 0..256u64 {
        t.set32(INPUT + 4 * g, g as u32 ^ 0x5555);
    }
    dispatch(&t, 64, 4);
    for g in 0..256u32 {
        let (wg, l) = (g / 64, g % 64);
        let want = ((wg * 64 + 63 - l) ^ 0x5555) + l * 7 + wg;
        assert_eq!(t.mem32(OUTPUT + 4 * u64::from(g)), want, "out[{g}]");
    }
}

#[test]
fn atomics_as_panvk_compiles_them() {
    let t = setup(&ATOMICS);
    let xs: Vec<u32> = (0..128).map(|g| g ^ 0x5555).collect();
    for (g, x) in xs.iter().enumerate() {
        t.set32(INPUT + 4 * g as u64, *x);
    }
    dispatch(&t, 32, 4);
    let v = |k: u64| t.mem32(OUTPUT + 4 * k);
    assert_eq!(v(0), xs.iter().fold(0u32, |a, x| a.wrapping_add(*x)), "add");
    assert_eq!(v(1), *xs.iter().max().unwrap(), "umax");
    assert_eq!(v(2), 0, "umin against the initial 0");
    assert_eq!(v(3), u32::MAX, "or");
    assert_eq!(v(4), xs.iter().fold(0, |a, x| a ^ x), "xor");
    assert_eq!(v(5), 0, "and");
    assert_eq!(v(6), 128, "every increment counted");
    // Each invocation tries its link of the chain once, so how far it gets depends on the order workgroups run in
    // (they may run in parallel, as on hardware); the first workgroup's own links always succeed, in lane order.
    assert!(
        (32..=128).contains(&v(7)),
        "the compare-and-swap chain ran 0 -> {}",
        v(7)
    );
    let smax = xs.iter().map(|x| *x as i32 - 20000).max().unwrap();
    assert_eq!(v(64 + 8) as i32, smax.max(0), "signed max");
    assert_eq!(v(64 + 9) as i32, 0, "signed min against the initial 0");
    for g in 0..128 {
        assert_eq!(
            v(128 + g),
            1,
            "r[{g}]: the returned old value was below 1000"
        );
    }
}

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
