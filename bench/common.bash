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

# Starts $CHURN in a new network namespace, ready but waiting for SIGUSR1, its one-line
# JSON result into RESULT. Sets C_PID, C_INO (the namespace's inode) and C_PORT. Uses the
# driver's CHURN, OUT and READY_TIMEOUT.
bench_start_churn() { # result churn-args...
	local res=$1 ready=$OUT/churn.ready deadline

	shift
	rm -f "$ready" "$res"
	"$CHURN" --netns --json --wait-start "$ready" "$@" >"$res" &
	C_PID=$!
	BG_PIDS+=("$C_PID")
	deadline=$((SECONDS + READY_TIMEOUT))
	until [[ -s $ready ]]; do
		kill -0 "$C_PID" 2>/dev/null || die "churn exited before it was ready"
		((SECONDS < deadline)) || die "churn did not create its namespace in ${READY_TIMEOUT}s"
		sleep 0.01
	done
	read -r C_INO C_PORT <"$ready"
}

# Builds bench/churn.c into PATH.
build_churn() { # path
	cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -pthread \
		"$(dirname "${BASH_SOURCE[0]}")/churn.c" -o "$1" || die "cannot build $1"
}
