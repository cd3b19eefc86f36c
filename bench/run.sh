#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench`: runs every bench/*.sh benchmark against BUILD_DIR.
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$HERE"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b")"
	"$b" "$BUILD" || rc=1
done
exit $rc
