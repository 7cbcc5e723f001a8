//! The modelled RK3588 board: system RAM plus the Mali-G610 at its MMIO base and its three IRQ lines.
//!
//! Filled in by the hardware-model work. Depends only on `hw-mem` and `hw-mali`.
