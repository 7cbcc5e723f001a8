// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Kernel BOs and the kernel VA area: auto-VA allocation (first fit, aligned, reused after free), fixed
//! reservations, CPU access, and the user/kernel split that keeps user binds out of the kernel area.

use std::sync::Arc;

use crate::kbo::KernelBo;
use crate::uapi::map_flags;
use crate::vm::{NoMmu, VaLayout, Vm, MCU_AUTO_VA};
use hw_mem::{Ram, RamConfig};
use kernel::code::{EBUSY, EINVAL, ENOMEM};

const K: u64 = 0x1000;

fn setup() -> (Arc<Ram>, Arc<Vm>) {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    let layout = VaLayout::new(48, 0, (1 << 47) - K).unwrap();
    let vm = Vm::new(1, layout, &ram, Arc::new(NoMmu)).unwrap();
    (ram, vm)
}

#[test]
fn kernel_bos_get_kernel_vas_and_give_them_back() {
    let (ram, vm) = setup();
    let area = vm.kernel_va_area();
    assert_eq!(area, 0x8000_0000_0000..1 << 48);
    let flags = map_flags::NOEXEC | map_flags::UNCACHED;
    let a = KernelBo::new(None, &ram, &vm, 3 * K, flags, K, None).unwrap();
    let b = KernelBo::new(None, &ram, &vm, K, flags, 64 * K, None).unwrap();
    assert_eq!(a.va(), area.start);
    assert_eq!(b.va(), area.start + 64 * K, "aligned");
    a.write_u64(K - 4, 0x1122_3344_5566_7788).unwrap();
    assert_eq!(
        a.read_u64(K - 4).unwrap(),
        0x1122_3344_5566_7788,
        "across a page boundary"
    );
    assert_eq!(b.read_u32(0).unwrap(), 0, "zeroed");
    assert_eq!(
        vm.iova_to_phys(a.va() + K),
        vm.vas()[0].bo.as_ref().unwrap().sg_range(K, K).unwrap()[0].0
    );
    let vas: Vec<u64> = vm.vas().iter().map(|v| v.addr).collect();
    assert_eq!(vas, [a.va(), b.va()]);
    let a_va = a.va();
    drop(a);
    assert_eq!(vm.iova_to_phys(a_va), 0, "unmapped on drop");
    let c = KernelBo::new(None, &ram, &vm, K, flags, K, None).unwrap();
    assert_eq!(c.va(), a_va, "first fit reuses the freed range");
    assert_eq!(
        KernelBo::new(None, &ram, &vm, K, flags, K, Some(c.va())).err(),
        Some(EBUSY)
    );
}

#[test]
fn user_binds_stay_out_of_the_kernel_area() {
    let (ram, vm) = setup();
    let bo = crate::gem::TyrObject::new(&ram, 2 * K, 0, None).unwrap();
    let start = vm.kernel_va_area().start;
    assert_eq!(vm.prepare_map(&bo, 0, start, K, 0).err(), Some(EINVAL));
    assert_eq!(
        vm.prepare_map(&bo, 0, start - K, 2 * K, 0).err(),
        Some(EINVAL),
        "straddling"
    );
    assert_eq!(vm.prepare_unmap(start, K).err(), Some(EINVAL));
    assert!(vm.prepare_map(&bo, 0, start - 2 * K, 2 * K, 0).is_ok());
}

#[test]
fn the_mcu_area_runs_out() {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    let vm = Vm::new_mcu(48, &ram, Arc::new(NoMmu)).unwrap();
    assert_eq!(vm.kernel_va_area(), MCU_AUTO_VA);
    vm.reserve_kernel_va(MCU_AUTO_VA.start, 0x1_0000).unwrap();
    let size = MCU_AUTO_VA.end - MCU_AUTO_VA.start;
    assert_eq!(vm.alloc_kernel_va(size, K).err(), Some(ENOMEM));
    assert_eq!(
        vm.alloc_kernel_va(size - 0x1_0000, K),
        Ok(MCU_AUTO_VA.start + 0x1_0000)
    );
}
