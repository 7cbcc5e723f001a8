// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A CS interface (`Documentation/hardware.md#csg-and-cs-interfaces`): its word offsets and request bits.

/// Control: features.
pub const FEATURES: u64 = 0x00;
/// Control: input_va.
pub const INPUT_VA: u64 = 0x04;
/// Control: output_va.
pub const OUTPUT_VA: u64 = 0x08;
/// Input/output: req / ack.
pub const REQ: u64 = 0x00;

/// Output: ack (the same word offset as `req`).
pub const ACK: u64 = 0x00;
/// Input: config (priority 3:0, doorbell id 15:8).
pub const CONFIG: u64 = 0x04;
/// Input: ack_irq_mask.
pub const ACK_IRQ_MASK: u64 = 0x0C;
/// Input: ringbuf_base (u64, GPU VA in the group's VM).
pub const RINGBUF_BASE: u64 = 0x10;
/// Input: ringbuf_size.
pub const RINGBUF_SIZE: u64 = 0x18;
/// Input: heap_start (u64).
pub const HEAP_START: u64 = 0x20;
/// Input: heap_end (u64).
pub const HEAP_END: u64 = 0x28;
/// Input: ringbuf_input (u64, MCU VA of the user-I/O input page).
pub const RINGBUF_INPUT: u64 = 0x30;
/// Input: ringbuf_output (u64, MCU VA of the user-I/O output page).
pub const RINGBUF_OUTPUT: u64 = 0x38;
/// Input: instr_config.
pub const INSTR_CONFIG: u64 = 0x40;
/// Input: instrbuf_size.
pub const INSTRBUF_SIZE: u64 = 0x44;
/// Input: instrbuf_base (u64).
pub const INSTRBUF_BASE: u64 = 0x48;
/// Input: instrbuf_offset_ptr (u64).
pub const INSTRBUF_OFFSET_PTR: u64 = 0x50;
/// Output: status_cmd_ptr (u64).
pub const STATUS_CMD_PTR: u64 = 0x40;
/// Output: status_wait.
pub const STATUS_WAIT: u64 = 0x48;
/// Output: status_req_resource.
pub const STATUS_REQ_RESOURCE: u64 = 0x4C;
/// Output: status_wait_sync_ptr (u64).
pub const STATUS_WAIT_SYNC_PTR: u64 = 0x50;
/// Output: status_wait_sync_value (low word).
pub const STATUS_WAIT_SYNC_VALUE: u64 = 0x58;
/// Output: status_scoreboards.
pub const STATUS_SCOREBOARDS: u64 = 0x5C;
/// Output: status_blocked_reason (3:0).
pub const STATUS_BLOCKED_REASON: u64 = 0x60;
/// Output: status_wait_sync_value_hi.
pub const STATUS_WAIT_SYNC_VALUE_HI: u64 = 0x64;
/// Output: fault.
pub const FAULT_WORD: u64 = 0x80;
/// Output: fatal.
pub const FATAL_WORD: u64 = 0x84;
/// Output: fault_info (u64).
pub const FAULT_INFO: u64 = 0x88;
/// Output: fatal_info (u64).
pub const FATAL_INFO: u64 = 0x90;
/// Output: heap_vt_start.
pub const HEAP_VT_START: u64 = 0xC0;
/// Output: heap_vt_end.
pub const HEAP_VT_END: u64 = 0xC4;
/// Output: heap_frag_end.
pub const HEAP_FRAG_END: u64 = 0xCC;
/// Output: heap_address (u64).
pub const HEAP_ADDRESS: u64 = 0xD0;
/// Bytes of the input page the interface defines (up to `instrbuf_offset_ptr`).
pub const INPUT_SIZE: u64 = 0x58;
/// Bytes of the output page the interface defines (up to `heap_address`).
pub const OUTPUT_SIZE: u64 = 0xD8;
/// Bytes of the control block Panthor reads.
pub const CONTROL_SIZE: u64 = 0x0C;

/// STATE: stop.
pub const STATE_STOP: u32 = 0;
/// STATE: start.
pub const STATE_START: u32 = 1;
