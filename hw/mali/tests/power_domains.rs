// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Power domains and the MCU halt as work sees them (`hw_mali`'s `device::power`): no stream work without the L2
//! and the cores, the firmware powering the cores for work and down at halt, and a halted MCU restarting from its
//! memory. Time is stepped explicitly; nothing sleeps.

mod common;

use common::csq::op::*;
use common::csq::*;
use hw_mali::csf::{csg, glb, GLB_INPUT_VA};
use hw_mali::fields::CsgReq;
use hw_mali::fields::GlbReq;
use hw_mali::regs::{gpu, mcu};

const L2_PWRON: u32 = gpu::L2_PRESENT + gpu::PWR_ON_DELTA;
const L2_PWROFF: u32 = gpu::L2_PRESENT + gpu::PWR_OFF_DELTA;

/// Submits a job storing 0x1234 at RESULT_VA (queue 0 of group 0, behind Panthor's preamble signalling SYNC_VA).
fn submit_store(t: &Gpu) {
    let stream = [
        move32(10, 0x1234),
        move48(20, RESULT_VA),
        stm(10, 20, 1, 0),
        wait(0xFF),
    ];
    t.code(CODE_VA, &stream);
    t.submit(
        0,
        0,
        &preamble(0, CODE_VA, 8 * stream.len() as u32, SYNC_VA),
    );
}

#[test]
fn work_powers_the_shader_cores_and_tiler_itself() {
    let t = Gpu::one_queue();
    let before = t.r.gpu.power_state();
    assert_ne!(before.l2_ready, 0);
    assert_eq!(
        before.shader_ready, 0,
        "nothing powers the cores before there is work"
    );
    submit_store(&t);
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0x1234);
    assert_eq!(t.mem64(SYNC_VA), 1);
    let after = t.r.gpu.power_state();
    assert_ne!(after.shader_ready, 0);
    assert_ne!(after.tiler_ready, 0);
    assert!(
        after.exec_waits >= 1,
        "the first batch waited for the power-up"
    );
    assert_eq!(after.transitioning, 0);
}

#[test]
fn with_the_l2_down_no_work_runs_until_it_comes_back() {
    let t = Gpu::one_queue();
    t.r.w32(L2_PWROFF, 1);
    t.settle();
    let off = t.r.gpu.power_state();
    assert_eq!((off.l2_ready, off.shader_ready, off.tiler_ready), (0, 0, 0));
    t.set32(RESULT_VA, 0);
    submit_store(&t);
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0, "nothing ran");
    assert_eq!(t.mem64(SYNC_VA), 0, "nothing signalled");
    assert_eq!(t.r.r32(MMU_RAWSTAT), 0, "and nothing faulted");
    t.r.w32(L2_PWRON, 1);
    t.settle();
    assert_eq!(
        t.mem32(RESULT_VA),
        0x1234,
        "the job ran once the L2 was back"
    );
    assert_eq!(t.mem64(SYNC_VA), 1);
}

#[test]
fn halt_powers_the_cores_down_and_the_mcu_restarts_from_its_memory() {
    let t = Gpu::one_queue();
    submit_store(&t);
    t.settle();
    assert_ne!(t.r.gpu.power_state().shader_ready, 0);
    // As the driver suspends: the group off its slot (its state saved in its suspend buffer), then GLB HALT (set
    // the level, ring doorbell 0).
    t.csg_request(0, csg::STATE_SUSPEND, 0, 0);
    t.settle();
    let req = t.rd(GLB_INPUT_VA + glb::REQ);
    t.wr(GLB_INPUT_VA + glb::REQ, req | GlbReq::HALT.0);
    t.ring_doorbell(0);
    t.settle();
    let halted = t.r.gpu.power_state();
    assert_eq!(halted.mcu_status, mcu::STATUS_HALT);
    assert_eq!((halted.shader_ready, halted.tiler_ready), (0, 0));
    assert_ne!(halted.l2_ready, 0, "the L2 is the host's to power down");
    let latched = t.r.gpu.mcu_latched();
    // Clear HALT (the firmware acts on 0 -> 1 edges) and restart in AUTO: no reload, the same interfaces.
    t.wr(GLB_INPUT_VA + glb::REQ, req & !GlbReq::HALT.0);
    t.r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
    t.settle();
    assert_eq!(t.r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
    assert_eq!(
        t.r.gpu.mcu_latched(),
        latched,
        "what the firmware latched survives the halt"
    );
    // The group resumed from its suspend buffer runs work on freshly powered cores.
    t.program_group(0, 1);
    t.csg_request(0, csg::STATE_RESUME, CsgReq::ENDPOINT_CONFIG.0, 1);
    t.set32(RESULT_VA, 0);
    submit_store(&t);
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0x1234);
    assert_ne!(t.r.gpu.power_state().shader_ready, 0);
}

#[test]
fn the_power_off_timer_takes_idle_cores_down_and_work_brings_them_back() {
    let t = Gpu::one_queue();
    // The global init's CFG_POWEROFF_TIMER, as Panthor programs it: 10 ms at the 24 MHz system timer.
    t.wr(GLB_INPUT_VA + glb::POWEROFF_TIMER, 235);
    let req = t.rd(GLB_INPUT_VA + glb::REQ);
    let ack = t.rd(hw_mali::csf::GLB_OUTPUT_VA + glb::ACK);
    t.wr(
        GLB_INPUT_VA + glb::REQ,
        (req & !GlbReq::CFG_POWEROFF_TIMER.0) | (!ack & GlbReq::CFG_POWEROFF_TIMER.0),
    );
    t.ring_doorbell(0);
    t.settle();
    assert_eq!(t.r.gpu.mcu_latched().poweroff_timer, 235);
    submit_store(&t);
    // Run the job, then stop just short of the timer: the cores are still up.
    let start = t.r.gpu.now_ns();
    while t.r.gpu.power_state().shader_ready == 0 || t.mem64(SYNC_VA) == 0 {
        t.r.gpu.step().expect("the job runs");
    }
    let done = t.r.gpu.now_ns();
    assert!(done - start < 1_000_000);
    t.r.gpu.advance(9_000_000);
    let before = t.r.gpu.power_state();
    assert_ne!(
        before.shader_ready, 0,
        "9 ms after the job the cores are still up"
    );
    t.settle();
    let p = t.r.gpu.power_state();
    assert_eq!((p.shader_ready, p.tiler_ready), (0, 0));
    assert_eq!(p.idle_power_offs, before.idle_power_offs + 1);
    assert_ne!(p.l2_ready, 0, "the L2 is the host's");
    t.set32(RESULT_VA, 0);
    submit_store(&t);
    t.settle();
    assert_eq!(t.mem32(RESULT_VA), 0x1234, "work powers them up again");
    assert_eq!(t.mem64(SYNC_VA), 2);
}
