// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The device-level consistency checker on real workloads: it passes on what the driver builds through the ioctls
//! (shared external BOs, exclusive BOs, splits of 2 MiB blocks, BOs alive only through their mappings), and the frame
//! accounting returns to the device's baseline once every file is closed.

mod common;

use std::time::Duration;

use common::*;
use tyr::debugfs::{check_files, Baseline, FileSnapshot};
use tyr::uapi::map_flags;

#[test]
fn the_checker_passes_on_a_mixed_workload_and_nothing_leaks_after_close() {
    let b = Board::boot();
    let base = Baseline::capture(&b.dev);
    let (f, g) = (b.open(), b.open());
    let (vf, vf2) = (vm_create(&f), vm_create(&f));
    let vh = vm_create(&g);
    let shared = bo_create(&f, 4 * M);
    let private = try_bo_create(&f, 16 * K, vf).unwrap();
    bind(
        &f,
        vf,
        &[
            map_op(shared, 0, 2 * M, 4 * M, 0),
            map_op(private, 0, 0x10_0000, 16 * K, map_flags::NOEXEC),
        ],
    )
    .unwrap();
    bind(
        &f,
        vf2,
        &[map_op(
            shared,
            2 * M,
            0x4000_0000,
            2 * M,
            map_flags::READONLY,
        )],
    )
    .unwrap();
    bind(&f, vf, &[unmap_op(3 * M + 4 * K, 8 * K)]).unwrap();
    // The shared BO, its handle closed, lives on in its mappings (and is found through them).
    gem_close(&f, shared).unwrap();
    let h = bo_create(&g, 8 * K);
    bind(&g, vh, &[map_op(h, 0, 0x8000, 8 * K, 0)]).unwrap();
    let v = check_files(&[&f, &g]).unwrap();
    assert_eq!((v.vms, v.bos), (3, 3));
    assert_eq!(
        v.vas,
        2 + 1 + 1 + 1,
        "the split left two pieces of the 4 MiB VA"
    );
    assert_eq!(
        base.check(&[&f, &g], &b.dev, Duration::from_secs(5))
            .unwrap(),
        v
    );
    let snap = FileSnapshot::take(&f);
    assert_eq!(snap.diff(&FileSnapshot::take(&f)), None);
    drop((f, g));
    base.check(&[], &b.dev, Duration::from_secs(5)).unwrap();
}

#[test]
fn a_snapshot_sees_a_change() {
    let b = Board::boot();
    let f = b.open();
    let before = FileSnapshot::take(&f);
    bo_create(&f, K);
    assert!(before
        .diff(&FileSnapshot::take(&f))
        .unwrap()
        .contains("GEM handles"));
}

#[test]
fn a_frame_freed_behind_its_owners_back_is_reported_with_its_owner() {
    use kernel::drm::gem::IntoGemObject;
    use tyr::debugfs::check::{CheckError, Owner};
    let b = Board::boot();
    let f = b.open();
    let vm = vm_create(&f);
    let h = bo_create(&f, 16 * K);
    bind(&f, vm, &[map_op(h, 0, 0x10_0000, 16 * K, 0)]).unwrap();
    let (_, bo) = f.objects().handles().into_iter().next().unwrap();
    let pages = bo.gem().get_pages().unwrap();
    let ram = b.dev.data().ram();
    ram.free_frame(pages[2]).unwrap();
    assert_eq!(
        check_files(&[&f]),
        Err(CheckError::FreeFrame {
            pa: pages[2],
            owner: Owner::Bo(bo.gem().id()),
        })
    );
    // Given back to the BO, the frame is accounted for again.
    assert_eq!(ram.alloc_frame().unwrap(), pages[2]);
    assert_eq!(check_files(&[&f]).unwrap().bos, 1);
}
