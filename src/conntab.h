/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The connection table of the live view: rows keyed by socket cookie, fed by snapshot and events. */
#ifndef SW_CONNTAB_H
#define SW_CONNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sockwatch.h"

/* Flags of sw_conn.flags. */
#define SW_CONN_GHOST 0x01 /* closed; shown dimmed until closed_ns + ghost time */
/* TIME_WAIT or request socket from the snapshot: no events follow (a request's child's
 * events, with its cookie, make the row the connection's: see mini_deaf()) */
#define SW_CONN_MINI 0x02
#define SW_CONN_SNAP 0x04 /* existed when the view started */
#define SW_CONN_BYTES 0x08 /* bytes_sent/bytes_received are known */
#define SW_CONN_OWNER 0x10 /* pid/comm/uid are known */
#define SW_CONN_KEY_ADDR 0x20 /* key is the socket's kernel address (raw_tp): never shown */
#define SW_CONN_UNCONFIRMED 0x40 /* LISTEN from a state event alone: its listen() may yet fail */
#define SW_CONN_DETACHED 0x80 /* a ghost whose key a later socket took: found by no key */

struct sw_conn {
	__u64 key; /* socket cookie (or socket address in the raw_tp fallback: SW_CONN_KEY_ADDR) */
	__u64 first_ns; /* CLOCK_MONOTONIC when the table first saw the socket */
	__u64 birth_ns; /* when the kernel side first saw it (0 if before the tracer) */
	__u64 closed_ns; /* ghost since */
	__u64 bytes_sent;
	__u64 bytes_received;
	__u32 netns;
	__u32 pid; /* owner tgid */
	__u32 uid; /* owner uid */
	__u32 nowners; /* processes holding the socket (1 when only pid is known) */
	__u32 last_owner; /* snapshot: pid of the last owner record counted */
	__u16 lport;
	__u16 rport;
	__u8 family;
	__u8 state; /* enum sw_tcp_state; SW_TCP_CLOSE for ghosts of full sockets */
	__u8 flags; /* SW_CONN_* */
	__u8 kind; /* last event kind applied (enum sw_event_kind), SW_EV_SNAPSHOT; a row closed
		    * by a state event takes the kind of close (SW_EV_UNLISTEN, SW_EV_CLOSE) */
	__u8 laddr[SW_ADDR_LEN];
	__u8 raddr[SW_ADDR_LEN];
	char comm[SW_COMM_LEN];
	__u32 next; /* hash chain or free list: index + 1, 0 ends */
	__u32 used; /* slot in use */
};

/* Columns a view can be sorted by. */
enum sw_sort_col {
	SW_SORT_STATE = 0,
	SW_SORT_LOCAL,
	SW_SORT_REMOTE,
	SW_SORT_PID,
	SW_SORT_COMM,
	SW_SORT_USER,
	SW_SORT_AGE,
	SW_SORT_BYTES,
	SW_SORT_NETNS,
	SW_SORT_MAX,
};

struct sw_conn_stats {
	__u32 by_state[SW_TCP_STATE_MAX]; /* live rows only */
	__u32 live; /* rows that are not ghosts */
	__u32 ghosts;
	__u32 listeners;
};

struct sw_conntab {
	struct sw_conn *rows;
	__u32 nrows; /* slots used so far (high-water mark) */
	__u32 cap;
	__u32 free_head; /* index + 1 of a free slot */
	__u32 *buckets; /* index + 1 of the chain head */
	__u32 nbuckets; /* power of two */
	__u32 count; /* rows in use */
	__u32 nghosts;
	__u64 ghost_ns; /* how long closed rows stay */
	__u64 gen; /* bumped on every change: a view is stale if it differs */
	__u64 new_conns; /* connection rows created by events (not listeners, not snapshot) */
	const struct sw_conn **view;
	size_t view_cap;
	/* Ghosts in the order they closed, so expiry costs only what expires.
	 * By slot, not key: rows never move, and a ghost may leave the hash. */
	struct sw_ghost_ref {
		__u64 closed_ns;
		__u32 idx; /* index in rows */
	} * ghostq;
	size_t gq_head, gq_len, gq_cap; /* a ring of gq_cap entries */
};

int sw_conntab_init(struct sw_conntab *t, __u64 ghost_ns);
void sw_conntab_free(struct sw_conntab *t);
struct sw_conn *sw_conntab_find(const struct sw_conntab *t, __u64 key);

/*
 * A socket seen by the snapshot. Apply every snapshot row before the events
 * queued while it ran (docs/live-view.md says why that order is right).
 * Returns 1 if a row was added, 0 if the key was already there, -ENOMEM.
 */
int sw_conntab_add_snapshot(struct sw_conntab *t, __u64 key, const struct sw_snap_sock *r,
			    __u64 now);
/*
 * A process holding a snapshot socket, counted in nowners; the first one
 * becomes the row's owner, or this one if shown (the holder a filter
 * selects: a socket shared by several processes is then shown as its).
 */
int sw_conntab_add_owner(struct sw_conntab *t, __u64 key, const struct sw_snap_owner *o,
			 bool shown);
/*
 * Gives a live row a new key (a sock_diag snapshot row, keyed by cookie,
 * found again by endpoints in an event keyed by socket address). -EEXIST if
 * key is taken, -EINVAL for a ghost (a closed socket is never taken over).
 */
int sw_conntab_rekey(struct sw_conntab *t, struct sw_conn *c, __u64 key);
/*
 * Removes a live row (a snapshot row found to be the socket of another row).
 * -EINVAL for a ghost: it goes when its time is up.
 */
int sw_conntab_drop(struct sw_conntab *t, struct sw_conn *c);
/* One tracer event in delivery order. Returns 1 if the table changed, 0, or -ENOMEM. */
int sw_conntab_apply(struct sw_conntab *t, const struct sw_event *e, __u64 now);
/*
 * Drops ghosts older than the ghost time. Returns how many; *next_ns (if not
 * NULL) is when the next one expires, or 0 if there is none.
 */
int sw_conntab_expire(struct sw_conntab *t, __u64 now, __u64 *next_ns);
typedef bool (*sw_conn_pred)(const struct sw_conn *c, void *ctx);
/* Counts over the rows keep() accepts (all if NULL). */
void sw_conntab_stats(const struct sw_conntab *t, sw_conn_pred keep, void *ctx,
		      struct sw_conn_stats *s);
/*
 * The rows keep() accepts (all if NULL), sorted by col (ties by key). *out
 * stays valid until the next call or change of the table. Returns the count
 * or -ENOMEM.
 */
long sw_conntab_view(struct sw_conntab *t, sw_conn_pred keep, void *ctx, enum sw_sort_col col,
		     bool reverse, const struct sw_conn ***out);
/* True for rows that --once lists: live sockets and snapshot TIME_WAIT/request sockets. */
bool sw_conn_is_current(const struct sw_conn *c);

#endif /* SW_CONNTAB_H */
