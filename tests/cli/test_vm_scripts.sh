#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Tests of the qemu kernel matrix scripts' own logic (no qemu, no network, no download):
# fetch-kernel.sh with apt stubbed (offline fall-back to the cache, pruning, the reason of a
# failure), mkinitramfs.sh and fetch-kernel.sh without the tools they need, and matrix.sh
# with run.sh stubbed (set-up failures are not retried, a boot failure is booted again).
# Usage: tests/cli/test_vm_scripts.sh [BUILD_DIR]; prints TAP, exits non-zero on failure.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/sw-vmscripts.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/tap.sh"

# --- fetch-kernel.sh, with apt-cache and apt-get stubbed -------------------------------
# apt knows linux-image-6.12.117 (newest); downloads fail as they do offline.
mkdir -p "$TMP/stub"
cat >"$TMP/stub/apt-cache" <<'EOF'
#!/bin/sh
printf '%s - Linux 6.12 for x86-64 cloud\n' linux-image-6.12.107+deb12-cloud-amd64-unsigned \
	linux-image-6.12.117+deb12-cloud-amd64-unsigned
EOF
cat >"$TMP/stub/apt-get" <<'EOF'
#!/bin/sh
echo "Err:1 http://deb.example/pool/x.deb"
echo "E: Failed to fetch http://deb.example/pool/x.deb  Temporary failure resolving 'deb.example'"
exit 100
EOF
chmod +x "$TMP/stub/apt-cache" "$TMP/stub/apt-get"

# fake_kernel DIR VERSION: a complete cached kernel folder (every option built in).
fake_kernel() {
	local d=$1/linux-image-$2+deb12-cloud-amd64-unsigned
	mkdir -p "$d/root/boot" "$d/root/lib/modules/$2" "$d/modules"
	: >"$d/root/boot/vmlinuz-$2"
	sed -n 's/^\t\(CONFIG_[A-Z0-9_ ]*\)$/\1/p; s/^\t\(CONFIG_[A-Z0-9_]*\):.*$/\1/p' \
		"$ROOT/scripts/vm/fetch-kernel.sh" | tr ' ' '\n' | sed '/^$/d; s/$/=y/' \
		>"$d/root/boot/config-$2"
	echo stale >"$d/.ready" # prepared again (nothing to load) on first use
}

fetch() { # fetch CACHE: fetch-kernel.sh 6.12 offline; sets out, err, rc
	out=$(PATH="$TMP/stub:$PATH" "$ROOT/scripts/vm/fetch-kernel.sh" 6.12 "$1" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
}

fetch "$TMP/empty"
check "offline, nothing cached: exit 1" test "$rc" -eq 1
check "... the last line says why, with apt's reason" \
	grep -q "^fetch-kernel: apt-get download linux-image-6.12.117+deb12-cloud-amd64-unsigned failed: Temporary failure resolving 'deb.example'\$" \
	<<<"$(tail -n 1 <<<"$err")"
check "... and leaves no half-made kernel folder" \
	test -z "$(find "$TMP/empty" -name 'linux-image-*' -print -quit)"

fake_kernel "$TMP/c" 6.12.100
fake_kernel "$TMP/c" 6.12.90
fetch "$TMP/c"
check "offline, lists newer than the cache: the newest cached kernel is used" \
	test "$rc" -eq 0 -a "$out" = "$TMP/c/linux-image-6.12.100+deb12-cloud-amd64-unsigned/root/boot/vmlinuz-6.12.100"
check "... with one warning naming it and why" \
	test "$(grep -c "^fetch-kernel: warning: using cached linux-image-6.12.100+deb12-cloud-amd64-unsigned: apt-get download linux-image-6.12.117+deb12-cloud-amd64-unsigned failed: Temporary failure resolving 'deb.example'\$" <<<"$err")" -eq 1
check "... and older ones are pruned" test ! -e "$TMP/c/linux-image-6.12.90+deb12-cloud-amd64-unsigned"

fake_kernel "$TMP/c" 6.12.117
fake_kernel "$TMP/c" 6.12.95
exec 8>"$TMP/c/.use-6.12"
flock -s 8
fetch "$TMP/c"
check "the newest known kernel cached: used without a download" \
	test "$rc" -eq 0 -a "$out" = "$TMP/c/linux-image-6.12.117+deb12-cloud-amd64-unsigned/root/boot/vmlinuz-6.12.117"
check "... no pruning while a run holds .use-SERIES" \
	test -d "$TMP/c/linux-image-6.12.100+deb12-cloud-amd64-unsigned"
exec 8>&-
fetch "$TMP/c"
check "... pruning once none does" test "$(find "$TMP/c" -maxdepth 1 -name 'linux-image-*' | wc -l)" -eq 1

# --- missing tools ------------------------------------------------------------------------
# A PATH with everything but file, xz and zstd.
mkdir -p "$TMP/hide"
for d in ${PATH//:/ }; do
	for f in "$d"/*; do
		b=${f##*/}
		case $b in file | xz | zstd) continue ;; esac
		[[ -e $TMP/hide/$b || ! -x $f ]] || ln -s "$f" "$TMP/hide/$b"
	done
done
err=$(PATH=$TMP/hide "$ROOT/scripts/vm/mkinitramfs.sh" "$TMP/i.cpio.gz" /bin/true 2>&1)
rc=$?
check "mkinitramfs without file(1): exit 1 naming the package" \
	test "$rc" -eq 1 -a "$err" = "mkinitramfs: file not found (apt-get install file)"
rm -rf "$TMP/c"
err=$(PATH="$TMP/stub:$TMP/hide" "$ROOT/scripts/vm/fetch-kernel.sh" 6.12 "$TMP/c" 2>&1 >/dev/null)
rc=$?
check "fetch-kernel without xz: no download, exit 1 naming the package" \
	test "$rc" -eq 1 -a "$err" = "fetch-kernel: xz not found (apt-get install xz-utils), needed for linux-image-6.12.117+deb12-cloud-amd64-unsigned's modules"
# the newest kernel, cached, its modules to be prepared again (.ready is stale)
rm -rf "$TMP/c"
fake_kernel "$TMP/c" 6.12.117
mkdir -p "$TMP/c/linux-image-6.12.117+deb12-cloud-amd64-unsigned/root/lib/modules/6.12.117/kernel"
: >"$TMP/c/linux-image-6.12.117+deb12-cloud-amd64-unsigned/root/lib/modules/6.12.117/kernel/a.ko.xz"
err=$(PATH="$TMP/stub:$TMP/hide" "$ROOT/scripts/vm/fetch-kernel.sh" 6.12 "$TMP/c" 2>&1 >/dev/null)
rc=$?
check "fetch-kernel with .ko.xz modules and no xz: exit 1 naming the package" \
	test "$rc" -eq 1 -a "$(tail -n 1 <<<"$err")" = "fetch-kernel: xz not found (apt-get install xz-utils)"

# --- matrix.sh, with run.sh stubbed ---------------------------------------------------
# The stub logs each call and exits as $STUB_RC_<series without dots> says.
mkdir -p "$TMP/m/vm" "$TMP/b/tests"
cp "$ROOT/scripts/vm/matrix.sh" "$TMP/m/"
cat >"$TMP/m/run.sh" <<'EOF'
#!/bin/bash
# STUB_RC_<series>: the exit code, or several, one per call ("126 0")
echo "$2" >>"$STUB_CALLS"
var=STUB_RC_${2//./}
read -r -a codes <<<"${!var}"
n=$(grep -cx "$2" "$STUB_CALLS")
rc=${codes[n - 1]:-${codes[-1]}}
case $rc in
123) echo "run: kernel $2 could not be prepared: apt-get download x failed: no network" >&2 ;;
126) cvar=STUB_CONSOLE_${2//./}; printf '%b' "${!cvar}" >"$8" ;;
0) echo "1..1"; echo "1 passed, 0 failed" ;;
esac
exit "$rc"
EOF
chmod +x "$TMP/m/run.sh"
cp /bin/true "$TMP/b/tests/itest-static"
out=$(STUB_CALLS=$TMP/calls STUB_RC_61=123 STUB_RC_612=125 STUB_RC_510=0 SWVM_MODES="fentry kprobe" \
	QEMU=true "$TMP/m/matrix.sh" "$TMP/b" 2>"$TMP/err")
rc=$?
err=$(cat "$TMP/err")
check "matrix: a failed combination, exit 1" test "$rc" -eq 1
check "... a kernel that could not be prepared: tried once, for its first mode only" \
	test "$(grep -cx 6.1 "$TMP/calls")" -eq 1
check "... its verdict names the kernel and the reason" \
	grep -qx "vm 6.1 fentry: FAIL kernel 6.1 could not be prepared: apt-get download x failed: no network ([0-9]* s)" <<<"$out"
check "... so does its other mode's" \
	grep -qx "vm 6.1 kprobe: FAIL kernel 6.1 could not be prepared: apt-get download x failed: no network (not tried again)" <<<"$out"
check "... a guest that fails to boot: three boots per mode" test "$(grep -cx 6.12 "$TMP/calls")" -eq 6
check "... 'booting again' after the first two only" \
	test "$(grep -c '^vm 6.12 fentry: guest failed to boot (attempt [12] of 3), booting again$' <<<"$err")" -eq 2 -a \
	"$(grep -c 'attempt 3' <<<"$err")" -eq 0
check "... verdict: failed to boot, three attempts" grep -q "^vm 6.12 kprobe: FAIL vm failed to boot (3 attempts)" <<<"$out"
check "... the passing kernel's modes pass" test "$(grep -c '^vm 5.10 [a-z]*: ok (1 passed, 0 failed' <<<"$out")" -eq 2
check "... the count" grep -qx '2 passed, 4 failed' <<<"$out"

# A guest kernel that crashes during the test outside a BPF program: run once more, and
# the verdict says so; one that crashes in a BPF program is a failure, not retried.
rm -f "$TMP/calls"
out=$(STUB_CALLS=$TMP/calls STUB_RC_612="126 0" STUB_RC_61=126 SWVM_KERNELS="6.12 6.1" \
	SWVM_MODES=kprobe \
	STUB_CONSOLE_612='[ 3.86] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n[ 3.87] RIP: 0010:inet6_ehashfn+0x39/0x210\n' \
	STUB_CONSOLE_61='[ 3.86] BUG: unable to handle page fault for address: 0000000000000008\n[ 3.87] RIP: 0010:bpf_prog_12cec11d03b2b4dd_sw_state_btf_main+0x2bbd/0x3750\n' \
	QEMU=true "$TMP/m/matrix.sh" "$TMP/b" 2>"$TMP/err")
crash_retried() {
	[ "$(grep -cx 6.12 "$TMP/calls")" -eq 2 ] &&
		grep -qx "vm 6.12 kprobe: ok after the guest kernel crashed outside sockwatch's programs once (Oops: int3: 0000 at inet6_ehashfn+0x39/0x210) (1 passed, 0 failed, [0-9]* s)" <<<"$out"
}
bpf_crash_failed() {
	[ "$(grep -cx 6.1 "$TMP/calls")" -eq 1 ] &&
		grep -q '^vm 6.1 kprobe: FAIL vm died during the test' <<<"$out"
}
check "matrix: a guest kernel crash outside sockwatch's programs: run once more, and said" crash_retried
check "... a crash in a BPF program fails at once" bpf_crash_failed

tap_done
