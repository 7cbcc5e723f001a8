#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# What the libFuzzer targets reach: every target's corpus (the committed seeds plus the inputs `make fuzz` grew under
# build/fuzz/corpus) replayed by a coverage-instrumented build (`cargo fuzz coverage`), the profiles merged, and one
# report over all targets of the project's own sources:
#
#   build/fuzz/coverage/summary.txt   lines covered per component, then the files with the most lines never reached
#   build/fuzz/coverage/report.txt    llvm-cov's per-file table (regions, functions, lines)
#   build/fuzz/coverage/html/         the sources with every line's count (llvm-cov show)
#
#   scripts/fuzz-coverage.sh [TARGET...]     (default: every target)
#
# Needs the nightly toolchain's llvm-tools (the Makefile's fuzz-coverage target installs them with rustup).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_nightly=(cargo +nightly)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	mapfile -t targets < <(cd fuzz && "${cargo_nightly[@]}" fuzz list)
fi
sysroot=$(rustc +nightly --print sysroot)
bin="$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin"
out=build/fuzz/coverage
rm -rf "$out"
mkdir -p "$out"

objects=()
profiles=()
for t in "${targets[@]}"; do
	corpora=("corpus/$t")
	[ -d "build/fuzz/corpus/$t" ] && corpora+=("../build/fuzz/corpus/$t")
	# One replay batch at a time (cargo-fuzz runs them on a rayon pool): every target boots a device per process and
	# bounds its jobs and teardown in real time, which parallel batches on a small shared machine can starve.
	if ! (cd fuzz && RAYON_NUM_THREADS=1 "${cargo_nightly[@]}" fuzz coverage --codegen-units "${FUZZ_CODEGEN_UNITS:-16}" "$t" \
		"${corpora[@]}") >"$out/$t.log" 2>&1; then
		tail -20 "$out/$t.log" >&2
		exit 1
	fi
	objects+=(-object "fuzz/target/x86_64-unknown-linux-gnu/coverage/x86_64-unknown-linux-gnu/release/$t")
	profiles+=("fuzz/coverage/$t/coverage.profdata")
	echo "$t: $(find "${corpora[@]/#/fuzz/}" -type f 2>/dev/null | wc -l) inputs replayed"
done

"$bin/llvm-profdata" merge -sparse "${profiles[@]}" -o "$out/all.profdata"
# The code under test only: not the standard library, crates.io, the fuzz harness, the tests or the `tyr` tool
# (whose generator the ioctls target borrows).
ignore="/\\.cargo/|/rustc/|/\\.rustup/|^$PWD/fuzz/|^$PWD/tools/tyr/|/tests?/|/tests\\.rs\$|/benches/"
"$bin/llvm-cov" report "${objects[@]}" -instr-profile "$out/all.profdata" -ignore-filename-regex="$ignore" \
	>"$out/report.txt"
"$bin/llvm-cov" show "${objects[@]}" -instr-profile "$out/all.profdata" -ignore-filename-regex="$ignore" \
	-format=html -output-dir "$out/html" >/dev/null

# report.txt columns: file, regions, missed, cover, functions, missed, executed, lines, missed lines, cover, ...
awk '
	$1 ~ /\.rs$/ {
		n = split($1, p, "/")
		comp = p[1]
		for (i = 2; i < n && i <= 4; i++) comp = comp "/" p[i]
		if ($1 ~ /^rust\/kernel\/src\//) { split($1, q, "/"); comp = "rust/kernel/src/" q[4] }
		if ($1 ~ /^drivers\/gpu\/drm\/tyr\/src\//) { split($1, q, "/"); comp = "drivers/gpu/drm/tyr/src/" q[6] }
		if ($1 ~ /^hw\/mali\/src\//) { split($1, q, "/"); comp = "hw/mali/src/" q[4] }
		sub(/\.rs$/, "", comp)
		lines[comp] += $8; missed[comp] += $9; tl += $8; tm += $9
		files[$1] = $9 " " $8
	}
	END {
		printf "%-44s %8s %8s %7s\n", "component", "lines", "missed", "cover"
		for (c in lines)
			printf "%-44s %8d %8d %6.1f%%\n", c, lines[c], missed[c], lines[c] ? 100 * (lines[c] - missed[c]) / lines[c] : 0 | "sort"
		close("sort")
		printf "%-44s %8d %8d %6.1f%%\n\nfiles with the most lines never reached:\n", "all", tl, tm, tl ? 100 * (tl - tm) / tl : 0
		for (f in files) { split(files[f], v, " "); printf "%6d of %6d  %s\n", v[1], v[2], f | "sort -rn | head -25" }
	}' "$out/report.txt" >"$out/summary.txt"
cat "$out/summary.txt"
echo "report: $out/report.txt, sources with counts: $out/html/index.html"
