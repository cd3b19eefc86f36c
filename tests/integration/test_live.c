// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests of the live view's table: rows the snapshot made, the sockets' events, lost ones. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "live.h"
#include "tests.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* The row of the request socket on port in netns, or NULL. */
static const struct sw_conn *request_row(const struct sw_live *l, __u32 netns, __u16 port)
{
	for (__u32 i = 0; i < l->tab.nrows; i++) {
		const struct sw_conn *c = &l->tab.rows[i];

		if (c->used && c->netns == netns && c->lport == port &&
		    c->state == SW_TCP_NEW_SYN_RECV)
			return c;
	}
	return NULL;
}

/* Polls the live view until the row of key is live in state (closed: a ghost, not a snapshot's
 * TIME_WAIT) with owner pid (0: any), or timeout_ms pass. */
static const struct sw_conn *wait_row(struct sw_live *l, __u64 key, __u8 state, bool closed,
				      __u32 pid, int timeout_ms)
{
	const struct sw_conn *c = NULL;

	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		c = sw_conntab_find(&l->tab, key);
		if (c && c->state == state && !(c->flags & SW_CONN_MINI) &&
		    !!(c->flags & SW_CONN_GHOST) == closed && (!pid || c->pid == pid))
			return c;
		if (sw_live_poll(l, 20) < 0)
			break;
	}
	return NULL;
}

/*
 * A connection in SYN_RECV when the view starts: the snapshot lists its
 * request socket (here one a TCP_DEFER_ACCEPT listener keeps past the
 * client's ACK, until data comes) and makes its cookie, which the kernel
 * gives the child socket. The child's transition to ESTABLISHED, its accept
 * and its close must reach the row: it shows the connection from then on.
 */
static int request_to_connection(struct sw_live *lv, __u32 netns, int l, int c, __u16 port)
{
	const struct sw_conn *row = request_row(lv, netns, port);
	socklen_t len = sizeof(__u64);
	__u64 key, cookie = 0;
	int a;

	CHECK(row && (row->flags & SW_CONN_MINI), "the snapshot has no request socket on port %u",
	      port);
	key = row->key;
	CHECK(write(c, "x", 1) == 1, "write: %s", strerror(errno));
	a = accept(l, NULL, NULL);
	CHECK(a >= 0, "accept: %s", strerror(errno));
	if (getsockopt(a, SOL_SOCKET, SO_COOKIE, &cookie, &len) || cookie != key) {
		close(a);
		return test_skip("the child's cookie %llu is not its request's %llu",
				 (unsigned long long)cookie, (unsigned long long)key);
	}
	row = wait_row(lv, key, SW_TCP_ESTABLISHED, false, (__u32)getpid(), 2000);
	if (!row) {
		row = sw_conntab_find(&lv->tab, key);
		close(a);
		CHECK(0, "the child's events did not reach the row: state %s, flags %#x, pid %u",
		      row ? sw_state_name(row->state) : "(none)", row ? row->flags : 0,
		      row ? row->pid : 0);
	}
	CHECK(row->flags & SW_CONN_SNAP, "the row is no longer the snapshot's (flags %#x)",
	      row->flags);
	close(a);
	row = wait_row(lv, key, SW_TCP_CLOSE, true, 0, 2000);
	CHECK(row, "the child's close did not reach the row");
	return 0;
}

int t_live_request_socket(void)
{
	struct sw_live_opts o = {
		.tracer = { .attach = H.attach },
		.ghost_ns = 60000000000ULL,
		.seed = true,
	};
	struct sw_live lv;
	char err[768];
	__u16 port = 0;
	int l, c, rc, e, defer = 30;
	__u32 netns;

	netns = ns_new();
	CHECK(netns, "cannot make a network namespace");
	o.tracer.netns = netns;
	l = listen_on(AF_INET, "127.0.0.1", &port);
	CHECK(l >= 0, "listen: %s", strerror(-l));
	if (setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer))) {
		close(l);
		CHECK(0, "TCP_DEFER_ACCEPT: %s", strerror(errno));
	}
	c = connect_to(AF_INET, "127.0.0.1", port);
	if (c < 0) {
		close(l);
		CHECK(0, "connect: %s", strerror(-c));
	}
	e = sw_live_start(&lv, &o, err, sizeof(err));
	if (e) {
		close(c);
		close(l);
		CHECK(0, "live view: %s", err);
	}
	if (lv.key_by_ptr)
		/* Keyed by socket address, the child is a socket of its own. */
		rc = test_skip("the raw_tp state hook keys sockets by address");
	else
		rc = request_to_connection(&lv, netns, l, c, port);
	sw_live_stop(&lv);
	close(c);
	close(l);
	return rc;
}

#define NHELD 100
#define NCHURN 300
#define SEC 1000000000ULL

/* Rows of netns in the table: live ones, and of those listeners. */
static void count_rows(const struct sw_live *l, __u32 netns, __u32 *live, __u32 *listeners)
{
	*live = *listeners = 0;
	for (__u32 i = 0; i < l->tab.nrows; i++) {
		const struct sw_conn *c = &l->tab.rows[i];

		if (!c->used || c->netns != netns || (c->flags & SW_CONN_GHOST))
			continue;
		(*live)++;
		*listeners += c->state == SW_TCP_LISTEN;
	}
}

/* n connections to port, each accepted; their fds into c and a. */
static int open_conns(int lfd, __u16 port, int *c, int *a, int n)
{
	for (int i = 0; i < n; i++) {
		c[i] = connect_to(AF_INET, "127.0.0.1", port);
		if (c[i] < 0)
			return c[i];
		a[i] = accept(lfd, NULL, NULL);
		if (a[i] < 0)
			return -errno;
	}
	return 0;
}

/* Closes the fds that are open, and marks them closed. */
static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * The live view with a 64 KiB ring buffer (431 records) that is not read
 * while 300 connections churn (it fills up), then 100 held connections and
 * their listener close (every record of those lost: the kernel deletes
 * their socket-map entries all the same, so no sweep could tell) and a new
 * listener opens (its records lost too). Read again, the view reports the
 * loss, takes the snapshot again and reconciles: the 201 rows close (as
 * ghosts, the listener's an unlisten) and the new listener has its row.
 */
int t_live_resync(void)
{
	struct sw_live_opts o = { .ghost_ns = 60 * SEC, .snapshot = SW_SNAP_AUTO };
	int held_c[NHELD], held_a[NHELD], ch_c[NCHURN], ch_a[NCHURN];
	__u32 netns, live = 0, listeners = 0;
	__u16 port = 0, port2 = 0, port3 = 0;
	int lfd[3] = { -1, -1, -1 }, e, ret = -1;
	const struct sw_conn *row;
	struct sw_live l;
	char err[512];
	__u64 t0;

	memset(held_c, -1, sizeof(held_c));
	memset(held_a, -1, sizeof(held_a));
	memset(ch_c, -1, sizeof(ch_c));
	memset(ch_a, -1, sizeof(ch_a));
	netns = ns_new();
	CHECK(netns, "cannot make a network namespace");
	o.tracer.attach = H.attach;
	o.tracer.netns = netns;
	o.tracer.ringbuf_bytes = 64 << 10;
	e = sw_live_start(&l, &o, err, sizeof(err));
	CHECK(!e, "live view: %s", err);
	lfd[0] = listen_on(AF_INET, "127.0.0.1", &port);
	lfd[1] = listen_on(AF_INET, "127.0.0.1", &port2);
	if (lfd[0] < 0 || lfd[1] < 0) {
		test_fail(__FILE__, __LINE__, "listen", "cannot listen");
		goto out;
	}
	/* Held, read as they come (10 at a time: each makes about 6 records). */
	for (int i = 0; i < NHELD; i += 10) {
		e = open_conns(lfd[0], port, held_c + i, held_a + i, 10);
		if (e) {
			test_fail(__FILE__, __LINE__, "held", "connect/accept: %s", strerror(-e));
			goto out;
		}
		sw_live_poll(&l, 0);
	}
	for (t0 = mono_ns(); mono_ns() - t0 < 2 * SEC && live < 2 * NHELD + 2;) {
		sw_live_poll(&l, 10);
		count_rows(&l, netns, &live, &listeners);
	}
	if (live != 2 * NHELD + 2 || l.lost) {
		test_fail(__FILE__, __LINE__, "before", "%u live rows (want %d), %llu lost", live,
			  2 * NHELD + 2, (unsigned long long)l.lost);
		goto out;
	}
	/* Unread from here: the churn fills the ring buffer, then every record is lost. */
	e = open_conns(lfd[1], port2, ch_c, ch_a, NCHURN);
	close_all(ch_c, NCHURN);
	close_all(ch_a, NCHURN);
	close_all(&lfd[1], 1);
	close_all(held_c, NHELD);
	close_all(held_a, NHELD);
	close_all(&lfd[0], 1);
	lfd[2] = listen_on(AF_INET, "127.0.0.1", &port3);
	if (e || lfd[2] < 0) {
		test_fail(__FILE__, __LINE__, "churn", "churn: %s, listen: %d", strerror(-e),
			  lfd[2]);
		goto out;
	}
	for (t0 = mono_ns(); mono_ns() - t0 < 10 * SEC && (!l.resyncs || live != 1);) {
		sw_live_poll(&l, 10);
		count_rows(&l, netns, &live, &listeners);
	}
	if (!l.lost || !l.resyncs || live != 1 || listeners != 1) {
		test_fail(
			__FILE__, __LINE__, "after",
			"%llu lost, %llu resyncs (%llu rows closed, %llu added): %u live rows, %u "
			"listeners (want 1 and 1)",
			(unsigned long long)l.lost, (unsigned long long)l.resyncs,
			(unsigned long long)l.resync_closed, (unsigned long long)l.resync_added,
			live, listeners);
		goto out;
	}
	ret = 0;
	for (__u32 i = 0; i < l.tab.nrows; i++) {
		row = &l.tab.rows[i];
		if (!row->used || row->netns != netns)
			continue;
		if (!(row->flags & SW_CONN_GHOST) && row->lport != port3) {
			test_fail(__FILE__, __LINE__, "rows", "live row on port %u -> %u",
				  row->lport, row->rport);
			ret = -1;
		} else if (row->lport == port && !row->rport && row->kind != SW_EV_UNLISTEN) {
			test_fail(__FILE__, __LINE__, "rows", "the listener's ghost is kind %u",
				  row->kind);
			ret = -1;
		}
	}
out:
	close_all(ch_c, NCHURN);
	close_all(ch_a, NCHURN);
	close_all(held_c, NHELD);
	close_all(held_a, NHELD);
	close_all(lfd, 3);
	sw_live_stop(&l);
	return ret;
}
