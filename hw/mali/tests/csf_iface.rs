// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The CSF interfaces as Panthor discovers them (counts, strides, layouts,
//! `Documentation/hardware.md#interface-discovery`) and the global requests beyond boot: COUNTER_EN, the idle timer and
//! its GLB IDLE event, CSG state changes and CS starts, JOB IRQ bits. Time is stepped explicitly; nothing sleeps.

mod common;

use common::pte::*;
use common::*;
use hw_mali::csf::{
    self, cs, csg, glb, values, GLB_INPUT_VA, GLB_OUTPUT_VA, SHARED_SIZE, SHARED_VA,
};
use hw_mali::fields::{CsFeatures, CsReq, CsgReq};
use hw_mali::fields::{GlbReq, JobIrq, TimerWord};
use hw_mali::regs::{block, gpu, irq, mcu};
use hw_mali::Timing;

const JOB_RAWSTAT: u32 = block::JOB_CONTROL + irq::RAWSTAT;
const JOB_CLEAR: u32 = block::JOB_CONTROL + irq::CLEAR;
const JOB_MASK: u32 = block::JOB_CONTROL + irq::MASK;

/// Doorbell latency of [`Timing::DEFAULT`].
const DOORBELL_NS: u64 = Timing::DEFAULT.doorbell_ns;
/// `panthor_fw_conv_timeout(800 µs)` at the 24 MHz arch timer: ceil(800 × 24 / 1024) = 19 units of 1024 ticks.
const IDLE_TIMER_800US: u32 = 19;
/// What 19 units stand for: 19 × 1024 / 24 MHz.
const IDLE_NS: u64 = 19 * 1024 * 1000 / 24;

fn map_shared(r: &Rig) {
    let pt = Pt::new(&r.ram);
    for off in (0..SHARED_SIZE).step_by(4096) {
        pt.page(SHARED_VA + off, frame_of(&r.ram, 0), RW_CACHED | XN | PXN);
    }
    r.enable_as(0, pt.root);
}

fn start_mcu(r: &Rig) {
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    r.w32(JOB_MASK, 0xFFFF_FFFF);
    r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
}

fn booted() -> Rig {
    let r = rig();
    map_shared(&r);
    start_mcu(&r);
    r
}

fn rd(r: &Rig, va: u64) -> u32 {
    r.gpu.gpu_read_u32(0, va).unwrap()
}

fn wr(r: &Rig, va: u64, v: u32) {
    r.gpu.gpu_write_u32(0, va, v).unwrap()
}

fn ring(r: &Rig, doorbell: u32) {
    r.w32(block::DOORBELL_BASE + doorbell * block::DOORBELL_STRIDE, 1);
}

/// `panthor_fw_update_reqs`: set the level bits of `mask` in GLB req to `value`.
fn glb_update(r: &Rig, mask: u32, value: u32) {
    let req = rd(r, GLB_INPUT_VA + glb::REQ);
    wr(r, GLB_INPUT_VA + glb::REQ, (req & !mask) | (value & mask));
}

/// `panthor_fw_toggle_reqs` on GLB req.
fn glb_toggle(r: &Rig, bits: u32) {
    let req = rd(r, GLB_INPUT_VA + glb::REQ);
    let ack = rd(r, GLB_OUTPUT_VA + glb::ACK);
    wr(
        r,
        GLB_INPUT_VA + glb::REQ,
        ((ack ^ bits) & bits) | (req & !bits),
    );
}

/// Panthor's `panthor_fw_init_global_iface` with an idle timer: IRQ mask, timers, IDLE_EN, the three CFG toggles,
/// doorbell 0 — and the doorbell served.
fn global_init(r: &Rig, idle_timer: u32) {
    wr(
        r,
        GLB_INPUT_VA + glb::ACK_IRQ_MASK,
        glb::PANTHOR_ACK_IRQ_MASK,
    );
    wr(r, GLB_INPUT_VA + glb::IDLE_TIMER, idle_timer);
    glb_update(r, GlbReq::IDLE_EN.0, GlbReq::IDLE_EN.0);
    glb_toggle(
        r,
        GlbReq::CFG_ALLOC_EN.0 | GlbReq::CFG_POWEROFF_TIMER.0 | GlbReq::CFG_PROGRESS_TIMER.0,
    );
    ring(r, 0);
    r.gpu.advance(DOORBELL_NS);
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
}

fn glb_idle_pending(r: &Rig) -> bool {
    (rd(r, GLB_INPUT_VA + glb::REQ) ^ rd(r, GLB_OUTPUT_VA + glb::ACK)) & GlbReq::IDLE.0 != 0
}

// ---- discovery --------------------------------------------------------------------------------------------------

/// What `panthor_fw_init_ifaces` checks, in its order, reading only what the MCU published.
#[test]
fn published_interfaces_pass_panthors_discovery_checks() {
    let r = booted();
    let in_section = |va: u32| (SHARED_VA..SHARED_VA + SHARED_SIZE).contains(&u64::from(va));
    let c = SHARED_VA;
    let version = rd(&r, c + glb::VERSION);
    assert_ne!(version, 0, "version 0 means the firmware did not boot");
    assert!(version >= 0x0101_0000, "instr_features is read from 1.1.0");
    assert!(in_section(rd(&r, c + glb::INPUT_VA)) && in_section(rd(&r, c + glb::OUTPUT_VA)));
    let group_num = rd(&r, c + glb::GROUP_NUM);
    assert!((3..=31).contains(&group_num));
    let group_stride = u64::from(rd(&r, c + glb::GROUP_STRIDE));
    let csg0 = SHARED_VA + 0x1000;
    let csg_word = |i: u32, off: u64| rd(&r, csg0 + u64::from(i) * group_stride + off);
    for i in 0..group_num {
        let stream_num = csg_word(i, csg::STREAM_NUM);
        assert!((8..=32).contains(&stream_num), "CSG {i}");
        assert!(
            in_section(csg_word(i, csg::INPUT_VA)) && in_section(csg_word(i, csg::OUTPUT_VA)),
            "CSG {i}"
        );
        for off in [
            csg::FEATURES,
            csg::SUSPEND_SIZE,
            csg::PROTM_SUSPEND_SIZE,
            csg::STREAM_NUM,
        ] {
            assert_eq!(
                csg_word(i, off),
                csg_word(0, off),
                "CSG {i} word {off:#x} differs from CSG 0"
            );
        }
        let stride = u64::from(csg_word(i, csg::STREAM_STRIDE));
        let cs_ctl = csg0 + u64::from(i) * group_stride + 0x40;
        for j in 0..stream_num {
            let w = |off: u64| rd(&r, cs_ctl + u64::from(j) * stride + off);
            assert!(
                in_section(w(cs::INPUT_VA)) && in_section(w(cs::OUTPUT_VA)),
                "CS {i}/{j}"
            );
            assert_eq!(
                w(cs::FEATURES),
                rd(&r, csg0 + 0x40 + cs::FEATURES),
                "CS {i}/{j} features"
            );
        }
    }
    for size in [
        csg_word(0, csg::SUSPEND_SIZE),
        csg_word(0, csg::PROTM_SUSPEND_SIZE),
    ] {
        assert!(
            size > 0 && size % 4096 == 0,
            "suspend sizes size kernel BOs: {size:#x}"
        );
    }
}

/// The CSIF_INFO Panthor derives (`Documentation/hardware.md#interface-discovery`) is the real G610's: 8 CSG slots, 8
/// CS, 96 registers, 8 scoreboards.
#[test]
fn derived_csif_info_matches_the_real_g610() {
    let r = booted();
    let group_num = rd(&r, SHARED_VA + glb::GROUP_NUM);
    let csg_slot_count = group_num.min(31).min(16);
    let cs_slot_count = rd(&r, csf::csg_control_va(0) + csg::STREAM_NUM);
    let features = CsFeatures(rd(&r, csf::cs_control_va(0, 0) + cs::FEATURES));
    let cs_reg_count = features.work_regs() + 1;
    let scoreboards = features.scoreboards();
    assert_eq!(
        (csg_slot_count, cs_slot_count, cs_reg_count, scoreboards),
        (8, 8, 96, 8)
    );
    assert_eq!(
        (features.compute(), features.fragment(), features.tiler()),
        (1, 1, 1),
        "every CS takes compute, fragment and tiler work"
    );
    assert_eq!(rd(&r, SHARED_VA + glb::GROUP_STRIDE), 0x100);
    assert_eq!(rd(&r, csf::csg_control_va(0) + csg::STREAM_STRIDE), 0xC);
}

/// Every control block, input page and output page of all 1 + 8 + 64 interfaces lies inside the shared section, is
/// large enough for every field the interface defines, and overlaps no other.
#[test]
fn interface_blocks_are_disjoint_and_large_enough_for_their_fields() {
    let r = booted();
    let mut spans: Vec<(u64, u64, String)> = vec![
        (SHARED_VA, glb::CONTROL_SIZE, "GLB control".into()),
        (
            u64::from(rd(&r, SHARED_VA + glb::INPUT_VA)),
            glb::INPUT_SIZE,
            "GLB input".into(),
        ),
        (
            u64::from(rd(&r, SHARED_VA + glb::OUTPUT_VA)),
            glb::OUTPUT_SIZE,
            "GLB output".into(),
        ),
    ];
    for i in 0..values::GROUP_NUM {
        let c = csf::csg_control_va(i);
        // The CSG control block extends to the end of its CS control blocks (they sit inside its stride).
        let csg_ctl = csf::cs_control_va(i, values::STREAM_NUM - 1) + cs::CONTROL_SIZE - c;
        spans.push((c, csg_ctl, format!("CSG {i} control")));
        spans.push((
            u64::from(rd(&r, c + csg::INPUT_VA)),
            csg::INPUT_SIZE,
            format!("CSG {i} input"),
        ));
        spans.push((
            u64::from(rd(&r, c + csg::OUTPUT_VA)),
            csg::OUTPUT_SIZE,
            format!("CSG {i} output"),
        ));
        assert!(
            csg_ctl <= u64::from(rd(&r, SHARED_VA + glb::GROUP_STRIDE)),
            "CS controls fit in the group stride"
        );
        for j in 0..values::STREAM_NUM {
            let cc = csf::cs_control_va(i, j);
            spans.push((
                u64::from(rd(&r, cc + cs::INPUT_VA)),
                cs::INPUT_SIZE,
                format!("CS {i}/{j} input"),
            ));
            spans.push((
                u64::from(rd(&r, cc + cs::OUTPUT_VA)),
                cs::OUTPUT_SIZE,
                format!("CS {i}/{j} output"),
            ));
        }
    }
    assert_eq!(spans.len(), 3 + 8 * 3 + 64 * 2);
    spans.sort();
    for (va, len, name) in &spans {
        assert!(
            *va >= SHARED_VA && va + len <= SHARED_VA + SHARED_SIZE,
            "{name} outside the shared section"
        );
    }
    for w in spans.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "{} overlaps {}", w[0].2, w[1].2);
    }
    // The model's own allocation: each CSG/CS half-slot holds the largest page the interface defines.
    assert!(
        csf::layout::IFACE_SLOT / 2 >= cs::OUTPUT_SIZE.max(cs::INPUT_SIZE).max(csg::INPUT_SIZE)
    );
}

/// A slow reset zeroes the shared section; the restarted MCU must publish the same blocks at the same VAs (Panthor
/// keeps its pointers, `Documentation/hardware.md#global-interface`).
#[test]
fn control_blocks_are_republished_identically_after_a_slow_reset() {
    let r = booted();
    let mut before = vec![0u8; 0x2000];
    r.gpu.gpu_read(0, SHARED_VA, &mut before).unwrap();
    r.gpu
        .gpu_write(0, SHARED_VA, &vec![0u8; SHARED_SIZE as usize])
        .unwrap();
    r.w32(gpu::GPU_COMMAND, 0x101);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_DISABLED);
    map_shared(&r);
    start_mcu(&r);
    let mut after = vec![0u8; 0x2000];
    r.gpu.gpu_read(0, SHARED_VA, &mut after).unwrap();
    assert_eq!(before, after);
}

// ---- global requests ------------------------------------------------------------------------------------------

#[test]
fn counter_enable_is_a_level_the_mcu_follows_and_acknowledges() {
    let r = booted();
    glb_update(&r, GlbReq::COUNTER_EN.0, GlbReq::COUNTER_EN.0);
    ring(&r, 0);
    r.gpu.run_until_idle();
    assert!(r.gpu.mcu_latched().counter_en);
    assert_eq!(
        rd(&r, GLB_OUTPUT_VA + glb::ACK) & GlbReq::COUNTER_EN.0,
        GlbReq::COUNTER_EN.0,
        "level acknowledged by copy"
    );
    glb_update(&r, GlbReq::COUNTER_EN.0, 0);
    ring(&r, 0);
    r.gpu.run_until_idle();
    assert!(!r.gpu.mcu_latched().counter_en);
    assert_eq!(rd(&r, GLB_OUTPUT_VA + glb::ACK) & GlbReq::COUNTER_EN.0, 0);
}

#[test]
fn doorbell_is_served_only_after_its_latency() {
    let r = booted();
    wr(
        &r,
        GLB_INPUT_VA + glb::ACK_IRQ_MASK,
        glb::PANTHOR_ACK_IRQ_MASK,
    );
    glb_toggle(&r, GlbReq::PING.0);
    ring(&r, 0);
    r.gpu.advance(DOORBELL_NS - 1);
    assert_eq!(r.gpu.mcu_latched().pings, 0);
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
    r.gpu.advance(1);
    assert_eq!(r.gpu.mcu_latched().pings, 1);
    assert_eq!(r.r32(JOB_RAWSTAT), JobIrq::GLB.0);
}

#[test]
fn unhandled_toggles_are_acknowledged_without_side_effects() {
    let r = booted();
    let toggles = GlbReq::PROTM_ENTER.0 | GlbReq::PERFCNT_SAMPLE.0 | GlbReq::FWCFG_UPDATE.0;
    glb_toggle(&r, toggles);
    ring(&r, 0);
    r.gpu.run_until_idle();
    assert_eq!(
        rd(&r, GLB_OUTPUT_VA + glb::ACK) & toggles,
        rd(&r, GLB_INPUT_VA + glb::REQ) & toggles
    );
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
}

#[test]
fn idle_timer_reports_glb_idle_one_period_after_the_last_doorbell() {
    let r = booted();
    global_init(&r, IDLE_TIMER_800US);
    let l = r.gpu.mcu_latched();
    assert!(l.idle_en);
    assert_eq!(l.idle_timer, IDLE_TIMER_800US);
    r.gpu.advance(IDLE_NS - 1);
    assert!(!glb_idle_pending(&r));
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
    r.gpu.advance(1);
    assert!(glb_idle_pending(&r), "ack.IDLE toggled");
    assert_eq!(r.r32(JOB_RAWSTAT), JobIrq::GLB.0, "IDLE is in ack_irq_mask");
    assert_eq!(r.gpu.mcu_latched().idle_reports, 1);
}

#[test]
fn a_doorbell_restarts_the_idle_timer() {
    let r = booted();
    global_init(&r, IDLE_TIMER_800US);
    r.gpu.advance(IDLE_NS / 2);
    ring(&r, 1); // work for CSG slot 0
    r.gpu.advance(DOORBELL_NS);
    r.gpu.advance(IDLE_NS - 1);
    assert!(
        !glb_idle_pending(&r),
        "the first period was cut short by the doorbell"
    );
    r.gpu.advance(1);
    assert!(glb_idle_pending(&r));
}

#[test]
fn an_unacknowledged_idle_event_is_not_reported_twice() {
    let r = booted();
    global_init(&r, IDLE_TIMER_800US);
    r.gpu.run_until_idle();
    assert_eq!(r.gpu.mcu_latched().idle_reports, 1);
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    // The host rings without acknowledging IDLE: the next expiry finds the event still pending.
    glb_toggle(&r, GlbReq::PING.0);
    ring(&r, 0);
    r.gpu.run_until_idle();
    assert_eq!(r.gpu.mcu_latched().idle_reports, 1);
    // Acknowledge (copy ack.IDLE into req, as Panthor's GLB event handler does) and ring: a new report follows.
    let ack = rd(&r, GLB_OUTPUT_VA + glb::ACK);
    glb_update(&r, GlbReq::IDLE.0, ack);
    ring(&r, 0);
    r.gpu.run_until_idle();
    assert_eq!(r.gpu.mcu_latched().idle_reports, 2);
    assert!(glb_idle_pending(&r));
}

#[test]
fn no_idle_event_without_idle_en() {
    let r = booted();
    wr(
        &r,
        GLB_INPUT_VA + glb::ACK_IRQ_MASK,
        glb::PANTHOR_ACK_IRQ_MASK,
    );
    wr(&r, GLB_INPUT_VA + glb::IDLE_TIMER, IDLE_TIMER_800US);
    glb_toggle(&r, GlbReq::PING.0);
    ring(&r, 0);
    r.gpu.run_until_idle();
    r.w32(JOB_CLEAR, 0xFFFF_FFFF);
    r.gpu.advance(10 * IDLE_NS);
    assert!(!glb_idle_pending(&r));
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
}

#[test]
fn idle_event_outside_ack_irq_mask_raises_no_irq() {
    let r = booted();
    global_init(&r, IDLE_TIMER_800US);
    wr(
        &r,
        GLB_INPUT_VA + glb::ACK_IRQ_MASK,
        glb::PANTHOR_ACK_IRQ_MASK & !GlbReq::IDLE.0,
    );
    r.gpu.run_until_idle();
    assert!(glb_idle_pending(&r));
    assert_eq!(r.r32(JOB_RAWSTAT), 0);
}

#[test]
fn halt_cancels_the_idle_timer() {
    let r = booted();
    global_init(&r, IDLE_TIMER_800US);
    glb_update(&r, GlbReq::HALT.0, GlbReq::HALT.0);
    ring(&r, 0);
    r.gpu.run_until_idle();
    assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_HALT);
    assert_eq!(
        rd(&r, GLB_OUTPUT_VA + glb::HALT_STATUS),
        glb::HALT_STATUS_OK
    );
    assert_eq!(r.gpu.mcu_latched().idle_reports, 0);
}

#[test]
fn idle_timer_in_gpu_cycles_uses_the_core_clock() {
    let r = booted();
    // 198 units of 1024 cycles at 198 MHz = 1024 µs (the same count of 24 MHz system-timer ticks would be 8448 µs).
    global_init(&r, TimerWord::SOURCE_GPU.0 | 198);
    r.gpu.advance(1_024_000 - 1);
    assert!(!glb_idle_pending(&r));
    r.gpu.advance(1);
    assert!(glb_idle_pending(&r));
}

// ---- CSG / CS requests ----------------------------------------------------------------------------------------

/// Sets CSG `i`'s state (a level) and toggles `toggles`, toggles its GLB doorbell bit and rings doorbell 0.
fn csg_request(r: &Rig, i: u32, state: u32, toggles: u32) {
    let (input, output) = csf::csg_iface(i);
    wr(r, input + csg::ACK_IRQ_MASK, 0xFFFF_FFFF);
    let req = rd(r, input + csg::REQ);
    let ack = rd(r, output + csg::ACK);
    let req = (req & !CsgReq::STATE.0) | state;
    wr(
        r,
        input + csg::REQ,
        ((ack ^ toggles) & toggles) | (req & !toggles),
    );
    let db = rd(r, GLB_INPUT_VA + glb::DOORBELL);
    let db_ack = rd(r, GLB_OUTPUT_VA + glb::DOORBELL);
    wr(
        r,
        GLB_INPUT_VA + glb::DOORBELL,
        (db & !(1 << i)) | (!db_ack & (1 << i)),
    );
    ring(r, 0);
    r.gpu.advance(DOORBELL_NS);
}

#[test]
fn csg_state_changes_are_acknowledged_in_order() {
    let r = booted();
    let (_, output) = csf::csg_iface(1);
    for state in [
        csg::STATE_START,
        csg::STATE_SUSPEND,
        csg::STATE_RESUME,
        csg::STATE_TERMINATE,
    ] {
        r.w32(JOB_CLEAR, 0xFFFF_FFFF);
        csg_request(&r, 1, state, 0);
        assert_eq!(rd(&r, output + csg::ACK) & CsgReq::STATE.0, state);
        assert_eq!(r.r32(JOB_RAWSTAT), JobIrq::csg_slot(1).0, "state {state}");
    }
}

#[test]
fn csg_status_update_reports_an_idle_group() {
    let r = booted();
    let (_, output) = csf::csg_iface(0);
    csg_request(&r, 0, csg::STATE_START, CsgReq::STATUS_UPDATE.0);
    assert_eq!(rd(&r, output + csg::STATUS_STATE) & 1, 1);
    let (input, _) = csf::csg_iface(0);
    assert_eq!(
        rd(&r, output + csg::ACK) & CsgReq::STATUS_UPDATE.0,
        rd(&r, input + csg::REQ) & CsgReq::STATUS_UPDATE.0
    );
}

#[test]
fn two_csgs_served_by_one_doorbell_raise_both_job_irq_bits() {
    let r = booted();
    for i in [3, 5] {
        let (input, _) = csf::csg_iface(i);
        wr(&r, input + csg::ACK_IRQ_MASK, 0xFFFF_FFFF);
        wr(&r, input + csg::REQ, csg::STATE_START);
    }
    wr(&r, GLB_INPUT_VA + glb::DOORBELL, (1 << 3) | (1 << 5));
    ring(&r, 0);
    r.gpu.advance(DOORBELL_NS);
    assert_eq!(
        r.r32(JOB_RAWSTAT),
        JobIrq::csg_slot(3).0 | JobIrq::csg_slot(5).0
    );
    assert_eq!(rd(&r, GLB_OUTPUT_VA + glb::DOORBELL), (1 << 3) | (1 << 5));
}

/// Panthor's `cs_slot_prog_locked` + CSG START: the CS's req (STATE START, EXTRACT_EVENT, IDLE_SYNC_WAIT, IDLE_EMPTY)
/// is acknowledged once the CSG's doorbell bit for the CS is toggled.
#[test]
fn cs_start_is_acknowledged_through_its_csg_doorbell_bit() {
    let r = booted();
    let (cin, cout) = csf::cs_iface(0, 2);
    wr(&r, cin + cs::CONFIG, 0x100);
    wr(&r, cin + cs::ACK_IRQ_MASK, 0xFFFF_FFFF);
    let req =
        cs::STATE_START | CsReq::EXTRACT_EVENT.0 | CsReq::IDLE_SYNC_WAIT.0 | CsReq::IDLE_EMPTY.0;
    assert_eq!(req & 0x517, 0x511);
    wr(&r, cin + cs::REQ, req);
    let (gin, gout) = csf::csg_iface(0);
    wr(&r, gin + csg::DOORBELL, 1 << 2);
    csg_request(&r, 0, csg::STATE_START, CsgReq::ENDPOINT_CONFIG.0);
    assert_eq!(rd(&r, cout + cs::ACK) & CsReq::ACKED.0, req);
    assert_eq!(rd(&r, gout + csg::DOORBELL) & (1 << 2), 1 << 2);
    assert_eq!(rd(&r, gout + csg::ACK) & 0x17, 0x11);
}
