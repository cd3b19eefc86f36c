#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Export benchmark: sustained events/s that `sockwatch events --json -o file:` writes, loss, CPU per event.
#
# usage: bench/export.sh BUILD_DIR
#
# Environment knobs:
#   BENCH_SECS          seconds per run (default 5)
#   BENCH_EXPORT_RATES  space-separated connection rates; "max" = as fast as churn goes
#                       (default "max 5000 10000"; each connection is 4 events)
#
# Each run: churn (bench/churn.c) makes loopback connections in a fresh network namespace;
# sockwatch traces only that namespace and writes JSON lines to a file output. After churn
# stops, sockwatch gets 0.5 s to catch up and is stopped with SIGTERM (it drains the ring
# buffer and the output queue). Reported per run: events generated (4 per connection + 1 unlisten),
# lines in the file, whether their seq is exactly 1..N, ring-buffer and output losses,
# events/s written, and sockwatch's user and system CPU per event (/proc/PID/stat utime,
# stime; all threads: consumer, writer, compressor).
#
# Exit status: 0 ok, 1 a run failed, 2 usage error.

set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$1
OUT=$BUILD/bench
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.bash
. "$SRC_DIR/common.bash"
CHURN=$OUT/churn
SOCKWATCH=$BUILD/sockwatch
SECS=${BENCH_SECS:-5}
RATES=${BENCH_EXPORT_RATES:-max 5000 10000}
CLK_TCK=$(getconf CLK_TCK)
READY_TIMEOUT=20

[[ $SECS =~ ^[0-9]+$ ]] && ((SECS > 0)) || { echo "bench: BENCH_SECS must be > 0" >&2; exit 2; }
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces and BPF)"
[[ -x $SOCKWATCH ]] || die "$SOCKWATCH is not built"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed to measure CPU"

cleanup() {
	bench_kill_bg
	rm -f "$OUT/export.json"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
build_churn "$CHURN"

# utime and stime of a process in clock ticks ("U S").
cpu_ticks() {
	local line rest
	read -r line <"/proc/$1/stat" || return 1
	rest=${line##*) }
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $rest
	echo "${12} ${13}"
}

# One run; prints one result row.
run_one() { # RATE
	local rate=$1 res=$OUT/export.churn.json err=$OUT/export.err
	local file=$OUT/export.json cpid tpid wpid ino port deadline u0 s0 u1 s1 conn elapsed
	local args=(--duration "$SECS")

	[[ $rate == max ]] || args+=(--rate "$rate")
	rm -f "$file"
	bench_start_churn "$res" "${args[@]}"
	cpid=$C_PID ino=$C_INO port=$C_PORT

	# Empty it first: the redirection below happens in the child, and the readiness
	# loop must not find the previous run's "tracing" line.
	: >"$err"
	# GNU time reports the CPU of the whole run once sockwatch has exited (bash reaps
	# background children itself, so /proc/PID/stat of the exited process is gone)
	/usr/bin/time -f "%U %S" -o "$OUT/export.time" \
		"$SOCKWATCH" events --json --netns "$ino" -o "file:$file" >/dev/null 2>"$err" &
	wpid=$!
	BG_PIDS+=("$wpid")
	deadline=$((SECONDS + READY_TIMEOUT))
	until grep -q '^sockwatch: tracing' "$err"; do
		kill -0 "$wpid" 2>/dev/null || die "sockwatch exited early: $(cat "$err")"
		((SECONDS < deadline)) || die "sockwatch did not start: $(cat "$err")"
		sleep 0.01
	done
	tpid=$(pgrep -P "$wpid" -x sockwatch) || die "cannot find sockwatch under time(1)"

	# CPU spent loading and attaching is not part of the per-event cost
	read -r u0 s0 <<<"$(cpu_ticks "$tpid")"
	kill -USR1 "$cpid"
	wait "$cpid" || die "churn failed (rate $rate, port $port)"
	sleep 0.5
	kill -TERM "$tpid"
	wait "$wpid" || die "sockwatch failed: $(cat "$err")"
	read -r u1 s1 <"$OUT/export.time"

	conn=$(json_field "$res" connections)
	elapsed=$(json_field "$res" elapsed_s)
	local gen=$((4 * conn + 1)) lines seqok rbl dr
	lines=$(wc -l <"$file")
	# seq of every line in order must be exactly 1..lines (no lost records in between)
	seqok=$(sed 's/^{"v":1,"seq":\([0-9]*\),.*/\1/' "$file" |
		awk '$1 != NR { bad = 1 } END { print (bad || NR == 0) ? "no" : "yes" }')
	rbl=$(sed -n 's/.*), \([0-9]*\) lost in the ring buffer.*/\1/p' "$err")
	dr=$(sed -n 's/^sockwatch: output "file:.*": [0-9]* written, \([0-9]*\) dropped.*/\1/p' "$err")
	awk -v rate="$rate" -v conn="$conn" -v el="$elapsed" -v gen="$gen" -v lines="$lines" \
		-v seqok="$seqok" -v rbl="$rbl" -v dr="$dr" -v u0="$u0" -v s0="$s0" -v u1="$u1" -v s1="$s1" \
		-v hz="$CLK_TCK" 'BEGIN {
		printf "%-6s %8d %9d %9d %6s %7d %7d %10.0f %8.2f %8.2f\n", rate, conn / el, gen,
			lines, seqok, rbl, dr, lines / el, 1e6 * (u1 - u0 / hz) / lines, 1e6 * (s1 - s0 / hz) / lines
	}'
	rm -f "$file"
}

echo "sockwatch export benchmark: $(nproc) CPUs, $(uname -r), ${SECS}s per run, JSON to a file"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %8s %9s %9s %6s %7s %7s %10s %8s %8s\n' rate conn/s generated written "1..N" \
	rb_lost out_drop "events/s" "user us" "sys us"
for r in $RATES; do
	run_one "$r"
done
echo "(rate: requested connections/s; generated = 4 per connection + the unlisten (churn listens before sockwatch starts);"
echo " written = lines in the file; 1..N: their seq is exactly 1..written; rb_lost = ring-buffer"
echo " loss; out_drop = records the file output dropped; events/s = written / churn's run time;"
echo " user/sys us = sockwatch CPU microseconds per written event, all threads)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
