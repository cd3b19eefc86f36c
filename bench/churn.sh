#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Connection-churn benchmark: loopback connections/s and CPU cost with no tracer, sockwatch, tcpstates.
#
# usage: bench/churn.sh BUILD_DIR
#
# Environment knobs:
#   BENCH_ROUNDS       rounds of the throughput phase (default 5)
#   BENCH_SECS         seconds per run (default 5)
#   BENCH_IL_CYCLES    cycles of the interleaved phase (default 12, 0 skips it)
#   BENCH_IL_WINDOW    seconds per window of the interleaved phase (default 1)
#   BENCH_IL_WARM      seconds churn runs before the first window (default 8)
#   BENCH_RATE         connections/s of the fixed-rate CPU phase (default 5000, 0 skips it)
#   BENCH_RATE_ROUNDS  rounds of the fixed-rate phase (default 3)
#   BENCH_SETTLE       seconds of rest before each run (default 1): the previous run's
#                      namespace, with its TIME_WAIT sockets, is torn down in the background
#   BENCH_TCPSTATES    path of libbpf-tools tcpstates (default /usr/sbin/tcpstates)
#   BENCH_SOCKWATCH_B  path of a second sockwatch binary (another build) to measure side
#                      by side with BUILD_DIR's, as configuration sockwatch-b; the
#                      interleaved phase then also prints their paired difference
#
# Every run of churn is in a fresh network namespace (--netns), so each starts with an
# empty TIME_WAIT table, and sockwatch can filter on exactly that namespace. Configurations
# alternate inside each round, and the starting configuration rotates between rounds, so
# slow drift of the machine spreads over all of them. Compare ratios, not absolute numbers.
# The interleaved phase goes further: one churn run, the tracers started and stopped
# around it, each traced window compared with the untraced windows right before and after.
#
# Exit status: 0 ok, 1 a run failed, 2 usage error.

set -euo pipefail

usage() {
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
}

[[ $# -eq 1 ]] || usage
BUILD=$1
OUT=$BUILD/bench
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.bash
. "$SRC_DIR/common.bash"
CHURN=$OUT/churn
SOCKWATCH=$BUILD/sockwatch
SOCKWATCH_B=${BENCH_SOCKWATCH_B:-}
TCPSTATES=${BENCH_TCPSTATES:-/usr/sbin/tcpstates}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-5}
RATE=${BENCH_RATE:-5000}
RATE_ROUNDS=${BENCH_RATE_ROUNDS:-3}
SETTLE=${BENCH_SETTLE:-1}
IL_CYCLES=${BENCH_IL_CYCLES:-12}
IL_WINDOW=${BENCH_IL_WINDOW:-1}
IL_WARM=${BENCH_IL_WARM:-8}
IL_TRACER_SETTLE=0.2 # after sockwatch's "tracing" line, before its window opens
TCPSTATES_SETTLE=1.5 # tcpstates prints nothing when attached: give it this long
READY_TIMEOUT=20     # seconds to wait for churn's namespace or sockwatch's readiness line
CLK_TCK=$(getconf CLK_TCK)

check_uint() { # name value min
	if ! [[ $2 =~ ^[0-9]+$ ]] || ((10#$2 < $3)); then
		echo "bench: $1 must be an integer >= $3, got '$2'" >&2
		exit 2
	fi
}
check_uint BENCH_ROUNDS "$ROUNDS" 1
check_uint BENCH_SECS "$SECS" 1
check_uint BENCH_RATE "$RATE" 0
check_uint BENCH_RATE_ROUNDS "$RATE_ROUNDS" 1
check_uint BENCH_SETTLE "$SETTLE" 0
check_uint BENCH_IL_CYCLES "$IL_CYCLES" 0
check_uint BENCH_IL_WINDOW "$IL_WINDOW" 1
check_uint BENCH_IL_WARM "$IL_WARM" 0
if [[ -n $SOCKWATCH_B && ! -x $SOCKWATCH_B ]]; then
	echo "bench: BENCH_SOCKWATCH_B: $SOCKWATCH_B is not an executable file" >&2
	exit 2
fi
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces and BPF tracers)"

# sockwatch hooks accept() on the syscall tracepoints, which libbpf finds through tracefs
# (tcpstates needs tracefs too). Where it is not mounted (no systemd: a container, a bare
# VM) sockwatch falls back to sys_exit (measured no dearer, docs/attach-modes.md), but so
# that every result measures the same configuration, the one a Debian install runs, the
# benchmark then runs in a mount namespace of its own with tracefs mounted; the machine
# stays as it was.
if [[ -z ${BENCH_TRACEFS_NS:-} ]] && "$SRC_DIR/../scripts/with-tracefs.sh" --check; then
	BENCH_TRACEFS_NS=1 exec "$SRC_DIR/../scripts/with-tracefs.sh" "$0" "$@"
fi

# Background processes we started; all of them are killed on any exit.
cleanup() {
	bench_kill_bg
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
build_churn "$CHURN"

# Configurations that can run here. none-again is a second untraced run per round: an
# A/A comparison whose paired ratio and spread show how far this machine's noise alone
# moves a ratio (a traced ratio within that spread of 1.00 is no measured cost).
CONFIGS=(none none-again)
NOTES=()
if [[ -n ${BENCH_TRACEFS_NS:-} ]]; then
	NOTES+=("tracefs is not mounted here: mounted in the benchmark's own mount namespace")
fi
if [[ -x $SOCKWATCH ]]; then
	CONFIGS+=(sockwatch)
else
	NOTES+=("sockwatch: skipped, $SOCKWATCH is not built")
fi
if [[ -n $SOCKWATCH_B ]]; then
	CONFIGS+=(sockwatch-b)
	NOTES+=("sockwatch-b is $SOCKWATCH_B")
fi
if [[ -x $TCPSTATES ]]; then
	CONFIGS+=(tcpstates)
	# tcpstates attaches a classic tracepoint, whose id libbpf reads from tracefs.
	if [[ ! -d /sys/kernel/tracing/events && ! -d /sys/kernel/debug/tracing/events ]]; then
		mount -t tracefs tracefs /sys/kernel/tracing ||
			die "tracefs is not mounted and mounting it failed (tcpstates needs it)"
		NOTES+=("mounted tracefs on /sys/kernel/tracing for tcpstates (left mounted)")
	fi
else
	NOTES+=("tcpstates: skipped, $TCPSTATES not found (apt-get install libbpf-tools)")
fi

# utime + stime of a process, in clock ticks.
cpu_ticks() {
	local line rest
	read -r line <"/proc/$1/stat" || return 1
	rest=${line##*) } # the comm field may hold spaces: cut after its ')'
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $rest
	echo $((${12} + ${13})) # fields 14 and 15 of stat(5); $1 here is field 3
}

alive() {
	kill -0 "$1" 2>/dev/null
}

# Drop a reaped pid from BG_PIDS, so that cleanup never signals a recycled pid.
forget() {
	local pid keep=()
	for pid in "${BG_PIDS[@]}"; do
		[[ $pid == "$1" ]] || keep+=("$pid")
	done
	BG_PIDS=("${keep[@]}")
}

# Stop a background process: SIGTERM (tracers flush and exit on it), SIGKILL after 5 s.
# Not SIGINT: bash starts background jobs with SIGINT ignored, which a program that
# does not install its own handler would inherit.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget "$pid"
}

# Count JSON lines of one event kind; tolerant of a space after the colon.
count_event() { # file kind
	grep -c "\"event\": *\"$2\"" "$1" || true
}

# Lost records in a sockwatch JSON file and the events they stand for: "RECORDS EVENTS".
lost_in() { # events_file
	local recs evs
	recs=$(count_event "$1" lost)
	evs=$(grep "\"event\": *\"lost\"" "$1" | grep -o '"lost": *[0-9]*' |
		awk -F: '{ s += $2 } END { print s + 0 }' || true)
	echo "$recs $evs"
}

# Check sockwatch's captured events against what churn generated.
check_events() { # config events_file connections
	local cfg=$1 f=$2 n=$3 conn acc cls inf lost lostsum
	conn=$(count_event "$f" connect)
	acc=$(count_event "$f" accept)
	cls=$(count_event "$f" close)
	inf=$(grep -c '"inferred": *true' "$f" || true)
	read -r lost lostsum <<<"$(lost_in "$f")"
	R_EVENTS=$(printf '    events: generated connect %d accept %d close %d; captured connect %d accept %d close %d (inferred %d); lost records %d (%d events)' \
		"$n" "$n" $((2 * n)) "$conn" "$acc" "$cls" "$inf" "$lost" "$lostsum")
	EV_SUMMARY+=("$cfg $n $conn $acc $cls $lost $lostsum")
}

# Start churn in a new namespace, ready but waiting for SIGUSR1, with extra arguments.
# Sets C_PID, C_INO (its namespace's inode) and C_PORT.
start_churn() { # churn-args...
	bench_start_churn "$OUT/churn.json" "$@"
}

# Start tracer configuration $1 and return once it traces. sockwatch follows only
# namespace $2 and writes JSON lines to $3. Sets T_PID.
start_tracer() { # cfg netns-inode events-file
	local deadline

	if [[ $1 == tcpstates ]]; then
		"$TCPSTATES" >/dev/null 2>"$OUT/tcpstates.err" &
		T_PID=$!
		BG_PIDS+=("$T_PID")
		sleep "$TCPSTATES_SETTLE"
		alive "$T_PID" || die "tcpstates exited early: $(cat "$OUT/tcpstates.err")"
		return
	fi
	local bin=$SOCKWATCH err=$OUT/$1.err
	if [[ $1 == sockwatch-b ]]; then
		bin=$SOCKWATCH_B
	fi
	# Empty it first: the redirection below happens in the child, and the
	# readiness loop must not find the previous run's "tracing" line.
	: >"$err"
	"$bin" events --json --netns "$2" >"$3" 2>"$err" &
	T_PID=$!
	BG_PIDS+=("$T_PID")
	deadline=$((SECONDS + READY_TIMEOUT))
	until grep -q '^sockwatch: tracing' "$err"; do
		alive "$T_PID" || die "$1 exited early: $(cat "$err")"
		((SECONDS < deadline)) ||
			die "no 'sockwatch: tracing' line on stderr within ${READY_TIMEOUT}s: $(cat "$err")"
		sleep 0.01
	done
}

# One run of churn under configuration $1 with extra churn arguments.
# Sets R_RATE, R_CONN, R_ELAPSED, R_CHURN_CPU (s), R_TRACER_CPU (s, empty for none).
run_one() {
	local cfg=$1
	shift
	local res=$OUT/churn.json cpid tpid="" port t0 t1 rc=0

	R_TRACER_CPU=""
	R_EVENTS=""
	sleep "$SETTLE"
	start_churn "$@"
	cpid=$C_PID port=$C_PORT
	if [[ $cfg != none* ]]; then
		start_tracer "$cfg" "$C_INO" "$OUT/events.jsonl"
		tpid=$T_PID
	fi

	if [[ -n $tpid ]]; then
		t0=$(cpu_ticks "$tpid")
	fi
	kill -USR1 "$cpid"
	wait "$cpid" || rc=$?
	forget "$cpid"
	[[ $rc -eq 0 ]] || die "churn failed (exit $rc) under $cfg, port $port"
	if [[ -n $tpid ]]; then
		sleep 0.5 # let the tracer drain what is still buffered
		alive "$tpid" || die "$cfg exited during the run: $(cat "$OUT/$cfg.err")"
		t1=$(cpu_ticks "$tpid")
		R_TRACER_CPU=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", d / hz }')
		stop_pid "$tpid"
	fi

	R_CONN=$(json_field "$res" connections)
	R_ELAPSED=$(json_field "$res" elapsed_s)
	R_RATE=$(json_field "$res" conn_per_s)
	R_CHURN_CPU=$(json_field "$res" cpu_s)
	if [[ $cfg == sockwatch* ]]; then
		check_events "$cfg" "$OUT/events.jsonl" "$R_CONN"
	elif [[ $cfg == tcpstates ]]; then
		# tcpstates reports perf-buffer overflows on stderr as "lost N events on CPU #c".
		R_EVENTS=$(awk '/^lost [0-9]+ events/ { s += $2 } END { printf "    tcpstates: lost %d events (perf buffer overflow)", s }' \
			"$OUT/tcpstates.err")
	fi
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { # traced untraced
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

# Each round's traced/untraced ratio, summarised as "MEDIAN LOWEST-HIGHEST": the untraced
# rate of a shared VM drifts by tens of percent between rounds, and a round's own baseline
# cancels that; the range shows how far one round can stray.
paired() { # "traced per-round values" "untraced per-round values"
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, t, " "); split(b, u, " "); m = 0
		for (i = 1; i <= n; i++) if (u[i] > 0) r[++m] = t[i] / u[i]
		if (!m) { print "- -"; exit }
		for (i = 2; i <= m; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { x = r[j]; r[j] = r[j - 1]; r[j - 1] = x }
		printf "%.2f %.2f-%.2f", (m % 2) ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2, r[1], r[m]
	}'
}

pct() { # seconds elapsed
	awk -v s="$1" -v e="$2" 'BEGIN { if (e > 0) printf "%.1f", 100 * s / e; else print "-" }'
}

per_conn() { # seconds connections -> microseconds per connection
	awk -v s="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", 1e6 * s / n; else print "-" }'
}

# Run every configuration once per round, rotating which one goes first.
# Per configuration, space-separated per-run values: TP conn/s, CC churn CPU %,
# TC tracer CPU %, CU churn CPU us/connection, TU tracer CPU us/connection.
declare -A TP CC TC CU TU
declare -a EV_SUMMARY=()
phase() { # rounds label churn-args...
	local rounds=$1 label=$2 r k n=${#CONFIGS[@]} cfg
	shift 2
	for ((r = 0; r < rounds; r++)); do
		for ((k = 0; k < n; k++)); do
			cfg=${CONFIGS[$(((r + k) % n))]}
			run_one "$cfg" "$@"
			printf '  %s round %d/%d %-10s %9s conn/s  churn CPU %5s%%  tracer CPU %5s%%\n' \
				"$label" $((r + 1)) "$rounds" "$cfg" "$R_RATE" \
				"$(pct "$R_CHURN_CPU" "$R_ELAPSED")" \
				"$([[ -n $R_TRACER_CPU ]] && pct "$R_TRACER_CPU" "$R_ELAPSED" || echo -)"
			if [[ -n $R_EVENTS ]]; then
				echo "$R_EVENTS"
			fi
			TP[$cfg]+="$R_RATE "
			CC[$cfg]+="$(pct "$R_CHURN_CPU" "$R_ELAPSED") "
			CU[$cfg]+="$(per_conn "$R_CHURN_CPU" "$R_CONN") "
			if [[ -n $R_TRACER_CPU ]]; then
				TC[$cfg]+="$(pct "$R_TRACER_CPU" "$R_ELAPSED") "
				TU[$cfg]+="$(per_conn "$R_TRACER_CPU" "$R_CONN") "
			fi
		done
	done
}

print_notes() {
	local n
	for n in "${NOTES[@]}"; do
		echo "  note: $n"
	done
}

echo "sockwatch churn benchmark: $(nproc) CPUs, $(uname -r), ${SECS}s per run"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews absolute numbers)"
print_notes
echo
echo "phase 1: as fast as possible, $ROUNDS rounds"
phase "$ROUNDS" max --duration "$SECS"

# shellcheck disable=SC2086 # the accumulated lists are split on purpose
{
	echo
	printf '%-10s %12s %12s %12s %8s %8s %11s\n' config "median/s" "min/s" "max/s" ratio paired \
		"paired range"
	base=$(median ${TP[none]})
	for cfg in "${CONFIGS[@]}"; do
		m=$(median ${TP[$cfg]})
		read -r pmed prange <<<"$(paired "${TP[$cfg]}" "${TP[none]}")"
		printf '%-10s %12s %12s %12s %8s %8s %11s\n' "$cfg" "$m" \
			"$(printf '%s\n' ${TP[$cfg]} | sort -g | head -1)" \
			"$(printf '%s\n' ${TP[$cfg]} | sort -g | tail -1)" \
			"$(ratio "$m" "$base")" "$pmed" "$prange"
	done
	echo "(ratio = traced/untraced median connections/s; paired = median over rounds of"
	echo " each round's traced/untraced ratio, which cancels the drift between rounds;"
	echo " paired range = its lowest and highest round. none-again is untraced too: its"
	echo " paired ratio and range are the noise floor of this machine for this many rounds)"
}

# The interleaved phase: one churn run, windows of IL_WINDOW seconds in the order none,
# tracer 1, none, tracer 2, ..., none. A tracer is started before its window opens and
# stopped after it closes, so its start-up and shutdown fall outside every window. Each
# window's rate comes from churn's --progress samples (every 50 ms), interpolated at the
# window's ends. A traced window is compared with the mean of the untraced windows right
# before and after it, a few seconds apart at most: drift of the machine over minutes,
# which dominates separate runs here, cancels. IL_WARM seconds of churn come first, until
# the namespace's TIME_WAIT table is full (net.ipv4.tcp_max_tw_buckets) and churn is in
# its steady state.
# CPU time of every thread of a process, in ns (schedstat: exact, where utime and stime
# are sampled at ticks and miss a thread that wakes and sleeps between two of them).
task_ns() { # pid
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# One window: "LABEL START_US END_US [TRACER_CPU_NS]" into il.windows.
il_window() { # label [tracer-pid]
	local t0 c0
	[[ -z ${2:-} ]] || c0=$(task_ns "$2")
	t0=${EPOCHREALTIME/[.,]/}
	sleep "$IL_WINDOW"
	echo "$1 $t0 ${EPOCHREALTIME/[.,]/}${2:+ $(($(task_ns "$2") - c0))}" >>"$OUT/il.windows"
	alive "$C_PID" || die "churn exited during the interleaved phase"
}

interleaved() {
	local cfg c k rc=0 lost evs
	local -a traced=() order=()
	local -A lostrec=() lostev=() runs=()

	for cfg in "${CONFIGS[@]}"; do
		[[ $cfg == none* ]] || traced+=("$cfg")
	done
	((${#traced[@]} > 0)) || return 0
	[[ -n ${EPOCHREALTIME:-} ]] || die "the interleaved phase needs bash >= 5.0 (EPOCHREALTIME)"
	echo
	echo "phase 2: interleaved, one churn run, ${IL_WINDOW}s windows ($(printf 'none, %s, ' "${traced[@]}")none) x $IL_CYCLES"
	if ((${#traced[@]} > 1)); then
		echo "  (the tracers' order is reversed every other cycle)"
	fi
	rm -f "$OUT/il.progress" "$OUT/il.windows"
	start_churn --duration 86400 --progress "$OUT/il.progress"
	kill -USR1 "$C_PID"
	sleep "$IL_WARM"
	for ((c = 0; c < IL_CYCLES; c++)); do
		# Every other cycle in reverse: no tracer always follows the same one.
		order=()
		for ((k = 0; k < ${#traced[@]}; k++)); do
			if ((c % 2)); then
				order+=("${traced[${#traced[@]} - 1 - k]}")
			else
				order+=("${traced[k]}")
			fi
		done
		for cfg in "${order[@]}"; do
			il_window none
			start_tracer "$cfg" "$C_INO" "$OUT/il-events.jsonl"
			if [[ $cfg == sockwatch* ]]; then
				sleep "$IL_TRACER_SETTLE"
			fi
			il_window "$cfg" "$T_PID"
			alive "$T_PID" || die "$cfg exited during its window: $(cat "$OUT/$cfg.err")"
			stop_pid "$T_PID"
			if [[ $cfg == sockwatch* ]]; then
				read -r lost evs <<<"$(lost_in "$OUT/il-events.jsonl")"
				lostrec[$cfg]=$((${lostrec[$cfg]:-0} + lost))
				lostev[$cfg]=$((${lostev[$cfg]:-0} + evs))
				runs[$cfg]=$((${runs[$cfg]:-0} + 1))
				if ((lost > 0)); then
					echo "  $cfg run ${runs[$cfg]}: lost records:"
					grep "\"event\": *\"lost\"" "$OUT/il-events.jsonl" | sed 's/^/    /'
					sed 's/^/    /' "$OUT/$cfg.err"
				fi
			fi
		done
	done
	il_window none
	kill -TERM "$C_PID"
	wait "$C_PID" || rc=$?
	forget "$C_PID"
	[[ $rc -eq 0 ]] || die "churn failed (exit $rc) in the interleaved phase"

	awk -v per_window=1 -v a=sockwatch -v b=sockwatch-b -f "$SRC_DIR/interleave.awk" \
		"$OUT/il.progress" "$OUT/il.windows"
	for cfg in "${traced[@]}"; do
		if [[ -n ${runs[$cfg]:-} ]]; then
			echo "$cfg in this phase: ${runs[$cfg]} runs, lost records ${lostrec[$cfg]} (${lostev[$cfg]} events)"
		fi
	done
}

if ((IL_CYCLES > 0)); then
	interleaved
fi

if ((RATE > 0)); then
	TP=() CC=() TC=() CU=() TU=()
	echo
	echo "phase 3: fixed rate ${RATE}/s, $RATE_ROUNDS rounds"
	phase "$RATE_ROUNDS" rate --rate "$RATE" --duration "$SECS"
	# shellcheck disable=SC2086 # the accumulated lists are split on purpose
	{
		echo
		printf '%-10s %10s %10s %10s %11s %11s %12s %12s\n' config "achieved/s" \
			"churn CPU%" "+vs none" "tracer CPU%" "churn us/c" "+vs none" "tracer us/c"
		base=$(median ${CC[none]})
		base_u=$(median ${CU[none]})
		for cfg in "${CONFIGS[@]}"; do
			cc=$(median ${CC[$cfg]})
			cu=$(median ${CU[$cfg]})
			tc=- tu=-
			if [[ -n ${TC[$cfg]:-} ]]; then
				tc=$(median ${TC[$cfg]})
				tu=$(median ${TU[$cfg]})
			fi
			achieved=$(median ${TP[$cfg]})
			printf '%-10s %10s %10s %10s %11s %11s %12s %12s%s\n' "$cfg" "$achieved" \
				"$cc" "$(awk -v a="$cc" -v b="$base" 'BEGIN { printf "%+.1f", a - b }')" \
				"$tc" "$cu" "$(awk -v a="$cu" -v b="$base_u" 'BEGIN { printf "%+.1f", a - b }')" \
				"$tu" "$(awk -v a="$achieved" -v r="$RATE" 'BEGIN { if (a < 0.95 * r) print "  (rate not reached)" }')"
		done
		echo "(medians; CPU% = percent of one core; us/c = CPU microseconds per connection."
		echo " churn CPU includes the in-kernel cost of the tracers' BPF programs, which run"
		echo " in churn's context; tracer CPU is the user-space consumer. Where the rate was"
		echo " not reached, compare us/c rather than CPU%.)"
	}
fi

if ((${#EV_SUMMARY[@]} > 0)); then
	echo
	echo "sockwatch events, all runs (expected: connect = accept = N, close = 2N, lost = 0):"
	printf '  %-11s %10s %10s %10s %10s %8s %12s\n' config N connect accept close lost "lost events"
	for s in "${EV_SUMMARY[@]}"; do
		# shellcheck disable=SC2086 # a name and six numbers, split on purpose
		printf '  %-11s %10s %10s %10s %10s %8s %12s\n' $s
	done
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# how sockwatch attached (mode, state hook, accept exits): numbers depend on it
for cfg in sockwatch sockwatch-b; do
	if [[ -s $OUT/$cfg.err ]] && line=$(grep -m1 '^sockwatch: tracing' "$OUT/$cfg.err"); then
		NOTES+=("$cfg: ${line#sockwatch: }")
	fi
done
print_notes
