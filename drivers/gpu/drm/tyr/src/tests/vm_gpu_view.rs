// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Binds seen by the GPU: a VM activated in an address-space slot of the modelled RK3588, through MMIO as Panthor
//! does, then read and written through the model's own MMU (its walker and TLB). After a bind the GPU sees exactly the
//! BO's bytes with the bind's permissions; after an unmap the GPU faults there — so the LOCK/FLUSH_PT around every
//! update reached the TLB. A fault reaches the VM through the MMU interrupt.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::driver::TyrDevice;
use crate::gem::TyrObject;
use crate::mmu::{lockaddr, mair_to_memattr};
use crate::uapi::map_flags;
use crate::vm::{VaLayout, Vm, VmMmu};
use hw_mali::{Mali, PortError};
use kernel::code::EBUSY;
use kernel::drm::gem::IntoGemObject;
use rk3588_platform::Rk3588;

const K: u64 = 0x1000;
const M: u64 = 0x10_0000;

struct Setup {
    soc: Rk3588,
    dev: TyrDevice,
}

/// A probed device: its MMU (with the fault handler probe registered) hands out the user AS slots.
fn setup() -> Setup {
    let soc = Rk3588::new().unwrap();
    let dev = TyrDevice::probe(soc.gpu()).unwrap();
    Setup { soc, dev }
}

impl Setup {
    fn vm(&self, id: u32) -> Arc<Vm> {
        let layout = VaLayout::new(48, 0, 1 << 48).unwrap();
        Vm::new(
            id,
            layout,
            self.soc.gpu().ram(),
            self.dev.mmu().client() as Arc<dyn VmMmu>,
        )
        .unwrap()
    }

    fn mali(&self) -> &Arc<Mali> {
        self.soc.board().gpu()
    }
}

fn map(vm: &Arc<Vm>, bo: &Arc<TyrObject>, off: u64, va: u64, size: u64, flags: u32) {
    let op = vm.prepare_map(bo, off, va, size, flags).unwrap();
    vm.execute(op).unwrap();
}

fn unmap(vm: &Arc<Vm>, va: u64, size: u64) {
    let op = vm.prepare_unmap(va, size).unwrap();
    vm.execute(op).unwrap();
}

fn fill(bo: &Arc<TyrObject>, ram: &hw_mem::Ram) {
    for (i, pa) in bo.gem().get_pages().unwrap().into_iter().enumerate() {
        let page: Vec<u8> = (0..K)
            .map(|b| (b as u8) ^ (i as u8).wrapping_mul(37))
            .collect();
        ram.write(pa, &page).unwrap();
    }
}

#[test]
fn panthor_register_values() {
    assert_eq!(
        mair_to_memattr(0xffff_ffff_f404_ff44),
        0x8F8F_8F8F_8C4C_8F4C
    );
    assert_eq!(lockaddr(0x1000, K), 0xE);
    assert_eq!(lockaddr(0x20_0000, 2 * M), 0x20_0014);
    assert_eq!(lockaddr(0x1F_F000, 8 * K), 0x15);
    assert_eq!(lockaddr(0x7FFF_FFFF_F000, K), 0x7FFF_FFFF_C00E);
    assert_eq!(lockaddr(0x400_0000, 64 * M), 0x400_0019);
    assert_eq!(lockaddr(0, 1 << 48), 0x2F);
}

#[test]
fn the_gpu_sees_the_bos_bytes_with_the_binds_permissions_and_faults_after_unmap() {
    let s = setup();
    let ram = s.soc.gpu().ram().clone();
    let vm = s.vm(1);
    let bo = TyrObject::new(&ram, 8 * K, 0, None).unwrap();
    fill(&bo, &ram);
    map(&vm, &bo, 2 * K, 0x10000, 4 * K, 0);
    map(
        &vm,
        &bo,
        0,
        0x20000,
        2 * K,
        map_flags::READONLY | map_flags::NOEXEC,
    );
    let n = vm.activate().unwrap() as usize;
    assert_ne!(n, 0, "AS 0 is the MCU's");
    let frames = bo.gem().get_pages().unwrap();
    for page in 0..4u64 {
        let mut got = vec![0u8; K as usize];
        s.mali().gpu_read(n, 0x10000 + page * K, &mut got).unwrap();
        let mut want = vec![0u8; K as usize];
        ram.read(frames[(2 + page) as usize], &mut want).unwrap();
        assert_eq!(got, want, "page {page}");
    }
    // Writes land in the BO; read-only pages refuse them.
    s.mali().gpu_write_u32(n, 0x10008, 0xdead_beef).unwrap();
    let mut w = [0u8; 4];
    ram.read(frames[2] + 8, &mut w).unwrap();
    assert_eq!(u32::from_le_bytes(w), 0xdead_beef);
    assert!(matches!(
        s.mali().gpu_write_u32(n, 0x20000, 1),
        Err(PortError::Fault { .. })
    ));
    // The faulted AS was disabled by the interrupt handler and the VM flagged: wait for the handler thread.
    wait_for("the MMU interrupt handler to report the fault", || {
        vm.last_fault().is_some()
    });
    let f = vm.last_fault().unwrap();
    assert_eq!((f.as_nr as usize, f.addr, f.access_type), (n, 0x20000, 3));
    assert_eq!(f.exception_type & 0xF8, 0xC8, "a permission fault");
    assert!(
        vm.has_unhandled_faults(),
        "an unhandled fault until the VM is activated again"
    );
    assert!(
        !vm.is_unusable(),
        "a GPU fault does not make the VM unusable (panthor_vm_is_unusable)"
    );
    assert!(
        s.mali().gpu_read_u32(n, 0x10008).is_err(),
        "the disabled AS translates nothing"
    );
    // Idle, then active again on its slot: the fault is cleared and the AS programmed again.
    vm.idle();
    assert_eq!(vm.activate().unwrap() as usize, n);
    assert!(!vm.has_unhandled_faults());
    assert_eq!(s.mali().gpu_read_u32(n, 0x10008).unwrap(), 0xdead_beef);
}

#[test]
fn an_unmap_on_an_active_vm_reaches_the_tlb() {
    let s = setup();
    let ram = s.soc.gpu().ram().clone();
    let vm = s.vm(1);
    let bo = TyrObject::new(&ram, 2 * M, 0, None).unwrap();
    fill(&bo, &ram);
    map(&vm, &bo, 0, 2 * M, 2 * M, 0);
    let n = vm.activate().unwrap() as usize;
    // Warm the TLB, then unmap a page inside the 2 MiB block: the rest must still read right, that page must fault.
    s.mali().gpu_read_u32(n, 2 * M + 5 * K).unwrap();
    s.mali().gpu_read_u32(n, 2 * M + 6 * K).unwrap();
    unmap(&vm, 2 * M + 5 * K, K);
    let frames = bo.gem().get_pages().unwrap();
    let mut want = [0u8; 4];
    ram.read(frames[6], &mut want).unwrap();
    assert_eq!(
        s.mali().gpu_read_u32(n, 2 * M + 6 * K).unwrap(),
        u32::from_le_bytes(want)
    );
    assert!(matches!(
        s.mali().gpu_read_u32(n, 2 * M + 5 * K),
        Err(PortError::Fault { .. })
    ));
    wait_for("the MMU interrupt handler to report the fault", || {
        vm.last_fault().is_some()
    });
    assert_eq!(
        vm.last_fault().unwrap().exception_type & 0xF8,
        0xC0,
        "a translation fault"
    );
}

#[test]
fn slots_are_reused_lru_and_ebusy_when_all_are_active() {
    let s = setup();
    let vms: Vec<Arc<Vm>> = (1..=8).map(|i| s.vm(i)).collect();
    let slots: Vec<u32> = vms[..7].iter().map(|v| v.activate().unwrap()).collect();
    assert_eq!(slots, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(vms[7].activate().err(), Some(EBUSY));
    // Re-activating keeps the slot; idling two VMs lets the least recently idle one's slot go.
    assert_eq!(vms[0].activate().unwrap(), 1);
    vms[0].idle();
    vms[0].idle();
    vms[4].idle();
    assert_eq!(
        vms[7].activate().unwrap(),
        1,
        "the least recently idle VM loses its slot"
    );
    assert_eq!(vms[0].as_nr(), None);
    assert_eq!(vms[0].activate().unwrap(), 5);
    assert_eq!(vms[4].as_nr(), None);
    drop(vms);
    assert_eq!(
        s.dev.mmu().slots(),
        [(0, 1)],
        "dropped VMs give their slots back; AS 0 stays the MCU's"
    );
}

/// Polls `cond` until it holds, failing after 5 s with `what`: the driver's IRQ handler thread sets what the tests
/// wait for, and it offers nothing to block on.
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}
