// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Integration tests: what a CLOSE transition the kernel never delivered
 * leaves in the accept maps (docs/attach-modes.md, "Known issue") must not
 * cost the next socket at that address its accept.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "harness.h"
#include "tests.h"

/* Connections made after the planting, at most: one of them must land at the address. */
#define STALE_TRIES 3000
/* More connections once one has landed there: nothing else may be disturbed. */
#define STALE_AFTER 20
/*
 * The planted entries' tag: an earlier socket's skc_hash, which user space
 * cannot read. Any value but the new socket's does (1 in 2^32 it is).
 */
#define STALE_TAG 0x5ca1ab1eU
#define STALE_PID 0x7ffffff0U /* the planted owner: no process has this pid */
#define STALE_COMM "sw_stale_owner"
/* Fast Open without cookies both ways (per netns), as test_tfo.c: data in every SYN */
#define STALE_TFO_SYSCTL "/proc/sys/net/ipv4/tcp_fastopen"
#define STALE_TFO_ALL "519"

/* The accepts entry a lost CLOSE leaves: another socket's tag, and an owner no process is. */
static const struct sw_sock stale_planted = {
	.pid = STALE_PID,
	.tid = STALE_PID,
	.owner_src = SW_OWNER_CURRENT,
	.accept_hook = SW_ACCEPT_HOOK_SYSCALL,
	.accept_tag = STALE_TAG,
};

/*
 * Plants at addr what a lost CLOSE leaves there: stale_planted as the
 * accepts entry (named STALE_COMM), its claim, accepts_live counting it.
 * 0, or -errno (the test failed, and said why).
 */
static int stale_plant(const struct sw_tracer_test_maps *m, __u64 addr)
{
	struct sw_sock planted = stale_planted;
	__u32 claim = STALE_TAG;

	planted.skptr = addr;
	strcpy(planted.comm, STALE_COMM);
	__atomic_fetch_add(m->accepts_live, 1, __ATOMIC_SEQ_CST);
	if (bpf_map_update_elem(m->accepts, &addr, &planted, BPF_NOEXIST) ||
	    bpf_map_update_elem(m->accept_claims, &addr, &claim, BPF_NOEXIST)) {
		int e = -errno;

		test_fail(__FILE__, __LINE__, "plant", "cannot plant the entries: %s",
			  strerror(-e));
		return e;
	}
	return 0;
}

/*
 * The address of the socket whose entry in the socks map has these
 * endpoints (an IPv4 connection in netns), or 0. Entries of every mode
 * carry it (skptr), whether keyed by cookie or by address.
 */
static __u64 skptr_of(int socks, __u32 netns, __u16 lport, __u16 rport)
{
	__u64 k, next, *prev = NULL;
	struct sw_sock s;

	while (!bpf_map_get_next_key(socks, prev, &next)) {
		if (!bpf_map_lookup_elem(socks, &next, &s) && s.netns == netns &&
		    s.lport == lport && s.rport == rport && s.skptr)
			return s.skptr;
		k = next;
		prev = &k;
	}
	return 0;
}

/* As skptr_of(), waiting up to a second for the entry (made by the child's transition). */
static __u64 skptr_wait(int socks, __u32 netns, __u16 lport, __u16 rport)
{
	for (int i = 0; i < 1000; i++) {
		__u64 p = skptr_of(socks, netns, lport, rport);

		if (p)
			return p;
		usleep(1000);
	}
	return 0;
}

/* Closes both ends at once, the server's with a reset: no TIME_WAIT, the child freed now. */
static void conn_abort(int *afd, int *cfd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (*afd >= 0) {
		setsockopt(*afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(*afd);
	}
	if (*cfd >= 0)
		close(*cfd);
	*afd = *cfd = -1;
}

/* Everything the test made, for one clean-up. */
struct stale {
	int lfd, afd, cfd, next;
	bool tfo; /* each child taken in SYN_RECV (Fast Open, the handshake held) */
	__u16 port;
	__u16 rports[STALE_TRIES + STALE_AFTER];
	size_t n;
	__u16 landed; /* the client port of the connection whose child is at the address */
};

/*
 * A connection from the client socket made beforehand (st->next) into
 * st->cfd, accepted into st->afd; 0 or -errno. With st->tfo the SYN
 * carries data and the listener holds the handshake (hold_handshakes()):
 * accept() takes the child in SYN_RECV, before its transition made its
 * entry, so the hook makes an accepts entry; the client's byte, once the
 * filter is off, ends the handshake (SYN_RECV->ESTABLISHED).
 */
static int stale_conn(struct stale *st)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(st->port) };
	int zero = 0;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (st->next < 0)
		return -EBADF;
	st->cfd = st->next;
	st->next = -1;
	if (st->tfo ? sendto(st->cfd, "hello", 5, MSG_FASTOPEN, (struct sockaddr *)&to,
			     sizeof(to)) != 5 :
		      connect(st->cfd, (struct sockaddr *)&to, sizeof(to)) != 0)
		return -errno;
	st->afd = accept(st->lfd, NULL, NULL);
	if (st->afd < 0)
		return -errno;
	if (st->tfo && (setsockopt(st->afd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)) ||
			write(st->cfd, "!", 1) != 1))
		return -errno;
	return 0;
}

/*
 * The checks once every connection has closed: each made after the
 * planting accepted once, by this process, from its entry; the one at the
 * planted address closed with this process as its owner, not the planted
 * one; nothing left in the accept maps there, and accepts_live back to 0.
 */
static int stale_checks(const struct evlist *l, __u32 netns, const struct stale *st,
			const struct sw_tracer_test_maps *m, __u64 addr, const char *comm)
{
	const struct sw_record *c;
	__u32 claim;
	struct sw_sock acc;

	for (size_t i = 0; i < st->n; i++) {
		size_t n = 0;
		const struct sw_event *a = NULL;

		for (size_t j = 0; j < l->n; j++) {
			const struct sw_event *e = &l->v[j].ev;

			if (e->netns == netns && e->kind == SW_EV_ACCEPT && e->lport == st->port &&
			    e->rport == st->rports[i] && !n++)
				a = e;
		}
		CHECK(n == 1, "client port %u%s: %zu accepts (want 1)", st->rports[i],
		      st->rports[i] == st->landed ? " (the child at the planted address)" : "", n);
		CHECK(a->pid == (__u32)getpid() && !strcmp(a->comm, comm),
		      "client port %u: accept owned by %u '%s' (want %d '%s')", st->rports[i],
		      a->pid, a->comm, getpid(), comm);
		/* SYN_RECV: taken before its ESTABLISHED transition ran */
		CHECK((a->newstate == SW_TCP_ESTABLISHED || a->newstate == SW_TCP_SYN_RECV) &&
			      !(a->flags & (SW_F_NO_ENTRY | SW_F_NO_LATENCY)),
		      "client port %u: accept state %u flags %#x", st->rports[i], a->newstate,
		      a->flags);
	}
	c = find_ports(l, netns, SW_EV_CLOSE, st->port, st->landed);
	CHECK(c, "no close of the child at the planted address (client port %u)", st->landed);
	CHECK(c->ev.pid == (__u32)getpid() && !strcmp(c->ev.comm, comm),
	      "the close of the child at the planted address owned by %u '%s' (want %d '%s')",
	      c->ev.pid, c->ev.comm, getpid(), comm);
	CHECK(bpf_map_lookup_elem(m->accepts, &addr, &acc) && errno == ENOENT,
	      "an accepts entry left at the planted address: owner %u '%s', tag %#x", acc.pid,
	      acc.comm, acc.accept_tag);
	CHECK(bpf_map_lookup_elem(m->accept_claims, &addr, &claim) && errno == ENOENT,
	      "a claim left at the planted address: tag %#x", claim);
	CHECK(__atomic_load_n(m->accepts_live, __ATOMIC_SEQ_CST) == 0, "accepts_live %llu",
	      (unsigned long long)__atomic_load_n(m->accepts_live, __ATOMIC_SEQ_CST));
	return 0;
}

/*
 * A connection is accepted and closed; the accepts and accept_claims
 * entries its CLOSE would have removed, had the kernel not skipped it, are
 * then planted at its child's address (with another socket's tag and owner,
 * accepts_live counting the entry), and connections are made until a new
 * child lands at that address (the slab gives it the freed memory soon,
 * this process pinned to one CPU). Each must be accepted once by its true
 * owner, and the leftovers must go, accepts_live with them. Before the
 * entries carried a tag, the child at that address took the planted owner
 * and lost its accept.
 */
static int accept_stale(enum sw_state_hook hook, bool tfo)
{
	struct sw_tracer_opts o = { .state_hook = hook };
	struct stale st = { .lfd = -1, .afd = -1, .cfd = -1, .next = -1, .tfo = tfo };
	struct want_kind w = { .kind = SW_EV_CLOSE };
	struct sw_tracer_test_maps m;
	struct sw_tracer *t = NULL;
	cpu_set_t old, one;
	bool pinned = false;
	struct evlist l = {};
	char comm[16] = "";
	size_t landed_at = 0;
	__u64 addr = 0;
	int ret = -1, qlen = 16, e;

	prctl(PR_GET_NAME, comm);
	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	if (tfo && write_file(STALE_TFO_SYSCTL, STALE_TFO_ALL))
		return test_skip("cannot enable TCP Fast Open (%s)", STALE_TFO_SYSCTL);
	o.netns = w.netns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	w.list = &l;
	if (hook && sw_tracer_state_hook(t) != hook) {
		test_fail(__FILE__, __LINE__, "hook", "state hook %s",
			  sw_state_hook_name(sw_tracer_state_hook(t)));
		goto out;
	}
	sw_tracer_test_maps(t, &m);
	/* the slab's free objects are per CPU: allocate where they were freed */
	if (!sched_getaffinity(0, sizeof(old), &old)) {
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		pinned = !sched_setaffinity(0, sizeof(one), &one);
	}
	usleep(500 * 1000); /* past the kernel's blind start-up window (attach-modes.md) */
	st.lfd = listen_on(AF_INET, "127.0.0.1", &st.port);
	if (st.lfd < 0 ||
	    (tfo && (setsockopt(st.lfd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)) ||
		     hold_handshakes(st.lfd)))) {
		test_fail(__FILE__, __LINE__, "listen", "%s",
			  strerror(st.lfd < 0 ? -st.lfd : errno));
		goto out;
	}

	/* the connection whose CLOSE is "lost": its child's address */
	st.next = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e = stale_conn(&st);
	if (e) {
		test_fail(__FILE__, __LINE__, "connect", "first connection: %s", strerror(-e));
		goto out;
	}
	addr = skptr_wait(m.socks, w.netns, st.port, port_of(st.cfd, false));
	if (!addr) {
		test_fail(__FILE__, __LINE__, "skptr", "no entry of the first child");
		goto out;
	}
	/* the next client's socket before the frees: the child takes the freed memory */
	st.next = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	conn_abort(&st.afd, &st.cfd);
	w.n = 2;
	if (poll_until(t, &l, kind_seen, &w, 5000)) {
		test_fail(__FILE__, __LINE__, "close", "the first connection's closes missing");
		goto out;
	}
	/* what its CLOSE removed, back as a lost CLOSE leaves it */
	if (stale_plant(&m, addr))
		goto out;

	for (int i = 0; i < STALE_TRIES + STALE_AFTER; i++) {
		__u64 p;

		e = stale_conn(&st);
		if (e) {
			test_fail(__FILE__, __LINE__, "connect", "connection %d: %s", i,
				  strerror(-e));
			goto out;
		}
		st.rports[st.n++] = port_of(st.cfd, false);
		p = skptr_wait(m.socks, w.netns, st.port, st.rports[st.n - 1]);
		if (p == addr && !st.landed) {
			st.landed = st.rports[st.n - 1];
			landed_at = st.n;
			printf("# connection %d (client port %u) landed at the planted address\n",
			       i, st.landed);
		}
		st.next = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		conn_abort(&st.afd, &st.cfd);
		if (st.landed ? st.n >= landed_at + STALE_AFTER : st.n >= STALE_TRIES)
			break;
		if (i % 200 == 199)
			sw_tracer_drain(t);
	}
	if (!st.landed) {
		test_fail(__FILE__, __LINE__, "landed",
			  "no child of %zu connections landed at the planted address", st.n);
		goto out;
	}
	/* every connection's two closes, and then some time for anything late */
	w.n = 2 + 2 * st.n;
	if (poll_until(t, &l, kind_seen, &w, 10000)) {
		test_fail(__FILE__, __LINE__, "close", "%zu closes of %zu",
			  count_kind(&l, w.netns, SW_EV_CLOSE), w.n);
		goto out;
	}
	poll_for(t, 200);
	ret = stale_checks(&l, w.netns, &st, &m, addr, comm);
out:
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	conn_abort(&st.afd, &st.cfd);
	if (st.next >= 0)
		close(st.next);
	if (st.lfd >= 0)
		close(st.lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

/*
 * accepts and accept_claims entries left at an address that no child takes
 * again (here: a live client socket's, which no accept path looks at): the
 * next child cannot remove them, the sweep must, within two sweeps of
 * finding them (2-6 s), accepts_live with them. Where the sweep walks with
 * bpf_for_each_map_elem (5.13+; the iterator's walk, before, leaves them).
 */
int t_accept_stale_swept(void)
{
	struct sw_tracer_opts o = {};
	struct sw_sock found; /* what a look-up finds left at the address */
	struct sw_tracer_test_maps m;
	struct sw_tracer *t = NULL;
	struct evlist l = {};
	__u32 claim, netns;
	int lfd = -1, cfd = -1, afd = -1, ret = -1, ms = 0;
	const char *how;
	__u64 addr;
	__u16 port;

	netns = ns_new();
	CHECK(netns, "cannot make a network namespace");
	o.netns = netns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	how = sw_tracer_sweep_how(t);
	if (!how || strcmp(how, "bpf_for_each_map_elem")) {
		sw_tracer_close(t);
		return test_skip("the sweep walks the accepts map with bpf_for_each_map_elem "
				 "(5.13+); here: %s",
				 how ? how : "no sweep");
	}
	sw_tracer_test_maps(t, &m);
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	cfd = lfd >= 0 ? connect_to(AF_INET, "127.0.0.1", port) : -1;
	afd = cfd >= 0 ? accept(lfd, NULL, NULL) : -1;
	if (afd < 0) {
		test_fail(__FILE__, __LINE__, "connect", "no connection");
		goto out;
	}
	addr = skptr_wait(m.socks, netns, port_of(cfd, false), port);
	if (!addr) {
		test_fail(__FILE__, __LINE__, "skptr", "no entry of the client");
		goto out;
	}
	if (stale_plant(&m, addr))
		goto out;
	/* two sweeps find it, 2 s apart; the first may come at once */
	while (__atomic_load_n(m.accepts_live, __ATOMIC_SEQ_CST) && ms < 8000) {
		poll_for(t, 100);
		ms += 100;
	}
	if (__atomic_load_n(m.accepts_live, __ATOMIC_SEQ_CST)) {
		test_fail(__FILE__, __LINE__, "accepts_live", "accepts_live %llu after %d ms",
			  (unsigned long long)__atomic_load_n(m.accepts_live, __ATOMIC_SEQ_CST),
			  ms);
		goto out;
	}
	if (!bpf_map_lookup_elem(m.accepts, &addr, &found) ||
	    !bpf_map_lookup_elem(m.accept_claims, &addr, &claim)) {
		test_fail(__FILE__, __LINE__, "left", "an entry left at the planted address");
		goto out;
	}
	printf("# the sweep removed the entries after %d ms\n", ms);
	ret = 0;
out:
	conn_abort(&afd, &cfd);
	if (lfd >= 0)
		close(lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

int t_accept_stale(void)
{
	return accept_stale(SW_STATE_HOOK_AUTO, false);
}

/* The same with the raw_tp state hook: sockets keyed by address. */
int t_accept_stale_raw_tp(void)
{
	return accept_stale(SW_STATE_HOOK_RAW_TP, false);
}

/* The same with every child taken in SYN_RECV: the hook makes its own accepts entry there. */
int t_accept_stale_syn_recv(void)
{
	return accept_stale(SW_STATE_HOOK_AUTO, true);
}
