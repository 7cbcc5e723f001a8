// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Scripted seeds for the `ioctls` target that reach in a few steps what random choices rarely chain together: a
//! sync_file made, merged, queried and imported; a dma-buf exported and its fences exported and imported; sw_sync
//! fences left pending under syncobjs, sync_files, eventfds and timeline points, then signalled out of order; and
//! timeline syncobjs with points signalled out of order, transferred between binary and timeline syncobjs and waited
//! on. Descriptors are named by reference ([`FdRef`]), so each script runs in any process; `tyr fuzz-seed
//! --scenarios DIR` writes them as seeds, and libFuzzer mutates from there.

use kernel::dma_buf::{
    DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, DMA_BUF_IOCTL_SYNC,
    DMA_BUF_SET_NAME_B,
};
use kernel::drm::syncobj::fd::{DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD};
use kernel::sw_sync::{SW_SYNC_IOC_CREATE_FENCE, SW_SYNC_IOC_INC};
use kernel::sync_file::{SYNC_IOC_FILE_INFO, SYNC_IOC_MERGE, SYNC_IOC_SET_DEADLINE};
use tyr::uapi::ioctl::*;

use super::call::{Buf, Call, Fields, Link, Loc, PtrKind, Step};
use super::fds::FdKind;
use super::seed::{FdRef, Scripted};

/// A call on file `file` with argument `bytes` and no buffers.
fn call(file: usize, cmd: u32, bytes: Vec<u8>) -> Call {
    Call {
        file,
        cmd,
        arg: PtrKind::Valid,
        bytes,
        bufs: Vec::new(),
        links: Vec::new(),
    }
}

/// Little-endian u32 fields from offset 0.
fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A buffer of `bytes` that `c`'s argument points to at `offset`.
fn with_buf(mut c: Call, offset: usize, bytes: Vec<u8>) -> Call {
    c.bufs.push(Buf {
        ptr: PtrKind::Valid,
        bytes,
    });
    c.links.push(Link {
        at: Loc::Arg,
        offset,
        buf: c.bufs.len() - 1,
    });
    c
}

fn r(kind: FdKind, index: u8) -> FdRef {
    FdRef { kind, index }
}

fn on(c: Call) -> Scripted {
    Step::Ioctl(c).into()
}

/// An ioctl on a referenced descriptor, with referenced descriptors written at `fields`.
fn on_fd(target: FdRef, c: Call, fields: &[(usize, FdRef)]) -> Scripted {
    Scripted {
        step: Step::FdIoctl { fd: -1, call: c },
        fd: Some(target),
        fd_fields: fields.to_vec(),
    }
}

/// A DRM ioctl with referenced descriptors written at `fields`.
fn with_fds(c: Call, fields: &[(usize, FdRef)]) -> Scripted {
    Scripted {
        step: Step::Ioctl(c),
        fd: None,
        fd_fields: fields.to_vec(),
    }
}

fn syncobj_create(file: usize, signalled: bool) -> Scripted {
    on(call(
        file,
        DRM_IOCTL_SYNCOBJ_CREATE,
        u32s(&[0, u32::from(signalled)]),
    ))
}

/// SYNCOBJ_HANDLE_TO_FD / FD_TO_HANDLE: `{handle, flags, fd, pad, point}`.
fn syncobj_handle(file: usize, cmd: u32, handle: u32, flags: u32, point: u64) -> Call {
    let mut b = u32s(&[handle, flags, 0, 0]);
    b.put64(16, point);
    call(file, cmd, b)
}

/// `struct drm_syncobj_timeline_array` (SIGNAL, QUERY) or `drm_syncobj_timeline_wait` over `handles` at `points`.
fn timeline(file: usize, cmd: u32, handles: &[u32], points: &[u64], flags: u32) -> Call {
    let wait = cmd == DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT;
    let mut b = vec![0u8; if wait { 40 } else { 24 }];
    let (count, fl) = if wait { (24, 28) } else { (16, 20) };
    b.put32(count, handles.len() as u32);
    b.put32(fl, flags);
    let pts: Vec<u8> = points.iter().flat_map(|p| p.to_le_bytes()).collect();
    let c = with_buf(call(file, cmd, b), 0, u32s(handles));
    with_buf(c, 8, pts)
}

/// SYNCOBJ_TRANSFER `src@sp -> dst@dp`.
fn transfer(file: usize, src: u32, sp: u64, dst: u32, dp: u64) -> Scripted {
    let mut b = u32s(&[src, dst]);
    b.put64(8, sp);
    b.put64(16, dp);
    b.put32(24, 0);
    b.put32(28, 0);
    on(call(file, DRM_IOCTL_SYNCOBJ_TRANSFER, b))
}

/// SYNC_IOC_MERGE of the referenced sync_files `a` and `b`.
fn merge(a: u8, b: u8) -> Scripted {
    let mut bytes = b"merged\0".to_vec();
    bytes.resize(48, 0);
    on_fd(
        r(FdKind::SyncFile, a),
        call(0, SYNC_IOC_MERGE, bytes),
        &[(32, r(FdKind::SyncFile, b))],
    )
}

fn file_info(sf: u8, fences: u32) -> Scripted {
    let mut b = vec![0u8; 56];
    b.put32(40, fences);
    let c = with_buf(
        call(0, SYNC_IOC_FILE_INFO, b),
        48,
        vec![0; 80 * fences as usize],
    );
    on_fd(r(FdKind::SyncFile, sf), c, &[])
}

/// sw_sync CREATE_FENCE at `point` on timeline `t`.
fn sw_fence(t: u8, point: u32) -> Scripted {
    let mut b = vec![0u8; 40];
    b.put32(0, point);
    b[4..8].copy_from_slice(b"pt\0\0");
    on_fd(
        r(FdKind::SwSync, t),
        call(0, SW_SYNC_IOC_CREATE_FENCE, b),
        &[],
    )
}

fn sw_inc(t: u8, by: u32) -> Scripted {
    on_fd(
        r(FdKind::SwSync, t),
        call(0, SW_SYNC_IOC_INC, u32s(&[by])),
        &[],
    )
}

/// sync_files from signalled syncobjs, merged (twice: a merge of a merge), queried, given a deadline and imported
/// back into a syncobj.
fn sync_file() -> Vec<Scripted> {
    vec![
        syncobj_create(0, true),
        syncobj_create(0, true),
        on(syncobj_handle(0, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 1, 1, 0)),
        on(syncobj_handle(0, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 2, 1, 0)),
        merge(0, 1),
        merge(2, 0),
        file_info(2, 0),
        file_info(3, 4),
        on_fd(
            r(FdKind::SyncFile, 3),
            call(0, SYNC_IOC_SET_DEADLINE, vec![0; 16]),
            &[],
        ),
        syncobj_create(1, false),
        with_fds(
            syncobj_handle(1, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 1, 1, 0),
            &[(8, r(FdKind::SyncFile, 3))],
        ),
        // The whole syncobj as a file, and back in the other file.
        on(syncobj_handle(0, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 1, 0, 0)),
        with_fds(
            syncobj_handle(1, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 0, 0, 0),
            &[(8, r(FdKind::SyncobjFile, 0))],
        ),
    ]
}

/// A BO exported as a dma-buf, its fences exported and a sync_file's imported for reading and writing, CPU access
/// brackets, a name, and the dma-buf imported into the other file.
fn dma_buf() -> Vec<Scripted> {
    let mut bo = vec![0u8; 24];
    bo.put64(0, 0x4000);
    let dmabuf = |c: Call| on_fd(r(FdKind::DmaBuf, 0), c, &[]);
    vec![
        on(call(0, DRM_IOCTL_PANTHOR_BO_CREATE, bo)),
        on(call(
            0,
            DRM_IOCTL_PRIME_HANDLE_TO_FD,
            u32s(&[1, 0x8_0002, 0]),
        )),
        dmabuf(call(0, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, u32s(&[3, 0]))),
        syncobj_create(0, true),
        on(syncobj_handle(0, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 1, 1, 0)),
        on_fd(
            r(FdKind::DmaBuf, 0),
            call(0, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, u32s(&[2, 0])),
            &[(4, r(FdKind::SyncFile, 1))],
        ),
        on_fd(
            r(FdKind::DmaBuf, 0),
            call(0, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, u32s(&[1, 0])),
            &[(4, r(FdKind::SyncFile, 0))],
        ),
        dmabuf(call(0, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, u32s(&[1, 0]))),
        dmabuf(call(0, DMA_BUF_IOCTL_SYNC, vec![3, 0, 0, 0, 0, 0, 0, 0])),
        dmabuf(call(0, DMA_BUF_IOCTL_SYNC, vec![7, 0, 0, 0, 0, 0, 0, 0])),
        dmabuf(call(0, DMA_BUF_SET_NAME_B, b"scenario\0".to_vec())),
        with_fds(
            call(1, DRM_IOCTL_PRIME_FD_TO_HANDLE, u32s(&[0, 0, 0])),
            &[(8, r(FdKind::DmaBuf, 0))],
        ),
        with_fds(
            call(0, DRM_IOCTL_PRIME_FD_TO_HANDLE, u32s(&[0, 0, 0])),
            &[(8, r(FdKind::DmaBuf, 0))],
        ),
        file_info(0, 4),
    ]
}

/// sw_sync fences left pending: under a binary syncobj, a timeline point, a merge, a dma-buf and an eventfd; waits
/// that time out; then the timeline advanced past them in two steps (and one point far ahead left for the close).
fn sw_sync() -> Vec<Scripted> {
    let mut bo = vec![0u8; 24];
    bo.put64(0, 0x1000);
    vec![
        Step::SwSync.into(),
        Step::Eventfd.into(),
        sw_fence(0, 2),
        sw_fence(0, 1),
        sw_fence(0, 40),
        merge(0, 1),
        file_info(3, 4),
        syncobj_create(0, false),
        syncobj_create(0, false),
        with_fds(
            syncobj_handle(0, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 1, 1, 0),
            &[(8, r(FdKind::SyncFile, 0))],
        ),
        // Into timeline point 5 of syncobj 2 (FD_TO_HANDLE's IMPORT_SYNC_FILE with a point).
        with_fds(
            syncobj_handle(0, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 2, 3, 5),
            &[(8, r(FdKind::SyncFile, 1))],
        ),
        with_fds(
            {
                let mut b = u32s(&[2, 0]);
                b.put64(8, 5);
                b.put32(16, 0);
                call(0, DRM_IOCTL_SYNCOBJ_EVENTFD, b)
            },
            &[(16, r(FdKind::Eventfd, 0))],
        ),
        on(call(0, DRM_IOCTL_PANTHOR_BO_CREATE, bo)),
        on(call(
            0,
            DRM_IOCTL_PRIME_HANDLE_TO_FD,
            u32s(&[1, 0x8_0002, 0]),
        )),
        on_fd(
            r(FdKind::DmaBuf, 0),
            call(0, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, u32s(&[2, 0])),
            &[(4, r(FdKind::SyncFile, 2))],
        ),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &[2], &[5], 0)),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_QUERY, &[2, 1], &[0, 0], 0)),
        sw_inc(0, 1),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_QUERY, &[2], &[0], 1)),
        sw_inc(0, 1),
        on(timeline(
            0,
            DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
            &[2, 1],
            &[5, 0],
            1,
        )),
        file_info(3, 4),
    ]
}

/// Timeline syncobjs: points signalled out of order (5, then 2, then 9), a pending sw_sync point among them, waits
/// for a point not yet submitted (WAIT_AVAILABLE) and for all, queries of the last signalled and last submitted
/// point, and TRANSFERs timeline to binary, binary to timeline, and timeline to timeline backwards.
fn timeline_chain() -> Vec<Scripted> {
    vec![
        syncobj_create(0, false),
        syncobj_create(0, true),
        syncobj_create(0, false),
        on(timeline(
            0,
            DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
            &[1],
            &[5],
            0,
        )),
        on(timeline(
            0,
            DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
            &[1],
            &[2],
            0,
        )),
        Step::SwSync.into(),
        sw_fence(0, 3),
        with_fds(
            syncobj_handle(0, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, 1, 3, 7),
            &[(8, r(FdKind::SyncFile, 0))],
        ),
        on(timeline(
            0,
            DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
            &[1, 3],
            &[9, 1],
            0,
        )),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_QUERY, &[1, 3], &[0, 0], 0)),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_QUERY, &[1], &[0], 1)),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &[1], &[12], 4)),
        on(timeline(
            0,
            DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
            &[1, 3],
            &[5, 1],
            1,
        )),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &[1], &[7], 0)),
        transfer(0, 1, 5, 2, 0),
        transfer(0, 2, 0, 1, 11),
        transfer(0, 1, 7, 3, 4),
        transfer(0, 3, 4, 1, 3),
        on(syncobj_handle(0, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, 1, 3, 9)),
        sw_inc(0, 3),
        on(timeline(
            0,
            DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
            &[1, 3],
            &[11, 4],
            1,
        )),
        on(timeline(0, DRM_IOCTL_SYNCOBJ_QUERY, &[1, 3], &[0, 0], 0)),
        on(with_buf(
            call(0, DRM_IOCTL_SYNCOBJ_RESET, u32s(&[0, 0, 3, 0])),
            0,
            u32s(&[1, 2, 3]),
        )),
    ]
}

/// Writes every scenario as a seed `scenario-<name>` under `dir`; returns the files written.
pub fn write_all(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    all()
        .into_iter()
        .map(|(name, script)| {
            let path = dir.join(format!("scenario-{name}"));
            std::fs::write(&path, super::seed::encode_script(&script, &[]).0)?;
            Ok(path)
        })
        .collect()
}

/// The scenarios, by name.
pub fn all() -> Vec<(&'static str, Vec<Scripted>)> {
    vec![
        ("sync_file", sync_file()),
        ("dma_buf", dma_buf()),
        ("sw_sync", sw_sync()),
        ("timeline_chain", timeline_chain()),
    ]
}
