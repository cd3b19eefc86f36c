// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding snapshot sockets by endpoints, for events keyed by socket address (raw_tp) meeting a sock_diag snapshot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapmatch.h"

static void endpoints(struct sw_endpoints *ep, __u32 netns, __u8 family, const __u8 *laddr,
		      __u16 lport, const __u8 *raddr, __u16 rport)
{
	memset(ep, 0, sizeof(*ep));
	ep->netns = netns;
	ep->family = family;
	ep->lport = lport;
	ep->rport = rport;
	memcpy(ep->laddr, laddr, SW_ADDR_LEN);
	memcpy(ep->raddr, raddr, SW_ADDR_LEN);
}

void sw_endpoints_of_event(const struct sw_event *e, struct sw_endpoints *ep)
{
	endpoints(ep, e->netns, e->family, e->laddr, e->lport, e->raddr, e->rport);
}

void sw_endpoints_of_snap(const struct sw_snap_sock *r, struct sw_endpoints *ep)
{
	endpoints(ep, r->netns, r->family, r->laddr, r->lport, r->raddr, r->rport);
}

static int cmp_ent(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sw_endpoints));
}

int sw_snapmatch_build(struct sw_snapmatch *m, const struct sw_snap_sock *socks, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->v = malloc((n ? n : 1) * sizeof(*m->v));
	if (!m->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(socks[i].flags & SW_SNAP_F_FULL))
			continue; /* TIME_WAIT and request sockets get no events */
		sw_endpoints_of_snap(&socks[i], &m->v[m->n].ep);
		m->v[m->n++].cookie = socks[i].cookie;
	}
	qsort(m->v, m->n, sizeof(*m->v), cmp_ent);
	return 0;
}

void sw_snapmatch_free(struct sw_snapmatch *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

size_t sw_snapmatch_find(const struct sw_snapmatch *m, const struct sw_endpoints *ep, size_t *first)
{
	size_t lo = 0, hi = m->n, end;

	/* The first entry not below ep, then the run of equal ones. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_ent(&m->v[mid].ep, ep) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < m->n && !cmp_ent(&m->v[end].ep, ep); end++)
		;
	*first = lo;
	return end - lo;
}

int sw_snapmatch_adopt(const struct sw_snapmatch *m, struct sw_conntab *t, const struct sw_event *e)
{
	struct sw_endpoints ep;
	size_t first, n;

	if (!e->cookie || e->kind == SW_EV_LISTEN || e->oldstate == SW_TCP_CLOSE ||
	    sw_conntab_find(t, e->cookie))
		return 0;
	sw_endpoints_of_event(e, &ep);
	n = sw_snapmatch_find(m, &ep, &first);
	for (size_t i = first; i < first + n; i++) {
		struct sw_conn *c = sw_conntab_find(t, m->v[i].cookie);

		/* Taken already (by an earlier event), closed, or a mini socket. */
		if (!c || !(c->flags & SW_CONN_SNAP) || (c->flags & (SW_CONN_GHOST | SW_CONN_MINI)))
			continue;
		return sw_conntab_rekey(t, c, e->cookie) ? 0 : 1;
	}
	return 0;
}

/*
 * Whether no other live socket can have c's endpoints. Past the handshake a
 * connection's 4-tuple is its own in its netns (a SYN_SENT one may yet
 * fail on a tuple in use). SO_REUSEPORT listeners share theirs, so a
 * listener counts only once its listen() succeeded (a failed one fails on
 * a port in use) and if it was born while the snapshot could see it: then
 * one of its group's snapshot rows is its own, and they look alike.
 */
static bool endpoints_own(const struct sw_snapmatch *m, const struct sw_conn *c)
{
	switch (c->state) {
	case SW_TCP_ESTABLISHED:
	case SW_TCP_FIN_WAIT1:
	case SW_TCP_FIN_WAIT2:
	case SW_TCP_CLOSE_WAIT:
	case SW_TCP_LAST_ACK:
	case SW_TCP_CLOSING:
		return true;
	case SW_TCP_LISTEN:
		return c->lport && !(c->flags & SW_CONN_UNCONFIRMED) && c->birth_ns &&
		       c->birth_ns < m->until_ns;
	default:
		return false;
	}
}

int sw_snapmatch_dedup(const struct sw_snapmatch *m, struct sw_conntab *t, const struct sw_event *e)
{
	const struct sw_conn *c = e->cookie ? sw_conntab_find(t, e->cookie) : NULL;
	struct sw_endpoints ep;
	size_t first, n;

	/* A row taken over from the snapshot is the snapshot's socket itself. */
	if (!c || (c->flags & (SW_CONN_GHOST | SW_CONN_SNAP)) || !endpoints_own(m, c))
		return 0;
	endpoints(&ep, c->netns, c->family, c->laddr, c->lport, c->raddr, c->rport);
	n = sw_snapmatch_find(m, &ep, &first);
	for (size_t i = first; i < first + n; i++) {
		struct sw_conn *s = sw_conntab_find(t, m->v[i].cookie);

		/* Taken over by an event (no longer under its cookie), closed, or mini. */
		if (!s || s == c || !(s->flags & SW_CONN_SNAP) ||
		    (s->flags & (SW_CONN_GHOST | SW_CONN_MINI)))
			continue;
		return sw_conntab_drop(t, s) ? 0 : 1;
	}
	return 0;
}

int sw_snapmatch_apply(const struct sw_snapmatch *m, struct sw_conntab *t, const struct sw_event *e,
		       __u64 now)
{
	int r;

	sw_snapmatch_adopt(m, t, e);
	r = sw_conntab_apply(t, e, now);
	if (r > 0)
		sw_snapmatch_dedup(m, t, e);
	return r;
}
