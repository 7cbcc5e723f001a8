// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What the driver shows in debugfs, as read-only snapshots: the one door through which tools and tests look
//! inside the driver (Panthor's `panthor_debugfs_init`, the per-VM `gpuvas` file of `panthor_mmu_debugfs_init`
//! and the GEM list of `panthor_gem_debugfs_init`).
//!
//! * [`mod@vms`]: a file's VMs ([`VmView`]: the VA list, the page table walked level by level, the AS slot, faults,
//!   tiler heaps);
//! * [`device`]: the device's own state ([`DeviceInfo`]: identity and firmware; the AS slots, the CSG slots, the
//!   MCU's VM);
//! * [`mod@devfreq`]: the GPU's frequency scaling ([`DevfreqView`]: frequency and clock rate, voltage, governor,
//!   range, transition statistics and trace, recorded busy/idle time);
//! * [`groups`]: a file's scheduling groups and their queues ([`GroupView`]);
//! * [`gems`]: a BO's label and pages;
//! * [`check`]: the consistency checker, which verifies every VM's VA list against its page table and accounts for
//!   every frame of RAM ([`check_files`], [`Baseline`], [`FileSnapshot`]);
//! * [`pm`]: the power state ([`pm::PmView`]: runtime status, usage, transition counts and latencies);
//! * [`pgtable`]: the driver's page-table op loop on a caller's page table, for the reference vectors.
//!
//! Nothing here changes what a client can observe; the few entries that act only wait for or finish work the driver
//! already queued ([`device::settle`], [`VmView::deferred_cleanup`]) or set a knob ([`device::set_job_timeout`]).

pub mod check;
mod claims;
pub mod devfreq;
pub mod device;
pub mod gems;
pub mod groups;
pub mod pgtable;
pub mod pm;
mod vm_check;
pub mod vms;

pub use check::{check_files, Baseline, CheckError, FileSnapshot, Owner, Verdict, VmSnapshot};
pub use devfreq::{devfreq, DevfreqView};
pub use device::{DeviceInfo, FirmwareSection};
pub use groups::GroupView;
#[cfg(test)]
pub(crate) use vm_check::check_vm;
pub use vm_check::Inconsistency;
pub use vms::{vm, vms, VaView, VmView};

pub use crate::gpu::GpuId;
pub use crate::gpu_irq::GpuFault;
pub use crate::sched::heap::chunk_ref;
pub use crate::sched::{ResetCause, ResetRecord, ResetStats};
pub use crate::vm::MmuFault;
