#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# scripts/kernel-skip-repro.sh BUILD_DIR [RUNS]
#
# Does the kernel deliver every inet_sock_set_state transition to BPF
# programs? Each run makes 2000 loopback connections (bench/churn, own
# network namespace) while two observers watch the same tracepoint:
#   - tracefs: the sock:inet_sock_set_state trace event in a tracefs instance
#     of its own, filtered to churn's port (no BPF involved);
#   - tpcount (tests/tools/tpcount.bpf.c): the smallest useful tp_btf program,
#     counting every transition in churn's namespace.
# Both start before the traffic and stop after it, so they should count the
# same. A run where tpcount has fewer is a run where the kernel ran the trace
# event's probe but not the BPF program, without counting a recursion miss.
# No sockwatch is involved. See docs/attach-modes.md.
#
# RUNS defaults to 30; REPRO_LOAD=1 keeps both CPUs busy (two `yes`), which
# makes the skips more frequent on the build machines. REPRO_CANARY=1 makes
# tpcount wait, after attaching, until canary connections in a namespace of
# its own reach its program at every call site of the tracepoint (what
# sockwatch does before it says "tracing"). Needs root.
set -u
BUILD=${1:?usage: kernel-skip-repro.sh BUILD_DIR [RUNS]}
RUNS=${2:-30}
CHURN=$BUILD/bench/churn
TPCOUNT=$BUILD/tests/tpcount
TRACEFS=/sys/kernel/tracing
INST=$TRACEFS/instances/sockwatch_repro
TMP=$(mktemp -d)
PIDS=()

die() {
	echo "kernel-skip-repro: $*" >&2
	exit 1
}
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -d "$INST" ] && {
		echo 0 >"$INST/events/sock/inet_sock_set_state/enable"
		rmdir "$INST"
	} 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, BPF, tracefs)"
[ -x "$CHURN" ] || cc -O2 -Wall -o "$CHURN" bench/churn.c || die "cannot build $CHURN"
[ -x "$TPCOUNT" ] || die "$TPCOUNT missing: run 'make tests-build' first"
[ -d "$TRACEFS/events" ] || mount -t tracefs tracefs "$TRACEFS" || die "no tracefs"
mkdir -p "$INST" || die "cannot make tracefs instance $INST"
echo 16384 >"$INST/buffer_size_kb"
# The same clock as bpf_ktime_get_ns(), to compare when each observer saw what.
echo mono >"$INST/trace_clock"

if [ "${REPRO_LOAD:-0}" = 1 ]; then
	yes >/dev/null &
	PIDS+=($!)
	yes >/dev/null &
	PIDS+=($!)
fi

short=0
for i in $(seq 1 "$RUNS"); do
	"$CHURN" --netns --wait-start "$TMP/start" --rate 2000 --count 2000 --json >"$TMP/churn" &
	cp=$!
	until [ -s "$TMP/start" ]; do sleep 0.01; done
	read -r ns port <"$TMP/start"
	rm -f "$TMP/start"
	canary=()
	[ "${REPRO_CANARY:-0}" = 1 ] && canary=(--canary)
	TPCOUNT_PORT=$port "$TPCOUNT" "${canary[@]}" "$ns" >"$TMP/tpcount" 2>"$TMP/tpcount.err" &
	tp=$!
	until grep -q attached "$TMP/tpcount.err" 2>/dev/null; do
		kill -0 $tp 2>/dev/null || die "tpcount failed: $(cat "$TMP/tpcount.err")"
		sleep 0.01
	done
	echo 0 >"$INST/tracing_on"
	echo >"$INST/trace"
	echo "sport == $port || dport == $port" >"$INST/events/sock/inet_sock_set_state/filter"
	echo 1 >"$INST/events/sock/inet_sock_set_state/enable"
	echo 1 >"$INST/tracing_on"
	kill -USR1 $cp
	wait $cp || die "churn failed"
	sleep 0.3 # late transitions (a retransmitted FIN) land in both
	echo 0 >"$INST/tracing_on"
	kill -INT $tp
	wait $tp
	traced=$(grep -c inet_sock_set_state "$INST/trace")
	bpf=$(awk '$1 == "total" { print $2 }' "$TMP/tpcount")
	misses=$(awk '$1 == "total" { print $4 }' "$TMP/tpcount")
	conns=$(grep -o '"connections":[0-9]*' "$TMP/churn" | cut -d: -f2)
	note=""
	if [ "$bpf" -lt "$traced" ]; then
		short=$((short + 1))
		# When did each observer see its first and last transition?
		stamps=$(grep -o ' [0-9]*\.[0-9]*: inet_sock_set_state' "$INST/trace" | cut -d: -f1)
		t_first=$(head -1 <<<"$stamps")
		t_last=$(tail -1 <<<"$stamps")
		b_first=$(awk '$1 == "total" { print $6 }' "$TMP/tpcount")
		b_last=$(awk '$1 == "total" { print $8 }' "$TMP/tpcount")
		note=$(awk -v tf="$t_first" -v tl="$t_last" -v bf="$b_first" -v bl="$b_last" \
			'BEGIN { printf "  <- BPF got %s fewer; its first transition %.1f ms after the trace event'"'"'s first, its last %.1f ms before the last", "'"$((traced - bpf))"'", (bf - tf) * 1000, (tl - bl) * 1000 }')
	fi
	portinfo=$(grep '^port ' "$TMP/tpcount")
	[ "$bpf" -lt "$traced" ] && note="$note; $portinfo"
	seen=$(grep -o 'delivery seen after [0-9]* ms ([0-9]* canary connections)' "$TMP/tpcount.err")
	printf 'run %3d: %s connections, tracefs %s transitions, BPF %s (recursion misses %s)%s%s\n' \
		"$i" "$conns" "$traced" "$bpf" "$misses" "${seen:+; canary: $seen}" "$note"
done
echo "$short of $RUNS runs: the BPF program received fewer transitions than the trace event"
