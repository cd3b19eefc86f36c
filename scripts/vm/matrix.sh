#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run the static integration tests in every (kernel, attach mode) combination under qemu.
#
# Usage: matrix.sh BUILD_DIR
#
# Runs BUILD_DIR/tests/itest-static --attach MODE for MODE in fentry, kprobe, tracepoint on
# Debian's 5.10, 6.1 and 6.12 cloud kernels (cache and console logs in BUILD_DIR/vm), one line
# per combination, then "N passed, N failed" counting combinations (nine: every mode on every
# kernel; before 5.17 the fexit reads inet_csk_accept's return value after its arguments);
# tests a kernel cannot run are reported by the suite as skipped, with the reason.
# A guest that fails to boot (run.sh exit 125) is booted again, up to three boots in all.
# A kernel or initramfs that could not be prepared (run.sh exit 123: offline with nothing
# cached, a missing host tool, ...) is never retried: the line says why, and that kernel's
# other modes are reported failed the same way without trying again.
# Environment: SWVM_KERNELS / SWVM_MODES override the lists (space separated),
# SWVM_TIMEOUT the per-run limit inside the VM (default 600 s).
# Exit: 0 all passed, 1 a combination failed, 2 usage error or no itest-static, 77 no qemu.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ $# -ne 1 ]]; then
	printf 'usage: %s BUILD_DIR\n' "${0##*/}" >&2
	exit 2
fi
build=$1
itest=$build/tests/itest-static
if [[ ! -x $itest ]]; then
	printf 'matrix: %s does not exist; build it with make %s\n' "$itest" "$itest" >&2
	exit 2
fi
if ! command -v "${QEMU:-qemu-system-x86_64}" >/dev/null; then
	printf 'matrix: skipped: qemu-system-x86_64 not found (apt-get install qemu-system-x86)\n' >&2
	exit 77
fi

read -r -a kernels <<<"${SWVM_KERNELS:-5.10 6.1 6.12}"
read -r -a modes <<<"${SWVM_MODES:-fentry kprobe tracepoint}"
timeout=${SWVM_TIMEOUT:-600}
cache=$build/vm
mkdir -p "$cache"

# guest_crash CONSOLE: "OOPS at FUNCTION+OFF/LEN" if the guest kernel crashed at a
# kernel address that is not in a BPF program (the first "RIP: 0010:" line); else fails.
guest_crash() {
	local oops rip
	oops=$(grep -m1 -oE '(Oops|BUG|general protection fault)[^[]*' "$1" 2>/dev/null)
	rip=$(grep -m1 -oE 'RIP: 0010:[^ ]+' "$1" 2>/dev/null)
	[[ -n $oops && -n $rip && $rip != *bpf_prog* ]] || return 1
	printf '%s at %s\n' "${oops% }" "${rip#RIP: 0010:}"
}

passed=0
failed=0
boots=3
for kernel in "${kernels[@]}"; do
	# Set when this kernel or its initramfs could not be prepared (run.sh exit 123): the
	# kernel's other modes would fail the same way, so they are not tried.
	setup_failure=
	warned=
	for mode in "${modes[@]}"; do
		name="vm $kernel $mode"
		out=$cache/itest-$kernel-$mode.out
		if [[ -n $setup_failure ]]; then
			printf '%s: FAIL %s (not tried again)\n' "$name" "$setup_failure"
			failed=$((failed + 1))
			continue
		fi
		start=$(date +%s)
		crash=
		# A guest that dies while booting, before the test starts (exit 125: under
		# software emulation the guest kernel was seen to oops in its own
		# boot-time code patching), says nothing about sockwatch: boot again, up
		# to twice. A guest whose kernel crashed during the test somewhere that is
		# not one of sockwatch's BPF programs (the 6.12 guest was seen, once in
		# many runs, to hit an int3 of its own code patching in inet6_ehashfn)
		# runs the test once more, and the verdict says so. A failure of the test,
		# a crash in a BPF program, and a kernel or initramfs that could not be
		# prepared (123: no VM was started) are never retried.
		for ((attempt = 1; ; attempt++)); do
			rc=0
			"$here/run.sh" --kernel "$kernel" --cache "$cache" --timeout "$timeout" \
				--log "$cache/console-$kernel-$mode.log" -- "$itest" --attach "$mode" \
				>"$out" 2>"$out.err" || rc=$?
			if [[ $rc -eq 125 && $attempt -lt $boots ]]; then
				echo "$name: guest failed to boot (attempt $attempt of $boots), booting again" >&2
				cp "$cache/console-$kernel-$mode.log" "$cache/console-$kernel-$mode.boot$attempt.log" 2>/dev/null || true
				continue
			fi
			if [[ $rc -eq 126 && -z $crash ]] &&
				crash=$(guest_crash "$cache/console-$kernel-$mode.log"); then
				echo "$name: the guest kernel crashed outside sockwatch's programs ($crash), running the test once more" >&2
				cp "$cache/console-$kernel-$mode.log" "$cache/console-$kernel-$mode.crash.log" 2>/dev/null || true
				continue
			fi
			break
		done
		secs=$(($(date +%s) - start))
		summary=$(sed -n 's/^.*\b\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*$/\1 passed, \2 failed/p' \
			"$out" | tail -n 1)
		skipped=$(sed -n 's/^[0-9]* passed, [0-9]* failed (\([0-9]*\) skipped.*$/\1/p' "$out" | tail -n 1)
		[[ -n $summary && -n $skipped ]] && summary="$summary, $skipped skipped"
		case $rc in
		0) verdict=ok${crash:+ after the guest kernel crashed outside sockwatch\'s programs once ($crash)} ;;
		123)
			# run.sh's last word: "run: kernel K could not be prepared: WHY" or
			# "run: initramfs could not be built: WHY"
			setup_failure=$(sed -n 's/^run: //p' "$out.err" | tail -n 1)
			setup_failure=${setup_failure:-kernel $kernel or its initramfs could not be prepared}
			verdict="FAIL $setup_failure"
			;;
		124) verdict="FAIL timeout" ;;
		125) verdict="FAIL vm failed to boot ($attempt attempts)" ;;
		126) verdict="FAIL vm died during the test" ;;
		*) verdict="FAIL exit $rc" ;;
		esac
		if [[ $rc -eq 0 && -z $summary ]]; then
			verdict="FAIL no 'N passed, N failed' line"
			rc=1
		fi
		printf '%s: %s (%s%s s)\n' "$name" "$verdict" "${summary:+$summary, }" "$secs"
		# An older cached kernel used for want of the newest (offline): say so, once.
		if [[ -z $warned ]] && grep -q '^fetch-kernel: warning: ' "$out.err"; then
			sed -n 's/^fetch-kernel: warning: /    kernel: /p' "$out.err" | head -n 1
			warned=1
		fi
		if [[ $rc -eq 0 ]]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			# Show what went wrong: the test's FAIL lines, or run.sh's diagnosis.
			grep -E '^(FAIL|not ok)' "$out" | sed 's/^/    /' | head -n 20 || true
			sed 's/^/    /' "$out.err" | grep -v 'using cached' | tail -n 45 || true
			printf '    full output: %s, console: %s\n' "$out" "$cache/console-$kernel-$mode.log"
		fi
	done
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
