// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr replay gpuvm`: a VA space driven through `kernel::drm::gpuvm` as an immediate-mode driver drives it, printed
//! as the kernel's `drm_gpuvm.c` printed the reference vectors (`Documentation/testing.md#reference-vectors`).
//!
//! Each `map` goes the way of a VM_BIND in Panthor: the object's vm_bo is obtained under the VM resv, three VA nodes
//! are pre-allocated, `sm_map` hands the steps to the driver, which prints and applies each one at once, then the
//! vm_bo reference is dropped and the deferred vm_bos are cleaned up.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use kernel::drm::gem::GemObject;
use kernel::drm::gpuvm::{
    DriverGpuVm, GpuVa, GpuVm, GpuVmCore, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped,
    OpUnmap, OpUnmapped, RemapPart, VaPrealloc, VmBoRef,
};
use kernel::drm::Driver;
use kernel::error::code::ENOMEM;

use super::script::{self, command_lines, Line, ParseError, ReplayError};

/// One script command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Create the VM over `[start, start + range)`, with a kernel-reserved node if `reserve` is given.
    Init {
        /// First address.
        start: u64,
        /// Length.
        range: u64,
        /// Kernel-reserved `(offset, range)`.
        reserve: Option<(u64, u64)>,
    },
    /// `sm_map` of `[addr, addr + range)` to object `obj` (`None`: a null mapping) at `offset`.
    Map {
        /// First address.
        addr: u64,
        /// Length.
        range: u64,
        /// Script object id.
        obj: Option<u32>,
        /// Object offset.
        offset: u64,
    },
    /// `sm_unmap` of `[addr, addr + range)`.
    Unmap {
        /// First address.
        addr: u64,
        /// Length.
        range: u64,
    },
    /// Print the VA list.
    Dump,
}

/// Parses a whole script.
pub fn parse(src: &str) -> Result<Vec<Command>, ParseError> {
    command_lines(src).map(|l| parse_line(&l)).collect()
}

fn parse_line(l: &Line<'_>) -> Result<Command, ParseError> {
    Ok(match l.words[0] {
        "init" => match l.words.len() {
            3 => Command::Init {
                start: l.num(0)?,
                range: l.num(1)?,
                reserve: None,
            },
            5 => Command::Init {
                start: l.num(0)?,
                range: l.num(1)?,
                reserve: Some((l.num(2)?, l.num(3)?)),
            },
            n => return Err(l.error(format!("`init` takes 2 or 4 arguments, got {}", n - 1))),
        },
        "map" => {
            l.expect_args(4)?;
            let obj = match l.words[3] {
                "none" => None,
                w => Some(
                    w.parse()
                        .map_err(|_| l.error(format!("`{w}` is not an object id or `none`")))?,
                ),
            };
            Command::Map {
                addr: l.num(0)?,
                range: l.num(1)?,
                obj,
                offset: l.num(3)?,
            }
        }
        "unmap" => {
            l.expect_args(2)?;
            Command::Unmap {
                addr: l.num(0)?,
                range: l.num(1)?,
            }
        }
        "dump" => {
            l.expect_args(0)?;
            Command::Dump
        }
        w => return Err(l.error(format!("unknown command `{w}`"))),
    })
}

/// The replay's DRM driver: plain GEM objects.
pub struct ReplayDriver;

impl Driver for ReplayDriver {
    type Object = GemObject;
}

/// The replay's VM driver: prints each step and applies it immediately.
pub struct ReplayVm;

/// What the steps of one `sm_map`/`sm_unmap` get: where to print (nothing when timing) and the pre-allocated VAs.
pub struct StepCtx<'a> {
    out: Option<&'a mut String>,
    pool: &'a mut VaPrealloc<ReplayVm>,
}

fn obj_name(id: Option<u32>) -> String {
    id.map_or_else(|| "none".to_string(), |i| i.to_string())
}

fn va_str(va: &GpuVa<ReplayVm>) -> String {
    format!(
        "[{:#x},{:#x},{},{:#x}]",
        va.addr(),
        va.length(),
        obj_name(va.vm_bo().map(|b| *b.data())),
        va.gem_offset()
    )
}

fn part_str(p: Option<RemapPart>, obj: Option<u32>) -> String {
    p.map_or_else(
        || "-".to_string(),
        |p| {
            format!(
                "[{:#x},{:#x},{},{:#x}]",
                p.addr,
                p.range,
                obj_name(obj),
                p.gem_offset
            )
        },
    )
}

impl DriverGpuVm for ReplayVm {
    type Driver = ReplayDriver;
    type VaData = ();
    /// The script's object id.
    type VmBoData = u32;
    type SmContext<'ctx> = StepCtx<'ctx>;

    fn sm_step_map<'op>(
        &mut self,
        op: OpMap<'op, Self>,
        ctx: &mut StepCtx<'_>,
    ) -> kernel::Result<OpMapped<'op, Self>> {
        if let Some(out) = ctx.out.as_deref_mut() {
            let obj = obj_name(op.vm_bo().map(|b| *b.data()));
            let _ = writeln!(
                out,
                "map [{:#x},{:#x},{obj},{:#x}]",
                op.addr(),
                op.length(),
                op.gem_offset()
            );
        }
        let va = ctx.pool.take().ok_or(ENOMEM)?;
        Ok(op.insert(va, ()))
    }

    fn sm_step_unmap<'op>(
        &mut self,
        op: OpUnmap<'op, Self>,
        ctx: &mut StepCtx<'_>,
    ) -> kernel::Result<OpUnmapped<'op, Self>> {
        if let Some(out) = ctx.out.as_deref_mut() {
            let _ = writeln!(
                out,
                "unmap {} keep={}",
                va_str(op.va()),
                u8::from(op.keep())
            );
        }
        let (done, removed) = op.remove();
        // Recycle the node if the pool has room; otherwise it is freed (freeing is allowed in the signalling path).
        let _ = ctx.pool.put(removed.into_parts().1);
        Ok(done)
    }

    fn sm_step_remap<'op>(
        &mut self,
        op: OpRemap<'op, Self>,
        ctx: &mut StepCtx<'_>,
    ) -> kernel::Result<OpRemapped<'op, Self>> {
        if let Some(out) = ctx.out.as_deref_mut() {
            let obj = op.va_to_unmap().vm_bo().map(|b| *b.data());
            let _ = writeln!(
                out,
                "remap prev={} next={} unmap={} keep={}",
                part_str(op.prev(), obj),
                part_str(op.next(), obj),
                va_str(op.va_to_unmap()),
                u8::from(op.keep())
            );
        }
        let allocs = ctx.pool.take_pair().ok_or(ENOMEM)?;
        let (done, ret) = op.remap(allocs, (), ());
        let _ = ctx.pool.put(ret.unmapped_va.into_parts().1);
        if let Some(unused) = ret.unused_va {
            let _ = ctx.pool.put(unused);
        }
        Ok(done)
    }
}

/// The replay's state: the VM, the objects created so far, and the driver's cache of VA nodes (topped up before each
/// bind, outside the steps; nodes freed by unmaps go back into it).
pub struct Replay {
    core: Option<GpuVmCore<ReplayVm>>,
    objs: Objects,
    pool: Option<VaPrealloc<ReplayVm>>,
}

/// The script's objects by id: small ids (what scripts use) in a table, any other in a map.
#[derive(Default)]
struct Objects {
    small: Vec<Option<Arc<GemObject>>>,
    other: HashMap<u32, Arc<GemObject>>,
}

impl Objects {
    /// Ids below this are kept in the table.
    const SMALL: u32 = 1024;

    /// The object `id`, created on first use.
    fn get_or_create(&mut self, id: u32) -> Result<&Arc<GemObject>, ReplayError> {
        let new = || GemObject::new(OBJ_SIZE, None).map(Arc::new).map_err(setup);
        if id < Self::SMALL {
            let i = id as usize;
            if self.small.len() <= i {
                self.small.resize(i + 1, None);
            }
            let slot = &mut self.small[i];
            if slot.is_none() {
                *slot = Some(new()?);
            }
            return slot
                .as_ref()
                .ok_or_else(|| ReplayError::Setup("object table".into()));
        }
        Ok(match self.other.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(new()?),
        })
    }
}

/// Objects are never backed by RAM here; their size only has to cover every offset a script uses.
const OBJ_SIZE: u64 = 1 << 48;

fn setup(e: kernel::Error) -> ReplayError {
    ReplayError::Setup(format!("{e}"))
}

impl Default for Replay {
    fn default() -> Self {
        Self::new()
    }
}

impl Replay {
    /// No VM yet.
    pub fn new() -> Self {
        Replay {
            core: None,
            objs: Objects::default(),
            pool: None,
        }
    }

    /// The VM, once `init` ran.
    pub fn core(&self) -> Option<&GpuVmCore<ReplayVm>> {
        self.core.as_ref()
    }

    /// Runs one command, printing its steps into `out` if given. `Ok(Err(e))` is the kernel's answer to the request.
    pub fn exec(
        &mut self,
        cmd: &Command,
        out: Option<&mut String>,
    ) -> Result<kernel::Result, ReplayError> {
        match *cmd {
            Command::Init {
                start,
                range,
                reserve,
            } => {
                // Drop the old VM first so its vm_bos go before the new one is built.
                self.pool = None;
                self.core = None;
                let r_obj = Arc::new(GemObject::new(0x1000, None).map_err(setup)?);
                let end = start
                    .checked_add(range)
                    .ok_or_else(|| ReplayError::Setup("init range overflows".into()))?;
                let reserve = reserve.map_or(0..0, |(off, len)| off..off.saturating_add(len));
                let core =
                    GpuVm::new("replay", &r_obj, start..end, reserve, ReplayVm).map_err(setup)?;
                self.pool = Some(VaPrealloc::empty(core.vm()));
                self.core = Some(core);
                Ok(Ok(()))
            }
            Command::Map {
                addr,
                range,
                obj,
                offset,
            } => {
                let bo = match obj {
                    None => None,
                    Some(id) => Some(self.vm_bo(id)?),
                };
                let (Some(core), Some(pool)) = (self.core.as_mut(), self.pool.as_mut()) else {
                    return Err(ReplayError::Setup("map before init".into()));
                };
                pool.top_up(3).map_err(setup)?;
                let mut ctx = StepCtx { out, pool };
                let req = OpMapRequest {
                    addr,
                    range,
                    gem_offset: offset,
                    vm_bo: bo.as_ref(),
                    flags: 0,
                };
                let res = core.sm_map(req, &mut ctx);
                drop(bo);
                core.deferred_cleanup();
                Ok(res)
            }
            Command::Unmap { addr, range } => {
                let (Some(core), Some(pool)) = (self.core.as_mut(), self.pool.as_mut()) else {
                    return Err(ReplayError::Setup("unmap before init".into()));
                };
                pool.top_up(2).map_err(setup)?;
                let mut ctx = StepCtx { out, pool };
                let res = core.sm_unmap(addr, range, &mut ctx);
                core.deferred_cleanup();
                Ok(res)
            }
            Command::Dump => Ok(Ok(())),
        }
    }

    /// The vm_bo of script object `id`, creating the object on first use (each with its own resv: external).
    fn vm_bo(&mut self, id: u32) -> Result<VmBoRef<ReplayVm>, ReplayError> {
        let obj = self.objs.get_or_create(id)?;
        let core = self
            .core
            .as_ref()
            .ok_or_else(|| ReplayError::Setup("map/unmap before init".into()))?;
        let mut held = core.resv().lock();
        core.obtain(obj, id, &mut held).map_err(setup)
    }

    /// Prints the VA list: `vas N`, then each node in address order, the kernel-reserved one included.
    pub fn print_vas(&self, out: &mut String) {
        let Some(core) = &self.core else {
            out.push_str("vas 0\n");
            return;
        };
        let kernel = core.kernel_reserved();
        let _ = writeln!(
            out,
            "vas {}",
            core.num_vas() + usize::from(kernel.is_some())
        );
        let mut kernel = kernel;
        for va in core.vas() {
            if let Some(k) = kernel.clone().filter(|k| k.start < va.addr()) {
                let _ = writeln!(out, "  [{:#x},{:#x},kernel]", k.start, k.end - k.start);
                kernel = None;
            }
            let _ = writeln!(out, "  {}", va_str(va));
        }
        if let Some(k) = kernel {
            let _ = writeln!(out, "  [{:#x},{:#x},kernel]", k.start, k.end - k.start);
        }
    }
}

fn echo(cmd: &Command) -> String {
    match *cmd {
        Command::Init {
            start,
            range,
            reserve: None,
        } => format!("> init {start:#x} {range:#x}"),
        Command::Init {
            start,
            range,
            reserve: Some((o, r)),
        } => format!("> init {start:#x} {range:#x} {o:#x} {r:#x}"),
        Command::Map {
            addr,
            range,
            obj,
            offset,
        } => {
            format!("> map {addr:#x} {range:#x} {} {offset:#x}", obj_name(obj))
        }
        Command::Unmap { addr, range } => format!("> unmap {addr:#x} {range:#x}"),
        Command::Dump => "> dump".to_string(),
    }
}

/// Replays `cmds` and returns the transcript. In list mode the VA list follows every command; otherwise only `dump`
/// prints it.
pub fn replay(cmds: &[Command], list: bool) -> Result<String, ReplayError> {
    let mut r = Replay::new();
    let mut out = String::new();
    for cmd in cmds {
        out.push_str(&echo(cmd));
        out.push('\n');
        if let Err(e) = r.exec(cmd, Some(&mut out))? {
            let _ = writeln!(out, "error {}", e.to_errno());
        }
        if list || *cmd == Command::Dump {
            r.print_vas(&mut out);
        }
    }
    Ok(out)
}

/// What a timed replay measured.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// map and unmap commands run.
    pub ops: u64,
    /// Of which the kernel rejected this many.
    pub errors: u64,
    /// Wall time over all of them, in ns.
    pub total_ns: u128,
    /// VAs live at the end.
    pub vas: usize,
}

impl Timing {
    /// Mean time per op.
    pub fn ns_per_op(&self) -> f64 {
        if self.ops == 0 {
            0.0
        } else {
            self.total_ns as f64 / self.ops as f64
        }
    }
}

/// Runs the script's leading `init`s untimed, then every later command under one clock pair, printing nothing.
pub fn time(cmds: &[Command]) -> Result<Timing, ReplayError> {
    let mut r = Replay::new();
    let first = cmds
        .iter()
        .position(|c| !matches!(c, Command::Init { .. }))
        .unwrap_or(cmds.len());
    for c in &cmds[..first] {
        let _ = r.exec(c, None)?;
    }
    let (mut ops, mut errors) = (0, 0);
    let t0 = Instant::now();
    for c in &cmds[first..] {
        if matches!(c, Command::Map { .. } | Command::Unmap { .. }) {
            ops += 1;
        }
        if r.exec(c, None)?.is_err() {
            errors += 1;
        }
    }
    let total_ns = t0.elapsed().as_nanos();
    Ok(Timing {
        ops,
        errors,
        total_ns,
        vas: r.core().map_or(0, |c| c.num_vas()),
    })
}

/// Replays a script file: the transcript, or with `timed` the timing line of one run (see [`run_file_reps`]).
pub fn run_file(path: &Path, list: bool, timed: bool) -> Result<String, ReplayError> {
    if timed {
        run_file_reps(path, 1)
    } else {
        replay(&parse(&script::read(path)?)?, list)
    }
}

/// `tyr replay gpuvm --time --reps N FILE`: `reps` timed runs (at least one), each on a fresh VM and fresh objects
/// over the same process allocator (the first run finds it cold, later ones warm). The line starts `ops=N
/// ns_per_op=<best run> first_ns_per_op=<first run> reps=N`, then the best run's `total_ns`, `errors` and `vas`.
pub fn run_file_reps(path: &Path, reps: usize) -> Result<String, ReplayError> {
    let cmds = parse(&script::read(path)?)?;
    let reps = reps.max(1);
    let first = time(&cmds)?;
    let mut best = first;
    for _ in 1..reps {
        let t = time(&cmds)?;
        if t.total_ns < best.total_ns {
            best = t;
        }
    }
    Ok(format!(
        "ops={} ns_per_op={:.1} first_ns_per_op={:.1} reps={reps} total_ns={} errors={} vas={}\n",
        best.ops,
        best.ns_per_op(),
        first.ns_per_op(),
        best.total_ns,
        best.errors,
        best.vas
    ))
}

/// Replays a reference vector in the mode its `.expected` was printed in: `basic` in list mode, every other one
/// (`random-*`, `disjoint-*`) with `--no-list` (`Documentation/testing.md#reference-vectors`).
pub fn run_vector(path: &Path) -> Result<String, ReplayError> {
    run_file(path, vector_uses_list_mode(path), false)
}

/// Whether a gpuvm vector was printed in list mode.
pub fn vector_uses_list_mode(path: &Path) -> bool {
    path.file_stem().is_some_and(|s| s == "basic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_offsets_echo_as_hex_and_null_objects_as_none() {
        let cmds = parse("init 0 0x10000\nmap 0x1000 0x1000 none 0\n").unwrap();
        let out = replay(&cmds, false).unwrap();
        assert_eq!(
            out,
            "> init 0x0 0x10000\n> map 0x1000 0x1000 none 0x0\nmap [0x1000,0x1000,none,0x0]\n"
        );
    }

    #[test]
    fn kernel_node_is_listed_in_address_order() {
        let cmds = parse(
            "init 0 0x10000 0x2000 0x1000\nmap 0x1000 0x1000 1 0\nmap 0x4000 0x1000 1 0\ndump\n",
        )
        .unwrap();
        let out = replay(&cmds, false).unwrap();
        assert!(
            out.ends_with("vas 3\n  [0x1000,0x1000,1,0x0]\n  [0x2000,0x1000,kernel]\n  [0x4000,0x1000,1,0x0]\n"),
            "{out}"
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        assert_eq!(parse("init 0 1\nmap 1 2 x 0\n").unwrap_err().line, 2);
        assert_eq!(parse("init 0\n").unwrap_err().line, 1);
        assert_eq!(parse("frob\n").unwrap_err().line, 1);
    }

    #[test]
    fn small_and_large_object_ids_name_distinct_objects() {
        // Ids below the table's bound and far above it (kept in the map) each get an object of their own, found again
        // on the next use: the same id and offset keeps the VA (keep=1), another id does not.
        let cmds = parse(
            "init 0 0x100000\nmap 0x1000 0x1000 7 0\nmap 0x2000 0x1000 4000000000 0\n\
             map 0x1000 0x1000 7 0\nmap 0x2000 0x1000 4000000000 0\nmap 0x2000 0x1000 7 0x1000\ndump\n",
        )
        .unwrap();
        let out = replay(&cmds, false).unwrap();
        assert!(out.contains("unmap [0x1000,0x1000,7,0x0] keep=1"), "{out}");
        assert!(
            out.contains("unmap [0x2000,0x1000,4000000000,0x0] keep=1"),
            "{out}"
        );
        assert!(
            out.contains("unmap [0x2000,0x1000,4000000000,0x0] keep=0"),
            "{out}"
        );
        assert!(
            out.ends_with("vas 2\n  [0x1000,0x1000,7,0x0]\n  [0x2000,0x1000,7,0x1000]\n"),
            "{out}"
        );
    }

    #[test]
    fn map_before_init_is_a_setup_error() {
        assert!(replay(&parse("map 0x1000 0x1000 1 0\n").unwrap(), false).is_err());
    }

    #[test]
    fn timing_counts_map_and_unmap_only() {
        let cmds =
            parse("init 0 0x100000\nmap 0x1000 0x1000 1 0\nunmap 0x1000 0x1000\ndump\nmap 0 0x200000 1 0\n").unwrap();
        let t = time(&cmds).unwrap();
        assert_eq!((t.ops, t.errors, t.vas), (3, 1, 0));
    }
}
