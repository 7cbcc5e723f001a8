// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The global interface (`Documentation/hardware.md#global-interface`): its word offsets and request bits, and the MCU's side of the global REQ/ACK
//! protocol served on doorbell 0, with the idle timer.

/// Control: version.
pub const VERSION: u64 = 0x00;
/// Control: features.
pub const FEATURES: u64 = 0x04;
/// Control: MCU VA of the input page.
pub const INPUT_VA: u64 = 0x08;
/// Control: MCU VA of the output page.
pub const OUTPUT_VA: u64 = 0x0C;
/// Control: number of CSG slots.
pub const GROUP_NUM: u64 = 0x10;
/// Control: CSG control stride.
pub const GROUP_STRIDE: u64 = 0x14;
/// Control: perf-counter buffer size.
pub const PERFCNT_SIZE: u64 = 0x18;
/// Control: instrumentation features.
pub const INSTR_FEATURES: u64 = 0x1C;
/// Bytes of the control block Panthor reads.
pub const CONTROL_SIZE: u64 = 0x20;
/// Input/output: req / ack.
pub const REQ: u64 = 0x00;
/// Input: ack_irq_mask.
pub const ACK_IRQ_MASK: u64 = 0x04;
/// Input: doorbell_req; output: doorbell_ack.
pub const DOORBELL: u64 = 0x08;
/// Input: progress_timer.
pub const PROGRESS_TIMER: u64 = 0x10;
/// Input: poweroff_timer; output (0x10): halt_status.
pub const POWEROFF_TIMER: u64 = 0x14;
/// Output: halt_status.
pub const HALT_STATUS: u64 = 0x10;
/// Input: core_en_mask (u64).
pub const CORE_EN_MASK: u64 = 0x18;
/// Input: idle_timer.
pub const IDLE_TIMER: u64 = 0x80;
/// Output: ack (the same word offset as `req` in the input page).
pub const ACK: u64 = 0x00;
/// Input: perfcnt_as.
pub const PERFCNT_AS: u64 = 0x24;
/// Input: perfcnt_base (u64).
pub const PERFCNT_BASE: u64 = 0x28;
/// Input: perfcnt_extract.
pub const PERFCNT_EXTRACT: u64 = 0x30;
/// Input: perfcnt_config; then _csg_select, _fw_enable, _csg_enable, _csf_enable, _shader_enable, _tiler_enable,
/// _mmu_l2_enable at +4 each (up to 0x5C).
pub const PERFCNT_CONFIG: u64 = 0x40;
/// Input: perfcnt_mmu_l2_enable, the last perf-counter word.
pub const PERFCNT_MMU_L2_ENABLE: u64 = 0x5C;
/// Output: perfcnt_status.
pub const PERFCNT_STATUS: u64 = 0x14;
/// Output: perfcnt_insert.
pub const PERFCNT_INSERT: u64 = 0x18;
/// Bytes of the input page the interface defines (up to `idle_timer`).
pub const INPUT_SIZE: u64 = 0x84;
/// Bytes of the output page the interface defines (up to `perfcnt_insert`).
pub const OUTPUT_SIZE: u64 = 0x1C;

/// What Panthor writes to `ack_irq_mask` at init: CFG_ALLOC_EN | PING | CFG_PROGRESS_TIMER | CFG_POWEROFF_TIMER |
/// IDLE_EN | IDLE (the bits are [`GlbReq`]'s).
pub const PANTHOR_ACK_IRQ_MASK: u32 = GlbReq::CFG_ALLOC_EN.0
    | GlbReq::PING.0
    | GlbReq::CFG_PROGRESS_TIMER.0
    | GlbReq::CFG_POWEROFF_TIMER.0
    | GlbReq::IDLE_EN.0
    | GlbReq::IDLE.0;

/// Ticks per unit of a timer word's count.
pub const TIMER_UNIT: u64 = 1024;

/// `halt_status`: halted cleanly.
pub const HALT_STATUS_OK: u32 = 0;
/// `halt_status`: the firmware panicked.
pub const HALT_STATUS_PANIC: u32 = 0x4E;
/// `halt_status`: the firmware's watchdog fired.
pub const HALT_STATUS_WATCHDOG: u32 = 0x4F;

use super::csg::serve_csg;
use super::*;
use crate::fields::{GlbReq, JobIrq};

/// Work reached the MCU (a doorbell): restart the idle timer if IDLE_EN is on. Any expiry already scheduled is now
/// stale.
pub(super) fn arm_idle_timer(st: &mut State) {
    st.mcu.idle_gen += 1;
    if !st.mcu.latched.idle_en {
        return;
    }
    if let Some(ns) = timer_ns(st.mcu.latched.idle_timer, st.cfg.timestamp_hz, st.core_hz()) {
        let gen = st.mcu.idle_gen;
        st.schedule(ns, Event::McuIdle(gen));
    }
}

/// The idle timer of generation `gen` expired. If some stream still has work the timer simply restarts; otherwise
/// the MCU reports GLB IDLE: it toggles `ack.IDLE` (unless the previous report is still unacknowledged) and raises
/// JOB IRQ GLB when `ack_irq_mask` asks for it.
pub(crate) fn idle_timer_expired(st: &mut State, gen: u64) {
    if !st.mcu.running || st.inject.mcu_stuck || gen != st.mcu.idle_gen || !st.mcu.latched.idle_en {
        return;
    }
    if st.mcu.exec.any_work() {
        arm_idle_timer(st);
        return;
    }
    match report_idle(st) {
        Ok(()) => {}
        // The interface page is in a region the host has LOCKed: the MCU's access waits for the unlock.
        Err(PortError::Stalled { .. }) => st.schedule(STALL_RETRY_NS, Event::McuIdle(gen)),
        Err(_) => {
            st.mcu.running = false;
            st.mcu_status = mcu::STATUS_FATAL;
        }
    }
}

fn report_idle(st: &mut State) -> Result<(), PortError> {
    let req = GlbReq(rd(st, GLB_INPUT_VA + glb::REQ)?);
    let ack = GlbReq(rd(st, GLB_OUTPUT_VA + glb::ACK)?);
    if req.idle() != ack.idle() {
        return Ok(());
    }
    wr(st, GLB_OUTPUT_VA + glb::ACK, ack.set_idle(ack.idle() ^ 1).0)?;
    st.mcu.latched.idle_reports += 1;
    if GlbReq(rd(st, GLB_INPUT_VA + glb::ACK_IRQ_MASK)?).idle() != 0 {
        st.job_irq.raise(JobIrq::GLB.0);
    }
    Ok(())
}

pub(super) fn serve_global(st: &mut State) -> Result<(), PortError> {
    let req = GlbReq(rd(st, GLB_INPUT_VA + glb::REQ)?);
    let ack = GlbReq(rd(st, GLB_OUTPUT_VA + glb::REQ)?);
    let irq_mask = rd(st, GLB_INPUT_VA + glb::ACK_IRQ_MASK)?;

    // HALT is a level whose 0→1 edge halts the MCU; it is never copied into ack.
    let halt = req.halt() != 0;
    if halt && !st.mcu.halt_seen {
        st.mcu.halt_seen = true;
        st.mcu.exec.stop();
        wr(st, GLB_OUTPUT_VA + glb::HALT_STATUS, 0)?;
        st.mcu.running = false;
        st.mcu_status = mcu::STATUS_HALT;
        st.mcu_cores_off();
        return Ok(());
    }
    st.mcu.halt_seen = halt;

    // The request bits the MCU acknowledges: all but HALT.
    let acked = GlbReq::REQS.set_halt(0).0;
    let pending = GlbReq((req.0 ^ ack.0) & acked);
    if pending.cfg_progress_timer() != 0 {
        st.mcu.latched.progress_timer = rd(st, GLB_INPUT_VA + glb::PROGRESS_TIMER)?;
    }
    if pending.cfg_poweroff_timer() != 0 {
        st.mcu.latched.poweroff_timer = rd(st, GLB_INPUT_VA + glb::POWEROFF_TIMER)?;
    }
    if pending.cfg_alloc_en() != 0 {
        let lo = rd(st, GLB_INPUT_VA + glb::CORE_EN_MASK)?;
        let hi = rd(st, GLB_INPUT_VA + glb::CORE_EN_MASK + 4)?;
        st.mcu.latched.core_en_mask = u64::from(hi) << 32 | u64::from(lo);
    }
    if pending.idle_en() != 0 {
        st.mcu.latched.idle_timer = rd(st, GLB_INPUT_VA + glb::IDLE_TIMER)?;
    }
    if pending.ping() != 0 {
        st.mcu.latched.pings += 1;
    }
    st.mcu.latched.counter_en = req.counter_en() != 0;
    st.mcu.latched.idle_en = req.idle_en() != 0;
    let new_ack = (ack.0 & !acked) | (req.0 & acked);
    if new_ack != ack.0 {
        wr(st, GLB_OUTPUT_VA + glb::REQ, new_ack)?;
    }
    let mut job_bits = if (new_ack ^ ack.0) & irq_mask != 0 {
        JobIrq::GLB
    } else {
        JobIrq(0)
    };

    // Per-CSG doorbells: serve every slot whose bit differs, then acknowledge the bits.
    let db_req = rd(st, GLB_INPUT_VA + glb::DOORBELL)?;
    let db_ack = rd(st, GLB_OUTPUT_VA + glb::DOORBELL)?;
    let slots = (1u32 << values::GROUP_NUM) - 1;
    let ring = (db_req ^ db_ack) & slots;
    st.mcu.unserved_csgs |= ring;
    // The bits are acknowledged before the CSGs are read: a request the host makes (and rings) while they are being
    // served then shows as a new difference and is served by the next doorbell. Acknowledging after serving would
    // swallow it, because the host's toggle, relative to the old ack, coalesces with the one being served.
    if ring != 0 {
        wr(
            st,
            GLB_OUTPUT_VA + glb::DOORBELL,
            (db_ack & !slots) | (db_req & slots),
        )?;
    }
    for i in 0..values::GROUP_NUM {
        if st.mcu.unserved_csgs & (1 << i) == 0 {
            continue;
        }
        if serve_csg(st, i)? {
            job_bits.0 |= JobIrq::csg_slot(i).0;
        }
        st.mcu.unserved_csgs &= !(1 << i);
    }
    st.job_irq.raise(job_bits.0);
    Ok(())
}
