# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# TAP helpers shared by the command-line test scripts (sourced, not run).
N=0
FAILED=0

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
check() { # check NAME CMD...: ok when CMD succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# tap_done: the plan, the summary line, and the exit status
tap_done() {
	echo "1..$N"
	echo "$((N - FAILED)) passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
