// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Many threads creating and binding shared (external) objects into several VMs, locking each bind with `exec_lock`
//! (VM resv + every extobj resv, the new object's in a random position), finish without deadlock and leave the extobj
//! lists consistent with the mappings. Bounded by a timeout on a channel; no sleeps.

mod gpuvm_common;

use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use gpuvm_common::*;
use kernel::dma_fence::DmaFence;
use kernel::dma_resv::DmaResvUsage;
use kernel::drm::gem::GemObject;
use kernel::drm::gpuvm::{GpuVmCore, OpMapRequest, VaPrealloc};

const VMS: usize = 3;
const OBJS: usize = 6;
const THREADS: usize = 6;
const ROUNDS: u64 = 300;
const SLOTS: u64 = 32;

#[test]
fn threads_binding_shared_objects_into_several_vms_finish_with_consistent_extobj_lists() {
    let vms: Arc<Vec<Mutex<GpuVmCore<TestVm>>>> = Arc::new(
        (0..VMS)
            .map(|_| Mutex::new(new_vm(0..1 << 32, 0..0).0))
            .collect(),
    );
    let objs: Arc<Vec<Arc<GemObject>>> = Arc::new((0..OBJS).map(|_| new_obj()).collect());
    let (tx, rx) = mpsc::channel();
    for t in 0..THREADS {
        let (vms, objs, tx) = (vms.clone(), objs.clone(), tx.clone());
        thread::spawn(move || {
            let mut rng = 0xdead_beef_u64 ^ ((t as u64 + 1) * 0x9e37_79b9);
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let ctx = DmaFence::context_alloc();
            for seq in 0..ROUNDS {
                let v = next() as usize % VMS;
                let o = next() as usize % OBJS;
                let slot = next() % SLOTS;
                let mut core = vms[v].lock().unwrap();
                // Lock the VM, its extobjs and the object being bound, in one transaction.
                let obj_resv = objs[o].resv().clone();
                let mut exec = core.exec_lock(1, &[&obj_resv]).unwrap();
                let bo = core.obtain(&objs[o], o as u32, &mut exec).unwrap();
                let mut c = Ctx {
                    steps: Vec::new(),
                    pool: VaPrealloc::for_map(core.vm()).unwrap(),
                    nodes_used: 0,
                    alloc_in_step: None,
                    remap_rets: Vec::new(),
                };
                if next() % 3 == 0 {
                    core.sm_unmap(slot * 0x10000, 0x10000, &mut c).unwrap();
                } else {
                    let req = OpMapRequest {
                        addr: slot * 0x10000,
                        range: 0x10000,
                        gem_offset: 0,
                        vm_bo: Some(&bo),
                        flags: 0,
                    };
                    core.sm_map(req, &mut c).unwrap();
                }
                let fence = DmaFence::new(ctx, seq).unwrap();
                core.resv_add_fence(
                    &mut exec,
                    &fence,
                    DmaResvUsage::Bookkeep,
                    DmaResvUsage::Bookkeep,
                )
                .unwrap();
                drop(bo);
                drop(exec);
                core.deferred_cleanup();
                fence.signal().unwrap();
            }
            tx.send(t).unwrap();
        });
    }
    for _ in 0..THREADS {
        rx.recv_timeout(Duration::from_secs(120))
            .expect("bind threads deadlocked (or panicked)");
    }
    for core in vms.iter() {
        let core = core.lock().unwrap();
        let mapped: std::collections::BTreeSet<u32> =
            vas(&core).iter().filter_map(|v| v.2).collect();
        let mut g = core.resv().lock();
        let ext: std::collections::BTreeSet<u32> = core
            .extobjs(&mut g)
            .unwrap()
            .iter()
            .map(|b| *b.data())
            .collect();
        // Every object still mapped is on the extobj list, and nothing else is (unmapped pairs were cleaned up).
        assert_eq!(ext, mapped);
        for b in core.extobjs(&mut g).unwrap() {
            assert_eq!(
                b.va_count(),
                vas(&core).iter().filter(|v| v.2 == Some(*b.data())).count()
            );
        }
    }
    for o in objs.iter() {
        assert!(!o.resv().is_locked());
    }
}
