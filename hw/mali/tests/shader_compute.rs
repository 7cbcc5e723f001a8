// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Compute work on the modelled GPU's shader core, launched as Panthor and panvk launch it: a RUN_COMPUTE (or
//! RUN_COMPUTE_INDIRECT) in a user stream called from Panthor's ring preamble, its staging registers pointing at a
//! Shader Program Descriptor, FAU and buffers in the group's AS (`Documentation/hardware.md#shader-core`). Shader
//! binaries are the words Mesa's Valhall assembler (`asm.py`) emits for the assembly in the comments. Time is stepped
//! explicitly; nothing sleeps.

mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::csf::{cs, csg};
use hw_mali::fields::CsReq;
use hw_mali::regs::mmu;
use hw_mali::shader::exception;

/// The shader binary (one page).
const BINARY: u64 = CODE_VA;
/// SPD at +0, TSD at +0x40, FAU at +0x100, indirect job size at +0x200.
const DESCS: u64 = CODE_VA + 0x1000;
const SPD: u64 = DESCS;
const FAU: u64 = DESCS + 0x100;
const INDIRECT: u64 = DESCS + 0x200;
const INPUT: u64 = CODE_VA + 0x2000;
const OUTPUT: u64 = CODE_VA + 0x3000;

/// out[i] = in[i] * 3 + global_id.x
const TRIPLE: [u64; 6] = [
    0x01A3_C200_0027_3C80, // SHADDX.u64 r2, u0, r60, shift:2
    0x0860_8482_1800_0002, // LOAD.i32.unsigned.slot0.wait0 @r4, r2, offset:0
    0x00A0_C500_1C0A_C804, // IMUL.i32 r5, r4, 0x3020100.b3
    0x00A0_C500_0000_3C05, // IADD.u32 r5, r5, r60
    0x01A3_C600_0027_3C82, // SHADDX.u64 r6, u2, r60, shift:2
    0x7861_4502_1800_0006, // STORE.i32.slot0.end @r5, r6, offset:0
];

/// A started queue with `binary` loaded, a compute SPD (64 registers, r55..r62 preloaded) and the FAU words `fau`.
fn setup(binary: &[u64], fau: &[u32]) -> Gpu {
    let t = Gpu::compute_queue(BINARY, binary, SPD);
    for (k, w) in fau.iter().enumerate() {
        t.set32(FAU + 4 * k as u64, *w);
    }
    t
}

fn ptr(va: u64) -> [u32; 2] {
    [va as u32, (va >> 32) as u32]
}

/// The staging registers of a dispatch of `groups` workgroups of `local` threads along X.
fn staging(fau_words: u32, local: u32, groups: u32) -> Vec<u64> {
    vec![
        move48(0, 0),
        move48(8, FAU),
        move32(9, fau_words.div_ceil(2) << 24),
        move48(16, SPD),
        move48(24, 0),
        move32(32, 0),
        move32(33, local - 1),
        move32(34, 0),
        move32(35, 0),
        move32(36, 0),
        move32(37, groups),
        move32(38, 1),
        move32(39, 1),
    ]
}

fn triple_fau() -> Vec<u32> {
    [ptr(INPUT), ptr(OUTPUT)].concat()
}

#[test]
fn run_compute_computes_in_times_three_plus_the_global_id() {
    let t = setup(&TRIPLE, &triple_fau());
    let n = 3 * 64;
    for i in 0..n {
        t.set32(INPUT + 4 * i, 0x1000 + 5 * i as u32);
    }
    let mut stream = staging(4, 64, 3);
    stream.extend([run_compute(0), wait(0xFF), move32(70, 1)]);
    t.run_job(&stream);

    for i in 0..n {
        let expected = (0x1000 + 5 * i as u32) * 3 + i as u32;
        assert_eq!(t.mem32(OUTPUT + 4 * i), expected, "out[{i}]");
    }
    assert_eq!(t.mem32(OUTPUT + 4 * n), 0, "nothing written past the grid");
    assert_eq!(t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0), 0);
    assert_eq!(
        t.r.gpu.cs_registers(0, 0).unwrap()[70],
        1,
        "the stream went on"
    );
    assert_eq!(t.mem64(SYNC_VA), 1, "the job's sync object signalled");
    assert_eq!(t.mem32(SYNC_VA + 8), 0, "without an error");
}

#[test]
fn run_compute_indirect_takes_its_grid_from_memory_like_panvk() {
    let t = setup(&TRIPLE, &triple_fau());
    for i in 0..40 {
        t.set32(INPUT + 4 * i, i as u32);
    }
    // The job size r37..r39 loaded from the indirect buffer, as panvk does before an indirect dispatch.
    t.set32(INDIRECT, 5);
    t.set32(INDIRECT + 4, 1);
    t.set32(INDIRECT + 8, 1);
    let mut stream = staging(4, 8, 0);
    stream.extend([
        move48(66, INDIRECT),
        ldm(37, 66, 0b111, 0),
        wait(0xFF),
        // RUN_COMPUTE_INDIRECT, 2 workgroups per task, every select 0.
        44 << 56 | 2,
        wait(0xFF),
    ]);
    t.run_job(&stream);
    for i in 0..40u64 {
        assert_eq!(t.mem32(OUTPUT + 4 * i), 4 * i as u32, "out[{i}]");
    }
    assert_eq!(t.mem32(OUTPUT + 160), 0);
    assert_eq!(t.mem32(SYNC_VA + 8), 0);
}

/// The RUN word's selects pick the staging pairs: SRT r0 + 2·sel, FAU r8 + 2·sel, SPD r16 + 2·sel, TSD r24 + 2·sel; the
/// pairs the zero selects name hold garbage here. The job offset (r34) moves the global IDs.
#[test]
fn run_compute_uses_the_selected_staging_registers_and_the_job_offset() {
    let t = setup(&TRIPLE, &triple_fau());
    for i in 0..200 {
        t.set32(INPUT + 4 * i, 7 * i as u32);
    }
    let mut stream = staging(4, 16, 2);
    stream.extend([
        // Move the FAU pointer to r12 (select 2) and the SPD pointer to r22 (select 3); poison r8 and r16.
        move48(12, FAU),
        move32(13, 2 << 24),
        move48(22, SPD),
        move48(8, UNMAPPED_VA),
        move48(16, UNMAPPED_VA),
        move32(34, 100),
        // RUN_COMPUTE: SRT select 1, SPD select 3, TSD select 1, FAU select 2.
        4 << 56 | 1 << 40 | 3 << 42 | 1 << 44 | 2 << 46,
        wait(0xFF),
    ]);
    t.run_job(&stream);
    assert_eq!(t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0), 0);
    for g in 100..132u64 {
        assert_eq!(
            t.mem32(OUTPUT + 4 * g),
            7 * g as u32 * 3 + g as u32,
            "out[{g}]"
        );
    }
    assert_eq!(t.mem32(OUTPUT + 4 * 99), 0, "nothing below the job offset");
    assert_eq!(t.mem32(OUTPUT + 4 * 132), 0, "nothing past the grid");
}

#[test]
fn a_barrier_orders_the_threads_of_each_workgroup() {
    let rotate = [
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
    let t = setup(&rotate, &[ptr(INPUT), ptr(OUTPUT), [15, 0]].concat());
    let mut stream = staging(6, 16, 2);
    stream.extend([run_compute(0), wait(0xFF)]);
    t.run_job(&stream);
    for i in 0..32u64 {
        assert_eq!(t.mem32(OUTPUT + 4 * i), ((i + 1) % 16) as u32, "out[{i}]");
    }
}

/// A store of r55 to the address in u0:u1.
const STORE_TO_U0: [u64; 1] = [0x7861_7702_1800_0080]; // STORE.i32.slot0.end @r55, u0, offset:0

#[test]
fn a_store_to_an_unmapped_page_is_an_mmu_fault_and_fails_the_job() {
    let t = setup(&STORE_TO_U0, &ptr(UNMAPPED_VA + 0x40));
    let mut stream = staging(2, 1, 1);
    stream.extend([run_compute(0), wait(0xFF), move32(70, 1)]);
    t.run_job(&stream);

    assert_ne!(t.r.r32(MMU_RAWSTAT) & (1 << GROUP_AS), 0, "MMU IRQ");
    assert_eq!(
        t.r.r32(common::as_reg(GROUP_AS, mmu::FAULTSTATUS)) & 0xF8,
        0xC0,
        "translation fault"
    );
    assert_eq!(
        t.r.r64(common::as_reg(GROUP_AS, mmu::FAULTADDRESS)),
        UNMAPPED_VA + 0x40
    );
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(t.cs_out(0, 0, cs::FAULT_WORD) & 0xF8, 0xC0);
    assert_eq!(t.cs_out64(0, 0, cs::FAULT_INFO), UNMAPPED_VA + 0x40);

    t.r.w32(MMU_CLEAR, 1 << GROUP_AS);
    t.ack_cs_events(0, 0, CsReq::FAULT.0);
    t.settle();
    assert_eq!(
        t.r.gpu.cs_registers(0, 0).unwrap()[70],
        0,
        "rest of the job abandoned"
    );
    assert_eq!(t.mem64(SYNC_VA), 1);
    assert_eq!(
        t.mem32(SYNC_VA + 8),
        1,
        "the job's sync object carries the error"
    );
}

#[test]
fn a_store_to_a_read_only_page_is_a_permission_fault() {
    let t = setup(&STORE_TO_U0, &ptr(RO_VA + 8));
    let mut stream = staging(2, 1, 1);
    stream.extend([run_compute(0), wait(0xFF)]);
    t.run_job(&stream);
    assert_eq!(
        t.r.r32(common::as_reg(GROUP_AS, mmu::FAULTSTATUS)) & 0xFF,
        0xCB,
        "permission fault, level 3"
    );
    assert_eq!(t.cs_out(0, 0, cs::FAULT_WORD), 0xCB);
    assert_eq!(t.cs_out64(0, 0, cs::FAULT_INFO), RO_VA + 8);
    assert_eq!(t.mem32(RO_VA + 8), 0, "nothing written");
}

#[test]
fn an_instruction_the_model_does_not_execute_is_an_encoding_fault_at_its_address() {
    let t = setup(
        &[
            0x0091_C100_0000_0083, // MOV.i32 r1, u3
            0x0125_4434_17C0_0080, // TEX_FETCH.slot0.f.32.2d @r0:r1:r2:r3, @r4:r5, u0
        ],
        &[0; 4],
    );
    let mut stream = staging(4, 4, 1);
    stream.extend([run_compute(0), wait(0xFF)]);
    t.run_job(&stream);
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD),
        u32::from(exception::INSTR_INVALID_ENC)
    );
    assert_eq!(t.cs_out64(0, 0, cs::FAULT_INFO), BINARY + 8);
}

#[test]
fn a_shader_that_never_ends_is_fatal_once_its_budget_is_used() {
    let t = setup(
        &[
            0x001F_C007_FFFF_FFC1, // BRANCHZ 0xFFFFFFFF, offset:-1
            0x7800_C000_0000_0000, // NOP.end
        ],
        &[],
    );
    let mut stream = staging(0, 1, 1);
    stream.extend([run_compute(0), wait(0xFF)]);
    t.run_job(&stream);
    assert_ne!(t.cs_events(0, 0, CsReq::FATAL.0), 0);
    assert_eq!(
        t.cs_out(0, 0, cs::FATAL_WORD) & 0xFF,
        u32::from(exception::CS_UNRECOVERABLE)
    );
    assert_eq!(t.cs_out64(0, 0, cs::FATAL_INFO), BINARY);
    let (_, gout) = hw_mali::csf::csg_iface(0);
    assert_ne!(t.rd(gout + csg::CS_IRQ) & 1, 0, "reported to the host");
}
