// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests: connections whose handshake began before the tracer started. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "sockid.h"
#include "tests.h"

/* Connections in the accept queue before the tracer starts; one more waits in SYN_SENT. */
#define NQUEUED 3

struct queued {
	int lfd;
	int n; /* connections to accept */
};

/*
 * Accepts n connections and sends one byte on each; reports, holds them
 * until released, then closes them (this end first).
 */
static int queued_acceptor(struct peer_io *io)
{
	struct queued *q = io->arg;
	int fds[NQUEUED + 1];
	char ok = 1;

	if (q->n > NQUEUED + 1)
		return 112;
	for (int i = 0; i < q->n; i++) {
		fds[i] = accept(q->lfd, NULL, NULL);
		if (fds[i] < 0)
			return 110;
		if (write_all(fds[i], 1))
			return 111;
	}
	if (peer_report(io, &ok, 1))
		return 113;
	peer_hold(io);
	for (int i = 0; i < q->n; i++)
		close(fds[i]);
	return 0;
}

static bool acceptor_owns(const struct sw_event *e, pid_t pa)
{
	return e->pid == (__u32)pa && e->tid == (__u32)pa && !strcmp(e->comm, "sw_qacc") &&
	       !(e->flags & SW_F_NO_ENTRY);
}

/* What the test made: the listener's port and each client's. */
struct queued_run {
	__u32 netns;
	__u16 port;
	__u16 cport[NQUEUED + 1];
	int cfd[NQUEUED + 1];
	struct peer pa; /* the acceptor (pid -1 once reaped) */
	pid_t owner; /* its pid */
};

/* Reads the server's byte on client fd and closes it; 0 or -1. */
static int client_finish(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&p, 1, 5000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return -1;
	if (fcntl(fd, F_SETFL, 0) || read_exact(fd, 1) != 1)
		return -1;
	close(fd);
	return 0;
}

static int queued_checks(struct sw_tracer *t, struct evlist *l, struct queued_run *q,
			 enum sw_state_hook hook)
{
	struct want_kind w = {
		.netns = q->netns, .kind = SW_EV_CLOSE, .n = 2 * (NQUEUED + 1), .list = l
	};
	const struct sw_record *a, *sc, *c;
	struct sw_counters cnt;

	struct want_kind wa = {
		.netns = q->netns, .kind = SW_EV_ACCEPT, .n = NQUEUED + 1, .list = l
	};
	int keyless = 0;
	char ok;

	CHECK(peer_read(&q->pa, &ok, 1), "the acceptor failed");
	CHECK(poll_until(t, l, kind_seen, &wa, 5000) == 0, "accepts: %zu",
	      count_kind(l, q->netns, SW_EV_ACCEPT));
	/*
	 * All accepted, none closed. A queued connection whose key the accept
	 * knew (keyed by address; or its cookie was made, as any other tracer
	 * attached does: the suite's) got its entry at the accept, its accepts
	 * entry gone; one without a cookie yet has no entry, and the accepts map
	 * keeps its acceptor for the close. The late connection's child has its
	 * own entry.
	 */
	for (int i = 0; i < NQUEUED; i++) {
		a = find_ports(l, q->netns, SW_EV_ACCEPT, q->port, q->cport[i]);
		CHECK(a, "no accept of queued connection %d", i);
		keyless += !a->ev.cookie;
	}
	CHECK(hook != SW_STATE_HOOK_RAW_TP || !keyless, "%d accepts keyed by address without one",
	      keyless);
	sw_tracer_counters_full(t, &cnt);
	CHECK(sw_tracer_accepts_live(t) == (__u64)keyless, "accepts_live %llu, want %d",
	      (unsigned long long)sw_tracer_accepts_live(t), keyless);
	CHECK(cnt.sock_live == (__u64)(NQUEUED - keyless + 1), "%llu socket-map entries, want %d",
	      (unsigned long long)cnt.sock_live, NQUEUED - keyless + 1);
	ok = peer_reap(&q->pa) == 0;
	q->pa.pid = -1;
	CHECK(ok, "acceptor failed");
	for (int i = 0; i <= NQUEUED; i++) {
		CHECK(client_finish(q->cfd[i]) == 0, "client %d: no byte from the server", i);
		q->cfd[i] = -1;
	}
	CHECK(poll_until(t, l, kind_seen, &w, 5000) == 0, "closes: %zu",
	      count_kind(l, q->netns, SW_EV_CLOSE));
	poll_for(t, 100);
	CHECK(count_kind(l, q->netns, SW_EV_ACCEPT) == NQUEUED + 1, "accepts: %zu",
	      count_kind(l, q->netns, SW_EV_ACCEPT));
	CHECK(count_kind(l, q->netns, SW_EV_CONNECT) == 1, "connects: %zu",
	      count_kind(l, q->netns, SW_EV_CONNECT));
	CHECK(count_kind(l, q->netns, SW_EV_CLOSE) == 2 * (NQUEUED + 1), "closes: %zu",
	      count_kind(l, q->netns, SW_EV_CLOSE));

	/* queued before the start: owned, but no latency, no duration */
	for (int i = 0; i < NQUEUED; i++) {
		a = find_ports(l, q->netns, SW_EV_ACCEPT, q->port, q->cport[i]);
		CHECK(a, "no accept of queued connection %d", i);
		CHECK(acceptor_owns(&a->ev, q->owner), "accept %d: owner %u '%s' flags %#x", i,
		      a->ev.pid, a->ev.comm, a->ev.flags);
		CHECK(a->ev.newstate == SW_TCP_ESTABLISHED, "accept %d: state %u", i,
		      a->ev.newstate);
		CHECK((a->ev.flags & SW_F_NO_LATENCY) && !a->ev.latency_ns,
		      "accept %d: latency %llu ns, flags %#x: its SYN came before the tracer", i,
		      (unsigned long long)a->ev.latency_ns, a->ev.flags);
		sc = find_ports(l, q->netns, SW_EV_CLOSE, q->port, q->cport[i]);
		CHECK(sc, "no close of accepted connection %d", i);
		CHECK(acceptor_owns(&sc->ev, q->owner), "close %d: owner %u '%s' flags %#x", i,
		      sc->ev.pid, sc->ev.comm, sc->ev.flags);
		CHECK(!sc->ev.birth_ns, "close %d: birth %llu of a connection older than us", i,
		      (unsigned long long)sc->ev.birth_ns);
		CHECK(sc->ev.closer == SW_CLOSER_LOCAL && sc->ev.bytes_sent == 1 &&
			      sc->ev.bytes_received == 0,
		      "close %d: closer %u, bytes %llu/%llu", i, sc->ev.closer,
		      (unsigned long long)sc->ev.bytes_sent,
		      (unsigned long long)sc->ev.bytes_received);
		/* keyed by address, the accept made the entry and shares its id;
		 * with cookies, none was made yet for the accept to carry */
		CHECK(hook != SW_STATE_HOOK_RAW_TP ||
			      sw_event_sockid(&a->ev) == sw_event_sockid(&sc->ev),
		      "accept %d and its close have different ids", i);
	}

	/* in SYN_SENT at the start: a connect without an entry, nor a latency */
	c = find_ports(l, q->netns, SW_EV_CONNECT, q->cport[NQUEUED], q->port);
	CHECK(c, "no connect of the late client");
	CHECK((c->ev.flags & SW_F_NO_ENTRY) && (c->ev.flags & SW_F_NO_LATENCY) &&
		      !c->ev.latency_ns && !c->ev.pid,
	      "late connect: flags %#x latency %llu pid %u", c->ev.flags,
	      (unsigned long long)c->ev.latency_ns, c->ev.pid);
	/* but its SYN was received after: the accept has its latency */
	a = find_ports(l, q->netns, SW_EV_ACCEPT, q->port, q->cport[NQUEUED]);
	CHECK(a, "no accept of the late connection");
	CHECK(acceptor_owns(&a->ev, q->owner), "late accept: owner %u '%s' flags %#x", a->ev.pid,
	      a->ev.comm, a->ev.flags);
	CHECK(!(a->ev.flags & SW_F_NO_LATENCY) && a->ev.latency_ns && a->ev.birth_ns,
	      "late accept: flags %#x latency %llu", a->ev.flags,
	      (unsigned long long)a->ev.latency_ns);
	sc = find_ports(l, q->netns, SW_EV_CLOSE, q->port, q->cport[NQUEUED]);
	CHECK(sc && acceptor_owns(&sc->ev, q->owner) && sc->ev.birth_ns == a->ev.birth_ns,
	      "late close: owner or birth wrong");

	/* nothing left behind: no entry, no accept hook's */
	CHECK(sw_tracer_accepts_live(t) == 0, "accepts_live %llu after every close",
	      (unsigned long long)sw_tracer_accepts_live(t));
	sw_tracer_counters_full(t, &cnt);
	CHECK(cnt.sock_live == 0, "%llu socket-map entries left",
	      (unsigned long long)cnt.sock_live);
	return 0;
}

/*
 * NQUEUED connections wait in a listener's accept queue when the tracer
 * starts, and one more connect in SYN_SENT (the full queue dropped its SYN):
 * the accepts and the server ends' closes carry the acceptor, without a
 * latency or a duration (their SYNs came before), the late connect has no
 * latency; the late connection's accept, seen whole, has its own. hook: the
 * state hook (raw_tp keys sockets by address: the accept makes their
 * entries; with cookies, so does it when the socket has one, which the suite
 * tracer's transitions made here; without, the accepts map carries the
 * acceptor to the close: tests/cli/test_events.sh, where no tracer ran).
 */
static int queued_before_start(enum sw_state_hook hook)
{
	struct sw_tracer_opts o = { .state_hook = hook };
	struct queued_run q = { .pa.pid = -1 };
	struct queued acc = { .n = NQUEUED + 1 };
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	struct tcp_info ti;
	socklen_t tilen = sizeof(ti);
	int ret = -1;

	for (int i = 0; i <= NQUEUED; i++)
		q.cfd[i] = -1;
	q.netns = ns_new();
	CHECK(q.netns, "cannot make a network namespace");
	acc.lfd = listen_on(AF_INET, "127.0.0.1", &q.port);
	CHECK(acc.lfd >= 0, "listen: %s", strerror(-acc.lfd));
	/* full at NQUEUED: the next SYN is dropped, and retransmitted after 1 s */
	CHECK(listen(acc.lfd, NQUEUED - 1) == 0, "listen: %s", strerror(errno));
	for (int i = 0; i < NQUEUED; i++) {
		q.cfd[i] = connect_to(AF_INET, "127.0.0.1", q.port);
		if (q.cfd[i] < 0) {
			test_fail(__FILE__, __LINE__, "connect", "%s", strerror(-q.cfd[i]));
			goto out;
		}
		q.cport[i] = port_of(q.cfd[i], false);
	}
	if (accept_queue_len(acc.lfd, NQUEUED, 2000)) {
		test_fail(__FILE__, __LINE__, "queue", "the connections never reached the queue");
		goto out;
	}
	q.cfd[NQUEUED] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	fill_addr(AF_INET, "127.0.0.1", q.port, &ss, &sslen);
	if (q.cfd[NQUEUED] < 0 || connect(q.cfd[NQUEUED], (struct sockaddr *)&ss, sslen) == 0 ||
	    errno != EINPROGRESS) {
		test_fail(__FILE__, __LINE__, "connect", "late connect: %s", strerror(errno));
		goto out;
	}
	q.cport[NQUEUED] = port_of(q.cfd[NQUEUED], false);
	usleep(100 * 1000);
	if (getsockopt(q.cfd[NQUEUED], IPPROTO_TCP, TCP_INFO, &ti, &tilen) ||
	    ti.tcpi_state != TCP_SYN_SENT) {
		test_fail(__FILE__, __LINE__, "syn_sent", "late connect not in SYN_SENT (%u)",
			  ti.tcpi_state);
		goto out;
	}

	o.netns = q.netns;
	if (tracer_open_into(&o, &l, &t)) {
		test_fail(__FILE__, __LINE__, "open", "tracer did not open");
		goto out;
	}
	if (hook && sw_tracer_state_hook(t) != hook) {
		test_fail(__FILE__, __LINE__, "hook", "state hook %s",
			  sw_state_hook_name(sw_tracer_state_hook(t)));
		goto out;
	}
	if (peer_spawn(&q.pa, "sw_qacc", queued_acceptor, &acc)) {
		test_fail(__FILE__, __LINE__, "spawn", "no acceptor");
		goto out;
	}
	q.owner = q.pa.pid;
	ret = queued_checks(t, &l, &q, hook);
out:
	if (q.pa.pid > 0)
		peer_reap(&q.pa);
	for (int i = 0; i <= NQUEUED; i++)
		if (q.cfd[i] >= 0)
			close(q.cfd[i]);
	if (acc.lfd >= 0)
		close(acc.lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

int t_queued_before_start(void)
{
	return queued_before_start(SW_STATE_HOOK_AUTO);
}

/* The same with the raw_tp state hook (kernels without tp_btf): sockets keyed by address. */
int t_queued_before_start_raw_tp(void)
{
	return queued_before_start(SW_STATE_HOOK_RAW_TP);
}
