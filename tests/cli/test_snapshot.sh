#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Tests of the snapshot sources (root): sock_diag + /proc against ss -tanp and bpf_iter, the automatic fallback, raw_tp reconciliation.
# Usage: tests/cli/test_snapshot.sh [BUILD_DIR]; prints TAP, exits non-zero on failure.
# SW_NETNS_PREFIX names the network namespaces it makes (default swsnap_PID): PREFIX and
# PREFIX_long..., PREFIX_churn, PREFIX_th, PREFIX_x (and a file /run/netns/PREFIX_stale).
set -u

BUILD=${1:-build}
SW=$(realpath "$BUILD/sockwatch")
HERE=$(cd "$(dirname "$0")" && pwd)
NS=${SW_NETNS_PREFIX:-swsnap_$$}
TMUX_S=swsnap_$$
TMP=$(mktemp -d)
PIDS=()
# shellcheck disable=SC2034 # read by hold (lib.sh)
HOLD_WAIT=20 # seconds hold waits for hold_conns.py's sockets
BPF_ITER_CREATE=33 # enum bpf_cmd
BPF_PROG_LOAD=5

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lib.sh"

# kill_helpers: the helpers and the children they forked.
kill_helpers() {
	local p
	for p in "${PIDS[@]}"; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	PIDS=()
}
cleanup() {
	tmux kill-server 2>/dev/null
	tmux kill-session -t "$TMUX_S" 2>/dev/null
	kill_helpers
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "${LONGNS:-}" ] && ip netns del "$LONGNS" 2>/dev/null
	[ -n "${THNS:-}" ] && ip netns del "$THNS" 2>/dev/null
	[ -n "${CHNS:-}" ] && ip netns del "$CHNS" 2>/dev/null
	[ -n "${XNS:-}" ] && ip netns del "$XNS" 2>/dev/null
	[ -n "${STALE:-}" ] && rm -f "$STALE"
	rm -rf "$TMP"
}
trap cleanup EXIT

need_root
need_tools tmux ss jq python3 ip cc

netns_up "$NS" || exit 1
NSINO=$(netns_ino "$NS")
tmux_keep || exit 1
cc -O2 -Wall -o "$TMP/deny_syscall" "$HERE/deny_syscall.c" || exit 1

# Hundreds of listeners (v4 and v6) and connections, spread over three processes.
hold big --listeners 150 --v6-listeners 20 --conns 300 --procs 3 --port-base 30000 ||
	not_ok "helper opened its sockets"
# A listener shared by two processes (inherited over fork): two owners. Then, in the
# parent only, a dual-stack listener with an IPv4 connection: IPv4-mapped IPv6 sockets.
ip netns exec "$NS" python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 31999)); s.listen()
if os.fork() == 0:
    time.sleep(3600)
d = socket.socket(socket.AF_INET6)
d.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
d.bind(("::", 31998)); d.listen()
c = socket.create_connection(("127.0.0.1", 31998)); a, _ = d.accept()
open(sys.argv[1], "w").close(); time.sleep(3600)' "$TMP/ready.shared" </dev/null >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -e "$TMP/ready.shared" ] && break; sleep 0.05; done

# One line per socket: state, local, remote, first owner's pid (the shared listener
# excepted); ss writes a dual-stack wildcard as * and mapped addresses as [::ffff:a.b.c.d].
canon_ss() {
	ip netns exec "$NS" ss -tanpH | grep -v ':31999 ' |
		sed -E 's/\[::ffff:([0-9.]+)\]/\1/g; s/ \*:([0-9]+) / [::]:\1 /' | canon_ss_rows
}
canon_sw() { # canon_sw JSON-FILE
	canon_sw_rows 'select(.lport != 31999)' <"$1"
}
# once TAG ARGS...: top --once --json in the test netns, stderr kept.
once() {
	local tag=$1; shift
	"$SW" top --once --json --netns "$NSINO" "$@" >"$TMP/$tag.json" 2>"$TMP/$tag.err"
}
same_as_ss() { # same_as_ss TAG: ok when TAG lists exactly what ss lists
	canon_ss >"$TMP/ss.txt"
	canon_sw "$TMP/$1.json" >"$TMP/$1.txt"
	[ "$(wc -l <"$TMP/ss.txt")" -ge 770 ] && diff -u "$TMP/ss.txt" "$TMP/$1.txt" >"$TMP/$1.diff"
}
# Whole rows, in a stable order (age_ms is absent for sockets older than the run).
rows() { jq -cS 'del(.age_ms)' "$1" | sort; }

# --- 1. sock_diag against ss and against the iterators -------------------------------
once diag --snapshot diag -v
rc=$?
if [ $rc = 0 ] && same_as_ss diag; then
	ok "--snapshot diag lists exactly the $(wc -l <"$TMP/ss.txt") sockets ss -tanp lists (4-tuple, state, pid)"
else
	not_ok "--snapshot diag lists exactly what ss -tanp lists" "rc=$rc $(head -20 "$TMP/diag.diff" 2>/dev/null; cat "$TMP/diag.err")"
fi
check "-v says the snapshot was forced to sock_diag" \
	grep -q '^sockwatch: snapshot through netlink sock_diag + /proc (forced)$' "$TMP/diag.err"
check "-v times the diag snapshot" grep -q 'snapshot (diag) of [0-9]* sockets in [0-9]* netns' "$TMP/diag.err"

once iter --snapshot iter -v
if same_as_ss iter; then
	ok "--snapshot iter lists the same"
else
	not_ok "--snapshot iter lists the same" "$(head -20 "$TMP/iter.diff")"
fi
check "-v says the iterators took it" grep -q '^sockwatch: snapshot through bpf_iter' "$TMP/iter.err"
rows "$TMP/diag.json" >"$TMP/diag.rows"
rows "$TMP/iter.json" >"$TMP/iter.rows"
if [ "$(wc -l <"$TMP/diag.rows")" -ge 771 ] && diff -u "$TMP/iter.rows" "$TMP/diag.rows" >"$TMP/rows.diff"; then
	ok "diag and iter rows are identical: cookies, owners, uids, bytes ($(wc -l <"$TMP/diag.rows") rows)"
else
	not_ok "diag and iter rows are identical" "$(head -20 "$TMP/rows.diff")"
fi
n=$(jq -c 'select(.lport == 31999 and .state == "LISTEN" and .owners == 2 and .comm == "python3")' "$TMP/diag.json" | wc -l)
check "a listener shared over fork has two owners" [ "$n" = 1 ]
n=$(jq -c 'select(.lport == 31998 and .state == "ESTABLISHED" and .family == 4 and
	.laddr == "127.0.0.1" and .raddr == "127.0.0.1")' "$TMP/diag.json" | wc -l)
check "an IPv4 connection on a dual-stack socket is IPv4 (v4-mapped v6 normalised)" [ "$n" = 1 ]
n=$(jq -c 'select(.pid != null)' "$TMP/diag.json" | jq -s 'map(.pid) | unique | length')
check "rows name all five processes that hold sockets" [ "$n" = 5 ]

# --- 2. the automatic fallback ---------------------------------------------------------
"$TMP/deny_syscall" bpf:$BPF_ITER_CREATE "$SW" top --once --json --netns "$NSINO" -v \
	>"$TMP/auto.json" 2>"$TMP/auto.err"
rc=$?
rows "$TMP/auto.json" >"$TMP/auto.rows"
if [ $rc = 0 ] && grep -q '^sockwatch: snapshot through netlink sock_diag + /proc (bpf_iter unavailable: cannot run the tcp iterator: Operation not permitted)$' "$TMP/auto.err"; then
	ok "auto falls back to sock_diag when iterators are refused, and -v says why"
else
	not_ok "auto falls back to sock_diag when iterators are refused" "rc=$rc $(grep -v libbpf "$TMP/auto.err")"
fi
check "the fallback lists the same rows" diff -q "$TMP/iter.rows" "$TMP/auto.rows"
"$TMP/deny_syscall" bpf:$BPF_ITER_CREATE "$SW" top --once --snapshot iter --netns "$NSINO" \
	>/dev/null 2>"$TMP/forced.err"
rc=$?
if [ $rc = 4 ] && grep -q '^sockwatch: cannot run the tcp iterator: Operation not permitted$' "$TMP/forced.err"; then
	ok "a forced --snapshot iter that the kernel refuses exits 4 (kernel unsupported) and says why"
else
	not_ok "a forced --snapshot iter that the kernel refuses fails" "rc=$rc $(cat "$TMP/forced.err")"
fi

# listen says the same with the same exit code, watching or learning.
for mode in watch learn; do
	args=()
	[ $mode = learn ] && args=(--learn -)
	timeout 20 "$TMP/deny_syscall" bpf:$BPF_ITER_CREATE "$SW" listen "${args[@]}" --snapshot iter \
		--netns "$NSINO" >/dev/null 2>"$TMP/lforced.err"
	rc=$?
	check "listen ($mode): a refused forced --snapshot iter exits 4 too" \
		bash -c "[ $rc = 4 ] && grep -q '^sockwatch: cannot run the tcp iterator: Operation not permitted$' '$TMP/lforced.err'"
done

# --- 3. bad values -----------------------------------------------------------------------
"$SW" top --once --snapshot netlink >/dev/null 2>"$TMP/bad.err"
rc=$?
check "top --snapshot netlink exits 2 with a usage hint" bash -c "[ $rc = 2 ] &&
	[ \"\$(cat '$TMP/bad.err')\" = \"sockwatch: invalid snapshot source 'netlink': expected auto, iter or diag (see 'sockwatch top --help')\" ]"
"$SW" listen --snapshot '' >/dev/null 2>"$TMP/bad2.err"
rc=$?
check "listen --snapshot '' exits 2 with a usage hint" bash -c "[ $rc = 2 ] &&
	[ \"\$(cat '$TMP/bad2.err')\" = \"sockwatch: invalid snapshot source '': expected auto, iter or diag (see 'sockwatch listen --help')\" ]"
check "top --help documents --snapshot" bash -c "'$SW' top --help | grep -q -- '--snapshot SRC'"

# --- 4. listen: the same baseline from either source ------------------------------------
"$SW" listen --learn - --snapshot diag --netns "$NSINO" >"$TMP/learn.diag" 2>/dev/null
"$SW" listen --learn - --snapshot iter --netns "$NSINO" >"$TMP/learn.iter" 2>/dev/null
if [ "$(grep -c '^allow listen' "$TMP/learn.diag")" -ge 170 ] && diff -q "$TMP/learn.iter" "$TMP/learn.diag" >/dev/null; then
	ok "listen --learn writes the same $(grep -c '^allow listen' "$TMP/learn.diag") rules from sock_diag as from the iterators"
else
	not_ok "listen --learn writes the same rules from either source" "$(diff "$TMP/learn.iter" "$TMP/learn.diag" | head)"
fi

# Without a tracer, libbpf's complaints about refused iterator programs are not printed:
# one error line, exit 4 (as a refused tracer gives).
"$TMP/deny_syscall" bpf:$BPF_PROG_LOAD "$SW" listen --learn - --snapshot iter --netns "$NSINO" \
	>/dev/null 2>"$TMP/learnref.err"
rc=$?
check "listen --learn with the iterators refused: exit 4, one line, no libbpf chatter" \
	bash -c "[ $rc = 4 ] && [ \"\$(cat '$TMP/learnref.err')\" = 'sockwatch: kernel refused the tcp/task_file iterator programs: Operation not permitted' ]"

# --- 5. raw_tp (events keyed by socket address) with a sock_diag snapshot ------------------
once rawdiag --snapshot diag --state-hook raw_tp
if same_as_ss rawdiag; then
	ok "raw_tp + sock_diag: --once lists exactly what ss lists"
else
	not_ok "raw_tp + sock_diag: --once lists exactly what ss lists" "$(head -20 "$TMP/rawdiag.diff")"
fi
# Keyed by socket address with an iterator snapshot (which reads the addresses), no row may
# show one: a kernel socket address has its top 17 bits set and is 64-byte aligned, which a
# keyed hash is by chance once in 2^23.
once rawiter --snapshot iter --state-hook raw_tp
n=$(python3 -c '
import json, sys
ids = [json.loads(l)["cookie"] for l in open(sys.argv[1])]
addr = [i for i in ids if i >> 47 == 0x1ffff and i % 64 == 0]
print(len(ids) if ids and not addr else 0)' "$TMP/rawiter.json")
check "raw_tp + iterators: $n rows, none shows a socket's kernel address as its cookie" [ "$n" -ge 770 ]
eval "exec {HOLD_FD_big}>&-"
kill_helpers

# --- 6. a namespace no process is in, with a long `ip netns` name ---------------------------
# Found only through its /run/netns mount: a name of 60 bytes (paths of 64 and more were
# once left out) must still be visited, by top's snapshot and by listen's.
LONGNS=$(printf '%s_long_%0*d' "$NS" 60 0 | cut -c1-60)
ip netns add "$LONGNS" || not_ok "a 60-byte netns name is accepted by ip netns"
LONGINO=$(netns_ino "$LONGNS")
python3 -c '
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
ns = os.open(sys.argv[1], os.O_RDONLY)
assert libc.setns(ns, 0x40000000) == 0
s = socket.socket(); s.bind(("127.0.0.1", 7333)); s.listen()
assert libc.setns(home, 0x40000000) == 0
open(sys.argv[2], "w").close(); time.sleep(3600)' "/run/netns/$LONGNS" "$TMP/ready.long" \
	</dev/null >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -e "$TMP/ready.long" ] && break; sleep 0.05; done
"$SW" top --once --json --netns "$LONGINO" >"$TMP/long.json" 2>"$TMP/long.err"
n=$(jq -c 'select(.lport == 7333 and .state == "LISTEN")' "$TMP/long.json" | wc -l)
check "top --once lists the listener of a namespace with a 60-byte name and no process" [ "$n" = 1 ]
"$SW" listen --learn - --netns "$LONGINO" >"$TMP/long.rules" 2>/dev/null
check "listen --learn writes a rule for it" grep -q '^allow listen port 7333 ' "$TMP/long.rules"
kill_helpers
ip netns del "$LONGNS"

# --- 6b. a mounted namespace whose only residents come and go --------------------------
# A process enters it, listens on 7350, connects to itself and goes back: no process lives
# in it but the short ones a loop of `ip netns exec` runs. One of those, met in /proc
# before the mount was read, has often exited by the time the namespace is visited (or its
# pid is another's): the snapshot must still go in (through the mount), every time, and
# say nothing.
CHNS=${NS}_churn
netns_up "$CHNS" || not_ok "a netns for the churn"
CHINO=$(netns_ino "$CHNS")
python3 -c '
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
ns = os.open(sys.argv[1], os.O_RDONLY)
assert libc.setns(ns, 0x40000000) == 0
l = socket.socket(); l.bind(("127.0.0.1", 7350)); l.listen()
c = socket.create_connection(("127.0.0.1", 7350)); s, _ = l.accept()
assert libc.setns(home, 0x40000000) == 0
os.close(ns)
open(sys.argv[2], "w").close(); time.sleep(3600)' "/run/netns/$CHNS" "$TMP/ready.churn" \
	</dev/null >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do [ -e "$TMP/ready.churn" ] && break; sleep 0.05; done
: >"$TMP/churning"
(while [ -e "$TMP/churning" ]; do ip netns exec "$CHNS" sleep 0.02; done) </dev/null >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.2
for src in iter diag; do
	bad=0
	for _ in $(seq 10); do
		"$SW" top --once --json --snapshot "$src" --netns "$CHINO" >"$TMP/churn.json" 2>"$TMP/churn.err"
		n=$(jq -c 'select((.lport == 7350 or .rport == 7350) and .state != "TIME_WAIT")' \
			"$TMP/churn.json" | wc -l)
		if [ "$n" != 3 ] || grep -q warning "$TMP/churn.err"; then
			bad=$((bad + 1))
			cp "$TMP/churn.err" "$TMP/churn.bad.err"
		fi
	done
	name="--snapshot $src: a mounted namespace only short-lived processes enter is complete in 10 snapshots of 10"
	if [ "$bad" = 0 ]; then
		ok "$name"
	else
		not_ok "$name" "$bad incomplete; $(cat "$TMP/churn.bad.err")"
	fi
done
rm -f "$TMP/churning"
kill_helpers
ip netns del "$CHNS"

# --- 7. MPTCP: the subflows of a socket opened before the snapshot have its owner ---------
# The descriptor holds the MPTCP socket; iter/tcp and sock_diag list its TCP subflows.
# Two extra subflows (endpoints 127.0.0.2 and .3) make three per side: every one is owned.
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" != 1 ] ||
	! ip netns exec "$NS" python3 -c 'import socket; socket.socket(2, 1, 262)' 2>/dev/null; then
	ok "MPTCP subflows are owned in the snapshot # SKIP no MPTCP here"
else
	ip -n "$NS" mptcp limits set subflows 2 add_addr_accepted 2 &&
		ip -n "$NS" mptcp endpoint add 127.0.0.2 dev lo subflow &&
		ip -n "$NS" mptcp endpoint add 127.0.0.3 dev lo subflow ||
		not_ok "MPTCP endpoints configured"
	ip netns exec "$NS" python3 -c '
import socket, sys, time
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
l.bind(("127.0.0.1", 7300)); l.listen()
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
c.connect(("127.0.0.1", 7300)); a, _ = l.accept()
a.sendall(b"x"); c.recv(1)
open(sys.argv[1], "w").close(); time.sleep(3600)' "$TMP/ready.mptcp" </dev/null >/dev/null 2>&1 &
	MPID=$!
	PIDS+=("$MPID")
	for _ in $(seq 200); do [ -e "$TMP/ready.mptcp" ] && break; sleep 0.05; done
	# The path manager adds the subflows shortly after the handshake.
	for _ in $(seq 100); do
		[ "$(ip netns exec "$NS" ss -tanH state established | grep -c ':7300 ')" = 6 ] && break
		sleep 0.05
	done
	MROWS='select(.lport == 7300 or .rport == 7300)'
	for src in iter diag; do
		once "mptcp_$src" --snapshot "$src"
		jq -c "$MROWS" "$TMP/mptcp_$src.json" >"$TMP/mptcp_$src.rows"
		n=$(jq -c "select(.pid == $MPID and .comm == \"python3\")" "$TMP/mptcp_$src.rows" | wc -l)
		l=$(jq -c "select(.state == \"LISTEN\" and .laddr == \"127.0.0.1\" and .pid == $MPID)" \
			"$TMP/mptcp_$src.rows" | wc -l)
		if [ "$n" = 7 ] && [ "$l" = 1 ] && [ "$(wc -l <"$TMP/mptcp_$src.rows")" = 7 ]; then
			ok "--snapshot $src: the MPTCP listener and all six subflows are owned by pid $MPID"
		else
			not_ok "--snapshot $src: the MPTCP listener and all six subflows are owned" \
				"$(cat "$TMP/mptcp_$src.rows")"
		fi
	done
	check "MPTCP rows are identical from either source" \
		diff -u <(rows "$TMP/mptcp_iter.json") <(rows "$TMP/mptcp_diag.json")
	once mptcp_pid --snapshot iter -p "$MPID"
	n=$(jq -c "$MROWS | select(.pid == $MPID)" "$TMP/mptcp_pid.json" | wc -l)
	check "-p PID keeps its MPTCP rows" [ "$n" = 7 ]
	once mptcp_raw --snapshot iter --state-hook raw_tp
	n=$(jq -c "$MROWS | select(.pid == $MPID)" "$TMP/mptcp_raw.json" | wc -l)
	check "raw_tp (keyed by socket address): the seven MPTCP rows are owned too" [ "$n" = 7 ]
	"$SW" listen --learn - --snapshot iter --netns "$NSINO" >"$TMP/mptcp.rules" 2>/dev/null
	check "listen --learn: the MPTCP listener's rule names its program" \
		grep -q '^allow listen port 7300 addr 127.0.0.1 comm python3 exe /' "$TMP/mptcp.rules"
	timeout 3 "$SW" listen --json --snapshot iter --netns "$NSINO" >"$TMP/mptcp.base" 2>/dev/null
	n=$(jq -c "select(.event == \"baseline\" and .lport == 7300 and .laddr == \"127.0.0.1\" and
		.pid == $MPID and .comm == \"python3\")" "$TMP/mptcp.base" | wc -l)
	check "listen: the MPTCP listener's baseline line has its pid" [ "$n" = 1 ]
	kill_helpers
fi

# --- 8. namespaces only a thread lives in, or only a socket holds ------------------------
# A: a thread (not the leader) enters a namespace and listens on 7400; the namespace's
# mount is removed, so only /proc/PID/task/TID/ns/net shows it. B: a process unshares a
# namespace, listens on 6001 and returns to its own: only the listener holds it.
THNS=${NS}_th
ip netns add "$THNS" || not_ok "a netns for the thread"
THINO=$(netns_ino "$THNS")
python3 -c '
import ctypes, os, socket, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
def run():
    ns = os.open(sys.argv[1], os.O_RDONLY)
    assert libc.setns(ns, 0x40000000) == 0
    s = socket.socket(); s.bind(("127.0.0.1", 7400)); s.listen()
    open(sys.argv[2], "w").close(); time.sleep(3600)
threading.Thread(target=run, daemon=True).start(); time.sleep(3600)' "/run/netns/$THNS" \
	"$TMP/ready.thread" </dev/null >/dev/null 2>&1 &
THPID=$!
PIDS+=("$THPID")
python3 -c '
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
assert libc.unshare(0x40000000) == 0
ino = os.stat("/proc/self/ns/net").st_ino
s = socket.socket(); s.bind(("127.0.0.1", 6001)); s.listen()
assert libc.setns(home, 0x40000000) == 0
open(sys.argv[1], "w").write(str(ino)); time.sleep(3600)' "$TMP/ready.sock" \
	</dev/null >/dev/null 2>&1 &
SKPID=$!
PIDS+=("$SKPID")
for _ in $(seq 200); do [ -s "$TMP/ready.sock" ] && [ -e "$TMP/ready.thread" ] && break; sleep 0.05; done
ip netns del "$THNS"
SKINO=$(cat "$TMP/ready.sock")
# has_listener FILE PORT PID NETNS: FILE (top --once --json) has exactly that listener.
has_listener() {
	[ "$(jq -c "select(.state == \"LISTEN\" and .lport == $2 and .laddr == \"127.0.0.1\" and
		.pid == $3 and .netns == $4)" "$1" | wc -l)" = 1 ]
}
# A file left under /run/netns whose mount is gone is no namespace: not a failure.
STALE=/run/netns/${NS}_stale
: >"$STALE"
for src in iter diag; do
	"$SW" top --once --json --snapshot "$src" >"$TMP/hidden_$src.json" 2>"$TMP/hidden_$src.err"
	check "--snapshot $src: a thread's namespace (no leader, no mount): 127.0.0.1:7400, pid $THPID" \
		has_listener "$TMP/hidden_$src.json" 7400 "$THPID" "$THINO"
	check "--snapshot $src: a namespace only a socket holds: 127.0.0.1:6001, pid $SKPID" \
		has_listener "$TMP/hidden_$src.json" 6001 "$SKPID" "$SKINO"
	check "--snapshot $src: no namespace failed, a stale /run/netns file included (no warning)" bash -c "! grep -q warning '$TMP/hidden_$src.err'"
	timeout 3 "$SW" listen --json --snapshot "$src" >"$TMP/hidden_$src.base" 2>/dev/null
	n=$(jq -c "select(.event == \"baseline\" and .laddr == \"127.0.0.1\" and
		((.lport == 7400 and .pid == $THPID and .netns == $THINO) or
		 (.lport == 6001 and .pid == $SKPID and .netns == $SKINO)))" "$TMP/hidden_$src.base" | wc -l)
	check "listen --snapshot $src: both listeners are in the baseline with their pids" [ "$n" = 2 ]
done
rm -f "$STALE"
kill_helpers

# A namespace that cannot be entered (setns refused) is said on stderr, by top and listen.
WARN="^sockwatch: warning: [0-9]+ network namespaces? could not be entered, (its|their) sockets are missing from the snapshot \((first: )?netns [0-9]+ from [^ ]+: Operation not permitted\)$"
for src in iter diag; do
	"$TMP/deny_syscall" setns "$SW" top --once --snapshot "$src" --netns "$NSINO" >/dev/null 2>"$TMP/deny_$src.err"
	check "top --snapshot $src: namespaces it cannot enter give a warning" \
		grep -Eq "$WARN" "$TMP/deny_$src.err"
	"$TMP/deny_syscall" setns "$SW" listen --learn - --snapshot "$src" --netns "$NSINO" >/dev/null \
		2>"$TMP/ldeny_$src.err"
	check "listen --learn --snapshot $src: the same warning" grep -Eq "$WARN" "$TMP/ldeny_$src.err"
done
timeout 3 "$TMP/deny_syscall" setns "$SW" listen --netns "$NSINO" >/dev/null 2>"$TMP/ldeny.err"
check "listen (watching): the same warning" grep -Eq "$WARN" "$TMP/ldeny.err"

# With --netns, only that namespace is entered and reported on: as a user with CAP_BPF and
# CAP_PERFMON alone (no setns into other namespaces), the warning, and --learn's refusal,
# name the one asked for and say why; asked for sockwatch's own, nothing fails; asked for
# one nothing this user can see holds, that one is named. ($XNS: one more namespace that
# the user cannot enter either, which must not be tried.)
XNS=${NS}_x
ip netns add "$XNS" || not_ok "a second netns"
CAPS=(setpriv --reuid=65534 --regid=65534 --clear-groups '--inh-caps=+bpf,+perfmon'
	'--ambient-caps=+bpf,+perfmon')
NOSA="; entering other network namespaces needs CAP_SYS_ADMIN (run as root)"
"${CAPS[@]}" "$SW" top --once --netns "$NSINO" >/dev/null 2>"$TMP/nsonly_top.err"
rc=$?
want="sockwatch: warning: 1 network namespace could not be entered, its sockets are missing from the snapshot (netns $NSINO from /run/netns/$NS: Operation not permitted)$NOSA"
check "top --once --netns as CAP_BPF+CAP_PERFMON: exit 0, warns of that namespace only, and why" \
	bash -c "[ $rc = 0 ] && [ \"\$(cat '$TMP/nsonly_top.err')\" = '$want' ]"
"${CAPS[@]}" "$SW" listen --learn - --netns "$NSINO" >"$TMP/nsonly_learn.out" 2>"$TMP/nsonly_learn.err"
rc=$?
want="sockwatch: --learn would miss listeners: 1 network namespace could not be entered (netns $NSINO from /run/netns/$NS: Operation not permitted)$NOSA"
check "listen --learn --netns as CAP_BPF+CAP_PERFMON: exit 3 naming that namespace only" \
	bash -c "[ $rc = 3 ] && [ ! -s '$TMP/nsonly_learn.out' ] &&
		[ \"\$(cat '$TMP/nsonly_learn.err')\" = '$want' ]"
"${CAPS[@]}" "$SW" top --once --netns "$(stat -Lc %i /proc/self/ns/net)" >/dev/null \
	2>"$TMP/nsown_top.err"
rc=$?
check "top --once --netns (its own) as CAP_BPF+CAP_PERFMON: exit 0, no warning" \
	bash -c "[ $rc = 0 ] && [ ! -s '$TMP/nsown_top.err' ]"
"${CAPS[@]}" "$SW" top --once --netns 12345 >/dev/null 2>"$TMP/nsnone_top.err"
rc=$?
want="sockwatch: warning: 1 network namespace could not be entered, its sockets are missing from the snapshot (netns 12345 from no mount, process or socket this user can see: No such file or directory)"
check "top --once --netns (one found nowhere) as CAP_BPF+CAP_PERFMON: that one, not found" \
	bash -c "[ $rc = 0 ] && [ \"\$(cat '$TMP/nsnone_top.err')\" = '$want' ]"
ip netns del "$XNS"

# Sockets that existed before the view close while it runs: each closes its own row
# (found by endpoints in raw_tp mode) instead of leaving a stale one behind.
port=32400
for hook in raw_tp tp_btf; do
	rm -f "$TMP/ready.small$port" "$TMP/in.small$port"
	hold "small$port" --listeners 4 --conns 10 --port-base $port
	# The tmux server must not inherit the helper's stdin: closing it ends the helper.
	fd=$(eval echo "\$HOLD_FD_small$port")
	tmux new-session -d -s "$TMUX_S" -x 220 -y 60 \
		"$SW top --netns $NSINO --snapshot diag --state-hook $hook --ghost 2; sleep 60" {fd}>&-
	if wait_screen "$TMUX_S" "^sockwatch  25 sockets: ESTABLISHED 20 LISTEN 5 " 5000 &&
		wait_screen "$TMUX_S" "mode [a-z]*/$hook  snapshot sock_diag" 1000; then
		ok "$hook + sock_diag: the view starts with the 25 sockets, marked as a sock_diag snapshot"
	else
		not_ok "$hook + sock_diag: the view starts with the 25 sockets" "$(screen "$TMUX_S" | head -5)"
	fi
	eval "exec {HOLD_FD_small$port}>&-"
	if wait_screen "$TMUX_S" "CLOSE +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$((port - 1)) " 5000 &&
		wait_screen "$TMUX_S" '^sockwatch  0 sockets: ESTABLISHED 0  closed 0$' 8000; then
		ok "$hook + sock_diag: their closes end their rows (0 sockets left, no stale rows)"
	else
		not_ok "$hook + sock_diag: their closes end their rows" "$(screen "$TMUX_S" | head -12)"
	fi
	tmux kill-session -t "$TMUX_S"
	port=$((port + 100))
done

tap_done
