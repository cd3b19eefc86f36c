#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every test suite (unit, integration, command line, qemu kernel matrix) and sums them up.
#
# usage: scripts/run-tests.sh BUILD_DIR
# Each suite ends with its own "N passed, N failed" line (or prints TAP lines, which are
# counted); a suite that exits non-zero without reporting a failure counts as one. The
# script ends with the line "N passed, N failed" over all suites.
#   SW_ONLY=unit|integration|cli|vm   run one group
#   SW_VM=0                           skip the qemu kernel matrix (it runs by default
#                                     where qemu-system-x86_64 exists)
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ONLY=${SW_ONLY:-}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
passed=0
failed=0
skipped=0
suites_failed=()
skips=()

# run_suite NAME CMD...: runs one suite, shows its output, counts its TAP lines.
run_suite() {
	local name=$1 log rc p f s
	shift
	log=$LOGDIR/$(echo "$name" | tr ' /' '__').log
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# A suite's own closing line wins (skipped tests apart: "(N skipped"); else count
	# its TAP lines, a "# SKIP" one as skipped, not passed.
	read -r p f < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed.*$/\1 \2/p' "$log" | tail -n 1)
	if [[ -z ${p:-} ]]; then
		s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
		p=$(($(grep -cE '^ok [0-9]+' "$log") - s))
		f=$(grep -cE '^not ok [0-9]+' "$log")
	else
		s=$(sed -nE 's/^[0-9]+ passed, [0-9]+ failed \(([0-9]+) skipped.*$/\1/p' "$log" | tail -n 1)
		s=${s:-0}
	fi
	if ((rc != 0 && f == 0)); then
		f=1
		echo "not ok - $name exited with status $rc"
	fi
	if ((rc == 77 && f == 1 && p == 0)) && ! grep -qE '^not ok [0-9]+' "$log"; then
		f=0
		echo "# $name skipped"
		skips+=("$name")
	fi
	# A suite that did not run at all ("1..0 # SKIP reason"): make test installs what the
	# suites need and runs as root, so that is a failure, never a silent pass.
	if grep -qE '^1\.\.0 # SKIP' "$log"; then
		f=$((f + 1))
		echo "not ok - $name did not run: $(sed -nE 's/^1\.\.0 # SKIP ?//p' "$log" | head -n 1)"
	fi
	# Single tests skipped (a kernel without MPTCP, say) are neither passed nor failed.
	if ((s > 0)); then
		skipped=$((skipped + s))
		skips+=("$name: $s")
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	((f > 0)) && suites_failed+=("$name")
	return 0
}

want() { [[ -z $ONLY || $ONLY == "$1" ]]; }

if want unit; then
	run_suite "style (clang-format, kernel style)" bash -c \
		"if ! command -v clang-format >/dev/null; then echo 'not ok 1 - clang-format is not installed (make deps)'; exit 1; fi
		make -s -C '$ROOT' check-format >/dev/null 2>&1 && echo 'ok 1 - every C file is clang-format clean' || { echo 'not ok 1 - clang-format finds differences (make format)'; exit 1; }"
	for t in "$BUILD"/tests/test_*; do
		[[ -x $t && $t != *.d ]] || continue
		run_suite "unit $(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
	done
	# the same tests against the library built with AddressSanitizer and UBSan
	for t in "$BUILD"/san/tests/test_*; do
		[[ -x $t && $t != *.d ]] || continue
		run_suite "unit, sanitized $(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP \
			ASAN_OPTIONS=detect_leaks=1 "$t"
	done
	run_suite "fuzz (renderers, parsers)" "$ROOT/scripts/fuzz.sh" "$BUILD"
fi

if [[ $(id -u) -ne 0 ]] && [[ -z $ONLY || $ONLY != unit ]]; then
	echo "not ok - integration, command-line and VM tests need root (run: sudo make test)"
	failed=$((failed + 1))
else
	# Debian (systemd) mounts tracefs at /sys/kernel/tracing; a machine without it (a
	# container, a bare VM) would run every root suite on the accept exits' sys_exit
	# fallback alone. There the suites run in a mount namespace of their own where it
	# is mounted (scripts/with-tracefs.sh); the fallback has tests of its own
	# (tests/cli/test_events.sh "tracefs not mounted", the integration suite's "no
	# tracefs" ones).
	tracefs=("$ROOT/scripts/with-tracefs.sh")
	if "${tracefs[@]}" --check; then
		echo "# tracefs is not mounted at /sys/kernel/tracing: the integration and" \
			"command-line suites run in a mount namespace where it is"
	elif [[ $(stat -f -c %T /sys/kernel/tracing 2>/dev/null) != tracefs ]]; then
		echo "# no tracefs here: the suites run with the accept exits on sys_exit"
	fi
	if want integration; then
		run_suite "integration (tracepoint mode)" "${tracefs[@]}" "$BUILD/tests/itest" \
			--attach tracepoint
	fi
	if want cli; then
		for t in "$ROOT"/tests/cli/test_*.sh; do
			run_suite "cli $(basename "$t")" "${tracefs[@]}" "$t" "$BUILD"
		done
	fi
	if want vm && [[ ${SW_VM:-1} != 0 ]]; then
		if command -v qemu-system-x86_64 >/dev/null; then
			run_suite "vm kernel matrix" make --no-print-directory -C "$ROOT" \
				OUTPUT="$BUILD" test-vm-run
		else
			echo "# vm kernel matrix skipped: qemu-system-x86_64 not installed"
		fi
	fi
fi

echo
if ((${#skips[@]})); then
	echo "skipped ($skipped tests): ${skips[*]}"
fi
if ((${#suites_failed[@]})); then
	echo "failed suites: ${suites_failed[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
