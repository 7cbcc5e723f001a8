// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The generator's descriptor and master steps: SYNCOBJ_HANDLE_TO_FD / FD_TO_HANDLE in every form, SYNCOBJ_EVENTFD
//! with real eventfds, the sync_file ioctls on tracked sync_files and the dma-buf ioctls on tracked dma-bufs, closing
//! tracked descriptors, and the master, authentication and GEM-name ioctls (mostly on the primary file).
//! Descriptor fields take a tracked descriptor of the right kind, one of another kind (another file's syncobj file,
//! a dma-buf where a sync_file belongs), or a bad number.

use rand::Rng;

use kernel::dma_buf::{
    DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, DMA_BUF_IOCTL_SYNC,
    DMA_BUF_SET_NAME_A, DMA_BUF_SET_NAME_B,
};
use kernel::drm::ioctl::{ioc_size, ioc_type};
use kernel::drm::syncobj::fd::{DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD};
use kernel::sync_file::{SYNC_IOC_FILE_INFO, SYNC_IOC_MERGE, SYNC_IOC_SET_DEADLINE};
use tyr::uapi::ioctl::*;

use super::call::{Call, Fields, Loc, Step};
use super::fds::{FdKind, MAX_TRACKED};
use super::gen::{FileView, Gen, View};

/// Size of `struct sync_fence_info`.
const FENCE_INFO: usize = 80;

impl Gen {
    /// A descriptor for a field that wants one of `kind`: mostly a tracked one of that kind, else any tracked one,
    /// else a number that is not open or not ours.
    pub(super) fn fd_of(&mut self, v: &View, kind: FdKind) -> i32 {
        let own: Vec<i32> = v.fds.iter().filter(|x| x.1 == kind).map(|x| x.0).collect();
        let any: Vec<i32> = v.fds.iter().map(|x| x.0).collect();
        match self.rng.gen_range(0..20) {
            0..=13 => self.pick(&own).or_else(|| self.pick(&any)).unwrap_or(-1),
            14..=16 => self.pick(&any).unwrap_or(-1),
            17 => -1,
            18 => [0, 1, 2, 100_000][self.rng.gen_range(0..4)],
            _ => self.rng.gen(),
        }
    }

    /// A step on the descriptors, or `None` for an ioctl on a file (`pick` in `0..100`).
    pub(super) fn fd_step(&mut self, v: &View, pick: u32) -> Option<Step> {
        let n = v.fds.len();
        match pick {
            // Close one: more often the more are held, so a run holds a bounded number.
            0..=9 if n > 0 && (pick < 3 || n > MAX_TRACKED / 2) => {
                let fd = v.fds[self.rng.gen_range(0..n)].0;
                Some(Step::CloseFd {
                    fd: if self.chance(0.05) {
                        self.rng.gen_range(-1..64)
                    } else {
                        fd
                    },
                })
            }
            10..=16 if v.fds.iter().filter(|x| x.1 == FdKind::Eventfd).count() < 4 => {
                Some(Step::Eventfd)
            }
            // A sw_sync timeline to make fences on and signal: pending fences the run controls, for syncobjs,
            // sync_files, dma-buf imports and jobs to wait on.
            70..=72 if v.timelines.len() < 2 => Some(Step::SwSync),
            70..=81 if !v.timelines.is_empty() => Some(self.sw_sync_step(v)),
            // On a sync_file or a dma-buf when the run holds one (now and then on any descriptor).
            17..=69 => {
                let has = |k: FdKind| v.fds.iter().any(|x| x.1 == k);
                let sync_file = match (has(FdKind::SyncFile), has(FdKind::DmaBuf)) {
                    (true, true) => pick < 43,
                    (true, false) => true,
                    (false, true) => false,
                    (false, false) if pick < 20 => pick < 19,
                    (false, false) => return None,
                };
                let kind = if sync_file {
                    FdKind::SyncFile
                } else {
                    FdKind::DmaBuf
                };
                let fd = self.fd_of(v, kind);
                let mut call = Call {
                    file: 0,
                    cmd: 0,
                    arg: self.ptr_kind(),
                    bytes: Vec::new(),
                    bufs: Vec::new(),
                    links: Vec::new(),
                };
                call.cmd = if sync_file {
                    self.sync_file_call(&mut call, v)
                } else {
                    self.dma_buf_call(&mut call, v)
                };
                if self.chance(0.04) {
                    // Another number, size or direction with the same type byte: ENOTTY.
                    let bit = [self.rng.gen_range(0..8), self.rng.gen_range(16..32)]
                        [self.rng.gen_range(0..2)];
                    call.cmd ^= 1 << bit;
                }
                let want = ioc_size(call.cmd);
                if call.bytes.len() < want {
                    call.bytes.resize(want, 0);
                }
                Some(Step::FdIoctl { fd, call })
            }
            _ => None,
        }
    }

    /// CREATE_FENCE at a point near the timeline's (passed, next, a little ahead, far ahead or wrapped) or INC by a
    /// little, mostly on a tracked timeline and now and then on another descriptor.
    fn sw_sync_step(&mut self, v: &View) -> Step {
        let (fd, value) = v.timelines[self.rng.gen_range(0..v.timelines.len())];
        let fd = if self.chance(0.05) {
            self.fd_of(v, FdKind::SyncFile)
        } else {
            fd
        };
        let mut call = Call {
            file: 0,
            cmd: 0,
            arg: self.ptr_kind(),
            bytes: Vec::new(),
            bufs: Vec::new(),
            links: Vec::new(),
        };
        call.cmd = if self.chance(0.6) {
            let point = match self.rng.gen_range(0..10) {
                0..=1 => value.wrapping_sub(self.rng.gen_range(0..3)),
                2..=6 => value.wrapping_add(self.rng.gen_range(1..4)),
                7 => value.wrapping_add(self.rng.gen_range(4..64)),
                8 => value.wrapping_add(1 << 31),
                _ => self.rng.gen(),
            };
            call.bytes = vec![0; 40];
            call.bytes.put32(0, point);
            call.bytes[4..13].copy_from_slice(b"fuzz-pt\0\0");
            call.bytes.put32(36, self.rng.gen());
            kernel::sw_sync::SW_SYNC_IOC_CREATE_FENCE
        } else {
            let inc = match self.rng.gen_range(0..10) {
                0 => 0,
                1..=7 => self.rng.gen_range(1..3),
                8 => self.rng.gen_range(3..64),
                _ => self.rng.gen(),
            };
            call.bytes.put32(0, inc);
            kernel::sw_sync::SW_SYNC_IOC_INC
        };
        if self.chance(0.03) {
            call.cmd ^= 1 << self.rng.gen_range(0..8);
        }
        let want = ioc_size(call.cmd);
        if call.bytes.len() < want {
            call.bytes.resize(want, 0);
        }
        Step::FdIoctl { fd, call }
    }

    fn sync_file_call(&mut self, c: &mut Call, v: &View) -> u32 {
        match self.rng.gen_range(0..10) {
            0..=3 => {
                let name: &[u8] = if self.chance(0.9) {
                    b"fuzz-merge\0"
                } else {
                    &[b'm'; 32]
                };
                c.bytes = name.to_vec();
                c.bytes.resize(32, 0);
                c.bytes.put32(32, self.fd_of(v, FdKind::SyncFile) as u32);
                c.bytes.put32(36, self.rng.gen());
                c.bytes.put32(40, self.pad());
                c.bytes.put32(44, self.pad());
                SYNC_IOC_MERGE
            }
            4..=7 => {
                c.bytes = vec![0; 56];
                c.bytes.put32(32, self.rng.gen());
                c.bytes.put32(36, self.pad());
                // 0 only counts; 1 is too small for a merged file; 4 is enough for what a merge keeps here.
                let num = match self.rng.gen_range(0..10) {
                    0..=3 => 0,
                    4..=5 => 1,
                    6..=8 => 4,
                    _ => self.rng.gen(),
                };
                c.bytes.put32(40, num);
                c.bytes.put32(44, self.pad());
                if self.chance(0.1) {
                    c.bytes.put64(48, 0);
                } else {
                    self.link(
                        c,
                        Loc::Arg,
                        48,
                        vec![0xa5; FENCE_INFO * num.min(8) as usize],
                    );
                }
                SYNC_IOC_FILE_INFO
            }
            _ => {
                let now = kernel::time::ktime_get_ns() as u64;
                c.bytes.put64(
                    0,
                    if self.chance(0.8) {
                        now + self.rng.gen_range(0..1_000_000)
                    } else {
                        self.rng.gen()
                    },
                );
                c.bytes.put64(8, u64::from(self.pad()));
                SYNC_IOC_SET_DEADLINE
            }
        }
    }

    fn dma_buf_call(&mut self, c: &mut Call, v: &View) -> u32 {
        let flags = |g: &mut Gen| match g.rng.gen_range(0..10) {
            0..=6 => g.rng.gen_range(1..4),
            7 => 0,
            8 => 4,
            _ => g.rng.gen(),
        };
        match self.rng.gen_range(0..10) {
            0..=2 => {
                c.bytes.put32(0, flags(self));
                c.bytes.put32(4, self.rng.gen());
                DMA_BUF_IOCTL_EXPORT_SYNC_FILE
            }
            3..=5 => {
                c.bytes.put32(0, flags(self));
                c.bytes.put32(4, self.fd_of(v, FdKind::SyncFile) as u32);
                DMA_BUF_IOCTL_IMPORT_SYNC_FILE
            }
            6..=7 => {
                let f = u64::from(flags(self)) | if self.chance(0.5) { 4 } else { 0 };
                c.bytes.put64(0, f);
                DMA_BUF_IOCTL_SYNC
            }
            _ => {
                // The argument is the name itself: NUL-terminated, 32 bytes without a NUL (EINVAL), or running
                // into the guard page (EFAULT).
                c.bytes = match self.rng.gen_range(0..6) {
                    0 => vec![b'n'; 32],
                    1 => vec![b'n'; 40],
                    2 => b"\0".to_vec(),
                    _ => b"fuzz-dmabuf\0".to_vec(),
                };
                if self.chance(0.5) {
                    DMA_BUF_SET_NAME_B
                } else {
                    DMA_BUF_SET_NAME_A
                }
            }
        }
    }

    /// SYNCOBJ_HANDLE_TO_FD, FD_TO_HANDLE and EVENTFD, field by field.
    pub(super) fn syncobj_fd_call(
        &mut self,
        c: &mut Call,
        v: &View,
        me: &FileView,
        other: &FileView,
    ) -> u32 {
        let point = |g: &mut Gen| {
            if g.chance(0.9) {
                g.rng.gen_range(0..4)
            } else {
                g.rng.gen()
            }
        };
        let flags = |g: &mut Gen| match g.rng.gen_range(0..10) {
            0..=4 => 0,
            5..=7 => 1,
            8 => 3,
            _ => [2, g.rng.gen()][g.rng.gen_range(0..2)],
        };
        c.bytes = vec![0; 24];
        match self.rng.gen_range(0..4) {
            0..=1 => {
                c.bytes.put32(0, self.handle(&me.syncobjs, &other.syncobjs));
                let f = match self.rng.gen_range(0..10) {
                    0..=3 => 0,
                    4..=6 => 1,
                    7 => 3,
                    8 => 2,
                    _ => self.rng.gen(),
                };
                c.bytes.put32(4, f);
                c.bytes.put32(8, self.rng.gen());
                c.bytes.put32(12, self.pad());
                c.bytes.put64(16, point(self));
                DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD
            }
            2 => {
                let f = flags(self);
                let import = f & 1 != 0;
                let handle = if import {
                    self.handle(&me.syncobjs, &other.syncobjs)
                } else {
                    self.rng.gen()
                };
                c.bytes.put32(0, handle);
                c.bytes.put32(4, f);
                let kind = if import {
                    FdKind::SyncFile
                } else {
                    FdKind::SyncobjFile
                };
                c.bytes.put32(8, self.fd_of(v, kind) as u32);
                c.bytes.put32(12, self.pad());
                c.bytes.put64(16, point(self));
                // Sometimes the 16-byte struct of Linux 6.12 and before (point 0).
                if self.chance(0.1) {
                    c.bytes.truncate(16);
                    return (DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE & 0xc000_ffff) | (16 << 16);
                }
                DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE
            }
            _ => {
                c.bytes.put32(0, self.handle(&me.syncobjs, &other.syncobjs));
                let f = match self.rng.gen_range(0..10) {
                    0..=5 => 0,
                    6..=8 => 4,
                    _ => self.rng.gen(),
                };
                c.bytes.put32(4, f);
                c.bytes.put64(8, point(self));
                c.bytes.put32(16, self.fd_of(v, FdKind::Eventfd) as u32);
                c.bytes.put32(20, self.pad());
                DRM_IOCTL_SYNCOBJ_EVENTFD
            }
        }
    }

    /// The master, authentication, client and GEM-name ioctls.
    pub(super) fn master_call(&mut self, c: &mut Call, v: &View, bos: &[u32], obos: &[u32]) -> u32 {
        match self.rng.gen_range(0..24) {
            0..=2 => DRM_IOCTL_GET_MAGIC,
            3..=5 => {
                let magic = match self.pick(&v.magics) {
                    Some(m) if self.chance(0.7) => m,
                    _ if self.chance(0.7) => self.rng.gen_range(0..4),
                    _ => self.rng.gen(),
                };
                c.bytes.put32(0, magic);
                DRM_IOCTL_AUTH_MAGIC
            }
            6..=7 => DRM_IOCTL_SET_MASTER,
            8..=9 => DRM_IOCTL_DROP_MASTER,
            10..=11 => {
                c.bytes.put32(
                    0,
                    if self.chance(0.8) {
                        0
                    } else {
                        self.rng.gen_range(0..3)
                    },
                );
                DRM_IOCTL_GET_CLIENT
            }
            12..=14 => {
                c.bytes.put32(0, self.handle(bos, obos));
                c.bytes.put32(4, self.rng.gen());
                DRM_IOCTL_GEM_FLINK
            }
            15..=17 => {
                let name = match self.pick(&v.names) {
                    Some(n) if self.chance(0.7) => n,
                    _ if self.chance(0.7) => self.rng.gen_range(0..6),
                    _ => self.rng.gen(),
                };
                c.bytes.put32(0, name);
                c.bytes.put32(4, self.rng.gen());
                DRM_IOCTL_GEM_OPEN
            }
            18 => {
                let len = if self.chance(0.8) {
                    self.rng.gen_range(0..40)
                } else {
                    self.rng.gen()
                };
                c.bytes.put64(0, len);
                self.link(c, Loc::Arg, 8, vec![0; 32]);
                DRM_IOCTL_GET_UNIQUE
            }
            19 => {
                for off in [0, 8] {
                    c.bytes
                        .put32(off, [-1i32, 1, 2, 0][self.rng.gen_range(0..4)] as u32);
                    c.bytes.put32(
                        off + 4,
                        [-1i32, 0, 1, 4, 99][self.rng.gen_range(0..5)] as u32,
                    );
                }
                DRM_IOCTL_SET_VERSION
            }
            20 => {
                c.bytes.put64(
                    0,
                    if self.chance(0.8) {
                        self.rng.gen_range(0..8)
                    } else {
                        self.rng.gen()
                    },
                );
                c.bytes.put64(8, self.rng.gen_range(0..2));
                DRM_IOCTL_SET_CLIENT_CAP
            }
            21 => {
                let name: Vec<u8> = match self.rng.gen_range(0..4) {
                    0 => b"fuzz client".to_vec(),
                    1 => vec![b'c'; 65],
                    _ => b"fuzz-client".to_vec(),
                };
                let len = if self.chance(0.8) {
                    name.len() as u64
                } else {
                    self.rng.gen_range(0..80)
                };
                c.bytes.put64(0, len);
                self.link(c, Loc::Arg, 8, name);
                DRM_IOCTL_SET_CLIENT_NAME
            }
            _ => DRM_IOCTL_GET_STATS,
        }
    }
}

/// Whether `cmd` is one of the descriptor ioctls' type bytes (for tests).
pub fn is_fd_ioctl(cmd: u32) -> bool {
    let t = ioc_type(cmd);
    t == kernel::sync_file::SYNC_IOC_MAGIC
        || t == kernel::dma_buf::DMA_BUF_BASE
        || t == kernel::sw_sync::SW_SYNC_IOC_MAGIC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_steps_name_tracked_descriptors_of_the_right_kind() {
        let mut g = Gen::new(5);
        let v = View {
            files: vec![
                FileView::default(),
                FileView {
                    primary: true,
                    ..Default::default()
                },
            ],
            fds: vec![
                (40, FdKind::SyncFile),
                (41, FdKind::DmaBuf),
                (42, FdKind::Eventfd),
            ],
            ..Default::default()
        };
        let (mut on_sync, mut on_dmabuf, mut closes) = (0, 0, 0);
        for _ in 0..2000 {
            match g.next(&v) {
                Step::FdIoctl { fd, call } => {
                    assert!(is_fd_ioctl(call.cmd));
                    if fd == 40 && ioc_type(call.cmd) == kernel::sync_file::SYNC_IOC_MAGIC {
                        on_sync += 1;
                    }
                    if fd == 41 && ioc_type(call.cmd) == kernel::dma_buf::DMA_BUF_BASE {
                        on_dmabuf += 1;
                    }
                }
                Step::CloseFd { .. } => closes += 1,
                _ => {}
            }
        }
        assert!(
            on_sync > 50 && on_dmabuf > 50 && closes > 5,
            "{on_sync} {on_dmabuf} {closes}"
        );
    }
}
