// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The interfaces the MCU publishes in the shared section (`Documentation/hardware.md#interface-discovery`) and their
//! discovery (`panthor_fw_init_ifaces`, `panthor_init_csg_iface`, `panthor_init_cs_iface`).
//!
//! Layouts are data: word offsets per block. Discovery reads the control blocks once after boot, validates them in
//! Panthor's order, and records where each interface's input and output pages live as offsets in the section.

use kernel::error::code::EINVAL;
use kernel::error::Result;

use super::shared::SharedMem;
use crate::uapi::drm_panthor_csif_info;

/// Global interface layout (`struct panthor_fw_global_{control,input,output}_iface`).
pub(crate) mod glb {
    /// Control block offset in the shared section.
    pub(crate) const CONTROL: u64 = 0x0;
    /// Control: interface version (major 31:24, minor 23:16, patch 15:0).
    pub(crate) const VERSION: u64 = 0x00;
    /// Control: features.
    pub(crate) const FEATURES: u64 = 0x04;
    /// Control: MCU VA of the input page.
    pub(crate) const INPUT_VA: u64 = 0x08;
    /// Control: MCU VA of the output page.
    pub(crate) const OUTPUT_VA: u64 = 0x0c;
    /// Control: number of CSG slots.
    pub(crate) const GROUP_NUM: u64 = 0x10;
    /// Control: distance between CSG control blocks.
    pub(crate) const GROUP_STRIDE: u64 = 0x14;
    /// Control: perf-counter buffer size.
    pub(crate) const PERFCNT_SIZE: u64 = 0x18;
    /// Control: instrumentation features (interface ≥ 1.1.0 only).
    pub(crate) const INSTR_FEATURES: u64 = 0x1c;

    /// Input/output: `req` / `ack`.
    pub(crate) const REQ: u64 = 0x00;
    /// Output: `ack`.
    pub(crate) const ACK: u64 = 0x00;
    /// Input: which acks raise the JOB IRQ.
    pub(crate) const ACK_IRQ_MASK: u64 = 0x04;
    /// Input: progress timer.
    pub(crate) const PROGRESS_TIMER: u64 = 0x10;
    /// Input: power-off timer.
    pub(crate) const POWEROFF_TIMER: u64 = 0x14;
    /// Input: shader cores the firmware may use (u64).
    pub(crate) const CORE_EN_MASK: u64 = 0x18;
    /// Input: idle timer.
    pub(crate) const IDLE_TIMER: u64 = 0x80;
    /// Output: why the MCU halted (0 OK).
    pub(crate) const HALT_STATUS: u64 = 0x10;

    /// Bytes of the input page the driver uses.
    pub(crate) const INPUT_SIZE: u64 = 0x84;
    /// Bytes of the output page the driver uses.
    pub(crate) const OUTPUT_SIZE: u64 = 0x1c;
    /// Bytes of the control block.
    pub(crate) const CONTROL_SIZE: u64 = 0x20;

    kernel::register_fields! {
        /// `req` (input), `ack` (output) and `ack_irq_mask` (input): the bits of `panthor_fw.h`'s `GLB_*`. Requests
        /// are acknowledged by the MCU copying them into `ack` (HALT never is); events go the other way.
        pub(crate) struct Req(u32) {
            /// HALT (a level, never acknowledged through `ack`).
            0:0 halt, set_halt = HALT;
            /// Latch `progress_timer` (toggle).
            1:1 cfg_progress_timer, set_cfg_progress_timer = CFG_PROGRESS_TIMER;
            /// Latch `core_en_mask` (toggle).
            2:2 cfg_alloc_en, set_cfg_alloc_en = CFG_ALLOC_EN;
            /// Latch `poweroff_timer` (toggle).
            3:3 cfg_poweroff_timer, set_cfg_poweroff_timer = CFG_POWEROFF_TIMER;
            /// Timestamp propagation to the cores (level; set from uAPI 1.6).
            7:7 counter_en, set_counter_en = COUNTER_EN;
            /// Watchdog ping (toggle).
            8:8 ping, set_ping = PING;
            /// Report GLB IDLE after `idle_timer` (level).
            10:10 idle_en, set_idle_en = IDLE_EN;
            /// Event: the GPU went idle.
            26:26 idle, set_idle = IDLE;
            /// The event bits (`GLB_EVT_MASK`).
            26:20 evts, set_evts = EVTS;
        }
    }

    impl Req {
        /// The bits set in either word.
        pub(crate) const fn or(self, other: Req) -> Req {
            Req(self.0 | other.0)
        }
    }

    kernel::register_fields! {
        /// A timer word (`progress_timer`, `poweroff_timer`, `idle_timer`).
        pub(crate) struct Timer(u32) {
            /// Units of 1024 ticks (`GLB_TIMER_VAL`).
            30:0 count, set_count = COUNT;
            /// The ticks are GPU cycles rather than system-timer ticks (`GLB_TIMER_SOURCE_GPU_COUNTER`).
            31:31 source_gpu, set_source_gpu;
        }
    }
}

/// CSG interface layout (`struct panthor_fw_csg_control_iface` and the sizes of its pages).
pub(crate) mod csg {
    /// Control block of CSG 0; CSG `i` is `group_stride` further per slot.
    pub(crate) const CONTROL_BASE: u64 = 0x1000;
    /// Control: features.
    pub(crate) const FEATURES: u64 = 0x00;
    /// Control: MCU VA of the input page.
    pub(crate) const INPUT_VA: u64 = 0x04;
    /// Control: MCU VA of the output page.
    pub(crate) const OUTPUT_VA: u64 = 0x08;
    /// Control: suspend buffer size.
    pub(crate) const SUSPEND_SIZE: u64 = 0x0c;
    /// Control: protected-mode suspend buffer size.
    pub(crate) const PROTM_SUSPEND_SIZE: u64 = 0x10;
    /// Control: CS slots in the group.
    pub(crate) const STREAM_NUM: u64 = 0x14;
    /// Control: distance between CS control blocks.
    pub(crate) const STREAM_STRIDE: u64 = 0x18;
    /// Bytes of the control block.
    pub(crate) const CONTROL_SIZE: u64 = 0x1c;
    /// Bytes of the input page the driver uses.
    pub(crate) const INPUT_SIZE: u64 = 0x58;
    /// Bytes of the output page the driver uses.
    pub(crate) const OUTPUT_SIZE: u64 = 0x20;
}

/// CS interface layout (`struct panthor_fw_cs_control_iface` and the sizes of its pages).
pub(crate) mod cs {
    /// CS 0's control block inside its CSG's; CS `j` is `stream_stride` further per stream.
    pub(crate) const CONTROL_BASE: u64 = 0x40;
    /// Control: features (bits 7:0 register count − 1, 15:8 scoreboards).
    pub(crate) const FEATURES: u64 = 0x00;
    /// Control: MCU VA of the input page.
    pub(crate) const INPUT_VA: u64 = 0x04;
    /// Control: MCU VA of the output page.
    pub(crate) const OUTPUT_VA: u64 = 0x08;
    /// Bytes of the control block.
    pub(crate) const CONTROL_SIZE: u64 = 0x0c;
    /// Bytes of the input page the driver uses.
    pub(crate) const INPUT_SIZE: u64 = 0x58;
    /// Bytes of the output page the driver uses.
    pub(crate) const OUTPUT_SIZE: u64 = 0xd8;
}

/// Bounds Panthor puts on the counts (`MAX_CSGS`, `MAX_CS_PER_CSG`) and the floors
/// `Documentation/hardware.md#interface-discovery` states.
const GROUP_NUM: core::ops::RangeInclusive<u32> = 3..=31;
const STREAM_NUM: core::ops::RangeInclusive<u32> = 8..=32;
/// Registers the firmware may clobber in every CS (`CSF_UNPRESERVED_REG_COUNT`).
pub(crate) const UNPRESERVED_REG_COUNT: u32 = 4;
/// CSG slots Panthor can drive: one JOB IRQ bit (0..30) and one CSG priority (`MAX_CSG_PRIO` + 1) per slot.
const MAX_CSG_SLOTS: u32 = 16;

kernel::register_fields! {
    /// An interface version word (`CSF_IFACE_VERSION_*`); versions order as their words do.
    #[derive(PartialOrd, Ord)]
    pub(crate) struct IfaceVersion(u32) {
        /// Major.
        31:24 major, set_major;
        /// Minor.
        23:16 minor, set_minor;
        /// Patch.
        15:0 patch, set_patch;
    }
}

kernel::register_fields! {
    /// A CS interface's `features` word (`CS_FEATURES_*`).
    pub(crate) struct CsFeatures(u32) {
        /// Work registers, minus one.
        7:0 work_regs, set_work_regs;
        /// Scoreboard slots.
        15:8 scoreboards, set_scoreboards;
    }
}

impl core::fmt::Display for IfaceVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.minor(), self.patch())
    }
}

/// Where one interface's pages are: offsets of its input and output page in the shared section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IfacePages {
    /// Offset of the host-written input page.
    pub(crate) input: u64,
    /// Offset of the MCU-written output page.
    pub(crate) output: u64,
}

/// The global interface as published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GlbInfo {
    /// Interface version.
    pub(crate) version: IfaceVersion,
    /// Features word (logged only).
    pub(crate) features: u32,
    /// CSG slots the firmware offers.
    pub(crate) group_num: u32,
    /// Distance between CSG control blocks.
    pub(crate) group_stride: u32,
    /// Perf-counter buffer size.
    pub(crate) perfcnt_size: u32,
    /// Instrumentation features (0 before interface 1.1.0).
    pub(crate) instr_features: u32,
    /// Its pages.
    pub(crate) pages: IfacePages,
}

/// One CSG slot's interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CsgInfo {
    /// Features word.
    pub(crate) features: u32,
    /// Suspend buffer size the group needs.
    pub(crate) suspend_size: u32,
    /// Protected-mode suspend buffer size.
    pub(crate) protm_suspend_size: u32,
    /// CS slots in the group.
    pub(crate) stream_num: u32,
    /// Distance between CS control blocks.
    pub(crate) stream_stride: u32,
    /// Its pages.
    pub(crate) pages: IfacePages,
    /// Its streams' interfaces.
    pub(crate) streams: Vec<CsInfo>,
}

/// One CS slot's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CsInfo {
    /// Features word.
    pub(crate) features: u32,
    /// Its pages.
    pub(crate) pages: IfacePages,
}

/// Everything discovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Interfaces {
    /// The global interface.
    pub(crate) glb: GlbInfo,
    /// One entry per CSG slot.
    pub(crate) csgs: Vec<CsgInfo>,
}

fn iface_pages(
    mem: &SharedMem,
    control: u64,
    input_va: u64,
    output_va: u64,
    input: u64,
    output: u64,
) -> Result<IfacePages> {
    let input_va = mem.read_u32(control + input_va)?;
    let output_va = mem.read_u32(control + output_va)?;
    Ok(IfacePages {
        input: mem.offset_of(input_va, input)?,
        output: mem.offset_of(output_va, output)?,
    })
}

/// Offset of a control block `base + index * stride` of `size` bytes, `EINVAL` unless it fits the section.
fn control_at(mem: &SharedMem, base: u64, index: u32, stride: u32, size: u64) -> Result<u64> {
    let off = base + u64::from(index) * u64::from(stride);
    if off.checked_add(size).is_none_or(|end| end > mem.size()) {
        return Err(EINVAL);
    }
    Ok(off)
}

/// Reads and validates every control block (`Documentation/hardware.md#interface-discovery`), in Panthor's order;
/// `EINVAL` for a firmware that did not publish its interfaces (version 0) or published inconsistent ones.
pub(crate) fn discover(mem: &SharedMem) -> Result<Interfaces> {
    let c = control_at(mem, glb::CONTROL, 0, 0, glb::CONTROL_SIZE)?;
    let version = IfaceVersion(mem.read_u32(c + glb::VERSION)?);
    if version.0 == 0 {
        // Panthor: "Firmware version is 0. Firmware may have failed to boot".
        return Err(EINVAL);
    }
    let pages = iface_pages(
        mem,
        c,
        glb::INPUT_VA,
        glb::OUTPUT_VA,
        glb::INPUT_SIZE,
        glb::OUTPUT_SIZE,
    )?;
    let instr_features = if version >= IfaceVersion(0x0101_0000) {
        mem.read_u32(c + glb::INSTR_FEATURES)?
    } else {
        0
    };
    let glb = GlbInfo {
        version,
        features: mem.read_u32(c + glb::FEATURES)?,
        group_num: mem.read_u32(c + glb::GROUP_NUM)?,
        group_stride: mem.read_u32(c + glb::GROUP_STRIDE)?,
        perfcnt_size: mem.read_u32(c + glb::PERFCNT_SIZE)?,
        instr_features,
        pages,
    };
    if !GROUP_NUM.contains(&glb.group_num) {
        return Err(EINVAL);
    }
    let mut csgs: Vec<CsgInfo> = Vec::new();
    for i in 0..glb.group_num {
        let csg = discover_csg(
            mem,
            control_at(
                mem,
                csg::CONTROL_BASE,
                i,
                glb.group_stride,
                csg::CONTROL_SIZE,
            )?,
        )?;
        if let Some(first) = csgs.first() {
            let same = (
                first.features,
                first.suspend_size,
                first.protm_suspend_size,
                first.stream_num,
            ) == (
                csg.features,
                csg.suspend_size,
                csg.protm_suspend_size,
                csg.stream_num,
            );
            let same_cs = csg
                .streams
                .iter()
                .all(|s| s.features == first.streams[0].features);
            if !same || !same_cs {
                return Err(EINVAL);
            }
        }
        kernel::alloc::try_push(&mut csgs, csg)?;
    }
    Ok(Interfaces { glb, csgs })
}

fn discover_csg(mem: &SharedMem, c: u64) -> Result<CsgInfo> {
    let stream_num = mem.read_u32(c + csg::STREAM_NUM)?;
    let stream_stride = mem.read_u32(c + csg::STREAM_STRIDE)?;
    if !STREAM_NUM.contains(&stream_num) {
        return Err(EINVAL);
    }
    let pages = iface_pages(
        mem,
        c,
        csg::INPUT_VA,
        csg::OUTPUT_VA,
        csg::INPUT_SIZE,
        csg::OUTPUT_SIZE,
    )?;
    let mut streams: Vec<CsInfo> = Vec::new();
    for j in 0..stream_num {
        let s = control_at(
            mem,
            c + cs::CONTROL_BASE,
            j,
            stream_stride,
            cs::CONTROL_SIZE,
        )?;
        let features = mem.read_u32(s + cs::FEATURES)?;
        if streams
            .first()
            .is_some_and(|first| first.features != features)
        {
            return Err(EINVAL);
        }
        let pages = iface_pages(
            mem,
            s,
            cs::INPUT_VA,
            cs::OUTPUT_VA,
            cs::INPUT_SIZE,
            cs::OUTPUT_SIZE,
        )?;
        kernel::alloc::try_push(&mut streams, CsInfo { features, pages })?;
    }
    Ok(CsgInfo {
        features: mem.read_u32(c + csg::FEATURES)?,
        suspend_size: mem.read_u32(c + csg::SUSPEND_SIZE)?,
        protm_suspend_size: mem.read_u32(c + csg::PROTM_SUSPEND_SIZE)?,
        stream_num,
        stream_stride,
        pages,
        streams,
    })
}

impl Interfaces {
    /// What DEV_QUERY CSIF_INFO reports (`panthor_fw.c` and `panthor_sched_init`).
    pub(crate) fn csif_info(&self) -> drm_panthor_csif_info {
        let csg0 = &self.csgs[0];
        let cs_features = csg0.streams[0].features;
        drm_panthor_csif_info {
            csg_slot_count: self.glb.group_num.min(MAX_CSG_SLOTS),
            cs_slot_count: csg0.stream_num,
            cs_reg_count: CsFeatures(cs_features).work_regs() + 1,
            scoreboard_slot_count: CsFeatures(cs_features).scoreboards(),
            unpreserved_cs_reg_count: UNPRESERVED_REG_COUNT,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hw_mali::csf::{self as model, values, SHARED_VA};
    use hw_mem::{Ram, RamConfig};
    use std::sync::Arc;

    /// A 64 KiB shared section holding the control blocks the model's MCU publishes at boot.
    fn published() -> SharedMem {
        let ram = Arc::new(Ram::new(RamConfig::rk3588(1 << 22)).unwrap());
        let pages = (0..16).map(|_| ram.alloc_frame().unwrap()).collect();
        let mem = SharedMem::from_frames(ram, pages, SHARED_VA as u32);
        let off = |va: u64| va - SHARED_VA;
        let w = |va: u64, v: u32| mem.write_u32(off(va), v).unwrap();
        w(SHARED_VA + glb::VERSION, values::GLB_VERSION);
        w(SHARED_VA + glb::INPUT_VA, model::GLB_INPUT_VA as u32);
        w(SHARED_VA + glb::OUTPUT_VA, model::GLB_OUTPUT_VA as u32);
        w(SHARED_VA + glb::GROUP_NUM, values::GROUP_NUM);
        w(
            SHARED_VA + glb::GROUP_STRIDE,
            model::layout::GROUP_STRIDE as u32,
        );
        w(SHARED_VA + glb::INSTR_FEATURES, 0x5);
        for i in 0..values::GROUP_NUM {
            let c = model::csg_control_va(i);
            let (input, output) = model::csg_iface(i);
            w(c + csg::INPUT_VA, input as u32);
            w(c + csg::OUTPUT_VA, output as u32);
            w(c + csg::SUSPEND_SIZE, values::SUSPEND_SIZE);
            w(c + csg::PROTM_SUSPEND_SIZE, values::PROTM_SUSPEND_SIZE);
            w(c + csg::STREAM_NUM, values::STREAM_NUM);
            w(c + csg::STREAM_STRIDE, model::layout::STREAM_STRIDE as u32);
            for j in 0..values::STREAM_NUM {
                let s = model::cs_control_va(i, j);
                let (input, output) = model::cs_iface(i, j);
                w(s + cs::FEATURES, values::CS_FEATURES);
                w(s + cs::INPUT_VA, input as u32);
                w(s + cs::OUTPUT_VA, output as u32);
            }
        }
        mem
    }

    fn poke(mem: &SharedMem, va: u64, v: u32) {
        mem.write_u32(va - SHARED_VA, v).unwrap();
    }

    #[test]
    fn the_models_interfaces_give_the_g610_csif_info() {
        let ifaces = discover(&published()).unwrap();
        let c = ifaces.csif_info();
        assert_eq!(
            (
                c.csg_slot_count,
                c.cs_slot_count,
                c.cs_reg_count,
                c.scoreboard_slot_count
            ),
            (8, 8, 96, 8)
        );
        assert_eq!(c.unpreserved_cs_reg_count, 4);
        assert_eq!(
            ifaces.glb.instr_features, 0x5,
            "read from interface 1.1.0 on"
        );
        let (input, _) = model::cs_iface(7, 7);
        assert_eq!(ifaces.csgs[7].streams[7].pages.input, input - SHARED_VA);
    }

    #[test]
    fn typed_words_put_the_bits_where_panthor_does() {
        // GLB_HALT BIT(0), GLB_PING BIT(8), GLB_IDLE BIT(26), GLB_EVT_MASK GENMASK(26, 20), GLB_TIMER_VAL GENMASK(30, 0).
        assert_eq!(
            (glb::Req::HALT.0, glb::Req::PING.0, glb::Req::IDLE.0),
            (1, 1 << 8, 1 << 26)
        );
        assert_eq!(
            (glb::Req::EVTS.0, glb::Timer::COUNT.0),
            (0x07f0_0000, 0x7fff_ffff)
        );
        // JOB_INT_GLOBAL_IF BIT(31); CSG slot bits below it.
        let stat = crate::regs::JobIrqBits(0x8000_0005);
        assert_eq!((stat.glb(), stat.csg()), (1, 5));
        let v = IfaceVersion(0x0103_0002);
        assert_eq!((v.major(), v.minor(), v.patch()), (1, 3, 2));
        assert!(IfaceVersion(0x0101_0000) < v);
        let f = CsFeatures(0x0007_0813);
        assert_eq!((f.work_regs(), f.scoreboards()), (0x13, 8));
    }

    #[test]
    fn instr_features_is_not_read_before_interface_1_1() {
        let mem = published();
        poke(&mem, SHARED_VA + glb::VERSION, 0x0100_0000);
        assert_eq!(discover(&mem).unwrap().glb.instr_features, 0);
    }

    #[test]
    fn version_0_means_the_firmware_did_not_boot() {
        let mem = published();
        poke(&mem, SHARED_VA + glb::VERSION, 0);
        assert_eq!(discover(&mem), Err(EINVAL));
    }

    #[test]
    fn interface_pages_outside_the_section_are_einval() {
        let mem = published();
        poke(&mem, SHARED_VA + glb::INPUT_VA, 0x0300_0000);
        assert_eq!(discover(&mem), Err(EINVAL));
        let mem = published();
        poke(
            &mem,
            model::csg_control_va(3) + csg::OUTPUT_VA,
            (SHARED_VA + 0xfff0) as u32,
        );
        assert_eq!(discover(&mem), Err(EINVAL), "the page runs past the end");
        let mem = published();
        poke(&mem, model::cs_control_va(2, 5) + cs::INPUT_VA, 0);
        assert_eq!(discover(&mem), Err(EINVAL));
    }

    #[test]
    fn group_and_stream_counts_out_of_range_are_einval() {
        for n in [0u32, 2, 32] {
            let mem = published();
            poke(&mem, SHARED_VA + glb::GROUP_NUM, n);
            assert_eq!(discover(&mem), Err(EINVAL), "group_num {n}");
        }
        for n in [0u32, 7, 33] {
            let mem = published();
            poke(&mem, model::csg_control_va(0) + csg::STREAM_NUM, n);
            assert_eq!(discover(&mem), Err(EINVAL), "stream_num {n}");
        }
    }

    #[test]
    fn a_stride_that_leaves_the_section_is_einval() {
        let mem = published();
        poke(&mem, SHARED_VA + glb::GROUP_STRIDE, 0x4000_0000);
        assert_eq!(discover(&mem), Err(EINVAL));
    }

    #[test]
    fn groups_or_streams_that_differ_from_the_first_are_einval() {
        let mem = published();
        poke(&mem, model::csg_control_va(5) + csg::SUSPEND_SIZE, 0x4000);
        assert_eq!(discover(&mem), Err(EINVAL));
        let mem = published();
        poke(&mem, model::cs_control_va(0, 3) + cs::FEATURES, 0x0007_0810);
        assert_eq!(discover(&mem), Err(EINVAL));
        let mem = published();
        poke(&mem, model::cs_control_va(6, 0) + cs::FEATURES, 0x0007_0810);
        assert_eq!(discover(&mem), Err(EINVAL));
    }
}
