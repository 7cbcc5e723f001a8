// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The `ioctls` fuzz target's input bytes, and the seeds `tyr fuzz-seed` writes in them.
//!
//! An input is either the generator's choices alone (any bytes not starting with [`MAGIC`]: what the target always
//! took, so older corpora keep their meaning), or [`MAGIC`], a script of literal steps, then the choices:
//!
//! ```text
//! "TYS1" u16:n step*n choices...
//! step   = 0 u8:file u32:cmd ptr blob u8:nbufs (ptr blob)*nbufs u8:nlinks link*nlinks   an ioctl on a file
//!        | 1 u8:file u64:offset u64:len u8:(write | shared << 1)                         a CPU mapping
//!        | 2 u8:file                                                                    re-open a file
//!        | 3                                                                            close every descriptor
//!        | 4                                                                            make an eventfd
//!        | 5                                                                            open a sw_sync timeline
//!        | 6 u8:has_fd (fdref if has_fd) u8:n (u16:offset fdref)*n step                 a step naming descriptors
//! fdref  = u8:kind u8:index     the index-th (modulo their number) descriptor of that kind the run holds then;
//!                               kinds 0 dma-buf, 1 syncobj file, 2 sync_file, 3 eventfd, 4 sw_sync (modulo 5)
//! ptr    = 0 valid | 1 read-only | 2 unmapped | 3 null | 4 u64:address (wild)
//! blob   = u16:len byte*len
//! link   = u8:(0 the argument, i + 1 buffer i) u16:offset u8:buffer
//! ```
//!
//! Numbers are little-endian. Decoding never fails: an input cut short, or a step of an unknown kind, ends the script
//! there and what is left (nothing, for a cut) is the choices; links to buffers that do not exist are dropped. So
//! libFuzzer's mutations of a seed's script stay runnable and steer the literal steps as well as the generated ones
//! after them. Descriptors are named by reference ([`FdRef`]), never by number, since numbers differ from process
//! to process: kind 6 makes the step after it an ioctl on a referenced descriptor (`fdioctl`, when `has_fd`) and
//! writes referenced descriptors' numbers into its argument at the offsets given (`SYNC_IOC_MERGE`'s second file,
//! `SYNCOBJ_FD_TO_HANDLE`'s descriptor...). `closefd` has no encoding.

use super::call::{Buf, Call, Fields, Link, Loc, PtrKind, Step};
use super::fds::FdKind;

/// What a seed starts with.
pub const MAGIC: &[u8; 4] = b"TYS1";

/// Steps a script holds at most (the target runs this many steps per input at most).
pub const MAX_SCRIPT: usize = 256;

/// A descriptor named by what the run holds when the step runs: the `index`-th (modulo their number) tracked
/// descriptor of `kind`, oldest first; -1 when the run holds none of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdRef {
    /// The kind.
    pub kind: FdKind,
    /// Which one.
    pub index: u8,
}

const KINDS: [FdKind; 5] = [
    FdKind::DmaBuf,
    FdKind::SyncobjFile,
    FdKind::SyncFile,
    FdKind::Eventfd,
    FdKind::SwSync,
];

impl FdRef {
    /// The descriptor this names among `fds` (the run's tracked descriptors, oldest first).
    pub fn resolve(self, fds: &[(i32, FdKind)]) -> i32 {
        let of: Vec<i32> = fds
            .iter()
            .filter(|x| x.1 == self.kind)
            .map(|x| x.0)
            .collect();
        if of.is_empty() {
            -1
        } else {
            of[self.index as usize % of.len()]
        }
    }
}

/// A step of a seed's script and the descriptors it names by reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scripted {
    /// The step; for an ioctl on a referenced descriptor, an [`Step::FdIoctl`] whose number is replaced.
    pub step: Step,
    /// The descriptor an [`Step::FdIoctl`] goes to.
    pub fd: Option<FdRef>,
    /// Argument offsets that get a referenced descriptor's number (as a u32).
    pub fd_fields: Vec<(usize, FdRef)>,
}

impl From<Step> for Scripted {
    fn from(step: Step) -> Scripted {
        Scripted {
            step,
            fd: None,
            fd_fields: Vec::new(),
        }
    }
}

impl Scripted {
    /// The step with its references resolved against `fds`, the run's tracked descriptors now.
    pub fn resolve(&self, fds: &[(i32, FdKind)]) -> Step {
        let mut step = self.step.clone();
        if let (Step::FdIoctl { fd, .. }, Some(r)) = (&mut step, self.fd) {
            *fd = r.resolve(fds);
        }
        if let Step::Ioctl(c) | Step::FdIoctl { call: c, .. } = &mut step {
            for &(off, r) in &self.fd_fields {
                c.bytes.put32(off, r.resolve(fds) as u32);
            }
        }
        step
    }
}

fn put_ref(out: &mut Vec<u8>, r: FdRef) {
    out.push(KINDS.iter().position(|&k| k == r.kind).unwrap_or(0) as u8);
    out.push(r.index);
}

fn put_ptr(out: &mut Vec<u8>, k: PtrKind) {
    match k {
        PtrKind::Valid => out.push(0),
        PtrKind::ReadOnly => out.push(1),
        PtrKind::Unmapped => out.push(2),
        PtrKind::Null => out.push(3),
        PtrKind::Wild(a) => {
            out.push(4);
            out.extend_from_slice(&a.to_le_bytes());
        }
    }
}

fn put_blob(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len().min(u16::MAX as usize);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&b[..n]);
}

/// The input bytes for `steps` followed by `choices` ([`encode_script`] for steps without references).
pub fn encode(steps: &[Step], choices: &[u8]) -> (Vec<u8>, usize) {
    let script: Vec<Scripted> = steps.iter().cloned().map(Scripted::from).collect();
    encode_script(&script, choices)
}

/// The input bytes for `script` followed by `choices`. Steps without an encoding (`closefd`, an `fdioctl` naming a
/// number rather than a reference) are left out, and so is everything past [`MAX_SCRIPT`] steps; a blob longer than
/// 64 KiB is cut there. Returns the bytes and how many steps they hold.
pub fn encode_script(script: &[Scripted], choices: &[u8]) -> (Vec<u8>, usize) {
    let mut body = Vec::new();
    let mut n = 0usize;
    for sc in script {
        if n == MAX_SCRIPT {
            break;
        }
        let s = &sc.step;
        let call_of_fd = match (s, sc.fd) {
            (Step::FdIoctl { call, .. }, Some(_)) => Some(call),
            (Step::FdIoctl { .. } | Step::CloseFd { .. }, _) => continue,
            _ => None,
        };
        if sc.fd.is_some() || !sc.fd_fields.is_empty() {
            body.push(6);
            match sc.fd.filter(|_| call_of_fd.is_some()) {
                Some(r) => {
                    body.push(1);
                    put_ref(&mut body, r);
                }
                None => body.push(0),
            }
            let fields: Vec<_> = sc
                .fd_fields
                .iter()
                .filter(|f| f.0 <= u16::MAX as usize)
                .take(u8::MAX as usize)
                .collect();
            body.push(fields.len() as u8);
            for &&(off, r) in &fields {
                body.extend_from_slice(&(off as u16).to_le_bytes());
                put_ref(&mut body, r);
            }
        }
        let ioctl = match (s, call_of_fd) {
            (_, Some(c)) => Some(c),
            (Step::Ioctl(c), None) => Some(c),
            _ => None,
        };
        match s {
            _ if ioctl.is_some() => {
                let c = ioctl.expect("matched");
                body.push(0);
                body.push(c.file as u8);
                body.extend_from_slice(&c.cmd.to_le_bytes());
                put_ptr(&mut body, c.arg);
                put_blob(&mut body, &c.bytes);
                let nbufs = c.bufs.len().min(u8::MAX as usize);
                body.push(nbufs as u8);
                for b in &c.bufs[..nbufs] {
                    put_ptr(&mut body, b.ptr);
                    put_blob(&mut body, &b.bytes);
                }
                let links: Vec<&Link> = c
                    .links
                    .iter()
                    .filter(|l| l.buf < nbufs && l.offset <= u16::MAX as usize)
                    .filter(|l| {
                        matches!(l.at, Loc::Arg) || matches!(l.at, Loc::Buf(i) if i < nbufs)
                    })
                    .take(u8::MAX as usize)
                    .collect();
                body.push(links.len() as u8);
                for l in links {
                    body.push(match l.at {
                        Loc::Arg => 0,
                        Loc::Buf(i) => i as u8 + 1,
                    });
                    body.extend_from_slice(&(l.offset as u16).to_le_bytes());
                    body.push(l.buf as u8);
                }
            }
            Step::Mmap {
                file,
                offset,
                len,
                write,
                shared,
            } => {
                body.push(1);
                body.push(*file as u8);
                body.extend_from_slice(&offset.to_le_bytes());
                body.extend_from_slice(&len.to_le_bytes());
                body.push(u8::from(*write) | u8::from(*shared) << 1);
            }
            Step::Reopen { file } => {
                body.push(2);
                body.push(*file as u8);
            }
            Step::CloseFds => body.push(3),
            Step::Eventfd => body.push(4),
            Step::SwSync => body.push(5),
            Step::Ioctl(_) | Step::FdIoctl { .. } | Step::CloseFd { .. } => continue,
        }
        n += 1;
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(choices);
    (out, n)
}

/// Reads an input front to back; `None` once it runs out.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    fn ptr(&mut self) -> Option<PtrKind> {
        Some(match self.u8()? % 5 {
            0 => PtrKind::Valid,
            1 => PtrKind::ReadOnly,
            2 => PtrKind::Unmapped,
            3 => PtrKind::Null,
            _ => PtrKind::Wild(self.u64()?),
        })
    }

    fn fd_ref(&mut self) -> Option<FdRef> {
        let kind = KINDS[self.u8()? as usize % KINDS.len()];
        Some(FdRef {
            kind,
            index: self.u8()?,
        })
    }

    /// A step, with its references when it is of kind 6.
    fn scripted(&mut self) -> Option<Scripted> {
        if self.b.first() != Some(&6) {
            return self.step().map(Scripted::from);
        }
        self.take(1)?;
        let fd = match self.u8()? & 1 {
            1 => Some(self.fd_ref()?),
            _ => None,
        };
        let n = self.u8()?;
        let mut fd_fields = Vec::new();
        for _ in 0..n {
            let off = self.u16()? as usize;
            fd_fields.push((off, self.fd_ref()?));
        }
        let step = match (self.step()?, fd) {
            (Step::Ioctl(call), Some(_)) => Step::FdIoctl { fd: -1, call },
            (_, Some(_)) => return None,
            (s, None) => s,
        };
        Some(Scripted {
            step,
            fd,
            fd_fields,
        })
    }

    fn blob(&mut self) -> Option<Vec<u8>> {
        let n = self.u16()? as usize;
        self.take(n).map(<[u8]>::to_vec)
    }

    fn step(&mut self) -> Option<Step> {
        Some(match self.u8()? {
            0 => {
                let file = self.u8()? as usize;
                let cmd = self.u32()?;
                let arg = self.ptr()?;
                let bytes = self.blob()?;
                let nbufs = self.u8()? as usize;
                let mut bufs = Vec::with_capacity(nbufs);
                for _ in 0..nbufs {
                    let ptr = self.ptr()?;
                    bufs.push(Buf {
                        ptr,
                        bytes: self.blob()?,
                    });
                }
                let nlinks = self.u8()?;
                let mut links = Vec::new();
                for _ in 0..nlinks {
                    let at = self.u8()? as usize;
                    let offset = self.u16()? as usize;
                    let buf = self.u8()? as usize;
                    let at = match at {
                        0 => Loc::Arg,
                        i if i <= nbufs => Loc::Buf(i - 1),
                        _ => continue,
                    };
                    if buf < nbufs {
                        links.push(Link { at, offset, buf });
                    }
                }
                Step::Ioctl(Call {
                    file,
                    cmd,
                    arg,
                    bytes,
                    bufs,
                    links,
                })
            }
            1 => {
                let file = self.u8()? as usize;
                let offset = self.u64()?;
                let len = self.u64()?;
                let f = self.u8()?;
                Step::Mmap {
                    file,
                    offset,
                    len,
                    write: f & 1 != 0,
                    shared: f & 2 != 0,
                }
            }
            2 => Step::Reopen {
                file: self.u8()? as usize,
            },
            3 => Step::CloseFds,
            4 => Step::Eventfd,
            5 => Step::SwSync,
            _ => return None,
        })
    }
}

/// The literal steps of `input` and the generator's choices after them (see the module's documentation).
pub fn decode(input: &[u8]) -> (Vec<Scripted>, &[u8]) {
    let Some(rest) = input.strip_prefix(MAGIC.as_slice()) else {
        return (Vec::new(), input);
    };
    let mut r = Reader { b: rest };
    let n = r.u16().map_or(0, usize::from).min(MAX_SCRIPT);
    let mut steps = Vec::with_capacity(n);
    for _ in 0..n {
        let before = r.b;
        match r.scripted() {
            Some(s) => steps.push(s),
            None => {
                // An unknown kind: the script ends and its byte starts the choices. A cut: nothing is left.
                if before.first().is_some_and(|&k| k > 6) {
                    r.b = before;
                }
                break;
            }
        }
    }
    (steps, r.b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Step {
        Step::Ioctl(Call {
            file: 1,
            cmd: 0xc030_6443,
            arg: PtrKind::Valid,
            bytes: vec![1, 2, 3, 4, 0, 0, 0, 0, 9],
            bufs: vec![
                Buf {
                    ptr: PtrKind::ReadOnly,
                    bytes: vec![7; 24],
                },
                Buf {
                    ptr: PtrKind::Wild(0xdead_0000),
                    bytes: vec![],
                },
            ],
            links: vec![
                Link {
                    at: Loc::Arg,
                    offset: 16,
                    buf: 0,
                },
                Link {
                    at: Loc::Buf(0),
                    offset: 8,
                    buf: 1,
                },
            ],
        })
    }

    #[test]
    fn steps_and_choices_round_trip() {
        let steps = vec![
            call(),
            Step::Mmap {
                file: 2,
                offset: 0x1_0000_0000,
                len: 0x1000,
                write: true,
                shared: false,
            },
            Step::Reopen { file: 0 },
            Step::CloseFds,
            Step::Eventfd,
            Step::SwSync,
            Step::CloseFd { fd: 7 },
        ];
        let (bytes, n) = encode(&steps, b"choices");
        assert_eq!(n, 6, "closefd has no encoding");
        let (back, choices) = decode(&bytes);
        let back: Vec<Step> = back.into_iter().map(|s| s.step).collect();
        assert_eq!(back, steps[..6]);
        assert_eq!(choices, b"choices");
    }

    #[test]
    fn references_resolve_to_the_runs_descriptors_of_their_kind() {
        let call = Call {
            file: 0,
            cmd: 0xc030_3e03,
            arg: PtrKind::Valid,
            bytes: vec![0; 48],
            bufs: vec![],
            links: vec![],
        };
        let sc = Scripted {
            step: Step::FdIoctl { fd: -1, call },
            fd: Some(FdRef {
                kind: FdKind::SyncFile,
                index: 3,
            }),
            fd_fields: vec![(
                32,
                FdRef {
                    kind: FdKind::DmaBuf,
                    index: 0,
                },
            )],
        };
        let (bytes, _) = encode_script(std::slice::from_ref(&sc), b"");
        let (back, _) = decode(&bytes);
        assert_eq!(back, vec![sc.clone()]);
        let fds = [
            (10, FdKind::SyncFile),
            (11, FdKind::Eventfd),
            (12, FdKind::SyncFile),
        ];
        match sc.resolve(&fds) {
            Step::FdIoctl { fd, call } => {
                assert_eq!(fd, 12, "index 3 of two sync_files");
                assert_eq!(call.bytes.get32(32) as i32, -1, "no dma-buf held");
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn bytes_without_the_magic_are_all_choices() {
        let (steps, choices) = decode(b"TYS0\x01\x00\x03abc");
        assert!(steps.is_empty());
        assert_eq!(choices, b"TYS0\x01\x00\x03abc");
    }

    #[test]
    fn every_cut_and_flip_decodes_without_panicking_to_a_prefix() {
        let mut merge = Scripted::from(Step::FdIoctl {
            fd: 0,
            call: Call {
                file: 0,
                cmd: 0xc030_3e03,
                arg: PtrKind::Valid,
                bytes: vec![0; 48],
                bufs: vec![],
                links: vec![],
            },
        });
        merge.fd = Some(FdRef {
            kind: FdKind::SyncFile,
            index: 1,
        });
        merge.fd_fields = vec![(
            32,
            FdRef {
                kind: FdKind::SyncFile,
                index: 0,
            },
        )];
        let (bytes, _) = encode_script(
            &[call().into(), Step::CloseFds.into(), merge, call().into()],
            b"xyz",
        );
        for cut in 0..bytes.len() {
            let (steps, _) = decode(&bytes[..cut]);
            assert!(steps.len() <= 4);
        }
        for i in MAGIC.len()..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                let (steps, _) = decode(&b);
                for s in &steps {
                    if let Step::Ioctl(c) | Step::FdIoctl { call: c, .. } = &s.step {
                        assert!(c.links.iter().all(|l| l.buf < c.bufs.len()));
                    }
                }
            }
        }
    }

    #[test]
    fn an_unknown_step_kind_ends_the_script_and_starts_the_choices() {
        let (mut bytes, _) = encode(&[Step::CloseFds, Step::Eventfd], b"");
        let at = bytes.len() - 1;
        bytes[at] = 0x42;
        bytes.extend_from_slice(b"zz");
        let (steps, choices) = decode(&bytes);
        assert_eq!(steps, vec![Step::CloseFds.into()]);
        assert_eq!(choices, b"\x42zz");
    }
}
