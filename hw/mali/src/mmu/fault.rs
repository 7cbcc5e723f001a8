// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! MMU faults: the exception classes, access types and the AS_FAULTSTATUS encoding
//! (`Documentation/hardware.md#mmu_control-and-address-spaces`).

use crate::fields::AsFaultStatus;

/// The kind of access that was being translated (AS_FAULTSTATUS bits 9:8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessType {
    /// An atomic read-modify-write (needs write permission).
    Atomic = 0,
    /// An instruction fetch (needs execute permission).
    Execute = 1,
    /// A data read.
    Read = 2,
    /// A data write.
    Write = 3,
}

/// The class of an MMU exception (AS_FAULTSTATUS bits 5:3 of the code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultClass {
    /// Invalid descriptor, forbidden encoding, or the AS is not in a translating mode.
    Translation,
    /// The leaf forbids the access (read-only, no-exec).
    Permission,
    /// Reading a table hit memory that does not exist.
    TranstabBus,
    /// The leaf's access flag is clear.
    AccessFlag,
    /// The VA is outside the input range set by TRANSCFG.INA_BITS (reported at level 0: code 0xE0).
    AddressSizeIn,
    /// A table or output address is beyond the PA size.
    AddressSizeOut,
    /// The leaf's AttrIndx selects a MEMATTR byte of type "fault".
    MemAttr,
}

/// One MMU fault: its class and the level of the descriptor concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MmuFault {
    /// What went wrong.
    pub class: FaultClass,
    /// The translation level (0..=3) of the descriptor concerned.
    pub level: u8,
}

impl MmuFault {
    /// A fault of `class` at `level`.
    pub const fn new(class: FaultClass, level: u8) -> Self {
        Self { class, level }
    }

    /// The exception-type code (AS_FAULTSTATUS bits 7:0): `0xC0 | class << 3 | level`, except ADDR_SIZE_FAULT_IN, which
    /// is 0xE0 with the level, and ADDRESS_SIZE_FAULT_OUT, which is 0xE4 + level.
    pub fn exception_type(&self) -> u8 {
        let l = self.level & 3;
        match self.class {
            FaultClass::Translation => 0xC0 | l,
            FaultClass::Permission => 0xC8 | l,
            FaultClass::TranstabBus => 0xD0 | l,
            FaultClass::AccessFlag => 0xD8 | l,
            FaultClass::AddressSizeIn => 0xE0 | l,
            FaultClass::AddressSizeOut => 0xE4 | l,
            FaultClass::MemAttr => 0xE8 | l,
        }
    }

    /// The AS_FAULTSTATUS word for this fault on an access of `access` type from requester `source_id`.
    pub fn faultstatus(&self, access: AccessType, source_id: u16) -> u32 {
        AsFaultStatus::default()
            .set_exception_type(self.exception_type().into())
            .set_access_type(access as u32)
            .set_source_id(source_id.into())
            .0
    }
}

/// The fault a decoded AS_FAULTSTATUS word describes: (exception type, access type, source id).
pub fn decode_faultstatus(status: u32) -> (u8, u32, u16) {
    let s = AsFaultStatus(status);
    (
        s.exception_type() as u8,
        s.access_type(),
        s.source_id() as u16,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_codes_match_the_spec_table() {
        assert_eq!(
            MmuFault::new(FaultClass::Translation, 3).exception_type(),
            0xC3
        );
        assert_eq!(
            MmuFault::new(FaultClass::Permission, 2).exception_type(),
            0xCA
        );
        assert_eq!(
            MmuFault::new(FaultClass::TranstabBus, 1).exception_type(),
            0xD1
        );
        assert_eq!(
            MmuFault::new(FaultClass::AccessFlag, 3).exception_type(),
            0xDB
        );
        assert_eq!(
            MmuFault::new(FaultClass::AddressSizeIn, 0).exception_type(),
            0xE0
        );
        assert_eq!(
            MmuFault::new(FaultClass::AddressSizeOut, 2).exception_type(),
            0xE6
        );
        assert_eq!(MmuFault::new(FaultClass::MemAttr, 3).exception_type(), 0xEB);
    }

    #[test]
    fn faultstatus_packs_access_and_source() {
        let s = MmuFault::new(FaultClass::Permission, 3).faultstatus(AccessType::Write, 0x12);
        assert_eq!(s, 0x0012_03CB);
        assert_eq!(decode_faultstatus(s), (0xCB, 3, 0x12));
    }
}
