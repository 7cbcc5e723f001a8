// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The kernel's drm_gpuvm.c (the benchmark peer, `tyr-kpeer`) and ours give the same answer to every request of the
//! benchmark's workloads and leave the same VAs, so the GPUVM benchmark compares equals. Skipped (passes trivially)
//! only when the peer was built without its sources.

use tyr_cli::replay::gpuvm::{Command, Replay};
use tyr_cli::replay::workload;
use tyr_kpeer::{available, KernelGpuVm, Va};

fn our_vas(r: &Replay) -> Vec<Va> {
    r.core().map_or_else(Vec::new, |c| {
        c.vas()
            .map(|va| Va {
                addr: va.addr(),
                range: va.length(),
                obj: va.vm_bo().map(|b| *b.data()),
                offset: va.gem_offset(),
            })
            .collect()
    })
}

fn run_both(cmds: &[Command]) {
    let mut ours = Replay::new();
    let mut peer: Option<KernelGpuVm> = None;
    for (i, c) in cmds.iter().enumerate() {
        let a = ours.exec(c, None).unwrap().map_err(|e| e.to_errno().abs());
        let b = match *c {
            Command::Init {
                start,
                range,
                reserve,
            } => {
                drop(peer.take());
                peer = Some(KernelGpuVm::new(start, range, reserve).unwrap());
                Ok(())
            }
            Command::Map {
                addr,
                range,
                obj,
                offset,
            } => peer.as_mut().unwrap().sm_map(addr, range, obj, offset),
            Command::Unmap { addr, range } => peer.as_mut().unwrap().sm_unmap(addr, range),
            Command::Dump => Ok(()),
        }
        .map_err(|e| match e {
            tyr_kpeer::Error::Errno(e) => e,
            e => panic!("{e}"),
        });
        assert_eq!(a, b, "command {i}: {c:?}");
        if i % 400 == 0 || i + 1 == cmds.len() {
            assert_eq!(
                our_vas(&ours),
                peer.as_ref().unwrap().vas(),
                "after command {i}"
            );
        }
    }
}

#[test]
fn overlapping_workload_agrees_request_by_request() {
    if !available() {
        return;
    }
    let cmds = workload::overlap(4000, 300, 7);
    run_both(&cmds);
}

#[test]
fn disjoint_workload_agrees_and_empties_both() {
    if !available() {
        return;
    }
    let cmds = workload::disjoint(1000, 3);
    run_both(&cmds);
    let mut peer = KernelGpuVm::new(0x1_0000_0000, 0x8000_0000_0000, None).unwrap();
    for c in &cmds[1..] {
        match *c {
            Command::Map {
                addr,
                range,
                obj,
                offset,
            } => peer.sm_map(addr, range, obj, offset).unwrap(),
            Command::Unmap { addr, range } => peer.sm_unmap(addr, range).unwrap(),
            _ => {}
        }
    }
    assert_eq!(peer.num_vas(), 0);
    assert_eq!(peer.steps().map, 1000);
    assert_eq!(peer.steps().unmap, 1000);
}
