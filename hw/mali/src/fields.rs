// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Typed views of the registers whose fields the model decodes or composes, declared with
//! [`crate::register_fields!`]. Offsets and command codes stay in [`crate::regs`]; these name the bits inside a word.

crate::register_fields! {
    /// GPU_COMMAND (`Documentation/hardware.md#gpu_control`): a command code and its payload.
    pub struct GpuCommand(u32) {
        /// The command code ([`crate::regs::gpu_command`]).
        7:0 code, set_code;
        /// Everything above the code.
        31:8 payload, set_payload;
        /// RESET: the kind ([`crate::regs::gpu_command::RESET_FAST`], `_SOFT`, `_HARD`).
        11:8 reset_kind, set_reset_kind;
        /// TIME: 1 starts the cycle counter, 0 stops it.
        8:8 time_start, set_time_start;
    }
}

crate::register_fields! {
    /// GPU_FAULTSTATUS (`Documentation/hardware.md#gpu_control`).
    pub struct GpuFaultStatus(u32) {
        /// The exception type (0x80 GPU_BUS_FAULT).
        7:0 exception_type, set_exception_type;
        /// The access type ([`crate::mmu::AccessType`] encoding).
        9:8 access_type, set_access_type;
        /// GPU_FAULTADDRESS holds the faulting address.
        10:10 address_valid, set_address_valid;
    }
}

crate::register_fields! {
    /// The MMU IRQ registers (RAWSTAT/CLEAR/MASK/STAT, `Documentation/hardware.md#mmu_control-and-address-spaces`): one page-fault bit and one bus-error bit per AS.
    pub struct MmuIrq(u32) {
        /// Page-fault bits, AS `n` at bit `n`.
        15:0 page_fault, set_page_fault;
        /// Bus-error bits, AS `n` at bit `16 + n` (never raised by the model).
        31:16 bus_error, set_bus_error;
    }
}

crate::register_fields! {
    /// AS_COMMAND (`Documentation/hardware.md#mmu_control-and-address-spaces`).
    pub struct AsCommand(u32) {
        /// The command code ([`crate::regs::as_command`]).
        7:0 code, set_code;
    }
}

crate::register_fields! {
    /// AS_FAULTSTATUS (`Documentation/hardware.md#mmu_control-and-address-spaces`).
    pub struct AsFaultStatus(u32) {
        /// The exception type (`0xC0 | class << 3 | level`, see [`crate::mmu::MmuFault::exception_type`]).
        7:0 exception_type, set_exception_type;
        /// The access type ([`crate::mmu::AccessType`] encoding).
        9:8 access_type, set_access_type;
        /// The requester's source id.
        31:16 source_id, set_source_id;
    }
}

crate::register_fields! {
    /// AS_TRANSCFG (`Documentation/hardware.md#mmu_control-and-address-spaces`).
    pub struct AsTranscfg(u64) {
        /// ADRMODE ([`crate::regs::transcfg::ADRMODE_AARCH64_4K`], ...).
        3:0 adrmode, set_adrmode;
        /// INA_BITS: the input address is `55 - INA_BITS` bits wide.
        10:6 ina_bits, set_ina_bits;
        /// Ignore hierarchical (table-level) permissions.
        33:33 disable_hier_ap, set_disable_hier_ap;
        /// Do not fault on AF = 0.
        34:34 disable_af_fault, set_disable_af_fault;
        /// No execution from writable pages.
        35:35 wxn, set_wxn;
    }
}

crate::register_fields! {
    /// AS_LOCKADDR (`Documentation/hardware.md#mmu_control-and-address-spaces`): a naturally aligned region to lock.
    pub struct AsLockaddr(u64) {
        /// SIZE: log2 of the region's bytes, minus one.
        5:0 size, set_size;
        /// BASE: the region's address, in 4 KiB units (bits below the region's size are ignored).
        63:12 base, set_base;
    }
}

crate::register_fields! {
    /// A CSF timer word (`idle_timer`, `poweroff_timer`; `Documentation/hardware.md#global-interface`).
    pub struct TimerWord(u32) {
        /// How many units of [`crate::csf::glb::TIMER_UNIT`] ticks.
        30:0 count, set_count;
        /// 1: ticks of the GPU cycle counter; 0: of the system timer.
        31:31 source_gpu, set_source_gpu = SOURCE_GPU;
    }
}

crate::register_fields! {
    /// The JOB IRQ registers (RAWSTAT/CLEAR/MASK/STAT, `Documentation/hardware.md#job_control`): one bit per CSG slot
    /// and one for the global interface.
    pub struct JobIrq(u32) {
        /// CSG slot bits, slot `n` at bit `n`.
        30:0 csg, set_csg;
        /// The global interface needs attention.
        31:31 glb, set_glb = GLB;
    }
}

impl JobIrq {
    /// The bit of CSG slot `slot` (`slot` < 31; higher slots wrap, as no GPU has that many).
    pub const fn csg_slot(slot: u32) -> Self {
        Self(0).set_csg(1 << (slot % 31))
    }
}

crate::register_fields! {
    /// The global interface's `req` (input) and `ack` (output) words, and `ack_irq_mask`, which selects the same bits
    /// (`Documentation/hardware.md#global-interface`). Request bits 10:0 are acknowledged by copying them into `ack`
    /// (HALT excepted); event bits 26:20 go the other way: the MCU toggles them in `ack`, the host copies them back.
    pub struct GlbReq(u32) {
        /// HALT (level; its 0→1 edge halts the MCU, never acknowledged through `ack`).
        0:0 halt, set_halt = HALT;
        /// Latch `progress_timer` (toggle).
        1:1 cfg_progress_timer, set_cfg_progress_timer = CFG_PROGRESS_TIMER;
        /// Latch `core_en_mask` (toggle).
        2:2 cfg_alloc_en, set_cfg_alloc_en = CFG_ALLOC_EN;
        /// Latch `poweroff_timer` (toggle).
        3:3 cfg_poweroff_timer, set_cfg_poweroff_timer = CFG_POWEROFF_TIMER;
        /// PROTM_ENTER (toggle; acknowledged, protected mode is not modelled).
        4:4 protm_enter, set_protm_enter = PROTM_ENTER;
        /// PERFCNT_EN (acknowledged, counters are not modelled).
        5:5 perfcnt_en, set_perfcnt_en = PERFCNT_EN;
        /// PERFCNT_SAMPLE (toggle; acknowledged).
        6:6 perfcnt_sample, set_perfcnt_sample = PERFCNT_SAMPLE;
        /// COUNTER_EN (level): timestamp propagation to the cores.
        7:7 counter_en, set_counter_en = COUNTER_EN;
        /// PING (toggle).
        8:8 ping, set_ping = PING;
        /// FWCFG_UPDATE (toggle; acknowledged).
        9:9 fwcfg_update, set_fwcfg_update = FWCFG_UPDATE;
        /// IDLE_EN (level): report IDLE after `idle_timer` of idleness.
        10:10 idle_en, set_idle_en = IDLE_EN;
        /// The request bits (`GLB_REQ_MASK`).
        10:0 reqs, set_reqs = REQS;
        /// SLEEP (outside the request bits; ignored).
        12:12 sleep, set_sleep = SLEEP;
        /// IDLE event: the MCU toggles it in `ack`; the host acknowledges by copying it into `req`.
        26:26 idle, set_idle = IDLE;
        /// The event bits (`GLB_EVT_MASK`).
        26:20 evts, set_evts = EVTS;
    }
}

crate::register_fields! {
    /// A CSG interface `req`/`ack` word, and `ack_irq_mask`, which selects the same bits
    /// (`Documentation/hardware.md#csg-and-cs-interfaces`; Panthor's `CSG_*`).
    pub struct CsgReq(u32) {
        /// STATE: [`crate::csf::csg::STATE_TERMINATE`], `_START`, `_SUSPEND`, `_RESUME` (a level).
        2:0 state, set_state = STATE;
        /// ENDPOINT_CONFIG (toggle): latch `endpoint_req`.
        4:4 endpoint_config, set_endpoint_config = ENDPOINT_CONFIG;
        /// STATUS_UPDATE (toggle): publish the status words.
        5:5 status_update, set_status_update = STATUS_UPDATE;
        /// SYNC_UPDATE event.
        28:28 sync_update, set_sync_update = SYNC_UPDATE;
        /// IDLE event.
        29:29 idle, set_idle = IDLE;
        /// DOORBELL event (defined, unused by Panthor).
        30:30 doorbell, set_doorbell = DOORBELL;
        /// PROGRESS_TIMER_EVENT.
        31:31 progress_timer_event, set_progress_timer_event = PROGRESS_TIMER_EVENT;
    }
}

impl CsgReq {
    /// The request bits the MCU acknowledges by copying them into `ack` (`CSG_REQ_MASK`).
    pub const ACKED: Self = Self(Self::STATE.0 | Self::ENDPOINT_CONFIG.0 | Self::STATUS_UPDATE.0);
}

crate::register_fields! {
    /// A CSG's `endpoint_req` word (Panthor's `CSG_EP_REQ_*`).
    pub struct CsgEndpointReq(u32) {
        /// Compute endpoints the group may use.
        7:0 compute, set_compute;
        /// Fragment endpoints.
        15:8 fragment, set_fragment;
        /// Tiler endpoints.
        19:16 tiler, set_tiler;
        /// Exclusive use of the compute endpoints.
        20:20 exclusive_compute, set_exclusive_compute;
        /// Exclusive use of the fragment endpoints.
        21:21 exclusive_fragment, set_exclusive_fragment;
        /// The group's priority.
        31:28 priority, set_priority;
    }
}

crate::register_fields! {
    /// A CS interface `req`/`ack` word, and `ack_irq_mask` (`Documentation/hardware.md#csg-and-cs-interfaces`;
    /// Panthor's `CS_*`).
    pub struct CsReq(u32) {
        /// STATE: [`crate::csf::cs::STATE_STOP`] or `_START` (a level).
        2:0 state, set_state = STATE;
        /// EXTRACT_EVENT (toggle).
        4:4 extract_event, set_extract_event = EXTRACT_EVENT;
        /// IDLE_SYNC_WAIT (config level).
        8:8 idle_sync_wait, set_idle_sync_wait = IDLE_SYNC_WAIT;
        /// IDLE_PROTM_PENDING (config level).
        9:9 idle_protm_pending, set_idle_protm_pending = IDLE_PROTM_PENDING;
        /// IDLE_EMPTY (config level).
        10:10 idle_empty, set_idle_empty = IDLE_EMPTY;
        /// IDLE_RESOURCE_REQ (config level).
        11:11 idle_resource_req, set_idle_resource_req = IDLE_RESOURCE_REQ;
        /// TILER_OOM event.
        26:26 tiler_oom, set_tiler_oom = TILER_OOM;
        /// PROTM_PENDING event.
        27:27 protm_pending, set_protm_pending = PROTM_PENDING;
        /// FATAL event.
        30:30 fatal, set_fatal = FATAL;
        /// FAULT event.
        31:31 fault, set_fault = FAULT;
    }
}

impl CsReq {
    /// The request bits the MCU acknowledges by copying them into `ack`: STATE, EXTRACT_EVENT and the IDLE_* levels.
    pub const ACKED: Self = Self(
        Self::STATE.0
            | Self::EXTRACT_EVENT.0
            | Self::IDLE_SYNC_WAIT.0
            | Self::IDLE_PROTM_PENDING.0
            | Self::IDLE_EMPTY.0
            | Self::IDLE_RESOURCE_REQ.0,
    );
}

crate::register_fields! {
    /// A CS's `status_wait` word (Panthor's `CS_STATUS_WAIT_*`): what a blocked stream waits for.
    pub struct CsStatusWait(u32) {
        /// The scoreboard entries waited for.
        15:0 scoreboards, set_scoreboards;
        /// Where the scoreboard wait comes from (8: a WAIT instruction).
        19:16 sb_source, set_sb_source;
        /// The sync wait's condition (0 LE, 1 GT).
        27:24 sync_cond, set_sync_cond;
        /// Waiting for progress.
        28:28 progress, set_progress;
        /// Waiting for protected mode.
        29:29 protm, set_protm;
        /// The sync object waited on is 64-bit.
        30:30 sync_64b, set_sync_64b;
        /// Waiting on a sync object.
        31:31 sync, set_sync;
    }
}

crate::register_fields! {
    /// A CS's `config` word (Panthor's `CS_CONFIG_*`).
    pub struct CsConfig(u32) {
        /// The stream's priority.
        3:0 priority, set_priority;
        /// The doorbell page that rings it.
        15:8 doorbell, set_doorbell;
    }
}

crate::register_fields! {
    /// A CS control block's `features` word (`CS_FEATURES_*`).
    pub struct CsFeatures(u32) {
        /// Work registers, minus one.
        7:0 work_regs, set_work_regs;
        /// Scoreboard entries.
        15:8 scoreboards, set_scoreboards;
        /// The CS can run compute work.
        16:16 compute, set_compute = COMPUTE;
        /// Fragment work.
        17:17 fragment, set_fragment = FRAGMENT;
        /// Tiler work.
        18:18 tiler, set_tiler = TILER;
    }
}

crate::register_fields! {
    /// The header word of a firmware image entry (`Documentation/hardware.md#firmware-image`).
    pub struct FwEntryHeader(u32) {
        /// The entry type (0 IFACE).
        7:0 entry_type, set_entry_type;
        /// The entry's size in bytes, header word included.
        15:8 size, set_size;
        /// An entry a loader that does not know its type may skip.
        31:31 optional, set_optional;
    }
}

crate::register_fields! {
    /// The flags of a firmware image IFACE entry: how the MCU maps the section.
    pub struct FwSectionFlags(u32) {
        /// Readable.
        0:0 read, set_read = RD;
        /// Writable.
        1:1 write, set_write = WR;
        /// Executable.
        2:2 exec, set_exec = EX;
        /// Cache mode (1: cached).
        4:3 cache_mode, set_cache_mode;
        /// Protected mode only.
        5:5 protected, set_protected;
        /// Shared with the host.
        30:30 shared, set_shared = SHARED;
        /// Zero-filled beyond its data.
        31:31 zero, set_zero = ZERO;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regs::{gpu_command, transcfg};

    #[test]
    fn gpu_command_fields_decode_panthors_commands() {
        // Soft reset 0x101, hard reset 0x201, TIME start 0x103.
        assert_eq!(
            (GpuCommand(0x101).code(), GpuCommand(0x101).reset_kind()),
            (gpu_command::RESET, 1)
        );
        assert_eq!(GpuCommand(0x201).reset_kind(), gpu_command::RESET_HARD);
        assert_eq!(
            (GpuCommand(0x103).code(), GpuCommand(0x103).time_start()),
            (gpu_command::TIME, 1)
        );
        assert_eq!(GpuCommand(0x3).time_start(), 0);
    }

    #[test]
    fn transcfg_fields_match_the_value_panthor_writes() {
        let t = AsTranscfg(transcfg::PANTHOR_ENABLED);
        assert_eq!(t.adrmode(), transcfg::ADRMODE_AARCH64_4K);
        assert_eq!(t.ina_bits(), 7);
        assert_eq!(
            (t.disable_hier_ap(), t.disable_af_fault(), t.wxn()),
            (0, 0, 0)
        );
    }

    #[test]
    fn fault_status_round_trips() {
        let s = AsFaultStatus::default()
            .set_exception_type(0xCB)
            .set_access_type(3)
            .set_source_id(0xBEEF);
        assert_eq!(s.0, 0xBEEF_03CB);
        assert_eq!(
            (s.exception_type(), s.access_type(), s.source_id()),
            (0xCB, 3, 0xBEEF)
        );
    }

    #[test]
    fn glb_and_job_irq_bits_sit_where_panthor_puts_them() {
        // GLB_HALT BIT(0), GLB_PING BIT(8), GLB_IDLE_EN BIT(10), GLB_IDLE BIT(26), GLB_REQ_MASK GENMASK(10, 0),
        // GLB_EVT_MASK GENMASK(26, 20); JOB_INT_GLOBAL_IF BIT(31), JOB_INT_CSG_IF(x) BIT(x).
        assert_eq!(
            (
                GlbReq::HALT.0,
                GlbReq::PING.0,
                GlbReq::IDLE_EN.0,
                GlbReq::IDLE.0
            ),
            (1, 1 << 8, 1 << 10, 1 << 26)
        );
        assert_eq!((GlbReq::REQS.0, GlbReq::EVTS.0), (0x7FF, 0x07F0_0000));
        assert_eq!(
            crate::csf::glb::PANTHOR_ACK_IRQ_MASK,
            0x0400_050E,
            "CFG_ALLOC_EN | PING | CFG_PROGRESS_TIMER | CFG_POWEROFF_TIMER | IDLE_EN | IDLE"
        );
        assert_eq!((JobIrq::GLB.0, JobIrq::csg_slot(5).0), (1 << 31, 1 << 5));
        assert_eq!(
            (JobIrq(0x8000_0003).glb(), JobIrq(0x8000_0003).csg()),
            (1, 3)
        );
    }

    #[test]
    fn csg_and_cs_words_match_panthor() {
        // CSG_REQ_MASK = STATE 2:0 | ENDPOINT_CONFIG BIT(4) | STATUS_UPDATE BIT(5); CSG_PROGRESS_TIMER_EVENT BIT(31).
        assert_eq!(CsgReq::ACKED.0, 0x37);
        assert_eq!(CsgReq::PROGRESS_TIMER_EVENT.0, 1 << 31);
        // CS: STATE 2:0, EXTRACT_EVENT BIT(4), IDLE_* 11:8; TILER_OOM BIT(26), FATAL BIT(30), FAULT BIT(31).
        assert_eq!(CsReq::ACKED.0, 0xF17);
        assert_eq!(
            (CsReq::TILER_OOM.0, CsReq::FATAL.0, CsReq::FAULT.0),
            (1 << 26, 1 << 30, 1 << 31)
        );
        assert_eq!(CsgEndpointReq(0x3001_0101).priority(), 3);
        assert_eq!(CsConfig(0x0000_0502).doorbell(), 5);
        let f = CsFeatures(0x0007_0813);
        assert_eq!(
            (f.work_regs(), f.scoreboards(), f.compute(), f.tiler()),
            (0x13, 8, 1, 1)
        );
    }

    #[test]
    fn lockaddr_and_timer_words_split_as_documented() {
        let l = AsLockaddr(0x1234_5000 | 20);
        assert_eq!((l.size(), l.base() << 12), (20, 0x1234_5000));
        let t = TimerWord(0x8000_0010);
        assert_eq!((t.count(), t.source_gpu()), (16, 1));
    }
}
