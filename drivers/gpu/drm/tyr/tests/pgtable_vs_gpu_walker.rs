// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The two independent readers of the GPU page tables agree: what `kernel::io_pgtable` writes (driven with Panthor's
//! loops) is what the modelled Mali MMU — its own ARMv8 walker, reached through MMIO as Panthor programs it — translates,
//! including read-only and no-exec permissions, and unmapped addresses fault on the GPU.

use std::sync::Arc;

use hw_mali::mmu::AccessType;
use hw_mali::regs::{as_command, irq, mmu};
use hw_mali::{Mali, MaliConfig, PortError, Timing};
use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::prot::*;
use kernel::io_pgtable::{ArmLpaeS1, Config, IoPageTable};
use proptest::prelude::*;
use tyr::debugfs::pgtable::{map_range, unmap_range};

/// AS_MEMATTR and AS_TRANSCFG as Panthor programs them for an enabled AS on RK3588
/// (`Documentation/hardware.md#register-map`).
const MEMATTR: u64 = 0x8F8F_8F8F_8C4C_8F4C;
const TRANSCFG: u64 = 0x4200_01C6;
const AS: usize = 3;

fn as_reg(r: u32) -> u32 {
    mmu::AS_BASE + AS as u32 * mmu::AS_STRIDE + r
}

struct Gpu {
    mali: Arc<Mali>,
}

impl Gpu {
    fn new(ram: &Arc<Ram>, ttbr: u64) -> Self {
        let mali = Mali::new(
            ram.clone(),
            MaliConfig {
                timing: Timing::INSTANT,
                ..MaliConfig::default()
            },
        );
        mali.write64(as_reg(mmu::TRANSTAB), ttbr).unwrap();
        mali.write64(as_reg(mmu::MEMATTR), MEMATTR).unwrap();
        mali.write64(as_reg(mmu::TRANSCFG), TRANSCFG).unwrap();
        mali.write32(as_reg(mmu::COMMAND), as_command::UPDATE)
            .unwrap();
        Self { mali }
    }

    /// Drops every cached translation after the tables changed (what Panthor's LOCK/FLUSH_PT/UNLOCK achieves).
    fn flush(&self) {
        self.mali
            .write32(as_reg(mmu::COMMAND), as_command::UPDATE)
            .unwrap();
    }

    /// Translates through the GPU; a fault is recorded by the MMU, so clear it for the next probe.
    fn translate(&self, va: u64, access: AccessType) -> Option<u64> {
        match self.mali.gpu_translate(AS, va, access) {
            Ok(pa) => Some(pa),
            Err(PortError::Fault { .. }) => {
                let bits = (1u32 << AS) | (1u32 << (AS + 16));
                self.mali.write32(mmu::IRQ_BASE + irq::CLEAR, bits).unwrap();
                None
            }
            Err(e) => panic!("unexpected port error at {va:#x}: {e}"),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Map {
        va: u64,
        pa: u64,
        size: u64,
        prot: u32,
    },
    Unmap {
        va: u64,
        size: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    // A 64 MiB window so maps collide and 2 MiB blocks occur; PAs anywhere below 1 TiB (never dereferenced).
    let page = 4096u64;
    let prot = prop_oneof![
        Just(READ | WRITE | CACHE),
        Just(READ),
        Just(READ | WRITE | NOEXEC),
        Just(READ | NOEXEC)
    ];
    prop_oneof![
        3 => (0..16384u64, 0..(1u64 << 28), 1..1200u64, prop::bool::ANY, prot).prop_map(move |(v, p, n, align2m, prot)| {
            let (va, pa) = if align2m { (v / 512 * 512 * page, p / 512 * 512 * page) } else { (v * page, p * page) };
            Op::Map { va, pa, size: n * page, prot }
        }),
        1 => (0..16384u64, 1..1200u64).prop_map(move |(v, n)| Op::Unmap { va: v * page, size: n * page }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn gpu_walker_agrees_with_io_pgtable(ops in prop::collection::vec(op(), 1..24), probes in prop::collection::vec(0..(64u64 << 20), 64)) {
        let ram = Arc::new(Ram::new(RamConfig::default()).unwrap());
        let mut pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588).unwrap();
        let gpu = Gpu::new(&ram, pt.ttbr());
        let mut prots = std::collections::BTreeMap::new();
        for op in &ops {
            match *op {
                Op::Map { va, pa, size, prot } => {
                    if map_range(&mut pt, va, pa, size, prot).is_ok() {
                        for p in (va..va + size).step_by(4096) {
                            prots.insert(p, prot);
                        }
                    }
                }
                Op::Unmap { va, size } => {
                    // A failed unmap may have removed a prefix: forget what the table no longer maps.
                    let _ = unmap_range(&mut pt, va, size);
                    for p in (va..va + size).step_by(4096) {
                        if pt.iova_to_phys(p as usize) == 0 {
                            prots.remove(&p);
                        }
                    }
                }
            }
        }
        gpu.flush();
        // Probe every mapped page start and random addresses.
        let mapped: Vec<u64> = prots.keys().copied().step_by(7).collect();
        for va in mapped.iter().copied().chain(probes) {
            let want = pt.iova_to_phys(va as usize);
            let got = gpu.translate(va, AccessType::Read);
            if want == 0 {
                prop_assert_eq!(got, None, "GPU translated unmapped {:#x}", va);
                continue;
            }
            prop_assert_eq!(got, Some(want), "read translation of {:#x}", va);
            let prot = prots[&(va & !0xfff)];
            let w = gpu.translate(va, AccessType::Write);
            prop_assert_eq!(w.is_some(), prot & WRITE != 0, "write permission at {:#x} (prot {:#x})", va, prot);
            let x = gpu.translate(va, AccessType::Execute);
            prop_assert_eq!(x.is_some(), prot & NOEXEC == 0, "execute permission at {:#x} (prot {:#x})", va, prot);
        }
    }
}

#[test]
fn forgetting_the_flush_leaves_the_gpu_on_stale_translations() {
    let ram = Arc::new(Ram::new(RamConfig::default()).unwrap());
    let mut pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588).unwrap();
    let gpu = Gpu::new(&ram, pt.ttbr());
    map_range(&mut pt, 0x10_0000, 0x8000_0000, 0x1000, READ | WRITE).unwrap();
    assert_eq!(
        gpu.translate(0x10_0000, AccessType::Read),
        Some(0x8000_0000)
    );
    unmap_range(&mut pt, 0x10_0000, 0x1000).unwrap();
    map_range(&mut pt, 0x10_0000, 0x9000_0000, 0x1000, READ | WRITE).unwrap();
    assert_eq!(
        gpu.translate(0x10_0000, AccessType::Read),
        Some(0x8000_0000),
        "cached, as on silicon"
    );
    gpu.flush();
    assert_eq!(
        gpu.translate(0x10_0000, AccessType::Read),
        Some(0x9000_0000)
    );
}
