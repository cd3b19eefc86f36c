#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end check of the syslog sinks against a private rsyslogd (imudp/imtcp on 127.0.0.1).
#
# usage: tests/cli/test_sink_rsyslog.sh [BUILD_DIR]      (KEEP=1 keeps the temp directory)
# Builds tests/tools/sink_driver.c, starts rsyslogd -n with its own config,
# pid file and work directory on random high ports, and compares what rsyslog
# received (%rawmsg%, and its own RFC 5424 parse) with what the driver sent.
# Then kills rsyslogd mid-run, restarts it and checks that the TCP sink
# reconnects and reports its drops in a lost record. Needs rsyslogd and cc.
# Prints TAP and the summary line "N passed, N failed".
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(mktemp -d /tmp/sw-rsyslog.XXXXXX)
DRIVER=$DIR/sink_driver
RSYSLOGD=${RSYSLOGD:-rsyslogd}
# shellcheck disable=SC2034 # read by start_rsyslog and stop_rsyslog (lib.sh)
RSYSLOG_PID=

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lib.sh"

cleanup() {
	stop_rsyslog
	if [ -n "${DRV_PID:-}" ]; then kill "$DRV_PID" 2>/dev/null; fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$DIR"; else echo "# kept $DIR"; fi
}
trap cleanup EXIT

# driver_start SPEC QUEUE_LEN EXPECT_FILE; then drv CMD prints the driver's reply
driver_start() {
	coproc DRV { "$DRIVER" "$@"; }
	DRV_PID=$DRV_PID
}
drv() {
	local reply
	echo "$*" >&"${DRV[1]}"
	read -r -t 60 reply <&"${DRV[0]}" || reply="(no reply)"
	echo "$reply"
}
driver_close() {
	local reply
	reply=$(drv close)
	wait "$DRV_PID" 2>/dev/null
	DRV_PID=
	echo "$reply"
}

# what rsyslog should have parsed out of each line: MSGID [SD] MSG
parsed_of() { cut -d' ' -f6- "$1"; }

cc -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" \
	"$ROOT/tests/tools/sink_driver.c" "$ROOT"/src/sink*.c "$ROOT/src/event.c" \
	"$ROOT/src/addr.c" "$ROOT/src/strbuf.c" "$ROOT/src/textwidth.c" -lz -lpthread -o "$DRIVER" || { echo "# cannot build the driver"; exit 1; }
command -v "$RSYSLOGD" >/dev/null || { echo "# rsyslogd not found"; exit 1; }

UDP_PORT=$(pick_port)
TCP_PORT=$(pick_port)
mkdir -p "$DIR/work"
cat >"$DIR/rsyslog.conf" <<CONF
global(workDirectory="$DIR/work" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="imptcp")
template(name="raw" type="string" string="%rawmsg%\n")
template(name="parsed" type="string" string="%msgid% %structured-data% %msg%\n")
ruleset(name="udp") {
	action(type="omfile" file="$DIR/udp.raw" template="raw")
	action(type="omfile" file="$DIR/udp.parsed" template="parsed")
}
ruleset(name="tcp") {
	action(type="omfile" file="$DIR/tcp.raw" template="raw")
	action(type="omfile" file="$DIR/tcp.parsed" template="parsed")
}
ruleset(name="unix") {
	action(type="omfile" file="$DIR/unix.raw" template="raw")
}
input(type="imudp" address="127.0.0.1" port="$UDP_PORT" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$TCP_PORT" ruleset="tcp")
input(type="imptcp" path="$DIR/stream.sock" unlink="on" addtlFrameDelimiter="0"
	ruleset="unix")
CONF

start_rsyslog "$DIR" || exit 1
NREC=300 # records sent in 1, 2 and 4

# roundtrip PROTO PORT PACE: NREC records through syslog+PROTO to rsyslog (PACE as the
# driver's send takes it); what rsyslog wrote, raw and parsed, must be what was sent.
roundtrip() {
	driver_start "syslog+$1://127.0.0.1:$2" 0 "$DIR/$1.expect"
	drv send 0 $NREC "$3" >/dev/null
	echo "# $1: $(driver_close)"
	wait_lines "$DIR/$1.raw" $NREC
	check "$1: $NREC records received, raw lines match" cmp -s "$DIR/$1.expect" "$DIR/$1.raw"
	check "$1: rsyslog parses MSGID, SD and MSG" cmp -s <(parsed_of "$DIR/$1.expect") "$DIR/$1.parsed"
}

# 1. UDP: one datagram per record, byte for byte
roundtrip udp "$UDP_PORT" 200

# 2. TCP with octet counting
roundtrip tcp "$TCP_PORT" 0

# 3. TCP receiver killed mid-run and restarted: reconnect, drops counted, lost record sent
: >"$DIR/tcp.raw"
driver_start "syslog+tcp://127.0.0.1:$TCP_PORT" 50 "$DIR/tcp3.expect"
drv send 1000 1100 500 >/dev/null
drv wait-written 100 >/dev/null
wait_lines "$DIR/tcp.raw" 100
stop_rsyslog KILL
drv send 1100 1400 1000 >/dev/null
start_rsyslog "$DIR" || exit 1
drv wait-written 150 >/dev/null # reconnected (backoff) and drained the 50 queued records
drv send 1400 1410 0 >/dev/null
stats=$(driver_close)
echo "# tcp restart: $stats"
read -r _ written _ dropped _ _ _ reconnects <<<"$stats"
wait_lines "$DIR/tcp.raw" $((written - 100)) # lines of the second rsyslogd
got=$(cat "$DIR/tcp.raw")
lost_line=$(grep 'kind="lost"' <<<"$got")
lost=$(sed -n 's/.* lost="\([0-9]*\)".*/\1/p' <<<"$lost_line")
seqs=$(grep -v 'kind="lost"' <<<"$got" | sed -n 's/.*\] {"seq":\([0-9]*\),.*/\1/p')
check "tcp restart: sink reconnected ($reconnects)" [ "${reconnects:-0}" -ge 1 ]
check "tcp restart: records were dropped while down ($dropped)" [ "${dropped:-0}" -gt 0 ]
one_lost_record() { [ "$(grep -c . <<<"$lost_line")" = 1 ] && [ "$lost" = "$dropped" ]; }
check "tcp restart: one lost record, lost=$lost equals the drop count" one_lost_record
check "tcp restart: records received + lost = records sent" \
	[ "$(($(grep -c . <<<"$seqs") + ${lost:-0}))" = 410 ]
check "tcp restart: no duplicates, in order" cmp -s <(echo "$seqs") <(sort -n -u <<<"$seqs")
check "tcp restart: every record after the restart arrived" \
	[ "$(grep -c '^14[0-9][0-9]$' <<<"$seqs")" = 10 ]
first_after=$(awk -v l="$lost_line" '$0 == l { getline; print; exit }' <<<"$got" |
	sed -n 's/.*\] {"seq":\([0-9]*\),.*/\1/p')
lost_seq_is_next() { [ -n "$first_after" ] && grep -q "seq=\"$first_after\"" <<<"$lost_line"; }
check "tcp restart: lost record carries the seq of the record after it ($first_after)" \
	lost_seq_is_next
check "tcp restart: lines that arrived match what was sent" \
	cmp -s <(grep -v 'kind="lost"' <<<"$got") <(grep -F -f <(grep -v 'kind="lost"' <<<"$got") "$DIR/tcp3.expect")

# 4. A stream unix socket (imptcp on a path; NUL ends a message, as syslog(3) sends it)
driver_start "syslog+unix:$DIR/stream.sock" 0 "$DIR/unix.expect"
drv send 0 $NREC 0 >/dev/null
echo "# unix stream: $(driver_close)"
wait_lines "$DIR/unix.raw" $NREC
check "unix stream: $NREC records received, one message each" \
	[ "$(grep -c '^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* sockwatch\[[0-9]*\]: {' "$DIR/unix.raw")" = $NREC ]
check "unix stream: the messages are the records sent" \
	cmp -s <(sed 's/.*\] {/{/' "$DIR/unix.expect") <(sed 's/^[^]]*\]: //' "$DIR/unix.raw")

tap_done
