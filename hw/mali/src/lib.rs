//! Register-level model of the Arm Mali-G610 MP4 GPU found on RK3588 boards.
//!
//! Filled in by the hardware-model work: the register file, IRQ lines, the MMU (address spaces, TLB and an
//! ARMv8 long-descriptor walker written independently of `kernel::io_pgtable`) and the CSF interfaces. It depends only on
//! `hw-mem`, never on `kernel` or `tyr`.
