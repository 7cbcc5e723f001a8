// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The CSF firmware image loader (`panthor_fw_load`): the model's own image with arbitrary word patches, a
//! truncation and appended bytes, installed as the board's firmware and probed. Probe either succeeds, and the device
//! answers DEV_QUERY, or fails with an errno and leaves the GPU quiet (MCU stopped, interrupts masked); it never
//! panics, in the driver or in the modelled MCU that parses the same image.
#![no_main]

use arbitrary::Arbitrary;
use hw_mali::regs::{block, gpu as mgpu, irq as mirq, mcu, mmu as mmmu};
use libfuzzer_sys::fuzz_target;
use rk3588_platform::Rk3588;
use tyr::drm_device::probe;

#[derive(Arbitrary, Debug)]
struct Input {
    /// (word index, value, xor instead of replace).
    patches: Vec<(u8, u32, bool)>,
    /// Bytes to cut from the end.
    truncate: u8,
    /// Bytes appended after the cut (extra entries or garbage).
    tail: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let mut img = hw_mali::csf::firmware_image();
    for &(word, value, xor) in input.patches.iter().take(8) {
        let at = usize::from(word) * 4;
        if at + 4 > img.len() {
            continue;
        }
        let old = u32::from_le_bytes(img[at..at + 4].try_into().unwrap());
        let new = if xor { old ^ value } else { value };
        img[at..at + 4].copy_from_slice(&new.to_le_bytes());
    }
    img.truncate(img.len().saturating_sub(usize::from(input.truncate)));
    img.extend(input.tail.iter().take(256));

    let soc = Rk3588::with_gpu_firmware(Some(img)).expect("board");
    let gpu = soc.board().gpu().clone();
    match probe(soc.gpu()) {
        Ok(dev) => drop(dev),
        Err(e) => assert!(e.to_errno() < 0, "{e:?}"),
    }
    // Probed and removed, or never probed: either way the GPU is left quiet.
    assert_eq!(
        gpu.read32(mgpu::MCU_STATUS).unwrap(),
        mcu::STATUS_DISABLED,
        "MCU left running"
    );
    for base in [block::JOB_CONTROL, mmmu::IRQ_BASE, mgpu::IRQ_BASE] {
        assert_eq!(
            gpu.read32(base + mirq::MASK).unwrap(),
            0,
            "IRQ block {base:#x} left unmasked"
        );
    }
});
