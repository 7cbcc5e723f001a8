// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Groups through the ioctl path (`Documentation/uapi.md#group_create`): GROUP_CREATE's checks in Panthor's order, the
//! buffers a group gets (sync objects and rings in its VM's kernel area, suspend buffers and user-I/O pages in the
//! MCU VM), GROUP_DESTROY and GROUP_GET_STATE. What the scheduler does with the jobs submitted to them is in
//! `group_submit.rs`.

use kernel::code::{EACCES, EBUSY, EINVAL};
use tyr::drm_device::{TyrDrmFile, PRIMARY_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::group::{queue, setup};
use common::ioctl;

#[test]
fn group_create_checks_in_panthors_order() {
    let t = setup();
    let q = [queue(0, 4096)];
    let good = t.args(&q);
    let cases: Vec<(&str, drm_panthor_group_create, kernel::Error)> = vec![
        (
            "no queue",
            drm_panthor_group_create {
                queues: drm_panthor_obj_array::default(),
                ..good
            },
            EINVAL,
        ),
        (
            "priority 4",
            drm_panthor_group_create {
                priority: 4,
                ..good
            },
            EINVAL,
        ),
        (
            "HIGH unprivileged",
            drm_panthor_group_create {
                priority: 2,
                ..good
            },
            EACCES,
        ),
        ("pad", drm_panthor_group_create { pad: 1, ..good }, EINVAL),
        (
            "compute mask outside shader_present",
            drm_panthor_group_create {
                compute_core_mask: 2,
                ..good
            },
            EINVAL,
        ),
        (
            "tiler mask outside tiler_present",
            drm_panthor_group_create {
                tiler_core_mask: 2,
                ..good
            },
            EINVAL,
        ),
        (
            "fewer cores than the maximum",
            drm_panthor_group_create {
                max_compute_cores: 2,
                ..good
            },
            EINVAL,
        ),
        (
            "unknown VM",
            drm_panthor_group_create { vm_id: 9, ..good },
            EINVAL,
        ),
    ];
    for (name, mut a, err) in cases {
        assert_eq!(t.create(&mut a), Err(err), "{name}");
    }
    for bad in [
        queue(0, 3000),
        queue(0, 2048),
        queue(0, 0x2_0000),
        queue(16, 4096),
    ] {
        let qs = [bad];
        assert_eq!(t.create(&mut t.args(&qs)), Err(EINVAL), "queue {bad:?}");
    }
    let nine: Vec<_> = (0..9).map(|_| queue(0, 4096)).collect();
    assert_eq!(
        t.create(&mut t.args(&nine)),
        Err(EINVAL),
        "more queues than CS slots"
    );
    assert!(
        tyr::debugfs::groups::handles(&t.f).is_empty(),
        "failures leave no group"
    );

    // The first primary-node file of the device is its master.
    let master = TyrDrmFile::open(&t.dev, PRIMARY_CLIENT).unwrap();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&master, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let mut high = drm_panthor_group_create {
        priority: 3,
        vm_id: vm.id,
        ..good
    };
    assert_eq!(
        ioctl(&master, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut high),
        Ok(()),
        "REALTIME for the master"
    );
}

#[test]
fn groups_get_handles_buffers_and_go_away() {
    let t = setup();
    let qs = [queue(3, 4096), queue(0, 16384)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    assert_eq!(h, 1);
    let g = tyr::debugfs::groups::group(&t.f, h).unwrap();
    let vm = tyr::debugfs::vm(&t.f, t.vm).unwrap();
    let kernel_area = vm.kernel_auto_va();
    assert!(kernel_area.contains(&g.syncobjs().start));
    assert!(kernel_area.contains(&g.ring(1).unwrap().start));
    assert_eq!(g.ring(1).unwrap().end - g.ring(1).unwrap().start, 16384);
    let mcu = tyr::debugfs::device::mcu_vm(&t.dev).kernel_auto_va();
    assert!(mcu.contains(&g.suspend().start) && mcu.contains(&g.user_io(0).unwrap().start));
    assert_eq!(t.state(h), Ok((0, 0)));
    let mut s = drm_panthor_group_get_state {
        group_handle: h,
        pad: 1,
        ..Default::default()
    };
    assert_eq!(
        ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut s),
        Err(EINVAL)
    );
    assert_eq!(t.state(77), Err(EINVAL));

    let mut d = drm_panthor_group_destroy {
        group_handle: h,
        pad: 1,
    };
    assert_eq!(
        ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d),
        Err(EINVAL),
        "pad"
    );
    d.pad = 0;
    ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d).unwrap();
    assert_eq!(
        ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d),
        Err(EINVAL),
        "gone"
    );
    assert_eq!(t.create(&mut t.args(&qs)), Ok(1), "the handle is reused");
}

#[test]
fn handles_run_out_at_128() {
    let t = setup();
    let qs = [queue(0, 4096)];
    for i in 1..=128 {
        assert_eq!(t.create(&mut t.args(&qs)), Ok(i));
    }
    assert_eq!(t.create(&mut t.args(&qs)), Err(EBUSY));
}
