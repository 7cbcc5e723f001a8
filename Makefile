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

.PHONY: all run test lint fmt clippy unit bench kpeer-sources doc deps uapi-headers igt-ports igt-suite igt shim fuzz fuzz-tyr cargo-fuzz asan clean

# Our C ports of the IGT panthor tests (tests/igt), built against libdrm and the kernel's uAPI header.
IGT_PORTS := panthor_query panthor_gem panthor_vm panthor_group
IGT_BIN := build/igt
IGT_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Itests/igt -Ibuild/uapi/usr/include

all: run

## run: build everything, replay every reference vector set (one summary line per set), boot the modelled RK3588 and
## print the device as a client sees it, then run our IGT panthor ports as unmodified C programs through the drm-shim
## (one line per subtest, then `N passed, N failed, N skipped`).
run: deps shim igt-ports
	@echo "== reference vectors: the kernel's own C output, replayed byte for byte"
	$(TYR) replay all $(VECTORS)
	@echo "== the modelled RK3588, probed by Tyr (what Panthor logs, then VERSION and DEV_QUERY through a render node)"
	$(TYR) info
	@echo "== IGT panthor tests (our C ports) through LD_PRELOAD=$(SHIM)"
	$(TYR) igt --shim $(SHIM) $(addprefix $(IGT_BIN)/,$(IGT_PORTS))

## test: formatting, clippy with warnings as errors, every crate's tests, then the IGT ports through the shim (what CI
## runs).
test: deps lint unit igt-suite

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

## fuzz-tyr: the long structure-aware ioctl campaign of `tyr fuzz`: FUZZ_SEEDS seeds of FUZZ_ITERATIONS steps each on
## 3 files, checking after every call; `make test` runs a short fixed-seed budget (tools/tyr/tests/fuzz.rs). A failure
## prints a minimised script.
FUZZ_SEEDS ?= 1 2 3 4 5 6 7 8
FUZZ_ITERATIONS ?= 20000
fuzz-tyr: deps
	$(CARGO) build --release --locked -p tyr-cli
	for s in $(FUZZ_SEEDS); do $(TYR) fuzz --seed $$s --iterations $(FUZZ_ITERATIONS) --files 3 || exit 1; done

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
## ratio, cold and warm; BENCH_RUNS warm runs), then `tyr bench` gathers their rows into target/bench-report.md and
## target/bench-report.svg.
BENCH_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
BENCH_RUNS ?= 5
KPEER_SRC := build/kpeer/linux/drivers/gpu/drm/drm_gpuvm.c
bench: deps kpeer-sources
	$(CARGO) build --release --locked -p tyr-cli
	rm -rf $(BENCH_DIR)/bench
	TYR_BENCH_OUT=$(BENCH_DIR)/bench TYR_BENCH_RUNS=$(BENCH_RUNS) $(CARGO) bench --workspace --locked
	$(TYR) bench --dir $(BENCH_DIR)/bench --out $(BENCH_DIR)/bench-report.md

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

clean:
	$(CARGO) clean
	rm -rf $(IGT_BIN)
