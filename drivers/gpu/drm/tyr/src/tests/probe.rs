// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Probe on the modelled RK3588: the driver brings the GPU up through MMIO and IRQs only.

use crate::driver::TyrDevice;
use crate::regs::{gpu, irq, MMU_IRQ_BASE};
use kernel::error::code::ENODEV;
use kernel::platform::Device;
use rk3588_platform::Rk3588;

#[test]
fn probe_reports_the_g610_as_panthor_does() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let i = dev.gpu_info();
    // `Documentation/hardware.md#identity-registers`: what an RK3588 reports.
    assert_eq!(i.gpu_id, 0xa867_0005);
    assert_eq!(
        (
            i.l2_features,
            i.tiler_features,
            i.mem_features,
            i.mmu_features
        ),
        (0x0712_0306, 0x809, 0x301, 0x2830)
    );
    assert_eq!((i.as_present, i.csf_id), (0xff, 0x040a_0412));
    assert_eq!(
        (i.shader_present, i.tiler_present, i.l2_present),
        (0x50005, 1, 1)
    );
    assert_eq!(
        (
            i.max_threads,
            i.thread_max_workgroup_size,
            i.thread_max_barrier_size
        ),
        (2048, 1024, 1024)
    );
    assert_eq!(i.thread_features, 0x0401_0000);
    assert_eq!(i.texture_features[0], 0xc1ff_ff9e);
    assert_eq!(i.selected_coherency, 31);
    assert_eq!(dev.gpu_id().model_name(), "Mali-G610");
}

#[test]
fn probe_leaves_the_l2_powered_and_the_irqs_unmasked_as_panthor_does() {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    let io = dev.iomem();
    assert_eq!(io.read64(gpu::L2_READY).unwrap() & 1, 1);
    assert_eq!(io.read32(gpu::IRQ_BASE + irq::MASK).unwrap(), 0x0002_0103);
    assert_eq!(io.read32(MMU_IRQ_BASE + irq::MASK).unwrap(), 0xffff);
    assert_eq!(io.read32(gpu::COHERENCY_PROTOCOL).unwrap(), 31);
    assert_eq!(
        io.read32(gpu::IRQ_BASE + irq::RAWSTAT).unwrap() & gpu::irq::RESET_COMPLETED,
        0,
        "acknowledged"
    );
}

#[test]
fn probe_refuses_a_device_that_is_not_a_mali() {
    let soc = Rk3588::new().unwrap();
    let g = soc.gpu();
    let other = Device::new(
        "fe000000.npu",
        vec!["rockchip,rk3588-rknn".into()],
        vec![],
        vec![],
        g.ram().clone(),
    );
    assert_eq!(TyrDevice::probe(&other).err(), Some(ENODEV));
}
