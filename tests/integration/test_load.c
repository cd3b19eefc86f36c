// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests: blocked acceptors, churn without loss, honest loss, filters, detach. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "format.h"
#include "harness.h"
#include "sockid.h"
#include "tests.h"
#include "tpcount.h"

#define NACCEPTORS 25
#define NCHURN 2000

struct acceptor_thread {
	pthread_t th;
	int lfd;
	pid_t tid;
	char name[16];
	int fd;
	bool use4; /* accept4() instead of accept(): two syscalls to hook */
};

static void *blocked_acceptor(void *arg)
{
	struct acceptor_thread *a = arg;

	a->tid = syscall(SYS_gettid);
	prctl(PR_SET_NAME, a->name);
	a->fd = a->use4 ? accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC) : accept(a->lfd, NULL, NULL);
	return NULL;
}

/* True when thread tid is inside accept()/accept4() (per /proc/self/task/TID/syscall). */
static bool in_accept(pid_t tid)
{
	char path[64], buf[64] = {};
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		nr = strtol(buf, NULL, 10);
	fclose(f);
	return nr == SYS_accept || nr == SYS_accept4;
}

struct conn_args {
	__u16 port;
	int n;
	int hold_fd; /* read end: the child keeps its connections until this closes */
	int hold_wfd; /* write end, closed in the child */
};

static int connect_many_and_hold(void *arg)
{
	struct conn_args *c = arg;
	char b;

	close(c->hold_wfd);
	for (int i = 0; i < c->n; i++)
		if (connect_to(AF_INET, "127.0.0.1", c->port) < 0)
			return 40;
	while (read(c->hold_fd, &b, 1) > 0)
		;
	return 0;
}

struct want_list {
	struct evlist *l;
	__u32 netns;
	int kind;
	size_t n;
};

static bool list_has(void *arg)
{
	struct want_list *w = arg;

	return count_kind(w->l, w->netns, w->kind) >= w->n;
}

/*
 * 25 threads are already inside accept() or accept4() when the tracer starts;
 * ax: how the tracer must hook the accept exits.
 */
static int blocked_acceptors(enum sw_accept_exit ax)
{
	struct acceptor_thread a[NACCEPTORS] = {};
	struct sw_tracer_opts o = { .accept_exit = ax };
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	struct conn_args c = { .n = NACCEPTORS };
	struct want_list w = { .l = &l, .kind = SW_EV_ACCEPT, .n = NACCEPTORS };
	int lfd, hold[2], ret = -1, waited;
	bool seen[NACCEPTORS] = {};
	pid_t pc;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	lfd = listen_on(AF_INET, "127.0.0.1", &c.port);
	CHECK(lfd >= 0, "listen");
	for (int i = 0; i < NACCEPTORS; i++) {
		a[i].lfd = lfd;
		a[i].use4 = i % 2;
		snprintf(a[i].name, sizeof(a[i].name), "sw_acc%02d", i);
		pthread_create(&a[i].th, NULL, blocked_acceptor, &a[i]);
	}
	for (waited = 0; waited < 500; waited++) {
		int blocked = 0;

		for (int i = 0; i < NACCEPTORS; i++)
			blocked += a[i].tid && in_accept(a[i].tid);
		if (blocked == NACCEPTORS)
			break;
		usleep(10000);
	}
	if (waited == 500) {
		test_fail(__FILE__, __LINE__, "blocked", "threads did not block in accept");
		goto out;
	}
	o.netns = w.netns;
	if (tracer_open_into(&o, &l, &t)) {
		test_fail(__FILE__, __LINE__, "open", "second tracer did not open");
		goto out;
	}
	if (ax != SW_ACCEPT_EXIT_AUTO && sw_tracer_accept_exit(t) != ax) {
		test_fail(__FILE__, __LINE__, "hook", "accept exits hooked as %s",
			  sw_accept_exit_name(sw_tracer_accept_exit(t)));
		goto out;
	}
	if (pipe(hold))
		goto out;
	c.hold_fd = hold[0];
	c.hold_wfd = hold[1];
	pc = spawn("sw_conn25", connect_many_and_hold, &c);
	close(hold[0]);
	if (poll_until(t, &l, list_has, &w, 10000)) {
		test_fail(__FILE__, __LINE__, "accepts", "only %zu of %d accepts seen",
			  count_kind(&l, w.netns, SW_EV_ACCEPT), NACCEPTORS);
		goto out_child;
	}
	poll_for(t, 100);
	if (count_kind(&l, w.netns, SW_EV_ACCEPT) != NACCEPTORS) {
		test_fail(__FILE__, __LINE__, "count", "%zu accepts",
			  count_kind(&l, w.netns, SW_EV_ACCEPT));
		goto out_child;
	}
	for (size_t k = 0; k < NACCEPTORS; k++) {
		const struct sw_event *e = &find_kind(&l, w.netns, SW_EV_ACCEPT, k)->ev;
		int i;

		for (i = 0; i < NACCEPTORS; i++)
			if ((__u32)a[i].tid == e->tid)
				break;
		if (i == NACCEPTORS || seen[i] || e->pid != (__u32)getpid() ||
		    strcmp(e->comm, a[i].name) || e->lport != c.port) {
			test_fail(__FILE__, __LINE__, "accept", "accept %zu: pid %u tid %u comm %s",
				  k, e->pid, e->tid, e->comm);
			goto out_child;
		}
		seen[i] = true;
	}
	ret = 0;
out_child:
	close(hold[1]);
	reap(pc);
out:
	for (int i = 0; i < NACCEPTORS; i++) {
		shutdown(lfd, SHUT_RDWR);
		pthread_join(a[i].th, NULL);
		if (a[i].fd >= 0)
			close(a[i].fd);
	}
	close(lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

int t_blocked_acceptors(void)
{
	return blocked_acceptors(SW_ACCEPT_EXIT_AUTO);
}

/* The same with the accept exits on sys_exit (what CAP_BPF + CAP_PERFMON without tracefs get). */
int t_blocked_acceptors_sys_exit(void)
{
	return blocked_acceptors(SW_ACCEPT_EXIT_SYS_EXIT);
}

struct churn {
	int lfd;
	__u16 port;
	int n;
};

/* churn_server()'s exit when no connection came for ACCEPT_WAIT_S (its listener's timeout). */
#define CHURN_ACCEPT_TIMEOUT 52
#define ACCEPT_WAIT_S 20

static int churn_server(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < c->n; i++) {
		int fd = accept(c->lfd, NULL, NULL);

		if (fd < 0)
			return errno == EAGAIN ? CHURN_ACCEPT_TIMEOUT : 50;
		read_to_eof(fd);
		close(fd);
	}
	return 0;
}

static int churn_client(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < c->n; i++) {
		int fd = connect_to(AF_INET, "127.0.0.1", c->port);

		if (fd < 0)
			return 51;
		close(fd);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Every cookie of kind appears exactly `times` times and pids match. */
static int check_unique(const struct evlist *l, __u32 netns, int kind, size_t n, pid_t pid,
			size_t times)
{
	__u64 *v = calloc(n, sizeof(*v));
	size_t k = 0;
	int ret = 0;

	for (size_t i = 0; i < l->n && k < n; i++) {
		const struct sw_event *e = &l->v[i].ev;

		if (e->netns != netns || e->kind != kind)
			continue;
		if (pid && e->pid != (__u32)pid)
			ret = -1;
		/* keyed by address (raw_tp), what output shows: one id per socket */
		v[k++] = sw_event_sockid(e);
	}
	qsort(v, k, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < k; i += times)
		for (size_t j = 1; j < times; j++)
			if (i + j >= k || v[i + j] != v[i] ||
			    (i + times < k && v[i + times] == v[i]))
				ret = -1;
	if (times == 1)
		for (size_t i = 1; i < k; i++)
			if (v[i] == v[i - 1])
				ret = -1;
	free(v);
	return ret;
}

/* Diagnosis: the transitions of a few sockets that connected or were accepted but never closed. */
static void dump_unclosed(const struct evlist *l, __u32 netns)
{
	int shown = 0;

	for (size_t i = 0; i < l->n && shown < 5; i++) {
		const struct sw_event *e = &l->v[i].ev;
		bool closed = false;

		if (e->netns != netns || (e->kind != SW_EV_CONNECT && e->kind != SW_EV_ACCEPT))
			continue;
		for (size_t j = i; j < l->n && !closed; j++)
			closed = l->v[j].ev.kind == SW_EV_CLOSE && l->v[j].ev.cookie == e->cookie;
		if (closed)
			continue;
		shown++;
		printf("#   unclosed %s cookie %llu %u->%u:", sw_kind_name(e->kind),
		       (unsigned long long)e->cookie, e->lport, e->rport);
		for (size_t j = 0; j < l->n; j++)
			if (l->v[j].ev.kind == SW_EV_STATE && l->v[j].ev.cookie == e->cookie)
				printf(" %s>%s", sw_state_name(l->v[j].ev.oldstate),
				       sw_state_name(l->v[j].ev.newstate));
		printf("\n");
	}
}

/* Transitions the oracle saw that carry the events this test counts. */
struct delivered {
	__u64 connects, accepts, closes;
};

static struct delivered oracle_counts(const struct tpcount *oc)
{
	struct delivered d = {};

	d.connects = tpcount_get(oc, SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED);
	d.accepts = tpcount_get(oc, SW_TCP_SYN_RECV, SW_TCP_ESTABLISHED);
	/* Closes of connections: not the listener's, not a failed connect, not a
	 * duplicate child dying in SYN_RECV (none of which is a close event). */
	d.closes = tpcount_get(oc, -1, SW_TCP_CLOSE) -
		   tpcount_get(oc, SW_TCP_LISTEN, SW_TCP_CLOSE) -
		   tpcount_get(oc, SW_TCP_SYN_SENT, SW_TCP_CLOSE) -
		   tpcount_get(oc, SW_TCP_SYN_RECV, SW_TCP_CLOSE);
	return d;
}

/*
 * An idle batching tracer is woken by the kernel for the first record again
 * (a refused connect: listen and unlisten would wake it anyway): a poll with
 * a long timeout returns it well before the timeout.
 */
static int idle_wakes(struct sw_tracer *t, struct evlist *l)
{
	struct timespec a, b;
	__u16 port;
	long ms;
	int fd, n;

	/* a port nobody listens on */
	fd = listen_on(AF_INET, "127.0.0.1", &port);
	if (fd < 0)
		return -1;
	close(fd);
	poll_for(t, 100); /* empty batches: back to being woken */
	evlist_clear(l);
	if (connect_to(AF_INET, "127.0.0.1", port) != -ECONNREFUSED)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	n = sw_tracer_poll(t, 10000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	if (n < 1 || ms > 5000 || count_kind(l, H.netns, SW_EV_CONNECT_FAILED) != 1) {
		test_fail(__FILE__, __LINE__, "idle wake-up", "poll gave %d records after %ld ms",
			  n, ms);
		return -1;
	}
	return 0;
}

/*
 * One run of 2000 connections. Returns 0 (exact), -1 (failed) or 1
 * (inconclusive: the kernel did not deliver every transition to BPF
 * programs at all, as the tpcount oracle shows; see docs/attach-modes.md).
 * With batch_ms, records are read in timed batches, as `sockwatch events`
 * reads them.
 */
static int churn_attempt(unsigned int batch_ms)
{
	struct sw_tracer_opts o = { .batch_ms = batch_ms };
	struct churn c = { .n = NCHURN };
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	struct tpcount *oc = NULL;
	struct want_list w = { .l = &l, .kind = SW_EV_CLOSE, .n = 2 * NCHURN };
	struct sw_counters after;
	struct delivered d;
	bool short_oracle;
	pid_t ps, pc;
	int ret = -1, e, sr;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	/* The oracle is attached first and so sees at least what the tracer can. */
	e = tpcount_open(w.netns, &oc);
	if (e)
		printf("#   no tpcount oracle (%s): every run must be exact\n", strerror(-e));
	o.netns = w.netns;
	o.states = true; /* for the diagnosis if closes are missing */
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	c.lfd = listen_on(AF_INET, "127.0.0.1", &c.port);
	if (c.lfd < 0)
		goto out;
	/*
	 * Warm-up: right after another tracer's programs were detached (the
	 * previous test's), a newly attached tracer was seen to miss events for
	 * up to ~0.4 s on the 6.18 build machines (docs/attach-modes.md, "Known
	 * issue"). This test is about counting under churn, so it starts once
	 * its tracer has seen its own namespace's listen and 0.5 s have passed.
	 */
	{
		struct want_list lw = { .l = &l, .netns = w.netns, .kind = SW_EV_LISTEN, .n = 1 };

		poll_until(t, &l, list_has, &lw, 2000);
		poll_for(t, 500);
		evlist_clear(&l);
	}
	/*
	 * A connection the client completed that never reaches the server's
	 * accept queue (seen once in a loaded qemu run: the server then waited
	 * in accept() for good) is the kernel's doing, not the tracer's: the
	 * server gives up after ACCEPT_WAIT_S without one, and the run counts
	 * as inconclusive, like a transition the kernel did not deliver.
	 */
	setsockopt(c.lfd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ ACCEPT_WAIT_S, 0 },
		   sizeof(struct timeval));
	ps = spawn("sw_srv2k", churn_server, &c);
	pc = spawn("sw_cli2k", churn_client, &c);
	poll_until(t, &l, list_has, &w, 60000);
	e = reap(pc);
	sr = reap(ps);
	if (!e && sr == CHURN_ACCEPT_TIMEOUT) {
		printf("#   the server waited %d s for a connection the client had made: "
		       "inconclusive\n",
		       ACCEPT_WAIT_S);
		ret = 1;
		goto out;
	}
	if (e || sr) {
		test_fail(__FILE__, __LINE__, "children", "churn children failed (%d, %d)", e, sr);
		goto out;
	}
	close(c.lfd);
	poll_for(t, 300);
	sw_tracer_counters(t, &after);
	d = oc ? oracle_counts(oc) : (struct delivered){ NCHURN, NCHURN, 2 * NCHURN };
	short_oracle = d.connects != NCHURN || d.accepts != NCHURN || d.closes != 2 * NCHURN;
	ret = 0;
	/*
	 * sockwatch is checked first: exact counts pass whatever the oracle saw
	 * (under qemu the minimal counter itself loses nested runs to the
	 * recursion guard, which sockwatch's chain catches). Only a shortfall
	 * when the oracle also came up short is inconclusive.
	 */
#define FAIL_IF(cond, ...)                                                 \
	do {                                                               \
		if (cond) {                                                \
			test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
			ret = short_oracle ? 1 : -1;                       \
			goto check_oracle;                                 \
		}                                                          \
	} while (0)
	FAIL_IF(after.rb_drops || after.recursion_misses,
		"lost: %llu in the ring buffer, %llu to kernel recursion",
		(unsigned long long)after.rb_drops, (unsigned long long)after.recursion_misses);
	FAIL_IF(count_kind(&l, w.netns, SW_EV_LOST) != 0, "lost records");
	FAIL_IF(count_kind(&l, w.netns, SW_EV_CONNECT) != NCHURN, "connects: %zu",
		count_kind(&l, w.netns, SW_EV_CONNECT));
	FAIL_IF(count_kind(&l, w.netns, SW_EV_ACCEPT) != NCHURN, "accepts: %zu",
		count_kind(&l, w.netns, SW_EV_ACCEPT));
	if (count_kind(&l, w.netns, SW_EV_CLOSE) != 2 * NCHURN)
		dump_unclosed(&l, w.netns);
	FAIL_IF(count_kind(&l, w.netns, SW_EV_CLOSE) != 2 * NCHURN,
		"closes: %zu (nested runs caught: %llu)", count_kind(&l, w.netns, SW_EV_CLOSE),
		(unsigned long long)after.nested);
	FAIL_IF(check_unique(&l, w.netns, SW_EV_CONNECT, NCHURN, pc, 1),
		"connect cookies repeat or wrong pid");
	FAIL_IF(check_unique(&l, w.netns, SW_EV_ACCEPT, NCHURN, ps, 1),
		"accept cookies repeat or wrong pid");
	FAIL_IF(check_unique(&l, w.netns, SW_EV_CLOSE, 2 * NCHURN, 0, 1), "close cookies repeat");
	if (batch_ms)
		ret = idle_wakes(t, &l);
#undef FAIL_IF
check_oracle:
	if (ret == 1)
		printf("#   the kernel delivered %llu/%d connects, %llu/%d accepts, %llu/%d closes "
		       "to a minimal BPF program (oracle misses %llu); sockwatch got %zu, %zu, "
		       "%zu: inconclusive\n",
		       (unsigned long long)d.connects, NCHURN, (unsigned long long)d.accepts,
		       NCHURN, (unsigned long long)d.closes, 2 * NCHURN,
		       (unsigned long long)tpcount_misses(oc),
		       count_kind(&l, w.netns, SW_EV_CONNECT),
		       count_kind(&l, w.netns, SW_EV_ACCEPT), count_kind(&l, w.netns, SW_EV_CLOSE));
out:
	sw_tracer_close(t);
	tpcount_close(oc);
	evlist_free(&l);
	return ret;
}

/*
 * 2000 quick connections: exactly 2000 connects, 2000 accepts, 4000 closes.
 * A tracer of its own, filtered in the kernel to the test's namespace, so
 * that other traffic on a shared machine cannot slow its consumer down.
 * Whenever a minimal BPF program on the same tracepoint got every transition,
 * sockwatch must have got every event; a run where the kernel itself did not
 * deliver some (seen about once in 30 loaded runs on the 6.18 build
 * machines) is repeated, up to three runs in all.
 */
static int churn_exact(unsigned int batch_ms)
{
	int r = 1;

	for (int i = 0; i < 3 && r == 1; i++)
		r = churn_attempt(batch_ms);
	CHECK(r != 1, "three runs in a row where the kernel did not deliver every transition");
	return r;
}

int t_churn_exact(void)
{
	return churn_exact(0);
}

int t_churn_exact_batched(void)
{
	return churn_exact(10);
}

/*
 * A tracer with opts o (in a new namespace, into l, as *t) that nobody reads
 * while 200 connections churn there, until the suite tracer, with its large
 * buffer, has seen them all close. Returns the namespace, or 0.
 */
static __u32 churn_unread(struct sw_tracer_opts *o, struct evlist *l, struct sw_tracer **t)
{
	struct churn c = { .n = 200 };
	struct want_list w = { .l = &H.all, .kind = SW_EV_CLOSE, .n = 400 };
	pid_t ps, pc;

	w.netns = ns_new();
	if (!w.netns)
		return 0;
	suite_reset();
	o->netns = w.netns;
	if (tracer_open_into(o, l, t))
		return 0;
	c.lfd = listen_on(AF_INET, "127.0.0.1", &c.port);
	ps = spawn("sw_srvunread", churn_server, &c);
	pc = spawn("sw_cliunread", churn_client, &c);
	reap(pc);
	reap(ps);
	close(c.lfd);
	poll_until(H.tracer, &H.all, list_has, &w, 10000);
	/* the suite's programs run first on each transition: ours may not have yet */
	runs_settle();
	return w.netns;
}

/* A tiny ring buffer that nobody reads: drops are counted and reported in-band. */
int t_loss_is_reported(void)
{
	struct sw_tracer_opts o = { .ringbuf_bytes = 4096 };
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	__u32 netns;
	size_t real, truth;
	__u64 lost = 0, skipped = 0;

	netns = churn_unread(&o, &l, &t);
	CHECK(netns && t, "small tracer did not open");
	/* The suite tracer, with its large buffer, knows the truth. */
	poll_for(H.tracer, 200);
	truth = count_kind(&H.all, netns, 0);
	sw_tracer_drain(t);
	real = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].ev.kind == SW_EV_LOST && !strcmp(l.v[i].lost_where, "ringbuf"))
			lost += l.v[i].lost;
		else if (l.v[i].ev.kind == SW_EV_LOST)
			skipped += l.v[i].lost;
		else if (l.v[i].ev.netns == netns)
			real++;
	}
	sw_tracer_close(t);
	evlist_free(&l);
	CHECK(lost > 0, "no lost record although the buffer overflowed (%zu delivered)", real);
	/* Ring-buffer loss is exact. Runs the kernel skipped are counted before
	 * any filter, so they bound from above what this namespace lost. */
	CHECK(real + lost <= truth && real + lost + skipped >= truth,
	      "delivered %zu + lost %llu (+ %llu skipped) vs produced %zu", real,
	      (unsigned long long)lost, (unsigned long long)skipped, truth);
	return 0;
}

/*
 * A record the port filter drops takes no ring-buffer space: a tiny buffer
 * that nobody reads, filtered to a port nobody uses, loses nothing under
 * 200 connections (each reserved and then discarded, they would fill it).
 */
int t_filter_takes_no_ring_space(void)
{
	struct sw_tracer_opts o = { .ringbuf_bytes = 4096, .port = 9 };
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	__u32 netns;
	struct sw_counters cnt;
	size_t lost = 0, other = 0;

	netns = churn_unread(&o, &l, &t);
	CHECK(netns && t, "small tracer did not open");
	sw_tracer_drain(t);
	sw_tracer_counters(t, &cnt);
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].ev.kind == SW_EV_LOST)
			lost += l.v[i].lost;
		else if (l.v[i].ev.netns == netns)
			other++;
	}
	sw_tracer_close(t);
	evlist_free(&l);
	CHECK(count_kind(&H.all, netns, SW_EV_CLOSE) >= 400, "the churn did not run");
	CHECK(!lost && !cnt.rb_drops, "%zu lost (%llu ring-buffer drops) to records filtered out",
	      lost, (unsigned long long)cnt.rb_drops);
	CHECK(!other, "%zu records for ports other than 9", other);
	CHECK(cnt.filtered >= 800, "only %llu records filtered", (unsigned long long)cnt.filtered);
	return 0;
}

/* One connect to addr:port, closed at once; code if it fails. */
static int connect_close(const char *addr, __u16 port, int code)
{
	int fd = connect_to(AF_INET, addr, port);

	if (fd < 0)
		return code;
	close(fd);
	return 0;
}

static int connect_once(void *arg)
{
	return connect_close("127.0.0.1", *(__u16 *)arg, 60);
}

/* In-kernel port and family filters, and the user-space comm filter. */
int t_filters(void)
{
	struct sw_tracer_opts o = {};
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	__u16 p1 = 0, p2 = 0, p6 = 0;
	int l1, l2, l6, ret = -1;
	__u32 ns = ns_new();
	struct want_list w = { .l = &H.all, .netns = ns, .kind = SW_EV_UNLISTEN, .n = 3 };

	CHECK(ns, "cannot make a network namespace");
	suite_reset();
	l1 = listen_on(AF_INET, "127.0.0.1", &p1);
	l2 = listen_on(AF_INET, "127.0.0.1", &p2);
	l6 = listen_on(AF_INET6, "::1", &p6);
	CHECK(l1 >= 0 && l2 >= 0 && l6 >= 0, "listen");

	/* port filter */
	o.netns = ns;
	o.port = p1;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "port tracer");
	reap(spawn("sw_fport1", connect_once, &p1));
	reap(spawn("sw_fport2", connect_once, &p2));
	poll_for(t, 300);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].ev.lport != p1 && l.v[i].ev.rport != p1)
			goto fail;
	if (count_kind(&l, ns, SW_EV_CONNECT) != 1)
		goto fail;
	sw_tracer_close(t);
	evlist_clear(&l);

	/* family filter: IPv6 only */
	memset(&o, 0, sizeof(o));
	o.netns = ns;
	o.family = SW_AF_INET6;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "family tracer");
	reap(spawn("sw_fam4", connect_once, &p1));
	{
		int fd = connect_to(AF_INET6, "::1", p6);

		if (fd >= 0)
			close(fd);
	}
	poll_for(t, 300);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].ev.family != SW_AF_INET6)
			goto fail;
	if (count_kind(&l, ns, SW_EV_CONNECT) != 1)
		goto fail;
	sw_tracer_close(t);
	evlist_clear(&l);

	/* comm filter (user space) */
	memset(&o, 0, sizeof(o));
	o.netns = ns;
	o.comm = "sw_fmatch";
	CHECK(tracer_open_into(&o, &l, &t) == 0, "comm tracer");
	reap(spawn("sw_fmatch", connect_once, &p1));
	reap(spawn("sw_fother", connect_once, &p1));
	poll_for(t, 300);
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].ev.comm, "sw_fmatch"))
			goto fail;
	if (count_kind(&l, ns, SW_EV_CONNECT) != 1)
		goto fail;
	ret = 0;
	goto out;
fail:
	test_fail(__FILE__, __LINE__, "filter", "%zu records, %zu connects passed the filter", l.n,
		  count_kind(&l, ns, SW_EV_CONNECT));
out:
	sw_tracer_close(t);
	evlist_free(&l);
	close(l1);
	close(l2);
	close(l6);
	poll_until(H.tracer, &H.all, list_has, &w, 2000);
	return ret;
}

#define MAX_IDS 4096

/* IDs of loaded BPF programs whose name starts with sw_. */
static size_t sw_prog_ids(__u32 *ids)
{
	__u32 id = 0;
	size_t n = 0;

	while (!bpf_prog_get_next_id(id, &id) && n < MAX_IDS) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "sw_", 3))
			ids[n++] = id;
		close(fd);
	}
	return n;
}

static bool has_id(const __u32 *ids, size_t n, __u32 id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Closing a tracer unloads every program it loaded. */
int t_nothing_left_attached(void)
{
	static __u32 mine[64], after[MAX_IDS];
	struct sw_tracer_opts o = {};
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	size_t nm, na;

	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	nm = sw_tracer_prog_ids(t, mine, 64);
	na = sw_prog_ids(after);
	CHECK(nm >= 5, "only %zu programs attached", nm);
	for (size_t i = 0; i < nm; i++)
		CHECK(has_id(after, na, mine[i]), "program id %u not listed while open", mine[i]);
	sw_tracer_close(t);
	evlist_free(&l);
	/* The kernel frees a detached program once its last reference goes, which
	 * can be a little after the close (RCU, work queues): allow 3 s. */
	for (int tries = 0; tries < 300; tries++) {
		bool left = false;

		na = sw_prog_ids(after);
		for (size_t i = 0; i < nm; i++)
			left |= has_id(after, na, mine[i]);
		if (!left)
			break;
		usleep(10000);
	}
	for (size_t i = 0; i < nm; i++)
		CHECK(!has_id(after, na, mine[i]), "program id %u still loaded 3 s after close",
		      mine[i]);
	return 0;
}

struct two_flows {
	int lfd;
	__u16 port;
};

static int accept_and_close(void *arg)
{
	struct two_flows *f = arg;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return 70;
	read_to_eof(fd);
	close(fd);
	return 0;
}

/*
 * Keyed by socket address, no line may show the address: each record's JSON
 * "cookie" is the keyed hash (src/sockid.h), the same for every event of one
 * socket, so a connect and an accept join their closes, and differs between
 * the two ends.
 */
static int ids_hide_addresses(const struct evlist *l, __u32 ns)
{
	__u64 conn_id = 0, acc_id = 0;
	int conn_closes = 0, acc_closes = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct sw_record *r = &l->v[i];
		char line[SW_LINE_MAX], addr[32];

		if (r->ev.netns != ns)
			continue;
		snprintf(addr, sizeof(addr), "%llu", (unsigned long long)r->ev.cookie);
		if (sw_format_record(r, SW_FMT_JSON, line, sizeof(line)) <= 0 || strstr(line, addr))
			return -1;
		if (r->ev.kind == SW_EV_CONNECT)
			conn_id = sw_event_sockid(&r->ev);
		else if (r->ev.kind == SW_EV_ACCEPT)
			acc_id = sw_event_sockid(&r->ev);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct sw_event *e = &l->v[i].ev;

		if (e->netns != ns || e->kind != SW_EV_CLOSE)
			continue;
		conn_closes += sw_event_sockid(e) == conn_id;
		acc_closes += sw_event_sockid(e) == acc_id;
	}
	if (!conn_id || !acc_id || conn_id == acc_id)
		return -1;
	return conn_closes == 1 && acc_closes == 1 ? 0 : -1;
}

/*
 * The raw_tp state hook (kernels without tp_btf) gives the same events, with
 * the accept exits hooked as ax.
 */
static int raw_tp_flow(enum sw_accept_exit ax)
{
	struct sw_tracer_opts o = { .state_hook = SW_STATE_HOOK_RAW_TP, .accept_exit = ax };
	struct two_flows f = {};
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	const struct sw_record *c, *a;
	pid_t pa, pc;
	__u32 ns = ns_new();
	struct want_list w = { .l = &l, .netns = ns, .kind = SW_EV_CLOSE, .n = 2 };
	int ret = -1;

	CHECK(ns, "cannot make a network namespace");
	o.netns = ns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "raw_tp tracer");
	if (sw_tracer_state_hook(t) != SW_STATE_HOOK_RAW_TP ||
	    (ax != SW_ACCEPT_EXIT_AUTO && sw_tracer_accept_exit(t) != ax)) {
		test_fail(__FILE__, __LINE__, "hooks", "state hook %s, accept exits hooked as %s",
			  sw_state_hook_name(sw_tracer_state_hook(t)),
			  sw_accept_exit_name(sw_tracer_accept_exit(t)));
		goto out;
	}
	f.lfd = listen_on(AF_INET, "127.0.0.1", &f.port);
	pa = spawn("sw_rawacc", accept_and_close, &f);
	pc = spawn("sw_rawcon", connect_once, &f.port);
	reap(pc);
	reap(pa);
	close(f.lfd);
	poll_until(t, &l, list_has, &w, 5000);
	poll_for(t, 100);
	c = find_kind(&l, ns, SW_EV_CONNECT, 0);
	a = find_kind(&l, ns, SW_EV_ACCEPT, 0);
	if (!c || !a || c->ev.pid != (__u32)pc || a->ev.pid != (__u32)pa ||
	    !(c->ev.flags & SW_F_KEY_IS_PTR) || count_kind(&l, ns, SW_EV_CLOSE) != 2 ||
	    count_kind(&l, ns, SW_EV_CONNECT) != 1 || count_kind(&l, ns, SW_EV_ACCEPT) != 1) {
		test_fail(__FILE__, __LINE__, "raw_tp", "connect %p accept %p closes %zu", c, a,
			  count_kind(&l, ns, SW_EV_CLOSE));
		goto out;
	}
	if (ids_hide_addresses(&l, ns)) {
		test_fail(__FILE__, __LINE__, "raw_tp",
			  "a socket address in the JSON output, or "
			  "ids that do not join a connection's events");
		goto out;
	}
	ret = 0;
out:
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

int t_raw_tp_fallback(void)
{
	if (raw_tp_flow(SW_ACCEPT_EXIT_AUTO))
		return -1;
	return raw_tp_flow(SW_ACCEPT_EXIT_SYS_EXIT);
}

/* --states: every transition of both ends, in order. */
int t_state_transitions(void)
{
	static const __u8 client[][2] = {
		{ SW_TCP_CLOSE, SW_TCP_SYN_SENT },	  { SW_TCP_SYN_SENT, SW_TCP_ESTABLISHED },
		{ SW_TCP_ESTABLISHED, SW_TCP_FIN_WAIT1 }, { SW_TCP_FIN_WAIT1, SW_TCP_FIN_WAIT2 },
		{ SW_TCP_FIN_WAIT2, SW_TCP_CLOSE },
	};
	static const __u8 server[][2] = {
		{ SW_TCP_LISTEN, SW_TCP_SYN_RECV },	   { SW_TCP_SYN_RECV, SW_TCP_ESTABLISHED },
		{ SW_TCP_ESTABLISHED, SW_TCP_CLOSE_WAIT }, { SW_TCP_CLOSE_WAIT, SW_TCP_LAST_ACK },
		{ SW_TCP_LAST_ACK, SW_TCP_CLOSE },
	};
	struct sw_tracer_opts o = { .states = true };
	struct two_flows f = {};
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	const struct sw_record *c, *a;
	__u32 ns = ns_new();
	struct want_list w = { .l = &l, .netns = ns, .kind = SW_EV_CLOSE, .n = 2 };
	size_t ci = 0, si = 0;
	int ret = -1;

	CHECK(ns, "cannot make a network namespace");
	o.netns = ns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "states tracer");
	f.lfd = listen_on(AF_INET, "127.0.0.1", &f.port);
	pid_t pa = spawn("sw_stacc", accept_and_close, &f);
	pid_t pc = spawn("sw_stcon", connect_once, &f.port);

	reap(pc);
	reap(pa);
	poll_until(t, &l, list_has, &w, 5000);
	poll_for(t, 100);
	c = find_kind(&l, ns, SW_EV_CONNECT, 0);
	a = find_kind(&l, ns, SW_EV_ACCEPT, 0);
	if (!c || !a)
		goto fail;
	for (size_t i = 0; i < l.n; i++) {
		const struct sw_event *e = &l.v[i].ev;

		if (e->kind != SW_EV_STATE)
			continue;
		if (e->cookie == c->ev.cookie) {
			if (ci >= 5 || e->oldstate != client[ci][0] ||
			    e->newstate != client[ci][1]) {
				printf("#   client transition %zu: %s -> %s\n", ci,
				       sw_state_name(e->oldstate), sw_state_name(e->newstate));
				goto fail;
			}
			ci++;
		} else if (e->cookie == a->ev.cookie ||
			   (si == 0 && e->oldstate == SW_TCP_LISTEN && e->lport == a->ev.lport &&
			    e->cookie == 0)) {
			/* A child's cookie is not final at LISTEN->SYN_RECV: that
			 * transition carries cookie 0 and is matched by local port. */
			if (si >= 5 || e->oldstate != server[si][0] ||
			    e->newstate != server[si][1]) {
				printf("#   server transition %zu: %s -> %s\n", si,
				       sw_state_name(e->oldstate), sw_state_name(e->newstate));
				goto fail;
			}
			si++;
		}
	}
	if (ci == 5 && si == 5)
		ret = 0;
fail:
	for (size_t i = 0; ret && i < l.n; i++)
		if (l.v[i].ev.kind == SW_EV_STATE)
			printf("#   state %s -> %s cookie %llu ports %u %u\n",
			       sw_state_name(l.v[i].ev.oldstate), sw_state_name(l.v[i].ev.newstate),
			       (unsigned long long)l.v[i].ev.cookie, l.v[i].ev.lport,
			       l.v[i].ev.rport);
	if (ret)
		test_fail(__FILE__, __LINE__, "states", "client %zu/5 server %zu/5 transitions", ci,
			  si);
	close(f.lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

/* Connects to 127.0.0.2 (arg: the port), outside the networks of t_connect_starts. */
static int connect_other(void *arg)
{
	return connect_close("127.0.0.2", *(__u16 *)arg, 61);
}

/*
 * connect_nets (listen's deny remote rules): one record at CLOSE->SYN_SENT
 * for a connect to one of the networks, owned by the connecting process,
 * with its peer; none for a connect elsewhere, nor for other transitions.
 */
int t_connect_starts(void)
{
	static const struct sw_net nets[] = {
		{ .family = SW_AF_INET, .plen = 32, .addr = { 127, 0, 0, 1 } },
		{ .family = SW_AF_INET6, .plen = 64, .addr = { 0x20, 0x01, 0x0d, 0xb8 } },
	};
	struct sw_tracer_opts o = { .connect_nets = nets, .nconnect_nets = 2 };
	struct two_flows f = {};
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	const struct sw_record *c, *s = NULL;
	__u32 ns = ns_new();
	struct want_list w = { .l = &l, .netns = ns, .kind = SW_EV_CLOSE, .n = 4 };
	size_t nstate = 0;
	pid_t pa, pc, po;
	int ret = -1;

	CHECK(ns, "cannot make a network namespace");
	o.netns = ns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer with connect nets");
	f.lfd = listen_on(AF_INET, "0.0.0.0", &f.port);
	pa = spawn("sw_csacc", accept_and_close, &f);
	pc = spawn("sw_cstart", connect_once, &f.port);
	reap(pc);
	reap(pa);
	pa = spawn("sw_csacc", accept_and_close, &f);
	po = spawn("sw_cother", connect_other, &f.port);
	reap(po);
	reap(pa);
	poll_until(t, &l, list_has, &w, 5000);
	poll_for(t, 100);
	c = find_kind(&l, ns, SW_EV_CONNECT, 0);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].ev.kind == SW_EV_STATE && l.v[i].ev.netns == ns) {
			s = &l.v[i];
			nstate++;
		}
	if (!c || count_kind(&l, ns, SW_EV_CONNECT) != 2 || nstate != 1) {
		test_fail(__FILE__, __LINE__, "records",
			  "%zu connects (want 2), %zu state records (want 1)",
			  count_kind(&l, ns, SW_EV_CONNECT), nstate);
		goto out;
	}
	if (s->ev.oldstate != SW_TCP_CLOSE || s->ev.newstate != SW_TCP_SYN_SENT ||
	    s->ev.pid != (__u32)pc || strcmp(s->ev.comm, "sw_cstart") ||
	    s->ev.cookie != c->ev.cookie || s->ev.family != SW_AF_INET || s->ev.rport != f.port ||
	    memcmp(s->ev.raddr, "\x7f\0\0\x01", 4) || s->ev.ts_ns > c->ev.ts_ns) {
		test_fail(__FILE__, __LINE__, "attempt",
			  "%s -> %s pid %u (want %d) comm %s rport %u",
			  sw_state_name(s->ev.oldstate), sw_state_name(s->ev.newstate), s->ev.pid,
			  (int)pc, s->ev.comm, s->ev.rport);
		goto out;
	}
	ret = 0;
out:
	close(f.lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

/*
 * listen's record kinds (opts.kinds): the kernel drops the others before
 * they take ring-buffer space. A 4 KiB buffer (26 records) that nobody
 * reads loses nothing under 200 connections (800 records were it all
 * kinds): it gets their listener's listen and unlisten alone, and every
 * other record the hooks made for them, as the suite's own tracer saw
 * them, was filtered. (Counted from the hooks' records, not as 800: a
 * CLOSE the kernel does not deliver to the state programs, attach-modes.md,
 * makes none in either tracer, only the sweep's inferred close.) The suite
 * tracer must have all 800, inferred ones included. Read once every program
 * run has ended (churn_unread()): the 6.12 and 6.1 VMs each once counted
 * 799 filtered against 800 hooked, the small tracer's run for the last
 * close not yet over when the suite's record of it had been read. With deny
 * rules (remote_nets_only), connects and accepts come only for peers in
 * the networks: of the churn's, none; of a connect to 127.0.0.2, its
 * attempt and connect (its accept's peer, 127.0.0.1, is not listed).
 */
int t_listen_kinds(void)
{
	static const struct sw_net nets[] = {
		{ .family = SW_AF_INET, .plen = 32, .addr = { 127, 0, 0, 2 } },
	};
	struct sw_tracer_opts o = {
		.ringbuf_bytes = 4096,
		.kinds = 1u << SW_EV_LISTEN | 1u << SW_EV_UNLISTEN,
	};
	struct sw_tracer_opts d = o;
	struct evlist l = {}, ld = {};
	struct sw_tracer *t = NULL, *td = NULL;
	struct sw_counters cnt;
	struct two_flows f = {};
	struct want_list w = { .l = &ld, .kind = SW_EV_CONNECT, .n = 1 };
	const struct sw_record *c;
	__u32 netns;
	size_t all = 0, hooked = 0;
	pid_t pa, pc;
	int ret = -1;

	netns = churn_unread(&o, &l, &t);
	CHECK(netns && t, "small tracer did not open");
	sw_tracer_drain(t);
	sw_tracer_counters(t, &cnt);
	sw_tracer_close(t);
	for (size_t i = 0; i < H.all.n; i++) {
		const struct sw_event *e = &H.all.v[i].ev;

		if (e->netns != netns ||
		    (e->kind != SW_EV_CONNECT && e->kind != SW_EV_ACCEPT && e->kind != SW_EV_CLOSE))
			continue;
		all++;
		hooked += !(e->flags & SW_F_INFERRED);
	}
	CHECK(all == 800, "the suite tracer saw %zu connects, accepts and closes, want 800", all);
	if (count_kind(&l, 0, SW_EV_LOST) || cnt.rb_drops ||
	    count_kind(&l, netns, SW_EV_LISTEN) != 1 ||
	    count_kind(&l, netns, SW_EV_UNLISTEN) != 1 || count_kind(&l, netns, 0) != 2 ||
	    cnt.filtered < hooked) {
		test_fail(__FILE__, __LINE__, "listen and unlisten only",
			  "%zu lost records (%llu drops), %zu listen, %zu unlisten, %zu in all, "
			  "%llu filtered (want %zu: the hooks' records)",
			  count_kind(&l, 0, SW_EV_LOST), (unsigned long long)cnt.rb_drops,
			  count_kind(&l, netns, SW_EV_LISTEN),
			  count_kind(&l, netns, SW_EV_UNLISTEN), count_kind(&l, netns, 0),
			  (unsigned long long)cnt.filtered, hooked);
		/* which record one tracer made and the other did not: a rare failure's clues */
		printf("#   suite tracer: %zu connects, %zu accepts, %zu closes; small tracer: "
		       "nested %llu, recursion misses %llu, inferred %llu\n",
		       count_kind(&H.all, netns, SW_EV_CONNECT),
		       count_kind(&H.all, netns, SW_EV_ACCEPT),
		       count_kind(&H.all, netns, SW_EV_CLOSE), (unsigned long long)cnt.nested,
		       (unsigned long long)cnt.recursion_misses, (unsigned long long)cnt.inferred);
		goto out;
	}

	d.kinds |= 1u << SW_EV_CONNECT | 1u << SW_EV_CONNECT_FAILED | 1u << SW_EV_ACCEPT |
		   1u << SW_EV_STATE;
	d.connect_nets = nets;
	d.nconnect_nets = 1;
	d.remote_nets_only = true;
	netns = churn_unread(&d, &ld, &td);
	if (!netns || !td) {
		test_fail(__FILE__, __LINE__, "tracer",
			  "small tracer with connect nets did not open");
		goto out;
	}
	w.netns = netns;
	f.lfd = listen_on(AF_INET, "0.0.0.0", &f.port);
	pa = spawn("sw_knacc", accept_and_close, &f);
	pc = spawn("sw_knconn", connect_other, &f.port);
	reap(pc);
	reap(pa);
	close(f.lfd);
	poll_until(td, &ld, list_has, &w, 5000);
	poll_for(td, 100);
	c = find_kind(&ld, netns, SW_EV_CONNECT, 0);
	if (count_kind(&ld, 0, SW_EV_LOST) || !c || memcmp(c->ev.raddr, "\x7f\0\0\x02", 4) ||
	    count_kind(&ld, netns, SW_EV_CONNECT) != 1 ||
	    count_kind(&ld, netns, SW_EV_STATE) != 1 || count_kind(&ld, netns, SW_EV_ACCEPT) ||
	    count_kind(&ld, netns, SW_EV_CONNECT_FAILED) ||
	    count_kind(&ld, netns, 0) != 6 /* and two listeners' listen and unlisten */) {
		test_fail(__FILE__, __LINE__, "connects to the networks only",
			  "%zu lost records, %zu connects (raddr %u.%u.%u.%u), %zu attempts, "
			  "%zu accepts, %zu in all",
			  count_kind(&ld, 0, SW_EV_LOST), count_kind(&ld, netns, SW_EV_CONNECT),
			  c ? c->ev.raddr[0] : 0, c ? c->ev.raddr[1] : 0, c ? c->ev.raddr[2] : 0,
			  c ? c->ev.raddr[3] : 0, count_kind(&ld, netns, SW_EV_STATE),
			  count_kind(&ld, netns, SW_EV_ACCEPT), count_kind(&ld, netns, 0));
		goto out;
	}
	ret = 0;
out:
	sw_tracer_close(td);
	evlist_free(&l);
	evlist_free(&ld);
	return ret;
}

/*
 * What a socket whose CLOSE transition never reached our hooks leaves
 * behind: its entry, pointing at an address that holds no socket (reads fail
 * there, as for memory reused by another socket).
 */
static void ghost_entry(struct sw_sock *g, __u32 netns)
{
	*g = (struct sw_sock){
		.pid = (__u32)getpid(),
		.tid = (__u32)getpid(),
		.uid = 4242,
		.owner_src = SW_OWNER_SOCKET,
		.closer = SW_CLOSER_REMOTE,
		.comm = "sw_ghost",
		.skptr = 8,
		.lport = 40001,
		.rport = 443,
		.family = SW_AF_INET,
		.laddr = { 10, 1, 2, 3 },
		.raddr = { 192, 0, 2, 7 },
		.netns = netns,
		.birth_ns = mono_ns(),
	};
}

/*
 * A socket whose CLOSE transition never reached our hooks: its entry is
 * planted (that is what such a loss leaves behind), pointing at an address
 * that holds no socket. The sweep must report it exactly once, as an
 * inferred close with everything the entry knew, only after finding it gone
 * at two sweeps in a row, and must leave a live listener alone.
 */
static int sweep_infers_close(enum sw_state_hook hook)
{
	struct sw_tracer_opts o = { .state_hook = hook };
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	struct want_list w = { .l = &l, .kind = SW_EV_CLOSE, .n = 1 };
	struct sw_sock ghost;
	const __u64 cookie = 0x5eed00000001ULL;
	const struct sw_record *r;
	struct sw_counters c;
	__u64 planted, after;
	__u16 port = 0;
	int lfd, ret = -1;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	o.netns = w.netns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	if (sw_tracer_no_sweep_why(t)) {
		ret = test_skip("no socket-map sweep on this kernel: %s",
				sw_tracer_no_sweep_why(t));
		lfd = -1;
		goto out;
	}
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	if (lfd < 0)
		goto out;
	ghost_entry(&ghost, w.netns);
	if (sw_tracer_seed_sock(t, cookie, &ghost)) {
		test_fail(__FILE__, __LINE__, "seed", "cannot plant the entry");
		goto out;
	}
	planted = mono_ns();
	poll_until(t, &l, list_has, &w, 3 * (int)(SW_SWEEP_INTERVAL_NS / 1000000) + 1000);
	after = mono_ns();
#define FAIL_IF(cond, ...)                                                 \
	do {                                                               \
		if (cond) {                                                \
			test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
			goto out;                                          \
		}                                                          \
	} while (0)
	r = find_kind(&l, w.netns, SW_EV_CLOSE, 0);
	FAIL_IF(!r, "no inferred close within %llu ms",
		(unsigned long long)((after - planted) / 1000000));
	FAIL_IF(r->ev.cookie != cookie, "close of cookie %llu", (unsigned long long)r->ev.cookie);
	FAIL_IF(!(r->ev.flags & SW_F_INFERRED), "close not flagged inferred (flags %#x)",
		r->ev.flags);
	/* Found gone at one sweep, reported at the next: never sooner than one interval. */
	FAIL_IF(r->ev.ts_ns - planted < SW_SWEEP_INTERVAL_NS - 100000000ULL,
		"reported %llu ms after planting: before a second sweep",
		(unsigned long long)((r->ev.ts_ns - planted) / 1000000));
	FAIL_IF(r->ev.pid != ghost.pid || r->ev.uid != 4242 || strcmp(r->ev.comm, "sw_ghost"),
		"owner pid %u uid %u comm %s", r->ev.pid, r->ev.uid, r->ev.comm);
	FAIL_IF(r->ev.family != SW_AF_INET || r->ev.lport != 40001 || r->ev.rport != 443 ||
			memcmp(r->ev.laddr, ghost.laddr, 4) || memcmp(r->ev.raddr, ghost.raddr, 4),
		"endpoints family %u ports %u %u", r->ev.family, r->ev.lport, r->ev.rport);
	FAIL_IF(r->ev.newstate != SW_TCP_CLOSE || r->ev.closer != SW_CLOSER_REMOTE ||
			r->ev.birth_ns != ghost.birth_ns,
		"state %u closer %u", r->ev.newstate, r->ev.closer);
	/* Two more sweeps: reported once, and the listener is still alive. */
	poll_for(t, 2 * (int)(SW_SWEEP_INTERVAL_NS / 1000000) + 300);
	FAIL_IF(count_kind(&l, w.netns, SW_EV_CLOSE) != 1, "%zu closes",
		count_kind(&l, w.netns, SW_EV_CLOSE));
	FAIL_IF(count_kind(&l, w.netns, SW_EV_UNLISTEN) != 0,
		"the live listener was reported closed");
	sw_tracer_counters(t, &c);
	FAIL_IF(c.inferred != 1, "inferred counter %llu", (unsigned long long)c.inferred);
	/* Its real end is an ordinary unlisten. */
	close(lfd);
	lfd = -1;
	w.kind = SW_EV_UNLISTEN;
	poll_until(t, &l, list_has, &w, 2000);
	r = find_kind(&l, w.netns, SW_EV_UNLISTEN, 0);
	FAIL_IF(!r || (r->ev.flags & SW_F_INFERRED) || r->ev.lport != port,
		"listener close not seen as a plain unlisten");
#undef FAIL_IF
	ret = 0;
out:
	if (lfd >= 0)
		close(lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

/*
 * The sweep's inferred closes under a port filter: the one the filter keeps
 * is reported, the other is not, and both entries are gone afterwards (the
 * filtered one too: its entry once stayed for good, flagged reported).
 */
int t_sweep_filtered(void)
{
	struct sw_tracer_opts o = { .port = 443 };
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	struct sw_sock kept, dropped;
	const __u64 ck = 0x5eed00000003ULL, cd = 0x5eed00000004ULL;
	const struct sw_record *r;
	__u32 netns;
	int ret = -1;

	netns = ns_new();
	CHECK(netns, "cannot make a network namespace");
	o.netns = netns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	if (sw_tracer_no_sweep_why(t)) {
		ret = test_skip("no socket-map sweep on this kernel: %s",
				sw_tracer_no_sweep_why(t));
		goto out;
	}
	ghost_entry(&kept, netns); /* remote port 443 */
	ghost_entry(&dropped, netns);
	dropped.lport = 40002;
	dropped.rport = 80;
	if (sw_tracer_seed_sock(t, ck, &kept) || sw_tracer_seed_sock(t, cd, &dropped)) {
		test_fail(__FILE__, __LINE__, "seed", "cannot plant the entries");
		goto out;
	}
	sw_tracer_final_drain(t);
	r = find_kind(&l, netns, SW_EV_CLOSE, 0);
	if (!r || r->ev.cookie != ck || count_kind(&l, netns, SW_EV_CLOSE) != 1) {
		test_fail(__FILE__, __LINE__, "closes",
			  "%zu inferred closes, want the port-443 one",
			  count_kind(&l, netns, SW_EV_CLOSE));
		goto out;
	}
	/* both entries deleted: planting them again works */
	if (sw_tracer_seed_sock(t, ck, &kept) || sw_tracer_seed_sock(t, cd, &dropped)) {
		test_fail(__FILE__, __LINE__, "entries", "an inferred close left its entry behind");
		goto out;
	}
	ret = 0;
out:
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

int t_sweep_infers_close(void)
{
	int r = sweep_infers_close(SW_STATE_HOOK_AUTO);

	/* Again keyed by socket address (raw_tp), unless that is what ran: the
	 * sweep once took every live socket there for a gone one. */
	if (r || sw_tracer_state_hook(H.tracer) == SW_STATE_HOOK_RAW_TP)
		return r;
	return sweep_infers_close(SW_STATE_HOOK_RAW_TP);
}

/*
 * The same lost CLOSE, with the tracer stopping before two periodic sweeps
 * could find it: the final drain reports it (once, inferred) instead of
 * dropping it with the map, and still leaves a live listener alone.
 */
int t_sweep_at_exit(void)
{
	struct sw_tracer_opts o = {};
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	struct sw_sock ghost;
	const __u64 cookie = 0x5eed00000002ULL;
	const struct sw_record *r;
	struct sw_counters c;
	__u64 planted;
	__u32 netns;
	__u16 port = 0;
	int lfd = -1, ret = -1;

	netns = ns_new();
	CHECK(netns, "cannot make a network namespace");
	o.netns = netns;
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	if (sw_tracer_no_sweep_why(t)) {
		ret = test_skip("no socket-map sweep on this kernel: %s",
				sw_tracer_no_sweep_why(t));
		goto out;
	}
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	if (lfd < 0)
		goto out;
	ghost_entry(&ghost, netns);
	if (sw_tracer_seed_sock(t, cookie, &ghost)) {
		test_fail(__FILE__, __LINE__, "seed", "cannot plant the entry");
		goto out;
	}
	planted = mono_ns();
	/* An ordinary drain is no sweep: nothing is inferred yet. */
	sw_tracer_drain(t);
	if (count_kind(&l, netns, SW_EV_CLOSE)) {
		test_fail(__FILE__, __LINE__, "drain", "a close before any sweep");
		goto out;
	}
	sw_tracer_final_drain(t);
	r = find_kind(&l, netns, SW_EV_CLOSE, 0);
	if (!r || r->ev.cookie != cookie || !(r->ev.flags & SW_F_INFERRED) ||
	    r->ev.pid != ghost.pid || r->ev.uid != ghost.uid || r->ev.lport != ghost.lport ||
	    r->ev.closer != ghost.closer) {
		test_fail(__FILE__, __LINE__, "final drain",
			  "no inferred close of the planted entry");
		goto out;
	}
	/* From the final drain, not from a periodic sweep (one interval at least). */
	if (r->ev.ts_ns - planted >= SW_SWEEP_INTERVAL_NS / 2) {
		test_fail(__FILE__, __LINE__, "timing", "inferred %llu ms after planting",
			  (unsigned long long)((r->ev.ts_ns - planted) / 1000000));
		goto out;
	}
	/* Once, and the live listener is not reported closed. */
	sw_tracer_final_drain(t);
	if (count_kind(&l, netns, SW_EV_CLOSE) != 1 || count_kind(&l, netns, SW_EV_UNLISTEN)) {
		test_fail(__FILE__, __LINE__, "counts", "%zu closes, %zu unlistens",
			  count_kind(&l, netns, SW_EV_CLOSE),
			  count_kind(&l, netns, SW_EV_UNLISTEN));
		goto out;
	}
	/* Its entry is deleted from user space: that is no eviction. */
	sw_tracer_counters_full(t, &c);
	if (c.inferred != 1 || c.evictions) {
		test_fail(__FILE__, __LINE__, "counter", "inferred %llu, evictions %llu",
			  (unsigned long long)c.inferred, (unsigned long long)c.evictions);
		goto out;
	}
	ret = 0;
out:
	if (lfd >= 0)
		close(lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}

/* For poll_until(): a lost record about socket-map evictions in list. */
static bool evictions_seen(void *arg)
{
	const struct evlist *l = arg;

	for (size_t i = 0; i < l->n; i++)
		if (sw_lost_is_evictions(&l->v[i]))
			return true;
	return false;
}

#define NHELD 400

/*
 * A socket map too small for the connections held open (--max-sockets):
 * the closes of sockets whose entries were evicted carry no owner and the
 * SW_F_NO_ENTRY marker ("entry":"none"), every owner-less record has it,
 * and the evictions come in-band while the tracer runs, as lost records
 * "socket-map" that add up to the exit summary's count.
 */
int t_socket_map_evictions(void)
{
	struct sw_tracer_opts o = { .max_sockets = SW_MAX_SOCKETS_MIN };
	int cfd[NHELD], afd[NHELD], lfd = -1, ret = -1, n = 0;
	struct evlist l = {};
	struct sw_tracer *t = NULL;
	__u64 in_run = 0, in_band = 0;
	size_t noentry = 0, owned = 0, closes = 0;
	const struct sw_record *r;
	struct sw_counters c;
	char line[SW_LINE_MAX];
	__u16 port = 0;

	o.netns = ns_new();
	CHECK(o.netns, "cannot make a network namespace");
	CHECK(tracer_open_into(&o, &l, &t) == 0, "tracer");
	if (sw_tracer_no_sweep_why(t)) {
		ret = test_skip("no socket-map sweep to count evictions while running: %s",
				sw_tracer_no_sweep_why(t));
		goto out;
	}
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	if (lfd < 0)
		goto out;
	/* 2 * NHELD entries held at once in a map of SW_MAX_SOCKETS_MIN */
	for (n = 0; n < NHELD; n++) {
		cfd[n] = connect_to(AF_INET, "127.0.0.1", port);
		afd[n] = cfd[n] < 0 ? -1 : accept(lfd, NULL, NULL);
		if (afd[n] < 0) {
			if (cfd[n] >= 0)
				close(cfd[n]);
			test_fail(__FILE__, __LINE__, "connect", "connection %d failed", n);
			goto out;
		}
		if (n % 50 == 0)
			sw_tracer_poll(t, 0);
	}
	/* the evictions are said while the tracer runs, at the next sweep */
	if (poll_until(t, &l, evictions_seen, &l, 3 * SW_SWEEP_INTERVAL_NS / 1000000) ||
	    !evictions_seen(&l)) {
		test_fail(__FILE__, __LINE__, "in-band", "no socket-map lost record while running");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		if (sw_lost_is_evictions(&l.v[i]))
			in_run += l.v[i].lost;
	for (int i = 0; i < n; i++) {
		close(cfd[i]);
		close(afd[i]);
	}
	n = 0;
	struct want_kind w = { .netns = o.netns, .kind = SW_EV_CLOSE, .n = 2 * NHELD, .list = &l };

	poll_until(t, &l, kind_seen, &w, 10000);
	sw_tracer_detach(t);
	sw_tracer_final_drain(t);
	sw_tracer_counters_full(t, &c);
	for (size_t i = 0; i < l.n; i++) {
		r = &l.v[i];
		if (sw_lost_is_evictions(r))
			in_band += r->lost;
		if (r->ev.kind == SW_EV_LOST || r->ev.netns != o.netns)
			continue;
		/* owner-less records say why; records with an entry carry no marker */
		if ((r->ev.flags & SW_F_OWNER_MASK) == SW_OWNER_NONE &&
		    !(r->ev.flags & SW_F_NO_ENTRY)) {
			test_fail(__FILE__, __LINE__, "marker",
				  "an owner-less %s without the marker", sw_kind_name(r->ev.kind));
			goto out;
		}
		if (r->ev.kind != SW_EV_CLOSE)
			continue;
		closes++;
		if (r->ev.flags & SW_F_NO_ENTRY) {
			noentry++;
			if (r->ev.pid || r->ev.birth_ns) {
				test_fail(__FILE__, __LINE__, "marker",
					  "a close without entry has pid %u", r->ev.pid);
				goto out;
			}
			if (noentry == 1 &&
			    (sw_format_record(r, SW_FMT_JSON, line, sizeof(line)) < 0 ||
			     !strstr(line, ",\"entry\":\"none\",") || strstr(line, "\"pid\""))) {
				test_fail(__FILE__, __LINE__, "json", "%s", line);
				goto out;
			}
		} else if (r->ev.pid == (__u32)getpid()) {
			owned++;
		}
	}
	if (closes != 2 * NHELD || !noentry || !owned || noentry + owned != closes) {
		test_fail(__FILE__, __LINE__, "closes",
			  "%zu closes: %zu without entry, %zu owned (want %d, both kinds)", closes,
			  noentry, owned, 2 * NHELD);
		goto out;
	}
	/* in-band while running, and in all exactly what the summary counts */
	if (!in_run || in_band != c.evictions || c.evictions < noentry) {
		test_fail(
			__FILE__, __LINE__, "evictions",
			"%llu in-band while running, %llu in all, summary %llu, %zu closes without "
			"entry",
			(unsigned long long)in_run, (unsigned long long)in_band,
			(unsigned long long)c.evictions, noentry);
		goto out;
	}
	ret = 0;
out:
	for (int i = 0; i < n; i++) {
		close(cfd[i]);
		close(afd[i]);
	}
	if (lfd >= 0)
		close(lfd);
	sw_tracer_close(t);
	evlist_free(&l);
	return ret;
}
