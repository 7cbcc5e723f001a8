// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A job submitted as Panthor submits it, end to end: the IGT group_submit stream, a second job on the same queue, idle
//! reporting when the ring drains.

use super::*;

/// `panthor_group@group_submit` end to end (`Documentation/hardware.md#panthors-ring-preamble`,
/// `Documentation/hardware.md#a-submission-end-to-end`): the exact preamble and stream words, 0xDEADBEEF in the result
/// BO, the queue's sync object signalled, extract = insert = 128, SYNC_UPDATE + JOB IRQ 0.
#[test]
fn igt_group_submit_writes_deadbeef_and_signals_the_queue_sync_object() {
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
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
    let t = Gpu::one_queue();
    run_job(&t, &[NOP]);
    assert_ne!(t.csg_events(0, CsgReq::IDLE.0), 0);
}
