// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! One input of the `ioctls` fuzz target (`fuzz/fuzz_targets/ioctls.rs`) on a booted [`Executor`]: the literal steps
//! of a seed's script ([`super::seed`]; a wait among them brought within 1 s, [`super::bounded`]), then generator steps whose every choice is read from the input's remaining
//! bytes, each step checked as `tyr fuzz` checks it; then every file and descriptor closed and the device back at its
//! baseline ([`Executor::reset`]). Here rather than in the target so that a test can run an input without libFuzzer.

use std::cell::Cell;
use std::rc::Rc;

use rand::RngCore;

use super::bounded;
use super::call::Step;
use super::exec::Executor;
use super::gen::Gen;
use super::{script, seed, step_checked, Stats};

/// Files the target opens: two render files and the master.
pub const FILES: usize = 3;
/// Steps per input at most.
pub const MAX_STEPS: usize = 256;

/// A random source reading the input's bytes; once they run out it yields zeros and says so.
struct Choices {
    bytes: Vec<u8>,
    at: usize,
    out: Rc<Cell<bool>>,
}

impl RngCore for Choices {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for d in dest {
            *d = match self.bytes.get(self.at) {
                Some(&b) => {
                    self.at += 1;
                    b
                }
                None => {
                    self.out.set(true);
                    0
                }
            };
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// What one input did.
#[derive(Debug, Default)]
pub struct InputRun {
    /// The steps run: the script's, then the generated ones.
    pub steps: Vec<Step>,
    /// How many of them came from the script.
    pub scripted: usize,
    /// The checks' figures.
    pub stats: Stats,
}

/// Runs `input` on `ex` (whose `files` files are open and which holds nothing else: right after
/// [`Executor::new`] or a previous call), at most `max_steps` steps, then resets `ex` to `files` fresh files. A
/// failed check or a leak is `Err` with the finding and the steps as a script `tyr fuzz --replay` runs again.
pub fn run(
    ex: &mut Executor,
    input: &[u8],
    files: usize,
    max_steps: usize,
) -> Result<InputRun, String> {
    // A fuzzing engine opens descriptors of its own between inputs; leaks are counted from here.
    ex.rebase();
    let (script_steps, choices) = seed::decode(input);
    let out = Rc::new(Cell::new(false));
    let mut gen = Gen::from_rng(Box::new(Choices {
        bytes: choices.to_vec(),
        at: 0,
        out: out.clone(),
    }));
    let mut run = InputRun::default();
    let fail = |what: String, steps: &[Step]| {
        format!("{what}\nscript ({files} files):\n{}", script::print(steps))
    };
    let mut scripted = script_steps.into_iter().take(max_steps);
    while run.steps.len() < max_steps {
        let step = match scripted.next() {
            Some(s) => {
                run.scripted += 1;
                let mut step = s.resolve(&ex.view().fds);
                bounded::bound_blocking(&mut step, kernel::time::ktime_get_ns() as u64);
                step
            }
            None if choices.is_empty() || out.get() => break,
            None => gen.next(&ex.view()),
        };
        run.steps.push(step);
        if let Err(f) = step_checked(ex, run.steps.last().expect("pushed"), &mut run.stats) {
            return Err(fail(f.to_string(), &run.steps));
        }
    }
    if let Err(m) = ex.reset(files) {
        return Err(fail(format!("after closing every file: {m}"), &run.steps));
    }
    Ok(run)
}
