// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr fuzz`: a structure-aware ioctl fuzzer for the Tyr render node.
//!
//! A seeded [`gen::Gen`] produces [`call::Step`]s from what the files hold; the [`exec::Executor`] runs them on a
//! booted board through `File::ioctl` and `tyr::mmap::mmap` on several files at once (render files, and with two or
//! more one primary-node file, the master), and runs the sync_file and dma-buf ioctls on the descriptors calls hand
//! out. After every step: no panic (on any thread), the errno is one `Documentation/uapi.md` allows for that ioctl
//! ([`errno`]), the consistency checker passes ([`tyr::debugfs::check`]), every tracked descriptor's kernel object is still
//! registered, and a failed call left every file's observable state, the master state, reservation fences, dma-buf
//! names and the descriptor table as they were ([`exec::Snapshot`]). Every descriptor a call hands out is tracked
//! ([`fds`]) and closed by a step or at the end. At the end every file is closed and RAM must be back at the device's
//! baseline, no dma-buf, sync_file or syncobj file may be left, and the process must hold as many descriptors as when
//! the run began. A failing run is minimised (delta debugging over the steps, each candidate replayed on a fresh board)
//! and printed as a script ([`script`]) that `tyr fuzz --replay` runs again.

pub mod bounded;
pub mod call;
pub mod errno;
pub mod exec;
pub mod fdgen;
pub mod fds;
pub mod from_trace;
pub mod gen;
pub mod input;
pub mod scenarios;
pub mod script;
pub mod seed;

use std::collections::BTreeMap;
use std::fmt;

use call::Step;
use exec::{failure_may_change_state, Executor};

/// Errors of the fuzzer itself, and what it found.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// The board or the device did not come up.
    #[error("boot: {0}")]
    Boot(String),
    /// A script line did not parse.
    #[error("script line {line}: cannot parse `{text}`")]
    Script {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// A step failed a check; the minimised script reproduces it.
    #[error("{0}")]
    Found(Box<Failure>),
}

/// What a failing step did wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A panic, on the calling thread or another.
    Panic(String),
    /// An errno the documentation does not list for this ioctl.
    Errno {
        /// The ioctl.
        ioctl: String,
        /// The errno.
        errno: String,
    },
    /// The consistency checker failed.
    Checker(String),
    /// A failed call changed state.
    Changed {
        /// The ioctl.
        ioctl: String,
        /// The difference.
        diff: String,
    },
    /// Frames, descriptors, dma-bufs or anonymous files were not all returned once every file was closed.
    Leak(String),
}

impl Finding {
    /// Whether `other` is the same kind of failure (what minimisation preserves).
    fn same_kind(&self, other: &Finding) -> bool {
        match (self, other) {
            (Finding::Errno { ioctl: a, errno: x }, Finding::Errno { ioctl: b, errno: y }) => {
                a == b && x == y
            }
            (Finding::Changed { ioctl: a, .. }, Finding::Changed { ioctl: b, .. }) => a == b,
            _ => core::mem::discriminant(self) == core::mem::discriminant(other),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Panic(m) => write!(f, "panic: {m}"),
            Finding::Errno { ioctl, errno } => {
                write!(f, "{ioctl} returned {errno}, which upstream does not allow")
            }
            Finding::Checker(m) => write!(f, "consistency checker: {m}"),
            Finding::Changed { ioctl, diff } => {
                write!(f, "{ioctl} failed but changed state: {diff}")
            }
            Finding::Leak(m) => write!(f, "after closing every file: {m}"),
        }
    }
}

/// A failure and the script that reproduces it.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Seed of the run.
    pub seed: u64,
    /// What went wrong.
    pub finding: Finding,
    /// The minimised steps (the last one fails, or the leak shows after them).
    pub steps: Vec<Step>,
    /// Files the executor opened.
    pub files: usize,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {}: {}", self.seed, self.finding)?;
        writeln!(
            f,
            "# replay with: tyr fuzz --files {} --replay FILE",
            self.files
        )?;
        write!(f, "{}", script::print(&self.steps))
    }
}

/// Figures of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Steps run.
    pub steps: u64,
    /// Ioctls run.
    pub ioctls: u64,
    /// Consistency checks passed.
    pub checks: u64,
    /// Per ioctl name: (succeeded, failed).
    pub per_ioctl: BTreeMap<String, (u64, u64)>,
    /// Per errno: count.
    pub errnos: BTreeMap<String, u64>,
    /// The most descriptors the run held at once (tracked: handed out by calls, or eventfds it made).
    pub peak_fds: usize,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} steps, {} ioctls, {} consistency checks: 0 panics, 0 checker failures, 0 bad errnos, 0 state changes by failed calls, no frame or descriptor leaked",
            self.steps, self.ioctls, self.checks
        )?;
        writeln!(f, "  at most {} descriptors held at once", self.peak_fds)?;
        for (name, (ok, err)) in &self.per_ioctl {
            writeln!(f, "  {name:<26} {ok:>7} ok {err:>7} failed")?;
        }
        let errnos: Vec<String> = self
            .errnos
            .iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect();
        writeln!(f, "  errnos: {}", errnos.join(", "))
    }
}

/// Runs `step` on `ex` and checks it: no panic, an errno the documentation allows, a failed call changed nothing,
/// the consistency checker passes, every tracked descriptor's object is still there.
pub fn step_checked(ex: &mut Executor, step: &Step, stats: &mut Stats) -> Result<(), Finding> {
    let before = ex.snapshot();
    let out = ex.run(step).map_err(Finding::Panic)?;
    // Destroyed groups are torn down by the scheduler's worker: let that finish inside the step that caused it.
    ex.settle();
    stats.steps += 1;
    stats.peak_fds = stats.peak_fds.max(ex.tracked_fds());
    let checked = match step {
        Step::Ioctl(c) => {
            // Figures per ioctl number (callers' size variants together; unknown numbers as one line).
            let family = errno::known(c.cmd).map_or("(unknown number or type)", |k| k.name);
            let primary = ex.is_primary(c.file);
            Some((
                errno::name(c.cmd),
                family,
                c.cmd,
                Box::new(move |cmd, e| errno::allowed(cmd, e, primary)) as Allowed,
            ))
        }
        Step::FdIoctl { call, .. } => {
            let family = errno::fd_known(call.cmd).map_or("(unknown fd ioctl)", |k| k.name);
            Some((
                errno::fd_name(call.cmd),
                family,
                call.cmd,
                Box::new(errno::fd_allowed) as Allowed,
            ))
        }
        _ => None,
    };
    if matches!(step, Step::CloseFds) {
        ex.check_released().map_err(Finding::Leak)?;
    }
    if let Some(m) = out.wrong_fd {
        return Err(Finding::Checker(m));
    }
    if let Some((name, family, cmd, allowed)) = checked {
        stats.ioctls += 1;
        let e = stats.per_ioctl.entry(family.to_string()).or_default();
        match out.result {
            Ok(()) => e.0 += 1,
            Err(err) => {
                e.1 += 1;
                *stats.errnos.entry(format!("{err:?}")).or_default() += 1;
                if !allowed(cmd, err) {
                    return Err(Finding::Errno {
                        ioctl: name,
                        errno: format!("{err:?}"),
                    });
                }
                if !failure_may_change_state(step, &out) {
                    if let Some(diff) = before.diff(&ex.snapshot()) {
                        return Err(Finding::Changed { ioctl: name, diff });
                    }
                }
            }
        }
    }
    ex.check().map_err(Finding::Checker)?;
    stats.checks += 1;
    Ok(())
}

/// Whether an ioctl may fail with an errno.
type Allowed = Box<dyn Fn(u32, kernel::error::Error) -> bool>;

/// Runs `steps` on a fresh board with `files` files; the first finding, if any, with the index of its step
/// (`steps.len()` for a leak at the end).
pub fn replay(steps: &[Step], files: usize) -> Result<Stats, FuzzError> {
    match replay_inner(steps, files)? {
        (stats, None) => Ok(stats),
        (_, Some((_, finding))) => Err(FuzzError::Found(Box::new(Failure {
            seed: 0,
            finding,
            steps: steps.to_vec(),
            files,
        }))),
    }
}

type Replayed = (Stats, Option<(usize, Finding)>);

fn replay_inner(steps: &[Step], files: usize) -> Result<Replayed, FuzzError> {
    let mut ex = Executor::new(files)?;
    let mut stats = Stats::default();
    for (i, s) in steps.iter().enumerate() {
        if let Err(f) = step_checked(&mut ex, s, &mut stats) {
            return Ok((stats, Some((i, f))));
        }
    }
    match ex.finish() {
        Ok(()) => Ok((stats, None)),
        Err(m) => Ok((stats, Some((steps.len(), Finding::Leak(m))))),
    }
}

/// Shrinks `steps` while a replay still fails the same way as `finding` (ddmin over chunks, then single steps),
/// within `budget` replays.
pub fn minimise(steps: Vec<Step>, files: usize, finding: &Finding, budget: usize) -> Vec<Step> {
    let mut best = steps;
    let mut tries = 0;
    let fails = |cand: &[Step], tries: &mut usize| -> Option<usize> {
        *tries += 1;
        match replay_inner(cand, files) {
            Ok((_, Some((i, f)))) if f.same_kind(finding) => Some(i),
            _ => None,
        }
    };
    let mut chunk = best.len().div_ceil(2).max(1);
    while chunk >= 1 && tries < budget {
        let mut i = 0;
        let mut progressed = false;
        while i < best.len() && tries < budget {
            let cand: Vec<Step> = best[..i]
                .iter()
                .chain(best[(i + chunk).min(best.len())..].iter())
                .cloned()
                .collect();
            if let Some(at) = fails(&cand, &mut tries) {
                // Everything after the failing step is irrelevant.
                best = cand.into_iter().take(at + 1).collect();
                progressed = true;
            } else {
                i += chunk;
            }
        }
        if !progressed {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    best
}

/// Options of a run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Seed.
    pub seed: u64,
    /// Steps to run.
    pub iterations: u64,
    /// Files open at once (with two or more, the last is a primary-node file, the others render files).
    pub files: usize,
    /// Replays the minimiser may spend.
    pub minimise_budget: usize,
}

/// Runs seed `seed`'s first `iterations` generated steps on `files` files without checking them, and hands back the
/// executor holding the state they left (what `tyr vm --seed` and `tyr pgtable --seed` show).
pub fn state_after(seed: u64, iterations: u64, files: usize) -> Result<exec::Executor, FuzzError> {
    let mut ex = Executor::new(files)?;
    let mut g = gen::Gen::new(seed);
    for _ in 0..iterations {
        let step = g.next(&ex.view());
        // A panic is the fuzzer's finding, not a view's: the state is shown as the step left it.
        let _ = ex.run(&step);
    }
    Ok(ex)
}

/// Fuzzes: `progress` is called after every step with the number done. On a finding, the minimised failure.
pub fn run(opts: Options, progress: &mut dyn FnMut(u64)) -> Result<Stats, FuzzError> {
    let mut ex = Executor::new(opts.files)?;
    let mut g = gen::Gen::new(opts.seed);
    let mut stats = Stats::default();
    let mut steps = Vec::new();
    let mut finding = None;
    for n in 0..opts.iterations {
        let step = g.next(&ex.view());
        steps.push(step);
        if let Err(f) = step_checked(&mut ex, steps.last().expect("just pushed"), &mut stats) {
            finding = Some(f);
            break;
        }
        progress(n + 1);
    }
    if finding.is_none() {
        if let Err(m) = ex.finish() {
            finding = Some(Finding::Leak(m));
        }
    } else {
        drop(ex);
    }
    match finding {
        None => Ok(stats),
        Some(finding) => {
            let steps = minimise(steps, opts.files, &finding, opts.minimise_budget);
            Err(FuzzError::Found(Box::new(Failure {
                seed: opts.seed,
                finding,
                steps,
                files: opts.files,
            })))
        }
    }
}
