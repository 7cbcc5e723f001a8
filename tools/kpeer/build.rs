// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Builds the C peer when the kernel sources are there (`make bench` fetches them with
//! `scripts/fetch-kernel-peer.sh` into `build/kpeer/linux`, or `TYR_KPEER_SRC` names another tree): the kernel's
//! `drm_gpuvm.c`, `io-pgtable-arm.c` and `lib/rbtree.c` with our compatibility headers (`compat/include`) and glue
//! (`csrc/`), and sets `cfg(kpeer)`. Without them nothing is compiled and the crate reports the peer as unavailable.

use std::path::{Path, PathBuf};

/// The kernel files the peer compiles or includes, relative to the source tree.
const NEEDED: &[&str] = &[
    "drivers/gpu/drm/drm_gpuvm.c",
    "drivers/iommu/io-pgtable-arm.c",
    "drivers/iommu/io-pgtable-arm.h",
    "lib/rbtree.c",
    "include/drm/drm_gpuvm.h",
    "include/linux/io-pgtable.h",
    "include/linux/rbtree.h",
    "include/linux/rbtree_types.h",
    "include/linux/rbtree_augmented.h",
    "include/linux/interval_tree_generic.h",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rustc-check-cfg=cfg(kpeer)");
    println!("cargo:rerun-if-env-changed=TYR_KPEER_SRC");
    println!("cargo:rerun-if-changed=csrc");
    println!("cargo:rerun-if-changed=compat");
    let src = std::env::var_os("TYR_KPEER_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../build/kpeer/linux"));
    // Watch the tree if it is there; else, for the default location, the nearest directory of it that exists (the
    // fetch script creates the tree in one rename), so that fetching the sources rebuilds the crate with the peer. A
    // missing TYR_KPEER_SRC is watched through the variable alone (never a parent that could be the whole disk).
    let default = std::env::var_os("TYR_KPEER_SRC").is_none();
    let watch = if src.is_dir() {
        Some(src.clone())
    } else if default {
        src.ancestors()
            .skip(1)
            .take(2)
            .find(|p| p.is_dir())
            .map(Path::to_path_buf)
    } else {
        None
    };
    if let Some(w) = watch {
        println!("cargo:rerun-if-changed={}", w.display());
    }
    if !NEEDED.iter().all(|f| src.join(f).is_file()) {
        println!("cargo:rustc-env=TYR_KPEER_SRC_USED=");
        return;
    }
    let compat = manifest.join("compat/include");
    let csrc = manifest.join("csrc");
    let base = |b: &mut cc::Build| {
        b.include(&compat)
            .include(src.join("include"))
            .include(&csrc)
            .std("gnu11")
            // Always optimised as the kernel is (-O2), whatever the Cargo profile; the kernel's own code-generation
            // choices that change semantics are kept.
            .opt_level(2)
            .flag("-fno-strict-aliasing")
            .flag("-fno-delete-null-pointer-checks")
            .flag("-fno-strict-overflow");
    };
    // The kernel's files (io-pgtable-arm.c is included by csrc/pgtable.c so the leaf walker sees its types), built as
    // they are: their warnings under our flags are not ours to fix.
    let mut kernel = cc::Build::new();
    base(&mut kernel);
    kernel
        .include(src.join("drivers/iommu"))
        .warnings(false)
        .flag("-w")
        .file(src.join("drivers/gpu/drm/drm_gpuvm.c"))
        .file(src.join("lib/rbtree.c"))
        .file(csrc.join("pgtable.c"))
        // Our GPUVM driver calls into drm_gpuvm.c; keeping it in this library makes the link order one-way
        // (kpeer_kernel needs kpeer_glue's kmalloc, never the reverse).
        .file(csrc.join("gpuvm.c"))
        .compile("kpeer_kernel");
    let mut glue = cc::Build::new();
    base(&mut glue);
    glue.flag("-Wall")
        .flag("-Wextra")
        .flag("-Wno-unused-parameter")
        .flag("-Wno-sign-compare")
        .file(csrc.join("mem.c"))
        .compile("kpeer_glue");
    println!("cargo:rustc-cfg=kpeer");
    println!("cargo:rustc-env=TYR_KPEER_SRC_USED={}", src.display());
}
