// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What each CS instruction does: moves and adds, LOAD/STORE_MULTIPLE with panvk's masks, branches, sync objects,
//! cache flushes, timestamps, scoreboards and RUN_COMPUTE.

use super::*;

#[test]
fn moves_and_immediate_adds_set_registers() {
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
