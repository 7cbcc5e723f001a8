// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Workgroup-shared memory with a barrier, and every atomic, as panvk compiles them.

use super::*;

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
