//! The MCU, modelled natively: the firmware image it "runs", the CSF shared interface it publishes in memory and the
//! global REQ/ACK protocol it answers (`Documentation/hardware.md#firmware-image`).
//!
//! Every MCU access to interface memory goes through AS 0 (the MCU's VM), as on silicon: the driver must have mapped the
//! shared section at [`SHARED_VA`] and made AS 0 live before it starts the MCU. The group/stream (CSG/CS) interfaces are
//! published with their real counts and layouts; the private `streams` module runs them: CSG STATE, ENDPOINT_CONFIG
//! and STATUS_UPDATE requests, CS START/STOP, ring execution through the group's AS with the interpreter in
//! [`crate::cs`], and the CS/CSG events (FAULT, FATAL, TILER_OOM, SYNC_UPDATE, IDLE) with their JOB IRQ bits.
//!
//! Global requests served on doorbell 0: HALT (level, 0→1 edge), CFG_PROGRESS_TIMER / CFG_ALLOC_EN /
//! CFG_POWEROFF_TIMER (latched, see [`GlbLatched`]), PING, COUNTER_EN and IDLE_EN (levels), and the toggles the model
//! has nothing behind (PROTM_ENTER, PERFCNT_*, FWCFG_UPDATE), all acknowledged by copying `req` into `ack`. With
//! IDLE_EN on, every doorbell restarts the idle timer; when it expires the MCU raises the GLB IDLE event. The progress
//! and power-off timers are latched only: they act on running streams and shader power, which later issues model.

mod streams;

pub use streams::{CsgLatched, EXEC_BATCH_INSTRS, EXEC_BATCH_NS, SAVE_STRIDE};

use crate::device::{Event, State};
use crate::error::PortError;
use crate::mmu::AccessType;
use crate::regs::{job_irq, mcu};

/// MCU VA of the shared interface section (`CSF_MCU_SHARED_REGION_START`).
pub const SHARED_VA: u64 = 0x0400_0000;
/// Size of the shared section the model's firmware image declares (64 KiB; the interfaces use the first 44 KiB).
pub const SHARED_SIZE: u64 = 0x1_0000;
/// MCU VA of the model's read-only, executable "code" section (exercises RO/EX mappings in the driver's loader).
pub const CODE_VA: u64 = 0x0100_0000;

/// Offsets inside the shared section (`Documentation/hardware.md#interface-discovery`, the \[kbase\] default strides).
pub mod layout {
    /// Global control block.
    pub const GLB_CONTROL: u64 = 0x0;
    /// Global input page (host-written).
    pub const GLB_INPUT: u64 = 0x800;
    /// Global output page (MCU-written).
    pub const GLB_OUTPUT: u64 = 0xC00;
    /// CSG 0 control block; CSG `i` is at `CSG_CONTROL + i * GROUP_STRIDE`.
    pub const CSG_CONTROL: u64 = 0x1000;
    /// Distance between CSG control blocks.
    pub const GROUP_STRIDE: u64 = 0x100;
    /// CS 0's control block inside its CSG's; CS `j` is at `+ CS_CONTROL + j * STREAM_STRIDE`.
    pub const CS_CONTROL: u64 = 0x40;
    /// Distance between CS control blocks.
    pub const STREAM_STRIDE: u64 = 0xC;
    /// First input/output pair of the CSG/CS interfaces; each interface gets [`IFACE_SLOT`] bytes (input, then output
    /// at `+IFACE_SLOT / 2`), CSG `i` in slot `i * 9`, its CS `j` in slot `i * 9 + 1 + j`.
    pub const IFACE_BASE: u64 = 0x2000;
    /// Bytes per interface (input + output halves).
    pub const IFACE_SLOT: u64 = 0x200;
}

/// Counts and identity values the model publishes (those of a real G610,
/// `Documentation/hardware.md#interface-discovery`).
pub mod values {
    /// Interface version 1.1.0 (so Panthor reads `instr_features`).
    pub const GLB_VERSION: u32 = 0x0101_0000;
    /// CSG slots.
    pub const GROUP_NUM: u32 = 8;
    /// CS slots per CSG.
    pub const STREAM_NUM: u32 = 8;
    /// CS features: 96 registers (field = count − 1), 8 scoreboards, COMPUTE | FRAGMENT | TILER.
    pub const CS_FEATURES: u32 = 0x0007_085F;
    /// Per-group suspend buffer size.
    pub const SUSPEND_SIZE: u32 = 0x2000;
    /// Per-group protected-mode suspend buffer size.
    pub const PROTM_SUSPEND_SIZE: u32 = 0x2000;
}

/// Word offsets of the global interface (`Documentation/hardware.md#global-interface`).
pub mod glb {
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

    /// req bit 0: HALT (level, never acknowledged through `ack`).
    pub const HALT: u32 = 1 << 0;
    /// req bit 1: latch `progress_timer`.
    pub const CFG_PROGRESS_TIMER: u32 = 1 << 1;
    /// req bit 2: latch `core_en_mask`.
    pub const CFG_ALLOC_EN: u32 = 1 << 2;
    /// req bit 3: latch `poweroff_timer`.
    pub const CFG_POWEROFF_TIMER: u32 = 1 << 3;
    /// req bit 4: PROTM_ENTER (toggle; acknowledged, protected mode is not modelled).
    pub const PROTM_ENTER: u32 = 1 << 4;
    /// req bit 5: PERFCNT_EN (acknowledged, counters are not modelled).
    pub const PERFCNT_EN: u32 = 1 << 5;
    /// req bit 6: PERFCNT_SAMPLE (toggle; acknowledged).
    pub const PERFCNT_SAMPLE: u32 = 1 << 6;
    /// req bit 7: COUNTER_EN (level): timestamp propagation to the cores.
    pub const COUNTER_EN: u32 = 1 << 7;
    /// req bit 8: PING.
    pub const PING: u32 = 1 << 8;
    /// req bit 9: FWCFG_UPDATE (toggle; acknowledged).
    pub const FWCFG_UPDATE: u32 = 1 << 9;
    /// req bit 10: IDLE_EN (level): report GLB IDLE after `idle_timer` of idleness.
    pub const IDLE_EN: u32 = 1 << 10;
    /// req bit 12: SLEEP (outside the request mask; ignored).
    pub const SLEEP: u32 = 1 << 12;
    /// Event bit 26: IDLE. The MCU toggles it in `ack`; the host acknowledges by copying it into `req`.
    pub const IDLE: u32 = 1 << 26;
    /// Request bits (10:0) (`GLB_REQ_MASK`).
    pub const REQ_MASK: u32 = 0x7FF;
    /// Event bits (26:20) (`GLB_EVT_MASK`).
    pub const EVT_MASK: u32 = 0x07F0_0000;
    /// What Panthor writes to `ack_irq_mask` at init: CFG_ALLOC_EN | PING | CFG_PROGRESS_TIMER | CFG_POWEROFF_TIMER |
    /// IDLE_EN | IDLE.
    pub const PANTHOR_ACK_IRQ_MASK: u32 = 0x0400_050E;

    /// Timer words (`idle_timer`, `poweroff_timer`): bits 30:0 count units of [`TIMER_UNIT`] ticks.
    pub const TIMER_COUNT_MASK: u32 = 0x7FFF_FFFF;
    /// Timer words: bit 31 set = the ticks are GPU cycles, clear = system (arch) timer ticks.
    pub const TIMER_SOURCE_GPU: u32 = 1 << 31;
    /// Ticks per unit of a timer word's count.
    pub const TIMER_UNIT: u64 = 1024;

    /// `halt_status`: halted cleanly.
    pub const HALT_STATUS_OK: u32 = 0;
    /// `halt_status`: the firmware panicked.
    pub const HALT_STATUS_PANIC: u32 = 0x4E;
    /// `halt_status`: the firmware's watchdog fired.
    pub const HALT_STATUS_WATCHDOG: u32 = 0x4F;
}

/// Word offsets of a CSG interface (`Documentation/hardware.md#csg-and-cs-interfaces`).
pub mod csg {
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
    /// req bits 2:0: STATE (0 TERMINATE, 1 START, 2 SUSPEND, 3 RESUME).
    pub const STATE_MASK: u32 = 0x7;
    /// STATE: terminate.
    pub const STATE_TERMINATE: u32 = 0;
    /// STATE: start.
    pub const STATE_START: u32 = 1;
    /// STATE: suspend.
    pub const STATE_SUSPEND: u32 = 2;
    /// STATE: resume.
    pub const STATE_RESUME: u32 = 3;
    /// req bit 4: ENDPOINT_CONFIG (toggle).
    pub const ENDPOINT_CONFIG: u32 = 1 << 4;
    /// req bit 5: STATUS_UPDATE (toggle).
    pub const STATUS_UPDATE: u32 = 1 << 5;
    /// Event bit 28: SYNC_UPDATE.
    pub const SYNC_UPDATE: u32 = 1 << 28;
    /// Event bit 29: IDLE.
    pub const IDLE: u32 = 1 << 29;
    /// Event bit 30: DOORBELL (defined, unused by Panthor).
    pub const DOORBELL_EVENT: u32 = 1 << 30;
    /// Event bit 31: PROGRESS_TIMER_EVENT.
    pub const PROGRESS_TIMER_EVENT: u32 = 1 << 31;
    /// The request bits the MCU acknowledges by copying.
    pub const REQ_MASK: u32 = STATE_MASK | ENDPOINT_CONFIG | STATUS_UPDATE;
}

/// Word offsets of a CS interface (`Documentation/hardware.md#csg-and-cs-interfaces`).
pub mod cs {
    /// Control: features.
    pub const FEATURES: u64 = 0x00;
    /// Control: input_va.
    pub const INPUT_VA: u64 = 0x04;
    /// Control: output_va.
    pub const OUTPUT_VA: u64 = 0x08;
    /// Input/output: req / ack.
    pub const REQ: u64 = 0x00;
    /// The request bits the MCU acknowledges by copying: STATE 2:0, EXTRACT_EVENT 4, IDLE_* 11:8.
    pub const REQ_MASK: u32 = 0xF17;

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

    /// req bits 2:0: STATE.
    pub const STATE_MASK: u32 = 0x7;
    /// STATE: stop.
    pub const STATE_STOP: u32 = 0;
    /// STATE: start.
    pub const STATE_START: u32 = 1;
    /// req bit 4: EXTRACT_EVENT.
    pub const EXTRACT_EVENT: u32 = 1 << 4;
    /// req bit 8: IDLE_SYNC_WAIT (config level).
    pub const IDLE_SYNC_WAIT: u32 = 1 << 8;
    /// req bit 9: IDLE_PROTM_PENDING (config level).
    pub const IDLE_PROTM_PENDING: u32 = 1 << 9;
    /// req bit 10: IDLE_EMPTY (config level).
    pub const IDLE_EMPTY: u32 = 1 << 10;
    /// req bit 11: IDLE_RESOURCE_REQ (config level).
    pub const IDLE_RESOURCE_REQ: u32 = 1 << 11;
    /// Event bit 26: TILER_OOM.
    pub const TILER_OOM: u32 = 1 << 26;
    /// Event bit 27: PROTM_PENDING.
    pub const PROTM_PENDING: u32 = 1 << 27;
    /// Event bit 30: FATAL.
    pub const FATAL: u32 = 1 << 30;
    /// Event bit 31: FAULT.
    pub const FAULT: u32 = 1 << 31;

    /// Control `features` bits 7:0: work registers − 1.
    pub const FEATURES_WORK_REGS_MASK: u32 = 0xFF;
    /// Control `features` bits 15:8: scoreboard entries.
    pub const FEATURES_SCOREBOARDS_SHIFT: u32 = 8;
    /// Control `features` bit 16: the CS can run compute work.
    pub const FEATURES_COMPUTE: u32 = 1 << 16;
    /// Control `features` bit 17: fragment work.
    pub const FEATURES_FRAGMENT: u32 = 1 << 17;
    /// Control `features` bit 18: tiler work.
    pub const FEATURES_TILER: u32 = 1 << 18;
}

/// MCU VA of the control block of CSG `i`.
pub fn csg_control_va(i: u32) -> u64 {
    SHARED_VA + layout::CSG_CONTROL + u64::from(i) * layout::GROUP_STRIDE
}

/// MCU VA of the control block of CS `j` of CSG `i`.
pub fn cs_control_va(i: u32, j: u32) -> u64 {
    csg_control_va(i) + layout::CS_CONTROL + u64::from(j) * layout::STREAM_STRIDE
}

/// MCU VAs of the (input, output) pages of interface slot `k` (see [`layout::IFACE_BASE`]).
fn iface_pages(k: u32) -> (u64, u64) {
    let input = SHARED_VA + layout::IFACE_BASE + u64::from(k) * layout::IFACE_SLOT;
    (input, input + layout::IFACE_SLOT / 2)
}

/// (input, output) MCU VAs of CSG `i`'s interface.
pub fn csg_iface(i: u32) -> (u64, u64) {
    iface_pages(i * (values::STREAM_NUM + 1))
}

/// (input, output) MCU VAs of CS `j` of CSG `i`.
pub fn cs_iface(i: u32, j: u32) -> (u64, u64) {
    iface_pages(i * (values::STREAM_NUM + 1) + 1 + j)
}

/// MCU VA of the global input page.
pub const GLB_INPUT_VA: u64 = SHARED_VA + layout::GLB_INPUT;
/// MCU VA of the global output page.
pub const GLB_OUTPUT_VA: u64 = SHARED_VA + layout::GLB_OUTPUT;

/// What the MCU latched from the global interface, for tests and tools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlbLatched {
    /// `progress_timer` at the last CFG_PROGRESS_TIMER request.
    pub progress_timer: u32,
    /// `poweroff_timer` at the last CFG_POWEROFF_TIMER request.
    pub poweroff_timer: u32,
    /// `core_en_mask` at the last CFG_ALLOC_EN request.
    pub core_en_mask: u64,
    /// `idle_timer` when IDLE_EN was last served.
    pub idle_timer: u32,
    /// PING requests answered.
    pub pings: u64,
    /// COUNTER_EN as last served (timestamp propagation to the cores).
    pub counter_en: bool,
    /// IDLE_EN as last served: the MCU reports GLB IDLE once `idle_timer` passes without work.
    pub idle_en: bool,
    /// GLB IDLE events the MCU has reported.
    pub idle_reports: u64,
}

/// The MCU's own state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mcu {
    running: bool,
    /// HALT was 1 at the last doorbell (a 0→1 edge halts).
    halt_seen: bool,
    pub(crate) latched: GlbLatched,
    /// CSG and CS slots at run time.
    pub(crate) exec: streams::Exec,
    /// Rings of doorbells 1.. (per-CSG doorbells) that reached the running MCU.
    pub(crate) cs_doorbells: u64,
    /// Generation of the idle timer: an expiry whose generation is stale was cancelled by later activity.
    idle_gen: u64,
}

impl Mcu {
    pub(crate) fn stop(&mut self) {
        self.running = false;
        self.halt_seen = false;
        self.idle_gen += 1;
        self.exec.stop();
    }
}

/// Nanoseconds a timer word (`idle_timer`, `poweroff_timer`; `Documentation/hardware.md#global-interface`) stands for:
/// count × 1024 ticks of the GPU cycle counter (bit 31 set) or of the system timer. `None` for a zero count, which the
/// model takes as "never"
/// [model: Panthor's conversion never yields 0].
pub fn timer_ns(word: u32, timestamp_hz: u64, gpu_clock_hz: u64) -> Option<u64> {
    let count = u64::from(word & glb::TIMER_COUNT_MASK);
    let hz = if word & glb::TIMER_SOURCE_GPU != 0 { gpu_clock_hz } else { timestamp_hz };
    if count == 0 || hz == 0 {
        return None;
    }
    let ns = u128::from(count * glb::TIMER_UNIT) * 1_000_000_000 / u128::from(hz);
    Some(u64::try_from(ns).unwrap_or(u64::MAX).max(1))
}

/// Work reached the MCU (a doorbell): restart the idle timer if IDLE_EN is on. Any expiry already scheduled is now
/// stale.
fn arm_idle_timer(st: &mut State) {
    st.mcu.idle_gen += 1;
    if !st.mcu.latched.idle_en {
        return;
    }
    if let Some(ns) = timer_ns(st.mcu.latched.idle_timer, st.cfg.timestamp_hz, st.cfg.gpu_clock_hz) {
        let gen = st.mcu.idle_gen;
        st.schedule(ns, Event::McuIdle(gen));
    }
}

/// The idle timer of generation `gen` expired. If some stream still has work the timer simply restarts; otherwise
/// the MCU reports GLB IDLE: it toggles `ack.IDLE` (unless the previous report is still unacknowledged) and raises
/// JOB IRQ GLB when `ack_irq_mask` asks for it.
pub(crate) fn idle_timer_expired(st: &mut State, gen: u64) {
    if !st.mcu.running || gen != st.mcu.idle_gen || !st.mcu.latched.idle_en {
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

/// How long a stalled MCU access waits before it is tried again (model time). Accesses to a LOCKed region wait for
/// the unlock (`Documentation/hardware.md#mmu_control-and-address-spaces`: "GPU accesses to it wait until unlocked");
/// the MCU's work is event-driven, so it is re-run once the host has had time to finish its page-table update.
const STALL_RETRY_NS: u64 = 1_000;

fn report_idle(st: &mut State) -> Result<(), PortError> {
    let req = rd(st, GLB_INPUT_VA + glb::REQ)?;
    let ack = rd(st, GLB_OUTPUT_VA + glb::ACK)?;
    if (req ^ ack) & glb::IDLE != 0 {
        return Ok(());
    }
    wr(st, GLB_OUTPUT_VA + glb::ACK, ack ^ glb::IDLE)?;
    st.mcu.latched.idle_reports += 1;
    if rd(st, GLB_INPUT_VA + glb::ACK_IRQ_MASK)? & glb::IDLE != 0 {
        st.job_irq.raise(job_irq::GLB);
    }
    Ok(())
}

fn rd(st: &mut State, va: u64) -> Result<u32, PortError> {
    let mut b = [0u8; 4];
    st.access(0, va, 4, AccessType::Read, |ram, pa, r| ram.read(pa, &mut b[r]))?;
    Ok(u32::from_le_bytes(b))
}

fn wr(st: &mut State, va: u64, v: u32) -> Result<(), PortError> {
    let b = v.to_le_bytes();
    st.access(0, va, 4, AccessType::Write, |ram, pa, r| ram.write(pa, &b[r]))
}

fn va32(va: u64) -> u32 {
    // Every interface VA lies inside the shared section below 4 GiB.
    va as u32
}

/// Publishes every control block (`Documentation/hardware.md#interface-discovery`) through AS 0.
fn publish(st: &mut State) -> Result<(), PortError> {
    let c = SHARED_VA + layout::GLB_CONTROL;
    wr(st, c + glb::VERSION, values::GLB_VERSION)?;
    wr(st, c + glb::FEATURES, 0)?;
    wr(st, c + glb::INPUT_VA, va32(GLB_INPUT_VA))?;
    wr(st, c + glb::OUTPUT_VA, va32(GLB_OUTPUT_VA))?;
    wr(st, c + glb::GROUP_NUM, values::GROUP_NUM)?;
    wr(st, c + glb::GROUP_STRIDE, layout::GROUP_STRIDE as u32)?;
    wr(st, c + glb::PERFCNT_SIZE, 0)?;
    wr(st, c + glb::INSTR_FEATURES, 0)?;
    wr(st, GLB_OUTPUT_VA + glb::HALT_STATUS, 0)?;
    for i in 0..values::GROUP_NUM {
        let c = csg_control_va(i);
        let (input, output) = csg_iface(i);
        wr(st, c + csg::FEATURES, 0)?;
        wr(st, c + csg::INPUT_VA, va32(input))?;
        wr(st, c + csg::OUTPUT_VA, va32(output))?;
        wr(st, c + csg::SUSPEND_SIZE, values::SUSPEND_SIZE)?;
        wr(st, c + csg::PROTM_SUSPEND_SIZE, values::PROTM_SUSPEND_SIZE)?;
        wr(st, c + csg::STREAM_NUM, values::STREAM_NUM)?;
        wr(st, c + csg::STREAM_STRIDE, layout::STREAM_STRIDE as u32)?;
        for j in 0..values::STREAM_NUM {
            let c = cs_control_va(i, j);
            let (input, output) = cs_iface(i, j);
            wr(st, c + cs::FEATURES, values::CS_FEATURES)?;
            wr(st, c + cs::INPUT_VA, va32(input))?;
            wr(st, c + cs::OUTPUT_VA, va32(output))?;
        }
    }
    Ok(())
}

/// MCU_CONTROL asked for ENABLE/AUTO and the boot latency elapsed: publish the interfaces, report ENABLED and raise
/// JOB IRQ GLB. If the shared section is not reachable through AS 0 the MCU stops with MCU_STATUS FATAL (the MMU fault
/// is on record in AS 0).
pub(crate) fn start(st: &mut State) {
    match publish(st) {
        Ok(()) => {
            st.mcu.running = true;
            st.mcu.halt_seen = false;
            st.mcu_status = mcu::STATUS_ENABLED;
            st.job_irq.raise(job_irq::GLB);
        }
        Err(PortError::Stalled { .. }) => st.schedule(STALL_RETRY_NS, Event::McuStart),
        Err(_) => {
            st.mcu.running = false;
            st.mcu_status = mcu::STATUS_FATAL;
        }
    }
}

/// Doorbell `i` rang and the MCU got to it.
pub(crate) fn doorbell(st: &mut State, i: u32) {
    if !st.mcu.running {
        return;
    }
    let served = if i == 0 {
        serve_global(st)
    } else {
        st.mcu.cs_doorbells += 1;
        streams::doorbell(st, i);
        Ok(())
    };
    match served {
        // Serving is idempotent (requests are re-read, acks copied from them): run it again after the unlock.
        Err(PortError::Stalled { .. }) => st.schedule(STALL_RETRY_NS, Event::Doorbell(i)),
        Err(_) => {
            st.mcu.running = false;
            st.mcu_status = mcu::STATUS_FATAL;
        }
        Ok(()) if st.mcu.running => arm_idle_timer(st),
        Ok(()) => {}
    }
}

fn serve_global(st: &mut State) -> Result<(), PortError> {
    let req = rd(st, GLB_INPUT_VA + glb::REQ)?;
    let ack = rd(st, GLB_OUTPUT_VA + glb::REQ)?;
    let irq_mask = rd(st, GLB_INPUT_VA + glb::ACK_IRQ_MASK)?;

    // HALT is a level whose 0→1 edge halts the MCU; it is never copied into ack.
    let halt = req & glb::HALT != 0;
    if halt && !st.mcu.halt_seen {
        st.mcu.halt_seen = true;
        st.mcu.exec.stop();
        wr(st, GLB_OUTPUT_VA + glb::HALT_STATUS, 0)?;
        st.mcu.running = false;
        st.mcu_status = mcu::STATUS_HALT;
        return Ok(());
    }
    st.mcu.halt_seen = halt;

    let mask = glb::REQ_MASK & !glb::HALT;
    let pending = (req ^ ack) & mask;
    if pending & glb::CFG_PROGRESS_TIMER != 0 {
        st.mcu.latched.progress_timer = rd(st, GLB_INPUT_VA + glb::PROGRESS_TIMER)?;
    }
    if pending & glb::CFG_POWEROFF_TIMER != 0 {
        st.mcu.latched.poweroff_timer = rd(st, GLB_INPUT_VA + glb::POWEROFF_TIMER)?;
    }
    if pending & glb::CFG_ALLOC_EN != 0 {
        let lo = rd(st, GLB_INPUT_VA + glb::CORE_EN_MASK)?;
        let hi = rd(st, GLB_INPUT_VA + glb::CORE_EN_MASK + 4)?;
        st.mcu.latched.core_en_mask = u64::from(hi) << 32 | u64::from(lo);
    }
    if pending & glb::IDLE_EN != 0 {
        st.mcu.latched.idle_timer = rd(st, GLB_INPUT_VA + glb::IDLE_TIMER)?;
    }
    if pending & glb::PING != 0 {
        st.mcu.latched.pings += 1;
    }
    st.mcu.latched.counter_en = req & glb::COUNTER_EN != 0;
    st.mcu.latched.idle_en = req & glb::IDLE_EN != 0;
    let new_ack = (ack & !mask) | (req & mask);
    if new_ack != ack {
        wr(st, GLB_OUTPUT_VA + glb::REQ, new_ack)?;
    }
    let mut job_bits = if (new_ack ^ ack) & irq_mask != 0 { job_irq::GLB } else { 0 };

    // Per-CSG doorbells: serve every slot whose bit differs, then acknowledge the bits.
    let db_req = rd(st, GLB_INPUT_VA + glb::DOORBELL)?;
    let db_ack = rd(st, GLB_OUTPUT_VA + glb::DOORBELL)?;
    let slots = (1u32 << values::GROUP_NUM) - 1;
    let ring = (db_req ^ db_ack) & slots;
    for i in 0..values::GROUP_NUM {
        if ring & (1 << i) != 0 && serve_csg(st, i)? {
            job_bits |= job_irq::csg(i);
        }
    }
    if ring != 0 {
        wr(st, GLB_OUTPUT_VA + glb::DOORBELL, (db_ack & !slots) | (db_req & slots))?;
    }
    st.job_irq.raise(job_bits);
    Ok(())
}

/// Serves CSG `i` (its GLB doorbell bit differed): STATE, ENDPOINT_CONFIG, the per-CS doorbell bits, STATUS_UPDATE,
/// then acknowledges by copying `req` into `ack`; returns whether a JOB IRQ for the slot is due.
fn serve_csg(st: &mut State, i: u32) -> Result<bool, PortError> {
    let (input, output) = csg_iface(i);
    let req = rd(st, input + csg::REQ)?;
    let ack = rd(st, output + csg::REQ)?;
    let irq_mask = rd(st, input + csg::ACK_IRQ_MASK)?;
    if (req ^ ack) & csg::STATE_MASK != 0 {
        streams::csg_state(st, i, req & csg::STATE_MASK)?;
    } else if (req ^ ack) & csg::ENDPOINT_CONFIG != 0 {
        streams::latch_endpoint(st, i)?;
    }

    let db_req = rd(st, input + csg::DOORBELL)?;
    let db_ack = rd(st, output + csg::DOORBELL)?;
    let streams_mask = (1u32 << values::STREAM_NUM) - 1;
    let ring = (db_req ^ db_ack) & streams_mask;
    for j in 0..values::STREAM_NUM {
        if ring & (1 << j) != 0 {
            let (cin, cout) = cs_iface(i, j);
            let creq = rd(st, cin + cs::REQ)?;
            let cack = rd(st, cout + cs::REQ)?;
            wr(st, cout + cs::REQ, (cack & !cs::REQ_MASK) | (creq & cs::REQ_MASK))?;
            streams::cs_doorbell_bit(st, i, j)?;
        }
    }
    if ring != 0 {
        wr(st, output + csg::DOORBELL, (db_ack & !streams_mask) | (db_req & streams_mask))?;
    }
    if (req ^ ack) & csg::STATUS_UPDATE != 0 {
        streams::publish_csg_status(st, i)?;
    }
    // Events the MCU raised meanwhile (ack toggles) must survive the copy: re-read ack, copy only request bits.
    let ack_now = rd(st, output + csg::REQ)?;
    let new_ack = (ack_now & !csg::REQ_MASK) | (req & csg::REQ_MASK);
    if new_ack != ack_now {
        wr(st, output + csg::REQ, new_ack)?;
    }
    Ok((new_ack ^ ack) & irq_mask & csg::REQ_MASK != 0)
}

/// One execution batch of generation `gen` (an [`Event::CsExec`]). An interface the MCU cannot reach through AS 0
/// stops it with MCU_STATUS FATAL, as for the global interface.
pub(crate) fn exec_batch(st: &mut State, gen: u64) {
    if !st.mcu.running {
        return;
    }
    match streams::batch(st, gen) {
        Ok(_) => {}
        Err(PortError::Stalled { .. }) => st.schedule(STALL_RETRY_NS, Event::CsExec(gen)),
        Err(_) => {
            st.mcu.running = false;
            st.mcu_status = mcu::STATUS_FATAL;
        }
    }
}

/// See [`crate::Mali::inject_tiler_oom`].
pub(crate) fn tiler_oom(st: &mut State, i: u32, j: u32) -> bool {
    st.mcu.running && streams::tiler_oom(st, i, j).unwrap_or(false)
}

/// The firmware image the model ships in place of `arm/mali/arch10.8/mali_csffw.bin`
/// (`Documentation/hardware.md#firmware-image`): one SHARED|ZERO|RD|WR section of [`SHARED_SIZE`] bytes at
/// [`SHARED_VA`] with no data, and one cached RD|EX "code" section of one page at
/// [`CODE_VA`] carrying a short marker, so that a loader exercises read-only and executable mappings.
pub fn firmware_image() -> Vec<u8> {
    const MAGIC: u32 = 0xC3F1_3A6E;
    const RD: u32 = 1 << 0;
    const WR: u32 = 1 << 1;
    const EX: u32 = 1 << 2;
    const CACHED: u32 = 1 << 3;
    const SHARED: u32 = 1 << 30;
    const ZERO: u32 = 1 << 31;
    const HEADER: usize = 20;
    let marker = b"tyr native MCU model\0\0\0\0";

    // (flags, va_start, va_end, has data, name); entry = word + 5 u32 + name, names padded to 4 bytes.
    let sections: [(u32, u64, u64, bool, &[u8]); 2] = [
        (RD | WR | SHARED | ZERO, SHARED_VA, SHARED_VA + SHARED_SIZE, false, b"shared\0\0"),
        (RD | EX | CACHED, CODE_VA, CODE_VA + 0x1000, true, b"code"),
    ];
    let entries_len: usize = sections.iter().map(|s| 24 + s.4.len()).sum();
    let data_start = (HEADER + entries_len) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // minor 0, major 0, padding1
    out.extend_from_slice(&0x7479_7200u32.to_le_bytes()); // version_hash
    out.extend_from_slice(&0u32.to_le_bytes()); // padding2
    out.extend_from_slice(&((HEADER + entries_len) as u32).to_le_bytes());
    for (flags, va_start, va_end, has_data, name) in sections {
        let size = (24 + name.len()) as u32;
        let (ds, de) = if has_data { (data_start, data_start + marker.len() as u32) } else { (0, 0) };
        out.extend_from_slice(&(size << 8).to_le_bytes()); // type 0 = IFACE
        for w in [flags, va_start as u32, va_end as u32, ds, de] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(name);
    }
    out.extend_from_slice(marker);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_pages_fit_in_the_shared_section() {
        let (_, last_out) = cs_iface(values::GROUP_NUM - 1, values::STREAM_NUM - 1);
        assert!(last_out + layout::IFACE_SLOT / 2 <= SHARED_VA + SHARED_SIZE);
        assert!(cs_control_va(values::GROUP_NUM - 1, values::STREAM_NUM - 1) + 0xC <= SHARED_VA + layout::IFACE_BASE);
    }

    #[test]
    fn timer_words_convert_with_their_tick_source() {
        // Panthor's 800 µs idle timer at 24 MHz: 19 units of 1024 ticks.
        assert_eq!(timer_ns(19, 24_000_000, 198_000_000), Some(810_666));
        assert_eq!(timer_ns(glb::TIMER_SOURCE_GPU | 198, 24_000_000, 198_000_000), Some(1_024_000));
        assert_eq!(timer_ns(0, 24_000_000, 198_000_000), None);
        assert_eq!(timer_ns(glb::TIMER_SOURCE_GPU, 24_000_000, 198_000_000), None);
    }

    #[test]
    fn firmware_image_header_is_well_formed() {
        let img = firmware_image();
        let w = |o: usize| u32::from_le_bytes(img[o..o + 4].try_into().unwrap());
        assert_eq!(w(0), 0xC3F1_3A6E);
        assert_eq!(img[5], 0, "major must be 0");
        assert!(w(16) as usize <= img.len());
        // First entry: IFACE, 4-byte multiple size, shared section at 0x0400_0000.
        let e = w(20);
        assert_eq!(e & 0xFF, 0);
        assert_eq!((e >> 8) & 0xFF, 32);
        assert_eq!(w(28) as u64, SHARED_VA);
    }
}
