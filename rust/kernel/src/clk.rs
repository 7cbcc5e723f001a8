// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Clocks (`include/linux/clk.h`, `rust/kernel/clk.rs`): a device's clock looked up by its connection name, with
//! `clk_get_rate`, `clk_round_rate` and `clk_set_rate`.
//!
//! The clock itself belongs to the platform (the SoC's clock controller): it implements [`ClkOps`] and the board glue
//! attaches it to the device under its `clock-names` entry ([`crate::platform::Device::add_clock`]).

use std::sync::Arc;

use crate::error::code::ENOENT;
use crate::error::Result;
use crate::platform;

/// What a clock provider does (`struct clk_ops` behind a `struct clk_hw`).
pub trait ClkOps: Send + Sync {
    /// The rate now, in Hz (`recalc_rate`).
    fn rate(&self) -> u64;
    /// The rate a request of `rate` Hz would give (`determine_rate`).
    fn round_rate(&self, rate: u64) -> u64;
    /// Programs the clock for `rate` Hz, already rounded by [`ClkOps::round_rate`].
    fn set_rate(&self, rate: u64) -> Result;
}

/// A consumer's handle on a clock (`struct clk`).
#[derive(Clone)]
pub struct Clk {
    name: String,
    ops: Arc<dyn ClkOps>,
}

impl core::fmt::Debug for Clk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Clk")
            .field("name", &self.name)
            .field("rate", &self.ops.rate())
            .finish()
    }
}

impl Clk {
    /// A handle on `ops` named `name` (for providers and tests; drivers use [`Clk::get`]).
    pub fn new(name: impl Into<String>, ops: Arc<dyn ClkOps>) -> Self {
        Self {
            name: name.into(),
            ops,
        }
    }

    /// `devm_clk_get(dev, con_id)`: the device's clock named `con_id` in `clock-names` (`None`: the first);
    /// `ENOENT` when the device has no such clock.
    pub fn get(dev: &platform::Device, con_id: Option<&str>) -> Result<Clk> {
        dev.clock(con_id).ok_or(ENOENT)
    }

    /// The connection name it was found under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `clk_get_rate`.
    pub fn get_rate(&self) -> u64 {
        self.ops.rate()
    }

    /// `clk_round_rate`: the rate [`Clk::set_rate`] with `rate` would give.
    pub fn round_rate(&self, rate: u64) -> u64 {
        self.ops.round_rate(rate)
    }

    /// `clk_set_rate`: rounds `rate` as the provider can and programs it; nothing happens when the rounded rate is
    /// the current one.
    pub fn set_rate(&self, rate: u64) -> Result {
        let r = self.ops.round_rate(rate);
        if r == self.ops.rate() {
            return Ok(());
        }
        self.ops.set_rate(r)
    }
}

/// A clock whose rates are whatever is asked, for tests: it records every rate set.
#[derive(Debug, Default)]
pub struct FakeClk {
    state: std::sync::Mutex<(u64, Vec<u64>)>,
    /// When set, rates round down to a multiple of this step (a PLL's granularity).
    step: u64,
}

impl FakeClk {
    /// A clock at `rate` Hz whose rates round down to multiples of `step` (0: any rate).
    pub fn new(rate: u64, step: u64) -> Arc<Self> {
        Arc::new(Self {
            state: std::sync::Mutex::new((rate, Vec::new())),
            step,
        })
    }

    /// Every rate set so far, in order.
    pub fn history(&self) -> Vec<u64> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }
}

impl ClkOps for FakeClk {
    fn rate(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    fn round_rate(&self, rate: u64) -> u64 {
        match self.step {
            0 => rate,
            s => (rate / s * s).max(s),
        }
    }

    fn set_rate(&self, rate: u64) -> Result {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.0 = rate;
        st.1.push(rate);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_rate_rounds_and_skips_the_current_rate() {
        let fake = FakeClk::new(198_000_000, 1_000_000);
        let clk = Clk::new("core", fake.clone());
        assert_eq!(clk.get_rate(), 198_000_000);
        assert_eq!(clk.round_rate(300_500_000), 300_000_000);
        clk.set_rate(300_500_000).unwrap();
        assert_eq!(clk.get_rate(), 300_000_000);
        clk.set_rate(300_000_001).unwrap();
        assert_eq!(
            fake.history(),
            vec![300_000_000],
            "same rounded rate: no change"
        );
    }

    #[test]
    fn a_missing_clock_is_enoent() {
        let ram = std::sync::Arc::new(hw_mem::Ram::new(hw_mem::RamConfig::default()).unwrap());
        let mut dev = platform::Device::new("x", vec![], vec![], vec![], ram);
        assert_eq!(Clk::get(&dev, Some("core")).err(), Some(ENOENT));
        dev.add_clock("core", FakeClk::new(1, 0));
        assert_eq!(Clk::get(&dev, Some("core")).unwrap().name(), "core");
        assert_eq!(Clk::get(&dev, None).unwrap().name(), "core");
        assert_eq!(Clk::get(&dev, Some("stacks")).err(), Some(ENOENT));
    }
}
