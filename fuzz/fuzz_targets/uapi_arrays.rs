// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The uAPI's extensible-struct parsing (`Documentation/uapi.md#object-arrays-and-extensible-structs`): DEV_QUERY's
//! `size`, and the object arrays of VM_BIND (ops, and each op's syncs), GROUP_CREATE (queues) and GROUP_SUBMIT
//! (queue submits, and each one's syncs), with fuzzed strides, counts and element bytes, nested array pointers that
//! point at fuzzed bytes, nowhere, or wild addresses. On a file holding a VM, BOs, syncobjs and a group: the errno is
//! one the documentation allows, a failed call changes nothing the file shows, the consistency checker passes, and
//! closing the file gives every frame back.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tyr::debugfs::{self, FileSnapshot};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;
use tyr_cli::fuzz::errno;
use tyr_fuzz::{group, ioctl, syncobj, vm_create, Device};

#[derive(Arbitrary, Debug)]
enum Nested {
    /// At the element bytes of the input's `extra` buffer.
    Extra,
    Null,
    Wild(u64),
}

#[derive(Arbitrary, Debug)]
struct Array {
    stride: u16,
    count: u8,
    /// The elements' bytes (the array is these, repeated to fill stride * count).
    bytes: Vec<u8>,
    /// Where nested array pointers inside the elements point (patched at each element's pointer fields).
    nested: Option<Nested>,
}

#[derive(Arbitrary, Debug)]
enum Call {
    DevQuery {
        ty: u8,
        size: u16,
        null: bool,
    },
    VmBind {
        flags: u8,
        ops: Array,
    },
    GroupCreate {
        queues: Array,
        priority: u8,
        masks: u8,
    },
    GroupSubmit {
        subs: Array,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    calls: Vec<Call>,
    /// Bytes nested arrays point at.
    extra: Vec<u8>,
}

thread_local! {
    static DEVICE: Device = Device::boot(None);
}

/// Lays `a` out: `stride * count` bytes from the input's bytes, with the 8-byte nested-pointer field at
/// `ptr_at` of each element (if the element is long enough) replaced per `a.nested`.
fn layout(a: &Array, extra: &[u8], ptr_at: Option<usize>) -> Vec<u8> {
    let stride = usize::from(a.stride % 128);
    let len = stride * usize::from(a.count % 40);
    let mut v: Vec<u8> = if a.bytes.is_empty() {
        vec![0; len]
    } else {
        a.bytes.iter().copied().cycle().take(len).collect()
    };
    if let (Some(at), Some(n)) = (ptr_at, &a.nested) {
        let p = match n {
            Nested::Extra => extra.as_ptr() as u64,
            Nested::Null => 0,
            Nested::Wild(w) => *w,
        };
        for e in (0..usize::from(a.count % 40)).map(|i| i * stride) {
            if e + at + 8 <= v.len() {
                v[e + at..e + at + 8].copy_from_slice(&p.to_le_bytes());
            }
        }
    }
    v
}

fn obj_array(bytes: &[u8], a: &Array) -> drm_panthor_obj_array {
    drm_panthor_obj_array {
        stride: u32::from(a.stride % 128),
        count: u32::from(a.count % 40),
        array: if bytes.is_empty() {
            0
        } else {
            bytes.as_ptr() as u64
        },
    }
}

fuzz_target!(|input: Input| {
    DEVICE.with(|d| {
        let f = d.open();
        let vm = vm_create(&f);
        for _ in 0..2 {
            let mut bo = drm_panthor_bo_create {
                size: 0x4000,
                ..Default::default()
            };
            ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut bo).expect("BO_CREATE");
            syncobj(&f);
        }
        let g = group(&f, vm);

        for call in input.calls.iter().take(16) {
            let before = FileSnapshot::take(&f);
            let mut out = vec![0u8; 4096];
            let (cmd, res) = match call {
                Call::DevQuery { ty, size, null } => {
                    let mut q = drm_panthor_dev_query {
                        type_: u32::from(*ty % 8),
                        size: u32::from(*size % 512),
                        pointer: if *null { 0 } else { out.as_mut_ptr() as u64 },
                    };
                    (
                        DRM_IOCTL_PANTHOR_DEV_QUERY,
                        ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q),
                    )
                }
                Call::VmBind { flags, ops } => {
                    // drm_panthor_vm_bind_op: syncs (an obj_array) at byte 32, its `array` at 40.
                    let bytes = layout(ops, &input.extra, Some(40));
                    let mut b = drm_panthor_vm_bind {
                        vm_id: vm,
                        flags: u32::from(*flags % 4),
                        ops: obj_array(&bytes, ops),
                    };
                    (
                        DRM_IOCTL_PANTHOR_VM_BIND,
                        ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b),
                    )
                }
                Call::GroupCreate {
                    queues,
                    priority,
                    masks,
                } => {
                    let bytes = layout(queues, &input.extra, None);
                    let mut c = drm_panthor_group_create {
                        queues: obj_array(&bytes, queues),
                        max_compute_cores: 1,
                        max_fragment_cores: 1,
                        max_tiler_cores: 1,
                        priority: *priority % 5,
                        compute_core_mask: u64::from(*masks % 4),
                        fragment_core_mask: 1,
                        tiler_core_mask: 1,
                        vm_id: vm,
                        ..Default::default()
                    };
                    (
                        DRM_IOCTL_PANTHOR_GROUP_CREATE,
                        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut c),
                    )
                }
                Call::GroupSubmit { subs } => {
                    // drm_panthor_queue_submit: syncs at byte 24, its `array` at 32.
                    let bytes = layout(subs, &input.extra, Some(32));
                    let mut s = drm_panthor_group_submit {
                        group_handle: g,
                        pad: 0,
                        queue_submits: obj_array(&bytes, subs),
                    };
                    (
                        DRM_IOCTL_PANTHOR_GROUP_SUBMIT,
                        ioctl(&f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut s),
                    )
                }
            };
            debugfs::device::settle(&d.dev, Duration::from_secs(5));
            if let Err(e) = res {
                assert!(
                    errno::allowed(cmd, e, false),
                    "{} returned {e:?}, which upstream does not allow: {call:?}",
                    errno::name(cmd)
                );
                // A failed asynchronous VM_BIND or GROUP_SUBMIT changes nothing either: both fail before queuing.
                if let Some(diff) = before.diff(&FileSnapshot::take(&f)) {
                    panic!(
                        "{} failed with {e:?} but changed the file: {diff}\n{call:?}",
                        errno::name(cmd)
                    );
                }
            }
            if let Err(e) = debugfs::check_files(&[&f]) {
                panic!("consistency checker after {call:?}: {e}");
            }
        }
        d.close_and_check(f);
    });
});
