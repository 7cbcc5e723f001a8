// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! From a trace to fuzzer steps (`tyr fuzz-seed`): the DRM ioctls a client made, each rebuilt as a [`Call`] with
//! what the kernel read from the caller's memory, in the order the calls began.
//!
//! The trace is `tyr trace`'s JSON lines taken with `kernel::drm=debug,kernel::uaccess=trace` (what
//! [`TRACE_FILTER`] says): each ioctl's span carries its command, the file's id and the argument's address, and
//! inside it every successful `copy_from_user` (address and bytes) and `copy_to_user` (address and length) is a
//! record. From them:
//!
//! * the argument is `ioc_size(cmd)` bytes, what the kernel read at the argument's address (zeros for what it did not
//!   read, as for a command that only writes);
//! * every other address the call touched is part of a user buffer. A buffer starts where a pointer leads — a u64
//!   at an 8-aligned offset of the argument or of another buffer whose value is an address the call touched — and
//!   runs over the touched ranges after it (gaps of less than a page kept, zero-filled: elements read at a stride
//!   larger than they are) up to the next such address. Buffers keep what was read and are zeros where the kernel
//!   only wrote (DEV_QUERY's answer), so a replay has room for every write;
//! * each such pointer becomes a [`Link`] (the field zeroed: the executor writes the buffer's new address there);
//!   ranges no pointer leads to are left out, and a pointer the call never followed keeps its value;
//! * files are numbered in the order the trace first uses them, round robin over the executor's files, and an index
//!   that served another traced file is re-opened before it serves the next.
//!
//! What the trace cannot give is left out: ioctls on sync_files, dma-bufs and sw_sync timelines (not DRM file
//! ioctls), CPU writes through mappings (a replayed job's command stream is whatever the BO holds), and descriptor
//! numbers inside arguments, which are the traced process's.

use std::collections::{BTreeSet, HashMap};

use kernel::drm::ioctl::ioc_size;
use serde_json::Value;

use super::call::{Buf, Call, Link, Loc, PtrKind, Step};

/// The `TYR_LOG` filter a trace for conversion needs: the ioctl spans and the user copies.
pub const TRACE_FILTER: &str = "kernel::drm=debug,kernel::uaccess=trace";

/// Touched ranges closer than this to the one before belong to the same buffer.
const GAP: u64 = 4096;

/// One ioctl of a trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TracedIoctl {
    /// The DRM file's id.
    pub file: u64,
    /// The command.
    pub cmd: u32,
    /// The argument's address.
    pub arg: u64,
    /// 0 or a negative errno (`None` when the span never closed).
    pub result: Option<i64>,
    /// What the kernel read: address and bytes, in order.
    pub reads: Vec<(u64, Vec<u8>)>,
    /// What it wrote: address and length, in order.
    pub writes: Vec<(u64, u64)>,
}

fn thread_of(v: &Value) -> String {
    v["threadId"].as_str().unwrap_or("").to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// The ioctls of a trace's JSON lines, in the order they began (lines that are not records are skipped).
pub fn ioctls(jsonl: &str) -> Vec<TracedIoctl> {
    let mut out: Vec<TracedIoctl> = Vec::new();
    // Per thread, the index in `out` of the ioctl now running there.
    let mut open: HashMap<String, usize> = HashMap::new();
    for line in jsonl.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let thread = thread_of(&v);
        let message = v["fields"]["message"].as_str().unwrap_or("");
        let span = &v["span"];
        let own_record = span["name"] == "ioctl" && v["target"] == "kernel::drm::file";
        match message {
            "new" if own_record => {
                open.insert(thread, out.len());
                out.push(TracedIoctl {
                    file: span["file"].as_u64().unwrap_or(0),
                    cmd: span["cmd"].as_u64().unwrap_or(0) as u32,
                    arg: span["arg"].as_u64().unwrap_or(0),
                    ..Default::default()
                });
            }
            "close" if own_record => {
                if let Some(i) = open.remove(&thread) {
                    out[i].result = span["result"].as_i64();
                }
            }
            "copy_from_user" | "copy_to_user" if v["target"] == "kernel::uaccess" => {
                let Some(&i) = open.get(&thread) else {
                    continue;
                };
                let user = v["fields"]["user"].as_u64().unwrap_or(0);
                if message == "copy_from_user" {
                    let bytes = unhex(v["fields"]["bytes"].as_str().unwrap_or(""));
                    out[i].reads.push((user, bytes));
                } else {
                    let len = v["fields"]["len"].as_u64().unwrap_or(0);
                    out[i].writes.push((user, len));
                }
            }
            _ => {}
        }
    }
    out
}

/// A range the call touched: start, end, the bytes read there (`None` for a write), and when it was touched.
type Touch = (u64, u64, Option<Vec<u8>>, usize);

/// u64 values at the 8-aligned offsets of `b`, with their offsets.
fn words(b: &[u8]) -> impl Iterator<Item = (usize, u64)> + '_ {
    b.chunks_exact(8)
        .enumerate()
        .map(|(i, w)| (8 * i, u64::from_le_bytes(w.try_into().unwrap_or_default())))
}

/// The call a traced ioctl made, on file index `file`.
pub fn call(t: &TracedIoctl, file: usize) -> Call {
    let size = ioc_size(t.cmd) as u64;
    let in_arg = |a: u64| size > 0 && a >= t.arg && a < t.arg + size;
    let mut arg = vec![0u8; size as usize];
    let mut touched: Vec<Touch> = Vec::new();
    for (n, (a, bytes)) in t.reads.iter().enumerate() {
        if in_arg(*a) {
            let off = (a - t.arg) as usize;
            let k = bytes.len().min(arg.len() - off);
            arg[off..off + k].copy_from_slice(&bytes[..k]);
        } else if !bytes.is_empty() {
            touched.push((*a, a + bytes.len() as u64, Some(bytes.clone()), n));
        }
    }
    let nreads = t.reads.len();
    for (n, &(a, len)) in t.writes.iter().enumerate() {
        if !in_arg(a) && len > 0 {
            touched.push((a, a.saturating_add(len), None, nreads + n));
        }
    }
    touched.sort_by_key(|x| (x.0, x.3));
    let inside = |v: u64| touched.iter().any(|x| v >= x.0 && v < x.1);
    // Where pointers lead: every word of the argument or of what was read that is a touched address.
    let mut targets: BTreeSet<u64> = words(&arg).map(|w| w.1).filter(|&v| inside(v)).collect();
    for x in &touched {
        if let Some(b) = &x.2 {
            targets.extend(words(b).map(|w| w.1).filter(|&v| inside(v)));
        }
    }
    // Buffers: from each target over the touched ranges after it, up to the next target or a gap of a page.
    struct Region {
        start: u64,
        bytes: Vec<u8>,
        first: usize,
    }
    let mut regions: Vec<Region> = Vec::new();
    for &start in &targets {
        let next = targets
            .range(start + 1..)
            .next()
            .copied()
            .unwrap_or(u64::MAX);
        let mut end = start;
        let mut first = usize::MAX;
        for x in touched.iter().filter(|x| x.1 > start && x.0 < next) {
            if x.0 > end.max(start) + GAP && end > start {
                break;
            }
            end = end.max(x.1.min(next));
            first = first.min(x.3);
        }
        if end <= start || end - start > u64::from(u16::MAX) {
            continue;
        }
        let mut bytes = vec![0u8; (end - start) as usize];
        for x in touched.iter().filter(|x| x.1 > start && x.0 < end) {
            if let Some(b) = &x.2 {
                for (i, &byte) in b.iter().enumerate() {
                    let a = x.0 + i as u64;
                    if a >= start && a < end {
                        bytes[(a - start) as usize] = byte;
                    }
                }
            }
        }
        regions.push(Region {
            start,
            bytes,
            first,
        });
    }
    // In the order the call first touched them, which does not depend on where the traced process kept them.
    regions.sort_by_key(|r| r.first);
    let index: HashMap<u64, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.start, i))
        .collect();
    let mut links = Vec::new();
    let mut relink = |at: Loc, b: &mut Vec<u8>| {
        let found: Vec<(usize, usize)> = words(b)
            .filter_map(|(off, v)| Some((off, *index.get(&v)?)))
            .collect();
        for (offset, buf) in found {
            b[offset..offset + 8].fill(0);
            links.push(Link { at, offset, buf });
        }
    };
    relink(Loc::Arg, &mut arg);
    let mut bufs: Vec<Buf> = Vec::new();
    for (i, r) in regions.into_iter().enumerate() {
        let mut bytes = r.bytes;
        relink(Loc::Buf(i), &mut bytes);
        bufs.push(Buf {
            ptr: PtrKind::Valid,
            bytes,
        });
    }
    Call {
        file,
        cmd: t.cmd,
        arg: if t.arg == 0 {
            PtrKind::Null
        } else {
            PtrKind::Valid
        },
        bytes: arg,
        bufs,
        links,
    }
}

/// The steps that replay a trace's ioctls on an executor of `files` files, at most `max` of them. Files are given
/// indices in the order the trace first uses them, round robin; an index that served another traced file before is
/// re-opened first (a client that closes a file and opens another, as IGT's subtests do, finds the new one empty,
/// so its handles are numbered as in the trace). A [`Step::Reopen`] counts against `max`.
pub fn steps(ioctls: &[TracedIoctl], files: usize, max: usize) -> Vec<Step> {
    let files = files.max(1);
    let mut seen: Vec<u64> = Vec::new();
    // Which traced file each index serves now.
    let mut serving: Vec<Option<u64>> = vec![None; files];
    let mut out = Vec::new();
    for t in ioctls {
        let index = match seen.iter().position(|&f| f == t.file) {
            Some(n) => n % files,
            None => {
                seen.push(t.file);
                (seen.len() - 1) % files
            }
        };
        if serving[index] != Some(t.file) {
            if serving[index].is_some() {
                out.push(Step::Reopen { file: index });
            }
            serving[index] = Some(t.file);
        }
        out.push(Step::Ioctl(call(t, index)));
        if out.len() >= max {
            break;
        }
    }
    out.truncate(max);
    out
}

/// `steps` cut into pieces of at most `size` steps (at least one segment each), each cut just before a
/// [`Step::Reopen`]: a piece then starts where the client moved to a new file (an IGT subtest opening its own), so it
/// runs on its own on a fresh executor as it did in the whole.
pub fn split(steps: Vec<Step>, size: usize) -> Vec<Vec<Step>> {
    let mut segments: Vec<Vec<Step>> = vec![Vec::new()];
    for s in steps {
        if matches!(s, Step::Reopen { .. }) {
            segments.push(Vec::new());
        }
        segments.last_mut().expect("one").push(s);
    }
    let mut pieces: Vec<Vec<Step>> = Vec::new();
    for seg in segments.into_iter().filter(|s| !s.is_empty()) {
        match pieces.last_mut() {
            Some(p) if p.len() + seg.len() <= size => p.extend(seg),
            _ => pieces.push(seg),
        }
    }
    pieces
}

/// The seeds of a trace's first `max` steps for the `ioctls` target's executor ([`super::input::FILES`] files), cut
/// into pieces of at most `piece` steps ([`split`]), with no choices after the scripts; and how many ioctls the trace
/// holds.
pub fn seeds(jsonl: &str, max: usize, piece: usize) -> (Vec<Vec<u8>>, usize) {
    let traced = ioctls(jsonl);
    let all = steps(&traced, super::input::FILES, max);
    let seeds = split(all, piece.max(1))
        .iter()
        .map(|p| super::seed::encode(p, &[]).0)
        .collect();
    (seeds, traced.len())
}

/// What `tyr fuzz-seed` was asked for.
pub struct SeedCommand<'a> {
    /// The shim library a command runs under.
    pub shim: &'a std::path::Path,
    /// A trace to convert instead of running a command.
    pub from: Option<&'a std::path::Path>,
    /// Steps kept at most.
    pub max: usize,
    /// Steps per seed at most: a longer trace is cut at file changes into several seeds.
    pub piece: usize,
    /// Write the scripted scenarios ([`super::scenarios`]) into the directory `out` instead.
    pub scenarios: bool,
    /// The seed file (or, for the scenarios, directory).
    pub out: &'a std::path::Path,
    /// The client and its arguments.
    pub command: &'a [std::ffi::OsString],
}

impl SeedCommand<'_> {
    /// Writes the seed(s); returns what to print, or why nothing was written.
    pub fn run(&self) -> Result<String, String> {
        let out = self.out.display();
        if self.scenarios {
            let files = super::scenarios::write_all(self.out).map_err(|e| format!("{out}: {e}"))?;
            return Ok(files.iter().map(|f| format!("{}\n", f.display())).collect());
        }
        let text = match (self.from, self.command.is_empty()) {
            (Some(p), true) => {
                std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?
            }
            (None, false) => {
                let (t, status) = crate::trace::run_command(self.shim, TRACE_FILTER, self.command)
                    .map_err(|e| e.to_string())?;
                if !status.success() {
                    eprintln!(
                        "tyr fuzz-seed: the command exited with {status} (its ioctls are kept)"
                    );
                }
                t
            }
            _ => return Err("give either --from TRACE or a command after `--`".into()),
        };
        let (seeds, ioctls) = seeds(&text, self.max, self.piece);
        if ioctls == 0 {
            return Err(format!(
                "no ioctl in the trace (was it taken with {TRACE_FILTER})?"
            ));
        }
        let mut report = String::new();
        for (i, bytes) in seeds.iter().enumerate() {
            let path = if seeds.len() == 1 {
                self.out.to_path_buf()
            } else {
                let mut name = self.out.as_os_str().to_owned();
                name.push(format!("-{}", i + 1));
                name.into()
            };
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            report += &format!("{}: {} bytes\n", path.display(), bytes.len());
        }
        Ok(format!(
            "{ioctls} ioctls traced, {} seeds\n{report}",
            seeds.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tyr::uapi::ioctl::{DRM_IOCTL_PANTHOR_DEV_QUERY, DRM_IOCTL_PANTHOR_VM_BIND};

    fn w64(b: &mut [u8], off: usize, v: u64) {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn pointers_in_the_argument_and_in_arrays_become_links() {
        // VM_BIND: {vm_id, flags, ops{stride, count, array}}; one op whose syncs array is read too.
        let mut arg = vec![0u8; ioc_size(DRM_IOCTL_PANTHOR_VM_BIND)];
        arg[0] = 1;
        arg[8] = 48;
        arg[12] = 1;
        w64(&mut arg, 16, 0x7000_1000);
        let mut op = vec![0u8; 48];
        op[4] = 1;
        op[16] = 1;
        w64(&mut op, 32, 0x7000_2000);
        let t = TracedIoctl {
            file: 9,
            cmd: DRM_IOCTL_PANTHOR_VM_BIND,
            arg: 0x6000_0000,
            result: Some(0),
            reads: vec![
                (0x6000_0000, arg.clone()),
                (0x7000_1000, op.clone()),
                (0x7000_2000, vec![5; 16]),
            ],
            writes: vec![(0x6000_0000, arg.len() as u64)],
        };
        let c = call(&t, 0);
        assert_eq!(c.bufs.len(), 2);
        assert_eq!(c.bufs[1].bytes, vec![5; 16]);
        assert_eq!(
            c.links,
            vec![
                Link {
                    at: Loc::Arg,
                    offset: 16,
                    buf: 0
                },
                Link {
                    at: Loc::Buf(0),
                    offset: 32,
                    buf: 1
                }
            ]
        );
        assert!(c.bytes[16..24].iter().all(|&b| b == 0));
        assert_eq!(c.bytes[..16], arg[..16]);
    }

    #[test]
    fn a_buffer_only_written_is_zeros_of_the_written_length() {
        let mut arg = vec![0u8; ioc_size(DRM_IOCTL_PANTHOR_DEV_QUERY)];
        arg[4] = 112;
        w64(&mut arg, 8, 0x5555_0000);
        let t = TracedIoctl {
            cmd: DRM_IOCTL_PANTHOR_DEV_QUERY,
            arg: 0x4444_0000,
            reads: vec![(0x4444_0000, arg)],
            writes: vec![(0x5555_0000, 112), (0x4444_0000, 16)],
            ..Default::default()
        };
        let c = call(&t, 0);
        assert_eq!(
            c.bufs,
            vec![Buf {
                ptr: PtrKind::Valid,
                bytes: vec![0; 112]
            }]
        );
        assert_eq!(c.links.len(), 1);
    }

    #[test]
    fn elements_read_at_a_stride_stay_in_one_buffer() {
        let mut arg = vec![0u8; ioc_size(DRM_IOCTL_PANTHOR_VM_BIND)];
        w64(&mut arg, 16, 0x9000);
        let t = TracedIoctl {
            cmd: DRM_IOCTL_PANTHOR_VM_BIND,
            arg: 0x1000,
            reads: vec![(0x1000, arg), (0x9000, vec![1; 48]), (0x9040, vec![2; 48])],
            ..Default::default()
        };
        let c = call(&t, 0);
        assert_eq!(c.bufs.len(), 1);
        assert_eq!(c.bufs[0].bytes.len(), 0x70);
        assert_eq!(c.bufs[0].bytes[0x40], 2);
    }

    #[test]
    fn long_scripts_are_cut_before_reopens_into_pieces_that_fit() {
        let q = |file| {
            Step::Ioctl(call(
                &TracedIoctl {
                    cmd: DRM_IOCTL_PANTHOR_DEV_QUERY,
                    arg: 0x1000,
                    ..Default::default()
                },
                file,
            ))
        };
        let r = |file| Step::Reopen { file };
        let s = vec![
            q(0),
            q(0),
            q(1),
            r(0),
            q(0),
            r(1),
            q(1),
            q(1),
            q(1),
            r(0),
            q(0),
        ];
        let pieces = split(s.clone(), 5);
        assert_eq!(pieces.iter().map(Vec::len).collect::<Vec<_>>(), [5, 4, 2]);
        assert_eq!(pieces.concat(), s);
        assert!(matches!(pieces[1][0], Step::Reopen { .. }));
        // A segment longer than a piece stays whole.
        assert_eq!(split(s, 2).len(), 4);
    }

    #[test]
    fn files_are_numbered_by_first_use_and_reopened_for_a_new_file() {
        let t = |file| TracedIoctl {
            file,
            cmd: DRM_IOCTL_PANTHOR_DEV_QUERY,
            arg: 0x1000,
            ..Default::default()
        };
        let s = steps(&[t(7), t(3), t(7), t(11), t(12), t(12), t(3)], 3, 20);
        let shape: Vec<String> = s
            .iter()
            .map(|s| match s {
                Step::Ioctl(c) => format!("f{}", c.file),
                Step::Reopen { file } => format!("reopen{file}"),
                _ => "?".into(),
            })
            .collect();
        assert_eq!(shape, ["f0", "f1", "f0", "f2", "reopen0", "f0", "f0", "f1"]);
    }
}
