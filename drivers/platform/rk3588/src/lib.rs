// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The modelled RK3588 as the kernel sees it: what the device tree (`rk3588-base.dtsi`, node `gpu@fb000000`) and the
//! interconnect provide on a real board.
//!
//! This is the one place that knows both sides: it implements `kernel::io::MmioBus` over the board's bus and
//! `kernel::irq::IrqLine` over its interrupt lines, and describes the GPU as a `kernel::platform::Device` with its `core` clock (the CRU's GPU clock) and its OPP table. Drivers
//! (`tyr`) only ever see the kernel types, so they reach the model exactly as they would reach silicon.

use std::sync::Arc;
use std::time::Duration;

use hw_board::Board;
use hw_mali::{IrqKind, ModelThread};
use hw_mem::PhysAddr;
use kernel::error::code::{EIO, ENOMEM};
use kernel::error::Result;
use kernel::io::MmioBus;
use kernel::irq::IrqLine;
use kernel::platform::{Device, Resource};

/// The GPU's `reg` window: base and size from `rk3588-base.dtsi`.
pub const GPU_BASE: PhysAddr = 0xfb00_0000;
/// Size of the GPU's register window.
pub const GPU_SIZE: usize = 0x20_0000;
/// The GPU node's `compatible` strings.
pub const GPU_COMPATIBLE: [&str; 2] = ["rockchip,rk3588-mali", "arm,mali-valhall-csf"];

/// Where Panthor looks for the G610's CSF firmware (`arm/mali/arch<major>.<minor>/mali_csffw.bin`, GPU arch 10.8).
pub const GPU_FIRMWARE: &str = "arm/mali/arch10.8/mali_csffw.bin";

/// The board's interconnect as a kernel MMIO bus.
struct Bus(Arc<Board>);

impl MmioBus for Bus {
    fn read32(&self, pa: PhysAddr) -> Result<u32> {
        self.0.io().read32(pa).map_err(|_| EIO)
    }

    fn write32(&self, pa: PhysAddr, v: u32) -> Result {
        self.0.io().write32(pa, v).map_err(|_| EIO)
    }
}

/// One of the board's interrupt lines.
struct Line(Arc<Board>, IrqKind);

impl IrqLine for Line {
    fn is_asserted(&self) -> bool {
        self.0.irq(self.1).is_asserted()
    }

    fn wait_asserted(&self, timeout: Duration) -> bool {
        self.0.irq(self.1).wait_asserted(timeout)
    }
}

/// The GPU node's clocks: `clocks = <&cru CLK_GPU>, ...` with `clock-names = "core", ...`. Only `core` is modelled
/// (Panthor requires it; `coregroup` and `stacks` are optional to it).
pub const GPU_CLOCK_NAMES: [&str; 1] = ["core"];

/// The GPU's OPP table (`gpu_opp_table` in `rk3588-opp.dtsi`): MHz and the target voltage in µV; every OPP allows up
/// to 850 mV.
pub const GPU_OPPS: [(u64, u32); 8] = [
    (300, 675_000),
    (400, 675_000),
    (500, 675_000),
    (600, 675_000),
    (700, 700_000),
    (800, 750_000),
    (900, 800_000),
    (1000, 850_000),
];

/// The GPU node's `operating-points-v2` table as OPP nodes.
pub fn gpu_opp_nodes() -> Vec<kernel::opp::OppNode> {
    GPU_OPPS
        .iter()
        .map(|&(mhz, uv)| kernel::opp::OppNode {
            hz: mhz * 1_000_000,
            microvolt: [uv, uv, 850_000],
            suspend: false,
        })
        .collect()
}

/// The CRU's GPU clock as a kernel clock provider.
struct GpuClk(Arc<Board>);

impl kernel::clk::ClkOps for GpuClk {
    fn rate(&self) -> u64 {
        self.0.gpu_clock().rate()
    }

    fn round_rate(&self, rate: u64) -> u64 {
        self.0.gpu_clock().round_rate(rate)
    }

    fn set_rate(&self, rate: u64) -> Result {
        self.0.gpu_clock().set_rate(rate);
        Ok(())
    }
}

/// `clock-frequency` of the RK3588's arch timer (the system counter).
pub const ARCH_TIMER_HZ: u64 = 24_000_000;

/// A powered-up RK3588: the board, its running GPU clock, and the GPU as a platform device.
pub struct Rk3588 {
    board: Arc<Board>,
    gpu: Device,
    _clock: ModelThread,
}

impl Rk3588 {
    /// Builds the board (4 GiB of RAM), starts the GPU model's clock, describes the GPU node and installs the model's
    /// CSF firmware ([`hw_mali::csf::firmware_image`]) as [`GPU_FIRMWARE`].
    pub fn new() -> Result<Self> {
        Self::with_gpu_firmware(Some(hw_mali::csf::firmware_image()))
    }

    /// Like [`Rk3588::new`], with `image` installed as the GPU firmware instead of the model's own (`None`: no
    /// firmware installed at all), to exercise the driver's handling of a missing or malformed image.
    pub fn with_gpu_firmware(image: Option<Vec<u8>>) -> Result<Self> {
        let board = Arc::new(Board::rk3588().map_err(|_| ENOMEM)?);
        // The arch timer node: the system counter the GPU's TIMESTAMP also counts (24 MHz on RK3588).
        kernel::time::set_arch_timer_rate(ARCH_TIMER_HZ);
        let clock = board.start_model_thread().map_err(|_| ENOMEM)?;
        let bus: Arc<dyn MmioBus> = Arc::new(Bus(board.clone()));
        let irqs = [
            ("job", IrqKind::Job),
            ("mmu", IrqKind::Mmu),
            ("gpu", IrqKind::Gpu),
        ]
        .into_iter()
        .map(|(n, k)| {
            (
                n.to_string(),
                Arc::new(Line(board.clone(), k)) as Arc<dyn IrqLine>,
            )
        })
        .collect();
        let mut gpu = Device::new(
            "fb000000.gpu",
            GPU_COMPATIBLE.iter().map(|s| s.to_string()).collect(),
            vec![Resource {
                base: GPU_BASE,
                size: GPU_SIZE,
                bus,
            }],
            irqs,
            board.ram().clone(),
        );
        if let Some(image) = image {
            gpu.add_firmware(GPU_FIRMWARE, image);
        }
        gpu.add_clock(GPU_CLOCK_NAMES[0], Arc::new(GpuClk(board.clone())));
        gpu.set_opp_table(gpu_opp_nodes());
        Ok(Self {
            board,
            gpu,
            _clock: clock,
        })
    }

    /// The GPU platform device, for the driver's probe.
    pub fn gpu(&self) -> &Device {
        &self.gpu
    }

    /// The board itself, for tools that inspect the hardware directly (register dumps), never for drivers.
    pub fn board(&self) -> &Arc<Board> {
        &self.board
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gpu_node_reads_the_g610_id_through_the_kernel_io_path() {
        let soc = Rk3588::new().unwrap();
        let dev = soc.gpu();
        assert!(dev.is_compatible("arm,mali-valhall-csf"));
        let io = dev.ioremap_resource(0).unwrap();
        assert_eq!(io.read32(0x000).unwrap(), 0xa867_0005, "GPU_ID");
        assert_eq!(io.read32(0x014).unwrap(), 0x2830, "MMU_FEATURES");
        assert!(dev.irq_by_name("mmu").is_ok());
        assert!(dev.irq_by_name("nope").is_err());
        assert!(dev.ioremap_resource(1).is_err());
    }

    #[test]
    fn the_gpu_node_carries_the_csf_firmware_panthor_requests() {
        let soc = Rk3588::new().unwrap();
        let fw = kernel::firmware::request_firmware(soc.gpu(), "arm/mali/arch10.8/mali_csffw.bin")
            .unwrap();
        assert_eq!(fw.data(), &hw_mali::csf::firmware_image()[..]);
        let bare = Rk3588::with_gpu_firmware(None).unwrap();
        assert_eq!(
            kernel::firmware::request_firmware(bare.gpu(), GPU_FIRMWARE).err(),
            Some(kernel::code::ENOENT)
        );
    }

    #[test]
    fn the_gpu_node_has_its_core_clock_and_opp_table() {
        let soc = Rk3588::new().unwrap();
        let clk = kernel::clk::Clk::get(soc.gpu(), Some("core")).unwrap();
        assert_eq!(clk.get_rate(), 198_000_000, "what boards log at probe");
        let opp = kernel::opp::Table::of_add_table(soc.gpu(), clk.clone()).unwrap();
        assert_eq!(opp.count(), 8);
        opp.set_rate(400_000_000).unwrap();
        assert_eq!(clk.get_rate(), 396_000_000, "the PLLs cannot make 400 MHz");
        assert_eq!(
            soc.board().gpu().core_clock_hz(),
            396_000_000,
            "the GPU runs at it"
        );
        assert_eq!(opp.voltage(), 675_000);
    }

    #[test]
    fn a_bad_register_access_is_eio_not_a_crash() {
        let soc = Rk3588::new().unwrap();
        let io = soc.gpu().ioremap_resource(0).unwrap();
        // 0x5000 is inside the window but no register of the G610 lives there: the bus reports it.
        assert_eq!(io.read32(0x5000), Err(EIO));
        assert_eq!(io.write32(0x5000, 1), Err(EIO));
        assert!(soc.board().io().stats().unmapped >= 2);
    }
}
