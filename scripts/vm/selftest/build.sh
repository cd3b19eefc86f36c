#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build the static VM selftest (BPF object, skeleton, binary) into OUT_DIR.
#
# Usage: scripts/vm/selftest/build.sh OUT_DIR     -> OUT_DIR/vm-selftest
set -euo pipefail

if [[ $# -ne 1 ]]; then
	printf 'usage: %s OUT_DIR\n' "${0##*/}" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=$1
mkdir -p "$out"

clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$top/vmlinux/x86" -Wall \
	-c "$here/probe.bpf.c" -o "$out/probe.bpf.o"
bpftool gen skeleton "$out/probe.bpf.o" name probe_bpf >"$out/probe.skel.h"
# libelf.a of Debian 12 (elfutils 0.188) needs only libz; add libzstd when a newer one asks.
libs=(-lbpf -lelf -lz)
if nm /usr/lib/x86_64-linux-gnu/libelf.a 2>/dev/null | grep -q ' U ZSTD_'; then
	libs+=(-lzstd)
fi
cc -std=gnu11 -O2 -g -Wall -Wextra -static -I"$out" "$here/selftest.c" \
	"${libs[@]}" -lpthread -o "$out/vm-selftest"
printf '%s\n' "$out/vm-selftest"
