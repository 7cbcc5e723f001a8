// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Unmodified-style C clients (only libc and the kernel's uAPI headers) run with `LD_PRELOAD=libtyr_drm_shim.so`:
//! what each sees of the Panthor device.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `<target>/<profile>`, from this test binary's path (`<target>/<profile>/deps/clients-…`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps")
        .to_path_buf()
}

/// Whether this run is under AddressSanitizer (`make asan` sets `RUSTFLAGS=-Zsanitizer=address`): the shim is then
/// instrumented too, and the C clients must carry the ASan runtime it calls into.
fn asan() -> bool {
    std::env::var("RUSTFLAGS").is_ok_and(|f| f.contains("sanitizer=address"))
}

/// Builds the shim (a `cdylib` is not built for integration tests) with the same cargo, target dir, target and
/// profile that built this test, and returns its path.
fn shim() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        let profile = profile_dir();
        let mut target = profile.parent().expect("<target>");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "tyr-drm-shim"]);
        // A build with `--target <triple>` (the sanitizer run) puts profiles under `<target>/<triple>/`, inside the
        // directory cargo marks with CACHEDIR.TAG.
        if target
            .parent()
            .is_some_and(|t| t.join("CACHEDIR.TAG").exists())
        {
            let triple = target
                .file_name()
                .and_then(|t| t.to_str())
                .expect("<target>/<triple>");
            cmd.args(["--target", triple]);
            target = target.parent().expect("<target>");
        }
        cmd.arg("--target-dir").arg(target);
        if profile.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build");
        assert!(st.success(), "cargo build -p tyr-drm-shim failed");
        let so = profile.join("libtyr_drm_shim.so");
        assert!(so.exists(), "{} missing after the build", so.display());
        so
    })
}

/// `LD_PRELOAD` for a client: the shim, after the C compiler's ASan runtime under [`asan`] (the runtime must come
/// first in the library list, and an instrumented shim needs it loaded).
fn preload(so: &Path) -> std::ffi::OsString {
    let mut list = std::ffi::OsString::new();
    if asan() {
        static RT: OnceLock<std::ffi::OsString> = OnceLock::new();
        list.push(RT.get_or_init(|| {
            let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
            let out = Command::new(cc)
                .arg("-print-file-name=libasan.so")
                .output()
                .expect("run cc");
            assert!(
                out.status.success(),
                "cc -print-file-name=libasan.so failed"
            );
            String::from_utf8_lossy(&out.stdout).trim().into()
        }));
        list.push(":");
    }
    list.push(so);
    list
}

fn uapi_include() -> PathBuf {
    std::env::var_os("TYR_UAPI_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/uapi/usr/include")
        })
}

/// Compiles `tests/c/<name>.c` with the system C compiler.
fn compile(name: &str) -> PathBuf {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let out_dir = profile_dir().join("drm-shim-clients");
    std::fs::create_dir_all(&out_dir).expect("client output dir");
    let exe = out_dir.join(name);
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=gnu11", "-O1", "-g", "-Wall", "-Werror", "-pthread"])
        .args(asan().then_some("-fsanitize=address"))
        .arg("-I")
        .arg(uapi_include())
        .arg("-I")
        .arg(&src_dir)
        .arg(src_dir.join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc {name}.c:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs client `name` under the shim, returning its output. The client runs in a process group of its own that is
/// killed after 30 s, and again once it has exited, so that a hung fork child can neither stall nor outlive the test;
/// output goes through files, which a leftover child cannot hold open the way it would a pipe.
fn run_with(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let so = shim();
    let exe = compile(name);
    let out_path = exe.with_extension(format!("{}.out", std::process::id()));
    let err_path = exe.with_extension(format!("{}.err", std::process::id()));
    let mut child = Command::new(&exe)
        .args(args)
        .env("LD_PRELOAD", preload(so))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .process_group(0)
        .spawn()
        .expect("spawn client");
    let pgid = child.id() as i32;
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait client") {
            break st;
        }
        if start.elapsed() > Duration::from_secs(30) {
            // SAFETY: signalling the process group this test created.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            break child
                .wait()
                .unwrap_or(std::process::ExitStatus::from_raw(9));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // SAFETY: as above; the group may already be empty.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let stdout = std::fs::read(&out_path).unwrap_or_default();
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Runs client `name` under the shim and asserts it succeeded; returns its stdout.
fn run(name: &str, args: &[&str]) -> String {
    let out = run_with(name, args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} {args:?}: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn render_node_version_is_panthor_1_9() {
    assert_eq!(run("version", &[]), "panthor 1.9.0\n");
}

#[test]
fn nodes_and_sysfs_describe_a_panthor_platform_device() {
    assert_eq!(
        run("discovery", &[]),
        "/dev/dri/renderD128 226:128\n/dev/dri/card0 226:0\n\
         /dev/dri/by-path\n/dev/dri/card0\n/dev/dri/renderD128\n\
         subsystem platform\ndevice /sys/devices/platform/fb000000.gpu\ndriver panthor\nfd /dev/dri/card0\n"
    );
}

#[test]
fn bo_mappings_share_the_bo_bytes_and_keep_it_alive() {
    let out = run("bo_mmap", &[]);
    assert!(
        out.starts_with("flush id ") && out.ends_with("\nok\n"),
        "{out}"
    );
}

/// IGT's `panthor_gem` `bo_mmap_offset` compares the offset with 0 as an `int`: a fresh device's first BO must not
/// sit at exactly 4 GiB, the start of the fake-offset space (the firmware's BOs hold the first offsets).
#[test]
fn bo_offsets_are_taken_at_create_and_the_first_is_not_4g() {
    assert_eq!(run("mmap_offset", &[]), "ok\n");
}

#[test]
fn bad_pointers_fds_and_commands_are_errnos_and_dups_share_the_file() {
    assert_eq!(run("errors", &[]), "ok\n");
}

/// The driver's user-copy fixup and a program's own SIGSEGV/SIGBUS handlers, set before or after the first ioctl:
/// bad pointers stay EFAULT, a crash reaches the program's handler, and SIG_DFL restored is death by SIGSEGV.
#[test]
fn a_programs_segv_handlers_and_the_user_copy_fixup_live_together() {
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(run("segv_handlers", &["before"]), "ok\n");
    assert_eq!(run("segv_handlers", &["after"]), "ok\n");
    let out = run_with("segv_handlers", &["dfl"], &[]);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGSEGV),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fork_child_gets_a_fresh_device_and_parent_keeps_its_own() {
    assert_eq!(run("fork", &[]), "ok\n");
}

#[test]
fn threads_issue_ioctls_concurrently() {
    assert_eq!(run("threads", &[]), "ok\n");
}

#[test]
fn trace_names_each_ioctl_and_its_result() {
    let out = run_with("errors", &[], &[("TYR_SHIM_LOG", "1")]);
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("open(\"/dev/dri/renderD128\", 0x80002) = 3"),
        "{log}"
    );
    assert!(
        log.contains("DRM_IOCTL_VERSION, 0x10) = -1 EFAULT"),
        "{log}"
    );
    assert!(log.contains("DRM_IOCTL_PANTHOR_BO_CREATE"), "{log}");
}

#[test]
fn every_core_ioctl_number_answers_as_upstream_on_card0_and_render_descriptors() {
    let out = run("core_table", &[]);
    assert!(out.ends_with("ok\n"), "{out}");
}

#[test]
fn reopening_through_proc_self_fd_gives_a_new_drm_file() {
    assert_eq!(run("reopen", &[]), "ok\n");
}

/// `chmod` on `/dev/dri/card0` (IGT's core_setmaster opens the node to others before dropping root): the owner's
/// change shows in `stat`, anyone else gets EPERM.
#[test]
fn chmod_of_a_node_changes_its_mode_for_the_owner_only() {
    let out = run("chmod", &[]);
    assert!(out == "root ok\n" || out == "non-root ok\n", "{out}");
}

#[test]
fn syncobj_fds_sync_files_eventfds_and_dma_buf_sync_files() {
    assert_eq!(run("sync_files", &[]), "sync files ok\n");
}

#[test]
fn a_gpu_jobs_out_syncobj_as_a_sync_file_becomes_readable_when_the_job_ends() {
    assert_eq!(run("sync_file_job", &[]), "job sync file ok\n");
}

/// debugfs `sync/sw_sync`: fences at chosen timeline points as sync_files, INC signalling them in order, import
/// into a DRM syncobj, ENOENT when the last descriptor of the timeline closes.
#[test]
fn sw_sync_timelines_produce_sync_files_that_signal_as_the_timeline_advances() {
    assert_eq!(run("sw_sync", &[]), "sw_sync ok\n");
}

/// The board's usable RAM as its allocator counts it: 4 GiB of address space minus the RK3588 peripheral window
/// (`0xF000_0000..0x1_0000_0000`) and the reserved frame at PA 0 (`hw_mem::RamConfig::rk3588`).
const BOARD_RAM: u64 = 0xF000_0000 - 0x1000;

#[test]
fn sysinfo_and_sysconf_report_the_boards_ram_not_the_hosts() {
    let out = run("sysinfo", &[]);
    assert_eq!(
        out,
        format!(
            "before open: totalram {BOARD_RAM} free<=total phys_pages*page {BOARD_RAM}\n\
             after open: totalram {BOARD_RAM} free<=total phys_pages*page {BOARD_RAM}\n"
        )
    );
}

#[test]
fn a_dma_buf_seeks_as_dma_buf_llseek_and_reports_its_size() {
    assert_eq!(run("dma_buf_file", &[]), "ok\n");
}

#[test]
fn the_gpus_devfreq_files_show_the_opp_table_and_take_governor_and_limit_writes() {
    let out = run("sysfs_devfreq", &[]);
    assert_eq!(
        out,
        "name fb000000.gpu\ngovernor simple_ondemand\n\
         available 300000000 400000000 500000000 600000000 700000000 800000000 900000000 1000000000\n\
         performance cur_freq 1000000000\nmax 500 MHz cur_freq 500000000\nuserspace cur_freq 400000000\n\
         still userspace\nok\n"
    );
}

#[test]
fn the_gpus_power_files_read_live_values_and_take_writes_with_the_kernels_errnos() {
    assert_eq!(
        run("sysfs_power", &[]),
        "autosuspend_delay_ms 50\nidle: suspended\ncontrol auto\nafter on: active\nusage held\ncontrol on\n\
         autosuspend_delay_ms 20\nafter auto: suspended\nruntime_enabled enabled\nok\n"
    );
}
