#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch, extract and check a Debian cloud kernel for the qemu test VM; print its vmlinuz path.
#
# Usage: fetch-kernel.sh SERIES CACHE_DIR      (SERIES is 5.10, 6.1 or 6.12)
#
# 6.1 and 6.12 come from this machine's Debian 12 apt sources; 5.10 (Debian 11, the oldest
# kernel the matrix covers: no socket-cookie helper for tracing programs before 5.12, no
# bpf_for_each_map_elem before 5.13, no bpf_get_func_ret before 5.17) from bullseye, through
# apt with its own sources and lists under CACHE_DIR/apt-bullseye (the system's are untouched).
#
# Layout under CACHE_DIR (one folder per resolved package, so updates don't mix):
#   PKG/PKG_*.deb        the downloaded package
#   PKG/root/            dpkg-deb -x of it (boot/vmlinuz-*, boot/config-*, lib/modules/...)
#   PKG/modules/         plain .ko files the initramfs must insmod, named NN-name.ko so that
#                        a glob lists them in load order (empty when all is built in)
#   PKG/.ready           written last; its presence means "complete, reuse without download"
#   kernel-SERIES        symlink to the PKG folder last resolved for SERIES
# When the newest package cannot be had (offline: apt-get update or download fails), the
# newest complete cached kernel of the series is used, with a one-line warning on stderr
# ("fetch-kernel: warning: ..."). Once a newer kernel is complete, older ones of the series
# are removed, unless a run.sh holds CACHE_DIR/.use-SERIES (it holds it shared while it uses
# a kernel; pruning needs it exclusively and is otherwise left for a later call).
# Only the vmlinuz path goes to stdout; progress and the config report go to stderr, and on
# failure the last stderr line (fetch-kernel: ...) says why.
# Exit: 0 ok, 1 fetch/extract failed, a tool is missing, or the kernel lacks something
# built-in; 2 usage error.
set -euo pipefail

die() {
	printf 'fetch-kernel: %s\n' "$*" >&2
	exit 1
}

log() {
	printf 'fetch-kernel: %s\n' "$*" >&2
}

# need TOOL PACKAGE dies unless TOOL is installed, naming the Debian package that has it.
need() {
	command -v "$1" >/dev/null || die "$1 not found (apt-get install $2)"
}

usage() {
	printf 'usage: %s SERIES CACHE_DIR   (SERIES: 5.10, 6.1 or 6.12)\n' "${0##*/}" >&2
	exit 2
}

[[ $# -eq 2 ]] || usage
series=$1
cache=$2
case $series in
5.10 | 6.1 | 6.12) ;;
*) usage ;;
esac

# Options that must be built in: no initramfs can add them later.
builtin_opts=(
	CONFIG_BPF_SYSCALL CONFIG_DEBUG_INFO_BTF CONFIG_BPF_EVENTS CONFIG_KPROBES
	CONFIG_KPROBE_EVENTS CONFIG_FUNCTION_TRACER CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
	CONFIG_FTRACE_SYSCALLS CONFIG_NET_NS CONFIG_INET CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD
	CONFIG_RD_GZIP CONFIG_SERIAL_8250_CONSOLE CONFIG_CGROUP_BPF CONFIG_DEBUG_FS
)
# Options that may be modules: OPTION:path of the module under lib/modules/VER/.
# The module (and what it depends on) is then loaded by the initramfs /init.
modular_opts=(
	CONFIG_IPV6:kernel/net/ipv6/ipv6.ko
	CONFIG_INET_DIAG:kernel/net/ipv4/inet_diag.ko
	CONFIG_INET_TCP_DIAG:kernel/net/ipv4/tcp_diag.ko
)
# Options some tests use, loaded the same way when the kernel has them as modules; a kernel
# without them is not refused (those tests skip): SMC (AF_SMC) is an in-kernel acceptor,
# its listening worker takes connections with kernel_accept() (tests/integration/test_kaccept.c).
optional_opts=(
	CONFIG_SMC:kernel/net/smc/smc.ko
)

# apt options: none for this machine's sources; for 5.10, bullseye's in the cache.
apt_opts=()
use_bullseye() {
	local d=$cache/apt-bullseye

	mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/cache"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bullseye main\n' \
		"${SWVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$d/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
		-o "Dir::Cache::archives=$d/archives")
}

# resolve_pkg prints the newest linux-image-SERIES.*-cloud-amd64-unsigned package name.
resolve_pkg() {
	local re="^linux-image-${series//./\\.}\\..*-cloud-amd64-unsigned\$"

	apt-cache "${apt_opts[@]}" search --names-only "$re" 2>/dev/null | awk '{ print $1 }' |
		sort -V | tail -n 1
}

# newest_ready prints the newest cached package of this series that is complete (.ready).
newest_ready() {
	local d

	for d in "$cache/linux-image-$series".*-cloud-amd64-unsigned; do
		if [[ -f $d/.ready ]]; then printf '%s\n' "${d##*/}"; fi
	done | sort -V | tail -n 1
}

# apt_cause FILE prints the gist of apt's complaint in FILE (apt-get output): the reason of
# the first "Failed to fetch URL  REASON", else the first E: line, else the first W: line.
apt_cause() {
	local c

	c=$(sed -n 's/^[EW]: Failed to fetch [^ ]*  *//p' "$1" | head -n 1)
	[[ -n $c ]] || c=$(sed -n 's/^E: //p' "$1" | head -n 1)
	[[ -n $c ]] || c=$(sed -n 's/^W: //p' "$1" | head -n 1)
	printf '%s\n' "$c"
}

# fall_back WHY: the newest package cannot be had, for reason WHY. Use the newest complete
# cached kernel of the series (sets pkg), saying so in one line, or die with WHY.
fall_back() {
	local cached

	cached=$(newest_ready)
	if [[ -z $cached ]]; then
		cat "$apt_out" >&2
		die "$1"
	fi
	log "warning: using cached $cached: $1"
	pkg=$cached
	fell_back=1
}

# fetch_deb downloads and extracts $pkg into $kdir; on failure it sets why and returns 1.
fetch_deb() {
	local deb cause

	# Before a 20-35 MB download rather than after it (6.12's modules are .ko.xz).
	if ! command -v xz >/dev/null; then
		why="xz not found (apt-get install xz-utils), needed for $pkg's modules"
		return 1
	fi
	log "fetching $pkg"
	rm -rf "$kdir"
	mkdir -p "$kdir/modules"
	# apt's output is shown unless the cache then stands in (fall_back shows it otherwise)
	if ! (cd "$kdir" && apt-get "${apt_opts[@]}" download -o APT::Sandbox::User=root "$pkg" \
		>"$apt_out" 2>&1); then
		cause=$(apt_cause "$apt_out")
		why="apt-get download $pkg failed${cause:+: $cause}"
		return 1
	fi
	deb=$(find "$kdir" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
	[[ -n $deb ]] || { why="apt-get download left no .deb for $pkg"; return 1; }
	cat "$apt_out" >&2
	dpkg-deb -x "$deb" "$kdir/root" || { why="dpkg-deb -x $deb failed"; return 1; }
}

# prune_older removes the cached packages of this series older than $pkg, if no run.sh
# is using a kernel of the series (see the header); their .debs and trees are ~100 MB each.
prune_older() {
	local d old

	exec 7>"$cache/.use-$series"
	if flock -x -n 7; then
		for d in "$cache/linux-image-$series".*-cloud-amd64-unsigned; do
			old=${d##*/}
			[[ -d $d && $old != "$pkg" ]] || continue
			# only what sorts before $pkg: a newer folder is never removed
			[[ $(printf '%s\n' "$old" "$pkg" | sort -V | head -n 1) == "$old" ]] || continue
			log "removing $old (older than $pkg)"
			rm -rf "$d"
		done
	fi
	exec 7>&-
}

# config_value OPTION prints y, m or nothing for OPTION in the kernel's config file.
config_value() {
	sed -n "s/^$1=//p" "$config"
}

# module_file NAME_OR_PATH prints the shipped file (.ko, .ko.xz, .ko.zst) under $moddir.
module_file() {
	local rel=$1 f

	if [[ $rel == */* ]]; then
		for f in "$moddir/$rel" "$moddir/$rel.xz" "$moddir/$rel.zst"; do
			[[ -f $f ]] && { printf '%s\n' "$f"; return 0; }
		done
		return 1
	fi
	f=$(find "$moddir/kernel" \( -name "$rel.ko" -o -name "$rel.ko.xz" -o -name "$rel.ko.zst" \) \
		-print -quit)
	[[ -n $f ]] && printf '%s\n' "$f"
}

# decompress_ko SRC DST writes SRC as a plain .ko: busybox insmod cannot read .ko.xz.
decompress_ko() {
	case $1 in
	*.xz) need xz xz-utils; xz -dc "$1" >"$2" ;;
	*.zst) need zstd zstd; zstd -qdc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# ko_depends KO prints the module names KO depends on (from its .modinfo strings).
ko_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' '\n' | sed '/^$/d'
}

# add_module NAME_OR_PATH puts a module and, first, its dependencies into $out_mods.
add_module() {
	local src name dep tmp

	src=$(module_file "$1") || die "module $1 is not in the package"
	[[ -n $src ]] || die "module $1 is not in the package"
	name=$(basename "$src")
	name=${name%.xz}
	name=${name%.zst}
	name=${name%.ko}
	[[ " ${loaded[*]} " == *" $name "* ]] && return 0
	tmp=$(mktemp "$out_mods/.tmp.XXXXXX")
	decompress_ko "$src" "$tmp"
	while read -r dep; do
		add_module "$dep"
	done < <(ko_depends "$tmp")
	loaded+=("$name")
	mv "$tmp" "$out_mods/$(printf '%02d' "${#loaded[@]}")-$name.ko"
	log "initramfs will load module $name"
}

# prepare_modular required|optional OPTION:PATH does nothing for a built-in option and puts
# the module of one that is =m into $out_mods; an unset one is missing (added to $missing) when
# required, and only noted when optional (the tests that need it skip).
prepare_modular() {
	local rel=${2#*:} opt=${2%%:*}

	case $(config_value "$opt") in
	y) ;;
	m)
		log "$opt=m: the initramfs will load it"
		add_module "$rel"
		;;
	*)
		if [[ $1 == required ]]; then
			log "$opt is not set in $(basename "$config")"
			missing+=" $opt"
		else
			log "$opt is not set in $(basename "$config"): the tests that need it will skip"
		fi
		;;
	esac
}

# check_config reports every needed option and prepares modules for the modular ones.
check_config() {
	local opt val missing=

	for opt in "${builtin_opts[@]}"; do
		val=$(config_value "$opt")
		case $val in
		y) ;;
		m)
			log "$opt is a module, but it must be built in"
			missing+=" $opt=m"
			;;
		*)
			log "$opt is not set in $(basename "$config")"
			missing+=" $opt"
			;;
		esac
	done
	# Up front, rather than half-way through the modules: 6.12 ships them as .ko.xz.
	if [[ -n $(find "$moddir" -name '*.ko.xz' -print -quit) ]]; then need xz xz-utils; fi
	if [[ -n $(find "$moddir" -name '*.ko.zst' -print -quit) ]]; then need zstd zstd; fi
	for opt in "${modular_opts[@]}"; do
		prepare_modular required "$opt"
	done
	for opt in "${optional_opts[@]}"; do
		prepare_modular optional "$opt"
	done
	[[ -z $missing ]] || die "$pkg lacks what sockwatch's VM tests need:$missing"
	log "config ok: BTF, kprobes, ftrace direct calls, netns, IPv6, TCP sock_diag present"
}

need apt-cache apt
need apt-get apt
need dpkg-deb dpkg
need flock util-linux
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
if [[ $series == 5.10 ]]; then use_bullseye; fi
apt_out=$(mktemp)
trap 'rm -f "$apt_out"' EXIT
fell_back=0

pkg=$(resolve_pkg)
if [[ -z $pkg ]]; then
	log "no linux-image-$series cloud package known to apt; running apt-get update"
	apt-get "${apt_opts[@]}" update -qq >"$apt_out" 2>&1 || log "apt-get update failed"
	pkg=$(resolve_pkg)
fi
if [[ -z $pkg ]]; then
	# Offline and apt knows nothing: fall back to what an earlier call left.
	cause=$(apt_cause "$apt_out")
	fall_back "no linux-image-$series.*-cloud-amd64-unsigned package known to apt${cause:+ (apt-get update: $cause)}"
fi

# Runs sharing a cache (parallel make test-vm) must not download into the same folder at once.
exec 9>"$cache/.lock-$series"
flock 9
kdir=$cache/$pkg
# .ready holds the modular options its modules/ folder was made for.
want_mods=$(printf '%s\n' "${modular_opts[@]}" "${optional_opts[@]}")
if [[ ! -f $kdir/.ready ]]; then
	if ! fetch_deb; then
		rm -rf "$kdir"
		# Offline with newer lists than the cache: the cached kernel is still a kernel.
		fall_back "$why"
		kdir=$cache/$pkg
	fi
fi
if [[ -f $kdir/.ready && $(<"$kdir/.ready") != "$want_mods" ]]; then
	log "using cached $pkg; its module list changed, preparing the modules again"
	rm -rf "$kdir/modules"
	mkdir -p "$kdir/modules"
elif [[ -f $kdir/.ready && $fell_back -eq 0 ]]; then
	log "using cached $pkg"
fi
if [[ ! -f $kdir/.ready || $(<"$kdir/.ready") != "$want_mods" ]]; then
	config=$(find "$kdir/root/boot" -maxdepth 1 -name 'config-*' -print -quit)
	[[ -n $config ]] || die "$pkg has no boot/config-* file"
	moddir=$(find "$kdir/root/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit)
	[[ -n $moddir ]] || die "$pkg has no lib/modules/VERSION folder"
	out_mods=$kdir/modules
	loaded=()
	check_config
	printf '%s\n' "$want_mods" >"$kdir/.ready"
fi
ln -sfn "$pkg" "$cache/kernel-$series"
prune_older

vmlinuz=$(find "$kdir/root/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit)
[[ -n $vmlinuz ]] || die "$pkg has no boot/vmlinuz-*"
printf '%s\n' "$vmlinuz"
