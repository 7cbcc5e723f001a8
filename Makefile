# SPDX-License-Identifier: GPL-2.0-only OR MIT
# tyr — entry points. `make run` and `make test` are all a new user needs (see README.md).

CARGO ?= cargo
# Debian packages the targets need, installed once and only when missing: libclang for bindgen (the tyr uAPI), libdrm and
# pkg-config for the C test clients in tests/igt.
DEB_PACKAGES ?= libclang-dev libdrm-dev pkg-config
# The kernel's own uAPI headers (Debian linux-libc-dev 6.12 from bookworm-backports), unpacked into the build tree.
UAPI_HEADER := build/uapi/usr/include/drm/panthor_drm.h
VECTORS := tests/vectors
TYR := $(or $(CARGO_TARGET_DIR),target)/release/tyr
SHIM := $(or $(CARGO_TARGET_DIR),target)/release/libtyr_drm_shim.so

.PHONY: all run test lint fmt clippy unit bench kpeer-sources doc deps uapi-headers igt-ports igt-suite igt shim fuzz fuzz-coverage \
	fuzz-tyr cargo-fuzz asan clean panvk panvk-deps vk-clients vk-test vk-compute vk-spirv

# Our C ports of the IGT panthor tests (tests/igt), built against libdrm and the kernel's uAPI header.
IGT_PORTS := panthor_query panthor_gem panthor_vm panthor_group
IGT_BIN := build/igt
IGT_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Itests/igt -Ibuild/uapi/usr/include

# Mesa's panvk (Vulkan for Mali CSF GPUs), built by scripts/build-panvk.sh from Debian bookworm-backports' `mesa`
# source package into build/panvk, and our headless Vulkan clients (tests/vk) that run on it through the shim. The
# Debian packages the build and the clients need (installed once, only when missing): the Mesa build's tools and
# libraries, a Python venv for meson, and the Vulkan loader the clients link against.
PANVK_DEB_PACKAGES ?= bison flex g++ pkg-config zlib1g-dev libdrm-dev python3-venv libvulkan-dev ninja-build
PANVK_ICD := build/panvk/share/vulkan/icd.d/panfrost_icd.$(shell uname -m).json
VK_TESTS := vk_device vk_external vk_compute vk_transfer vk_shader
VK_BIN := build/vk
VK_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Itests/vk -Ibuild/uapi/usr/include
# A Vulkan client's environment: the loader sees panvk's ICD only and no implicit layers (the system's Mesa layers,
# if any, stay out).
VK_ENV := VK_DRIVER_FILES=$(abspath $(PANVK_ICD)) VK_ICD_FILENAMES=$(abspath $(PANVK_ICD)) VK_LOADER_LAYERS_DISABLE='*'

all: run

## run: build everything, replay every reference vector set (one summary line per set), boot the modelled RK3588 and
## print the device as a client sees it, then run our IGT panthor ports as unmodified C programs through the drm-shim
## (one line per subtest, then `N passed, N failed, N skipped`), and end with the Vulkan device Mesa's panvk reports
## through the shim (builds panvk on first use).
run: deps shim igt-ports panvk vk-clients
	@echo "== reference vectors: the kernel's own C output, replayed byte for byte"
	$(TYR) replay all $(VECTORS)
	@echo "== the modelled RK3588, probed by Tyr (what Panthor logs, then VERSION and DEV_QUERY through a render node)"
	$(TYR) info
	@echo "== IGT panthor tests (our C ports) through LD_PRELOAD=$(SHIM)"
	$(TYR) igt --shim $(SHIM) $(addprefix $(IGT_BIN)/,$(IGT_PORTS))
	@echo "== Vulkan: Mesa's panvk through LD_PRELOAD=$(SHIM)"
	$(VK_ENV) LD_PRELOAD=$(abspath $(SHIM)) $(VK_BIN)/vk_device --info

## test: formatting, clippy with warnings as errors, every crate's tests, then the IGT ports and the Vulkan clients
## through the shim (what CI runs; builds panvk on the first run, see `panvk`).
test: deps lint unit igt-suite vk-test

## shim: the `tyr` tool and the drm-shim library, release builds.
shim: deps
	$(CARGO) build --release --locked -p tyr-cli -p tyr-drm-shim

## igt-suite: our IGT panthor ports through the shim; fails if any subtest fails.
igt-suite: shim igt-ports
	$(TYR) igt --shim $(SHIM) $(addprefix $(IGT_BIN)/,$(IGT_PORTS))

## igt: the real IGT panthor tests from an IGT build directory (IGT_BUILD=<dir>, built from IGT's own sources) through
## the shim, with a pass/fail/skip table per subtest; also IGT's driver-independent DRM core, syncobj and sw_sync tests
## (IGT_CORE_TESTS) for those the build has.
IGT_CORE_TESTS ?= core_getversion core_auth core_setmaster core_setmaster_vs_auth syncobj_basic syncobj_wait \
	syncobj_timeline syncobj_eventfd sw_sync
igt: shim
	@test -n "$(IGT_BUILD)" || { echo "usage: make igt IGT_BUILD=<igt build directory>" >&2; exit 2; }
	$(TYR) igt --shim $(SHIM) $$(find $(IGT_BUILD)/tests -maxdepth 2 -type f -name 'panthor_*' -perm -u+x | sort) \
		$$(for t in $(IGT_CORE_TESTS); do test -x $(IGT_BUILD)/tests/$$t && echo $(IGT_BUILD)/tests/$$t; done)

## lint: `cargo fmt --check` and `cargo clippy --all-targets -D warnings`.
lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit: deps
	$(CARGO) test --workspace --locked

## fuzz: the coverage-guided libFuzzer targets under fuzz/ (`Documentation/testing.md#fuzzing`), FUZZ_SECONDS each,
## with AddressSanitizer (nightly; installs cargo-fuzz when missing): one line per target with executions, execs/s,
## coverage edges, new inputs and findings. FUZZ_TARGETS narrows it.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps cargo-fuzz
	scripts/fuzz.sh -s $(FUZZ_SECONDS) $(FUZZ_TARGETS)

cargo-fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked --version 0.13.2

## fuzz-coverage: which of the project's lines the libFuzzer targets' corpora reach (FUZZ_TARGETS narrows it): a
## summary per component and the files with the most unreached lines (build/fuzz/coverage/summary.txt), llvm-cov's
## table and an HTML view of the sources with counts. Installs the nightly llvm-tools when missing.
fuzz-coverage: deps cargo-fuzz
	@rustup component list --toolchain nightly --installed | grep -q '^llvm-tools' || \
		rustup component add llvm-tools --toolchain nightly
	scripts/fuzz-coverage.sh $(FUZZ_TARGETS)

## fuzz-tyr: the long structure-aware ioctl campaign of `tyr fuzz`: FUZZ_SEEDS seeds of FUZZ_ITERATIONS steps each on
## 3 files, FUZZ_JOBS seeds at a time (one process each: a seed's board, descriptors and panic count are its own),
## checking after every call; `make test` runs a short fixed-seed budget (tools/tyr/tests/fuzz.rs). A failure prints a
## minimised script; each seed's summary line counts its steps and ioctls (full reports in build/fuzz-tyr/).
FUZZ_SEEDS ?= 1 2 3 4 5 6 7 8
FUZZ_ITERATIONS ?= 20000
FUZZ_JOBS ?= $(shell nproc)
fuzz-tyr: deps
	$(CARGO) build --release --locked -p tyr-cli
	scripts/fuzz-tyr.sh $(TYR) $(FUZZ_JOBS) $(FUZZ_ITERATIONS) $(FUZZ_SEEDS)

## asan: the kernel crate's tests (GPUVM, io-pgtable, uaccess, resv, syncobj), hw-mem's and the drm-shim's (C clients
## built with -fsanitize=address, the shim preloaded after the ASan runtime) under AddressSanitizer and LeakSanitizer.
## Needs the nightly toolchain; builds into its own target directory. Not part of `make test` (see README.md).
NIGHTLY_CARGO ?= cargo +nightly
ASAN_DIR ?= $(or $(CARGO_TARGET_DIR),target)/asan
ASAN_TRIPLE ?= x86_64-unknown-linux-gnu
asan: deps
	RUSTFLAGS=-Zsanitizer=address CARGO_TARGET_DIR=$(ASAN_DIR) $(NIGHTLY_CARGO) test --locked \
		--target $(ASAN_TRIPLE) -p kernel -p hw-mem -p tyr-drm-shim --lib --tests

## fmt: format the tree.
fmt:
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml

## bench: fetch the kernel C peer's sources (drm_gpuvm.c, io-pgtable-arm.c from Debian's linux-source-6.12, into
## build/kpeer), then every crate's benchmarks (each prints our figure, the kernel C's from the same process, and the
## ratio, cold and warm; BENCH_RUNS warm runs; VM_BIND also from a C client through the shim), then the end-to-end
## figures (`tyr e2e`, BENCH_REPS repetitions: the IGT ports through the shim, the real IGT when IGT_BUILD is given,
## `tyr fuzz` ioctls per second, panvk's vulkaninfo start-up), then `tyr bench` gathers every row into
## target/bench-report.md and target/bench-report.svg, appends this run to BENCH_HISTORY and shows each figure's trend
## across the runs there.
BENCH_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
BENCH_RUNS ?= 5
BENCH_REPS ?= 3
BENCH_FUZZ_ITERATIONS ?= 5000
BENCH_HISTORY ?= build/bench-history.jsonl
KPEER_SRC := build/kpeer/linux/drivers/gpu/drm/drm_gpuvm.c
bench: deps kpeer-sources shim igt-ports panvk
	@command -v vulkaninfo >/dev/null || $(MAKE) panvk-deps PANVK_DEB_PACKAGES=vulkan-tools
	rm -rf $(BENCH_DIR)/bench
	TYR_BENCH_OUT=$(BENCH_DIR)/bench TYR_BENCH_RUNS=$(BENCH_RUNS) TYR_SHIM=$(abspath $(SHIM)) \
		$(CARGO) bench --workspace --locked
	$(VK_ENV) $(TYR) e2e --dir $(BENCH_DIR)/bench --shim $(SHIM) --reps $(BENCH_REPS) \
		--igt-ports $(addprefix $(IGT_BIN)/,$(IGT_PORTS)) \
		$(if $(IGT_BUILD),--igt $$(find $(IGT_BUILD)/tests -maxdepth 2 -type f -name 'panthor_*' -perm -u+x | sort)) \
		--fuzz-iterations $(BENCH_FUZZ_ITERATIONS) --vulkaninfo $$(command -v vulkaninfo)
	$(TYR) bench --dir $(BENCH_DIR)/bench --out $(BENCH_DIR)/bench-report.md --history $(BENCH_HISTORY) \
		--rev "$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

## kpeer-sources: the kernel C files the benchmark peer (tools/kpeer) compiles (does nothing once they are there).
kpeer-sources: $(KPEER_SRC)

$(KPEER_SRC):
	scripts/fetch-kernel-peer.sh

## doc: API docs, warnings as errors.
doc: deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

## uapi-headers: fetch the kernel's uAPI headers for bindgen (does nothing once they are there).
uapi-headers: $(UAPI_HEADER)

$(UAPI_HEADER):
	scripts/fetch-uapi-headers.sh

## deps: install missing Debian packages (guarded: a second run does nothing) and fetch the uAPI headers.
deps: $(UAPI_HEADER)
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

## igt-ports: build the C ports of the IGT panthor tests into build/igt.
igt-ports: deps $(addprefix $(IGT_BIN)/,$(IGT_PORTS))

$(IGT_BIN)/%: tests/igt/%.c tests/igt/lib/igt_lite.c tests/igt/lib/igt_lite.h $(UAPI_HEADER)
	@mkdir -p $(IGT_BIN)
	$(CC) $(IGT_CFLAGS) $$(pkg-config --cflags libdrm) -o $@ $< tests/igt/lib/igt_lite.c $$(pkg-config --libs libdrm)

## panvk: Mesa's panvk from Debian's `mesa` source package into build/panvk (scripts/build-panvk.sh: the upstream
## tarball checked against the signed Sources index, meson from PyPI in build/mesa-venv, only the Vulkan panfrost
## driver). Prints where the ICD manifest is; a second run does nothing.
panvk: panvk-deps
	scripts/build-panvk.sh

## panvk-deps: install the Debian packages panvk's build and the Vulkan clients need, when missing.
panvk-deps:
	@missing=""; \
	for p in $(PANVK_DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

## vk-clients: build the headless Vulkan clients (tests/vk) into build/vk.
vk-clients: deps panvk-deps $(addprefix $(VK_BIN)/,$(VK_TESTS))

$(VK_BIN)/%: tests/vk/%.c tests/vk/lib/vk_lite.c tests/vk/lib/vk_lite.h $(UAPI_HEADER)
	@mkdir -p $(VK_BIN)
	$(CC) $(VK_CFLAGS) -o $@ $< tests/vk/lib/vk_lite.c -lvulkan -lm

$(VK_BIN)/vk_compute: tests/vk/shaders/times3.spv.h
$(VK_BIN)/vk_shader: $(patsubst %.comp,%.spv.h,$(filter-out tests/vk/shaders/times3.comp,$(wildcard tests/vk/shaders/*.comp)))

## vk-test: the Vulkan clients (vk_device, vk_external, and vk_compute, vk_transfer and vk_shader, whose shaders the
## model's shader core runs) on panvk through the shim; fails if any subtest fails.
vk-test: shim panvk vk-clients
	$(VK_ENV) $(TYR) igt --shim $(SHIM) $(addprefix $(VK_BIN)/,$(VK_TESTS))

## vk-compute: only vk_compute: fill, copy, update and a compute dispatch, every byte checked (tests/vk/vk_compute.c).
vk-compute: shim panvk vk-clients
	$(VK_ENV) $(TYR) igt --shim $(SHIM) $(VK_BIN)/vk_compute

## vk-spirv: regenerate tests/vk/shaders/*.spv.h from their GLSL (glslangValidator from Debian's glslang-tools);
## `scripts/gen-spirv.sh --check` only compares.
vk-spirv:
	@command -v glslangValidator >/dev/null || $(MAKE) panvk-deps PANVK_DEB_PACKAGES=glslang-tools
	scripts/gen-spirv.sh

clean:
	$(CARGO) clean
	rm -rf $(IGT_BIN) $(VK_BIN)
