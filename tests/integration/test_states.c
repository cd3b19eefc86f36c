// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --states: who the state records of a listener's and a connect's first
 * transitions belong to.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

#define OWN_COMM "sw_stown"

/*
 * Once released: listens on 127.0.0.1 (reports the port), connects to
 * itself there, accepts, closes everything. One process does it all, so a
 * pid filter on it keeps every record that has an owner.
 */
static int listen_connect_close(struct peer_io *io)
{
	__u16 port = 0;
	int lfd, cfd, afd;

	peer_hold(io);
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	if (lfd < 0)
		return 10;
	if (peer_report(io, &port, sizeof(port)))
		return 11;
	cfd = connect_to(AF_INET, "127.0.0.1", port);
	if (cfd < 0)
		return 12;
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		return 13;
	close(cfd);
	close(afd);
	close(lfd);
	return 0;
}

/* The first record of kind with newstate in ns (SW_EV_STATE: from CLOSE); its index in *at. */
static const struct sw_record *first_of(const struct evlist *l, __u32 ns, int kind, int newstate,
					size_t *at)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sw_event *e = &l->v[i].ev;

		if (e->netns != ns || e->kind != kind || e->newstate != newstate)
			continue;
		if (kind == SW_EV_STATE && e->oldstate != SW_TCP_CLOSE)
			continue;
		*at = i;
		return &l->v[i];
	}
	return NULL;
}

/* One state record (CLOSE->newstate): the child's, before its event (kind), same socket. */
static int check_first(const struct evlist *l, __u32 ns, pid_t pid, __u16 port, int newstate,
		       int kind, const char *which)
{
	size_t si = 0, ei = 0;
	const struct sw_record *s = first_of(l, ns, SW_EV_STATE, newstate, &si);
	const struct sw_record *ev =
		first_of(l, ns, kind, kind == SW_EV_LISTEN ? newstate : SW_TCP_ESTABLISHED, &ei);
	const struct sw_event *e;

	CHECK(s && ev, "%s: state record %s, event %s", which, s ? "seen" : "missing",
	      ev ? "seen" : "missing");
	e = &s->ev;
	CHECK(e->pid == (__u32)pid && e->tid == (__u32)pid && !strcmp(e->comm, OWN_COMM) &&
		      e->uid == getuid() && (e->flags & SW_F_OWNER_MASK) == SW_OWNER_CURRENT &&
		      !(e->flags & SW_F_NO_ENTRY),
	      "%s: owner pid %u tid %u comm '%s' uid %u flags %#x (want %d '%s')", which, e->pid,
	      e->tid, e->comm, e->uid, e->flags, (int)pid, OWN_COMM);
	CHECK(e->cookie == ev->ev.cookie && si < ei,
	      "%s: cookie %llu (event's %llu), index %zu %zu", which, (unsigned long long)e->cookie,
	      (unsigned long long)ev->ev.cookie, si, ei);
	CHECK(e->family == SW_AF_INET && !memcmp(e->laddr, "\x7f\0\0\x01", 4) &&
		      (newstate == SW_TCP_LISTEN ?
			       e->lport == port :
			       e->rport == port && !memcmp(e->raddr, "\x7f\0\0\x01", 4)),
	      "%s: lport %u rport %u (port %u)", which, e->lport, e->rport, port);
	return 0;
}

/*
 * CLOSE->LISTEN and CLOSE->SYN_SENT run in the listen() and connect()
 * caller: their state records carry it (pid, tid, comm, uid, cgroup), come
 * before the listen and connect records, and so pass a pid and a comm
 * filter, in a tracer with both as in one without.
 */
int t_state_first_owner(void)
{
	struct sw_tracer_opts o = { .states = true }, of;
	struct evlist l = {}, lf = {};
	struct sw_tracer *t = NULL, *tf = NULL;
	__u32 ns = ns_new();
	struct peer p;
	__u16 port = 0;
	int rc, ret = -1;

	CHECK(ns, "cannot make a network namespace");
	rc = peer_spawn(&p, OWN_COMM, listen_connect_close, NULL);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	o.netns = ns;
	of = o;
	of.pid = p.pid;
	of.comm = OWN_COMM;
	if (tracer_open_into(&o, &l, &t) || tracer_open_into(&of, &lf, &tf)) {
		test_fail(__FILE__, __LINE__, "open", "states tracers");
		peer_reap(&p);
		goto out;
	}
	peer_release(&p);
	if (!peer_read(&p, &port, sizeof(port)))
		port = 0;
	rc = peer_reap(&p);
	if (rc || !port) {
		test_fail(__FILE__, __LINE__, "child", "exit %d, port %u", rc, port);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		struct sw_tracer *tt = i ? tf : t;
		struct evlist *ll = i ? &lf : &l;
		struct want_kind w = { .list = ll, .netns = ns, .kind = SW_EV_UNLISTEN, .n = 1 };

		if (poll_until(tt, ll, kind_seen, &w, 5000)) {
			test_fail(__FILE__, __LINE__, "unlisten", "none in the %s tracer",
				  i ? "filtered" : "unfiltered");
			goto out;
		}
		poll_for(tt, 100);
		if (check_first(ll, ns, p.pid, port, SW_TCP_LISTEN, SW_EV_LISTEN, "listen") ||
		    check_first(ll, ns, p.pid, port, SW_TCP_SYN_SENT, SW_EV_CONNECT, "connect")) {
			fprintf(stderr, "# (in the %s tracer)\n",
				i ? "filtered on pid and comm" : "unfiltered");
			goto out;
		}
	}
	ret = 0;
out:
	sw_tracer_close(tf);
	sw_tracer_close(t);
	evlist_free(&lf);
	evlist_free(&l);
	return ret;
}

/* Listens on 127.0.0.1 (reports the port), and closes it once released. */
static int listen_until_released(struct peer_io *io)
{
	__u16 port = 0;
	int lfd = listen_on(AF_INET, "127.0.0.1", &port);

	if (lfd < 0)
		return 10;
	if (peer_report(io, &port, sizeof(port)))
		return 11;
	peer_hold(io);
	close(lfd);
	return 0;
}

/*
 * A listener older than the tracer has no entry: its unlisten is owned by
 * the task that closes it, marked entry none, and so is the LISTEN->CLOSE
 * state record before it, which a pid filter on that task keeps.
 */
int t_state_unlisten_owner(void)
{
	struct sw_tracer_opts o = { .states = true };
	struct sw_tracer *t = NULL;
	struct evlist l = {};
	__u32 ns = ns_new();
	struct want_kind w = { .list = &l, .netns = ns, .kind = SW_EV_UNLISTEN, .n = 1 };
	const struct sw_record *u;
	const struct sw_event *e = NULL;
	size_t si = 0, ui = 0;
	struct peer p;
	__u16 port = 0;
	int rc, ret = -1;

	CHECK(ns, "cannot make a network namespace");
	rc = peer_spawn(&p, OWN_COMM, listen_until_released, NULL);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	if (!peer_read(&p, &port, sizeof(port))) {
		test_fail(__FILE__, __LINE__, "port", "child exit %d", peer_reap(&p));
		return -1;
	}
	o.netns = ns;
	o.pid = p.pid;
	o.comm = OWN_COMM;
	if (tracer_open_into(&o, &l, &t)) {
		peer_reap(&p);
		CHECK(0, "states tracer");
	}
	rc = peer_reap(&p);
	if (rc || poll_until(t, &l, kind_seen, &w, 5000)) {
		test_fail(__FILE__, __LINE__, "unlisten", "child exit %d, %zu unlisten", rc,
			  count_kind(&l, ns, SW_EV_UNLISTEN));
		goto out;
	}
	poll_for(t, 100);
	u = find_kind(&l, ns, SW_EV_UNLISTEN, 0);
	for (size_t i = 0; i < l.n; i++) {
		if (&l.v[i] == u)
			ui = i;
		if (l.v[i].ev.netns == ns && l.v[i].ev.kind == SW_EV_STATE &&
		    l.v[i].ev.oldstate == SW_TCP_LISTEN && l.v[i].ev.newstate == SW_TCP_CLOSE) {
			e = &l.v[i].ev;
			si = i;
		}
	}
	if (!e || e->pid != (__u32)p.pid || e->tid != (__u32)p.pid || strcmp(e->comm, OWN_COMM) ||
	    e->uid != getuid() || (e->flags & SW_F_OWNER_MASK) != SW_OWNER_CURRENT ||
	    !(e->flags & SW_F_NO_ENTRY) || e->lport != port || e->cookie != u->ev.cookie ||
	    si > ui || u->ev.pid != (__u32)p.pid) {
		if (e)
			test_fail(__FILE__, __LINE__, "LISTEN->CLOSE",
				  "pid %u tid %u comm '%s' flags %#x lport %u (want %d '%s' %u), "
				  "index %zu (unlisten %zu)",
				  e->pid, e->tid, e->comm, e->flags, e->lport, (int)p.pid, OWN_COMM,
				  port, si, ui);
		else
			test_fail(__FILE__, __LINE__, "LISTEN->CLOSE", "no state record");
		goto out;
	}
	ret = 0;
out:
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}
