// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Shader binaries run by the model's Valhall shader core through the real driver: a RUN_COMPUTE job (GROUP_SUBMIT)
//! whose Shader Program Descriptor names a binary built from the input — mostly compiler-made words of every executed
//! operation ([`SHADER_TEMPLATES`]) with their registers, uniforms and flow replaced (kept only while the word still
//! decodes) — the float, half-float and vector ones also on their own ([`FLOAT_TEMPLATES`]) —, and words with an
//! executed primary opcode, plausible sources and destinations, plain or `.end` flow and
//! fuzzed modifier bits, or raw words — over a fuzzed
//! grid, with FAU words that point into a mapped buffer or are fuzzed. Every job ends (done or faulted) within 5 s,
//! its fence signals, GROUP_GET_STATE answers, the consistency checker passes, nothing panics in the driver or the
//! model, and closing the file gives every frame back.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use hw_mali::shader::{decode, Src};
use libfuzzer_sys::fuzz_target;
use tyr_fuzz::shader_words::{FLOAT_TEMPLATES, SHADER_TEMPLATES};
use tyr_fuzz::*;

/// The shader's BO: binary at +0 (one page), SPD at +0x1000, FAU at +0x1100, data from +0x2000.
const CODE_VA: u64 = 0x100_0000;
const SPD: u64 = CODE_VA + 0x1000;
const FAU: u64 = CODE_VA + 0x1100;
const DATA: u64 = CODE_VA + 0x2000;
const BO_SIZE: u64 = 0x1_0000;
const STREAM_VA: u64 = 0x200_0000;
/// A shader that never ends is stopped by the core's step budget; the job timeout bounds anything else.
const JOB_TIMEOUT: Duration = Duration::from_millis(500);
const HANG_MS: u64 = 5_000;

/// Primary opcodes the shader core executes (`Documentation/hardware.md#shader-core`), so most words decode.
const OPCODES: [u64; 45] = [
    0x000, 0x01F, 0x02F, 0x045, 0x150, 0x154, 0x158, 0x05E, 0x060, 0x061, 0x068, 0x069, 0x120,
    0x06A, 0x06B, 0x090, 0x091, 0x095, 0x09C, 0x0A0, 0x0A8, 0x1A3, 0x1AB, 0x0A4, 0x0B2, 0x0B4,
    0x1B7, 0x0B8, 0x0F0, 0x110, 0x0A1, 0x0A9, 0x0AA, 0x0B5, 0x0B6, 0x0B9, 0x151, 0x0F9, 0x099,
    0x0BD, 0x0A5, 0x0B3, 0x0F5, 0x155, 0x098,
];

#[derive(Arbitrary, Debug)]
enum Word {
    /// A template word with its register sources (`regs[0..4]`), uniform sources, destination or staging register
    /// (`regs[4]`) and flow replaced where the result still decodes.
    Template {
        which: u16,
        regs: [u8; 5],
        uniform: u8,
        flow: u8,
    },
    /// A float, half-float or vector template ([`FLOAT_TEMPLATES`]), operands replaced as for `Template`, and its
    /// round mode (bits 31:30) and clamp (33:32) fields set where the word still decodes.
    Float {
        which: u8,
        regs: [u8; 5],
        uniform: u8,
        flow: u8,
        round: u8,
        clamp: u8,
    },
    Executed {
        op: u8,
        srcs: [u8; 4],
        dest: u8,
        flow: u8,
        modifiers: u8,
    },
    Raw(u64),
}

#[derive(Arbitrary, Debug)]
enum Fau {
    /// A float bit pattern where rounding, flushing and special cases differ ([`FLOATS`]).
    Float(u8),
    Raw(u32),
}

/// f32 and packed-f16 bit patterns where rounding, flush-to-zero and special cases show: zeros, the smallest and
/// largest subnormals, the smallest normal, halfway cases between integers and between f16 neighbours, values just
/// past the integer and f16 ranges, infinities, quiet and signalling NaNs.
const FLOATS: [u32; 32] = [
    0x0000_0000,
    0x8000_0000,
    0x0000_0001,
    0x8000_0001,
    0x007F_FFFF,
    0x807F_FFFF,
    0x0080_0000,
    0x8080_0000,
    0x3F00_0000,
    0xBF00_0000,
    0x3FC0_0000,
    0xC020_0000,
    0x4B80_0001,
    0x4F00_0000,
    0xCF00_0001,
    0x4F80_0000,
    0x477F_F000,
    0x477F_E000,
    0x3880_0000,
    0x3380_0000,
    0x3300_0000,
    0x7F7F_FFFF,
    0xFF7F_FFFF,
    0x7F80_0000,
    0xFF80_0000,
    0x7FC0_0000,
    0x7F80_0001,
    0xFFC0_0001,
    // Packed halves: two f16 subnormals, f16 max and the smallest normal, f16 inf and NaN, 0.5 and -1.5.
    0x8001_03FF,
    0x7BFF_0400,
    0x7C00_7E01,
    0x3800_BE00,
];

#[derive(Arbitrary, Debug)]
struct Input {
    words: Vec<Word>,
    /// FAU words after the two data pointers.
    fau: Vec<Fau>,
    local: u8,
    groups: u8,
    /// Registers the SPD allocates: 64 or 32.
    small_regs: bool,
    /// The SPD's flush-to-zero mode (bits 18:17; any non-zero mode flushes).
    ftz: u8,
}

/// A source byte: a low register, a uniform, or a constant.
fn source(b: u8) -> u64 {
    match b % 3 {
        0 => u64::from(b % 12),
        1 => 0x80 + u64::from(b % 8),
        _ => 0xC0 + u64::from(b % 32),
    }
}

/// A template with its operands replaced: register sources keep their discard bit and take `regs[i] % nregs`,
/// uniform sources take `uniform`, the destination byte's register takes `regs[4] % nregs`, and the flow field one of
/// none, `.wait0`, `.wait`, `.end`, `.reconverge`; each change is kept only if the word still decodes.
fn template(
    table: &[(u64, &str)],
    which: u16,
    regs: [u8; 5],
    uniform: u8,
    flow: u8,
    nregs: u8,
) -> u64 {
    let mut w = table[usize::from(which) % table.len()].0;
    let keep = |w: u64, new: u64| if decode(new).is_ok() { new } else { w };
    let byte = |w: u64, i: u32, v: u64| w & !(0xFF << (8 * i)) | (v & 0xFF) << (8 * i);
    if let Ok(instr) = decode(w) {
        for (i, src) in instr.src.iter().enumerate() {
            let i = i as u32;
            let old = (w >> (8 * i)) & 0xFF;
            let new = match src {
                Src::Reg { .. } => old & 0x40 | u64::from(regs[i as usize] % nregs),
                Src::Uniform(_) => 0x80 | u64::from(uniform & 0x3F),
                _ => continue,
            };
            w = keep(w, byte(w, i, new));
        }
    }
    let dest = (w >> 40) & 0xFF;
    w = keep(w, byte(w, 5, dest & 0xC0 | u64::from(regs[4] % nregs)));
    let flow = [0u64, 1, 9, 15, 10][usize::from(flow) % 5];
    keep(w, w & !(0xF << 59) | flow << 59)
}

fn encode(w: &Word, nregs: u8) -> u64 {
    match *w {
        Word::Template {
            which,
            regs,
            uniform,
            flow,
        } => template(SHADER_TEMPLATES, which, regs, uniform, flow, nregs),
        Word::Float {
            which,
            regs,
            uniform,
            flow,
            round,
            clamp,
        } => {
            let w = template(
                FLOAT_TEMPLATES,
                u16::from(which),
                regs,
                uniform,
                flow,
                nregs,
            );
            let keep = |w: u64, new: u64| if decode(new).is_ok() { new } else { w };
            let w = keep(w, w & !(3 << 30) | u64::from(round & 3) << 30);
            keep(w, w & !(3 << 32) | u64::from(clamp & 3) << 32)
        }
        Word::Executed {
            op,
            srcs,
            dest,
            flow,
            modifiers,
        } => {
            let s = srcs
                .iter()
                .enumerate()
                .fold(0, |a, (i, &b)| a | source(b) << (8 * i));
            let flow = [0u64, 0, 15, 10, 1][usize::from(flow) % 5];
            u64::from(modifiers) << 32
                | s
                | (0xC0 | u64::from(dest % 12)) << 40
                | OPCODES[usize::from(op) % 45] << 48
                | flow << 59
        }
        Word::Raw(v) => v,
    }
}

thread_local! {
    static DEVICE: Device = Device::boot(Some(JOB_TIMEOUT));
}

fn move48(r: u64, v: u64) -> u64 {
    1 << 56 | r << 48 | (v & 0xFFFF_FFFF_FFFF)
}

fn move32(r: u64, v: u32) -> u64 {
    2 << 56 | r << 48 | u64::from(v)
}

fuzz_target!(|input: Input| {
    let mut image = vec![0u8; 0x2000];
    for (i, w) in input.words.iter().take(512).enumerate() {
        let nregs = if input.small_regs { 32 } else { 64 };
        image[8 * i..8 * i + 8].copy_from_slice(&encode(w, nregs).to_le_bytes());
    }
    // SPD: shader, compute stage, r55..r62 preloaded, the binary; 32 registers when asked (register allocation,
    // bits 31:30: 2), flush-to-zero when asked.
    let spd = (SPD - CODE_VA) as usize;
    let word0: u32 =
        8 | 1 << 4 | if input.small_regs { 2 << 30 } else { 0 } | u32::from(input.ftz & 3) << 17;
    image[spd..spd + 4].copy_from_slice(&word0.to_le_bytes());
    image[spd + 4..spd + 8].copy_from_slice(&0x7F80u32.to_le_bytes());
    image[spd + 8..spd + 16].copy_from_slice(&CODE_VA.to_le_bytes());
    let mut fau: Vec<u32> = vec![
        DATA as u32,
        (DATA >> 32) as u32,
        (DATA + 0x4000) as u32,
        (DATA >> 32) as u32,
    ];
    fau.extend(input.fau.iter().take(28).map(|f| match *f {
        Fau::Float(i) => FLOATS[usize::from(i) % FLOATS.len()],
        Fau::Raw(v) => v,
    }));
    let fau_at = (FAU - CODE_VA) as usize;
    for (k, w) in fau.iter().enumerate() {
        image[fau_at + 4 * k..fau_at + 4 * k + 4].copy_from_slice(&w.to_le_bytes());
    }
    let local = u32::from(input.local % 64) + 1;
    let groups = u32::from(input.groups % 4) + 1;
    let stream: Vec<u64> = vec![
        move48(0, 0),
        move48(8, FAU),
        move32(9, (fau.len() as u32).div_ceil(2) << 24),
        move48(16, SPD),
        move48(24, 0),
        move32(32, 0),
        move32(33, local - 1),
        move32(34, 0),
        move32(35, 0),
        move32(36, 0),
        move32(37, groups),
        move32(38, 1),
        move32(39, 1),
        4 << 56,              // RUN_COMPUTE
        3 << 56 | 0xFF << 16, // WAIT all
    ];
    let stream_bytes: Vec<u8> = stream.iter().flat_map(|w| w.to_le_bytes()).collect();

    DEVICE.with(|d| {
        let f = d.open();
        let vm = vm_create(&f);
        let code = bo_at(&f, vm, CODE_VA, BO_SIZE, 0);
        d.write_bo(&f, code, &image);
        let stream = bo_at(&f, vm, STREAM_VA, BO_SIZE, 0);
        d.write_bo(&f, stream, &stream_bytes);
        let g = group(&f, vm);
        let out = syncobj(&f);
        submit(&f, g, STREAM_VA, stream_bytes.len() as u32, out).expect("GROUP_SUBMIT");
        wait_all_or_hang(&f, &[out], HANG_MS);
        group_state_and_check(&f, g);
        d.close_and_check(f);
    });
});
