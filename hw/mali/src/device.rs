//! The device: register file, timed operations, IRQ lines and the GPU memory port, behind one lock.
//!
//! Time is explicit. Every timed operation (power transition, reset, cache flush, AS command, MCU boot, doorbell) is an
//! event scheduled at `now + latency` on the model's clock. The clock only moves when a test steps it
//! ([`Mali::advance`], [`Mali::run_until_idle`]) or while a [`crate::ModelThread`] runs it against real time. A latency
//! of 0 completes the operation inside the register write that started it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hw_mem::Ram;
use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::config::MaliConfig;
use crate::csf::Mcu;
use crate::error::{BusError, BusStats, PortError};
use crate::irq::{IrqKind, IrqLine, IrqRegs};
use crate::mmu::{AccessType, AddressSpace, CommandStart, Completed, TranslateError, Walker};
use crate::regs::{block, gpu, gpu_command, gpu_irq, gpu_status, irq, mcu, mmu};
use crate::AS_COUNT;

/// Registers of one power domain (offsets of its 64-bit registers).
struct DomainRegs {
    present: u32,
    ready: u32,
    pwron: u32,
    pwroff: u32,
    pwrtrans: u32,
    pwractive: Option<u32>,
}

const fn std_domain(present: u32) -> DomainRegs {
    DomainRegs {
        present,
        ready: present + gpu::PWR_READY_DELTA,
        pwron: present + gpu::PWR_ON_DELTA,
        pwroff: present + gpu::PWR_OFF_DELTA,
        pwrtrans: present + gpu::PWR_TRANS_DELTA,
        pwractive: Some(present + gpu::PWR_ACTIVE_DELTA),
    }
}

/// The four power domains: shader, tiler, L2 (`Documentation/hardware.md#gpu_control`) and core stacks (\[kbase\]
/// layout at 0xE00).
const DOMAINS: [DomainRegs; 4] = [
    std_domain(gpu::SHADER_PRESENT),
    std_domain(gpu::TILER_PRESENT),
    std_domain(gpu::L2_PRESENT),
    DomainRegs {
        present: gpu::STACK_PRESENT,
        ready: gpu::STACK_READY,
        pwron: gpu::STACK_PWRON,
        pwroff: gpu::STACK_PWROFF,
        pwrtrans: gpu::STACK_PWRTRANS,
        pwractive: None,
    },
];

/// A power domain with one bit per unit.
#[derive(Clone, Copy, Debug, Default)]
struct Domain {
    present: u64,
    ready: u64,
    trans: u64,
}

/// Something that completes later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Power {
        domain: usize,
        bits: u64,
        on: bool,
    },
    Reset {
        keep_power: bool,
    },
    CacheFlush,
    AsCommand(usize),
    McuStart,
    McuStop,
    Doorbell(u32),
    /// The MCU's idle timer (of the given generation) expired.
    McuIdle(u64),
    /// A batch of command-stream execution (of the given generation) is due.
    CsExec(u64),
}

#[derive(Clone, Copy, Debug)]
struct Scheduled {
    at: u64,
    seq: u64,
    ev: Event,
}

/// How the model's clock moves.
#[derive(Clone, Copy, Debug)]
enum Clock {
    /// Only when stepped.
    Manual,
    /// With real time: model time `at_origin` corresponds to `origin`.
    RealTime { origin: Instant, at_origin: u64 },
}

/// The whole mutable state of the GPU.
pub(crate) struct State {
    pub(crate) ram: Arc<Ram>,
    pub(crate) cfg: MaliConfig,
    pub(crate) walker: Walker,
    now: u64,
    seq: u64,
    events: Vec<Scheduled>,
    clock: Clock,
    pub(crate) gpu_irq: IrqRegs,
    pub(crate) job_irq: IrqRegs,
    pub(crate) mmu_irq: IrqRegs,
    gpu_fault_status: u32,
    gpu_fault_address: u64,
    l2_config: u32,
    pwr_override: [u32; 2],
    pwr_unlocked: bool,
    asn_hash: [u32; 3],
    coherency_protocol: u32,
    impl_config: [u32; 4],
    timestamp_offset: u64,
    cycles_accumulated: u64,
    cycles_since: Option<u64>,
    domains: [Domain; 4],
    resetting: bool,
    flushes_pending: u32,
    mcu_control: u32,
    pub(crate) mcu_status: u32,
    pub(crate) latest_flush_id: u32,
    pub(crate) spaces: Vec<AddressSpace>,
    stats: BusStats,
    pub(crate) mcu: Mcu,
    /// Something waiters on [`Mali::wake`] care about changed (an event was scheduled or fired, a register written).
    notify: bool,
    /// Bumped whenever an event fires or a register is written, so [`Mali::wait_until`] can tell "changed" from
    /// "spurious wake-up".
    generation: u64,
}

/// COHERENCY_PROTOCOL after reset: NONE (31). The reset value is not documented
/// (`Documentation/hardware.md#gpu_control` \[?\]); NONE is what the model behaves as regardless, and what Panthor
/// writes on RK3588.
const COHERENCY_NONE: u32 = 31;

fn half(v: u64, hi: bool) -> u32 {
    if hi {
        (v >> 32) as u32
    } else {
        v as u32
    }
}

fn set_half(reg: &mut u64, hi: bool, v: u32) {
    *reg = if hi { (*reg & 0xFFFF_FFFF) | u64::from(v) << 32 } else { (*reg & !0xFFFF_FFFF) | u64::from(v) };
}

fn scale(ns: u64, hz: u64) -> u64 {
    (u128::from(ns) * u128::from(hz) / 1_000_000_000) as u64
}

/// Result of decoding a write.
enum Write {
    Done,
    ReadOnly,
    Hole,
}

impl State {
    fn new(ram: Arc<Ram>, cfg: MaliConfig) -> Self {
        let ids = &cfg.ids;
        let walker = Walker::new(ids.va_bits(), ids.pa_bits());
        let presents = [ids.shader_present, ids.tiler_present, ids.l2_present, ids.stack_present];
        let domains = presents.map(|present| Domain { present, ..Domain::default() });
        let spaces = (0..AS_COUNT).map(|_| AddressSpace::new(cfg.tlb_entries)).collect();
        Self {
            ram,
            walker,
            now: 0,
            seq: 0,
            events: Vec::new(),
            clock: Clock::Manual,
            gpu_irq: IrqRegs::default(),
            job_irq: IrqRegs::default(),
            mmu_irq: IrqRegs::default(),
            gpu_fault_status: 0,
            gpu_fault_address: 0,
            l2_config: 0,
            pwr_override: [0; 2],
            pwr_unlocked: false,
            asn_hash: [0; 3],
            coherency_protocol: COHERENCY_NONE,
            impl_config: [0; 4],
            timestamp_offset: 0,
            cycles_accumulated: 0,
            cycles_since: None,
            domains,
            resetting: false,
            flushes_pending: 0,
            mcu_control: 0,
            mcu_status: mcu::STATUS_DISABLED,
            latest_flush_id: 1,
            spaces,
            stats: BusStats::default(),
            mcu: Mcu::default(),
            notify: false,
            generation: 0,
            cfg,
        }
    }

    // ---- time ----------------------------------------------------------------------------------------------------

    /// Schedules `ev` after `delay` ns; a zero delay runs it now.
    pub(crate) fn schedule(&mut self, delay: u64, ev: Event) {
        if delay == 0 {
            self.fire(ev);
            return;
        }
        self.seq += 1;
        self.notify = true;
        self.events.push(Scheduled { at: self.now.saturating_add(delay), seq: self.seq, ev });
    }

    fn next_event(&self) -> Option<u64> {
        self.events.iter().map(|e| e.at).min()
    }

    /// Moves the clock to `target`, firing every event due on the way, in deadline order.
    fn advance_to(&mut self, target: u64) {
        self.advance_bounded(target, usize::MAX);
    }

    /// [`Self::advance_to`] firing at most `budget` events; returns whether it reached `target`.
    fn advance_bounded(&mut self, target: u64, mut budget: usize) -> bool {
        loop {
            if budget == 0 {
                return false;
            }
            budget -= 1;
            let due = self
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.at <= target)
                .min_by_key(|(_, e)| (e.at, e.seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let e = self.events.swap_remove(i);
            self.now = self.now.max(e.at);
            self.fire(e.ev);
        }
        self.now = self.now.max(target);
        true
    }

    /// Brings model time up to real time. The work done per call is bounded: when the host cannot keep up (a stream
    /// looping forever schedules a batch every microsecond of model time), the model's clock slips — it runs slower
    /// than real time, like a slower GPU — instead of every MMIO access trying to catch up forever.
    /// `budget` bounds the events fired: the model thread catches up in large steps, a register access from the
    /// driver in small ones, so that busy command streams (a batch every microsecond) do not make every MMIO access
    /// pay for interpreting them.
    fn sync_time(&mut self, budget: usize) {
        if let Clock::RealTime { origin, at_origin } = self.clock {
            let elapsed = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
            if !self.advance_bounded(at_origin.saturating_add(elapsed), budget) {
                self.clock = Clock::RealTime { origin: Instant::now(), at_origin: self.now };
            }
        }
    }

    fn fire(&mut self, ev: Event) {
        self.generation += 1;
        self.notify = true;
        match ev {
            Event::Power { domain, bits, on } => {
                let d = &mut self.domains[domain];
                if on {
                    d.ready |= bits;
                } else {
                    d.ready &= !bits;
                }
                d.trans &= !bits;
                self.gpu_irq.raise(gpu_irq::POWER_CHANGED_SINGLE);
                if self.domains.iter().all(|d| d.trans == 0) {
                    self.gpu_irq.raise(gpu_irq::POWER_CHANGED_ALL);
                }
            }
            Event::Reset { keep_power } => self.finish_reset(keep_power),
            Event::CacheFlush => {
                self.flushes_pending = self.flushes_pending.saturating_sub(1);
                self.bump_flush_id();
                self.gpu_irq.raise(gpu_irq::CLEAN_CACHES_COMPLETED);
            }
            Event::AsCommand(n) => {
                self.notify = true;
                if let Some(space) = self.spaces.get_mut(n) {
                    if space.complete_command() == Completed::CachesFlushed {
                        self.bump_flush_id();
                    }
                }
            }
            Event::McuStart => crate::csf::start(self),
            Event::McuStop => {
                self.mcu_status = mcu::STATUS_DISABLED;
                self.mcu.stop();
            }
            Event::Doorbell(i) => crate::csf::doorbell(self, i),
            Event::McuIdle(gen) => crate::csf::idle_timer_expired(self, gen),
            Event::CsExec(gen) => crate::csf::exec_batch(self, gen),
        }
    }

    pub(crate) fn bump_flush_id(&mut self) {
        self.latest_flush_id = self.latest_flush_id.wrapping_add(1).max(1);
    }

    pub(crate) fn timestamp(&self) -> u64 {
        scale(self.now, self.cfg.timestamp_hz).wrapping_add(self.timestamp_offset)
    }

    pub(crate) fn cycle_count(&self) -> u64 {
        let running = self.cycles_since.map_or(0, |t| scale(self.now - t, self.cfg.gpu_clock_hz));
        self.cycles_accumulated.wrapping_add(running)
    }

    // ---- reset ---------------------------------------------------------------------------------------------------

    /// `Documentation/hardware.md#model-choices`: power domains off (unless a fast reset), MCU disabled, AS registers
    /// and TLBs cleared, faults cleared, RAWSTATs cleared but RESET_COMPLETED raised; the three MASKs and
    /// TIMESTAMP_OFFSET survive.
    fn finish_reset(&mut self, keep_power: bool) {
        self.resetting = false;
        self.notify = true;
        self.events.clear();
        if !keep_power {
            for d in &mut self.domains {
                d.ready = 0;
            }
        }
        for d in &mut self.domains {
            d.trans = 0;
        }
        for s in &mut self.spaces {
            s.reset();
        }
        self.gpu_fault_status = 0;
        self.gpu_fault_address = 0;
        self.flushes_pending = 0;
        self.l2_config = 0;
        self.pwr_override = [0; 2];
        self.pwr_unlocked = false;
        self.asn_hash = [0; 3];
        self.coherency_protocol = COHERENCY_NONE;
        self.impl_config = [0; 4];
        if let Some(t) = self.cycles_since.take() {
            self.cycles_accumulated = self.cycles_accumulated.wrapping_add(scale(self.now - t, self.cfg.gpu_clock_hz));
        }
        self.mcu_control = mcu::CONTROL_DISABLE;
        self.mcu_status = mcu::STATUS_DISABLED;
        self.mcu.stop();
        self.job_irq.rawstat = 0;
        self.mmu_irq.rawstat = 0;
        self.gpu_irq.rawstat = gpu_irq::RESET_COMPLETED;
    }

    // ---- GPU_CONTROL ---------------------------------------------------------------------------------------------

    fn gpu_status(&self) -> u32 {
        let mut s = 0;
        if self.resetting || self.flushes_pending > 0 {
            s |= gpu_status::ACTIVE;
        }
        if self.domains.iter().any(|d| d.trans != 0) {
            s |= gpu_status::PWR_ACTIVE;
        }
        if self.spaces.iter().any(|a| a.fault_pending()) {
            s |= gpu_status::PAGE_FAULT;
        }
        if self.cycles_since.is_some() {
            s |= gpu_status::CYCLE_COUNT_ACTIVE;
        }
        s
    }

    /// 64-bit GPU_CONTROL registers by the offset of their LO word.
    fn read_gpu64(&self, lo: u32) -> Option<u64> {
        let ids = &self.cfg.ids;
        Some(match lo {
            gpu::GPU_FAULTADDRESS => self.gpu_fault_address,
            gpu::GPU_FEATURES => ids.gpu_features,
            gpu::TIMESTAMP_OFFSET => self.timestamp_offset,
            gpu::CYCLE_COUNT => self.cycle_count(),
            gpu::TIMESTAMP => self.timestamp(),
            _ => {
                for (d, regs) in self.domains.iter().zip(&DOMAINS) {
                    if lo == regs.present {
                        return Some(d.present);
                    } else if lo == regs.ready {
                        return Some(d.ready);
                    } else if lo == regs.pwrtrans {
                        return Some(d.trans);
                    } else if lo == regs.pwron || lo == regs.pwroff || Some(lo) == regs.pwractive {
                        return Some(0);
                    }
                }
                return None;
            }
        })
    }

    fn read_gpu(&self, off: u32) -> Option<u32> {
        let ids = &self.cfg.ids;
        let tex = gpu::TEXTURE_FEATURES_0;
        Some(match off {
            gpu::GPU_ID => ids.gpu_id,
            gpu::L2_FEATURES => ids.l2_features,
            gpu::CORE_FEATURES => ids.core_features,
            gpu::TILER_FEATURES => ids.tiler_features,
            gpu::MEM_FEATURES => ids.mem_features,
            gpu::MMU_FEATURES => ids.mmu_features,
            gpu::AS_PRESENT => ids.as_present,
            gpu::CSF_ID => ids.csf_id,
            o if (gpu::IRQ_BASE..gpu::IRQ_BASE + 0x10).contains(&o) => read_irq(&self.gpu_irq, o - gpu::IRQ_BASE),
            gpu::GPU_COMMAND | gpu::PWR_KEY => 0,
            gpu::GPU_STATUS => self.gpu_status(),
            gpu::GPU_FAULTSTATUS => self.gpu_fault_status,
            gpu::L2_CONFIG => self.l2_config,
            gpu::PWR_OVERRIDE0 => self.pwr_override[0],
            gpu::PWR_OVERRIDE1 => self.pwr_override[1],
            gpu::PRFCNT_FEATURES => ids.prfcnt_features,
            gpu::THREAD_MAX_THREADS => ids.thread_max_threads,
            gpu::THREAD_MAX_WORKGROUP_SIZE => ids.thread_max_workgroup_size,
            gpu::THREAD_MAX_BARRIER_SIZE => ids.thread_max_barrier_size,
            gpu::THREAD_FEATURES => ids.thread_features,
            o if (tex..tex + 16).contains(&o) => ids.texture_features[((o - tex) / 4) as usize],
            gpu::GPU_REVID => ids.gpu_revid,
            o if (gpu::ASN_HASH_0..gpu::ASN_HASH_0 + 12).contains(&o) => {
                self.asn_hash[((o - gpu::ASN_HASH_0) / 4) as usize]
            }
            gpu::COHERENCY_FEATURES => ids.coherency_features,
            gpu::COHERENCY_PROTOCOL => self.coherency_protocol,
            gpu::THREAD_TLS_ALLOC => ids.thread_tls_alloc,
            gpu::MCU_CONTROL => self.mcu_control,
            gpu::MCU_STATUS => self.mcu_status,
            o if (gpu::CSF_CONFIG..gpu::CSF_CONFIG + 16).contains(&o) => {
                self.impl_config[((o - gpu::CSF_CONFIG) / 4) as usize]
            }
            o => half(self.read_gpu64(o & !4)?, o & 4 != 0),
        })
    }

    fn write_gpu(&mut self, off: u32, v: u32) -> Write {
        match off {
            o if o == gpu::IRQ_BASE + irq::RAWSTAT => self.gpu_irq.raise(v),
            o if o == gpu::IRQ_BASE + irq::CLEAR => self.gpu_irq.clear(v, gpu_irq::DOORBELL_MIRROR),
            o if o == gpu::IRQ_BASE + irq::MASK => self.gpu_irq.mask = v,
            gpu::GPU_COMMAND => self.gpu_command(v),
            gpu::L2_CONFIG => self.l2_config = v,
            gpu::PWR_KEY => self.pwr_unlocked = v == gpu::PWR_KEY_UNLOCK,
            gpu::PWR_OVERRIDE0 | gpu::PWR_OVERRIDE1 => {
                if !self.pwr_unlocked {
                    return Write::ReadOnly;
                }
                self.pwr_override[((off - gpu::PWR_OVERRIDE0) / 4) as usize] = v;
                self.pwr_unlocked = false;
            }
            gpu::TIMESTAMP_OFFSET => set_half(&mut self.timestamp_offset, false, v),
            o if o == gpu::TIMESTAMP_OFFSET + 4 => set_half(&mut self.timestamp_offset, true, v),
            o if (gpu::ASN_HASH_0..gpu::ASN_HASH_0 + 12).contains(&o) => {
                self.asn_hash[((o - gpu::ASN_HASH_0) / 4) as usize] = v
            }
            gpu::COHERENCY_PROTOCOL => self.coherency_protocol = v,
            gpu::MCU_CONTROL => self.mcu_control_write(v),
            o if (gpu::CSF_CONFIG..gpu::CSF_CONFIG + 16).contains(&o) => {
                self.impl_config[((o - gpu::CSF_CONFIG) / 4) as usize] = v
            }
            o => {
                let lo = o & !4;
                let hi = o & 4 != 0;
                let bits = if hi { u64::from(v) << 32 } else { u64::from(v) };
                for (i, regs) in DOMAINS.iter().enumerate() {
                    if lo == regs.pwron {
                        self.power(i, bits, true);
                        return Write::Done;
                    } else if lo == regs.pwroff {
                        self.power(i, bits, false);
                        return Write::Done;
                    }
                }
                return if self.read_gpu(o).is_some() { Write::ReadOnly } else { Write::Hole };
            }
        }
        Write::Done
    }

    /// PWRON/PWROFF: units that are present, not already in the requested state and not mid-transition start one.
    fn power(&mut self, domain: usize, bits: u64, on: bool) {
        let d = &mut self.domains[domain];
        let target = if on { !d.ready } else { d.ready };
        let bits = bits & d.present & target & !d.trans;
        if bits == 0 {
            return;
        }
        d.trans |= bits;
        let delay = self.cfg.timing.power_ns;
        self.schedule(delay, Event::Power { domain, bits, on });
    }

    fn gpu_command(&mut self, v: u32) {
        if self.resetting {
            self.stats.commands_during_reset += 1;
            return;
        }
        let payload = v >> 8;
        match v & gpu_command::CODE_MASK {
            gpu_command::RESET => {
                self.resetting = true;
                let keep_power = payload & 0xF == gpu_command::RESET_FAST;
                let delay = self.cfg.timing.reset_ns;
                self.schedule(delay, Event::Reset { keep_power });
            }
            gpu_command::TIME => {
                if payload & 1 != 0 {
                    self.cycles_since.get_or_insert(self.now);
                } else if let Some(t) = self.cycles_since.take() {
                    self.cycles_accumulated =
                        self.cycles_accumulated.wrapping_add(scale(self.now - t, self.cfg.gpu_clock_hz));
                }
            }
            gpu_command::FLUSH_CACHES => {
                self.flushes_pending += 1;
                let delay = self.cfg.timing.cache_flush_ns;
                self.schedule(delay, Event::CacheFlush);
            }
            gpu_command::CLEAR_FAULT => {
                self.gpu_fault_status = 0;
                self.gpu_fault_address = 0;
            }
            // NOP, PRFCNT, SET_PROTECTED_MODE, FINISH_HALT and undefined codes change nothing the model represents.
            _ => {}
        }
    }

    fn mcu_control_write(&mut self, v: u32) {
        let v = v & 3;
        self.mcu_control = v;
        let delay = self.cfg.timing.mcu_boot_ns;
        match v {
            mcu::CONTROL_ENABLE | mcu::CONTROL_AUTO => self.schedule(delay, Event::McuStart),
            mcu::CONTROL_DISABLE => self.schedule(delay, Event::McuStop),
            _ => {}
        }
    }

    /// Records a GPU bus fault (first one wins until CLEAR_FAULT, as Tyr documents) and raises GPU IRQ FAULT.
    fn gpu_bus_fault(&mut self, pa: u64, access: AccessType) {
        if self.gpu_fault_status == 0 {
            const GPU_BUS_FAULT: u32 = 0x80;
            const ADDRESS_VALID: u32 = 1 << 10;
            self.gpu_fault_status = GPU_BUS_FAULT | (access as u32) << 8 | ADDRESS_VALID;
            self.gpu_fault_address = pa;
            self.gpu_irq.raise(gpu_irq::FAULT);
        }
    }

    // ---- MMIO dispatch -------------------------------------------------------------------------------------------

    fn as_block(off: u32) -> Option<(usize, u32)> {
        let rel = off.checked_sub(mmu::AS_BASE)?;
        let n = (rel / mmu::AS_STRIDE) as usize;
        (n < mmu::AS_SLOTS as usize).then_some((n, rel % mmu::AS_STRIDE))
    }

    fn doorbell(off: u32) -> Option<u32> {
        let rel = off.checked_sub(block::DOORBELL_BASE)?;
        let i = rel / block::DOORBELL_STRIDE;
        (i < block::DOORBELL_COUNT && rel % block::DOORBELL_STRIDE == 0).then_some(i)
    }

    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        if !off.is_multiple_of(4) {
            self.stats.misaligned += 1;
            return Err(BusError::Misaligned { offset: off });
        }
        let v = if off < block::JOB_CONTROL {
            self.read_gpu(off)
        } else if (block::JOB_CONTROL..block::JOB_CONTROL + 0x10).contains(&off) {
            Some(read_irq(&self.job_irq, off - block::JOB_CONTROL))
        } else if (mmu::IRQ_BASE..mmu::IRQ_BASE + 0x10).contains(&off) {
            Some(read_irq(&self.mmu_irq, off - mmu::IRQ_BASE))
        } else if let Some((n, r)) = Self::as_block(off) {
            self.spaces.get(n).and_then(|s| s.read_reg(r))
        } else if off == block::USER {
            Some(self.latest_flush_id)
        } else if Self::doorbell(off).is_some() {
            Some(0)
        } else {
            None
        };
        v.ok_or_else(|| {
            self.stats.unmapped_reads += 1;
            BusError::Unmapped { offset: off }
        })
    }

    fn write32(&mut self, off: u32, v: u32) -> Result<(), BusError> {
        // A write may satisfy what a thread in `Mali::wait_until` waits for.
        self.generation += 1;
        self.notify = true;
        if !off.is_multiple_of(4) {
            self.stats.misaligned += 1;
            return Err(BusError::Misaligned { offset: off });
        }
        let w = if off < block::JOB_CONTROL {
            self.write_gpu(off, v)
        } else if (block::JOB_CONTROL..block::JOB_CONTROL + 0x10).contains(&off) {
            write_irq(&mut self.job_irq, off - block::JOB_CONTROL, v, 0)
        } else if (mmu::IRQ_BASE..mmu::IRQ_BASE + 0x10).contains(&off) {
            let w = write_irq(&mut self.mmu_irq, off - mmu::IRQ_BASE, v, 0);
            if off - mmu::IRQ_BASE == irq::CLEAR {
                for (n, s) in self.spaces.iter_mut().enumerate() {
                    if v & (1 << n) != 0 {
                        s.clear_fault();
                    }
                }
            }
            w
        } else if let Some((n, r)) = Self::as_block(off) {
            self.write_as(n, r, v)
        } else if off == block::USER {
            Write::ReadOnly
        } else if let Some(i) = Self::doorbell(off) {
            if v & 1 != 0 {
                let delay = self.cfg.timing.doorbell_ns;
                self.schedule(delay, Event::Doorbell(i));
            }
            Write::Done
        } else {
            Write::Hole
        };
        match w {
            Write::Done => Ok(()),
            Write::ReadOnly => {
                self.stats.ignored_writes += 1;
                Ok(())
            }
            Write::Hole => {
                self.stats.unmapped_writes += 1;
                Err(BusError::Unmapped { offset: off })
            }
        }
    }

    fn write_as(&mut self, n: usize, r: u32, v: u32) -> Write {
        let Some(space) = self.spaces.get_mut(n) else { return Write::Hole };
        if r == mmu::COMMAND {
            tracing::debug!(target: "hw_mali::mmu", as_nr = n, command = mmu_command_name(v & 0xFF), "AS_COMMAND");
            match space.begin_command(v & 0xFF) {
                CommandStart::Started => {
                    let delay = self.cfg.timing.as_command_ns;
                    self.schedule(delay, Event::AsCommand(n));
                }
                CommandStart::DroppedBusy => self.stats.dropped_as_commands += 1,
                CommandStart::Ignored => {}
            }
            return Write::Done;
        }
        match space.write_reg(r, v) {
            Some(true) => Write::Done,
            Some(false) => Write::ReadOnly,
            None => Write::Hole,
        }
    }

    // ---- GPU memory port -----------------------------------------------------------------------------------------

    /// Translates one VA for an access; a new MMU fault raises the AS's MMU IRQ bit.
    pub(crate) fn translate(&mut self, as_nr: usize, va: u64, access: AccessType) -> Result<u64, PortError> {
        let space = self.spaces.get_mut(as_nr).ok_or(PortError::NoSuchAs(as_nr))?;
        match space.translate(&self.ram, &self.walker, va, access, 0) {
            Ok(t) => Ok(t.pa_of(va)),
            Err(TranslateError::Fault(fault)) => {
                tracing::warn!(target: "hw_mali::mmu", as_nr, va, ?access, ?fault, "translation fault");
                self.mmu_irq.raise(1 << as_nr);
                Err(PortError::Fault { as_nr, va, fault })
            }
            Err(TranslateError::AsFaulted) => Err(PortError::AsFaulted { as_nr }),
            Err(TranslateError::Stalled(region)) => Err(PortError::Stalled { as_nr, va, region }),
        }
    }

    /// Runs `f(pa, range of the buffer)` for each page-sized piece of `[va, va + len)`, translating each piece.
    pub(crate) fn access(
        &mut self,
        as_nr: usize,
        va: u64,
        len: usize,
        access: AccessType,
        mut f: impl FnMut(&Ram, u64, std::ops::Range<usize>) -> hw_mem::Result<()>,
    ) -> Result<(), PortError> {
        let mut done = 0usize;
        while done < len {
            let cur = va.wrapping_add(done as u64);
            let in_page = (0x1000 - (cur & 0xFFF)) as usize;
            let n = in_page.min(len - done);
            let pa = self.translate(as_nr, cur, access)?;
            if f(&self.ram, pa, done..done + n).is_err() {
                self.gpu_bus_fault(pa, access);
                return Err(PortError::BusFault { pa });
            }
            done += n;
        }
        Ok(())
    }
}

fn read_irq(r: &IrqRegs, off: u32) -> u32 {
    match off {
        irq::RAWSTAT => r.rawstat,
        irq::MASK => r.mask,
        irq::STAT => r.stat(),
        _ => 0, // CLEAR is write-only
    }
}

fn write_irq(r: &mut IrqRegs, off: u32, v: u32, sticky: u32) -> Write {
    match off {
        irq::RAWSTAT => r.raise(v),
        irq::CLEAR => r.clear(v, sticky),
        irq::MASK => r.mask = v,
        _ => return Write::ReadOnly,
    }
    Write::Done
}

/// One line of [`Mali::register_dump`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegValue {
    /// Register name (per-AS registers as `AS<n>_<NAME>`).
    pub name: String,
    /// Offset from the MMIO base.
    pub offset: u32,
    /// Whether it is a 64-bit LO/HI pair.
    pub is64: bool,
    /// The value read; `None` for a write-only register.
    pub value: Option<u64>,
}

impl std::fmt::Display for RegValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#07x}  {:<28}", self.offset, self.name)?;
        match (self.value, self.is64) {
            (None, _) => write!(f, "(write-only)"),
            (Some(v), true) => write!(f, "{v:#018x}"),
            (Some(v), false) => write!(f, "{v:#010x}"),
        }
    }
}

/// The Mali-G610 model: one per board, shared as `Arc<Mali>` between the driver's MMIO path, its IRQ threads, the model
/// thread and GPU-side users of the memory port.
pub struct Mali {
    state: Mutex<State>,
    lines: [IrqLine; 3],
    /// Signalled when new events are scheduled (model thread) and when a locked region is released (stalled accesses).
    wake: Condvar,
}

impl std::fmt::Debug for Mali {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mali").field("now_ns", &self.now_ns()).finish_non_exhaustive()
    }
}

/// A guard over the model state that, when dropped, re-drives the IRQ lines and wakes the model thread.
struct Locked<'a> {
    mali: &'a Mali,
    st: MutexGuard<'a, State>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.mali.lines[IrqKind::Job.index()].set_level(self.st.job_irq.stat() != 0);
        self.mali.lines[IrqKind::Mmu.index()].set_level(self.st.mmu_irq.stat() != 0);
        self.mali.lines[IrqKind::Gpu.index()].set_level(self.st.gpu_irq.stat() != 0);
        if std::mem::take(&mut self.st.notify) {
            self.mali.wake.notify_all();
        }
    }
}

impl std::ops::Deref for Locked<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.st
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.st
    }
}

impl Mali {
    /// A freshly powered GPU (everything at its reset values, clock at 0, stepped manually) using `ram` as system memory.
    pub fn new(ram: Arc<Ram>, cfg: MaliConfig) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::new(ram, cfg)),
            lines: IrqKind::ALL.map(IrqLine::new),
            wake: Condvar::new(),
        })
    }

    fn lock(&self) -> Locked<'_> {
        self.lock_budget(Self::ACCESS_EVENTS)
    }

    /// Events a register access fires at most while catching up with real time.
    const ACCESS_EVENTS: usize = 4;
    /// Events the model thread fires at most per round.
    const THREAD_EVENTS: usize = 64;

    fn lock_budget(&self, budget: usize) -> Locked<'_> {
        let mut st = self.state.lock();
        st.sync_time(budget);
        Locked { mali: self, st }
    }

    /// The system RAM the GPU reads and writes.
    pub fn ram(&self) -> Arc<Ram> {
        self.state.lock().ram.clone()
    }

    /// The configuration the model was built with.
    pub fn config(&self) -> MaliConfig {
        self.state.lock().cfg.clone()
    }

    // ---- MMIO ----

    /// A 32-bit MMIO read at `offset` from the GPU's MMIO base.
    pub fn read32(&self, offset: u32) -> Result<u32, BusError> {
        self.lock().read32(offset)
    }

    /// A 32-bit MMIO write at `offset` from the GPU's MMIO base.
    pub fn write32(&self, offset: u32, value: u32) -> Result<(), BusError> {
        self.lock().write32(offset, value)
    }

    /// A 64-bit register read as the LO word then the HI word (the hardware has no 64-bit MMIO;
    /// `Documentation/hardware.md#register-map`).
    pub fn read64(&self, offset: u32) -> Result<u64, BusError> {
        let mut st = self.lock();
        if !offset.is_multiple_of(8) {
            st.stats.misaligned += 1;
            return Err(BusError::Misaligned { offset });
        }
        let lo = st.read32(offset)?;
        let hi = st.read32(offset.wrapping_add(4))?;
        Ok(u64::from(hi) << 32 | u64::from(lo))
    }

    /// A 64-bit register write as the LO word then the HI word, as Panthor does.
    pub fn write64(&self, offset: u32, value: u64) -> Result<(), BusError> {
        let mut st = self.lock();
        if !offset.is_multiple_of(8) {
            st.stats.misaligned += 1;
            return Err(BusError::Misaligned { offset });
        }
        st.write32(offset, value as u32)?;
        st.write32(offset.wrapping_add(4), (value >> 32) as u32)
    }

    /// Bus-level counters.
    pub fn bus_stats(&self) -> BusStats {
        self.state.lock().stats
    }

    // ---- IRQ lines ----

    /// One of the three interrupt outputs.
    pub fn irq_line(&self, kind: IrqKind) -> &IrqLine {
        &self.lines[kind.index()]
    }

    // ---- time ----

    /// The model clock, in ns since power-on.
    pub fn now_ns(&self) -> u64 {
        self.lock().now
    }

    /// When the next scheduled operation completes, if any is pending.
    pub fn next_event_ns(&self) -> Option<u64> {
        self.lock().next_event()
    }

    /// Moves the clock forward by `ns`, completing everything due on the way.
    pub fn advance(&self, ns: u64) {
        let mut st = self.lock();
        let target = st.now.saturating_add(ns);
        st.advance_to(target);
    }

    /// Moves the clock to the next pending deadline and completes everything due then; returns the new time, or
    /// `None` (clock unchanged) when nothing is pending. Events due at the same instant complete in the order they were
    /// started, so a sequence of steps is the same on every run.
    pub fn step(&self) -> Option<u64> {
        let mut st = self.lock();
        let at = st.next_event()?;
        st.advance_to(at);
        Some(st.now)
    }

    /// Blocks until `cond` holds or `timeout` passes; returns whether it holds. Between checks the caller sleeps on
    /// the model's condition variable, woken when an operation completes or a register is written, so nothing polls.
    /// Something must move the clock meanwhile (a [`crate::ModelThread`], or another thread stepping); with a manual
    /// clock and no one stepping, it simply times out. `cond` typically reads registers; it runs without the model's
    /// lock held.
    pub fn wait_until(&self, timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            // Due events fire here (real-time clock), so `cond` sees them.
            let seen = self.lock().generation;
            if cond() {
                return true;
            }
            let mut st = self.state.lock();
            while st.generation == seen {
                let timed_out = match deadline {
                    Some(d) => self.wake.wait_until(&mut st, d).timed_out(),
                    None => {
                        self.wake.wait(&mut st);
                        false
                    }
                };
                if timed_out {
                    drop(st);
                    return cond();
                }
            }
        }
    }

    /// Completes every pending operation (and any they start), moving the clock to the last one.
    pub fn run_until_idle(&self) {
        let mut st = self.lock();
        // Operations never reschedule themselves indefinitely; the bound only guards against a model bug.
        for _ in 0..100_000 {
            let Some(at) = st.next_event() else { break };
            st.advance_to(at);
        }
    }

    pub(crate) fn start_realtime(&self) {
        let mut st = self.state.lock();
        let at_origin = st.now;
        st.clock = Clock::RealTime { origin: Instant::now(), at_origin };
    }

    pub(crate) fn stop_realtime(&self) {
        let mut g = self.lock();
        g.clock = Clock::Manual;
        g.notify = true;
    }

    /// The model thread's body: fires events as real time reaches them, sleeping on a condition variable in between,
    /// until `stop` is set.
    pub(crate) fn run_realtime(&self, stop: &AtomicBool) {
        loop {
            // Fires what is due; dropping the guard drives the lines.
            drop(self.lock_budget(Self::THREAD_EVENTS));
            let mut st = self.state.lock();
            if stop.load(Ordering::Acquire) {
                return;
            }
            let deadline = match (st.clock, st.next_event()) {
                (Clock::RealTime { origin, at_origin }, Some(at)) => {
                    Some(origin + Duration::from_nanos(at.saturating_sub(at_origin)))
                }
                _ => None,
            };
            match deadline {
                Some(d) => {
                    self.wake.wait_until(&mut st, d);
                }
                None => self.wake.wait(&mut st),
            }
        }
    }

    // ---- GPU memory port ----

    /// Translates `va` in address space `as_nr` for an access of type `access`, through the TLB and the walker,
    /// exactly as a GPU access would (faults are recorded and raise the MMU IRQ).
    pub fn gpu_translate(&self, as_nr: usize, va: u64, access: AccessType) -> Result<u64, PortError> {
        self.lock().translate(as_nr, va, access)
    }

    /// Reads `buf.len()` bytes at GPU VA `va` in `as_nr`. Pieces before a failing page have been read.
    pub fn gpu_read(&self, as_nr: usize, va: u64, buf: &mut [u8]) -> Result<(), PortError> {
        self.gpu_read_as(as_nr, va, buf, AccessType::Read)
    }

    /// Reads like [`Self::gpu_read`] but as an instruction fetch (checked against no-exec).
    pub fn gpu_fetch(&self, as_nr: usize, va: u64, buf: &mut [u8]) -> Result<(), PortError> {
        self.gpu_read_as(as_nr, va, buf, AccessType::Execute)
    }

    fn gpu_read_as(&self, as_nr: usize, va: u64, buf: &mut [u8], access: AccessType) -> Result<(), PortError> {
        let len = buf.len();
        self.lock().access(as_nr, va, len, access, |ram, pa, r| ram.read(pa, &mut buf[r]))
    }

    /// Writes `data` at GPU VA `va` in `as_nr`. Pieces before a failing page have been written (no atomicity across
    /// pages, like a burst split by the MMU).
    pub fn gpu_write(&self, as_nr: usize, va: u64, data: &[u8]) -> Result<(), PortError> {
        self.lock().access(as_nr, va, data.len(), AccessType::Write, |ram, pa, r| ram.write(pa, &data[r]))
    }

    /// Reads a little-endian `u32` at `va`.
    pub fn gpu_read_u32(&self, as_nr: usize, va: u64) -> Result<u32, PortError> {
        let mut b = [0; 4];
        self.gpu_read(as_nr, va, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Reads a little-endian `u64` at `va`.
    pub fn gpu_read_u64(&self, as_nr: usize, va: u64) -> Result<u64, PortError> {
        let mut b = [0; 8];
        self.gpu_read(as_nr, va, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian `u32` at `va`.
    pub fn gpu_write_u32(&self, as_nr: usize, va: u64, v: u32) -> Result<(), PortError> {
        self.gpu_write(as_nr, va, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64` at `va`.
    pub fn gpu_write_u64(&self, as_nr: usize, va: u64, v: u64) -> Result<(), PortError> {
        self.gpu_write(as_nr, va, &v.to_le_bytes())
    }

    /// Reads like [`Self::gpu_read`], but an access stalled by a locked region waits (on a condition variable) for the
    /// unlock, up to `timeout`. The unlock needs the clock to move: a model thread, or another thread stepping it.
    pub fn gpu_read_wait(&self, as_nr: usize, va: u64, buf: &mut [u8], timeout: Duration) -> Result<(), PortError> {
        // A timeout too large to represent means "no timeout"; a century is as good.
        let deadline = Instant::now()
            .checked_add(timeout)
            .or_else(|| Instant::now().checked_add(Duration::from_secs(100 * 365 * 86_400)))
            .unwrap_or_else(Instant::now);
        let len = buf.len();
        loop {
            let mut g = self.lock();
            match g.access(as_nr, va, len, AccessType::Read, |ram, pa, r| ram.read(pa, &mut buf[r])) {
                Err(PortError::Stalled { .. }) => {
                    if self.wake.wait_until(&mut g.st, deadline).timed_out() {
                        return Err(PortError::TimedOut);
                    }
                }
                other => return other,
            }
        }
    }

    // ---- introspection for tests and tools ----

    /// Every register of a block, as a bring-up engineer reads them: GPU_CONTROL, JOB and MMU IRQ blocks and the USER
    /// page from [`crate::regs::REGISTERS`], then each present AS. Write-only registers are listed without a value.
    /// Reading has no side effects.
    pub fn register_dump(&self) -> Vec<RegValue> {
        let mut st = self.lock();
        let mut out = Vec::new();
        let mut read = |st: &mut State, name: String, offset: u32, reg: &crate::regs::Reg| {
            let value = match reg.access {
                crate::regs::Access::Wo => None,
                _ => {
                    let lo = st.read32(offset).ok();
                    let hi = if reg.is64 { st.read32(offset + 4).ok() } else { Some(0) };
                    lo.zip(hi).map(|(lo, hi)| u64::from(hi) << 32 | u64::from(lo))
                }
            };
            out.push(RegValue { name, offset, is64: reg.is64, value });
        };
        for reg in crate::regs::REGISTERS {
            read(&mut st, reg.name.to_string(), reg.offset, reg);
        }
        for n in 0..AS_COUNT {
            for reg in crate::regs::AS_REGISTERS {
                let offset = mmu::AS_BASE + n as u32 * mmu::AS_STRIDE + reg.offset;
                read(&mut st, format!("AS{n}_{}", &reg.name[3..]), offset, reg);
            }
        }
        out
    }

    /// Number of translations AS `as_nr`'s TLB holds (0 for an absent AS).
    pub fn tlb_len(&self, as_nr: usize) -> usize {
        self.state.lock().spaces.get(as_nr).map_or(0, |s| s.tlb().len())
    }

    /// What the MCU latched from the global interface (timers, core mask, pings answered).
    pub fn mcu_latched(&self) -> crate::csf::GlbLatched {
        self.state.lock().mcu.latched
    }

    /// How many times a per-CSG doorbell (1..) reached the running MCU.
    pub fn cs_doorbell_rings(&self) -> u64 {
        self.state.lock().mcu.cs_doorbells
    }

    /// What CSG slot `i` latched (state, AS, endpoint request and priority, core masks, suspend buffer); `None` for a
    /// slot that does not exist.
    pub fn csg_latched(&self, i: u32) -> Option<crate::csf::CsgLatched> {
        self.state.lock().mcu.exec.latched(i as usize)
    }

    /// The 96 registers of CS `j` of CSG slot `i` (introspection for tests and tools; a driver reads them only through
    /// what the stream stores).
    pub fn cs_registers(&self, i: u32, j: u32) -> Option<[u32; crate::cs::REG_COUNT]> {
        self.state.lock().mcu.exec.regs(i as usize, j as usize)
    }

    /// Execution batches run so far (see [`crate::csf::EXEC_BATCH_NS`]).
    pub fn cs_exec_batches(&self) -> u64 {
        self.state.lock().mcu.exec.batches
    }

    /// Makes CS `j` of CSG slot `i` report TILER_OOM now, as the firmware does when a tiler heap runs out: the heap_*
    /// output words are filled from the stream's heap context and counters, the event is raised with its IRQ, and the
    /// stream waits for the host's acknowledgement and doorbell bit. Returns whether a running stream took the event.
    pub fn inject_tiler_oom(&self, i: u32, j: u32) -> bool {
        crate::csf::tiler_oom(&mut self.lock(), i, j)
    }
}

/// AS_COMMAND codes by name, for traces.
fn mmu_command_name(cmd: u32) -> &'static str {
    use crate::regs::as_command::*;
    match cmd {
        NOP => "NOP",
        UPDATE => "UPDATE",
        LOCK => "LOCK",
        UNLOCK => "UNLOCK",
        FLUSH_PT => "FLUSH_PT",
        FLUSH_MEM => "FLUSH_MEM",
        _ => "?",
    }
}
