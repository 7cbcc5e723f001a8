// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Mali CSF register offsets and fields the driver uses (`Documentation/hardware.md#register-map`). Data only, no
//! logic.

/// GPU_CONTROL block (offset 0).
pub(crate) mod gpu {
    /// GPU_ID.
    pub(crate) const ID: usize = 0x000;
    /// L2_FEATURES.
    pub(crate) const L2_FEATURES: usize = 0x004;
    /// CORE_FEATURES.
    pub(crate) const CORE_FEATURES: usize = 0x008;
    /// TILER_FEATURES.
    pub(crate) const TILER_FEATURES: usize = 0x00c;
    /// MEM_FEATURES.
    pub(crate) const MEM_FEATURES: usize = 0x010;
    /// MMU_FEATURES: VA bits 7:0, PA bits 15:8.
    pub(crate) const MMU_FEATURES: usize = 0x014;
    /// AS_PRESENT.
    pub(crate) const AS_PRESENT: usize = 0x018;
    /// CSF_ID.
    pub(crate) const CSF_ID: usize = 0x01c;
    /// GPU IRQ block base (RAWSTAT +0, CLEAR +4, MASK +8, STAT +0xc).
    pub(crate) const IRQ_BASE: usize = 0x020;
    /// GPU_COMMAND.
    pub(crate) const COMMAND: usize = 0x030;
    /// GPU_FAULTSTATUS ([`FaultStatus`]).
    pub(crate) const FAULTSTATUS: usize = 0x03c;

    kernel::register_fields! {
        /// MMU_FEATURES.
        pub(crate) struct MmuFeatures(u32) {
            /// Virtual address bits.
            7:0 va_bits, set_va_bits;
            /// Physical address bits.
            15:8 pa_bits, set_pa_bits;
        }
    }

    kernel::register_fields! {
        /// GPU_FAULTSTATUS (`GPU_FAULTSTATUS_*` of `panthor_regs.h`).
        pub(crate) struct FaultStatus(u32) {
            /// The exception type.
            7:0 exception_type, set_exception_type;
            /// The access type.
            9:8 access_type, set_access_type;
            /// GPU_FAULTADDRESS holds the faulting address.
            10:10 address_valid, set_address_valid;
        }
    }
    /// GPU_FAULTADDRESS (64-bit).
    pub(crate) const FAULTADDRESS: usize = 0x040;
    /// GPU_FEATURES (64-bit).
    pub(crate) const GPU_FEATURES: usize = 0x060;
    /// THREAD_MAX_THREADS.
    pub(crate) const THREAD_MAX_THREADS: usize = 0x0a0;
    /// THREAD_MAX_WORKGROUP_SIZE.
    pub(crate) const THREAD_MAX_WORKGROUP_SIZE: usize = 0x0a4;
    /// THREAD_MAX_BARRIER_SIZE.
    pub(crate) const THREAD_MAX_BARRIER_SIZE: usize = 0x0a8;
    /// THREAD_FEATURES.
    pub(crate) const THREAD_FEATURES: usize = 0x0ac;
    /// TEXTURE_FEATURES_0 (four consecutive words).
    pub(crate) const TEXTURE_FEATURES: usize = 0x0b0;
    /// SHADER_PRESENT (64-bit).
    pub(crate) const SHADER_PRESENT: usize = 0x100;
    /// TILER_PRESENT (64-bit).
    pub(crate) const TILER_PRESENT: usize = 0x110;
    /// L2_PRESENT (64-bit).
    pub(crate) const L2_PRESENT: usize = 0x120;
    /// L2_READY (64-bit).
    pub(crate) const L2_READY: usize = 0x160;
    /// L2_PWRON (64-bit).
    pub(crate) const L2_PWRON: usize = 0x1a0;
    /// L2_PWRTRANS (64-bit).
    pub(crate) const L2_PWRTRANS: usize = 0x220;
    /// GPU_REVID.
    pub(crate) const REVID: usize = 0x280;
    /// TIMESTAMP_OFFSET (64-bit, RW): added to the system counter to form TIMESTAMP.
    pub(crate) const TIMESTAMP_OFFSET: usize = 0x088;
    /// CYCLE_COUNT (64-bit counter, read HI/LO/HI).
    pub(crate) const CYCLE_COUNT: usize = 0x090;
    /// TIMESTAMP (64-bit counter, read HI/LO/HI).
    pub(crate) const TIMESTAMP: usize = 0x098;
    /// COHERENCY_FEATURES.
    pub(crate) const COHERENCY_FEATURES: usize = 0x300;
    /// COHERENCY_PROTOCOL (Tyr/kbase: COHERENCY_ENABLE).
    pub(crate) const COHERENCY_PROTOCOL: usize = 0x304;
    /// MCU_CONTROL: what the MCU should do (bits 1:0, [`mcu`]).
    pub(crate) const MCU_CONTROL: usize = 0x700;
    /// MCU_STATUS: what the MCU is doing (bits 1:0, [`mcu`]).
    pub(crate) const MCU_STATUS: usize = 0x704;

    /// MCU_CONTROL and MCU_STATUS values (`Documentation/hardware.md#gpu_control`).
    pub(crate) mod mcu {
        /// MCU_CONTROL: stop the MCU.
        pub(crate) const CONTROL_DISABLE: u32 = 0;
        /// MCU_CONTROL: run, and reboot after a fast reset by itself (what Panthor writes to boot).
        pub(crate) const CONTROL_AUTO: u32 = 2;
        /// MCU_STATUS: stopped.
        pub(crate) const STATUS_DISABLED: u32 = 0;
        /// MCU_STATUS: running.
        pub(crate) const STATUS_ENABLED: u32 = 1;
        /// MCU_STATUS: halted itself in an orderly way (after a GLB HALT request).
        pub(crate) const STATUS_HALT: u32 = 2;
        /// MCU_STATUS: hit an error it cannot continue from.
        pub(crate) const STATUS_FATAL: u32 = 3;
        /// The field both registers use.
        pub(crate) const MASK: u32 = 3;
    }

    /// GPU IRQ bits.
    pub(crate) mod irq {
        /// A GPU fault was recorded.
        pub(crate) const FAULT: u32 = 1 << 0;
        /// A GPU fault in protected mode.
        pub(crate) const PROTM_FAULT: u32 = 1 << 1;
        /// A reset finished.
        pub(crate) const RESET_COMPLETED: u32 = 1 << 8;
        /// A cache flush finished.
        pub(crate) const CLEAN_CACHES_COMPLETED: u32 = 1 << 17;
        /// What Panthor enables: 0x0002_0103.
        pub(crate) const PANTHOR_MASK: u32 =
            FAULT | PROTM_FAULT | RESET_COMPLETED | CLEAN_CACHES_COMPLETED;
    }

    /// GPU_COMMAND values.
    pub(crate) mod command {
        /// Soft reset: stop the external bus interfaces, then reset.
        pub(crate) const SOFT_RESET: u32 = 0x101;
    }

    /// COHERENCY_PROTOCOL value for "no coherency" (what Panthor writes on RK3588).
    pub(crate) const COHERENCY_NONE: u32 = 31;
}

/// JOB_CONTROL IRQ block base.
pub(crate) const JOB_IRQ_BASE: usize = 0x1000;
/// MMU_CONTROL IRQ block base.
pub(crate) const MMU_IRQ_BASE: usize = 0x2000;

kernel::register_fields! {
    /// A JOB IRQ word (RAWSTAT/CLEAR/MASK/STATUS, `Documentation/hardware.md#job_control`; `JOB_INT_*`).
    pub(crate) struct JobIrqBits(u32) {
        /// CSG slot `i` needs attention, at bit `i` (`JOB_INT_CSG_IF(i)`).
        30:0 csg, set_csg;
        /// The global interface needs attention, and, before boot, "the MCU booted" (`JOB_INT_GLOBAL_IF`).
        31:31 glb, set_glb = GLB;
        /// Every bit: what Panthor clears and unmasks when it starts the MCU.
        31:0 all, set_all = ALL;
    }
}

/// Doorbell pages (`CSF_DOORBELL(i)`): ring doorbell `i` by writing 1 at `doorbell(i)`.
pub(crate) mod doorbell {
    /// The global doorbell (`CSF_GLB_DOORBELL_ID`).
    pub(crate) const GLB: usize = 0;

    /// Offset of doorbell `i`'s register: one 64 KiB page each from 0x8_0000.
    pub(crate) const fn offset(i: usize) -> usize {
        0x8_0000 + i * 0x1_0000
    }
}

/// Offsets inside an IRQ block.
pub(crate) mod irq {
    /// Raw status.
    pub(crate) const RAWSTAT: usize = 0x0;
    /// Write 1s to clear.
    pub(crate) const CLEAR: usize = 0x4;
    /// Enable mask.
    pub(crate) const MASK: usize = 0x8;
    /// RAWSTAT & MASK.
    pub(crate) const STAT: usize = 0xc;
}
