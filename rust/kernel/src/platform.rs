// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Platform devices (`kernel::platform`): a device described by the board, with its register windows and IRQ lines.
//!
//! On the modelled RK3588 the board glue (`rk3588-platform`) plays the device tree: it builds the `gpu@fb000000`
//! device with its `reg` window and its `job`, `mmu` and `gpu` interrupts, over the board's bus and RAM, and installs the
//! firmware images the device's driver requests.

use std::sync::Arc;

use hw_mem::{PhysAddr, Ram};

use crate::error::code::{ENODEV, ENXIO};
use crate::error::Result;
use crate::io::{IoMem, MmioBus};
use crate::irq::IrqLine;

/// A register window of a device (`struct resource`, IORESOURCE_MEM).
#[derive(Clone)]
pub struct Resource {
    /// Physical base address.
    pub base: PhysAddr,
    /// Size in bytes.
    pub size: usize,
    /// The bus it sits on.
    pub bus: Arc<dyn MmioBus>,
}

/// A platform device.
pub struct Device {
    name: String,
    compatible: Vec<String>,
    mem: Vec<Resource>,
    irqs: Vec<(String, Arc<dyn IrqLine>)>,
    ram: Arc<Ram>,
    /// Firmware images installed for this device, by the name drivers request ([`crate::firmware`]).
    firmware: Vec<(String, Arc<[u8]>)>,
    /// Clocks by `clock-names` entry, in order ([`crate::clk`]).
    clocks: Vec<(String, Arc<dyn crate::clk::ClkOps>)>,
    /// The `operating-points-v2` table the node points at ([`crate::opp`]).
    opps: Vec<crate::opp::OppNode>,
}

impl Device {
    /// A device named `name` (e.g. `fb000000.gpu`) with `compatible` strings, register windows, named IRQs, and the
    /// system RAM it can DMA to.
    pub fn new(
        name: impl Into<String>,
        compatible: Vec<String>,
        mem: Vec<Resource>,
        irqs: Vec<(String, Arc<dyn IrqLine>)>,
        ram: Arc<Ram>,
    ) -> Self {
        Self {
            name: name.into(),
            compatible,
            mem,
            irqs,
            ram,
            firmware: Vec::new(),
            clocks: Vec::new(),
            opps: Vec::new(),
        }
    }

    /// The device name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the device is compatible with `c` (driver matching).
    pub fn is_compatible(&self, c: &str) -> bool {
        self.compatible.iter().any(|x| x == c)
    }

    /// Maps register window `index` (`devm_platform_ioremap_resource`); `ENXIO` if there is none.
    pub fn ioremap_resource(&self, index: usize) -> Result<IoMem> {
        let r = self.mem.get(index).ok_or(ENXIO)?;
        IoMem::new(r.bus.clone(), r.base, r.size)
    }

    /// The IRQ line named `name` (`platform_get_irq_byname`); `ENXIO` if there is none.
    pub fn irq_by_name(&self, name: &str) -> Result<Arc<dyn IrqLine>> {
        self.irqs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.clone())
            .ok_or(ENXIO)
    }

    /// The system RAM the device reaches by DMA.
    pub fn ram(&self) -> &Arc<Ram> {
        &self.ram
    }

    /// Installs the firmware image `data` under `name` (what `/lib/firmware/<name>` holds on a real system), replacing
    /// any image already installed under that name.
    pub fn add_firmware(&mut self, name: impl Into<String>, data: Vec<u8>) {
        let name = name.into();
        self.firmware.retain(|(n, _)| *n != name);
        self.firmware.push((name, data.into()));
    }

    /// Uninstalls the firmware image `name`; returns whether there was one.
    pub fn remove_firmware(&mut self, name: &str) -> bool {
        let before = self.firmware.len();
        self.firmware.retain(|(n, _)| n != name);
        self.firmware.len() != before
    }

    /// The firmware image installed under `name`, for [`crate::firmware::request_firmware`].
    pub(crate) fn firmware_blob(&self, name: &str) -> Option<Arc<[u8]>> {
        self.firmware
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
    }

    /// Attaches the clock `ops` under its `clock-names` entry `con_id` (the board's clock controller).
    pub fn add_clock(&mut self, con_id: impl Into<String>, ops: Arc<dyn crate::clk::ClkOps>) {
        self.clocks.push((con_id.into(), ops));
    }

    /// The clock named `con_id` (`None`: the first), for [`crate::clk::Clk::get`].
    pub(crate) fn clock(&self, con_id: Option<&str>) -> Option<crate::clk::Clk> {
        let (n, ops) = match con_id {
            None => self.clocks.first()?,
            Some(c) => self.clocks.iter().find(|(n, _)| n == c)?,
        };
        Some(crate::clk::Clk::new(n.clone(), ops.clone()))
    }

    /// Sets the node's `operating-points-v2` table (the OPP nodes, in any order).
    pub fn set_opp_table(&mut self, opps: Vec<crate::opp::OppNode>) {
        self.opps = opps;
    }

    /// The node's OPP table as the device tree lists it, for [`crate::opp::Table::of_add_table`].
    pub(crate) fn opp_nodes(&self) -> &[crate::opp::OppNode] {
        &self.opps
    }

    /// `ENODEV` unless the device is compatible with one of `ids` (`of_match_table`).
    pub fn match_ids(&self, ids: &[&str]) -> Result {
        if ids.iter().any(|id| self.is_compatible(id)) {
            Ok(())
        } else {
            Err(ENODEV)
        }
    }
}
