#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Command-line tests of `sockwatch events`: exit codes, error messages, signals, hostile names.
# usage: tests/cli/test_events.sh [BUILD_DIR]; needs root; prints TAP and a summary line.
# SW_NETNS_PREFIX names the network namespace it makes (default swevPID).
set -u
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lib.sh"
sw_suite events "swev$$" "${1:-build}"

# expect_exit CODE PATTERN ARGS...: exit code and one stderr line matching PATTERN
# (a sockwatch that starts tracing instead of exiting fails after 20 s, exit 124)
expect_exit() {
	local code=$1 pat=$2 rc
	shift 2
	timeout 20 "$SW" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[[ $rc -eq $code ]] && grep -qE "$pat" "$TMP/err" && [[ $(wc -l <"$TMP/err") -eq 1 ]] ||
		{ echo "# exit $rc, stderr: $(cat "$TMP/err")"; return 1; }
}

# --version and `version`: one line, the version baked in at build time (git describe), exit 0
version_ok() {
	local out rc
	out=$(timeout 20 "$SW" "$@" 2>&1)
	rc=$?
	[[ $rc -eq 0 && $out =~ ^sockwatch\ [0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] ||
		{ echo "# exit $rc: $out"; return 1; }
}
check "--version prints 'sockwatch VERSION', exit 0" version_ok --version
check "'sockwatch version' prints the same" \
	bash -c "[ \"\$('$SW' version)\" = \"\$('$SW' --version)\" ]"

ids_before=$(sw_prog_ids)
check "unknown option exits 2 with a hint" \
	expect_exit 2 "^sockwatch: unknown option '--bogus' \(see 'sockwatch events --help'\)$" events --bogus
check "unknown option inside a cluster names that option" \
	expect_exit 2 "^sockwatch: unknown option '-x' \(see 'sockwatch events --help'\)$" events -x4
check "a value for a flag is not an unknown option" \
	expect_exit 2 "^sockwatch: option '--json' takes no value \(see 'sockwatch events --help'\)$" \
	events --json=1
check "an ambiguous abbreviation names the options it could be" \
	expect_exit 2 "^sockwatch: ambiguous option '--st' \(could be --states, --state-hook\) \(see 'sockwatch events --help'\)$" \
	events --st
check "a bad output spec comes with the usage hint" \
	expect_exit 2 "^sockwatch: bad output \"kafka:x\": unknown sink \"kafka\" .*\) \(see 'sockwatch events --help'\)$" \
	events -o kafka:x
# No syslog daemon on a local socket: said so, with what to do, not a bare ENOENT.
check "syslog+unix: to a socket that is not there: no syslog daemon listens, and what to do" \
	expect_exit 2 "^sockwatch: bad output \"syslog\+unix:$TMP/nolog\": $TMP/nolog does not exist: no syslog daemon seems to be listening there \(start one, such as rsyslog, or send to a remote one with syslog\+udp://HOST:PORT or syslog\+tcp://HOST:PORT\) \(see 'sockwatch events --help'\)$" \
	events -o "syslog+unix:$TMP/nolog"
if [ ! -e /dev/log ]; then
	check "syslog without /dev/log: names /dev/log, no local syslog daemon listens" \
		expect_exit 2 "^sockwatch: bad output \"syslog\": /dev/log does not exist: no local syslog daemon seems to be listening there \(start one, such as rsyslog, or send to a remote one with syslog\+udp://HOST:PORT or syslog\+tcp://HOST:PORT\) \(see 'sockwatch events --help'\)$" \
		events -o syslog
else
	ok "syslog without /dev/log # SKIP /dev/log exists here"
fi
check "an option with a value given twice is refused (the last one silently won)" \
	expect_exit 2 "^sockwatch: option '--port' given twice \(see 'sockwatch events --help'\)$" \
	events --port 22 --port 80
check "--rotate-keep twice is refused" \
	expect_exit 2 "^sockwatch: option '--rotate-keep' given twice" events --rotate-keep 2 --rotate-keep 3
check "--json with --format ecs conflicts" \
	expect_exit 2 "^sockwatch: --json and --format ecs conflict: --json is --format json \(see 'sockwatch events --help'\)$" \
	events --format ecs --json
check "flags twice and -o twice are no such error" \
	expect_exit 2 "^sockwatch: unknown option '--bogus'" \
	events --json --json --states --states -v -v -o stdout -o "file:$TMP/x.json" --bogus
check "bad port exits 2" expect_exit 2 "invalid port '70000': expected 1..65535" events --port 70000
check "-4 with -6 exits 2" expect_exit 2 "^sockwatch: -4 and -6 exclude each other" events -4 -6
check "bad pid exits 2" expect_exit 2 "invalid pid 'abc'" events -p abc
check "a number after white space and a sign exits 2 (never wraps)" \
	expect_exit 2 "invalid port ' -18446744073709551615'" events --port ' -18446744073709551615'
check "missing value exits 2" expect_exit 2 "option '--netns' needs a value" events --netns
check "bad attach mode exits 2" expect_exit 2 "invalid attach mode 'magic'" events --attach magic
check "unknown verb exits 2" expect_exit 2 "unknown verb 'frobnicate'" frobnicate
check "a value quoted in an error is escaped (no raw ESC or BEL to the terminal)" \
	expect_exit 2 "^sockwatch: invalid pid '\\\\x1b\\]0;x\\\\x07': " events -p $'\e]0;x\a'
check "help exits 0" bash -c "$SW events --help >/dev/null"
check "not root exits 3 naming the capabilities" \
	bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups $SW events 2>$TMP/err; \
		[[ \$? -eq 3 ]] && grep -q 'CAP_BPF and CAP_PERFMON' $TMP/err && ! grep -qi ulimit $TMP/err"
check "CAP_BPF alone exits 3 naming CAP_PERFMON as the one missing" \
	bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf --ambient-caps=+bpf \
		$SW events 2>$TMP/err; [[ \$? -eq 3 ]] && grep -q 'missing: CAP_PERFMON (' $TMP/err"
# root without the capabilities (an unprivileged container): sudo would not help, say so
check "root without CAP_BPF and CAP_PERFMON exits 3 saying it runs as root without them" \
	bash -c "setpriv --inh-caps=-all --bounding-set=-all $SW events 2>$TMP/err; [[ \$? -eq 3 ]] &&
		[[ \$(cat $TMP/err) == 'sockwatch: permission denied: sockwatch runs as root but without CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), as in an unprivileged container; missing: CAP_BPF and CAP_PERFMON (grant them, e.g. docker run --cap-add BPF --cap-add PERFMON, or run it on the host)' ]] ||
		{ echo \"# \$(cat $TMP/err)\"; exit 1; }"
# Privileges come before the outputs: a run that cannot trace creates no file.
mkdir -m 1777 "$TMP/w"
chmod 711 "$TMP"
check "not root with a file output: exit 3, and the file is not created" \
	bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups $SW events -o file:$TMP/w/out.json \
		2>$TMP/err; [[ \$? -eq 3 ]] && [[ ! -e $TMP/w/out.json ]] && grep -q 'CAP_BPF' $TMP/err"
# On a kernel that refuses fentry (the build machines'), the forced mode names the cause.
timeout 10 "$SW" events --attach fentry >/dev/null 2>"$TMP/err" &
fpid=$!
PIDS+=("$fpid")
sleep 2
if kill -0 "$fpid" 2>/dev/null; then
	kill -TERM "$fpid"
	wait "$fpid"
	check "forced fentry mode works on this kernel" true
else
	wait "$fpid"
	rc=$?
	check "forced fentry on a kernel that refuses it exits 4 naming the program" \
		bash -c "[[ $rc -eq 4 ]] && grep -q 'kernel refused program sw_fentry_tcp_connect (EPERM)' $TMP/err"
fi
# A kernel without kprobes (no kprobe PMU: the build machines') says so whoever asks: with
# CAP_BPF + CAP_PERFMON and no root, libbpf's fallback through tracefs fails with EACCES,
# which is not the cause.
if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	for who in root caps; do
		if [ $who = root ]; then
			timeout 20 "$SW" events --attach kprobe >/dev/null 2>"$TMP/kp.$who"
		else
			timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+perfmon \
				--ambient-caps=+bpf,+perfmon "$SW" events --attach kprobe >/dev/null 2>"$TMP/kp.$who"
		fi
		echo $? >"$TMP/kp.$who.rc"
	done
	check "--attach kprobe without kprobes: exit 4 'kernel has no kprobes', as root and with CAP_BPF + CAP_PERFMON" \
		bash -c "for w in root caps; do [[ \$(cat $TMP/kp.\$w.rc) -eq 4 ]] &&
			grep -qx 'sockwatch: kernel has no kprobes (CONFIG_KPROBES not set?): cannot attach sw_kprobe_tcp_connect (kprobe/tcp_connect)' $TMP/kp.\$w ||
			{ echo \"# \$w: exit \$(cat $TMP/kp.\$w.rc): \$(cat $TMP/kp.\$w)\"; exit 1; }; done"
else
	ok "--attach kprobe without kprobes # SKIP this kernel has a kprobe PMU"
fi
check "no program left loaded after the failures" no_sw_leak "$ids_before"

# A real run: hostile process name, JSON and text output, SIGTERM.
netns_up "$NS"
INODE=$(netns_ino "$NS")
cat >"$TMP/hostile.py" <<'PY'
import ctypes, socket
libc = ctypes.CDLL(None)
libc.prctl(15, ctypes.c_char_p(b'\x1b[2J"\\\xff\xfe\n'), 0, 0, 0)
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b'x' * 300); a.recv(1000); c.close(); a.close(); s.close()
PY
for fmt in json text; do
	"$SW" events --format "$fmt" --netns "$INODE" >"$TMP/$fmt.out" 2>"$TMP/$fmt.err" &
	PIDS+=($!)
	wait_tracing "$TMP/$fmt.err"
	for task in /proc/"${PIDS[-1]}"/task/*; do chrt -p "${task##*/}"; done >"$TMP/$fmt.sched"
	ip netns exec "$NS" python3 "$TMP/hostile.py"
	sleep 0.5
	kill -TERM "${PIDS[-1]}"
	wait "${PIDS[-1]}"
	echo $? >"$TMP/$fmt.rc"
done
check "SIGTERM: exit 0 with a summary on stderr" \
	bash -c "[[ \$(cat $TMP/json.rc) -eq 0 ]] && grep -q 'events (listen 1, unlisten 1, connect 1, accept 1, close 2)' $TMP/json.err"
check "every JSON line is valid and seq is 1..N" \
	bash -c "jq -e . $TMP/json.out >/dev/null && [[ \$(jq -s 'map(.seq) == [range(1; length+1)]' $TMP/json.out) == true ]]"
check "hostile comm decodes to U+FFFD-replaced text in JSON" \
	bash -c "jq -r 'select(.event==\"connect\").comm' $TMP/json.out | od -c | grep -q '033   \['"
check "close carries the exact byte count" \
	bash -c "jq -s -e 'any(.[]; .event==\"close\" and .bytes_sent==300 and .bytes_received==0)' $TMP/json.out >/dev/null"
check "text output contains no raw escape byte" \
	bash -c "! grep -q \$'\x1b' $TMP/text.out && grep -q 'x1b\[2J' $TMP/text.out"
# Closed stdout or stderr: an output file must not become fd 1 or 2 (it got every
# record twice, or the diagnostics in the middle of its JSON).
for closed in '>&- 2>/dev/null' '2>&- >/dev/null'; do
	rm -f "$TMP/closed.json"
	eval "\"\$SW\" events --json --netns \"\$INODE\" -o \"file:\$TMP/closed.json\" -o stdout $closed &"
	cpid=$!
	PIDS+=("$cpid")
	for _ in $(seq 100); do [ -e "$TMP/closed.json" ] && break; sleep 0.1; done
	sleep 1
	ip netns exec "$NS" python3 "$TMP/hostile.py"
	sleep 0.5
	kill -TERM "$cpid"
	wait "$cpid"
	check "${closed%% *}: the file output has each record once, and only records" \
		bash -c "[[ \$(wc -l <$TMP/closed.json) -eq 6 ]] && jq -e . $TMP/closed.json >/dev/null &&
			[[ \$(jq -s 'map(.seq) == [range(1; 7)]' $TMP/closed.json) == true ]]"
done
check "reader and writer threads run as SCHED_BATCH" \
	bash -c "[[ \$(grep -c 'policy: SCHED_BATCH' $TMP/json.sched) -ge 2 ]] && ! grep 'policy' $TMP/json.sched | grep -qv SCHED_BATCH"

# With CAP_BPF + CAP_PERFMON and no root (the documented minimum) a uid cannot
# read tracefs where it is mode 0700 (6.x), nor use it where it is not mounted: the
# accept exits go through sys_exit, the reason said, and the accept of a forked
# child is still the child's.
cat >"$TMP/fork_accept.py" <<'PY'
import os, socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
pid = os.fork()
if pid == 0:
    a, _ = s.accept(); a.recv(10); a.close(); os._exit(0)
c = socket.create_connection(s.getsockname()); c.sendall(b'hi'); c.close()
os.waitpid(pid, 0); s.close()
print(os.getpid(), pid)
PY
CAPS=(setpriv --reuid=65534 --regid=65534 --clear-groups '--inh-caps=+bpf,+perfmon'
	'--ambient-caps=+bpf,+perfmon')
if setpriv --reuid=65534 --regid=65534 --clear-groups test -e /sys/kernel/tracing/events/syscalls; then
	want_hook='accept syscall exit'
else
	want_hook='accept exit via sys_exit'
fi
"${CAPS[@]}" "$SW" events --json --netns "$INODE" >"$TMP/caps.out" 2>"$TMP/caps.err" &
PIDS+=($!)
wait_tracing "$TMP/caps.err"
read -r parent child < <(ip netns exec "$NS" python3 "$TMP/fork_accept.py")
sleep 0.5
kill -TERM "${PIDS[-1]}"
wait "${PIDS[-1]}"
caps_rc=$?
check "CAP_BPF + CAP_PERFMON without root: traces and exits 0" \
	bash -c "[[ $caps_rc -eq 0 ]] && grep -q 'events (listen 1, unlisten 1, connect 1, accept 1, close 2)' $TMP/caps.err"
check "CAP_BPF + CAP_PERFMON without root: $want_hook, and why if not the syscall tracepoints" \
	bash -c "grep -q '^sockwatch: tracing (mode .*$want_hook)' $TMP/caps.err && \
		{ [[ '$want_hook' == 'accept syscall exit' ]] ||
		  grep -qE 'tracefs (at /sys/kernel/tracing is not readable|is not mounted at /sys/kernel/tracing)' $TMP/caps.err; }"
check "CAP_BPF + CAP_PERFMON without root: the accept is the forked child's, the connect the parent's" \
	bash -c "jq -s -e '(map(select(.event==\"accept\")) | length == 1 and .[0].pid == $child) and
		(map(select(.event==\"connect\")) | length == 1 and .[0].pid == $parent)' $TMP/caps.out >/dev/null"

# Connections queued (not yet accepted) before sockwatch starts, accepted after: the
# accept and the server end's close carry the acceptor, with no latency or duration
# (their SYNs came before: unknown, so left out, not 0), and without entry:none. Here,
# unlike the integration tests, usually no tracer has made the sockets' cookies yet.
cat >"$TMP/queued.py" <<'PY'
import os, socket, sys, time
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(8)
cs = [socket.create_connection(l.getsockname()) for _ in range(3)]
print(os.getpid(), l.getsockname()[1], flush=True)
while not os.path.exists(sys.argv[1]): time.sleep(0.05)
for c in cs:
    a, _ = l.accept(); a.sendall(b'x'); a.close()
    c.recv(1); c.close()
l.close()
PY
rm -f "$TMP/queued.go"
coproc QPY { ip netns exec "$NS" python3 "$TMP/queued.py" "$TMP/queued.go"; }
read -r qpid qport <&"${QPY[0]}"
"$SW" events --json --netns "$INODE" >"$TMP/queued.out" 2>"$TMP/queued.err" &
PIDS+=($!)
wait_tracing "$TMP/queued.err"
touch "$TMP/queued.go"
wait "$QPY_PID"
sleep 0.5
kill -TERM "${PIDS[-1]}"
wait "${PIDS[-1]}"
check "queued before the start: 3 accepts, the acceptor's, without latency_us or entry" \
	bash -c "jq -s -e '[.[] | select(.event==\"accept\" and .lport==$qport)] |
		length == 3 and all(.pid == $qpid and .comm == \"python3\" and
			(has(\"latency_us\") | not) and (has(\"entry\") | not))' $TMP/queued.out >/dev/null"
check "queued before the start: the server ends' closes are the acceptor's, no duration_us, no entry" \
	bash -c "jq -s -e '[.[] | select(.event==\"close\" and .lport==$qport)] |
		length == 3 and all(.pid == $qpid and .closer == \"local\" and .bytes_sent == 1 and
			(has(\"duration_us\") | not) and (has(\"entry\") | not))' $TMP/queued.out >/dev/null"

# Stopped in the middle of a burst, writing into a pipe that a slow reader drains (so
# that records are still queued at the stop): every record recorded is delivered, and the
# summary (stderr, into the same pipe) comes after the last of them, counting each.
cat >"$TMP/burst.py" <<'PY'
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(512)
for _ in range(3000):
    c = socket.create_connection(s.getsockname()); a, _ = s.accept(); a.close(); c.close()
s.close()
PY
cat >"$TMP/slow_reader.py" <<'PY'
import os, sys, time
out = open(sys.argv[1], 'wb', buffering=0)
while True:
    b = os.read(0, 8192)
    if not b:
        break
    out.write(b)
    time.sleep(0.01)  # ~800 KB/s: slower than the burst's JSON
PY
mkfifo "$TMP/burst.fifo"
python3 "$TMP/slow_reader.py" "$TMP/burst.out" <"$TMP/burst.fifo" &
reader=$!
PIDS+=("$reader")
"$SW" events --json --netns "$INODE" >"$TMP/burst.fifo" 2>&1 &
sw_pid=$!
PIDS+=("$sw_pid")
wait_tracing "$TMP/burst.out"
ip netns exec "$NS" python3 "$TMP/burst.py" &
burst=$!
PIDS+=("$burst")
sleep 0.5
kill -TERM "$sw_pid"
wait "$sw_pid"
wait "$burst"
wait "$reader"
check "stopped mid-burst: the summary follows the last record and counts every one" \
	bash -c "last_json=\$(grep -n '^{' $TMP/burst.out | tail -1 | cut -d: -f1)
		summary=\$(grep -n '^sockwatch: [0-9]* events' $TMP/burst.out | cut -d: -f1)
		n=\$(grep -c '^{' $TMP/burst.out)
		[[ -n \$summary && \$summary -gt \$last_json ]] &&
			grep -q \"^sockwatch: \$n events\" $TMP/burst.out ||
			{ echo \"# last record at line \$last_json, summary at line \$summary, \$n records\"; exit 1; }"

# A stdout FIFO whose reader takes a few lines and then stalls until sockwatch has exited:
# the writer is cancelled at the exit, half-way through a write. The summary must count
# what the FIFO got: its whole lines are written (a line cut there is dropped), every
# other record dropped. A write cancelled inside write(2) lost its count ("1 written").
cat >"$TMP/stall_reader.py" <<'PY'
import os, sys, time
out = open(sys.argv[1], 'wb', buffering=0)
got = 0
while got < 20000:  # some 50 lines, then nothing until told
    b = os.read(0, 4096)
    if not b:
        break
    out.write(b)
    got += len(b)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
while True:
    b = os.read(0, 65536)
    if not b:
        break
    out.write(b)
PY
mkfifo "$TMP/stall.fifo"
python3 "$TMP/stall_reader.py" "$TMP/stall.out" "$TMP/stall.go" <"$TMP/stall.fifo" &
reader=$!
PIDS+=("$reader")
"$SW" events --json --netns "$INODE" >"$TMP/stall.fifo" 2>"$TMP/stall.err" &
sw_pid=$!
PIDS+=("$sw_pid")
wait_tracing "$TMP/stall.err"
ip netns exec "$NS" python3 "$TMP/burst.py"
sleep 0.5
kill -TERM "$sw_pid"
wait "$sw_pid"
stall_rc=$?
touch "$TMP/stall.go"
wait "$reader"
whole=$(tr -cd '\n' <"$TMP/stall.out" | wc -c)
read -r w dr < <(sed -n 's/^sockwatch: output "stdout": \([0-9]*\) written, \([0-9]*\) dropped.*/\1 \2/p' "$TMP/stall.err")
n=$(sed -n 's/^sockwatch: \([0-9]*\) events .*/\1/p' "$TMP/stall.err")
check "stalled stdout FIFO: written ($w) is the whole lines the reader got ($whole); + $dr dropped = $n events" \
	bash -c "[[ $stall_rc -eq 0 && -n '$w' && '$w' -eq $whole && \$(($w + $dr)) -eq '$n' && $whole -lt '$n' ]]"

# A low open-file limit is never read as the kernel refusing: a soft limit is raised to
# the hard one (the run is the same as with the default limit), and a hard limit too low
# fails at once with one line naming it (exit 1), in every verb that loads programs.
timeout -s TERM 2 "$SW" events --netns "$INODE" >/dev/null 2>"$TMP/nofile.ref"
bash -c 'ulimit -Sn 16 && exec timeout -s TERM 2 "$@"' sh "$SW" events --netns "$INODE" \
	>/dev/null 2>"$TMP/nofile.soft"
ref=$(grep '^sockwatch: tracing' "$TMP/nofile.ref")
check "soft ulimit -n 16 (hard higher): raised, the same hooks as with the default limit" \
	bash -c "[[ -n '$ref' ]] && grep -qxF '$ref' $TMP/nofile.soft && ! grep -qi 'open files' $TMP/nofile.soft"
bash -c 'ulimit -Sn 16 && exec "$@"' sh "$SW" doctor >"$TMP/nofile.doctor" 2>&1
rc=$?
check "soft ulimit -n 16: doctor as usual (exit 0), no probe failed for want of descriptors" \
	bash -c "[[ $rc -eq 0 ]] && ! grep -qi 'open files' $TMP/nofile.doctor"
for verb in "events" "top --once" "doctor"; do
	bash -c 'ulimit -n 32 && exec timeout 20 "$@"' sh "$SW" $verb >/dev/null 2>"$TMP/nofile.hard"
	rc=$?
	check "hard ulimit -n 32: $verb exits 1, one line naming the limit" \
		bash -c "[[ $rc -eq 1 ]] && [[ \$(wc -l <$TMP/nofile.hard) -eq 1 ]] &&
			grep -qx 'sockwatch: too many open files: raise ulimit -n to at least 128 (it is 32)' $TMP/nofile.hard"
done

# Kernel BTF that cannot be read or parsed (an empty file bind-mounted over it, in a mount
# namespace of its own): exit 4 naming that, not a kernel that refused the programs.
: >"$TMP/empty"
unshare -m sh -c 'mount --make-rprivate / && mount --bind "$2" /sys/kernel/btf/vmlinux &&
	exec timeout 20 "$1" events >/dev/null 2>"$3"' sh "$SW" "$TMP/empty" "$TMP/btf.err"
rc=$?
check "unreadable kernel BTF: exit 4, one line naming the file and the cause" \
	bash -c "[[ $rc -eq 4 ]] && [[ \$(wc -l <$TMP/btf.err) -eq 1 ]] &&
		grep -q '^sockwatch: kernel BTF at /sys/kernel/btf/vmlinux cannot be read or parsed: the file is empty; .*findmnt' $TMP/btf.err"

# Without tracefs mounted (in a mount namespace of its own) events and doctor run, the
# accept exits on sys_exit, and leave the mount table as they found it: sockwatch never
# mounts tracefs (docs/attach-modes.md).
unshare -m sh -c '
	mount --make-rprivate / && umount -R /sys/kernel/tracing 2>/dev/null
	[ "$(stat -f -c %T /sys/kernel/tracing)" != tracefs ] || exit 9
	timeout --preserve-status -s TERM 3 "$1" events --netns "$3" >/dev/null 2>"$2/notrace.err"
	echo "events $?"
	"$1" doctor >"$2/notrace.doctor" 2>&1
	echo "doctor $?"
	echo "after $(stat -f -c %T /sys/kernel/tracing)"' sh "$SW" "$TMP" "$INODE" >"$TMP/notrace.out"
check "tracefs not mounted: events runs, accept exits on sys_exit, the reason named" \
	bash -c "grep -qx 'events 0' $TMP/notrace.out &&
		grep -q '^sockwatch: tracing (mode .*accept exit via sys_exit)' $TMP/notrace.err &&
		grep -q 'sys_exit.*tracefs is not mounted at /sys/kernel/tracing (sockwatch does not mount it' $TMP/notrace.err"
check "tracefs not mounted: doctor runs and reports it, syscall tracepoints no" \
	bash -c "grep -qx 'doctor 0' $TMP/notrace.out &&
		grep -q '^syscall tracepoints  *no  *tracefs is not mounted at /sys/kernel/tracing' $TMP/notrace.doctor"
check "tracefs not mounted: still not mounted after events and doctor" \
	grep -qx 'after sysfs' "$TMP/notrace.out"

# -v names each attached program. Everything that reads records (the ring-buffer
# consumer, the sweep's program) must exist before the first attach: records flow at
# once on a busy machine, and a reader set up afterwards let the ring buffer overflow.
"$SW" events -v --netns "$INODE" >/dev/null 2>"$TMP/verbose.err" &
PIDS+=($!)
wait_tracing "$TMP/verbose.err"
kill -TERM "${PIDS[-1]}"
wait "${PIDS[-1]}"
sweep_line=$(grep -n "loading object 'sweep'" "$TMP/verbose.err" | head -1 | cut -d: -f1)
attach_line=$(grep -n '^sockwatch: attached sw_' "$TMP/verbose.err" | head -1 | cut -d: -f1)
check "-v: every program attached is named, the state chain in order" \
	bash -c "grep -o '^sockwatch: attached sw_state_[a-z]*_[a-z]*' $TMP/verbose.err | sed 's/.*_//' | tr '\n' ' ' | grep -qx 'pre main twin '"
check "-v: the sweep is loaded before the first program is attached" \
	bash -c "[[ -n '$sweep_line' && -n '$attach_line' && $sweep_line -lt $attach_line ]] || { echo '# sweep at line $sweep_line, first attach at line $attach_line'; exit 1; }"
check "nothing left attached after SIGTERM" no_sw_leak "$ids_before"
tap_done
