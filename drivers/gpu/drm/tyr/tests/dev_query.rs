// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! DEV_QUERY through `File::ioctl`: every query's size and payload, and TIMESTAMP_INFO sampling what its flags ask
//! for.

use kernel::code::{E2BIG, EINVAL};
use tyr::drm_device::{TyrDrmFile, PRIMARY_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::drm::{query, setup};
use common::ioctl;

#[test]
fn dev_query_sizes_and_payloads() {
    let s = setup();
    let f = s.open();
    for (kind, size) in [(0, 112), (1, 24), (2, 56), (3, 4), (4, 8)] {
        let mut q = drm_panthor_dev_query {
            type_: kind,
            size: 3,
            pointer: 0,
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
        assert_eq!(q.size, size, "type {kind}");
    }
    let mut q = drm_panthor_dev_query {
        type_: 5,
        size: 0,
        pointer: 0,
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), Err(EINVAL));

    let (r, gpu) = query::<drm_panthor_gpu_info>(&f, 0);
    r.unwrap();
    assert_eq!(gpu.gpu_id, 0xa867_0005);
    assert_eq!(
        (gpu.as_present, gpu.shader_present, gpu.mmu_features),
        (0xff, 0x50005, 0x2830)
    );
    let (r, mmu) = query::<drm_panthor_mmu_info>(&f, 4);
    r.unwrap();
    assert_eq!(mmu.page_size_bitmap, 0x20_1000);
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&f, 3);
    r.unwrap();
    assert_eq!(
        prio.allowed_mask, 0x3,
        "an unprivileged client gets LOW and MEDIUM"
    );
    // The first primary-node file of the device is its master.
    let master = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0xf);
}

#[test]
fn timestamp_info_samples_what_its_flags_ask_for() {
    let s = setup();
    let f = s.open();
    let ts_query = |input: drm_panthor_timestamp_info, size: u32| {
        let mut out = input;
        let mut q = drm_panthor_dev_query {
            type_: 2,
            size,
            pointer: &mut out as *mut _ as u64,
        };
        (ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), out)
    };
    let (r, a) = ts_query(Default::default(), 56);
    r.unwrap();
    assert_eq!(a.timestamp_frequency, 24_000_000, "the RK3588 arch timer");
    assert_eq!(
        (a.cycle_count, a.cpu_timestamp_sec, a.duration_nsec),
        (0, 0, 0),
        "not asked for"
    );
    let all = timestamp_flags::GPU
        | timestamp_flags::CPU_MONOTONIC
        | timestamp_flags::GPU_OFFSET
        | timestamp_flags::FREQ
        | timestamp_flags::DURATION;
    // The GPU timestamp follows real time at 24 MHz: query again until it has moved on, within a bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let b = loop {
        let (r, b) = ts_query(
            drm_panthor_timestamp_info {
                flags: all,
                ..Default::default()
            },
            56,
        );
        r.unwrap();
        if b.current_timestamp > a.current_timestamp {
            break b;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the GPU timestamp did not advance within 5 s"
        );
    };
    assert!(b.cpu_timestamp_sec > 0 || b.cpu_timestamp_nsec > 0);
    assert_eq!(b.flags, all, "flags go back as given");

    for bad in [
        0x100,
        timestamp_flags::GPU | 0x6,
        timestamp_flags::GPU | 0x8,
    ] {
        let (r, _) = ts_query(
            drm_panthor_timestamp_info {
                flags: bad,
                ..Default::default()
            },
            56,
        );
        assert_eq!(r, Err(EINVAL), "flags {bad:#x}");
    }
    let mut big = [0u64; 8];
    big[7] = 1;
    let mut q = drm_panthor_dev_query {
        type_: 2,
        size: 64,
        pointer: big.as_mut_ptr() as u64,
    };
    assert_eq!(
        ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q),
        Err(E2BIG),
        "non-zero bytes past the struct"
    );
    let (r, _) = ts_query(Default::default(), 8);
    assert_eq!(r, Err(EINVAL), "below the mandatory 16 bytes");
    let (r, old) = ts_query(Default::default(), 24);
    r.unwrap();
    assert_ne!(
        old.current_timestamp, 0,
        "a 1.1 client's 24-byte struct still gets the three values"
    );
}
