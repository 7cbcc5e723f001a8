// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shaders exactly as Mesa 25.0.7 compiles them for panvk, run on the modelled GPU the way panvk launches them: the
//! resource table (entry 0 the driver set, entry 1 descriptor set 0 with two storage-buffer descriptors), push
//! constants in the FAU after the base-workgroup sysval, workgroup-local storage from the thread storage descriptor
//! (`Documentation/hardware.md#shader-core`). The words are the compiler's disassembly (`BIFROST_MESA_DEBUG=shaders`)
//! put back through Mesa's assembler (`asm.py`); the GLSL is in each constant's comment.

mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::csf::cs;

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
    let stream = [
        move48(0, SRT | 2),
        move48(8, FAU),
        move32(9, 4 << 24),
        move48(16, SPD),
        move48(24, TSD),
        move32(32, 0),
        move32(33, local - 1),
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
    assert_eq!(t.cs_events(0, 0, cs::FAULT | cs::FATAL), 0, "no fault");
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
    assert_eq!(v(7), 128, "the compare-and-swap chain ran 0 -> 128");
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
