// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The MCU, modelled natively: the firmware image it "runs", the CSF shared interface it publishes in memory and the
//! global REQ/ACK protocol it answers (`Documentation/hardware.md#csf-firmware-and-interfaces`).
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

pub mod cs;
pub mod csg;
pub mod glb;
mod streams;

pub(crate) use glb::idle_timer_expired;
use glb::{arm_idle_timer, serve_global};
pub use streams::{CsgLatched, EXEC_BATCH_CYCLES, EXEC_BATCH_INSTRS, EXEC_BATCH_NS, SAVE_STRIDE};

use crate::device::{Event, State};
use crate::error::PortError;
use crate::fields::{JobIrq, TimerWord};
use crate::mmu::AccessType;
use crate::regs::mcu;

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

/// Counts and identity values the model publishes (those of a real G610, `Documentation/hardware.md#interface-discovery`).
pub mod values {
    /// Interface version 1.1.0 (so Panthor reads `instr_features`).
    pub const GLB_VERSION: u32 = 0x0101_0000;
    /// CSG slots.
    pub const GROUP_NUM: u32 = 8;
    /// CS slots per CSG.
    pub const STREAM_NUM: u32 = 8;
    /// CS features: 96 registers (field = count − 1), 8 scoreboards, COMPUTE | FRAGMENT | TILER.
    pub const CS_FEATURES: u32 = crate::fields::CsFeatures(0)
        .set_work_regs(95)
        .set_scoreboards(8)
        .set_compute(1)
        .set_fragment(1)
        .set_tiler(1)
        .0;
    /// Per-group suspend buffer size.
    pub const SUSPEND_SIZE: u32 = 0x2000;
    /// Per-group protected-mode suspend buffer size.
    pub const PROTM_SUSPEND_SIZE: u32 = 0x2000;
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
    /// CSG slots whose GLB doorbell bit was acknowledged but whose serving has not finished (a stalled access
    /// interrupted it): served again by the retry.
    pub(crate) unserved_csgs: u32,
    /// Per CSG slot, CS doorbell bits acknowledged but not yet served, likewise.
    pub(crate) unserved_cs: [u32; values::GROUP_NUM as usize],
}

impl Mcu {
    /// Whether the MCU runs (booted and not stopped).
    pub(crate) fn running(&self) -> bool {
        self.running
    }

    pub(crate) fn stop(&mut self) {
        self.running = false;
        self.halt_seen = false;
        self.idle_gen += 1;
        self.unserved_csgs = 0;
        self.unserved_cs = Default::default();
        self.exec.stop();
    }
}

/// Nanoseconds a timer word (`idle_timer`, `poweroff_timer`; `Documentation/hardware.md#global-interface`) stands for: count × 1024 ticks of the GPU
/// cycle counter (bit 31 set) or of the system timer. `None` for a zero count, which the model takes as "never"
/// [model: Panthor's conversion never yields 0].
pub fn timer_ns(word: u32, timestamp_hz: u64, gpu_clock_hz: u64) -> Option<u64> {
    let word = TimerWord(word);
    let count = u64::from(word.count());
    let hz = if word.source_gpu() != 0 {
        gpu_clock_hz
    } else {
        timestamp_hz
    };
    if count == 0 || hz == 0 {
        return None;
    }
    let ns = u128::from(count * glb::TIMER_UNIT) * 1_000_000_000 / u128::from(hz);
    Some(u64::try_from(ns).unwrap_or(u64::MAX).max(1))
}

/// How long a stalled MCU access waits before it is tried again (model time). Accesses to a LOCKed region wait for
/// the unlock (`Documentation/hardware.md#mmu_control-and-address-spaces`: "GPU accesses to it wait until unlocked"); the MCU's work is event-driven, so it
/// is re-run once the host has had time to finish its page-table update.
const STALL_RETRY_NS: u64 = 1_000;

fn rd(st: &mut State, va: u64) -> Result<u32, PortError> {
    let mut b = [0u8; 4];
    st.access(0, va, 4, AccessType::Read, |ram, pa, r| {
        ram.read(pa, &mut b[r])
    })?;
    Ok(u32::from_le_bytes(b))
}

fn wr(st: &mut State, va: u64, v: u32) -> Result<(), PortError> {
    let b = v.to_le_bytes();
    st.access(0, va, 4, AccessType::Write, |ram, pa, r| {
        ram.write(pa, &b[r])
    })
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
/// is on record in AS 0); so does a boot [`crate::Mali::inject_mcu_boot_failures`] made fail.
pub(crate) fn start(st: &mut State) {
    if st.inject.boot_failures > 0 {
        st.inject.boot_failures -= 1;
        st.mcu.running = false;
        st.mcu_status = mcu::STATUS_FATAL;
        return;
    }
    match publish(st) {
        Ok(()) => {
            st.mcu.running = true;
            st.mcu.halt_seen = false;
            st.mcu_status = mcu::STATUS_ENABLED;
            st.job_irq.raise(JobIrq::GLB.0);
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
    // A hung MCU (`crate::Mali::inject_mcu_stuck`) never gets to it.
    if !st.mcu.running || st.inject.mcu_stuck {
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

/// One execution batch of generation `gen` (an [`Event::CsExec`]). An interface the MCU cannot reach through AS 0
/// stops it with MCU_STATUS FATAL, as for the global interface.
pub(crate) fn exec_batch(st: &mut State, gen: u64) {
    if !st.mcu.running || st.inject.mcu_stuck {
        return;
    }
    if !st.exec_power_ready() {
        // No work runs on unpowered cores: the batch waits for the power-up ([`power_up`]).
        streams::park(st, gen);
        return;
    }
    st.cancel_cores_off();
    match streams::batch(st, gen) {
        Ok(_) if !st.mcu.exec.any_work() => st.arm_cores_off(),
        Ok(_) => {}
        Err(PortError::Stalled { .. }) => st.schedule(STALL_RETRY_NS, Event::CsExec(gen)),
        Err(_) => {
            st.mcu.running = false;
            st.mcu_status = mcu::STATUS_FATAL;
        }
    }
}

/// A domain finished powering up while the MCU runs: work parked for it may go on.
pub(crate) fn power_up(st: &mut State) {
    if st.mcu.running {
        streams::kick(st);
    }
}

/// See [`crate::Mali::inject_cs_spin`].
pub(crate) fn spin(st: &mut State, i: u32, j: u32) -> bool {
    st.mcu.running && streams::spin(st, i, j)
}

/// See [`crate::Mali::inject_tiler_oom`].
pub(crate) fn tiler_oom(st: &mut State, i: u32, j: u32) -> bool {
    st.mcu.running && streams::tiler_oom(st, i, j).unwrap_or(false)
}

/// The firmware image the model ships in place of `arm/mali/arch10.8/mali_csffw.bin` (`Documentation/hardware.md#firmware-image`): one SHARED|ZERO|RD|WR
/// section of [`SHARED_SIZE`] bytes at [`SHARED_VA`] with no data, and one cached RD|EX "code" section of one page at
/// [`CODE_VA`] carrying a short marker, so that a loader exercises read-only and executable mappings.
pub fn firmware_image() -> Vec<u8> {
    const MAGIC: u32 = 0xC3F1_3A6E;
    use crate::fields::{FwEntryHeader, FwSectionFlags as F};
    const HEADER: usize = 20;
    let marker = b"tyr native MCU model\0\0\0\0";

    // (flags, va_start, va_end, has data, name); entry = word + 5 u32 + name, names padded to 4 bytes.
    let sections: [(u32, u64, u64, bool, &[u8]); 2] = [
        (
            F::RD.0 | F::WR.0 | F::SHARED.0 | F::ZERO.0,
            SHARED_VA,
            SHARED_VA + SHARED_SIZE,
            false,
            b"shared\0\0",
        ),
        (
            F::RD.0 | F::EX.0 | F(0).set_cache_mode(1).0,
            CODE_VA,
            CODE_VA + 0x1000,
            true,
            b"code",
        ),
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
        let (ds, de) = if has_data {
            (data_start, data_start + marker.len() as u32)
        } else {
            (0, 0)
        };
        let header = FwEntryHeader(0).set_entry_type(0).set_size(size); // type 0 = IFACE
        out.extend_from_slice(&header.0.to_le_bytes());
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
        assert!(
            cs_control_va(values::GROUP_NUM - 1, values::STREAM_NUM - 1) + 0xC
                <= SHARED_VA + layout::IFACE_BASE
        );
    }

    #[test]
    fn timer_words_convert_with_their_tick_source() {
        // Panthor's 800 µs idle timer at 24 MHz: 19 units of 1024 ticks.
        assert_eq!(timer_ns(19, 24_000_000, 198_000_000), Some(810_666));
        assert_eq!(
            timer_ns(TimerWord::SOURCE_GPU.0 | 198, 24_000_000, 198_000_000),
            Some(1_024_000)
        );
        assert_eq!(timer_ns(0, 24_000_000, 198_000_000), None);
        assert_eq!(
            timer_ns(TimerWord::SOURCE_GPU.0, 24_000_000, 198_000_000),
            None
        );
    }

    #[test]
    fn firmware_image_header_is_well_formed() {
        let img = firmware_image();
        let w = |o: usize| u32::from_le_bytes(img[o..o + 4].try_into().unwrap());
        assert_eq!(w(0), 0xC3F1_3A6E);
        assert_eq!(img[5], 0, "major must be 0");
        assert!(w(16) as usize <= img.len());
        // First entry: IFACE, 4-byte multiple size, shared section at 0x0400_0000.
        let e = crate::fields::FwEntryHeader(w(20));
        assert_eq!((e.entry_type(), e.size()), (0, 32));
        assert_eq!(w(28) as u64, SHARED_VA);
    }
}
