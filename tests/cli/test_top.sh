#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Integration tests of `sockwatch top` (root): --once against ss, a 5 ms connection, tmux-driven keys.
# Usage: tests/cli/test_top.sh [BUILD_DIR]; prints TAP, exits non-zero on failure.
# SW_NETNS_PREFIX names the network namespace it makes (default swtop_PID).
set -u

BUILD=${1:-build}
SW=$(realpath "$BUILD/sockwatch")
HERE=$(cd "$(dirname "$0")" && pwd)
NS=${SW_NETNS_PREFIX:-swtop_$$}
TMUX_S=swtop_$$
TMP=$(mktemp -d)
PIDS=()

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lib.sh"

cleanup() {
	tmux kill-server 2>/dev/null
	tmux kill-session -t "$TMUX_S" 2>/dev/null
	tmux kill-session -t "${TMUX_S}_s" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

need_root
need_tools tmux ss jq python3 ip

netns_up "$NS" || exit 1
NSINO=$(netns_ino "$NS")
tmux_keep || exit 1

# --- 1. --once lists exactly what ss -tanp lists in the namespace -------------
hold big --listeners 150 --v6-listeners 20 --conns 300 --port-base 30000 ||
	not_ok "helper opened its sockets"

canon_ss() { ip netns exec "$NS" ss -tanpH | canon_ss_rows; }
canon_sw() { "$SW" top --once --json --netns "$NSINO" | canon_sw_rows; }
canon_ss >"$TMP/ss.txt"
canon_sw >"$TMP/sw.txt"
if [ "$(wc -l <"$TMP/ss.txt")" -ge 771 ] && diff -u "$TMP/ss.txt" "$TMP/sw.txt" >"$TMP/diff.txt"; then
	ok "--once lists exactly the $(wc -l <"$TMP/ss.txt") sockets ss -tanp lists (4-tuple, state, pid)"
else
	not_ok "--once lists exactly what ss -tanp lists" "$(head -20 "$TMP/diff.txt"; wc -l "$TMP/ss.txt" "$TMP/sw.txt")"
fi
# --- 1b. byte counts: payload only, the peer's FIN not counted (as close events count) --
# A connection with 1234 bytes one way and 567 the other, then a half-close by the
# client: the server's socket is in CLOSE_WAIT, having taken the client's FIN, which the
# kernel counts as one more byte received; the client's is in FIN_WAIT2.
mkfifo "$TMP/in.fin"
ip netns exec "$NS" python3 -c '
import socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
c.sendall(b"x" * 1234); s.sendall(b"y" * 567); c.shutdown(socket.SHUT_WR)
got = 0
while True:
    d = s.recv(65536)
    if not d: break
    got += len(d)
while got < 1234 + 567:
    got += len(c.recv(65536))
open(sys.argv[1], "w").write("%d\n" % l.getsockname()[1])
sys.stdin.read()
' "$TMP/fin.port" <"$TMP/in.fin" &
PIDS+=($!)
exec {FIN_FD}>"$TMP/in.fin"
for _ in $(seq 200); do [ -s "$TMP/fin.port" ] && break; sleep 0.05; done
FIN_PORT=$(cat "$TMP/fin.port" 2>/dev/null)
for src in diag iter; do
	"$SW" top --once --json --snapshot "$src" --netns "$NSINO" >"$TMP/fin.$src.json" 2>"$TMP/fin.$src.err"
	check "--snapshot $src: CLOSE_WAIT side received 1234 payload bytes (its peer's FIN not counted), sent 567" \
		jq -s -e --argjson p "${FIN_PORT:-0}" 'map(select(.state == "CLOSE_WAIT" and .lport == $p)) |
			length == 1 and .[0].bytes_received == 1234 and .[0].bytes_sent == 567' \
		"$TMP/fin.$src.json" >/dev/null
	check "--snapshot $src: FIN_WAIT2 side sent 1234, received 567" \
		jq -s -e --argjson p "${FIN_PORT:-0}" 'map(select(.state == "FIN_WAIT2" and .rport == $p)) |
			length == 1 and .[0].bytes_sent == 1234 and .[0].bytes_received == 567' \
		"$TMP/fin.$src.json" >/dev/null
done
exec {FIN_FD}>&-

"$SW" top --once --netns "$NSINO" >"$TMP/once.txt"
check "--once text has netstat-like header" grep -q '^PROTO STATE *LOCAL *REMOTE *PID/PROGRAM *USER *NETNS' "$TMP/once.txt"
check "--once text shows the netns column for a non-host netns" grep -q "python3 *root *$NSINO" "$TMP/once.txt"
check "--json output is valid JSON per line" bash -c "'$SW' top --once --json --netns $NSINO | jq -e . >/dev/null"

# The live-view tests below want a screenful, not 800 rows.
eval "exec {HOLD_FD_big}>&-"
wait "${PIDS[0]}"

# --- tmux helpers -----------------------------------------------------------
start_view() { # start_view SESSION ARGS...
	local s=$1; shift
	tmux new-session -d -s "$s" -x 220 -y 50 \
		"$SW top --netns $NSINO $*; echo EXITED \$?; sleep 120"
	wait_screen "$s" '^sockwatch ' 5000
}
rows() { screen "$1" | tail -n +4 | grep -v '^ *$'; }

# --- 2. a connection opened and closed within 5 ms appears --------------------
S2=${TMUX_S}_s
cc -O2 -o "$TMP/short_conn" "$HERE/short_conn.c" || not_ok "build short_conn"
if start_view "$S2" --ghost 10 --port 31999; then
	dur=$(ip netns exec "$NS" "$TMP/short_conn" 31999)
	if awk "BEGIN { exit !($dur < 5) }" &&
		wait_screen "$S2" "CLOSE +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:31999 " 1000; then
		ok "a connection that lived ${dur} ms appears in the live view"
	else
		not_ok "a connection that lived ${dur} ms appears in the live view" "$(screen "$S2" | head -12)"
	fi
	tmux kill-session -t "$S2"
else
	not_ok "live view starts" "$(screen "$S2")"
fi

# --- 2b. a close the kernel never delivered is inferred on a quiet view --------
# The view's filters let nothing through (one idle process), so no event ever wakes
# it: the sweep must still run. socks_map lose points the tracer's entries of that
# process's sockets at no socket, as a CLOSE transition the kernel skipped leaves
# them; only the sweep (2-4 s) can then close the rows.
cc -O2 -I "$HERE/../../include" -o "$TMP/socks_map" "$HERE/socks_map.c" || not_ok "build socks_map"
hold quiet --listeners 1 --conns 1 --port-base 32300 || not_ok "helper opened its sockets"
QPID=${PIDS[-1]}
if start_view "$S2" --ghost 60 -p "$QPID" &&
	wait_screen "$S2" 'ESTABLISHED +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:32299 ' 2000; then
	TOP_PID=$(pgrep -P "$(tmux display -p -t "$S2" '#{pane_pid}')" -x sockwatch)
	# Paused, with no ghost to expire, nothing else has the view wake at all.
	tmux send-keys -t "$S2" ' '
	wait_screen "$S2" '\[PAUSED\]' 1000
	lost=$("$TMP/socks_map" lose "${TOP_PID:-0}" "$QPID")
	# four sockets: two listeners (one the connection's server), the connection's two ends
	if [ "$lost" = 4 ] &&
		wait_screen "$S2" ' closed 4( |$)' 7000 &&
		tmux send-keys -t "$S2" ' ' && wait_screen "$S2" '^- tcp ' 1000 &&
		! rows "$S2" | grep -Eq ' (ESTABLISHED|LISTEN) '; then
		ok "with no event to wake it, the live view infers lost closes (sweep ran)"
	else
		not_ok "with no event to wake it, the live view infers lost closes" \
			"$(echo "socks_map lose: $lost"; screen "$S2" | head -8)"
	fi
	tmux kill-session -t "$S2"
else
	not_ok "live view starts with -p" "$(screen "$S2")"
fi
eval "exec {HOLD_FD_quiet}>&-"

# --- 2d. SIGHUP (the terminal closed) ends the view as SIGTERM does: status 0 ------
if start_view "$S2"; then
	TOP_PID=$(pgrep -P "$(tmux display -p -t "$S2" '#{pane_pid}')" -x sockwatch)
	[ -n "$TOP_PID" ] && kill -HUP "$TOP_PID"
	check "SIGHUP ends the live view with status 0, as SIGTERM does" \
		wait_screen "$S2" '^EXITED 0$' 3000
	tmux kill-session -t "$S2"
else
	not_ok "live view starts" "$(screen "$S2")"
fi

# --- 2c. -p, --comm: sockets older than the view that close while it starts --
# gdb stops the view at its first seed of an owner into the tracer's map; meanwhile a
# process closes its listener and ten connections (and lives on). Until then those
# sockets had no entry, so their closes carry no owner: the pid filter (in the kernel)
# and the comm filter (in user space) must not drop them, and the entries seeded for
# sockets already closed must not stay behind. With a sock_diag snapshot the map has
# no socket addresses, so no sweep can make up for it.
hold bystander --listeners 1 --port-base 32500 || not_ok "helper opened its sockets"
BPID=${PIDS[-1]}
# early_closes TAG FILTER...: the scenario above, the view filtered by FILTER (where
# the word EPID stands for the closing process's pid)
early_closes() {
	local tag=$1 args=() a; shift
	rm -f "$TMP/early" "$TMP/early.closed" "$TMP/in.early"
	mkfifo "$TMP/in.early"
	ip netns exec "$NS" python3 -c '
import ctypes, signal, socket, sys
ctypes.CDLL(None).prctl(15, b"sw_early", 0, 0, 0)  # PR_SET_NAME: what --comm selects
l = socket.socket(); l.bind(("127.0.0.1", 32400)); l.listen()
held = [l]
for _ in range(10):
    c = socket.create_connection(("127.0.0.1", 32400)); s, _ = l.accept(); held += [c, s]
def shut(*_):
    for x in held: x.close()
    open(sys.argv[1] + ".closed", "w").close()
signal.signal(signal.SIGUSR1, shut)
open(sys.argv[1], "w").close()
sys.stdin.read()
' "$TMP/early" <"$TMP/in.early" &
	EPID=$!
	PIDS+=("$EPID")
	exec {EARLY_FD}>"$TMP/in.early"
	for _ in $(seq 200); do [ -e "$TMP/early" ] && break; sleep 0.05; done
	for a in "$@"; do args+=("${a/EPID/$EPID}"); done
	tmux new-session -d -s "$S2" -x 220 -y 50 \
		"gdb -q -batch -ex 'set confirm off' -ex 'break sw_tracer_seed_sock' \
			-ex 'run top --netns $NSINO ${args[*]} --snapshot diag --ghost 60' -ex delete \
			-ex 'shell kill -USR1 $EPID; while [ ! -e $TMP/early.closed ]; do sleep 0.05; done; sleep 0.5' \
			-ex continue --args $SW; echo EXITED \$?; sleep 120" {EARLY_FD}>&-
	# 21 sockets: the listener, the ten connections' two ends
	if wait_screen "$S2" '^sockwatch .* closed 21( |$)' 15000 &&
		! rows "$S2" | grep -Eq ' (ESTABLISHED|LISTEN|CLOSE_WAIT|LAST_ACK) '; then
		ok "$tag: sockets that close before their owners are seeded close their rows"
	else
		not_ok "$tag: sockets that close before their owners are seeded close their rows" \
			"$(screen "$S2" | head -8)"
	fi
	GDB_PID=$(pgrep -P "$(tmux display -p -t "$S2" '#{pane_pid}')" -x gdb)
	TOP_PID=$(pgrep -P "${GDB_PID:-0}" -x sockwatch)
	left=$("$TMP/socks_map" count "${TOP_PID:-0}" "$EPID")
	check "$tag: no entry seeded for a socket already closed stays in the map (${left:-?} left)" \
		test "${left:-x}" = 0
	# a process the filter excludes gets no entries: they would only take LRU room
	left=$("$TMP/socks_map" count "${TOP_PID:-0}" "$BPID")
	check "$tag: no entry seeded for another process's socket (${left:-?})" test "${left:-x}" = 0
	tmux kill-session -t "$S2"
	exec {EARLY_FD}>&-
}
if ! command -v gdb >/dev/null; then
	ok "pre-existing sockets closing during start-up (-p, --comm) # SKIP gdb missing"
else
	early_closes "-p" -p EPID
	early_closes "--comm" --comm sw_early
fi
eval "exec {HOLD_FD_bystander}>&-"

# --- 2d. -p WORKER, --comm: sockets a prefork server's workers share with its master ----
# The master listens on 32600 and holds a connection to itself (both ends), then forks
# two workers, which inherit the three sockets and rename themselves; the snapshot lists
# the master first. Each worker holds them as much as the master does: -p and --comm must
# select them, shown as the selected worker's (+2 for the other holders), and their
# later events must pass the pid filter (the seeded owner is the worker).
rm -f "$TMP/prefork"
mkfifo "$TMP/in.prefork"
ip netns exec "$NS" python3 -c '
import ctypes, os, signal, socket, sys
def name(n): ctypes.CDLL(None).prctl(15, n, 0, 0, 0)  # PR_SET_NAME
name(b"sw_master")
l = socket.socket(); l.bind(("127.0.0.1", 32600)); l.listen()
c = socket.create_connection(("127.0.0.1", 32600)); s, _ = l.accept()
workers = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        name(b"sw_worker")
        signal.signal(signal.SIGUSR1, lambda *_: s.shutdown(socket.SHUT_WR))
        while True: signal.pause()
    workers.append(pid)
open(sys.argv[1], "w").write(" ".join(map(str, workers)))
sys.stdin.read()
for w in workers: os.kill(w, signal.SIGKILL)
' "$TMP/prefork" <"$TMP/in.prefork" &
PIDS+=($!)
exec {PREFORK_FD}>"$TMP/in.prefork"
for _ in $(seq 200); do [ -s "$TMP/prefork" ] && break; sleep 0.05; done
read -r _ W2 <"$TMP/prefork"
# shared_rows FILTER...: the rows on port 32600 that --once --json gives, as "pid comm owners state"
shared_rows() {
	"$SW" top --once --json --netns "$NSINO" "$@" |
		jq -r 'select(.lport == 32600 or .rport == 32600) | "\(.pid) \(.comm) \(.owners) \(.state)"' |
		sort
}
want=$(printf '%s sw_worker 3 %s\n' "${W2:-0}" ESTABLISHED "${W2:-0}" ESTABLISHED "${W2:-0}" LISTEN)
got=$(shared_rows -p "${W2:-0}")
if [ "$got" = "$want" ]; then
	ok "-p WORKER lists the three sockets it shares with its master and the other worker, as its own (owners 3)"
else
	not_ok "-p WORKER lists the sockets it shares with its master" "$(echo "want:"; echo "$want"; echo "got:"; echo "$got")"
fi
got=$(shared_rows --comm sw_worker)
n=$(awk '$2 == "sw_worker" && $3 == 3' <<<"$got" | wc -l)
if [ "$n" = 3 ] && [ "$(wc -l <<<"$got")" = 3 ]; then
	ok "--comm sw_worker lists them too, as a worker's"
else
	not_ok "--comm sw_worker lists them too, as a worker's" "$got"
fi
# (the tmux server must not hold the master's stdin: closing it ends the master)
if start_view "$S2" --ghost 60 -p "${W2:-0}" {PREFORK_FD}>&- &&
	wait_screen "$S2" "LISTEN +127\.0\.0\.1:32600 .* ${W2:-0}/sw_worker \+2 " 2000; then
	# the worker half-closes the shared accepted socket: its transitions carry the worker
	kill -USR1 "${W2:-0}"
	if wait_screen "$S2" "FIN_WAIT2 +127\.0\.0\.1:32600 .* ${W2:-0}/sw_worker \+2 " 2000 &&
		wait_screen "$S2" "CLOSE_WAIT +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:32600 " 1000; then
		ok "-p WORKER live: the shared sockets' later transitions pass the pid filter"
	else
		not_ok "-p WORKER live: the shared sockets' later transitions pass the pid filter" \
			"$(screen "$S2" | head -8)"
	fi
else
	not_ok "-p WORKER live view shows the shared listener as the worker's" "$(screen "$S2" | head -8)"
fi
tmux kill-session -t "$S2"
exec {PREFORK_FD}>&-

# --- 2e. paused, the header is redrawn whole: nothing of a longer one stays -----------
# Three listeners close while the view is paused: the header's first line loses
# "LISTEN 3" and gets shorter; the rest of the old line must not stay on the screen.
hold pausehdr --listeners 3 --port-base 32710 || not_ok "helper opened its sockets"
PHPID=${PIDS[-1]}
# shellcheck disable=SC2154 # HOLD_FD_pausehdr: set by hold
if start_view "$S2" --ghost 60 -p "$PHPID" {HOLD_FD_pausehdr}>&- &&
	wait_screen "$S2" '^sockwatch  3 sockets: ESTABLISHED 0 LISTEN 3  closed 0$' 2000; then
	tmux send-keys -t "$S2" ' '
	wait_screen "$S2" '\[PAUSED\]' 1000
	eval "exec {HOLD_FD_pausehdr}>&-"
	if wait_screen "$S2" '^sockwatch  0 sockets: ESTABLISHED 0  closed 3$' 3000; then
		ok "paused, a shorter header leaves nothing of the longer one behind"
	else
		not_ok "paused, a shorter header leaves nothing of the longer one behind" \
			"$(screen "$S2" | head -3)"
	fi
else
	not_ok "live view starts with the three listeners" "$(screen "$S2" | head -5)"
	eval "exec {HOLD_FD_pausehdr}>&-"
fi
tmux kill-session -t "$S2"

# --- 2f. no usable terminal type: one line and exit 2, before anything is attached ------
# On a terminal (script gives a pty), TERM unset, unknown or without cursor addressing
# (dumb): ncurses' initscr() would print its own message and exit 1, and only after the
# tracer was attached and the snapshot taken. No bpf() call may happen first.
if ! command -v script >/dev/null || ! command -v strace >/dev/null; then
	ok "no usable TERM: one line, exit 2 # SKIP script or strace missing"
else
	for t in unset nosuchterm dumb; do
		if [ "$t" = unset ]; then envs="-u TERM"; else envs="TERM=$t"; fi
		out=$(timeout 20 script -qec "env $envs strace -f -qq -e trace=bpf -o '$TMP/term.strace' \
			'$SW' top; echo EXIT \$?" /dev/null </dev/null | tr -d '\r')
		case $t in
		unset) want="TERM is not set" ;;
		nosuchterm) want="cannot use TERM 'nosuchterm', a type the terminfo database does not have" ;;
		dumb) want="cannot use TERM 'dumb', a terminal that cannot move the cursor" ;;
		esac
		if [ "$(grep -c . <<<"$out")" = 2 ] &&
			grep -q "^sockwatch: the live view .*$want.*: set TERM to the terminal's type (e.g. TERM=xterm-256color) or use --once$" <<<"$out" &&
			grep -qx 'EXIT 2' <<<"$out" && ! grep -q 'bpf(' "$TMP/term.strace"; then
			ok "TERM $t: one line naming the cause and what to do, exit 2, nothing attached"
		else
			not_ok "TERM $t: one line naming the cause and what to do, exit 2, nothing attached" \
				"$(echo "$out"; grep -c 'bpf(' "$TMP/term.strace") bpf() calls"
		fi
	done
fi

# --- 2g. lost events: the view takes the snapshot again, closed sockets go -------
# The view holds 2000 connections; stopped, it reads nothing while 30,000 connections
# churn (their records fill its ring buffer), then the 2000 close and a listener opens:
# every record of those is lost, and the kernel deletes their socket-map entries all
# the same (no sweep can tell). Once it runs again, the view reports the loss, takes
# the snapshot again and reconciles: only the new listener is left.
cc -O2 -pthread -o "$TMP/churn" "$HERE/../../bench/churn.c" || not_ok "build churn"
hold stale --conns 2000 --port-base 32760 || not_ok "helper opened its sockets"
SPID=${PIDS[-1]}
# (the tmux server this starts must not hold the helper's stdin open)
# shellcheck disable=SC2154 # HOLD_FD_stale: set by hold
if start_view "$S2" --ghost 60 {HOLD_FD_stale}>&- &&
	wait_screen "$S2" '^sockwatch +4001 sockets: ESTABLISHED 4000 LISTEN 1 ' 10000; then
	TOP_PID=$(pgrep -P "$(tmux display -p -t "$S2" '#{pane_pid}')" -x sockwatch)
	kill -STOP "$TOP_PID"
	ip netns exec "$NS" "$TMP/churn" --count 30000 >/dev/null
	eval "exec {HOLD_FD_stale}>&-"
	for _ in $(seq 200); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
	hold fresh --listeners 1 --port-base 32750 || not_ok "helper opened its listener"
	kill -CONT "$TOP_PID"
	# (the closed rows fill the screen: the new listener is looked for with a filter)
	if wait_screen "$S2" '^sockwatch +1 sockets: ESTABLISHED 0 LISTEN 1 ' 10000 &&
		wait_screen "$S2" '^listeners 1 +new/s [0-9.]+ +events lost [1-9][0-9]* ' 1000 &&
		! rows "$S2" | grep -Eq ' (ESTABLISHED|CLOSE_WAIT|FIN_WAIT[12]) ' &&
		tmux send-keys -t "$S2" / 32750 Enter &&
		wait_screen "$S2" '^  tcp +LISTEN +127\.0\.0\.1:32750 ' 1000; then
		ok "after lost events the view resyncs: 4001 closed sockets go, a missed listener comes"
	else
		not_ok "after lost events the view resyncs: 4001 closed sockets go, a missed listener comes" \
			"$(screen "$S2" | head -8)"
	fi
	tmux kill-session -t "$S2"
	eval "exec {HOLD_FD_fresh}>&-"
else
	not_ok "live view starts with 2000 connections" "$(screen "$S2" | head -5)"
	eval "exec {HOLD_FD_stale}>&-"
fi

# --- 3. UI: new listener and connection within a second, keys ----------------
hold sorted --listeners 10 --port-base 32010
if ! start_view "$TMUX_S"; then
	not_ok "live view starts" "$(screen "$TMUX_S")"
	echo "1..$N"; exit 1
fi
check "header is drawn" wait_screen "$TMUX_S" '^listeners [0-9]+ +new/s' 1000
# TIME_WAIT sockets left by the first test are shown dimmed for the ghost time.
check "closed rows from the snapshot expire" wait_screen "$TMUX_S" ' closed 0$' 5000

t0=$(now_ms)
hold new --listeners 1 --conns 1 --port-base 32001
if wait_screen "$TMUX_S" 'LISTEN +127\.0\.0\.1:32001 ' 1000 &&
	wait_screen "$TMUX_S" 'ESTABLISHED +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:32000 ' 1000; then
	ok "new listener and new connection appear within a second ($(($(now_ms) - t0)) ms)"
else
	not_ok "new listener and new connection appear within a second" "$(screen "$TMUX_S" | head)"
fi

# Sorting: the default is LOCAL ascending; '2' reverses it; '4' sorts by pid.
local_ports() { rows "$TMUX_S" | cut -c3- | awk '{ n = split($3, a, ":"); print a[n] }'; }
local_ports >"$TMP/asc"
if screen "$TMUX_S" | grep -q 'LOCAL+' && sort -n -c "$TMP/asc" 2>/dev/null; then
	ok "rows are sorted by local address by default"
else
	not_ok "rows are sorted by local address by default" "$(head "$TMP/asc")"
fi
tmux send-keys -t "$TMUX_S" 2
wait_screen "$TMUX_S" 'LOCAL-' 1000
local_ports >"$TMP/desc"
check "'2' reverses the local-address sort" sort -n -r -c "$TMP/desc"
tmux send-keys -t "$TMUX_S" 4
check "'4' sorts by pid (header marks PID/PROGRAM)" wait_screen "$TMUX_S" 'PID/PROGRAM\+' 1000
tmux send-keys -t "$TMUX_S" 2

# Filter: '/' then a port shows only rows with that port.
tmux send-keys -t "$TMUX_S" / 32015 Enter
if wait_screen "$TMUX_S" 'filter: 32015' 1000 && [ "$(rows "$TMUX_S" | wc -l)" -ge 1 ] &&
	! rows "$TMUX_S" | grep -vq ':32015 '; then
	ok "'/32015' filter shows only rows with port 32015"
else
	not_ok "'/32015' filter shows only rows with port 32015" "$(screen "$TMUX_S" | head)"
fi
tmux send-keys -t "$TMUX_S" / python Enter
if wait_screen "$TMUX_S" 'filter: python' 1000 && ! rows "$TMUX_S" | grep -vq 'python3'; then
	ok "'/python' filter matches by comm"
else
	not_ok "'/python' filter matches by comm" "$(screen "$TMUX_S" | head)"
fi
tmux send-keys -t "$TMUX_S" / Enter

# Listeners only.
tmux send-keys -t "$TMUX_S" l
if wait_screen "$TMUX_S" '\[listeners\]' 1000 && ! rows "$TMUX_S" | grep -vq ' LISTEN '; then
	ok "'l' shows listeners only"
else
	not_ok "'l' shows listeners only" "$(screen "$TMUX_S" | head)"
fi
tmux send-keys -t "$TMUX_S" l

# Names: port 22 has a name in /etc/services; the filter keeps the screen small.
hold named --listeners 1 --port-base 22
tmux send-keys -t "$TMUX_S" / 22 Enter n
check "'n' shows service names (127.0.0.1:ssh)" wait_screen "$TMUX_S" '127\.0\.0\.1:ssh ' 1000
tmux send-keys -t "$TMUX_S" n / Enter

# Pause: a listener opened while paused is not drawn until space again.
tmux send-keys -t "$TMUX_S" ' '
wait_screen "$TMUX_S" '\[PAUSED\]' 1000
hold paused --listeners 1 --port-base 32100
sleep 1
if screen "$TMUX_S" | grep -q ':32100 '; then
	not_ok "space pauses the display"
else
	ok "space pauses the display"
fi
tmux send-keys -t "$TMUX_S" ' '
check "space again resumes and shows what happened meanwhile" \
	wait_screen "$TMUX_S" 'LISTEN +127\.0\.0\.1:32100 ' 1000

# Hostile process name: escape sequences are shown escaped, never executed.
hold evil --listeners 1 --port-base 32200 --name '\x1b[2J\x1b]0;pwn\x07'
if wait_screen "$TMUX_S" ':32200 .*/\\x1b\[2J\\x1b\]0;' 1000 &&
	screen "$TMUX_S" | head -1 | grep -q '^sockwatch ' &&
	screen "$TMUX_S" | sed -n 3p | grep -q 'PROTO' &&
	[ "$(tmux display -p -t "$TMUX_S" '#{pane_title}')" != pwn ]; then
	ok "a hostile process name is shown escaped and does not corrupt the screen"
else
	not_ok "a hostile process name is shown escaped" "$(screen "$TMUX_S" | head -5)"
fi
# Escaped, it is longer than its column: cut there (how much depends on the pid's
# length), so that NETNS stays in its place.
netns_cols=$(rows "$TMUX_S" | awk -v ino="$NSINO" '{ print index($0, " " ino) }' | sort -u)
if [ "$(wc -l <<<"$netns_cols")" = 1 ] && [ "$netns_cols" -gt 0 ] &&
	rows "$TMUX_S" | grep -Eq ':32200 .*/\\x1b\[2J\\x1b\]0;p?w?n?\+ '; then
	ok "the escaped name is cut to its column (marked +): NETNS is in the same place on every row"
else
	not_ok "the escaped name is cut to its column: NETNS is in the same place on every row" \
		"$(echo "NETNS at: $netns_cols"; rows "$TMUX_S" | head -20)"
fi

# Help and quit.
tmux send-keys -t "$TMUX_S" '?'
check "'?' shows help" wait_screen "$TMUX_S" 'sockwatch top keys' 1000
tmux send-keys -t "$TMUX_S" x q
check "'q' quits with status 0" wait_screen "$TMUX_S" '^EXITED 0' 2000

tap_done
