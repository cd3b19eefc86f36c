// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests of the start-up snapshot: the iterators load, and MPTCP subflows have owners. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "snapshot.h"
#include "tests.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* Rows of netns on port, and how many of them a record of this process owns. */
static void count_owned(const struct sw_snapshot *s, __u32 netns, __u16 port, size_t *rows,
			size_t *owned)
{
	pid_t me = getpid();

	*rows = *owned = 0;
	for (size_t i = 0; i < s->nsocks; i++) {
		const struct sw_snap_sock *r = &s->socks[i];
		bool mine = false;

		if (r->netns != netns || (r->lport != port && r->rport != port))
			continue;
		(*rows)++;
		for (size_t j = 0; j < s->nowners && !mine; j++) {
			const struct sw_snap_owner *o = &s->owners[j];

			mine = o->pid == (__u32)me && o->cookie == r->cookie &&
			       (s->source != SW_SNAP_ITER || o->skptr == r->skptr);
		}
		*owned += mine;
	}
}

/*
 * One snapshot from src (*e: its error, the test's result then 0): its rows
 * on port in netns, all owned by this process.
 */
static int check_source(enum sw_snap_source src, __u32 netns, __u16 port, int *e, char *err,
			size_t errlen)
{
	struct sw_snapshot s;
	size_t rows, owned;

	*e = sw_snapshot_take(&s, src, NULL, NULL, err, errlen);
	if (*e)
		return 0;
	count_owned(&s, netns, port, &rows, &owned);
	sw_snapshot_free(&s);
	CHECK(rows == 3 && owned == 3, "%s: %zu rows on port %u, %zu owned by us",
	      sw_snap_source_name(src), rows, port, owned);
	return 0;
}

/*
 * A listener, a connection and its accepted end, opened as MPTCP where the
 * kernel has it: both sources list their three TCP sockets (the subflows),
 * each owned by this process. Skipped where the kernel refuses the
 * iterators (before 5.11: no bpf_sock_from_file()), after checking diag.
 */
int t_snapshot_owners(void)
{
	int proto = IPPROTO_MPTCP, l, c, a, rc, ediag, eiter = 0;
	char err[256] = "";
	__u16 port = 0;
	__u32 netns;

	netns = ns_new();
	CHECK(netns, "cannot make a network namespace");
	l = listen_on_proto(AF_INET, proto, "127.0.0.1", &port);
	if (l < 0) {
		proto = 0; /* no MPTCP here: the TCP owners are still checked */
		l = listen_on_proto(AF_INET, proto, "127.0.0.1", &port);
	}
	CHECK(l >= 0, "listen: %s", strerror(-l));
	c = connect_to_proto(AF_INET, proto, "127.0.0.1", port);
	CHECK(c >= 0, "connect: %s", strerror(-c));
	a = accept(l, NULL, NULL);
	CHECK(a >= 0, "accept: %s", strerror(errno));
	rc = check_source(SW_SNAP_DIAG, netns, port, &ediag, err, sizeof(err));
	if (!rc && !ediag)
		rc = check_source(SW_SNAP_ITER, netns, port, &eiter, err, sizeof(err));
	close(a);
	close(c);
	close(l);
	if (rc)
		return rc; /* H.why says why */
	CHECK(!ediag, "sock_diag snapshot: %s", err);
	if (eiter)
		return test_skip("the kernel refuses the snapshot iterators: %s", err);
	if (!proto)
		return test_skip("no MPTCP sockets here (TCP owners checked)");
	return 0;
}
