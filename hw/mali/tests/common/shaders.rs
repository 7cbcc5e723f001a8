// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shader binaries more than one test file runs, exactly as Mesa's panvk compiler emits them (the words put back
//! through Mesa's assembler, `asm.py`).

/// Each workgroup reversing its inputs through workgroup-local storage, with a barrier:
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
pub const SHARED_REVERSE: [u64; 24] = [
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
