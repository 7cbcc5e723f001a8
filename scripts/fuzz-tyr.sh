#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# The `tyr fuzz` campaign over several seeds, JOBS at a time (one process per seed: its board, descriptors and panic
# count are its own). Each seed's report goes to build/fuzz-tyr/seed-N.log; one summary line per seed is printed, and
# a failing seed's minimised script in full. Exits non-zero if any seed found something.
#
#   scripts/fuzz-tyr.sh TYR JOBS ITERATIONS SEED...
set -euo pipefail
cd "$(dirname "$0")/.."
tyr=$1 jobs=$2 iterations=$3
shift 3
mkdir -p build/fuzz-tyr
export tyr iterations
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c '
	log=build/fuzz-tyr/seed-{}.log
	if "$tyr" fuzz --seed {} --iterations "$iterations" --files 3 >"$log" 2>&1; then
		head -1 "$log"
	else
		echo "seed {}: FOUND (build/fuzz-tyr/seed-{}.log)"; cat "$log"; exit 1
	fi'
