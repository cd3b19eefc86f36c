#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `sockwatch events` writing to stdout: a reader that goes away (a pipe's, a terminal that
# hangs up) ends the run at once, and a stalled terminal is counted exactly.
# usage: tests/cli/test_stdout.sh [BUILD_DIR]; needs root; prints TAP and a summary line.
# SW_NETNS_PREFIX names the network namespace it makes (default swso PID).
set -u
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/lib.sh"
sw_suite stdout "swso$$" "${1:-build}"

need_root
ids_before=$(sw_prog_ids)
netns_up "$NS"
INODE=$(netns_ino "$NS")

# gone_within PID SECONDS: true if PID exits within SECONDS (polled every 0.1 s)
gone_within() {
	for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

# One listener that stays open: exactly one event (listen), then nothing.
cat >"$TMP/hold_listen.py" <<'PY'
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
time.sleep(60)
PY

# 1. `sockwatch events | head -1` in a quiet namespace: head exits after the one event,
# and sockwatch must see its reader gone without another record to write. It stayed
# attached until the next event (here: never).
mkfifo "$TMP/head.fifo"
head -1 <"$TMP/head.fifo" >"$TMP/head.out" &
PIDS+=($!)
"$SW" events --json --netns "$INODE" >"$TMP/head.fifo" 2>"$TMP/head.err" &
sw_pid=$!
PIDS+=("$sw_pid")
wait_tracing "$TMP/head.err"
ip netns exec "$NS" python3 "$TMP/hold_listen.py" &
holder=$!
PIDS+=("$holder")
for _ in $(seq 100); do [ -s "$TMP/head.out" ] && break; sleep 0.1; done
if gone_within "$sw_pid" 10; then
	wait "$sw_pid"
	head_rc=$?
else
	head_rc=running
	kill -TERM "$sw_pid"
	wait "$sw_pid"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "events | head -1, one event then none: exits on its own at once, exit 0, 1 written" \
	bash -c "[[ '$head_rc' == 0 ]] && [[ \$(wc -l <$TMP/head.out) -eq 1 ]] &&
		grep -q '\"event\":\"listen\"' $TMP/head.out &&
		grep -q '^sockwatch: output \"stdout\": 1 written, 0 dropped' $TMP/head.err ||
		{ echo '# exit: $head_rc (running: still there 10 s after head exited)'; exit 1; }"

# 2. A terminal that hangs up (ssh dropped: the pty master closed) while no event comes:
# the run ends at once (exit 0), nothing left attached. It ran on with every program
# attached (sys_exit included), each write failing with EIO.
cat >"$TMP/pty_hangup.py" <<'PY'
import os, pty, select, sys, time
sw, inode, err = sys.argv[1:4]
fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
pid, master = pty.fork()
if pid == 0:
    os.dup2(fd, 2)
    os.execv(sw, [sw, 'events', '--netns', inode])
for _ in range(100):
    if b'sockwatch: tracing' in open(err, 'rb').read():
        break
    time.sleep(0.1)
while select.select([master], [], [], 0.5)[0]:  # the header line
    try:
        os.read(master, 4096)
    except OSError:
        break
os.close(master)  # the terminal hangs up
for _ in range(100):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print(os.waitstatus_to_exitcode(status))
        sys.exit(0)
    time.sleep(0.1)
print('running')
os.kill(pid, 15)
os.waitpid(pid, 0)
PY
pty_rc=$(python3 "$TMP/pty_hangup.py" "$SW" "$INODE" "$TMP/hup.err")
check "pty master closed, no event: exits on its own within 10 s, exit 0" \
	bash -c "[[ '$pty_rc' == 0 ]] && grep -q '^sockwatch: output \"stdout\":' $TMP/hup.err ||
		{ echo '# exit: $pty_rc'; sed 's/^/# /' $TMP/hup.err; exit 1; }"
check "nothing left attached after the hang-up" no_sw_leak "$ids_before"

# 3. stdout on a terminal nobody reads (the pty master never read), a burst, SIGINT: the
# writer is cancelled at the exit. The counts must say what the terminal got: written is
# the whole lines the master can read, and written + dropped the events. A terminal was
# written with blocking writes, and a write cancelled inside write(2) lost its count:
# "0 written, 8002 dropped" while the terminal held 69 lines.
cat >"$TMP/burst.py" <<'PY'
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(512)
for _ in range(2000):
    c = socket.create_connection(s.getsockname()); a, _ = s.accept(); a.close(); c.close()
s.close()
PY
cat >"$TMP/pty_stall.py" <<'PY'
import os, select, signal, subprocess, sys, time
sw, inode, err, burst, ns = sys.argv[1:6]
master, slave = os.openpty()
p = subprocess.Popen([sw, 'events', '--json', '--netns', inode], stdin=subprocess.DEVNULL,
                     stdout=slave, stderr=open(err, 'wb'))
os.close(slave)
for _ in range(100):
    if b'sockwatch: tracing' in open(err, 'rb').read():
        break
    time.sleep(0.1)
subprocess.run(['ip', 'netns', 'exec', ns, 'python3', burst], check=True)
time.sleep(0.5)
p.send_signal(signal.SIGINT)
rc = p.wait(timeout=30)
data = b''
while select.select([master], [], [], 2)[0]:
    try:
        d = os.read(master, 65536)
    except OSError:  # EIO: the slave is closed and everything has been read
        break
    if not d:
        break
    data += d
print(rc, data.count(b'\n'), len(data))
PY
read -r stall_rc lines bytes < <(python3 "$TMP/pty_stall.py" "$SW" "$INODE" "$TMP/stall.err" \
	"$TMP/burst.py" "$NS")
read -r w dr < <(sed -n 's/^sockwatch: output "stdout": \([0-9]*\) written, \([0-9]*\) dropped.*/\1 \2/p' "$TMP/stall.err")
n=$(sed -n 's/^sockwatch: \([0-9]*\) events .*/\1/p' "$TMP/stall.err")
check "stalled terminal: written (${w:-?}) is the whole lines it got (${lines:-?}, $bytes bytes); + ${dr:-?} dropped = ${n:-?} events" \
	bash -c "[[ '$stall_rc' == 0 && -n '$w' && -n '$n' && '$w' -eq '$lines' && \$(($w + $dr)) -eq '$n' &&
		'$lines' -gt 0 && '$lines' -lt '$n' ]]"
check "nothing left attached at the end" no_sw_leak "$ids_before"
tap_done
