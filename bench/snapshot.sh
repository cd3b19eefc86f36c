#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Benchmark of the live view (root): snapshot time and idle CPU with 20k established sockets, vs ss.
# Usage: bench/snapshot.sh [BUILD_DIR] [CONNECTIONS]   (each connection is two established sockets)
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
exec {HOLD}>"$TMP/in"
for _ in $(seq 1200); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
[ -e "$TMP/ready" ] || { echo "helper did not open $CONNS connections" >&2; exit 1; }
EST=$(ip netns exec "$NS" ss -tanH state established | wc -l)
echo "established sockets in the bench netns: $EST"

# best of N wall-clock seconds of a command
best_of() {
	local n=$1 best=999999 t0 t1 dt; shift
	for _ in $(seq "$n"); do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		dt=$(((t1 - t0) / 1000))
		[ "$dt" -lt "$best" ] && best=$dt
	done
	echo "$best"
}

SW_US=$(best_of 5 "$SW" top --once --netns "$NSINO")
SWALL_US=$(best_of 5 "$SW" top --once)
SS_US=$(best_of 5 ip netns exec "$NS" ss -tanp)
ROWS=$("$SW" top --once --netns "$NSINO" | tail -n +2 | wc -l)
printf 'snapshot: sockwatch top --once (netns filter) %.3f s (%d rows), all netns %.3f s; ss -tanp %.3f s; ratio sw/ss %.2f\n' \
	"$(echo "$SW_US / 1000000" | bc -l)" "$ROWS" "$(echo "$SWALL_US / 1000000" | bc -l)" \
	"$(echo "$SS_US / 1000000" | bc -l)" "$(echo "$SW_US / $SS_US" | bc -l)"

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
