#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs the Debian packages sockwatch needs to build, run, test and benchmark, only if missing.
set -euo pipefail

# build: compiler, BPF toolchain, libraries (static ones too, for the VM test binary)
pkgs=(make gcc pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
	libncurses-dev)
# tests: unit-test framework, sanitizer and libFuzzer runtimes, the style check, namespaces and
# ss, JSON checks, the UI driver, a syslog receiver, syscall and debugger tools the command-line
# tests drive sockwatch with, the qemu kernel matrix (kernel packages are xz/zstd-compressed)
pkgs+=(libcmocka-dev libclang-rt-dev clang-format iproute2 jq tmux python3 rsyslog strace gdb
	procps util-linux qemu-system-x86 busybox-static cpio file xz-utils zstd)
# benchmarks: the comparison tracer, and the scripts' arithmetic and CPU accounting
pkgs+=(libbpf-tools bc time)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "sockwatch: missing packages: ${missing[*]}; run as root (sudo make ...) to install them" >&2
	exit 1
fi
echo "sockwatch: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
