#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Soak benchmark: does sockwatch's memory stay flat over millions of connections?
#
# usage: bench/soak.sh BUILD_DIR
#
# Environment knobs:
#   BENCH_SOAK_SECS    seconds of full-speed churn per configuration (default 150)
#   BENCH_SOAK_WARM    seconds of warm-up before growth is measured (default 70)
#   BENCH_SOAK_SAMPLE  seconds between memory samples (default 10)
#   BENCH_SOAK_CONFIGS which to run (default "events top")
#
# Each configuration traces one churn run (bench/churn.c, as fast as it goes, in a fresh
# network namespace) for BENCH_SOAK_SECS seconds and samples the tracer's resident memory
# (VmRSS) every BENCH_SOAK_SAMPLE seconds, with the namespace's TCP sockets (open and in
# TIME_WAIT, from churn's /proc/PID/net/sockstat):
#   events  `sockwatch events --json -o file:... --rotate-size 32M --rotate-keep 2`: the
#           output queue, the file output with rotation and its gzip thread;
#   top     the live view (`sockwatch top` in a pseudo-terminal, output thrown away): its
#           connection table, which keeps closed connections for --ghost seconds.
# Reported: the samples, and the growth from the first sample after the warm-up to the
# last, per million connections. A tracer that keeps nothing per closed connection grows
# by ~0; a leak of one 100-byte allocation per connection would show as ~100 MB per
# million. The warm-up is what top's table needs to reach its steady size: it holds every
# socket of the namespace, TIME_WAIT ones included, which the kernel keeps for 60 s, and
# each closed connection for --ghost (3) seconds more. For events also the completeness: connects, accepts and closes
# counted in sockwatch's exit summary against the connections churn made, and the records
# lost (expected 0).
#
# Exit status: 0 ok, 1 a run failed, 2 usage error.

set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$1
OUT=$BUILD/bench/soak
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.bash
. "$SRC_DIR/common.bash"
CHURN=$BUILD/bench/churn
SOCKWATCH=$BUILD/sockwatch
SECS=${BENCH_SOAK_SECS:-150}
WARM=${BENCH_SOAK_WARM:-70}
SAMPLE=${BENCH_SOAK_SAMPLE:-10}
CONFIGS=${BENCH_SOAK_CONFIGS:-events top}
READY_TIMEOUT=20

[[ $SECS =~ ^[0-9]+$ ]] && ((SECS >= 10)) || { echo "bench: BENCH_SOAK_SECS must be >= 10" >&2; exit 2; }
[[ $WARM =~ ^[0-9]+$ ]] && ((WARM < SECS)) ||
	{ echo "bench: BENCH_SOAK_WARM must be less than BENCH_SOAK_SECS" >&2; exit 2; }
[[ $SAMPLE =~ ^[0-9]+$ ]] && ((SAMPLE > 0 && SAMPLE <= (SECS - WARM) / 2)) ||
	{ echo "bench: BENCH_SOAK_SAMPLE must be > 0 and fit twice after the warm-up" >&2; exit 2; }
for c in $CONFIGS; do
	[[ $c == events || $c == top ]] || { echo "bench: unknown configuration '$c' (events, top)" >&2; exit 2; }
done
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces and BPF)"
[[ -x $SOCKWATCH ]] || die "$SOCKWATCH is not built"
command -v script >/dev/null || die "script(1) (bsdutils) is needed to give top a terminal"

cleanup() {
	bench_kill_bg
	rm -rf "$OUT/out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
build_churn "$CHURN"

has_links() { # PID
	local f
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == anon_inode:bpf_link ]] && return 0
	done
	return 1
}
# TCP sockets open and in TIME_WAIT in PID's network namespace ("INUSE TW")
tcp_socks() { awk '$1 == "TCP:" { print $3, $7 }' "/proc/$1/net/sockstat" 2>/dev/null || echo "? ?"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# The sockwatch process under PARENT (itself, or a child of script(1)).
find_sockwatch() { # PARENT
	local p=$1 c
	[[ $(cat "/proc/$p/comm" 2>/dev/null) == sockwatch ]] && { echo "$p"; return; }
	for c in $(pgrep -P "$p"); do
		find_sockwatch "$c" && return
	done
	return 1
}

run_one() { # CONFIG
	local cfg=$1 res=$OUT/churn.json err=$OUT/sockwatch.err
	local cpid wpid spid ino port deadline t rss inuse tw conn first_t=-1 first_rss=0 last_t=0 last_rss=0 peak=0

	rm -rf "$OUT/out"
	mkdir -p "$OUT/out"
	bench_start_churn "$res" --duration "$SECS"
	cpid=$C_PID ino=$C_INO port=$C_PORT

	: >"$err"
	if [[ $cfg == events ]]; then
		"$SOCKWATCH" events --json --netns "$ino" -o "file:$OUT/out/events.jsonl" \
			--rotate-size 32M --rotate-keep 2 >/dev/null 2>"$err" &
	else
		# top draws on a terminal (thrown away); its stderr, errors only, goes to the file
		TERM=xterm script -qfec "'$SOCKWATCH' top --netns $ino 2>'$err'" /dev/null \
			</dev/null >/dev/null &
	fi
	wpid=$!
	BG_PIDS+=("$wpid")
	# ready: events says so on stderr; top (whose terminal is thrown away) when it holds
	# BPF links
	deadline=$((SECONDS + READY_TIMEOUT))
	until spid=$(find_sockwatch "$wpid") && if [[ $cfg == events ]]; then
		grep -q '^sockwatch: tracing' "$err"
	else
		has_links "$spid"
	fi; do
		kill -0 "$wpid" 2>/dev/null || die "sockwatch $cfg exited early: $(cat "$err")"
		((SECONDS < deadline)) || die "sockwatch $cfg did not start: $(cat "$err")"
		sleep 0.05
	done

	kill -USR1 "$cpid"
	echo "-- $cfg: sockwatch RSS, every ${SAMPLE}s of ${SECS}s of churn (port $port)"
	printf '  %6s %10s %10s %10s\n' "t (s)" "RSS (KiB)" "TCP open" "TIME_WAIT"
	for ((t = 0; t <= SECS; t += SAMPLE)); do
		rss=$(rss_kib "$spid")
		((rss > 0)) || die "sockwatch $cfg is gone at ${t}s: $(cat "$err")"
		read -r inuse tw <<<"$(tcp_socks "$cpid")"
		printf '  %6d %10d %10s %10s\n' "$t" "$rss" "$inuse" "$tw"
		((rss > peak)) && peak=$rss
		if ((first_t < 0 && t >= WARM)); then
			first_t=$t
			first_rss=$rss
		fi
		last_t=$t
		last_rss=$rss
		((t + SAMPLE <= SECS)) && sleep "$SAMPLE"
	done
	wait "$cpid" || die "churn failed (port $port)"
	sleep 0.5
	kill -TERM "$spid"
	wait "$wpid" || die "sockwatch $cfg failed: $(cat "$err")"

	conn=$(json_field "$res" connections)
	awk -v cfg="$cfg" -v conn="$conn" -v secs="$SECS" -v t0="$first_t" -v r0="$first_rss" \
		-v r1="$last_rss" -v peak="$peak" -v t1="$last_t" 'BEGIN {
		span = t1 - t0
		printf "  %s: %d connections (%.0f/s); RSS %d KiB at %ds, %d KiB at the end, peak %d KiB\n",
			cfg, conn, conn / secs, r0, t0, r1, peak
		mconn = conn * span / secs / 1e6
		if (mconn > 0)
			printf "  growth after warm-up: %+d KiB over %d s, %+.0f KiB per million connections\n",
				r1 - r0, span, (r1 - r0) / mconn
	}'
	if [[ $cfg == events ]]; then
		local summary rbl
		summary=$(grep '^sockwatch: [0-9]* events' "$err" || true)
		rbl=$(sed -n 's/.*), \([0-9]*\) lost in the ring buffer.*/\1/p' <<<"$summary")
		awk -v conn="$conn" -v s="$summary" -v rbl="${rbl:-?}" 'BEGIN {
			c = a = cl = 0
			if (match(s, /connect [0-9]+/)) c = substr(s, RSTART + 8, RLENGTH - 8)
			if (match(s, /accept [0-9]+/)) a = substr(s, RSTART + 7, RLENGTH - 7)
			if (match(s, /close [0-9]+/)) cl = substr(s, RSTART + 6, RLENGTH - 6)
			printf "  events: connect %d, accept %d, close %d (expected %d, %d, %d); lost in the ring buffer %s\n",
				c, a, cl, conn, conn, 2 * conn, rbl
		}'
		grep '^sockwatch: output' "$err" | sed 's/^/  /'
	fi
	rm -rf "$OUT/out"
}

echo "sockwatch soak benchmark: $(nproc) CPUs, $(uname -r), ${SECS}s per configuration"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in $CONFIGS; do
	run_one "$c"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
