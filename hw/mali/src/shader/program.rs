// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! A shader binary as the core fetches it: instruction words read through the group's AS a page at a time, as far
//! as execution reaches, each decoded once; and a small cache of decoded programs reused across RUNs
//! (`Documentation/hardware.md#shader-core`).
//!
//! Fetching is lazy so that a fault is raised only for an instruction a thread actually reaches: the first fetch reads
//! from the binary's address to the end of its page, later fetches the following pages. A zero word ends the binary
//! (Mesa pads every program with zeros; a zero word is not a valid instruction).

use std::cell::RefCell;
use std::collections::HashMap;

use super::decode::{decode, DecodeError, Instr};
use crate::cs::machine::{CsMemory, MemError};

/// The longest binary the model fetches, in instructions.
pub const MAX_PROGRAM_WORDS: usize = 1 << 16;

/// Programs kept in the per-thread decode cache before it is emptied.
const CACHE_ENTRIES: usize = 64;

const PAGE: u64 = 4096;

/// Why fetching stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tail {
    /// More words may follow (not fetched yet).
    Open,
    /// A zero word follows the last instruction.
    Zero,
    /// [`MAX_PROGRAM_WORDS`] reached.
    Limit,
}

/// What a thread finds at an instruction index.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fetched<'a> {
    /// A decoded instruction.
    Instr(&'a Instr),
    /// A word that does not decode (including the zero word that ends the binary).
    Bad(DecodeError),
    /// Past [`MAX_PROGRAM_WORDS`] or before the binary.
    OutOfRange,
    /// The fetch itself failed.
    Mem(MemError),
}

/// A shader binary at a GPU VA, fetched and decoded as far as execution has reached.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    base: u64,
    words: Vec<u64>,
    decoded: Vec<Result<Instr, DecodeError>>,
    tail: Tail,
}

thread_local! {
    /// Decoded programs by binary address. An entry is reused only when the words it holds still read the same
    /// through the AS of the RUN that wants it, so the address space and the binary's contents are part of the key.
    static CACHE: RefCell<HashMap<u64, Program>> = RefCell::new(HashMap::new());
}

impl Program {
    /// The program at `base`: the cached decode when the binary still reads the same, else an empty one that fetches
    /// on demand.
    pub fn open(base: u64, mem: &mut dyn CsMemory) -> Self {
        let cached = CACHE.with(|c| c.borrow_mut().remove(&base));
        if let Some(p) = cached {
            let mut buf = vec![0u8; p.words.len() * 8];
            if !buf.is_empty() && mem.read(base, &mut buf).is_ok() {
                let same = buf
                    .chunks_exact(8)
                    .zip(&p.words)
                    .all(|(b, w)| u64::from_le_bytes(b.try_into().unwrap_or_default()) == *w);
                if same {
                    return p;
                }
            }
        }
        Self {
            base,
            words: Vec::new(),
            decoded: Vec::new(),
            tail: Tail::Open,
        }
    }

    /// Returns the program to the decode cache for later RUNs.
    pub fn keep(self) {
        if self.words.is_empty() {
            return;
        }
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= CACHE_ENTRIES {
                c.clear();
            }
            c.insert(self.base, self);
        });
    }

    /// Instruction words fetched so far.
    pub fn fetched(&self) -> usize {
        self.words.len()
    }

    /// The binary's GPU VA.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The instruction at index `i`, fetching up to it if needed.
    pub fn at(&mut self, i: usize, mem: &mut dyn CsMemory) -> Fetched<'_> {
        while i >= self.words.len() && self.tail == Tail::Open {
            if let Err(e) = self.fetch_page(mem) {
                return Fetched::Mem(e);
            }
        }
        match self.decoded.get(i) {
            Some(Ok(instr)) => Fetched::Instr(instr),
            Some(Err(e)) => Fetched::Bad(*e),
            None if self.tail == Tail::Zero && i == self.words.len() => {
                Fetched::Bad(DecodeError::Invalid("all-zero word"))
            }
            // Past the zero word: those words were never fetched, so this is a fetch beyond the binary.
            None => Fetched::OutOfRange,
        }
    }

    fn fetch_page(&mut self, mem: &mut dyn CsMemory) -> Result<(), MemError> {
        let va = self.base.wrapping_add(8 * self.words.len() as u64);
        let room = MAX_PROGRAM_WORDS - self.words.len();
        let n = (((PAGE - (va % PAGE)) / 8) as usize).clamp(1, room);
        let mut buf = vec![0u8; n * 8];
        mem.read(va, &mut buf)?;
        for chunk in buf.chunks_exact(8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            if w == 0 {
                self.tail = Tail::Zero;
                return Ok(());
            }
            self.words.push(w);
            self.decoded.push(decode(w));
        }
        if self.words.len() >= MAX_PROGRAM_WORDS {
            self.tail = Tail::Limit;
        }
        Ok(())
    }
}
