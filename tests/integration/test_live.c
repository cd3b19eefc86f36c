// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests of the live view's table: rows the snapshot made, then the sockets' events. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
