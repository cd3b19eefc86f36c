# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Plumbing shared by the command-line test scripts (sourced after tap.sh, not run): the
# suite's start, root and tool checks, namespaces, waiting for sockwatch and for files,
# free ports, a private rsyslogd, a private tmux server, and the helper holding sockets.
# The functions read the suite's variables where they say so (TMP, NS, HERE, PIDS, ...).
# shellcheck disable=SC2154 # those variables are set by the suite that sources this

# --- the start of a suite -------------------------------------------------------------

# sw_suite TAG NS_DEFAULT BUILD: the start of a suite that runs sockwatch in one namespace
# of its own. Sets SW (BUILD/sockwatch, absolute), TMP (a new /tmp/sw-TAG.XXXXXX), NS
# (SW_NETNS_PREFIX, else NS_DEFAULT; made by netns_up when wanted) and PIDS (processes to
# kill at exit), and traps EXIT to kill PIDS, delete NS and remove TMP.
sw_suite() {
	# shellcheck disable=SC2034 # SW is the suite's
	SW=$(realpath "$3/sockwatch")
	TMP=$(mktemp -d "/tmp/sw-$1.XXXXXX")
	NS=${SW_NETNS_PREFIX:-$2}
	PIDS=()
	trap sw_suite_cleanup EXIT
}
sw_suite_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}

# need_root: ends the suite as not run ("1..0 # SKIP needs root") unless run as root.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 0
	fi
}

# need_tools CMD...: ends the suite as not run ("1..0 # SKIP CMD missing") for the first
# CMD that is not installed.
need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }
	done
}

# --- network namespaces ---------------------------------------------------------------

# netns_up NAME: a new network namespace NAME with lo up; false if either step failed.
netns_up() { ip netns add "$1" && ip netns exec "$1" ip link set lo up; }

# netns_ino NAME: the inode of namespace NAME, which sockwatch's --netns takes.
netns_ino() { stat -Lc %i "/run/netns/$1"; }

# --- waiting --------------------------------------------------------------------------

# wait_tracing FILE [SECONDS [PID]]: until sockwatch's stderr in FILE has its
# "sockwatch: tracing" line (at most SECONDS, 10 by default); false on time-out, or at
# once if PID (the sockwatch) has exited without it.
wait_tracing() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		grep -qs '^sockwatch: tracing' "$1" && return 0
		[ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

# wait_lines FILE N [SECONDS]: until FILE has at least N lines (at most SECONDS, 10 by default).
wait_lines() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# now_ms: the time in milliseconds (for deadlines).
now_ms() { date +%s%3N; }

# --- ports and rsyslogd ---------------------------------------------------------------

# port_free PORT: true if no TCP listener and no UDP socket has PORT here.
port_free() { ! ss -Htauln "sport = :$1" | grep -q .; }

# pick_port: a random free port in 20000..49999 (see port_free), for TCP and UDP alike.
pick_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		port_free "$p" && { echo "$p"; return; }
	done
}

# rsyslog_listening: true once rsyslogd listens on TCP_PORT (TCP) and UDP_PORT (UDP).
rsyslog_listening() {
	ss -Hltn "sport = :$TCP_PORT" | grep -q . && ss -Hlun "sport = :$UDP_PORT" | grep -q .
}

# start_rsyslog DIR: $RSYSLOGD -n with DIR/rsyslog.conf (pid file DIR/rsyslog.pid, output
# appended to DIR/rsyslogd.log) in the background, RSYSLOG_PID set, until it listens (at
# most 10 s; else false, its output shown).
start_rsyslog() {
	local i
	"$RSYSLOGD" -n -f "$1/rsyslog.conf" -i "$1/rsyslog.pid" >>"$1/rsyslogd.log" 2>&1 &
	RSYSLOG_PID=$!
	for ((i = 0; i < 200; i++)); do
		rsyslog_listening && return 0
		sleep 0.05
	done
	echo "# rsyslogd did not start:"
	sed 's/^/# /' "$1/rsyslogd.log"
	return 1
}

# stop_rsyslog [SIGNAL]: sends SIGNAL (TERM by default) to the rsyslogd started, and waits.
stop_rsyslog() {
	[ -n "$RSYSLOG_PID" ] || return 0
	kill "-${1:-TERM}" "$RSYSLOG_PID" 2>/dev/null
	wait "$RSYSLOG_PID" 2>/dev/null
	RSYSLOG_PID=
}

# --- tmux -----------------------------------------------------------------------------

# tmux ARGS...: a tmux server of the suite's own (its socket in $TMP), held up by tmux_keep's
# session that lives as long as the suite: on the shared default server, a session made
# just as the last one ended met the server on its way out ("server exited unexpectedly")
# and never started.
tmux() { command tmux -S "$TMP/tmux.sock" "$@"; }

# tmux_keep: starts that server with its session "keep". Call it before any helper is
# started: the server must hold none of their fds.
tmux_keep() { tmux new-session -d -s keep "sleep 86400" </dev/null >/dev/null 2>&1; }

# screen SESSION: what tmux SESSION shows.
screen() { tmux capture-pane -p -t "$1"; }

# wait_screen SESSION ERE TIMEOUT_MS: true when a line of SESSION's screen matches in time.
wait_screen() {
	local end=$(($(now_ms) + $3))
	while [ "$(now_ms)" -le "$end" ]; do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	return 1
}

# --- sockets held open, and comparing them with ss ------------------------------------

# hold TAG ARGS...: runs $HERE/hold_conns.py ARGS in namespace NS (its pid added to PIDS)
# until HOLD_FD_TAG, the write end of its stdin, is closed; waits until its sockets are
# open (at most HOLD_WAIT seconds, 10 by default).
hold() {
	local tag=$1 fd i
	shift
	mkfifo "$TMP/in.$tag"
	ip netns exec "$NS" python3 "$HERE/hold_conns.py" --ready "$TMP/ready.$tag" "$@" \
		<"$TMP/in.$tag" >/dev/null &
	PIDS+=($!)
	exec {fd}>"$TMP/in.$tag"
	eval "HOLD_FD_$tag=$fd"
	for ((i = 0; i < ${HOLD_WAIT:-10} * 20; i++)); do
		[ -e "$TMP/ready.$tag" ] && return 0
		sleep 0.05
	done
	return 1
}

# canon_ss_rows: `ss -tanpH` lines (stdin) as "STATE LOCAL PEER PID", sorted: sockwatch's
# state names, PEER * for a listener, PID the first owner's (- for none).
canon_ss_rows() {
	awk '
	BEGIN { m["ESTAB"]="ESTABLISHED"; m["SYN-SENT"]="SYN_SENT"; m["SYN-RECV"]="SYN_RECV";
		m["FIN-WAIT-1"]="FIN_WAIT1"; m["FIN-WAIT-2"]="FIN_WAIT2"; m["TIME-WAIT"]="TIME_WAIT";
		m["CLOSE-WAIT"]="CLOSE_WAIT"; m["LAST-ACK"]="LAST_ACK"; m["CLOSING"]="CLOSING";
		m["LISTEN"]="LISTEN" }
	{ st = ($1 in m) ? m[$1] : $1; pid = "-"
	  if (match($0, /pid=[0-9]+/)) pid = substr($0, RSTART + 4, RLENGTH - 4)
	  peer = (st == "LISTEN") ? "*" : $5
	  print st, $4, peer, pid }' | sort
}

# canon_sw_rows [JQ-FILTER]: the rows of `sockwatch top --once --json` (stdin) that
# JQ-FILTER passes (all by default) as canon_ss_rows writes them, sorted.
canon_sw_rows() {
	jq -r "${1:-.}"' |
		def ep(a; p): if .family == 6 then "[\(a)]:\(p)" else "\(a):\(p)" end;
		[.state, ep(.laddr; .lport),
		 (if .state == "LISTEN" then "*" else ep(.raddr; .rport) end),
		 (.pid // "-" | tostring)] | join(" ")' | sort
}
