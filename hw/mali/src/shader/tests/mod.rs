// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shader-core tests against a memory port with pages, permissions and MMU-style faults, so semantics, faults, barriers
//! and budgets are checked without a GPU around them. Programs are the words Mesa's `asm.py` emits for the assembly in
//! the comments. The end-to-end run through a modelled GPU is in `hw/mali/tests/shader_compute.rs`.

mod buffers;
mod control;
mod faults;
mod lanes;
mod programs;
mod random;

use std::collections::HashMap;

use super::exec::{JOB_STEP_BUDGET, WARP_STEP_BUDGET};
use super::launch::{run_with_budgets, Dispatch};
use super::{exception, Fault};
use crate::cs::machine::{CsMemory, MemError};

/// Translation and permission fault codes the fake port reports (TRANSLATION_FAULT_1, PERM_FAULT_1).
const TRANSLATION: u8 = 0xC1;
const PERMISSION: u8 = 0xC9;

const SPD: u64 = 0x10_0000;
const TSD: u64 = 0x10_0040;
const FAU: u64 = 0x10_0100;
const CODE: u64 = 0x20_0000;
const BUF: u64 = 0x30_0000;
const OUT: u64 = 0x40_0000;
const RO: u64 = 0x50_0000;
const UNMAPPED: u64 = 0x60_0000;
/// A shader resource table and descriptor set 0, in the SPD's page.
const SRT: u64 = SPD + 0x400;
const SET0: u64 = SPD + 0x800;

/// Pages by VA (writable flag), and a count of reads that fetched code.
#[derive(Default)]
struct Mem {
    pages: HashMap<u64, (Vec<u8>, bool)>,
    code_reads: usize,
}

impl Mem {
    fn new() -> Self {
        let mut m = Self::default();
        for va in [SPD, CODE, CODE + 0x1000, BUF, OUT] {
            m.pages.insert(va, (vec![0; 4096], true));
        }
        m.pages.insert(RO, (vec![0; 4096], false));
        m
    }

    fn put(&mut self, va: u64, data: &[u8]) {
        for (k, b) in data.iter().enumerate() {
            let a = va + k as u64;
            self.pages.get_mut(&(a & !0xFFF)).unwrap().0[(a & 0xFFF) as usize] = *b;
        }
    }

    fn words(&mut self, va: u64, words: &[u64]) {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put(va, &bytes);
    }

    fn u32s(&mut self, va: u64, vals: &[u32]) {
        let bytes: Vec<u8> = vals.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put(va, &bytes);
    }

    fn get32(&self, va: u64) -> u32 {
        let p = &self.pages[&(va & !0xFFF)].0;
        let o = (va & 0xFFF) as usize;
        u32::from_le_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]])
    }

    fn check(&self, va: u64, len: usize, write: bool) -> Result<(), MemError> {
        let mut a = va;
        while a < va + len as u64 {
            match self.pages.get(&(a & !0xFFF)) {
                None => {
                    return Err(MemError::Mmu {
                        va: a,
                        code: TRANSLATION,
                    })
                }
                Some((_, false)) if write => {
                    return Err(MemError::Mmu {
                        va: a,
                        code: PERMISSION,
                    })
                }
                _ => {}
            }
            a = (a & !0xFFF) + 0x1000;
        }
        Ok(())
    }

    /// A compute SPD: shader type, `ftz` mode, 64 registers, preload r55..r62, binary at CODE.
    fn spd(&mut self, ftz: u32) {
        self.u32s(SPD, &[8 | 1 << 4 | ftz << 17, 0x7F80, CODE as u32, 0]);
    }
}

impl CsMemory for Mem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        self.check(va, buf.len(), false)?;
        if (CODE..CODE + 0x2000).contains(&va) {
            self.code_reads += 1;
        }
        for (k, b) in buf.iter_mut().enumerate() {
            let a = va + k as u64;
            *b = self.pages[&(a & !0xFFF)].0[(a & 0xFFF) as usize];
        }
        Ok(())
    }

    fn write(&mut self, va: u64, data: &[u8]) -> Result<(), MemError> {
        self.check(va, data.len(), true)?;
        self.put(va, data);
        Ok(())
    }

    fn atomic_check(&mut self, va: u64) -> Result<(), MemError> {
        self.check(va, 1, true)
    }

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

/// A dispatch of `groups` workgroups of `local` threads along X, FAU words at FAU.
fn dispatch(local: u32, groups: u32, fau_words: usize) -> Dispatch {
    Dispatch {
        srt: 0,
        fau: FAU | ((fau_words as u64).div_ceil(2) << 56),
        spd: SPD,
        tsd: 0,
        wg_size: local - 1,
        offset: [0; 3],
        size: [groups, 1, 1],
    }
}

fn run(m: &mut Mem, d: &Dispatch) -> Result<u64, Fault> {
    run_with_budgets(d, m, 0x99_0000, (WARP_STEP_BUDGET, JOB_STEP_BUDGET))
}

fn ptr(va: u64) -> [u32; 2] {
    [va as u32, (va >> 32) as u32]
}

/// out[i] = in[i] * 3 + global_id.x
const TRIPLE: [u64; 6] = [
    0x01A3_C200_0027_3C80, // SHADDX.u64 r2, u0, r60, shift:2
    0x0860_8482_1800_0002, // LOAD.i32.unsigned.slot0.wait0 @r4, r2, offset:0
    0x00A0_C500_1C0A_C804, // IMUL.i32 r5, r4, 0x3020100.b3
    0x00A0_C500_0000_3C05, // IADD.u32 r5, r5, r60
    0x01A3_C600_0027_3C82, // SHADDX.u64 r6, u2, r60, shift:2
    0x7861_4502_1800_0006, // STORE.i32.slot0.end @r5, r6, offset:0
];
