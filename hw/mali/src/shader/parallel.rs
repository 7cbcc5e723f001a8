// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Workgroups of one dispatch on several host threads (`Documentation/hardware.md#parallel-workgroups`).
//!
//! A RUN holds the model thread for its whole grid, so the group's AS cannot change while it runs: no register
//! write, AS command or reset can come in between. Workers therefore translate through a `SharedAs` snapshot of it
//! (its live configuration, lock and fault state, and a copy of its TLB, stale entries included) and reach RAM
//! directly; RAM accessors are atomic, so concurrent workgroups race exactly as the shader lets them. Each worker
//! has its own `WorkerPort`: its own TLB copy, filled by its own walks, and a one-entry fast path in front of it.
//!
//! Atomics stay atomic across workers: the shader core's read-modify-write is `atomic_check`, `read`, `write` on one
//! port, and a worker port holds one of [`ATOMIC_STRIPES`] locks (picked by the address) from `atomic_check` to the
//! `write`.
//!
//! Workgroups that share storage do not overlap: workgroups whose workgroup-local storage instance (`i mod instances`)
//! is the same take turns, and those of a shader with thread-local storage (one set of per-thread slots for the whole
//! dispatch in the model) run one at a time.
//!
//! Workers take workgroups in dispatch order from a shared counter. A workgroup that faults stops every worker from
//! taking workgroups after it, while the ones before it run to their end, so the fault reported is that of the
//! lowest faulting workgroup in dispatch order, the same one a sequential run reports; its refused access is then
//! repeated through the real port so the AS (or the GPU, for a bus fault) records the fault and raises its IRQ as it
//! would have. Workgroups after the faulting one that had already started may have run partly (as on hardware).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use hw_mem::Ram;
use parking_lot::{Mutex, MutexGuard};

use super::exec::{Context, Core};
use super::program::Program;
use super::Fault;
use crate::cs::machine::{CsMemory, MemError};
use crate::mmu::{AccessType, MmuFault, Region, Tlb, Translation, WalkConfig, Walker};

/// Host threads the shader core runs workgroups on at most.
pub const MAX_WORKERS: usize = 64;

/// Locks serialising atomics whose addresses hash alike.
pub const ATOMIC_STRIPES: usize = 64;

/// Locks for workgroup-local storage instances (instances beyond it share locks).
const STORAGE_LOCKS: usize = 64;

/// Configured worker count; 0 until first asked.
static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Host threads the shader core runs the workgroups of a dispatch on: what [`set_workers`] chose, else
/// `TYR_SHADER_WORKERS`, else the host's available parallelism. 1 runs every workgroup on the model thread.
pub fn workers() -> usize {
    match WORKERS.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var("TYR_SHADER_WORKERS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
                .clamp(1, MAX_WORKERS);
            WORKERS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// The worker count if [`workers`] or [`set_workers`] has settled it, without settling it.
pub fn workers_settled() -> Option<usize> {
    match WORKERS.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n),
    }
}

/// Sets the number of host threads the shader core uses (clamped to 1..=[`MAX_WORKERS`]) for every later dispatch
/// in this process.
pub fn set_workers(n: usize) {
    WORKERS.store(n.clamp(1, MAX_WORKERS), Ordering::Relaxed);
}

/// A read-only snapshot of a group's AS for the duration of one dispatch.
pub(crate) struct SharedAs<'a> {
    /// System RAM.
    pub ram: &'a Ram,
    /// The page-table walker.
    pub walker: &'a Walker,
    /// The AS's live configuration.
    pub cfg: WalkConfig,
    /// A copy of the AS's TLB.
    pub tlb: Tlb,
    /// The region locked, if any (accesses in it stall).
    pub locked: Option<Region>,
    /// A fault is recorded and not cleared: its exception type (nothing translates).
    pub faulted: Option<u8>,
}

/// The access a worker port refused, to be repeated through the real port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    va: u64,
    access: AccessType,
}

impl Refusal {
    /// Repeats the refused access through `mem` for one byte, so the fault is recorded where a sequential run records
    /// it. The snapshot equals the real AS, so the access is refused again and has no effect.
    fn replay(self, mem: &mut dyn CsMemory) {
        let _ = match self.access {
            AccessType::Atomic => mem.atomic_check(self.va),
            AccessType::Write => mem.write(self.va, &[0]),
            AccessType::Read | AccessType::Execute => mem.read(self.va, &mut [0]),
        };
    }
}

/// The locks of [`ATOMIC_STRIPES`].
struct Atomics([Mutex<()>; ATOMIC_STRIPES]);

/// One worker's memory port onto a [`SharedAs`].
pub(crate) struct WorkerPort<'s, 'a> {
    shared: &'s SharedAs<'a>,
    atomics: &'s Atomics,
    tlb: Tlb,
    last: Option<Translation>,
    held: Option<MutexGuard<'s, ()>>,
    refused: Option<Refusal>,
}

impl<'s, 'a> WorkerPort<'s, 'a> {
    fn new(shared: &'s SharedAs<'a>, atomics: &'s Atomics) -> Self {
        Self {
            shared,
            atomics,
            tlb: shared.tlb.clone(),
            last: None,
            held: None,
            refused: None,
        }
    }

    fn refuse(&mut self, va: u64, access: AccessType, f: MmuFault) -> MemError {
        self.refused = Some(Refusal { va, access });
        MemError::Mmu {
            va,
            code: f.exception_type(),
        }
    }

    /// The PA of `va` for `access`, as the AS would translate it (lock, recorded fault, TLB, walk, permissions).
    fn translate(&mut self, va: u64, access: AccessType) -> Result<u64, MemError> {
        let sh = self.shared;
        if let Some(code) = sh.faulted {
            return Err(MemError::Mmu { va, code });
        }
        if sh.locked.is_some_and(|r| r.contains(va)) {
            return Err(MemError::Stalled { va });
        }
        let t = match self.last.filter(|t| t.covers(va)) {
            Some(t) => t,
            None => match self.tlb.lookup(va) {
                Some(t) => t,
                None => {
                    let t = sh
                        .walker
                        .walk(sh.ram, &sh.cfg, va)
                        .map_err(|f| self.refuse(va, access, f))?;
                    self.tlb.insert(t);
                    t
                }
            },
        };
        t.check(access).map_err(|f| self.refuse(va, access, f))?;
        self.last = Some(t);
        Ok(t.pa_of(va))
    }

    /// Runs `f(pa, range)` for each page-sized piece of `[va, va + len)`, as the device's memory port does.
    fn access(
        &mut self,
        va: u64,
        len: usize,
        access: AccessType,
        mut f: impl FnMut(&Ram, u64, std::ops::Range<usize>) -> hw_mem::Result<()>,
    ) -> Result<(), MemError> {
        let mut done = 0usize;
        while done < len {
            let cur = va.wrapping_add(done as u64);
            let n = ((0x1000 - (cur & 0xFFF)) as usize).min(len - done);
            let pa = self.translate(cur, access)?;
            if f(self.shared.ram, pa, done..done + n).is_err() {
                self.refused = Some(Refusal { va: cur, access });
                return Err(MemError::Bus { va });
            }
            done += n;
        }
        Ok(())
    }
}

impl CsMemory for WorkerPort<'_, '_> {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let r = self.access(va, buf.len(), AccessType::Read, |ram, pa, r| {
            ram.read(pa, &mut buf[r])
        });
        if r.is_err() {
            self.held = None;
        }
        r
    }

    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), MemError> {
        let r = self.access(va, data.len(), AccessType::Write, |ram, pa, r| {
            ram.write(pa, &data[r])
        });
        // The write of a read-modify-write ends it.
        self.held = None;
        r
    }

    fn atomic_check(&mut self, va: u64) -> Result<(), MemError> {
        self.held = None;
        self.translate(va, AccessType::Atomic)?;
        let stripe = ((va >> 3) as usize) % ATOMIC_STRIPES;
        self.held = Some(self.atomics.0[stripe].lock());
        Ok(())
    }

    // Shaders read no GPU counters; a worker reports them as zero.
    fn timestamp(&self) -> u64 {
        0
    }

    fn cycles(&self) -> u64 {
        0
    }

    fn latest_flush_id(&self) -> u32 {
        0
    }

    fn flushed(&mut self) {}
}

/// What a parallel grid did.
pub(crate) struct Outcome {
    /// Thread-instructions run by all workers.
    pub steps: u64,
    /// The lowest faulting workgroup: its linear index and fault.
    pub fault: Option<(u64, Fault)>,
    /// The program as far as the workers fetched it.
    pub prog: Program,
}

/// The workgroup coordinates of linear index `i` in a grid of `n` workgroups (x fastest).
pub(crate) fn coords(i: u64, n: [u64; 3]) -> [u32; 3] {
    [
        (i % n[0]) as u32,
        ((i / n[0]) % n[1]) as u32,
        (i / (n[0] * n[1])) as u32,
    ]
}

/// Runs the `size` grid of `ctx` on `workers` host threads through `shared`, then repeats the reported fault's
/// refused access (if any) through `mem`.
pub(crate) fn run_grid(
    ctx: &Context,
    prog: Program,
    size: [u64; 3],
    shared: SharedAs<'_>,
    workers: usize,
) -> (Outcome, Option<Refusal>) {
    let total = size.iter().product::<u64>();
    let next = AtomicU64::new(0);
    let stop = AtomicU64::new(u64::MAX);
    let job_steps = AtomicU64::new(0);
    let atomics = Atomics(std::array::from_fn(|_| Mutex::new(())));
    let storage = std::array::from_fn(|_| Mutex::new(()));
    let grid = Grid {
        ctx,
        size,
        total,
        shared: &shared,
        atomics: &atomics,
        next: &next,
        stop: &stop,
        job_steps: &job_steps,
        storage: &storage,
    };
    let results: Vec<_> = if workers <= 1 {
        vec![grid.work(prog.clone())]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (grid, prog) = (&grid, prog.clone());
                    s.spawn(move || grid.work(prog))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut out = Outcome {
        steps: 0,
        fault: None,
        prog,
    };
    let mut refusal = None;
    for (steps, fault, p) in results {
        out.steps += steps;
        if let Some((i, f, r)) = fault {
            if out.fault.is_none_or(|(j, _)| i < j) {
                out.fault = Some((i, f));
                refusal = r;
            }
        }
        if p.fetched() > out.prog.fetched() {
            out.prog = p;
        }
    }
    (out, refusal)
}

/// What the workers of one grid share.
struct Grid<'g, 'a> {
    ctx: &'g Context,
    size: [u64; 3],
    total: u64,
    shared: &'g SharedAs<'a>,
    atomics: &'g Atomics,
    /// The next workgroup to take.
    next: &'g AtomicU64,
    /// The lowest faulting workgroup so far (none after it is taken).
    stop: &'g AtomicU64,
    /// Thread-instructions of finished workgroups (the job budget).
    job_steps: &'g AtomicU64,
    /// Locks for the storage workgroups share (see [`Grid::storage_lock`]).
    storage: &'g [Mutex<()>; STORAGE_LOCKS],
}

/// What one worker did: thread-instructions, its fault (workgroup, fault, access to replay), its program.
type Work = (u64, Option<(u64, Fault, Option<Refusal>)>, Program);

impl Grid<'_, '_> {
    /// The lock workgroup `i` holds while it runs, if it shares storage with others: thread-local storage is one set
    /// of slots indexed by the thread's local index, shared by every workgroup, so workgroups of a shader with TLS run
    /// one at a time; workgroup-local storage instance `i mod instances` is shared by the workgroups with the same
    /// instance (as on hardware, where a core does not start a workgroup before its instance is free).
    fn storage_lock(&self, i: u64) -> Option<&Mutex<()>> {
        if self.ctx.tls.1 != 0 {
            return Some(&self.storage[0]);
        }
        let instances = self.ctx.wls.2;
        (instances != 0).then(|| &self.storage[((i % instances) % STORAGE_LOCKS as u64) as usize])
    }

    /// One worker: takes workgroups in order until none is left or one at or before it faulted.
    fn work(&self, prog: Program) -> Work {
        let mut port = WorkerPort::new(self.shared, self.atomics);
        let mut core = Core::from_program(self.ctx, prog);
        let mut fault = None;
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.total || i > self.stop.load(Ordering::Acquire) {
                break;
            }
            let _storage = self.storage_lock(i).map(Mutex::lock);
            let mine = core.steps;
            // Every workgroup this core finished is in `job_steps` too.
            core.others = self.job_steps.load(Ordering::Relaxed).saturating_sub(mine);
            let r = core.run_workgroup(coords(i, self.size), i, &mut port);
            port.held = None;
            self.job_steps
                .fetch_add(core.steps - mine, Ordering::Relaxed);
            if let Err(e) = r {
                self.stop.fetch_min(i, Ordering::AcqRel);
                fault = Some((i, e, port.refused.take()));
                break;
            }
            port.refused = None;
        }
        (core.steps, fault, core.into_program())
    }
}

/// Repeats `r` through `mem` (see [`run_grid`]).
pub(crate) fn replay(r: Option<Refusal>, mem: &mut dyn CsMemory) {
    if let Some(r) = r {
        r.replay(mem);
    }
}
