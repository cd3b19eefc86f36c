/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The live view's model: attach, buffer events, snapshot, reconcile, then keep the table current. */
#ifndef SW_LIVE_H
#define SW_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "conntab.h"
#include "snapmatch.h"
#include "snapshot.h"
#include "tracer.h"

struct sw_live_opts {
	struct sw_tracer_opts tracer; /* filters and attach mode; states are always on */
	__u64 ghost_ns; /* how long closed rows stay */
	bool seed; /* put snapshot owners into the tracer's socket map */
	enum sw_snap_source snapshot; /* auto, iter or diag */
};

struct sw_live {
	struct sw_tracer *t;
	struct sw_conntab tab;
	struct sw_tracer_opts filter; /* the user's filters, also applied to snapshot rows */
	bool key_by_ptr; /* raw_tp fallback: the tracer keys sockets by address */
	/* raw_tp with a sock_diag snapshot (no addresses): rows keyed by cookie
	 * are found by endpoints at their first event (docs/live-view.md). */
	struct sw_snapmatch match;
	bool started; /* snapshot applied: events go straight into the table */
	struct sw_event *queue; /* events delivered while the snapshot ran */
	size_t nqueue, qcap;
	int queue_err;
	__u64 lost; /* events the kernel could not deliver */
	__u64 evicted; /* socket-map entries evicted (owners forgotten, no event lost) */
	__u64 events; /* events applied */
	__u64 snap_socks; /* sockets the snapshot listed */
	__u64 attach_ns; /* how long attaching the tracer took */
	__u64 snap_ns; /* how long the snapshot took */
	__u64 reconcile_ns; /* how long applying it and the queued events took */
	__u64 queued_max; /* events that arrived during the snapshot */
	unsigned int snap_netns; /* namespaces the snapshot visited */
	unsigned int snap_netns_failed; /* and could not enter; the first: */
	__u64 snap_failed_netns;
	int snap_failed_err;
	char snap_failed_path[SW_NETNS_PATH_MAX];
	enum sw_snap_source snap_source; /* what took the snapshot: iter or diag */
	char snap_fallback[256]; /* why auto did not use the iterators ("" if it did) */
	__u32 host_netns;
	__u64 seeded; /* owners put into the tracer's socket map */
	__u64 unseeded; /* of those, entries of sockets found closed afterwards */
};

/*
 * Attaches the tracer (buffering its events), takes the snapshot in every
 * netns, applies it and then the buffered events. Returns 0 or -errno with
 * one line in err.
 */
int sw_live_start(struct sw_live *l, const struct sw_live_opts *o, char *err, size_t errlen);
/* Waits up to timeout_ms for events and applies them; returns the rows changed or -errno. */
int sw_live_poll(struct sw_live *l, int timeout_ms);
/*
 * Milliseconds until sw_live_poll() must run even if no event came (the
 * tracer's sweep), 0 if now, -1 for "only when events come".
 */
int sw_live_tick_ms(const struct sw_live *l);
/* Whether a row passes the user's filters (pid, port, family, comm, netns). */
bool sw_live_match(const struct sw_live *l, const struct sw_conn *c);
void sw_live_stop(struct sw_live *l);

/* CLOCK_MONOTONIC nanoseconds. */
__u64 sw_now_ns(void);

#endif /* SW_LIVE_H */
