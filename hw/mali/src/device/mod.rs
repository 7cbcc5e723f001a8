// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The device: register file, timed operations, IRQ lines and the GPU memory port, behind one lock.
//!
//! Time is explicit. Every timed operation (power transition, reset, cache flush, AS command, MCU boot, doorbell) is an
//! event scheduled at `now + latency` on the model's clock. The clock only moves when a test steps it
//! ([`Mali::advance`], [`Mali::run_until_idle`]) or while a [`crate::ModelThread`] runs it against real time. A latency
//! of 0 completes the operation inside the register write that started it.

mod clock;
mod gpu_control;
mod inject;
mod introspect;
mod mmio;

pub use inject::InjectState;
mod port;
mod power;
mod time;

pub use power::PowerState;

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
pub use clock::Activity;
use clock::ClockState;

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

/// The four power domains: shader, tiler, L2 (`Documentation/hardware.md#gpu_control`) and core stacks (\[kbase\] layout at 0xE00).
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
    /// The firmware's shader power-off timer (of the given generation) expired.
    CoresOff(u64),
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
    /// The core clock input and the activity record (`clock`).
    clock_in: ClockState,
    domains: [Domain; 4],
    power_stats: power::PowerStats,
    resetting: bool,
    flushes_pending: u32,
    mcu_control: u32,
    pub(crate) mcu_status: u32,
    pub(crate) latest_flush_id: u32,
    pub(crate) spaces: Vec<AddressSpace>,
    stats: BusStats,
    pub(crate) mcu: Mcu,
    /// Hangs and faults injected for tests and tools; a GPU reset clears them.
    pub(crate) inject: inject::Injected,
    /// Something waiters on [`Mali::wake`] care about changed (an event was scheduled or fired, a register written).
    notify: bool,
    /// Bumped whenever an event fires or a register is written, so [`Mali::wait_until`] can tell "changed" from
    /// "spurious wake-up".
    generation: u64,
}

/// COHERENCY_PROTOCOL after reset: NONE (31). The reset value is not documented (`Documentation/hardware.md#gpu_control` \[?\]); NONE is what the model
/// behaves as regardless, and what Panthor writes on RK3588.
const COHERENCY_NONE: u32 = 31;

fn half(v: u64, hi: bool) -> u32 {
    if hi {
        (v >> 32) as u32
    } else {
        v as u32
    }
}

fn set_half(reg: &mut u64, hi: bool, v: u32) {
    *reg = if hi {
        (*reg & 0xFFFF_FFFF) | u64::from(v) << 32
    } else {
        (*reg & !0xFFFF_FFFF) | u64::from(v)
    };
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
        let presents = [
            ids.shader_present,
            ids.tiler_present,
            ids.l2_present,
            ids.stack_present,
        ];
        let domains = presents.map(|present| Domain {
            present,
            ..Domain::default()
        });
        let spaces = (0..AS_COUNT)
            .map(|_| AddressSpace::new(cfg.tlb_entries))
            .collect();
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
            clock_in: ClockState::new(cfg.gpu_clock_hz),
            domains,
            power_stats: power::PowerStats::default(),
            resetting: false,
            flushes_pending: 0,
            mcu_control: 0,
            mcu_status: mcu::STATUS_DISABLED,
            latest_flush_id: 1,
            spaces,
            stats: BusStats::default(),
            mcu: Mcu::default(),
            inject: inject::Injected::default(),
            notify: false,
            generation: 0,
            cfg,
        }
    }
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
        f.debug_struct("Mali")
            .field("now_ns", &self.now_ns())
            .finish_non_exhaustive()
    }
}

/// A guard over the model state that, when dropped, re-drives the IRQ lines and wakes the model thread.
struct Locked<'a> {
    mali: &'a Mali,
    st: MutexGuard<'a, State>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.st.update_activity();
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
        // The shader core's host worker count is settled now, on the caller's thread: finding the host's parallelism
        // reads files (the cgroup's CPU quota), and doing it at the first dispatch would open descriptors on the
        // model thread at an arbitrary moment, under a client that counts its own (the fuzzers' descriptor oracle).
        crate::shader::parallel::workers();
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

    /// A 64-bit register read as the LO word then the HI word (the hardware has no 64-bit MMIO; `Documentation/hardware.md#register-map`).
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

    /// The core clock rate the SoC's clock controller feeds the GPU, in Hz.
    pub fn core_clock_hz(&self) -> u64 {
        self.lock().core_hz()
    }

    /// The SoC's clock controller changes the core clock to `hz` (not a GPU register; the board calls this when
    /// the kernel sets the clock's rate). CYCLE_COUNT and the command streams' speed follow from now on.
    pub fn set_core_clock_hz(&self, hz: u64) {
        self.lock().set_core_hz(hz);
    }

    /// Core clock rate changes so far.
    pub fn core_clock_changes(&self) -> u64 {
        self.lock().clock_in.changes
    }

    /// Busy and idle model time so far: busy while some started command stream has work.
    pub fn activity(&self) -> Activity {
        self.lock().activity()
    }

    pub(crate) fn start_realtime(&self) {
        let mut st = self.state.lock();
        let at_origin = st.now;
        st.clock = Clock::RealTime {
            origin: Instant::now(),
            at_origin,
        };
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
}
