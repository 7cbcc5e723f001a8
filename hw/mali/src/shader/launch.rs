// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! From a RUN_COMPUTE's staging registers to executed workgroups: the Shader Program, Local Storage and FAU
//! descriptors read through the MMU, the workgroup grid, and its workgroups run on the model thread in order or on
//! several host threads (`parallel`); each dispatch is a `dispatch` event of target `hw_mali::shader`
//! (`Documentation/hardware.md#shader-core`).

use super::exec::{Context, Core};
use super::parallel;
use super::program::Program;
use super::{exception, Fault, JOB_STEP_BUDGET, MAX_WORKGROUP_THREADS, WARP_STEP_BUDGET};
use crate::cs::machine::CsMemory;

/// What the compute staging registers hold for one RUN (after the RUN word's selects are applied).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dispatch {
    /// Shader resource table pointer (low 6 bits: table count).
    pub srt: u64,
    /// FAU pointer: address in bits 0..55, count of 64-bit words in bits 56..63.
    pub fau: u64,
    /// Shader program descriptor pointer.
    pub spd: u64,
    /// Thread storage descriptor pointer (0: none).
    pub tsd: u64,
    /// r33: `Compute size workgroup`.
    pub wg_size: u32,
    /// r34..r36: job offset in invocations.
    pub offset: [u32; 3],
    /// r37..r39: job size in workgroups.
    pub size: [u32; 3],
}

/// Descriptor pointers are 64-byte aligned; the low bits carry flags or counts.
const DESC_MASK: u64 = !0x3F;
/// The Shader Program descriptor is 32-byte aligned (Mesa packs two to a 64-byte line), so its pointer keeps bit 5.
const SPD_MASK: u64 = !0x1F;

fn read<const N: usize>(mem: &mut dyn CsMemory, va: u64, pc: u64) -> Result<[u8; N], Fault> {
    let mut b = [0u8; N];
    mem.read(va, &mut b).map_err(|err| Fault::Mem { err, pc })?;
    Ok(b)
}

fn word(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

fn dword(b: &[u8], i: usize) -> u64 {
    u64::from(word(b, i)) | u64::from(word(b, i + 1)) << 32
}

/// Runs `d`'s grid to completion, or to the first fault. `pc` is the RUN instruction's address (what faults of the
/// descriptors report). Returns the number of instructions executed.
pub(crate) fn run_compute(d: &Dispatch, mem: &mut dyn CsMemory, pc: u64) -> Result<u64, Fault> {
    run_with_budgets(d, mem, pc, (WARP_STEP_BUDGET, JOB_STEP_BUDGET))
}

/// [`run_compute`] with explicit (per-thread, per-job) step budgets.
pub(crate) fn run_with_budgets(
    d: &Dispatch,
    mem: &mut dyn CsMemory,
    pc: u64,
    budgets: (u64, u64),
) -> Result<u64, Fault> {
    let invalid = |va| Fault::Exception {
        code: exception::DATA_INVALID_FAULT,
        va,
        fatal: false,
    };
    let spd_va = d.spd & SPD_MASK;
    if spd_va == 0 {
        return Err(invalid(pc));
    }
    let spd: [u8; 32] = read(mem, spd_va, pc)?;
    if d.size.contains(&0) {
        // An empty grid runs nothing; the descriptor was still fetched.
        return Ok(0);
    }
    let w0 = word(&spd, 0);
    let regs = match w0 >> 30 {
        0 => 64,
        2 => 32,
        _ => return Err(invalid(spd_va)),
    };
    let binary = dword(&spd, 2);
    if w0 & 0xF != 8 || binary == 0 || !binary.is_multiple_of(8) {
        return Err(invalid(spd_va));
    }
    let local = [
        (d.wg_size & 0x3FF) + 1,
        ((d.wg_size >> 10) & 0x3FF) + 1,
        ((d.wg_size >> 20) & 0x3FF) + 1,
    ];
    if local.iter().product::<u32>() > MAX_WORKGROUP_THREADS {
        return Err(invalid(pc));
    }
    let mut ctx = Context {
        ftz: (w0 >> 17) & 3 != 0,
        regs,
        preload: word(&spd, 1) as u16,
        srt: d.srt & DESC_MASK,
        srt_count: (d.srt & !DESC_MASK) as u32,
        local,
        offset: d.offset,
        budgets,
        ..Context::default()
    };
    let fau_va = d.fau & ((1 << 56) - 1);
    let fau_count = (d.fau >> 56) as usize;
    if fau_count != 0 {
        let mut buf = vec![0u8; 8 * fau_count];
        mem.read(fau_va, &mut buf)
            .map_err(|err| Fault::Mem { err, pc })?;
        ctx.fau = buf.chunks_exact(4).map(|c| word(c, 0)).collect();
    }
    let tsd_va = d.tsd & DESC_MASK;
    if tsd_va != 0 {
        let tsd: [u8; 32] = read(mem, tsd_va, pc)?;
        let tls_base = (dword(&tsd, 2) & ((1 << 48) - 1)) << 8;
        if tls_base != 0 {
            ctx.tls = (tls_base, 16 << (word(&tsd, 0) & 0x1F));
        }
        let w1 = word(&tsd, 1);
        let (instances, scale) = (w1 & 0x1F, (w1 >> 8) & 0x1F);
        let wls_base = dword(&tsd, 4);
        if instances < 31 && scale != 0 && wls_base != 0 {
            ctx.wls = (wls_base, 1 << (scale - 1), 1 << instances);
        }
    }

    let size = d.size.map(u64::from);
    let total = size.iter().product::<u64>();
    let workers = parallel::workers().min(usize::try_from(total).unwrap_or(usize::MAX));
    let prog = Program::open(binary, mem);
    let shared = mem.shared();
    let used = if shared.is_some() { workers.max(1) } else { 1 };
    let (steps, result, prog) = match shared {
        Some(shared) => {
            let (out, refusal) = parallel::run_grid(&ctx, prog, size, shared, workers);
            parallel::replay(refusal, mem);
            (out.steps, out.fault, out.prog)
        }
        None => {
            let mut core = Core::from_program(&ctx, prog);
            let mut fault = None;
            for i in 0..total {
                if let Err(e) = core.run_workgroup(parallel::coords(i, size), i, mem) {
                    fault = Some((i, e));
                    break;
                }
            }
            (core.steps, fault, core.into_program())
        }
    };
    prog.keep();
    trace_dispatch(d, &ctx, binary, steps, used, result.as_ref());
    match result {
        Some((_, f)) => Err(f),
        None => Ok(steps),
    }
}

/// The `dispatch` event `tyr trace` shows for each grid the core ran.
fn trace_dispatch(
    d: &Dispatch,
    ctx: &Context,
    binary: u64,
    steps: u64,
    workers: usize,
    fault: Option<&(u64, Fault)>,
) {
    let [lx, ly, lz] = ctx.local;
    let [gx, gy, gz] = d.size;
    let fault = fault.map(|(wg, f)| match f {
        Fault::Exception { code, va, fatal } => {
            format!(
                "workgroup {wg}: exception {code:#04x} at {va:#x}{}",
                if *fatal { " (fatal)" } else { "" }
            )
        }
        Fault::Mem { err, pc } => format!("workgroup {wg}: {err} (instruction {pc:#x})"),
    });
    tracing::info!(
        target: "hw_mali::shader",
        shader = binary,
        local = format!("{lx}x{ly}x{lz}"),
        groups = format!("{gx}x{gy}x{gz}"),
        workgroups = u64::from(gx) * u64::from(gy) * u64::from(gz),
        thread_instructions = steps,
        workers,
        fault = fault.as_deref().unwrap_or(""),
        "dispatch"
    );
}
