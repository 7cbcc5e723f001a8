// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Replays of the reference-vector scripts (`tests/vectors/`, format in `Documentation/testing.md#reference-vectors`).
//!
//! Each replayer parses a whole script first (reporting the line of any syntax error), then runs it against the real
//! `kernel` code and renders the transcript exactly as the kernel's C code printed it.

pub mod gpuvm;
pub mod pgtable;
mod script;
pub mod sets;
pub mod workload;

pub use script::{ParseError, ReplayError};
