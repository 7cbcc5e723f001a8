// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Operating performance points (`drivers/opp/`, `include/linux/pm_opp.h`): a device's table of (frequency, voltage)
//! pairs from its `operating-points-v2` node, the ceil/floor look-ups devfreq uses, and `dev_pm_opp_set_rate` /
//! `dev_pm_opp_set_opp`, which program the device's clock and supply.
//!
//! The supply is not modelled as a separate regulator: the table records the voltage the current OPP asks for
//! ([`Table::voltage`]) and applies it in the kernel's order (raise the voltage before the clock when scaling up,
//! after it when scaling down), which [`Table::transitions`] shows.

use crate::clk::Clk;
use crate::error::code::{ENODEV, ERANGE};
use crate::error::Result;
use crate::platform;
use crate::sync::Mutex;

/// One OPP node of a device tree table (`opp-hz`, `opp-microvolt`, `opp-suspend`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OppNode {
    /// `opp-hz`.
    pub hz: u64,
    /// `opp-microvolt`: target, min, max.
    pub microvolt: [u32; 3],
    /// `opp-suspend`: the OPP to use while suspended.
    pub suspend: bool,
}

/// An operating point (`struct dev_pm_opp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opp {
    /// Frequency in Hz.
    pub rate: u64,
    /// Target supply voltage in µV (`opp-microvolt`'s first cell).
    pub microvolt: u32,
    /// Lowest acceptable voltage.
    pub microvolt_min: u32,
    /// Highest acceptable voltage.
    pub microvolt_max: u32,
    /// Marked `opp-suspend`.
    pub suspend: bool,
}

/// What one `set_rate`/`set_opp` did, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The supply was set to this many µV.
    Voltage(u32),
    /// The clock was set for this rate (before the clock's own rounding).
    Clock(u64),
}

struct Current {
    opp: Option<Opp>,
    rate: u64,
    steps: Vec<Step>,
}

/// A device's OPP table with its clock (`struct opp_table`).
pub struct Table {
    opps: Vec<Opp>,
    clk: Clk,
    cur: Mutex<Current>,
}

/// How many programming steps [`Table::transitions`] keeps.
const STEPS_KEPT: usize = 64;

impl Table {
    /// `devm_pm_opp_of_add_table` with the device's clock `clk`: the device's `operating-points-v2` table, sorted by
    /// rate. `ENODEV` when the node has none.
    pub fn of_add_table(dev: &platform::Device, clk: Clk) -> Result<Self> {
        Self::from_nodes(dev.opp_nodes(), clk)
    }

    /// A table of `nodes` (in any order) driving `clk`; `ENODEV` when `nodes` is empty.
    pub fn from_nodes(nodes: &[OppNode], clk: Clk) -> Result<Self> {
        if nodes.is_empty() {
            return Err(ENODEV);
        }
        let mut opps: Vec<Opp> = nodes
            .iter()
            .map(|n| Opp {
                rate: n.hz,
                microvolt: n.microvolt[0],
                microvolt_min: n.microvolt[1],
                microvolt_max: n.microvolt[2],
                suspend: n.suspend,
            })
            .collect();
        opps.sort_by_key(|o| o.rate);
        opps.dedup_by_key(|o| o.rate);
        let rate = clk.get_rate();
        Ok(Self {
            opps,
            clk,
            cur: Mutex::new(Current {
                opp: None,
                rate,
                steps: Vec::new(),
            }),
        })
    }

    /// `dev_pm_opp_get_opp_count`.
    pub fn count(&self) -> usize {
        self.opps.len()
    }

    /// Every OPP, lowest rate first.
    pub fn opps(&self) -> &[Opp] {
        &self.opps
    }

    /// The clock the table drives.
    pub fn clk(&self) -> &Clk {
        &self.clk
    }

    /// `dev_pm_opp_find_freq_ceil`: the lowest OPP at or above `*freq`, which it updates; `ERANGE` when none is.
    pub fn find_freq_ceil(&self, freq: &mut u64) -> Result<Opp> {
        let opp = *self.opps.iter().find(|o| o.rate >= *freq).ok_or(ERANGE)?;
        *freq = opp.rate;
        Ok(opp)
    }

    /// `dev_pm_opp_find_freq_floor`: the highest OPP at or below `*freq`, which it updates; `ERANGE` when none is.
    pub fn find_freq_floor(&self, freq: &mut u64) -> Result<Opp> {
        let opp = *self
            .opps
            .iter()
            .rev()
            .find(|o| o.rate <= *freq)
            .ok_or(ERANGE)?;
        *freq = opp.rate;
        Ok(opp)
    }

    /// `dev_pm_opp_find_freq_exact` (available OPPs only; all are): `ERANGE` when no OPP has this rate.
    pub fn find_freq_exact(&self, freq: u64) -> Result<Opp> {
        self.opps
            .iter()
            .find(|o| o.rate == freq)
            .copied()
            .ok_or(ERANGE)
    }

    /// `dev_pm_opp_get_suspend_opp_freq`: the rate of the `opp-suspend` OPP, or 0.
    pub fn suspend_freq(&self) -> u64 {
        self.opps.iter().find(|o| o.suspend).map_or(0, |o| o.rate)
    }

    /// `dev_pm_opp_set_rate`: rounds `target` as the clock can, takes the lowest OPP at or above the rounded rate
    /// for the voltage (`ERANGE` when none is), and programs the supply and the clock with the rounded rate. Setting
    /// the OPP and rate in force again does nothing.
    pub fn set_rate(&self, target: u64) -> Result {
        let rounded = match self.clk.round_rate(target) {
            0 => target,
            r => r,
        };
        let mut f = rounded;
        let opp = self.find_freq_ceil(&mut f)?;
        self.program(opp, rounded)
    }

    /// `dev_pm_opp_set_opp`: programs `opp`'s voltage and rate.
    pub fn set_opp(&self, opp: &Opp) -> Result {
        self.program(*opp, opp.rate)
    }

    fn program(&self, opp: Opp, rate: u64) -> Result {
        let mut cur = self.cur.lock();
        if cur.opp == Some(opp) && cur.rate == rate {
            return Ok(());
        }
        // `_set_opp`: scaling down is a move to a lower OPP; the supply follows the clock down and leads it up.
        let down = cur.opp.is_some_and(|o| o.rate > opp.rate);
        let mut steps = [Step::Voltage(opp.microvolt), Step::Clock(rate)];
        if down {
            steps.reverse();
        }
        for s in steps {
            if let Step::Clock(r) = s {
                self.clk.set_rate(r)?;
            }
            if cur.steps.len() == STEPS_KEPT {
                cur.steps.remove(0);
            }
            cur.steps.push(s);
        }
        cur.opp = Some(opp);
        cur.rate = rate;
        Ok(())
    }

    /// The OPP in force, if one was set.
    pub fn current(&self) -> Option<Opp> {
        self.cur.lock().opp
    }

    /// The supply voltage in force (µV), 0 before an OPP was set.
    pub fn voltage(&self) -> u32 {
        self.cur.lock().opp.map_or(0, |o| o.microvolt)
    }

    /// The latest programming steps, oldest first (at most 64).
    pub fn transitions(&self) -> Vec<Step> {
        self.cur.lock().steps.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clk::FakeClk;

    fn nodes() -> Vec<OppNode> {
        [(500, 700_000), (300, 675_000), (400, 675_000)]
            .iter()
            .map(|&(mhz, uv)| OppNode {
                hz: mhz * 1_000_000,
                microvolt: [uv, uv, 850_000],
                suspend: false,
            })
            .collect()
    }

    #[test]
    fn ceil_and_floor_find_the_neighbouring_opps_or_erange() {
        let t = Table::from_nodes(&nodes(), Clk::new("core", FakeClk::new(1, 0))).unwrap();
        assert_eq!(t.count(), 3);
        let mut f = 0;
        assert_eq!(t.find_freq_ceil(&mut f).unwrap().rate, 300_000_000);
        assert_eq!(f, 300_000_000);
        let mut f = 300_000_001;
        t.find_freq_ceil(&mut f).unwrap();
        assert_eq!(f, 400_000_000);
        let mut f = 500_000_001;
        assert_eq!(t.find_freq_ceil(&mut f), Err(ERANGE));
        assert_eq!(f, 500_000_001, "unchanged on failure");
        let mut f = u64::MAX;
        t.find_freq_floor(&mut f).unwrap();
        assert_eq!(f, 500_000_000);
        let mut f = 299_999_999;
        assert_eq!(t.find_freq_floor(&mut f), Err(ERANGE));
        assert_eq!(t.find_freq_exact(400_000_000).unwrap().microvolt, 675_000);
        assert_eq!(t.find_freq_exact(1), Err(ERANGE));
        assert_eq!(t.suspend_freq(), 0);
        let clk = Clk::new("core", FakeClk::new(1, 0));
        assert_eq!(Table::from_nodes(&[], clk).err(), Some(ENODEV));
    }

    #[test]
    fn set_rate_rounds_with_the_clock_and_orders_supply_and_clock() {
        let fake = FakeClk::new(198_000_000, 7_000_000);
        let t = Table::from_nodes(&nodes(), Clk::new("core", fake.clone())).unwrap();
        t.set_rate(400_000_000).unwrap();
        // 400 MHz rounds to 399 MHz on this clock; the OPP for the voltage is the ceil of that: 400 MHz.
        assert_eq!(fake.history(), vec![399_000_000]);
        assert_eq!(t.current().unwrap().rate, 400_000_000);
        assert_eq!(
            t.transitions(),
            vec![Step::Voltage(675_000), Step::Clock(399_000_000)]
        );
        t.set_rate(500_000_000).unwrap();
        t.set_rate(300_000_000).unwrap();
        assert_eq!(
            t.transitions()[2..],
            [
                Step::Voltage(700_000),
                Step::Clock(497_000_000),
                Step::Clock(294_000_000),
                Step::Voltage(675_000)
            ],
            "up: supply first; down: clock first"
        );
        assert_eq!(t.voltage(), 675_000);
        assert_eq!(t.set_rate(600_000_000), Err(ERANGE));
        assert_eq!(
            t.current().unwrap().rate,
            300_000_000,
            "a failed call changes nothing"
        );
    }
}
