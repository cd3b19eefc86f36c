# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What the bench/*.sh drivers share. Sourced, never run (bench/run.sh runs only *.sh).
# shellcheck shell=bash

die() {
	echo "bench: $*" >&2
	exit 1
}

# Field of churn's one-line JSON result.
json_field() { # file key
	sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$1"
}

# Background processes a driver started: its EXIT trap calls bench_kill_bg.
declare -a BG_PIDS=()
bench_kill_bg() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}

# Builds bench/churn.c into PATH.
build_churn() { # path
	cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -pthread \
		"$(dirname "${BASH_SOURCE[0]}")/churn.c" -o "$1" || die "cannot build $1"
}
