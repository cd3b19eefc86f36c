// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Integration tests: a connect() that fails inside the call, before its SYN (no local port left). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "event.h"
#include "harness.h"
#include "tests.h"

#define PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range" /* per netns; IPv6 uses it too */
#define NOPORT_COMM "sw_noport"
#define NOPORT_TRIES 4 /* connects per family until one finds no port */

struct noport {
	__u16 port4; /* the listeners, made before the range was narrowed */
	__u16 port6;
};

/* Connects to addr:port until one connect fails; 0 if it failed with EADDRNOTAVAIL. */
static int connect_until_no_port(int family, const char *addr, __u16 port, int *fds, int *n)
{
	for (int i = 0; i < NOPORT_TRIES; i++) {
		int fd = connect_to(family, addr, port);

		if (fd == -EADDRNOTAVAIL)
			return 0;
		if (fd < 0)
			return 1;
		fds[(*n)++] = fd; /* held: its port stays taken */
	}
	return 2;
}

/*
 * With one local port, a connect takes it and the next one to the same
 * peer finds none: inet_hash_connect() fails with EADDRNOTAVAIL after
 * the socket went to SYN_SENT and before tcp_connect(). IPv4, then IPv6
 * (same range, its own 4-tuples: its first connect may get the port too).
 */
static int noport_client(struct peer_io *io)
{
	struct noport *np = io->arg;
	int fds[2 * NOPORT_TRIES], n = 0, rc;

	peer_hold(io); /* until the test's filtered tracer is attached */
	rc = connect_until_no_port(AF_INET, "127.0.0.1", np->port4, fds, &n);
	if (!rc && n != 1)
		rc = 3; /* the first IPv4 connect must have had the port */
	if (!rc)
		rc = 10 * connect_until_no_port(AF_INET6, "::1", np->port6, fds, &n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return rc;
}

/* Checks one failed connect of the client: owner, reason, errno, ports. */
static int check_noport(const struct sw_record *r, pid_t pid, int family, __u16 port)
{
	const struct sw_event *e = &r->ev;

	CHECK(e->pid == (__u32)pid && e->tid == (__u32)pid && !strcmp(e->comm, NOPORT_COMM) &&
		      e->uid == getuid() && (e->flags & SW_F_OWNER_MASK) != SW_OWNER_NONE,
	      "owner pid %u tid %u comm '%s' uid %u flags %#x (want %d '%s')", e->pid, e->tid,
	      e->comm, e->uid, e->flags, pid, NOPORT_COMM);
	CHECK(e->error == EADDRNOTAVAIL && !strcmp(sw_error_reason(e->error), "no_local_port"),
	      "errno %u reason %s (want %d no_local_port)", e->error, sw_error_reason(e->error),
	      EADDRNOTAVAIL);
	CHECK(e->oldstate == SW_TCP_SYN_SENT && e->newstate == SW_TCP_CLOSE, "states %u->%u",
	      e->oldstate, e->newstate);
	CHECK(e->lport == 0 && e->rport == port && e->birth_ns,
	      "lport %u rport %u (want 0, %u), birth %llu", e->lport, e->rport, port,
	      (unsigned long long)e->birth_ns);
	return 0;
}

/* The client's failed connects in l: one per family, each checked. */
static int check_noports(const struct evlist *l, __u32 ns, pid_t pid, const struct noport *np)
{
	const struct sw_record *r;
	bool v4 = false, v6 = false;

	CHECK(count_kind(l, ns, SW_EV_CONNECT_FAILED) == 2, "connect_failed: %zu, want 2",
	      count_kind(l, ns, SW_EV_CONNECT_FAILED));
	for (size_t i = 0; i < 2; i++) {
		r = find_kind(l, ns, SW_EV_CONNECT_FAILED, i);
		if (r->ev.family == SW_AF_INET) {
			v4 = true;
			if (check_noport(r, pid, AF_INET, np->port4))
				return -1;
		} else {
			v6 = true;
			if (check_noport(r, pid, AF_INET6, np->port6))
				return -1;
		}
	}
	CHECK(v4 && v6, "one per family: v4 %d v6 %d", v4, v6);
	return 0;
}

/* The attempts (CLOSE->SYN_SENT, listen's deny rules), one per connect, all the client's. */
static int check_attempts(const struct evlist *l, __u32 ns, pid_t pid)
{
	size_t n = count_kind(l, ns, SW_EV_STATE), connects = count_kind(l, ns, SW_EV_CONNECT);

	CHECK(n == connects + 2, "attempts %zu, want %zu (connects) + 2", n, connects);
	for (size_t i = 0; i < n; i++) {
		const struct sw_event *e = &find_kind(l, ns, SW_EV_STATE, i)->ev;

		CHECK(e->newstate == SW_TCP_SYN_SENT && e->pid == (__u32)pid &&
			      !strcmp(e->comm, NOPORT_COMM),
		      "attempt %zu: to %u, owner %u '%s'", i, e->newstate, e->pid, e->comm);
	}
	return 0;
}

/*
 * Local ports exhausted: connect() fails with EADDRNOTAVAIL between
 * SYN_SENT and tcp_connect(). connect_failed carries the connect() caller
 * (every mode: the owner is taken at CLOSE->SYN_SENT, tcp_connect never
 * runs), reason no_local_port and errno 99 (the socket has no error of its
 * own: it was "aborted", errno 0), lport 0. A second tracer, filtered on
 * the client's pid and comm and set up as listen's deny rules set theirs
 * (records for peers in the networks only, with the attempts), gets them
 * too, and every attempt owned by the client.
 */
int t_connect_no_local_port(void)
{
	struct want_kind w = { .kind = SW_EV_CONNECT_FAILED, .n = 2 };
	static const struct sw_net nets[] = {
		{ .family = SW_AF_INET, .plen = 32, .addr = { 127, 0, 0, 1 } },
		{ .family = SW_AF_INET6, .plen = 128, .addr = { [15] = 1 } },
	};
	struct sw_tracer_opts o = { .connect_nets = nets, .nconnect_nets = 2 };
	struct sw_tracer *t = NULL;
	struct evlist l = { 0 };
	struct noport np = { 0 };
	int l4, l6, rc, ret = -1;
	struct peer p;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace: %s", strerror(errno));
	suite_reset();
	l4 = listen_on(AF_INET, "127.0.0.1", &np.port4);
	CHECK(l4 >= 0, "listen: %s", strerror(-l4));
	l6 = listen_on(AF_INET6, "::1", &np.port6);
	CHECK(l6 >= 0, "listen6: %s", strerror(-l6));
	/* one port, not a listener's */
	rc = write_file(PORT_RANGE,
			np.port4 == 40000 || np.port6 == 40000 ? "40001 40001" : "40000 40000");
	CHECK(rc == 0, "%s: %s", PORT_RANGE, strerror(-rc));
	rc = peer_spawn(&p, NOPORT_COMM, noport_client, &np);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	o.netns = w.netns;
	o.pid = p.pid;
	o.comm = NOPORT_COMM;
	o.remote_nets_only = true;
	o.kinds = 1u << SW_EV_CONNECT | 1u << SW_EV_CONNECT_FAILED | 1u << SW_EV_STATE;
	if (tracer_open_into(&o, &l, &t)) {
		peer_reap(&p);
		CHECK(0, "filtered tracer");
	}
	rc = peer_reap(&p);
	if (rc) {
		test_fail(__FILE__, __LINE__, "rc == 0",
			  "client exit %d (1/10: another error, 2/20: every connect got a port, 3: "
			  "the first IPv4 connect found none)",
			  rc);
		goto out;
	}
	if (poll_until(H.tracer, &H.all, kind_seen, &w, 5000)) {
		test_fail(__FILE__, __LINE__, "kind_seen", "connect_failed: %zu, want 2",
			  count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED));
		goto out;
	}
	poll_for(H.tracer, 100);
	if (check_noports(&H.all, w.netns, p.pid, &np))
		goto out;
	w.list = &l;
	if (poll_until(t, &l, kind_seen, &w, 5000)) {
		test_fail(__FILE__, __LINE__, "kind_seen", "filtered tracer: connect_failed %zu",
			  count_kind(&l, w.netns, SW_EV_CONNECT_FAILED));
		goto out;
	}
	poll_for(t, 100);
	if (check_noports(&l, w.netns, p.pid, &np) || check_attempts(&l, w.netns, p.pid)) {
		fprintf(stderr, "# (in the tracer filtered on pid %d, comm %s)\n", p.pid,
			NOPORT_COMM);
		goto out;
	}
	ret = 0;
out:
	sw_tracer_close(t);
	evlist_free(&l);
	close(l4);
	close(l6);
	return ret;
}

#define RETRY_COMM "sw_noport2"
#define BOUND_PORT 41000 /* the bound clients' port, outside the one-port range */

struct noport_retry {
	__u16 port; /* a listener */
	__u16 closed; /* a port nothing listens on */
};

/* A socket bound to 127.0.0.1:port with SO_REUSEADDR; an fd or -errno. */
static int bound_socket(__u16 port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	fill_addr(AF_INET, "127.0.0.1", port, &ss, &len);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* connect() of fd to 127.0.0.1:port: 0 or -errno. */
static int connect_fd(int fd, __u16 port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	fill_addr(AF_INET, "127.0.0.1", port, &ss, &len);
	return connect(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
}

/*
 * With the one port taken towards the listener: a socket whose first
 * connect() was refused (it had the port then, and the kernel leaves it in
 * inet_sport) connects again to the listener and finds no port; then two
 * sockets bound to one port connect to the listener, the second finding
 * its 4-tuple taken. Exit status: which step went otherwise.
 */
static int noport_retry_client(struct peer_io *io)
{
	struct noport_retry *np = io->arg;
	int s, t, b1, b2, rc = 0;

	peer_hold(io);
	s = connect_to(AF_INET, "127.0.0.1", np->port); /* holds the port */
	t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || t < 0)
		return 1;
	if (connect_fd(t, np->closed) != -ECONNREFUSED)
		return 2;
	if (connect_fd(t, np->port) != -EADDRNOTAVAIL)
		return 3;
	b1 = bound_socket(BOUND_PORT);
	b2 = bound_socket(BOUND_PORT);
	if (b1 < 0 || b2 < 0 || connect_fd(b1, np->port))
		rc = 4;
	else if (connect_fd(b2, np->port) != -EADDRNOTAVAIL)
		rc = 5;
	close(b1);
	close(b2);
	close(t);
	close(s);
	return rc;
}

/* The failed connect to port from lport: owner, reason, errno, ports. */
static int check_failed(const struct sw_record *r, pid_t pid, __u16 lport, __u16 port, __u16 err)
{
	const struct sw_event *e = &r->ev;

	CHECK(e->pid == (__u32)pid && !strcmp(e->comm, RETRY_COMM) && !(e->flags & SW_F_NO_ENTRY),
	      "owner pid %u comm '%s' flags %#x (want %d '%s')", e->pid, e->comm, e->flags, pid,
	      RETRY_COMM);
	CHECK(e->error == err && e->oldstate == SW_TCP_SYN_SENT && e->newstate == SW_TCP_CLOSE,
	      "errno %u (%s), states %u->%u (want %u)", e->error, sw_error_reason(e->error),
	      e->oldstate, e->newstate, err);
	CHECK(e->lport == lport && e->rport == port, "lport %u rport %u (want %u, %u)", e->lport,
	      e->rport, lport, port);
	return 0;
}

/*
 * connect() retried on a socket whose first attempt failed, finding no
 * port: no_local_port, errno 99, lport 0 (not the stale port of the refused
 * attempt, "aborted" errno 0, as before). And a socket bound to its port
 * whose 4-tuple is taken: no_local_port, errno 99, its bound port (it was
 * "aborted" errno 0 too). Exactly three connect_failed: the refusal (with
 * the one port), the retry, the bound one.
 */
int t_connect_no_local_port_retry(void)
{
	struct want_kind w = { .kind = SW_EV_CONNECT_FAILED, .n = 3 };
	struct noport_retry np = { 0 };
	const struct sw_record *r[3];
	struct peer p;
	int lfd, rc;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace: %s", strerror(errno));
	suite_reset();
	lfd = listen_on(AF_INET, "127.0.0.1", &np.port);
	CHECK(lfd >= 0, "listen: %s", strerror(-lfd));
	np.closed = np.port == 40001 ? 40002 : 40001;
	rc = write_file(PORT_RANGE, np.port == 40000 ? "40003 40003" : "40000 40000");
	CHECK(rc == 0, "%s: %s", PORT_RANGE, strerror(-rc));
	rc = peer_spawn(&p, RETRY_COMM, noport_retry_client, &np);
	CHECK(rc == 0, "spawn: %s", strerror(-rc));
	rc = peer_reap(&p);
	close(lfd);
	CHECK(rc == 0, "client exit %d", rc);
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 5000) == 0, "connect_failed: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED));
	poll_for(H.tracer, 100);
	CHECK(count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED) == 3, "connect_failed: %zu",
	      count_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED));
	for (size_t i = 0; i < 3; i++)
		r[i] = find_kind(&H.all, w.netns, SW_EV_CONNECT_FAILED, i);
	if (check_failed(r[0], p.pid, np.port == 40000 ? 40003 : 40000, np.closed, ECONNREFUSED) ||
	    check_failed(r[1], p.pid, 0, np.port, EADDRNOTAVAIL) ||
	    check_failed(r[2], p.pid, BOUND_PORT, np.port, EADDRNOTAVAIL))
		return -1;
	CHECK(!strcmp(sw_error_reason(r[1]->ev.error), "no_local_port"), "reason %s",
	      sw_error_reason(r[1]->ev.error));
	return 0;
}
