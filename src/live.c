// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The live view's model: attach, buffer events, snapshot, reconcile, then keep the table current. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conntab_resync.h"
#include "live.h"

__u64 sw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int queue_push(struct sw_live *l, const struct sw_event *e)
{
	if (l->nqueue == l->qcap) {
		size_t ncap = l->qcap ? l->qcap * 2 : 4096;
		struct sw_event *nq = realloc(l->queue, ncap * sizeof(*nq));

		if (!nq)
			return -ENOMEM;
		l->queue = nq;
		l->qcap = ncap;
	}
	l->queue[l->nqueue++] = *e;
	return 0;
}

/* An event applied while a resync's snapshot runs: newer than what it reads. */
static int note_touched(struct sw_live *l, __u64 key)
{
	if (l->ntouched == l->tcap) {
		size_t ncap = l->tcap ? l->tcap * 2 : 1024;
		__u64 *n = realloc(l->touched, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->touched = n;
		l->tcap = ncap;
	}
	l->touched[l->ntouched++] = key;
	return 0;
}

/* One event into the table (through the snapshot's sockets by endpoints, if need be). */
static int apply(struct sw_live *l, const struct sw_event *e, __u64 now)
{
	int err;

	if (l->resyncing) {
		err = note_touched(l, e->cookie);
		if (err)
			return err;
	}
	if (l->match.n)
		return sw_snapmatch_apply(&l->match, &l->tab, e, now);
	return sw_conntab_apply(&l->tab, e, now);
}

static int on_record(const struct sw_record *r, void *ctx)
{
	struct sw_live *l = ctx;
	int e;

	if (sw_lost_is_evictions(r)) {
		l->evicted += r->lost; /* no event lost: owners forgotten */
		return 0;
	}
	if (r->ev.kind == SW_EV_LOST) {
		l->lost += r->lost;
		l->resync_due = true; /* a lost close leaves a row for good */
		return 0;
	}
	if (!l->started) {
		e = queue_push(l, &r->ev);
		if (e)
			l->queue_err = e;
		return 0;
	}
	l->events++;
	e = apply(l, &r->ev, sw_now_ns());
	return e < 0 ? e : 0;
}

/* Between netns passes: keep the ring buffer from filling while we read. */
static void drain_step(void *ctx)
{
	struct sw_live *l = ctx;

	sw_tracer_poll(l->t, 0);
}

/* Whether a row's open socket gets an entry for its owner o: shown and still open. */
static bool seed_wanted(const struct sw_live *l, const struct sw_snap_owner *o,
			const struct sw_conn *c)
{
	/* A socket the filters drop needs none (its events would be dropped
	 * anyway), and would take LRU room from those shown. */
	return c && !(c->flags & (SW_CONN_GHOST | SW_CONN_MINI)) && c->pid == o->pid &&
	       sw_live_match(l, c);
}

/*
 * Owners of the sockets that are still open, for their later events. The
 * indexes in s->owners of those seeded go into seeded; returns how many.
 */
static size_t seed_owners(struct sw_live *l, const struct sw_snapshot *s, size_t *seeded)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nowners; i++) {
		const struct sw_snap_owner *o = &s->owners[i];
		__u64 key = sw_snapshot_key(s, l->key_by_ptr, o->cookie, o->skptr);
		const struct sw_conn *c = sw_conntab_find(&l->tab, key);
		struct sw_sock sk = {
			.pid = o->pid,
			.tid = o->pid,
			.uid = o->uid,
			.owner_src = SW_OWNER_SOCKET,
		};

		if (!seed_wanted(l, o, c))
			continue;
		memcpy(sk.comm, o->comm, sizeof(sk.comm));
		/* What the socket-map sweep needs to infer a close we never see. */
		sk.skptr = o->skptr;
		sk.sweep = c->state == SW_TCP_LISTEN ? SW_SWEEP_LISTENER : 0;
		sk.family = c->family;
		sk.netns = c->netns;
		sk.lport = c->lport;
		sk.rport = c->rport;
		memcpy(sk.laddr, c->laddr, sizeof(sk.laddr));
		memcpy(sk.raddr, c->raddr, sizeof(sk.raddr));
		if (!sw_tracer_seed_sock(l->t, key, &sk)) {
			l->seeded++;
			seeded[n++] = i;
		}
	}
	return n;
}

/*
 * A socket that closed before its entry was made: its close (owner-less, let
 * through by opts.owners_pending) closed the row but found no entry to
 * delete, so the entry would stay for the sweep to infer the close again,
 * refreshing or remaking the ghost. Deleted once the row is closed.
 */
static void unseed_closed(struct sw_live *l, const struct sw_snapshot *s, const size_t *seeded,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sw_snap_owner *o = &s->owners[seeded[i]];
		__u64 key = sw_snapshot_key(s, l->key_by_ptr, o->cookie, o->skptr);
		const struct sw_conn *c = sw_conntab_find(&l->tab, key);
		struct sw_sock sk = { .pid = o->pid, .skptr = o->skptr };

		if (c && !(c->flags & SW_CONN_GHOST))
			continue;
		if (!sw_tracer_unseed_sock(l->t, key, &sk))
			l->unseeded++;
	}
}

/* Whether process pid named comm passes the user's pid and comm filters. */
static bool process_match(const struct sw_tracer_opts *f, __u32 pid, const char *comm)
{
	if (f->pid && pid != f->pid)
		return false;
	if (f->comm && strncmp(comm, f->comm, SW_COMM_LEN - 1))
		return false;
	return true;
}

/*
 * Whether the holder o of row c's socket is to be its shown owner: with a
 * pid or comm filter, the first holder the filter selects. A socket shared
 * by several processes (a prefork server's listener, held by its master and
 * every worker) is then kept by `-p WORKER` or `--comm` as its worker's,
 * and the worker is the owner seeded for its later events, which the pid
 * filter in the kernel judges by that owner. Without one, the first holder.
 */
static bool shown_holder(const struct sw_live *l, const struct sw_conn *c,
			 const struct sw_snap_owner *o)
{
	const struct sw_tracer_opts *f = &l->filter;

	if (!c || (!f->pid && !f->comm) || !process_match(f, o->pid, o->comm))
		return false;
	return !(c->flags & SW_CONN_OWNER) || !process_match(f, c->pid, c->comm);
}

static int reconcile(struct sw_live *l, const struct sw_snapshot *s, bool seed)
{
	/* keyed by socket address, which is never shown as it is (src/sockid.h) */
	bool by_addr = l->key_by_ptr && sw_snapshot_has_skptr(s);
	__u64 now = sw_now_ns();
	size_t *seeded = NULL, nseeded = 0;
	int e;

	/* 1. Everything the snapshot saw, then who holds it. */
	for (size_t i = 0; i < s->nsocks; i++) {
		const struct sw_snap_sock *r = &s->socks[i];
		__u64 key = sw_snapshot_key(s, l->key_by_ptr, r->cookie, r->skptr);
		struct sw_conn *c;

		e = sw_conntab_add_snapshot(&l->tab, key, r, now);
		if (e < 0)
			return e;
		c = by_addr ? sw_conntab_find(&l->tab, key) : NULL;
		if (c)
			c->flags |= SW_CONN_KEY_ADDR;
	}
	for (size_t i = 0; i < s->nowners; i++) {
		const struct sw_snap_owner *o = &s->owners[i];
		__u64 key = sw_snapshot_key(s, l->key_by_ptr, o->cookie, o->skptr);

		e = sw_conntab_add_owner(&l->tab, key, o,
					 shown_holder(l, sw_conntab_find(&l->tab, key), o));
		if (e < 0)
			return e;
	}
	if (l->key_by_ptr && !sw_snapshot_has_skptr(s)) {
		e = sw_snapmatch_build(&l->match, s->socks, s->nsocks);
		if (e)
			return e;
		l->match.until_ns = now; /* taken after the snapshot ended */
		/* The tracer's map is keyed by address, which we do not know. */
		seed = false;
	}
	/* 2. Then every event since attach, in delivery order, including those
	 *    still in the ring buffer: they override what the snapshot read. */
	sw_tracer_poll(l->t, 0);
	if (l->queue_err)
		return l->queue_err;
	l->queued_max = l->nqueue;
	for (size_t i = 0; i < l->nqueue; i++) {
		e = apply(l, &l->queue[i], now);
		if (e < 0)
			return e;
		l->events++;
	}
	free(l->queue);
	l->queue = NULL;
	l->nqueue = l->qcap = 0;
	l->started = true;
	/*
	 * 3. Seed the owners (none at all without an owners_pending tracer).
	 *    Until this is done, a socket older than the tracer has no entry
	 *    and its events no owner: the tracer let those through, or a
	 *    close in the snapshot window would be lost to a pid or comm
	 *    filter. Then filter them again, and read what came meanwhile:
	 *    a close that beat its socket's seed left that entry stale.
	 */
	if (seed && s->nowners) {
		seeded = malloc(s->nowners * sizeof(*seeded));
		if (!seeded)
			return -ENOMEM;
		nseeded = seed_owners(l, s, seeded);
	}
	sw_tracer_owners_seeded(l->t);
	sw_tracer_poll(l->t, 0);
	if (seeded)
		unseed_closed(l, s, seeded, nseeded);
	free(seeded);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static bool touched(__u64 key, void *ctx)
{
	const struct sw_live *l = ctx;

	return bsearch(&key, l->touched, l->ntouched, sizeof(*l->touched), cmp_key) != NULL;
}

static bool resync_owner_shown(const struct sw_conn *c, const struct sw_snap_owner *o, void *ctx)
{
	return shown_holder(ctx, c, o);
}

int sw_live_resync(struct sw_live *l)
{
	struct sw_resync_opts o = {
		.key_by_ptr = l->key_by_ptr,
		.touched = touched,
		.owner_shown = resync_owner_shown,
		.ctx = l,
	};
	struct sw_resync_stats st;
	struct sw_snapshot s;
	char err[512];
	__u64 now = sw_now_ns();
	int e;

	l->resync_due = false;
	l->last_resync_ns = now;
	l->ntouched = 0;
	l->resyncing = true;
	e = sw_snapshot_take(&s, l->resync_source, l->filter.netns, drain_step, l, err,
			     sizeof(err));
	if (!e)
		sw_tracer_poll(l->t, 0); /* what came before it ended */
	l->resyncing = false;
	if (e) {
		l->resync_due = true; /* tried again after SW_LIVE_RESYNC_NS */
		return 0;
	}
	qsort(l->touched, l->ntouched, sizeof(*l->touched), cmp_key);
	now = sw_now_ns();
	e = sw_conntab_resync(&l->tab, &s, &o, now, &st);
	/* raw_tp with sock_diag: later events find the rows it added by endpoints too */
	if (!e && l->match.n) {
		sw_snapmatch_free(&l->match);
		e = sw_snapmatch_build(&l->match, s.socks, s.nsocks);
		l->match.until_ns = now;
	}
	sw_snapshot_free(&s);
	if (e)
		return e;
	l->resyncs++;
	l->resync_closed += st.closed;
	l->resync_added += st.added;
	l->resync_updated += st.updated;
	return 0;
}

int sw_live_start(struct sw_live *l, const struct sw_live_opts *o, char *err, size_t errlen)
{
	struct sw_tracer_opts to = o->tracer;
	struct sw_snapshot s;
	__u64 t0;
	int e;

	memset(l, 0, sizeof(*l));
	l->filter = o->tracer;
	e = sw_conntab_init(&l->tab, o->ghost_ns);
	if (e)
		return e;
	/* Every transition, so that rows show the state the socket is in now. */
	to.states = true;
	to.owners_pending = o->seed;
	t0 = sw_now_ns();
	e = sw_tracer_open(&to, on_record, l, &l->t, err, errlen);
	if (e)
		goto out_tab;
	l->key_by_ptr = sw_tracer_state_hook(l->t) == SW_STATE_HOOK_RAW_TP;
	l->host_netns = sw_self_netns();
	l->attach_ns = sw_now_ns() - t0;
	t0 = sw_now_ns();
	e = sw_snapshot_take(&s, o->snapshot, o->tracer.netns, drain_step, l, err, errlen);
	if (e)
		goto out_tracer;
	l->snap_source = s.source;
	l->resync_source = s.source;
	snprintf(l->snap_fallback, sizeof(l->snap_fallback), "%s", s.fallback);
	l->snap_ns = sw_now_ns() - t0;
	l->snap_socks = s.nsocks;
	l->snap_netns = s.nnetns;
	l->snap_netns_failed = s.netns_failed;
	l->snap_failed_netns = s.failed_netns;
	l->snap_failed_err = s.failed_err;
	snprintf(l->snap_failed_path, sizeof(l->snap_failed_path), "%s", s.failed_path);
	t0 = sw_now_ns();
	e = reconcile(l, &s, o->seed);
	l->reconcile_ns = sw_now_ns() - t0;
	sw_snapshot_free(&s);
	/* Events lost while it ran: the table is made true before it is shown. */
	if (!e && l->resync_due)
		e = sw_live_resync(l);
	if (e) {
		snprintf(err, errlen, "cannot build the connection table: %s", strerror(-e));
		goto out_tracer;
	}
	return 0;

out_tracer:
	sw_tracer_close(l->t);
	l->t = NULL;
out_tab:
	free(l->queue);
	free(l->touched);
	sw_snapmatch_free(&l->match);
	sw_conntab_free(&l->tab);
	return e;
}

int sw_live_poll(struct sw_live *l, int timeout_ms)
{
	__u64 gen = l->tab.gen;
	int n;

	n = sw_tracer_poll(l->t, timeout_ms);
	if (n < 0)
		return n;
	if (l->resync_due && sw_now_ns() - l->last_resync_ns >= SW_LIVE_RESYNC_NS) {
		n = sw_live_resync(l);
		if (n < 0)
			return n;
	}
	return l->tab.gen != gen;
}

int sw_live_tick_ms(const struct sw_live *l)
{
	int tick = sw_tracer_tick_ms(l->t);
	__u64 now, due;
	int resync;

	if (!l->resync_due)
		return tick;
	now = sw_now_ns();
	due = l->last_resync_ns + SW_LIVE_RESYNC_NS;
	/* rounded up: a wait that ends before it is due would spin */
	resync = due <= now ? 0 : (int)((due - now + 999999) / 1000000);
	return tick >= 0 && tick < resync ? tick : resync;
}

bool sw_live_match(const struct sw_live *l, const struct sw_conn *c)
{
	const struct sw_tracer_opts *f = &l->filter;

	if (f->family && c->family != f->family)
		return false;
	if (f->port && c->lport != f->port && c->rport != f->port)
		return false;
	if (f->netns && c->netns != f->netns)
		return false;
	return process_match(f, c->pid, c->comm);
}

void sw_live_stop(struct sw_live *l)
{
	sw_tracer_close(l->t);
	free(l->queue);
	free(l->touched);
	sw_snapmatch_free(&l->match);
	sw_conntab_free(&l->tab);
	memset(l, 0, sizeof(*l));
}
