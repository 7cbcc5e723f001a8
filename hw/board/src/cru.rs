// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The RK3588 clock controller's GPU clock (`clk_gpu_src` in the CRU): a mux over five PLLs and a 5-bit divider,
//! feeding the Mali's core clock input.
//!
//! Parents (`gpll_cpll_aupll_npll_spll_p`) at the rates the board runs them: GPLL 1188 MHz, CPLL 1500 MHz, AUPLL
//! 786.432 MHz, NPLL 850 MHz (the CRU node's `assigned-clock-rates`), SPLL 702 MHz \[inf: the rate the CRU's 702 MHz
//! roots imply\]; divider 1..=32. A requested rate becomes the highest rate any parent and divider give at or below
//! it, or the lowest the clock can make when nothing is that low (the clock framework's round-down for a divider
//! composite). So 200 MHz (the GPU node's `assigned-clock-rates`) gives 198 MHz (GPLL / 6), what boards log.

use std::sync::Arc;

use hw_mali::Mali;
use parking_lot::Mutex;

/// The PLL rates `clk_gpu_src` can select, in mux order.
pub const GPU_CLK_PARENTS: [(&str, u64); 5] = [
    ("gpll", 1_188_000_000),
    ("cpll", 1_500_000_000),
    ("aupll", 786_432_000),
    ("npll", 850_000_000),
    ("spll", 702_000_000),
];
/// Largest divider of `clk_gpu_src` (a 5-bit field holding divider - 1).
pub const GPU_CLK_MAX_DIV: u64 = 32;

/// The rate `clk_gpu_src` gives for a request of `rate` Hz, with the parent and divider chosen.
pub fn gpu_clk_round(rate: u64) -> (u64, usize, u64) {
    let mut best: Option<(u64, usize, u64)> = None;
    let mut lowest = (u64::MAX, 0, 1);
    for (i, (_, parent)) in GPU_CLK_PARENTS.iter().enumerate() {
        // The smallest divider whose rate is at or below the request.
        let div = parent.div_ceil(rate.max(1)).clamp(1, GPU_CLK_MAX_DIV);
        let r = parent / div;
        if r <= rate && best.is_none_or(|(b, _, _)| r > b) {
            best = Some((r, i, div));
        }
        let min = parent / GPU_CLK_MAX_DIV;
        if min < lowest.0 {
            lowest = (min, i, GPU_CLK_MAX_DIV);
        }
    }
    best.unwrap_or(lowest)
}

/// The GPU clock of the CRU, driving `gpu`'s core clock input.
#[derive(Debug)]
pub struct GpuClock {
    gpu: Arc<Mali>,
    /// (parent index, divider) last programmed; `None` while the rate is what the bootloader left.
    sel: Mutex<Option<(usize, u64)>>,
}

impl GpuClock {
    /// The clock of `gpu`, running at whatever rate the GPU's clock input has now.
    pub fn new(gpu: Arc<Mali>) -> Self {
        Self {
            gpu,
            sel: Mutex::new(None),
        }
    }

    /// The rate now (`clk_get_rate`).
    pub fn rate(&self) -> u64 {
        self.gpu.core_clock_hz()
    }

    /// The rate a request of `rate` would give (`clk_round_rate`).
    pub fn round_rate(&self, rate: u64) -> u64 {
        gpu_clk_round(rate).0
    }

    /// Programs the mux and divider for `rate` (`clk_set_rate`); returns the rate set.
    pub fn set_rate(&self, rate: u64) -> u64 {
        let (r, parent, div) = gpu_clk_round(rate);
        *self.sel.lock() = Some((parent, div));
        self.gpu.set_core_clock_hz(r);
        r
    }

    /// The parent's name and the divider last programmed.
    pub fn selection(&self) -> Option<(&'static str, u64)> {
        self.sel.lock().map(|(p, d)| (GPU_CLK_PARENTS[p].0, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_down_to_a_pll_over_a_divider() {
        assert_eq!(gpu_clk_round(200_000_000), (198_000_000, 0, 6));
        assert_eq!(gpu_clk_round(300_000_000).0, 300_000_000, "CPLL / 5");
        assert_eq!(gpu_clk_round(400_000_000).0, 396_000_000, "GPLL / 3");
        assert_eq!(gpu_clk_round(500_000_000).0, 500_000_000);
        assert_eq!(gpu_clk_round(800_000_000).0, 786_432_000, "AUPLL");
        assert_eq!(gpu_clk_round(1_000_000_000).0, 850_000_000, "NPLL");
        assert_eq!(gpu_clk_round(1_500_000_000).0, 1_500_000_000);
        assert_eq!(gpu_clk_round(u64::MAX).0, 1_500_000_000);
        assert_eq!(gpu_clk_round(0).0, 21_937_500, "the lowest: SPLL / 32");
        assert_eq!(gpu_clk_round(1).0, 21_937_500);
    }
}
