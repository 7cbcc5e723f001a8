// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Buffers through the shader resource table: panvk's compiled times3 shader, out-of-bounds loads, bad handles.

use super::*;

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
