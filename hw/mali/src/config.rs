// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What the modelled GPU reports about itself and how long its operations take.

/// The read-only identity and feature registers (`Documentation/hardware.md#identity-registers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuIds {
    /// GPU_ID.
    pub gpu_id: u32,
    /// L2_FEATURES.
    pub l2_features: u32,
    /// CORE_FEATURES.
    pub core_features: u32,
    /// TILER_FEATURES.
    pub tiler_features: u32,
    /// MEM_FEATURES.
    pub mem_features: u32,
    /// MMU_FEATURES.
    pub mmu_features: u32,
    /// AS_PRESENT.
    pub as_present: u32,
    /// CSF_ID.
    pub csf_id: u32,
    /// GPU_FEATURES (64-bit).
    pub gpu_features: u64,
    /// PRFCNT_FEATURES.
    pub prfcnt_features: u32,
    /// THREAD_MAX_THREADS.
    pub thread_max_threads: u32,
    /// THREAD_MAX_WORKGROUP_SIZE.
    pub thread_max_workgroup_size: u32,
    /// THREAD_MAX_BARRIER_SIZE.
    pub thread_max_barrier_size: u32,
    /// THREAD_FEATURES.
    pub thread_features: u32,
    /// TEXTURE_FEATURES_0..3.
    pub texture_features: [u32; 4],
    /// SHADER_PRESENT.
    pub shader_present: u64,
    /// TILER_PRESENT.
    pub tiler_present: u64,
    /// L2_PRESENT.
    pub l2_present: u64,
    /// STACK_PRESENT \[kbase\].
    pub stack_present: u64,
    /// GPU_REVID.
    pub gpu_revid: u32,
    /// COHERENCY_FEATURES.
    pub coherency_features: u32,
    /// THREAD_TLS_ALLOC.
    pub thread_tls_alloc: u32,
}

impl GpuIds {
    /// An RK3588 Mali-G610 MP4, as read from silicon (three sources agree,
    /// `Documentation/hardware.md#identity-registers`).
    pub const G610_MP4: GpuIds = GpuIds {
        gpu_id: 0xA867_0005,
        l2_features: 0x0712_0306,
        core_features: 0,
        tiler_features: 0x809,
        mem_features: 0x301,
        mmu_features: 0x2830,
        as_present: 0xFF,
        csf_id: 0x040A_0412,
        gpu_features: 0,
        prfcnt_features: 0,
        thread_max_threads: 2048,
        thread_max_workgroup_size: 1024,
        thread_max_barrier_size: 1024,
        thread_features: 0x0401_0000,
        texture_features: [0xC1FF_FF9E, 0, 0, 0],
        shader_present: 0x5_0005,
        tiler_present: 1,
        l2_present: 1,
        stack_present: 0x55,
        gpu_revid: 0,
        coherency_features: 0,
        thread_tls_alloc: 0,
    };

    /// Physical address width the MMU produces (MMU_FEATURES bits 15:8).
    pub fn pa_bits(&self) -> u32 {
        (self.mmu_features >> 8) & 0xFF
    }

    /// Virtual address width the MMU accepts (MMU_FEATURES bits 7:0).
    pub fn va_bits(&self) -> u32 {
        self.mmu_features & 0xFF
    }
}

/// Latencies of the model's timed operations, in nanoseconds of model time.
///
/// All are far inside the drivers' timeouts (20 ms power, 100 ms reset/flush, 10 ms AS commands). A latency of 0 makes the
/// operation complete within the register write that started it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A power domain's PWRON/PWROFF transition.
    pub power_ns: u64,
    /// GPU_COMMAND RESET (soft or hard).
    pub reset_ns: u64,
    /// GPU_COMMAND FLUSH_CACHES.
    pub cache_flush_ns: u64,
    /// An AS_COMMAND (AS_STATUS.ACTIVE is set for this long).
    pub as_command_ns: u64,
    /// MCU boot after MCU_CONTROL ENABLE/AUTO, and MCU stop.
    pub mcu_boot_ns: u64,
    /// The MCU's reaction to a doorbell.
    pub doorbell_ns: u64,
}

impl Timing {
    /// Plausible latencies of the real part (microseconds for power and reset, hundreds of ns for MMU commands).
    pub const DEFAULT: Timing = Timing {
        power_ns: 2_000,
        reset_ns: 10_000,
        cache_flush_ns: 1_000,
        as_command_ns: 500,
        mcu_boot_ns: 20_000,
        doorbell_ns: 1_000,
    };

    /// Everything completes inside the register write that starts it (no model thread or stepping needed).
    pub const INSTANT: Timing = Timing {
        power_ns: 0,
        reset_ns: 0,
        cache_flush_ns: 0,
        as_command_ns: 0,
        mcu_boot_ns: 0,
        doorbell_ns: 0,
    };
}

impl Default for Timing {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Construction parameters of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaliConfig {
    /// Identity and feature registers.
    pub ids: GpuIds,
    /// Latencies.
    pub timing: Timing,
    /// Entries each address space's TLB holds before it evicts (least recently used first). At least 1.
    pub tlb_entries: usize,
    /// Frequency of the TIMESTAMP counter (the SoC's arch timer: 24 MHz on RK3588).
    pub timestamp_hz: u64,
    /// The GPU core clock at power-on (198 MHz on RK3588 boards); the SoC's clock controller changes it later
    /// ([`crate::Mali::set_core_clock_hz`]).
    pub gpu_clock_hz: u64,
}

impl Default for MaliConfig {
    fn default() -> Self {
        Self {
            ids: GpuIds::G610_MP4,
            timing: Timing::DEFAULT,
            tlb_entries: 64,
            timestamp_hz: 24_000_000,
            gpu_clock_hz: 198_000_000,
        }
    }
}
