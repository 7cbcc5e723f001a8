// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Library side of the `tyr` tool, so that tests drive exactly what the binary runs.

pub mod bench;
pub mod check;
pub mod client;
pub mod e2e;
pub mod fuzz;
pub mod hang;
pub mod igt;
pub mod info;
pub mod pm;
pub mod replay;
pub mod trace;
pub mod views;
