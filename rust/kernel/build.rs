// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Generates the DRM core uAPI (`include/uapi/drm/drm.h`) with bindgen, for the core ioctls the `drm` module serves
//! (the whole core table: VERSION, GET_CAP, the master and
//! authentication ioctls, GEM, PRIME, SYNCOBJ_*).
//!
//! The header is Debian's `linux-libc-dev` 6.12 (bookworm-backports), which `make` unpacks under `build/uapi` via
//! `scripts/fetch-uapi-headers.sh`; `TYR_UAPI_INCLUDE` points elsewhere.

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let include = env::var_os("TYR_UAPI_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../build/uapi/usr/include"));
    println!("cargo:rerun-if-env-changed=TYR_UAPI_INCLUDE");
    let header = include.join("drm/drm.h");
    if !header.exists() {
        panic!(
            "{} is missing: run `make uapi-headers` (Debian's linux-libc-dev 6.12 from bookworm-backports) \
             or set TYR_UAPI_INCLUDE to a directory holding drm/drm.h",
            header.display()
        );
    }
    println!("cargo:rerun-if-changed={}", header.display());

    let bindings = bindgen::Builder::default()
        .header_contents("drm_uapi.h", "#include <drm/drm.h>\n")
        .clang_arg(format!("-I{}", include.display()))
        .allowlist_type(
            "drm_(version|gem_close|gem_flink|gem_open|get_cap|prime_handle|syncobj_.*|set_client_cap|unique|auth|client|stats|set_version)",
        )
        .allowlist_var("DRM_(CAP|CLIENT_CAP|SYNCOBJ|COMMAND|IOCTL_BASE|CLOEXEC|RDWR|PRIME).*")
        // drm_version has a hole after version_patchlevel: name it, so every byte of the struct is a field.
        .explicit_padding(true)
        .derive_default(true)
        .derive_debug(true)
        .derive_partialeq(true)
        .derive_eq(true)
        .layout_tests(false)
        .use_core()
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen could not parse drm/drm.h");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("drm_uapi.rs");
    bindings
        .write_to_file(&out)
        .expect("writing the generated bindings");
}
