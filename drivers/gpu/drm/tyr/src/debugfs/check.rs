// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The device half of the consistency checker: every VM of every file checked by the VM half ([`super::Inconsistency`]), then every
//! frame the files' objects own accounted for — each owned by exactly one BO, page table (live or spare) or VM dummy
//! page, and allocated in RAM — and, at quiescence, RAM's free list plus those owners plus what the device itself
//! holds (firmware, the MCU's VM) adding up to all of RAM ([`Baseline`]).
//!
//! Also here: [`FileSnapshot`], the observable state of a file (handles, syncobjs, VMs and their VAs), which tests
//! and the fuzzer compare before and after a failed call to show that it changed nothing.

use core::fmt;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kernel::drm::gem::IntoGemObject;
use kernel::page::PhysAddr;

use super::claims::FrameClaims;
use super::vm_check::{check_vm_frames, Inconsistency};
use super::vms::vms;
use crate::drm_device::{TyrDrmDevice, TyrDrmFile};

/// Who owns a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A BO, by GEM id.
    Bo(u64),
    /// A live page-table page of the VM with this id (in the file with this index).
    Table {
        /// Index of the file in the checked list.
        file: usize,
        /// VM id.
        vm: u32,
    },
    /// A spare page-table page kept by a VM.
    Spare {
        /// Index of the file in the checked list.
        file: usize,
        /// VM id.
        vm: u32,
    },
    /// A VM's dummy page.
    Dummy {
        /// Index of the file in the checked list.
        file: usize,
        /// VM id.
        vm: u32,
    },
}

/// What the checker found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// A VM's VA list, page table or vm_bos disagree.
    Vm {
        /// Index of the file in the checked list.
        file: usize,
        /// VM id.
        vm: u32,
        /// The disagreement.
        err: Inconsistency,
    },
    /// Two owners claim one frame.
    SharedFrame {
        /// The frame.
        pa: PhysAddr,
        /// The owner seen first.
        first: Owner,
        /// The other.
        second: Owner,
    },
    /// An owned frame is free in RAM's allocator.
    FreeFrame {
        /// The frame.
        pa: PhysAddr,
        /// Who claims it.
        owner: Owner,
    },
    /// RAM's allocated frames are not the device's plus the owned ones (a leak, or a frame freed twice).
    Accounting {
        /// Frames allocated in RAM.
        allocated: u64,
        /// Frames the device holds plus the frames owned by the files' objects.
        accounted: u64,
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vm { file, vm, err } => write!(f, "file {file} VM {vm}: {err}"),
            Self::SharedFrame { pa, first, second } => {
                write!(f, "frame {pa:#x} owned by {first:?} and {second:?}")
            }
            Self::FreeFrame { pa, owner } => {
                write!(f, "frame {pa:#x} owned by {owner:?} is free in RAM")
            }
            Self::Accounting {
                allocated,
                accounted,
            } => {
                write!(
                    f,
                    "{allocated} frames allocated in RAM but {accounted} accounted for"
                )
            }
        }
    }
}

impl std::error::Error for CheckError {}

/// What a passing check saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// VMs checked.
    pub vms: usize,
    /// VAs checked.
    pub vas: usize,
    /// Distinct BOs (by handle or mapping).
    pub bos: usize,
    /// Frames owned by those BOs and the VMs.
    pub frames: usize,
}

/// Checks every VM of every file in `files` and the ownership of every frame their objects hold. Objects are
/// found through the files' handles and the VMs' mappings (a BO whose handles are gone but which is still mapped
/// is reached through its VA).
pub fn check_files(files: &[&TyrDrmFile]) -> Result<Verdict, CheckError> {
    check_files_owned(files)
}

fn check_files_owned(files: &[&TyrDrmFile]) -> Result<Verdict, CheckError> {
    let mut verdict = Verdict::default();
    let space = files.first().map_or(0, |f| f.device().data().ram().size());
    let mut owned = FrameClaims::new(space);
    let mut bos: BTreeMap<u64, Arc<crate::gem::TyrObject>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        for (_, bo) in f.objects().handles() {
            bos.insert(bo.gem().id(), bo);
        }
        for vm in vms(f) {
            let vm = &vm.vm;
            let id = vm.id();
            let frames = check_vm_frames(vm).map_err(|err| CheckError::Vm {
                file: i,
                vm: id,
                err,
            })?;
            verdict.vms += 1;
            verdict.vas += frames.vas.len();
            for va in frames.vas {
                if let Some(bo) = va.bo {
                    bos.insert(bo.gem().id(), bo);
                }
            }
            for pa in frames.tables {
                owned.claim(pa, Owner::Table { file: i, vm: id })?;
            }
            for pa in frames.spare {
                owned.claim(pa, Owner::Spare { file: i, vm: id })?;
            }
            owned.claim(frames.dummy, Owner::Dummy { file: i, vm: id })?;
        }
    }
    verdict.bos = bos.len();
    for (id, bo) in &bos {
        if !bo.gem().has_pages() {
            continue;
        }
        let pages = bo.gem().get_pages().unwrap_or_default();
        for pa in pages {
            // A frame listed twice by one BO is as wrong as one shared by two.
            owned.claim(pa, Owner::Bo(*id))?;
        }
    }
    if let Some(f) = files.first() {
        let ram = f.device().data().ram();
        // Every address handed to RAM comes from a claim, so its owner is found.
        let free = ram
            .first_unallocated(owned.iter().map(|(pa, _)| pa))
            .and_then(|pa| Some((pa, owned.owner(pa)?)));
        if let Some((pa, owner)) = free {
            return Err(CheckError::FreeFrame { pa, owner });
        }
    }
    verdict.frames = owned.len();
    Ok(verdict)
}

/// The frames a device holds with no file open (firmware, the MCU's VM, device buffers): what every later accounting
/// adds to the files' frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Baseline {
    device_frames: u64,
}

impl Baseline {
    /// Captures the baseline of `dev`, which must have no file open and no object alive outside it.
    pub fn capture(dev: &TyrDrmDevice) -> Baseline {
        let s = dev.data().ram().stats();
        Baseline {
            device_frames: s.usable_frames - s.free_frames - mcu_pt_frames(dev),
        }
    }

    /// Frames the device itself holds.
    pub fn device_frames(&self) -> u64 {
        self.device_frames
    }

    /// [`check_files`], then exact accounting: allocated frames = the device's + the owned ones. Only meaningful at
    /// quiescence (no bind job pending, no object kept alive by a dma-buf), so it waits up to `timeout` for asynchronous
    /// work to settle — bind workers drop what cancelled jobs held — before reporting a mismatch.
    pub fn check(
        &self,
        files: &[&TyrDrmFile],
        dev: &TyrDrmDevice,
        timeout: Duration,
    ) -> Result<Verdict, CheckError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Dma-bufs whose last descriptor is gone release their objects when reaped.
            dev.dma_buf_count();
            let verdict = check_files_owned(files)?;
            let s = dev.data().ram().stats();
            let allocated = s.usable_frames - s.free_frames;
            // The MCU VM grows with the groups' kernel BOs (and its tables stay, as io-pgtable keeps emptied
            // tables): the device's own frames are the baseline plus whatever that VM holds now.
            let accounted = self.device_frames + mcu_pt_frames(dev) + verdict.frames as u64;
            if allocated == accounted {
                return Ok(verdict);
            }
            if Instant::now() >= deadline {
                return Err(CheckError::Accounting {
                    allocated,
                    accounted,
                });
            }
            std::thread::yield_now();
        }
    }
}

/// Frames of the device's MCU VM: its page tables and the BOs mapped there (firmware sections, and the suspend
/// buffers and queue user-I/O pages of live groups), each BO counted once.
fn mcu_pt_frames(dev: &TyrDrmDevice) -> u64 {
    let vm = dev.data().hw().fw().vm();
    let mut seen = std::collections::BTreeSet::new();
    let bo_frames: u64 = vm
        .vas()
        .iter()
        .filter_map(|v| v.bo.as_ref())
        .filter(|bo| seen.insert(bo.gem().id()))
        .filter(|bo| bo.gem().has_pages())
        .map(|bo| bo.gem().size() / kernel::page::FRAME_SIZE)
        .sum();
    vm.pt_frames() as u64 + bo_frames
}

/// One VM as a snapshot sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmSnapshot {
    /// `VM_GET_STATE`.
    pub unusable: bool,
    /// Bind jobs were pending: the VAs may change behind the caller's back and are not compared.
    pub pending: bool,
    /// `(addr, size, BO GEM id, offset, flags)` per VA.
    pub vas: Vec<(u64, u64, Option<u64>, u64, u32)>,
}

/// The observable state of a file: what a failed ioctl must leave as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSnapshot {
    /// Handle → (GEM id, size, flags, label).
    pub handles: BTreeMap<u32, (u64, u64, u32, Option<String>)>,
    /// Syncobj handle → (identity, head fence as (context, seqno)).
    pub syncobjs: BTreeMap<u32, (usize, Option<(u64, u64)>)>,
    /// VM id → its state.
    pub vms: BTreeMap<u32, VmSnapshot>,
    /// The user MMIO offset.
    pub user_mmio_offset: u64,
}

impl FileSnapshot {
    /// Takes a snapshot of `f`.
    pub fn take(f: &TyrDrmFile) -> FileSnapshot {
        let handles = f
            .objects()
            .handles()
            .into_iter()
            .map(|(h, o)| (h, (o.gem().id(), o.gem().size(), o.flags(), o.label())))
            .collect();
        let syncobjs = f
            .syncobjs()
            .handles()
            .into_iter()
            .map(|(h, s)| {
                (
                    h,
                    (
                        Arc::as_ptr(&s) as usize,
                        s.fence().map(|x| (x.context(), x.seqno())),
                    ),
                )
            })
            .collect();
        let vms = vms(f)
            .into_iter()
            .map(|vm| {
                let pending = vm.pending_binds() > 0;
                let vas = vm
                    .vas()
                    .into_iter()
                    .map(|v| {
                        (
                            v.addr,
                            v.size,
                            v.bo.map(|b| b.gem().id()),
                            v.offset,
                            v.flags,
                        )
                    })
                    .collect();
                (
                    vm.id(),
                    VmSnapshot {
                        unusable: vm.is_unusable(),
                        pending,
                        vas,
                    },
                )
            })
            .collect();
        FileSnapshot {
            handles,
            syncobjs,
            vms,
            user_mmio_offset: f.data().user_mmio_offset(),
        }
    }

    /// The first difference from `later` that a call cannot explain by asynchronous work already queued (a VM with
    /// bind jobs pending in either snapshot may change its VAs and become unusable), or `None`. A GPU fault changes
    /// none of it (it does not make a VM unusable).
    pub fn diff(&self, later: &FileSnapshot) -> Option<String> {
        if self.handles != later.handles {
            return Some(format!(
                "GEM handles changed: {:?} -> {:?}",
                self.handles, later.handles
            ));
        }
        if self.syncobjs != later.syncobjs {
            return Some(format!(
                "syncobjs changed: {:?} -> {:?}",
                self.syncobjs, later.syncobjs
            ));
        }
        if self.user_mmio_offset != later.user_mmio_offset {
            return Some("the user MMIO offset changed".into());
        }
        if !self.vms.keys().eq(later.vms.keys()) {
            return Some(format!(
                "VM ids changed: {:?} -> {:?}",
                self.vms.keys().collect::<Vec<_>>(),
                later.vms.keys().collect::<Vec<_>>()
            ));
        }
        for (id, a) in &self.vms {
            let b = &later.vms[id];
            if a.pending || b.pending {
                continue;
            }
            if a != b {
                return Some(format!("VM {id} changed: {a:?} -> {b:?}"));
            }
        }
        None
    }
}
