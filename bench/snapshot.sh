#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Benchmark of the live view (root): snapshot time and idle CPU with 20k established sockets, vs ss.
# Usage: bench/snapshot.sh [BUILD_DIR] [CONNECTIONS]   (each connection is two established sockets)
# Environment: RUNS (default 7) timed runs of each command; SNAPSHOT_ONLY=1 skips the idle-CPU part.
set -eu

BUILD=${1:-build}
CONNS=${2:-10000}
SW=$(realpath "$BUILD/sockwatch")
HERE=$(cd "$(dirname "$0")" && pwd)
NS=swbench_$$
TMUX_S=swbench_$$
TMP=$(mktemp -d)
IDLE_S=${IDLE_S:-30}
HZ=$(getconf CLK_TCK)
HELPER=

cleanup() {
	tmux kill-session -t "$TMUX_S" 2>/dev/null || true
	tmux kill-session -t "${TMUX_S}_w" 2>/dev/null || true
	[ -n "$HELPER" ] && kill "$HELPER" 2>/dev/null
	wait 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
NSINO=$(stat -Lc %i "/run/netns/$NS")
mkfifo "$TMP/in"
ip netns exec "$NS" python3 "$HERE/../tests/cli/hold_conns.py" --conns "$CONNS" \
	--port-base 40001 --procs 4 --ready "$TMP/ready" <"$TMP/in" >/dev/null &
HELPER=$!
# shellcheck disable=SC2034 # the fd stays open for the helper: closing it ends the helper
exec {HOLD}>"$TMP/in"
for _ in $(seq 1200); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
[ -e "$TMP/ready" ] || { echo "helper did not open $CONNS connections" >&2; exit 1; }
EST=$(ip netns exec "$NS" ss -tanH state established | wc -l)
echo "established sockets in the bench netns: $EST"

# Wall-clock microseconds of one run of a command.
time_us() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
sec() { echo "$1 / 1000000" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }

# Best of RUNS, the commands interleaved so that load from other users of the
# machine hits them alike.
RUNS=${RUNS:-7}
declare -A BEST
CMDS=(auto tracepoint diag all ss)
run_cmd() {
	case $1 in
	auto) time_us "$SW" top --once --netns "$NSINO" ;;
	tracepoint) time_us "$SW" top --once --netns "$NSINO" --attach tracepoint ;;
	diag) time_us "$SW" top --once --netns "$NSINO" --snapshot diag ;;
	all) time_us "$SW" top --once ;;
	ss) time_us ip netns exec "$NS" ss -tanp ;;
	esac
}
for _ in $(seq "$RUNS"); do
	for c in "${CMDS[@]}"; do
		us=$(run_cmd "$c")
		if [ -z "${BEST[$c]:-}" ] || [ "$us" -lt "${BEST[$c]}" ]; then BEST[$c]=$us; fi
	done
done
ROWS=$("$SW" top --once --netns "$NSINO" | tail -n +2 | wc -l)
printf 'snapshot (best of %d, interleaved; %d rows): ss -tanp %.3f s\n' "$RUNS" "$ROWS" "$(sec "${BEST[ss]}")"
printf '  sockwatch top --once (netns filter), --attach auto      %.3f s  ratio sw/ss %.2f\n' \
	"$(sec "${BEST[auto]}")" "$(ratio "${BEST[auto]}" "${BEST[ss]}")"
printf '  sockwatch top --once (netns filter), --attach tracepoint %.3f s  ratio sw/ss %.2f\n' \
	"$(sec "${BEST[tracepoint]}")" "$(ratio "${BEST[tracepoint]}" "${BEST[ss]}")"
printf '  sockwatch top --once (netns filter), --snapshot diag     %.3f s  ratio sw/ss %.2f\n' \
	"$(sec "${BEST[diag]}")" "$(ratio "${BEST[diag]}" "${BEST[ss]}")"
printf '  sockwatch top --once, all namespaces                     %.3f s\n' "$(sec "${BEST[all]}")"
[ -n "${SNAPSHOT_ONLY:-}" ] && exit 0

# CPU ticks (utime+stime, plus waited-for children) of a process and its live descendants
ticks() {
	local t kid
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0)
	for kid in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		t=$((t + $(ticks "$kid")))
	done
	echo "$t"
}

tmux new-session -d -s "$TMUX_S" -x 200 -y 50 "$SW top --netns $NSINO"
for _ in $(seq 100); do
	tmux capture-pane -p -t "$TMUX_S" | grep -q '^sockwatch ' && break
	sleep 0.1
done
sleep 2
VPID=$(tmux list-panes -t "$TMUX_S" -F '#{pane_pid}')
A=$(ticks "$VPID")
sleep "$IDLE_S"
B=$(ticks "$VPID")
tmux kill-session -t "$TMUX_S"

tmux new-session -d -s "${TMUX_S}_w" -x 200 -y 50 "ip netns exec $NS watch -n1 ss -tanp"
sleep 2
WPID=$(tmux list-panes -t "${TMUX_S}_w" -F '#{pane_pid}')
C=$(ticks "$WPID")
sleep "$IDLE_S"
D=$(ticks "$WPID")
tmux kill-session -t "${TMUX_S}_w"

VIEW=$(echo "($B - $A) * 100 / $HZ / $IDLE_S" | bc -l)
WATCH=$(echo "($D - $C) * 100 / $HZ / $IDLE_S" | bc -l)
printf 'idle cpu over %d s: sockwatch top %.2f%% of a core; watch -n1 ss -tanp %.2f%%; ratio %.3f\n' \
	"$IDLE_S" "$VIEW" "$WATCH" "$(echo "($B - $A + 0.0001) / ($D - $C + 0.0001)" | bc -l)"
