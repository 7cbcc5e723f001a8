//! The whole ioctl path on the modelled RK3588: probe, open render-node files, and call `File::ioctl` with the real
//! command numbers and real user pointers, as the drm-shim will. Covers the DRM core ioctls (VERSION, GET_CAP,
//! GEM_CLOSE, PRIME), DEV_QUERY, the BO ioctls and the mmap lookup, each with the errnos `panthor-uapi.md` lists.

use std::os::fd::RawFd;
use std::sync::Arc;

use kernel::code::{E2BIG, EACCES, EBADF, EFAULT, EINVAL, ENODEV, ENOENT, ENOTTY, EOPNOTSUPP, EPERM};
use kernel::transmute::{AsBytes, FromBytes};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, PRIMARY_CLIENT, RENDER_CLIENT};
use tyr::file::bo_flags;
use tyr::uapi::ioctl::*;
use tyr::uapi::*;

mod common;
use common::ioctl;

const K: u64 = 0x1000;

struct Setup {
    dev: Arc<TyrDrmDevice>,
    /// Dropped last: the device's teardown still talks to the board.
    _soc: Rk3588,
}

fn setup() -> Setup {
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    Setup { _soc: soc, dev }
}

impl Setup {
    fn open(&self) -> Arc<TyrDrmFile> {
        TyrDrmFile::open(&self.dev, RENDER_CLIENT).unwrap()
    }
}

fn bo_create(f: &TyrDrmFile, size: u64, flags: u32) -> u32 {
    let mut a = drm_panthor_bo_create { size, flags, ..Default::default() };
    ioctl(f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut a).unwrap();
    a.handle
}

fn close(fd: RawFd) {
    // SAFETY: closing a descriptor this test received from PRIME_HANDLE_TO_FD.
    assert_eq!(unsafe { libc::close(fd) }, 0);
}

#[test]
fn version_reports_panthor_1_9_with_drm_copy_field_rules() {
    let s = setup();
    let f = s.open();
    let mut name = [0xAAu8; 16];
    let mut desc = [0xAAu8; 4];
    let mut v = drm_version {
        name_len: name.len() as _,
        name: name.as_mut_ptr().cast(),
        desc_len: desc.len() as _,
        desc: desc.as_mut_ptr().cast(),
        ..Default::default()
    };
    ioctl(&f, DRM_IOCTL_VERSION, &mut v).unwrap();
    assert_eq!((v.version_major, v.version_minor, v.version_patchlevel), (1, 9, 0));
    assert_eq!(v.name_len, 7);
    assert_eq!(&name[..8], b"panthor\xAA", "no NUL written");
    assert_eq!(v.desc_len as usize, "Panthor DRM driver".len(), "the full length, whatever the buffer");
    assert_eq!(&desc, b"Pant", "truncated to the caller's buffer");
    assert_eq!(v.date_len, 1, "date is \"0\"; a null pointer only gets the length");

    let mut bad = drm_version { name_len: 7, name: 0x10 as *mut _, ..Default::default() };
    assert_eq!(ioctl(&f, DRM_IOCTL_VERSION, &mut bad), Err(EFAULT));
}

#[test]
fn get_cap_answers_what_a_render_driver_has() {
    let s = setup();
    let f = s.open();
    let cap = |c: u32| {
        let mut a = drm_get_cap { capability: c.into(), value: 77 };
        ioctl(&f, DRM_IOCTL_GET_CAP, &mut a).map(|()| a.value)
    };
    assert_eq!(cap(DRM_CAP_TIMESTAMP_MONOTONIC), Ok(1));
    assert_eq!(cap(DRM_CAP_PRIME), Ok(3));
    assert_eq!(cap(DRM_CAP_SYNCOBJ), Ok(1));
    assert_eq!(cap(DRM_CAP_SYNCOBJ_TIMELINE), Ok(1));
    assert_eq!(cap(DRM_CAP_DUMB_BUFFER), Err(EOPNOTSUPP));
}

#[test]
fn unknown_commands_follow_the_core_rules() {
    let s = setup();
    let f = s.open();
    let mut buf = [0u64; 4];
    let p = UserPtr(buf.as_mut_ptr() as usize);
    assert_eq!(f.ioctl(iowr(0x40 + 17, 16), p), Err(EINVAL), "past Panthor's table");
    assert_eq!(f.ioctl(iowr(0x03, 16), p), Err(EINVAL), "a core number without a handler");
    assert_eq!(f.ioctl((3 << 30) | (16 << 16) | (u32::from(b'x') << 8), p), Err(ENOTTY));
}

#[test]
fn gem_close_drops_the_handle_and_unknown_handles_are_einval() {
    let s = setup();
    let f = s.open();
    let h = bo_create(&f, K, 0);
    let mut c = drm_gem_close { handle: h, pad: 0xdead };
    ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut c).unwrap();
    assert_eq!(ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut c), Err(EINVAL));
    assert_eq!(bo_create(&f, K, 0), h, "the lowest free handle is reused");
}

#[test]
fn bo_mmap_offsets_are_stable_per_object_and_checked_at_mmap() {
    let s = setup();
    let f = s.open();
    let g = s.open();
    let a = bo_create(&f, 3 * K, 0);
    let b = bo_create(&f, K, 0);
    let off = |f: &TyrDrmFile, h: u32| {
        let mut m = drm_panthor_bo_mmap_offset { handle: h, ..Default::default() };
        ioctl(f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).map(|()| m.offset)
    };
    let oa = off(&f, a).unwrap();
    assert!(oa > 0x1_0000_0000, "fake offsets start at 4 GiB, where the firmware's BOs sit");
    assert_eq!(off(&f, a), Ok(oa));
    let ob = off(&f, b).unwrap();
    assert_ne!(oa, ob);

    let mut m = drm_panthor_bo_mmap_offset { handle: 99, ..Default::default() };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m), Err(ENOENT));
    assert_eq!(m.offset, 0, "untouched on failure (IGT bo_mmap_offset_invalid_handle)");
    let mut m = drm_panthor_bo_mmap_offset { handle: a, pad: 1, ..Default::default() };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m), Err(EINVAL));
    let nommap = bo_create(&f, K, bo_flags::NO_MMAP);
    assert_eq!(off(&f, nommap), Err(EPERM));

    let bo = f.mmap_object(oa, 3 * K).unwrap();
    assert!(Arc::ptr_eq(&bo, &f.objects().lookup(a).unwrap()));
    assert_eq!(f.mmap_object(oa, 4 * K).err(), Some(EINVAL), "longer than the object");
    assert_eq!(f.mmap_object(oa + K, K).err(), Some(EINVAL), "not the start of a node");
    assert_eq!(g.mmap_object(oa, K).err(), Some(EACCES), "another file without a handle");
}

/// Found by IGT's own `panthor_gem` `bo_mmap_offset`, which checks `igt_assert_neq(offset, 0)` through an `int` and so
/// sees only the low 32 bits: Tyr handed out offsets on first BO_MMAP_OFFSET, so a fresh device gave its first client
/// BO exactly 4 GiB (low half 0). Panthor's BOs are shmem objects and `drm_gem_shmem_create` takes each one's fake
/// offset when it creates it, the firmware sections' at probe included, so the first client BO lands above those.
#[test]
fn bo_offsets_are_taken_at_create_in_a_space_the_firmware_already_uses() {
    let s = setup();
    let f = s.open();
    let off = |h: u32| {
        let mut m = drm_panthor_bo_mmap_offset { handle: h, ..Default::default() };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).map(|()| m.offset).unwrap()
    };
    let a = bo_create(&f, 3 * K, 0);
    let nommap = bo_create(&f, K, bo_flags::NO_MMAP);
    let b = bo_create(&f, K, 0);
    // Asked in the reverse order: the offsets still follow creation, NO_MMAP objects taking theirs too.
    let ob = off(b);
    let oa = off(a);
    assert!(oa > 0x1_0000_0000, "the firmware's sections hold the first offsets");
    assert_ne!(oa as u32, 0, "the low half IGT's int comparison sees");
    assert_eq!(ob, oa + 4 * K);
    // A closed object gives its offset back; the next one of the same size takes the hole.
    let mut c = drm_gem_close { handle: nommap, pad: 0 };
    ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut c).unwrap();
    let d = bo_create(&f, K, 0);
    assert_eq!(off(d), oa + 3 * K);
}

#[test]
fn prime_shares_objects_between_files_through_real_fds() {
    let s = setup();
    let f = s.open();
    let g = s.open();
    let h = bo_create(&f, 2 * K, 0);
    let mut p = drm_prime_handle { handle: h, flags: DRM_CLOEXEC | DRM_RDWR, fd: -1 };
    ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p).unwrap();
    let fd = p.fd;
    assert!(fd >= 0);
    // SAFETY: F_GETFD on a descriptor this test owns.
    assert_eq!(unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC, libc::FD_CLOEXEC);

    let mut q = drm_prime_handle { fd, ..Default::default() };
    ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut q).unwrap();
    assert!(Arc::ptr_eq(&g.objects().lookup(q.handle).unwrap(), &f.objects().lookup(h).unwrap()));
    let mut again = drm_prime_handle { fd, ..Default::default() };
    ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut again).unwrap();
    assert_eq!(again.handle, q.handle, "one handle per object per file");
    let mut own = drm_prime_handle { fd, ..Default::default() };
    ioctl(&f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut own).unwrap();
    assert_eq!(own.handle, h, "the exporter gets its original handle back");

    // The dma-buf keeps the object alive after the exporter closes its handle.
    ioctl(&f, DRM_IOCTL_GEM_CLOSE, &mut drm_gem_close { handle: h, pad: 0 }).unwrap();
    let mut late = drm_prime_handle { fd, ..Default::default() };
    ioctl(&f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut late).unwrap();
    assert_eq!(s.dev.dma_buf_count(), 1);
    close(fd);
    assert_eq!(s.dev.dma_buf_count(), 0, "the last descriptor closed: the dma-buf is gone");

    let mut p = drm_prime_handle { handle: h, flags: 1, fd: -1 };
    assert_eq!(ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p), Err(EINVAL), "unknown flag");
    let mut p = drm_prime_handle { handle: 77, flags: 0, fd: -1 };
    assert_eq!(ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p), Err(ENOENT));
    let mut q = drm_prime_handle { fd: 1 << 20, ..Default::default() };
    assert_eq!(ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut q), Err(EBADF));
    let file = std::fs::File::open("/proc/self/status").unwrap();
    let mut q = drm_prime_handle { fd: std::os::fd::AsRawFd::as_raw_fd(&file), ..Default::default() };
    assert_eq!(ioctl(&g, DRM_IOCTL_PRIME_FD_TO_HANDLE, &mut q), Err(EINVAL), "not a dma-buf");
}

#[test]
fn a_bo_private_to_a_vm_cannot_be_exported() {
    let s = setup();
    let f = s.open();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let mut b = drm_panthor_bo_create { size: K, exclusive_vm_id: vm.id, ..Default::default() };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_CREATE, &mut b).unwrap();
    let mut p = drm_prime_handle { handle: b.handle, flags: 0, fd: -1 };
    assert_eq!(ioctl(&f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut p), Err(EINVAL));
    assert_eq!(p.fd, -1);
    assert_eq!(s.dev.dma_buf_count(), 0);
}

fn query<T: AsBytes + FromBytes + Default>(f: &TyrDrmFile, kind: u32) -> (kernel::Result, T) {
    let mut out = T::default();
    let mut q = drm_panthor_dev_query { type_: kind, size: size_of::<T>() as u32, pointer: &mut out as *mut T as u64 };
    let r = ioctl(f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q);
    (r, out)
}

#[test]
fn dev_query_sizes_and_payloads() {
    let s = setup();
    let f = s.open();
    for (kind, size) in [(0, 112), (1, 24), (2, 56), (3, 4), (4, 8)] {
        let mut q = drm_panthor_dev_query { type_: kind, size: 3, pointer: 0 };
        ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q).unwrap();
        assert_eq!(q.size, size, "type {kind}");
    }
    let mut q = drm_panthor_dev_query { type_: 5, size: 0, pointer: 0 };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), Err(EINVAL));

    let (r, gpu) = query::<drm_panthor_gpu_info>(&f, 0);
    r.unwrap();
    assert_eq!(gpu.gpu_id, 0xa867_0005);
    assert_eq!((gpu.as_present, gpu.shader_present, gpu.mmu_features), (0xff, 0x50005, 0x2830));
    let (r, mmu) = query::<drm_panthor_mmu_info>(&f, 4);
    r.unwrap();
    assert_eq!(mmu.page_size_bitmap, 0x20_1000);
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&f, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0x3, "an unprivileged client gets LOW and MEDIUM");
    // The first primary-node file of the device is its master.
    let master = TyrDrmFile::open(&s.dev, PRIMARY_CLIENT).unwrap();
    let (r, prio) = query::<drm_panthor_group_priorities_info>(&master, 3);
    r.unwrap();
    assert_eq!(prio.allowed_mask, 0xf);
}

#[test]
fn timestamp_info_samples_what_its_flags_ask_for() {
    let s = setup();
    let f = s.open();
    let ts_query = |input: drm_panthor_timestamp_info, size: u32| {
        let mut out = input;
        let mut q = drm_panthor_dev_query { type_: 2, size, pointer: &mut out as *mut _ as u64 };
        (ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), out)
    };
    let (r, a) = ts_query(Default::default(), 56);
    r.unwrap();
    assert_eq!(a.timestamp_frequency, 24_000_000, "the RK3588 arch timer");
    assert_eq!((a.cycle_count, a.cpu_timestamp_sec, a.duration_nsec), (0, 0, 0), "not asked for");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let all = timestamp_flags::GPU
        | timestamp_flags::CPU_MONOTONIC
        | timestamp_flags::GPU_OFFSET
        | timestamp_flags::FREQ
        | timestamp_flags::DURATION;
    let (r, b) = ts_query(drm_panthor_timestamp_info { flags: all, ..Default::default() }, 56);
    r.unwrap();
    assert!(b.current_timestamp > a.current_timestamp, "the GPU timestamp runs");
    assert!(b.cpu_timestamp_sec > 0 || b.cpu_timestamp_nsec > 0);
    assert_eq!(b.flags, all, "flags go back as given");

    for bad in [0x100, timestamp_flags::GPU | 0x6, timestamp_flags::GPU | 0x8] {
        let (r, _) = ts_query(drm_panthor_timestamp_info { flags: bad, ..Default::default() }, 56);
        assert_eq!(r, Err(EINVAL), "flags {bad:#x}");
    }
    let mut big = [0u64; 8];
    big[7] = 1;
    let mut q = drm_panthor_dev_query { type_: 2, size: 64, pointer: big.as_mut_ptr() as u64 };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_DEV_QUERY, &mut q), Err(E2BIG), "non-zero bytes past the struct");
    let (r, _) = ts_query(Default::default(), 8);
    assert_eq!(r, Err(EINVAL), "below the mandatory 16 bytes");
    let (r, old) = ts_query(Default::default(), 24);
    r.unwrap();
    assert_ne!(old.current_timestamp, 0, "a 1.1 client's 24-byte struct still gets the three values");
}

#[test]
fn bo_label_query_sync_and_user_mmio_offset() {
    let s = setup();
    let f = s.open();
    let h = bo_create(&f, K, bo_flags::WB_MMAP);
    let label = b"vertex buffer\0";
    let mut l = drm_panthor_bo_set_label { handle: h, pad: 0, label: label.as_ptr() as u64 };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l).unwrap();
    assert_eq!(f.objects().lookup(h).unwrap().label().as_deref(), Some("vertex buffer"));
    let long = vec![b'x'; 4096];
    l.label = long.as_ptr() as u64;
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l), Err(E2BIG));
    l.label = 0x10;
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l), Err(EFAULT));
    assert_eq!(f.objects().lookup(h).unwrap().label().as_deref(), Some("vertex buffer"), "failures change nothing");
    l.label = 0;
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l).unwrap();
    assert_eq!(f.objects().lookup(h).unwrap().label(), None, "a null label clears it");
    l.pad = 1;
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l), Err(EINVAL));
    let mut l = drm_panthor_bo_set_label { handle: 42, pad: 0, label: 0 };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_SET_LABEL, &mut l), Err(ENOENT));

    let mut qi = drm_panthor_bo_query_info { handle: h, pad: 9, ..Default::default() };
    ioctl(&f, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &mut qi).unwrap();
    assert_eq!((qi.extra_flags, qi.create_flags, qi.pad), (0, bo_flags::WB_MMAP, 0));
    qi.handle = 42;
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &mut qi), Err(ENOENT));

    let sync = |ops: &[drm_panthor_bo_sync_op]| {
        let mut a = drm_panthor_bo_sync {
            ops: drm_panthor_obj_array { stride: 24, count: ops.len() as u32, array: ops.as_ptr() as u64 },
        };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_SYNC, &mut a)
    };
    assert_eq!(sync(&[]), Ok(()));
    assert_eq!(sync(&[drm_panthor_bo_sync_op { handle: h, type_: 1, offset: 0, size: K }]), Ok(()));
    assert_eq!(sync(&[drm_panthor_bo_sync_op { handle: h, type_: 2, offset: 0, size: K }]), Err(EINVAL));
    assert_eq!(sync(&[drm_panthor_bo_sync_op { handle: 42, type_: 0, offset: 0, size: K }]), Err(ENOENT));

    let mut m = drm_panthor_set_user_mmio_offset { offset: 1 << 43 };
    ioctl(&f, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mut m).unwrap();
    assert_eq!(f.data().user_mmio_offset(), 1 << 43);
    m.offset = 1 << 44;
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mut m), Err(EINVAL));
    assert_eq!(f.data().user_mmio_offset(), 1 << 43);
}

#[test]
fn sync_vm_bind_through_the_ioctl_writes_the_failing_index_back() {
    let s = setup();
    let f = s.open();
    let mut vm = drm_panthor_vm_create::default();
    ioctl(&f, DRM_IOCTL_PANTHOR_VM_CREATE, &mut vm).unwrap();
    let h = bo_create(&f, 4 * K, 0);
    let op = |va| drm_panthor_vm_bind_op { bo_handle: h, va, size: K, ..Default::default() };
    let ops = [op(0x1000), op(0x2800)];
    let mut b = drm_panthor_vm_bind {
        vm_id: vm.id,
        flags: 0,
        ops: drm_panthor_obj_array { stride: 48, count: 2, array: ops.as_ptr() as u64 },
    };
    assert_eq!(ioctl(&f, DRM_IOCTL_PANTHOR_VM_BIND, &mut b), Err(EINVAL));
    assert_eq!(b.ops.count, 1, "the copy-back carries the failing op's index");
    assert_eq!(f.data().vms().get(vm.id).unwrap().vas().len(), 1);
}

#[test]
fn an_unplugged_device_refuses_ioctls_and_opens() {
    let s = setup();
    let f = s.open();
    s.dev.unplug();
    let mut c = drm_get_cap { capability: DRM_CAP_PRIME.into(), value: 0 };
    assert_eq!(ioctl(&f, DRM_IOCTL_GET_CAP, &mut c), Err(ENODEV));
    assert_eq!(TyrDrmFile::open(&s.dev, RENDER_CLIENT).err(), Some(ENODEV));
}

#[test]
fn mmap_grants_bo_runs_and_the_flush_id_page_by_panthors_rules() {
    use tyr::mmap::{mmap, CacheMode, CpuMapping, MmapRequest};
    let s = setup();
    let f = s.open();
    let h = bo_create(&f, 2 * K, bo_flags::WB_MMAP);
    let wc = bo_create(&f, K, 0);
    let off = |h: u32| {
        let mut m = drm_panthor_bo_mmap_offset { handle: h, ..Default::default() };
        ioctl(&f, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mut m).unwrap();
        m.offset
    };
    let req = |offset, len| MmapRequest { offset, len, write: true, exec: false, shared: true };
    let Ok(CpuMapping::Bo { obj, runs, cache }) = mmap(&f, req(off(h), 2 * K)) else { panic!("BO mapping refused") };
    assert_eq!(cache, CacheMode::WriteBack);
    assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), 2 * K);
    // The runs are the BO's own pages: what the CPU writes there, the BO holds.
    let ram = s.dev.data().ram();
    ram.write(runs[0].0, b"cpu").unwrap();
    let first = obj.sg_range(0, K).unwrap()[0].0;
    let mut b = [0u8; 3];
    ram.read(first, &mut b).unwrap();
    assert_eq!(&b, b"cpu");
    let Ok(CpuMapping::Bo { cache, .. }) = mmap(&f, req(off(wc), 100)) else { panic!("short length") };
    assert_eq!(cache, CacheMode::WriteCombine, "no WB_MMAP: write-combined on a non-coherent GPU");
    assert_eq!(mmap(&f, MmapRequest { shared: false, ..req(off(h), K) }).err(), Some(EINVAL), "MAP_PRIVATE");
    assert_eq!(mmap(&f, req(off(h), 3 * K)).err(), Some(EINVAL), "longer than the BO");

    let ro = |offset, len| MmapRequest { offset, len, write: false, exec: false, shared: true };
    let Ok(CpuMapping::FlushId { phys }) = mmap(&f, ro(1 << 56, K)) else { panic!("flush id page refused") };
    assert_eq!(phys, 0xfb01_0000);
    assert_eq!(mmap(&f, req(1 << 56, K)).err(), Some(EINVAL), "writable");
    assert_eq!(mmap(&f, MmapRequest { exec: true, ..ro(1 << 56, K) }).err(), Some(EINVAL), "executable");
    assert_eq!(mmap(&f, ro(1 << 56, 2 * K)).err(), Some(EINVAL), "two pages");
    assert_eq!(mmap(&f, ro((1 << 56) + K, K)).err(), Some(EINVAL), "past the only page");
    assert_eq!(mmap(&f, MmapRequest { shared: false, ..ro(1 << 56, K) }).err(), Some(EINVAL), "private");
    let mut m = drm_panthor_set_user_mmio_offset { offset: 1 << 43 };
    ioctl(&f, DRM_IOCTL_PANTHOR_SET_USER_MMIO_OFFSET, &mut m).unwrap();
    assert!(matches!(mmap(&f, ro(1 << 43, K)), Ok(CpuMapping::FlushId { .. })));
}
