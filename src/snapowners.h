/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The snapshot's owner records indexed by socket key: every holder of a socket in one look-up. */
#ifndef SW_SNAPOWNERS_H
#define SW_SNAPOWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sockwatch.h"

struct sw_snapowners_ent {
	__u64 key;
	const struct sw_snap_owner *o;
};

/*
 * One entry per owner record (process, fd), sorted by socket key, then pid,
 * then fd: a socket's holders are one run, lowest pid first. The records
 * stay the snapshot's (not copied): the index lives no longer than it.
 */
struct sw_snapowners {
	struct sw_snapowners_ent *v;
	size_t n;
};

/*
 * Indexes n owner records by the key events carry: the socket's address
 * when by_ptr (raw_tp keys, with a snapshot that knows addresses), else its
 * cookie (see sw_snapshot_key()). Returns 0 or -ENOMEM.
 */
int sw_snapowners_build(struct sw_snapowners *ix, const struct sw_snap_owner *owners, size_t n,
			bool by_ptr);
void sw_snapowners_free(struct sw_snapowners *ix);
/*
 * The holders of the socket with this key: returns how many, and the first
 * of their entries (lowest pid first) in *first (NULL when there are none).
 */
size_t sw_snapowners_find(const struct sw_snapowners *ix, __u64 key,
			  const struct sw_snapowners_ent **first);

#endif /* SW_SNAPOWNERS_H */
