/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The live view's table against a snapshot taken again after events were lost. */
#ifndef SW_CONNTAB_RESYNC_H
#define SW_CONNTAB_RESYNC_H

#include <stdbool.h>
#include <linux/types.h>

#include "conntab.h"
#include "snapshot.h"

struct sw_resync_opts {
	bool key_by_ptr; /* the tracer keys sockets by address (raw_tp state hook) */
	/*
	 * Whether an event for key was applied while the snapshot was taken:
	 * newer than the snapshot, such a row is left as the events made it.
	 */
	bool (*touched)(__u64 key, void *ctx);
	/*
	 * Whether holder o of the socket of an added row c is to be its shown
	 * owner (sw_conntab_add_owner()); NULL: the first holder is.
	 */
	bool (*owner_shown)(const struct sw_conn *c, const struct sw_snap_owner *o, void *ctx);
	void *ctx;
};

struct sw_resync_stats {
	__u32 closed; /* live rows whose socket the kernel no longer has: closes inferred */
	__u32 added; /* sockets the table did not have */
	__u32 updated; /* rows whose state the snapshot changed */
};

/*
 * Reconciles the table with s, a snapshot of every socket taken after
 * events were lost (a lost close leaves a row that no later event ends: the
 * kernel deletes the socket's entry at its close even when the record did
 * not fit). Rows that no event touched meanwhile are made to agree with it:
 * a live row whose socket it does not list (in a namespace it entered) is
 * closed as a transition to CLOSE closes it, a ghost like any other; a
 * full socket it lists that the table lacks gets a row (as the start-up
 * snapshot's, with its owners); the others take its state and byte counts.
 * TIME_WAIT and request sockets are not added: their full socket's row, if
 * any, is closed. Returns 0 or -ENOMEM.
 */
int sw_conntab_resync(struct sw_conntab *t, const struct sw_snapshot *s,
		      const struct sw_resync_opts *o, __u64 now, struct sw_resync_stats *st);

#endif /* SW_CONNTAB_RESYNC_H */
