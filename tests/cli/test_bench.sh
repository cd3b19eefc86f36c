#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Tests of the benchmark's analysis (no root, no BPF): bench/interleave.awk on made-up
# windows with known rates, and bench/churn.sh's refusal of bad settings.
# Usage: tests/cli/test_bench.sh [BUILD_DIR]; prints TAP, exits non-zero on failure.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/sw-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/tap.sh"

# Connection counts at each second (wall-clock ns, as churn --progress writes them):
# windows of one second each then have these rates.
#   window:  1     2          3     4            5     6            7     8          9
#   label:   none  sockwatch  none  sockwatch-b  none  sockwatch-b  none  sockwatch  none
#   rate:    100   90         110   99           110   88           100   80         100
printf '%s\n' "1000000000 0" "2000000000 100" "3000000000 190" "4000000000 300" \
	"5000000000 399" "6000000000 509" "7000000000 597" "8000000000 697" \
	"9000000000 777" "10000000000 877" >"$TMP/progress"
labels=(none sockwatch none sockwatch-b none sockwatch-b none sockwatch none)
for i in "${!labels[@]}"; do
	# start and end in microseconds; the traced windows also carry their tracer's CPU (ns)
	echo "${labels[i]} $(((i + 1) * 1000000)) $(((i + 2) * 1000000))$([[ ${labels[i]} != none ]] && echo " $((i * 1000000))")"
done >"$TMP/windows"

out=$(awk -v per_window=1 -v a=sockwatch -v b=sockwatch-b -f "$ROOT/bench/interleave.awk" \
	"$TMP/progress" "$TMP/windows")
line() { printf '%s\n' "$out" | grep -E "$1"; }

# sockwatch: 90 / mean(100, 110) = 0.857 and 80 / mean(100, 100) = 0.800, median 0.829
check "traced window: rate over the mean of its untraced neighbours" \
	grep -q "ratio 0.857" <<<"$(line '^  window +2 sockwatch ')"
check "per-config median, IQR and range of the paired ratios" \
	grep -Eq '^sockwatch +2 +85 +0\.829 +0\.814-0\.843 +0\.800-0\.857 ' <<<"$(line '^sockwatch ')"
# sockwatch-b: 99 / mean(110, 110) = 0.900 and 88 / mean(110, 100) = 0.838, median 0.869
check "second build: its own paired ratios" \
	grep -Eq '^sockwatch-b +2 +94 +0\.869 ' <<<"$(line '^sockwatch-b ')"
# tracer CPU: window 2 carries 1 ms for 90 connections, window 8 7 ms for 80
check "tracer CPU per connection, median over windows" \
	grep -Eq ' 49\.31$' <<<"$(line '^sockwatch ')"
# A/A: untraced windows 3, 5 and 7 against the untraced windows two away on each side
check "A/A line from untraced windows only" \
	grep -Eq '^none \(A/A\) +3 +110 +1\.048 ' <<<"$(line '^none ')"
# b - a, cycle by cycle: 0.900 - 0.857 = +0.043 and 0.838 - 0.800 = +0.038
check "paired difference of two builds, cycle by cycle" \
	grep -Eq 'over 2 cycles: median \+0\.040, IQR \+0\.039 to \+0\.042; sockwatch-b higher in 2 of 2$' \
	<<<"$(line '^sockwatch-b - sockwatch')"
out=$(awk -f "$ROOT/bench/interleave.awk" "$TMP/progress" "$TMP/windows")
check "no comparison unless asked for" \
	test -z "$(line 'paired ratio difference')"

# churn.sh checks its settings before it needs root or builds anything. Should a check
# fail to fire, the settings keep what would run short: untraced only, one 1 s round.
quick=(BENCH_ROUNDS=1 BENCH_SECS=1 BENCH_SETTLE=0 BENCH_IL_CYCLES=0 BENCH_RATE=0
	BENCH_TCPSTATES=/nonexistent)
err=$(env "${quick[@]}" BENCH_SOCKWATCH_B="$TMP/missing" timeout 60 "$ROOT/bench/churn.sh" "$TMP" 2>&1)
rc=$?
check "a second build that is not executable: exit 2" test "$rc" -eq 2
check "... naming the setting and the path" grep -q "BENCH_SOCKWATCH_B: $TMP/missing is not" <<<"$err"
err=$(env "${quick[@]}" BENCH_IL_CYCLES=many timeout 60 "$ROOT/bench/churn.sh" "$TMP" 2>&1)
rc=$?
check "a bad number of cycles: exit 2" test "$rc" -eq 2

# soak.sh the same way; should a check fail to fire, these settings make a short run
soak=(BENCH_SOAK_SECS=10 BENCH_SOAK_WARM=0 BENCH_SOAK_SAMPLE=5)
err=$(env "${soak[@]}" BENCH_SOAK_CONFIGS="events bogus" timeout 60 "$ROOT/bench/soak.sh" "$TMP" 2>&1)
rc=$?
check "soak: an unknown configuration: exit 2" test "$rc" -eq 2
check "... naming it" grep -q "unknown configuration 'bogus'" <<<"$err"
err=$(env "${soak[@]}" BENCH_SOAK_WARM=10 timeout 60 "$ROOT/bench/soak.sh" "$TMP" 2>&1)
rc=$?
check "soak: a warm-up as long as the run: exit 2" test "$rc" -eq 2
check "... naming the setting" grep -q "BENCH_SOAK_WARM must be less" <<<"$err"
err=$(env "${soak[@]}" BENCH_SOAK_SAMPLE=6 timeout 60 "$ROOT/bench/soak.sh" "$TMP" 2>&1)
rc=$?
check "soak: samples too far apart to measure growth: exit 2" test "$rc" -eq 2

tap_done
