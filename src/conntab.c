// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The connection table of the live view: rows keyed by socket cookie, fed by snapshot and events. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conntab.h"

#define MIN_BUCKETS 1024u

static __u32 hash_key(__u64 key, __u32 nbuckets)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (__u32)key & (nbuckets - 1);
}

int sw_conntab_init(struct sw_conntab *t, __u64 ghost_ns)
{
	memset(t, 0, sizeof(*t));
	t->ghost_ns = ghost_ns;
	t->nbuckets = MIN_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void sw_conntab_free(struct sw_conntab *t)
{
	free(t->rows);
	free(t->buckets);
	free(t->view);
	free(t->ghostq);
	memset(t, 0, sizeof(*t));
}

struct sw_conn *sw_conntab_find(const struct sw_conntab *t, __u64 key)
{
	__u32 i = t->buckets[hash_key(key, t->nbuckets)];

	while (i) {
		struct sw_conn *c = &t->rows[i - 1];

		if (c->key == key)
			return c;
		i = c->next;
	}
	return NULL;
}

static int rehash(struct sw_conntab *t, __u32 nbuckets)
{
	__u32 *nb = calloc(nbuckets, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (__u32 i = 0; i < t->nrows; i++) {
		struct sw_conn *c = &t->rows[i];
		__u32 h;

		if (!c->used || (c->flags & SW_CONN_DETACHED))
			continue;
		h = hash_key(c->key, nbuckets);
		c->next = nb[h];
		nb[h] = i + 1;
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = nbuckets;
	return 0;
}

/* A new zeroed row for key (the key must not be in the table). */
static struct sw_conn *row_new(struct sw_conntab *t, __u64 key, __u64 now)
{
	struct sw_conn *c;
	__u32 idx, h;

	if (t->count + 1 > t->nbuckets && rehash(t, t->nbuckets * 2))
		return NULL;
	if (t->free_head) {
		idx = t->free_head - 1;
		t->free_head = t->rows[idx].next;
	} else {
		if (t->nrows == t->cap) {
			__u32 ncap = t->cap ? t->cap * 2 : 1024;
			struct sw_conn *nr = realloc(t->rows, ncap * sizeof(*nr));

			if (!nr)
				return NULL;
			t->rows = nr;
			t->cap = ncap;
		}
		idx = t->nrows++;
	}
	c = &t->rows[idx];
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->first_ns = now;
	c->used = 1;
	h = hash_key(key, t->nbuckets);
	c->next = t->buckets[h];
	t->buckets[h] = idx + 1;
	t->count++;
	return c;
}

/* Takes the row out of its hash chain (it stays in its slot). */
static void row_unlink(struct sw_conntab *t, struct sw_conn *c)
{
	__u32 idx = c - t->rows, *link = &t->buckets[hash_key(c->key, t->nbuckets)];

	while (*link && *link != idx + 1)
		link = &t->rows[*link - 1].next;
	if (*link)
		*link = c->next;
}

static void row_delete(struct sw_conntab *t, struct sw_conn *c)
{
	__u32 idx = c - t->rows;

	row_unlink(t, c);
	if (c->flags & SW_CONN_GHOST)
		t->nghosts--;
	memset(c, 0, sizeof(*c));
	c->next = t->free_head;
	t->free_head = idx + 1;
	t->count--;
}

int sw_conntab_rekey(struct sw_conntab *t, struct sw_conn *c, __u64 key)
{
	__u32 h;

	if (sw_conntab_find(t, key))
		return -EEXIST;
	if (c->flags & SW_CONN_GHOST)
		return -EINVAL; /* closed: no later event is this socket's */
	row_unlink(t, c);
	c->key = key;
	h = hash_key(key, t->nbuckets);
	c->next = t->buckets[h];
	t->buckets[h] = (__u32)(c - t->rows) + 1;
	t->gen++;
	return 0;
}

int sw_conntab_drop(struct sw_conntab *t, struct sw_conn *c)
{
	if (c->flags & SW_CONN_GHOST)
		return -EINVAL;
	row_delete(t, c);
	t->gen++;
	return 0;
}

static int ghostq_push(struct sw_conntab *t, __u32 idx, __u64 closed_ns)
{
	if (t->gq_len == t->gq_cap) {
		size_t ncap = t->gq_cap ? t->gq_cap * 2 : 1024;
		struct sw_ghost_ref *nq = malloc(ncap * sizeof(*nq));

		if (!nq)
			return -ENOMEM;
		for (size_t i = 0; i < t->gq_len; i++)
			nq[i] = t->ghostq[(t->gq_head + i) % t->gq_cap];
		free(t->ghostq);
		t->ghostq = nq;
		t->gq_cap = ncap;
		t->gq_head = 0;
	}
	t->ghostq[(t->gq_head + t->gq_len) % t->gq_cap] =
		(struct sw_ghost_ref){ .closed_ns = closed_ns, .idx = idx };
	t->gq_len++;
	return 0;
}

static int make_ghost(struct sw_conntab *t, struct sw_conn *c, __u64 now)
{
	if (!(c->flags & SW_CONN_GHOST))
		t->nghosts++;
	else if (c->closed_ns == now)
		return 0; /* queued already */
	c->flags |= SW_CONN_GHOST;
	/* Callers pass non-decreasing times, so the queue stays sorted. */
	c->closed_ns = now;
	return ghostq_push(t, (__u32)(c - t->rows), now);
}

int sw_conntab_add_snapshot(struct sw_conntab *t, __u64 key, const struct sw_snap_sock *r,
			    __u64 now)
{
	struct sw_conn *c;

	if (sw_conntab_find(t, key))
		return 0;
	c = row_new(t, key, now);
	if (!c)
		return -ENOMEM;
	c->family = r->family;
	c->lport = r->lport;
	c->rport = r->rport;
	memcpy(c->laddr, r->laddr, sizeof(c->laddr));
	memcpy(c->raddr, r->raddr, sizeof(c->raddr));
	c->netns = r->netns;
	c->state = r->state;
	c->kind = SW_EV_SNAPSHOT;
	c->flags = SW_CONN_SNAP;
	if (r->flags & SW_SNAP_F_FULL) {
		c->flags |= SW_CONN_BYTES;
		c->bytes_sent = r->bytes_sent;
		/* Payload only, as close events count it: the kernel counts the
		 * peer's FIN as a byte received, and a socket in CLOSE_WAIT,
		 * LAST_ACK or CLOSING has taken that FIN. */
		c->bytes_received = r->bytes_received;
		if (c->bytes_received &&
		    (r->state == SW_TCP_CLOSE_WAIT || r->state == SW_TCP_LAST_ACK ||
		     r->state == SW_TCP_CLOSING))
			c->bytes_received--;
		c->uid = r->uid;
	} else {
		/* A TIME_WAIT or request socket never gets another event: it is
		 * already gone from the live view's point of view. */
		c->flags |= SW_CONN_MINI;
		if (make_ghost(t, c, now))
			return -ENOMEM;
	}
	t->gen++;
	return 1;
}

int sw_conntab_add_owner(struct sw_conntab *t, __u64 key, const struct sw_snap_owner *o, bool shown)
{
	struct sw_conn *c = sw_conntab_find(t, key);

	if (!c)
		return 0;
	if (!(c->flags & SW_CONN_OWNER)) {
		c->nowners = 1;
	} else if (c->last_owner != o->pid) {
		/* Shared after fork. task_file lists a process's fds together,
		 * so comparing with the previous owner counts each process once. */
		c->nowners++;
	}
	if (!(c->flags & SW_CONN_OWNER) || shown) {
		c->flags |= SW_CONN_OWNER;
		c->pid = o->pid;
		c->uid = o->uid;
		memcpy(c->comm, o->comm, sizeof(c->comm));
	}
	c->last_owner = o->pid;
	t->gen++;
	return 1;
}

static bool event_has_owner(const struct sw_event *e)
{
	return (e->flags & SW_F_OWNER_MASK) != SW_OWNER_NONE && e->pid;
}

static void set_owner(struct sw_conn *c, const struct sw_event *e)
{
	c->flags |= SW_CONN_OWNER;
	c->pid = e->pid;
	c->uid = e->uid;
	memcpy(c->comm, e->comm, sizeof(c->comm));
	if (!c->nowners)
		c->nowners = 1;
}

static void copy_event(struct sw_conn *c, const struct sw_event *e, bool fresh)
{
	/* At SYN_SENT the local port is not chosen yet: keep what we have. */
	if (fresh || e->lport || !c->lport) {
		c->family = e->family;
		c->lport = e->lport;
		c->rport = e->rport;
		memcpy(c->laddr, e->laddr, sizeof(c->laddr));
		memcpy(c->raddr, e->raddr, sizeof(c->raddr));
	}
	c->netns = e->netns;
	if (e->flags & SW_F_KEY_IS_PTR)
		c->flags |= SW_CONN_KEY_ADDR;
	if (e->birth_ns)
		c->birth_ns = e->birth_ns;
	if (event_has_owner(e))
		set_owner(c, e);
	c->kind = e->kind;
}

/*
 * A ghost never comes back: an event that opens its key again is a later
 * life (connect() after a failed connect(); keyed by address, a new socket
 * where a freed one was, which the kernel does at once). The ghost leaves
 * the hash and stays until its time is up; the caller makes a new row.
 */
static void ghost_detach(struct sw_conntab *t, struct sw_conn *c)
{
	row_unlink(t, c);
	c->flags |= SW_CONN_DETACHED;
	t->gen++;
}

/*
 * Whether an event that does not open a socket (a close, an accept, a
 * listen) can be the ghost c's own. A close comes after the transition
 * that made the ghost; an accept hook reads the socket's state and sends
 * its event later, so a reset handled in between sends the close first;
 * listen()'s exit can likewise race a close of its listener by another
 * thread. A later socket with the key begins with its own transitions
 * (new lives, apply_open()); only when those were filtered out does such
 * an event come first, and then its birth, if both are known, tells it.
 */
static bool same_life(const struct sw_conn *c, const struct sw_event *e)
{
	return !e->birth_ns || !c->birth_ns || e->birth_ns == c->birth_ns;
}

/*
 * Whether an event of a full socket (a transition, accept or close) for the
 * row c of a TIME_WAIT or request socket from the snapshot is to be ignored.
 * A TIME_WAIT socket never gets an event of its own: a full socket's close
 * with its cookie is the one that left it behind. A request socket
 * (NEW_SYN_RECV) is a connection's first form: the kernel gives the child
 * socket the request's cookie (inet_csk_clone_lock()), which the snapshot
 * made, so such an event is the connection's, and the row becomes its live
 * row (still one the snapshot saw).
 */
static bool mini_deaf(struct sw_conntab *t, struct sw_conn *c)
{
	if (!c || !(c->flags & SW_CONN_MINI))
		return false;
	if (c->state != SW_TCP_NEW_SYN_RECV)
		return true;
	/* Its entry in the ghost queue is skipped: the row is no ghost now. */
	c->flags &= ~(SW_CONN_MINI | SW_CONN_GHOST);
	c->closed_ns = 0;
	t->nghosts--;
	t->gen++;
	return false;
}

static int apply_close(struct sw_conntab *t, const struct sw_event *e, __u64 now)
{
	struct sw_conn *c = sw_conntab_find(t, e->cookie);
	bool fresh;

	if (mini_deaf(t, c))
		return 0; /* the full socket's close that left this TIME_WAIT behind */
	if (c && (c->flags & SW_CONN_GHOST) && !same_life(c, e)) {
		ghost_detach(t, c);
		c = NULL;
	}
	fresh = !c;
	if (!c) {
		/* Opened and closed between two looks: still worth a ghost row. */
		c = row_new(t, e->cookie, now);
		if (!c)
			return -ENOMEM;
		if (e->kind != SW_EV_UNLISTEN)
			t->new_conns++;
	}
	copy_event(c, e, fresh);
	c->state = SW_TCP_CLOSE;
	if (e->kind == SW_EV_CLOSE) {
		c->flags |= SW_CONN_BYTES;
		c->bytes_sent = e->bytes_sent;
		c->bytes_received = e->bytes_received;
	}
	t->gen++;
	return make_ghost(t, c, now) ? -ENOMEM : 1;
}

static int apply_open(struct sw_conntab *t, const struct sw_event *e, __u64 now)
{
	struct sw_conn *c = sw_conntab_find(t, e->cookie);
	bool fresh;

	if (mini_deaf(t, c))
		return 0;
	if (c && (c->flags & SW_CONN_GHOST)) {
		ghost_detach(t, c);
		c = NULL;
	}
	fresh = !c;
	if (!c) {
		c = row_new(t, e->cookie, now);
		if (!c)
			return -ENOMEM;
		if (e->newstate != SW_TCP_LISTEN)
			t->new_conns++;
	}
	copy_event(c, e, fresh);
	c->state = e->newstate;
	/* A listener's own event says its listen() succeeded; the transition
	 * alone does not (the call can still fail and the kernel side then
	 * reports nothing more: see apply_state_close()). */
	if (fresh && e->kind == SW_EV_STATE && e->newstate == SW_TCP_LISTEN)
		c->flags |= SW_CONN_UNCONFIRMED;
	else if (e->kind == SW_EV_LISTEN || e->newstate != SW_TCP_LISTEN)
		c->flags &= ~SW_CONN_UNCONFIRMED;
	t->gen++;
	return 1;
}

/*
 * A transition to CLOSE. As a rule a close, unlisten or connect_failed event
 * follows, but the kernel side sends none for a listen() that failed inside
 * the call (its CLOSE->LISTEN transition was reported) or, keyed by address
 * (raw_tp), for a listener's child that dies in SYN_RECV. So the transition
 * itself closes the row; the event, if one comes, only brings its bytes and
 * closing time (apply_close()).
 */
static int apply_state_close(struct sw_conntab *t, const struct sw_event *e, __u64 now)
{
	struct sw_conn *c = sw_conntab_find(t, e->cookie);

	/* Unknown: its close event, if one comes, makes the row. */
	if (!c || mini_deaf(t, c) || (c->flags & SW_CONN_GHOST))
		return 0;
	if ((c->flags & SW_CONN_UNCONFIRMED) && c->state == SW_TCP_LISTEN) {
		/* Its listen() failed: it never listened, so it leaves no ghost.
		 * (A listener that did listen without a listen event, e.g. through
		 * io_uring, has its listen and unlisten sent right after this.) */
		row_delete(t, c);
		t->gen++;
		return 1;
	}
	c->kind = c->state == SW_TCP_LISTEN ? SW_EV_UNLISTEN : SW_EV_CLOSE;
	c->state = SW_TCP_CLOSE;
	t->gen++;
	return make_ghost(t, c, now) ? -ENOMEM : 1;
}

/* A late accept or listen for a ghost: only its owner is news, never its state. */
static int apply_late(struct sw_conntab *t, struct sw_conn *c, const struct sw_event *e)
{
	if (!event_has_owner(e))
		return 0;
	if ((c->flags & SW_CONN_OWNER) && c->pid == e->pid && c->uid == e->uid &&
	    !memcmp(c->comm, e->comm, sizeof(c->comm)))
		return 0;
	set_owner(c, e);
	t->gen++;
	return 1;
}

int sw_conntab_apply(struct sw_conntab *t, const struct sw_event *e, __u64 now)
{
	struct sw_conn *c;

	/* Cookie 0 means "not known yet" (a listener's child at LISTEN->SYN_RECV,
	 * or accepted before its ESTABLISHED transition on older kernels): its
	 * row comes with the next event that carries the final cookie. */
	if (!e->cookie)
		return 0;
	switch (e->kind) {
	case SW_EV_CLOSE:
	case SW_EV_UNLISTEN:
	case SW_EV_CONNECT_FAILED:
		return apply_close(t, e, now);
	case SW_EV_STATE:
		if (e->newstate == SW_TCP_CLOSE)
			return apply_state_close(t, e, now);
		if (!e->newstate || e->newstate >= SW_TCP_STATE_MAX)
			return 0;
		return apply_open(t, e, now);
	case SW_EV_ACCEPT:
	case SW_EV_LISTEN:
		/* Also inferred accepts (inside the kernel, told from the socket
		 * by the sweep) right as the socket closed. */
		c = sw_conntab_find(t, e->cookie);
		/* (a snapshot's TIME_WAIT or request row: apply_open() says) */
		if (c && (c->flags & SW_CONN_GHOST) && !(c->flags & SW_CONN_MINI) &&
		    same_life(c, e))
			return apply_late(t, c, e);
		/* fallthrough */
	case SW_EV_CONNECT:
		if (!e->newstate || e->newstate >= SW_TCP_STATE_MAX || e->newstate == SW_TCP_CLOSE)
			return 0;
		return apply_open(t, e, now);
	default:
		return 0;
	}
}

int sw_conntab_expire(struct sw_conntab *t, __u64 now, __u64 *next_ns)
{
	int n = 0;

	while (t->gq_len) {
		const struct sw_ghost_ref *g = &t->ghostq[t->gq_head];
		struct sw_conn *c;

		if (g->closed_ns + t->ghost_ns > now)
			break;
		/* Skip entries of rows that came back, closed again later, or
		 * went (a slot reused at the same closing time expires on time). */
		c = &t->rows[g->idx];
		if (c->used && (c->flags & SW_CONN_GHOST) && c->closed_ns == g->closed_ns) {
			row_delete(t, c);
			n++;
		}
		t->gq_head = (t->gq_head + 1) % t->gq_cap;
		t->gq_len--;
	}
	if (n)
		t->gen++;
	if (next_ns)
		*next_ns = t->gq_len ? t->ghostq[t->gq_head].closed_ns + t->ghost_ns : 0;
	return n;
}

void sw_conntab_stats(const struct sw_conntab *t, sw_conn_pred keep, void *ctx,
		      struct sw_conn_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (__u32 i = 0; i < t->nrows; i++) {
		const struct sw_conn *c = &t->rows[i];

		if (!c->used || (keep && !keep(c, ctx)))
			continue;
		if (c->flags & SW_CONN_GHOST) {
			s->ghosts++;
			continue;
		}
		s->live++;
		if (c->state < SW_TCP_STATE_MAX)
			s->by_state[c->state]++;
		if (c->state == SW_TCP_LISTEN)
			s->listeners++;
	}
}

bool sw_conn_is_current(const struct sw_conn *c)
{
	return !(c->flags & SW_CONN_GHOST) || (c->flags & SW_CONN_MINI);
}

struct sort_ctx {
	enum sw_sort_col col;
	bool reverse;
};

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* Addresses order by family, then bytes, then port: numeric, not textual. */
static int cmp_endpoint(__u8 fa, const __u8 *a, __u16 pa, __u8 fb, const __u8 *b, __u16 pb)
{
	int r = cmp_u64(fa, fb);

	if (!r)
		r = memcmp(a, b, SW_ADDR_LEN);
	if (!r)
		r = cmp_u64(pa, pb);
	return r;
}

/*
 * When the socket was born, as far as we know. A snapshot row without a
 * birth existed before the tracer attached: older than any birth the
 * kernel side reported (those are after attach), even one reported for a
 * socket born before the snapshot was taken, so it sorts first as 0.
 */
static __u64 conn_birth(const struct sw_conn *c)
{
	if (c->birth_ns)
		return c->birth_ns;
	return (c->flags & SW_CONN_SNAP) ? 0 : c->first_ns;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sw_conn *a = *(const struct sw_conn *const *)pa;
	const struct sw_conn *b = *(const struct sw_conn *const *)pb;
	const struct sort_ctx *s = arg;
	int r = 0;

	switch (s->col) {
	case SW_SORT_STATE:
		r = cmp_u64(a->state, b->state);
		break;
	case SW_SORT_LOCAL:
		r = cmp_endpoint(a->family, a->laddr, a->lport, b->family, b->laddr, b->lport);
		break;
	case SW_SORT_REMOTE:
		r = cmp_endpoint(a->family, a->raddr, a->rport, b->family, b->raddr, b->rport);
		break;
	case SW_SORT_PID:
		r = cmp_u64(a->pid, b->pid);
		break;
	case SW_SORT_COMM:
		r = strncmp(a->comm, b->comm, SW_COMM_LEN);
		break;
	case SW_SORT_USER:
		r = cmp_u64(a->uid, b->uid);
		break;
	case SW_SORT_AGE:
		/* Oldest first: the earliest birth is the greatest age. */
		r = cmp_u64(conn_birth(a), conn_birth(b));
		break;
	case SW_SORT_BYTES:
		r = cmp_u64(a->bytes_sent + a->bytes_received, b->bytes_sent + b->bytes_received);
		break;
	case SW_SORT_NETNS:
		r = cmp_u64(a->netns, b->netns);
		break;
	default:
		break;
	}
	if (!r && s->col != SW_SORT_LOCAL)
		r = cmp_endpoint(a->family, a->laddr, a->lport, b->family, b->laddr, b->lport);
	if (!r)
		r = cmp_u64(a->key, b->key);
	if (!r) /* a ghost and a later socket with its key: by slot, stable */
		r = a < b ? -1 : a > b;
	return s->reverse ? -r : r;
}

long sw_conntab_view(struct sw_conntab *t, sw_conn_pred keep, void *ctx, enum sw_sort_col col,
		     bool reverse, const struct sw_conn ***out)
{
	struct sort_ctx s = { .col = col, .reverse = reverse };
	size_t n = 0;

	if (t->view_cap < t->count) {
		const struct sw_conn **nv = realloc(t->view, t->count * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->view = nv;
		t->view_cap = t->count;
	}
	for (__u32 i = 0; i < t->nrows; i++) {
		const struct sw_conn *c = &t->rows[i];

		if (c->used && (!keep || keep(c, ctx)))
			t->view[n++] = c;
	}
	qsort_r(t->view, n, sizeof(*t->view), cmp_rows, &s);
	*out = t->view;
	return (long)n;
}
