#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `sockwatch listen` benchmark: listen() to alert-line latency (p50/p99/max), and what 1 s `ss -tlnp` polling misses.
#
# usage: bench/listen_latency.sh BUILD_DIR
#
# Environment knobs:
#   BENCH_LISTENERS   listeners of the latency run (default 1000)
#   BENCH_SHORT       short-lived listeners of the polling comparison (default 1000)
#   BENCH_LIFE_US     lifetime of each short-lived listener (default 1000)
#   BENCH_GAP_US      pause between short-lived listeners (default 4000)
#
# Everything runs in a fresh network namespace; sockwatch filters on its inode.
# The probe (bench/listen_probe.c) reads sockwatch's stdout through a pipe and
# timestamps the moment the line for its port arrives, so the number includes
# the kernel hook, the ring buffer wake-up, /proc enrichment, rendering and the
# pipe: what a consumer of the alert stream sees.
#
# Exit status: 0 ok, 1 a run failed, 2 usage error.

set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$1
OUT=$BUILD/bench
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SW=$(realpath "$BUILD/sockwatch")
PROBE=$OUT/listen_probe
COUNT=${BENCH_LISTENERS:-1000}
SHORT=${BENCH_SHORT:-1000}
LIFE_US=${BENCH_LIFE_US:-1000}
GAP_US=${BENCH_GAP_US:-4000}
NS=swlbench_$$
TMP=$(mktemp -d)
PIDS=()

die() { echo "bench: $*" >&2; exit 1; }
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

[[ $EUID -eq 0 ]] || die "must run as root (network namespaces and BPF tracers)"
[[ -x $SW ]] || die "$SW not built (make)"
mkdir -p "$OUT"
${CC:-cc} -O2 -Wall -Wextra -o "$PROBE" "$SRC_DIR/listen_probe.c" || die "cannot build the probe"

ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || die "cannot create netns"
INO=$(stat -Lc %i "/run/netns/$NS")

echo "-- latency: listen() returning -> alert line read from sockwatch's stdout"
ip netns exec "$NS" "$PROBE" latency "$COUNT" 30000 -- \
	"$SW" listen --json --quiet-baseline --netns "$INO" || die "latency run failed"

echo "-- short-lived listeners (${SHORT} x ${LIFE_US} us, ${GAP_US} us apart): sockwatch vs ss -tlnp every 1 s"
"$SW" listen --json --quiet-baseline --netns "$INO" >"$TMP/sw.out" 2>"$TMP/sw.err" &
SWPID=$!
PIDS+=("$SWPID")
for _ in $(seq 200); do grep -q "watching listeners" "$TMP/sw.err" && break; sleep 0.05; done
grep -q "watching listeners" "$TMP/sw.err" || die "sockwatch did not start: $(cat "$TMP/sw.err")"
(
	while :; do
		ip netns exec "$NS" ss -tlnpH >>"$TMP/ss.out"
		sleep 1
	done
) &
POLL=$!
PIDS+=("$POLL")
start=$(date +%s.%N)
ip netns exec "$NS" "$PROBE" short "$SHORT" 40000 "$LIFE_US" "$GAP_US" || die "short run failed"
end=$(date +%s.%N)
sleep 0.5
kill "$POLL" 2>/dev/null
kill "$SWPID"
wait "$SWPID" 2>/dev/null || true
seen_sw=$(jq -r "select(.event==\"listen\" and .lport>=40000 and .lport<$((40000 + SHORT))) | .lport" \
	"$TMP/sw.out" | sort -u | wc -l)
seen_ss=$(awk '{ n = split($4, a, ":"); p = a[n]; if (p >= 40000 && p < '$((40000 + SHORT))') print p }' \
	"$TMP/ss.out" 2>/dev/null | sort -u | wc -l)
printf 'run %.1f s: sockwatch reported %d/%d, ss polling saw %d/%d (missed %d)\n' \
	"$(echo "$end - $start" | bc)" "$seen_sw" "$SHORT" "$seen_ss" "$SHORT" $((SHORT - seen_ss))
echo "ss polling once per second: expected detection delay for a long-lived listener 500 ms (uniform 0-1000 ms)"
