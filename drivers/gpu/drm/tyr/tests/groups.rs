//! Groups through the ioctl path (`panthor-uapi.md` §7.8–§7.10): GROUP_CREATE's checks in Panthor's order, the
//! buffers a group gets (sync objects and rings in its VM's kernel area, suspend buffers and user-I/O pages in the
//! MCU VM), GROUP_DESTROY and GROUP_GET_STATE, and what the scheduler does with a job: the CSG slot it binds, and a
//! job the GPU never completes timing out into a TIMEDOUT group with failed fences.

use std::sync::Arc;
use std::time::Duration;

use kernel::code::{EACCES, EBUSY, EINVAL, ETIMEDOUT};
use kernel::drm::ioctl::Caller;
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

struct T {
    _soc: Rk3588,
    dev: Arc<TyrDrmDevice>,
    f: Arc<TyrDrmFile>,
    vm: u32,
}

fn ioctl<A: AsBytes + FromBytes>(f: &TyrDrmFile, cmd: u32, arg: &mut A) -> kernel::Result {
    f.ioctl(cmd, UserPtr(arg as *mut A as usize))
}

fn setup() -> T {
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    let f = TyrDrmFile::open(&dev, RENDER_CLIENT).unwrap();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    T { _soc: soc, dev, f, vm: vm.id }
}

fn queue(priority: u8, ringbuf_size: u32) -> drm_panthor_queue_create {
    drm_panthor_queue_create { priority, ringbuf_size, ..Default::default() }
}

impl T {
    /// IGT's `group_create_simple` arguments for `queues`.
    fn args(&self, queues: &[drm_panthor_queue_create]) -> drm_panthor_group_create {
        drm_panthor_group_create {
            queues: drm_panthor_obj_array { stride: 8, count: queues.len() as u32, array: queues.as_ptr() as u64 },
            max_compute_cores: 1,
            max_fragment_cores: 1,
            max_tiler_cores: 1,
            priority: 1,
            compute_core_mask: 1,
            fragment_core_mask: 1,
            tiler_core_mask: 1,
            vm_id: self.vm,
            ..Default::default()
        }
    }

    fn create(&self, a: &mut drm_panthor_group_create) -> kernel::Result<u32> {
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_CREATE, a).map(|()| a.group_handle)
    }

    fn state(&self, h: u32) -> kernel::Result<(u32, u32)> {
        let mut s = drm_panthor_group_get_state { group_handle: h, ..Default::default() };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut s).map(|()| (s.state, s.fatal_queues))
    }
}

#[test]
fn group_create_checks_in_panthors_order() {
    let t = setup();
    let q = [queue(0, 4096)];
    let good = t.args(&q);
    let cases: Vec<(&str, drm_panthor_group_create, kernel::Error)> = vec![
        ("no queue", drm_panthor_group_create { queues: drm_panthor_obj_array::default(), ..good }, EINVAL),
        ("priority 4", drm_panthor_group_create { priority: 4, ..good }, EINVAL),
        ("HIGH unprivileged", drm_panthor_group_create { priority: 2, ..good }, EACCES),
        ("pad", drm_panthor_group_create { pad: 1, ..good }, EINVAL),
        ("compute mask outside shader_present", drm_panthor_group_create { compute_core_mask: 2, ..good }, EINVAL),
        ("tiler mask outside tiler_present", drm_panthor_group_create { tiler_core_mask: 2, ..good }, EINVAL),
        ("fewer cores than the maximum", drm_panthor_group_create { max_compute_cores: 2, ..good }, EINVAL),
        ("unknown VM", drm_panthor_group_create { vm_id: 9, ..good }, EINVAL),
    ];
    for (name, mut a, err) in cases {
        assert_eq!(t.create(&mut a), Err(err), "{name}");
    }
    for bad in [queue(0, 3000), queue(0, 2048), queue(0, 0x2_0000), queue(16, 4096)] {
        let qs = [bad];
        assert_eq!(t.create(&mut t.args(&qs)), Err(EINVAL), "queue {bad:?}");
    }
    let nine: Vec<_> = (0..9).map(|_| queue(0, 4096)).collect();
    assert_eq!(t.create(&mut t.args(&nine)), Err(EINVAL), "more queues than CS slots");
    assert!(t.f.data().groups().is_empty(), "failures leave no group");

    let master = TyrDrmFile::open(&t.dev, Caller { render_node: false, master: true, ..RENDER_CLIENT }).unwrap();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&master, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let mut high = drm_panthor_group_create { priority: 3, vm_id: vm.id, ..good };
    assert_eq!(ioctl(&master, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut high), Ok(()), "REALTIME for the master");
}

#[test]
fn groups_get_handles_buffers_and_go_away() {
    let t = setup();
    let qs = [queue(3, 4096), queue(0, 16384)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    assert_eq!(h, 1);
    let g = t.f.data().groups().get(h).unwrap();
    let vm = t.f.data().vms().get(t.vm).unwrap();
    let kernel_area = vm.kernel_va_area();
    assert!(kernel_area.contains(&g.syncobjs.va()));
    assert!(kernel_area.contains(&g.queues[1].ring.va()));
    assert_eq!(g.queues[1].ring.size(), 16384);
    let mcu = t.dev.data().sched().mcu_vm().kernel_va_area();
    assert!(mcu.contains(&g.suspend.va()) && mcu.contains(&g.queues[0].io.va()));
    assert_eq!(t.state(h), Ok((0, 0)));
    let mut s = drm_panthor_group_get_state { group_handle: h, pad: 1, ..Default::default() };
    assert_eq!(ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &mut s), Err(EINVAL));
    assert_eq!(t.state(77), Err(EINVAL));

    let mut d = drm_panthor_group_destroy { group_handle: h, pad: 1 };
    assert_eq!(ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d), Err(EINVAL), "pad");
    d.pad = 0;
    ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d).unwrap();
    assert_eq!(ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &mut d), Err(EINVAL), "gone");
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

#[test]
fn submit_checks_and_a_job_that_never_completes_times_out() {
    let t = setup();
    t.dev.data().sched().set_job_timeout(Duration::from_millis(300));
    let qs = [queue(0, 4096)];
    let h = t.create(&mut t.args(&qs)).unwrap();
    let mut c = drm_syncobj_create::default();
    ioctl(&t.f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c).unwrap();
    let sync = [drm_panthor_sync_op { flags: 1 << 31, handle: c.handle, timeline_value: 0 }];
    let submit = |q: drm_panthor_queue_submit, pad: u32| {
        let subs = [q];
        let mut a = drm_panthor_group_submit {
            group_handle: h,
            pad,
            queue_submits: drm_panthor_obj_array { stride: 40, count: 1, array: subs.as_ptr() as u64 },
        };
        ioctl(&t.f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut a)
    };
    let job = drm_panthor_queue_submit {
        queue_index: 0,
        stream_size: 8,
        stream_addr: 0x10_0000,
        syncs: drm_panthor_obj_array { stride: 16, count: 1, array: sync.as_ptr() as u64 },
        ..Default::default()
    };
    assert_eq!(submit(job, 1), Err(EINVAL), "pad");
    assert_eq!(submit(drm_panthor_queue_submit { stream_size: 0, ..job }, 0), Err(EINVAL), "size 0, address set");
    assert_eq!(submit(drm_panthor_queue_submit { stream_addr: 0x10_0020, ..job }, 0), Err(EINVAL), "alignment");
    assert_eq!(submit(drm_panthor_queue_submit { stream_size: 12, ..job }, 0), Err(EINVAL), "size alignment");
    assert_eq!(submit(drm_panthor_queue_submit { latest_flush: 1 << 24, ..job }, 0), Err(EINVAL), "flush id");
    assert_eq!(submit(drm_panthor_queue_submit { queue_index: 1, ..job }, 0), Err(EINVAL), "queue index");
    assert!(t.f.syncobjs().lookup(c.handle).unwrap().fence().is_none(), "failed submits signal nothing");

    submit(job, 0).unwrap();
    let fence = t.f.syncobjs().lookup(c.handle).unwrap().fence().expect("the fence is attached before the return");
    // The group gets a slot; the stream (here a NOP never executed by a GPU that runs nothing) does not complete.
    fence.wait_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(fence.error(), Some(ETIMEDOUT));
    assert_eq!(t.state(h), Ok((1, 0)), "TIMEDOUT");
    assert_eq!(submit(job, 0), Err(EINVAL), "a timed-out group takes no more jobs");
}
