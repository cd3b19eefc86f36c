#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Boot a Debian cloud kernel under qemu (software emulation), run one static binary in it, and exit with its code.
#
# Usage: run.sh --kernel SERIES --cache DIR [--timeout SECS] [--log FILE] -- BINARY [ARGS...]
#
#   --kernel SERIES  5.10, 6.1 or 6.12 (fetched and cached by fetch-kernel.sh)
#   --cache DIR      kernel cache, initramfs and console logs
#   --timeout SECS   limit for the binary inside the VM (default 600); qemu itself is killed
#                    SECS + 180 s after it starts (boot and poweroff allowance)
#   --log FILE       console log (default DIR/console-SERIES.log)
# ARGS must not contain commas, whitespace or quotes: they travel on the kernel command line.
# Environment: QEMU (default qemu-system-x86_64), SWVM_VERBOSE=1 prints the whole console,
# SWVM_BOOT_ALLOWANCE overrides the 180 s added to SECS for the outer limit.
#
# Prints the binary's output (the console lines between the markers) on stdout.
# Exit: the binary's exit code; 123 the kernel or the initramfs could not be prepared (no
# download and nothing cached, a missing host tool, ...; the VM was not started, and booting
# again cannot help): the last stderr line is "run: kernel SERIES could not be prepared: WHY"
# or "run: initramfs could not be built: WHY"; 124 timeout (inside or outside); 125 the
# guest failed before the test started (no start marker: it died or hung while booting);
# 126 the VM died during the test (no end marker). With 125 and 126 the last 40 console
# lines are printed; 2 usage error; 77 qemu-system-x86_64 is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
qemu=${QEMU:-qemu-system-x86_64}
boot_allowance=${SWVM_BOOT_ALLOWANCE:-180}

usage() {
	printf 'usage: %s --kernel SERIES --cache DIR [--timeout SECS] [--log FILE] -- BINARY [ARGS...]\n' \
		"${0##*/}" >&2
	exit 2
}

err() {
	printf 'run: %s\n' "$*" >&2
}

series=
cache=
timeout=600
log=
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) [[ $# -ge 2 ]] || usage; series=$2; shift 2 ;;
	--cache) [[ $# -ge 2 ]] || usage; cache=$2; shift 2 ;;
	--timeout) [[ $# -ge 2 ]] || usage; timeout=$2; shift 2 ;;
	--log) [[ $# -ge 2 ]] || usage; log=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[[ -n $series && -n $cache && $# -ge 1 ]] || usage
[[ $series == 5.10 || $series == 6.1 || $series == 6.12 ]] || { err "unknown kernel series '$series' (5.10, 6.1 or 6.12)"; exit 2; }
[[ $timeout =~ ^[1-9][0-9]{0,5}$ ]] || { err "bad --timeout '$timeout'"; exit 2; }
binary=$1
shift
for a in "$@"; do
	if [[ -z $a || $a == *[,\"\'[:space:]]* ]]; then
		err "argument '$a' cannot be passed on the kernel command line (empty, comma, quote or space)"
		exit 2
	fi
done
[[ -f $binary ]] || { err "binary $binary not found"; exit 2; }
command -v "$qemu" >/dev/null || { err "$qemu not found (apt-get install qemu-system-x86)"; exit 77; }

mkdir -p "$cache"
log=${log:-$cache/console-$series.log}
# One initramfs per run, so that runs sharing a cache do not overwrite each other's.
initrd=$cache/initramfs-$series.$$.cpio.gz

# A kernel or initramfs that cannot be prepared is neither a test failure nor a boot
# failure: exit 123 with the helper's own last word (its die message) as the reason.
prep_log=$cache/.prep-$series.$$
trap 'rm -f "$initrd" "$prep_log"' EXIT
# prep_failed WHAT [WHY]: say WHAT could not be done and WHY (by default the last line the
# helper wrote: its die message), exit 123.
prep_failed() {
	local why=${2:-}

	[[ -n $why ]] || why=$(sed -e 's/^\(fetch-kernel\|mkinitramfs\): //' -e '/^[[:space:]]*$/d' "$prep_log" | tail -n 1)
	err "$1: ${why:-no reason given}"
	exit 123
}

# fetch-kernel.sh prunes a series' older kernels only when it can lock .use-SERIES
# exclusively: hold it shared while this kernel is in use, and should a parallel run have
# pruned it before the lock was taken, fetch again.
exec 8>"$cache/.use-$series"
for try in 1 2; do
	# stdout (the vmlinuz path) is captured; stderr goes on to ours and to $prep_log.
	vmlinuz=$({ "$here/fetch-kernel.sh" "$series" "$cache" 2>&1 >&3 | tee "$prep_log" >&2; } 3>&1) ||
		prep_failed "kernel $series could not be prepared"
	flock -s 8
	kdir=${vmlinuz%/root/boot/*}
	[[ -f $vmlinuz && -f $kdir/.ready ]] && break
	flock -u 8
	[[ $try -eq 1 ]] || prep_failed "kernel $series could not be prepared" "$vmlinuz vanished twice"
done
modules=()
for m in "$kdir"/modules/*.ko; do
	[[ -e $m ]] && modules+=("$m")
done
{ "$here/mkinitramfs.sh" "$initrd" "$binary" "${modules[@]}" 2>&1 | tee "$prep_log" >&2; } ||
	prep_failed "initramfs could not be built"
rm -f "$prep_log"

sw_args=
if [[ $# -gt 0 ]]; then
	sw_args=$(IFS=,; printf '%s' "$*")
fi
append="console=ttyS0 panic=-1 sw.timeout=$timeout"
[[ -n $sw_args ]] && append+=" sw.args=$sw_args"

# No KVM here: TCG with -cpu max exposes the features the kernel likes (e.g. for the JIT).
# timeout(1) puts qemu in its own process group, out of reach of the terminal's ^C: forward
# INT/TERM by hand, then die of the same signal so that a calling loop (matrix.sh) stops too.
start=$(date +%s)
timeout --kill-after=10 $((timeout + boot_allowance)) \
	"$qemu" -m 1024 -smp 2 -cpu max -nographic -no-reboot -monitor none \
	-serial "file:$log" -kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	</dev/null >"$log.qemu" 2>&1 &
qemu_pid=$!
for sig in INT TERM; do
	# shellcheck disable=SC2064 # expand $sig now
	trap "kill $qemu_pid 2>/dev/null; wait $qemu_pid; rm -f \"\$initrd\"; trap - $sig EXIT; kill -$sig \$\$" "$sig"
done
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
trap - INT TERM
elapsed=$(($(date +%s) - start))
[[ -s $log.qemu ]] || rm -f "$log.qemu"

if [[ ${SWVM_VERBOSE:-0} == 1 ]]; then
	tr -d '\r' <"$log" >&2
fi

# The serial console ends lines with \r\n.
clean=$(tr -d '\r' <"$log")
tail_log() {
	err "last 40 console lines ($log):"
	printf '%s\n' "$clean" | tail -n 40 >&2
	[[ -f $log.qemu ]] && { err "qemu said:"; cat "$log.qemu" >&2; }
	return 0
}

if ! grep -q '^SWVM-START ' <<<"$clean"; then
	if [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
		err "VM did not reach the test within $((timeout + boot_allowance)) s (killed)"
	else
		err "VM did not reach the test (qemu exit $qemu_rc after $elapsed s)"
	fi
	tail_log
	exit 125
fi

# Everything strictly between the markers is the binary's output.
# The end marker may share a line with output that did not end in a newline.
printf '%s\n' "$clean" |
	sed -n '/^SWVM-START /,${ /^SWVM-START /d; /SWVM-EXIT [0-9][0-9]*$/{ s///; /^$/!p; q; }; p; }'

code=$(printf '%s\n' "$clean" | sed -n 's/^.*SWVM-EXIT \([0-9][0-9]*\)$/\1/p' | tail -n 1)
if [[ -z $code ]]; then
	if [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
		err "timeout: qemu killed after $elapsed s, the test never finished"
		exit 124
	fi
	err "VM ended without an end marker (qemu exit $qemu_rc after $elapsed s)"
	tail_log
	exit 126
fi
err "kernel $series: exit $code after $elapsed s (boot + test + poweroff, software emulation)"
exit "$code"
