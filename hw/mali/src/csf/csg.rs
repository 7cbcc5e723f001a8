// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A CSG interface (`Documentation/hardware.md#csg-and-cs-interfaces`): its word offsets and request bits, and how the MCU serves a group's requests.

/// Control: features.
pub const FEATURES: u64 = 0x00;
/// Control: input_va.
pub const INPUT_VA: u64 = 0x04;
/// Control: output_va.
pub const OUTPUT_VA: u64 = 0x08;
/// Control: suspend_size.
pub const SUSPEND_SIZE: u64 = 0x0C;
/// Control: protm_suspend_size.
pub const PROTM_SUSPEND_SIZE: u64 = 0x10;
/// Control: stream_num.
pub const STREAM_NUM: u64 = 0x14;
/// Control: stream_stride.
pub const STREAM_STRIDE: u64 = 0x18;
/// Input/output: req / ack.
pub const REQ: u64 = 0x00;
/// Input: ack_irq_mask.
pub const ACK_IRQ_MASK: u64 = 0x04;
/// Input: doorbell_req; output: doorbell_ack.
pub const DOORBELL: u64 = 0x08;
/// Output: status_state (bit 0 = IDLE).
pub const STATUS_STATE: u64 = 0x18;
/// Output: ack (the same word offset as `req`).
pub const ACK: u64 = 0x00;
/// Input: cs_irq_ack; output (same offset): cs_irq_req.
pub const CS_IRQ: u64 = 0x0C;
/// Input: allow_compute (u64).
pub const ALLOW_COMPUTE: u64 = 0x20;
/// Input: allow_fragment (u64).
pub const ALLOW_FRAGMENT: u64 = 0x28;
/// Input: allow_other (tiler mask).
pub const ALLOW_OTHER: u64 = 0x30;
/// Input: endpoint_req.
pub const ENDPOINT_REQ: u64 = 0x34;
/// Input: suspend_buf (u64, MCU VA).
pub const SUSPEND_BUF: u64 = 0x40;
/// Input: protm_suspend_buf (u64, MCU VA).
pub const PROTM_SUSPEND_BUF: u64 = 0x48;
/// Input: config (the AS of the group's VM).
pub const CONFIG: u64 = 0x50;
/// Input: iter_trace_config.
pub const ITER_TRACE_CONFIG: u64 = 0x54;
/// Output: status_endpoint_current.
pub const STATUS_ENDPOINT_CURRENT: u64 = 0x10;
/// Output: status_endpoint_req.
pub const STATUS_ENDPOINT_REQ: u64 = 0x14;
/// Output: resource_dep.
pub const RESOURCE_DEP: u64 = 0x1C;
/// Bytes of the input page the interface defines (up to `iter_trace_config`).
pub const INPUT_SIZE: u64 = 0x58;
/// Bytes of the output page the interface defines (up to `resource_dep`).
pub const OUTPUT_SIZE: u64 = 0x20;
/// Bytes of the control block Panthor reads.
pub const CONTROL_SIZE: u64 = 0x1C;
/// STATE: terminate.
pub const STATE_TERMINATE: u32 = 0;
/// STATE: start.
pub const STATE_START: u32 = 1;
/// STATE: suspend.
pub const STATE_SUSPEND: u32 = 2;
/// STATE: resume.
pub const STATE_RESUME: u32 = 3;

use super::*;
use crate::fields::{CsReq, CsgReq};

/// Serves CSG `i` (its GLB doorbell bit differed): STATE, ENDPOINT_CONFIG, the per-CS doorbell bits, STATUS_UPDATE,
/// then acknowledges by copying `req` into `ack`; returns whether a JOB IRQ for the slot is due.
pub(super) fn serve_csg(st: &mut State, i: u32) -> Result<bool, PortError> {
    let (input, output) = csg_iface(i);
    let req = rd(st, input + csg::REQ)?;
    let ack = rd(st, output + csg::REQ)?;
    let irq_mask = rd(st, input + csg::ACK_IRQ_MASK)?;
    let changed = CsgReq(req ^ ack);
    if changed.state() != 0 {
        streams::csg_state(st, i, CsgReq(req).state())?;
    } else if changed.endpoint_config() != 0 {
        streams::latch_endpoint(st, i)?;
    }

    let db_req = rd(st, input + csg::DOORBELL)?;
    let db_ack = rd(st, output + csg::DOORBELL)?;
    let streams_mask = (1u32 << values::STREAM_NUM) - 1;
    let ring = (db_req ^ db_ack) & streams_mask;
    st.mcu.unserved_cs[i as usize] |= ring;
    // Acknowledged before the streams are served, for the reason `serve_global` gives.
    if ring != 0 {
        wr(
            st,
            output + csg::DOORBELL,
            (db_ack & !streams_mask) | (db_req & streams_mask),
        )?;
    }
    for j in 0..values::STREAM_NUM {
        if st.mcu.unserved_cs[i as usize] & (1 << j) != 0 {
            let (cin, cout) = cs_iface(i, j);
            let creq = rd(st, cin + cs::REQ)?;
            let cack = rd(st, cout + cs::REQ)?;
            wr(
                st,
                cout + cs::REQ,
                (cack & !CsReq::ACKED.0) | (creq & CsReq::ACKED.0),
            )?;
            streams::cs_doorbell_bit(st, i, j)?;
            st.mcu.unserved_cs[i as usize] &= !(1 << j);
        }
    }
    if changed.status_update() != 0 {
        streams::publish_csg_status(st, i)?;
    }
    // Events the MCU raised meanwhile (ack toggles) must survive the copy: re-read ack, copy only request bits.
    let ack_now = rd(st, output + csg::REQ)?;
    let acked = CsgReq::ACKED.0;
    let new_ack = (ack_now & !acked) | (req & acked);
    if new_ack != ack_now {
        wr(st, output + csg::REQ, new_ack)?;
    }
    Ok((new_ack ^ ack) & irq_mask & acked != 0)
}
