// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Two files' VMs resident in address-space slots at once (as the scheduler makes them for running groups): the GPU
//! reaches each one's BO through its own slot and faults everywhere else, never reaching the other VM's memory.

use std::sync::Arc;

use hw_mali::PortError;
use kernel::drm::gem::IntoGemObject;
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;

use crate::debugfs::{check_files, vms};
use crate::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use crate::uapi::ioctl::*;
use crate::uapi::*;

const K: u64 = 0x1000;

struct Board {
    dev: Arc<TyrDrmDevice>,
    /// Dropped last: the device's teardown still talks to the board.
    soc: Rk3588,
}

impl Board {
    fn boot() -> Board {
        let soc = Rk3588::new().unwrap();
        let dev = probe(soc.gpu()).unwrap();
        Board { dev, soc }
    }

    fn open(&self) -> Arc<TyrDrmFile> {
        TyrDrmFile::open(&self.dev, RENDER_CLIENT).unwrap()
    }
}

fn ioctl<T: AsBytes + FromBytes>(f: &TyrDrmFile, cmd: u32, arg: &mut T) -> kernel::Result {
    f.ioctl(cmd, UserPtr(arg as *mut T as usize))
}

fn vm_create(f: &TyrDrmFile) -> u32 {
    let mut a = drm_panthor_vm_create::default();
    ioctl(f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut a).unwrap();
    a.id
}

fn bo_create(f: &TyrDrmFile, size: u64) -> u32 {
    let mut a = drm_panthor_bo_create {
        size,
        ..Default::default()
    };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a).unwrap();
    a.handle
}

/// A synchronous VM_BIND mapping `size` bytes of BO `bo` at `va`.
fn map(f: &TyrDrmFile, vm: u32, bo: u32, va: u64, size: u64) {
    let op = drm_panthor_vm_bind_op {
        flags: op_type::MAP,
        bo_handle: bo,
        va,
        size,
        ..Default::default()
    };
    let mut a = drm_panthor_vm_bind {
        vm_id: vm,
        flags: 0,
        ops: drm_panthor_obj_array {
            stride: size_of::<drm_panthor_vm_bind_op>() as u32,
            count: 1,
            array: &op as *const _ as u64,
        },
    };
    ioctl(f, DRM_IOCTL_PANTHOR_VM_BIND, &mut a).unwrap();
}

fn f_pages(f: &TyrDrmFile, h: u32) -> Vec<u64> {
    f.objects().lookup(h).unwrap().gem().get_pages().unwrap()
}

#[test]
fn gpu_accesses_outside_a_vms_mappings_fault_and_never_reach_another_vm() {
    let b = Board::boot();
    let (f, g) = (b.open(), b.open());
    let (va, vb) = (vm_create(&f), vm_create(&g));
    let (ba, bb) = (bo_create(&f, 4 * K), bo_create(&g, 4 * K));
    map(&f, va, ba, 0x10000, 4 * K);
    map(&g, vb, bb, 0x20000, 4 * K);
    let ram = b.soc.gpu().ram().clone();
    let frame = |file: &TyrDrmFile, h: u32| f_pages(file, h)[0];
    let (pa, pb) = (frame(&f, ba), frame(&g, bb));
    ram.write_u32(pa, 0xaaaa_aaaa).unwrap();
    ram.write_u32(pb, 0xbbbb_bbbb).unwrap();
    let vm_a = vms(&f).pop().unwrap().vm;
    let vm_b = vms(&g).pop().unwrap().vm;
    let (na, nb) = (
        vm_a.activate().unwrap() as usize,
        vm_b.activate().unwrap() as usize,
    );
    assert_ne!(na, nb);
    let mali = b.soc.board().gpu();
    assert_eq!(mali.gpu_read_u32(na, 0x10000).unwrap(), 0xaaaa_aaaa);
    assert_eq!(mali.gpu_read_u32(nb, 0x20000).unwrap(), 0xbbbb_bbbb);
    // Each VM's access at the other's address faults, reading and writing (after its first fault the interrupt
    // handler disables the address space, so later accesses through it fail too).
    assert!(
        matches!(
            mali.gpu_read_u32(na, 0x10000 + 4 * K),
            Err(PortError::Fault { .. })
        ),
        "one past the BO"
    );
    assert!(mali.gpu_read_u32(na, 0x20000).is_err());
    assert!(matches!(
        mali.gpu_write_u32(nb, 0x10000, 0x1234),
        Err(PortError::Fault { .. })
    ));
    assert_eq!(
        ram.read_u32(pa).unwrap(),
        0xaaaa_aaaa,
        "B's stray write did not land in A's BO"
    );
    assert_eq!(ram.read_u32(pb).unwrap(), 0xbbbb_bbbb);
    check_files(&[&f, &g]).unwrap();
}
