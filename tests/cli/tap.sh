# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# TAP helpers shared by the command-line test scripts (sourced, not run).
N=0
FAILED=0
SKIPPED=0

# ok NAME: a pass; a NAME with " # SKIP reason" is a test that did not run (not a pass)
ok() {
	N=$((N + 1))
	case $1 in *" # SKIP"*) SKIPPED=$((SKIPPED + 1)) ;; esac
	echo "ok $N - $1"
}
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
# tap_done: the plan, the summary line (skipped tests counted apart), and the exit status
tap_done() {
	echo "1..$N"
	if [ "$SKIPPED" -gt 0 ]; then
		echo "$((N - FAILED - SKIPPED)) passed, $FAILED failed ($SKIPPED skipped)"
	else
		echo "$((N - FAILED)) passed, $FAILED failed"
	fi
	[ "$FAILED" -eq 0 ]
}

# --- BPF programs left behind ----------------------------------------------------------
# Other tracers may run on the machine at the same time (several checkouts, a benchmark),
# so "left behind" means: a program named sw_* that was not loaded before, and that no
# live process holds any more (a program fd or a link to it, as /proc/*/fdinfo shows).

# IDs of the loaded programs named sw_*, one per line, sorted as comm(1) wants.
sw_prog_ids() {
	bpftool prog show -j 2>/dev/null |
		jq -r '.[] | select((.name // "") | startswith("sw_")) | .id' | sort
}

# IDs of the programs some live process holds.
held_prog_ids() {
	cat /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u
}

# no_sw_leak "IDS_BEFORE": true if no sw_* program loaded since then is left unheld. A
# program whose holder just exited takes a moment to go: up to three looks, 0.5 s apart.
no_sw_leak() {
	local leaked
	for _ in 1 2 3; do
		leaked=$(comm -23 <(sw_prog_ids) <(printf '%s\n' $1 | sort) |
			comm -23 - <(held_prog_ids) | wc -l)
		[ "$leaked" = 0 ] && return 0
		sleep 0.5
	done
	echo "# $leaked sw_ program(s) loaded by this test are still loaded, held by no process" >&2
	return 1
}
