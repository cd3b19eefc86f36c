#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every fuzz target (tests/fuzz, built as BUILD_DIR/fuzz/fuzz_*) and prints one TAP line each.
#
# usage: scripts/fuzz.sh BUILD_DIR [SECONDS]
#   without SECONDS (make test): FUZZ_RUNS inputs per target (default 150000) from seed 1,
#     in a fresh corpus: the same inputs every time, so a failure is reproducible;
#   with SECONDS (make fuzz): that long per target with a random seed, the corpus kept in
#     BUILD_DIR/fuzz/corpus/NAME so that each run goes on from the last.
# A finding is saved as BUILD_DIR/fuzz/findings/NAME-*; replay it with
# BUILD_DIR/fuzz/NAME FILE. Exit status 1 if any target found something.
set -uo pipefail

BUILD=${1:-build}
SECS=${2:-}
RUNS=${FUZZ_RUNS:-150000}
FINDINGS=$BUILD/fuzz/findings
mkdir -p "$FINDINGS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
for bin in "$BUILD"/fuzz/fuzz_*; do
	[[ -x $bin && -f $bin ]] || continue
	name=$(basename "$bin")
	n=$((n + 1))
	if [[ -n $SECS ]]; then
		corpus=$BUILD/fuzz/corpus/$name
		how="$SECS s"
		args=(-max_total_time="$SECS")
	else
		corpus=$tmp/$name
		how="$RUNS inputs from seed 1"
		args=(-runs="$RUNS" -seed=1)
	fi
	mkdir -p "$corpus"
	log=$tmp/$name.log
	# leaks are findings too; -error_exitcode keeps a finding apart from a crash of the tool
	if ASAN_OPTIONS=detect_leaks=1 "$bin" "${args[@]}" -error_exitcode=77 \
		-artifact_prefix="$FINDINGS/$name-" "$corpus" >"$log" 2>&1; then
		echo "ok $n - $name: $how, every check held"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name: $how: a finding (in $FINDINGS)"
		grep -E 'FUZZ CHECK FAILED|^output:|ERROR: |SUMMARY|^    #[0-9] ' "$log" | head -20 | sed 's/^/# /'
	fi
done
echo "1..$n"
((failed == 0))
