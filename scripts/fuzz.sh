#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Runs the libFuzzer targets under fuzz/ (cargo-fuzz, nightly, AddressSanitizer) and prints one line per target:
# executions, executions per second, coverage (edges and features), corpus size and findings.
#
#   scripts/fuzz.sh [-s SECONDS] [TARGET...]     (default: every target, 60 s each)
#
# Each target starts from its committed seed corpus fuzz/corpus/<target> (replayed first, so a regression among
# the seeds fails at once) and grows a working copy under build/fuzz/corpus/<target>, never the committed one.
# A finding is left in fuzz/artifacts/<target>/ with libFuzzer's reproduction command; the script exits non-zero.
# FUZZ_CODEGEN_UNITS (default 1, cargo-fuzz's own default) trades run speed for build time: CI, which runs each target
# for seconds, builds with 16. FUZZ_SEED fixes libFuzzer's random seed (CI sets it, so a finding there is the same
# mutation sequence when replayed here; unset, each run explores afresh).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
while getopts "s:" opt; do
	case $opt in
	s) seconds=$OPTARG ;;
	*) echo "usage: $0 [-s SECONDS] [TARGET...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

cargo_nightly=(cargo +nightly)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	mapfile -t targets < <(cd fuzz && "${cargo_nightly[@]}" fuzz list)
fi

failed=0
for t in "${targets[@]}"; do
	work=build/fuzz/corpus/$t
	mkdir -p "$work" "fuzz/corpus/$t"
	log=build/fuzz/$t.log
	if ! (cd fuzz && "${cargo_nightly[@]}" fuzz build --codegen-units "${FUZZ_CODEGEN_UNITS:-1}" "$t") \
		>"build/fuzz/$t.build.log" 2>&1; then
		tail -20 "build/fuzz/$t.build.log" >&2
		exit 1
	fi
	status=0
	(cd fuzz && "${cargo_nightly[@]}" fuzz run --codegen-units "${FUZZ_CODEGEN_UNITS:-1}" "$t" "../$work" "corpus/$t" -- \
		-max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=1 ${FUZZ_SEED:+-seed="$FUZZ_SEED"}) >"$log" 2>&1 || status=$?
	stat() { awk -v k="stat::$1:" '$1 == k {s += $2} END {print s + 0}' "$log"; }
	execs=$(stat number_of_executed_units)
	rate=$(stat average_exec_per_sec)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
	corpus=$(find "$work" -type f | wc -l)
	# Targets that run ioctls report how many as `#ioctls N`.
	ioctls=$(grep -oE '^#ioctls [0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
	findings=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
	printf '%-10s %9s execs %6s/s  edges %5s  features %6s  new inputs %4s  findings %s%s\n' \
		"$t" "$execs" "$rate" "${cov:-0}" "${ft:-0}" "$corpus" "$findings" "${ioctls:+  ioctls $ioctls}"
	if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ]; then
		failed=1
		grep -E 'panicked at|ERROR: |SUMMARY' "$log" | head -5 >&2 || true
		echo "  log: $log" >&2
	fi
done
exit "$failed"
