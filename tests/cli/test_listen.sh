#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Integration tests of `sockwatch listen` (root): exposure, baseline, rules, short listeners, netns, deny remote, exits.
# Usage: tests/cli/test_listen.sh [BUILD_DIR]; prints TAP, exits non-zero on failure.
# SW_NETNS_PREFIX names the network namespaces it makes (default swlisten_PID): PREFIX,
# PREFIX-2, PREFIX-3 and PREFIX-4.
#
# Every test selects its own events: listeners live in namespaces this script
# creates, and sockwatch runs with --netns INODE (or checks port + netns inode).
set -u

BUILD=${1:-build}
SW=$(realpath "$BUILD/sockwatch")
NS=${SW_NETNS_PREFIX:-swlisten_$$}
NS2=$NS-2
NS3=$NS-3
TMP=$(mktemp -d)
PIDS=()

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lib.sh"

cleanup() {
	# (a sockwatch held stopped takes the SIGTERM once continued)
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	ip netns del "$NS3" 2>/dev/null
	[ -n "${NSH:-}" ] && ip netns del "$NSH" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

need_root
need_tools jq python3 ip bpftool strace setpriv

for ns in "$NS" "$NS2"; do
	netns_up "$ns" || exit 1
done
ip -n "$NS" addr add 10.77.0.1/32 dev lo
ip -n "$NS" addr add 203.0.113.7/32 dev lo
INO=$(netns_ino "$NS")
INO2=$(netns_ino "$NS2")

# start TAG ARGS...: runs sockwatch listen in the background until it says it is watching.
start() {
	local tag=$1; shift
	"$SW" listen "$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	SWPID=$!
	PIDS+=("$SWPID")
	for _ in $(seq 200); do
		grep -q "watching listeners" "$TMP/$tag.err" && return 0
		kill -0 $SWPID 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
stop() { kill "$SWPID" 2>/dev/null; wait "$SWPID" 2>/dev/null; }

# wait_json TAG JQ-FILTER: waits up to 5 s for a line of TAG's output that matches.
wait_json() {
	for _ in $(seq 100); do
		[ -n "$(jq -c "select($2)" "$TMP/$1.out" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}
count_json() { jq -c "select($2)" "$TMP/$1.out" | wc -l; }

# pyns NS CODE: python in a namespace.
pyns() { ip netns exec "$1" python3 -c "$2"; }

LISTEN_PY='
import socket, sys, time
socks = []
for spec in sys.argv[1:-1]:
    host, port = spec.rsplit(":", 1)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6 and "." not in host:  # a v4-mapped address needs dual-stack
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host.strip("[]"), int(port)))
    s.listen()
    socks.append(s)
time.sleep(float(sys.argv[-1]))
'
# listen_in NS SECONDS ADDR:PORT...: opens the listeners, holds them SECONDS.
listen_in() {
	local ns=$1 secs=$2; shift 2
	ip netns exec "$ns" python3 -c "$LISTEN_PY" "$@" "$secs"
}
# hold_in NS ADDR:PORT...: the same in the background until the tests end;
# returns once every port listens (python can take a while to start).
hold_in() {
	local ns=$1 spec; shift
	ip netns exec "$ns" python3 -c "$LISTEN_PY" "$@" 3600 </dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	for spec in "$@"; do
		for _ in $(seq 200); do
			ip netns exec "$ns" ss -tlnH "sport = :${spec##*:}" | grep -q . && break
			sleep 0.05
		done
	done
}



# --- exposure classes -----------------------------------------------------------
start exp --json --quiet-baseline --netns "$INO" || not_ok "sockwatch started" "$(cat "$TMP/exp.err")"
listen_in "$NS" 0.3 127.0.0.1:7101 10.77.0.1:7102 0.0.0.0:7103 '[::]:7104' '[::ffff:0.0.0.0]:7105' \
	'[::ffff:127.0.0.1]:7106'
# a v6 socket on a v4-mapped address serves IPv4 only: it is an IPv4 listener
for pe in 7101:loopback:4 7102:address:4 7103:wildcard:4 7104:wildcard:6 7105:wildcard:4 7106:loopback:4; do
	IFS=: read -r p e f <<<"$pe"
	if wait_json exp ".event==\"listen\" and .lport==$p and .exposure==\"$e\" and .family==$f and .netns==$INO and .host_netns==false"; then
		ok "port $p is exposure $e, family $f"
	else
		not_ok "port $p is exposure $e, family $f" "$(cat "$TMP/exp.out")"
	fi
done
stop
hold_in "$NS" '[::ffff:0.0.0.0]:7107' '[::]:7108'
start exp4 --json -4 --netns "$INO" || not_ok "sockwatch started" "$(cat "$TMP/exp4.err")"
listen_in "$NS" 0.3 '[::ffff:0.0.0.0]:7109' '[::]:7110'
if wait_json exp4 '.event=="listen" and .lport==7109 and .laddr=="0.0.0.0" and .family==4' &&
	[ "$(count_json exp4 '.event=="baseline" and .lport==7107 and .laddr=="0.0.0.0" and .exposure=="wildcard"')" = 1 ] &&
	[ "$(count_json exp4 '.lport==7108 or .lport==7110')" = 0 ]; then
	ok "-4 reports listeners on ::ffff:0.0.0.0 (in the baseline too) as 0.0.0.0, not those on ::"
else
	not_ok "-4 reports listeners on ::ffff:0.0.0.0 (in the baseline too) as 0.0.0.0, not those on ::" \
		"$(cat "$TMP/exp4.out")"
fi
stop
check "--json lines are valid JSON (jq -e)" bash -c "[ -s '$TMP/exp.out' ] && jq -e . '$TMP/exp.out' >/dev/null"

# --- baseline -----------------------------------------------------------------
hold_in "$NS" 127.0.0.1:7201
start base --json --netns "$INO" || not_ok "sockwatch started"
check "pre-existing listener is reported as baseline" \
	wait_json base '.event=="baseline" and .lport==7201 and .pid!=null and .comm=="python3"'
stop
start qbase --json --quiet-baseline --netns "$INO" || not_ok "sockwatch started"
stop
check "--quiet-baseline hides it" [ "$(count_json qbase '.lport==7201')" = 0 ]

# --- rules: allowed vs unexpected ---------------------------------------------
printf '# test rules\nallow listen port 7301 exposure loopback\n' >"$TMP/rules1"
start rules --json --quiet-baseline --rules "$TMP/rules1" --netns "$INO" || not_ok "sockwatch started"
listen_in "$NS" 0.2 127.0.0.1:7301 127.0.0.1:7302
wait_json rules '.event=="unlisten" and .lport==7302' >/dev/null
stop
check "allowed listener is level info with its rule line" \
	[ "$(count_json rules '.event=="listen" and .lport==7301 and .level=="info" and .rule_line==2')" = 1 ]
check "unexpected listener is level alert" \
	[ "$(count_json rules '.event=="listen" and .lport==7302 and .level=="alert" and .rule_line==null')" = 1 ]
start ronly --quiet-baseline --alerts-only --rules "$TMP/rules1" --netns "$INO" || not_ok "sockwatch started"
listen_in "$NS" 0.2 127.0.0.1:7301 127.0.0.1:7302
sleep 0.3
stop
if grep -q ' alert listen   127.0.0.1:7302 ' "$TMP/ronly.out" &&
	! grep -q ' 127.0.0.1:7301 exposure=' "$TMP/ronly.out"; then
	ok "--alerts-only prints only the unexpected one (text)"
else
	not_ok "--alerts-only prints only the unexpected one (text)" "$(cat "$TMP/ronly.out")"
fi

# --- comm as the process named itself at each listen(): "" and "-" are names too ---------
# (an empty comm was taken for an unknown one, and the name /proc gave at an earlier
# listener, cached by pid and start time, was reported and matched instead)
printf 'allow listen comm "a b"\n' >"$TMP/rules-comm"
start comm --json --quiet-baseline --rules "$TMP/rules-comm" --netns "$INO" ||
	not_ok "sockwatch started" "$(cat "$TMP/comm.err")"
pyns "$NS" '
import ctypes, socket, time
libc = ctypes.CDLL(None, use_errno=True)
socks = []
for name, port in ((b"a b", 7621), (b"-", 7622), (b"", 7623)):
    assert libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) == 0  # PR_SET_NAME
    s = socket.socket(); s.bind(("127.0.0.1", port)); s.listen(); socks.append(s)
    time.sleep(0.2)'
wait_json comm '.event=="unlisten" and .lport==7623' >/dev/null
stop
if [ "$(count_json comm '.event=="listen" and .lport==7621 and .comm=="a b" and .level=="info" and .rule_line==1')" = 1 ] &&
	[ "$(count_json comm '.event=="listen" and .lport==7622 and .comm=="-" and .level=="alert" and .rule_line==null')" = 1 ] &&
	[ "$(count_json comm '.event=="listen" and .lport==7623 and .comm=="" and .level=="alert" and .rule_line==null')" = 1 ] &&
	[ "$(jq -r 'select(.event=="listen") | .pid' "$TMP/comm.out" | sort -u | wc -l)" = 1 ]; then
	ok "comm is the name at each listen(), even \"-\" or \"\" (not an earlier one): a comm rule holds for \"a b\" only"
else
	not_ok "comm is the name at each listen(), even \"-\" or \"\" (not an earlier one): a comm rule holds for \"a b\" only" \
		"$(cat "$TMP/comm.out")"
fi
start commtxt --quiet-baseline --netns "$INO" || not_ok "sockwatch started" "$(cat "$TMP/commtxt.err")"
pyns "$NS" '
import ctypes, socket, time
libc = ctypes.CDLL(None)
socks = []
for name, port in ((b"a b", 7624), (b"", 7625)):
    libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)
    s = socket.socket(); s.bind(("127.0.0.1", port)); s.listen(); socks.append(s)
    time.sleep(0.2)'
for _ in $(seq 100); do grep -q ' unlisten 127.0.0.1:7625 ' "$TMP/commtxt.out" && break; sleep 0.05; done
stop
if grep -q ' listen   127.0.0.1:7624 .* comm="a b" ' "$TMP/commtxt.out" &&
	grep -q ' listen   127.0.0.1:7625 .* comm="" ' "$TMP/commtxt.out"; then
	ok "text: an empty comm is written comm=\"\""
else
	not_ok "text: an empty comm is written comm=\"\"" "$(cat "$TMP/commtxt.out")"
fi

# --- --rules twice: every file holds (the last one alone used to: the first's deny rules
# were dropped), merged in order; alerts name the rule's file --------------------------------
printf 'deny remote 203.0.113.0/24\n' >"$TMP/rulesA"
printf '# second file\nallow listen port 7611\n' >"$TMP/rulesB"
start tworules --json --quiet-baseline --rules "$TMP/rulesA" --rules "$TMP/rulesB" --netns "$INO" ||
	not_ok "sockwatch started" "$(cat "$TMP/tworules.err")"
pyns "$NS" '
import socket, time
s = socket.socket(); s.bind(("203.0.113.7", 7611)); s.listen()
c = socket.create_connection(("203.0.113.7", 7611)); a, _ = s.accept(); time.sleep(0.1)'
wait_json tworules '.event=="remote" and .direction=="accept"' >/dev/null
stop
if [ "$(count_json tworules ".event==\"remote\" and .direction==\"connect\" and .rport==7611 and .rule_file==\"$TMP/rulesA\" and .rule_line==1")" = 1 ] &&
	[ "$(count_json tworules ".event==\"listen\" and .lport==7611 and .level==\"info\" and .rule_file==\"$TMP/rulesB\" and .rule_line==2")" = 1 ] &&
	grep -q 'watching listeners ([0-9]* in baseline, 1 allow and 1 deny rules)' "$TMP/tworules.err"; then
	ok "--rules A --rules B: the first file's deny rule and the second's allow rule both hold"
else
	not_ok "--rules A --rules B: the first file's deny rule and the second's allow rule both hold" \
		"$(cat "$TMP/tworules.out" "$TMP/tworules.err")"
fi
printf 'allow listen port 22\n\nallow listen prot 99\n' >"$TMP/rulesC"
"$SW" listen --rules "$TMP/rulesA" --rules "$TMP/rulesC" >/dev/null 2>"$TMP/rulesC.err"
rc=$?
check "a bad rule in the second --rules file: exit 2 naming that file and line" \
	bash -c "[ $rc = 2 ] && [ \"\$(cat '$TMP/rulesC.err')\" = \"sockwatch: $TMP/rulesC:3: unknown matcher 'prot'\" ]"

# --- an option that takes a value, given twice: refused (the last one silently won) -----
usage_err() { # usage_err MESSAGE ARGS...: exit 2, exactly "sockwatch: MESSAGE (see ...)"
	local msg=$1 out rc
	shift
	out=$(timeout 20 "$SW" listen "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 2 ] && [ "$out" = "sockwatch: $msg (see 'sockwatch listen --help')" ] ||
		{ echo "# rc=$rc: $out"; return 1; }
}
twice() { # twice OPTION-NAME ARGS...: exit 2, one line naming the option
	local name=$1
	shift
	usage_err "option '--$name' given twice" "$@"
}
check "-p twice is refused" twice pid -p 1 -p 2
check "-p and --pid are one option" twice pid -p 1 --pid 1
check "--port twice is refused" twice port --port 22 --port 80
check "--netns twice is refused" twice netns --netns "$INO" --netns "$INO2"
check "--comm twice is refused" twice comm --comm a --comm b
check "--learn twice is refused" twice learn --learn "$TMP/learn-a" --learn "$TMP/learn-b"
check "--format twice is refused" twice format --format json --format text
out=$(timeout 20 "$SW" listen --json --format text 2>&1 >/dev/null)
rc=$?
check "--json with --format text conflicts: exit 2" bash -c "[ $rc = 2 ] &&
	[ \"$out\" = \"sockwatch: --json and --format text conflict: --json is --format json (see 'sockwatch listen --help')\" ]"
out=$(timeout 20 "$SW" listen --json --json -4 -4 -v -v --quiet-baseline --quiet-baseline \
	--format json --bogus 2>&1 >/dev/null)
check "flags given twice are harmless (and --json agrees with --format json)" \
	[ "$out" = "sockwatch: unknown option '--bogus' (see 'sockwatch listen --help')" ]

# --- every usage error ends with the usage hint (some had none), exit 2, nothing on stdout ----
LEARN_ALONE="--learn cannot be combined with --rules, --exit-on-alert or --ready-file"
check "--learn with --exit-on-alert: usage error with the hint" \
	usage_err "$LEARN_ALONE" --learn - --exit-on-alert
check "--learn with --rules: usage error with the hint" \
	usage_err "$LEARN_ALONE" --learn - --rules "$TMP/rules1"
check "--learn with --ready-file: usage error with the hint" \
	usage_err "$LEARN_ALONE" --learn - --ready-file "$TMP/learn-ready"
check "--learn with --json: usage error with the hint" \
	usage_err "--learn writes rules, not alert lines: --json does not apply to it" --learn - --json
check "--learn with --alerts-only: usage error with the hint" \
	usage_err "--learn writes rules, not alert lines: --alerts-only does not apply to it" \
	--learn - --alerts-only
check "--learn '': usage error with the hint" \
	usage_err "--learn needs a file name ('-' for standard output)" --learn ""
check "an unexpected argument: usage error with the hint" usage_err "unexpected argument 'x'" x

# --- a listener that lives 1 ms --------------------------------------------------
start short --json --quiet-baseline --netns "$INO" || not_ok "sockwatch started"
pyns "$NS" '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7401)); s.listen(); time.sleep(0.001); s.close()'
wait_json short '.event=="unlisten" and .lport==7401' >/dev/null
stop
check "a 1 ms listener alerts" \
	[ "$(count_json short '.event=="listen" and .lport==7401 and .level=="alert" and .comm=="python3"')" = 1 ]
check "and its unlisten follows" \
	[ "$(jq -r 'select(.lport==7401) | .event' "$TMP/short.out" | tr '\n' ' ')" = "listen unlisten " ]

# --- another netns, no netns filter -----------------------------------------------
start other --json --quiet-baseline || not_ok "sockwatch started"
listen_in "$NS2" 0.2 0.0.0.0:7501
wait_json other ".event==\"unlisten\" and .lport==7501 and .netns==$INO2" >/dev/null
stop
check "listener in another netns is reported with that netns" \
	[ "$(count_json other ".event==\"listen\" and .lport==7501 and .netns==$INO2 and .host_netns==false")" = 1 ]

# --- deny remote -------------------------------------------------------------------
printf 'allow listen port 7601\ndeny remote 203.0.113.0/24\n' >"$TMP/rules2"
start deny --json --quiet-baseline --rules "$TMP/rules2" --netns "$INO" || not_ok "sockwatch started"
pyns "$NS" '
import socket, time
s = socket.socket(); s.bind(("203.0.113.7", 7601)); s.listen()
c = socket.create_connection(("203.0.113.7", 7601)); a, _ = s.accept(); time.sleep(0.1)'
wait_json deny '.event=="remote" and .direction=="accept"' >/dev/null
stop
check "connect to a deny-listed CIDR alerts with event remote" \
	[ "$(count_json deny '.event=="remote" and .direction=="connect" and .raddr=="203.0.113.7" and .rport==7601 and .level=="alert" and .rule_line==2')" = 1 ]
check "the allowed listener itself is info" \
	[ "$(count_json deny '.event=="listen" and .lport==7601 and .level=="info"')" = 1 ]
check "the connect's attempt alerted too, owned, with its peer" \
	[ "$(count_json deny '.event=="remote" and .direction=="attempt" and .raddr=="203.0.113.7" and .rport==7601 and .comm=="python3" and .pid!=null')" = 1 ]

# A peer that drops SYNs (the other end of a veth, in NS2, has no address): the
# alert comes when connect() starts, not when it gives up (3 s here, minutes by default).
ip link add swv0 netns "$NS" type veth peer name swv1 netns "$NS2"
ip -n "$NS" addr add 203.0.113.9/24 dev swv0
ip -n "$NS" link set swv0 up
ip -n "$NS2" link set swv1 up
ip -n "$NS" neigh add 203.0.113.10 lladdr 02:00:00:00:00:01 dev swv0 nud permanent
start deny2 --json --quiet-baseline --rules "$TMP/rules2" --netns "$INO" || not_ok "sockwatch started"
pyns "$NS" '
import socket
c = socket.socket(); c.settimeout(3)
try:
    c.connect(("203.0.113.10", 7602))
except OSError:
    pass' &
CPID=$!
PIDS+=("$CPID")
if wait_json deny2 '.event=="remote" and .direction=="attempt" and .raddr=="203.0.113.10" and .rport==7602' &&
	kill -0 "$CPID" 2>/dev/null; then
	ok "a connect to a flagged peer that drops SYNs alerts while it is still trying"
else
	not_ok "a connect to a flagged peer that drops SYNs alerts while it is still trying" "$(cat "$TMP/deny2.out")"
fi
wait "$CPID"
wait_json deny2 '.event=="remote" and .direction=="connect_failed" and .rport==7602'
stop
check "and its failure after the timeout" \
	[ "$(count_json deny2 '.event=="remote" and .direction=="connect_failed" and .raddr=="203.0.113.10" and .rport==7602')" = 1 ]

# --- --exit-on-alert -------------------------------------------------------------------
ids_before=$(sw_prog_ids)
start exit --quiet-baseline --exit-on-alert --netns "$INO" || not_ok "sockwatch started"
# The programs this run loaded: new, and held by the sockwatch under test.
ids=$(comm -13 <(printf '%s\n' $ids_before) <(sw_prog_ids) |
	comm -12 - <(cat /proc/"$SWPID"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u))
listen_in "$NS" 0.2 127.0.0.1:7701 127.0.0.1:7702
for _ in $(seq 100); do kill -0 "$SWPID" 2>/dev/null || break; sleep 0.05; done
wait "$SWPID"
rc=$?
check "--exit-on-alert exits 5 on the first unexpected listener" [ "$rc" = 5 ]
check "and printed exactly that one alert" \
	[ "$(grep -c ' alert listen ' "$TMP/exit.out")" = 1 ]
# The kernel frees a program of an exited holder a moment later (after an RCU grace
# period): up to three looks, 0.5 s apart, as no_sw_leak does.
for _ in 1 2 3; do
	left=$(bpftool prog show -j | jq -r '.[].id' | sort | comm -12 - <(printf '%s\n' $ids) | wc -l)
	[ "$left" = 0 ] && break
	sleep 0.5
done
if [ -n "$ids" ] && [ "$left" = 0 ] && no_sw_leak "$ids_before"; then
	ok "and left nothing attached"
else
	not_ok "and left nothing attached" "ours: $(echo $ids), still loaded: $left"
fi

# An alert that cannot be written (a full disk) still ends the run with 5: a CI gate
# that tests for 5 must not pass. The failed write is said on stderr.
"$SW" listen --quiet-baseline --exit-on-alert --netns "$INO" >/dev/full 2>"$TMP/full.err" &
FPID=$!
PIDS+=("$FPID")
for _ in $(seq 200); do grep -q "watching listeners" "$TMP/full.err" && break; sleep 0.05; done
listen_in "$NS" 0.2 127.0.0.1:7703
for _ in $(seq 100); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.05; done
wait "$FPID"
rc=$?
check "--exit-on-alert into a full disk: exit 5 all the same, and the write error said" \
	bash -c "[ $rc = 5 ] && grep -qx 'sockwatch: writing alerts failed: No space left on device' '$TMP/full.err'"

# SIGTERM while blocked writing to a reader that does not read (a fifo held open, never
# read, its pipe shrunk to one page): a normal stop, exit 0, no write error. docs/listen.md
mkfifo "$TMP/stall"
exec 8<>"$TMP/stall"
python3 -c 'import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.fcntl(fd, 1031, 4096)' \
	"$TMP/stall"
"$SW" listen --json --quiet-baseline --netns "$INO" >"$TMP/stall" 2>"$TMP/stall.err" &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 200); do grep -q "watching listeners" "$TMP/stall.err" && break; sleep 0.05; done
# shellcheck disable=SC2046 # one argument per address
listen_in "$NS" 0.5 $(for p in $(seq 7940 7979); do printf '127.0.0.1:%s ' "$p"; done)
# blocked in write(2) (syscall 1 on x86_64, 64 on arm64) once the pipe is full
for _ in $(seq 100); do
	read -r nr _ <"/proc/$SPID/syscall" 2>/dev/null
	[ "$nr" = 1 ] || [ "$nr" = 64 ] && break
	sleep 0.05
done
kill -TERM "$SPID"
for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
kill -KILL "$SPID" 2>/dev/null
wait "$SPID"
rc=$?
exec 8<&-
check "SIGTERM while blocked on a reader that does not read: exit 0, no write error" \
	bash -c "[ '$nr' = 1 -o '$nr' = 64 ] && [ $rc = 0 ] && ! grep -q 'failed' '$TMP/stall.err'"

# SIGHUP (a closed terminal, a supervisor) ends the run as SIGTERM does: exit 0, after the
# ring buffer is drained. sockwatch is stopped while the listener opens, so its event is
# still in the ring buffer when the signal comes.
start hup --json --quiet-baseline --netns "$INO" || not_ok "sockwatch started"
kill -STOP "$SWPID"
listen_in "$NS" 0 127.0.0.1:7704
kill -HUP "$SWPID"
kill -CONT "$SWPID"
wait "$SWPID"
rc=$?
if [ $rc = 0 ] && [ "$(count_json hup '.event=="listen" and .lport==7704')" = 1 ]; then
	ok "SIGHUP: exit 0, and the listener still in the ring buffer is reported first"
else
	not_ok "SIGHUP: exit 0, and the listener still in the ring buffer is reported first" \
		"rc=$rc; $(cat "$TMP/hup.out" "$TMP/hup.err")"
fi

# --- the CI gate of docs/listen.md, run as written there ---------------------------------
# It must fail, every time, for a listener that the rules do not allow and that opened
# before sockwatch started or while it was starting (baseline or new, whichever it
# became), and pass when only allowed listeners exist. sockwatch and the tests are
# commands on PATH, as in a CI script: sockwatch is restricted to a namespace of this
# test's own.
HERE=$(cd "$(dirname "$0")" && pwd)
GATE=$(sed -n '/^    rm -f sockwatch.ready$/,/listener gate failed/p' "$HERE/../../docs/listen.md" |
	sed 's/^    //')
netns_up "$NS3"
INO3=$(netns_ino "$NS3")
mkdir -p "$TMP/gatebin"
printf '#!/bin/sh\nexec "%s" "$@" --netns %s\n' "$SW" "$INO3" >"$TMP/gatebin/sockwatch"
printf '#!/bin/bash\neval "$GATE_TESTS"\n' >"$TMP/gatebin/run-integration-tests"
chmod +x "$TMP/gatebin/sockwatch" "$TMP/gatebin/run-integration-tests"
GATE_N=0
# gate TESTS: runs the documented gate in a fresh directory with TESTS as the tests;
# sets GATE_DIR and GATE_RC
gate() {
	GATE_N=$((GATE_N + 1))
	GATE_DIR=$TMP/gate$GATE_N
	mkdir -p "$GATE_DIR"
	printf 'allow listen port 7811\nallow listen port 7812\n' >"$GATE_DIR/expected.rules"
	(cd "$GATE_DIR" && GATE_TESTS=$1 PATH="$TMP/gatebin:$PATH" timeout 60 bash -c "$GATE" \
		>"$GATE_DIR/gate.out" 2>"$GATE_DIR/gate.err")
	GATE_RC=$?
}
# gate_failed_on PORT: the gate failed because sockwatch reported PORT (exit 5)
gate_failed_on() {
	[ "$GATE_RC" = 1 ] && grep -q '^listener gate failed: sockwatch exited 5$' "$GATE_DIR/gate.out" &&
		[ "$(jq -c "select(.lport==$1 and .level==\"alert\")" "$GATE_DIR/alerts.json" | wc -l)" -ge 1 ]
}
# listen_bg PORT DELAY: in the background, after DELAY seconds, a listener on PORT in NS3
# for up to 30 s (LPID: its pid, to end it)
listen_bg() {
	ip netns exec "$NS3" python3 -c "
import socket, time
time.sleep($2)
s = socket.socket(); s.bind(('127.0.0.1', $1)); s.listen(); time.sleep(30)" &
	LPID=$!
	PIDS+=("$LPID")
}
if [ -z "$GATE" ]; then
	not_ok "the CI gate example is in docs/listen.md"
else
	hold_in "$NS3" 127.0.0.1:7811 # allowed, there before: the baseline
	gate "ip netns exec $NS3 python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 7812)); s.listen()'"
	check "the documented CI gate passes when only allowed listeners exist (before and during)" \
		bash -c "[ $GATE_RC = 0 ] && [ ! -s '$GATE_DIR/gate.out' ] &&
			[ \"\$(jq -c 'select(.level==\"alert\")' '$GATE_DIR/alerts.json')\" = '' ]"
	fails=
	for i in 1 2 3; do # an unexpected listener opened before sockwatch starts
		listen_bg 782$i 0
		for _ in $(seq 100); do
			ip netns exec "$NS3" ss -tlnH "sport = :782$i" | grep -q . && break
			sleep 0.05
		done
		gate 'sleep 0.2'
		gate_failed_on 782$i || fails+=" before#$i:rc=$GATE_RC"
		kill "$LPID"
		wait "$LPID" 2>/dev/null
	done
	p=7830
	for d in 0 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.4; do # ... or while it starts
		p=$((p + 1))
		listen_bg $p $d
		gate 'sleep 0.6'
		gate_failed_on $p || fails+=" at+${d}s:rc=$GATE_RC"
		kill "$LPID"
		wait "$LPID" 2>/dev/null
	done
	if [ -z "$fails" ]; then
		ok "the documented CI gate fails every time for a listener opened before or while sockwatch starts"
	else
		not_ok "the documented CI gate fails every time for a listener opened before or while sockwatch starts" \
			"passed, or failed otherwise:$fails"
	fi
	gate "ip netns exec $NS3 python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 7850)); s.listen()'"
	check "the documented CI gate fails for a listener its tests open (even one that closed at once)" \
		gate_failed_on 7850
fi

# --ready-file: created once watching, holding the pid; one left from before is refused.
start ready --quiet-baseline --netns "$INO3" --ready-file "$TMP/sw.ready" || not_ok "sockwatch started"
for _ in $(seq 40); do [ -s "$TMP/sw.ready" ] && break; sleep 0.05; done
check "--ready-file: created once watching, holding sockwatch's pid" \
	[ "$(cat "$TMP/sw.ready" 2>/dev/null)" = "$SWPID" ]
stop
out=$(timeout 20 "$SW" listen --ready-file "$TMP/sw.ready" 2>&1 >/dev/null)
rc=$?
check "--ready-file that exists already: exit 2 (it would say ready too early)" \
	bash -c "[ $rc = 2 ] && [ \"$out\" = \"sockwatch: --ready-file $TMP/sw.ready already exists: remove it first (an old one would say ready before sockwatch is) (see 'sockwatch listen --help')\" ]"

# A --ready-file that cannot be created is a usage error found before anything is attached
# (it was found after the baseline and the "watching listeners" line: exit 1, too late).
# ready_bad TAG MESSAGE PATH [setpriv ARGS...]: exit 2, that one line, no bpf() call at all,
# nothing on stdout, nothing created.
ready_bad() {
	local tag=$1 msg=$2 path=$3 rc
	shift 3
	strace -f -qq -e trace=bpf -o "$TMP/$tag.strace" "$@" "$SW" listen --netns "$INO" \
		--ready-file "$path" >"$TMP/$tag.out" 2>"$TMP/$tag.err"
	rc=$?
	[ $rc = 2 ] && [ "$(cat "$TMP/$tag.err")" = "sockwatch: $msg (see 'sockwatch listen --help')" ] &&
		[ ! -s "$TMP/$tag.out" ] && ! grep -q 'bpf(' "$TMP/$tag.strace" && [ ! -e "$path" ] ||
		{ echo "# rc=$rc: $(cat "$TMP/$tag.err" "$TMP/$tag.out")"; grep -m3 'bpf(' "$TMP/$tag.strace"; return 1; }
}
check "--ready-file in a missing directory: exit 2 before attaching" ready_bad rdmiss \
	"--ready-file $TMP/nodir/d/f: cannot create it in $TMP/nodir/d: No such file or directory" \
	"$TMP/nodir/d/f"
echo x >"$TMP/plainfile"
check "--ready-file under a file that is no directory: exit 2 before attaching" ready_bad rdfile \
	"--ready-file $TMP/plainfile/f: cannot create it in $TMP/plainfile: Not a directory" \
	"$TMP/plainfile/f"
check "--ready-file ending in '/': exit 2 before attaching" ready_bad rdslash \
	"--ready-file $TMP/nodir/: Is a directory" "$TMP/nodir/"
# nobody may not write to /: refused as such (it used to get as far as the privilege check)
RD_ROOT=/sw-ready-$$-$RANDOM
check "--ready-file in a directory the user cannot write to: exit 2 before attaching" \
	ready_bad rdperm "--ready-file $RD_ROOT: cannot create it in /: Permission denied" "$RD_ROOT" \
	setpriv --reuid=65534 --regid=65534 --clear-groups

# In a PID namespace of its own, /proc shows other pids than the kernel reports: said.
unshare -p -f --mount-proc "$SW" listen --learn - --netns "$INO" >/dev/null 2>"$TMP/pidns.err"
"$SW" listen --learn - --netns "$INO" >/dev/null 2>"$TMP/hostpid.err"
check "in a child PID namespace a warning says pids and /proc may not agree (not outside it)" \
	bash -c "grep -q '^sockwatch: warning: running in a PID namespace other than the host' '$TMP/pidns.err' &&
		! grep -q 'PID namespace' '$TMP/hostpid.err'"

# --- bad rules file -----------------------------------------------------------------------
printf 'allow listen port 22\n\nallow listen port 99999\n' >"$TMP/bad.rules"
strace -f -qq -e trace=bpf -o "$TMP/bad.strace" "$SW" listen --rules "$TMP/bad.rules" \
	>"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
check "bad rules file exits 2 with file:line: message" \
	bash -c "[ $rc = 2 ] && [ \"\$(cat '$TMP/bad.err')\" = \"sockwatch: $TMP/bad.rules:3: port '99999' out of range (1-65535)\" ]"
check "and never touched BPF" bash -c "! grep -q 'bpf(' '$TMP/bad.strace'"

"$SW" listen --learn - --json >"$TMP/lj.out" 2>"$TMP/lj.err"
rc=$?
check "--learn with --json exits 2: it writes rules, whatever the format asked" \
	bash -c "[ $rc = 2 ] && [ ! -s '$TMP/lj.out' ] && [ \"\$(cat '$TMP/lj.err')\" = \"sockwatch: --learn writes rules, not alert lines: --json does not apply to it (see 'sockwatch listen --help')\" ]"

# --- --learn FILE: a bad path is a usage error (exit 2); a symlink is refused, not followed ----
# learn_bad EXPECTED_STDERR FILE
learn_bad() {
	local out rc
	out=$(timeout 30 "$SW" listen --learn "$2" --netns "$INO" 2>&1 >/dev/null)
	rc=$?
	# the error is the last line (warnings about the machine may come before it)
	[ "$rc" = 2 ] && [ "$(tail -n 1 <<<"$out")" = "$1" ] &&
		! grep -v '^sockwatch: warning: ' <<<"$out" | grep -vqxF "$1" ||
		{ echo "# rc=$rc: $out"; return 1; }
}
echo keep >"$TMP/learn-target"
ln -s "$TMP/learn-target" "$TMP/learn-link"
ln -s "$TMP/learn-absent" "$TMP/learn-dangling"
check "--learn refuses a symlink at FILE, as file: outputs do (exit 2)" learn_bad \
	"sockwatch: $TMP/learn-link: the path is a symlink (refusing to follow it)" "$TMP/learn-link"
check "--learn left the symlink's target as it was" [ "$(cat "$TMP/learn-target")" = keep ]
check "--learn refuses a dangling symlink and creates nothing through it" learn_bad \
	"sockwatch: $TMP/learn-dangling: the path is a symlink (refusing to follow it)" \
	"$TMP/learn-dangling"
check "--learn creates nothing through a dangling symlink" [ ! -e "$TMP/learn-absent" ]
check "--learn '' exits 2" learn_bad \
	"sockwatch: --learn needs a file name ('-' for standard output) (see 'sockwatch listen --help')" ""
check "--learn DIR exits 2" learn_bad "sockwatch: $TMP: Is a directory" "$TMP"
check "--learn in a missing directory exits 2" learn_bad \
	"sockwatch: $TMP/nodir/x.rules: No such file or directory" "$TMP/nodir/x.rules"

# --- --help: every option's description starts in one column -----------------------------
bad=$("$SW" listen --help | sed -n '/^  *-/,/^$/p' | grep -v '^$' |
	awk '{ if (substr($0, 23, 1) != " " || substr($0, 24, 1) == " ") print }')
if [ -z "$bad" ]; then
	ok "listen --help: every option's description starts in the common options' column"
else
	not_ok "listen --help: every option's description starts in the common options' column" "$bad"
fi

# --- --format ecs: events only ---------------------------------------------------------------
"$SW" listen --format ecs >"$TMP/ecs.out" 2>"$TMP/ecs.err"
rc=$?
check "--format ecs exits 2: listen writes text or json" \
	bash -c "[ $rc = 2 ] && [ ! -s '$TMP/ecs.out' ] && [ \"\$(cat '$TMP/ecs.err')\" = \"sockwatch: invalid format 'ecs': expected text or json (see 'sockwatch listen --help')\" ]"

# --- --learn without privileges ------------------------------------------------------------
# The snapshot would fall back to what this user may see (no other users' namespaces or
# owners) and looser rules would come out: refused like tracing, exit 3, nothing written.
setpriv --reuid=65534 --regid=65534 --clear-groups "$SW" listen --learn - --netns "$INO" \
	>"$TMP/nopriv.out" 2>"$TMP/nopriv.err"
rc=$?
check "--learn without privileges exits 3 naming the capabilities, and writes no rules" \
	bash -c "[ $rc = 3 ] && [ ! -s '$TMP/nopriv.out' ] && [ \$(wc -l <'$TMP/nopriv.err') = 1 ] &&
		grep -q 'CAP_BPF and CAP_PERFMON' '$TMP/nopriv.err'"

# With CAP_BPF + CAP_PERFMON but not CAP_SYS_ADMIN the snapshot cannot enter the other
# network namespaces (this script's two at least): rules learned from the rest would leave
# their listeners out. Refused, exit 3, naming CAP_SYS_ADMIN; nothing written.
CAPS=(setpriv --reuid=65534 --regid=65534 --clear-groups '--inh-caps=+bpf,+perfmon'
	'--ambient-caps=+bpf,+perfmon')
"${CAPS[@]}" "$SW" listen --learn - >"$TMP/nosysadmin.out" 2>"$TMP/nosysadmin.err"
rc=$?
if [ $rc = 3 ] && [ ! -s "$TMP/nosysadmin.out" ] &&
	grep -q '^sockwatch: --learn would miss listeners: .* could not be entered .*needs CAP_SYS_ADMIN' \
		"$TMP/nosysadmin.err"; then
	ok "--learn with CAP_BPF + CAP_PERFMON alone: exit 3 naming CAP_SYS_ADMIN, no rules written"
else
	not_ok "--learn with CAP_BPF + CAP_PERFMON alone: exit 3 naming CAP_SYS_ADMIN, no rules written" \
		"rc=$rc; $(cat "$TMP/nosysadmin.out" "$TMP/nosysadmin.err")"
fi
"${CAPS[@]}" "$SW" listen --learn - --netns "$(stat -Lc %i /proc/self/ns/net)" >/dev/null 2>&1
check "--learn with CAP_BPF + CAP_PERFMON for sockwatch's own namespace only: exit 0" [ $? = 0 ]

# --- --learn round trip ------------------------------------------------------------------
hold_in "$NS" 10.77.0.1:7801 [::1]:7802
"$SW" listen --learn "$TMP/learned.rules" --netns "$INO" 2>"$TMP/learn.err"
rc=$?
start relearn --json --rules "$TMP/learned.rules" --netns "$INO" || not_ok "sockwatch started"
listen_in "$NS" 0.2 127.0.0.1:7803
wait_json relearn '.event=="unlisten" and .lport==7803' >/dev/null
stop
if [ $rc = 0 ] &&
	[ "$(count_json relearn '.event=="baseline" and (.lport==7801 or .lport==7802 or .lport==7201) and .level=="info"')" = 3 ] &&
	[ "$(count_json relearn '.event=="listen" and .lport==7803 and .level=="alert"')" = 1 ]; then
	ok "--learn output round-trips: learned listeners are allowed, a new one is not"
else
	not_ok "--learn output round-trips: learned listeners are allowed, a new one is not" \
		"$(cat "$TMP/learned.rules" "$TMP/learn.err" "$TMP/relearn.out" | cut -c1-300)"
fi

# The file is created 0640 (as file: outputs are; umask 0 shows the mode asked for), and
# an existing one is truncated, not appended to, keeping its mode.
rm -f "$TMP/mode.rules"
(umask 0 && "$SW" listen --learn "$TMP/mode.rules" --netns "$INO" 2>/dev/null)
printf 'junk line\n%.0s' $(seq 500) >"$TMP/old.rules"
chmod 600 "$TMP/old.rules"
"$SW" listen --learn "$TMP/old.rules" --netns "$INO" 2>/dev/null
if [ "$(stat -c %a "$TMP/mode.rules")" = 640 ] && [ "$(stat -c %a "$TMP/old.rules")" = 600 ] &&
	cmp -s "$TMP/mode.rules" "$TMP/old.rules"; then
	ok "--learn creates FILE with mode 0640, and truncates an existing one (its mode kept)"
else
	not_ok "--learn creates FILE with mode 0640, and truncates an existing one (its mode kept)" \
		"$(stat -c '%a %n' "$TMP/mode.rules" "$TMP/old.rules"; head -3 "$TMP/old.rules")"
fi

# --- exact owner fields -----------------------------------------------------------------
start owner --quiet-baseline --netns "$INO" || not_ok "sockwatch started"
ESC=$(printf 'tag\033[31mred')
ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
	/usr/bin/python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 7901)); s.listen()
print("%d %d %s" % (os.getpid(), os.getppid(), os.readlink("/proc/self/exe")), flush=True)
time.sleep(0.5)' "$ESC" >"$TMP/owner.pid" &
PIDS+=($!)
for _ in $(seq 100); do grep -q ':7901 ' "$TMP/owner.out" 2>/dev/null && break; sleep 0.05; done
stop
read -r opid oppid oexe <"$TMP/owner.pid"
line=$(grep ' listen   127.0.0.1:7901 ' "$TMP/owner.out")
want="pid=$opid ppid=$oppid uid=65534 user=nobody comm=python3 exe=$oexe exe_check=ok "
case "$line" in
*"$want"*) ok "pid, ppid, uid, user, comm, exe and exe_check are exact" ;;
*) not_ok "pid, ppid, uid, user, comm, exe and exe_check are exact" "want: $want"$'\n'"got:  $line" ;;
esac
case "$line" in
*' cmdline="'*' tag\x1b[31mred"') ok "the command line's escape sequence is escaped (and the line quoted)" ;;
*) not_ok "the command line's escape sequence is escaped (and the line quoted)" "$line" ;;
esac

# --- uid: the effective one, live, in the baseline, in --learn and as ss shows it ----------
# A daemon that drops privileges with setresuid(0, 65534, 0) keeps real uid 0; it acts (and
# its sockets are owned) as 65534, which is what a baseline, --learn and ss -e say.
printf 'allow listen port 7972 user nobody\n' >"$TMP/rules_uid"
start uid --json --quiet-baseline --rules "$TMP/rules_uid" --netns "$INO" || not_ok "sockwatch started"
ip netns exec "$NS" python3 -c '
import os, socket, time
os.setresuid(0, 65534, 0)
a = socket.socket(); a.bind(("127.0.0.1", 7971)); a.listen()
b = socket.socket(); b.bind(("127.0.0.1", 7972)); b.listen()
time.sleep(30)' </dev/null >/dev/null 2>&1 &
UIDPID=$!
PIDS+=("$UIDPID")
wait_json uid '.event=="listen" and .lport==7972'
stop
start uidbase --json --netns "$INO" || not_ok "sockwatch started"
wait_json uidbase '.event=="baseline" and .lport==7971'
stop
"$SW" listen --learn - --netns "$INO" >"$TMP/uid.rules" 2>/dev/null
live=$(jq -r 'select(.event=="listen" and .lport==7971) | "\(.uid) \(.user)"' "$TMP/uid.out")
base=$(jq -r 'select(.event=="baseline" and .lport==7971) | "\(.uid) \(.user)"' "$TMP/uidbase.out")
ssuid=$(ip netns exec "$NS" ss -tlnHe 'sport = :7971' 2>/dev/null | grep -o ' uid:[0-9]*' | cut -d: -f2)
kill "$UIDPID" 2>/dev/null
if [ "$live" = "65534 nobody" ] && [ "$base" = "$live" ] && [ "$ssuid" = 65534 ] &&
	grep -q '^allow listen port 7971 .* user nobody ' "$TMP/uid.rules"; then
	ok "after setresuid(0, 65534, 0) the live uid is the baseline's, --learn's and ss's: 65534"
else
	not_ok "after setresuid(0, 65534, 0) the live uid is the baseline's, --learn's and ss's: 65534" \
		"live '$live', baseline '$base', ss '$ssuid', learned: $(grep 7971 "$TMP/uid.rules")"
fi
check "so a learned 'user nobody' rule allows that daemon's next listener" \
	[ "$(count_json uid '.event=="listen" and .lport==7972 and .level=="info" and .rule_line==1')" = 1 ]

# --- exe rules trust only a path that names the program that listened ----------------------
# (python3 stands for an allowed program, /usr/bin/sleep for another one; -INT makes
# the rule's python3 path: the real file, not a symlink)
PY3=$(readlink -f /usr/bin/python3)
printf 'allow listen port 7951-7953 exe %s\nallow listen port 7954 exe /usr/bin/sleep\n' "$PY3" \
	>"$TMP/rules_exe"
start exe --json --quiet-baseline --rules "$TMP/rules_exe" --netns "$INO" || not_ok "sockwatch started"
ip netns exec "$NS" "$PY3" -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7951)); s.listen(); time.sleep(0.5)' &
PIDS+=($!)
# listens as python3, then exec()s sleep: sockwatch is stopped meanwhile, so /proc
# shows sleep when the event is handled; an exe rule for sleep must not allow it
kill -STOP "$SWPID"
ip netns exec "$NS" "$PY3" -c '
import os, socket
s = socket.socket(); s.bind(("127.0.0.1", 7954)); s.listen(); s.set_inheritable(True)
os.execv("/usr/bin/sleep", ["sleep", "1"])' &
PIDS+=($!)
sleep 0.5
kill -CONT "$SWPID"
# its own program bind-mounted over an allowed path in a mount namespace of its own
cp "$PY3" "$TMP/other-program"
ip netns exec "$NS" unshare -m sh -c 'mount --bind "$1" "$2" && exec "$2" -c "
import socket, time
s = socket.socket(); s.bind((\"127.0.0.1\", 7952)); s.listen(); time.sleep(0.5)"' sh \
	"$TMP/other-program" "$PY3" &
PIDS+=($!)
for p in 7951 7954 7952; do wait_json exe ".event==\"listen\" and .lport==$p"; done
stop
for t in "7951 info ok $PY3 an allowed exe that is what it says is allowed" \
	"7954 alert changed /usr/bin/sleep a process that exec()s an allowed program after listen() is an alert" \
	"7952 alert mismatch $PY3 a program bind-mounted over an allowed path is an alert"; do
	read -r p level chk exe name <<<"$t"
	if [ "$(count_json exe ".event==\"listen\" and .lport==$p and .level==\"$level\" and .exe==\"$exe\" and .exe_check==\"$chk\"")" = 1 ]; then
		ok "$name (exe_check $chk)"
	else
		not_ok "$name (exe_check $chk)" "$(grep ":$p," "$TMP/exe.out")"
	fi
done

# --- a reused pid is not the owner --------------------------------------------------------
# sockwatch is stopped while a listener's process and a connecting one exit and other
# processes get their pids (pid_at: clone3 with set_tid, no forking through the pid
# space); when the events are handled /proc/PID is those, whose command lines must not be
# the alerts': the owners are reported gone, as exited ones are.
cc -O2 -Wall -o "$TMP/pid_at" "$(dirname "$0")/pid_at.c" || exit 1
printf 'deny remote 203.0.113.0/24\n' >"$TMP/rules_reuse"
start reuse --json --quiet-baseline --rules "$TMP/rules_reuse" --netns "$INO" ||
	not_ok "sockwatch started"
kill -STOP "$SWPID"
ip netns exec "$NS" python3 -c '
import os, socket
s = socket.socket(); s.bind(("127.0.0.1", 7981)); s.listen()
print(os.getpid(), flush=True)' victim-listener >"$TMP/reuse.pids"
ip netns exec "$NS" python3 -c '
import os, socket
try:
    socket.create_connection(("203.0.113.7", 7982))
except OSError:
    pass
print(os.getpid(), flush=True)' victim-connector >>"$TMP/reuse.pids"
decoys=0
while read -r vpid; do
	"$TMP/pid_at" "$vpid" python3 -c 'import time; time.sleep(10)' legit-metrics-agent &
	PIDS+=($!)
	for _ in $(seq 100); do
		grep -q legit-metrics-agent "/proc/$vpid/cmdline" 2>/dev/null && decoys=$((decoys + 1)) && break
		sleep 0.05
	done
done <"$TMP/reuse.pids"
kill -CONT "$SWPID"
wait_json reuse '.event=="unlisten" and .lport==7981'
wait_json reuse '.event=="remote" and .direction=="connect_failed" and .rport==7982'
stop
{ read -r lpid; read -r cpid; } <"$TMP/reuse.pids"
gone='.comm=="python3" and .cmdline==null and .exe==null and .ppid==null and .exe_check==null'
if [ "$decoys" = 2 ] &&
	[ "$(count_json reuse ".event==\"listen\" and .lport==7981 and .pid==$lpid and $gone")" = 1 ] &&
	[ "$(count_json reuse ".event==\"remote\" and .rport==7982 and .pid==$cpid and $gone")" = 2 ] &&
	! grep -q legit-metrics-agent "$TMP/reuse.out"; then
	ok "an owner whose pid another process took meanwhile is reported gone, not as that process"
else
	# shellcheck disable=SC2046 # the pids on one line
	not_ok "an owner whose pid another process took meanwhile is reported gone, not as that process" \
		"decoys $decoys at $(echo $(cat "$TMP/reuse.pids")): $(cut -c1-400 "$TMP/reuse.out")"
fi

# --- a process called "-" is not an unknown one -------------------------------------------
start dash --json --quiet-baseline --netns "$INO" || not_ok "sockwatch started"
ip netns exec "$NS" "$PY3" -c '
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"-", 0, 0, 0)  # PR_SET_NAME
s = socket.socket(); s.bind(("127.0.0.1", 7961)); s.listen(); time.sleep(0.3)'
wait_json dash '.event=="unlisten" and .lport==7961'
stop
check "a process named '-' shows as \"-\", not null" \
	[ "$(count_json dash '.event=="listen" and .lport==7961 and .comm=="-" and .pid!=null')" = 1 ]

# --- lost records: said in the stream, and the listeners counted again -----------------
# sockwatch is stopped while the namespace opens and closes 40,000 listeners (80,000 listen
# and unlisten records of 152 bytes: more than its 8 MiB ring buffer holds). Meanwhile a
# baseline listener closes and a new one opens, their records lost too. Once sockwatch
# runs again, a lost line says so, and a snapshot finds both: the new listener is
# reported (an alert, "source":"resync"), the closed one gets its unlisten.
FLOOD_PY='
import socket, sys
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.close()
'
# wait_exit PID SECONDS: waits for PID (a child) to exit; its status, or 124 if it did not
wait_exit() {
	for _ in $(seq $(($2 * 20))); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$1" 2>/dev/null && return 124
	wait "$1"
}
hold_in "$NS" 127.0.0.1:7980
HOLDER=${PIDS[-1]}
start lost --json --netns "$INO" || not_ok "sockwatch started" "$(cat "$TMP/lost.err")"
kill -STOP "$SWPID"
ip netns exec "$NS" python3 -c "$FLOOD_PY" 40000
hold_in "$NS" 0.0.0.0:7981
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
kill -CONT "$SWPID"
for _ in $(seq 300); do
	[ "$(count_json lost '.source=="resync"')" -ge 2 ] && break
	sleep 0.05
done
sleep 0.3
stop
lost_at=$(jq -s 'map(.event=="lost" and .where=="ringbuf" and .lost>0) | index(true)' "$TMP/lost.out")
new_at=$(jq -s 'map(.event=="listen" and .lport==7981 and .source=="resync") | index(true)' "$TMP/lost.out")
if [ "$lost_at" != null ] && [ "$new_at" != null ] && [ "$lost_at" -lt "$new_at" ]; then
	ok "records lost while sockwatch was stopped: a lost line in the alert stream (JSON)"
else
	not_ok "records lost while sockwatch was stopped: a lost line in the alert stream (JSON)" \
		"$(grep -v '"lport":[0-9]*,"exposure":"loopback"' "$TMP/lost.out" | cut -c1-300; cat "$TMP/lost.err")"
fi
check "and the listener whose listen was lost is reported after it, once (alert, source resync)" \
	[ "$(count_json lost '.event=="listen" and .lport==7981 and .level=="alert" and .source=="resync" and .comm=="python3" and .pid!=null')" = 1 ]
check "the listener whose unlisten was lost gets its unlisten (source resync)" \
	[ "$(count_json lost '.event=="unlisten" and .lport==7980 and .source=="resync"')" = 1 ]
check "and nothing else is reported by the resync (the held listeners stay)" \
	[ "$(count_json lost '.source=="resync"')" = 2 ]

# The same with --exit-on-alert (text): the loss itself ends the run, exit 5 (fail closed:
# what was lost may have been a listener), before the resync; nothing after the lost line.
# (Its rules allow every other listener, those held since the earlier tests included.)
printf 'allow listen port 1-7981\nallow listen port 7983-65535\n' >"$TMP/rules_lost"
start lostexit --quiet-baseline --exit-on-alert --rules "$TMP/rules_lost" --netns "$INO" ||
	not_ok "sockwatch started" "$(cat "$TMP/lostexit.err")"
kill -STOP "$SWPID"
ip netns exec "$NS" python3 -c "$FLOOD_PY" 40000
hold_in "$NS" 0.0.0.0:7982
kill -CONT "$SWPID"
wait_exit "$SWPID" 20
rc=$?
if [ "$rc" = 5 ] && grep -Eq ' alert lost     lost=[0-9]+ where=ringbuf$' "$TMP/lostexit.out" &&
	[ "$(grep -c ' alert ' "$TMP/lostexit.out")" = 1 ]; then
	ok "--exit-on-alert exits 5 at lost records, and prints nothing after the lost line (text)"
else
	not_ok "--exit-on-alert exits 5 at lost records, and prints nothing after the lost line (text)" \
		"rc=$rc"$'\n'"$(grep -v ' 127.0.0.1:' "$TMP/lostexit.out" | cut -c1-300; cat "$TMP/lostexit.err")"
fi

# --- start-up with the snapshot held back -----------------------------------------------
# start_held TAG ARGS...: sockwatch listen under strace, which stops it (SIGSTOP) at the
# snapshot's first step (its first getdents64, listing /run/netns), once the tracer is
# attached and before any socket is listed. HELDPID: sockwatch, stopped (kill -CONT it);
# STRACEPID: strace, which exits with sockwatch's status. Returns 1 (sockwatch ended) if
# it did not stop there.
start_held() {
	local tag=$1 attempt; shift
	# Another thread can make the first getdents64 before the tracer is attached (held
	# there, the run proves nothing): then it is stopped and started again, up to 5 times.
	for attempt in 1 2 3 4 5; do
		start_held_once "$tag" "$@" && return 0
		[ "$HELD_EARLY" = 1 ] || return 1
		echo "# attempt $attempt: held before its tracing line, started again"
	done
	return 1
}
start_held_once() {
	local tag=$1; shift
	HELD_EARLY=0
	strace -f -qq -o "$TMP/$tag.strace" -e trace=getdents64 \
		-e inject=getdents64:signal=SIGSTOP:when=1 "$SW" listen "$@" \
		>"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	STRACEPID=$!
	PIDS+=("$STRACEPID")
	HELDPID=
	for _ in $(seq 200); do
		[ -z "$HELDPID" ] && HELDPID=$(pgrep -P "$STRACEPID" | head -n 1)
		if [ -n "$HELDPID" ] && grep -Eq '^[0-9]+ +--- stopped by SIGSTOP ---$' "$TMP/$tag.strace"; then
			PIDS+=("$HELDPID")
			# held where it must be: after attaching, at its first getdents64
			[ "$(grep -Ec '^[0-9]+ +getdents64\(' "$TMP/$tag.strace")" = 1 ] &&
				grep -q '^sockwatch: tracing' "$TMP/$tag.err" && return 0
			grep -q '^sockwatch: tracing' "$TMP/$tag.err" || HELD_EARLY=1
			break
		fi
		kill -0 "$STRACEPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# $(cat "$TMP/$tag.strace")"
	[ -n "$HELDPID" ] && kill -TERM "$HELDPID" && kill -CONT "$HELDPID"
	wait "$STRACEPID"
	return 1
}
# port_gone NS PORT: waits until nothing listens on PORT in NS
port_gone() {
	for _ in $(seq 100); do
		ip netns exec "$1" ss -tlnH "sport = :$2" | grep -q . || return 0
		sleep 0.05
	done
	return 1
}

# A listener there when sockwatch attached that closes before the snapshot reaches it gets
# only its 'unlisten', an alert when the rules do not allow it: with --exit-on-alert that
# ends the run (exit 5) as its baseline line would have, before sockwatch is ready.
NSH=$NS-4
netns_up "$NSH"
INOH=$(netns_ino "$NSH")
hold_in "$NSH" 0.0.0.0:7961
HOLDER=${PIDS[-1]}
printf 'allow listen port 1 exposure loopback\n' >"$TMP/held.rules"
if start_held held1 --rules "$TMP/held.rules" --exit-on-alert --quiet-baseline --json \
	--ready-file "$TMP/held1.ready" --netns "$INOH"; then
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	port_gone "$NSH" 7961
	kill -CONT "$HELDPID"
	wait_exit "$STRACEPID" 10
	rc=$?
	if [ $rc = 124 ]; then # still watching: stopped the way a CI gate stops it
		kill -TERM "$HELDPID"
		wait_exit "$STRACEPID" 10
		rc="$?, after SIGTERM"
	fi
	if [ "$rc" = 5 ] && [ "$(wc -l <"$TMP/held1.out")" = 1 ] &&
		[ "$(count_json held1 '.level=="alert" and .event=="unlisten" and .lport==7961 and .laddr=="0.0.0.0" and .netns=='"$INOH")" = 1 ] &&
		[ ! -e "$TMP/held1.ready" ] && ! grep -q 'watching listeners' "$TMP/held1.err"; then
		ok "--exit-on-alert --rules: a listener that closed before the snapshot reached it (only its 'alert unlisten') exits 5, never ready"
	else
		not_ok "--exit-on-alert --rules: a listener that closed before the snapshot reached it (only its 'alert unlisten') exits 5, never ready" \
			"rc=$rc"$'\n'"$(cat "$TMP/held1.out" "$TMP/held1.err")"
	fi
else
	not_ok "sockwatch stopped at its snapshot" "$(cat "$TMP/held1.err")"
fi

# ts never goes backwards at start-up: baseline lines carry the time the tracer was being
# attached, so the events queued while the snapshot ran, printed after them, are later.
# Held while the snapshot is held back: 7962 and 7963 (baseline); 7964, there at start and
# closed meanwhile (its unlisten only); 7965 opened and closed meanwhile (listen, unlisten).
hold_in "$NSH" 127.0.0.1:7962 127.0.0.1:7963
hold_in "$NSH" 127.0.0.1:7964
HOLDER=${PIDS[-1]}
if start_held held2 --json --netns "$INOH"; then
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	port_gone "$NSH" 7964
	listen_in "$NSH" 0.05 127.0.0.1:7965
	kill -CONT "$HELDPID"
	for _ in $(seq 100); do grep -q "watching listeners" "$TMP/held2.err" && break; sleep 0.05; done
	kill -TERM "$HELDPID"
	wait_exit "$STRACEPID" 10
	rc=$?
	got=$(jq -r '"\(.event) \(.lport)"' "$TMP/held2.out" | tr '\n' ' ')
	# (the two baselines in the snapshot's order)
	if [ "$rc" = 0 ] && { [ "$got" = "baseline 7962 baseline 7963 unlisten 7964 listen 7965 unlisten 7965 " ] ||
		[ "$got" = "baseline 7963 baseline 7962 unlisten 7964 listen 7965 unlisten 7965 " ]; }; then
		ok "start-up with queued events: baselines, then what came while the snapshot ran"
	else
		not_ok "start-up with queued events: baselines, then what came while the snapshot ran" \
			"rc=$rc: $got"
	fi
	if [ "$rc" = 0 ] && [ "$(wc -l <"$TMP/held2.out")" = 5 ] &&
		jq -r .ts "$TMP/held2.out" | LC_ALL=C sort -C; then
		ok "start-up with queued events: ts never decreases from one line to the next"
	else
		not_ok "start-up with queued events: ts never decreases from one line to the next" \
			"$(jq -r '"\(.ts) \(.event) \(.lport)"' "$TMP/held2.out")"
	fi
else
	not_ok "sockwatch stopped at its snapshot" "$(cat "$TMP/held2.err")"
fi
ip netns del "$NSH"

# -p and --comm keep a baseline listener if any process holding it passes them (as top
# does), and report that process: a parent ("parentp") listens, forks, and its child
# execs sleep, holding the listener too.
ip netns exec "$NS2" python3 -c '
import os, socket, time
with open("/proc/self/comm", "w") as f:
    f.write("parentp")
s = socket.socket(); s.bind(("127.0.0.1", 7966)); s.listen(); s.set_inheritable(True)
if os.fork() == 0:
    os.execvp("sleep", ["sleep", "3600"])
time.sleep(3600)' </dev/null >/dev/null 2>&1 &
PARENT=$!
PIDS+=("$PARENT")
CHILD=
for _ in $(seq 100); do
	CHILD=$(pgrep -P "$PARENT" -x sleep | head -n 1)
	[ -n "$CHILD" ] && ip netns exec "$NS2" ss -tlnH "sport = :7966" | grep -q . && break
	sleep 0.05
done
PIDS+=("$CHILD")
# owner_of TAG ARGS...: "comm pid" of each 7966 baseline line of listen ARGS
owner_of() {
	local tag=$1; shift
	start "$tag" --json --netns "$INO2" "$@" || { echo "not started"; return; }
	stop
	jq -r 'select(.event=="baseline" and .lport==7966) | "\(.comm) \(.pid)"' "$TMP/$tag.out" |
		tr '\n' ' '
}
got=$(owner_of fk1 --comm sleep)
check "--comm selects a baseline listener held by a forked child, and reports the child" \
	[ "$got" = "sleep $CHILD " ]
got2=$(owner_of fk2 -p "$CHILD")
check "-p CHILD selects it too, reported as the child's" [ "$got2" = "sleep $CHILD " ]
got3=$(owner_of fk3 --comm parentp)
check "--comm PARENT selects it as the parent's" [ "$got3" = "parentp $PARENT " ]
got4=$(owner_of fk4)
low="parentp $PARENT " # (pids may have wrapped around)
[ "$CHILD" -lt "$PARENT" ] && low="sleep $CHILD "
check "without -p or --comm: the holder with the lowest pid" [ "$got4" = "$low" ]
kill "$CHILD" "$PARENT" 2>/dev/null

# --- start-up race: every listener reported exactly once --------------------------------
pyns "$NS" '
import socket, time
socks = []
for i in range(600):
    s = socket.socket(); s.bind(("127.0.0.1", 20000 + i)); s.listen(); socks.append(s)
    time.sleep(0.002)
time.sleep(1)' &
PIDS+=($!)
sleep 0.3
start race --json --netns "$INO" || not_ok "sockwatch started"
wait_json race '.lport==20599' >/dev/null
stop
dups=$(jq -r 'select(.lport>=20000 and .lport<20600 and (.event=="baseline" or .event=="listen")) | .lport' \
	"$TMP/race.out" | sort | uniq -d | wc -l)
seen=$(jq -r 'select(.lport>=20000 and .lport<20600 and (.event=="baseline" or .event=="listen")) | .lport' \
	"$TMP/race.out" | sort -u | wc -l)
check "listeners opened during start-up are reported exactly once (baseline or listen)" \
	[ "$seen" = 600 -a "$dups" = 0 ]

tap_done
