#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Command-line tests of `sockwatch doctor`: verdict, JSON report, agreement with events, cleanup.
# usage: tests/cli/test_doctor.sh [BUILD_DIR]; needs root; prints TAP and a summary line.
set -u
BUILD=${1:-build}
SW=$(realpath "$BUILD/sockwatch")
TMP=$(mktemp -d /tmp/sw-doctor.XXXXXX)
NS=swdoc$$
HOLD=
trap '[ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT
. "$(dirname "$0")/tap.sh"

ids_before=$(sw_prog_ids)
"$SW" doctor >"$TMP/text" 2>&1
rc=$?
no_sw_leak "$ids_before"
leak=$?
"$SW" doctor --json >"$TMP/json" 2>"$TMP/json.err"
jrc=$?
timeout 3 "$SW" events >/dev/null 2>"$TMP/events.err"
mode=$(sed -n 's/^sockwatch: tracing (mode \([a-z]*\):.*/\1/p' "$TMP/events.err")

check "doctor exits 0 where sockwatch runs" bash -c "[ $rc -eq 0 ] && [ $jrc -eq 0 ]"
check "text report ends with a verdict naming the mode" \
	grep -q "^verdict: sockwatch can run here (mode $mode)$" "$TMP/text"
if [ "$mode" != fentry ]; then
	check "$mode mode: the accept hooks say how accepts inside the kernel are seen" \
		grep -q "^ *inside the kernel (nfsd, ksmbd, SMC): told from the socket" "$TMP/text"
fi
check "JSON report is valid and agrees with the mode events chose" \
	bash -c "jq -e '.can_run == true and .mode == \"$mode\" and .btf.ok and .ringbuf.ok' $TMP/json >/dev/null"
check "every feature of the report is present" \
	bash -c "jq -e '[.kernel,.btf,.capabilities,.ringbuf,.tp_btf,.raw_tp,.syscall_tracepoints,.compat_syscalls,.fentry,.kprobe,.sweep,.io_uring_accepts,.bpf_iter,.sock_diag,.netns_snapshot,.cgroup2] | all(has(\"ok\") and has(\"detail\"))' $TMP/json >/dev/null"
# Each refused mode comes with its cause; a usable one is said to be attached.
for m in fentry kprobe; do
	check "$m: attached, or the cause is named" \
		bash -c "jq -e '.$m.ok or (.$m.detail | test(\"refused|no kprobes|EPERM\"))' $TMP/json >/dev/null"
done
check "auto picked the best working mode" \
	bash -c "jq -e 'if .fentry.ok then .mode==\"fentry\" elif .kprobe.ok then .mode==\"kprobe\" else .mode==\"tracepoint\" end' $TMP/json >/dev/null"
kmaj=$(uname -r | cut -d. -f1) kmin=$(uname -r | cut -d. -f2)
# 32-bit programs' syscalls pass sys_exit only: where the exits are the accept hook (the
# tracepoint and kprobe modes) they are hooked there (5.15+)
if ((kmaj > 5 || (kmaj == 5 && kmin >= 15))); then
	compat_exit='.compat_syscalls.ok and .mode != "fentry"'
else
	compat_exit=false
fi
if [ "$(stat -f -c %T /sys/kernel/tracing 2>/dev/null)" = tracefs ]; then
	check "as root the accept exits use the syscall tracepoints, or sys_exit for 32-bit programs" \
		bash -c "jq -e '.syscall_tracepoints.ok and .accept_exit == (if $compat_exit then \"sys_exit\" else \"syscall_tracepoints\" end)' $TMP/json >/dev/null"
else
	# (scripts/run-tests.sh mounts it for the suites in a mount namespace of their own)
	check "tracefs not mounted: syscall tracepoints no, the cause named, accept exits on sys_exit" \
		bash -c "jq -e '(.syscall_tracepoints.ok | not) and .accept_exit == \"sys_exit\" and
			(.syscall_tracepoints.detail | test(\"tracefs is not mounted at /sys/kernel/tracing\"))' $TMP/json >/dev/null"
fi
# bpf_for_each_map_elem came in 5.13: the sweep is there from then on, and said missing before
if ((kmaj > 5 || (kmaj == 5 && kmin >= 13))); then
	check "the socket-map sweep loads (kernel >= 5.13)" \
		bash -c "jq -e '.sweep.ok and (.sweep.detail | test(\"bpf_for_each_map_elem\"))' $TMP/json >/dev/null"
fi
# io_uring tracepoints in a form the programs know: 6.1 on (the qemu matrix runs 6.1 and
# 6.12); fentry mode sees io_uring's accepts with its fexit on the accept function
if ((kmaj > 6 || (kmaj == 6 && kmin >= 1))); then
	check "accepts through io_uring are seen (kernel >= 6.1)" \
		bash -c "jq -e '.io_uring_accepts.ok and (.io_uring_accepts.detail | test(\"io_uring_complete|fexit inet_csk_accept\"))' $TMP/json >/dev/null"
fi
check "the snapshot source follows the iterator probe, and sock_diag works" \
	bash -c "jq -e '.snapshot == (if .bpf_iter.ok then \"iter\" else \"diag\" end) and .sock_diag.ok' $TMP/json >/dev/null"
check "nothing stays loaded after doctor" [ "$leak" = 0 ]
for fmt in '' --json; do
	"$SW" doctor $fmt >/dev/full 2>"$TMP/full.err"
	frc=$?
	check "doctor $fmt into a full disk: exit 1, and says so" \
		bash -c "[ $frc -eq 1 ] && [ \"\$(cat $TMP/full.err)\" = 'sockwatch: writing the report failed: No space left on device' ]"
done
setpriv --reuid=65534 --regid=65534 --clear-groups "$SW" doctor >"$TMP/np" 2>&1
nrc=$?
check "without privileges: exit 3 and says so" \
	bash -c "[ $nrc -eq 3 ] && grep -q 'capabilities.*CAP_BPF no' $TMP/np && grep -q 'cannot run' $TMP/np"
check "without privileges: the 32-bit syscalls line keeps its answer (it needs none)" \
	bash -c "grep -E '^32-bit syscalls +(yes|no) ' $TMP/np | grep -vq 'not probed'"
check "without privileges: the ring buffer is not probed, the kernel not blamed" \
	grep -q '^ring buffer  *no   not probed: missing privileges$' "$TMP/np"
setpriv --reuid=65534 --regid=65534 --clear-groups '--inh-caps=+bpf,+perfmon' \
	'--ambient-caps=+bpf,+perfmon' "$SW" doctor --json >"$TMP/caps" 2>&1
crc=$?
if setpriv --reuid=65534 --regid=65534 --clear-groups test -e /sys/kernel/tracing/events/syscalls; then
	want_exit=syscall_tracepoints
else
	want_exit=sys_exit
fi
check "CAP_BPF + CAP_PERFMON without root: can run, accept exits via $want_exit, the reason named" \
	bash -c "[ $crc -eq 0 ] && jq -e '.can_run and .accept_exit == \"$want_exit\" and
		(.syscall_tracepoints.ok or (.syscall_tracepoints.detail |
			test(\"(not readable by this user|tracefs is not mounted).*hooked on sys_exit\")))' $TMP/caps >/dev/null"
# Kernel BTF that cannot be read or parsed (an empty file bind-mounted over it, in a mount
# namespace of its own): BTF no with the cause, nothing probed, exit 4.
: >"$TMP/empty"
unshare -m sh -c 'mount --make-rprivate / && mount --bind "$2" /sys/kernel/btf/vmlinux &&
	exec "$1" doctor' sh "$SW" "$TMP/empty" >"$TMP/btf" 2>&1
brc=$?
check "unreadable kernel BTF: BTF no, the cause named, nothing probed, exit 4" \
	bash -c "[ $brc -eq 4 ] &&
		grep -q '^BTF  *no   kernel BTF at /sys/kernel/btf/vmlinux cannot be read or parsed: the file is empty' $TMP/btf &&
		grep -q '^tp_btf  *no   not probed: no BTF' $TMP/btf && grep -q '^  none: no usable kernel BTF' $TMP/btf &&
		grep -q 'verdict: sockwatch cannot run here' $TMP/btf"
# One socket in a namespace of its own: "1 socket here", not "1 sockets".
ip netns add "$NS" && ip -n "$NS" link set lo up
ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7001)); s.listen(); time.sleep(60)' &
HOLD=$!
for _ in $(seq 100); do ip netns exec "$NS" ss -tlnH | grep -q . && break; sleep 0.05; done
ip netns exec "$NS" "$SW" doctor >"$TMP/one" 2>&1
check "one socket is '1 socket here'" grep -q '^sock_diag .* yes .*: 1 socket here$' "$TMP/one"
kill "$HOLD"
# Without kprobes (no kprobe PMU), the kprobe row and the rejected line agree, as root and
# with CAP_BPF + CAP_PERFMON alone (libbpf's tracefs fallback then fails with EACCES).
if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	check "no kprobes: the kprobe row says so, as root and with CAP_BPF + CAP_PERFMON" \
		bash -c "for f in $TMP/json $TMP/caps; do jq -e '(.kprobe.detail | startswith(\"kernel has no kprobes\")) and
			(.rejected | test(\"kprobe: kernel has no kprobes\"))' \$f >/dev/null ||
			{ jq -c '[.kprobe, .rejected]' \$f; exit 1; }; done"
else
	ok "no kprobes: the kprobe row says so # SKIP this kernel has a kprobe PMU"
fi
check "without CAP_SYS_ADMIN the snapshot of other namespaces is said to need it (as root: yes)" \
	bash -c "jq -e '.netns_snapshot.ok' $TMP/json >/dev/null &&
		jq -e '(.netns_snapshot.ok | not) and (.netns_snapshot.detail | test(\"no CAP_SYS_ADMIN: the snapshot cannot enter other network namespaces\"))' $TMP/caps >/dev/null"
check "unknown option exits 2" bash -c "$SW doctor --nope 2>/dev/null; [ \$? -eq 2 ]"
"$SW" doctor extra junk >/dev/null 2>"$TMP/extra.err"
rc=$?
check "extra arguments exit 2 with a usage hint" bash -c "[ $rc -eq 2 ] &&
	[ \"\$(cat '$TMP/extra.err')\" = \"sockwatch: unexpected argument 'extra' (see 'sockwatch doctor --help')\" ]"
tap_done
