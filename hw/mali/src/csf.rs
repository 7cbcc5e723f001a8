//! The MCU, modelled natively: the firmware image it "runs", the CSF shared interface it publishes in memory and the
//! global REQ/ACK protocol it answers (spec `csf.md` §2–§8).
//!
//! Every MCU access to interface memory goes through AS 0 (the MCU's VM), as on silicon: the driver must have mapped the
//! shared section at [`SHARED_VA`] and made AS 0 live before it starts the MCU. The group/stream (CSG/CS) interfaces are
//! published with their real counts and layouts and their requests are acknowledged; executing command streams is
//! outside this module.

use crate::device::State;
use crate::error::PortError;
use crate::mmu::AccessType;
use crate::regs::{job_irq, mcu};

/// MCU VA of the shared interface section (`CSF_MCU_SHARED_REGION_START`).
pub const SHARED_VA: u64 = 0x0400_0000;
/// Size of the shared section the model's firmware image declares (64 KiB; the interfaces use the first 44 KiB).
pub const SHARED_SIZE: u64 = 0x1_0000;
/// MCU VA of the model's read-only, executable "code" section (exercises RO/EX mappings in the driver's loader).
pub const CODE_VA: u64 = 0x0100_0000;

/// Offsets inside the shared section (spec §3, the \[kbase\] default strides).
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

/// Counts and identity values the model publishes (those of a real G610, spec §3).
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

/// Word offsets of the global interface (spec §4.1).
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

    /// req bit 0: HALT (level, never acknowledged through `ack`).
    pub const HALT: u32 = 1 << 0;
    /// req bit 1: latch `progress_timer`.
    pub const CFG_PROGRESS_TIMER: u32 = 1 << 1;
    /// req bit 2: latch `core_en_mask`.
    pub const CFG_ALLOC_EN: u32 = 1 << 2;
    /// req bit 3: latch `poweroff_timer`.
    pub const CFG_POWEROFF_TIMER: u32 = 1 << 3;
    /// req bit 7: COUNTER_EN (level).
    pub const COUNTER_EN: u32 = 1 << 7;
    /// req bit 8: PING.
    pub const PING: u32 = 1 << 8;
    /// req bit 10: IDLE_EN (level).
    pub const IDLE_EN: u32 = 1 << 10;
    /// Request bits (10:0) (`GLB_REQ_MASK`).
    pub const REQ_MASK: u32 = 0x7FF;
}

/// Word offsets of a CSG interface (spec §6.1).
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
    /// req bits 2:0: STATE (0 TERMINATE, 1 START, 2 SUSPEND, 3 RESUME).
    pub const STATE_MASK: u32 = 0x7;
    /// req bit 4: ENDPOINT_CONFIG (toggle).
    pub const ENDPOINT_CONFIG: u32 = 1 << 4;
    /// req bit 5: STATUS_UPDATE (toggle).
    pub const STATUS_UPDATE: u32 = 1 << 5;
    /// The request bits the MCU acknowledges by copying.
    pub const REQ_MASK: u32 = STATE_MASK | ENDPOINT_CONFIG | STATUS_UPDATE;
}

/// Word offsets of a CS interface (spec §7.1).
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
}

/// The MCU's own state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mcu {
    running: bool,
    /// HALT was 1 at the last doorbell (a 0→1 edge halts).
    halt_seen: bool,
    pub(crate) latched: GlbLatched,
    /// Acknowledged CSG state per slot.
    csg_state: [u32; values::GROUP_NUM as usize],
    /// Rings of doorbells 1.. (per-CSG doorbells), counted until stream execution exists.
    pub(crate) cs_doorbells: u64,
}

impl Mcu {
    pub(crate) fn stop(&mut self) {
        self.running = false;
        self.halt_seen = false;
    }
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

/// Publishes every control block (spec §3) through AS 0.
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
        Ok(())
    };
    if served.is_err() {
        st.mcu.running = false;
        st.mcu_status = mcu::STATUS_FATAL;
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
        for s in &mut st.mcu.csg_state {
            *s = 0;
        }
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

/// Acknowledges CSG `i`'s requests and its streams'; returns whether a JOB IRQ for the slot is due.
fn serve_csg(st: &mut State, i: u32) -> Result<bool, PortError> {
    let (input, output) = csg_iface(i);
    let req = rd(st, input + csg::REQ)?;
    let ack = rd(st, output + csg::REQ)?;
    let irq_mask = rd(st, input + csg::ACK_IRQ_MASK)?;
    if (req ^ ack) & csg::STATUS_UPDATE != 0 {
        // No stream executes yet, so a resident group is always idle.
        wr(st, output + csg::STATUS_STATE, 1)?;
    }
    st.mcu.csg_state[i as usize] = req & csg::STATE_MASK;

    let db_req = rd(st, input + csg::DOORBELL)?;
    let db_ack = rd(st, output + csg::DOORBELL)?;
    let streams = (1u32 << values::STREAM_NUM) - 1;
    let ring = (db_req ^ db_ack) & streams;
    for j in 0..values::STREAM_NUM {
        if ring & (1 << j) != 0 {
            let (cin, cout) = cs_iface(i, j);
            let creq = rd(st, cin + cs::REQ)?;
            let cack = rd(st, cout + cs::REQ)?;
            wr(st, cout + cs::REQ, (cack & !cs::REQ_MASK) | (creq & cs::REQ_MASK))?;
        }
    }
    if ring != 0 {
        wr(st, output + csg::DOORBELL, (db_ack & !streams) | (db_req & streams))?;
    }
    let new_ack = (ack & !csg::REQ_MASK) | (req & csg::REQ_MASK);
    if new_ack != ack {
        wr(st, output + csg::REQ, new_ack)?;
    }
    Ok((new_ack ^ ack) & irq_mask != 0)
}

/// The firmware image the model ships in place of `arm/mali/arch10.8/mali_csffw.bin` (spec §2): one SHARED|ZERO|RD|WR
/// section of [`SHARED_SIZE`] bytes at [`SHARED_VA`] with no data, and one cached RD|EX "code" section of one page at
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
