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
/* The endpoints of an event, or of a snapshot record. */
void sw_endpoints_of_event(const struct sw_event *e, struct sw_endpoints *ep);
void sw_endpoints_of_snap(const struct sw_snap_sock *r, struct sw_endpoints *ep);

#endif /* SW_SNAPMATCH_H */
