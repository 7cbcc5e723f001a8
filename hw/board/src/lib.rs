// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The modelled RK3588 board: system RAM plus the Mali-G610 at its MMIO base and its three IRQ lines.
//!
//! * [`Board`] owns the RAM ([`hw_mem::Ram`], shared as `Arc<Ram>`) and the GPU ([`hw_mali::Mali`]) at
//!   [`MALI_BASE`] (`0xFB00_0000`, 2 MiB), as the device tree's `gpu@fb000000` node describes it.
//! * [`Io`] is the CPU's view of the bus: 32/64-bit MMIO by physical address. An access no device decodes, or a
//!   misaligned one, is an [`IoError`] and is counted ([`IoStats`]) — the model of a bus error, never a panic.
//! * The GPU's interrupt outputs are found by name like `platform_get_irq_byname` ([`Board::irq_byname`]) and delivered
//!   to a handler thread either by blocking on the [`IrqLine`] or with [`Board::spawn_irq_handler`].
//!
//! * [`cru::GpuClock`] is the clock controller's GPU clock: the rate the kernel sets, limited to what the PLLs and
//!   the divider give, becomes the Mali's core clock.
//!
//! Depends only on `hw-mem` and `hw-mali`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hw_mali::{BusError, IrqKind, IrqLine, Mali, MaliConfig, ModelThread};
use hw_mem::{MemError, PhysAddr, Ram, RamConfig};

pub mod cru;

pub use hw_mali;
pub use hw_mem;

/// Physical base of the Mali's register window (`reg` of `gpu@fb000000`).
pub const MALI_BASE: PhysAddr = 0xFB00_0000;
/// Size of the Mali's register window.
pub const MALI_SIZE: u64 = 0x20_0000;

/// One of the GPU's interrupts as the device tree wires it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqSpec {
    /// The GPU output.
    pub kind: IrqKind,
    /// `interrupt-names` entry.
    pub name: &'static str,
    /// GIC shared peripheral interrupt number.
    pub spi: u32,
    /// GIC INTID (SPI + 32).
    pub intid: u32,
}

/// The GPU node's interrupts, in `interrupt-names` order; all `IRQ_TYPE_LEVEL_HIGH`.
pub const GPU_IRQS: [IrqSpec; 3] = [
    IrqSpec {
        kind: IrqKind::Job,
        name: "job",
        spi: 92,
        intid: 124,
    },
    IrqSpec {
        kind: IrqKind::Mmu,
        name: "mmu",
        spi: 93,
        intid: 125,
    },
    IrqSpec {
        kind: IrqKind::Gpu,
        name: "gpu",
        spi: 94,
        intid: 126,
    },
];

/// A bus error seen by the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IoError {
    /// No device decodes this physical address.
    #[error("no device at PA {pa:#x}")]
    Unmapped {
        /// The physical address.
        pa: PhysAddr,
    },
    /// The access is not naturally aligned.
    #[error("misaligned {width}-bit MMIO access at PA {pa:#x}")]
    Misaligned {
        /// The physical address.
        pa: PhysAddr,
        /// Access width in bits.
        width: u32,
    },
}

/// Bus-error counters of the board's [`Io`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoStats {
    /// Accesses no device (or no register of the device) decoded.
    pub unmapped: u64,
    /// Misaligned accesses.
    pub misaligned: u64,
}

/// The CPU's MMIO surface: 32/64-bit reads and writes by physical address.
#[derive(Debug)]
pub struct Io {
    gpu: Arc<Mali>,
    unmapped: AtomicU64,
    misaligned: AtomicU64,
}

impl Io {
    fn decode(&self, pa: PhysAddr, width: u32) -> Result<u32, IoError> {
        let bytes = u64::from(width / 8);
        if !pa.is_multiple_of(bytes) {
            self.misaligned.fetch_add(1, Ordering::Relaxed);
            return Err(IoError::Misaligned { pa, width });
        }
        match pa.checked_sub(MALI_BASE) {
            Some(off) if off + bytes <= MALI_SIZE => Ok(off as u32),
            _ => {
                self.unmapped.fetch_add(1, Ordering::Relaxed);
                Err(IoError::Unmapped { pa })
            }
        }
    }

    fn device<T>(&self, pa: PhysAddr, width: u32, r: Result<T, BusError>) -> Result<T, IoError> {
        r.map_err(|e| match e {
            BusError::Unmapped { .. } => {
                self.unmapped.fetch_add(1, Ordering::Relaxed);
                IoError::Unmapped { pa }
            }
            BusError::Misaligned { .. } => {
                self.misaligned.fetch_add(1, Ordering::Relaxed);
                IoError::Misaligned { pa, width }
            }
        })
    }

    /// `readl`.
    pub fn read32(&self, pa: PhysAddr) -> Result<u32, IoError> {
        let off = self.decode(pa, 32)?;
        self.device(pa, 32, self.gpu.read32(off))
    }

    /// `writel`.
    pub fn write32(&self, pa: PhysAddr, value: u32) -> Result<(), IoError> {
        let off = self.decode(pa, 32)?;
        self.device(pa, 32, self.gpu.write32(off, value))
    }

    /// A 64-bit read; the Mali has no 64-bit registers on its bus, so it is a LO then HI 32-bit read.
    pub fn read64(&self, pa: PhysAddr) -> Result<u64, IoError> {
        let off = self.decode(pa, 64)?;
        self.device(pa, 64, self.gpu.read64(off))
    }

    /// A 64-bit write, performed as LO then HI 32-bit writes.
    pub fn write64(&self, pa: PhysAddr, value: u64) -> Result<(), IoError> {
        let off = self.decode(pa, 64)?;
        self.device(pa, 64, self.gpu.write64(off, value))
    }

    /// Bus-error counters.
    pub fn stats(&self) -> IoStats {
        IoStats {
            unmapped: self.unmapped.load(Ordering::Relaxed),
            misaligned: self.misaligned.load(Ordering::Relaxed),
        }
    }
}

/// How to build a board.
#[derive(Clone, Debug, Default)]
pub struct BoardConfig {
    /// RAM layout (default: 4 GiB with the RK3588 peripheral window as a hole).
    pub ram: RamConfig,
    /// The GPU model's parameters.
    pub mali: MaliConfig,
}

/// The RK3588 board.
#[derive(Debug)]
pub struct Board {
    ram: Arc<Ram>,
    gpu: Arc<Mali>,
    io: Io,
    gpu_clk: cru::GpuClock,
}

impl Board {
    /// A board built from `cfg`. The RAM must leave the Mali window free.
    pub fn new(cfg: BoardConfig) -> Result<Self, MemError> {
        let ram = Arc::new(Ram::new(cfg.ram)?);
        if ram.contains(MALI_BASE, 1) || ram.contains(MALI_BASE + MALI_SIZE - 1, 1) {
            return Err(MemError::Config(
                "RAM overlaps the Mali MMIO window at 0xFB00_0000",
            ));
        }
        let gpu = Mali::new(ram.clone(), cfg.mali);
        let io = Io {
            gpu: gpu.clone(),
            unmapped: AtomicU64::new(0),
            misaligned: AtomicU64::new(0),
        };
        let gpu_clk = cru::GpuClock::new(gpu.clone());
        Ok(Self {
            ram,
            gpu,
            io,
            gpu_clk,
        })
    }

    /// The default RK3588 board (4 GiB, G610 MP4 with real latencies, clock stepped manually until a model thread runs).
    pub fn rk3588() -> Result<Self, MemError> {
        Self::new(BoardConfig::default())
    }

    /// System RAM.
    pub fn ram(&self) -> &Arc<Ram> {
        &self.ram
    }

    /// The GPU model (for tests and tools; a driver reaches it only through [`Board::io`] and the IRQ lines).
    pub fn gpu(&self) -> &Arc<Mali> {
        &self.gpu
    }

    /// The clock controller's GPU clock (`clk_gpu_src`), which drives the GPU's core clock.
    pub fn gpu_clock(&self) -> &cru::GpuClock {
        &self.gpu_clk
    }

    /// The CPU's MMIO surface.
    pub fn io(&self) -> &Io {
        &self.io
    }

    /// The GPU's interrupt line of `kind`.
    pub fn irq(&self, kind: IrqKind) -> &IrqLine {
        self.gpu.irq_line(kind)
    }

    /// The GPU's interrupt line called `name` ("job", "mmu", "gpu"), like `platform_get_irq_byname`.
    pub fn irq_byname(&self, name: &str) -> Option<&IrqLine> {
        GPU_IRQS
            .iter()
            .find(|s| s.name == name)
            .map(|s| self.irq(s.kind))
    }

    /// Starts the model's own thread (its clock then follows real time). Dropping the handle stops it.
    pub fn start_model_thread(&self) -> std::io::Result<ModelThread> {
        ModelThread::spawn(&self.gpu)
    }

    /// Runs `handler` on a new thread each time the `kind` line is (or stays) high, the way a threaded IRQ handler runs.
    /// As with any level-triggered interrupt, the handler must make the device drop the line (clear or mask the
    /// source), or it is called again at once.
    pub fn spawn_irq_handler(
        &self,
        kind: IrqKind,
        mut handler: impl FnMut() + Send + 'static,
    ) -> std::io::Result<IrqHandlerThread> {
        let gpu = self.gpu.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("irq-{}", kind.name()))
            .spawn(move || {
                let line = gpu.irq_line(kind);
                while !s.load(Ordering::Acquire) {
                    // The timeout only bounds a single wait; stopping sets the flag and kicks the waiter, so nothing polls.
                    if line.wait_asserted_unless(Duration::from_secs(3600), &s)
                        && !s.load(Ordering::Acquire)
                    {
                        handler();
                    }
                }
            })?;
        Ok(IrqHandlerThread {
            gpu: self.gpu.clone(),
            kind,
            stop,
            handle: Some(handle),
        })
    }
}

/// A running IRQ handler thread; dropping it stops the thread after the handler call in progress, if any.
#[derive(Debug)]
pub struct IrqHandlerThread {
    gpu: Arc<Mali>,
    kind: IrqKind,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for IrqHandlerThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.gpu.irq_line(self.kind).kick_waiters();
        if let Some(h) = self.handle.take() {
            if h.join().is_err() {
                eprintln!("irq-{} handler panicked", self.kind.name());
            }
        }
    }
}
