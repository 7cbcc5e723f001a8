// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr`: the project's command-line tool.
//!
//! Subcommands replay the reference vectors (`tyr replay pgtable|gpuvm FILE`) and, as the stack grows, inspect and drive
//! the modelled board and the Tyr driver.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod hw;

#[derive(Parser)]
#[command(
    name = "tyr",
    version,
    about = "Tyr (Arm Mali / Panthor) GPU VM stack on a modelled RK3588"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Boot the modelled RK3588, probe the GPU with the Tyr driver, and print what Panthor logs at probe.
    Info {
        /// Print one JSON document (VERSION and every DEV_QUERY payload, field by field) instead.
        #[arg(long)]
        json: bool,
    },
    /// The GPU's power management through a scripted day: probe, autosuspend when idle, a query that resumes it, a
    /// system suspend/resume; the runtime status, usage, references and transition latencies after each step.
    Pm,
    /// A hang injected into the GPU model and the driver's recovery: what was injected, how it was detected, the
    /// resets and their latency, each group's state and each job's fence error, and a new job after recovery.
    Hang {
        /// The hang class.
        #[arg(value_enum)]
        class: tyr_cli::hang::Class,
    },
    /// Look at the modelled hardware directly (no driver): `tyr hw regs [--json]`.
    Hw {
        #[command(subcommand)]
        cmd: hw::HwCommand,
    },
    /// Replay a reference-vector script and print what the kernel's own code prints for it.
    Replay {
        #[command(subcommand)]
        kind: ReplayKind,
    },
    /// Run IGT-style test binaries through the drm-shim (`LD_PRELOAD`), one process each, and print a table of their
    /// subtests and a `N passed, N failed, N skipped` line. Fails if any subtest failed.
    Igt {
        /// The shim library.
        #[arg(long, default_value = "target/release/libtyr_drm_shim.so")]
        shim: PathBuf,
        /// The test binaries.
        #[arg(required = true)]
        binaries: Vec<PathBuf>,
    },
    /// Fuzz every ioctl a render node accepts (several files at once), checking after each call that nothing panicked,
    /// the errno is one upstream allows, the consistency checker passes and a failed call changed nothing. A failure is
    /// minimised and printed as a script for `--replay`.
    Fuzz {
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Steps to run.
        #[arg(long, default_value_t = 10_000)]
        iterations: u64,
        /// Files open at once.
        #[arg(long, default_value_t = 3)]
        files: usize,
        /// Replays the minimiser may spend on a failure.
        #[arg(long, default_value_t = 300)]
        minimise_budget: usize,
        /// Replay a script (a printed failure) instead of generating.
        #[arg(long)]
        replay: Option<PathBuf>,
    },
    /// Boot the board, run a small scripted workload (or `--seed`'s fuzz steps) and print the consistency checker's
    /// verdict.
    Check {
        /// Run this fuzz seed's steps instead of the scripted workload.
        #[arg(long)]
        seed: Option<u64>,
        /// Steps of the fuzz seed.
        #[arg(long, default_value_t = 1000)]
        iterations: u64,
        /// Files open at once for the fuzz seed.
        #[arg(long, default_value_t = 3)]
        files: usize,
    },
    /// Every VM's VA list as debugfs `gpuvas` prints it, and its page-table figures (tables per level, 4K pages, 2M
    /// blocks), on the scripted demo workload or the state a fuzz seed's steps left.
    Vm {
        #[command(flatten)]
        state: StateArgs,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// The page-table walk of one VM, level by level: table entries, blocks, and runs of contiguous 4K pages.
    Pgtable {
        /// The VM id.
        #[arg(long, default_value_t = 1)]
        vm: u32,
        /// The file (by index) holding the VM.
        #[arg(long, default_value_t = 0)]
        file: usize,
        /// Only entries meeting `START..END` (hex with 0x, or decimal).
        #[arg(long)]
        range: Option<String>,
        #[command(flatten)]
        state: StateArgs,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Run a DRM client through the drm-shim with tracing on and print a timeline: ioctls with result and duration,
    /// bind jobs and their GPUVM ops, AS commands and TLB flushes, IRQs, faults and job submissions, then a summary.
    /// Without a command, traces the demo workload of `tyr vm` in this process.
    Trace {
        /// The shim library.
        #[arg(long, default_value = "target/release/libtyr_drm_shim.so")]
        shim: PathBuf,
        /// What to trace, as `TYR_LOG`/`RUST_LOG` filters it (e.g. `debug,tyr::gpuvm=trace`).
        #[arg(long, default_value = "debug,tyr::gpuvm=trace")]
        filter: String,
        /// Print the timeline rows as JSON instead.
        #[arg(long)]
        json: bool,
        /// The client and its arguments (after `--`).
        #[arg(last = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Turn the DRM ioctls of a client (run through the drm-shim, or a trace it wrote) into a seed of the `ioctls`
    /// fuzz target: a script of the same calls with what the kernel read from the caller's memory
    /// (`Documentation/testing.md#seeds-from-traces`).
    FuzzSeed {
        /// The shim library.
        #[arg(long, default_value = "target/release/libtyr_drm_shim.so")]
        shim: PathBuf,
        /// Convert this trace (JSON lines from `TYR_TRACE_FILE`, taken with
        /// `TYR_LOG=kernel::drm=debug,kernel::uaccess=trace`) instead of running a command.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Keep the first N ioctls only.
        #[arg(long, default_value_t = 256)]
        max: usize,
        /// Steps per seed at most: a longer trace is cut where the client moves to a new file (IGT's subtests) into
        /// seeds OUT-1, OUT-2, ...
        #[arg(long, default_value_t = 64)]
        piece: usize,
        /// Write the scripted scenarios (sync_file, dma-buf, sw_sync, timeline syncobjs) as seeds into the
        /// directory `--out` instead.
        #[arg(long)]
        scenarios: bool,
        /// The seed file to write.
        #[arg(long, short)]
        out: PathBuf,
        /// The client and its arguments (after `--`).
        #[arg(last = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Assemble the rows the benchmarks wrote (`make bench` runs them with `TYR_BENCH_OUT=DIR`) into a Markdown report
    /// — our figure, the peer's from the same run, the ratio — and an SVG plot next to it.
    Bench {
        /// Where the benchmarks wrote their rows.
        #[arg(long, default_value = "target/bench")]
        dir: PathBuf,
        /// The report; the plot goes beside it with the extension `.svg`.
        #[arg(long, default_value = "target/bench-report.md")]
        out: PathBuf,
        /// History of earlier runs' figures: this run's are appended and the report shows each one's trend.
        #[arg(long)]
        history: Option<PathBuf>,
        /// The source revision measured, recorded in the history.
        #[arg(long, default_value = "?")]
        rev: String,
    },
    /// Measure the end-to-end figures `make bench` tracks across runs (the IGT ports and the real IGT through the
    /// shim, `tyr fuzz` ioctls per second, panvk's vulkaninfo start-up) into DIR/e2e.jsonl for `tyr bench`.
    E2e {
        /// Where to write `e2e.jsonl`.
        #[arg(long, default_value = "target/bench")]
        dir: PathBuf,
        /// The drm-shim library.
        #[arg(long)]
        shim: PathBuf,
        /// Repetitions of each figure (best and median are reported).
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Our IGT port binaries.
        #[arg(long, num_args = 1..)]
        igt_ports: Vec<PathBuf>,
        /// Real IGT binaries.
        #[arg(long, num_args = 1..)]
        igt: Vec<PathBuf>,
        /// `tyr fuzz` steps per repetition (0: no fuzz figure).
        #[arg(long, default_value_t = 0)]
        fuzz_iterations: u64,
        /// The vulkaninfo binary (its loader environment is this process's).
        #[arg(long)]
        vulkaninfo: Option<PathBuf>,
    },
    /// Print a synthetic, seeded GPUVM workload as a script for `tyr replay gpuvm --no-list --time`.
    Gen {
        #[command(subcommand)]
        kind: GenKind,
    },
}

/// Which device state `tyr vm` and `tyr pgtable` show.
#[derive(clap::Args)]
struct StateArgs {
    /// Show the state fuzz seed N's steps leave instead of the scripted demo workload.
    #[arg(long)]
    seed: Option<u64>,
    /// Steps of the fuzz seed.
    #[arg(long, default_value_t = 1000)]
    iterations: u64,
    /// Files open at once for the fuzz seed.
    #[arg(long, default_value_t = 3)]
    files: usize,
}

impl StateArgs {
    fn session(&self) -> Result<tyr_cli::views::Session, tyr_cli::views::ViewError> {
        match self.seed {
            None => tyr_cli::views::Session::demo(),
            Some(seed) => tyr_cli::views::Session::fuzz_seed(seed, self.iterations, self.files),
        }
    }
}

fn vm_view(state: &StateArgs, json: bool) -> Result<String, tyr_cli::views::ViewError> {
    let s = state.session()?;
    Ok(if json {
        format!("{:#}\n", tyr_cli::views::vm_json(&s))
    } else {
        tyr_cli::views::vm_report(&s)
    })
}

fn pgtable_view(
    vm: u32,
    file: usize,
    range: Option<&str>,
    state: &StateArgs,
    json: bool,
) -> Result<String, tyr_cli::views::ViewError> {
    use tyr_cli::views;
    let range = range
        .map(views::parse_range)
        .transpose()?
        .unwrap_or(0..u64::MAX);
    let s = state.session()?;
    let vm = s.vm(file, vm)?;
    Ok(if json {
        format!("{:#}\n", views::pgtable_json(&vm, file, range))
    } else {
        views::pgtable_report(&vm, file, range)
    })
}

#[derive(Subcommand)]
enum GenKind {
    /// `COUNT` disjoint maps in random order, then their unmaps in another order (COUNT VAs live at the peak).
    Disjoint {
        /// Number of maps (and of unmaps).
        count: usize,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// `COUNT` random overlapping maps and unmaps inside a window of `--window` pages.
    Overlap {
        /// Number of commands.
        count: usize,
        /// Window size in 4 KiB pages.
        #[arg(long, default_value_t = 20_000)]
        window: u64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ReplayKind {
    /// An io-pgtable ARM LPAE stage-1 script (`tests/vectors/pgtable/*.script`).
    Pgtable {
        /// Parse the whole script, then time every map/unmap under one clock pair and print `ops=N ns_per_op=X ...`
        /// instead of the transcript.
        #[arg(long)]
        time: bool,
        /// With --time: run N times, each on a fresh table over the same RAM; ns_per_op is the best run,
        /// first_ns_per_op the first (cold) one.
        #[arg(long, default_value_t = 1, requires = "time", value_parser = clap::value_parser!(u32).range(1..))]
        reps: u32,
        /// The script to replay.
        file: PathBuf,
    },
    /// A GPUVM script (`tests/vectors/gpuvm/*.script`): the steps `sm_map`/`sm_unmap` hand to the driver, and the VA
    /// list after every command (or only at `dump` with `--no-list`).
    Gpuvm {
        /// Print the VA list only at `dump` (every vector but `basic` was printed this way).
        #[arg(long)]
        no_list: bool,
        /// Parse the whole script, then time every map/unmap under one clock pair and print `ops=N ns_per_op=X ...`
        /// instead of the transcript.
        #[arg(long)]
        time: bool,
        /// With --time: run N times, each on a fresh VM over the same allocator; ns_per_op is the best run,
        /// first_ns_per_op the first (cold) one.
        #[arg(long, default_value_t = 1, requires = "time", value_parser = clap::value_parser!(u32).range(1..))]
        reps: u32,
        /// The script to replay.
        file: PathBuf,
    },
    /// Every vector set under DIR (`pgtable/`, ...): replay each script, compare with its `.expected`, print one summary
    /// line per set. Fails if any transcript differs.
    All {
        /// The vectors directory.
        #[arg(default_value = "tests/vectors")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tyr_trace_setup::init_from_env();
    let res = match cli.command {
        Command::Info { json: false } => tyr_cli::info::run(),
        Command::Info { json: true } => tyr_cli::info::run_json(),
        Command::Hw { cmd } => hw::run(cmd),
        Command::Pm => tyr_cli::pm::run(),
        Command::Hang { class } => tyr_cli::hang::run(class),
        Command::Replay {
            kind: ReplayKind::Pgtable { time, reps, file },
        } if time => tyr_cli::replay::pgtable::run_file_reps(&file, reps as usize),
        Command::Replay {
            kind: ReplayKind::Pgtable { file, .. },
        } => tyr_cli::replay::pgtable::run_file(&file, false),
        Command::Replay {
            kind:
                ReplayKind::Gpuvm {
                    time: true,
                    reps,
                    file,
                    ..
                },
        } => tyr_cli::replay::gpuvm::run_file_reps(&file, reps as usize),
        Command::Replay {
            kind: ReplayKind::Gpuvm { no_list, file, .. },
        } => tyr_cli::replay::gpuvm::run_file(&file, !no_list, false),
        Command::Replay {
            kind: ReplayKind::All { dir },
        } => return replay_all(&dir),
        Command::Igt { shim, binaries } => return igt(&shim, &binaries),
        Command::Fuzz {
            seed,
            iterations,
            files,
            minimise_budget,
            replay,
        } => return fuzz(seed, iterations, files, minimise_budget, replay.as_deref()),
        Command::Check {
            seed,
            iterations,
            files,
        } => {
            let res = match seed {
                None => tyr_cli::check::scripted(),
                Some(seed) => tyr_cli::check::seeded(seed, iterations, files),
            };
            return finish("tyr check", res);
        }
        Command::Trace {
            shim,
            filter,
            json,
            command,
        } => return trace(&shim, &filter, json, &command),
        Command::E2e {
            dir,
            shim,
            reps,
            igt_ports,
            igt,
            fuzz_iterations,
            vulkaninfo,
        } => {
            let opts = tyr_cli::e2e::Options {
                shim,
                reps,
                igt_ports,
                igt,
                fuzz_iterations,
                vulkaninfo,
            };
            let res = tyr_cli::e2e::run(&opts).and_then(|f| tyr_cli::e2e::write(&dir, &f));
            return finish("tyr e2e", res);
        }
        Command::FuzzSeed {
            shim,
            from,
            max,
            piece,
            scenarios,
            out,
            command,
        } => {
            let what = tyr_cli::fuzz::from_trace::SeedCommand {
                shim: &shim,
                from: from.as_deref(),
                max,
                piece,
                scenarios,
                out: &out,
                command: &command,
            };
            return finish("tyr fuzz-seed", what.run());
        }
        Command::Bench {
            dir,
            out,
            history,
            rev,
        } => {
            return finish(
                "tyr bench",
                tyr_cli::bench::run(&dir, &out, history.as_deref(), unix_now(), &rev),
            )
        }
        Command::Vm { state, json } => return view(vm_view(&state, json)),
        Command::Pgtable {
            vm,
            file,
            range,
            state,
            json,
        } => return view(pgtable_view(vm, file, range.as_deref(), &state, json)),
        Command::Gen {
            kind: GenKind::Disjoint { count, seed },
        } => Ok(tyr_cli::replay::workload::to_script(
            &tyr_cli::replay::workload::disjoint(count, seed),
        )),
        Command::Gen {
            kind:
                GenKind::Overlap {
                    count,
                    window,
                    seed,
                },
        } => Ok(tyr_cli::replay::workload::to_script(
            &tyr_cli::replay::workload::overlap(count, window, seed),
        )),
    };
    match res {
        Ok(out) => {
            emit(&out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tyr: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fuzz(
    seed: u64,
    iterations: u64,
    files: usize,
    budget: usize,
    replay: Option<&std::path::Path>,
) -> ExitCode {
    use tyr_cli::fuzz;
    let res = match replay {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| fuzz::FuzzError::Boot(format!("{}: {e}", path.display())))
            .and_then(|t| fuzz::script::parse(&t))
            .and_then(|steps| fuzz::replay(&steps, files)),
        None => {
            let bar = indicatif::ProgressBar::new(iterations);
            if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} ioctl steps {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let opts = fuzz::Options {
                seed,
                iterations,
                files,
                minimise_budget: budget,
            };
            let res = fuzz::run(opts, &mut |n| {
                if n % 64 == 0 {
                    bar.set_position(n)
                }
            });
            bar.finish_and_clear();
            res
        }
    };
    match res {
        Ok(stats) => {
            emit(&format!("seed {seed}: {stats}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tyr fuzz: {e}");
            ExitCode::FAILURE
        }
    }
}

fn trace(
    shim: &std::path::Path,
    filter: &str,
    json: bool,
    command: &[std::ffi::OsString],
) -> ExitCode {
    use tyr_cli::trace;
    let res = if command.is_empty() {
        trace::run_demo(filter).map(|t| (t, None))
    } else {
        trace::run_command(shim, filter, command).map(|(t, s)| (t, Some(s)))
    };
    match res {
        Ok((text, status)) => {
            let rows = trace::rows(&text);
            emit(&if json {
                format!("{:#}\n", trace::rows_json(&rows))
            } else {
                trace::render(&rows)
            });
            match status {
                Some(s) if !s.success() => {
                    eprintln!("tyr trace: the command exited with {s}");
                    ExitCode::FAILURE
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("tyr trace: {e}");
            ExitCode::FAILURE
        }
    }
}

fn view(res: Result<String, tyr_cli::views::ViewError>) -> ExitCode {
    finish("tyr", res)
}

/// Prints a command's output and succeeds, or prints `what: error` to stderr and fails.
fn finish(what: &str, res: Result<String, impl std::fmt::Display>) -> ExitCode {
    match res {
        Ok(out) => {
            emit(&out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{what}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn igt(shim: &std::path::Path, binaries: &[PathBuf]) -> ExitCode {
    match tyr_cli::igt::run_all(shim, binaries) {
        Ok(results) => {
            emit(&tyr_cli::igt::report(&results));
            if results
                .iter()
                .any(|r| matches!(r.outcome, tyr_cli::igt::Outcome::Fail(_)))
            {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("tyr: {e}");
            ExitCode::FAILURE
        }
    }
}

fn replay_all(dir: &std::path::Path) -> ExitCode {
    let mut ok = true;
    for set in tyr_cli::replay::sets::SETS {
        match tyr_cli::replay::sets::run_set(set, dir) {
            Ok(r) => {
                emit(&r.summary());
                ok &= r.passed();
            }
            Err(e) => {
                eprintln!("tyr: {}: {e}", set.name);
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes to stdout; a reader that went away (`tyr ... | head`) ends the output quietly instead of panicking.
fn emit(s: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if out
        .write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
