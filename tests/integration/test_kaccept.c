// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Accepts done inside the kernel: kernel_accept(), as nfsd, ksmbd, RDS and
 * SMC's listening worker call it. SMC (AF_SMC sockets) is the one a test can
 * drive from user space: its listening socket is a kernel TCP socket, whose
 * connections its worker accepts with kernel_accept() (when the client
 * speaks no SMC, they stay plain TCP) and queues for SMC's accept(), which
 * hands the process the TCP socket itself (a file of its own from then on:
 * the accept syscall's exit sees it). Until then a kernel socket holds it.
 * Its module is loaded by the qemu matrix's initramfs; a kernel without it
 * skips.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

#ifndef AF_SMC
#define AF_SMC 43
#endif
#define SMCPROTO_SMC 0
#define NO_SMC "no SMC (AF_SMC) in this kernel: the qemu matrix loads its module"

/* An SMC listener on 127.0.0.1 (any port, in *port); fd or -errno. */
static int smc_listen(__u16 *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd, e;

	fd = socket(AF_SMC, SOCK_STREAM | SOCK_CLOEXEC, SMCPROTO_SMC);
	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		e = -errno;
		close(fd);
		return e;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* For poll_until(): the record of kind with these ports in netns. */
struct want_ports {
	__u32 netns;
	int kind;
	__u16 lport, rport;
};

static bool ports_seen(void *arg)
{
	const struct want_ports *w = arg;

	return find_ports(&H.all, w->netns, w->kind, w->lport, w->rport) != NULL;
}

/* How the accept of the connection to lport from rport must look in this mode. */
static int check_accept(__u32 netns, __u16 lport, __u16 rport, __u8 state, const char *what)
{
	const struct sw_record *a = find_ports(&H.all, netns, SW_EV_ACCEPT, lport, rport);
	int hook;

	CHECK(a, "%s: no accept", what);
	hook = (a->ev.flags & SW_F_ACCEPT_HOOK_MASK) >> SW_F_ACCEPT_HOOK_SHIFT;
	CHECK(a->ev.family == SW_AF_INET, "%s: family %u", what, a->ev.family);
	if (suite_accept_hook() == SW_ACCEPT_HOOK_SYSCALL) {
		/* no hook sees it (tracepoint and kprobe modes): told from the
		 * socket, with no owner */
		CHECK(a->ev.flags & SW_F_INFERRED, "%s: accept not flagged inferred (flags %#x)",
		      what, a->ev.flags);
		CHECK(hook == 0, "%s: accept from hook %d", what, hook);
		CHECK((a->ev.flags & SW_F_OWNER_MASK) == SW_OWNER_NONE && !a->ev.pid &&
			      !a->ev.comm[0],
		      "%s: owner %u '%s' (flags %#x), want none", what, a->ev.pid, a->ev.comm,
		      a->ev.flags);
		CHECK(a->ev.latency_ns == 0, "%s: latency %llu ns of an inferred accept", what,
		      (unsigned long long)a->ev.latency_ns);
		CHECK(!state || a->ev.newstate == state, "%s: state %u, want %u", what,
		      a->ev.newstate, state);
	} else {
		/* fentry mode's fexit on the accept function, in SMC's worker: a
		 * kernel thread */
		CHECK(!(a->ev.flags & SW_F_INFERRED), "%s: accept flagged inferred", what);
		CHECK(hook == suite_accept_hook(), "%s: accept from hook %d, want %d", what, hook,
		      suite_accept_hook());
		CHECK(a->ev.pid && a->ev.pid != (__u32)getpid(),
		      "%s: owner %u '%s', want the kernel's worker", what, a->ev.pid, a->ev.comm);
	}
	return 0;
}

/*
 * The state (TCP_* number) of this namespace's IPv4 socket lport -> rport in
 * /proc/net/tcp, with its inode (0 until a struct socket holds it); -1 if
 * there is none.
 */
static int tcp_row(__u16 lport, __u16 rport, unsigned long *inode)
{
	char line[512];
	unsigned int lp, rp, st;
	unsigned long ino;
	int found = -1;
	FILE *f = fopen("/proc/net/tcp", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x %*x:%*x %*x:%*x %*x %*u %*d %lu", &lp, &rp,
			   &st, &ino) == 4 &&
		    lp == lport && rp == rport) {
			*inode = ino;
			found = (int)st;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * Waits (up to 3 s, without polling the tracer: no sweep runs meanwhile)
 * until the accepted end of rport -> lport is held by a socket (SMC's
 * worker accepted it) and, if state is not 0, is in that state.
 */
static bool wait_row(__u16 lport, __u16 rport, int state)
{
	struct timespec ms = { 0, 1000000 };
	unsigned long ino = 0;

	for (int i = 0; i < 3000; i++) {
		int st = tcp_row(lport, rport, &ino);

		if (st > 0 && ino && (!state || st == state))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

/*
 * Two connections that SMC's worker accepted and released before the
 * process accepted them, ended while the tracer is not read (so no sweep
 * runs): one the client ended first (its kernel-held end got the FIN:
 * CLOSE_WAIT), one the listener's close ended (the worker's release:
 * FIN_WAIT1). Each gives one accept, before its close; in the tracepoint and
 * kprobe modes told at those transitions, with no owner. And the listener is
 * reported at once, by the process that called listen().
 */
int t_kernel_accept(void)
{
	struct want_ports w = { .kind = SW_EV_CLOSE };
	const struct sw_record *a, *c, *l;
	__u16 port = 0, p1, p2;
	int lfd, c1, c2;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	lfd = smc_listen(&port);
	if (lfd == -EAFNOSUPPORT || lfd == -EPROTONOSUPPORT)
		return test_skip(NO_SMC);
	CHECK(lfd >= 0, "SMC listener: %s", strerror(-lfd));
	c1 = connect_to(AF_INET, "127.0.0.1", port);
	c2 = connect_to(AF_INET, "127.0.0.1", port);
	CHECK(c1 >= 0 && c2 >= 0, "connect: %s", strerror(-(c1 < 0 ? c1 : c2)));
	p1 = port_of(c1, false);
	p2 = port_of(c2, false);
	CHECK(wait_row(port, p1, 0) && wait_row(port, p2, 0), "SMC's worker accepted nothing");
	close(c1);
	CHECK(wait_row(port, p1, SW_TCP_CLOSE_WAIT), "the FIN did not come");
	close(lfd); /* releases both: c2's end sends its FIN */
	close(c2);

	w.lport = port;
	w.rport = p1;
	CHECK(poll_until(H.tracer, &H.all, ports_seen, &w, 5000) == 0, "no close of %u", p1);
	/* The listener: its TCP socket is SMC's, not the descriptor's, so the
	 * listen() exit cannot report it: its transition did, at once. */
	l = find_kind(&H.all, w.netns, SW_EV_LISTEN, 0);
	c = find_kind(&H.all, w.netns, SW_EV_CONNECT, 0);
	CHECK(l && l->ev.lport == port, "no listen event for port %u", port);
	CHECK(c && l->seq < c->seq, "the listen came after the connects: late, not at once");
	CHECK(l->ev.pid == (__u32)getpid(), "listen owner %u '%s', want this process", l->ev.pid,
	      l->ev.comm);
	w.rport = p2;
	CHECK(poll_until(H.tracer, &H.all, ports_seen, &w, 5000) == 0, "no close of %u", p2);
	poll_for(H.tracer, 200);
	if (check_accept(w.netns, port, p1, SW_TCP_CLOSE_WAIT, "ended by the client") ||
	    check_accept(w.netns, port, p2, SW_TCP_FIN_WAIT1, "ended by the kernel's release"))
		return -1;
	for (int i = 0; i < 2; i++) {
		__u16 p = i ? p2 : p1;

		a = find_ports(&H.all, w.netns, SW_EV_ACCEPT, port, p);
		c = find_ports(&H.all, w.netns, SW_EV_CLOSE, port, p);
		CHECK(a->seq < c->seq && a->ev.cookie == c->ev.cookie,
		      "accept (seq %llu, cookie %llu) not before its close (seq %llu, cookie %llu)",
		      (unsigned long long)a->seq, (unsigned long long)a->ev.cookie,
		      (unsigned long long)c->seq, (unsigned long long)c->ev.cookie);
	}
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == 2, "%zu accepts, want 2",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	CHECK(count_kind(&H.all, w.netns, SW_EV_CLOSE) == 4, "%zu closes, want 4",
	      count_kind(&H.all, w.netns, SW_EV_CLOSE));
	return 0;
}

/*
 * A connection SMC's worker accepted and that waits, open, for the
 * process's accept(): in the tracepoint and kprobe modes the socket-map
 * sweep reports it while it lives. The process's accept() later takes it
 * over: no second accept.
 */
int t_kernel_accept_held(void)
{
	struct want_ports w = { .kind = SW_EV_ACCEPT };
	bool tp = suite_accept_hook() == SW_ACCEPT_HOOK_SYSCALL; /* no accept-function hook */
	const struct sw_record *a;
	__u16 port = 0, p;
	__u64 grafted;
	int lfd, c, s;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	if (tp && sw_tracer_no_sweep_why(H.tracer))
		return test_skip("no socket-map sweep on this kernel: %s",
				 sw_tracer_no_sweep_why(H.tracer));
	lfd = smc_listen(&port);
	if (lfd == -EAFNOSUPPORT || lfd == -EPROTONOSUPPORT)
		return test_skip(NO_SMC);
	CHECK(lfd >= 0, "SMC listener: %s", strerror(-lfd));
	c = connect_to(AF_INET, "127.0.0.1", port);
	CHECK(c >= 0, "connect: %s", strerror(-c));
	p = port_of(c, false);
	CHECK(wait_row(port, p, 0), "SMC's worker accepted nothing");
	grafted = mono_ns();
	w.lport = port;
	w.rport = p;
	/* found at two sweeps in a row */
	CHECK(poll_until(H.tracer, &H.all, ports_seen, &w,
			 3 * (int)(SW_SWEEP_INTERVAL_NS / 1000000) + 1000) == 0,
	      "no accept while it waits for accept()");
	if (check_accept(w.netns, port, p, SW_TCP_ESTABLISHED, "waiting"))
		return -1;
	/* found so at two sweeps in a row: never sooner than one interval */
	a = find_ports(&H.all, w.netns, SW_EV_ACCEPT, port, p);
	CHECK(!tp || a->ev.ts_ns - grafted >= SW_SWEEP_INTERVAL_NS - 100000000ULL,
	      "reported %llu ms after the kernel accepted it: before a second sweep",
	      (unsigned long long)((a->ev.ts_ns - grafted) / 1000000));
	/* the next sweep finds it as it was: nothing twice */
	poll_for(H.tracer, (int)(SW_SWEEP_INTERVAL_NS / 1000000) + 300);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == 1, "%zu accepts while waiting, want 1",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	s = accept(lfd, NULL, NULL);
	CHECK(s >= 0, "SMC accept: %s", strerror(errno));
	close(c);
	close(s);
	close(lfd);
	w.kind = SW_EV_CLOSE;
	CHECK(poll_until(H.tracer, &H.all, ports_seen, &w, 5000) == 0, "no close of %u", p);
	poll_for(H.tracer, 200);
	CHECK(count_kind(&H.all, w.netns, SW_EV_ACCEPT) == 1, "%zu accepts, want 1",
	      count_kind(&H.all, w.netns, SW_EV_ACCEPT));
	return 0;
}

/*
 * A listen() on an AF_SMC socket whose port another socket already listens
 * on fails inside the call, after SMC's TCP socket went to LISTEN and back:
 * no event (the call's exit decides, as for a plain socket), and the
 * listener that holds the port is reported as usual.
 */
int t_kernel_listen_conflict(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct want_kind w = { .kind = SW_EV_LISTEN, .n = 1 };
	socklen_t len = sizeof(a);
	int one = 1, tfd, sfd, rc, e;

	w.netns = ns_new();
	CHECK(w.netns, "cannot make a network namespace");
	suite_reset();
	sfd = socket(AF_SMC, SOCK_STREAM | SOCK_CLOEXEC, SMCPROTO_SMC);
	if (sfd < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
		return test_skip(NO_SMC);
	CHECK(sfd >= 0, "SMC socket: %s", strerror(errno));
	tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(tfd >= 0, "socket: %s", strerror(errno));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!setsockopt(tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) &&
		      !setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
	      "SO_REUSEADDR: %s", strerror(errno));
	CHECK(!bind(tfd, (struct sockaddr *)&a, sizeof(a)) &&
		      !getsockname(tfd, (struct sockaddr *)&a, &len),
	      "bind: %s", strerror(errno));
	rc = bind(sfd, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	if (rc) {
		close(sfd);
		close(tfd);
		return test_skip("SMC did not share the port (bind: %s)", strerror(e));
	}
	CHECK(!listen(tfd, 8), "listen: %s", strerror(errno));
	rc = listen(sfd, 8);
	e = errno;
	close(sfd);
	CHECK(rc && e == EADDRINUSE, "the SMC listen() did not fail on the taken port (%d: %s)", rc,
	      strerror(e));
	CHECK(poll_until(H.tracer, &H.all, kind_seen, &w, 3000) == 0, "no listen event");
	/* a sweep's time: a pending listener would come now */
	poll_for(H.tracer, (int)(SW_SWEEP_INTERVAL_NS / 1000000) + 1300);
	close(tfd);
	CHECK(count_kind(&H.all, w.netns, SW_EV_LISTEN) == 1, "%zu listen events, want 1",
	      count_kind(&H.all, w.netns, SW_EV_LISTEN));
	CHECK(find_kind(&H.all, w.netns, SW_EV_LISTEN, 0)->ev.lport == ntohs(a.sin_port),
	      "the listen event is not the plain listener's");
	CHECK(count_kind(&H.all, w.netns, SW_EV_UNLISTEN) == 0,
	      "%zu unlisten events before the listener closed",
	      count_kind(&H.all, w.netns, SW_EV_UNLISTEN));
	return 0;
}
