// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The RUN_* endpoint instructions: compute, tiling, IDVS, fragment and fullscreen work launched on the endpoint
//! scoreboard entry. Compute work runs on the shader core ([`crate::shader`]) before the RUN retires; the other
//! kinds only have their descriptors checked.

use super::decode::{Async, Reg, RunKind};
use super::exception;
use super::exec::Flow;
use super::machine::{fatal, fault, mem_stop, CsMemory, Machine, MemError, Stop};
use crate::shader::launch::{run_compute, Dispatch};
use crate::shader::{self, Fault};

impl Machine {
    /// RUN_* `kind` with its instruction `word`: the descriptors are checked, the work is issued on the endpoint
    /// scoreboard entry, compute work runs its grid on the shader core, and the work completes (see the module docs
    /// of [`super`]). A shader fault faults the RUN; the scoreboard entry is released again.
    pub(super) fn run_endpoint(
        &mut self,
        kind: RunKind,
        word: u64,
        pc: u64,
        mem: &mut dyn CsMemory,
    ) -> Flow {
        let sb = Async {
            signal: Some(self.sb_endpoint),
            wait: 0,
        };
        let compute = matches!(kind, RunKind::Compute | RunKind::ComputeIndirect);
        if !compute {
            if let Err(stop) = self.validate_run(kind, word, mem, pc) {
                return Flow::Block(stop);
            }
        }
        if let Some(s) = self.issue(sb) {
            return Flow::Block(s);
        }
        if compute {
            if let Err(f) = run_compute(&self.dispatch(word), mem, pc) {
                self.sb[usize::from(self.sb_endpoint)] -= 1;
                return Flow::Block(shader_stop(f, pc));
            }
        }
        self.runs = self.runs.wrapping_add(1);
        self.progress = self.progress.wrapping_add((word >> 32) & 1);

        Flow::Next
    }

    /// The compute staging registers a RUN_COMPUTE(_INDIRECT) `word` selects: SRT r0 + 2·sel (bits 40..41), FAU
    /// r8 + 2·sel (46..47), SPD r16 + 2·sel (42..43), TSD r24 + 2·sel (44..45); r33 workgroup size, r34..r36 job
    /// offset, r37..r39 job size.
    fn dispatch(&self, word: u64) -> Dispatch {
        let sel = |shift: u32| ((word >> shift) & 3) as u8 * 2;
        Dispatch {
            srt: self.d(sel(40)),
            fau: self.d(8 + sel(46)),
            spd: self.d(16 + sel(42)),
            tsd: self.d(24 + sel(44)),
            wg_size: self.r(33),
            offset: [self.r(34), self.r(35), self.r(36)],
            size: [self.r(37), self.r(38), self.r(39)],
        }
    }

    /// RUN_* reads the descriptors its staging registers point at, through the MMU, and checks the mandatory ones
    /// are present; no shader runs (see the module docs).
    fn validate_run(
        &self,
        kind: RunKind,
        word: u64,
        mem: &mut dyn CsMemory,
        pc: u64,
    ) -> Result<(), Stop> {
        let sel = |shift: u32| ((word >> shift) & 3) as u8 * 2;
        // (staging pair, bytes to read, mandatory)
        let mut descs: Vec<(Reg, usize, bool)> = Vec::new();
        match kind {
            RunKind::Tiling | RunKind::Compute | RunKind::ComputeIndirect => {
                descs.push((16 + sel(42), 64, true)); // shader program descriptor
                descs.push((24 + sel(44), 32, false)); // thread storage descriptor
            }
            RunKind::Idvs => {
                descs.push((16 + sel(42), 64, true));
                descs.push((40, 32, true)); // tiler context
            }
            RunKind::Fragment => descs.push((40, 64, true)), // framebuffer descriptor
            RunKind::Fullscreen => descs.push((40, 64, true)),
        }
        for (pair, len, mandatory) in descs {
            // Descriptor pointers carry flags in their low 6 bits (64-byte aligned descriptors).
            let va = self.d(pair) & !0x3F;
            if va == 0 {
                if mandatory {
                    return Err(fault(exception::DATA_INVALID_FAULT, 0, pc));
                }
                continue;
            }
            let mut buf = [0u8; 64];
            mem.read(va, &mut buf[..len]).map_err(|e| mem_stop(e, pc))?;
        }
        Ok(())
    }
}

/// How a shader fault stops the stream that issued the RUN at `pc`: exceptions carry the shader instruction's (or
/// descriptor's) address as their info; refused accesses are reported as the command stream's own would be, except
/// that an access stalled by an AS lock after the job started cannot be retried without repeating the job's effects,
/// so it faults the job \[model\].
fn shader_stop(f: Fault, pc: u64) -> Stop {
    match f {
        Fault::Exception {
            code,
            va,
            fatal: true,
        } => fatal(code, va, pc),
        Fault::Exception { code, va, .. } => fault(code, va, pc),
        Fault::Mem {
            err: MemError::Stalled { va },
            pc: at,
        } if at != pc => fault(shader::exception::DATA_INVALID_FAULT, va, pc),
        Fault::Mem { err, .. } => mem_stop(err, pc),
    }
}
