// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Command streams executed by the native MCU, driven as a driver drives them: CSG/CS programming in the shared section,
//! rings and BOs in the group's AS, doorbells over MMIO, results read back from RAM
//! (`Documentation/hardware.md#csg-and-cs-interfaces`, `Documentation/hardware.md#cs-instructions`). Time is stepped
//! explicitly; nothing sleeps.

mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::cs::exception;
use hw_mali::csf::{self, cs, csg, EXEC_BATCH_NS};
use hw_mali::fields::JobIrq;
use hw_mali::fields::{CsReq, CsgReq};
use hw_mali::regs::{block, mmu};

/// A started group 0 with one queue.
fn one_queue() -> Gpu {
    let t = Gpu::new();
    t.start_group(0, 1);
    t.r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    t
}

/// Runs `stream` (a user stream at CODE_VA) as one job of queue 0 of group 0, behind Panthor's preamble, and lets
/// the model settle.
fn run_job(t: &Gpu, stream: &[u64]) {
    t.code(CODE_VA, stream);
    t.submit(
        0,
        0,
        &preamble(0, CODE_VA, 8 * stream.len() as u32, SYNC_VA),
    );
    t.settle();
}

/// Runs `ring` directly in queue 0's ring (no preamble) and settles.
fn run_ring(t: &Gpu, ring: &[u64]) {
    t.submit(0, 0, ring);
    t.settle();
}

fn regs(t: &Gpu) -> [u32; 96] {
    t.r.gpu.cs_registers(0, 0).unwrap()
}

// ---- the IGT job -------------------------------------------------------------------------------------------------

/// `panthor_group@group_submit` end to end (`Documentation/hardware.md#panthors-ring-preamble`,
/// `Documentation/hardware.md#a-submission-end-to-end`): the exact preamble and stream words, 0xDEADBEEF in the result
/// BO, the queue's sync object signalled, extract = insert = 128, SYNC_UPDATE + JOB IRQ 0.
#[test]
fn igt_group_submit_writes_deadbeef_and_signals_the_queue_sync_object() {
    let t = one_queue();
    let stream = [
        0x0144_0000_0100_1000,
        0x0246_0000_DEAD_BEEF,
        0x1546_4400_0001_0000,
        0x0300_0000_00FF_0000,
        0x0246_0000_0000_0000,
        0x2401_4600_0000_0233,
        0x0300_0000_00FF_0000,
    ];
    t.code(STREAM_VA, &stream);
    let ring = preamble(0, STREAM_VA, 56, SYNC_VA);
    let expected_prefix = [
        0x025E_0000_0000_0000,
        0x2400_5E00_0000_0233,
        0x015C_0000_0100_0000,
        0x025E_0000_0000_0038,
    ];
    assert_eq!(
        ring[..4],
        expected_prefix,
        "preamble encoder matches the documented words"
    );
    assert_eq!(ring[4..6], [0x0300_0000_0001_0000, 0x2000_5C5E_0000_0000]);
    assert_eq!(
        ring[7..11],
        [
            0x015E_0000_0000_0001,
            0x0300_0000_00FF_0000,
            0x3300_5C5E_0000_0001,
            0x2F00 << 48
        ]
    );
    assert_eq!(t.submit(0, 0, &ring), (0, 128));
    t.settle();

    assert_eq!(t.mem32(RESULT_VA), 0xDEAD_BEEF);
    assert_eq!(t.mem32(RESULT_VA + 4), 0);
    assert_eq!(t.mem64(SYNC_VA), 1, "seqno");
    assert_eq!(t.mem32(SYNC_VA + 8), 0, "status OK");
    assert_eq!(t.output_extract(0, 0), 128);
    let r = regs(&t);
    assert_eq!((r[68], r[69], r[70]), (0x0100_1000, 0, 0));
    assert_eq!(
        (u64::from(r[92]) | u64::from(r[93]) << 32, r[94], r[95]),
        (SYNC_VA, 1, 0)
    );
    assert_ne!(
        t.csg_events(0, CsgReq::SYNC_UPDATE.0),
        0,
        "SYNC_UPDATE raised"
    );
    assert_ne!(t.r.r32(JOB_RAWSTAT) & JobIrq::csg_slot(0).0, 0);

    // Panthor's tick: STATUS_UPDATE then the idle test of `Documentation/hardware.md#csg-and-cs-interfaces`.
    t.ack_csg_events(0, CsgReq::SYNC_UPDATE.0 | CsgReq::IDLE.0);
    t.csg_request(0, csg::STATE_START, CsgReq::STATUS_UPDATE.0, 0);
    assert_eq!(t.cs_out(0, 0, cs::STATUS_BLOCKED_REASON), 0);
    assert_eq!(t.cs_out(0, 0, cs::STATUS_SCOREBOARDS), 0);
    assert_eq!(
        t.rd(csf::csg_iface(0).1 + csg::STATUS_STATE) & 1,
        1,
        "group idle"
    );
}

#[test]
fn second_job_on_the_same_queue_bumps_the_seqno_and_keeps_registers() {
    let t = one_queue();
    run_job(&t, &[move32(10, 7)]);
    run_job(
        &t,
        &[
            add32(10, 10, 5),
            move48(20, RESULT_VA),
            stm(10, 20, 1, 0),
            wait(0xFF),
        ],
    );
    assert_eq!(t.mem32(RESULT_VA), 12, "r10 persisted across jobs");
    assert_eq!(t.mem64(SYNC_VA), 2);
    assert_eq!(t.output_extract(0, 0), 256);
}

#[test]
fn a_group_that_ran_work_reports_idle_when_its_ring_drains() {
    let t = one_queue();
    run_job(&t, &[NOP]);
    assert_ne!(t.csg_events(0, CsgReq::IDLE.0), 0);
}

// ---- per-instruction semantics -----------------------------------------------------------------------------------

#[test]
fn moves_and_immediate_adds_set_registers() {
    let t = one_queue();
    run_ring(
        &t,
        &[
            move48(2, 0xFFFF_1234_5678_9ABC),
            move32(4, 0xFFFF_FFFF),
            add32(5, 4, 2),
            move48(6, 0xFFFF_FFFF),
            add64(8, 6, 1),
            add64(10, 8, -2),
            umin32(12, 4, 5),
        ],
    );
    let r = regs(&t);
    assert_eq!(
        (r[2], r[3]),
        (0x5678_9ABC, 0x1234),
        "MOVE48 clears the upper 16 bits of the pair"
    );
    assert_eq!(r[5], 1, "ADD_IMMEDIATE32 wraps");
    assert_eq!((r[8], r[9]), (0, 1), "ADD_IMMEDIATE64 carries");
    assert_eq!(
        (r[10], r[11]),
        (0xFFFF_FFFE, 0),
        "negative immediate is sign-extended"
    );
    assert_eq!(r[12], 1, "UMIN32 is unsigned");
}

/// The mask selects registers; memory is packed (`Documentation/hardware.md#load_multiple-and-store_multiple`): with
/// mask 0b1011 the registers base+0, base+1 and base+3 pair with the three consecutive words at the address.
#[test]
fn load_and_store_multiple_pack_the_selected_registers_into_consecutive_words() {
    let t = one_queue();
    for i in 0..4 {
        t.set32(STREAM_VA + 0x100 + 4 * i, 0x100 + i as u32);
    }
    t.set32(RESULT_VA + 0x2C, 0x5A5A_5A5A);
    run_ring(
        &t,
        &[
            move32(22, 0x2222),
            move48(0, STREAM_VA + 0x100),
            ldm(20, 0, 0b1011, 0),
            wait(0xFF),
            move48(2, RESULT_VA + 0x40),
            stm(20, 2, 0b1011, -0x20),
            wait(0xFF),
        ],
    );
    let r = regs(&t);
    assert_eq!(
        (r[20], r[21], r[22], r[23]),
        (0x100, 0x101, 0x2222, 0x102),
        "a hole skips a register, not a word"
    );
    assert_eq!(t.mem32(RESULT_VA + 0x20), 0x100);
    assert_eq!(t.mem32(RESULT_VA + 0x24), 0x101);
    assert_eq!(t.mem32(RESULT_VA + 0x28), 0x102, "r23 follows r21");
    assert_eq!(
        t.mem32(RESULT_VA + 0x2C),
        0x5A5A_5A5A,
        "three registers store three words"
    );
}

/// panvk's tiler-context init: 16 registers, r0..r1 and r10..r15 zero, stored with mask 0xFFFF at +0 and with mask
/// 0xFC03 (the eight zero registers) at +64 and +96 of a 128-byte descriptor. Packed, the last two stores zero words
/// 16..23 and 24..31 and nothing past the descriptor; the next descriptor is untouched.
#[test]
fn store_multiple_with_panvks_tiler_context_mask_stays_inside_the_descriptor() {
    let t = one_queue();
    for w in 0..64 {
        t.set32(RESULT_VA + 4 * w, 0xEEEE_0000 | w as u32);
    }
    let mut ring = vec![move48(40, RESULT_VA)];
    for r in 0..16u64 {
        let v = if (2..10).contains(&r) {
            0x1000 + r as u32
        } else {
            0
        };
        ring.push(move32(r, v));
    }
    ring.extend([
        stm(0, 40, 0xFFFF, 0),
        stm(0, 40, 0xFC03, 64),
        stm(0, 40, 0xFC03, 96),
        wait(0xFF),
    ]);
    run_ring(&t, &ring);
    for w in 0..16u64 {
        let want = if (2..10).contains(&w) {
            0x1000 + w as u32
        } else {
            0
        };
        assert_eq!(t.mem32(RESULT_VA + 4 * w), want, "word {w}");
    }
    for w in 16..32u64 {
        assert_eq!(t.mem32(RESULT_VA + 4 * w), 0, "word {w} zeroed");
    }
    for w in 32..64u64 {
        assert_eq!(
            t.mem32(RESULT_VA + 4 * w),
            0xEEEE_0000 | w as u32,
            "word {w} of the next descriptor untouched"
        );
    }
}

/// panvk's non-indexed indirect draw: the 4-word VkDrawIndirectCommand loaded into SR33..SR37 with mask 0b11011, so
/// vertex count, instance count, first vertex and first instance land in SR33, SR34, SR36 and SR37; SR35 (index
/// offset) is left alone and the word after the command is not read.
#[test]
fn load_multiple_with_panvks_indirect_draw_mask_reads_four_words() {
    let t = one_queue();
    let cmd = [3u32, 7, 11, 13, 0xBAD];
    for (i, w) in cmd.iter().enumerate() {
        t.set32(STREAM_VA + 0x200 + 4 * i as u64, *w);
    }
    run_ring(
        &t,
        &[
            move32(35, 0x3535),
            move48(0, STREAM_VA + 0x200),
            ldm(33, 0, 0b11011, 0),
            wait(0xFF),
        ],
    );
    let r = regs(&t);
    assert_eq!((r[33], r[34], r[35], r[36], r[37]), (3, 7, 0x3535, 11, 13));
}

/// The exception-handler save and restore of cs_builder: ranges with holes stored back to back, each at the previous
/// offset plus 4 * popcount(mask), then loaded back into cleared registers in the same way.
#[test]
fn multiple_ranges_with_holes_round_trip_through_a_popcount_sized_dump() {
    let t = one_queue();
    // Masks over r0.. and r16..; 5 + 3 registers, so the dump is 8 words.
    let (m0, m1) = (0b1001_0110_0001u16, 0b0101_0000_0000_0001u16);
    let mut ring = vec![move48(80, RESULT_VA)];
    for r in 0..32u64 {
        ring.push(move32(r, 0xA000 + r as u32));
    }
    ring.extend([
        stm(0, 80, m0.into(), 0),
        stm(16, 80, m1.into(), 4 * m0.count_ones() as i16),
        wait(0xFF),
    ]);
    for r in 0..32u64 {
        ring.push(move32(r, 0));
    }
    ring.extend([
        ldm(0, 80, m0.into(), 0),
        ldm(16, 80, m1.into(), 4 * m0.count_ones() as i16),
        wait(0xFF),
    ]);
    t.set32(RESULT_VA + 32, 0x5A5A_5A5A);
    run_ring(&t, &ring);
    let selected = |base: u32, m: u16| {
        (0..16)
            .filter(move |i| m & (1 << i) != 0)
            .map(move |i| 0xA000 + base + i)
    };
    let want: Vec<u32> = selected(0, m0).chain(selected(16, m1)).collect();
    let got: Vec<u32> = (0..8).map(|w| t.mem32(RESULT_VA + 4 * w)).collect();
    assert_eq!(got, want, "the dump is the selected registers, packed");
    assert_eq!(
        t.mem32(RESULT_VA + 32),
        0x5A5A_5A5A,
        "nothing past the dump"
    );
    let r = regs(&t);
    for i in 0..32u32 {
        let (base, m) = if i < 16 { (0, m0) } else { (16, m1) };
        let want = if m & (1 << (i - base)) != 0 {
            0xA000 + i
        } else {
            0
        };
        assert_eq!(r[i as usize], want, "r{i} restored only if selected");
    }
}

#[test]
fn branch_loops_until_the_counter_reaches_zero() {
    let t = one_queue();
    run_job(
        &t,
        &[
            move32(0, 5),
            move32(1, 0),
            add32(1, 1, 3),   // loop:
            add32(0, 0, -1),  //
            branch(0, 3, -3), // NE → loop
            branch(0, 6, 1),  // ALWAYS: skip the next
            move32(1, 999),   // skipped
            move48(2, RESULT_VA),
            stm(1, 2, 1, 0),
            wait(0xFF),
        ],
    );
    assert_eq!(t.mem32(RESULT_VA), 15);
}

#[test]
fn branch_compares_signed_with_zero() {
    let t = one_queue();
    run_job(
        &t,
        &[
            move32(0, 0x8000_0000), // negative
            move32(1, 0),
            branch(0, 4, 1), // LT → skip
            move32(1, 1),
            branch(0, 1, 1), // GT → not taken
            add32(1, 1, 10),
            move48(2, RESULT_VA),
            stm(1, 2, 1, 0),
            wait(0xFF),
        ],
    );
    assert_eq!(t.mem32(RESULT_VA), 10);
}

#[test]
fn sync_set_and_add_write_value_and_status_words() {
    let t = one_queue();
    t.set32(SYNC_VA + 0x44, 0xAA);
    t.set32(SYNC_VA + 0x58, 0xBB);
    run_ring(
        &t,
        &[
            move48(0, SYNC_VA + 0x40),
            move32(2, 40),
            sync_set32(0, 2, false),
            sync_add32(0, 2, true),
            move48(4, SYNC_VA + 0x50),
            move48(6, 0x1_0000_0000),
            sync_set64(4, 6, true),
            sync_add64(4, 6, false),
        ],
    );
    assert_eq!(t.mem32(SYNC_VA + 0x40), 80);
    assert_eq!(t.mem32(SYNC_VA + 0x44), 0, "status cleared");
    assert_eq!(t.mem64(SYNC_VA + 0x50), 0x2_0000_0000);
    assert_eq!(t.mem32(SYNC_VA + 0x58), 0);
}

#[test]
fn flush_cache2_advances_latest_flush_id_unless_already_satisfied() {
    let t = one_queue();
    let before = t.r.r32(block::USER);
    run_ring(&t, &[move32(0, 0), flush(1, 0, 0), wait(0x02)]);
    let after_unconditional = t.r.r32(block::USER);
    assert_eq!(after_unconditional, before + 1);
    // An ID older than the current one: a flush happened since, nothing to do.
    run_ring(&t, &[move32(0, before), flush(1, 0, 0), wait(0x02)]);
    assert_eq!(t.r.r32(block::USER), after_unconditional);
}

#[test]
fn store_state_writes_the_gpu_timestamp() {
    let t = one_queue();
    run_ring(
        &t,
        &[
            move48(0, RESULT_VA),
            store_state(0, 0, 8),
            store_state(0, 3, 16),
        ],
    );
    let ts = t.mem64(RESULT_VA + 8);
    assert!(
        ts > 0 && ts <= t.r.r64(hw_mali::regs::gpu::TIMESTAMP),
        "timestamp {ts}"
    );
    assert_eq!(t.mem32(RESULT_VA + 16), 0, "error status");
}

#[test]
fn scoreboard_entries_are_busy_until_the_batch_ends() {
    let t = one_queue();
    // STORE_MULTIPLE on "other" entry 5, then WAIT only on it: the WAIT yields once.
    run_ring(
        &t,
        &[
            set_sb_entry(0, 5),
            move48(0, RESULT_VA),
            stm(0, 0, 1, 0),
            wait(1 << 5),
            move32(9, 1),
        ],
    );
    assert_eq!(regs(&t)[9], 1);
    assert_eq!(t.output_extract(0, 0), 40);
}

#[test]
fn run_compute_reads_its_shader_descriptor_and_completes() {
    let t = one_queue();
    run_ring(
        &t,
        &[
            move48(16, STREAM_VA),
            run_compute(0),
            wait(0xFF),
            move32(9, 1),
        ],
    );
    assert_eq!(regs(&t)[9], 1);
    assert_eq!(t.cs_events(0, 0, CsReq::FAULT.0 | CsReq::FATAL.0), 0);
}

// ---- faults ------------------------------------------------------------------------------------------------------

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
    let t = one_queue();
    run_ring(&t, &[NOP, 0x0A00_0000_0000_0000, move32(1, 1)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0) + 8);
    assert_eq!(regs(&t)[1], 0, "nothing after the fault runs");
}

#[test]
fn v12_only_opcodes_are_invalid_on_v10() {
    for op in [12u64, 19, 26, 27, 28, 30, 31] {
        let t = one_queue();
        run_ring(&t, &[op << 56]);
        assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0));
    }
}

#[test]
fn register_out_of_range_is_invalid() {
    let t = one_queue();
    run_ring(&t, &[move32(96, 1)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0));
}

#[test]
fn call_beyond_eight_frames_overflows_the_call_stack() {
    let t = one_queue();
    // A buffer that calls itself: ring (frame 0) + 7 frames fit, the 8th nested CALL overflows.
    t.code(CODE_VA, &[call(0, 2)]);
    run_ring(&t, &[move48(0, CODE_VA), move32(2, 8), call(0, 2)]);
    assert_fatal(&t, exception::CS_CALL_STACK_OVERFLOW, CODE_VA);
}

#[test]
fn call_length_must_be_a_multiple_of_eight_and_jump_needs_a_buffer() {
    let t = one_queue();
    run_ring(&t, &[move48(0, CODE_VA), move32(2, 12), call(0, 2)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0) + 16);
    let t = one_queue();
    run_ring(&t, &[move48(0, CODE_VA), move32(2, 8), jump(0, 2)]);
    assert_fatal(&t, exception::CS_INSTR_INVALID, Gpu::ring_va(0, 0) + 16);
}

#[test]
fn jump_replaces_the_current_buffer() {
    let t = one_queue();
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
    let t = one_queue();
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
    let t = one_queue();
    run_ring(&t, &[move48(0, SYNC_VA + 4), sync_add64(0, 0, false)]);
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD),
        u32::from(exception::DATA_INVALID_FAULT)
    );
}

#[test]
fn run_compute_without_a_shader_descriptor_is_a_data_fault() {
    let t = one_queue();
    run_ring(&t, &[run_compute(0)]);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD),
        u32::from(exception::DATA_INVALID_FAULT)
    );
    let t = one_queue();
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

// ---- blocking and scheduling -------------------------------------------------------------------------------------

/// Panthor's tick reads the blocked state after a STATUS_UPDATE (`Documentation/hardware.md#csg-and-cs-interfaces`).
fn status_update(t: &Gpu, g: u32) {
    let state = t.rd(csf::csg_iface(g).0 + csg::REQ) & CsgReq::STATE.0;
    t.csg_request(g, state, CsgReq::STATUS_UPDATE.0, 0);
}

#[test]
fn sync_wait_blocks_until_another_groups_sync_add() {
    let t = Gpu::new();
    t.start_group(0, 1);
    t.start_group(1, 1);
    // Group 0 waits for seqno > 0 at SYNC_VA + 0x80, then stores a marker.
    t.submit(
        0,
        0,
        &[
            move48(0, SYNC_VA + 0x80),
            move48(2, 0),
            sync_wait64(0, 2, 1),
            move32(4, 0x600D),
            move48(6, RESULT_VA),
            stm(4, 6, 1, 0),
            wait(0xFF),
        ],
    );
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0, "blocked");
    status_update(&t, 0);
    assert_eq!(t.cs_out(0, 0, cs::STATUS_BLOCKED_REASON), 3, "sync wait");
    let w = t.cs_out(0, 0, cs::STATUS_WAIT);
    assert_eq!(w >> 31, 1, "waiting on a sync object");
    assert_eq!((w >> 24) & 0xF, 1, "GT");
    assert_eq!((w >> 30) & 1, 1, "64-bit");
    assert_eq!(t.cs_out64(0, 0, cs::STATUS_WAIT_SYNC_PTR), SYNC_VA + 0x80);
    assert_eq!(t.cs_out(0, 0, cs::STATUS_WAIT_SYNC_VALUE), 0);
    assert_eq!(
        t.rd(csf::csg_iface(0).1 + csg::STATUS_STATE) & 1,
        1,
        "a sync-blocked group is idle"
    );

    // Group 1 signals: group 0 runs on without any host involvement.
    t.submit(
        1,
        0,
        &[
            move48(0, SYNC_VA + 0x80),
            move48(2, 1),
            sync_add64(0, 2, false),
        ],
    );
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0x600D);
    status_update(&t, 0);
    assert_eq!(t.cs_out(0, 0, cs::STATUS_BLOCKED_REASON), 0);
}

#[test]
fn sync_wait_on_a_host_written_object_resumes_on_a_doorbell() {
    let t = one_queue();
    run_ring(
        &t,
        &[
            move48(0, SYNC_VA + 0x80),
            move32(2, 2),
            sync_wait32(0, 2, 2),
            move32(9, 1),
        ],
    );
    assert_eq!(regs(&t)[9], 0);
    // Blocked streams cost nothing: no batch runs while the model clock moves on.
    let batches = t.r.gpu.cs_exec_batches();
    t.r.gpu.advance(1_000_000);
    assert_eq!(t.r.gpu.cs_exec_batches(), batches);
    assert_eq!(t.r.gpu.next_event_ns(), None);

    t.set32(SYNC_VA + 0x80, 2);
    t.settle();
    assert_eq!(regs(&t)[9], 0, "a host write alone is not seen");
    t.ring_doorbell(1);
    t.settle();
    assert_eq!(regs(&t)[9], 1);
}

#[test]
fn sync_wait_in_inherit_mode_takes_the_producers_error() {
    let t = one_queue();
    t.set32(SYNC_VA + 0x80, 1);
    t.set32(SYNC_VA + 0x84, 1); // failed
    run_ring(
        &t,
        &[
            move48(0, SYNC_VA + 0x80),
            move32(2, 0),
            sync_wait32(0, 2, 1),
        ],
    );
    assert_ne!(t.cs_events(0, 0, CsReq::FAULT.0), 0);
    assert_eq!(
        t.cs_out(0, 0, cs::FAULT_WORD),
        u32::from(exception::CS_INHERIT_FAULT)
    );
    assert_eq!(t.cs_out64(0, 0, cs::FAULT_INFO), SYNC_VA + 0x80);
}

#[test]
fn an_endless_loop_does_not_starve_other_groups_or_the_model() {
    let t = Gpu::new();
    t.start_group(0, 1);
    t.start_group(1, 1);
    t.submit(0, 0, &[branch(0, 6, -1)]);
    t.submit(
        1,
        0,
        &[
            move48(0, RESULT_VA),
            move32(2, 0xBEEF),
            stm(2, 0, 1, 0),
            wait(0xFF),
        ],
    );
    t.r.gpu.advance(20 * EXEC_BATCH_NS);
    assert_eq!(t.mem32(RESULT_VA), 0xBEEF, "group 1 progressed");
    assert!(
        t.r.gpu.next_event_ns().is_some(),
        "the looping stream keeps being scheduled, one batch at a time"
    );
    assert!(t.r.gpu.cs_exec_batches() <= 21);
    assert_eq!(t.output_extract(0, 0), 0, "the loop never retires");
    // Suspending the looping group stops it.
    t.csg_request(0, csg::STATE_SUSPEND, 0, 0);
    t.r.gpu.advance(10 * EXEC_BATCH_NS);
    assert_eq!(t.r.gpu.next_event_ns(), None);
}

// ---- CSG lifecycle -----------------------------------------------------------------------------------------------

#[test]
fn csg_start_latches_endpoint_priority_and_as() {
    let t = one_queue();
    let l = t.r.gpu.csg_latched(0).unwrap();
    assert!(l.running);
    assert_eq!(
        (l.state, l.as_nr, l.endpoint_req, l.priority),
        (csg::STATE_START, 1, 0xF001_0101, 15)
    );
    assert_eq!(l.allow, [1, 1, 1]);
    let (input, output) = csf::csg_iface(0);
    t.wr(input + csg::ENDPOINT_REQ, 0x3001_0101);
    t.csg_request(0, csg::STATE_START, CsgReq::ENDPOINT_CONFIG.0, 0);
    assert_eq!(t.r.gpu.csg_latched(0).unwrap().priority, 3);
    assert_eq!(
        t.rd(output + csg::ACK) & CsgReq::ENDPOINT_CONFIG.0,
        t.rd(input + csg::REQ) & CsgReq::ENDPOINT_CONFIG.0
    );
}

#[test]
fn csg_state_requests_are_acknowledged_with_the_slots_job_irq() {
    let t = one_queue();
    let (_, output) = csf::csg_iface(0);
    for state in [csg::STATE_SUSPEND, csg::STATE_RESUME, csg::STATE_TERMINATE] {
        t.r.w32(JOB_CLEAR, 0xFFFF_FFFF);
        t.csg_request(0, state, 0, 0);
        assert_eq!(t.rd(output + csg::ACK) & CsgReq::STATE.0, state);
        assert_eq!(t.r.r32(JOB_RAWSTAT), JobIrq::csg_slot(0).0, "state {state}");
        assert_eq!(
            t.r.gpu.csg_latched(0).unwrap().running,
            state == csg::STATE_RESUME
        );
    }
}

/// SUSPEND saves every CS into the group's suspend buffer; RESUME (here into another CSG slot, with another doorbell)
/// continues from it: registers, and a stream suspended inside its user buffer finishes that buffer.
#[test]
fn suspend_and_resume_in_another_slot_keep_registers_and_position() {
    let t = one_queue();
    // The job's stream blocks half-way on a sync wait, after setting r10.
    run_job(
        &t,
        &[
            move32(10, 42),
            move48(0, SYNC_VA + 0x80),
            move32(2, 0),
            sync_wait32(0, 2, 1),
            move48(4, RESULT_VA),
            stm(10, 4, 1, 0),
            wait(0xFF),
        ],
    );
    let extract = t.output_extract(0, 0);
    t.csg_request(0, csg::STATE_SUSPEND, 0, 0);
    assert!(!t.r.gpu.csg_latched(0).unwrap().running);
    assert_eq!(
        t.rd(SUSPEND_VA),
        0x5459_4353,
        "the CS record is in the suspend buffer"
    );
    // Panthor stops the CS (no doorbell) and unbinds; the slot is reused later for the resume in slot 3.
    let (cin, _) = csf::cs_iface(0, 0);
    t.wr(cin + cs::REQ, t.rd(cin + cs::REQ) & !CsReq::STATE.0);

    // Re-bind in slot 3: same ring/io pages, same suspend buffer.
    let (cin3, _) = csf::cs_iface(3, 0);
    let (in3, _) = csf::csg_iface(3);
    t.program_group(3, 1);
    t.wr64(cin3 + cs::RINGBUF_BASE, Gpu::ring_va(0, 0));
    let (io_in, io_out) = Gpu::io(0, 0);
    t.wr64(cin3 + cs::RINGBUF_INPUT, io_in);
    t.wr64(cin3 + cs::RINGBUF_OUTPUT, io_out);
    t.wr64(in3 + csg::SUSPEND_BUF, SUSPEND_VA);
    t.csg_request(3, csg::STATE_RESUME, CsgReq::ENDPOINT_CONFIG.0, 1);
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0, "still blocked after the resume");
    t.set32(SYNC_VA + 0x80, 1);
    t.ring_doorbell(4);
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 42, "r10 and the call frame survived");
    assert_eq!(t.mem64(SYNC_VA), 1, "the ring's preamble finished the job");
    assert_eq!(t.output_extract(0, 0), 128);
    assert!(extract < 128);
}

#[test]
fn terminate_discards_stream_state() {
    let t = one_queue();
    run_ring(&t, &[move32(10, 42)]);
    t.csg_request(0, csg::STATE_TERMINATE, 0, 0);
    assert_eq!(regs(&t)[10], 0);
    t.start_group(0, 1);
    run_ring(&t, &[move48(0, RESULT_VA), stm(10, 0, 1, 0), wait(0xFF)]);
    assert_eq!(t.mem32(RESULT_VA), 0, "a fresh start has zeroed registers");
}

#[test]
fn events_outside_the_ack_irq_mask_raise_no_job_irq() {
    let t = one_queue();
    let (input, _) = csf::csg_iface(0);
    t.wr(
        input + csg::ACK_IRQ_MASK,
        !(CsgReq::SYNC_UPDATE.0 | CsgReq::IDLE.0),
    );
    t.r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    run_job(&t, &[NOP]);
    assert_ne!(
        t.csg_events(0, CsgReq::SYNC_UPDATE.0),
        0,
        "event still toggled"
    );
    assert_eq!(t.r.r32(JOB_RAWSTAT), 0);
}

#[test]
fn tiler_oom_reports_the_heap_and_waits_for_the_host() {
    let t = one_queue();
    run_ring(
        &t,
        &[
            move48(0, 0xABC0_0000),
            heap_set(0),
            heap_op(0),
            heap_op(0),
            heap_op(1),
        ],
    );
    assert!(t.r.gpu.inject_tiler_oom(0, 0));
    assert_ne!(t.cs_events(0, 0, CsReq::TILER_OOM.0), 0);
    assert_eq!(t.cs_out(0, 0, cs::HEAP_VT_START), 2);
    assert_eq!(t.cs_out(0, 0, cs::HEAP_VT_END), 1);
    assert_eq!(t.cs_out64(0, 0, cs::HEAP_ADDRESS), 0xABC0_0000);
    t.submit(0, 0, &[move32(9, 1)]);
    t.settle();
    assert_eq!(regs(&t)[9], 0, "halted until acknowledged");
    t.ack_cs_events(0, 0, CsReq::TILER_OOM.0);
    t.settle();
    assert_eq!(regs(&t)[9], 1);
}

// ---- robustness --------------------------------------------------------------------------------------------------

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
        let t = one_queue();
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
