// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! GPU job submission on the modelled RK3588: `cargo bench -p tyr --bench submit`.
//!
//! - **latency**: GROUP_SUBMIT of a one-instruction stream (NOP) signalling a syncobj, then SYNCOBJ_WAIT on it — the
//!   whole path: ioctl, job creation, ring write, doorbell, the model's MCU and CS interpreter, SYNC_UPDATE, the JOB
//!   IRQ, completion, the fence, the syncobj;
//! - **throughput**: 256 such jobs submitted back to back, then a wait for the last, on one queue and spread over four
//!   queues of one group and over four groups.
//!
//! Peer, measured in the same run: the same round trip through the driver's other job queue — an asynchronous
//! VM_BIND with one SYNC_ONLY op signalling a syncobj — which runs on a CPU worker with no GPU in the loop. The ratio
//! says what the GPU path (firmware interface, doorbells, interrupts, sync objects in GPU memory) adds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kernel::drm::gem::IntoGemObject;
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

struct Bench {
    f: Arc<TyrDrmFile>,
    _dev: Arc<TyrDrmDevice>,
    vm: u32,
    _soc: Rk3588,
}

fn ioctl<A: AsBytes + FromBytes>(f: &TyrDrmFile, cmd: u32, arg: &mut A) {
    f.ioctl(cmd, UserPtr(arg as *mut A as usize)).unwrap()
}

fn arr<E>(v: &[E]) -> drm_panthor_obj_array {
    drm_panthor_obj_array {
        stride: size_of::<E>() as u32,
        count: v.len() as u32,
        array: v.as_ptr() as u64,
    }
}

const STREAM_VA: u64 = 0x100_0000;

impl Bench {
    fn new() -> Bench {
        let soc = Rk3588::new().unwrap();
        let dev = probe(soc.gpu()).unwrap();
        let f = TyrDrmFile::open(&dev, RENDER_CLIENT).unwrap();
        let mut vm = drm_panthor_vm_create::default();
        ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm);
        let mut b = drm_panthor_bo_create {
            size: 4096,
            ..Default::default()
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut b);
        let op = [drm_panthor_vm_bind_op {
            bo_handle: b.handle,
            va: STREAM_VA,
            size: 4096,
            ..Default::default()
        }];
        ioctl(
            &f,
            DRM_IOCTL_PANTHOR_VM_BIND,
            &mut drm_panthor_vm_bind {
                vm_id: vm.id,
                flags: 0,
                ops: arr(&op),
            },
        );
        // The BO is zeroed: its first word is a NOP, the one-instruction stream.
        let _ = f
            .objects()
            .lookup(b.handle)
            .unwrap()
            .gem()
            .get_pages()
            .unwrap();
        Bench {
            f,
            _dev: dev,
            vm: vm.id,
            _soc: soc,
        }
    }

    fn group(&self, queues: usize) -> u32 {
        let qs: Vec<_> = (0..queues)
            .map(|_| drm_panthor_queue_create {
                priority: 0,
                ringbuf_size: 65536,
                ..Default::default()
            })
            .collect();
        let mut g = drm_panthor_group_create {
            queues: arr(&qs),
            max_compute_cores: 1,
            max_fragment_cores: 1,
            max_tiler_cores: 1,
            priority: 1,
            compute_core_mask: 1,
            fragment_core_mask: 1,
            tiler_core_mask: 1,
            vm_id: self.vm,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_CREATE, &mut g);
        g.group_handle
    }

    fn syncobj(&self) -> u32 {
        let mut c = drm_syncobj_create::default();
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_CREATE, &mut c);
        c.handle
    }

    fn submit(&self, group: u32, queue: u32, out: u32) {
        let sync = [drm_panthor_sync_op {
            flags: 1 << 31,
            handle: out,
            timeline_value: 0,
        }];
        let subs = [drm_panthor_queue_submit {
            queue_index: queue,
            stream_size: 8,
            stream_addr: STREAM_VA,
            syncs: arr(&sync),
            ..Default::default()
        }];
        let mut s = drm_panthor_group_submit {
            group_handle: group,
            pad: 0,
            queue_submits: arr(&subs),
        };
        ioctl(&self.f, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &mut s);
    }

    fn sync_only_bind(&self, out: u32) {
        let sync = [drm_panthor_sync_op {
            flags: 1 << 31,
            handle: out,
            timeline_value: 0,
        }];
        let op = [drm_panthor_vm_bind_op {
            flags: 0x2000_0000,
            syncs: arr(&sync),
            ..Default::default()
        }];
        ioctl(
            &self.f,
            DRM_IOCTL_PANTHOR_VM_BIND,
            &mut drm_panthor_vm_bind {
                vm_id: self.vm,
                flags: 1,
                ops: arr(&op),
            },
        );
    }

    fn wait(&self, h: u32) {
        let hs = [h];
        let mut w = drm_syncobj_wait {
            handles: hs.as_ptr() as u64,
            timeout_nsec: (kernel::time::ktime_get_ns() + 10_000_000_000) as i64,
            count_handles: 1,
            ..Default::default()
        };
        ioctl(&self.f, DRM_IOCTL_SYNCOBJ_WAIT, &mut w);
    }
}

/// Median of `n` round trips of `one`, in microseconds.
fn median_us(n: usize, mut one: impl FnMut()) -> f64 {
    let mut t: Vec<Duration> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            one();
            t0.elapsed()
        })
        .collect();
    t.sort();
    t[n / 2].as_secs_f64() * 1e6
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let (lat_n, jobs) = if quick { (20, 32) } else { (500, 256) };
    let b = Bench::new();
    let g1 = b.group(1);
    let out = b.syncobj();

    let gpu = median_us(lat_n, || {
        b.submit(g1, 0, out);
        b.wait(out);
    });
    let peer = median_us(lat_n, || {
        b.sync_only_bind(out);
        b.wait(out);
    });
    println!(
        "{:<40} {:>12} {:>12} {:>8}",
        "submit -> signalled syncobj", "GPU job", "bind job", "ratio"
    );
    println!(
        "{:<40} {:>10.1}us {:>10.1}us {:>7.2}x",
        "latency (median)",
        gpu,
        peer,
        gpu / peer
    );

    let rate = |submit: &dyn Fn(usize)| {
        let t0 = Instant::now();
        for i in 0..jobs {
            submit(i);
        }
        b.wait(out);
        jobs as f64 / t0.elapsed().as_secs_f64()
    };
    let peer_rate = rate(&|_| b.sync_only_bind(out));
    let one = rate(&|_| b.submit(g1, 0, out));
    let g4 = b.group(4);
    let four_queues = {
        let outs: Vec<u32> = (0..4).map(|_| b.syncobj()).collect();
        let t0 = Instant::now();
        for i in 0..jobs {
            b.submit(g4, (i % 4) as u32, outs[i % 4]);
        }
        outs.iter().for_each(|&o| b.wait(o));
        jobs as f64 / t0.elapsed().as_secs_f64()
    };
    let groups: Vec<u32> = (0..4).map(|_| b.group(1)).collect();
    let four_groups = {
        let outs: Vec<u32> = (0..4).map(|_| b.syncobj()).collect();
        let t0 = Instant::now();
        for i in 0..jobs {
            b.submit(groups[i % 4], 0, outs[i % 4]);
        }
        outs.iter().for_each(|&o| b.wait(o));
        jobs as f64 / t0.elapsed().as_secs_f64()
    };
    println!(
        "{:<40} {:>10.0}/s {:>10.0}/s {:>7.2}x",
        "throughput, 1 queue",
        one,
        peer_rate,
        one / peer_rate
    );
    println!(
        "{:<40} {:>10.0}/s {:>10.0}/s {:>7.2}x",
        "throughput, 4 queues of 1 group",
        four_queues,
        peer_rate,
        four_queues / peer_rate
    );
    println!(
        "{:<40} {:>10.0}/s {:>10.0}/s {:>7.2}x",
        "throughput, 4 groups",
        four_groups,
        peer_rate,
        four_groups / peer_rate
    );
    println!("GPU job: one-NOP stream through GROUP_SUBMIT; bind job: async VM_BIND SYNC_ONLY (same run, no GPU)");
}
