// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests of the start-up snapshot: the iterators load, MPTCP subflows have owners, namespaces are entered. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

	*e = sw_snapshot_take(&s, src, 0, NULL, NULL, err, errlen);
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

/* What unshared_peer() reports: its namespace, and a TCP socket it holds there. */
struct unshared {
	__u64 ino;
	int fd;
};

/* A child in a network namespace of its own, with a listener there, held until released. */
static int unshared_peer(struct peer_io *io)
{
	struct unshared u = {};
	struct stat st;
	__u16 port = 0;

	if (unshare(CLONE_NEWNET) || stat("/proc/self/ns/net", &st))
		return 1;
	u.ino = st.st_ino;
	u.fd = listen_on(AF_INET6, "::", &port);
	if (u.fd < 0 || peer_report(io, &u, sizeof(u)))
		return 1;
	peer_hold(io);
	return 0;
}

/* For sw_netns_run(): the inode of the namespace it runs in. */
static int report_netns(void *ctx)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*(__u64 *)ctx = st.st_ino;
	return 0;
}

/*
 * What sw_netns_run() enters is the namespace it was asked for, whatever its
 * ways in name by then: a path that now opens another namespace (a pid since
 * reused by a process elsewhere; here /proc/self/ns/net, ours) is passed
 * over for the next way in (a process seen in the namespace); with no way
 * left that opens it, nothing is entered and an error is returned. A
 * namespace whose visit failed is found again through a socket of it.
 */
static int ways_in(struct peer *p, const struct unshared *u, const struct stat *home_st, int home)
{
	struct sw_netns_ref ref = { .fd = -1, .path = "/proc/self/ns/net" };
	bool found, replaced = false;
	struct sw_netns_ref *r = NULL;
	struct sw_netns_set set;
	__u64 in = 0;
	size_t n, idx = 0;
	int e;

	ref.ino = u->ino;
	ref.dev = home_st->st_dev; /* nsfs: one device for every namespace */
	ref.holders[0].pid = ref.holders[0].tid = (__u32)p->pid;
	ref.nholders = 1;
	e = sw_netns_run(&ref, home, report_netns, &in);
	CHECK(!e && in == u->ino, "entered netns %llu (error %d) for netns %llu through its holder",
	      (unsigned long long)in, e, (unsigned long long)u->ino);
	/* Its only holder gone (its pid now names a process elsewhere: ours). */
	ref.holders[0].pid = ref.holders[0].tid = (__u32)getpid();
	in = 0;
	e = sw_netns_run(&ref, home, report_netns, &in);
	CHECK(e == -ESRCH && !in, "no way in opens it, yet error %d and netns %llu entered", e,
	      (unsigned long long)in);

	e = sw_netns_collect(&set);
	CHECK(!e, "collect: %s", strerror(-e));
	for (size_t i = 0; i < set.n && !r; i++)
		if (set.v[i].ino == u->ino)
			r = &set.v[idx = i];
	/* Found through the child (no mount), as if it had exited before the visit. */
	found = r && !r->path[0] && r->nholders == 1 && r->holders[0].pid == (__u32)p->pid;
	if (found) {
		r->visit = SW_NETNS_FAILED;
		n = set.n;
		e = sw_netns_add_socket(&set, (__u32)p->pid, (__u32)u->fd);
		/* by index: set.v may have moved */
		replaced = e == 1 && set.n == n + 1 && set.v[idx].visit == SW_NETNS_REPLACED &&
			   set.v[n].ino == u->ino && set.v[n].fd >= 0;
		in = 0;
		if (replaced)
			e = sw_netns_run(&set.v[n], home, report_netns, &in);
	}
	sw_netns_set_free(&set);
	CHECK(found, "collect: the child's namespace is not listed with it as its way in");
	CHECK(replaced && !e && in == u->ino,
	      "a namespace whose visit failed is not found again through its socket (%d, %llu)", e,
	      (unsigned long long)in);
	return 0;
}

int t_netns_ways_in(void)
{
	struct unshared u = {};
	struct stat home_st;
	struct peer p;
	__u64 in = 0;
	int home, rc, e;

	CHECK(!stat("/proc/self/ns/net", &home_st), "stat: %s", strerror(errno));
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(home >= 0, "open: %s", strerror(errno));
	e = peer_spawn(&p, "sw_nsway", unshared_peer, NULL);
	if (e) {
		close(home);
		CHECK(!e, "spawn: %s", strerror(-e));
	}
	if (!peer_read(&p, &u, sizeof(u)) || u.ino == (__u64)home_st.st_ino) {
		test_fail(__FILE__, __LINE__, "peer", "the child did not report a namespace");
		rc = -1;
	} else {
		rc = ways_in(&p, &u, &home_st, home);
	}
	peer_reap(&p);
	close(home);
	CHECK(!report_netns(&in) && in == (__u64)home_st.st_ino, "left in netns %llu, not %llu",
	      (unsigned long long)in, (unsigned long long)home_st.st_ino);
	return rc;
}
