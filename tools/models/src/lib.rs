// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Reference models of rules the stack implements, each written from `Documentation/` (the kernel's documented
//! behaviour) and deliberately sharing no code with the implementation, so that an implementation bug and a model bug
//! have to coincide to go unnoticed. They are small and slow on purpose: they are oracles for the property tests in
//! `rust/kernel/tests` and for the fuzz targets under `fuzz/`.
//!
//! Errors are plain positive errno values (`EINVAL` = 22, ...) so the models depend on nothing in the stack.

pub mod errno;
pub mod pgtable;
pub mod va_space;
