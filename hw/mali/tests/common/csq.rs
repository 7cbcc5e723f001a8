// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A driver-shaped harness for command-stream tests: the MCU booted with AS 0 mapping the shared section, user-I/O
//! pages and suspend buffers (the MCU VM), AS 1 as the group's VM with rings, a stream BO, a result BO, a sync-object
//! BO and a read-only page; CSG/CS programming as Panthor's `csg_slot_prog_locked`/`cs_slot_prog_locked` do it
//! (`Documentation/hardware.md#csg-and-cs-interfaces`), and instruction encoders written from
//! `Documentation/hardware.md#encodings`.
#![allow(dead_code)]

use hw_mali::fields::{CsReq, CsgReq};
use std::collections::HashMap;

use super::pte::*;
use super::*;
use hw_mali::csf::{self, cs, csg, glb, GLB_INPUT_VA, GLB_OUTPUT_VA, SHARED_SIZE, SHARED_VA};
use hw_mali::regs::{block, gpu, irq, mcu, mmu};
use hw_mali::Timing;

pub const JOB_RAWSTAT: u32 = block::JOB_CONTROL + irq::RAWSTAT;
pub const JOB_CLEAR: u32 = block::JOB_CONTROL + irq::CLEAR;
pub const JOB_MASK: u32 = block::JOB_CONTROL + irq::MASK;
pub const MMU_RAWSTAT: u32 = mmu::IRQ_BASE + irq::RAWSTAT;
pub const MMU_CLEAR: u32 = mmu::IRQ_BASE + irq::CLEAR;
pub const DOORBELL_NS: u64 = Timing::DEFAULT.doorbell_ns;

/// The group's AS (the lowest free of 1..7, as Panthor picks it for the first VM).
pub const GROUP_AS: usize = 1;
/// MCU VA of the user-I/O pages: queue slot `k` (= csg·8 + cs) at `IO_VA + k·0x2000` (input page, output page).
pub const IO_VA: u64 = 0x0500_0000;
/// MCU VA of the suspend buffers: CSG `g` at `SUSPEND_VA + g·0x2000`.
pub const SUSPEND_VA: u64 = 0x0600_0000;
/// GPU VA of the rings in the group's AS: queue slot `k` at `RING_VA + k·RING_SIZE`.
pub const RING_VA: u64 = 0x0080_0000;
pub const RING_SIZE: u64 = 0x1000;
/// IGT's stream and result BOs (`Documentation/hardware.md#the-igt-group_submit-stream`).
pub const STREAM_VA: u64 = 0x100_0000;
pub const RESULT_VA: u64 = 0x100_1000;
/// More user-stream space (4 pages).
pub const CODE_VA: u64 = 0x110_0000;
/// The group's sync-object BO ("Group sync objects"): queue `q` at `+16·q`.
pub const SYNC_VA: u64 = 0x200_0000;
/// A read-only page of the group's VM.
pub const RO_VA: u64 = 0x300_0000;
/// Never mapped.
pub const UNMAPPED_VA: u64 = 0x700_0000;

pub struct Gpu {
    pub r: Rig,
    /// Group-AS VA page → PA.
    pages: HashMap<u64, u64>,
}

pub fn rd(r: &Rig, va: u64) -> u32 {
    r.gpu.gpu_read_u32(0, va).unwrap()
}

pub fn wr(r: &Rig, va: u64, v: u32) {
    r.gpu.gpu_write_u32(0, va, v).unwrap()
}

impl Gpu {
    /// A booted MCU, AS 0 and AS 1 live, JOB IRQs unmasked and clear.
    pub fn new() -> Self {
        let r = rig();
        let pt0 = Pt::new(&r.ram);
        for off in (0..SHARED_SIZE).step_by(4096) {
            pt0.page(SHARED_VA + off, frame_of(&r.ram, 0), RW_CACHED | XN | PXN);
        }
        for off in (0..64 * 0x2000u64).step_by(4096) {
            pt0.page(IO_VA + off, frame_of(&r.ram, 0), RW_CACHED | XN | PXN);
        }
        for off in (0..8 * 0x2000u64).step_by(4096) {
            pt0.page(SUSPEND_VA + off, frame_of(&r.ram, 0), RW_CACHED | XN | PXN);
        }
        r.enable_as(0, pt0.root);

        let pt1 = Pt::new(&r.ram);
        let mut pages = HashMap::new();
        let mut map = |va: u64, bits: u64| {
            let pa = frame_of(&r.ram, 0);
            pt1.page(va, pa, bits);
            pages.insert(va, pa);
        };
        for k in 0..16 {
            map(RING_VA + k * RING_SIZE, RW_CACHED | XN | PXN);
        }
        for va in [
            STREAM_VA,
            RESULT_VA,
            SYNC_VA,
            CODE_VA,
            CODE_VA + 0x1000,
            CODE_VA + 0x2000,
            CODE_VA + 0x3000,
        ] {
            map(va, RW_CACHED | XN | PXN);
        }
        map(RO_VA, RW_CACHED | AP_RO | XN | PXN);
        r.enable_as(GROUP_AS, pt1.root);

        // The L2 first, as the driver powers it before the MCU boots: no stream work runs without it.
        r.w32(gpu::L2_PRESENT + gpu::PWR_ON_DELTA, 1);
        r.w32(JOB_CLEAR, 0xFFFF_FFFF);
        r.w32(JOB_MASK, 0xFFFF_FFFF);
        r.w32(gpu::MCU_CONTROL, mcu::CONTROL_AUTO);
        r.gpu.run_until_idle();
        assert_eq!(r.r32(gpu::MCU_STATUS), mcu::STATUS_ENABLED);
        r.w32(JOB_CLEAR, 0xFFFF_FFFF);
        Self { r, pages }
    }

    fn pa(&self, va: u64) -> u64 {
        self.pages[&(va & !0xFFF)] + (va & 0xFFF)
    }

    /// CPU view of the group's memory (the BOs' kernel/user mappings).
    pub fn mem32(&self, va: u64) -> u32 {
        self.r.ram.read_u32(self.pa(va)).unwrap()
    }
    pub fn mem64(&self, va: u64) -> u64 {
        self.r.ram.read_u64(self.pa(va)).unwrap()
    }
    pub fn set32(&self, va: u64, v: u32) {
        self.r.ram.write_u32(self.pa(va), v).unwrap()
    }
    pub fn set64(&self, va: u64, v: u64) {
        self.r.ram.write_u64(self.pa(va), v).unwrap()
    }
    /// Writes instruction words at `va`.
    pub fn code(&self, va: u64, words: &[u64]) {
        for (i, w) in words.iter().enumerate() {
            self.set64(va + 8 * i as u64, *w);
        }
    }

    pub fn rd(&self, va: u64) -> u32 {
        rd(&self.r, va)
    }
    pub fn rd64(&self, va: u64) -> u64 {
        u64::from(rd(&self.r, va)) | u64::from(rd(&self.r, va + 4)) << 32
    }
    pub fn wr(&self, va: u64, v: u32) {
        wr(&self.r, va, v)
    }
    pub fn wr64(&self, va: u64, v: u64) {
        self.wr(va, v as u32);
        self.wr(va + 4, (v >> 32) as u32);
    }

    pub fn ring_doorbell(&self, i: u32) {
        self.r
            .w32(block::DOORBELL_BASE + i * block::DOORBELL_STRIDE, 1);
    }

    /// Runs the model until nothing is pending (bounded: a test with an endless stream must use `advance`).
    pub fn settle(&self) {
        for _ in 0..10_000 {
            if self.r.gpu.step().is_none() {
                return;
            }
        }
        panic!("the model never went quiet");
    }

    // ---- queues ----

    pub fn slot(g: u32, q: u32) -> u64 {
        u64::from(g * 8 + q)
    }
    pub fn ring_va(g: u32, q: u32) -> u64 {
        RING_VA + Self::slot(g, q) * RING_SIZE
    }
    pub fn io(g: u32, q: u32) -> (u64, u64) {
        let i = IO_VA + Self::slot(g, q) * 0x2000;
        (i, i + 0x1000)
    }
    pub fn output_extract(&self, g: u32, q: u32) -> u64 {
        self.rd64(Self::io(g, q).1)
    }
    pub fn insert(&self, g: u32, q: u32) -> u64 {
        self.rd64(Self::io(g, q).0)
    }

    /// `cs_slot_prog_locked` (`Documentation/hardware.md#csg-and-cs-interfaces`) with doorbell `g + 1`.
    pub fn program_cs(&self, g: u32, q: u32) {
        let (cin, _) = csf::cs_iface(g, q);
        let (io_in, io_out) = Self::io(g, q);
        self.wr64(io_in + 8, self.rd64(io_out));
        self.wr64(cin + cs::RINGBUF_BASE, Self::ring_va(g, q));
        self.wr(cin + cs::RINGBUF_SIZE, RING_SIZE as u32);
        self.wr64(cin + cs::RINGBUF_INPUT, io_in);
        self.wr64(cin + cs::RINGBUF_OUTPUT, io_out);
        self.wr(cin + cs::CONFIG, (g + 1) << 8);
        self.wr(cin + cs::ACK_IRQ_MASK, 0xFFFF_FFFF);
        let req = self.rd(cin + cs::REQ);
        let mask =
            CsReq::STATE.0 | CsReq::EXTRACT_EVENT.0 | CsReq::IDLE_SYNC_WAIT.0 | CsReq::IDLE_EMPTY.0;
        let val = cs::STATE_START
            | CsReq::EXTRACT_EVENT.0
            | CsReq::IDLE_SYNC_WAIT.0
            | CsReq::IDLE_EMPTY.0;
        self.wr(cin + cs::REQ, (req & !mask) | val);
    }

    /// Sets CSG `g`'s STATE level, toggles `toggles` and the CSG doorbell bits of `cs_mask`, toggles the slot's GLB
    /// doorbell bit and rings doorbell 0; the doorbell is served before this returns.
    pub fn csg_request(&self, g: u32, state: u32, toggles: u32, cs_mask: u32) {
        let (input, output) = csf::csg_iface(g);
        if cs_mask != 0 {
            let db = self.rd(input + csg::DOORBELL);
            let db_ack = self.rd(output + csg::DOORBELL);
            self.wr(input + csg::DOORBELL, (db & !cs_mask) | (!db_ack & cs_mask));
        }
        let req = (self.rd(input + csg::REQ) & !CsgReq::STATE.0) | state;
        let ack = self.rd(output + csg::ACK);
        self.wr(
            input + csg::REQ,
            ((ack ^ toggles) & toggles) | (req & !toggles),
        );
        let db = self.rd(GLB_INPUT_VA + glb::DOORBELL);
        let db_ack = self.rd(GLB_OUTPUT_VA + glb::DOORBELL);
        self.wr(
            GLB_INPUT_VA + glb::DOORBELL,
            (db & !(1 << g)) | (!db_ack & (1 << g)),
        );
        self.ring_doorbell(0);
        self.r.gpu.advance(DOORBELL_NS);
    }

    /// A started group 0 with one queue and the JOB IRQs cleared.
    pub fn one_queue() -> Self {
        let t = Self::new();
        t.start_group(0, 1);
        t.r.w32(JOB_CLEAR, 0xFFFF_FFFF);
        t
    }

    /// [`Self::one_queue`] with `binary` at `binary_va` and a compute shader program descriptor at `spd` pointing at
    /// it: type 8 (shader), stage 1 (compute), r55..r62 preloaded.
    pub fn compute_queue(binary_va: u64, binary: &[u64], spd: u64) -> Self {
        let t = Self::one_queue();
        t.code(binary_va, binary);
        t.set32(spd, 8 | 1 << 4);
        t.set32(spd + 4, 0x7F80);
        t.set64(spd + 8, binary_va);
        t
    }

    /// Runs `stream`, written at [`STREAM_VA`], as one job of queue 0 of group 0 behind Panthor's preamble (which
    /// signals [`SYNC_VA`]), and settles.
    pub fn run_job(&self, stream: &[u64]) {
        self.code(STREAM_VA, stream);
        self.submit(
            0,
            0,
            &op::preamble(0, STREAM_VA, 8 * stream.len() as u32, SYNC_VA),
        );
        self.settle();
    }

    /// `csg_slot_prog_locked` + START for queues `0..queues` (`Documentation/hardware.md#csg-and-cs-interfaces` step
    /// 4).
    pub fn start_group(&self, g: u32, queues: u32) {
        self.program_group(g, queues);
        self.csg_request(
            g,
            csg::STATE_START,
            CsgReq::ENDPOINT_CONFIG.0,
            (1 << queues) - 1,
        );
    }

    pub fn program_group(&self, g: u32, queues: u32) {
        for q in 0..queues {
            self.program_cs(g, q);
        }
        let (input, _) = csf::csg_iface(g);
        self.wr64(input + csg::ALLOW_COMPUTE, 1);
        self.wr64(input + csg::ALLOW_FRAGMENT, 1);
        self.wr(input + csg::ALLOW_OTHER, 1);
        self.wr(input + csg::ENDPOINT_REQ, 0xF001_0101);
        self.wr(input + csg::CONFIG, GROUP_AS as u32);
        self.wr64(input + csg::SUSPEND_BUF, SUSPEND_VA + u64::from(g) * 0x2000);
        self.wr(input + csg::ACK_IRQ_MASK, 0xFFFF_FFFF);
    }

    /// `queue_run_job`'s ring part: copy `words` at `insert mod size`, `extract ← output.extract`, `insert += len`,
    /// ring the group's doorbell (slot + 1). Returns the job's ring range.
    pub fn submit(&self, g: u32, q: u32, words: &[u64]) -> (u64, u64) {
        let (io_in, io_out) = Self::io(g, q);
        let start = self.rd64(io_in);
        for (i, w) in words.iter().enumerate() {
            let off = (start + 8 * i as u64) % RING_SIZE;
            self.set64(Self::ring_va(g, q) + off, *w);
        }
        let end = start + 8 * words.len() as u64;
        self.wr64(io_in + 8, self.rd64(io_out));
        self.wr64(io_in, end);
        self.ring_doorbell(g + 1);
        (start, end)
    }

    pub fn cs_out(&self, g: u32, q: u32, off: u64) -> u32 {
        self.rd(csf::cs_iface(g, q).1 + off)
    }
    pub fn cs_out64(&self, g: u32, q: u32, off: u64) -> u64 {
        self.rd64(csf::cs_iface(g, q).1 + off)
    }
    /// CS events pending (ack ^ req) among `bits`.
    pub fn cs_events(&self, g: u32, q: u32, bits: u32) -> u32 {
        let (cin, cout) = csf::cs_iface(g, q);
        (self.rd(cin + cs::REQ) ^ self.rd(cout + cs::ACK)) & bits
    }
    /// CSG events pending among `bits`.
    pub fn csg_events(&self, g: u32, bits: u32) -> u32 {
        let (input, output) = csf::csg_iface(g);
        (self.rd(input + csg::REQ) ^ self.rd(output + csg::ACK)) & bits
    }
    /// Panthor's CS event handling (`Documentation/hardware.md#csg-and-cs-interfaces`): `cs_irq_ack ← cs_irq_req`,
    /// acknowledge `bits` (copy ack into req), toggle the CS's CSG doorbell bit and the GLB doorbell bit, ring doorbell
    /// 0.
    pub fn ack_cs_events(&self, g: u32, q: u32, bits: u32) {
        let (gin, gout) = csf::csg_iface(g);
        self.wr(gin + csg::CS_IRQ, self.rd(gout + csg::CS_IRQ));
        let (cin, cout) = csf::cs_iface(g, q);
        let req = self.rd(cin + cs::REQ);
        let ack = self.rd(cout + cs::ACK);
        self.wr(cin + cs::REQ, (req & !bits) | (ack & bits));
        let state = self.rd(gin + csg::REQ) & CsgReq::STATE.0;
        self.csg_request(g, state, 0, 1 << q);
    }
    /// Acknowledges CSG events (copy ack into req).
    pub fn ack_csg_events(&self, g: u32, bits: u32) {
        let (input, output) = csf::csg_iface(g);
        let req = self.rd(input + csg::REQ);
        let ack = self.rd(output + csg::ACK);
        self.wr(input + csg::REQ, (req & !bits) | (ack & bits));
    }
}

/// Instruction encoders (`Documentation/hardware.md#encodings`).
pub mod op {
    pub const NOP: u64 = 0;
    pub const ERROR_BARRIER: u64 = 47 << 56;
    pub fn move48(d: u64, imm: u64) -> u64 {
        1 << 56 | d << 48 | (imm & 0xFFFF_FFFF_FFFF)
    }
    pub fn move32(r: u64, imm: u32) -> u64 {
        2 << 56 | r << 48 | u64::from(imm)
    }
    pub fn wait(mask: u64) -> u64 {
        3 << 56 | mask << 16
    }
    pub fn run_compute(spd_select: u64) -> u64 {
        4 << 56 | spd_select << 42
    }
    pub fn add32(dst: u64, src: u64, imm: i32) -> u64 {
        16 << 56 | dst << 48 | src << 40 | u64::from(imm as u32)
    }
    pub fn add64(dst: u64, src: u64, imm: i32) -> u64 {
        17 << 56 | dst << 48 | src << 40 | u64::from(imm as u32)
    }
    pub fn umin32(dst: u64, a: u64, b: u64) -> u64 {
        18 << 56 | dst << 48 | a << 40 | b << 32
    }
    pub fn ldm(base: u64, addr: u64, mask: u64, offset: i16) -> u64 {
        20 << 56 | base << 48 | addr << 40 | mask << 16 | u64::from(offset as u16)
    }
    pub fn stm(base: u64, addr: u64, mask: u64, offset: i16) -> u64 {
        21 << 56 | base << 48 | addr << 40 | mask << 16 | u64::from(offset as u16)
    }
    /// Conditions: 0 LE, 1 GT, 2 EQ, 3 NE, 4 LT, 5 GE, 6 ALWAYS.
    pub fn branch(value: u64, cond: u64, offset: i16) -> u64 {
        22 << 56 | value << 40 | cond << 28 | u64::from(offset as u16)
    }
    pub fn set_sb_entry(endpoint: u64, other: u64) -> u64 {
        23 << 56 | other << 4 | endpoint
    }
    pub fn call(addr: u64, len: u64) -> u64 {
        32 << 56 | addr << 40 | len << 32
    }
    pub fn jump(addr: u64, len: u64) -> u64 {
        33 << 56 | addr << 40 | len << 32
    }
    /// L2 and LSC clean+invalidate, other invalidate.
    pub fn flush(signal: u64, id_reg: u64, wait: u64) -> u64 {
        36 << 56 | signal << 48 | id_reg << 40 | wait << 16 | 0x233
    }
    pub fn sync_add32(addr: u64, data: u64, propagate: bool) -> u64 {
        37 << 56 | addr << 40 | data << 32 | u64::from(propagate)
    }
    pub fn sync_set32(addr: u64, data: u64, propagate: bool) -> u64 {
        38 << 56 | addr << 40 | data << 32 | u64::from(propagate)
    }
    pub fn sync_wait32(addr: u64, data: u64, cond: u64) -> u64 {
        39 << 56 | addr << 40 | data << 32 | cond << 28
    }
    pub fn store_state(addr: u64, state: u64, offset: i16) -> u64 {
        40 << 56 | addr << 40 | state << 32 | u64::from(offset as u16)
    }
    pub fn heap_set(addr: u64) -> u64 {
        48 << 56 | addr << 40
    }
    /// 0 vertex/tiler started, 1 vertex/tiler completed, 3 fragment completed.
    pub fn heap_op(operation: u64) -> u64 {
        49 << 56 | operation << 32
    }
    pub fn sync_add64(addr: u64, data: u64, propagate: bool) -> u64 {
        51 << 56 | addr << 40 | data << 32 | u64::from(propagate)
    }
    pub fn sync_set64(addr: u64, data: u64, propagate: bool) -> u64 {
        52 << 56 | addr << 40 | data << 32 | u64::from(propagate)
    }
    pub fn sync_wait64(addr: u64, data: u64, cond: u64) -> u64 {
        53 << 56 | addr << 40 | data << 32 | cond << 28
    }

    /// Panthor's ring preamble without profiling (`Documentation/hardware.md#panthors-ring-preamble`): 11 instructions
    /// NOP-padded to 16.
    pub fn preamble(latest_flush: u32, stream: u64, size: u32, sync: u64) -> Vec<u64> {
        let mut v = vec![
            move32(94, latest_flush),
            flush(0, 94, 0),
            move48(92, stream),
            move32(94, size),
            wait(0x01),
            call(92, 94),
            move48(92, sync),
            move48(94, 1),
            wait(0xFF),
            sync_add64(92, 94, true),
            ERROR_BARRIER,
        ];
        v.resize(16, NOP);
        v
    }
}
