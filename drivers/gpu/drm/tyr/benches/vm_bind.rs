// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! VM_BIND through the driver's path against bare GPUVM + io-pgtable (target: tyr ≤ 3× bare):
//! `cargo bench -p tyr --bench vm_bind`.
//!
//! Each iteration maps a BO and unmaps it again:
//! - **tyr**: two synchronous `VM_BIND` ioctls on a render-node file of the probed device (`File::ioctl`: the DRM
//!   core's dispatch and argument copies), ops read from user memory, every Panthor check, the BO looked up by
//!   handle, the vm_bo obtained (created by the map, freed after the unmap) under the VM resv, VA/tree/page-table
//!   pages set aside, the op applied between the MMU region-lock hooks under the op lock, deferred cleanup;
//! - **bare**: the same two changes made directly on a `GpuVmCore` whose steps write an io-pgtable (`RamPtAlloc`),
//!   with a vm_bo obtained once — the floor those two libraries give.
//!
//! - **C client through the shim** (when the drm-shim library is there: `$TYR_SHIM`, or `libtyr_drm_shim.so` beside
//!   this benchmark's profile directory, which `make bench` builds): `benches/c/vm_bind_client.c`, compiled here with
//!   `$CC`, makes the same two ioctls as an unmodified program does through `LD_PRELOAD`, in its own process.
//!
//! The target is tyr ≤ 3× bare.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use kernel::drm::gem::IntoGemObject;
use kernel::drm::gpuvm::{
    DriverGpuVm, GpuVm, GpuVmCore, OpMap, OpMapRequest, OpMapped, OpRemap, OpRemapped, OpUnmap,
    OpUnmapped, VaPrealloc, VmBoRef,
};
use kernel::io_pgtable::{prot, ArmLpaeS1, Config, NoFlush, RamPtAlloc};
use kernel::uaccess::UserPtr;
use rk3588_platform::Rk3588;
use tyr::debugfs::pgtable::{map_sg, unmap_range};
use tyr::drm_device::{probe, TyrDrmDevice, TyrDrmFile, RENDER_CLIENT};
use tyr::gem::{TyrDriver, TyrObject};
use tyr::uapi::ioctl::{
    DRM_IOCTL_PANTHOR_BO_CREATE, DRM_IOCTL_PANTHOR_VM_BIND, DRM_IOCTL_PANTHOR_VM_CREATE,
};
use tyr::uapi::op_type;
use tyr::uapi::{
    drm_panthor_bo_create, drm_panthor_obj_array, drm_panthor_vm_bind, drm_panthor_vm_bind_op,
    drm_panthor_vm_create,
};

const PROT: u32 = prot::READ | prot::WRITE | prot::CACHE;

/// The bare VM: GPUVM steps writing an io-pgtable, nothing else.
struct Bare {
    pt: ArmLpaeS1<RamPtAlloc, NoFlush>,
}

struct BareCtx<'a> {
    vas: &'a mut VaPrealloc<Bare>,
    chunks: &'a [(u64, u64)],
}

impl DriverGpuVm for Bare {
    type Driver = TyrDriver;
    type VaData = ();
    type VmBoData = ();
    type SmContext<'c> = BareCtx<'c>;

    fn sm_step_map<'op>(
        &mut self,
        op: OpMap<'op, Self>,
        ctx: &mut BareCtx<'_>,
    ) -> kernel::Result<OpMapped<'op, Self>> {
        map_sg(&mut self.pt, op.addr(), ctx.chunks.iter().copied(), PROT)?;
        let va = ctx.vas.take().ok_or(kernel::code::ENOMEM)?;
        Ok(op.insert(va, ()))
    }

    fn sm_step_unmap<'op>(
        &mut self,
        op: OpUnmap<'op, Self>,
        ctx: &mut BareCtx<'_>,
    ) -> kernel::Result<OpUnmapped<'op, Self>> {
        let r = op.va().range();
        unmap_range(&mut self.pt, r.start, r.end - r.start)?;
        let (done, removed) = op.remove();
        let _ = ctx.vas.put(removed.into_parts().1);
        Ok(done)
    }

    fn sm_step_remap<'op>(
        &mut self,
        op: OpRemap<'op, Self>,
        ctx: &mut BareCtx<'_>,
    ) -> kernel::Result<OpRemapped<'op, Self>> {
        let allocs = ctx.vas.take_pair().ok_or(kernel::code::ENOMEM)?;
        let r = op.unmap_range();
        unmap_range(&mut self.pt, r.start, r.end - r.start)?;
        let (done, ret) = op.remap(allocs, (), ());
        let _ = ctx.vas.put(ret.unmapped_va.into_parts().1);
        if let Some(unused) = ret.unused_va {
            let _ = ctx.vas.put(unused);
        }
        Ok(done)
    }
}

fn coalesce(frames: &[u64]) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = Vec::new();
    for &pa in frames {
        match v.last_mut() {
            Some((s, l)) if *s + *l == pa => *l += 0x1000,
            _ => v.push((pa, 0x1000)),
        }
    }
    v
}

/// A BO of `size` bytes made by BO_CREATE on `file`, as the driver's object.
fn bo(file: &TyrDrmFile, size: u64) -> Arc<TyrObject> {
    let mut b = drm_panthor_bo_create {
        size,
        ..Default::default()
    };
    file.ioctl(
        DRM_IOCTL_PANTHOR_BO_CREATE,
        UserPtr(&mut b as *mut _ as usize),
    )
    .unwrap();
    file.objects().lookup(b.handle).unwrap()
}

fn bare_ns(dev: &Arc<TyrDrmDevice>, size: u64, iters: u32) -> f64 {
    let file = TyrDrmFile::open(dev, RENDER_CLIENT).unwrap();
    let ram = dev.data().ram();
    let pt = ArmLpaeS1::new(ram.clone(), Config::PANTHOR_RK3588, RamPtAlloc, NoFlush).unwrap();
    // The VM's resv comes from an object of its own, as a Panthor VM's does.
    let r_obj = bo(&file, 0x1000);
    let mut core: GpuVmCore<Bare> =
        GpuVm::new("bare", &r_obj, 0..1 << 48, 0..0, Bare { pt }).unwrap();
    let bo = bo(&file, size);
    let chunks = coalesce(&bo.gem().get_pages().unwrap());
    let vm_bo: VmBoRef<Bare> = {
        let mut held = core.resv().lock();
        core.obtain(&bo, (), &mut held).unwrap()
    };
    let mut vas = VaPrealloc::new(core.vm(), 3).unwrap();
    let va = 0x4000_0000;
    let t0 = Instant::now();
    for _ in 0..iters {
        vas.top_up(3).unwrap();
        let mut ctx = BareCtx {
            vas: &mut vas,
            chunks: &chunks,
        };
        let req = OpMapRequest {
            addr: va,
            range: size,
            gem_offset: 0,
            vm_bo: Some(&vm_bo),
            flags: 0,
        };
        core.sm_map(req, &mut ctx).unwrap();
        vas.top_up(3).unwrap();
        let mut ctx = BareCtx {
            vas: &mut vas,
            chunks: &[],
        };
        core.sm_unmap(va, size, &mut ctx).unwrap();
    }
    let ns = t0.elapsed().as_nanos() as f64 / f64::from(iters);
    black_box(&core);
    ns
}

fn tyr_ns(dev: &Arc<TyrDrmDevice>, size: u64, iters: u32) -> f64 {
    let file = TyrDrmFile::open(dev, RENDER_CLIENT).unwrap();
    let call = |cmd: u32, arg: usize| file.ioctl(cmd, UserPtr(arg)).unwrap();
    let mut c = drm_panthor_vm_create::default();
    call(DRM_IOCTL_PANTHOR_VM_CREATE, &mut c as *mut _ as usize);
    let mut b = drm_panthor_bo_create {
        size,
        ..Default::default()
    };
    call(DRM_IOCTL_PANTHOR_BO_CREATE, &mut b as *mut _ as usize);
    let va = 0x4000_0000;
    let map = [drm_panthor_vm_bind_op {
        bo_handle: b.handle,
        va,
        size,
        ..Default::default()
    }];
    let unmap = [drm_panthor_vm_bind_op {
        flags: op_type::UNMAP,
        va,
        size,
        ..Default::default()
    }];
    let args = |ops: &[drm_panthor_vm_bind_op; 1]| drm_panthor_vm_bind {
        vm_id: c.id,
        flags: 0,
        ops: drm_panthor_obj_array {
            stride: 48,
            count: 1,
            array: ops.as_ptr() as u64,
        },
    };
    let (mut m, mut u) = (args(&map), args(&unmap));
    let t0 = Instant::now();
    for _ in 0..iters {
        call(DRM_IOCTL_PANTHOR_VM_BIND, &mut m as *mut _ as usize);
        call(DRM_IOCTL_PANTHOR_VM_BIND, &mut u as *mut _ as usize);
    }
    t0.elapsed().as_nanos() as f64 / f64::from(iters)
}

/// The drm-shim library: `$TYR_SHIM`, else the release build beside this benchmark (`<target>/release/deps/vm_bind-…`).
fn shim() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("TYR_SHIM") {
        return Some(p.into());
    }
    let exe = std::env::current_exe().ok()?;
    let so = exe.parent()?.parent()?.join("libtyr_drm_shim.so");
    so.is_file().then_some(so)
}

/// Compiles `benches/c/vm_bind_client.c` against the kernel's uAPI headers (`$TYR_UAPI_INCLUDE`, else the tree's
/// `build/uapi/usr/include`) next to this benchmark's binary; the client's path, or why not.
fn c_client() -> Result<std::path::PathBuf, String> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = manifest.join("benches/c/vm_bind_client.c");
    let include = std::env::var_os("TYR_UAPI_INCLUDE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../../build/uapi/usr/include"));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = exe
        .parent()
        .ok_or("benchmark binary has no directory")?
        .join("vm_bind_client");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = std::process::Command::new(&cc)
        .args(["-std=gnu11", "-O2", "-Wall", "-Werror"])
        .arg("-I")
        .arg(&include)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .map_err(|e| format!("{cc}: {e}"))?;
    if !st.success() {
        return Err(format!("{cc} failed on {}", src.display()));
    }
    Ok(out)
}

/// ns per map+unmap iteration of the C client through the shim (best of 5 runs in one process), or why not.
fn shim_ns(
    client: &std::path::Path,
    so: &std::path::Path,
    size: u64,
    iters: u32,
) -> Result<f64, String> {
    let out = std::process::Command::new(client)
        .args([format!("{size:#x}"), iters.to_string(), "5".to_string()])
        .env("LD_PRELOAD", so)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("ns_per_iter="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no ns_per_iter= line in {text:?}"))
}

fn main() {
    // `cargo bench` passes `--bench`; a plain build of the target (`cargo test --benches`) runs a short pass.
    let quick = !std::env::args().any(|a| a == "--bench");
    let soc = Rk3588::new().unwrap();
    let dev = probe(soc.gpu()).unwrap();
    record_reset();
    // The C client through the shim, when the library is there.
    let client = match shim() {
        Some(so) if so.is_file() => match c_client() {
            Ok(c) => Some((c, so)),
            Err(e) => {
                println!("(no C client row: {e})");
                None
            }
        },
        Some(so) => {
            println!("(no C client row: {} is missing)", so.display());
            None
        }
        None => {
            println!("(no C client row: build the shim, `cargo build --release -p tyr-drm-shim`, or set TYR_SHIM)");
            None
        }
    };
    println!(
        "{:<22} {:>12} {:>12} {:>8} {:>14} {:>8}",
        "VM_BIND map+unmap", "tyr ns", "bare ns", "ratio", "C+shim ns", "ratio"
    );
    for (name, size, iters) in [
        ("4 KiB BO", 0x1000u64, 20_000u32),
        ("2 MiB BO", 0x20_0000, 5_000),
    ] {
        let iters = if quick { iters / 100 } else { iters };
        let best = |f: &dyn Fn() -> f64| (0..5).map(|_| f()).fold(f64::INFINITY, f64::min);
        let ours = best(&|| tyr_ns(&dev, size, iters));
        let bare = best(&|| bare_ns(&dev, size, iters));
        record(
            name,
            "VM_BIND map+unmap",
            "iteration",
            None,
            ours,
            bare,
            "bare GPUVM + io-pgtable",
        );
        let shim = client
            .as_ref()
            .map(|(c, so)| shim_ns(c, so, size, iters))
            .transpose()
            .unwrap_or_else(|e| {
                println!("(C client failed: {e})");
                None
            });
        if let Some(c) = shim {
            record(
                &format!("{name}, C client through the shim"),
                "VM_BIND map+unmap",
                "iteration",
                None,
                c,
                bare,
                "bare GPUVM + io-pgtable",
            );
        }
        let c = shim.map_or_else(
            || format!("{:>14} {:>8}", "-", "-"),
            |c| format!("{c:>14.0} {:>7.2}x", c / bare),
        );
        println!(
            "{name:<22} {ours:>12.0} {bare:>12.0} {:>7.2}x {c}",
            ours / bare
        );
    }
    println!("ratio = tyr (or the C client) / bare, same run; the target is <= 3x");
}

/// Appends one row for `tyr bench`'s report to `$TYR_BENCH_OUT/vm_bind.jsonl` (nothing when the variable is unset):
/// `x` is the row's position on a plot's x axis (live VAs), `ours`/`peer` the figures of this run.
fn record(
    workload: &str,
    op: &str,
    unit: &str,
    x: Option<f64>,
    ours: f64,
    peer: f64,
    peer_name: &str,
) {
    use std::io::Write as _;
    let Some(dir) = std::env::var_os("TYR_BENCH_OUT") else {
        return;
    };
    let _ = std::fs::create_dir_all(&dir);
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v}")
        } else {
            "null".to_string()
        }
    };
    let line = format!(
        "{{\"bench\":\"vm_bind\",\"workload\":{workload:?},\"op\":{op:?},\"unit\":{unit:?},\"x\":{},\"ours\":{},\"peer\":{},\"peer_name\":{peer_name:?}}}\n",
        x.map_or("null".to_string(), num),
        num(ours),
        num(peer)
    );
    let path = std::path::Path::new(&dir).join("vm_bind.jsonl");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Starts this bench's rows afresh.
fn record_reset() {
    if let Some(dir) = std::env::var_os("TYR_BENCH_OUT") {
        let _ = std::fs::remove_file(std::path::Path::new(&dir).join("vm_bind.jsonl"));
    }
}
