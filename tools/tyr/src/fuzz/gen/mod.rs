// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The generator: from a seed, structure-aware steps — each ioctl's argument laid out field by field (
//! `Documentation/uapi.md#struct-layouts`), with values drawn mostly from what the files hold now (their handles, VM
//! ids, syncobjs, mmap offsets, exported descriptors), else from each field's boundaries, another file's handles, or
//! garbage; user pointers valid, null, unmapped, read-only or wild; sizes, strides, pads and flags valid or not.

use rand::{Rng, RngCore, SeedableRng};
use rand_pcg::Pcg64;

use kernel::drm::ioctl::{ioc_size, IOC_IN, IOC_OUT};
use tyr::uapi::ioctl::*;

use super::call::{Buf, Call, Fields, Link, Loc, PtrKind, Step};
use super::errno::KNOWN;
use super::fds::FdKind;

mod group;
mod vm_bind;

/// What one file holds now, as the generator sees it.
#[derive(Clone, Debug, Default)]
pub struct FileView {
    /// GEM handles and their objects' sizes.
    pub bos: Vec<(u32, u64)>,
    /// VM ids.
    pub vms: Vec<u32>,
    /// Syncobj handles.
    pub syncobjs: Vec<u32>,
    /// Fake offsets BO_MMAP_OFFSET returned.
    pub offsets: Vec<u64>,
    /// Group handles.
    pub groups: Vec<u32>,
    /// A primary-node file (the others are render files).
    pub primary: bool,
}

/// What every file holds, and the descriptors PRIME handed out.
#[derive(Clone, Debug, Default)]
pub struct View {
    /// Per file.
    pub files: Vec<FileView>,
    /// The descriptors the run tracks, and their kinds.
    pub fds: Vec<(i32, FdKind)>,
    /// GEM names GEM_FLINK returned.
    pub names: Vec<u32>,
    /// Magics GET_MAGIC returned.
    pub magics: Vec<u32>,
    /// The sw_sync timelines' descriptors and their current points.
    pub timelines: Vec<(i32, u32)>,
}

const K: u64 = 0x1000;
const M: u64 = 0x10_0000;

/// A step generator: every choice it makes is drawn from its random source.
pub struct Gen {
    pub(super) rng: Box<dyn RngCore>,
}

impl Gen {
    /// The generator for `seed` (a PCG stream: the same steps on every platform).
    pub fn new(seed: u64) -> Gen {
        Gen::from_rng(Box::new(Pcg64::seed_from_u64(seed)))
    }

    /// A generator whose choices come from `rng`: a coverage-guided fuzzer passes the bytes of its input, so that
    /// mutating the input mutates the choices (`fuzz/fuzz_targets/ioctls.rs`).
    pub fn from_rng(rng: Box<dyn RngCore>) -> Gen {
        Gen { rng }
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    pub(super) fn pick<T: Copy>(&mut self, v: &[T]) -> Option<T> {
        (!v.is_empty()).then(|| v[self.rng.gen_range(0..v.len())])
    }

    /// A handle: mostly one this file holds, sometimes another file's (isolation), a boundary value or garbage.
    pub(super) fn handle(&mut self, own: &[u32], others: &[u32]) -> u32 {
        match self.rng.gen_range(0..20) {
            0..=13 => self.pick(own).unwrap_or(1),
            14..=15 => self.pick(others).unwrap_or(2),
            16 => 0,
            17 => u32::MAX,
            18 => self.rng.gen_range(1..64),
            _ => self.rng.gen(),
        }
    }

    pub(super) fn ptr_kind(&mut self) -> PtrKind {
        match self.rng.gen_range(0..40) {
            0 => PtrKind::Null,
            1 => PtrKind::Unmapped,
            2 => PtrKind::ReadOnly,
            3 => PtrKind::Wild(self.rng.gen()),
            _ => PtrKind::Valid,
        }
    }

    /// A page-aligned size or address in a small window, or a boundary.
    fn span(&mut self) -> u64 {
        match self.rng.gen_range(0..20) {
            0..=9 => self.rng.gen_range(0..16) * K,
            10..=13 => self.rng.gen_range(0..4) * 2 * M,
            14 => 0,
            15 => !(K - 1),
            16 => 1 << 47,
            17 => (1 << 48) - K,
            18 => self.rng.gen_range(1..K),
            _ => self.rng.gen(),
        }
    }

    pub(super) fn pad(&mut self) -> u32 {
        if self.chance(0.05) {
            self.rng.gen_range(1..u32::MAX)
        } else {
            0
        }
    }

    /// A stride for elements of `size` bytes with minimum `min`.
    fn stride(&mut self, size: u32, min: u32) -> u32 {
        match self.rng.gen_range(0..20) {
            0 => min - 1,
            1 => min,
            2 => size + 8,
            3 => 0,
            4 => self.rng.gen(),
            _ => size,
        }
    }

    fn count(&mut self, max: u32) -> u32 {
        match self.rng.gen_range(0..30) {
            0 => u32::MAX,
            1 => 0x10_0000,
            2 => 0,
            _ => self.rng.gen_range(1..=max),
        }
    }

    /// The next step for the state `v`.
    pub fn next(&mut self, v: &View) -> Step {
        let nfiles = v.files.len();
        let file = self.rng.gen_range(0..nfiles);
        match self.rng.gen_range(0..200) {
            0 => return Step::Reopen { file },
            1..=2 => return Step::CloseFds,
            9..=50 => {
                let pick = self.rng.gen_range(0..100);
                if let Some(step) = self.fd_step(v, pick) {
                    return step;
                }
            }
            3..=8 => {
                let offset = match self.pick(&v.files[file].offsets) {
                    Some(o) if self.chance(0.8) => o,
                    _ => match self.rng.gen_range(0..3) {
                        0 => 1 << 56,
                        1 => 0x1_0000_0000 + self.rng.gen_range(0..64) * K,
                        _ => self.rng.gen(),
                    },
                };
                let len = if self.chance(0.8) {
                    K * self.rng.gen_range(1..4)
                } else {
                    self.rng.gen()
                };
                return Step::Mmap {
                    file,
                    offset,
                    len,
                    write: self.chance(0.5),
                    shared: self.chance(0.9),
                };
            }
            _ => {}
        }
        let me = &v.files[file];
        let other = &v.files[(file + 1) % nfiles];
        let bos: Vec<u32> = me.bos.iter().map(|b| b.0).collect();
        let obos: Vec<u32> = other.bos.iter().map(|b| b.0).collect();
        let mut c = Call {
            file,
            cmd: 0,
            arg: self.ptr_kind(),
            bytes: Vec::new(),
            bufs: Vec::new(),
            links: Vec::new(),
        };
        let which = self.rng.gen_range(0..116);
        let cmd = match which {
            0..=11 => {
                self.vm_bind(&mut c, me, other, &bos, &obos);
                DRM_IOCTL_PANTHOR_VM_BIND
            }
            12..=21 => {
                let size = match self.rng.gen_range(0..10) {
                    0 => 0,
                    1 => self.rng.gen(),
                    2 => 2 * M + self.rng.gen_range(0..3) * K,
                    _ => self.rng.gen_range(1..9 * K),
                };
                c.bytes.put64(0, size);
                let flags = if self.chance(0.9) {
                    self.rng.gen_range(0..3)
                } else {
                    self.rng.gen()
                };
                c.bytes.put32(8, flags);
                let excl = if self.chance(0.7) {
                    0
                } else {
                    self.handle(&me.vms, &other.vms)
                };
                c.bytes.put32(12, excl);
                c.bytes.put32(16, self.rng.gen());
                c.bytes.put32(20, self.pad());
                DRM_IOCTL_PANTHOR_BO_CREATE
            }
            22..=27 => {
                let flags = if self.chance(0.9) { 0 } else { self.rng.gen() };
                c.bytes.put32(0, flags);
                c.bytes.put32(4, self.rng.gen());
                let range = match self.rng.gen_range(0..6) {
                    0 => 1 << 32,
                    1 => (1 << 48) - (256 << 20),
                    2 => (1 << 48) - (256 << 20) + 1,
                    3 => self.rng.gen(),
                    _ => 0,
                };
                c.bytes.put64(8, range);
                DRM_IOCTL_PANTHOR_VM_CREATE
            }
            28..=31 => {
                c.bytes.put32(0, self.handle(&me.vms, &other.vms));
                c.bytes.put32(4, self.pad());
                DRM_IOCTL_PANTHOR_VM_DESTROY
            }
            32..=33 => {
                c.bytes.put32(0, self.handle(&me.vms, &other.vms));
                c.bytes.put32(4, self.rng.gen());
                DRM_IOCTL_PANTHOR_VM_GET_STATE
            }
            34..=38 => {
                c.bytes.put32(0, self.handle(&bos, &obos));
                c.bytes.put32(4, self.pad());
                DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET
            }
            39..=40 => {
                c.bytes.put32(0, self.handle(&bos, &obos));
                c.bytes.put32(4, self.pad());
                let label: Vec<u8> = match self.rng.gen_range(0..6) {
                    0 => vec![b'x'; 4096],
                    1 => vec![b'y'; 4095].into_iter().chain([0]).collect(),
                    _ => b"fuzz\0".to_vec(),
                };
                if self.chance(0.1) {
                    c.bytes.put64(8, 0);
                } else {
                    self.link(&mut c, Loc::Arg, 8, label);
                }
                DRM_IOCTL_PANTHOR_BO_SET_LABEL
            }
            41 => {
                let v = match self.rng.gen_range(0..4) {
                    0 => 1 << 43,
                    1 => 1 << 56,
                    2 => 0,
                    _ => self.rng.gen(),
                };
                c.bytes.put64(0, v);
                DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET
            }
            42..=43 => {
                let n = self.count(3);
                let mut ops = Vec::new();
                for i in 0..n.min(4) as usize {
                    ops.put32(i * 24, self.handle(&bos, &obos));
                    ops.put32(
                        i * 24 + 4,
                        if self.chance(0.9) {
                            self.rng.gen_range(0..2)
                        } else {
                            self.rng.gen()
                        },
                    );
                    ops.put64(i * 24 + 8, self.span());
                    ops.put64(i * 24 + 16, self.span());
                }
                let stride = self.stride(24, 24);
                self.obj_array(&mut c, Loc::Arg, 0, stride, n, ops);
                DRM_IOCTL_PANTHOR_BO_SYNC
            }
            44..=45 => {
                c.bytes.put32(0, self.handle(&bos, &obos));
                DRM_IOCTL_PANTHOR_BO_QUERY_INFO
            }
            46..=49 => {
                let ty = if self.chance(0.9) {
                    self.rng.gen_range(0..5)
                } else {
                    self.rng.gen()
                };
                c.bytes.put32(0, ty);
                let size = match self.rng.gen_range(0..6) {
                    0 => 0,
                    1 => self.rng.gen_range(1..200),
                    2 => 0x1000,
                    _ => [112, 24, 56, 4, 8][self.rng.gen_range(0..5)],
                };
                c.bytes.put32(4, size);
                if self.chance(0.2) {
                    c.bytes.put64(8, 0);
                } else {
                    let mut payload = vec![0u8; size.min(0x1000) as usize];
                    if self.chance(0.1) && payload.len() > 24 {
                        payload[24] = self.rng.gen();
                    }
                    self.link(&mut c, Loc::Arg, 8, payload);
                }
                DRM_IOCTL_PANTHOR_DEV_QUERY
            }
            50..=53 => self.group_call(&mut c, me, other),
            54..=55 => {
                let mut name = vec![0u8; 32];
                name[0] = 1;
                for (off, i) in [(16usize, 24usize), (32, 40), (48, 56)] {
                    let len = if self.chance(0.8) {
                        self.rng.gen_range(0..32)
                    } else {
                        self.rng.gen()
                    };
                    c.bytes.put64(off, len);
                    if self.chance(0.2) {
                        c.bytes.put64(i, 0);
                    } else {
                        self.link(&mut c, Loc::Arg, i, name.clone());
                    }
                }
                DRM_IOCTL_VERSION
            }
            56..=61 => {
                c.bytes.put32(0, self.handle(&bos, &obos));
                c.bytes.put32(4, self.rng.gen());
                DRM_IOCTL_GEM_CLOSE
            }
            62..=63 => {
                let cap = if self.chance(0.8) {
                    self.rng.gen_range(0..0x20)
                } else {
                    self.rng.gen()
                };
                c.bytes.put64(0, cap);
                DRM_IOCTL_GET_CAP
            }
            64..=67 => {
                c.bytes.put32(0, self.handle(&bos, &obos));
                let flags = match self.rng.gen_range(0..4) {
                    0 => 0,
                    1 => 0x8_0002,
                    2 => 0x8_0000,
                    _ => self.rng.gen(),
                };
                c.bytes.put32(4, flags);
                c.bytes.put32(8, self.rng.gen());
                DRM_IOCTL_PRIME_HANDLE_TO_FD
            }
            68..=70 => {
                c.bytes.put32(0, self.rng.gen());
                c.bytes.put32(4, 0);
                let fd = self.fd_of(v, FdKind::DmaBuf);
                c.bytes.put32(8, fd as u32);
                DRM_IOCTL_PRIME_FD_TO_HANDLE
            }
            71..=75 => {
                c.bytes.put32(0, self.rng.gen());
                let flags = if self.chance(0.9) {
                    self.rng.gen_range(0..2)
                } else {
                    self.rng.gen()
                };
                c.bytes.put32(4, flags);
                DRM_IOCTL_SYNCOBJ_CREATE
            }
            76..=78 => {
                c.bytes.put32(0, self.handle(&me.syncobjs, &other.syncobjs));
                c.bytes.put32(4, self.pad());
                DRM_IOCTL_SYNCOBJ_DESTROY
            }
            79..=82 => {
                let timeline = self.chance(0.5);
                let n = self.count(3);
                let hs = self.handles_buf(n, &me.syncobjs, &other.syncobjs);
                self.link(&mut c, Loc::Arg, 0, hs);
                let (t_off, n_off, f_off) = if timeline { (16, 24, 28) } else { (8, 16, 20) };
                if timeline {
                    let pts = self.points_buf(n);
                    self.link(&mut c, Loc::Arg, 8, pts);
                }
                // Absolute CLOCK_MONOTONIC: in the past (a poll) or at most 2 ms ahead, never long enough to hang.
                let now = kernel::time::ktime_get_ns() as u64;
                let timeout = if self.chance(0.7) {
                    0
                } else {
                    now + self.rng.gen_range(0..2_000_000)
                };
                c.bytes.put64(t_off, timeout);
                c.bytes.put32(n_off, n);
                let flags = if self.chance(0.9) {
                    self.rng.gen_range(0..16)
                } else {
                    self.rng.gen()
                };
                c.bytes.put32(f_off, flags);
                if timeline {
                    DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT
                } else {
                    DRM_IOCTL_SYNCOBJ_WAIT
                }
            }
            83..=88 => {
                let n = self.count(3);
                let hs = self.handles_buf(n, &me.syncobjs, &other.syncobjs);
                self.link(&mut c, Loc::Arg, 0, hs);
                match self.rng.gen_range(0..4) {
                    0 | 1 => {
                        c.bytes.put32(8, n);
                        c.bytes.put32(12, self.pad());
                        if self.chance(0.5) {
                            DRM_IOCTL_SYNCOBJ_SIGNAL
                        } else {
                            DRM_IOCTL_SYNCOBJ_RESET
                        }
                    }
                    k => {
                        let pts = self.points_buf(n);
                        self.link(&mut c, Loc::Arg, 8, pts);
                        c.bytes.put32(16, n);
                        let flags = if self.chance(0.8) {
                            0
                        } else {
                            self.rng.gen_range(0..4)
                        };
                        c.bytes.put32(20, flags);
                        if k == 2 {
                            DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL
                        } else {
                            DRM_IOCTL_SYNCOBJ_QUERY
                        }
                    }
                }
            }
            89..=91 => {
                c.bytes.put32(0, self.handle(&me.syncobjs, &other.syncobjs));
                c.bytes.put32(4, self.handle(&me.syncobjs, &other.syncobjs));
                c.bytes.put64(8, self.rng.gen_range(0..4));
                c.bytes.put64(16, self.rng.gen_range(0..4));
                // Never WAIT_FOR_SUBMIT (bit 1): on a syncobj with no fence it blocks for 10 s before ETIME.
                c.bytes.put32(
                    24,
                    if self.chance(0.9) {
                        0
                    } else {
                        self.rng.gen::<u32>() & !2
                    },
                );
                c.bytes.put32(28, self.pad());
                DRM_IOCTL_SYNCOBJ_TRANSFER
            }
            92..=105 => self.syncobj_fd_call(&mut c, v, me, other),
            106..=109 => {
                // Mostly on the primary file, where they are allowed.
                if let Some(p) = v
                    .files
                    .iter()
                    .position(|f| f.primary)
                    .filter(|_| self.chance(0.8))
                {
                    c.file = p;
                }
                let bos: Vec<u32> = v.files[c.file].bos.iter().map(|b| b.0).collect();
                self.master_call(&mut c, v, &bos, &obos)
            }
            _ => {
                // Any number, any size, any direction, any type byte.
                let k = KNOWN[self.rng.gen_range(0..KNOWN.len())].cmd;
                let cmd = match self.rng.gen_range(0..4) {
                    0 => (k & 0xc000_ffff) | (self.rng.gen_range(0..0x80u32) << 16),
                    1 => (k & 0xffff_ff00) | self.rng.gen_range(0x51..0x100u32),
                    2 => k ^ (u32::from(self.rng.gen_range(1..=255u8)) << 8),
                    _ => k & !(if self.chance(0.5) { IOC_IN } else { IOC_OUT }),
                };
                c.bytes = (0..ioc_size(cmd).max(ioc_size(k)))
                    .map(|_| self.rng.gen())
                    .collect();
                cmd
            }
        };
        // Sometimes the caller's struct is shorter or longer than the kernel's
        // (`Documentation/uapi.md#drm-core-ioctl-path`).
        c.cmd = match self.rng.gen_range(0..30) {
            0 => (cmd & 0xc000_ffff) | ((self.rng.gen_range(0..ioc_size(cmd).max(1)) as u32) << 16),
            1 => {
                (cmd & 0xc000_ffff)
                    | (((ioc_size(cmd) + 8 * self.rng.gen_range(1..8)) as u32) << 16)
            }
            _ if c.cmd != 0 => c.cmd,
            _ => cmd,
        };
        let want = ioc_size(c.cmd).max(ioc_size(cmd));
        if c.bytes.len() < want {
            c.bytes.resize(want, 0);
        }
        Step::Ioctl(c)
    }

    /// Adds a buffer holding `bytes` and points `at + offset` to it.
    pub(super) fn link(&mut self, c: &mut Call, at: Loc, offset: usize, bytes: Vec<u8>) -> usize {
        let ptr = self.ptr_kind();
        c.bufs.push(Buf { ptr, bytes });
        let buf = c.bufs.len() - 1;
        c.links.push(Link { at, offset, buf });
        buf
    }

    /// Writes an obj_array `{stride, count, array}` at `at + offset`, the array holding `elems` (laid out with the
    /// kernel's element size) re-laid at `stride`.
    fn obj_array(
        &mut self,
        c: &mut Call,
        at: Loc,
        offset: usize,
        stride: u32,
        count: u32,
        elems: Vec<u8>,
    ) -> usize {
        let target: &mut Vec<u8> = match at {
            Loc::Arg => &mut c.bytes,
            Loc::Buf(i) => &mut c.bufs[i].bytes,
        };
        target.put32(offset, stride);
        target.put32(offset + 4, count);
        target.put64(offset + 8, 0);
        self.link(c, at, offset + 8, elems)
    }

    fn handles_buf(&mut self, n: u32, own: &[u32], others: &[u32]) -> Vec<u8> {
        let mut b = Vec::new();
        for i in 0..n.min(4) as usize {
            b.put32(i * 4, self.handle(own, others));
        }
        b
    }

    fn points_buf(&mut self, n: u32) -> Vec<u8> {
        let mut b = Vec::new();
        for i in 0..n.min(4) as usize {
            b.put64(
                i * 8,
                if self.chance(0.9) {
                    self.rng.gen_range(0..4)
                } else {
                    self.rng.gen()
                },
            );
        }
        b
    }
}

/// Re-lays elements of `size` bytes at `stride`, zero-filling (or truncating) each.
fn relay(elems: &[u8], size: usize, stride: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for e in elems.chunks(size) {
        let mut e = e.to_vec();
        e.resize(stride, 0);
        out.extend_from_slice(&e);
    }
    out
}
