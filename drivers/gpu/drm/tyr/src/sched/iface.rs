// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The CSG and CS interfaces as the scheduler drives them (`Documentation/hardware.md#global-interface`): word offsets,
//! request bits, and the REQ/ACK helpers (toggle requests, masked level updates, event acknowledgement) over the shared
//! section.

use std::sync::Arc;

use kernel::error::Result;

use crate::fw::iface::IfacePages;
use crate::fw::shared::SharedMem;

/// CSG input-page words.
pub(crate) mod csg_in {
    /// `req`.
    pub(crate) const REQ: u64 = 0x00;
    /// `ack_irq_mask`.
    pub(crate) const ACK_IRQ_MASK: u64 = 0x04;
    /// `doorbell_req`: bit `j` = CS `j`.
    pub(crate) const DOORBELL_REQ: u64 = 0x08;
    /// `cs_irq_ack`.
    pub(crate) const CS_IRQ_ACK: u64 = 0x0c;
    /// `allow_compute` (u64).
    pub(crate) const ALLOW_COMPUTE: u64 = 0x20;
    /// `allow_fragment` (u64).
    pub(crate) const ALLOW_FRAGMENT: u64 = 0x28;
    /// `allow_other` (tiler mask).
    pub(crate) const ALLOW_OTHER: u64 = 0x30;
    /// `endpoint_req` ([`CsgEndpointReq`]).
    pub(crate) const ENDPOINT_REQ: u64 = 0x34;
    /// `suspend_buf` (u64).
    pub(crate) const SUSPEND_BUF: u64 = 0x40;
    /// `protm_suspend_buf` (u64).
    pub(crate) const PROTM_SUSPEND_BUF: u64 = 0x48;
    /// `config`: the AS of the group's VM.
    pub(crate) const CONFIG: u64 = 0x50;
}

/// CSG output-page words.
pub(crate) mod csg_out {
    /// `ack`.
    pub(crate) const ACK: u64 = 0x00;
    /// `doorbell_ack`.
    pub(crate) const DOORBELL_ACK: u64 = 0x08;
    /// `cs_irq_req`.
    pub(crate) const CS_IRQ_REQ: u64 = 0x0c;
}

/// CSG `req`/`ack` STATE values (the [`CsgReq::state`] field).
pub(crate) mod csg_req {
    /// State: terminate.
    pub(crate) const STATE_TERMINATE: u32 = 0;
    /// State: start.
    pub(crate) const STATE_START: u32 = 1;
    /// State: suspend.
    pub(crate) const STATE_SUSPEND: u32 = 2;
    /// State: resume.
    pub(crate) const STATE_RESUME: u32 = 3;
}

kernel::register_fields! {
    /// A CSG `req`/`ack` word (`panthor_fw.h`'s `CSG_*`).
    pub(crate) struct CsgReq(u32) {
        /// The state ([`csg_req`]; a level).
        2:0 state, set_state = STATE;
        /// Toggle: latch `endpoint_req`.
        4:4 endpoint_config, set_endpoint_config = ENDPOINT_CONFIG;
        /// Event: a sync object was updated.
        28:28 sync_update, set_sync_update = SYNC_UPDATE;
        /// Event: the group became idle.
        29:29 idle, set_idle = IDLE;
        /// Event: progress timeout.
        31:31 progress_timer_event, set_progress_timer_event = PROGRESS_TIMER_EVENT;
    }
}

impl CsgReq {
    /// The events the host acknowledges.
    pub(crate) const EVENTS: Self =
        Self(Self::SYNC_UPDATE.0 | Self::IDLE.0 | Self::PROGRESS_TIMER_EVENT.0);
}

kernel::register_fields! {
    /// A CSG's `endpoint_req` word (`CSG_EP_REQ_*`).
    pub(crate) struct CsgEndpointReq(u32) {
        /// Compute endpoints.
        7:0 compute, set_compute;
        /// Fragment endpoints.
        15:8 fragment, set_fragment;
        /// Tiler endpoints.
        19:16 tiler, set_tiler;
        /// The group's priority.
        31:28 priority, set_priority;
    }
}

/// CS input-page words.
pub(crate) mod cs_in {
    /// `req`.
    pub(crate) const REQ: u64 = 0x00;
    /// `config` ([`CsConfig`]).
    pub(crate) const CONFIG: u64 = 0x04;
    /// `ack_irq_mask`.
    pub(crate) const ACK_IRQ_MASK: u64 = 0x0c;
    /// `ringbuf_base` (u64, GPU VA in the group's VM).
    pub(crate) const RINGBUF_BASE: u64 = 0x10;
    /// `ringbuf_size`.
    pub(crate) const RINGBUF_SIZE: u64 = 0x18;
    /// `heap_start` (u64).
    pub(crate) const HEAP_START: u64 = 0x20;
    /// `heap_end` (u64).
    pub(crate) const HEAP_END: u64 = 0x28;
    /// `ringbuf_input` (u64, MCU VA of the user-I/O input page).
    pub(crate) const RINGBUF_INPUT: u64 = 0x30;
    /// `ringbuf_output` (u64, MCU VA of the user-I/O output page).
    pub(crate) const RINGBUF_OUTPUT: u64 = 0x38;
}

/// CS output-page words.
pub(crate) mod cs_out {
    /// `ack`.
    pub(crate) const ACK: u64 = 0x00;
    /// `heap_vt_start`: vertex/tiler jobs started on the heap.
    pub(crate) const HEAP_VT_START: u64 = 0xc0;
    /// `heap_vt_end`: vertex/tiler jobs completed.
    pub(crate) const HEAP_VT_END: u64 = 0xc4;
    /// `heap_frag_end`: fragment jobs completed.
    pub(crate) const HEAP_FRAG_END: u64 = 0xcc;
    /// `heap_address` (u64): the heap context of the OOM.
    pub(crate) const HEAP_ADDRESS: u64 = 0xd0;
}

/// CS `req`/`ack` STATE values (the [`CsReq::state`] field).
pub(crate) mod cs_req {
    /// State: stop.
    pub(crate) const STATE_STOP: u32 = 0;
    /// State: start.
    pub(crate) const STATE_START: u32 = 1;
}

kernel::register_fields! {
    /// A CS `req`/`ack` word (`panthor_fw.h`'s `CS_*`).
    pub(crate) struct CsReq(u32) {
        /// The state ([`cs_req`]; a level).
        2:0 state, set_state = STATE;
        /// Written 1 at every start.
        4:4 extract_event, set_extract_event = EXTRACT_EVENT;
        /// A CS blocked in SYNC_WAIT counts as idle.
        8:8 idle_sync_wait, set_idle_sync_wait = IDLE_SYNC_WAIT;
        /// A CS with an empty ring counts as idle.
        10:10 idle_empty, set_idle_empty = IDLE_EMPTY;
        /// Event: tiler heap exhausted.
        26:26 tiler_oom, set_tiler_oom = TILER_OOM;
        /// Event: protected mode pending.
        27:27 protm_pending, set_protm_pending = PROTM_PENDING;
        /// Event: fatal error.
        30:30 fatal, set_fatal = FATAL;
        /// Event: recoverable fault.
        31:31 fault, set_fault = FAULT;
    }
}

impl CsReq {
    /// The events the host looks at.
    pub(crate) const EVENTS: Self =
        Self(Self::TILER_OOM.0 | Self::PROTM_PENDING.0 | Self::FATAL.0 | Self::FAULT.0);
}

kernel::register_fields! {
    /// A CS's `config` word (`CS_CONFIG_*`).
    pub(crate) struct CsConfig(u32) {
        /// The stream's priority.
        3:0 priority, set_priority;
        /// The doorbell page that rings it.
        15:8 doorbell, set_doorbell;
    }
}

/// GLB input/output `doorbell_req`/`doorbell_ack` (bit `i` = CSG slot `i`).
pub(crate) const GLB_DOORBELL: u64 = 0x08;

/// One interface's input and output pages in the shared section.
#[derive(Clone)]
pub(crate) struct Iface {
    mem: Arc<SharedMem>,
    pages: IfacePages,
}

impl Iface {
    /// The interface at `pages` of `mem`.
    pub(crate) fn new(mem: Arc<SharedMem>, pages: IfacePages) -> Self {
        Iface { mem, pages }
    }

    /// Reads input word `off`.
    pub(crate) fn input(&self, off: u64) -> Result<u32> {
        self.mem.read_u32(self.pages.input + off)
    }

    /// Writes input word `off`.
    pub(crate) fn set_input(&self, off: u64, v: u32) -> Result {
        self.mem.write_u32(self.pages.input + off, v)
    }

    /// Writes the input u64 at `off`.
    pub(crate) fn set_input64(&self, off: u64, v: u64) -> Result {
        self.mem.write_u64(self.pages.input + off, v)
    }

    /// Reads output word `off`.
    pub(crate) fn output(&self, off: u64) -> Result<u32> {
        self.mem.read_u32(self.pages.output + off)
    }

    /// Reads the output u64 at `off`.
    pub(crate) fn output64(&self, off: u64) -> Result<u64> {
        self.mem.read_u64(self.pages.output + off)
    }

    /// Toggle request (`panthor_fw_toggle_reqs`) on the pair (input `req_off`, output `ack_off`): the bits of `mask`
    /// in `req` become the opposite of `ack`'s.
    pub(crate) fn toggle(&self, req_off: u64, ack_off: u64, mask: u32) -> Result {
        let (req, ack) = (self.input(req_off)?, self.output(ack_off)?);
        self.set_input(req_off, ((ack ^ mask) & mask) | (req & !mask))
    }

    /// Level update (`panthor_fw_update_reqs`): the bits of `mask` in `req` become `val`'s.
    pub(crate) fn update(&self, req_off: u64, val: u32, mask: u32) -> Result {
        let req = self.input(req_off)?;
        self.set_input(req_off, (req & !mask) | (val & mask))
    }

    /// Whether `ack` equals `req` on `mask`.
    pub(crate) fn acked(&self, req_off: u64, ack_off: u64, mask: u32) -> Result<bool> {
        Ok((self.input(req_off)? ^ self.output(ack_off)?) & mask == 0)
    }

    /// Acknowledges the events in `mask` that the MCU raised (copies `ack` into `req` there); returns them.
    pub(crate) fn ack_events(&self, req_off: u64, ack_off: u64, mask: u32) -> Result<u32> {
        let (req, ack) = (self.input(req_off)?, self.output(ack_off)?);
        let events = (req ^ ack) & mask;
        if events != 0 {
            self.set_input(req_off, (req & !events) | (ack & events))?;
        }
        Ok(events)
    }
}
