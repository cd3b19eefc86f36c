#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs a command with tracefs at /sys/kernel/tracing, as a Debian (systemd) install has it.
#
# usage: scripts/with-tracefs.sh CMD [ARG...]
# Where tracefs is mounted already, or cannot be mounted, CMD runs as it is. Otherwise it
# runs in a mount namespace of its own with tracefs mounted there, and the machine's mount
# table stays as it was. Exit status: CMD's.
# --check: exit 0 if CMD would run in such a namespace, 1 if as it is.
set -u
TRACEFS=/sys/kernel/tracing

needs_ns() {
	[[ $(stat -f -c %T "$TRACEFS" 2>/dev/null) != tracefs ]] &&
		unshare -m --propagation private mount -t tracefs tracefs "$TRACEFS" 2>/dev/null
}

if [[ ${1:-} == --check ]]; then
	needs_ns
	exit
fi
[[ $# -ge 1 ]] || {
	echo "usage: $0 CMD [ARG...]" >&2
	exit 2
}
needs_ns || exec "$@"
exec unshare -m --propagation private sh -c 'mount -t tracefs tracefs "$0" && shift && exec "$@"' \
	"$TRACEFS" _ "$@"
