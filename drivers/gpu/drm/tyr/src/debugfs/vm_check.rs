// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The VM half of the consistency checker: the GPUVM VA list and the page table agree.
//!
//! Every VA's pages are mapped, each to the frame of its BO at the VA's offset (every page of a sparse VA to the
//! VM's one dummy page), with the permissions its flags ask for; nothing outside the VAs is mapped. Read from the
//! page table itself, not from what the driver believes it wrote. Beyond the mappings: every table page the page
//! table counts is reachable from its root (no table page leaks), each VA's vm_bo counts exactly the VAs that name
//! it, is on the extobj list exactly when its BO is external, and [`check_vm_frames`] reports the frames the VM owns
//! so that a device-level checker ([`super::check`]) can account for every frame in RAM.

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

use kernel::drm::gem::IntoGemObject;
use kernel::io_pgtable::PteAttrs;
use kernel::page::PhysAddr;

use crate::uapi::map_flags;
use crate::vm::{VaView, Vm};

const PAGE: u64 = 0x1000;

/// A disagreement between the VA list and the page table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inconsistency {
    /// A page is mapped where no VA is.
    Stray {
        /// The page.
        iova: u64,
    },
    /// A VA's page is not mapped.
    Hole {
        /// The page.
        iova: u64,
    },
    /// A page maps the wrong frame.
    WrongFrame {
        /// The page.
        iova: u64,
        /// The frame the VA says.
        want: PhysAddr,
        /// The frame the table holds.
        got: PhysAddr,
    },
    /// A page's permissions differ from its VA's flags.
    WrongPermissions {
        /// The page.
        iova: u64,
        /// The VA's VM_BIND flags.
        flags: u32,
        /// The descriptor's attribute bits.
        attrs: u64,
    },
    /// A BO's pages could not be read.
    BoPages {
        /// The VA.
        va: u64,
    },
    /// The page table counts more (or fewer) table pages than its root reaches, or reaches one twice.
    TableLeak {
        /// Table pages counted live.
        live: usize,
        /// Distinct table pages reachable from the root.
        reachable: usize,
    },
    /// A vm_bo's VA count differs from the number of VAs naming it.
    VmBoCount {
        /// The first VA naming the vm_bo.
        va: u64,
        /// VAs naming it.
        want: usize,
        /// Its count.
        got: usize,
    },
    /// A vm_bo's extobj flag or extobj-list membership disagrees with whether its BO shares the VM's resv.
    ExtObj {
        /// The first VA naming the vm_bo.
        va: u64,
    },
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stray { iova } => write!(f, "{iova:#x} is mapped but lies in no VA"),
            Self::Hole { iova } => write!(f, "{iova:#x} lies in a VA but is not mapped"),
            Self::WrongFrame { iova, want, got } => {
                write!(f, "{iova:#x} maps {got:#x}, its VA says {want:#x}")
            }
            Self::WrongPermissions { iova, flags, attrs } => {
                write!(
                    f,
                    "{iova:#x} has attributes {attrs:#x}, its VA's flags are {flags:#x}"
                )
            }
            Self::BoPages { va } => write!(f, "the BO of the VA at {va:#x} has no pages"),
            Self::TableLeak { live, reachable } => {
                write!(
                    f,
                    "{live} table pages live but {reachable} distinct ones reachable from the root"
                )
            }
            Self::VmBoCount { va, want, got } => {
                write!(
                    f,
                    "the vm_bo of the VA at {va:#x} counts {got} VAs, {want} name it"
                )
            }
            Self::ExtObj { va } => write!(
                f,
                "the vm_bo of the VA at {va:#x} is wrongly on or off the extobj list"
            ),
        }
    }
}

impl std::error::Error for Inconsistency {}

/// Whether a leaf's attributes grant what VM_BIND `flags` ask: read-only, execute-never and cacheability.
fn perms_match(flags: u32, attrs: u64) -> bool {
    let a = PteAttrs::from_bits_truncate(attrs);
    let ro = a.contains(PteAttrs::AP_RDONLY);
    let xn = a.contains(PteAttrs::UXN);
    let idx = (attrs >> 2) & 7;
    ro == (flags & map_flags::READONLY != 0)
        && xn == (flags & map_flags::NOEXEC != 0)
        && (idx == 1) == (flags & map_flags::UNCACHED == 0)
}

/// The frames a VM owns, as [`check_vm_frames`] found them.
#[derive(Clone, Default)]
pub(crate) struct VmFrames {
    /// Table pages reachable from the root, the root first.
    pub(crate) tables: Vec<PhysAddr>,
    /// Spare table pages the VM keeps for later ops.
    pub(crate) spare: Vec<PhysAddr>,
    /// The dummy page of sparse mappings.
    pub(crate) dummy: PhysAddr,
    /// The VAs, in address order.
    pub(crate) vas: Vec<VaView>,
}

/// One consistent view of a VM, read under its op lock (an asynchronous bind job cannot run in between).
struct Snapshot {
    vas: Vec<VaView>,
    /// Per VA: (vm_bo identity, its VA count, its extobj flag), `None` for a sparse VA.
    vm_bos: Vec<Option<(usize, usize, bool)>>,
    leaves: Vec<(u64, u64, PhysAddr, u64)>,
    frames: VmFrames,
    tables_live: usize,
}

fn snapshot(vm: &Vm) -> Snapshot {
    // Room for the whole cache first: nothing allocates under its lock, which the signalling path takes.
    let mut spare = Vec::with_capacity(crate::vm::PT_CACHE_PAGES);
    spare.extend_from_slice(vm.caches.lock().pt.pages());
    let mut core = vm.core();
    let mut vas = Vec::new();
    let mut vm_bos = Vec::new();
    for v in core.vas() {
        vas.push(VaView {
            addr: v.addr(),
            size: v.length(),
            bo: v.vm_bo().map(|b| b.obj().clone()),
            offset: v.gem_offset(),
            flags: v.flags(),
        });
        vm_bos.push(
            v.vm_bo()
                .map(|b| (b.as_ptr() as usize, b.va_count(), b.is_extobj())),
        );
    }
    let data = core.data();
    // And what the last synchronous op left under the op lock.
    if let Some(kept) = &data.sync_spare {
        spare.extend_from_slice(kept.pt_pages.pages());
    }
    let mut leaves = Vec::new();
    data.pt.for_each_leaf(|l| {
        leaves.push((l.iova as u64, l.size() as u64, l.paddr(), l.attrs().bits()))
    });
    let mut tables = Vec::new();
    data.pt.for_each_table(|pa| tables.push(pa));
    let frames = VmFrames {
        tables,
        spare,
        dummy: data.dummy,
        vas: Vec::new(),
    };
    let tables_live = data.pt.tables_live();
    Snapshot {
        vas,
        vm_bos,
        leaves,
        frames,
        tables_live,
    }
}

/// Checks `vm`: `Ok` when the page table is exactly what the VA list says, else the first disagreement in address
/// order.
pub(crate) fn check_vm(vm: &Vm) -> Result<(), Inconsistency> {
    check_vm_frames(vm).map(drop)
}

/// Checks `vm` as [`check_vm`] does, then its table pages and vm_bos; returns the frames it owns and its VAs.
pub(crate) fn check_vm_frames(vm: &Vm) -> Result<VmFrames, Inconsistency> {
    // The extobj list first: a vm_bo that is mapped when the VAs are read was obtained (and listed) before.
    let extobjs: Vec<usize> = {
        let mut guard = vm.gpuvm().resv().lock();
        vm.gpuvm()
            .extobjs(&mut guard)
            .map(|v| v.iter().map(|b| b.as_ptr() as usize).collect())
            .unwrap_or_default()
    };
    let Snapshot {
        vas,
        vm_bos,
        leaves,
        mut frames,
        tables_live,
    } = snapshot(vm);
    let mut distinct = frames.tables.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != tables_live || frames.tables.len() != tables_live {
        return Err(Inconsistency::TableLeak {
            live: tables_live,
            reachable: distinct.len(),
        });
    }
    check_mappings(&vas, &leaves)?;
    let mut named: HashMap<usize, (u64, usize, usize, bool)> = HashMap::new();
    for (va, b) in vas.iter().zip(&vm_bos) {
        if let Some((id, count, extobj)) = *b {
            named.entry(id).or_insert((va.addr, 0, count, extobj)).1 += 1;
            let external = va
                .bo
                .as_ref()
                .is_some_and(|bo| !Arc::ptr_eq(bo.gem().resv(), vm.gpuvm().resv()));
            if external != extobj || extobj != extobjs.contains(&id) {
                return Err(Inconsistency::ExtObj { va: va.addr });
            }
        }
    }
    for (va, want, got, _) in named.into_values() {
        if want != got {
            return Err(Inconsistency::VmBoCount { va, want, got });
        }
    }
    frames.vas = vas;
    Ok(frames)
}

/// The mapping half: the leaves are exactly what the VAs say.
fn check_mappings(
    vas: &[VaView],
    leaves: &[(u64, u64, PhysAddr, u64)],
) -> Result<(), Inconsistency> {
    let mut dummy: Option<PhysAddr> = None;
    let mut li = 0;
    // Pages of the current leaf not yet matched: (iova, pa, attrs) per page, produced lazily.
    let mut cur: Option<(u64, u64, PhysAddr, u64)> = None;
    let mut next_page =
        |cur: &mut Option<(u64, u64, PhysAddr, u64)>| -> Option<(u64, PhysAddr, u64)> {
            loop {
                if let Some((iova, left, pa, attrs)) = cur.as_mut() {
                    if *left > 0 {
                        let page = (*iova, *pa, *attrs);
                        *iova += PAGE;
                        *pa += PAGE;
                        *left -= PAGE;
                        return Some(page);
                    }
                }
                let &(iova, size, pa, attrs) = leaves.get(li)?;
                li += 1;
                *cur = Some((iova, size, pa, attrs));
            }
        };
    let mut pending = next_page(&mut cur);
    for va in vas {
        let frames = match &va.bo {
            Some(bo) => Some(
                bo.gem()
                    .get_pages()
                    .map_err(|_| Inconsistency::BoPages { va: va.addr })?,
            ),
            None => None,
        };
        let mut at = va.addr;
        while at < va.addr + va.size {
            let Some((iova, pa, attrs)) = pending else {
                return Err(Inconsistency::Hole { iova: at });
            };
            if iova < at {
                return Err(Inconsistency::Stray { iova });
            }
            if iova > at {
                return Err(Inconsistency::Hole { iova: at });
            }
            let want = match &frames {
                Some(f) => f
                    .get(((va.offset + (at - va.addr)) / PAGE) as usize)
                    .copied()
                    .unwrap_or(0),
                None => *dummy.get_or_insert(pa),
            };
            if pa != want {
                return Err(Inconsistency::WrongFrame {
                    iova,
                    want,
                    got: pa,
                });
            }
            if !perms_match(va.flags, attrs) {
                return Err(Inconsistency::WrongPermissions {
                    iova,
                    flags: va.flags,
                    attrs,
                });
            }
            at += PAGE;
            pending = next_page(&mut cur);
        }
    }
    match pending {
        Some((iova, _, _)) => Err(Inconsistency::Stray { iova }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kernel::io_pgtable::{prot, IoPageTable};
    use kernel::page::Ram;

    use super::*;
    use crate::gem::TyrObject;
    use crate::vm::{NoMmu, VaLayout};

    fn setup() -> (Arc<Ram>, Arc<Vm>, Arc<TyrObject>) {
        let ram = Arc::new(Ram::new(hw_mem::RamConfig::rk3588(64 << 20)).unwrap());
        let vm = Vm::new(
            1,
            VaLayout::new(48, 0, 1 << 48).unwrap(),
            &ram,
            Arc::new(NoMmu),
        )
        .unwrap();
        let bo = TyrObject::new(&ram, 4 * PAGE, 0, None).unwrap();
        let op = vm.prepare_map(&bo, 0, 0x10000, 4 * PAGE, 0).unwrap();
        vm.execute(op).unwrap();
        (ram, vm, bo)
    }

    /// Changes the page table behind GPUVM's back (table pages from RAM directly).
    fn poke(vm: &Vm, f: impl FnOnce(&mut dyn IoPageTable, PhysAddr)) {
        let mut core = vm.core();
        let data = core.data();
        data.pt.alloc_mut().reserve(4).unwrap();
        let dummy = data.dummy;
        f(&mut data.pt, dummy);
    }

    #[test]
    fn a_consistent_vm_passes() {
        let (_ram, vm, _bo) = setup();
        assert_eq!(check_vm(&vm), Ok(()));
        let frames = check_vm_frames(&vm).unwrap();
        assert_eq!(frames.tables.len(), vm.tables_live());
        assert_eq!(frames.vas.len(), 1);
    }

    #[test]
    fn a_leaked_table_page_is_found() {
        let (_ram, vm, _bo) = setup();
        // A table that maps nothing is dropped from the tree when its last entry goes, but here the table's entry
        // is cleared behind its back: the page is still counted live and no longer reachable.
        {
            let mut core = vm.core();
            let pt = &core.data().pt;
            let w = pt.walk(0x10000);
            let l2_table = w.entries()[1].pte.paddr();
            pt.ram()
                .write_u64(l2_table + 8 * w.entries()[2].index as u64, 0)
                .unwrap();
        }
        let live = vm.tables_live();
        assert_eq!(
            check_vm_frames(&vm).err(),
            Some(Inconsistency::TableLeak {
                live,
                reachable: live - 1
            })
        );
    }

    #[test]
    fn a_stray_page_is_found() {
        let (_ram, vm, _bo) = setup();
        poke(&vm, |pt, pa| {
            assert!(pt.map_pages(0x40000, pa, 0x1000, 1, prot::READ).1.is_ok())
        });
        assert_eq!(check_vm(&vm), Err(Inconsistency::Stray { iova: 0x40000 }));
    }

    #[test]
    fn a_hole_is_found() {
        let (_ram, vm, _bo) = setup();
        poke(&vm, |pt, _| {
            assert_eq!(pt.unmap_pages(0x11000, 0x1000, 1, None), 0x1000)
        });
        assert_eq!(check_vm(&vm), Err(Inconsistency::Hole { iova: 0x11000 }));
    }

    #[test]
    fn a_wrong_frame_or_permission_is_found() {
        let (_ram, vm, bo) = setup();
        let frames = bo.gem().get_pages().unwrap();
        poke(&vm, |pt, _| {
            pt.unmap_pages(0x12000, 0x1000, 1, None);
            assert!(pt
                .map_pages(
                    0x12000,
                    frames[0],
                    0x1000,
                    1,
                    prot::READ | prot::WRITE | prot::CACHE
                )
                .1
                .is_ok());
        });
        assert_eq!(
            check_vm(&vm),
            Err(Inconsistency::WrongFrame {
                iova: 0x12000,
                want: frames[2],
                got: frames[0]
            })
        );
        poke(&vm, |pt, _| {
            pt.unmap_pages(0x12000, 0x1000, 1, None);
            assert!(pt
                .map_pages(0x12000, frames[2], 0x1000, 1, prot::READ | prot::CACHE)
                .1
                .is_ok());
        });
        assert!(matches!(
            check_vm(&vm),
            Err(Inconsistency::WrongPermissions { iova: 0x12000, .. })
        ));
    }
}
