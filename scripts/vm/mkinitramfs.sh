#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build a busybox-static initramfs whose /init runs one static test binary and powers off.
#
# Usage: mkinitramfs.sh OUT.cpio.gz BINARY [EXTRA_FILES...]
#
# BINARY is copied to /test/<its name>. EXTRA_FILES ending in .ko are kernel modules: they go
# to /modules/ and /init insmods them in the order given (pass them dependencies first, as
# plain uncompressed .ko: fetch-kernel.sh prepares them so). Other EXTRA_FILES go to /test/.
#
# /init reads its settings from the kernel command line:
#   sw.args=A,B,C   arguments for the binary, commas standing for spaces (so no argument can
#                   contain a comma, space or quote; run.sh checks that)
#   sw.timeout=N    kill the binary after N seconds (default 600) and report exit code 124
# On the console it prints "SWVM-START <binary>", the binary's stdout and stderr, then
# "SWVM-EXIT <code>", and powers off. If the binary cannot be run the code is 127.
set -euo pipefail

die() {
	printf 'mkinitramfs: %s\n' "$*" >&2
	exit 1
}

if [[ $# -lt 2 ]]; then
	printf 'usage: %s OUT.cpio.gz BINARY [EXTRA_FILES...]\n' "${0##*/}" >&2
	exit 2
fi
out=$1
binary=$2
shift 2

# need TOOL PACKAGE dies unless TOOL is installed, naming the Debian package that has it.
need() {
	command -v "$1" >/dev/null || die "$1 not found (apt-get install $2)"
}

# Every tool first: without file(1) the static-linking checks below cannot be made.
need file file
need cpio cpio
need gzip gzip
busybox=${BUSYBOX:-/bin/busybox}
[[ -x $busybox ]] || die "$busybox not found (apt-get install busybox-static)"
# A dynamically linked busybox would need its libraries in the initramfs.
kind=$(file -bL "$busybox") || die "file $busybox failed"
[[ $kind != *'dynamically linked'* ]] || die "$busybox is dynamically linked; install busybox-static"
[[ -f $binary ]] || die "test binary $binary not found"
kind=$(file -bL "$binary")
[[ $kind == ELF* ]] || die "$binary is not an ELF executable ($kind)"
[[ $kind != *'dynamically linked'* ]] ||
	die "$binary is dynamically linked; the initramfs has no libc: link it with -static"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,test,modules,usr/bin,usr/sbin}
cp "$busybox" "$root/bin/busybox"
cp "$binary" "$root/test/$(basename "$binary")"
chmod 0755 "$root/test/$(basename "$binary")"
printf '%s\n' "$(basename "$binary")" >"$root/test/.binary"

n=0
for f in "$@"; do
	[[ -f $f ]] || die "extra file $f not found"
	case $f in
	*.ko)
		n=$((n + 1))
		cp "$f" "$root/modules/$(printf '%02d' "$n")-$(basename "$f")"
		;;
	*.ko.*) die "$f is compressed: busybox insmod needs a plain .ko" ;;
	*) cp "$f" "$root/test/" ;;
	esac
done

# Enough of /etc for getaddrinfo("localhost") and getpwuid(0) in a static binary.
mkdir -p "$root/etc"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'hosts: files\npasswd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"

# The kernel needs /dev/console in the archive to give /init a stdout before devtmpfs.
# cpio records what is on disk, so create the node here (we run as root).
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null ||
	die "cannot mknod dev/console (run as root)"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# sockwatch VM /init: mount the usual filesystems, run /test/<binary>, report, power off.
/bin/busybox --install -s

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /sys/fs/bpf /sys/kernel/tracing /sys/kernel/debug /sys/fs/cgroup /dev/pts
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp

for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || echo "swvm: insmod $m failed"
done

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

args=
timeout=600
set -f
read -r cmdline </proc/cmdline
for word in $cmdline; do
	case $word in
	sw.args=*) args=$(echo "${word#sw.args=}" | tr ',' ' ') ;;
	sw.timeout=*) timeout=${word#sw.timeout=} ;;
	esac
done
case $timeout in
'' | *[!0-9]*) echo "swvm: bad sw.timeout '$timeout', using 600"; timeout=600 ;;
esac

bin=$(cat /test/.binary)
# Keep kernel messages (other than emergencies) out of the test's output.
echo 1 >/proc/sys/kernel/printk
cd /test || exit 1
echo "SWVM-START $bin $args"
# $args is split on spaces on purpose: each word is one argument.
# shellcheck disable=SC2086
"/test/$bin" $args </dev/null 2>&1 &
pid=$!
(
	sleep "$timeout"
	: >/tmp/.swvm-timeout
	echo "swvm: timeout after ${timeout}s, killing $bin"
	kill -9 "$pid"
) &
watchdog=$!
wait "$pid"
code=$?
kill "$watchdog" 2>/dev/null
[ -e /tmp/.swvm-timeout ] && code=124
sync
echo "SWVM-EXIT $code"
poweroff -f
# poweroff should not return; if it does, exiting /init panics and panic=-1 ends qemu.
sleep 5
EOF
chmod 0755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
