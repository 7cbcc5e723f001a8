// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The debugfs views of a freshly probed device: identity and firmware as Panthor logs them at probe, the AS slots
//! (only the MCU's AS 0), the CSG slots, and the MCU's VM with the firmware sections mapped in it.

mod common;

use common::Board;
use tyr::debugfs::device;

#[test]
fn a_probed_g610_shows_its_identity_firmware_and_slots() {
    let b = Board::boot();
    let info = device::info(&b.dev);
    assert_eq!(info.gpu_id.model_name(), "Mali-G610");
    assert_eq!(info.gpu_info.gpu_id, 0xa867_0005);
    assert_eq!(info.firmware, "arm/mali/arch10.8/mali_csffw.bin");
    assert_eq!(info.glb_version, "1.1.0");
    let names: Vec<&str> = info.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["shared", "code"]);
    assert!(info
        .sections
        .iter()
        .all(|s| s.size > 0 && s.va.start < s.va.end));
    assert_eq!(device::as_slots(&b.dev), [(0, 1)], "only the MCU's AS 0");
    assert_eq!(device::csif_info(&b.dev).csg_slot_count, 8);

    // Every firmware section is mapped in the MCU's VM at its VA, which the VM's VA list shows.
    let mcu = device::mcu_vm(&b.dev);
    assert_eq!(mcu.as_nr(), Some(0));
    assert_eq!(mcu.va_range(), 0..1 << 32);
    let vas = mcu.vas();
    for s in &info.sections {
        assert!(
            vas.iter().any(|v| v.addr == u64::from(s.va.start)),
            "section {} mapped at {:#x}",
            s.name,
            s.va.start
        );
    }
    mcu.check().unwrap();
}
