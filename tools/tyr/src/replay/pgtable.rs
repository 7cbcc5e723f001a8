// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! `tyr replay pgtable`: one ARM LPAE stage-1 table (ias 48, oas 40, 4K|2M, non-coherent walk) driven with Panthor's
//! calling convention, printed as the kernel's `io-pgtable-arm.c` printed the reference vectors.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use hw_mem::{Ram, RamConfig};
use kernel::io_pgtable::{prot, ArmLpaeS1, Config, EntryKind};
use tyr::debugfs::pgtable::{map_range, unmap_range};

use super::script::{self, command_lines, Line, ParseError, ReplayError};

/// One script command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Print the configuration and the number of live tables.
    Info,
    /// Map `size` bytes from `iova` to `paddr` with IOMMU `prot` flags.
    Map {
        /// First IOVA.
        iova: u64,
        /// First physical address.
        paddr: u64,
        /// Length in bytes.
        size: u64,
        /// IOMMU prot flags.
        prot: u32,
    },
    /// Unmap `size` bytes from `iova`.
    Unmap {
        /// First IOVA.
        iova: u64,
        /// Length in bytes.
        size: u64,
    },
    /// Walk one IOVA and print every level.
    Walk {
        /// The IOVA.
        iova: u64,
    },
    /// Print every leaf.
    Dump,
}

/// Parses the prot letters of a `map` line: r READ, w WRITE, c CACHE, x NOEXEC, m MMIO, p PRIV.
fn parse_prot(line: &Line<'_>, letters: &str) -> Result<u32, ParseError> {
    letters.chars().try_fold(0, |acc, c| {
        let bit = match c {
            'r' => prot::READ,
            'w' => prot::WRITE,
            'c' => prot::CACHE,
            'x' => prot::NOEXEC,
            'm' => prot::MMIO,
            'p' => prot::PRIV,
            _ => {
                return Err(line.error(format!(
                    "unknown prot letter `{c}` (expected r, w, c, x, m, p)"
                )))
            }
        };
        Ok(acc | bit)
    })
}

/// Parses a whole script.
pub fn parse(src: &str) -> Result<Vec<Command>, ParseError> {
    command_lines(src)
        .map(|l| {
            Ok(match l.words[0] {
                "info" => {
                    l.expect_args(0)?;
                    Command::Info
                }
                "map" => {
                    l.expect_args(4)?;
                    Command::Map {
                        iova: l.num(0)?,
                        paddr: l.num(1)?,
                        size: l.num(2)?,
                        prot: parse_prot(&l, l.words[4])?,
                    }
                }
                "unmap" => {
                    l.expect_args(2)?;
                    Command::Unmap {
                        iova: l.num(0)?,
                        size: l.num(1)?,
                    }
                }
                "walk" => {
                    l.expect_args(1)?;
                    Command::Walk { iova: l.num(0)? }
                }
                "dump" => {
                    l.expect_args(0)?;
                    Command::Dump
                }
                other => return Err(l.error(format!("unknown command `{other}`"))),
            })
        })
        .collect()
}

/// The table every replay starts from: Panthor's RK3588 configuration, tables in a fresh 4 GiB RAM.
pub fn new_table() -> Result<ArmLpaeS1, ReplayError> {
    let ram = Ram::new(RamConfig::default()).map_err(|e| ReplayError::Setup(e.to_string()))?;
    ArmLpaeS1::with_ram(Arc::new(ram), Config::PANTHOR_RK3588)
        .map_err(|e| ReplayError::Setup(e.to_string()))
}

/// Runs `cmds` on `pt` and renders the transcript.
pub fn replay(pt: &mut ArmLpaeS1, cmds: &[Command]) -> String {
    let mut out = String::new();
    for c in cmds {
        // Writing into a String cannot fail.
        let _ = run_one(pt, c, &mut out);
    }
    out
}

fn result_line(out: &mut String, r: kernel::Result) -> std::fmt::Result {
    match r {
        Ok(()) => writeln!(out, "ok"),
        Err(e) => writeln!(out, "error {}", e.to_errno()),
    }
}

fn run_one(pt: &mut ArmLpaeS1, c: &Command, out: &mut String) -> std::fmt::Result {
    match *c {
        Command::Info => {
            writeln!(out, "> info")?;
            let t = pt.tcr();
            writeln!(
                out,
                "tcr ips={} tg={} sh={} orgn={} irgn={} tsz={} mair={:#x} pgsize_bitmap={:#x} tables_live={}",
                t.ips,
                t.tg,
                t.sh,
                t.orgn,
                t.irgn,
                t.tsz,
                pt.mair(),
                pt.cfg().pgsize_bitmap,
                pt.tables_live()
            )
        }
        Command::Map {
            iova,
            paddr,
            size,
            prot,
        } => {
            writeln!(out, "> map {iova:#x} {paddr:#x} {size:#x} prot={prot:#x}")?;
            result_line(out, map_range(pt, iova, paddr, size, prot))
        }
        Command::Unmap { iova, size } => {
            writeln!(out, "> unmap {iova:#x} {size:#x}")?;
            result_line(out, unmap_range(pt, iova, size))
        }
        Command::Walk { iova } => {
            writeln!(out, "> walk {iova:#x}")?;
            let w = pt.walk(iova as usize);
            writeln!(out, "walk iova={iova:#x} phys={:#x}", w.phys)?;
            for e in w.entries() {
                let (pte, what) = match e.kind {
                    // Table addresses depend on allocation order, so the vectors mask them out.
                    EntryKind::Table => (e.pte.bits() & !ADDR_BITS, "|tbl table"),
                    EntryKind::Block => (e.pte.bits(), " block"),
                    EntryKind::Page => (e.pte.bits(), " page"),
                    EntryKind::Invalid => (e.pte.bits(), " none"),
                };
                writeln!(out, "  L{}[{}] pte={pte:#018x}{what}", e.level, e.index)?;
            }
            Ok(())
        }
        Command::Dump => {
            writeln!(out, "> dump")?;
            let mut n = 0usize;
            let mut res = Ok(());
            pt.for_each_leaf(|l| {
                n += 1;
                res = res.and_then(|()| {
                    writeln!(out, "L{} iova={:#x} pte={:#018x}", l.level, l.iova, l.pte)
                });
            });
            res?;
            writeln!(out, "leaves {n}")
        }
    }
}

/// Address bits [47:12] of a descriptor.
const ADDR_BITS: u64 = ((1 << 48) - 1) & !0xfff;

/// What `--time` measured.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// map and unmap commands run.
    pub ops: usize,
    /// Nanoseconds for all of them, under one clock pair.
    pub total_ns: u128,
    /// How many of them returned an error (as the transcript would show).
    pub errors: usize,
    /// Live tables at the end.
    pub tables_live: usize,
}

impl Timing {
    /// Mean nanoseconds per op.
    pub fn ns_per_op(&self) -> f64 {
        if self.ops == 0 {
            0.0
        } else {
            self.total_ns as f64 / self.ops as f64
        }
    }
}

/// Runs only the map/unmap commands of `cmds` under one clock pair.
pub fn time(pt: &mut ArmLpaeS1, cmds: &[Command]) -> Timing {
    let ops: Vec<&Command> = cmds
        .iter()
        .filter(|c| matches!(c, Command::Map { .. } | Command::Unmap { .. }))
        .collect();
    let mut errors = 0;
    let t0 = Instant::now();
    for c in &ops {
        let r = match **c {
            Command::Map {
                iova,
                paddr,
                size,
                prot,
            } => map_range(pt, iova, paddr, size, prot),
            Command::Unmap { iova, size } => unmap_range(pt, iova, size),
            _ => Ok(()),
        };
        errors += usize::from(r.is_err());
    }
    let total_ns = t0.elapsed().as_nanos();
    Timing {
        ops: ops.len(),
        total_ns,
        errors,
        tables_live: pt.tables_live(),
    }
}

/// `tyr replay pgtable [--time] FILE`: the transcript, or the timing line of one run.
pub fn run_file(path: &Path, timed: bool) -> Result<String, ReplayError> {
    if timed {
        run_file_reps(path, 1)
    } else {
        let cmds = parse(&script::read(path)?)?;
        let mut pt = new_table()?;
        Ok(replay(&mut pt, &cmds))
    }
}

/// `tyr replay pgtable --time --reps N FILE`: `reps` timed runs (at least one), each on a fresh table over the same
/// RAM and its frame allocator (so the first run finds it cold and later ones warm). The line starts `ops=N
/// ns_per_op=<best run> first_ns_per_op=<first run> reps=N`, then the best run's `total_ns`, `errors` and
/// `tables_live`.
pub fn run_file_reps(path: &Path, reps: usize) -> Result<String, ReplayError> {
    let cmds = parse(&script::read(path)?)?;
    let ram =
        Arc::new(Ram::new(RamConfig::default()).map_err(|e| ReplayError::Setup(e.to_string()))?);
    let reps = reps.max(1);
    let mut first: Option<Timing> = None;
    let mut best: Option<Timing> = None;
    for _ in 0..reps {
        let mut pt = ArmLpaeS1::with_ram(ram.clone(), Config::PANTHOR_RK3588)
            .map_err(|e| ReplayError::Setup(e.to_string()))?;
        let t = time(&mut pt, &cmds);
        first.get_or_insert(t);
        if best.is_none_or(|b| t.total_ns < b.total_ns) {
            best = Some(t);
        }
    }
    let (Some(first), Some(t)) = (first, best) else {
        unreachable!("at least one run")
    };
    Ok(format!(
        "ops={} ns_per_op={:.1} first_ns_per_op={:.1} reps={reps} total_ns={} errors={} tables_live={}\n",
        t.ops,
        t.ns_per_op(),
        first.ns_per_op(),
        t.total_ns,
        t.errors,
        t.tables_live
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::io_pgtable::{IoPageTable, PteAttrs};

    #[test]
    fn map_lines_echo_prot_as_a_number() {
        let cmds = parse("map 0x1000 0x80000000 0x3000 rwc\n").unwrap();
        assert_eq!(
            cmds,
            [Command::Map {
                iova: 0x1000,
                paddr: 0x8000_0000,
                size: 0x3000,
                prot: 7
            }]
        );
        let mut pt = new_table().unwrap();
        assert_eq!(
            replay(&mut pt, &cmds),
            "> map 0x1000 0x80000000 0x3000 prot=0x7\nok\n"
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse("info\n# c\nmap 0x1000 0x0 0x1000 rq\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.msg.contains("prot letter"), "{e}");
        assert_eq!(parse("frob\n").unwrap_err().line, 1);
        assert_eq!(parse("unmap 0x1000\n").unwrap_err().line, 1);
        assert!(parse("walk zz\n").is_err());
    }

    #[test]
    fn walk_of_an_unmapped_iova_stops_at_the_empty_entry() {
        let mut pt = new_table().unwrap();
        let out = replay(&mut pt, &parse("walk 0x1234\n").unwrap());
        assert_eq!(
            out,
            "> walk 0x1234\nwalk iova=0x1234 phys=0x0\n  L0[0] pte=0x0000000000000000 none\n"
        );
    }

    #[test]
    fn pte_attr_bits_used_by_the_mask_are_outside_the_address() {
        assert_eq!(PteAttrs::all().bits() & ADDR_BITS, 0);
    }

    #[test]
    fn timing_counts_only_map_and_unmap() {
        let cmds = parse(
            "info\nmap 0x1000 0x1000 0x1000 rw\nwalk 0x1000\nmap 0x1000 0x1000 0x1000 rw\ndump\n",
        )
        .unwrap();
        let mut pt = new_table().unwrap();
        let t = time(&mut pt, &cmds);
        assert_eq!((t.ops, t.errors), (2, 1));
        assert_eq!(pt.iova_to_phys(0x1000), 0x1000);
    }
}
