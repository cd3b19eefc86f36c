/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding snapshot sockets by endpoints, for events keyed by socket address (raw_tp) meeting a sock_diag snapshot. */
#ifndef SW_SNAPMATCH_H
#define SW_SNAPMATCH_H

#include <stddef.h>
#include <linux/types.h>

#include "conntab.h"
#include "sockwatch.h"

/* Netns, family, addresses and ports of a socket, comparable with memcmp. */
struct sw_endpoints {
	__u32 netns;
	__u16 lport;
	__u16 rport;
	__u8 family;
	__u8 pad[7];
	__u8 laddr[SW_ADDR_LEN];
	__u8 raddr[SW_ADDR_LEN];
};

struct sw_snapmatch_ent {
	struct sw_endpoints ep;
	__u64 cookie;
};

/* Full snapshot sockets (not TIME_WAIT or request sockets) sorted by endpoints. */
struct sw_snapmatch {
	struct sw_snapmatch_ent *v;
	size_t n;
	__u64 until_ns; /* CLOCK_MONOTONIC: sockets born later are not in the snapshot */
};

int sw_snapmatch_build(struct sw_snapmatch *m, const struct sw_snap_sock *socks, size_t n);
void sw_snapmatch_free(struct sw_snapmatch *m);
/*
 * The snapshot sockets with ep's endpoints: returns how many (several only
 * for SO_REUSEPORT listeners) and the index of the first in *first.
 */
size_t sw_snapmatch_find(const struct sw_snapmatch *m, const struct sw_endpoints *ep,
			 size_t *first);
/*
 * raw_tp with a sock_diag snapshot: events name sockets by address, snapshot
 * rows are keyed by cookie. An event for an address the table does not know,
 * that is not a socket's birth (CLOSE->SYN_SENT, CLOSE->LISTEN), finds the
 * live snapshot row with its endpoints, which then takes the address as its
 * key. Returns 1 if a row was rekeyed, 0 if none, -errno.
 */
int sw_snapmatch_adopt(const struct sw_snapmatch *m, struct sw_conntab *t,
		       const struct sw_event *e);
/*
 * The other half: a socket born after attach that the snapshot also saw has
 * a snapshot row that its birth never takes over, and a row of its own from
 * its events. Once that row has endpoints no other live socket can have
 * (past the handshake; a listener whose listen event came, born before
 * until_ns), one live snapshot row with the same endpoints is that socket
 * and is dropped. Returns 1 if a row was dropped, 0 if none, -errno.
 */
int sw_snapmatch_dedup(const struct sw_snapmatch *m, struct sw_conntab *t,
		       const struct sw_event *e);
/* One event into the table: adopt, sw_conntab_apply(), then dedup. Returns what apply does. */
int sw_snapmatch_apply(const struct sw_snapmatch *m, struct sw_conntab *t, const struct sw_event *e,
		       __u64 now);
/* The endpoints of an event, or of a snapshot record. */
void sw_endpoints_of_event(const struct sw_event *e, struct sw_endpoints *ep);
void sw_endpoints_of_snap(const struct sw_snap_sock *r, struct sw_endpoints *ep);

#endif /* SW_SNAPMATCH_H */
