// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The executor's ioctl step: the argument and its buffers laid out in this process's memory (valid, read-only,
//! unmapped, null or wild pointers, links patched in), the call through `File::ioctl` or the descriptor's own
//! ioctl, and what came back.

use super::*;

impl Executor {
    fn addr(&self, kind: PtrKind, region: Option<&Region>, n: usize) -> usize {
        match kind {
            PtrKind::Valid | PtrKind::ReadOnly => region.map_or(0, |r| r.data(n)),
            PtrKind::Unmapped => self.hole.addr(),
            PtrKind::Null => 0,
            PtrKind::Wild(a) => a as usize,
        }
    }

    pub(super) fn ioctl(&mut self, c: &Call, target: Target) -> Outcome {
        // Lay the buffers out: addresses first, then contents with the links patched in, then protections.
        let regions: Vec<Option<Region>> = c
            .bufs
            .iter()
            .map(|b| {
                matches!(b.ptr, PtrKind::Valid | PtrKind::ReadOnly)
                    .then(|| Region::new(b.bytes.len()))
            })
            .collect();
        let arg_len = c.bytes.len().max(ioc_size(c.cmd));
        let arg_region =
            matches!(c.arg, PtrKind::Valid | PtrKind::ReadOnly).then(|| Region::new(arg_len));
        let addrs: Vec<usize> = c
            .bufs
            .iter()
            .zip(&regions)
            .map(|(b, r)| self.addr(b.ptr, r.as_ref(), b.bytes.len()))
            .collect();
        let mut contents: Vec<Vec<u8>> = c.bufs.iter().map(|b: &Buf| b.bytes.clone()).collect();
        let mut arg = c.bytes.clone();
        arg.resize(arg_len, 0);
        for l in &c.links {
            let a = addrs.get(l.buf).copied().unwrap_or(0) as u64;
            // A pointer field past the end of what it would patch (a script's link, fuzzed) is not written: the
            // regions are laid out for the bytes as they are.
            let target = match l.at {
                Loc::Arg => Some(&mut arg),
                Loc::Buf(i) => contents.get_mut(i),
            };
            if let Some(t) =
                target.filter(|t| l.offset.checked_add(8).is_some_and(|e| e <= t.len()))
            {
                t.put64(l.offset, a);
            }
        }
        for ((b, r), data) in c.bufs.iter().zip(&regions).zip(&contents) {
            if let Some(r) = r {
                // SAFETY: `r.data(len)..+len` lies inside the region's writable pages (made for this length).
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        data.as_ptr(),
                        r.data(data.len()) as *mut u8,
                        data.len(),
                    )
                };
                if b.ptr == PtrKind::ReadOnly {
                    r.protect_read_only();
                }
            }
        }
        if let Some(r) = &arg_region {
            // SAFETY: as above, for the argument.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    arg.as_ptr(),
                    r.data(arg.len()) as *mut u8,
                    arg.len(),
                )
            };
            if c.arg == PtrKind::ReadOnly {
                r.protect_read_only();
            }
        }
        let ptr = self.addr(c.arg, arg_region.as_ref(), arg.len());
        // The new descriptor of a call that hands one out is found in /proc rather than in the argument: an export
        // whose copy-back faults still made it (as `drm_ioctl` would: the fd is installed before the copy-back),
        // which the caller never learns, and it is closed like the others.
        // (Whether it makes a dma-buf, and where it writes the descriptor's number.)
        let hands_out = match target {
            Target::File(_) => errno::known(c.cmd)
                .filter(|k| {
                    k.cmd == DRM_IOCTL_PRIME_HANDLE_TO_FD || k.cmd == DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD
                })
                .map(|k| (k.cmd == DRM_IOCTL_PRIME_HANDLE_TO_FD, 8)),
            Target::Fd(_) => match c.cmd {
                kernel::sync_file::SYNC_IOC_MERGE | kernel::sw_sync::SW_SYNC_IOC_CREATE_FENCE => {
                    Some((false, 36))
                }
                kernel::dma_buf::DMA_BUF_IOCTL_EXPORT_SYNC_FILE => Some((false, 4)),
                _ => None,
            },
        };
        let fds_before = if hands_out.is_some() {
            fds::open_ids()
        } else {
            Vec::new()
        };
        // The call sees only the buffers laid out above as its caller's memory.
        let client = memory::ClientCall::enter();
        let result = match target {
            Target::File(file) => self.files[file].ioctl(c.cmd, UserPtr(ptr)),
            // Not a sync_file or dma-buf: what the real ioctl answers for a pipe, memfd or eventfd, or a closed fd.
            Target::Fd(fd) if self.tracked.sw_sync(fd).is_some() => self
                .tracked
                .sw_sync(fd)
                .map_or(Err(EBADF), |t| t.ioctl(c.cmd, UserPtr(ptr))),
            Target::Fd(fd) => kernel::dma_buf::file_ioctl(fd, c.cmd, UserPtr(ptr)).unwrap_or(
                if fds::is_open(fd) {
                    Err(ENOTTY)
                } else {
                    Err(EBADF)
                },
            ),
        };
        drop(client);
        let made = hands_out
            .and_then(|(dma_buf, _)| fds::handed_out(&fds::new_since(&fds_before), dma_buf));
        if let Some((fd, kind)) = made {
            self.tracked.add(fd, kind);
        }
        let arg_after = arg_region.as_ref().map(|r| {
            let mut v = vec![0u8; arg.len()];
            // SAFETY: reading back the argument region, which is readable (valid or read-only).
            unsafe {
                core::ptr::copy_nonoverlapping(
                    r.data(arg.len()) as *const u8,
                    v.as_mut_ptr(),
                    v.len(),
                )
            };
            v
        });
        if let (Ok(()), Some(after), Target::File(file)) = (result, &arg_after, target) {
            if c.cmd == DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET {
                let o = u64::from_le_bytes(after[8..16].try_into().unwrap_or_default());
                if !self.offsets[file].contains(&o) {
                    self.offsets[file].push(o);
                }
            }
            // GEM names and magics the device handed out, for GEM_OPEN and AUTH_MAGIC to name (the newest few).
            let seen = match c.cmd {
                DRM_IOCTL_GEM_FLINK => Some((&mut self.names, after.get32(4))),
                DRM_IOCTL_GET_MAGIC => Some((&mut self.magics, after.get32(0))),
                _ => None,
            };
            if let Some((list, v)) = seen {
                if !list.contains(&v) {
                    if list.len() >= 8 {
                        list.remove(0);
                    }
                    list.push(v);
                }
            }
        }
        // A success with a writable argument whose copy-back reaches the field reports the descriptor it made (a
        // DRM command without the OUT direction has no copy-back: `drm_ioctl` copies out only what both the
        // caller's and the kernel's command say is written).
        let copied_back = matches!(target, Target::Fd(_)) || c.cmd & IOC_OUT != 0;
        let wrong_fd = match (result, c.arg, &arg_after, hands_out) {
            (Ok(()), PtrKind::Valid, Some(after), Some((_, off)))
                if copied_back && ioc_size(c.cmd) >= off + 4 =>
            {
                let written = after.get32(off) as i32;
                (made.map(|m| m.0) != Some(written)).then(|| {
                    format!(
                        "{} wrote descriptor {written}, but the new one is {made:?}",
                        errno::name(c.cmd)
                    )
                })
            }
            _ => None,
        };
        Outcome {
            result,
            arg_after,
            wrong_fd,
        }
    }
}
