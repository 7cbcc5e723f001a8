// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Groups and their slots: sync waits across groups and on host-written objects, fairness with an endless loop,
//! CSG state requests, suspend/resume into another slot, terminate, the ack IRQ mask, tiler OOM.

use super::*;

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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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

#[test]
fn csg_start_latches_endpoint_priority_and_as() {
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
    run_ring(&t, &[move32(10, 42)]);
    t.csg_request(0, csg::STATE_TERMINATE, 0, 0);
    assert_eq!(regs(&t)[10], 0);
    t.start_group(0, 1);
    run_ring(&t, &[move48(0, RESULT_VA), stm(10, 0, 1, 0), wait(0xFF)]);
    assert_eq!(t.mem32(RESULT_VA), 0, "a fresh start has zeroed registers");
}

#[test]
fn events_outside_the_ack_irq_mask_raise_no_job_irq() {
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
