# tyr — entry points. `make run` and `make test` are all a new user needs (see README.md).

CARGO ?= cargo
# Debian packages the targets need, installed once and only when missing (none yet: Rust alone builds everything so far).
DEB_PACKAGES ?=
VECTORS := tests/vectors
TYR := target/release/tyr

.PHONY: all run test lint fmt clippy unit bench doc deps clean

all: run

## run: build the `tyr` tool and replay every reference vector set, one summary line per set.
run: deps
	$(CARGO) build --release --locked -p tyr-cli
	$(TYR) replay all $(VECTORS)

## test: formatting, clippy with warnings as errors, then every crate's tests (what CI runs).
test: deps lint unit

## lint: `cargo fmt --check` and `cargo clippy --all-targets -D warnings`.
lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit: deps
	$(CARGO) test --workspace --locked

## fmt: format the tree.
fmt:
	$(CARGO) fmt --all

## bench: every crate's benchmarks; each prints our figure, the peer's from the same run, and the ratio.
bench: deps
	$(CARGO) bench --workspace --locked

## doc: API docs, warnings as errors.
doc: deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

## deps: install the Debian packages in DEB_PACKAGES that are missing (guarded: a second run does nothing).
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

clean:
	$(CARGO) clean
