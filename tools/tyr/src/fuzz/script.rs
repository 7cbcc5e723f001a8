// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Steps as text, one per line, for printing a failing case and replaying it (`tyr fuzz --replay FILE`):
//!
//! ```text
//! ioctl f=0 cmd=0xc0186443 arg=valid:2a000000... buf=valid:00... link=arg+16>0 # VM_BIND
//! mmap f=1 off=0x100000000 len=0x1000 w=1 shared=1
//! fdioctl fd=12 cmd=0xc0303e03 arg=valid:00... # SYNC_IOC_MERGE
//! eventfd
//! swsync
//! closefd fd=12
//! closefds
//! reopen f=0
//! ```

use super::call::{Buf, Call, Link, Loc, PtrKind, Step};
use super::errno;
use super::FuzzError;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn kind(k: PtrKind) -> String {
    match k {
        PtrKind::Valid => "valid".into(),
        PtrKind::ReadOnly => "ro".into(),
        PtrKind::Unmapped => "unmapped".into(),
        PtrKind::Null => "null".into(),
        PtrKind::Wild(a) => format!("wild@{a:#x}"),
    }
}

fn parse_kind(s: &str) -> Option<PtrKind> {
    Some(match s {
        "valid" => PtrKind::Valid,
        "ro" => PtrKind::ReadOnly,
        "unmapped" => PtrKind::Unmapped,
        "null" => PtrKind::Null,
        w => PtrKind::Wild(num(w.strip_prefix("wild@")?)?),
    })
}

fn num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        // Descriptors may be negative (`fd=-1`).
        None => s
            .parse::<u64>()
            .ok()
            .or_else(|| s.parse::<i64>().ok().map(|v| v as u64)),
    }
}

/// An ioctl's command, argument, buffers and links as words.
fn call_words(c: &Call) -> String {
    let mut s = format!("cmd={:#010x} arg={}:{}", c.cmd, kind(c.arg), hex(&c.bytes));
    for b in &c.bufs {
        s += &format!(" buf={}:{}", kind(b.ptr), hex(&b.bytes));
    }
    for l in &c.links {
        let at = match l.at {
            Loc::Arg => "arg".to_string(),
            Loc::Buf(i) => format!("buf{i}"),
        };
        s += &format!(" link={at}+{}>{}", l.offset, l.buf);
    }
    s
}

/// One step as a line.
pub fn line(step: &Step) -> String {
    match step {
        Step::Ioctl(c) => format!(
            "ioctl f={} {} # {}",
            c.file,
            call_words(c),
            errno::name(c.cmd)
        ),
        Step::FdIoctl { fd, call } => format!(
            "fdioctl fd={fd} {} # {}",
            call_words(call),
            errno::fd_name(call.cmd)
        ),
        Step::Mmap {
            file,
            offset,
            len,
            write,
            shared,
        } => {
            format!(
                "mmap f={file} off={offset:#x} len={len:#x} w={} shared={}",
                u8::from(*write),
                u8::from(*shared)
            )
        }
        Step::CloseFd { fd } => format!("closefd fd={fd}"),
        Step::Eventfd => "eventfd".into(),
        Step::SwSync => "swsync".into(),
        Step::CloseFds => "closefds".into(),
        Step::Reopen { file } => format!("reopen f={file}"),
    }
}

/// Steps as a script.
pub fn print(steps: &[Step]) -> String {
    steps.iter().map(|s| line(s) + "\n").collect()
}

/// Parses a script (blank lines and `#` comments skipped).
pub fn parse(text: &str) -> Result<Vec<Step>, FuzzError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let bad = || FuzzError::Script {
            line: n + 1,
            text: raw.to_string(),
        };
        let mut words = l.split_whitespace();
        let op = words.next().ok_or_else(bad)?;
        let kv: Vec<(&str, &str)> = words
            .map(|w| w.split_once('=').ok_or_else(bad))
            .collect::<Result<_, _>>()?;
        let get = |k: &str| kv.iter().find(|(x, _)| *x == k).map(|(_, v)| *v);
        let getn = |k: &str| get(k).and_then(num).ok_or_else(bad);
        out.push(match op {
            "closefds" => Step::CloseFds,
            "eventfd" => Step::Eventfd,
            "swsync" => Step::SwSync,
            "closefd" => Step::CloseFd {
                fd: getn("fd")? as i64 as i32,
            },
            "reopen" => Step::Reopen {
                file: getn("f")? as usize,
            },
            "mmap" => Step::Mmap {
                file: getn("f")? as usize,
                offset: getn("off")?,
                len: getn("len")?,
                write: getn("w")? != 0,
                shared: getn("shared")? != 0,
            },
            "ioctl" | "fdioctl" => {
                let ptr_bytes = |v: &str| -> Option<(PtrKind, Vec<u8>)> {
                    let (k, h) = v.split_once(':')?;
                    Some((parse_kind(k)?, unhex(h)?))
                };
                let (arg, bytes) = ptr_bytes(get("arg").ok_or_else(bad)?).ok_or_else(bad)?;
                let mut c = Call {
                    file: if op == "ioctl" {
                        getn("f")? as usize
                    } else {
                        0
                    },
                    cmd: getn("cmd")? as u32,
                    arg,
                    bytes,
                    bufs: vec![],
                    links: vec![],
                };
                for (k, v) in &kv {
                    match *k {
                        "buf" => {
                            let (ptr, bytes) = ptr_bytes(v).ok_or_else(bad)?;
                            c.bufs.push(Buf { ptr, bytes });
                        }
                        "link" => {
                            let (at, rest) = v.split_once('+').ok_or_else(bad)?;
                            let (off, buf) = rest.split_once('>').ok_or_else(bad)?;
                            let at = match at {
                                "arg" => Loc::Arg,
                                b => Loc::Buf(
                                    b.strip_prefix("buf")
                                        .and_then(|i| i.parse().ok())
                                        .ok_or_else(bad)?,
                                ),
                            };
                            let offset = off.parse().map_err(|_| bad())?;
                            let buf = buf.parse().map_err(|_| bad())?;
                            c.links.push(Link { at, offset, buf });
                        }
                        _ => {}
                    }
                }
                if op == "ioctl" {
                    Step::Ioctl(c)
                } else {
                    Step::FdIoctl {
                        fd: getn("fd")? as i64 as i32,
                        call: c,
                    }
                }
            }
            _ => return Err(bad()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_steps_round_trip_with_negative_numbers() {
        let call = Call {
            file: 0,
            cmd: kernel::sync_file::SYNC_IOC_MERGE,
            arg: PtrKind::ReadOnly,
            bytes: vec![0x66, 0, 0xff],
            bufs: vec![Buf {
                ptr: PtrKind::Valid,
                bytes: vec![1, 2],
            }],
            links: vec![Link {
                at: Loc::Arg,
                offset: 48,
                buf: 0,
            }],
        };
        let steps = vec![
            Step::FdIoctl {
                fd: -1,
                call: call.clone(),
            },
            Step::FdIoctl { fd: 17, call },
            Step::Eventfd,
            Step::CloseFd { fd: -7 },
            Step::CloseFd { fd: 12 },
            Step::CloseFds,
        ];
        let text = print(&steps);
        assert!(
            text.contains("fdioctl fd=-1 cmd=") && text.contains("# SYNC_IOC_MERGE"),
            "{text}"
        );
        assert_eq!(parse(&text).unwrap(), steps);
        assert!(parse("closefd fd=x").is_err());
        assert!(
            parse("fdioctl cmd=0x1 arg=valid:").is_err(),
            "fdioctl needs fd="
        );
    }
}
