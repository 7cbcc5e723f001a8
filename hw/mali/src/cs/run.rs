// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The RUN_* endpoint instructions: compute, tiling, IDVS, fragment and fullscreen work launched on the endpoint
//! scoreboard entry.

use super::decode::{Async, Reg, RunKind};
use super::exception;
use super::exec::Flow;
use super::machine::{fault, mem_stop, CsMemory, Machine, Stop};

impl Machine {
    /// RUN_* `kind` with its instruction `word`: the descriptors are checked, then the work is issued on the endpoint
    /// scoreboard entry and completes at once (no shader runs, see the module docs of [`super`]).
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
        if let Err(stop) = self.validate_run(kind, word, mem, pc) {
            return Flow::Block(stop);
        }
        if let Some(s) = self.issue(sb) {
            return Flow::Block(s);
        }
        self.runs = self.runs.wrapping_add(1);
        self.progress = self.progress.wrapping_add((word >> 32) & 1);

        Flow::Next
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
            RunKind::Compute | RunKind::ComputeIndirect | RunKind::Tiling => {
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
