// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Events to the host: CSG and CS event toggles with their JOB IRQ bits, fault reports and status publishing.

use super::*;
use crate::fields::{CsReq, CsStatusWait};

/// Toggles CSG `i`'s event `bit` in `ack` (unless the previous one is unacknowledged) and raises the CSG's JOB IRQ
/// bit if `ack_irq_mask` asks for it.
pub(super) fn csg_event(st: &mut State, i: u32, bit: u32) -> Result<(), PortError> {
    let (input, output) = csg_iface(i);
    let req = rd(st, input + csg::REQ)?;
    let ack = rd(st, output + csg::ACK)?;
    if (req ^ ack) & bit == 0 {
        wr(st, output + csg::ACK, ack ^ bit)?;
    }
    if rd(st, input + csg::ACK_IRQ_MASK)? & bit != 0 {
        st.job_irq.raise(JobIrq::csg_slot(i).0);
    }
    Ok(())
}

/// CS event (`Documentation/hardware.md#csg-and-cs-interfaces`): toggle the CS `ack` bit, flag the CS in the CSG's `cs_irq_req`, raise the JOB IRQ.
pub(super) fn cs_event(st: &mut State, i: u32, j: u32, bit: u32) -> Result<(), PortError> {
    let (cin, cout) = cs_iface(i, j);
    let req = rd(st, cin + cs::REQ)?;
    let ack = rd(st, cout + cs::ACK)?;
    if (req ^ ack) & bit == 0 {
        wr(st, cout + cs::ACK, ack ^ bit)?;
    }
    let (gin, gout) = csg_iface(i);
    let irq_req = rd(st, gout + csg::CS_IRQ)?;
    let irq_ack = rd(st, gin + csg::CS_IRQ)?;
    if (irq_req ^ irq_ack) & (1 << j) == 0 {
        wr(st, gout + csg::CS_IRQ, irq_req ^ (1 << j))?;
    }
    if rd(st, cin + cs::ACK_IRQ_MASK)? & bit != 0 {
        st.job_irq.raise(JobIrq::csg_slot(i).0);
    }
    Ok(())
}

/// Reports a FAULT or FATAL of CS `j` of CSG `i` and halts the stream until the host deals with it.
pub(super) fn report(st: &mut State, i: u32, j: u32, e: CsError) -> Result<(), PortError> {
    let (_, cout) = cs_iface(i, j);
    let (bit, word, info) = if e.fatal {
        (CsReq::FATAL.0, cs::FATAL_WORD, cs::FATAL_INFO)
    } else {
        (CsReq::FAULT.0, cs::FAULT_WORD, cs::FAULT_INFO)
    };
    wr(st, cout + word, u32::from(e.code))?;
    wr64(st, cout + info, e.info)?;
    wr64(st, cout + cs::STATUS_CMD_PTR, e.pc)?;
    let s = &mut st.mcu.exec.groups[i as usize].streams[j as usize];
    if e.fatal {
        s.halt = Halt::Fatal;
    } else {
        s.halt = Halt::Fault;
        s.machine.recover_from_fault(e.fetch);
    }
    s.run = Run::Ready;
    let output_va = s.output_va;
    let pos = s.machine.pos;
    if output_va != 0 {
        // The extract the fault is attributed to (Panthor matches it against job ring ranges).
        let _ = wr64(st, output_va, pos);
    }
    cs_event(st, i, j, bit)
}

pub(super) fn config_fault(st: &mut State, i: u32, j: u32) -> Result<(), PortError> {
    let pc = 0;
    report(
        st,
        i,
        j,
        CsError {
            fatal: true,
            code: exception::CS_CONFIG_FAULT,
            info: 0,
            pc,
            fetch: false,
        },
    )
}

// ---- status -----------------------------------------------------------------------------------------------------

/// Publishes CS `j`'s status words (`Documentation/hardware.md#csg-and-cs-interfaces`).
fn publish_cs_status(st: &mut State, i: u32, j: u32) -> Result<(), PortError> {
    let s = &st.mcu.exec.groups[i as usize].streams[j as usize];
    let (_, cout) = cs_iface(i, j);
    let pc = s.machine.pc(&s.ring);
    let busy = u32::from(s.machine.busy_entries());
    let resource = u32::from(s.machine.req_resource);
    let (wait, blocked, sync) = match (s.started, s.run) {
        (true, Run::Scoreboard(mask)) => (
            CsStatusWait(0)
                .set_scoreboards(u32::from(mask))
                .set_sb_source(8),
            1,
            None,
        ),
        (true, Run::Sync { wait, .. }) => {
            let w = CsStatusWait(0)
                .set_sync_cond(wait.cond)
                .set_sync_64b(u32::from(wait.wide))
                .set_sync(1);
            (w, 3, Some(wait))
        }
        _ => (CsStatusWait(0), 0, None),
    };
    wr64(st, cout + cs::STATUS_CMD_PTR, pc)?;
    wr(st, cout + cs::STATUS_WAIT, wait.0)?;
    wr(st, cout + cs::STATUS_REQ_RESOURCE, resource)?;
    wr(st, cout + cs::STATUS_SCOREBOARDS, busy)?;
    wr(st, cout + cs::STATUS_BLOCKED_REASON, blocked)?;
    let (ptr, value) = sync.map_or((0, 0), |w| (w.ptr, w.value));
    wr64(st, cout + cs::STATUS_WAIT_SYNC_PTR, ptr)?;
    wr(st, cout + cs::STATUS_WAIT_SYNC_VALUE, value as u32)?;
    wr(
        st,
        cout + cs::STATUS_WAIT_SYNC_VALUE_HI,
        (value >> 32) as u32,
    )
}

/// STATUS_UPDATE: every CS's status and the CSG's `status_state` (bit 0 IDLE: no stream has work).
pub(crate) fn publish_csg_status(st: &mut State, i: u32) -> Result<(), PortError> {
    for j in 0..values::STREAM_NUM {
        publish_cs_status(st, i, j)?;
    }
    let epoch = st.mcu.exec.epoch;
    let g = &st.mcu.exec.groups[i as usize];
    let idle = !g.latched.running || !g.streams.iter().any(|s| s.has_work(epoch));
    let (_, output) = csg_iface(i);
    wr(st, output + csg::STATUS_STATE, u32::from(idle))
}
