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
    /// A CSG interface `req`/`ack` word (`Documentation/hardware.md#csg-and-cs-interfaces`).
    pub struct CsgReq(u32) {
        /// STATE: terminate, start, suspend, resume ([`crate::csf::csg::STATE_MASK`]).
        2:0 state, set_state;
        /// ENDPOINT_CONFIG toggle.
        4:4 endpoint_config, set_endpoint_config;
        /// STATUS_UPDATE toggle.
        5:5 status_update, set_status_update;
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
    fn lockaddr_and_timer_words_split_as_documented() {
        let l = AsLockaddr(0x1234_5000 | 20);
        assert_eq!((l.size(), l.base() << 12), (20, 0x1234_5000));
        let t = TimerWord(0x8000_0010);
        assert_eq!((t.count(), t.source_gpu()), (16, 1));
    }
}
