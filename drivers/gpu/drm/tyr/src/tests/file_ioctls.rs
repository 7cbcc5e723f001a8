// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The file-level Panthor ioctls with real user pointers (copied by `kernel::uaccess`, as the shim will pass
//! them): BO_CREATE's rules, VM_CREATE/DESTROY/GET_STATE, and synchronous VM_BIND rewriting `ops.count`.

use std::sync::Arc;

use crate::file::TyrFile;
use crate::gem::TyrObject;
use crate::uapi::bo_flags;
use crate::uapi::op_type;
use crate::uapi::{
    drm_panthor_bo_create, drm_panthor_obj_array, drm_panthor_vm_bind, drm_panthor_vm_bind_op,
    drm_panthor_vm_create, drm_panthor_vm_destroy, drm_panthor_vm_get_state,
};
use crate::vm::{NoMmu, VmMmu};
use hw_mem::{Ram, RamConfig};
use kernel::code::{EFAULT, EINVAL};
use kernel::drm::gem::{HandleTable, IntoGemObject};

const K: u64 = 0x1000;

/// A driver file with its DRM file's handle table beside it.
struct F {
    f: TyrFile,
    objects: HandleTable<TyrObject>,
}

impl core::ops::Deref for F {
    type Target = TyrFile;
    fn deref(&self) -> &TyrFile {
        &self.f
    }
}

impl F {
    fn objects(&self) -> &HandleTable<TyrObject> {
        &self.objects
    }
    fn bo_create(&self, a: &mut drm_panthor_bo_create) -> kernel::Result {
        self.f.bo_create(&self.objects, a)
    }
    fn vm_bind_sync(&self, a: &mut drm_panthor_vm_bind) -> kernel::Result {
        self.f.vm_bind_sync(&self.objects, a)
    }
}

fn file() -> (Arc<Ram>, F) {
    let ram = Arc::new(Ram::new(RamConfig::rk3588(64 << 20)).unwrap());
    let f = TyrFile::new(
        ram.clone(),
        48,
        Arc::new(|| Arc::new(NoMmu) as Arc<dyn VmMmu>),
    );
    (
        ram,
        F {
            f,
            objects: HandleTable::default(),
        },
    )
}

fn bo_create(f: &F, size: u64, flags: u32, vm: u32) -> kernel::Result<drm_panthor_bo_create> {
    let mut a = drm_panthor_bo_create {
        size,
        flags,
        exclusive_vm_id: vm,
        ..Default::default()
    };
    f.bo_create(&mut a).map(|()| a)
}

fn vm_create(f: &F) -> u32 {
    let mut a = drm_panthor_vm_create::default();
    f.vm_create(&mut a).unwrap();
    assert_eq!(a.user_va_range, 0x8000_0000_0000);
    a.id
}

fn bind(f: &F, vm: u32, ops: &[drm_panthor_vm_bind_op]) -> (kernel::Result, u32) {
    let mut a = drm_panthor_vm_bind {
        vm_id: vm,
        flags: 0,
        ops: drm_panthor_obj_array {
            stride: size_of::<drm_panthor_vm_bind_op>() as u32,
            count: ops.len() as u32,
            array: ops.as_ptr() as u64,
        },
    };
    let r = f.vm_bind_sync(&mut a);
    (r, a.ops.count)
}

fn map(handle: u32, va: u64, size: u64) -> drm_panthor_vm_bind_op {
    drm_panthor_vm_bind_op {
        bo_handle: handle,
        va,
        size,
        ..Default::default()
    }
}

#[test]
fn bo_create_rounds_zeroes_and_refuses_what_panthor_refuses() {
    let (ram, f) = file();
    let a = bo_create(&f, 1, 0, 0).unwrap();
    assert_eq!((a.size, a.handle), (K, 1));
    let bo = f.objects().lookup(a.handle).unwrap();
    let pa = bo.gem().get_pages().unwrap()[0];
    let mut buf = [0xffu8; 4096];
    ram.read(pa, &mut buf).unwrap();
    assert!(buf.iter().all(|b| *b == 0), "BOs read as zero");
    assert_eq!(bo_create(&f, 0, 0, 0).err(), Some(EINVAL));
    assert_eq!(bo_create(&f, K, 1 << 2, 0).err(), Some(EINVAL));
    assert_eq!(
        bo_create(&f, K, bo_flags::NO_MMAP | bo_flags::WB_MMAP, 0).err(),
        Some(EINVAL)
    );
    assert_eq!(bo_create(&f, K, 0, 3).err(), Some(EINVAL));
    let mut padded = drm_panthor_bo_create {
        size: K,
        pad: 1,
        ..Default::default()
    };
    assert_eq!(f.bo_create(&mut padded).err(), Some(EINVAL));
    assert_eq!(f.objects().len(), 1, "failed creates made no handle");
    let vm = vm_create(&f);
    let ex = bo_create(&f, K, 0, vm).unwrap();
    assert_eq!(ex.handle, 2);
}

#[test]
fn vm_lifecycle_through_the_file() {
    let (_ram, f) = file();
    let id = vm_create(&f);
    let mut st = drm_panthor_vm_get_state {
        vm_id: id,
        ..Default::default()
    };
    f.vm_get_state(&mut st).unwrap();
    assert_eq!(st.state, 0);
    f.vm_destroy(&mut drm_panthor_vm_destroy { id, pad: 0 })
        .unwrap();
    assert_eq!(f.vm_get_state(&mut st).err(), Some(EINVAL));
    assert_eq!(
        f.vm_destroy(&mut drm_panthor_vm_destroy {
            id: 0xDEADBEEF,
            pad: 0
        })
        .err(),
        Some(EINVAL)
    );
}

#[test]
fn sync_bind_rewrites_count_to_the_failing_op() {
    let (_ram, f) = file();
    let vm = vm_create(&f);
    let h = bo_create(&f, 4 * K, 0, 0).unwrap().handle;
    let ops = [
        map(h, 0x1000, K),
        map(h, 0x2000, K),
        map(h, 0x3800, K),
        map(h, 0x4000, K),
    ];
    assert_eq!(bind(&f, vm, &ops), (Err(EINVAL), 2));
    let v = f.vms().get(vm).unwrap();
    assert_eq!(v.vas().len(), 2, "ops before the failing one stay applied");
    let unmap = drm_panthor_vm_bind_op {
        flags: op_type::UNMAP,
        va: 0x1000,
        size: 2 * K,
        ..Default::default()
    };
    assert_eq!(bind(&f, vm, &[unmap]), (Ok(()), 1));
    assert!(v.vas().is_empty());
    crate::debugfs::check_vm(&v).unwrap();
}

#[test]
fn bad_user_pointers_and_strides_fail_cleanly() {
    let (_ram, f) = file();
    let vm = vm_create(&f);
    let mut a = drm_panthor_vm_bind {
        vm_id: vm,
        flags: 0,
        ops: drm_panthor_obj_array {
            stride: 48,
            count: 2,
            array: 0x10,
        },
    };
    assert_eq!(f.vm_bind_sync(&mut a).err(), Some(EFAULT));
    a.ops.stride = 40;
    assert_eq!(f.vm_bind_sync(&mut a).err(), Some(EINVAL));
    a.vm_id = 77;
    assert_eq!(f.vm_bind_sync(&mut a).err(), Some(EINVAL));
}
