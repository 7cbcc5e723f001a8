// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Property tests: LOCKADDR encoding against the drivers' rule, and the walker against a plain map of pages.

mod common;

use std::collections::HashMap;

use common::pte::*;
use common::*;
use hw_mali::mmu::{AccessType, FaultClass, Region};
use hw_mali::regs::{irq, mmu};
use hw_mali::PortError;
use proptest::prelude::*;

/// The drivers' encoding (`Documentation/hardware.md#mmu_control-and-address-spaces`): region log2 = max(15, index of
/// the highest bit that differs between start and end − 1, plus one); SIZE = log2 − 1; base with the bits below the
/// region cleared (Tyr) or below SIZE only (Panthor).
fn encode(start: u64, len: u64, panthor: bool) -> u64 {
    let last = start + len - 1;
    let log2 = (64 - (start ^ last).leading_zeros()).max(15);
    let size = u64::from(log2 - 1);
    let keep = if panthor { size } else { u64::from(log2) };
    let base = if keep >= 64 {
        0
    } else {
        start & !((1u64 << keep) - 1)
    };
    (base & !0xFFF) | size
}

proptest! {
    #[test]
    fn locked_region_covers_the_requested_range(start in 0u64..(1 << 48), len in 1u64..(1 << 40)) {
        let start = start & !0xFFF;
        let r = Region::from_lockaddr(encode(start, len, false));
        prop_assert!(r.contains(start));
        prop_assert!(r.contains(start + len - 1));
        prop_assert!(r.size_log2() >= 15);
    }

    #[test]
    fn panthor_and_tyr_encodings_lock_the_same_region(start in 0u64..(1 << 48), len in 1u64..(1 << 40)) {
        let start = start & !0xFFF;
        prop_assert_eq!(Region::from_lockaddr(encode(start, len, true)), Region::from_lockaddr(encode(start, len, false)));
    }

    #[test]
    fn locked_region_is_the_smallest_aligned_power_of_two(start in 0u64..(1 << 48), len in 1u64..(1 << 30)) {
        let start = start & !0xFFF;
        let r = Region::from_lockaddr(encode(start, len, false));
        if r.size_log2() > 15 {
            let half = Region::containing(start, r.size_log2() - 1);
            prop_assert!(!half.contains(start + len - 1), "a region half the size would have covered it");
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Leaf {
    pa: u64,
    ro: bool,
    xn: bool,
}

fn arb_pages() -> impl Strategy<Value = Vec<(u64, u64, bool, bool)>> {
    // VAs spread over a few L0/L1/L2 slots so the tables branch; PAs anywhere below 40 bits.
    let vpn = (0u64..4, 0u64..4, 0u64..4, 0u64..512)
        .prop_map(|(a, b, c, d)| a << 27 | b << 18 | c << 9 | d);
    prop::collection::vec((vpn, 1u64..(1 << 28), any::<bool>(), any::<bool>()), 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn walker_agrees_with_a_plain_page_map(pages in arb_pages(), probes in prop::collection::vec((0u64..4, 0u64..4, 0u64..4, 0u64..512, 0u64..4096), 1..40)) {
        let r = rig();
        let pt = Pt::new(&r.ram);
        let mut model: HashMap<u64, Leaf> = HashMap::new();
        for &(vpn, pfn, ro, xn) in &pages {
            let bits = RW_CACHED | if ro { AP_RO } else { 0 } | if xn { XN | PXN } else { 0 };
            pt.page(vpn << 12, pfn << 12, bits);
            model.insert(vpn, Leaf { pa: pfn << 12, ro, xn });
        }
        r.enable_as(1, pt.root);
        let mapped = model.keys().map(|&v| (v, 0x123)).collect::<Vec<_>>();
        let random = probes.iter().map(|&(a, b, c, d, off)| (a << 27 | b << 18 | c << 9 | d, off));
        for (vpn, off) in mapped.into_iter().chain(random) {
            let va = vpn << 12 | off;
            for access in [AccessType::Read, AccessType::Write, AccessType::Execute] {
                let got = r.gpu.gpu_translate(1, va, access);
                match model.get(&vpn) {
                    Some(l) => {
                        let denied = match access {
                            AccessType::Write | AccessType::Atomic => l.ro,
                            AccessType::Execute => l.xn,
                            AccessType::Read => false,
                        };
                        if denied {
                            let ok = matches!(got, Err(PortError::Fault { fault, .. }) if fault.class == FaultClass::Permission && fault.level == 3);
                            prop_assert!(ok, "expected a level-3 permission fault, got {:?}", got);
                        } else {
                            prop_assert_eq!(got, Ok(l.pa + off));
                        }
                    }
                    None => {
                        let ok = matches!(got, Err(PortError::Fault { fault, .. }) if fault.class == FaultClass::Translation);
                        prop_assert!(ok, "expected a translation fault, got {:?}", got);
                    }
                }
                if got.is_err() {
                    prop_assert_eq!(r.faultaddress(1), va);
                    r.w32(mmu::IRQ_BASE + irq::CLEAR, 1 << 1);
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Read(u32),
    Write(u32, u32),
    Advance(u64),
    Port(usize, u64, bool),
}

fn arb_offset() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..0x1000,
        0x1000u32..0x1010,
        0x2000u32..0x2010,
        0x2400u32..0x2800,
        Just(0x1_0000u32),
        (0u32..30).prop_map(|i| 0x8_0000 + i * 0x1_0000),
        any::<u32>(),
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        arb_offset().prop_map(Op::Read),
        (
            arb_offset(),
            prop_oneof![any::<u32>(), 0u32..8, Just(0x101u32), Just(2u32)]
        )
            .prop_map(|(o, v)| Op::Write(o, v)),
        (0u64..50_000).prop_map(Op::Advance),
        (0usize..10, any::<u64>(), any::<bool>()).prop_map(|(a, va, w)| Op::Port(a, va, w)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever a driver writes, in whatever order, the model answers with values or errors and never panics; STAT is
    /// always RAWSTAT & MASK and each line follows it.
    #[test]
    fn arbitrary_mmio_never_panics_and_lines_follow_stat(ops in prop::collection::vec(arb_op(), 1..200)) {
        let r = rig();
        for op in ops {
            match op {
                Op::Read(o) => { let _ = r.gpu.read32(o); }
                Op::Write(o, v) => { let _ = r.gpu.write32(o, v); }
                Op::Advance(ns) => r.gpu.advance(ns),
                Op::Port(a, va, w) => {
                    let _ = if w { r.gpu.gpu_write_u32(a, va, 1) } else { r.gpu.gpu_read_u32(a, va).map(|_| ()) };
                }
            }
        }
        r.gpu.run_until_idle();
        for (base, kind) in [(0x20u32, hw_mali::IrqKind::Gpu), (0x1000, hw_mali::IrqKind::Job), (0x2000, hw_mali::IrqKind::Mmu)] {
            let raw = r.r32(base + irq::RAWSTAT);
            let mask = r.r32(base + irq::MASK);
            prop_assert_eq!(r.r32(base + irq::STAT), raw & mask);
            prop_assert_eq!(r.gpu.irq_line(kind).is_asserted(), raw & mask != 0);
        }
    }
}
