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
    /// `endpoint_req`.
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

/// CSG `req`/`ack` bits.
pub(crate) mod csg_req {
    /// The state field.
    pub(crate) const STATE_MASK: u32 = 0x7;
    /// State: terminate.
    pub(crate) const STATE_TERMINATE: u32 = 0;
    /// State: start.
    pub(crate) const STATE_START: u32 = 1;
    /// State: suspend.
    pub(crate) const STATE_SUSPEND: u32 = 2;
    /// State: resume.
    pub(crate) const STATE_RESUME: u32 = 3;
    /// Toggle: latch `endpoint_req`.
    pub(crate) const ENDPOINT_CONFIG: u32 = 1 << 4;
    /// Event: a sync object was updated.
    pub(crate) const SYNC_UPDATE: u32 = 1 << 28;
    /// Event: the group became idle.
    pub(crate) const IDLE: u32 = 1 << 29;
    /// Event: progress timeout.
    pub(crate) const PROGRESS_TIMER_EVENT: u32 = 1 << 31;
    /// The events the host acknowledges.
    pub(crate) const EVT_MASK: u32 = SYNC_UPDATE | IDLE | PROGRESS_TIMER_EVENT;
}

/// CS input-page words.
pub(crate) mod cs_in {
    /// `req`.
    pub(crate) const REQ: u64 = 0x00;
    /// `config`: priority 3:0, doorbell 15:8.
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

/// CS `req`/`ack` bits.
pub(crate) mod cs_req {
    /// The state field.
    pub(crate) const STATE_MASK: u32 = 0x7;
    /// State: stop.
    pub(crate) const STATE_STOP: u32 = 0;
    /// State: start.
    pub(crate) const STATE_START: u32 = 1;
    /// Written 1 at every start.
    pub(crate) const EXTRACT_EVENT: u32 = 1 << 4;
    /// A CS blocked in SYNC_WAIT counts as idle.
    pub(crate) const IDLE_SYNC_WAIT: u32 = 1 << 8;
    /// A CS with an empty ring counts as idle.
    pub(crate) const IDLE_EMPTY: u32 = 1 << 10;
    /// Event: tiler heap exhausted.
    pub(crate) const TILER_OOM: u32 = 1 << 26;
    /// Event: protected mode pending.
    pub(crate) const PROTM_PENDING: u32 = 1 << 27;
    /// Event: fatal error.
    pub(crate) const FATAL: u32 = 1 << 30;
    /// Event: recoverable fault.
    pub(crate) const FAULT: u32 = 1 << 31;
    /// The events the host looks at.
    pub(crate) const EVT_MASK: u32 = TILER_OOM | PROTM_PENDING | FATAL | FAULT;
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
