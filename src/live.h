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
	/* After lost events the snapshot is taken again and the table reconciled
	 * with it (sw_live_resync()): a lost close leaves a row no event ends. */
	enum sw_snap_source resync_source; /* the source the start-up snapshot used */
	bool resync_due; /* events were lost since the last resync */
	bool resyncing; /* its snapshot is under way: applied events' keys go to touched */
	__u64 last_resync_ns; /* CLOCK_MONOTONIC of the last one (0: none yet) */
	__u64 *touched; /* keys of events applied while its snapshot ran */
	size_t ntouched, tcap;
	__u64 resyncs; /* how many ran */
	__u64 resync_closed; /* rows they closed (sockets gone), */
	__u64 resync_added; /* added (sockets the table lacked) */
	__u64 resync_updated; /* and moved to another state */
};

/* A resync runs at once after a loss, then at most this often while losses go on. */
#define SW_LIVE_RESYNC_NS 1000000000ULL

/*
 * Attaches the tracer (buffering its events), takes the snapshot in every
 * netns, applies it and then the buffered events. Returns 0 or -errno with
 * one line in err.
 */
int sw_live_start(struct sw_live *l, const struct sw_live_opts *o, char *err, size_t errlen);
/*
 * Waits up to timeout_ms for events and applies them, and resyncs when
 * events were lost (sw_live_resync(), at most once per SW_LIVE_RESYNC_NS);
 * returns whether rows changed, or -errno.
 */
int sw_live_poll(struct sw_live *l, int timeout_ms);
/*
 * Takes the snapshot again and reconciles the table with it
 * (sw_conntab_resync()): rows of sockets that are gone close, sockets the
 * table lacks get rows, states are brought up to date. Events that come
 * meanwhile are applied as they come, and their rows left as they make
 * them. A snapshot that fails leaves the resync due. Returns 0 or -errno.
 */
int sw_live_resync(struct sw_live *l);
/*
 * Milliseconds until sw_live_poll() must run even if no event came (the
 * tracer's sweep, a resync due), 0 if now, -1 for "only when events come".
 */
int sw_live_tick_ms(const struct sw_live *l);
/* Whether a row passes the user's filters (pid, port, family, comm, netns). */
bool sw_live_match(const struct sw_live *l, const struct sw_conn *c);
void sw_live_stop(struct sw_live *l);

/* CLOCK_MONOTONIC nanoseconds. */
__u64 sw_now_ns(void);

#endif /* SW_LIVE_H */
