//! Unmodified-style C clients (only libc and the kernel's uAPI headers) run with `LD_PRELOAD=libtyr_drm_shim.so`:
//! what each sees of the Panthor device.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `<target>/<profile>`, from this test binary's path (`<target>/<profile>/deps/clients-…`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(Path::parent).expect("<target>/<profile>/deps").to_path_buf()
}

/// Builds the shim (a `cdylib` is not built for integration tests) with the same cargo, target dir and profile
/// that built this test, and returns its path.
fn shim() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        let profile = profile_dir();
        let target = profile.parent().expect("<target>");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "tyr-drm-shim", "--target-dir"]).arg(target);
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

fn uapi_include() -> PathBuf {
    std::env::var_os("TYR_UAPI_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/uapi/usr/include"))
}

/// Compiles `tests/c/<name>.c` with the system C compiler.
fn compile(name: &str) -> PathBuf {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let out_dir = profile_dir().join("drm-shim-clients");
    std::fs::create_dir_all(&out_dir).expect("client output dir");
    let exe = out_dir.join(name);
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=gnu11", "-O1", "-g", "-Wall", "-Werror", "-pthread", "-I"])
        .arg(uapi_include())
        .arg("-I")
        .arg(&src_dir)
        .arg(src_dir.join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(out.status.success(), "cc {name}.c:\n{}", String::from_utf8_lossy(&out.stderr));
    exe
}

/// Runs client `name` under the shim (killed after 30 s), returning its output.
fn run_with(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let so = shim();
    let exe = compile(name);
    let mut child = Command::new(&exe)
        .args(args)
        .env("LD_PRELOAD", so)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn client");
    let start = Instant::now();
    while child.try_wait().expect("wait client").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("client output")
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
