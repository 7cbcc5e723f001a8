// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Streams that go wrong: invalid instructions, call-stack overflow, fetch and data faults in the group's AS, unusable
//! rings, and random instruction words that must never panic or hang the model.

use super::*;

fn assert_fatal(t: &Gpu, code: u8, info: u64) {
    assert_ne!(t.cs_events(0, 0, CsReq::FATAL.0), 0, "FATAL raised");
    assert_eq!(t.cs_out(0, 0, cs::FATAL_WORD) & 0xFF, u32::from(code));
    assert_eq!(t.cs_out64(0, 0, cs::FATAL_INFO), info);
    let (_, gout) = csf::csg_iface(0);
    assert_ne!(t.rd(gout + csg::CS_IRQ) & 1, 0, "cs_irq_req flags CS 0");
    assert_ne!(t.r.r32(JOB_RAWSTAT) & JobIrq::csg_slot(0).0, 0);
}

#[test]
fn unknown_opcode_is_a_fatal_cs_instr_invalid_at_its_address() {
    let t = Gpu::one_queue();
    run_ring(&t, &[NOP, 0x0A00_0000_0000_0000, move32(1, 1)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0) + 8);
    assert_eq!(regs(&t)[1], 0, "nothing after the fault runs");
}

#[test]
fn v12_only_opcodes_are_invalid_on_v10() {
    for op in [12u64, 19, 26, 27, 28, 30, 31] {
        let t = Gpu::one_queue();
        run_ring(&t, &[op << 56]);
        assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0));
    }
}

#[test]
fn register_out_of_range_is_invalid() {
    let t = Gpu::one_queue();
    run_ring(&t, &[move32(96, 1)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0));
}

#[test]
fn call_beyond_eight_frames_overflows_the_call_stack() {
    let t = Gpu::one_queue();
    // A buffer that calls itself: ring (frame 0) + 7 frames fit, the 8th nested CALL overflows.
    t.code(CODE_VA, &[call(0, 2)]);
    run_ring(&t, &[move48(0, CODE_VA), move32(2, 8), call(0, 2)]);
    assert_fatal(&t, exception::CS_CALL_STACK_OVERFLOW, CODE_VA);
}

#[test]
fn call_length_must_be_a_multiple_of_eight_and_jump_needs_a_buffer() {
    let t = Gpu::one_queue();
    run_ring(&t, &[move48(0, CODE_VA), move32(2, 12), call(0, 2)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0) + 16);
    let t = Gpu::one_queue();
    run_ring(&t, &[move48(0, CODE_VA), move32(2, 8), jump(0, 2)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0) + 16);
}

#[test]
fn jump_replaces_the_current_buffer() {
    let t = Gpu::one_queue();
    t.code(CODE_VA + 0x100, &[move32(7, 7)]);
    run_job(
        &t,
        &[
            move48(0, CODE_VA + 0x100),
            move32(2, 8),
            jump(0, 2),
            move32(7, 99),
        ],
    );
    assert_eq!(regs(&t)[7], 7);
    assert_eq!(
        t.mem64(SYNC_VA),
        1,
        "returned to the ring after the jumped-to buffer"
    );
}

#[test]
fn fetch_from_an_unmapped_ring_faults_in_the_group_as() {
    let t = Gpu::new();
    t.program_group(0, 1);
    let (cin, _) = csf::cs_iface(0, 0);
    t.wr64(cin + cs::RINGBUF_BASE, UNMAPPED_VA);
    t.csg_request(0, csg::STATE_START, CsgReq::ENDPOINT_CONFIG.0, 1);
    let (io_in, _) = Gpu::io(0, 0);
    t.wr64(io_in, 8);
    t.ring_doorbell(1);
    t.settle();
    assert_ne!(
        t.r.r32(MMU_RAWSTAT) & (1 << GROUP_AS),
        0,
        "MMU IRQ for the group's AS"
    );
    assert_eq!(
        t.r.r32(common::as_reg(GROUP_AS, mmu::FAULTSTATUS)) & 0xF8,
        0xC0,
        "translation fault"
    );
    assert_eq!(
        t.r.r64(common::as_reg(GROUP_AS, mmu::FAULTADDRESS)),
        UNMAPPED_VA
    );
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(t.cs_out(0, 0, cs::FAULT_WORD) & 0xF8, 0xC0);
    assert_eq!(t.cs_out64(0, 0, cs::FAULT_INFO), UNMAPPED_VA);
    assert_eq!(
        t.output_extract(0, 0),
        0,
        "the fetch is retried once acknowledged"
    );
}

/// A store to a read-only page: permission fault in the group's AS and a CS FAULT; once the host clears the MMU fault
/// and acknowledges, the job's user stream is abandoned and the preamble's error-propagating SYNC_ADD64 marks the
/// queue's sync object failed; ERROR_BARRIER then clears the error for the next job.
#[test]
fn store_to_a_read_only_page_faults_and_fails_the_job_sync_object() {
    let t = Gpu::one_queue();
    run_job(
        &t,
        &[
            move48(0, RO_VA),
            move32(2, 1),
            stm(2, 0, 1, 0),
            wait(0xFF),
            move32(3, 3),
        ],
    );
    assert_eq!(
        t.r.r32(common::as_reg(GROUP_AS, mmu::FAULTSTATUS)) & 0xFF,
        0xCB,
        "permission fault, level 3"
    );
    assert_eq!(t.r.r64(common::as_reg(GROUP_AS, mmu::FAULTADDRESS)), RO_VA);
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(t.cs_out(0, 0, cs::FAULT_WORD), 0xCB);
    assert_eq!(t.cs_out64(0, 0, cs::FAULT_INFO), RO_VA);
    let extract = t.output_extract(0, 0);
    assert!(
        extract < 128,
        "extract {extract} stays inside the faulting job"
    );
    assert_eq!(t.mem64(SYNC_VA), 0, "halted until acknowledged");

    t.r.w32(MMU_CLEAR, 1 << GROUP_AS);
    t.ack_cs_events(0, 0, CsReq::FAULT.0);
    t.settle();
    assert_eq!(regs(&t)[3], 0, "rest of the user stream abandoned");
    assert_eq!(t.mem64(SYNC_VA), 1);
    assert_eq!(t.mem32(SYNC_VA + 8), 1, "status failed (error propagated)");
    assert_eq!(t.output_extract(0, 0), 128);

    run_job(&t, &[NOP]);
    assert_eq!(t.mem64(SYNC_VA), 2);
    assert_eq!(t.mem32(SYNC_VA + 8), 0, "ERROR_BARRIER cleared the error");
}

#[test]
fn misaligned_sync_object_is_a_data_fault() {
    let t = Gpu::one_queue();
    run_ring(&t, &[move48(0, SYNC_VA + 4), sync_add64(0, 0, false)]);
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD),
        u32::from(exception::DATA_INVALID_FAULT)
    );
}

#[test]
fn run_compute_without_a_shader_descriptor_is_a_data_fault() {
    let t = Gpu::one_queue();
    run_ring(&t, &[run_compute(0)]);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD),
        u32::from(exception::DATA_INVALID_FAULT)
    );
    let t = Gpu::one_queue();
    run_ring(&t, &[move48(16, UNMAPPED_VA), run_compute(0)]);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD) & 0xF8,
        0xC0,
        "descriptor read through the MMU"
    );
}

#[test]
fn a_cs_with_an_unusable_ring_is_fatal_with_a_config_fault() {
    let t = Gpu::new();
    t.program_group(0, 1);
    let (cin, _) = csf::cs_iface(0, 0);
    t.wr(cin + cs::RINGBUF_SIZE, 3000);
    t.csg_request(0, csg::STATE_START, CsgReq::ENDPOINT_CONFIG.0, 1);
    assert_ne!(t.cs_events(0, 0, CsReq::FATAL.0), 0);
    assert_eq!(
        t.cs_out(0, 0, cs::FATAL_WORD),
        u32::from(exception::CS_CONFIG_FAULT)
    );
}

/// Arbitrary instruction words (biased towards defined opcodes, with registers pointing at mapped and unmapped
/// memory) never panic the model, never stop the MCU and never keep it busy beyond bounded batches.
#[test]
fn random_streams_never_panic_or_hang_the_model() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..64 {
        let t = Gpu::one_queue();
        let mut ring = vec![
            move48(0, RESULT_VA),
            move48(2, RO_VA),
            move48(4, SYNC_VA),
            move48(6, CODE_VA),
        ];
        ring.extend((0..120).map(|_| {
            let w = next();
            let op = (w >> 56) % 56;
            // Mostly small register numbers so operands name the pairs set above.
            (w & 0x0000_0000_FFFF_FFFF)
                | op << 56
                | ((w >> 48) % 12) << 48
                | ((w >> 40) % 8) << 40
                | ((w >> 32) % 8) << 32
        }));
        t.code(CODE_VA, &ring);
        t.submit(0, 0, &ring);
        t.r.gpu.advance(100 * EXEC_BATCH_NS);
        assert_eq!(
            t.r.r32(hw_mali::regs::gpu::MCU_STATUS),
            hw_mali::regs::mcu::STATUS_ENABLED
        );
        assert!(t.r.gpu.cs_exec_batches() <= 101);
    }
}
