// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The live view's table against a snapshot taken again after events were lost. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conntab_resync.h"
#include "snapmatch.h"

/* A full snapshot socket by the key the table knows it by. */
struct keyed {
	__u64 key;
	size_t idx; /* in s->socks */
};

/* The snapshot's full sockets, found by key, and by endpoints where keys cannot tell. */
struct snap_index {
	struct keyed *v;
	size_t n;
	/*
	 * raw_tp events (rows keyed by socket address) with a sock_diag
	 * snapshot (no addresses): such a row is in the snapshot if a socket
	 * has its endpoints (docs/live-view.md, the fallback).
	 */
	bool by_ep;
	struct sw_snapmatch ep;
	/* by_ep: endpoints of the rows keyed by address that are live, or that an event
	 * touched while the snapshot was taken (closed since it read them) */
	struct sw_endpoints *live_ep;
	size_t nlive_ep;
};

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

static int cmp_keyed(const void *a, const void *b)
{
	return cmp_u64(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static int cmp_key(const void *a, const void *b)
{
	return cmp_u64(*(const __u64 *)a, *(const __u64 *)b);
}

static int cmp_ep(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sw_endpoints));
}

static void conn_endpoints(const struct sw_conn *c, struct sw_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->netns = c->netns;
	ep->family = c->family;
	ep->lport = c->lport;
	ep->rport = c->rport;
	memcpy(ep->laddr, c->laddr, SW_ADDR_LEN);
	memcpy(ep->raddr, c->raddr, SW_ADDR_LEN);
}

static bool row_by_addr(const struct snap_index *x, const struct sw_conn *c)
{
	return x->by_ep && (c->flags & SW_CONN_KEY_ADDR);
}

static bool touched(const struct sw_resync_opts *o, __u64 key)
{
	return o->touched && o->touched(key, o->ctx);
}

static int index_build(struct snap_index *x, const struct sw_conntab *t,
		       const struct sw_snapshot *s, const struct sw_resync_opts *o)
{
	bool key_by_ptr = o->key_by_ptr;

	memset(x, 0, sizeof(*x));
	x->v = malloc((s->nsocks ? s->nsocks : 1) * sizeof(*x->v));
	if (!x->v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsocks; i++) {
		const struct sw_snap_sock *r = &s->socks[i];

		if (!(r->flags & SW_SNAP_F_FULL))
			continue;
		x->v[x->n++] = (struct keyed){
			.key = sw_snapshot_key(s, key_by_ptr, r->cookie, r->skptr),
			.idx = i,
		};
	}
	qsort(x->v, x->n, sizeof(*x->v), cmp_keyed);
	x->by_ep = key_by_ptr && !sw_snapshot_has_skptr(s);
	if (!x->by_ep)
		return 0;
	if (sw_snapmatch_build(&x->ep, s->socks, s->nsocks))
		return -ENOMEM;
	x->live_ep = malloc((t->nrows ? t->nrows : 1) * sizeof(*x->live_ep));
	if (!x->live_ep)
		return -ENOMEM;
	for (__u32 i = 0; i < t->nrows; i++) {
		const struct sw_conn *c = &t->rows[i];

		if (c->used && !(c->flags & SW_CONN_DETACHED) && row_by_addr(x, c) &&
		    (!(c->flags & SW_CONN_GHOST) || touched(o, c->key)))
			conn_endpoints(c, &x->live_ep[x->nlive_ep++]);
	}
	qsort(x->live_ep, x->nlive_ep, sizeof(*x->live_ep), cmp_ep);
	return 0;
}

static void index_free(struct snap_index *x)
{
	free(x->v);
	free(x->live_ep);
	sw_snapmatch_free(&x->ep);
}

static const struct sw_snap_sock *by_key(const struct snap_index *x, const struct sw_snapshot *s,
					 __u64 key)
{
	struct keyed k = { .key = key };
	const struct keyed *f = bsearch(&k, x->v, x->n, sizeof(*x->v), cmp_keyed);

	return f ? &s->socks[f->idx] : NULL;
}

/*
 * The snapshot's socket of a row, or NULL if it has none. *unsure: a row
 * found by endpoints that it cannot be told by (no local port yet).
 */
static const struct sw_snap_sock *row_socket(const struct snap_index *x,
					     const struct sw_snapshot *s, const struct sw_conn *c,
					     bool *unsure)
{
	struct sw_endpoints ep;
	size_t first;

	*unsure = false;
	if (!row_by_addr(x, c))
		return by_key(x, s, c->key);
	if (!c->lport) {
		*unsure = true;
		return NULL;
	}
	conn_endpoints(c, &ep);
	if (!sw_snapmatch_find(&x->ep, &ep, &first))
		return NULL;
	return by_key(x, s, x->ep.v[first].cookie);
}

/* An event as the kernel side would send it for the socket r under key: what the table applies. */
static struct sw_event snap_event(__u64 key, __u8 kind, __u8 oldstate, __u8 newstate,
				  const struct sw_snap_sock *r, bool key_addr)
{
	struct sw_event e = {
		.kind = kind,
		.cookie = key,
		.oldstate = oldstate,
		.newstate = newstate,
		.flags = key_addr ? SW_F_KEY_IS_PTR : 0, /* no owner: the row keeps its own */
	};

	if (r) {
		e.family = r->family;
		e.lport = r->lport;
		e.rport = r->rport;
		e.netns = r->netns;
		memcpy(e.laddr, r->laddr, sizeof(e.laddr));
		memcpy(e.raddr, r->raddr, sizeof(e.raddr));
	}
	return e;
}

/*
 * A live row that the snapshot has, or does not have: its state taken from
 * the snapshot (a listener by a listen event, which also confirms it), or
 * closed as a transition to CLOSE closes it (docs/live-view.md).
 */
static int row_resync(struct sw_conntab *t, struct sw_conn *c, const struct sw_snap_sock *r,
		      __u64 now, struct sw_resync_stats *st)
{
	bool key_addr = c->flags & SW_CONN_KEY_ADDR;
	struct sw_event e;
	int ret;

	if (!r) {
		e = snap_event(c->key, SW_EV_STATE, c->state, SW_TCP_CLOSE, NULL, key_addr);
		ret = sw_conntab_apply(t, &e, now);
		if (ret > 0)
			st->closed++;
		return ret < 0 ? ret : 0;
	}
	if (r->state == c->state && !(c->flags & SW_CONN_UNCONFIRMED))
		return 0;
	e = snap_event(c->key, r->state == SW_TCP_LISTEN ? SW_EV_LISTEN : SW_EV_STATE, c->state,
		       r->state, r, key_addr);
	ret = sw_conntab_apply(t, &e, now);
	if (ret > 0)
		st->updated++;
	return ret < 0 ? ret : 0;
}

/* Whether a row keyed by address, live or touched, has r's endpoints (it is r: by_ep only). */
static bool live_at(const struct snap_index *x, const struct sw_snap_sock *r)
{
	struct sw_endpoints ep;

	if (!x->by_ep)
		return false;
	sw_endpoints_of_snap(r, &ep);
	return bsearch(&ep, x->live_ep, x->nlive_ep, sizeof(*x->live_ep), cmp_ep) != NULL;
}

/*
 * A full socket the table lacks: a row as the start-up snapshot makes one.
 * Where its key is a ghost's (a later life of a socket, whose events were
 * lost), a new row as its events would have made it; where it is a
 * snapshot request socket's, that row becomes the connection's, as the
 * child's first event makes it. Returns 1 if added.
 */
static int add_socket(struct sw_conntab *t, __u64 key, const struct sw_snap_sock *r, bool key_addr,
		      __u64 now)
{
	struct sw_conn *c = sw_conntab_find(t, key);
	struct sw_event e;
	int ret;

	if (c && (c->flags & SW_CONN_MINI) && c->state != SW_TCP_NEW_SYN_RECV)
		return 0; /* a TIME_WAIT row: deaf to events until it expires, and so to this */
	if (!c) {
		ret = sw_conntab_add_snapshot(t, key, r, now);
		c = ret > 0 && key_addr ? sw_conntab_find(t, key) : NULL;
		if (c)
			c->flags |= SW_CONN_KEY_ADDR;
		return ret;
	}
	e = snap_event(key, r->state == SW_TCP_LISTEN ? SW_EV_LISTEN : SW_EV_STATE, SW_TCP_CLOSE,
		       r->state, r, key_addr);
	return sw_conntab_apply(t, &e, now);
}

int sw_conntab_resync(struct sw_conntab *t, const struct sw_snapshot *s,
		      const struct sw_resync_opts *o, __u64 now, struct sw_resync_stats *st)
{
	bool by_addr = o->key_by_ptr && sw_snapshot_has_skptr(s);
	struct snap_index x;
	__u64 *added = NULL;
	size_t nadded = 0;
	int e;

	memset(st, 0, sizeof(*st));
	e = index_build(&x, t, s, o);
	if (e)
		goto out;
	/* 1. Rows: gone, or in another state. Rows move only when added (2.). */
	for (__u32 i = 0; i < t->nrows; i++) {
		struct sw_conn *c = &t->rows[i];
		const struct sw_snap_sock *r;
		bool unsure;

		if (!c->used || (c->flags & SW_CONN_GHOST) || touched(o, c->key))
			continue;
		r = row_socket(&x, s, c, &unsure);
		if (unsure || (!r && sw_snapshot_netns_failed(s, c->netns)))
			continue;
		e = row_resync(t, c, r, now, st);
		if (e)
			goto out;
	}
	/* 2. Sockets the table lacks, then their owners. */
	added = malloc((x.n ? x.n : 1) * sizeof(*added));
	if (!added) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < x.n; i++) {
		const struct sw_snap_sock *r = &s->socks[x.v[i].idx];
		__u64 key = x.v[i].key;
		const struct sw_conn *c = sw_conntab_find(t, key);

		if ((c && !(c->flags & SW_CONN_GHOST)) || live_at(&x, r) || touched(o, key))
			continue;
		e = add_socket(t, key, r, by_addr, now);
		if (e < 0)
			goto out;
		if (e > 0)
			added[nadded++] = key;
	}
	e = 0;
	st->added = nadded;
	qsort(added, nadded, sizeof(*added), cmp_key);
	for (size_t i = 0; i < s->nowners && nadded; i++) {
		const struct sw_snap_owner *w = &s->owners[i];
		__u64 key = sw_snapshot_key(s, o->key_by_ptr, w->cookie, w->skptr);

		bool shown;

		if (!bsearch(&key, added, nadded, sizeof(*added), cmp_key))
			continue;
		shown = o->owner_shown && o->owner_shown(sw_conntab_find(t, key), w, o->ctx);
		if (sw_conntab_add_owner(t, key, w, shown) < 0) {
			e = -ENOMEM;
			goto out;
		}
	}
out:
	free(added);
	index_free(&x);
	return e;
}
