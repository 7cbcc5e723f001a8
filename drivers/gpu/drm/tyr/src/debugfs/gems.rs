// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The GEM objects as debugfs shows them (Panthor's `gems` file): a BO's label and where its pages are.

use kernel::error::Result;

use crate::gem::TyrObject;

/// The label BO_SET_LABEL gave `bo`, if any.
pub fn label(bo: &TyrObject) -> Option<String> {
    bo.label()
}

/// The physical runs `(address, length)` backing `[offset, offset + size)` of `bo`, pinning its pages on first use
/// as a mapping would; `EINVAL` for a range outside it.
pub fn sg_range(bo: &TyrObject, offset: u64, size: u64) -> Result<Vec<(u64, u64)>> {
    bo.sg_range(offset, size)
}
