// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Generates the Panthor uAPI types from the kernel's own headers with bindgen (the DRM core's `drm.h` types are
//! generated once, in `kernel::uapi`).
//!
//! The headers are Debian's `linux-libc-dev` 6.12 (bookworm-backports), which `make` puts under `build/uapi` via
//! `scripts/fetch-uapi-headers.sh`; `TYR_UAPI_INCLUDE` points elsewhere. The two structs that grew after 6.12
//! (`drm_panthor_gpu_info`, `drm_panthor_timestamp_info`) are generated under a `_v1_0` name so that `uapi.rs` can
//! define their current layout under the real name and test that it extends the old one.

use std::env;
use std::path::PathBuf;

#[derive(Debug)]
struct Rename;

impl bindgen::callbacks::ParseCallbacks for Rename {
    fn item_name(&self, item: bindgen::callbacks::ItemInfo<'_>) -> Option<String> {
        match item.name {
            "drm_panthor_gpu_info" => Some(format!("{}_v1_0", item.name)),
            _ => None,
        }
    }
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let include = env::var_os("TYR_UAPI_INCLUDE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../../build/uapi/usr/include"));
    println!("cargo:rerun-if-env-changed=TYR_UAPI_INCLUDE");
    let header = include.join("drm/panthor_drm.h");
    if !header.exists() {
        panic!(
            "{} is missing: run `make uapi-headers` (Debian's linux-libc-dev 6.12 from bookworm-backports) \
             or set TYR_UAPI_INCLUDE to a directory holding drm/drm.h and drm/panthor_drm.h",
            header.display()
        );
    }
    println!("cargo:rerun-if-changed={}", header.display());
    println!(
        "cargo:rerun-if-changed={}",
        include.join("drm/drm.h").display()
    );

    let bindings = bindgen::Builder::default()
        .header_contents(
            "uapi.h",
            "#include <drm/drm.h>\n#include <drm/panthor_drm.h>\n",
        )
        .clang_arg(format!("-I{}", include.display()))
        .allowlist_type("drm_panthor_.*")
        .allowlist_var("DRM_PANTHOR_.*")
        .default_enum_style(bindgen::EnumVariation::ModuleConsts)
        .derive_default(true)
        .derive_debug(true)
        .derive_partialeq(true)
        .derive_eq(true)
        .layout_tests(false)
        .use_core()
        .parse_callbacks(Box::new(Rename))
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen could not parse the uAPI headers");
    let out =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("uapi_bindings.rs");
    bindings
        .write_to_file(&out)
        .expect("writing the generated bindings");
}
