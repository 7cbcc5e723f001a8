// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Asynchronous VM_BIND through the ioctl path (`Documentation/uapi.md#asynchronous-vm_bind`), with syncobjs created,
//! signalled and waited on through the DRM core's SYNCOBJ ioctls: a bind waiting on an unsignalled syncobj does not
//! happen until it is signalled, and its out-syncobjs signal after; every check fails with Panthor's errno and changes
//! nothing.

use std::sync::Arc;

use kernel::code::{EINVAL, ENOENT, ETIME};
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::DmaResvUsage;
use kernel::drm::gem::IntoGemObject;
use rk3588_platform::Rk3588;
use tyr::drm_device::TyrDrmFile;
use tyr::uapi::bind_flags;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::ioctl;
use tyr::uapi::op_type;
use tyr::uapi::sync_flags;

const K: u64 = 0x1000;

struct T {
    f: Arc<TyrDrmFile>,
    vm: u32,
    bo: u32,
    /// Dropped last: the device's teardown still talks to the board.
    _soc: Rk3588,
}

impl Drop for T {
    fn drop(&mut self) {
        // Every bind job of the test ran its signalling path clean (checked when the test did not fail already).
        if !std::thread::panicking() {
            common::assert_signalling_clean();
        }
    }
}

fn setup() -> T {
    let (soc, _dev, f, vm) = common::probed_with_vm();
    let mut bo = drm_panthor_bo_create {
        size: 16 * K,
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut bo).unwrap();
    T {
        _soc: soc,
        f,
        vm,
        bo: bo.handle,
    }
}

fn wait(handle: u32) -> drm_panthor_sync_op {
    drm_panthor_sync_op {
        flags: sync_flags::SYNCOBJ,
        handle,
        timeline_value: 0,
    }
}
fn signal(handle: u32) -> drm_panthor_sync_op {
    drm_panthor_sync_op {
        flags: sync_flags::SYNCOBJ | sync_flags::SIGNAL,
        handle,
        timeline_value: 0,
    }
}
fn tl(handle: u32, point: u64, sig: bool) -> drm_panthor_sync_op {
    let flags = sync_flags::TIMELINE_SYNCOBJ | if sig { sync_flags::SIGNAL } else { 0 };
    drm_panthor_sync_op {
        flags,
        handle,
        timeline_value: point,
    }
}

fn arr<E>(v: &[E]) -> drm_panthor_obj_array {
    drm_panthor_obj_array {
        stride: size_of::<E>() as u32,
        count: v.len() as u32,
        array: v.as_ptr() as u64,
    }
}

impl T {
    fn syncobj(&self, signaled: bool) -> u32 {
        let mut c = drm_syncobj_create {
            handle: 0,
            flags: u32::from(signaled),
        };
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c).unwrap();
        c.handle
    }

    fn signal_syncobj(&self, h: u32) {
        let hs = [h];
        let mut a = drm_syncobj_array {
            handles: hs.as_ptr() as u64,
            count_handles: 1,
            pad: 0,
        };
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_SIGNAL, &mut a).unwrap();
    }

    /// SYNCOBJ_TIMELINE_WAIT on one (handle, point) for up to `ms` (point 0 = binary).
    fn wait_syncobj(&self, h: u32, point: u64, ms: u64) -> kernel::Result {
        let (hs, ps) = ([h], [point]);
        let deadline = kernel::time::ktime_get_ns() + ms * 1_000_000;
        let mut w = drm_syncobj_timeline_wait {
            handles: hs.as_ptr() as u64,
            points: ps.as_ptr() as u64,
            timeout_nsec: deadline as i64,
            count_handles: 1,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &mut w)
    }

    fn bind(&self, ops: &[drm_panthor_vm_bind_op]) -> (kernel::Result, u32) {
        let mut b = drm_panthor_vm_bind {
            vm_id: self.vm,
            flags: bind_flags::ASYNC,
            ops: arr(ops),
        };
        let r = ioctl(&self.f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b);
        (r, b.ops.count)
    }

    fn vas(&self) -> Vec<(u64, u64)> {
        let v = tyr::debugfs::vm(&self.f, self.vm).unwrap();
        v.check().unwrap();
        v.vas().iter().map(|a| (a.addr, a.size)).collect()
    }

    fn map(&self, va: u64, syncs: &[drm_panthor_sync_op]) -> drm_panthor_vm_bind_op {
        drm_panthor_vm_bind_op {
            bo_handle: self.bo,
            va,
            size: K,
            syncs: arr(syncs),
            ..Default::default()
        }
    }
}

impl T {
    /// A syncobj holding an unsignalled fence the test signals itself (as another engine's job would).
    fn gated_syncobj(&self) -> (u32, DmaFence) {
        let h = self.syncobj(false);
        let fence = DmaFence::new(DmaFence::context_alloc(), 1).unwrap();
        self.f
            .syncobjs()
            .lookup(h)
            .unwrap()
            .replace_fence(Some(fence.clone()));
        (h, fence)
    }

    fn vm_state(&self) -> u32 {
        let mut s = drm_panthor_vm_get_state {
            vm_id: self.vm,
            state: 9,
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_VM_GET_STATE, &mut s).unwrap();
        s.state
    }
}

#[test]
fn a_bind_waits_for_its_in_syncobj_and_signals_its_out_syncobj() {
    let t = setup();
    let (gate, fence) = t.gated_syncobj();
    let done = t.syncobj(false);
    let syncs = [wait(gate), signal(done)];
    let (r, count) = t.bind(&[t.map(0x10_0000, &syncs)]);
    assert_eq!((r, count), (Ok(()), 1), "accepted; ops.count untouched");
    assert_eq!(t.wait_syncobj(done, 0, 50), Err(ETIME), "still gated");
    assert!(t.vas().is_empty(), "nothing mapped before the gate opens");

    fence.signal().unwrap();
    assert_eq!(t.wait_syncobj(done, 0, 5000), Ok(()));
    assert_eq!(
        t.vas(),
        [(0x10_0000, K)],
        "mapped once the out-syncobj signalled"
    );
    assert_eq!(t.vm_state(), 0);
}

#[test]
fn a_dependency_failing_makes_the_vm_unusable_and_the_out_fence_carries_the_error() {
    let t = setup();
    let (gate, fence) = t.gated_syncobj();
    let done = t.syncobj(false);
    assert_eq!(
        t.bind(&[t.map(0x10_0000, &[wait(gate), signal(done)])]).0,
        Ok(())
    );
    fence.signal_error(kernel::code::EIO).unwrap();
    assert_eq!(
        t.wait_syncobj(done, 0, 5000),
        Ok(()),
        "signalled, with an error"
    );
    let out = t.f.syncobjs().lookup(done).unwrap().fence().unwrap();
    assert_eq!(out.error(), Some(kernel::code::EIO));
    assert!(t.vas().is_empty());
    assert_eq!(t.vm_state(), 1, "VM_GET_STATE reports it unusable");
    assert_eq!(
        t.bind(&[t.map(0x20_0000, &[])]).0,
        Err(EINVAL),
        "an unusable VM takes no more binds"
    );
}

#[test]
fn errors_change_nothing_and_never_rewrite_the_count() {
    let t = setup();
    let done = t.syncobj(false);
    let empty = t.syncobj(false);
    let ready = t.syncobj(true);
    let ok_map = |syncs: &[drm_panthor_sync_op]| t.map(0x20_0000, syncs);
    let cases: Vec<(&str, Vec<drm_panthor_sync_op>, kernel::Error)> = vec![
        (
            "wait on an unknown handle",
            vec![wait(99), signal(done)],
            ENOENT,
        ),
        (
            "wait on a syncobj with no fence",
            vec![wait(empty), signal(done)],
            EINVAL,
        ),
        (
            "signal to an unknown handle",
            vec![wait(ready), signal(99)],
            EINVAL,
        ),
        (
            "unknown sync flag",
            vec![drm_panthor_sync_op {
                flags: 1 << 8,
                handle: ready,
                timeline_value: 0,
            }],
            EINVAL,
        ),
        (
            "handle type 2",
            vec![drm_panthor_sync_op {
                flags: 2,
                handle: ready,
                timeline_value: 0,
            }],
            EINVAL,
        ),
        (
            "binary with a timeline value",
            vec![drm_panthor_sync_op {
                flags: 0,
                handle: ready,
                timeline_value: 3,
            }],
            EINVAL,
        ),
        (
            "timeline point not submitted",
            vec![tl(empty, 4, false)],
            EINVAL,
        ),
    ];
    for (name, syncs, err) in cases {
        let (r, count) = t.bind(&[ok_map(&syncs), ok_map(&[])]);
        assert_eq!(r, Err(err), "{name}");
        assert_eq!(count, 2, "{name}: ops.count is not rewritten");
        assert!(t.vas().is_empty(), "{name}: nothing mapped");
        assert_eq!(
            t.wait_syncobj(done, 0, 0),
            Err(EINVAL),
            "{name}: the out-syncobj got no fence"
        );
    }
    let sync_only_empty = drm_panthor_vm_bind_op {
        flags: op_type::SYNC_ONLY,
        ..Default::default()
    };
    assert_eq!(
        t.bind(&[sync_only_empty]).0,
        Err(EINVAL),
        "SYNC_ONLY without syncs"
    );
    let mut b = drm_panthor_vm_bind {
        vm_id: 77,
        flags: bind_flags::ASYNC,
        ops: arr::<drm_panthor_vm_bind_op>(&[]),
    };
    assert_eq!(
        ioctl(&t.f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b),
        Err(EINVAL),
        "unknown VM"
    );
    let unaligned = drm_panthor_vm_bind_op {
        bo_handle: t.bo,
        va: 0x800,
        size: K,
        ..Default::default()
    };
    assert_eq!(t.bind(&[unaligned]).0, Err(EINVAL));
}

#[test]
fn a_later_op_waits_on_what_an_earlier_op_of_the_same_ioctl_signals() {
    let t = setup();
    let mid = t.syncobj(false);
    let done = t.syncobj(false);
    // `mid` has no fence before the ioctl: the wait of op 1 can only be satisfied by op 0's job.
    let s0 = [signal(mid)];
    let s1 = [wait(mid), signal(done)];
    let (r, _) = t.bind(&[t.map(0x30_0000, &s0), t.map(0x40_0000, &s1)]);
    assert_eq!(r, Ok(()));
    assert_eq!(t.wait_syncobj(done, 0, 5000), Ok(()));
    assert_eq!(t.vas(), [(0x30_0000, K), (0x40_0000, K)]);
}

#[test]
fn timeline_points_are_added_and_the_bind_fence_lands_in_the_bo_resv() {
    let t = setup();
    let tlh = t.syncobj(false);
    let (r, _) = t.bind(&[t.map(0x50_0000, &[tl(tlh, 7, true)])]);
    assert_eq!(r, Ok(()));
    assert_eq!(t.wait_syncobj(tlh, 7, 5000), Ok(()));
    let (hs, mut pts) = ([tlh], [0u64]);
    let mut q = drm_syncobj_timeline_array {
        handles: hs.as_ptr() as u64,
        points: pts.as_mut_ptr() as u64,
        count_handles: 1,
        flags: 0,
    };
    ioctl(&t.f, DRM_IOCTL_SYNCOBJ_QUERY, &mut q).unwrap();
    assert_eq!(pts[0], 7);
    // A later bind waiting on point 7 is accepted.
    let (r, _) = t.bind(&[t.map(0x60_0000, &[tl(tlh, 7, false)])]);
    assert_eq!(r, Ok(()));
    // The BO is not private to the VM: it is an external object, and the ioctl added the bind fences to its resv
    // before returning (nothing to wait for).
    let bo = t.f.objects().lookup(t.bo).unwrap();
    let mut g = bo.gem().resv().lock();
    assert!(g.fences().iter(DmaResvUsage::Bookkeep).count() >= 1);
}

#[test]
fn allocation_failures_anywhere_in_the_ioctl_leave_everything_as_it_was() {
    let t = setup();
    let ready = t.syncobj(false);
    t.signal_syncobj(ready);
    let (bin, tlh) = (t.syncobj(false), t.syncobj(false));
    let syncs = [wait(ready), signal(bin), tl(tlh, 3, true)];
    let ops = [
        t.map(0x10_0000, &syncs),
        t.map(0x20_0000, &[tl(tlh, 4, true)]),
    ];
    let vm = tyr::debugfs::vm(&t.f, t.vm).unwrap();
    let mut failed = 0;
    let mut succeeded = false;
    for n in 0..10_000 {
        let guard = kernel::alloc::fault::fail_nth(n);
        let (r, count) = t.bind(&ops);
        drop(guard);
        assert_eq!(count, 2);
        match r {
            Err(e) => {
                assert_eq!(e, kernel::code::ENOMEM, "allocation {n}");
                failed += 1;
                vm.deferred_cleanup();
                assert!(t.vas().is_empty(), "allocation {n}: nothing mapped");
                assert_eq!(vm.pending_binds(), 0, "allocation {n}: no job queued");
                assert!(
                    t.f.syncobjs().lookup(bin).unwrap().fence().is_none(),
                    "allocation {n}: binary untouched"
                );
                assert!(
                    t.f.syncobjs().lookup(tlh).unwrap().fence().is_none(),
                    "allocation {n}: no timeline point"
                );
                assert_eq!(t.vm_state(), 0);
            }
            Ok(()) => {
                succeeded = true;
                break;
            }
        }
    }
    assert!(
        succeeded,
        "still ENOMEM after 10 000 allocation points: the operation never succeeds"
    );
    assert!(
        failed > 5,
        "the sweep reached the ioctl's allocations ({failed})"
    );
    assert_eq!(t.wait_syncobj(tlh, 4, 5000), Ok(()));
    assert_eq!(t.wait_syncobj(bin, 0, 5000), Ok(()));
    assert_eq!(t.vas(), [(0x10_0000, K), (0x20_0000, K)]);
}
